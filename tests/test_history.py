"""History: every write leaves a change record; the history page shows diffs; admins restore."""

import pytest
from sqlmodel import Session, select

from tracker import write
from tracker.codes import ChangeAction, InstrumentStatus
from tracker.models import ChangeRecord, Instrument, Milestone
from tracker.write import changes

NEW = "/en/manage/countries/ZMB/instruments/new"
DATA = {
    "title": "Environmental Management Act",
    "title_lang": "en",
    "type": "act",
    "status": "drafting",
    "year": "2011",
}


def _records(engine):
    with Session(engine) as s:
        return s.exec(select(ChangeRecord).order_by(ChangeRecord.id)).all()


def test_each_write_records_who_what_and_before_after(client, sign_in, staff, engine):
    sign_in(staff.editor_zmb)
    client.post(NEW, data=DATA)
    client.post("/en/manage/instruments/1/edit", data={**DATA, "status": "adopted", "version": "1"})
    client.post(
        "/en/manage/countries/ZMB/milestones/new",
        data={"title": "Inception", "kind": "inception", "status": "done"},
    )
    client.post("/en/manage/milestones/1/delete", data={"version": "1"})
    records = _records(engine)
    assert [(r.entity, r.action) for r in records] == [
        ("instrument", ChangeAction.CREATE),
        ("instrument", ChangeAction.UPDATE),
        ("milestone", ChangeAction.CREATE),
        ("milestone", ChangeAction.DELETE),
    ]
    assert all(r.actor == "editor.zmb@example.org" for r in records)
    assert all(r.user_id == staff.editor_zmb.id and r.country_id == staff.zmb.id for r in records)
    update = records[1]
    assert (update.before["status"], update.after["status"]) == ("drafting", "adopted")


def test_admin_writes_are_recorded_too(client, sign_in, staff, engine, make_checklist):
    make_checklist(n=1)
    sign_in(staff.admin)
    client.post("/en/manage/countries/new", data={"iso3": "MWI", "languages-0-language": "en"})
    client.post(
        "/en/manage/users/new",
        data={"email": "x@example.org", "role": "admin", "password": "long enough password"},
    )
    client.post("/en/manage/checklist/provisions/1/retire", data={"version": "1"})
    entities = [(r.entity, r.action.value) for r in _records(engine)]
    assert entities == [("country", "create"), ("user_account", "create"), ("provision", "update")]


def test_history_page_shows_a_field_by_field_diff(client, sign_in, staff):
    sign_in(staff.editor_zmb)
    client.post(NEW, data=DATA)
    client.post(
        "/en/manage/instruments/1/edit",
        data={**DATA, "status": "adopted", "title": "EMA № 12 of 2011", "version": "1"},
    )
    page = client.get("/en/manage/history").text
    assert "2 changes" in page
    assert "Changed" in page and "Created" in page
    assert '<th scope="row">Status</th>' in page
    # Coded values by their label, never the stored code.
    diff = page[page.index('<table class="diff">'):]
    assert ">Drafting<" in diff and ">Adopted<" in diff
    assert "drafting" not in diff and "adopted" not in diff
    assert "EMA № 12 of 2011" in page
    # The record by its name; bookkeeping (ids, versions) is not shown as a change.
    assert "Instrument: <bdi" in page and "EMA № 12 of 2011</bdi>" in page
    assert ">Version<" not in diff and "Country id" not in page


