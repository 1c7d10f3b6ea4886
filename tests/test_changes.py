"""The one write path: versions, change records, lost-update refusal."""

import pytest
from sqlmodel import Session, select

from tracker import write
from tracker.codes import ChangeAction, Extent, InstrumentStatus, InstrumentType
from tracker.models import ChangeRecord, Coverage, CoverageLink, Instrument, Provision
from tracker.write import changes

ACTOR = changes.Actor(email="editor@example.org")


def test_create_records_history_in_the_same_transaction(session, make_country):
    country = make_country()
    inst = Instrument(country_id=country.id, type=InstrumentType.ACT, title="Act", title_lang="en",
                      status=InstrumentStatus.DRAFTING)
    changes.create(session, inst, ACTOR)
    record = session.exec(select(ChangeRecord)).one()
    assert record.action is ChangeAction.CREATE
    assert (record.entity, record.entity_id, record.country_id) == ("instrument", inst.id, country.id)
    assert record.before is None and record.after["title"] == "Act"
    assert record.actor == "editor@example.org"


def test_update_bumps_version_and_records_before_and_after(session, make_instrument):
    inst = make_instrument(status=InstrumentStatus.DRAFTING)
    assert changes.update(session, inst, ACTOR, {"status": InstrumentStatus.ADOPTED},
                          expected_version=1)
    session.expire_all()
    assert session.get(Instrument, inst.id).version == 2
    record = session.exec(select(ChangeRecord)).one()
    assert record.before["status"] == "drafting" and record.after["status"] == "adopted"
    assert record.after["version"] == 2


def test_an_update_that_changes_nothing_writes_nothing(session, make_instrument):
    inst = make_instrument()
    assert not changes.update(session, inst, ACTOR, {"title": inst.title}, expected_version=1)
    assert session.exec(select(ChangeRecord)).first() is None
    assert session.get(Instrument, inst.id).version == 1


def test_saving_over_a_newer_version_is_refused(engine, session, make_instrument):
    inst = make_instrument(title="Original")
    # Two people load version 1; the first saves.
    with Session(engine) as first, write.transaction(first):
        changes.update(first, first.get(Instrument, inst.id), ACTOR, {"title": "First"},
                       expected_version=1)
    # The second saves with the version their form was loaded with.
    with Session(engine) as second:
        with pytest.raises(changes.StaleVersion) as info, write.transaction(second):
            changes.update(second, second.get(Instrument, inst.id), ACTOR, {"title": "Second"},
                           expected_version=1)
        assert info.value.current["title"] == "First"  # read while its session is open
    session.expire_all()
    assert session.get(Instrument, inst.id).title == "First"
    assert len(session.exec(select(ChangeRecord)).all()) == 1


def test_a_concurrent_save_between_load_and_write_is_refused(engine, session, make_instrument):
    inst = make_instrument(title="Original")
    with Session(engine, expire_on_commit=False) as slow:
        loaded = slow.get(Instrument, inst.id)  # the slow request loads version 1 ...
        slow.commit()
        with Session(engine) as fast, write.transaction(fast):  # ... another saves in between ...
            changes.update(fast, fast.get(Instrument, inst.id), ACTOR, {"title": "Fast"},
                           expected_version=1)
        # ... and the slow one still holds version 1 in memory: the conditional UPDATE refuses.
        assert loaded.version == 1
        with pytest.raises(changes.StaleVersion) as info, write.transaction(slow):
            changes.update(slow, loaded, ACTOR, {"title": "Slow"}, expected_version=1)
        # Rolled back: the exception shows the record as stored now.
        assert info.value.current["title"] == "Fast"
        assert info.value.record.version == 2
    session.expire_all()
    assert session.get(Instrument, inst.id).title == "Fast"


def test_delete_keeps_the_last_state_in_history(session, make_instrument):
    inst = make_instrument(title="Gone")
    changes.delete(session, inst, ACTOR, expected_version=1)
    assert session.get(Instrument, inst.id) is None
    record = session.exec(select(ChangeRecord)).one()
    assert record.action is ChangeAction.DELETE and record.before["title"] == "Gone"


def test_coverage_snapshot_includes_its_links(session, make_country, make_checklist,
                                              make_instrument, make_coverage):
    country = make_country()
    make_checklist(n=1)
    provision = session.exec(select(Provision)).first()
    act = make_instrument(country)
    cov = make_coverage(country, provision)

    def add_link(c: Coverage) -> None:
        c.links.append(CoverageLink(instrument_id=act.id, extent=Extent.FULL, articles="Art. 5"))

    changes.update(session, cov, ACTOR, add_link, expected_version=1)
    record = session.exec(select(ChangeRecord)).one()
    assert record.before["links"] == []
    assert record.after["links"] == [
        {"instrument_id": act.id, "extent": "full", "articles": "Art. 5"}]


