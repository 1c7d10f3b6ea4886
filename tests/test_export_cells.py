"""The exports written fast: the same text as the records they stand for, in a constant number
of queries whatever the number of rows.

coverage.csv is written as text from plain driver rows (``tracker.read.rows.coverage_text``),
every other export from its records through per-column formatters
(``tracker.formats.csvio.format_batches``). Both must give exactly what ``format_row`` and
``csv.writer`` give for the records the importer compares with (tests/test_export_bytes.py
compares the files served).
"""

import csv
import io

import pytest
from sqlmodel import select
from synthetic import build_dataset, count_queries, wipe

from tracker.codes import InstrumentStatus, SourceKind
from tracker.formats import csvio
from tracker.formats.tables import TABLES
from tracker.models import CoverageSource, Provision
from tracker.read import loaders
from tracker.read import rows as datasets


def slow_text(session, name: str) -> str:
    """What an export's records give through ``format_row`` and ``csv.writer``, row by row."""
    table = TABLES[name]
    countries, _ = loaders.resolve_countries(session, [])
    records = datasets.RECORDS[name](session, countries)
    return "".join(csvio.stream(table, ([r[c] for c in table.header] for r in records)))


def fast_text(session, name: str) -> str:
    table = TABLES[name]
    countries, _ = loaders.resolve_countries(session, [])
    return "".join(datasets.export_text(table, datasets.RECORDS[name], session, countries))


def body_rows(session, countries) -> list[tuple[str, ...]]:
    """coverage.csv's rows as ``coverage_text`` writes them, read back as cells."""
    text = "".join(text for _country, text in datasets.coverage_text(session, countries))
    return [tuple(row) for row in csv.reader(io.StringIO(text, newline=""))]


def test_the_coverage_cells_follow_the_files_header():
    assert datasets.COVERAGE_CELLS == tuple(TABLES["coverage"].header)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_export_of_the_demo_data_writes_the_text_of_its_records(demo_data, name):
    slow = slow_text(demo_data, name)
    # The demo data has no published Monitor values and no translations of records' texts.
    assert slow.count("\r\n") > 1 or name in ("monitor_values", "text_translations"), name
    assert fast_text(demo_data, name) == slow


def test_coverage_text_with_awkward_values(session, scored_record, make_coverage,
                                            make_instrument):
    """Formula-like texts, articles with ';' and '%', a repealed instrument beside one in force,
    a judgement not applicable, source links with and without a note, a judgement with no link,
    a provision nobody judged."""
    kenya = scored_record.country
    provisions = {
        p.code: p
        for p in session.exec(select(Provision).where(Provision.checklist_id
                                                       == scored_record.checklist.id))
    }
    # A fifth provision, left unjudged, and awkward texts on the judged ones.
    extra = Provision(checklist_id=scored_record.checklist.id,
                      category_id=provisions["AAA-01"].category_id, code="=AAA-05",
                      level=provisions["AAA-01"].level, position=5)
    session.add(extra)
    session.commit()
    repealed = make_instrument(kenya, title="Repealed", status=InstrumentStatus.REPEALED)
    cov = make_coverage(kenya, extra, links=[(repealed, "full", "s. 1; 50% of s. 2")],
                        evidence="=SUM(A1)", evidence_lang="en")
    session.add(CoverageSource(coverage_id=cov.id, url="https://example.org/a",
                               kind=SourceKind.OFFICIAL, note="p. 3"))
    session.add(CoverageSource(coverage_id=cov.id, url="https://example.org/b",
                               kind=SourceKind.OFFICIAL))
    session.commit()
    slow = slow_text(session, "coverage")
    assert fast_text(session, "coverage") == slow
    # Worked out by hand: the repealed instrument counts for neither figure, so "none".
    rows = list(csv.reader(io.StringIO(slow, newline="")))
    row = next(r for r in rows if r[2] == "'=AAA-05")
    assert row[6:10] == ["none", "none", f"{repealed.id}:full:s. 1%3B 50%25 of s. 2", "'=SUM(A1)"]
    assert row[12] == "official https://example.org/a p. 3\nofficial https://example.org/b"


@pytest.mark.slow
def test_coverage_text_makes_the_same_queries_however_many_provisions(session):
    def queries() -> int:
        countries, _ = loaders.resolve_countries(session, [])
        engine = session.get_bind()
        with count_queries(engine) as statements:
            rows = len(body_rows(session, countries))
        return len(statements), rows

    build_dataset(session, 3, 4, instruments=2)
    small, small_rows = queries()
    wipe(session)
    build_dataset(session, 3, 45, instruments=6)
    large, large_rows = queries()
    assert (small_rows, large_rows) == (3 * 4, 3 * 45)
    # 2 for the checklist, then 4 for the three countries together (judgements, statuses, links,
    # sources): 135 rows are one group of about ``GROUP_ROWS``
    assert small == large == 2 + 4


def test_coverage_text_reads_a_large_checklist_a_few_countries_at_a_time(session, monkeypatch):
    build_dataset(session, 5, 4, instruments=2)
    countries, _ = loaders.resolve_countries(session, [])
    whole = body_rows(session, countries)
    monkeypatch.setattr(datasets, "GROUP_ROWS", 8)  # two countries of 4 provisions at a time
    with count_queries(session.get_bind()) as statements:
        grouped = body_rows(session, countries)
    assert grouped == whole and len(whole) == 20
    assert len(statements) == 2 + 4 * 3  # groups of 2, 2 and 1 countries
