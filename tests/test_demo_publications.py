"""The demo's example publications (issue 12): three per country, so the progress chart and
``?as_of=`` show something real. The rule (tracker/data/SCHEMA.md, "Example publications"):

    #1  31 January 2025  judgements of the checklist's first 3 categories; instruments and
                         milestones dated on or before that day
    #2  30 June 2025     judgements of the first 6 categories; dated on or before that day
    #3  as loaded        everything

Expected values are worked out here from the YAML files, not from the loader. By hand for Zambia
#1 (checklist weights: core 2, recommended 1; 19 core + 20 recommended = 58): its judgements are
SCOPE-01, SCOPE-04, GOV-01, GOV-02, EPR-01, EPR-02 and EPR-03 (7). In force, EPR-01 and EPR-02
(core) are each partly covered by an instrument in force: 2 x 0.5 + 2 x 0.5 = 2, 2 / 58 = 0.0345.
Including drafts SCOPE-01 is fully covered by the adopted 2024 regulations (2), SCOPE-04, GOV-01,
EPR-01 and EPR-02 partly (4 x 1) and GOV-02 partly (0.5): 6.5 / 58 = 0.1121. Implementation:
six judgements "initiated" (1/3), five of them core: (5 x 2 + 1) / 3 / 58 = 0.0632.
"""

import csv
import io
import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from tracker import demo
from tracker.codes import ReviewState
from tracker.models import Country, Provision, Publication, Review
from tracker.write import review

DATA = Path(__file__).resolve().parent.parent / "tracker" / "data"
ISO3 = ("PRY", "RWA", "ZMB")
DAYS = (date(2025, 1, 31), date(2025, 6, 30))


def _yaml(name: str) -> dict:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


def expected_judgements(iso3: str) -> list[set[str]]:
    """The provision codes each publication judges, from the files: the first 3, 6, all 9
    categories in the checklist file's order."""
    checklist = _yaml("checklist-2025.1.yaml")
    order = [c["code"] for c in checklist["categories"]]
    category = {p["code"]: p["category"] for p in checklist["provisions"]}
    judged = [item["provision"] for item in _yaml(f"countries/{iso3}.yaml")["coverage"]]
    return [{code for code in judged if order.index(category[code]) < n} for n in (3, 6, 9)]


def _end(value) -> date:
    """The last day a date of a demo file can mean: the day, or the end of its month or year."""
    if isinstance(value, date):
        return value
    parts = [int(p) for p in str(value).split("-")]
    if len(parts) == 1:
        return date(parts[0], 12, 31)
    following = date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def known_by(item: dict, names: tuple[str, ...], day: date) -> bool:
    """Whether the file's dates put the item on record by ``day``: every date it gives has
    passed; without dates, its year has; with neither, it is not on record."""
    given = [item[n] for n in names if item.get(n)]
    if given:
        return max(_end(v) for v in given) <= day
    return item.get("year") is not None and _end(item["year"]) <= day


INSTRUMENT_DATES = ("consultation_on", "validated_on", "adopted_on", "published_on",
                    "in_force_on", "amended_on", "repealed_on")  # fmt: skip
MILESTONE_DATES = ("planned_on", "actual_on")


@pytest.fixture
def publications(demo_data):
    """iso3 -> that country's publications, oldest first."""
    session = demo_data
    iso = {c.id: c.iso3 for c in session.exec(select(Country))}
    out: dict[str, list[Publication]] = {}
    for pub in session.exec(select(Publication).order_by(Publication.number)):
        out.setdefault(iso[pub.country_id], []).append(pub)
    return out


def test_three_publications_per_country_at_the_documented_days(publications):
    assert sorted(publications) == list(ISO3)
    for pubs in publications.values():
        assert [p.number for p in pubs] == [1, 2, 3]
        assert [p.published_at.date() for p in pubs[:2]] == list(DAYS)
        assert pubs[2].published_at > pubs[1].published_at
        assert all(p.is_example and p.message.startswith("Example data: ") for p in pubs)
        first = pubs[0].message
        assert "a first assessment" in first and "first 3 of 9 categories" in first
        assert "Scope, objectives and definitions" in first and "31 January 2025" in first
        assert "first 6 of 9 categories" in pubs[1].message
        assert "30 June 2025" in pubs[1].message