def test_an_update_of_a_record_deleted_meanwhile_is_refused_as_gone(engine, session,
                                                                      make_instrument):
    inst_id = make_instrument(title="Original").id
    with Session(engine, expire_on_commit=False) as slow:
        loaded = slow.get(Instrument, inst_id)  # the slow request loads the instrument ...
        slow.commit()
        with Session(engine) as fast, write.transaction(fast):  # ... someone deletes it ...
            changes.delete(fast, fast.get(Instrument, inst_id), ACTOR, expected_version=1)
        # ... and the slow save finds it gone: a clear refusal, not an ORM error from autoflush.
        with pytest.raises(changes.RecordGone), write.transaction(slow):
            changes.update(slow, loaded, ACTOR, {"title": "Slow"}, expected_version=1)
    session.expire_all()
    assert session.get(Instrument, inst_id) is None
    assert [r.action for r in session.exec(select(ChangeRecord)).all()] == [ChangeAction.DELETE]


def test_deleting_a_record_deleted_meanwhile_is_refused_as_gone(engine, session, make_instrument):
    inst = make_instrument(title="Original")
    with Session(engine, expire_on_commit=False) as slow:
        loaded = slow.get(Instrument, inst.id)
        slow.commit()
        with Session(engine) as fast, write.transaction(fast):
            changes.delete(fast, fast.get(Instrument, inst.id), ACTOR, expected_version=1)
        with pytest.raises(changes.RecordGone), write.transaction(slow):
            changes.delete(slow, loaded, ACTOR, expected_version=1)
    assert len(session.exec(select(ChangeRecord)).all()) == 1


def test_changing_links_of_a_judgement_changed_meanwhile_is_a_stale_version(
    engine, session, make_country, make_checklist, make_instrument, make_coverage
):
    country = make_country()
    make_checklist(n=1)
    provision = session.exec(select(Provision)).first()
    act = make_instrument(country)
    cov = make_coverage(country, provision, links=[(act, "partial", "Art. 1")])
    with Session(engine, expire_on_commit=False) as slow:
        loaded = slow.get(Coverage, cov.id)
        assert len(loaded.links) == 1
        slow.commit()
        # Someone removes the link (and bumps the version).
        with Session(engine) as fast, write.transaction(fast):
            changes.update(fast, fast.get(Coverage, cov.id), ACTOR,
                           lambda c: c.links.clear(), expected_version=1)

        def edit(c: Coverage) -> None:
            c.links[0].articles = "Art. 2"

        with pytest.raises(changes.StaleVersion), write.transaction(slow):
            changes.update(slow, loaded, ACTOR, edit, expected_version=1)


def test_write_functions_only_flush_and_the_transaction_commits_once(engine, session,
                                                                     make_instrument):
    inst_id = make_instrument(title="Before").id
    with Session(engine) as other:
        changes.update(other, other.get(Instrument, inst_id), ACTOR, {"title": "Never"},
                       expected_version=1)
    # Closed without ``write.transaction``: nothing was committed.
    session.expire_all()
    assert session.get(Instrument, inst_id).title == "Before"
    assert session.exec(select(ChangeRecord)).first() is None
    session.rollback()  # end this read, so the next one sees the other session's commit
    with Session(engine) as other, write.transaction(other):
        changes.update(other, other.get(Instrument, inst_id), ACTOR, {"title": "After"},
                       expected_version=1)
    assert session.get(Instrument, inst_id).title == "After"
    assert len(session.exec(select(ChangeRecord)).all()) == 1


def test_a_refused_change_rolls_back_the_whole_transaction(engine, session, make_instrument):
    first = make_instrument(title="First")
    second = make_instrument(title="Second")
    with Session(engine) as other:
        with pytest.raises(changes.StaleVersion), write.transaction(other):
            changes.update(other, other.get(Instrument, first.id), ACTOR, {"year": 1999},
                           expected_version=1)
            changes.update(other, other.get(Instrument, second.id), ACTOR, {"year": 1999},
                           expected_version=7)
    session.expire_all()
    assert [i.year for i in session.exec(select(Instrument).order_by(Instrument.id))] == [2024, 2024]
    assert session.exec(select(ChangeRecord)).first() is None


def test_a_no_op_update_keeps_the_other_changes_of_its_transaction(engine, session,
                                                                   make_instrument):
    first = make_instrument(title="First")
    second = make_instrument(title="Second")
    with Session(engine) as other, write.transaction(other):
        assert changes.update(other, other.get(Instrument, first.id), ACTOR, {"year": 1999},
                              expected_version=1)
        assert not changes.update(other, other.get(Instrument, second.id), ACTOR,
                                  {"title": "Second"}, expected_version=1)
    session.expire_all()
    assert session.get(Instrument, first.id).year == 1999
    assert [r.entity_id for r in session.exec(select(ChangeRecord))] == [first.id]


def test_transactions_do_not_nest(session):
    with write.transaction(session):
        with pytest.raises(RuntimeError), write.transaction(session):
            pass
