"""The queries every read model shares, each written once and each with a fixed query count.

These return plain rows and small frozen dataclasses, never lazy ORM relationships, so nothing
is loaded while a template renders or a CSV streams. Scoring is applied on top of them in
``tracker.read.figures``; texts are picked with ``tracker.read.texts``.

The coverage judgements and their links (which instruments address a provision, how fully, and
those instruments' status) are read by ``load_judgements`` alone, for the pages, the exports,
the API and the importer's comparison.
"""

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, select

from tracker import dates, scoring
from tracker.codes import (
    ChangeAction,
    Extent,
    GemIndicator,
    InstrumentStatus,
    MilestoneStatus,
    SourceKind,
    TranslationStatus,
)
from tracker.dates import PartialDate
from tracker.i18n import DEFAULT_LOCALE, country_name
from tracker.models import (
    Category,
    CategoryName,
    ChangeRecord,
    ChecklistVersion,
    Country,
    CountryFact,
    Coverage,
    CoverageLink,
    CoverageSource,
    Instrument,
    InstrumentSource,
    InstrumentTitle,
    Milestone,
    MonitorValue,
    Provision,
    ProvisionText,
    TextTranslation,
)
from tracker.read.texts import Localized, language_of, locale_candidates, pick_text

_PROVISION = Provision.__table__.c
_CATEGORY = Category.__table__.c
_COVERAGE = Coverage.__table__.c
_LINK = CoverageLink.__table__.c
_INSTRUMENT = Instrument.__table__.c


def latest(*values: datetime | None) -> datetime | None:
    """The latest of the given timestamps, ignoring missing ones."""
    present = [v for v in values if v is not None]
    return max(present) if present else None


# --- the checklist ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistInfo:
    id: int
    code: str
    title: str
    published_on: PartialDate | None
    is_current: bool = True  # False for a version a publication was made with, since superseded


def current_checklist(session: Session) -> ChecklistInfo | None:
    """The current checklist version, or None before any checklist is loaded (1 query)."""
    found = session.exec(select(ChecklistVersion).where(ChecklistVersion.is_current)).first()
    if found is None:
        return None
    return ChecklistInfo(found.id, found.code, found.title, dates.of(found, "published_on"))


# ``Session.info`` key: on a session that reads publications (``tracker.write.replica``), each
# country's checklist version id, the one its publication was made with.
COUNTRY_CHECKLISTS = "tracker.country_checklists"


@dataclass(frozen=True)
class ChecklistVersions:
    """The current checklist version, and each country's (``checklist_versions``)."""

    current: ChecklistInfo | None
    by_country: dict[int, ChecklistInfo | None]

    def on_current(self, country_id: int) -> bool:
        found = self.by_country.get(country_id)
        return found is not None and self.current is not None and found.id == self.current.id


def checklist_versions(session: Session, country_ids: Iterable[int]) -> ChecklistVersions:
    """Each country's checklist version: on a session reading publications, the one each
    publication was made with (``COUNTRY_CHECKLISTS``); on the live record, the current one
    for every country, as working copies always are (1 query)."""
    wanted = list(country_ids)
    mapping = session.info.get(COUNTRY_CHECKLISTS) or {}
    ids = {mapping[c] for c in wanted if mapping.get(c) is not None}
    version = ChecklistVersion.__table__.c
    query = sa.select(version.id, version.code, version.title, version.published_on,
                      version.published_on_precision, version.is_current)  # fmt: skip
    where = sa.or_(version.is_current, version.id.in_(ids)) if ids else version.is_current
    infos, current = {}, None
    for row in session.connection().execute(query.where(where)):
        info = ChecklistInfo(row.id, row.code, row.title, dates.of(row, "published_on"),
                             bool(row.is_current))  # fmt: skip
        infos[row.id] = info
        if row.is_current:
            current = info
    return ChecklistVersions(current, {c: infos.get(mapping.get(c), current) for c in wanted})


