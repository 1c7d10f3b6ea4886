"""The staff workspace: forms, validation, the one-form checklist, conflicts, administration."""

from datetime import date

import pytest
from sqlmodel import Session, select

from tracker import write
from tracker.codes import Implementation, InstrumentStatus, Role
from tracker.models import (
    ChangeRecord,
    Country,
    Coverage,
    CoverageLink,
    Instrument,
    Milestone,
    Provision,
    ProvisionText,
    User,
)
from tracker.write import changes

NEW_INSTRUMENT = "/en/manage/countries/ZMB/instruments/new"
VALID = {
    "title": "Extended Producer Responsibility Regulations",
    "title_lang": "en",
    "type": "statutory_instrument",
    "status": "adopted",
    "year": "2024",
    "adopted_on": "2024-05-01",
    "in_force_on": "2024-06-01",
    "url": "https://www.parliament.gov.zm/node/123",
}


@pytest.fixture
def editor(client, sign_in, staff):
    sign_in(staff.editor_zmb)
    return staff


def _instrument(session) -> Instrument:
    session.rollback()
    return session.exec(select(Instrument)).one()


# --- instruments --------------------------------------------------------------------------------


def test_an_instrument_records_whether_it_is_specific_to_e_waste(client, editor, session, publish):
    assert client.post(NEW_INSTRUMENT, data=VALID).status_code == 303
    inst = _instrument(session)
    assert inst.ewaste_specific is False  # an unticked box: a general instrument
    page = client.get(f"/en/manage/instruments/{inst.id}/edit").text
    assert 'name="ewaste_specific"' in page and "Specific to e-waste" in page
    response = client.post(
        f"/en/manage/instruments/{inst.id}/edit",
        data={**VALID, "ewaste_specific": "y", "version": "1"},
    )
    assert response.status_code == 303
    assert _instrument(session).ewaste_specific is True
    publish(editor.zmb)  # the public side serves publications
    public = client.get(f"/en/instruments/{inst.id}").text
    assert "<dt>Scope</dt><dd>Specific to e-waste</dd>" in public
    record = session.exec(
        select(ChangeRecord)
        .where(ChangeRecord.entity == "instrument")
        .order_by(ChangeRecord.id.desc())
    ).first()
    assert (record.before["ewaste_specific"], record.after["ewaste_specific"]) == (False, True)



def test_create_edit_delete_an_instrument(client, editor, session):
    response = client.post(NEW_INSTRUMENT, data=VALID)
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/manage/countries/ZMB"
    inst = _instrument(session)
    assert inst.status is InstrumentStatus.ADOPTED and inst.in_force_on == date(2024, 6, 1)
    assert inst.country_id == editor.zmb.id

    page = client.get(f"/en/manage/instruments/{inst.id}/edit").text
    assert 'name="version" type="hidden" value="1"' in page
    response = client.post(
        f"/en/manage/instruments/{inst.id}/edit",
        data={**VALID, "status": "in_force", "version": "1"},
    )
    assert response.status_code == 303
    assert _instrument(session).status is InstrumentStatus.IN_FORCE

    page = client.get(f"/en/manage/instruments/{inst.id}/delete").text
    assert "Delete this instrument?" in page
    inst_id = inst.id
    assert session.get(Instrument, inst_id) is not None  # GET only asks
    response = client.post(f"/en/manage/instruments/{inst_id}/delete", data={"version": "2"})
    assert response.status_code == 303
    session.rollback()
    assert session.get(Instrument, inst_id) is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"title": ""}, "title", "Enter the instrument&#39;s title."),
        ({"title": "   "}, "title", "Enter the instrument&#39;s title."),
        ({"title": "x" * 501}, "title", "Enter at most 500 characters."),
        ({"title_lang": "english"}, "title_lang", "Choose a language from the list."),
        ({"type": "constitution"}, "type", "Choose one of the options."),
        ({"status": ""}, "status", "This field is required."),
        ({"year": "twenty"}, "year", "Enter a whole number"),
        ({"year": "1700"}, "year", "Enter a year between 1800 and 2200."),
        ({"adopted_on": "2024-02-30"}, "adopted_on", "“2024-02-30” is not a date: that month"),
        ({"adopted_on": "01/05/2024"}, "adopted_on", "“01/05/2024” is not a date. Write the year"),
        (
            {"in_force_on": "2024-04-30"},
            "in_force_on",
            "The in-force date cannot be before the adoption date.",
        ),
        ({"url": "javascript:alert(1)"}, "url", "starts with http:// or https://"),
        ({"url": "ftp://example.org/act.pdf"}, "url", "starts with http:// or https://"),
        ({"url": "https://"}, "url", "starts with http:// or https://"),
        ({"url": "https://example.org/" + "a" * 2000}, "url", "Enter at most 2000 characters."),
        ({"number": "No.\x00 3"}, "number", "invisible control characters"),
    ],
)
def test_instrument_validation(client, editor, session, overrides, field, message):
    response = client.post(NEW_INSTRUMENT, data={**VALID, **overrides})
    assert response.status_code == 422
    page = response.text
    assert message in page
    assert f'id="{field}-error"' in page  # next to the field
    assert f'href="#{field}"' in page  # and in the summary at the top
    assert "<title>Error:" in page
    assert session.exec(select(Instrument)).first() is None


