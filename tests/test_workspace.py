"""The workspace as staff use it (issue 13): the checklist by category with jump links, a filter
(all, not assessed, changed since publication), the not-applicable reason only where it applies,
several new links per provision in one save, a picker of whole titles, and a save that returns to
the category it was made in. Expected values are worked out by hand from the data each test builds.
"""

import re
from html import unescape

import pytest
from sqlmodel import select

from tracker import write
from tracker.codes import InstrumentStatus, TranslationStatus
from tracker.models import ChangeRecord, Coverage, Provision
from tracker.write import changes, review

WORKSPACE = "/en/manage/countries/ZMB"


@pytest.fixture
def world(client, sign_in, staff, session, make_checklist, make_instrument):
    """Four provisions, AAA-01 and AAA-03 in category AAA, BBB-02 and BBB-04 in BBB; two acts."""
    sign_in(staff.editor_zmb)
    make_checklist(n=4)
    provisions = {p.code: p for p in session.exec(select(Provision))}
    act = make_instrument(staff.zmb, title="Environmental Management Act, 2011", year=2011)
    regs = make_instrument(
        staff.zmb,
        title="Environmental Management (Extended Producer Responsibility) Regulations, 2018",
        year=2018,
    )
    return staff, provisions, act, regs


def form_data(page: str) -> dict:
    """What a browser sends for the checklist form as shown (unticked boxes left out)."""
    form = page[page.index('class="checklist-form"') :]
    form = form[: form.index("</form>")]
    data = {}
    for tag in re.findall(r"<input[^>]*>", form):
        if 'type="checkbox"' in tag and " checked" not in tag:
            continue
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            data[name[1]] = value[1] if value else ""
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"', body)
        data[name] = chosen.group(1) if chosen else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[name] = body.strip("\r\n")
    return {name: unescape(value) for name, value in data.items()}


def shown_codes(page: str) -> list[str]:
    """The provisions the checklist form shows, in order."""
    return re.findall(r'<fieldset class="provision-row" id="p-([A-Z]+-\d+)"', page)


def test_each_category_is_a_section_with_a_jump_link_and_its_own_save(client, world):
    page = client.get(WORKSPACE).text
    nav = page[page.index('class="category-nav"') : page.index("</nav>", page.index('class="category-nav"'))]
    assert re.findall(r'<a href="#(cat-[A-Z]+)">([^<]+)</a>', nav) == [
        ("cat-AAA", "Category AAA"),
        ("cat-BBB", "Category BBB"),
    ]
    for code, provisions in (("AAA", ["AAA-01", "AAA-03"]), ("BBB", ["BBB-02", "BBB-04"])):
        start = page.index(f'<section class="category-section" id="cat-{code}"')
        section = page[start : page.index("</section>", start)]
        assert shown_codes(section) == provisions
        assert (f'<button type="submit" name="section" value="{code}">Save the checklist'
                f'<span class="visually-hidden"> – Category {code}</span></button>') in section


def test_the_filter_shows_what_is_not_assessed_yet(client, world, make_coverage):
    staff, provisions, act, _regs = world
    make_coverage(staff.zmb, provisions["AAA-01"], links=[(act, "full")])
    make_coverage(staff.zmb, provisions["BBB-04"], applicable=False, not_applicable_reason="None")

    assert shown_codes(client.get(WORKSPACE).text) == ["AAA-01", "AAA-03", "BBB-02", "BBB-04"]
    page = client.get(WORKSPACE + "?show=not-assessed").text
    assert shown_codes(page) == ["AAA-03", "BBB-02"]
    assert 'aria-current="page">Not assessed <span class="count">2</span>' in page
    assert "Every provision is assessed." not in page

    make_coverage(staff.zmb, provisions["AAA-03"])
    make_coverage(staff.zmb, provisions["BBB-02"])
    page = client.get(WORKSPACE + "?show=not-assessed").text
    assert shown_codes(page) == []
    assert "Every provision is assessed." in page


def test_the_filter_shows_what_changed_since_the_last_publication(
    client, world, session, make_coverage
):
    staff, provisions, act, regs = world
    make_coverage(staff.zmb, provisions["AAA-01"], links=[(act, "full")])
    make_coverage(staff.zmb, provisions["BBB-02"], links=[(act, "partial")])

    # Nothing published yet: both judged provisions are new to the public.
    page = client.get(WORKSPACE + "?show=changed").text
    assert shown_codes(page) == ["AAA-01", "BBB-02"]
    assert "Nothing has been published yet" in page

    with write.transaction(session):
        review.publish(session, staff.zmb, changes.DEMO_DATA, "First")
    page = client.get(WORKSPACE + "?show=changed").text
    assert shown_codes(page) == []
    assert "No provision has changed since the last publication." in page

    # A link added to BBB-02 and a judgement of AAA-03 are changes; AAA-01 is as published.
    data = form_data(client.get(WORKSPACE).text)
    bbb02, aaa03 = provisions["BBB-02"].id, provisions["AAA-03"].id
    data[f"p{bbb02}-new-0-instrument"] = str(regs.id)
    data[f"p{bbb02}-new-0-extent"] = "full"
    data[f"p{aaa03}-implementation"] = "initiated"
    assert client.post(WORKSPACE, data=data).status_code == 303
    assert shown_codes(client.get(WORKSPACE + "?show=changed").text) == ["AAA-03", "BBB-02"]