def country_checklists(
    session: Session, country_ids: Iterable[int]
) -> dict[int, ChecklistInfo | None]:
    """Each country's checklist version, by country id (``checklist_versions``; 1 query)."""
    return checklist_versions(session, country_ids).by_country


def checklist_of(session: Session, country_id: int) -> ChecklistInfo | None:
    """One country's checklist version (``country_checklists``; 1 query)."""
    return country_checklists(session, [country_id])[country_id]


class ProvisionRow(NamedTuple):
    """A provision of the checklist with its category's code (a Core row)."""

    id: int
    code: str
    level: object  # Level
    gem_indicator: object  # GemIndicator | None
    position: int
    sources: str | None
    retired: bool
    category_id: int
    category_code: str


def load_provisions(
    session: Session, checklist_id: int, *, include_retired: bool = False
) -> list[ProvisionRow]:
    """The checklist's provisions in checklist order; only the scored ones (not retired) unless
    ``include_retired`` (1 query)."""
    query = (
        sa.select(
            _PROVISION.id,
            _PROVISION.code,
            _PROVISION.level,
            _PROVISION.gem_indicator,
            _PROVISION.position,
            _PROVISION.sources,
            _PROVISION.retired,
            _PROVISION.category_id,
            _CATEGORY.code,
        )
        .select_from(Provision.__table__.join(Category.__table__))
        .where(_PROVISION.checklist_id == checklist_id)
        .order_by(_CATEGORY.position, _PROVISION.position, _PROVISION.code)
    )
    if not include_retired:
        query = query.where(sa.not_(_PROVISION.retired))
    return [ProvisionRow(*row) for row in session.connection().execute(query)]


def provision_choices(session: Session, locale: str) -> list[tuple[str, str]]:
    """Every provision of the current checklist, retired ones too, as (code, "code title") in
    checklist order, the title in ``locale`` by the pages' rule (3 queries; none without a
    checklist)."""
    checklist = current_checklist(session)
    if checklist is None:
        return []
    texts = provision_texts(session, locale, checklist_id=checklist.id)
    out = []
    for p in load_provisions(session, checklist.id, include_retired=True):
        title = texts.get(p.id, (None, None))[0]
        out.append((p.code, f"{p.code} {title.text}" if title is not None else p.code))
    return out


# --- coverage judgements and their links ----------------------------------------------------------


class LinkRow(NamedTuple):
    """One instrument addressing a judged provision (scored as it is: a ``scoring.Link``), with
    the evidence a reader can check: the quoted excerpt, its translation and the article link."""

    instrument_id: int
    extent: Extent
    articles: str | None
    status: InstrumentStatus  # the instrument's lifecycle status
    excerpt: str | None = None
    excerpt_lang: str | None = None
    translation: str | None = None
    translation_status: TranslationStatus | None = None
    article_url: str | None = None

    @property
    def has_evidence(self) -> bool:
        return bool(self.excerpt or self.article_url)


class SourceRow(NamedTuple):
    """A source link of an instrument or a judgement, with its kind."""

    url: str
    kind: SourceKind
    note: str | None


@dataclass(frozen=True)
class Judgements:
    """Coverage rows by (country id, provision id), and their links by coverage id.

    A coverage row is a Core row with the columns of ``coverage`` the read models use as
    attributes (``applicable``, ``implementation``, ``not_applicable_reason``, ``evidence``,
    ``is_example``, ``version``, and ``updated_at`` unless left out). Links are in the order they
    were made.
    """

    coverage: dict[tuple[int, int], sa.Row]
    links: dict[int, list[LinkRow]]
    sources: dict[int, list[SourceRow]] | None = None  # by coverage id, when loaded

    def sources_of(self, coverage_id: int | None) -> tuple[SourceRow, ...]:
        """A judgement's source links (empty when none, or when they were not loaded)."""
        if coverage_id is None or self.sources is None:
            return ()
        return tuple(self.sources.get(coverage_id, ()))

    def of(self, country_id: int, provision_id: int) -> tuple[sa.Row | None, list[LinkRow]]:
        """One provision's coverage row in one country (None when nobody judged it) and links."""
        cov = self.coverage.get((country_id, provision_id))
        return cov, (self.links.get(cov.id, []) if cov is not None else [])