def test_invalid_input_is_kept(client, editor):
    page = client.post(
        NEW_INSTRUMENT, data={**VALID, "year": "twenty", "title": "Loi n° 2024-15"}
    ).text
    assert 'value="Loi n° 2024-15"' in page and 'value="twenty"' in page


@pytest.mark.parametrize(
    ("title", "lang"),
    [
        ("قانون إدارة النفايات الإلكترونية", "ar"),
        ("电子废物管理条例", "zh"),
        ("Itegeko rigenga imyanda y’ibikoresho by’ikoranabuhanga", "rw"),
        ("Léi ñe’ẽ rehegua tembiporu ikatúva ojeporu jey", "gn"),
    ],
)
def test_unicode_round_trips_unchanged(client, editor, session, title, lang):
    response = client.post(
        NEW_INSTRUMENT,
        data={**VALID, "title": title, "title_lang": lang, "summary": title + "\n" + title},
    )
    assert response.status_code == 303
    inst = _instrument(session)
    assert inst.title == title and inst.summary == title + "\n" + title
    page = client.get(f"/en/manage/instruments/{inst.id}/edit").text
    assert title in page
    assert title in client.get("/en/manage/countries/ZMB").text


def test_markup_is_stored_as_typed_and_shown_escaped(client, editor, session):
    title = '<script>alert("x")</script> & <b>bold</b>'
    assert client.post(NEW_INSTRUMENT, data={**VALID, "title": title}).status_code == 303
    assert _instrument(session).title == title
    page = client.get("/en/manage/countries/ZMB").text
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_huge_values_are_refused(client, editor, session):
    response = client.post(NEW_INSTRUMENT, data={**VALID, "summary": "x" * 20_001})
    assert response.status_code == 422
    assert "Enter at most 20000 characters." in response.text
    response = client.post(NEW_INSTRUMENT, data={**VALID, "summary": "x" * 6_000_000})
    assert response.status_code == 413
    assert session.exec(select(Instrument)).first() is None


def test_stale_version_is_refused_with_input_kept_and_changes_listed(
    client, editor, session, make_instrument, engine
):
    inst = make_instrument(editor.zmb, title="Original title", status=InstrumentStatus.DRAFTING)
    with Session(engine) as other, write.transaction(other):  # someone else saves version 2
        changes.update(
            other,
            other.get(Instrument, inst.id),
            changes.Actor("b@example.org"),
            {"status": InstrumentStatus.VALIDATED},
            expected_version=1,
        )
    data = {**VALID, "title": "My new title", "status": "drafting", "version": "1"}
    response = client.post(f"/en/manage/instruments/{inst.id}/edit", data=data)
    assert response.status_code == 409
    page = response.text
    assert 'value="My new title"' in page  # the user's input is kept
    assert "Someone else saved this record" in page
    assert "Changed by someone else" in page
    # In words: the statuses by their labels, not their codes.
    panel = page[page.index("Changed by someone else"):]
    panel = panel[: panel.index("</table>")]
    assert "<td" in panel and ">Validated<" in panel and ">Drafting<" in panel
    assert "validated" not in panel and "drafting" not in panel
    assert 'name="version" type="hidden" value="2"' in page  # saving again is deliberate
    assert _instrument(session).title == "Original title"

    response = client.post(f"/en/manage/instruments/{inst.id}/edit", data={**data, "version": "2"})
    assert response.status_code == 303
    assert _instrument(session).title == "My new title"


