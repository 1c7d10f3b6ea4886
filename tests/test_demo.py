"""The demo data: real checklist, countries, instruments and milestones, loaded idempotently."""

import sqlalchemy as sa
from sqlmodel import select

from tracker import demo
from tracker.codes import Level
from tracker.models import (
    ChecklistVersion,
    Country,
    Coverage,
    CoverageLink,
    Instrument,
    InstrumentRelation,
    Milestone,
    Provision,
    ProvisionText,
)

TABLES = (
    Country,
    ChecklistVersion,
    Provision,
    ProvisionText,
    Instrument,
    InstrumentRelation,
    Milestone,
    Coverage,
    CoverageLink,
)


def snapshot(session) -> dict:
    """Every row of the demo tables as plain tuples, ignoring timestamps."""
    out = {}
    for model in TABLES:
        cols = [c for c in model.__table__.columns if c.name not in ("created_at", "updated_at")]
        out[model.__tablename__] = sorted(
            tuple(str(v) for v in row) for row in session.execute(sa.select(*cols)).all()
        )
    return out


def test_checklist_has_every_provision_of_version_2025_1(demo_data):
    checklist = demo_data.exec(select(ChecklistVersion).where(ChecklistVersion.is_current)).one()
    assert checklist.code == "2025.1"
    provisions = demo_data.exec(select(Provision).order_by(Provision.position)).all()
    assert len(provisions) == 39
    assert sum(p.level is Level.CORE for p in provisions) == 19
    assert {p.code for p in provisions if p.gem_indicator} == {
        "SCOPE-01",
        "EPR-01",
        "COLL-03",
        "COLL-04",
    }
    assert all(
        any(t.locale == "en" and t.title and t.guidance for t in p.texts) for p in provisions
    )


def test_three_countries_with_real_instruments_and_milestones(demo_data):
    countries = {c.iso3: c for c in demo_data.exec(select(Country)).all()}
    assert set(countries) == {"ZMB", "RWA", "PRY"}
    titles = {i.title for i in demo_data.exec(select(Instrument)).all()}
    assert any("E-Waste Management" in t for t in titles)
    assert any("3956/2009" in t for t in titles)
    assert any("002" in t and "2018" in t for t in titles)
    for country in countries.values():
        count = demo_data.exec(
            select(sa.func.count()).select_from(Milestone).where(Milestone.country_id == country.id)
        ).one()
        assert count >= 1, country.iso3
    assert all(
        i.url is None or i.url.startswith(("http://", "https://"))
        for i in demo_data.exec(select(Instrument)).all()
    )


def test_demo_coverage_is_marked_as_example(demo_data):
    coverage = demo_data.exec(select(Coverage)).all()
    assert coverage
    assert all(c.is_example for c in coverage)


def test_loading_twice_gives_the_same_data(demo_data):
    before = snapshot(demo_data)
    demo.load(demo_data)
    demo_data.expire_all()
    assert snapshot(demo_data) == before


def test_reload_keeps_judgements_staff_have_made(demo_data):
    cov = demo_data.exec(select(Coverage)).first()
    cov.is_example = False
    cov.evidence = "Checked by the ministry."
    demo_data.commit()
    demo.load(demo_data)
    demo_data.expire_all()
    assert demo_data.get(Coverage, cov.id).evidence == "Checked by the ministry."


def test_cli_demo_load_if_empty(runner, session):
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "loaded" in result.output
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "already has data" in result.output
    assert len(session.exec(select(Country)).all()) == 3
