"""An instrument's relations to other instruments and its translated titles, edited on their own
pages (issue 13, "forms for everything the record holds"): the same version and history rules as
every other edit, with clear messages and a confirmation before anything is removed."""

import re

import pytest
from sqlmodel import select

from tracker.codes import InstrumentStatus, RelationKind
from tracker.models import ChangeRecord, Instrument, InstrumentRelation, InstrumentTitle


@pytest.fixture
def acts(staff, make_instrument):
    """Zambia's framework act and a regulation made under it, and a Rwandan law."""
    act = make_instrument(
        staff.zmb, title="Environmental Management Act", year=2011, type="act"
    )
    regs = make_instrument(staff.zmb, title="Extended Producer Responsibility Regulations")
    rwandan = make_instrument(staff.rwa, title="Law on Environment", year=2018, type="act")
    return act, regs, rwandan


def _fresh(session) -> None:
    """Forget what the test's session holds: the app wrote since (expire_on_commit is off)."""
    session.rollback()
    session.expire_all()


def _relations(session, inst_id):
    _fresh(session)
    return [
        (r.kind, r.target_id)
        for r in session.exec(
            select(InstrumentRelation).where(InstrumentRelation.instrument_id == inst_id)
        ).all()
    ]


def test_an_editor_adds_a_relation_and_history_says_it_in_words(
    client, sign_in, staff, session, acts
):
    act, regs, rwandan = acts
    sign_in(staff.editor_zmb)
    page = client.get(f"/en/manage/instruments/{regs.id}/relations/new").text
    # The other instruments of Zambia, each with its whole title, year and status; not itself,
    # not Rwanda's.
    assert "Environmental Management Act, 2011 (In force)" in page
    assert "Law on Environment" not in page
    assert f'<option value="{regs.id}"' not in page

    response = client.post(
        f"/en/manage/instruments/{regs.id}/relations/new",
        data={"kind": "made_under", "target": str(act.id), "version": "1"},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/en/manage/instruments/{regs.id}/edit#relations"
    assert _relations(session, regs.id) == [(RelationKind.MADE_UNDER, act.id)]
    assert session.get(Instrument, regs.id).version == 2

    # The instrument's page lists it; the act's page lists it among those related to the act.
    page = client.get(f"/en/manage/instruments/{regs.id}/edit").text
    assert re.search(r"<dt>Made under</dt>\s*<dd dir=\"auto\">Environmental Management Act, "
                     r"<span class=\"nowrap\">2011</span>", page)
    act_page = client.get(f"/en/manage/instruments/{act.id}/edit").text
    assert "Extended Producer Responsibility Regulations</a> — Made under" in act_page

    history = client.get("/en/manage/history").text
    assert "Relations with other instruments" in history
    assert "Made under: Environmental Management Act" in history


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("self", "An instrument cannot be related to itself."),
        ("rwandan", "Choose another instrument of the same country."),
        ("", "Choose the other instrument."),
        ("abc", "Choose one of the options."),
    ],
)
def test_a_relation_that_makes_no_sense_is_refused_with_a_message(
    client, sign_in, staff, session, acts, target, message
):
    act, regs, rwandan = acts
    value = {"self": str(regs.id), "rwandan": str(rwandan.id)}.get(target, target)
    sign_in(staff.editor_zmb)
    response = client.post(
        f"/en/manage/instruments/{regs.id}/relations/new",
        data={"kind": "amends", "target": value, "version": "1"},
    )
    assert response.status_code == 422
    assert message in response.text
    assert _relations(session, regs.id) == []


def test_the_same_relation_twice_is_refused(client, sign_in, staff, session, acts):
    act, regs, _rwandan = acts
    sign_in(staff.editor_zmb)
    data = {"kind": "made_under", "target": str(act.id), "version": "1"}
    url = f"/en/manage/instruments/{regs.id}/relations/new"
    assert client.post(url, data=data).status_code == 303
    response = client.post(url, data={**data, "version": "2"})
    assert response.status_code == 422
    assert "This relation is recorded already." in response.text
    # Another kind of relation to the same act is fine.
    assert client.post(url, data={**data, "kind": "amends", "version": "2"}).status_code == 303
    assert sorted(_relations(session, regs.id)) == [
        (RelationKind.AMENDS, act.id), (RelationKind.MADE_UNDER, act.id)
    ]