def test_deleting_a_changed_record_is_refused(client, editor, session, make_milestone):
    ms = make_milestone(editor.zmb)
    response = client.post(f"/en/manage/milestones/{ms.id}/delete", data={"version": "7"})
    assert response.status_code == 409
    assert session.get(Milestone, ms.id) is not None


@pytest.mark.parametrize(
    "kind", ["instruments", "milestones", "users", "password", "provision"]
)
def test_an_edit_without_its_version_never_overwrites(
    client, sign_in, staff, session, make_instrument, make_milestone, make_checklist, kind
):
    """A POST without the hidden version is a conflict (409), not a blind save of the record."""
    sign_in(staff.admin)
    if kind == "instruments":
        record = make_instrument(staff.zmb, title="Stored title")
        url, data = f"/en/manage/instruments/{record.id}/edit", {**VALID, "title": "Blind"}
    elif kind == "milestones":
        record = make_milestone(staff.zmb, title="Stored title")
        url = f"/en/manage/milestones/{record.id}/edit"
        data = {
            "title": "Blind",
            "kind": "stakeholder_consultation",
            "status": "planned",
            "nature": "project",
        }
    elif kind == "users":
        record = staff.editor_zmb
        url, data = f"/en/manage/users/{record.id}/edit", {"role": "editor", "country": "ZMB"}
    elif kind == "password":
        record = staff.editor_zmb
        url, data = f"/en/manage/users/{record.id}/password", {"password": "a new long password"}
    else:
        make_checklist(n=1)
        record = session.exec(select(Provision)).one()
        url = f"/en/manage/checklist/provisions/{record.id}/edit"
        data = {"category": str(record.category_id), "level": "core", "sources": "Blind"}
    response = client.post(url, data=data)
    assert response.status_code == 409
    assert "Someone else saved this record" in response.text
    assert 'name="version" type="hidden" value="1"' in response.text  # saving again is deliberate
    session.rollback()
    assert session.get(type(record), record.id).version == 1  # nothing was written


@pytest.mark.parametrize("kind", ["instruments", "milestones"])
def test_a_delete_without_its_version_is_refused(
    client, editor, session, make_instrument, make_milestone, kind
):
    record = make_instrument(editor.zmb) if kind == "instruments" else make_milestone(editor.zmb)
    for data in ({}, {"version": ""}, {"version": "one"}):
        response = client.post(f"/en/manage/{kind}/{record.id}/delete", data=data)
        assert response.status_code == 409, data
        assert "Someone else changed this record" in response.text
    session.rollback()
    assert session.get(type(record), record.id) is not None


def test_deleting_an_instrument_unlinks_it_with_history(
    client, editor, session, engine, make_checklist, make_instrument, make_coverage
):
    make_checklist(n=1)
    inst = make_instrument(editor.zmb)
    cov = make_coverage(
        editor.zmb, session.exec(select(Provision)).one(), links=[(inst, "full", "Art. 3")]
    )
    response = client.post(f"/en/manage/instruments/{inst.id}/delete", data={"version": "1"})
    assert response.status_code == 303, response.text
    with Session(engine) as fresh:
        assert fresh.exec(select(CoverageLink)).all() == []
        assert fresh.get(Coverage, cov.id).links == []
        actions = [(r.entity, r.action.value) for r in fresh.exec(select(ChangeRecord))]
    assert actions == [("coverage", "update"), ("instrument", "delete")]


# --- milestones ---------------------------------------------------------------------------------


def test_milestone_create_and_edit(client, editor, session):
    data = {
        "title": "Validation workshop, Lusaka",
        "kind": "validation_workshop",
        "status": "done",
        "planned_on": "2025-03-10",
        "actual_on": "2025-03-12",
        "source_url": "http://example.org/news",
        "nature": "project",
    }
    assert client.post("/en/manage/countries/ZMB/milestones/new", data=data).status_code == 303
    session.rollback()
    ms = session.exec(select(Milestone)).one()
    assert ms.actual_on == date(2025, 3, 12)
    response = client.post(
        f"/en/manage/milestones/{ms.id}/edit", data={**data, "kind": "bogus", "version": "1"}
    )
    assert response.status_code == 422
    response = client.post(
        f"/en/manage/milestones/{ms.id}/edit", data={**data, "place": "Lusaka", "version": "1"}
    )
    assert response.status_code == 303
    session.rollback()
    assert session.get(Milestone, ms.id).place == "Lusaka"


