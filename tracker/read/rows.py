"""Rows of the CSV exports: the read layer's objects as typed values, one ``dict`` per row.

Each ``*_records`` function yields one ``dict`` per row, keyed by the column names of the matching
``tracker.formats.tables`` table, holding typed values (``int``, ``float``, ``bool``, ``date``,
``str``, link and id lists) that ``tracker.formats.csvio`` formats. The figures come from
``tracker.read.figures`` (the very objects the pages and the API show): countries.csv renders
``CountrySummary`` objects and coverage.csv ``CoverageItem`` objects. The importer compares a
file's parsed values with the same dicts, so "unchanged" means "would export the same cells".

Rows are read in groups of countries (about ``GROUP_ROWS`` rows a group: a few queries a group,
not a few a country), so memory stays flat whatever the row count (the exports stream them;
``make bench`` measures them). The exports are written by ``export_pieces``: coverage.csv,
coverage_links.csv, instruments.csv and milestones.csv as CSV text from plain driver rows, a piece
a country (``TEXTS``: a million rows at 250 countries of 4,000 provisions; the public side
copies an unchanged country's piece from the body it kept before a publication), which a test
keeps byte for byte equal to their records written row by row, on SQLite's and PostgreSQL's
rows; the others from
their records through per-column formatters. To change an export: its columns in
``tracker.formats.tables``, its rows here (for those in ``TEXTS``, in both the record and the
text writer).
"""

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from itertools import groupby
from operator import itemgetter

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from tracker import dates, scoring
from tracker.codes import Extent, InstrumentStatus, RelationKind
from tracker.fields import INSTRUMENT, INSTRUMENT_DATES, MILESTONE, MILESTONE_DATES
from tracker.formats import csvio, tables
from tracker.formats.tables import GEM
from tracker.i18n import DEFAULT_LOCALE, country_name
from tracker.models import (
    Category,
    ChecklistVersion,
    Coverage,
    CoverageLink,
    CoverageSource,
    Instrument,
    InstrumentRelation,
    InstrumentTitle,
    Milestone,
    Provision,
    ProvisionText,
    TextTranslation,
)
from tracker.read import figures, loaders
from tracker.read.figures import CountrySummary, CoverageItem
from tracker.read.loaders import ChecklistInfo, CountryRef
from tracker.read.texts import english_title, is_english

DATE_FIELDS = frozenset(INSTRUMENT_DATES + MILESTONE_DATES)


def _value(record, name: str):
    """A record's field as the exports hold it: a date at its precision (``PartialDate``)."""
    if name in DATE_FIELDS:
        return dates.of(record, name)
    return getattr(record, name)