# The coverage columns the read models use (``updated_at`` only when asked for).
_JUDGEMENT_COLUMNS = (
    _COVERAGE.id,
    _COVERAGE.country_id,
    _COVERAGE.provision_id,
    _COVERAGE.applicable,
    _COVERAGE.not_applicable_reason,
    _COVERAGE.implementation,
    _COVERAGE.evidence,
    _COVERAGE.evidence_lang,
    _COVERAGE.is_example,
    _COVERAGE.version,
)


# What the figures rest on (``with_texts=False``): no reason, evidence or its language.
_FIGURE_COLUMNS = (
    _COVERAGE.id,
    _COVERAGE.country_id,
    _COVERAGE.provision_id,
    _COVERAGE.applicable,
    _COVERAGE.implementation,
    _COVERAGE.is_example,
    _COVERAGE.version,
)


def load_judgements(
    session: Session,
    checklist_id: int,
    country_ids: Sequence[int] | None = None,
    provision_ids: Sequence[int] | None = None,
    *,
    with_updated_at: bool = True,
    with_sources: bool = False,
    with_texts: bool = True,
) -> Judgements:
    """The coverage rows and links of a checklist, for some or all countries and provisions
    (2 queries, Core selects: the coverage export reads them for every country, without the
    ``updated_at`` it does not show; 1 more with the judgements' source links). Without
    ``with_texts``, only what the figures rest on is read: no not-applicable reason, evidence,
    articles, excerpts or translations (the overview's and the checklist's figures)."""
    in_checklist = sa.select(_PROVISION.id).where(_PROVISION.checklist_id == checklist_id)
    where = [_COVERAGE.provision_id.in_(in_checklist.scalar_subquery())]
    if country_ids is not None:
        where.append(_COVERAGE.country_id.in_(list(country_ids)))
    if provision_ids is not None:
        where.append(_COVERAGE.provision_id.in_(list(provision_ids)))
    connection = session.connection()
    coverage = {
        (row.country_id, row.provision_id): row
        for row in connection.execute(
            sa.select(
                *(_JUDGEMENT_COLUMNS if with_texts else _FIGURE_COLUMNS),
                *((_COVERAGE.updated_at,) if with_updated_at else ()),
            ).where(*where)
        ).all()  # one fetch, not one per row
    }
    links: dict[int, list[LinkRow]] = {}
    query = (
        sa.select(
            _LINK.coverage_id,
            _LINK.instrument_id,
            _LINK.extent,
            _LINK.articles,
            _INSTRUMENT.status,
            _LINK.excerpt,
            _LINK.excerpt_lang,
            _LINK.translation,
            _LINK.translation_status,
            _LINK.article_url,
        )
        .select_from(
            CoverageLink.__table__.join(Coverage.__table__, _COVERAGE.id == _LINK.coverage_id).join(
                Instrument.__table__, _INSTRUMENT.id == _LINK.instrument_id
            )
        )
        .where(*where)
        .order_by(_LINK.id)
    )
    if not with_texts:
        query = query.with_only_columns(
            _LINK.coverage_id, _LINK.instrument_id, _LINK.extent, sa.null(), _INSTRUMENT.status
        )
    for coverage_id, *link in connection.execute(query).all():
        links.setdefault(coverage_id, []).append(LinkRow(*link))
    sources = None
    if with_sources:
        source = CoverageSource.__table__.c
        sources = {}
        for coverage_id, url, kind, note in connection.execute(
            sa.select(source.coverage_id, source.url, source.kind, source.note)
            .select_from(
                CoverageSource.__table__.join(
                    Coverage.__table__, _COVERAGE.id == source.coverage_id
                )
            )
            .where(*where)
            .order_by(source.id)
        ):
            sources.setdefault(coverage_id, []).append(SourceRow(url, kind, note))
    return Judgements(coverage, links, sources)