# --- the checklist as one form ------------------------------------------------------------------


@pytest.fixture
def checklist_world(editor, session, make_checklist, make_instrument):
    make_checklist(n=3)
    provisions = session.exec(select(Provision).order_by(Provision.position)).all()
    act = make_instrument(editor.zmb, title="Environmental Management Act")
    return provisions, act


def _checklist_data(client) -> dict:
    """What the browser would send back unchanged: every field's current value."""
    import re
    from html import unescape

    page = client.get("/en/manage/countries/ZMB").text
    data = {}
    for tag in re.findall(r"<input[^>]*>", page):
        if 'type="checkbox"' in tag and " checked" not in tag:
            continue  # a browser sends only ticked boxes
        found = re.search(r'name="([^"]+)"[^>]*value="([^"]*)"', tag)
        if found:
            data[found[1]] = found[2]
    for name in re.findall(r'<input[^>]*name="([^"]+)"[^>]*type="text"(?![^>]*value=)', page):
        data.setdefault(name, "")
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"', body)
        data[name] = chosen.group(1) if chosen else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        data[name] = body.strip("\r\n")
    return {name: unescape(value) for name, value in data.items()}


def test_the_whole_checklist_saves_at_once(client, checklist_world, session):
    (p1, p2, p3), act = checklist_world
    data = _checklist_data(client)
    assert data[f"p{p1.id}-applicable"] == "yes" and data[f"p{p1.id}-version"] == "0"
    data.update(
        {
            f"p{p1.id}-implementation": "operational",
            f"p{p1.id}-i{act.id}-extent": "full",
            f"p{p1.id}-i{act.id}-articles": "Art. 5–9",
            f"p{p1.id}-evidence": "Gazette notice 12/2024",
            f"p{p2.id}-applicable": "no",
            f"p{p2.id}-not_applicable_reason": "No ports of entry.",
        }
    )
    response = client.post("/en/manage/countries/ZMB", data=data)
    assert response.status_code == 303, response.text
    session.rollback()
    rows = {c.provision_id: c for c in session.exec(select(Coverage))}
    assert set(rows) == {p1.id, p2.id}  # p3 unchanged: no row written
    assert rows[p1.id].implementation is Implementation.OPERATIONAL
    assert [
        (link.instrument_id, link.extent.value, link.articles) for link in rows[p1.id].links
    ] == [(act.id, "full", "Art. 5–9")]
    assert not rows[p2.id].applicable and rows[p2.id].not_applicable_reason == "No ports of entry."
    assert len(session.exec(select(ChangeRecord)).all()) == 2

    # Saving the page again unchanged writes nothing.
    assert client.post("/en/manage/countries/ZMB", data=_checklist_data(client)).status_code == 303
    assert len(session.exec(select(ChangeRecord)).all()) == 2

    # Removing the link updates the row.
    data = _checklist_data(client)
    data[f"p{p1.id}-i{act.id}-extent"] = ""
    assert client.post("/en/manage/countries/ZMB", data=data).status_code == 303
    session.rollback()
    assert session.get(Coverage, rows[p1.id].id).links == []


def test_checklist_validation(client, checklist_world, session):
    (p1, p2, _p3), act = checklist_world
    data = _checklist_data(client)
    data[f"p{p2.id}-applicable"] = "no"
    data[f"p{p1.id}-i{act.id}-extent"] = "most"
    response = client.post("/en/manage/countries/ZMB", data=data)
    assert response.status_code == 422
    assert "Say why this provision does not apply." in response.text
    assert f'href="#p{p2.id}-not_applicable_reason"' in response.text
    assert f'href="#p{p1.id}-i{act.id}-extent"' in response.text
    assert session.exec(select(Coverage)).first() is None