def test_a_judgement_reads_as_its_provision_and_its_links_as_lines(
    client, sign_in, staff, session, make_checklist, make_instrument
):
    from tracker.codes import Extent, Implementation
    from tracker.models import Coverage, CoverageLink, Provision

    make_checklist(n=2)
    provision = session.exec(select(Provision).where(Provision.code == "AAA-01")).one()
    act = make_instrument(staff.zmb, title="Environmental Management Act, 2011")
    coverage = Coverage(country_id=staff.zmb.id, provision_id=provision.id,
                        implementation=Implementation.INITIATED)
    coverage.links.append(CoverageLink(instrument_id=act.id, extent=Extent.PARTIAL,
                                       articles="s. 58(1)"))
    with write.transaction(session):
        changes.create(session, coverage, changes.Actor("editor.zmb@example.org"))
    sign_in(staff.editor_zmb)
    page = client.get("/en/manage/history").text
    assert "Checklist judgement: <bdi" in page and "AAA-01 Provision 1</bdi>" in page
    diff = page[page.index('<table class="diff">'):]
    assert "Environmental Management Act, 2011 · Partially · Articles: s. 58(1)" in diff
    assert ">Initiated<" in diff and "initiated" not in diff
    assert "instrument_id" not in diff and "{" not in diff
    assert "Provision id" not in page and "Country id" not in page
    assert "coverage " + str(coverage.id) not in page


def test_a_deleted_instrument_is_named_as_deleted_not_by_its_id(
    client, sign_in, staff, session, make_instrument
):
    act = make_instrument(staff.zmb, title="Soon gone")
    relation_target = make_instrument(staff.zmb, title="Parent act")
    from tracker.codes import RelationKind
    from tracker.models import InstrumentRelation

    with write.transaction(session):
        changes.create(
            session,
            InstrumentRelation(instrument_id=act.id, target_id=relation_target.id,
                               kind=RelationKind.MADE_UNDER),
            changes.Actor("editor.zmb@example.org"),
        )
    sign_in(staff.admin)
    page = client.get("/en/manage/history").text
    assert "Soon gone → Parent act" in page
    assert ">Made under<" in page


def test_history_filters_and_pages(client, sign_in, staff, session, make_instrument):
    rwa_inst = make_instrument(staff.rwa, title="Rwanda instrument")
    actor = changes.Actor("someone@example.org")
    with write.transaction(session):
        for i in range(30):
            changes.update(session, rwa_inst, actor, {"year": 1990 + i}, expected_version=None)
    zmb_inst = make_instrument(staff.zmb, title="Zambia instrument")
    with write.transaction(session):
        changes.update(
            session, zmb_inst, changes.Actor("other@example.org"), {"year": 2001},
            expected_version=None,
        )
    sign_in(staff.admin)
    page = client.get("/en/manage/history").text
    assert "31 changes" in page and "Page 1 of 2" in page
    assert "Older changes" in page
    page2 = client.get("/en/manage/history?page=2").text
    assert "Newer changes" in page2

    assert "1 change" in client.get("/en/manage/history?country=ZMB").text
    assert "30 changes" in client.get("/en/manage/history?country=RWA").text
    assert "1 change" in client.get("/en/manage/history?person=other@example.org").text
    page = client.get(f"/en/manage/history?entity=instrument&record={zmb_inst.id}").text
    assert "1 change" in page and "Zambia instrument" in page
    assert client.get("/en/manage/history?record=abc").status_code == 200


def test_admin_restores_a_deleted_record(client, sign_in, staff, engine):
    sign_in(staff.editor_zmb)
    client.post(NEW, data={**DATA, "title": "Règlement sur les DEEE", "in_force_on": "2020-01-01"})
    client.post("/en/manage/instruments/1/delete", data={"version": "1"})
    deletion = _records(engine)[-1]
    assert deletion.action is ChangeAction.DELETE

    assert client.get(f"/en/manage/history/{deletion.id}/restore").status_code == 403
    sign_in(staff.admin)
    assert "Restore this record" in client.get("/en/manage/history").text
    page = client.get(f"/en/manage/history/{deletion.id}/restore").text
    assert "Restore this record?" in page and "Règlement sur les DEEE" in page
    response = client.post(f"/en/manage/history/{deletion.id}/restore")
    assert response.status_code == 303
    with Session(engine) as s:
        inst = s.get(Instrument, 1)
        assert inst.title == "Règlement sur les DEEE" and inst.version == 2
        assert inst.status is InstrumentStatus.DRAFTING and inst.in_force_on.year == 2020
    assert _records(engine)[-1].action is ChangeAction.RESTORE
    # Restoring twice is refused.
    assert client.post(f"/en/manage/history/{deletion.id}/restore").status_code == 409
    # Only deletions can be restored.
    creation = _records(engine)[0]
    assert client.get(f"/en/manage/history/{creation.id}/restore").status_code == 404