def test_a_stale_page_does_not_add_a_relation(client, sign_in, staff, session, acts):
    act, regs, _rwandan = acts
    sign_in(staff.editor_zmb)
    fields = {"title": regs.title, "title_lang": "en", "type": "regulation", "status": "in_force"}
    edit = f"/en/manage/instruments/{regs.id}/edit"
    assert client.post(edit, data={**fields, "number": "SI 1", "version": "1"}).status_code == 303
    # The relation page is opened at version 2; then someone saves the instrument again.
    assert 'name="version" type="hidden" value="2"' in client.get(
        f"/en/manage/instruments/{regs.id}/relations/new"
    ).text
    changed = {**fields, "number": "SI 1", "status": "adopted", "version": "2"}
    assert client.post(edit, data=changed).status_code == 303
    response = client.post(
        f"/en/manage/instruments/{regs.id}/relations/new",
        data={"kind": "made_under", "target": str(act.id), "version": "2"},
    )
    assert response.status_code == 409
    assert "Someone else saved this record" in response.text
    assert re.search(r"<th scope=\"row\">Status</th><td[^>]*>Adopted</td>", response.text)
    assert _relations(session, regs.id) == []
    # Saved again from the refreshed page, it is added.
    response = client.post(
        f"/en/manage/instruments/{regs.id}/relations/new",
        data={"kind": "made_under", "target": str(act.id), "version": "3"},
    )
    assert response.status_code == 303
    assert _relations(session, regs.id) == [(RelationKind.MADE_UNDER, act.id)]


def test_an_editor_of_another_country_cannot_touch_the_relations(
    client, sign_in, staff, acts
):
    _act, regs, _rwandan = acts
    sign_in(staff.editor_rwa)
    assert client.get(f"/en/manage/instruments/{regs.id}/relations/new").status_code == 403


def test_removing_a_relation_asks_first(client, sign_in, staff, session, acts):
    act, regs, _rwandan = acts
    regs.relations.append(InstrumentRelation(kind=RelationKind.REPEALS, target_id=act.id))
    session.commit()
    rel_id = regs.relations[0].id
    sign_in(staff.editor_zmb)
    edit = client.get(f"/en/manage/instruments/{regs.id}/edit").text
    url = f"/en/manage/instruments/{regs.id}/relations/{rel_id}/remove"
    assert f'href="{url}"' in edit  # a link to a page, not a button that posts at once

    page = client.get(url)
    assert page.status_code == 200
    assert "Remove this relation?" in page.text
    assert "Repeals" in page.text and "Environmental Management Act" in page.text
    assert _relations(session, regs.id) == [(RelationKind.REPEALS, act.id)]

    assert client.post(url, data={"version": "0"}).status_code == 409
    assert _relations(session, regs.id) == [(RelationKind.REPEALS, act.id)]
    response = client.post(url, data={"version": "1"})
    assert response.status_code == 303
    assert _relations(session, regs.id) == []
    record = session.exec(select(ChangeRecord).order_by(ChangeRecord.id.desc())).first()
    assert (record.entity, record.entity_id) == ("instrument", regs.id)
    assert record.before["relations"] == [{"kind": "repeals", "target_id": act.id}]
    assert "relations" not in record.after
    # Gone now: the page says so with a 404.
    assert client.get(url).status_code == 404


def test_a_deleted_instrument_comes_back_with_its_relations(
    client, sign_in, staff, session, acts
):
    act, regs, _rwandan = acts
    regs.relations.append(InstrumentRelation(kind=RelationKind.MADE_UNDER, target_id=act.id))
    session.commit()
    regs_id, act_id = regs.id, act.id
    sign_in(staff.admin)
    assert client.post(
        f"/en/manage/instruments/{regs_id}/delete", data={"version": "1"}
    ).status_code == 303
    assert _relations(session, regs_id) == []
    deletion = session.exec(select(ChangeRecord).where(ChangeRecord.action == "delete")).one()
    assert client.post(f"/en/manage/history/{deletion.id}/restore").status_code == 303
    assert _relations(session, regs_id) == [(RelationKind.MADE_UNDER, act_id)]


# --- translated titles -------------------------------------------------------------------------


def _titles(session, inst_id):
    _fresh(session)
    return {
        t.locale: t.title
        for t in session.exec(
            select(InstrumentTitle).where(InstrumentTitle.instrument_id == inst_id)
        ).all()
    }