def test_checklist_links_are_added_and_removed_per_row(
    client, checklist_world, session, make_instrument, staff
):
    (p1, p2, _p3), act = checklist_world
    other = make_instrument(staff.rwa, title="Rwandan law")
    page = client.get("/en/manage/countries/ZMB").text
    assert f'name="p{p1.id}-new-0-instrument"' in page and f'name="p{p1.id}-i{act.id}-extent"' not in page
    assert f'value="{other.id}"' not in page  # only this country's instruments are offered

    data = _checklist_data(client)
    data.update({f"p{p1.id}-new-0-instrument": str(act.id), f"p{p1.id}-new-0-extent": "full",
                 f"p{p1.id}-new-0-articles": "Art. 3"})
    assert client.post("/en/manage/countries/ZMB", data=data).status_code == 303
    session.rollback()
    cov = session.exec(select(Coverage)).one()
    assert [(link.instrument_id, link.extent.value, link.articles) for link in cov.links] == [
        (act.id, "full", "Art. 3")
    ]
    page = client.get("/en/manage/countries/ZMB").text
    assert f'name="p{p1.id}-i{act.id}-remove"' in page
    # Its only instrument is linked: the row offers nothing more to add.
    assert f'id="p{p1.id}-new-0-instrument"' not in page

    data = _checklist_data(client)
    data[f"p{p1.id}-i{act.id}-remove"] = "y"
    assert client.post("/en/manage/countries/ZMB", data=data).status_code == 303
    session.rollback()
    assert session.get(Coverage, cov.id).links == []
    assert len(session.exec(select(ChangeRecord)).all()) == 2


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"new-0-instrument": "OTHER", "new-0-extent": "full"}, "new-0-instrument", "Choose one of"),
        ({"new-0-instrument": "ACT"}, "new-0-extent", "This field is required."),
        ({"new-0-extent": "partial"}, "new-0-instrument", "This field is required."),
        ({"new-0-instrument": "ACT", "new-0-extent": "most"}, "new-0-extent", "Choose one of"),
        ({"new-0-instrument": "ACT", "new-0-extent": "full", "new-0-articles": "x" * 501},
         "new-0-articles", "at most 500"),
        ({"new-0-instrument": "ACT", "new-0-extent": "full", "new-0-articles": "Art.\x00 1"},
         "new-0-articles", "control characters"),
    ],
)
def test_new_link_validation(client, checklist_world, session, make_instrument, staff,
                             change, field, message):
    (p1, _p2, _p3), act = checklist_world
    other = make_instrument(staff.rwa, title="Rwandan law")
    ids = {"ACT": str(act.id), "OTHER": str(other.id)}
    data = _checklist_data(client)
    for key, value in change.items():
        data[f"p{p1.id}-{key}"] = ids.get(value, value)
    response = client.post("/en/manage/countries/ZMB", data=data)
    assert response.status_code == 422
    assert f'href="#p{p1.id}-{field}"' in response.text and message in response.text
    if "new-0-articles" in change and "x" in change["new-0-articles"]:
        assert "x" * 501 in response.text  # what was typed is kept
    assert session.exec(select(Coverage)).first() is None


def test_checklist_conflict_keeps_input(client, checklist_world, session, engine):
    (p1, _p2, _p3), _act = checklist_world
    data = _checklist_data(client)
    # Someone else creates the row for p1 after the page was loaded.
    with Session(engine) as other, write.transaction(other):
        changes.create(
            other,
            Coverage(
                country_id=p1.id and _act.country_id,
                provision_id=p1.id,
                implementation=Implementation.ENFORCED,
            ),
            changes.Actor("b@example.org"),
        )
    data[f"p{p1.id}-implementation"] = "initiated"
    data[f"p{p1.id}-evidence"] = "My evidence"
    response = client.post("/en/manage/countries/ZMB", data=data)
    assert response.status_code == 409
    assert "My evidence" in response.text
    assert "enforced" in response.text  # what the other person set
    session.rollback()
    assert session.exec(select(Coverage)).one().implementation is Implementation.ENFORCED


# --- administration -----------------------------------------------------------------------------


