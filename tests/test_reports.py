"""The read models behind the public pages (called directly, no request)."""

from datetime import date

import pytest
from sqlmodel import select

from tracker import scoring as progress
from tracker.codes import (
    Extent,
    GemIndicator,
    Implementation,
    InstrumentStatus,
)
from tracker.models import Instrument, Provision
from tracker.read import pages as reports
from tracker.read.loaders import StageRow
from tracker.read.texts import InstrumentName, Localized, pick_text

ZAMBIA_REGS = "Environmental Management (E-Waste Management) Regulations, 2024"


# --- pure helpers ----------------------------------------------------------------------------------


def test_pick_text_prefers_the_readers_locale_then_its_language_then_english():
    texts = {"en": "Scope", "fr": "Champ", "pt_BR": "Escopo"}
    assert pick_text(texts, "fr") == Localized("Champ", "fr", False)
    assert pick_text(texts, "pt_BR") == Localized("Escopo", "pt_BR", False)
    assert pick_text(texts, "fr_CA") == Localized("Champ", "fr", False)
    assert pick_text(texts, "de") == Localized("Scope", "en", True)
    assert pick_text({"es": "Alcance"}, "de") == Localized("Alcance", "es", True)
    assert pick_text({}, "en") is None
    assert str(pick_text(texts, "en")) == "Scope"


def test_stage_is_the_furthest_lifecycle_status():
    S = InstrumentStatus

    def stage(*statuses):
        return progress.stage(StageRow(status, True) for status in statuses)

    assert stage() is None
    assert stage(S.DRAFTING, S.VALIDATED, S.PLANNED) is S.VALIDATED
    assert stage(S.ADOPTED, S.DRAFTING) is S.ADOPTED
    assert stage(S.AMENDED, S.ADOPTED) is S.IN_FORCE
    assert stage(S.REPEALED) is None
    assert stage(S.REPEALED, S.PUBLIC_CONSULTATION) is S.PUBLIC_CONSULTATION


def test_methodology_report_is_the_documented_example():
    report = reports.methodology_report()
    assert report.weights == progress.WEIGHTS
    assert report.example_result.overall.in_force == pytest.approx(0.4)
    assert report.example_result.overall.with_drafts == pytest.approx(0.6)
    assert InstrumentStatus.AMENDED in report.in_force_statuses
    assert InstrumentStatus.REPEALED not in report.with_drafts_statuses


# --- with the demo data ---------------------------------------------------------------------------


def figures_of(figures) -> dict:
    return {k: getattr(figures, k) for k in ("in_force", "with_drafts", "implementation")}


def test_overview_report_figures_worked_out_by_hand(session, scored_country):
    [row] = reports.overview_report(session).countries
    assert row.country.name == "Kenya"
    assert figures_of(row.figures) == pytest.approx(scored_country.overall)
    assert row.stage is None  # an act in force, but not one specific to e-waste
    assert (row.milestones_done, row.milestones_planned) == (1, 2)
    assert row.instruments == 3
    assert not row.has_example


def test_overview_report_of_the_demo_data(demo_data):
    report = reports.overview_report(demo_data)
    by_iso3 = {row.country.iso3: row for row in report.countries}
    assert [row.country.name for row in report.countries] == ["Paraguay", "Rwanda", "Zambia"]
    zambia = by_iso3["ZMB"]
    # its e-waste-specific instruments: the 2024 E-Waste Regulations and the 2016 ZEMA-ZICTA
    # memorandum, both adopted (no entry into force found); the acts in force are general
    assert zambia.stage is InstrumentStatus.ADOPTED
    assert by_iso3["PRY"].stage is InstrumentStatus.DRAFTING  # two e-waste drafts, no e-waste law
    assert by_iso3["RWA"].stage is InstrumentStatus.IN_FORCE  # RURA's 2018 e-waste regulation
    # Project steps only (tracker/data/countries/*.yaml, read by hand): Zambia's ITU assistance
    # from 2023; Paraguay's two October 2024 consultations done and the adoption planned;
    # Rwanda's ten items are all context events (2017-2023 programmes, a press report).
    assert (zambia.milestones_done, zambia.milestones_planned) == (1, 1)
    assert (by_iso3["PRY"].milestones_done, by_iso3["PRY"].milestones_planned) == (2, 3)
    assert (by_iso3["RWA"].milestones_done, by_iso3["RWA"].milestones_planned) == (0, 0)
    # The project's own timeline (tracker/data/project.yaml): agreement, COP28, toolkit (undated
    # last), on no country's page.
    assert [m.title.text.split(" ")[:3] for m in report.project] == [
        ["ITU-CST", "project", "agreement"],
        ["ITU-CST", "e-waste", "regulations"],
        ["Second", "edition", "of"],
    ]
    assert zambia.instruments == 11
    assert zambia.has_example and report.has_example
    assert zambia.last_update is not None


