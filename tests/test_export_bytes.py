"""Every export's bytes as served equal what its records give written row by row.

The exports are written by fast paths (``tracker.read.rows.export_text``: coverage.csv from plain
driver rows, the rest through per-column formatters). The reference here is the plain one: each
record's values through ``csvio.format_row`` and ``csv.writer``, one row at a time
(``csvio.stream``), on the publications served. Compared byte for byte (header, quoting, escaping,
line ends, the BOM), on the demo data and on a set made of awkward values.
"""

from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import select

from tracker import db, write
from tracker.codes import (
    DatePrecision,
    GemIndicator,
    Implementation,
    InstrumentStatus,
    MilestoneStatus,
    RelationKind,
    SourceKind,
)
from tracker.formats import csvio
from tracker.formats.tables import TABLES
from tracker.models import (
    Coverage,
    CoverageSource,
    InstrumentRelation,
    InstrumentSource,
    InstrumentTitle,
    MonitorValue,
    Provision,
    PublicationPiece,
    TextTranslation,
)
from tracker.read import loaders
from tracker.read import rows as datasets
from tracker.web import exportcache, published, staff_exports


def reference(app, name: str, codes: list[str], bom: bool = False) -> bytes:
    """The export as its records give it, row by row, from the replica the public side reads."""
    table = TABLES[name]
    records = datasets.RECORDS[name]
    if not codes and name == "milestones":
        records = datasets.all_milestone_records
    if not codes and name == "text_translations":
        records = datasets.all_text_translation_records
    with app.test_request_context(f"/exports/{name}.csv"):
        countries, unknown = loaders.resolve_countries(db.get_session(), codes)
        assert not unknown
        with published.replica().session() as session:
            rows = ([record[c] for c in table.header] for record in records(session, countries))
            return "".join(csvio.stream(table, rows, bom=bom)).encode("utf-8")


def served(client, name: str, query: str = "") -> bytes:
    response = client.get(f"/exports/{name}.csv{query}")
    assert response.status_code == 200
    return response.data


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_export_of_the_demo_data_is_its_records_written_row_by_row(
    app, client, demo_data, name
):
    expected = reference(app, name, [])
    assert expected.count(b"\r\n") > 1 or name in ("monitor_values", "text_translations")
    assert served(client, name) == expected
    assert served(client, name, "?country=ZMB&country=PRY&bom=1") == reference(
        app, name, ["ZMB", "PRY"], bom=True
    )


EVIDENCE = 'Section 4, "the duty", applies\nfrom 2025;\r\nsee s. 5 – Замбия, زامبيا, 赞比亚 ✓'
AWKWARD_TEXTS = [
    "=SUM(A1)", "+1", "-x", "@x", "\tx", "\rx", "'=x", "''+x", "'plain", "'", "a,b", 'say "hi"',
    "two\nlines", "ends with a comma,", " spaced ", "Ñandutí ñe'ẽ", "العربية", "中文，逗号",
]  # fmt: skip