def plain_rows(connection: sa.Connection, query) -> list[tuple]:
    """A query's rows as the driver returns them (plain tuples, codes as stored, booleans and
    timestamps as the driver has them): no result processing, for the largest reads."""
    result = connection.execute(query)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def plain_batches(connection: sa.Connection, query, size: int = 50_000) -> Iterator[tuple]:
    """``plain_rows`` one row at a time, fetched ``size`` at a time: a read of a million rows
    never holds a Python tuple for each at once (SQLite steps its statement as rows are read;
    psycopg keeps PostgreSQL's answer in libpq's memory). Not ``stream_results``: its result
    buffers the first row itself, which reading the driver's cursor would skip."""
    result = connection.execute(query)
    try:
        cursor = result.cursor
        while batch := cursor.fetchmany(size):
            yield from batch
    finally:
        result.close()


@dataclass(frozen=True)
class JudgedFigures:
    """What one country's figures read of its judgements (``judgement_figures``): by provision
    id, whether it applies, the implementation code and the sorted (extent, instrument status)
    codes of its links; when a judgement last changed; whether one is an
    example. Codes stay the database's strings: ``tracker.read.figures`` turns each distinct
    judgement into enum members once, not each of a million rows."""

    judged: dict[int, tuple[bool, str, tuple[tuple[str, str], ...]]]
    latest: datetime | None
    has_example: bool


def judgement_figures(
    session: Session, checklist_id: int, country_ids: Sequence[int] | None = None
) -> dict[int, JudgedFigures]:
    """Each country's judgements as its figures read them (2 queries, as
    ``load_judgements(with_texts=False)``), without a row object, an enum member or a timestamp
    per judgement: the overview and countries.csv score every judgement of every country, a
    million of them in the largest data set the benchmark reads."""
    in_checklist = sa.select(_PROVISION.id).where(_PROVISION.checklist_id == checklist_id)
    where = [_COVERAGE.provision_id.in_(in_checklist.scalar_subquery())]
    if country_ids is not None:
        where.append(_COVERAGE.country_id.in_(list(country_ids)))
    connection = session.connection()
    links: dict[int, list[tuple[str, str]]] = {}
    for coverage_id, extent, status in plain_batches(
        connection,
        sa.select(_LINK.coverage_id, _LINK.extent, _INSTRUMENT.status)
        .select_from(
            CoverageLink.__table__.join(Coverage.__table__, _COVERAGE.id == _LINK.coverage_id)
            .join(Instrument.__table__, _INSTRUMENT.id == _LINK.instrument_id)
        )
        .where(*where),  # in any order: a provision's score takes the best of its links
    ):  # fmt: skip
        found = links.get(coverage_id)
        if found is None:
            links[coverage_id] = [(extent, status)]
        else:
            found.append((extent, status))
    judged: dict[int, dict[int, tuple[bool, str, tuple[tuple[str, str], ...]]]] = {}
    stamps: dict[int, object] = {}
    examples: set[int] = set()
    nothing: tuple[tuple[str, str], ...] = ()
    for coverage_id, country_id, provision_id, applicable, implementation, example, at in (
        plain_batches(
            connection,
            sa.select(
                _COVERAGE.id, _COVERAGE.country_id, _COVERAGE.provision_id, _COVERAGE.applicable,
                _COVERAGE.implementation, _COVERAGE.is_example, _COVERAGE.updated_at,
            ).where(*where),
        )
    ):  # fmt: skip
        found = links.get(coverage_id)
        provisions = judged.get(country_id)
        if provisions is None:
            provisions = judged[country_id] = {}
            stamps[country_id] = at
        elif at > stamps[country_id]:
            stamps[country_id] = at
        # sorted: judgements alike have one key however their links came
        provisions[provision_id] = (applicable, implementation, nothing if found is None
                                    else tuple(sorted(found)))  # fmt: skip
        if example:
            examples.add(country_id)
    # The latest raw timestamp is the latest timestamp: SQLite keeps them as text in one fixed
    # format (SQLAlchemy's), whose order is time order; PostgreSQL's driver gives datetimes.
    kind = _COVERAGE.updated_at.type.dialect_impl(connection.dialect)
    stamp = kind.result_processor(connection.dialect, None)
    return {
        cid: JudgedFigures(
            provisions, stamp(stamps[cid]) if stamp else stamps[cid], cid in examples
        )
        for cid, provisions in judged.items()
    }