def test_an_editor_adds_changes_and_removes_a_translated_title(
    client, sign_in, staff, session, acts
):
    act, _regs, _rwandan = acts
    sign_in(staff.editor_zmb)
    base = f"/en/manage/instruments/{act.id}/titles"
    page = client.get(f"{base}/new").text
    # The language is picked from a list named in the reader's language: the interface's
    # languages first, then every other language CLDR knows.
    assert '<optgroup label="Suggested">' in page
    assert '<option value="fr">French</option>' in page
    assert '<option value="ny">Nyanja</option>' in page

    response = client.post(
        f"{base}/new", data={"locale": "fr", "title": "Loi sur la gestion de l'environnement",
                             "version": "1"},
    )
    assert response.status_code == 303
    assert _titles(session, act.id) == {"fr": "Loi sur la gestion de l'environnement"}
    edit = client.get(f"/en/manage/instruments/{act.id}/edit").text
    assert "Loi sur la gestion de l&#39;environnement" in edit

    assert client.post(
        f"{base}/fr/edit", data={"title": "Loi sur l'environnement", "version": "2"}
    ).status_code == 303
    assert _titles(session, act.id) == {"fr": "Loi sur l'environnement"}
    history = client.get("/en/manage/history").text
    assert "French: Loi sur l&#39;environnement" in history

    confirm = client.get(f"{base}/fr/remove")
    assert confirm.status_code == 200 and "Remove the title in French?" in confirm.text
    assert _titles(session, act.id) == {"fr": "Loi sur l'environnement"}
    assert client.post(f"{base}/fr/remove", data={"version": "3"}).status_code == 303
    assert _titles(session, act.id) == {}
    assert client.get(f"{base}/fr/edit").status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"locale": "en", "title": "x"}, "This is the language of the original title"),
        ({"locale": "fr", "title": "Autre"}, "has a title in this language already"),
        ({"locale": "xx-Klingon", "title": "x"}, "Choose a language from the list."),
        ({"locale": "", "title": "x"}, "Choose the language of this title."),
        ({"locale": "es", "title": ""}, "Enter the title."),
    ],
)
def test_a_translated_title_that_cannot_be_is_refused(
    client, sign_in, staff, session, acts, data, message
):
    act, _regs, _rwandan = acts
    act.titles.append(InstrumentTitle(locale="fr", title="Loi"))
    session.commit()
    sign_in(staff.editor_zmb)
    response = client.post(
        f"/en/manage/instruments/{act.id}/titles/new", data={**data, "version": "1"}
    )
    assert response.status_code == 422
    assert message in response.text
    assert _titles(session, act.id) == {"fr": "Loi"}


def test_the_language_of_the_title_is_picked_from_a_list(client, sign_in, staff, session, acts):
    act, _regs, _rwandan = acts
    sign_in(staff.editor_rwa)
    page = client.get("/en/manage/countries/RWA/instruments/new").text
    field = page[page.index('name="title_lang"'):]
    field = field[: field.index("</select>")]
    suggested = field[field.index('<optgroup label="Suggested">'):field.index("</optgroup>")]
    # Rwanda's languages first (rw en fr), then the other interface languages.
    values = re.findall(r'value="([^"]+)"', suggested)
    assert values[:3] == ["rw", "en", "fr"] and set(values) >= {"es", "ar", "ru", "zh", "gn"}
    assert 'selected value="rw"' in field  # the country's main language by default
    # In Arabic, the names are Arabic.
    arabic = client.get("/ar/manage/countries/RWA/instruments/new").text
    assert '<option value="fr">الفرنسية</option>' in arabic

    data = {"title": "Itegeko", "title_lang": "tlh", "type": "act", "status": "drafting"}
    response = client.post("/en/manage/countries/RWA/instruments/new", data=data)
    assert response.status_code == 422
    assert "Choose a language from the list." in response.text
    response = client.post(
        "/en/manage/countries/RWA/instruments/new", data={**data, "title_lang": "rw"}
    )
    assert response.status_code == 303
    _fresh(session)
    created = session.exec(select(Instrument).where(Instrument.title == "Itegeko")).one()
    assert created.title_lang == "rw" and created.status is InstrumentStatus.DRAFTING