def test_admin_adds_a_fourth_country_that_appears_on_the_overview(
    client, sign_in, staff, session, make_country
):
    make_country(iso3="PRY", iso2="PY", languages="es gn")
    sign_in(staff.admin)
    # The alpha-3 code alone: MW follows from MWI. Languages are picked from lists.
    data = {
        "iso3": "mwi",
        "languages-0-language": "en",
        "languages-1-language": "ny",
        "joined_on": "2026-01-15",
    }
    response = client.post("/en/manage/countries/new", data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/manage/countries/MWI"
    country = session.exec(select(Country).where(Country.iso3 == "MWI")).one()
    assert country.iso2 == "MW"
    assert country.languages == "en ny" and country.joined_on == date(2026, 1, 15)
    assert len(session.exec(select(Country)).all()) == 4
    assert "Malawi" in client.get("/en/").text
    assert client.get("/en/manage/countries/MWI").status_code == 200


def test_the_country_form_asks_only_for_the_alpha_3_code(client, sign_in, staff):
    sign_in(staff.admin)
    page = client.get("/en/manage/countries/new").text
    assert 'name="iso3"' in page and 'name="iso2"' not in page
    # Each language is a list in the reader's language: Nyanja among them, by its English name.
    assert '<option value="ny">Nyanja</option>' in page
    assert page.count(">Main language</label>") == 1 and page.count(">Other language</label>") == 3
    french = client.get("/fr/manage/countries/new").text
    assert '<option value="de">allemand</option>' in french


def test_a_country_without_picked_languages_gets_its_official_languages(
    client, sign_in, staff, session
):
    sign_in(staff.admin)
    response = client.post("/en/manage/countries/new", data={"iso3": "KEN"})
    assert response.status_code == 303
    country = session.exec(select(Country).where(Country.iso3 == "KEN")).one()
    # CLDR lists Swahili and English as Kenya's official languages.
    assert (country.iso2, country.languages) == ("KE", "sw en")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"iso3": "XXX"}, "No country has the ISO 3166 alpha-3 code XXX."),
        ({"iso3": "M1"}, "Enter an ISO 3166 alpha-3 country code, such as MWI."),
        ({"iso3": "ZMB"}, "already in the project"),
        ({"languages-1-language": "klingon"}, "Choose a language from the list."),
        ({"iso3": "ATA", "languages-0-language": ""}, "CLDR lists no official language"),
        ({"joined_on": "soon"}, "“soon” is not a date. Write the year"),
    ],
)
def test_country_validation(client, sign_in, staff, overrides, message):
    sign_in(staff.admin)
    data = {"iso3": "MWI", "languages-0-language": "en", **overrides}
    response = client.post("/en/manage/countries/new", data=data)
    assert response.status_code == 422
    assert message in response.text


def test_admin_manages_users(client, sign_in, staff, session):
    sign_in(staff.admin)
    data = {
        "email": "New.Editor@example.org",
        "role": "editor",
        "country": "RWA",
        "password": "long enough password",
    }
    assert client.post("/en/manage/users/new", data=data).status_code == 303
    session.rollback()
    user = session.exec(select(User).where(User.email == "new.editor@example.org")).one()
    assert user.country_id == staff.rwa.id and user.role is Role.EDITOR

    response = client.post("/en/manage/users/new", data={**data, "password": "short"})
    assert response.status_code == 422 and "Use at least 12 characters." in response.text
    response = client.post("/en/manage/users/new", data={**data, "country": ""})
    assert response.status_code == 422 and "An editor needs a country." in response.text
    response = client.post("/en/manage/users/new", data={**data, "email": "not-an-email"})
    assert response.status_code == 422 and "name@example.org" in response.text
    response = client.post("/en/manage/users/new", data=data)
    assert response.status_code == 422 and "already exists" in response.text

    edit = f"/en/manage/users/{user.id}/edit"
    data = {"role": "editor", "country": "ZMB", "is_active": "", "version": "1"}
    assert client.post(edit, data=data).status_code == 303
    session.rollback()
    user = session.get(User, user.id)
    assert user.country_id == staff.zmb.id and not user.is_active

    old_hash = user.password_hash
    response = client.post(
        f"/en/manage/users/{user.id}/password",
        data={"password": "another long password", "version": "2"},
    )
    assert response.status_code == 303
    session.rollback()
    assert session.get(User, user.id).password_hash != old_hash
    # History never holds a password hash.
    for record in session.exec(select(ChangeRecord).where(ChangeRecord.entity == "user_account")):
        for state in (record.before or {}, record.after or {}):
            assert not str(state.get("password_hash", "")).startswith("$argon2")