def instrument_sources(
    session: Session,
    instrument_ids: Iterable[int] | None = None,
    country_id: int | None = None,
    country_ids: Sequence[int] | None = None,
) -> dict[int, tuple[SourceRow, ...]]:
    """The source links of some instruments (by id, or all of a country's or some countries'),
    in order (1 query)."""
    source = InstrumentSource.__table__.c
    query = sa.select(source.instrument_id, source.url, source.kind, source.note).order_by(
        source.id
    )
    if country_id is not None:
        country_ids = [country_id]
    if country_ids is not None:
        query = query.select_from(
            InstrumentSource.__table__.join(
                Instrument.__table__, _INSTRUMENT.id == source.instrument_id
            )
        ).where(_INSTRUMENT.country_id.in_(country_ids))
    if instrument_ids is not None:
        query = query.where(source.instrument_id.in_(list(instrument_ids)))
    out: dict[int, list[SourceRow]] = {}
    for instrument_id, url, kind, note in session.connection().execute(query):
        out.setdefault(instrument_id, []).append(SourceRow(url, kind, note))
    return {key: tuple(rows) for key, rows in out.items()}


# --- countries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountryRef:
    """A country as readers see it: its codes and its name in the reader's language (CLDR)."""

    id: int
    iso3: str
    iso2: str
    name: str


def country_ref(country: Country, locale: str) -> CountryRef:
    name = country_name(country.iso2, language_of(locale))
    return CountryRef(country.id, country.iso3, country.iso2, name)


def load_countries(
    session: Session, locale: str, country_ids: Sequence[int] | None = None
) -> list[tuple[CountryRef, Country]]:
    """Countries (all, or those ids) by ISO3 code, with their reference in ``locale`` (1 query)."""
    query = select(Country).order_by(Country.iso3)
    if country_ids is not None:
        query = query.where(Country.id.in_(list(country_ids)))
    return [(country_ref(c, locale), c) for c in session.exec(query).all()]


def resolve_countries(
    session: Session, codes: Sequence[str], locale: str = DEFAULT_LOCALE
) -> tuple[list[CountryRef], list[str]]:
    """The countries named by ISO3 ``codes`` (all countries when empty) in ISO3 order, and the
    codes that name no country (1 query)."""
    country = Country.__table__.c
    query = sa.select(country.id, country.iso3, country.iso2).order_by(country.iso3)
    wanted = sorted({code.strip().upper() for code in codes if code.strip()})
    if wanted:
        query = query.where(country.iso3.in_(wanted))
    lang = language_of(locale)
    found = [
        CountryRef(country_id, iso3, iso2, country_name(iso2, lang))
        for country_id, iso3, iso2 in session.connection().execute(query)
    ]
    known = {c.iso3 for c in found}
    return found, [code for code in wanted if code not in known]


class StageRow(NamedTuple):
    """An instrument as the stage reads it (a ``scoring.StageInstrument``)."""

    status: InstrumentStatus
    ewaste_specific: bool