def test_each_publication_holds_the_judgements_the_rule_keeps(demo_data, publications):
    code = dict(demo_data.exec(select(Provision.id, Provision.code)).all())
    for iso3, pubs in publications.items():
        expected = expected_judgements(iso3)
        held = [{code[r["provision_id"]] for r in p.snapshot["tables"]["coverage"]} for p in pubs]
        assert held == expected, iso3
        assert [p.figures["provisions_assessed"] for p in pubs] == [len(e) for e in expected]
    counted = {iso3: [len(e) for e in expected_judgements(iso3)] for iso3 in ISO3}
    assert counted == {"PRY": [5, 9, 12], "RWA": [7, 10, 14], "ZMB": [7, 12, 15]}  # by hand


@pytest.mark.parametrize("kind", ["legal_in_force", "legal_with_drafts", "implementation"])
def test_every_figure_rises_from_one_publication_to_the_next(publications, kind):
    for iso3, pubs in publications.items():
        values = [p.figures[kind] for p in pubs]
        assert values[0] < values[1] < values[2], (iso3, kind, values)


def test_zambias_first_publication_by_hand(publications):
    figures = publications["ZMB"][0].figures
    assert figures["legal_in_force"] == pytest.approx(2 / 58, abs=5e-5)
    assert figures["legal_with_drafts"] == pytest.approx(6.5 / 58, abs=5e-5)
    assert figures["implementation"] == pytest.approx(11 / 3 / 58, abs=5e-5)


def _titles(pub: Publication, table: str) -> set[str]:
    return {r["title"] for r in pub.snapshot["tables"][table]}


def test_instruments_and_milestones_are_those_the_sources_date_by_then(publications):
    for iso3, pubs in publications.items():
        data = _yaml(f"countries/{iso3}.yaml")
        for pub, day in zip(pubs[:2], DAYS, strict=True):
            assert _titles(pub, "instrument") == {
                i["title"] for i in data["instruments"] if known_by(i, INSTRUMENT_DATES, day)
            }, (iso3, day)
            assert _titles(pub, "milestone") == {
                m["title"] for m in data["milestones"] if known_by(m, MILESTONE_DATES, day)
            }, (iso3, day)
        assert _titles(pubs[2], "instrument") == {i["title"] for i in data["instruments"]}
    # By hand: Paraguay's three undated instruments come only with the record as loaded, and
    # the minister's statement of 25 February 2025 is in Zambia's second publication, not its first.
    assert [len(_titles(p, "instrument")) for p in publications["PRY"]] == [10, 10, 13]
    assert [len(_titles(p, "milestone")) for p in publications["ZMB"]] == [3, 4, 4]


def test_an_earlier_publication_never_changes_an_instruments_date_or_status(publications):
    stamps = {"created_at", "updated_at"}
    for iso3, pubs in publications.items():
        last = {r["id"]: r for r in pubs[2].snapshot["tables"]["instrument"]}
        for pub in pubs[:2]:
            for row in pub.snapshot["tables"]["instrument"]:
                same = {k: v for k, v in last[row["id"]].items() if k not in stamps}
                assert {k: v for k, v in row.items() if k not in stamps} == same, iso3
            # a record as it stood then was last changed by then
            for rows in pub.snapshot["tables"].values():
                for row in rows:
                    for name in stamps & row.keys():
                        assert row[name][:10] <= pub.published_at.date().isoformat(), iso3


def test_the_replica_loads_every_snapshot_and_gives_its_figures(demo_data, publications):
    for pubs in publications.values():
        for pub in pubs:
            assert review.freeze_snapshot(demo_data, pub.snapshot).figures == pub.figures


def _points(html: str) -> dict[str, list[tuple[float, float]]]:
    section = html.split('id="trend-heading"')[1].split("</section>")[0]
    lines = re.findall(r'<polyline class="trend-line trend-(\w+)" points="([^"]+)"', section)
    return {kind: [tuple(map(float, p.split(","))) for p in pts.split()] for kind, pts in lines}


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_chart_on_each_country_page_has_three_distinct_points_per_line(client, demo_data,
                                                                            lang):  # fmt: skip
    for iso3 in ISO3:
        lines = _points(client.get(f"/{lang}/countries/{iso3}").get_data(as_text=True))
        assert sorted(lines) == ["implementation", "in_force", "with_drafts"], iso3
        for kind, dots in lines.items():
            xs, ys = [x for x, _ in dots], [y for _, y in dots]
            assert len(set(xs)) == 3 and len(set(ys)) == 3, (iso3, kind, dots)
            assert ys[0] > ys[1] > ys[2], (iso3, kind)  # rising figures (SVG y points down)


