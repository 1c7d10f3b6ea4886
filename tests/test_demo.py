"""The demo data: real checklist, countries, instruments and milestones, loaded idempotently."""

import shutil

import sqlalchemy as sa
from sqlmodel import select

from tracker import demo
from tracker.codes import ChangeAction, Level
from tracker.models import (
    ChangeRecord,
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


def test_each_demo_instrument_says_whether_it_is_specific_to_e_waste(demo_data):
    """Decided from each instrument's title, summary and sources (tracker/data/countries)."""
    specific = {i.title: i.ewaste_specific for i in demo_data.exec(select(Instrument)).all()}
    for title in (
        "Environmental Management (E-Waste Management) Regulations, 2024",
        "Regulation n°002 of 26/4/2018 Governing E-Waste Management in Rwanda",
        "National E-Waste Management Policy for Rwanda",
        "Reglamento para la gestión post-consumo de AEE",
    ):
        assert specific[title] is True, title
    for title in (
        "Environmental Management Act, 2011",  # a framework act
        "Law N°48/2018 of 13/08/2018 on Environment",
        "Ley N° 3956/2009 de Gestión Integral de los Residuos Sólidos en la República del Paraguay",
        "Ley N° 5882/2017 de Gestión Integral de Pilas y Baterías de Uso Doméstico",
        "Environmental Management (Extended Producer Responsibility) Regulations, 2018",
    ):
        assert specific[title] is False, title
    assert any(t.startswith("Law N°17/2019") and not v for t, v in specific.items())  # plastics


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


# --- history: the demo data goes through the write path ------------------------------------------


def _records(session, **where):
    query = select(ChangeRecord)
    for name, value in where.items():
        query = query.where(getattr(ChangeRecord, name) == value)
    return session.exec(query.order_by(ChangeRecord.id)).all()


def test_loading_records_every_created_row_under_the_demo_data_actor(demo_data):
    records = _records(demo_data)
    assert records and {(r.actor, r.user_id) for r in records} == {("demo data", None)}
    assert {r.action for r in records} == {ChangeAction.CREATE}
    for model in (ChecklistVersion, Provision, Country, Instrument, InstrumentRelation, Milestone,
                  Coverage):
        ids = set(demo_data.exec(select(model.id)).all())
        assert ids, model.__tablename__
        assert {r.entity_id for r in records if r.entity == model.__tablename__} == ids
    # Owned rows travel in their owner's record.
    zmb = demo_data.exec(select(Country).where(Country.iso3 == "ZMB")).one()
    coverage = demo_data.exec(
        select(Coverage).where(Coverage.country_id == zmb.id, Coverage.applicable)
    ).first()
    (record,) = _records(demo_data, entity="coverage", entity_id=coverage.id)
    assert record.country_id == zmb.id
    assert record.after["links"] == [
        {"instrument_id": link.instrument_id, "extent": link.extent.value,
         "articles": link.articles}
        for link in sorted(coverage.links, key=lambda link: link.instrument_id)
    ]


def test_reloading_unchanged_files_records_nothing(demo_data):
    count = len(_records(demo_data))
    demo.load(demo_data)
    assert len(_records(demo_data)) == count


def test_a_refresh_records_what_it_changed_and_bumps_only_those_versions(demo_data, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(demo.DATA_DIR, data_dir)
    pry = data_dir / "countries" / "PRY.yaml"
    text = pry.read_text(encoding="utf-8")
    assert text.count("    year: 1990\n") == 1
    pry.write_text(text.replace("    year: 1990\n", "    year: 1991\n"), encoding="utf-8")
    before = len(_records(demo_data))
    demo.load(demo_data, data_dir)
    demo_data.expire_all()
    (record,) = _records(demo_data)[before:]
    assert (record.action, record.entity, record.actor) == (ChangeAction.UPDATE, "instrument",
                                                           "demo data")
    assert (record.before["year"], record.after["year"]) == (1990, 1991)
    assert (record.before["version"], record.after["version"]) == (1, 2)
    instrument = demo_data.get(Instrument, record.entity_id)
    assert (instrument.year, instrument.version) == (1991, 2)
    assert demo_data.exec(select(sa.func.max(Instrument.version))).one() == 2
    assert demo_data.exec(select(sa.func.max(Coverage.version))).one() == 1


def test_the_history_page_names_the_demo_data(client, demo_data, sign_in, make_user):
    sign_in(make_user())
    page = client.get("/en/manage/history?entity=checklist_version").text
    assert "1 change" in page
    assert '<span class="system-actor">Demo data</span>' in page
    assert "Checklist version" in page
    fr = client.get("/fr/manage/history?entity=checklist_version").text
    assert '<span class="system-actor">Données de démonstration</span>' in fr