@dataclass(frozen=True)
class InstrumentStats:
    count: int = 0
    latest: datetime | None = None
    ewaste_law_in_force: bool = False  # ``scoring.is_ewaste_law_in_force`` for at least one
    for_stage: tuple[StageRow, ...] = ()  # each (status, specific) pair the country has, once

    @classmethod
    def of(cls, instruments: Sequence[Instrument]) -> "InstrumentStats":
        """The same figures from a country's loaded instruments."""
        return cls(
            len(instruments),
            latest(*(i.updated_at for i in instruments)),
            any(
                scoring.is_ewaste_law_in_force(i.type, i.status, i.ewaste_specific)
                for i in instruments
            ),
            tuple(dict.fromkeys(StageRow(i.status, i.ewaste_specific) for i in instruments)),
        )


def instrument_stats(
    session: Session, country_ids: Sequence[int] | None = None
) -> dict[int, InstrumentStats]:
    """How many instruments each country has, when one last changed, whether one is e-waste
    legislation in force (``scoring.is_ewaste_law_in_force``) and the statuses its stage reads
    (1 query)."""
    ewaste_law = sa.and_(
        Instrument.ewaste_specific,
        Instrument.type.in_(scoring.LEGISLATION_TYPES),
        Instrument.status.in_(scoring.IN_FORCE_STATUSES),
    )
    query = select(
        Instrument.country_id,
        Instrument.status,
        Instrument.ewaste_specific,
        sa.func.count(),
        sa.func.max(Instrument.updated_at),
        sa.func.max(sa.case((ewaste_law, 1), else_=0)),
    ).group_by(Instrument.country_id, Instrument.status, Instrument.ewaste_specific)
    if country_ids is not None:
        query = query.where(Instrument.country_id.in_(list(country_ids)))
    counts: dict[int, int] = {}
    last: dict[int, datetime | None] = {}
    laws: dict[int, bool] = {}
    stage_rows: dict[int, list[StageRow]] = {}
    for cid, status, specific, n, updated, law in session.exec(query).all():
        counts[cid] = counts.get(cid, 0) + int(n)
        last[cid] = latest(last.get(cid), updated)
        laws[cid] = laws.get(cid, False) or bool(law)
        stage_rows.setdefault(cid, []).append(StageRow(status, bool(specific)))
    return {
        cid: InstrumentStats(counts[cid], last[cid], laws[cid], tuple(stage_rows[cid]))
        for cid in counts
    }


@dataclass(frozen=True)
class MilestoneStats:
    counts: scoring.MilestoneCounts = scoring.MilestoneCounts()
    latest: datetime | None = None

    @classmethod
    def of(cls, milestones: Sequence[Milestone]) -> "MilestoneStats":
        """The same figures from a country's loaded milestones."""
        return cls(
            scoring.milestone_counts(
                Counter(m.status for m in milestones if scoring.is_counted(m.nature))
            ),
            latest(*(m.updated_at for m in milestones)),
        )


def milestone_stats(
    session: Session, country_ids: Sequence[int] | None = None
) -> dict[int, MilestoneStats]:
    """Each country's milestone counts (``scoring.milestone_counts``, project steps only) and
    when one of its milestones last changed (1 query)."""
    query = (
        select(
            Milestone.country_id,
            Milestone.nature,
            Milestone.status,
            sa.func.count(),
            sa.func.max(Milestone.updated_at),
        )
        .where(Milestone.country_id.is_not(None))
        .group_by(Milestone.country_id, Milestone.nature, Milestone.status)
    )
    if country_ids is not None:
        query = query.where(Milestone.country_id.in_(list(country_ids)))
    by_status: dict[int, dict[MilestoneStatus, int]] = {}
    last: dict[int, datetime | None] = {}
    for cid, nature, status, n, updated in session.exec(query).all():
        counts = by_status.setdefault(cid, {})
        if scoring.is_counted(nature):
            counts[status] = counts.get(status, 0) + int(n)
        last[cid] = latest(last.get(cid), updated)
    return {
        cid: MilestoneStats(scoring.milestone_counts(counts), last[cid])
        for cid, counts in by_status.items()
    }