def test_country_report_figures_worked_out_by_hand(session, scored_country):
    report = reports.country_report(session, "KEN", "en", today=date(2025, 1, 1))
    assert report.country.name == "Kenya"
    assert figures_of(report.overall) == pytest.approx(scored_country.overall)
    assert (report.overall.applicable, report.overall.not_applicable) == (3, 1)
    assert (report.overall.assessed, report.overall.provisions) == (4, 4)
    assert not report.overall.provisional
    assert {s.category.code: figures_of(s.figures) for s in report.categories} == {
        code: pytest.approx(expected) for code, expected in scored_country.categories.items()
    }
    rows = {r.provision.code: r for s in report.categories for r in s.rows}
    assert {code: (r.in_force, r.with_drafts) for code, r in rows.items() if r.applicable} == {
        "AAA-01": ("full", "full"),
        "BBB-02": ("none", "partial"),
        "AAA-03": ("partial", "partial"),
    }
    assert not rows["BBB-04"].applicable
    assert report.stage is None  # no instrument of the fixture is specific to e-waste
    # national legislation: the E-waste Act, specific to e-waste and in force; the other three
    # need a provision mapped to them, and the fixture maps none
    assert report.gem == dict.fromkeys(GemIndicator, False)


def test_country_report(demo_data):
    session = demo_data
    report = reports.country_report(session, "ZMB", "en", today=date(2025, 1, 1))
    assert report.country.name == "Zambia"
    assert sum(len(s.rows) for s in report.categories) == 39
    # EPR-01, the only provision mapped to the indicator, is covered only in part (below).
    assert report.gem[GemIndicator.EPR] is False
    rows = {r.provision.code: r for s in report.categories for r in s.rows}
    epr = rows["EPR-01"]
    # The 2011 Act, the 2018 EPR regulations and the EPR draft each address EPR-01 only in part.
    assert epr.in_force == "partial" and epr.is_example and epr.judged
    assert epr.implementation is Implementation.INITIATED
    assert [(link.extent, link.articles) for link in epr.links] == [
        (Extent.PARTIAL, "s. 58(1)"),
        (Extent.PARTIAL, None),
        (Extent.PARTIAL, None),
    ]
    assert not rows["SCOPE-02"].judged and rows["SCOPE-02"].in_force == "not_assessed"
    titles = [i.title.text for i in report.instruments]
    assert ZAMBIA_REGS in titles
    regs = next(i for i in report.instruments if i.title.text == ZAMBIA_REGS)
    assert regs.status is InstrumentStatus.ADOPTED and regs.provisions == 7
    assert report.milestones_done == 1  # its three context events are not counted
    assert [m.is_context for m in report.milestones].count(True) == 3
    assert report.has_example


def test_country_report_marks_overdue_milestones_against_today(
    session, make_country, make_milestone
):
    country = make_country(iso3="PRY", iso2="PY")
    make_milestone(country, title="Adoption", planned_on=date(2025, 12, 31))
    report = reports.country_report(session, "PRY", "en", today=date(2026, 1, 1))
    overdue = [m for m in report.milestones if m.is_overdue]
    assert [m.planned_on for m in overdue] == [date(2025, 12, 31)]
    earlier = reports.country_report(session, "PRY", "en", today=date(2025, 12, 31))
    assert not any(m.is_overdue for m in earlier.milestones)


