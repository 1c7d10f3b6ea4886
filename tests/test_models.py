from datetime import UTC

import pytest
import sqlalchemy as sa

from tracker.models import (
    ChecklistVersion,
    Coverage,
    Instrument,
    InstrumentRelation,
    InstrumentStatus,
    Provision,
    RelationKind,
    Role,
    User,
)


def _raw_insert(engine, table, **values):
    with engine.begin() as conn:
        conn.execute(sa.insert(table).values(**values))


def test_one_coverage_row_per_country_and_provision(
    session, make_country, make_checklist, make_coverage
):
    country = make_country()
    make_checklist(n=1)
    provision = session.scalars(sa.select(Provision)).first()
    make_coverage(country, provision)
    session.add(Coverage(country_id=country.id, provision_id=provision.id))
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()


def test_provision_codes_are_unique_within_a_checklist(session, make_checklist):
    checklist = make_checklist(n=1)
    existing = session.scalars(sa.select(Provision)).first()
    session.add(
        Provision(checklist_id=checklist.id, category_id=existing.category_id, code=existing.code)
    )
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()


def test_only_one_checklist_version_is_current(session, make_checklist):
    make_checklist(code="2025.1", current=True)
    session.add(ChecklistVersion(code="2026.1", title="Next", is_current=True))
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()


@pytest.mark.parametrize("iso3, iso2", [("zmb", "ZM"), ("ZM", "ZM"), ("ZMBX", "ZX"), ("ZMB", "z")])
def test_country_codes_must_be_upper_case_iso_shapes(engine, iso3, iso2):
    from tracker.models import Country

    # PostgreSQL refuses an over-long value as DataError before it checks constraints.
    with pytest.raises((sa.exc.IntegrityError, sa.exc.DataError)):
        _raw_insert(
            engine,
            Country.__table__,
            iso3=iso3,
            iso2=iso2,
            languages="",
            version=1,
            created_at=sa.func.now(),
            updated_at=sa.func.now(),
        )


def test_unknown_status_code_is_refused_by_the_database(engine, make_country):
    country = make_country()
    # Plain SQL, bypassing the ORM's own check, to show the CHECK constraint holds by itself.
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO instrument (country_id, type, title, title_lang, status, version,"
                " created_at, updated_at) VALUES (:c, 'act', 'x', 'en', 'almost_law', 1,"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"c": country.id},
        )


def test_unknown_code_is_refused_before_reaching_the_database(session, make_country):
    country = make_country()
    session.add(
        Instrument(
            country_id=country.id, type="act", title="x", title_lang="en", status="almost_law"
        )
    )
    with pytest.raises(sa.exc.StatementError):
        session.commit()


def test_codes_load_back_as_enum_members_with_labels(app, session, make_instrument):
    inst = make_instrument(status=InstrumentStatus.PUBLIC_CONSULTATION)
    session.expire_all()
    loaded = session.get(Instrument, inst.id)
    assert loaded.status is InstrumentStatus.PUBLIC_CONSULTATION
    with app.test_request_context("/en/"):
        assert str(loaded.status.label) == "Public consultation"


def test_not_applicable_needs_a_reason(session, make_country, make_checklist):
    country = make_country()
    make_checklist(n=1)
    provision = session.scalars(sa.select(Provision)).first()
    session.add(Coverage(country_id=country.id, provision_id=provision.id, applicable=False))
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()


def test_an_editor_needs_a_country(session):
    session.add(User(email="e@example.org", password_hash="x", role=Role.EDITOR))
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()


def test_an_instrument_cannot_relate_to_itself(session, make_instrument):
    inst = make_instrument()
    session.add(
        InstrumentRelation(instrument_id=inst.id, target_id=inst.id, kind=RelationKind.AMENDS)
    )
    with pytest.raises(sa.exc.IntegrityError):
        session.commit()


def test_a_draft_fully_covering_beside_an_act_partly_covering_is_expressible(
    session, make_country, make_checklist, make_instrument, make_coverage
):
    country = make_country()
    make_checklist(n=1)
    provision = session.scalars(sa.select(Provision)).first()
    act = make_instrument(country, title="Act", status=InstrumentStatus.IN_FORCE)
    draft = make_instrument(country, title="Draft", status=InstrumentStatus.DRAFTING)
    cov = make_coverage(country, provision, links=[(act, "partial", "s. 58"), (draft, "full")])
    session.expire_all()
    links = session.get(Coverage, cov.id).links
    assert [(link.instrument_id, link.extent.value) for link in links] == [
        (act.id, "partial"),
        (draft.id, "full"),
    ]


def test_unicode_text_round_trips_unchanged(session, make_instrument):
    titles = [
        "قانون إدارة النفايات الإلكترونية",
        "电子废物管理条例",
        "Itegeko ry’ibidukikije",
        "Léi Ñe’ẽ mbo’e",
        "Ley N° 3956/2009 «Gestión»",
    ]
    ids = [make_instrument(title=t, title_lang="und").id for t in titles]
    session.expire_all()
    assert [session.get(Instrument, i).title for i in ids] == titles


def test_timestamps_are_aware_utc(session, make_instrument):
    inst = make_instrument()
    session.expire_all()
    assert session.get(Instrument, inst.id).created_at.tzinfo is not None
    assert session.get(Instrument, inst.id).created_at.utcoffset() == UTC.utcoffset(None)