def _csv(client, url) -> dict[str, dict]:
    answer = client.get(url)
    assert answer.status_code == 200
    text = answer.get_data(as_text=True).lstrip("\ufeff")
    return {r["iso3"]: r for r in csv.DictReader(io.StringIO(text))}


def test_as_of_mid_february_2025_shows_the_first_publications(client, demo_data):
    rows = _csv(client, "/exports/countries.csv?as_of=2025-02-15")
    assert {k: int(r["provisions_assessed"]) for k, r in rows.items()} == {
        "PRY": 5, "RWA": 7, "ZMB": 7}  # fmt: skip
    assert (rows["ZMB"]["legal_in_force"], rows["ZMB"]["legal_with_drafts"],
            rows["ZMB"]["implementation"]) == ("0.0345", "0.1121", "0.0632")  # fmt: skip
    assert rows["ZMB"]["last_update"] == "2025-01-31"
    later = _csv(client, "/exports/countries.csv?as_of=2025-07-01")
    assert {k: int(r["provisions_assessed"]) for k, r in later.items()} == {
        "PRY": 9, "RWA": 10, "ZMB": 12}  # fmt: skip

    page = client.get("/en/countries/ZMB?as_of=2025-02-15").get_data(as_text=True)
    assert "Record as it stood on February 15, 2025" in page
    assert "7 of 39 provisions assessed" in page and "Example data" in page
    assert '<strong class="meter-value">11%</strong>' in page  # including drafts, #1
    assert "Minister of Science and Technology" not in page  # 25 February 2025: not yet
    assert "One publication so far, on January 31, 2025" in page
    current = client.get("/en/countries/ZMB").get_data(as_text=True)
    assert "15 of 39 provisions assessed" in current
    assert '<strong class="meter-value">22%</strong>' in current  # including drafts, #3

    overview = client.get("/en/?as_of=2025-02-15").get_data(as_text=True)
    assert "Record as it stood on February 15, 2025" in overview and "Example data" in overview
    assessed = re.findall(r'<td class="num" data-sort="[^"]+">(\d+) of 39', overview)
    assert assessed == ["5", "7", "7"]  # Paraguay, Rwanda, Zambia


def test_the_publication_pages_say_they_are_example_data(client, demo_data):
    listing = client.get("/en/countries/RWA/publications").get_data(as_text=True)
    assert listing.count("Example data: ") >= 3
    first = client.get("/en/countries/RWA/publications/1")
    assert first.status_code == 200
    assert "Example data: a first assessment" in first.get_data(as_text=True)


def test_paraguay_keeps_its_change_pending_review(demo_data, publications):
    [pending] = demo_data.exec(select(Review).where(Review.publication_id.is_(None))).all()
    assert demo_data.get(Country, pending.country_id).iso3 == "PRY"
    assert pending.state == ReviewState.SUBMITTED
    title = demo.EXAMPLE_PENDING[1]
    held = [{r["title"] for r in p.snapshot["tables"]["instrument_title"]} for p in
            publications["PRY"]]  # fmt: skip
    assert [title in h for h in held] == [False, False, False]


def test_loading_again_changes_no_publication(demo_data, publications):
    before = [(p.id, p.number, p.published_at, p.message, p.figures, p.snapshot)
              for pubs in publications.values() for p in pubs]  # fmt: skip
    stats = demo.load(demo_data)
    assert "publications" not in stats.created
    demo_data.expire_all()
    after = [(p.id, p.number, p.published_at, p.message, p.figures, p.snapshot)
             for p in demo_data.exec(select(Publication).order_by(Publication.id))]  # fmt: skip
    assert sorted(before, key=lambda t: t[0]) == after
    assert len(demo_data.exec(select(Review)).all()) == 1