def test_a_conflict_lists_exactly_what_changed_since_the_form_was_loaded(
    client, sign_in, staff, engine
):
    sign_in(staff.editor_zmb)
    client.post(
        "/en/manage/countries/ZMB/milestones/new",
        data={"title": "Inception", "kind": "inception", "status": "planned"},
    )
    with Session(engine) as other, write.transaction(other):
        changes.update(
            other,
            other.get(Milestone, 1),
            changes.Actor("b@example.org"),
            {"place": "Lusaka"},
            expected_version=1,
        )
    response = client.post(
        "/en/manage/milestones/1/edit",
        data={"title": "Inception mission", "kind": "inception", "status": "done", "version": "1"},
    )
    assert response.status_code == 409
    conflict = response.text.split('id="conflict-title"')[1].split("</table>")[0]
    assert "Place" in conflict and "Lusaka" in conflict
    assert "Title" not in conflict  # only the other person's change is listed


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("record=99999999999999999999", False),
        ("record=2147483648", False),
        ("page=99999999999999999999", True),  # past the end: the last page
        ("page=2147483648&entity=instrument", True),
    ],
)
def test_out_of_range_history_filters_are_not_a_server_error(
    client, sign_in, staff, session, make_instrument, query, shown
):
    inst = make_instrument(staff.zmb, title="Zambia instrument")
    with write.transaction(session):
        changes.update(
            session, inst, changes.Actor("a@example.org"), {"year": 2001}, expected_version=1
        )
    sign_in(staff.admin)
    response = client.get(f"/en/manage/history?{query}")
    assert response.status_code == 200
    assert ("Zambia instrument" in response.text) is shown
    assert ("No changes match." in response.text) is not shown


def test_a_restored_judgement_cites_no_other_countrys_instrument(
    client, sign_in, staff, session, engine, make_checklist, make_instrument
):
    """SQLite gives a new row the highest id again: after a Zambian act and the judgement citing
    it are deleted, a Rwandan instrument may take the act's id. Restoring the judgement must not
    make Zambia's record cite Rwanda's law."""
    from tracker.codes import Extent
    from tracker.models import Coverage, CoverageLink, Provision

    make_checklist(n=2)
    provision = session.exec(select(Provision).where(Provision.code == "AAA-01")).one()
    act = make_instrument(staff.zmb, title="Zambian act")
    actor = changes.Actor("editor.zmb@example.org")
    coverage = Coverage(country_id=staff.zmb.id, provision_id=provision.id)
    coverage.links.append(CoverageLink(instrument_id=act.id, extent=Extent.FULL, articles="s. 3"))
    with write.transaction(session):
        changes.create(session, coverage, actor)
    act_id, coverage_id = act.id, coverage.id
    with write.transaction(session):
        changes.delete(session, coverage, actor, expected_version=None)
    deletion = _records(engine)[-1]
    assert deletion.action is ChangeAction.DELETE and deletion.entity_id == coverage_id
    with write.transaction(session):
        changes.delete(session, session.get(Instrument, act_id), actor, expected_version=None)
    make_instrument(staff.rwa, id=act_id, title="Rwandan law")

    sign_in(staff.admin)
    assert client.post(f"/en/manage/history/{deletion.id}/restore").status_code == 303
    with Session(engine) as s:
        restored = s.get(Coverage, coverage_id)
        assert restored is not None and restored.country_id == staff.zmb.id
        assert restored.links == []
    export = client.get("/en/manage/export/coverage.csv?country=ZMB")
    assert export.status_code == 200
    assert "AAA-01" in export.text and "Rwandan law" not in export.text