def _figure(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# --- countries ----------------------------------------------------------------------------------


def country_record(summary: CountrySummary) -> dict:
    """One row of countries.csv: a country's summary (figures rounded to 4 places)."""
    iso2 = summary.country.iso2
    overall = summary.figures
    gem = summary.gem
    facts = summary.facts
    return {
        "iso3": summary.country.iso3,
        "iso2": iso2,
        "name_en": country_name(iso2, DEFAULT_LOCALE),
        "joined_on": summary.joined_on,
        "checklist_version": summary.checklist.code if summary.checklist else None,
        "legal_in_force": _figure(overall.in_force) if overall else None,
        "legal_with_drafts": _figure(overall.with_drafts) if overall else None,
        "implementation": _figure(overall.implementation) if overall else None,
        "provisions_applicable": overall.applicable if overall else None,
        "provisions_not_applicable": overall.not_applicable if overall else None,
        **{f"gem_{code}": (gem[code] if gem else None) for code in GEM},
        "instruments": summary.instruments,
        "milestones_done": summary.milestones.done,
        "milestones_total": summary.milestones.total,
        "is_example": summary.has_example,
        "last_update": utc_date(summary.last_update),
        "ewaste_year": facts.year if facts else None,
        "ewaste_generated_kg": _kg(facts.generated_kg) if facts else None,
        "ewaste_generated_kg_per_capita": _kg(facts.generated_kg_per_capita) if facts else None,
        "ewaste_collected_kg": _kg(facts.collected_kg) if facts else None,
        "ewaste_collected_kg_per_capita": _kg(facts.collected_kg_per_capita) if facts else None,
        "ewaste_source_url": facts.source_url if facts else None,
        "provisions_assessed": overall.assessed if overall else None,
        "provisions_total": overall.provisions if overall else None,
        "provisional": summary.provisional if overall else None,
        "stage": summary.stage.value if summary.stage else None,
    }


def utc_date(moment: datetime | None) -> date | None:
    """The UTC calendar date of a timestamp (naive ones are UTC already)."""
    if moment is None:
        return None
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date()


def _kg(value: float | None) -> float | int | None:
    """A quantity as stored, written without ".0" when it is whole (23000000, 2.5)."""
    if value is None:
        return None
    return int(value) if value.is_integer() else value


def country_records(session: Session, countries: Sequence[CountryRef]) -> Iterator[dict]:
    """countries.csv (10 queries)."""
    ids = [c.id for c in countries]
    return summary_records(figures.country_summaries(session, DEFAULT_LOCALE, ids))


def summary_records(summaries: Iterable[CountrySummary]) -> Iterator[dict]:
    """countries.csv from the countries' summaries (in English, ISO3 order)."""
    for summary in summaries:
        yield country_record(summary)


# --- checklist ----------------------------------------------------------------------------------


def checklist_records(session: Session, countries: Sequence[CountryRef] = ()) -> Iterator[dict]:
    """Every provision of every checklist version (the country filter does not apply)."""
    text_en = sa.orm.aliased(ProvisionText)
    # columns, not Provision objects: at 4,000 provisions making the objects took most of the time
    query = (
        sa.select(ChecklistVersion.code, Category.code, Provision.code, Provision.level,
                  Provision.position, Provision.gem_indicator, text_en.title, text_en.guidance,
                  Provision.sources, Provision.retired)  # fmt: skip
        .join(Provision, Provision.checklist_id == ChecklistVersion.id)
        .join(Category, Category.id == Provision.category_id)
        .outerjoin(text_en, sa.and_(text_en.provision_id == Provision.id, text_en.locale == "en"))
        .order_by(ChecklistVersion.code, Category.position, Provision.position, Provision.code)
    )
    for (version, category, code, level, position, gem, title, guidance, sources,
         retired) in session.execute(query):  # fmt: skip
        yield {
            "checklist_version": version,
            "code": code,
            "category": category,
            "level": level.value,
            "position": position,
            "gem_indicator": gem.value if gem else None,
            "title_en": title,
            "guidance_en": guidance,
            "sources": sources,
            "retired": retired,
        }


# --- instruments --------------------------------------------------------------------------------


def source_cells(sources) -> list[tuple[str, str, str | None]]:
    """Source links (``SourceRow``s or model rows) as the ``sources`` column holds them."""
    return [(s.kind.value, s.url, s.note or None) for s in sources]


def instrument_record(
    instrument: Instrument,
    iso3: str,
    title_en: str | None,
    relations: dict[RelationKind, list[int]],
    sources: Sequence = (),
) -> dict:
    """One row of instruments.csv; ``title_en`` is the stored English translation, if any."""
    record = {
        "id": instrument.id,
        "country_iso3": iso3,
        "type": instrument.type.value,
        "title": instrument.title,
        "title_lang": instrument.title_lang,
        "title_en": english_title(instrument.title, instrument.title_lang, title_en),
    }
    for name in INSTRUMENT:
        if name in record:
            continue
        value = _value(instrument, name)
        record[name] = value.value if hasattr(value, "value") else (value if value != "" else None)
    for kind in RelationKind:
        record[kind.value] = sorted(relations.get(kind, []))
    record["version"] = instrument.version
    record["sources"] = source_cells(sources)
    return record


def instrument_extras(
    session: Session, ids: Sequence[int] = (), *, country_ids: Sequence[int] | None = None
) -> tuple[dict[int, str], dict[int, dict[RelationKind, list[int]]]]:
    """English titles and relations of the given instruments, or of every instrument of
    ``country_ids`` (2 queries)."""
    title, relation = InstrumentTitle.__table__.c, InstrumentRelation.__table__.c
    titles_query = sa.select(title.instrument_id, title.title).where(title.locale == "en")
    relations_query = sa.select(relation.instrument_id, relation.target_id, relation.kind)
    if country_ids is None:
        titles_query = titles_query.where(title.instrument_id.in_(ids))
        relations_query = relations_query.where(relation.instrument_id.in_(ids))
    else:
        titles_query = titles_query.join(Instrument.__table__).where(
            Instrument.__table__.c.country_id.in_(country_ids)
        )
        relations_query = relations_query.join(
            Instrument.__table__, Instrument.__table__.c.id == relation.instrument_id
        ).where(Instrument.__table__.c.country_id.in_(country_ids))
    connection = session.connection()
    titles = dict(connection.execute(titles_query).all())
    relations: dict[int, dict[RelationKind, list[int]]] = {}
    for source, target, kind in connection.execute(relations_query).all():
        relations.setdefault(source, {}).setdefault(kind, []).append(target)
    return titles, relations


GROUP_ROWS = 20_000  # the exports read about this many rows at a time (a group of countries)

# A piece of an export's text: the rows of one country (its id), or rows of no country (None:
# the project's own timeline, or an export not written a country at a time). The text writers
# (``TEXTS``) give one piece per country with rows, in the countries' order.
Piece = tuple[int | None, str]


def country_groups(
    session: Session, model: type[SQLModel], countries: Sequence[CountryRef], rows: int = GROUP_ROWS
) -> Iterator[list[CountryRef]]:
    """The countries in their order, in groups holding about ``rows`` rows of ``model`` (1
    query: each country's count). A country with more rows than that is a group of its own."""
    if not countries:
        return iter(())
    table = model.__table__.c
    query = (
        sa.select(table.country_id, sa.func.count())
        .where(table.country_id.in_([ref.id for ref in countries]))
        .group_by(table.country_id)
    )
    return groups_of(countries, dict(session.connection().execute(query).all()), rows)


def groups_of(
    countries: Sequence[CountryRef], counts: dict[int, int], rows: int = GROUP_ROWS
) -> Iterator[list[CountryRef]]:
    """The countries in their order, in groups of at most ``rows`` of ``counts`` (by country id)
    each, or of one country holding more."""
    group: list[CountryRef] = []
    size = 0
    for ref in countries:
        count = counts.get(ref.id, 0)
        if group and size + count > rows:
            yield group
            group, size = [], 0
        group.append(ref)
        size += count
    if group:
        yield group


def rows_by_country(session: Session, model: type[SQLModel], group: Sequence[CountryRef]):
    """Every row of ``model`` in the group's countries, in id order, by country id (1 query):
    Core rows with the model's columns as attributes (the records read them as they would read
    the model's objects)."""
    table = model.__table__
    found: dict[int, list] = {}
    query = (
        sa.select(table)
        .where(table.c.country_id.in_([ref.id for ref in group]))
        .order_by(table.c.id)
    )
    for row in session.connection().execute(query):
        found.setdefault(row.country_id, []).append(row)
    return found


def instrument_records(session: Session, countries: Sequence[CountryRef]) -> Iterator[dict]:
    """instruments.csv: each country's instruments in id order, read in groups of countries
    (``country_groups``: 1 query, then 5 a group; one group for 200 countries of 20)."""
    for group in country_groups(session, Instrument, countries):
        ids = [ref.id for ref in group]
        found = rows_by_country(session, Instrument, group)
        titles, relations = instrument_extras(session, country_ids=ids)
        sources = loaders.instrument_sources(session, country_ids=ids)
        for ref in group:
            for instrument in found.get(ref.id, ()):
                yield instrument_record(
                    instrument,
                    ref.iso3,
                    titles.get(instrument.id),
                    relations.get(instrument.id, {}),
                    sources.get(instrument.id, ()),
                )


# --- exports written as text from plain rows --------------------------------------------------


def _integer_text(value) -> str:
    return "" if value is None else str(value)


def _boolean_text(value) -> str:
    return "" if value is None else ("true" if value else "false")  # 0/1 as SQLite has them


def date_text(value, precision: str) -> str:
    """A stored date (ISO text as SQLite keeps it, or a ``date``) and its precision code as its
    cell: ``PartialDate.iso`` (2024, 2024-10 or 2024-10-23), empty when there is no date."""
    if value is None:
        return ""
    text = value if value.__class__ is str else value.isoformat()
    if precision == "year":
        return text[:4]
    if precision == "month":
        return text[:7]
    return text


_KIND_TEXT = {"integer": _integer_text, "boolean": _boolean_text, "string": csvio.text_cell}


def _cell_makers(table, model: type[SQLModel], special: dict) -> tuple[list, list]:
    """For ``table``'s columns in order: the stored columns of ``model`` to read (its id and
    country id first) and one function per cell, from the plain row read to the cell's text
    (``special`` gives those of the columns that are not stored as they are written)."""
    stored = model.__table__.c
    read = [stored.id, stored.country_id]
    index = {}

    def at(column) -> int:
        if column.name not in index:
            index[column.name] = len(read)
            read.append(column)
        return index[column.name]

    index.update(id=0, country_id=1)
    makers = []
    for column in table.columns:
        if column.name in special:
            makers.append(special[column.name](at))
        elif column.type == "date":
            i, j = at(stored[column.name]), at(stored[f"{column.name}_precision"])
            makers.append(lambda row, i=i, j=j: date_text(row[i], row[j]))
        else:
            i, text = at(stored[column.name]), _KIND_TEXT[column.type]
            makers.append(lambda row, i=i, text=text: text(row[i]))
    return read, makers


def _rows_text(rows: Iterable[Sequence], makers: Sequence) -> str:
    """CSV text of plain rows through ``makers``."""
    out = csvio.TextRows()
    write = out.write
    for row in rows:
        write([make(row) for make in makers])
    return out.take()


def _country_pieces(
    group: Sequence[CountryRef], found: dict[int, list], makers: Sequence
) -> Iterator[Piece]:
    """Each country's rows of ``found`` (plain rows by country id) as one piece of text, in the
    group's order; a country without rows gives none."""
    for ref in group:
        rows = found.get(ref.id)
        if rows:
            yield ref.id, _rows_text(rows, makers)


def _iso3_cells(countries: Sequence[CountryRef]) -> dict:
    cells: dict = {ref.id: csvio.text_cell(ref.iso3) for ref in countries}
    cells[None] = ""  # the project's own timeline
    return cells


def _by_country(session: Session, read: list, group: Sequence[CountryRef]) -> dict[int, list]:
    """The plain rows of ``read`` (id and country id first) of the group's countries, in id
    order, by country id (1 query)."""
    found: dict[int, list] = {}
    for row in loaders.plain_rows(
        session.connection(),
        sa.select(*read).where(read[1].in_([ref.id for ref in group])).order_by(read[0]),
    ):
        found.setdefault(row[1], []).append(row)
    return found


def instrument_text(session: Session, countries: Sequence[CountryRef]) -> Iterator[Piece]:
    """instruments.csv's rows as CSV text (no header), a piece a country, as
    ``instrument_records`` written row by row gives them (a test compares the bytes): plain rows
    read in groups of countries (1 query, then 5 a group)."""
    iso3 = _iso3_cells(countries)
    extra: dict = {}  # the group's English titles, relations and sources

    def title_en(at):
        title, lang = at(Instrument.__table__.c.title), at(Instrument.__table__.c.title_lang)
        english = _Made(is_english)

        def cell(row):
            found = extra["titles"].get(row[0])
            if found is None and english[row[lang]]:
                found = row[title]
            return csvio.text_cell(found)

        return cell

    def relation(kind: RelationKind):
        def make(at):
            def cell(row):
                found = extra["relations"].get(row[0])
                targets = found.get(kind) if found else None
                return ";".join(str(i) for i in sorted(targets)) if targets else ""

            return cell

        return make

    special = {
        "country_iso3": lambda at: lambda row: iso3[row[1]],
        "title_en": title_en,
        "sources": lambda at: lambda row: extra["sources"].get(row[0], ""),
        **{kind.value: relation(kind) for kind in RelationKind},
    }
    read, makers = _cell_makers(tables.INSTRUMENTS, Instrument, special)
    for group in country_groups(session, Instrument, countries):
        ids = [ref.id for ref in group]
        extra["titles"], extra["relations"] = instrument_extras(session, country_ids=ids)
        extra["sources"] = {
            key: csvio.encode_sources(source_cells(found))
            for key, found in loaders.instrument_sources(session, country_ids=ids).items()
        }
        yield from _country_pieces(group, _by_country(session, read, group), makers)


def milestone_text(
    session: Session, countries: Sequence[CountryRef], *, with_project: bool = False
) -> Iterator[Piece]:
    """milestones.csv's rows as CSV text (no header), a piece a country, as
    ``milestone_records`` written row by row gives them: the project's own timeline first when
    ``with_project`` (a piece of no country), then plain rows read in groups of countries (1
    query, then 1 a group)."""
    iso3 = _iso3_cells(countries)
    read, makers = _cell_makers(
        tables.MILESTONES, Milestone, {"country_iso3": lambda at: lambda row: iso3[row[1]]}
    )
    if with_project:
        project = loaders.plain_rows(
            session.connection(),
            sa.select(*read).where(read[1].is_(None)).order_by(read[0]),
        )
        if project:
            yield None, _rows_text(project, makers)
    for group in country_groups(session, Milestone, countries):
        yield from _country_pieces(group, _by_country(session, read, group), makers)


def all_milestone_text(session: Session, countries: Sequence[CountryRef]) -> Iterator[Piece]:
    """milestones.csv without a country filter: the project's timeline, then every country's."""
    return milestone_text(session, countries, with_project=True)


# --- coverage -----------------------------------------------------------------------------------


def coverage_record(
    iso3: str, checklist: ChecklistInfo, item: CoverageItem, sources: Sequence = ()
) -> dict:
    """One row of coverage.csv: a coverage item, its levels empty when the provision does not
    apply, its instruments in id order, the judgement's source links in their order."""
    cov = item.coverage
    judged = cov is not None
    return {
        "country_iso3": iso3,
        "checklist_version": checklist.code,
        "provision_code": item.provision.code,
        "applicable": cov.applicable if judged else None,
        "not_applicable_reason": (cov.not_applicable_reason or None) if judged else None,
        "implementation": cov.implementation.value if judged else None,
        # empty when not applicable or not assessed: an unjudged provision is never "none"
        "legal_in_force": item.in_force if judged and item.applicable else None,
        "legal_with_drafts": item.with_drafts if judged and item.applicable else None,
        "instruments": [
            (link.instrument_id, link.extent.value, link.articles or None)
            for link in sorted(item.links, key=lambda link: link.instrument_id)
        ],
        "evidence": (cov.evidence or None) if judged else None,
        "is_example": cov.is_example if judged else None,
        "version": cov.version if judged else None,
        "sources": source_cells(sources),
        "evidence_lang": (cov.evidence_lang or None) if judged else None,
    }


def current_coverage(
    session: Session, country_id: int
) -> tuple[ChecklistInfo | None, list[CoverageItem]]:
    """The current checklist and one country's coverage items, one per scored provision
    (4 queries)."""
    checklist, items, _judgements = current_judgements(session, country_id)
    return checklist, items


def current_judgements(
    session: Session, country_id: int
) -> tuple[ChecklistInfo | None, list[CoverageItem], loaders.Judgements | None]:
    """``current_coverage`` with the judgements it was built from, their source links included
    (5 queries)."""
    checklist = loaders.checklist_of(session, country_id)
    if checklist is None:
        return None, [], None
    provisions = loaders.load_provisions(session, checklist.id)
    judgements = loaders.load_judgements(session, checklist.id, [country_id], with_sources=True)
    return checklist, figures.coverage_items(provisions, judgements, country_id)[1], judgements


def _coverage_id(item: CoverageItem) -> int | None:
    return item.coverage.id if item.coverage is not None else None


def coverage_records(session: Session, countries: Sequence[CountryRef]) -> Iterator[dict]:
    """coverage.csv: every country's coverage items, each on its checklist version (2 queries,
    then 3 per country)."""
    for checklist, run in by_checklist(session, countries):
        yield from _coverage_records_on(session, checklist, run)


def _coverage_records_on(
    session: Session, checklist: ChecklistInfo, countries: Sequence[CountryRef]
) -> Iterator[dict]:
    provisions = loaders.load_provisions(session, checklist.id)
    for ref in countries:
        judgements = loaders.load_judgements(
            session, checklist.id, [ref.id], with_updated_at=False, with_sources=True
        )
        for item in figures.coverage_items(provisions, judgements, ref.id)[1]:
            yield coverage_record(
                ref.iso3, checklist, item, judgements.sources_of(_coverage_id(item))
            )


# The columns ``coverage_text`` writes, in its order: coverage.csv's header (a test checks it).
COVERAGE_CELLS = (
    "country_iso3",
    "checklist_version",
    "provision_code",
    "applicable",
    "not_applicable_reason",
    "implementation",
    "legal_in_force",
    "legal_with_drafts",
    "instruments",
    "evidence",
    "is_example",
    "version",
    "sources",
    "evidence_lang",
)
_NOT_JUDGED = ("",) * (len(COVERAGE_CELLS) - 3)  # every cell after the provision code is empty


def _levels_of_links() -> dict[tuple[str, str], tuple[float, float]]:
    """Each (extent, instrument status) code pair's score in force and including drafts, as
    ``tracker.scoring`` scores a single link."""
    pairs = {}
    for extent in Extent:
        for status in InstrumentStatus:
            link = scoring.LinkInput(extent, status)
            pairs[(extent.value, status.value)] = (
                scoring.best_extent((link,), include_drafts=False),
                scoring.best_extent((link,), include_drafts=True),
            )
    return pairs


class _Made(dict):
    """``make(key)`` by key, each made once."""

    def __init__(self, make):
        super().__init__()
        self.make = make

    def __missing__(self, key):
        value = self[key] = self.make(key)
        return value


def coverage_text(session: Session, countries: Sequence[CountryRef]) -> Iterator[Piece]:
    """coverage.csv's rows as CSV text (no header), a piece a country: the rows of
    ``coverage_records`` as ``format_row`` and ``csv.writer`` write them
    (a test compares the bytes on awkward values), read as plain driver rows with no object per
    row, for exports of a million rows.

    A row nobody judged is the country's cell and the provision's cells written once; a judged
    row is written from its driver row, its instruments cell and levels computed once per
    judgement from the scoring rules of a single link (``_levels_of_links``).

    Countries are read in groups of about ``GROUP_ROWS`` rows (as many countries as that many
    rows of the checklist make): 2 queries, then 4 per group, so 200 countries of 40 provisions
    take 6 queries and 250 of 4,000 take 202, with memory flat. A country is written on its own
    checklist version (``loaders.country_checklists``): countries on another version than the
    one before them start a new run (2 more queries)."""
    for checklist, run in by_checklist(session, countries):
        yield from _coverage_text_on(session, checklist, run)


def by_checklist(
    session: Session, countries: Sequence[CountryRef]
) -> Iterator[tuple[ChecklistInfo, list[CountryRef]]]:
    """The countries in their order, in runs on the same checklist version (1 query); a
    country with no checklist is left out."""
    checklists = loaders.country_checklists(session, [ref.id for ref in countries])
    run: list[CountryRef] = []
    current = None
    for ref in countries:
        checklist = checklists[ref.id]
        if checklist is None:
            continue
        if run and checklist != current:
            yield current, run
            run = []
        current = checklist
        run.append(ref)
    if run:
        yield current, run


def _coverage_text_on(
    session: Session, checklist: ChecklistInfo, countries: Sequence[CountryRef]
) -> Iterator[Piece]:
    provisions = loaders.load_provisions(session, checklist.id)
    connection = session.connection()
    cov, link, source = Coverage.__table__.c, CoverageLink.__table__.c, CoverageSource.__table__.c
    instrument = Instrument.__table__.c
    # Judgements, links and sources of the checklist's provisions (read by their ids' range: a
    # row of another checklist's provision in it is never looked up).
    ids_of = [p.id for p in provisions] or [0]
    in_checklist = cov.provision_id.between(min(ids_of), max(ids_of))
    version_cell = csvio.escape_text(checklist.code)
    # Each provision's id, code cell, and the text of its row after the country's cell when
    # nobody judged it.
    codes = [
        (p.id, code, csvio.row_text(("", version_cell, code, *_NOT_JUDGED)))
        for p in provisions
        for code in (csvio.escape_text(p.code),)
    ]
    scores = _levels_of_links()
    level = {
        score: scoring.coverage_level(score)
        for score in {0.0, *(score for pair in scores.values() for score in pair)}
    }
    by_status: dict[str, dict[str, tuple[float, float]]] = {}
    for (extent, status), pair in scores.items():
        by_status.setdefault(status, {})[extent] = pair
    escape, escaped_start = csvio.escape_text, csvio.ESCAPE_START
    no_links = ("", 0.0, 0.0)
    out = csvio.TextRows()
    add, write, take = out.add, out.write, out.take
    size = max(1, GROUP_ROWS // max(1, len(provisions)))
    for start in range(0, len(countries), size):
        group = countries[start : start + size]
        ids = [ref.id for ref in group]
        of_group = (cov.country_id.in_(ids), in_checklist)
        # Each country's judgements by provision id (the rows come in country order).
        judged: dict[int, dict[int, tuple]] = {
            country_id: {row[1]: row for row in rows}
            for country_id, rows in groupby(
                loaders.plain_rows(
                    connection,
                    sa.select(
                        cov.country_id,
                        cov.provision_id,
                        cov.id,
                        cov.applicable,
                        cov.not_applicable_reason,
                        cov.implementation,
                        cov.evidence,
                        cov.is_example,
                        cov.version,
                        cov.evidence_lang,
                    )
                    .where(*of_group)
                    .order_by(cov.country_id),
                ),
                itemgetter(0),
            )
        }
        # Each instrument's scores by extent (its status decides them).
        scored = {
            instrument_id: by_status[status]
            for instrument_id, status in loaders.plain_rows(
                connection,
                sa.select(instrument.id, instrument.status).where(instrument.country_id.in_(ids)),
            )
        }
        # Per judgement: its instruments cell (``csvio.link_cell`` items, each articles text
        # encoded once) and its best scores in force and with drafts.
        suffix = _Made(lambda articles: csvio.articles_suffix(articles or None))
        links: dict[int, tuple[str, float, float]] = {}
        last = None
        for coverage_id, instrument_id, extent, articles in loaders.plain_rows(
            connection,
            sa.select(link.coverage_id, link.instrument_id, link.extent, link.articles)
            .select_from(CoverageLink.__table__.join(Coverage.__table__))
            .where(*of_group)
            .order_by(link.coverage_id, link.instrument_id, link.id),
        ):
            score, drafts = scored[instrument_id][extent]
            item = f"{instrument_id}:{extent}{suffix[articles]}"
            if coverage_id != last:  # the first link of its judgement
                links[coverage_id] = (item, score, drafts)
                last = coverage_id
            else:
                cell, best, best_drafts = links[coverage_id]
                links[coverage_id] = (
                    cell + ";" + item,
                    score if score > best else best,
                    drafts if drafts > best_drafts else best_drafts,
                )
        sources: dict[int, list] = {}
        for coverage_id, kind, url, note in loaders.plain_rows(
            connection,
            sa.select(source.coverage_id, source.kind, source.url, source.note)
            .select_from(CoverageSource.__table__.join(Coverage.__table__))
            .where(*of_group)
            .order_by(source.id),
        ):
            sources.setdefault(coverage_id, []).append((kind, url, note or None))
        sources_cell = {key: csvio.encode_sources(found) for key, found in sources.items()}
        no_judgement: dict[int, tuple] = {}
        for ref in group:
            iso3 = escape(ref.iso3)
            first = csvio.field_text(iso3)
            get = judged.get(ref.id, no_judgement).get
            for provision_id, code, not_judged in codes:
                found = get(provision_id)
                if found is None:
                    add(first + not_judged)
                    continue
                (_c, _p, cov_id, applicable, reason, implementation, evidence, example,
                 version, lang) = found  # fmt: skip
                # text cells as ``csvio.text_cell`` makes them
                if reason and reason[0] in escaped_start:
                    reason = escape(reason)
                if evidence and evidence[0] in escaped_start:
                    evidence = escape(evidence)
                if lang and lang[0] in escaped_start:
                    lang = escape(lang)
                cell, best, best_drafts = links.get(cov_id, no_links)
                cells = (
                    iso3,
                    version_cell,
                    code,
                    "true" if applicable else "false",
                    reason or "",
                    implementation,
                    level[best] if applicable else "",
                    level[best_drafts] if applicable else "",
                    cell,
                    evidence or "",
                    "true" if example else "false",
                    str(version),
                    sources_cell.get(cov_id, ""),
                    lang or "",
                )
                write(cells)
            yield ref.id, take()


# --- coverage links -------------------------------------------------------------------------------


def coverage_link_record(
    iso3: str, checklist: ChecklistInfo, item: CoverageItem, link, title: str | None
) -> dict:
    """One row of coverage_links.csv: one link of a judgement, with its evidence."""
    return {
        "country_iso3": iso3,
        "checklist_version": checklist.code,
        "provision_code": item.provision.code,
        "instrument_id": link.instrument_id,
        "instrument_title": title,
        "extent": link.extent.value,
        "articles": link.articles or None,
        "excerpt": link.excerpt or None,
        "excerpt_lang": link.excerpt_lang or None,
        "translation": link.translation or None,
        "translation_status": link.translation_status.value if link.translation_status else None,
        "article_url": link.article_url or None,
        "is_example": item.is_example,
        "version": item.coverage.version,
    }


def instrument_original_titles(session: Session, country_id: int) -> dict[int, str]:
    """Each instrument's title in its original language, by id, for one country (1 query)."""
    return dict(
        session.exec(
            select(Instrument.id, Instrument.title).where(Instrument.country_id == country_id)
        ).all()
    )


def coverage_link_records(session: Session, countries: Sequence[CountryRef]) -> Iterator[dict]:
    """coverage_links.csv: every link of every judgement, in checklist order, then by instrument
    id, each country on its checklist version (2 queries, then 3 per country)."""
    for checklist, run in by_checklist(session, countries):
        yield from _coverage_link_records_on(session, checklist, run)


def _coverage_link_records_on(
    session: Session, checklist: ChecklistInfo, countries: Sequence[CountryRef]
) -> Iterator[dict]:
    provisions = loaders.load_provisions(session, checklist.id)
    for ref in countries:
        judgements = loaders.load_judgements(session, checklist.id, [ref.id], with_updated_at=False)
        titles = instrument_original_titles(session, ref.id)
        for item in figures.coverage_items(provisions, judgements, ref.id)[1]:
            for link in sorted(item.links, key=lambda link: link.instrument_id):
                yield coverage_link_record(
                    ref.iso3, checklist, item, link, titles.get(link.instrument_id)
                )


def coverage_link_text(session: Session, countries: Sequence[CountryRef]) -> Iterator[Piece]:
    """coverage_links.csv's rows as CSV text (no header), a piece a country with links, as
    ``coverage_link_records`` written row by row gives them (a test compares the bytes): plain
    rows read in groups of countries as coverage.csv reads them (2 queries, then 2 a group)."""
    for checklist, run in by_checklist(session, countries):
        yield from _coverage_link_text_on(session, checklist, run)


def _coverage_link_text_on(
    session: Session, checklist: ChecklistInfo, countries: Sequence[CountryRef]
) -> Iterator[Piece]:
    provisions = loaders.load_provisions(session, checklist.id)
    connection = session.connection()
    cov, link = Coverage.__table__.c, CoverageLink.__table__.c
    instrument = Instrument.__table__.c
    ids_of = [p.id for p in provisions] or [0]
    in_checklist = cov.provision_id.between(min(ids_of), max(ids_of))
    version_cell = csvio.text_cell(checklist.code)
    codes = [(p.id, csvio.text_cell(p.code)) for p in provisions]
    text = csvio.text_cell
    out = csvio.TextRows()
    write = out.write
    pending = 0
    size = max(1, GROUP_ROWS // max(1, len(provisions)))
    for start in range(0, len(countries), size):
        group = countries[start : start + size]
        of_group = (cov.country_id.in_([ref.id for ref in group]), in_checklist)
        judged: dict[int, dict[int, tuple]] = {}
        for country_id, provision_id, coverage_id, example, version in loaders.plain_rows(
            connection,
            sa.select(cov.country_id, cov.provision_id, cov.id, cov.is_example, cov.version).where(
                *of_group
            ),
        ):
            judged.setdefault(country_id, {})[provision_id] = (
                coverage_id,
                "true" if example else "false",
                str(version),
            )
        # Each judgement's links by instrument id (the order they were made among equals),
        # with the instrument's original title when it is the country's own.
        links: dict[int, list] = {}
        for coverage_id, *found in loaders.plain_rows(
            connection,
            sa.select(
                link.coverage_id,
                link.instrument_id,
                link.extent,
                link.articles,
                link.excerpt,
                link.excerpt_lang,
                link.translation,
                link.translation_status,
                link.article_url,
                instrument.title,
                sa.case((instrument.country_id == cov.country_id, 1), else_=0),
            )
            .select_from(
                CoverageLink.__table__.join(Coverage.__table__).join(
                    Instrument.__table__, instrument.id == link.instrument_id
                )
            )
            .where(*of_group)
            .order_by(link.coverage_id, link.instrument_id, link.id),
        ):
            links.setdefault(coverage_id, []).append(found)
        no_judgement: dict[int, tuple] = {}
        for ref in group:
            iso3 = text(ref.iso3)
            get = judged.get(ref.id, no_judgement).get
            for provision_id, code in codes:
                found = get(provision_id)
                if found is None or found[0] not in links:
                    continue
                coverage_id, example, version = found
                for (instrument_id, extent, articles, excerpt, excerpt_lang, translation,
                     status, url, title, own) in links[coverage_id]:  # fmt: skip
                    cells = (
                        iso3,
                        version_cell,
                        code,
                        str(instrument_id),
                        text(title) if own else "",
                        extent,
                        text(articles),
                        text(excerpt),
                        text(excerpt_lang),
                        text(translation),
                        status or "",
                        text(url),
                        example,
                        version,
                    )
                    write(cells)
                    pending += 1
            if pending:
                yield ref.id, out.take()
                pending = 0


# --- milestones ---------------------------------------------------------------------------------

MILESTONE_FIELDS = tuple(MILESTONE)  # the milestone's own fields (``tracker.fields``)


def milestone_record(milestone: Milestone, iso3: str | None) -> dict:
    """One row of milestones.csv (``iso3`` None for the project's own timeline)."""
    record: dict = {"id": milestone.id, "country_iso3": iso3}
    for name in MILESTONE_FIELDS:
        value = _value(milestone, name)
        record[name] = value.value if hasattr(value, "value") else (value if value != "" else None)
    record["version"] = milestone.version
    return record


def project_milestone_records(session: Session) -> Iterator[dict]:
    """The project's own timeline (milestones without a country), in id order (1 query)."""
    query = select(Milestone).where(Milestone.country_id.is_(None)).order_by(Milestone.id)
    for milestone in session.exec(query).all():
        yield milestone_record(milestone, None)


def milestone_records(
    session: Session, countries: Sequence[CountryRef], *, with_project: bool = False
) -> Iterator[dict]:
    """milestones.csv: each country's milestones in id order, after the project's own timeline
    when ``with_project`` (the unfiltered file); read in groups of countries (1 query, then 1 a
    group)."""
    if with_project:
        yield from project_milestone_records(session)
    for group in country_groups(session, Milestone, countries):
        found = rows_by_country(session, Milestone, group)
        for ref in group:
            for milestone in found.get(ref.id, ()):
                yield milestone_record(milestone, ref.iso3)


# --- the Global E-waste Monitor's published values ------------------------------------------------


def monitor_records(session: Session, countries: Sequence[CountryRef]) -> Iterator[dict]:
    """monitor_values.csv: every published value beside the value derived now (10 queries)."""
    ids = [c.id for c in countries]
    return monitor_summary_records(figures.country_summaries(session, DEFAULT_LOCALE, ids))


def monitor_summary_records(summaries: Iterable[CountrySummary]) -> Iterator[dict]:
    """monitor_values.csv from the countries' summaries (in English, ISO3 order)."""
    for summary in summaries:
        for value in sorted(summary.published, key=lambda v: (v.edition, GEM.index(v.indicator))):
            derived = summary.gem[value.indicator] if summary.gem is not None else None
            yield {
                "country_iso3": summary.country.iso3,
                "edition": value.edition,
                "indicator": value.indicator.value,
                "published_value": value.value,
                "derived_value": derived,
                "disagrees": derived is not None and derived != value.value,
                "source_url": value.source_url,
                "note": value.note,
            }


def all_milestone_records(session: Session, countries: Sequence[CountryRef]) -> Iterator[dict]:
    """milestones.csv without a country filter: the project's timeline, then every country's."""
    return milestone_records(session, countries, with_project=True)


# --- translations of records' texts ---------------------------------------------------------------


def text_translation_record(
    translation: TextTranslation,
    iso3: str | None,
    provision: tuple[str, str] | None = None,
) -> dict:
    """One row of text_translations.csv: a judgement's translation names its provision
    (``provision`` = (checklist version, provision code)), any other its record's id."""
    version, code = provision if provision else (None, None)
    return {
        "country_iso3": iso3,
        "record": translation.entity,
        "record_id": None if provision else translation.entity_id,
        "checklist_version": version,
        "provision_code": code,
        "field": translation.field,
        "locale": translation.locale,
        "text": translation.text,
        "version": translation.version,
    }


# The records whose texts are translated, with their country (translations of judgements name
# their provision), in the order of their own files.
_TRANSLATED = (("instrument", Instrument), ("coverage", Coverage), ("milestone", Milestone))


def _translations_joined(model: type[SQLModel], entity: str):
    return select(TextTranslation).join(
        model, sa.and_(TextTranslation.entity == entity, TextTranslation.entity_id == model.id)
    )


def _joined(entity: str, model: type[SQLModel]):
    translation = TextTranslation.__table__.c
    return sa.and_(translation.entity == entity, translation.entity_id == model.__table__.c.id)


def translation_counts(session: Session, country_ids: Sequence[int]) -> dict[int, int]:
    """How many translations each country's records have, by country id (1 query)."""
    translation = TextTranslation.__table__
    counted = sa.union_all(
        *(
            sa.select(model.__table__.c.country_id.label("country_id"))
            .select_from(translation.join(model.__table__, _joined(entity, model)))
            .where(model.__table__.c.country_id.in_(country_ids))
            for entity, model in _TRANSLATED
        )
    ).subquery()
    return dict(
        session.connection()
        .execute(sa.select(counted.c.country_id, sa.func.count()).group_by(counted.c.country_id))
        .all()
    )


def country_translation_records(session: Session, ref: CountryRef) -> Iterator[dict]:
    """One country's translations: its instruments', its judgements', its milestones' (3
    queries), each in the order of its own file, then by field and locale."""
    return _group_translation_records(session, [ref])


def _group_translation_records(session: Session, group: Sequence[CountryRef]) -> Iterator[dict]:
    """The translations of a group of countries' records, country by country as
    ``country_translation_records`` gives them (3 queries)."""
    translation = TextTranslation.__table__
    t = translation.c
    ids = [ref.id for ref in group]
    order = (t.field, t.locale)
    found: dict[int, list] = {ref.id: [] for ref in group}
    connection = session.connection()
    instrument = Instrument.__table__.c
    for row in connection.execute(
        sa.select(translation, instrument.country_id.label("of_country"))
        .select_from(translation.join(Instrument.__table__, _joined("instrument", Instrument)))
        .where(instrument.country_id.in_(ids))
        .order_by(instrument.id, *order)
    ):
        found[row.of_country].append((row, None))
    cov, provision = Coverage.__table__.c, Provision.__table__.c
    version = ChecklistVersion.__table__.c
    judged = (
        sa.select(
            translation,
            cov.country_id.label("of_country"),
            version.code.label("checklist_code"),
            provision.code.label("provision_code"),
        )
        .select_from(
            translation.join(Coverage.__table__, _joined("coverage", Coverage))
            .join(Provision.__table__, provision.id == cov.provision_id)
            .join(ChecklistVersion.__table__, version.id == provision.checklist_id)
        )
        .where(cov.country_id.in_(ids))
        .order_by(version.id, provision.position, provision.id, *order)
    )
    for row in connection.execute(judged):
        found[row.of_country].append((row, (row.checklist_code, row.provision_code)))
    milestone = Milestone.__table__.c
    for row in connection.execute(
        sa.select(translation, milestone.country_id.label("of_country"))
        .select_from(translation.join(Milestone.__table__, _joined("milestone", Milestone)))
        .where(milestone.country_id.in_(ids))
        .order_by(milestone.id, *order)
    ):
        found[row.of_country].append((row, None))
    for ref in group:  # each country's instruments', judgements', milestones' (as read)
        for row, provision_of in found[ref.id]:
            yield text_translation_record(row, ref.iso3, provision_of)


def text_translation_records(
    session: Session, countries: Sequence[CountryRef], *, with_project: bool = False
) -> Iterator[dict]:
    """text_translations.csv: after the project's own timeline's when ``with_project`` (the
    unfiltered file), each country's translations, read in groups of countries (1 query, then
    3 a group)."""
    if with_project:
        query = _translations_joined(Milestone, "milestone").where(Milestone.country_id.is_(None))
        order = (Milestone.id, TextTranslation.field, TextTranslation.locale)
        for translation in session.exec(query.order_by(*order)).all():
            yield text_translation_record(translation, None)
    if not countries:
        return
    counts = translation_counts(session, [ref.id for ref in countries])
    for group in groups_of(countries, counts):
        yield from _group_translation_records(session, group)


def all_text_translation_records(
    session: Session, countries: Sequence[CountryRef]
) -> Iterator[dict]:
    """text_translations.csv without a country filter: the project's timeline's too."""
    return text_translation_records(session, countries, with_project=True)


# Exports written as CSV text directly (the rest are formatted from their records), by records
# function: the unfiltered milestones.csv holds the project's timeline too.
TEXTS = {
    coverage_records: coverage_text,
    instrument_records: instrument_text,
    coverage_link_records: coverage_link_text,
    milestone_records: milestone_text,
    all_milestone_records: all_milestone_text,
}


# The text writers that also give rows of no country (the project's own timeline, read from the
# shared tables): what they write needs a replica even when every country's rows are at hand.
WITH_SHARED_ROWS = frozenset({all_milestone_records})


def export_pieces(
    table, records, session: Session, countries: Sequence[CountryRef]
) -> Iterator[Piece]:
    """An export's rows as CSV text (no header): from its own text writer where it has one (a
    piece a country), else its ``records`` formatted by ``csvio.format_batches`` (pieces of no
    country, a batch of rows each)."""
    written = TEXTS.get(records)
    if written is not None:
        yield from written(session, countries)
        return
    header = table.header
    for text in csvio.cells_text(
        csvio.format_batches(
            table, ([record[c] for c in header] for record in records(session, countries))
        )
    ):
        yield None, text


def country_texts(session: Session, country: CountryRef) -> dict[str, str]:
    """One country's rows of each export written a country at a time (export name -> CSV text
    without its header, empty when it has none), as ``export_pieces`` writes them on
    ``session`` (a few queries an export)."""
    out = {}
    for name in BY_COUNTRY:
        pieces = export_pieces(tables.TABLES[name], RECORDS[name], session, [country])
        out[name] = "".join(text for cid, text in pieces if cid == country.id)
    return out


def export_text(
    table, records, session: Session, countries: Sequence[CountryRef], *, bom: bool = False
) -> Iterator[str]:
    """An export's CSV text, its header first, then its pieces (``export_pieces``)."""
    yield csvio.header_text(table, bom=bom)
    for _country, text in export_pieces(table, records, session, countries):
        yield text


# The exports made of the countries' summaries (the figures the overview shows), by the
# function that writes them from summaries made already.
FROM_SUMMARIES = {"countries": summary_records, "monitor_values": monitor_summary_records}

RECORDS = {
    "countries": country_records,
    "checklist": checklist_records,
    "instruments": instrument_records,
    "coverage": coverage_records,
    "milestones": milestone_records,
    "monitor_values": monitor_records,
    "coverage_links": coverage_link_records,
    "text_translations": text_translation_records,
}

# The exports written a country at a time, whose rows are stored with each publication
# (``tracker.read.stored``).
BY_COUNTRY = tuple(name for name, records in RECORDS.items() if records in TEXTS)