@pytest.fixture
def awkward(
    session, scored_record, make_country, make_instrument, make_coverage, make_milestone, publish
):
    """Kenya's scored record plus a second country whose every text is awkward: formula-like
    starts, commas, quotes, line breaks, non-Latin scripts, links inserted out of instrument
    order, articles with ';' and '%', source links with and without a note, provisions nobody
    judged. Returns the second country and the judgement worked out by hand (see below)."""
    checklist = scored_record.checklist
    first = session.exec(select(Provision).where(Provision.checklist_id == checklist.id,
                                                 Provision.code == "AAA-01")).one()  # fmt: skip
    for i, text in enumerate(AWKWARD_TEXTS, start=5):
        session.add(Provision(checklist_id=checklist.id, category_id=first.category_id,
                              code=f"{text[:3]}{i:02d}", level=first.level, position=i))  # fmt: skip
    hand = Provision(checklist_id=checklist.id, category_id=first.category_id, code="=H-1",
                     level=first.level, position=99)  # fmt: skip
    session.add(hand)
    session.commit()
    provisions = session.exec(select(Provision).where(Provision.checklist_id == checklist.id)
                              .order_by(Provision.position)).all()  # fmt: skip
    other = make_country(iso3="ZZA", iso2="ZA")
    earlier = make_instrument(other, title="Закон об отходах", title_lang="ru",
                              status=InstrumentStatus.IN_FORCE)  # fmt: skip
    later = make_instrument(other, title="=Regulations, 2024", number='"No." 7',
                            status=InstrumentStatus.ADOPTED, summary=EVIDENCE)  # fmt: skip
    repealed = make_instrument(other, title="@old", status=InstrumentStatus.REPEALED,
                               adopted_on=date(1999, 1, 1), adopted_on_precision=DatePrecision.YEAR,
                               repealed_on=date(2021, 6, 1),
                               repealed_on_precision=DatePrecision.MONTH, ewaste_specific=True,
                               summary_lang="fr", dates_note="-2 days")  # fmt: skip
    session.add(InstrumentTitle(instrument_id=earlier.id, locale="en", title="Waste Act, 2020"))
    session.add(InstrumentTitle(instrument_id=earlier.id, locale="fr", title="Loi"))
    for kind, target in ((RelationKind.AMENDS, earlier), (RelationKind.MADE_UNDER, repealed),
                         (RelationKind.AMENDS, repealed)):  # fmt: skip
        session.add(InstrumentRelation(instrument_id=later.id, target_id=target.id, kind=kind))
    session.add(InstrumentSource(instrument_id=later.id, url="https://example.org/g?a=1,2",
                                 kind=SourceKind.OFFICIAL, note='Gazette, "No. 7"'))  # fmt: skip
    session.add(InstrumentSource(instrument_id=later.id, url="https://example.org/h",
                                 kind=SourceKind.SECONDARY))  # fmt: skip
    for i, provision in enumerate(provisions):
        if i % 4 == 3 or provision.id == hand.id:
            continue  # not judged (the hand-worked one comes last)
        text = AWKWARD_TEXTS[i % len(AWKWARD_TEXTS)]
        if i % 5 == 1:
            make_coverage(other, provision, applicable=False, not_applicable_reason=text,
                          evidence=EVIDENCE, evidence_lang="ru")  # fmt: skip
            continue
        # ``later`` was made after ``earlier``: linking it first puts the higher id first
        links = [(later, "full", f"s. {i}; 50% of s. {i + 1}"), (earlier, "partial", text)]
        if i % 3 == 0:
            links.append((repealed, "full"))
        cov = make_coverage(other, provision, links=links[: 1 + i % 3],
                            evidence=text if i % 2 else EVIDENCE, evidence_lang=text[:5],
                            implementation=list(Implementation)[i % 4], is_example=i % 2 == 0)  # fmt: skip
        if i % 2 == 0:
            session.add(CoverageSource(coverage_id=cov.id, url="https://example.org/a?b=1,2",
                                       kind=SourceKind.OFFICIAL, note=text))  # fmt: skip
            session.add(CoverageSource(coverage_id=cov.id, url="https://example.org/b",
                                       kind=SourceKind.OFFICIAL))  # fmt: skip
        session.add(TextTranslation(entity="coverage", entity_id=cov.id, field="evidence",
                                    locale="fr", text=text + ', "fr"\n'))  # fmt: skip
    cov = make_coverage(other, hand, links=[(later, "full", "s. 1; 50% of s. 2"),
                                            (earlier, "partial")],
                        evidence=EVIDENCE, evidence_lang="ru",
                        implementation=Implementation.INITIATED)  # fmt: skip
    session.add(CoverageSource(coverage_id=cov.id, url="https://example.org/a?b=1,2",
                               kind=SourceKind.OFFICIAL, note='p. 3, "x"'))  # fmt: skip
    session.add(CoverageSource(coverage_id=cov.id, url="https://example.org/b",
                               kind=SourceKind.OFFICIAL))  # fmt: skip
    make_milestone(other, title=EVIDENCE, place="=A1", notes="a,b\r\nc")
    make_milestone(other, title="Validation", planned_on=date(2025, 3, 1),
                   planned_on_precision=DatePrecision.MONTH, actual_on=date(2026, 1, 1),
                   actual_on_precision=DatePrecision.YEAR, status=MilestoneStatus.DONE,
                   source_kind=SourceKind.OFFICIAL, source_url="https://example.org/m",
                   title_lang="en", notes_lang="fr", notes="'+x")  # fmt: skip
    session.add(TextTranslation(entity="instrument", entity_id=later.id, field="summary",
                                locale="en", text="+" + EVIDENCE))  # fmt: skip
    for indicator in (GemIndicator.EPR, GemIndicator.NATIONAL_LEGISLATION):
        session.add(MonitorValue(country_id=other.id, edition=2024, indicator=indicator,
                                 value=True, source_url="https://example.org/gem?a=1,2",
                                 note="=" + EVIDENCE))  # fmt: skip
    session.commit()
    publish()
    return other, (earlier.id, later.id)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_export_of_awkward_values_is_its_records_written_row_by_row(
    app, client, awkward, name, monkeypatch
):
    expected = reference(app, name, [])
    assert expected.count(b"\r\n") > 2
    assert served(client, name) == expected
    assert served(client, name, "?country=ZZA&bom=1") == reference(app, name, ["ZZA"], bom=True)
    # in groups of one country, in chunks of 7 bytes: the same bytes
    monkeypatch.setattr(datasets, "GROUP_ROWS", 1)
    monkeypatch.setattr(exportcache, "CHUNK_BYTES", 7)
    assert served(client, name, "?country=KEN&country=ZZA") == reference(app, name, ["KEN", "ZZA"])