def test_no_demo_milestone_is_ever_overdue(demo_data):
    # No source gives a planned date: Paraguay's "hasta diciembre del 2025" is a consultancy
    # deadline, so its planned adoption has no date and cannot turn overdue.
    for iso3 in ("ZMB", "RWA", "PRY"):
        report = reports.country_report(demo_data, iso3, "en", today=date(2100, 1, 1))
        assert not any(m.is_overdue for m in report.milestones), iso3


def test_unknown_things_are_none(demo_data):
    session = demo_data
    assert reports.country_report(session, "XYZ") is None
    assert reports.provision_report(session, "NOPE-01") is None
    assert reports.instrument_report(session, 987654) is None


def test_reports_pick_texts_in_the_readers_locale_with_english_fallback(demo_data):
    session = demo_data
    french = reports.country_report(session, "ZMB", "fr")
    row = french.categories[0].rows[0]
    assert row.provision.title.locale == "fr" and not row.provision.title.is_fallback
    assert french.country.name == "Zambie"
    # No German checklist: English, flagged as a fallback.
    german = reports.checklist_report(session, "de")
    title = german.categories[0].rows[0].provision.title
    assert title == Localized("Binding legal basis and objectives", "en", True)
    assert german.categories[0].category.name.is_fallback
    # Instrument titles: the original stays, in its language, with a translation beside it.
    law = "Ley N° 42/90"
    spanish = {
        i.original_title: i.title for i in reports.country_report(session, "PRY", "es").instruments
    }
    assert spanish[law] == InstrumentName(Localized(law, "es", False))
    english = {
        i.original_title: i.title for i in reports.country_report(session, "PRY", "en").instruments
    }
    assert english[law] == InstrumentName(
        Localized(law, "es", True), Localized("Law No. 42/90", "en", False)
    )
    german = {
        i.original_title: i.title for i in reports.country_report(session, "PRY", "de").instruments
    }
    assert german[law].translation == Localized("Law No. 42/90", "en", True)
    assert german[law].text == law


def test_checklist_report(demo_data):
    session = demo_data
    report = reports.checklist_report(session)
    assert report.provisions == 39
    assert [c.name for c in report.countries] == ["Paraguay", "Rwanda", "Zambia"]
    rows = {r.provision.code: r for s in report.categories for r in s.rows}
    zambia = rows["EPR-01"].cells[2]
    assert zambia.country.iso3 == "ZMB" and zambia.in_force == "partial" and zambia.is_example
    assert report.example_countries == {"PRY", "RWA", "ZMB"}


def test_provision_report(demo_data):
    session = demo_data
    report = reports.provision_report(session, "EPR-01")
    assert report.provision.code == "EPR-01"
    assert report.category.code == "EPR"
    assert report.provision.guidance is not None
    zambia = next(r.row for r in report.countries if r.country.iso3 == "ZMB")
    country = reports.country_report(session, "ZMB")
    same = next(r for s in country.categories for r in s.rows if r.provision.code == "EPR-01")
    assert zambia.score == same.score
    assert zambia.links == same.links


def test_instrument_report(demo_data):
    session = demo_data
    regs = session.exec(select(Instrument).where(Instrument.title == ZAMBIA_REGS)).one()
    report = reports.instrument_report(session, regs.id)
    assert report.country.iso3 == "ZMB"
    assert report.instrument.title.text == ZAMBIA_REGS
    codes = [p.provision.code for p in report.provisions]
    assert codes[0] == "SCOPE-01" and "ENF-02" in codes and len(codes) == 7
    assert report.has_example
    act = session.exec(
        select(Instrument).where(Instrument.title == "Environmental Management Act, 2011")
    ).one()
    parent = reports.instrument_report(session, act.id)
    incoming = [r for r in parent.relations if not r.outgoing]
    assert len(incoming) == 2 and all(r.kind.value == "made_under" for r in incoming)


def test_retired_provisions_are_left_out(demo_data):
    session = demo_data
    provision = session.exec(select(Provision).where(Provision.code == "SCOPE-02")).one()
    # The demo's publications freeze its checklist for the write path: a hand edit instead.
    table = Provision.__table__
    session.connection().execute(table.update().where(table.c.id == provision.id).values(retired=True))
    session.commit()
    session.expire_all()
    report = reports.checklist_report(session)
    assert report.provisions == 38
    assert "SCOPE-02" not in {r.provision.code for s in report.categories for r in s.rows}