def test_an_admin_cannot_lock_themselves_out(client, sign_in, staff):
    sign_in(staff.admin)
    response = client.post(
        f"/en/manage/users/{staff.admin.id}/edit",
        data={"role": "editor", "country": "ZMB", "is_active": "y", "version": "1"},
    )
    assert response.status_code == 422


def test_admin_edits_the_checklist(client, sign_in, staff, session, make_checklist):
    make_checklist(n=4)
    sign_in(staff.admin)
    p1, p2 = session.exec(
        select(Provision)
        .where(Provision.code.in_(["AAA-01", "AAA-03"]))
        .order_by(Provision.position)
    ).all()
    category = str(p1.category_id)

    data = {
        "code": "aaa-09",
        "category": category,
        "level": "core",
        "title": "Take-back",
        "guidance": "Retailers take back old equipment.",
    }
    assert client.post("/en/manage/checklist/new", data=data).status_code == 303
    session.rollback()
    new = session.exec(select(Provision).where(Provision.code == "AAA-09")).one()
    assert new.position == 4
    assert client.post("/en/manage/checklist/new", data=data).status_code == 422  # duplicate

    # Move p2 (second in its category) up.
    response = client.post(
        f"/en/manage/checklist/provisions/{p2.id}/move", data={"direction": "up", "version": "1"}
    )
    assert response.status_code == 303
    session.rollback()
    assert session.get(Provision, p2.id).position < session.get(Provision, p1.id).position

    response = client.post(
        f"/en/manage/checklist/provisions/{p1.id}/retire",
        data={"version": str(session.get(Provision, p1.id).version)},
    )
    assert response.status_code == 303
    session.rollback()
    assert session.get(Provision, p1.id).retired

    response = client.post(
        f"/en/manage/checklist/provisions/{p1.id}/texts/fr",
        data={
            "title": "Reprise des équipements",
            "guidance": "Les détaillants reprennent…",
            "version": str(session.get(Provision, p1.id).version),
        },
    )
    assert response.status_code == 303
    session.rollback()
    text = session.exec(select(ProvisionText).where(ProvisionText.locale == "fr")).one()
    assert text.title == "Reprise des équipements"
    assert client.get(f"/en/manage/checklist/provisions/{p1.id}/texts/xx-!").status_code == 404

    response = client.post(
        f"/en/manage/checklist/provisions/{p1.id}/edit",
        data={"category": category, "level": "recommended", "gem_indicator": "epr", "version": "1"},
    )
    assert response.status_code == 409  # the provision is at a later version now
    session.rollback()
    version = str(session.get(Provision, p1.id).version)
    response = client.post(
        f"/en/manage/checklist/provisions/{p1.id}/edit",
        data={
            "category": category,
            "level": "recommended",
            "gem_indicator": "epr",
            "version": version,
        },
    )
    assert response.status_code == 303
    session.rollback()
    assert session.get(Provision, p1.id).gem_indicator.value == "epr"


def test_saving_the_demo_checklist_unchanged_writes_nothing(
    client, demo_data, session, sign_in, password_hash
):
    admin = User(email="a@example.org", password_hash=password_hash, role=Role.ADMIN)
    session.add(admin)
    session.commit()
    sign_in(admin)
    response = client.post("/en/manage/countries/ZMB", data=_checklist_data(client))
    assert response.status_code == 303
    session.rollback()
    # Only the demo data's own records (``flask demo load`` writes history too).
    assert {r.actor for r in session.exec(select(ChangeRecord))} == {"demo data"}


@pytest.mark.parametrize("locale", ["en-abcdefgh-abcdefg", "zh-Hans-CN-abcdefgh"])
def test_a_provision_text_in_a_language_tag_too_long_to_store_is_not_found(
    client, sign_in, staff, session, make_checklist, locale
):
    make_checklist(n=1)
    provision = session.exec(select(Provision)).one()
    sign_in(staff.admin)
    url = f"/en/manage/checklist/provisions/{provision.id}/texts/{locale}"
    assert client.get(url).status_code == 404
    response = client.post(url, data={"title": "T", "guidance": "G", "version": "1"})
    assert response.status_code == 404
    session.expire_all()
    assert {t.locale for t in session.get(Provision, provision.id).texts} == {"en"}