def test_an_awkward_coverage_row_as_worked_out_by_hand(client, awkward):
    """Links in instrument id order, articles percent-encoded; in force only the earlier act
    counts (partly), with drafts the adopted regulation too (fully); the code escaped; the
    evidence and the sources quoted, their quotes doubled, their line breaks kept."""
    _other, (earlier, later) = awkward
    body = served(client, "coverage", "?country=ZZA").decode("utf-8")
    evidence = '"' + EVIDENCE.replace('"', '""') + '"'
    sources = '"official https://example.org/a?b=1,2 p. 3, ""x""\nofficial https://example.org/b"'
    row = (f"\r\nZZA,T.1,'=H-1,true,,initiated,partial,full,"
           f"{earlier}:partial;{later}:full:s. 1%3B 50%25 of s. 2,{evidence},false,1,{sources},ru"
           "\r\n")  # fmt: skip
    assert row in body  # the last of category AAA, before BBB-02
    assert body.index(row) < body.index("\r\nZZA,T.1,BBB-02,")
    # nobody judged every fourth provision: every cell after its code is empty
    assert "\r\nZZA,T.1,BBB-04,,,,,,,,,,,\r\n" in body


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_export_of_the_working_copy_is_its_records_written_row_by_row(app, awkward, name):
    """The staff's exports read the working copy on the configured database (PostgreSQL's
    driver gives dates, booleans and codes otherwise than SQLite's): the same bytes."""
    table = TABLES[name]
    with app.test_request_context(f"/exports/{name}.csv"):
        session = db.get_session()
        countries, _unknown = loaders.resolve_countries(session, [])
        for records in {staff_exports.records_of(name, f) for f in (False, True)}:
            rows = ([record[c] for c in table.header] for record in records(session, countries))
            expected = "".join(csvio.stream(table, rows))
            assert "".join(datasets.export_text(table, records, session, countries)) == expected
    if name in ("instruments", "milestones"):
        assert expected.count("\r\n") > 4


@pytest.mark.parametrize("name", ["countries", "monitor_values"])
def test_a_country_without_a_publication_is_exported_as_its_records_give_it(
    app, client, awkward, make_country, name
):
    """countries.csv and monitor_values.csv are written from the summaries the overview keeps
    per publication; a country asked for that has none is read as every export reads it (the
    public sees nothing of it: it has no row)."""
    make_country(iso3="ZZB", iso2="ZB")
    for query, codes in (("?country=ZZB", ["ZZB"]), ("?country=ZZB&country=ZZA", ["ZZA", "ZZB"]),
                         ("", [])):  # fmt: skip
        expected = reference(app, name, codes)
        assert served(client, name, query) == expected
        assert served(client, name, query) == expected  # kept, then again
    if name == "countries":
        assert b"\r\nZZA," in expected and b"ZZB" not in expected
        assert served(client, name, "?country=ZZB").count(b"\r\n") == 1  # the header alone


# --- after a publication: the unchanged countries' rows copied from the body kept before ---------