# --- country facts, the Monitor's published values, deletions --------------------------------------


@dataclass(frozen=True)
class FactRow:
    """A country's e-waste figures for one year (None: not recorded) and their source."""

    id: int
    country_id: int
    year: int
    generated_kg: float | None
    generated_kg_per_capita: float | None
    collected_kg: float | None
    collected_kg_per_capita: float | None
    source_url: str
    note: str | None
    version: int
    updated_at: datetime


def country_facts(
    session: Session, country_ids: Sequence[int] | None = None
) -> dict[int, list[FactRow]]:
    """Each country's e-waste figures, the latest year first (1 query)."""
    query = select(CountryFact).order_by(CountryFact.country_id, CountryFact.year.desc())
    if country_ids is not None:
        query = query.where(CountryFact.country_id.in_(list(country_ids)))
    out: dict[int, list[FactRow]] = {}
    for f in session.exec(query).all():
        out.setdefault(f.country_id, []).append(
            FactRow(
                f.id,
                f.country_id,
                f.year,
                f.generated_kg,
                f.generated_kg_per_capita,
                f.collected_kg,
                f.collected_kg_per_capita,
                f.source_url,
                f.note,
                f.version,
                f.updated_at,
            )
        )
    return out


@dataclass(frozen=True)
class PublishedRow:
    """The Global E-waste Monitor's own value of one indicator in one edition, with its source."""

    id: int
    country_id: int
    edition: int
    indicator: GemIndicator
    value: bool
    source_url: str
    note: str | None
    version: int
    updated_at: datetime


def monitor_values(
    session: Session, country_ids: Sequence[int] | None = None
) -> dict[int, list[PublishedRow]]:
    """Each country's published Monitor values, the latest edition first, then in the order of
    the Monitor's indicators (1 query)."""
    query = select(MonitorValue).order_by(
        MonitorValue.country_id, MonitorValue.edition.desc(), MonitorValue.id
    )
    if country_ids is not None:
        query = query.where(MonitorValue.country_id.in_(list(country_ids)))
    out: dict[int, list[PublishedRow]] = {}
    for v in session.exec(query).all():
        out.setdefault(v.country_id, []).append(
            PublishedRow(
                v.id,
                v.country_id,
                v.edition,
                v.indicator,
                v.value,
                v.source_url,
                v.note,
                v.version,
                v.updated_at,
            )
        )
    order = list(GemIndicator)
    for rows in out.values():
        rows.sort(key=lambda r: (-r.edition, order.index(r.indicator)))
    return out


def last_deletions(
    session: Session, country_ids: Sequence[int] | None = None
) -> dict[int, datetime]:
    """When something of each country was last deleted (a deleted row leaves no ``updated_at``
    behind, only its change record), for its "last update" (1 query)."""
    query = (
        select(ChangeRecord.country_id, sa.func.max(ChangeRecord.at))
        .where(ChangeRecord.action == ChangeAction.DELETE, ChangeRecord.country_id.is_not(None))
        .group_by(ChangeRecord.country_id)
    )
    if country_ids is not None:
        query = query.where(ChangeRecord.country_id.in_(list(country_ids)))
    return {cid: at for cid, at in session.exec(query).all()}


# --- texts in the reader's language ---------------------------------------------------------------


@dataclass(frozen=True)
class CategoryInfo:
    id: int
    code: str
    name: Localized
    position: int