def test_an_unknown_filter_is_refused_with_a_message(client, world):
    response = client.get(WORKSPACE + "?show=everything")
    assert response.status_code == 400
    assert "show=not-assessed" in response.text


def test_saving_returns_to_the_category_with_the_filter_and_the_message_there(client, world):
    _staff, provisions, _act, _regs = world
    url = WORKSPACE + "?show=not-assessed"
    data = form_data(client.get(url).text)
    data[f"p{provisions['BBB-02'].id}-implementation"] = "operational"
    data["section"] = "BBB"
    response = client.post(url, data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/manage/countries/ZMB?show=not-assessed#cat-BBB"

    page = client.get(response.headers["Location"]).text
    # BBB-02 is assessed now, so the filter leaves BBB-04 in BBB; the message is in that section.
    assert shown_codes(page) == ["AAA-01", "AAA-03", "BBB-04"]
    start = page.index('id="cat-BBB"')
    section = page[start : page.index("</section>", start)]
    assert "Checklist saved (1 provisions changed)." in section
    assert page.count("Checklist saved") == 1


def test_saving_from_the_top_button_returns_to_the_checklist(client, world):
    response = client.post(WORKSPACE, data=form_data(client.get(WORKSPACE).text))
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/manage/countries/ZMB#checklist"
    assert "Nothing was changed." in client.get(response.headers["Location"]).text


def test_a_filtered_save_leaves_the_rows_it_did_not_show_alone(
    client, world, session, make_coverage
):
    staff, provisions, act, _regs = world
    judged = make_coverage(staff.zmb, provisions["AAA-01"], links=[(act, "full")])
    data = form_data(client.get(WORKSPACE + "?show=not-assessed").text)
    assert f"p{provisions['AAA-01'].id}-version" not in data
    assert client.post(WORKSPACE + "?show=not-assessed", data=data).status_code == 303
    session.rollback()
    assert session.get(Coverage, judged.id).version == judged.version
    assert session.exec(select(ChangeRecord)).all() == []


def test_the_reason_is_required_when_a_provision_does_not_apply_and_ignored_otherwise(
    client, world, session
):
    _staff, provisions, _act, _regs = world
    p1, p2 = provisions["AAA-01"].id, provisions["BBB-02"].id
    data = form_data(client.get(WORKSPACE).text)
    data[f"p{p1}-applicable"] = "no"
    response = client.post(WORKSPACE, data=data, headers={"Accept-Language": "es"})
    assert response.status_code == 422
    assert f'href="#p{p1}-not_applicable_reason"' in response.text
    spanish = client.post("/es/manage/countries/ZMB", data=data)
    assert "Indique por qué esta disposición no se aplica." in spanish.text

    data[f"p{p1}-not_applicable_reason"] = "No such industry."
    data[f"p{p2}-not_applicable_reason"] = "Typed, then the provision was left applicable."
    data[f"p{p2}-implementation"] = "initiated"
    assert client.post(WORKSPACE, data=data).status_code == 303
    session.rollback()
    rows = {c.provision_id: c for c in session.exec(select(Coverage))}
    assert (rows[p1].applicable, rows[p1].not_applicable_reason) == (False, "No such industry.")
    assert (rows[p2].applicable, rows[p2].not_applicable_reason) == (True, None)


def test_the_reason_box_is_marked_for_the_script_that_hides_it(client, world):
    _staff, provisions, _act, _regs = world
    pid = provisions["AAA-01"].id
    page = client.get(WORKSPACE).text
    box = re.search(r'<div class="na-reason" data-applicable="([^"]+)">(.*?)</div>\s*</div>', page, re.S)
    assert box[1] == f"p{pid}-applicable"
    assert f'name="p{pid}-not_applicable_reason"' in box[2]
    assert '<script src="/static/workspace.js" defer></script>' in page
    script = client.get("/static/workspace.js")
    assert script.status_code == 200 and b"na-reason" in script.data
    script.close()


def test_two_links_with_their_legal_text_in_one_save(client, world, session):
    _staff, provisions, act, regs = world
    pid = provisions["AAA-01"].id
    data = form_data(client.get(WORKSPACE).text)
    assert f"p{pid}-new-0-instrument" in data and f"p{pid}-new-1-instrument" not in data
    data.update(
        {
            f"p{pid}-new-0-instrument": str(act.id),
            f"p{pid}-new-0-extent": "partial",
            f"p{pid}-new-0-articles": "s. 60",
            f"p{pid}-new-0-excerpt": "The Agency may make regulations on waste.",
            f"p{pid}-new-0-excerpt_lang": "en",
            f"p{pid}-new-0-article_url": "https://example.org/ema#s60",
            f"p{pid}-new-1-instrument": str(regs.id),
            f"p{pid}-new-1-extent": "full",
            f"p{pid}-new-1-articles": "reg. 4",
            f"p{pid}-new-1-excerpt": "Un producteur doit…",
            f"p{pid}-new-1-excerpt_lang": "fr",
            f"p{pid}-new-1-translation": "A producer shall…",
            f"p{pid}-new-1-translation_status": "unofficial",
        }
    )
    response = client.post(WORKSPACE, data=data)
    assert response.status_code == 303, response.text[:3000]
    session.rollback()
    cov = session.exec(select(Coverage)).one()
    links = sorted(cov.links, key=lambda link: link.instrument_id)
    assert [(link.instrument_id, link.extent.value, link.articles) for link in links] == [
        (act.id, "partial", "s. 60"),
        (regs.id, "full", "reg. 4"),
    ]
    assert (links[0].excerpt, links[0].excerpt_lang, links[0].article_url) == (
        "The Agency may make regulations on waste.", "en", "https://example.org/ema#s60")  # fmt: skip
    assert links[0].translation is None and links[0].translation_status is None
    assert (links[1].translation, links[1].translation_status) == (
        "A producer shall…", TranslationStatus.UNOFFICIAL)  # fmt: skip
    # One change record for the row, holding both links with their text.
    [record] = session.exec(select(ChangeRecord)).all()
    assert [link["instrument_id"] for link in record.after["links"]] == [act.id, regs.id]
    assert record.after["links"][1]["translation"] == "A producer shall…"


def test_the_same_instrument_twice_is_refused(client, world, session):
    _staff, provisions, act, _regs = world
    pid = provisions["AAA-01"].id
    data = form_data(client.get(WORKSPACE).text)
    for n in (0, 1):
        data[f"p{pid}-new-{n}-instrument"] = str(act.id)
        data[f"p{pid}-new-{n}-extent"] = "full"
    response = client.post(WORKSPACE, data=data)
    assert response.status_code == 422
    assert "This instrument is chosen twice for this provision: keep one." in response.text
    assert session.exec(select(Coverage)).first() is None


def test_a_link_group_needs_an_instrument_once_anything_is_typed(client, world, session):
    _staff, provisions, _act, _regs = world
    pid = provisions["AAA-01"].id
    data = form_data(client.get(WORKSPACE).text)
    data[f"p{pid}-new-0-excerpt"] = "Quoted, but from which instrument?"
    response = client.post(WORKSPACE, data=data)
    assert response.status_code == 422
    assert f'href="#p{pid}-new-0-instrument"' in response.text
    assert session.exec(select(Coverage)).first() is None


def test_add_another_link_works_without_a_script_and_saves_nothing(client, world, session):
    _staff, provisions, act, regs = world
    pid = provisions["AAA-01"].id
    data = form_data(client.get(WORKSPACE).text)
    data[f"p{pid}-new-0-instrument"] = str(act.id)
    data[f"p{pid}-new-0-extent"] = "full"
    data["add_link"] = "AAA-01"
    response = client.post(WORKSPACE, data=data)
    assert response.status_code == 200
    assert "An empty link was added. Nothing is saved until you save the checklist." in response.text
    assert session.exec(select(Coverage)).first() is None
    again = form_data(response.text)
    assert again[f"p{pid}-new-0-instrument"] == str(act.id)  # what was chosen is kept
    assert again[f"p{pid}-new-1-instrument"] == ""
    # The button brings the browser back to that row's links.
    assert 'formaction="/en/manage/countries/ZMB#p-AAA-01-new"' in response.text

    again[f"p{pid}-new-1-instrument"] = str(regs.id)
    again[f"p{pid}-new-1-extent"] = "partial"
    assert client.post(WORKSPACE, data=again).status_code == 303
    session.rollback()
    assert len(session.exec(select(Coverage)).one().links) == 2


def test_the_picker_names_each_instrument_by_its_whole_title_year_and_status(
    client, world, make_instrument
):
    staff, provisions, _act, _regs = world
    make_instrument(staff.zmb, title="ZEMA–ZICTA Memorandum of Understanding", year=2016,
                    status=InstrumentStatus.ADOPTED)  # fmt: skip
    make_instrument(staff.zmb, title="Draft e-waste bill", year=None,
                    status=InstrumentStatus.DRAFTING)  # fmt: skip
    page = client.get(WORKSPACE).text
    pid = provisions["AAA-01"].id
    picker = re.search(rf'<select id="p{pid}-new-0-instrument"[^>]*>(.*?)</select>', page, re.S)[1]
    labels = [unescape(label) for label in re.findall(r"<option[^>]*>([^<]*)</option>", picker)]
    # A to Z by title, each whole; the year added where the title does not say it.
    assert labels == [
        "Not set",
        "Draft e-waste bill (Drafting)",
        "Environmental Management (Extended Producer Responsibility) Regulations, 2018 (In force)",
        "Environmental Management Act, 2011 (In force)",
        "ZEMA–ZICTA Memorandum of Understanding, 2016 (Adopted)",
    ]