WRITTEN_BY_COUNTRY = ("coverage", "coverage_links", "instruments", "milestones")


@pytest.fixture
def read_for(monkeypatch):
    """The countries (ISO3 codes) each export read its rows for, call by call."""
    calls: list[list[str]] = []
    original = datasets.export_pieces

    def spy(table, records, session, countries):
        calls.append([ref.iso3 for ref in countries])
        return original(table, records, session, countries)

    monkeypatch.setattr(datasets, "export_pieces", spy)
    return calls


def _more_for(session, country, make_instrument, make_milestone, make_coverage) -> None:
    """A new instrument, milestone and judgement (linked to the instrument) of ``country``."""
    judged = set(
        session.exec(select(Coverage.provision_id).where(Coverage.country_id == country.id))
    )
    provision = session.exec(
        select(Provision).where(Provision.id.not_in(judged)).order_by(Provision.id)
    ).first()
    added = make_instrument(country, title="Added after the first download, 2026")
    make_milestone(country, title="Added after the first download")
    make_coverage(country, provision, links=[(added, "partial", "s. 9")], evidence="New, 2026")
    session.commit()


@pytest.mark.parametrize("stored", [True, False], ids=["stored", "not-stored"])
@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "compressed"])
@pytest.mark.parametrize("name", WRITTEN_BY_COUNTRY)
def test_after_a_publication_only_the_country_published_is_read_again(
    app, client, session, awkward, name, compressed, stored, read_for, publish, make_instrument,
    make_milestone, make_coverage,
):  # fmt: skip
    """Whether the body before was kept as it is or compressed (as a large one is), and whether
    the publish transaction stored the country's rows (``publication_pieces``: then they are
    copied, and nothing is read) or they were deleted since (then they alone are read)."""
    if compressed:
        app.extensions["tracker.exports"] = exportcache.ExportCache(max_entry_bytes=1)
    other, _ids = awkward
    before = served(client, name)
    filtered = served(client, name, "?country=ZZA&country=KEN")
    _more_for(session, other, make_instrument, make_milestone, make_coverage)
    publish(other)
    if not stored:
        with write.transaction(session):
            session.execute(sa.delete(PublicationPiece))
    read_for.clear()
    after = served(client, name)
    assert after == reference(app, name, [])  # as a body read afresh gives it
    added = b"New, 2026" if name == "coverage" else b"Added after the first download"
    assert added in after and added not in before
    # the other countries' rows copied from the body kept, ZZA's as stored or read (and the
    # project's timeline in milestones.csv as stored by the download before: shared_pieces)
    assert read_for == ([] if stored else [["ZZA"]])
    # The filtered file copies ZZA's new rows as stored (by the publication, or by the download
    # before), and KEN's from the filtered body kept: nothing is read.
    assert served(client, name, "?country=ZZA&country=KEN") == reference(app, name, ["ZZA", "KEN"])
    assert read_for == ([] if stored else [["ZZA"]])
    assert filtered != served(client, name, "?country=ZZA&country=KEN")
    # a repeat is sent from memory: nothing is read
    assert served(client, name) == after and read_for == ([] if stored else [["ZZA"]])


def test_a_country_not_published_again_is_copied_whole_and_its_bytes_are_unchanged(
    app, client, session, awkward, read_for, publish
):
    other, _ids = awkward
    served(client, "coverage", "?country=KEN")
    publish(other)  # another country's publication: KEN's rows are those kept
    read_for.clear()
    assert served(client, "coverage", "?country=KEN") == reference(app, "coverage", ["KEN"])
    assert read_for == []  # no country to read, and no rows of no country: no replica either


def test_a_change_to_the_shared_rows_reads_every_country_again(
    app, client, session, awkward, read_for, publish
):
    """Rows of no country (the project's timeline) are part of the shared state: a change to
    them makes every kept row unusable, whatever the publications."""
    from tracker.models import Milestone, MilestoneKind

    served(client, "milestones")
    session.add(Milestone(country_id=None, kind=MilestoneKind.OTHER, title="Project, added"))
    session.commit()
    read_for.clear()
    after = served(client, "milestones")
    assert after == reference(app, "milestones", []) and b"Project, added" in after
    assert len(read_for) == 1 and "ZZA" in read_for[0] and len(read_for[0]) > 1
