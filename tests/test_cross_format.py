"""The same figures in every format: country page, overview, countries.csv, coverage.csv, API.

For each country, every format a reader can use is scraped for what it shows (the three figures
overall and per category, the level of every provision, the four monitor indicators, the stage
and the milestone counts) and compared with expected values that do not come from the read
layer: worked out by hand for a synthetic country built to hit every rule, and for the demo
countries scored from their records by ``tests/expected.py``.

The stage is on the two pages only (countries.csv and the API have no stage column or field);
the per-category figures on the country page and in the API; the levels on the country page,
in coverage.csv and in the API's country detail.
"""

import csv
import html as html_lib
import io
import re
from dataclasses import dataclass
from datetime import date

import pytest
from babel.numbers import format_percent
from expected import expected_progress
from sqlmodel import select

from tracker.codes import (
    Extent,
    GemIndicator,
    Implementation,
    InstrumentStatus,
    InstrumentType,
    Level,
    MilestoneKind,
    MilestoneStatus,
)
from tracker.models import (
    Category,
    CategoryName,
    ChecklistVersion,
    Country,
    Coverage,
    CoverageLink,
    Instrument,
    Milestone,
    Provision,
    ProvisionText,
)

# The English labels the pages print (written out here, not read from the code).
STAGE_LABELS = {
    None: "Not started",
    "planned": "Planned",
    "drafting": "Drafting",
    "public_consultation": "Public consultation",
    "validated": "Validated",
    "adopted": "Adopted",
    "in_force": "In force",
}
GEM_LABELS = {
    "National e-waste legislation": "national_legislation",
    "Extended producer responsibility": "epr",
    "Collection target": "collection_target",
    "Recycling target": "recycling_target",
}
TAG_LEVELS = {"tag-full": "full", "tag-partial": "partial", "tag-none": "none",
              "tag-na": "not_applicable"}  # fmt: skip
KINDS = ("in_force", "with_drafts", "implementation")


@dataclass
class Expected:
    overall: tuple  # (in force, including drafts, implementation), shares 0..1
    categories: dict  # category code -> the same three shares
    applicable: tuple  # (provisions applicable, provisions judged not applicable)
    levels: dict  # provision code -> (level in force, level including drafts)
    gem: dict  # indicator code -> bool
    stage: str | None
    milestones: tuple  # (done, total without cancelled ones)


# --- reading every format -----------------------------------------------------------------------


def text_of(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def pct(value) -> str:
    return "n/a" if value is None else format_percent(value, locale="en")


def csv_rows(client, url) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, url
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))