def category_names(session: Session, checklist_id: int, locale: str) -> dict[int, CategoryInfo]:
    """Categories of a checklist by id in checklist order, with their names in the reader's
    locale (1 query)."""
    rows = session.exec(
        select(
            Category.id, Category.code, Category.position, CategoryName.locale, CategoryName.name
        )
        .outerjoin(
            CategoryName,
            sa.and_(
                CategoryName.category_id == Category.id,
                CategoryName.locale.in_(locale_candidates(locale)),
            ),
        )
        .where(Category.checklist_id == checklist_id)
        .order_by(Category.position, Category.id)
    ).all()
    codes: dict[int, tuple[str, int]] = {}
    names: dict[int, dict[str, str]] = {}
    for cat_id, code, position, name_locale, name in rows:
        codes[cat_id] = (code, position)
        if name_locale:
            names.setdefault(cat_id, {})[name_locale] = name
    return {
        cat_id: CategoryInfo(
            cat_id,
            code,
            pick_text(names.get(cat_id, {}), locale) or Localized(code, locale),
            position,
        )
        for cat_id, (code, position) in codes.items()
    }


def provision_texts(
    session: Session,
    locale: str,
    provision_ids: Iterable[int] | None = None,
    checklist_id: int | None = None,
) -> dict[int, tuple[Localized | None, Localized | None]]:
    """Title and guidance per provision id in the reader's locale (1 query)."""
    query = select(
        ProvisionText.provision_id,
        ProvisionText.locale,
        ProvisionText.title,
        ProvisionText.guidance,
    ).where(ProvisionText.locale.in_(locale_candidates(locale)))
    if checklist_id is not None:
        query = query.join(Provision, Provision.id == ProvisionText.provision_id).where(
            Provision.checklist_id == checklist_id
        )
    if provision_ids is not None:
        query = query.where(ProvisionText.provision_id.in_(list(provision_ids)))
    titles: dict[int, dict[str, str]] = {}
    guidance: dict[int, dict[str, str]] = {}
    for pid, text_locale, title, text in session.exec(query).all():
        titles.setdefault(pid, {})[text_locale] = title
        guidance.setdefault(pid, {})[text_locale] = text
    return {
        pid: (pick_text(titles[pid], locale), pick_text(guidance.get(pid, {}), locale))
        for pid in titles
    }


def instrument_titles(
    session: Session,
    locale: str,
    instrument_ids: Iterable[int] | None = None,
    country_id: int | None = None,
) -> dict[int, dict[str, str]]:
    """Translated titles per instrument id, in the reader's locale and English (1 query)."""
    query = select(InstrumentTitle.instrument_id, InstrumentTitle.locale, InstrumentTitle.title)
    query = query.where(InstrumentTitle.locale.in_(locale_candidates(locale)))
    if country_id is not None:
        query = query.join(Instrument, Instrument.id == InstrumentTitle.instrument_id).where(
            Instrument.country_id == country_id
        )
    if instrument_ids is not None:
        query = query.where(InstrumentTitle.instrument_id.in_(list(instrument_ids)))
    out: dict[int, dict[str, str]] = {}
    for iid, title_locale, title in session.exec(query).all():
        out.setdefault(iid, {})[title_locale] = title
    return out


# Translations of a record's texts, by (record kind, record id, field), then by locale.
Translations = dict[tuple[str, int, str], dict[str, str]]


def text_translations(session: Session, locale: str, records: dict[str, object]) -> Translations:
    """The translations into the reader's locale (or its language) of the texts of some records
    (``tracker.fields.TRANSLATABLE``); ``records`` maps a record kind to its ids, a list or a
    select of ids (1 query, none without records)."""
    wanted = [
        sa.and_(TextTranslation.entity == entity, TextTranslation.entity_id.in_(ids))
        for entity, ids in records.items()
    ]
    if not wanted:
        return {}
    query = select(
        TextTranslation.entity,
        TextTranslation.entity_id,
        TextTranslation.field,
        TextTranslation.locale,
        TextTranslation.text,
    ).where(
        TextTranslation.locale.in_(sorted({locale, language_of(locale)})), sa.or_(*wanted)
    )
    out: Translations = {}
    for entity, entity_id, name, text_locale, text in session.exec(query).all():
        out.setdefault((entity, entity_id, name), {})[text_locale] = text
    return out