def check_country_page(client, iso3: str, want: Expected) -> str:
    page = client.get(f"/en/countries/{iso3}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    meters = re.findall(r'<strong class="meter-value">([^<]*)</strong>', html)[:3]
    assert [html_lib.unescape(m) for m in meters] == [pct(v) for v in want.overall], iso3
    categories = {
        code: tuple(html_lib.unescape(v) for v in values)
        for code, *values in re.findall(
            r'<tr><th scope="row"><a href="#cat-([^"]+)">.*?</a></th><td class="num">([^<]*)</td>'
            r'<td class="num">([^<]*)</td><td class="num">([^<]*)</td>',
            html,
        )
    }
    assert categories == {c: tuple(pct(v) for v in f) for c, f in want.categories.items()}, iso3
    levels = {
        code: (TAG_LEVELS[in_force], TAG_LEVELS[drafts])
        for code, in_force, drafts in re.findall(
            r'<a href="/en/checklist/([^"]+)" class="code">.*?</th>\s*'
            r'<td data-label="In force"><span class="tag (tag-[a-z]+)">.*?</td>\s*'
            r'<td data-label="Including drafts"><span class="tag (tag-[a-z]+)">',
            html,
            flags=re.S,
        )
    }
    assert levels == want.levels, iso3
    monitor = re.search(r'<table class="monitor-table stack">(.*?)</table>', html, flags=re.S)[1]
    gem = {
        GEM_LABELS[text_of(label)]: "tag-full" in derived
        for label, derived in re.findall(
            r'<th scope="row">(.*?)</th>\s*<td data-label="Derived from this record">(.*?)</td>',
            monitor,
            flags=re.S,
        )
    }
    assert gem == want.gem, iso3
    stage = re.search(r"<dt>Stage</dt><dd>(.*?)</dd>", html, flags=re.S)[1]
    assert text_of(stage).endswith(STAGE_LABELS[want.stage]), iso3
    done = re.search(r"<dt>Milestones done</dt><dd>(.*?)</dd>", html, flags=re.S)[1]
    assert text_of(done) == "{} of {}".format(*want.milestones), iso3
    return html


def check_overview(overview: str, iso3: str, want: Expected) -> None:
    row = re.search(rf'href="/en/countries/{iso3}".*?</tr>', overview, flags=re.S)[0]
    cells = re.findall(r'<td class="num" data-sort="([^"]*)">([^<]*)<svg', row)
    assert [float(key) for key, _text in cells] == pytest.approx(
        [-1 if v is None else v for v in want.overall], abs=1e-12
    ), iso3
    assert [html_lib.unescape(t) for _key, t in cells] == [pct(v) for v in want.overall], iso3
    tds = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
    assert text_of(tds[3]).endswith(STAGE_LABELS[want.stage]), iso3
    assert text_of(tds[4]) == "{} of {}".format(*want.milestones), iso3


def check_countries_csv(row: dict, want: Expected) -> None:
    iso3 = row["iso3"]
    got = [row["legal_in_force"], row["legal_with_drafts"], row["implementation"]]
    assert got == ["" if v is None else f"{v:.4f}" for v in want.overall], iso3
    assert (int(row["provisions_applicable"]), int(row["provisions_not_applicable"])) == (
        want.applicable
    )
    assert {code: row[f"gem_{code}"] == "true" for code in want.gem} == want.gem, iso3
    assert (int(row["milestones_done"]), int(row["milestones_total"])) == want.milestones, iso3


def check_coverage_csv(rows: list[dict], iso3: str, want: Expected) -> None:
    mine = [r for r in rows if r["country_iso3"] == iso3]
    levels = {}
    for r in mine:
        if r["applicable"] == "false":
            assert r["legal_in_force"] == r["legal_with_drafts"] == "", (iso3, r)
            levels[r["provision_code"]] = ("not_applicable", "not_applicable")
        else:
            levels[r["provision_code"]] = (r["legal_in_force"], r["legal_with_drafts"])
    assert [r["provision_code"] for r in mine] == list(want.levels), iso3
    assert levels == want.levels, iso3


def rounded(values) -> dict:
    return dict(zip(("legal_in_force", "legal_with_drafts", "implementation"),
                    (None if v is None else round(v, 4) for v in values), strict=True))  # fmt: skip


def check_api(summary: dict, detail: dict, want: Expected) -> None:
    iso3 = summary["iso3"]
    for body in (summary, detail):
        progress = body["progress"]
        overall = dict(progress["overall"])
        applicable = (overall.pop("provisions_applicable"), overall.pop("provisions_not_applicable"))
        assert overall == rounded(want.overall), iso3
        assert applicable == want.applicable, iso3
        categories = {
            code: {k: v for k, v in f.items() if not k.startswith("provisions_")}
            for code, f in progress["categories"].items()
        }
        assert categories == {c: rounded(f) for c, f in want.categories.items()}, iso3
        assert progress["gem"] == want.gem, iso3
        counts = body["counts"]
        assert (counts["milestones_done"], counts["milestones_total"]) == want.milestones, iso3
    levels = {
        c["provision_code"]: (c["legal_in_force"] or "not_applicable",
                              c["legal_with_drafts"] or "not_applicable")
        for c in detail["coverage"]
    }  # fmt: skip
    assert levels == want.levels, iso3
    for c in detail["coverage"]:
        assert (c["legal_in_force"] is None) is (not c["applicable"]), (iso3, c)


def check_every_format(client, wanted: dict[str, Expected]) -> dict[str, str]:
    """Compare every format with the expected values of each country; the country pages."""
    overview = client.get("/en/").get_data(as_text=True)
    countries_csv = {r["iso3"]: r for r in csv_rows(client, "/exports/countries.csv")}
    coverage_csv = csv_rows(client, "/exports/coverage.csv")
    api_list = {c["iso3"]: c for c in client.get("/api/v1/countries").get_json()["countries"]}
    assert sorted(countries_csv) == sorted(api_list) == sorted(wanted)
    pages = {}
    for iso3, want in wanted.items():
        pages[iso3] = check_country_page(client, iso3, want)
        check_overview(overview, iso3, want)
        check_countries_csv(countries_csv[iso3], want)
        check_coverage_csv(coverage_csv, iso3, want)
        check_api(api_list[iso3], client.get(f"/api/v1/countries/{iso3}").get_json(), want)
    return pages


# --- a synthetic country, worked out by hand ----------------------------------------------------


def build_synthetic(session) -> None:
    """Malawi against a checklist of seven provisions in two categories.

    Instruments: an amended act (counts as in force), a bill in drafting, a repealed act and
    adopted regulations. Provisions (core weighs 2, recommended 1):
      LAW-01 core, national legislation: act fully; operational
      LAW-02 core, EPR: act partly, bill fully; initiated
      LAW-03 recommended: not applicable
      LAW-04 core, retired: act fully (not scored)
      EPR-01 core, collection target: only the repealed act, fully; enforced
      EPR-02 recommended, recycling target: nobody has judged it
      EPR-03 core: regulations partly; initiated
    Milestones: two done, one cancelled, one delayed (date passed), one planned without a date,
    one in progress far in the future.
    """
    checklist = ChecklistVersion(code="X.1", title="Synthetic checklist", is_current=True)
    session.add(checklist)
    session.flush()
    categories = {}
    for position, (code, name) in enumerate(
        (("LAW", "Legal basis"), ("EPR", "Producer responsibility")), start=1
    ):
        category = Category(checklist_id=checklist.id, code=code, position=position)
        category.names.append(CategoryName(locale="en", name=name))
        session.add(category)
        categories[code] = category
    session.flush()
    provisions = {}
    spec = [
        ("LAW-01", Level.CORE, GemIndicator.NATIONAL_LEGISLATION, False),
        ("LAW-02", Level.CORE, GemIndicator.EPR, False),
        ("LAW-03", Level.RECOMMENDED, None, False),
        ("LAW-04", Level.CORE, None, True),
        ("EPR-01", Level.CORE, GemIndicator.COLLECTION_TARGET, False),
        ("EPR-02", Level.RECOMMENDED, GemIndicator.RECYCLING_TARGET, False),
        ("EPR-03", Level.CORE, None, False),
    ]
    for position, (code, level, gem, retired) in enumerate(spec, start=1):
        provision = Provision(
            checklist_id=checklist.id,
            category_id=categories[code[:3]].id,
            code=code,
            level=level,
            gem_indicator=gem,
            position=position,
            retired=retired,
        )
        provision.texts.append(ProvisionText(locale="en", title=f"Provision {code}", guidance="G."))
        session.add(provision)
        provisions[code] = provision
    country = Country(iso3="MWI", iso2="MW", joined_on=date(2024, 1, 1), languages="en")
    session.add(country)
    session.flush()

    def instrument(title, status, year):
        inst = Instrument(
            country_id=country.id,
            type=InstrumentType.ACT,
            title=title,
            title_lang="en",
            status=status,
            year=year,
        )
        session.add(inst)
        session.flush()
        return inst

    act = instrument("Environment Act", InstrumentStatus.AMENDED, 2010)
    bill = instrument("E-waste Bill", InstrumentStatus.DRAFTING, 2025)
    repealed = instrument("Old Waste Act", InstrumentStatus.REPEALED, 1990)
    regulations = instrument("E-waste Regulations", InstrumentStatus.ADOPTED, 2024)

    def judge(code, links=(), **values):
        cov = Coverage(country_id=country.id, provision_id=provisions[code].id, **values)
        for inst, extent in links:
            cov.links.append(CoverageLink(instrument_id=inst.id, extent=extent))
        session.add(cov)

    full, partial = Extent.FULL, Extent.PARTIAL
    judge("LAW-01", [(act, full)], implementation=Implementation.OPERATIONAL)
    judge("LAW-02", [(act, partial), (bill, full)], implementation=Implementation.INITIATED)
    judge("LAW-03", applicable=False, not_applicable_reason="No such industry.")
    judge("LAW-04", [(act, full)], implementation=Implementation.ENFORCED)
    judge("EPR-01", [(repealed, full)], implementation=Implementation.ENFORCED)
    judge("EPR-03", [(regulations, partial)], implementation=Implementation.INITIATED)
    for title, status, planned in [
        ("Inception", MilestoneStatus.DONE, date(2024, 1, 10)),
        ("Baseline", MilestoneStatus.DONE, date(2024, 5, 1)),
        ("Dropped workshop", MilestoneStatus.CANCELLED, date(2024, 3, 1)),
        ("Validation", MilestoneStatus.DELAYED, date(2024, 6, 1)),
        ("Adoption", MilestoneStatus.PLANNED, None),
        ("Launch", MilestoneStatus.IN_PROGRESS, date(2099, 1, 1)),
    ]:
        session.add(
            Milestone(
                country_id=country.id,
                kind=MilestoneKind.OTHER,
                title=title,
                status=status,
                planned_on=planned,
            )
        )
    session.commit()


# Worked out by hand from build_synthetic's docstring. Scores: fully 1, partly 0.5; in force
# counts adopted, in force and amended instruments; drafts count all but repealed ones;
# implementation none 0, initiated 1/3, operational 2/3, enforced 1.
# Applicable: LAW-01 (2), LAW-02 (2), EPR-01 (2), EPR-02 (1), EPR-03 (2); weight 9.
# LAW-03 is not applicable; LAW-04 is retired.
#   in force:       LAW-01 2x1 + LAW-02 2x0.5 + EPR-01 2x0 + EPR-02 0 + EPR-03 2x0.5 = 4    -> 4/9
#   with drafts:    2x1 + 2x1 (the bill) + 2x0 (repealed) + 0 + 2x0.5               = 5    -> 5/9
#   implementation: 2x2/3 + 2x1/3 + 2x1 + 1x0 + 2x1/3 = 4/3 + 2/3 + 2 + 2/3         = 14/3 -> 14/27
# LAW (weight 4): in force (2 + 1)/4 = 3/4; drafts (2 + 2)/4 = 1; implementation (4/3 + 2/3)/4 = 1/2
# EPR (weight 5): in force (0 + 0 + 1)/5 = 1/5; drafts 1/5; implementation (2 + 0 + 2/3)/5 = 8/15
# Monitor: national legislation no (no instrument is specific to e-waste: the amended act is a
#   general one, whatever LAW-01 says); EPR no (in force only partly); collection target no (only
#   a repealed act); recycling target no (not judged).
# Stage: amended act -> in force (the furthest of in force, drafting, adopted; repealed ignored).
# Milestones: 2 done of 6 - 1 cancelled = 5.
SYNTHETIC = Expected(
    overall=(4 / 9, 5 / 9, 14 / 27),
    categories={"LAW": (3 / 4, 1.0, 1 / 2), "EPR": (1 / 5, 1 / 5, 8 / 15)},
    applicable=(5, 1),
    levels={
        "LAW-01": ("full", "full"),
        "LAW-02": ("partial", "full"),
        "LAW-03": ("not_applicable", "not_applicable"),
        "EPR-01": ("none", "none"),
        "EPR-02": ("none", "none"),
        "EPR-03": ("partial", "partial"),
    },
    gem={
        "national_legislation": False,
        "epr": False,
        "collection_target": False,
        "recycling_target": False,
    },
    stage="in_force",
    milestones=(2, 5),
)


def test_a_synthetic_country_shows_the_hand_computed_figures_everywhere(client, session):
    build_synthetic(session)
    page = check_every_format(client, {"MWI": SYNTHETIC})["MWI"]
    overdue = re.findall(r'<li class="milestone milestone-[a-z_]+ overdue">(.*?)</li>', page, re.S)
    assert [text_of(item) for item in overdue] and all("Validation" in text_of(item)
                                                        for item in overdue)  # fmt: skip
    assert len(overdue) == 1  # the cancelled, undated, done and future ones are not overdue


# --- the demo countries -------------------------------------------------------------------------


def expected_for(session, iso3: str) -> Expected:
    """What each format must show for a demo country: its records scored by tests/expected.py,
    and its milestones counted (cancelled ones are not part of the plan)."""
    progress = expected_progress(session, iso3)
    country = session.exec(select(Country).where(Country.iso3 == iso3)).one()
    statuses = session.exec(select(Milestone.status).where(Milestone.country_id == country.id)).all()
    done = sum(1 for s in statuses if s is MilestoneStatus.DONE)
    total = sum(1 for s in statuses if s is not MilestoneStatus.CANCELLED)

    def level(score, applicable):
        if not applicable:
            return "not_applicable"
        return "full" if score == 1 else "partial" if score > 0 else "none"

    return Expected(
        overall=tuple(getattr(progress.overall, k) for k in KINDS),
        categories={c: tuple(getattr(f, k) for k in KINDS) for c, f in progress.categories.items()},
        applicable=(progress.overall.applicable, progress.overall.not_applicable),
        levels={
            s.code: (level(s.in_force, s.applicable), level(s.with_drafts, s.applicable))
            for s in progress.provisions
        },
        gem={g.value: v for g, v in progress.gem.items()},
        stage=progress.stage.value if progress.stage else None,
        milestones=(done, total),
    )


def test_every_demo_country_shows_the_same_figures_everywhere(client, demo_data, make_milestone):
    zambia = demo_data.exec(select(Country).where(Country.iso3 == "ZMB")).one()
    make_milestone(zambia, title="Dropped", status=MilestoneStatus.CANCELLED)
    iso3s = sorted(demo_data.exec(select(Country.iso3)).all())
    assert iso3s == ["PRY", "RWA", "ZMB"]
    check_every_format(client, {iso3: expected_for(demo_data, iso3) for iso3 in iso3s})
