"""Read models of the public pages: each page gets everything it shows from one function here.

Each function returns plain frozen dataclasses built in a constant number of queries, whatever
the number of countries, provisions and instruments, so templates only lay out data (nothing is
lazy-loaded while rendering). The figures come from ``tracker.read.figures`` (the same objects as
the CSV exports and the API), the queries from ``tracker.read.loaders``, the texts in the
reader's language from ``tracker.read.texts``. A later issue may serve the pages from published
snapshots by swapping these functions alone.

To change a page: its view in ``tracker.web.public``, its function here, its template in
``tracker/templates/public/``. To change how a figure is computed: ``tracker.scoring``.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from tracker import dates, scoring
from tracker.codes import (
    Extent,
    GemIndicator,
    Implementation,
    InstrumentStatus,
    InstrumentType,
    Level,
    MilestoneKind,
    MilestoneNature,
    MilestoneStatus,
    RelationKind,
    SourceKind,
    TranslationStatus,
)
from tracker.dates import PartialDate
from tracker.fields import INSTRUMENT_DATES
from tracker.i18n import DEFAULT_LOCALE
from tracker.models import Country, Coverage, Instrument, InstrumentRelation, Milestone
from tracker.read import loaders
from tracker.read import sources as register
from tracker.read.figures import (
    CountrySummary,
    CoverageItem,
    JudgedDigest,
    country_summaries,
    coverage_items,
    summarize,
)
from tracker.read.loaders import (
    CategoryInfo,
    ChecklistInfo,
    CountryRef,
    InstrumentStats,
    MilestoneStats,
    ProvisionRow,
    SourceRow,
    Translations,
)
from tracker.read.paging import Page, paginate
from tracker.read.texts import ContentText, Localized, content_text, instrument_title
from tracker.scoring import Figures, LinkInput, Progress, ProvisionInput, ProvisionScore

# --- shared building blocks ---------------------------------------------------------------------


@dataclass(frozen=True)
class ProvisionInfo:
    id: int
    code: str
    category_code: str
    level: Level
    weight: int
    gem: GemIndicator | None
    title: Localized
    guidance: Localized | None


def _provision_info(provision: ProvisionRow, texts: Mapping, locale: str) -> ProvisionInfo:
    title, guidance = texts.get(provision.id, (None, None))
    return ProvisionInfo(
        id=provision.id,
        code=provision.code,
        category_code=provision.category_code,
        level=provision.level,
        weight=scoring.WEIGHTS[provision.level],
        gem=provision.gem_indicator,
        title=title or Localized(provision.code, locale),
        guidance=guidance,
    )


@dataclass(frozen=True)
class InstrumentRef:
    id: int
    title: Localized
    status: InstrumentStatus


def _instrument_ref(inst: Instrument, titles: Mapping[int, Mapping[str, str]], locale: str):
    return InstrumentRef(
        inst.id,
        instrument_title(inst.title, inst.title_lang, titles.get(inst.id, {}), locale),
        inst.status,
    )


@dataclass(frozen=True)
class Evidence:
    """What a reader can check of a link: the legal text quoted exactly, in its language, an
    optional translation (official or not) and a link to the exact article or page."""

    excerpt: str | None
    excerpt_lang: str | None
    translation: str | None
    translation_status: TranslationStatus | None
    article_url: str | None

    def __bool__(self) -> bool:
        return bool(self.excerpt or self.article_url)


def _evidence(link) -> Evidence:
    return Evidence(
        link.excerpt,
        link.excerpt_lang,
        link.translation,
        link.translation_status,
        link.article_url,
    )


@dataclass(frozen=True)
class LinkInfo:
    instrument: InstrumentRef
    extent: Extent
    articles: str | None
    evidence: Evidence


@dataclass(frozen=True)
class CoverageRow:
    """One provision for one country as the pages show it: the read layer's ``CoverageItem``
    with the provision's texts, the linked instruments' titles and the evidence in the reader's
    language (``tracker.read.texts.content_text``)."""

    provision: ProvisionInfo
    item: CoverageItem
    links: tuple[LinkInfo, ...]
    sources: tuple[SourceRow, ...] = ()  # the judgement's source links
    evidence_text: ContentText | None = None

    @property
    def score(self) -> ProvisionScore:
        return self.item.score

    @property
    def judged(self) -> bool:
        return self.item.judged

    @property
    def applicable(self) -> bool:
        return self.item.applicable

    @property
    def implementation(self) -> Implementation:
        return self.item.implementation

    @property
    def is_example(self) -> bool:
        return self.item.is_example

    @property
    def not_applicable_reason(self) -> str | None:
        return self.item.coverage.not_applicable_reason if self.item.judged else None

    @property
    def evidence(self) -> ContentText | None:
        return self.evidence_text

    @property
    def in_force(self) -> str:
        return self.item.in_force

    @property
    def with_drafts(self) -> str:
        return self.item.with_drafts


def _coverage_row(
    item: CoverageItem,
    info: ProvisionInfo,
    refs: Mapping[int, InstrumentRef],
    sources: tuple[SourceRow, ...] = (),
    translations: Translations | None = None,
    locale: str = DEFAULT_LOCALE,
) -> CoverageRow:
    links = tuple(
        LinkInfo(refs[link.instrument_id], link.extent, link.articles, _evidence(link))
        for link in item.links
        if link.instrument_id in refs
    )
    cov = item.coverage
    evidence = None
    if cov is not None:
        found = (translations or {}).get(("coverage", cov.id, "evidence"), {})
        evidence = content_text(cov.evidence, cov.evidence_lang, found, locale)
    return CoverageRow(info, item, links, sources, evidence)


# --- overview (GET /<lang>/) ---------------------------------------------------------------------

# A row of the overview is a country's summary: figures, stage, milestones, last update.
OverviewRow = CountrySummary


# How the overview's countries can be ordered: the key of each, and whether it reads from the
# highest value down unless the reader says otherwise (figures do; names read A to Z).
OVERVIEW_SORTS: dict[str, bool] = {
    "country": False,
    "in_force": True,
    "with_drafts": True,
    "implementation": True,
    "assessed": True,
    "stage": True,
    "milestones": True,
    "updated": True,
}
OVERVIEW_PAGE_SIZE = 50  # countries per page: about 70 KB of HTML


def _overview_key(sort: str):
    def figure(row: CountrySummary) -> float:
        f = row.figures
        if f is None:
            return -1.0
        if sort == "assessed":
            return f.assessed / f.provisions if f.provisions else -1.0
        value = getattr(f, sort)
        return -1.0 if value is None else value

    keys = {
        "stage": lambda row: row.stage_rank,
        "milestones": lambda row: row.milestones_done,
        "updated": lambda row: (row.last_update is not None, row.last_update or datetime.min),
    }
    return keys.get(sort, figure)


def sort_overview(
    rows: Sequence[CountrySummary], sort: str = "country", descending: bool | None = None
) -> list[CountrySummary]:
    """The countries in the order asked for; ties (and ``country``) by name."""
    if descending is None:
        descending = OVERVIEW_SORTS[sort]
    ordered = sorted(rows, key=lambda r: r.country.name, reverse=sort == "country" and descending)
    if sort != "country":
        ordered.sort(key=_overview_key(sort), reverse=descending)  # stable: names stay in order
    return ordered


@dataclass(frozen=True)
class OverviewReport:
    checklist: ChecklistInfo | None
    countries: tuple[CountrySummary, ...]  # every country, in the order asked for
    project: tuple["MilestoneRow", ...] = ()  # the project's own timeline (no country)
    page: Page[CountrySummary] | None = None  # the countries this page shows
    sort: str = "country"
    descending: bool = False

    @property
    def has_example(self) -> bool:
        return any(row.has_example for row in self.shown)

    @property
    def shown(self) -> Sequence[CountrySummary]:
        return self.page.items if self.page is not None else self.countries

    @property
    def mixed(self) -> bool:
        """Whether a country shown is on another checklist version than the one named."""
        return any(
            row.checklist is not None and self.checklist is not None
            and row.checklist.id != self.checklist.id
            for row in self.shown
        )  # fmt: skip


def overview_report(
    session: Session,
    locale: str = DEFAULT_LOCALE,
    today: date | None = None,
    *,
    page: int = 1,
    sort: str = "country",
    descending: bool | None = None,
    page_size: int = OVERVIEW_PAGE_SIZE,
    summaries: Sequence[CountrySummary] | None = None,
) -> OverviewReport:
    """Every country with its progress, stage, milestones and last update, in the order asked
    for (by name unless told otherwise), page ``page`` of them, and the project's own timeline
    (12 queries; 2 given every country's ``summaries``, as ``country_summaries`` makes them).
    ``PageOutOfRange`` past the last page."""
    if descending is None:
        descending = OVERVIEW_SORTS[sort]
    if summaries is None:
        summaries = country_summaries(session, locale)
    rows = sort_overview(summaries, sort, descending)
    shown = paginate(rows, page, page_size)
    # The version the overview names: the current one (a country published on an earlier one
    # names its own in its row).
    checklist = next((r.checklist for r in rows if r.checklist and r.checklist.is_current), None)
    if checklist is None:
        checklist = loaders.current_checklist(session)
    project = project_milestones(session)
    translations = loaders.text_translations(
        session, locale, {"milestone": [m.id for m in project]}
    )
    timeline = _milestone_rows(project, translations, locale, today or date.today())
    return OverviewReport(checklist, tuple(rows), timeline, shown, sort, descending)


# --- country page (GET /<lang>/countries/<ISO3>) ----------------------------------------------------


@dataclass(frozen=True)
class CategorySection:
    category: CategoryInfo
    figures: Figures
    rows: tuple[CoverageRow, ...]


@dataclass(frozen=True)
class InstrumentRow:
    id: int
    type: InstrumentType
    title: Localized
    original_title: str
    title_lang: str
    number: str | None
    issuing_body: str | None
    status: InstrumentStatus
    year: int | None
    # (field name, date at its precision) for every known date, by date (lifecycle order on ties)
    dates: tuple[tuple[str, PartialDate], ...]
    dates_note: str | None
    url: str | None
    summary: ContentText | None  # in the reader's language, else the original, marked
    provisions: int  # provisions of the current checklist it addresses for its country
    ewaste_specific: bool = False  # specific to e-waste, or a general instrument touching it
    sources: tuple[SourceRow, ...] = ()  # every source read for it, with its kind


def _instrument_row(
    inst: Instrument,
    titles: Mapping[str, str],
    locale: str,
    provisions: int,
    sources: tuple[SourceRow, ...] = (),
    translations: Translations | None = None,
) -> InstrumentRow:
    return InstrumentRow(
        id=inst.id,
        type=inst.type,
        title=instrument_title(inst.title, inst.title_lang, titles, locale),
        original_title=inst.title,
        title_lang=inst.title_lang,
        number=inst.number,
        issuing_body=inst.issuing_body,
        status=inst.status,
        year=inst.year,
        dates=lifecycle(inst),
        dates_note=inst.dates_note,
        url=inst.url,
        summary=content_text(
            inst.summary,
            inst.summary_lang,
            (translations or {}).get(("instrument", inst.id, "summary"), {}),
            locale,
        ),
        provisions=provisions,
        ewaste_specific=inst.ewaste_specific,
        sources=sources,
    )


def lifecycle(inst: Instrument) -> tuple[tuple[str, PartialDate], ...]:
    """The instrument's known dates at their precision, by date (lifecycle order on a tie)."""
    known = [(name, dates.of(inst, name)) for name in INSTRUMENT_DATES]
    return tuple(
        sorted(
            ((name, value) for name, value in known if value is not None),
            key=lambda pair: dates.timeline_key(pair[1]),
        )
    )


def milestone_order(row: "MilestoneRow") -> tuple:
    """A country's timeline: by the date it happened, else the planned one; undated last."""
    return (*dates.timeline_key(row.actual_on or row.planned_on), row.id)


@dataclass(frozen=True)
class MilestoneRow:
    """A milestone in a timeline: a project step or a context event (marked as such), its title
    and notes in the reader's language or marked with their own."""

    id: int
    kind: MilestoneKind
    title: ContentText
    planned_on: PartialDate | None
    actual_on: PartialDate | None
    place: str | None
    status: MilestoneStatus
    source_url: str | None
    notes: ContentText | None
    is_overdue: bool
    source_kind: SourceKind | None = None
    nature: MilestoneNature = MilestoneNature.PROJECT

    @property
    def is_context(self) -> bool:
        return self.nature is MilestoneNature.CONTEXT


def _milestone_rows(
    milestones: Sequence[Milestone], translations: Translations, locale: str, today: date
) -> tuple[MilestoneRow, ...]:
    """Milestones as timeline rows, in timeline order (``milestone_order``)."""

    def texts(m: Milestone, name: str) -> Mapping[str, str]:
        return translations.get(("milestone", m.id, name), {})

    rows = (
        MilestoneRow(
            id=m.id,
            kind=m.kind,
            title=content_text(m.title, m.title_lang, texts(m, "title"), locale),
            planned_on=dates.of(m, "planned_on"),
            actual_on=dates.of(m, "actual_on"),
            place=m.place,
            status=m.status,
            source_url=m.source_url,
            notes=content_text(m.notes, m.notes_lang, texts(m, "notes"), locale),
            is_overdue=scoring.is_overdue(dates.of(m, "planned_on"), m.status, today, m.nature),
            source_kind=m.source_kind,
            nature=m.nature,
        )
        for m in milestones
    )
    return tuple(sorted(rows, key=milestone_order))


def project_milestones(session: Session) -> list[Milestone]:
    """The project's own timeline: milestones tied to no country (1 query)."""
    return list(session.exec(select(Milestone).where(Milestone.country_id.is_(None))).all())


@dataclass(frozen=True)
class CountryReport:
    summary: CountrySummary  # the same object as the country's overview row
    categories: tuple[CategorySection, ...]
    instruments: tuple[InstrumentRow, ...]
    milestones: tuple[MilestoneRow, ...]

    @property
    def country(self) -> CountryRef:
        return self.summary.country

    @property
    def joined_on(self) -> PartialDate | None:
        return self.summary.joined_on

    @property
    def checklist(self) -> ChecklistInfo | None:
        return self.summary.checklist

    @property
    def progress(self) -> Progress | None:
        return self.summary.progress

    @property
    def overall(self) -> Figures | None:
        return self.summary.figures

    @property
    def gem(self) -> dict[GemIndicator, bool]:
        """The four monitor indicators in ``GemIndicator`` order (empty without a checklist)."""
        return dict(self.summary.gem or {})

    @property
    def stage(self) -> InstrumentStatus | None:
        return self.summary.stage

    @property
    def last_update(self) -> datetime | None:
        return self.summary.last_update

    @property
    def has_example(self) -> bool:
        return self.summary.has_example

    @property
    def facts(self) -> loaders.FactRow | None:
        return self.summary.facts

    @property
    def monitor(self) -> tuple[scoring.MonitorComparison, ...]:
        return self.summary.monitor

    @property
    def milestones_done(self) -> int:
        return self.summary.milestones_done

    @property
    def milestones_planned(self) -> int:
        return self.summary.milestones_planned


def country_report(
    session: Session, iso3: str, locale: str = DEFAULT_LOCALE, today: date | None = None
) -> CountryReport | None:
    """Everything the country page shows, or None for an unknown country (14 queries)."""
    today = today or date.today()
    country = session.exec(select(Country).where(Country.iso3 == iso3)).first()
    if country is None:
        return None
    checklist = loaders.checklist_of(session, country.id)
    instruments = session.exec(
        select(Instrument)
        .where(Instrument.country_id == country.id)
        .order_by(Instrument.year.desc().nulls_last(), Instrument.title)
    ).all()
    titles = loaders.instrument_titles(session, locale, country_id=country.id)
    sources = loaders.instrument_sources(session, country_id=country.id)
    milestones = session.exec(select(Milestone).where(Milestone.country_id == country.id)).all()
    refs = {i.id: _instrument_ref(i, titles, locale) for i in instruments}
    translated: dict[str, object] = {
        "instrument": [i.id for i in instruments],
        "milestone": [m.id for m in milestones],
        "coverage": select(Coverage.id).where(Coverage.country_id == country.id),
    }
    translations = loaders.text_translations(session, locale, translated)

    progress, items = None, []
    sections: list[CategorySection] = []
    addressed: dict[int, int] = {}
    if checklist is not None:
        provisions = loaders.load_provisions(session, checklist.id)
        judgements = loaders.load_judgements(session, checklist.id, [country.id], with_sources=True)
        categories = loaders.category_names(session, checklist.id, locale)
        texts = loaders.provision_texts(session, locale, checklist_id=checklist.id)
        progress, items = coverage_items(provisions, judgements, country.id)
        rows_by_category: dict[str, list[CoverageRow]] = {}
        for item in items:
            row = _coverage_row(
                item,
                _provision_info(item.provision, texts, locale),
                refs,
                judgements.sources_of(item.coverage.id if item.coverage is not None else None),
                translations,
                locale,
            )
            for link in row.links:
                addressed[link.instrument.id] = addressed.get(link.instrument.id, 0) + 1
            rows_by_category.setdefault(item.provision.category_code, []).append(row)
        by_code = {c.code: c for c in categories.values()}
        sections = [
            CategorySection(by_code[code], progress.categories[code], tuple(rows))
            for code, rows in rows_by_category.items()
        ]
    summary = _summary(
        session, country, locale, checklist, items, progress, instruments, milestones
    )
    return CountryReport(
        summary=summary,
        categories=tuple(sections),
        instruments=tuple(
            _instrument_row(
                i,
                titles.get(i.id, {}),
                locale,
                addressed.get(i.id, 0),
                sources.get(i.id, ()),
                translations,
            )
            for i in instruments
        ),
        milestones=_milestone_rows(milestones, translations, locale, today),
    )


def _summary(
    session: Session,
    country: Country,
    locale: str,
    checklist: ChecklistInfo | None,
    items: list[CoverageItem],
    progress: Progress | None,
    instruments: list[Instrument],
    milestones: list[Milestone],
) -> CountrySummary:
    """The country's summary from what its page loaded, built as the overview builds it
    (3 queries: its e-waste figures, published Monitor values and latest deletion)."""
    return summarize(
        country,
        loaders.country_ref(country, locale),
        checklist,
        JudgedDigest.of(items),
        progress,
        InstrumentStats.of(instruments),
        MilestoneStats.of(milestones),
        loaders.country_facts(session, [country.id]).get(country.id, ()),
        loaders.monitor_values(session, [country.id]).get(country.id, ()),
        loaders.last_deletions(session, [country.id]).get(country.id),
    )


# --- checklist (GET /<lang>/checklist) -------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistCell:
    country: CountryRef
    in_force: str
    with_drafts: str
    implementation: Implementation
    is_example: bool


# The levels of legal coverage in force, in the order the checklist counts them.
LEVELS = (
    scoring.FULL,
    scoring.PARTIAL,
    scoring.NONE,
    scoring.NOT_APPLICABLE,
    scoring.NOT_ASSESSED,
)


@dataclass(frozen=True)
class LevelCounts:
    """How many countries (or country and provision pairs) stand at each level in force."""

    full: int = 0
    partial: int = 0
    none: int = 0
    not_applicable: int = 0
    not_assessed: int = 0

    @classmethod
    def of(cls, levels) -> "LevelCounts":
        counts = dict.fromkeys(LEVELS, 0)
        for level in levels:
            counts[level] += 1
        return cls(*(counts[level] for level in LEVELS))

    def __add__(self, other: "LevelCounts") -> "LevelCounts":
        return LevelCounts(*(getattr(self, k) + getattr(other, k) for k in LEVELS))

    def __getitem__(self, level: str) -> int:
        return getattr(self, level)

    @property
    def total(self) -> int:
        return sum(getattr(self, k) for k in LEVELS)

    @property
    def applicable(self) -> int:
        return self.total - self.not_applicable


@dataclass(frozen=True)
class ChecklistRow:
    provision: ProvisionInfo
    cells: tuple[ChecklistCell, ...]  # one per country shown, in the report's order
    counts: LevelCounts = LevelCounts()  # across every country, shown or not

    @property
    def fully_in_force(self) -> int:
        return self.counts.full

    @property
    def applicable(self) -> int:
        return self.counts.applicable


@dataclass(frozen=True)
class ChecklistSection:
    category: CategoryInfo
    rows: tuple[ChecklistRow, ...]

    @property
    def counts(self) -> LevelCounts:
        """Every country and provision pair of the category, by level."""
        return sum((row.counts for row in self.rows), LevelCounts())


CHECKLIST_PAGE_SIZE = 15  # countries per page of the matrix (and the most a reader may pick)


@dataclass(frozen=True)
class ChecklistReport:
    checklist: ChecklistInfo | None
    countries: tuple[CountryRef, ...]  # every country, by name (the picker lists them)
    categories: tuple[ChecklistSection, ...]
    example_countries: frozenset[str]  # ISO3 codes of countries with example judgements
    sources: register.SourcesUsed = register.SourcesUsed((), ())  # what the provisions cite
    shown: Page[CountryRef] | None = None  # the matrix's columns: a page, or the countries picked
    picked: tuple[str, ...] = ()  # the ISO3 codes the reader picked (``?c=``), in their order
    unknown: tuple[str, ...] = ()  # codes picked that name no country
    # countries last published on an earlier checklist version (not in the matrix), by name
    elsewhere: tuple[tuple[CountryRef, ChecklistInfo], ...] = ()

    @property
    def has_example(self) -> bool:
        return bool(self.example_countries)

    @property
    def provisions(self) -> int:
        return sum(len(s.rows) for s in self.categories)

    @property
    def columns(self) -> Sequence[CountryRef]:
        return self.shown.items if self.shown is not None else self.countries

    @property
    def counts(self) -> LevelCounts:
        return sum((s.counts for s in self.categories), LevelCounts())


def checklist_report(
    session: Session,
    locale: str = DEFAULT_LOCALE,
    *,
    page: int = 1,
    picked: Sequence[str] = (),
    page_size: int = CHECKLIST_PAGE_SIZE,
    items: Mapping[int, Sequence[CoverageItem]] | None = None,
) -> ChecklistReport:
    """The current checklist: each provision's coverage counted across every country, and the
    matrix for page ``page`` of the countries by name, or for the countries ``picked`` (ISO3
    codes, in their order; ``unknown`` lists those that name no country). 7 queries (6 given
    every country's ``items``, as ``checklist_items`` makes them); ``PageOutOfRange`` past the
    last page."""
    everyone = sorted((ref for ref, _c in loaders.load_countries(session, locale)), key=_by_name)
    versions = loaders.checklist_versions(session, [ref.id for ref in everyone])
    checklist = versions.current
    # Countries last published on an earlier version are named, not counted (their provisions
    # are those of their own version: their page shows them).
    refs = [ref for ref in everyone if versions.on_current(ref.id)]
    elsewhere = _elsewhere(everyone, versions)
    by_iso3 = {ref.iso3: ref for ref in refs}
    picked = tuple(picked)
    unknown = tuple(code for code in picked if code not in by_iso3)
    columns = [by_iso3[code] for code in picked if code in by_iso3] if picked else refs
    shown = paginate(columns, page, page_size)
    if checklist is None:
        return ChecklistReport(None, tuple(refs), (), frozenset(), shown=shown, picked=picked,
                               unknown=unknown, elsewhere=elsewhere)  # fmt: skip
    provisions = loaders.load_provisions(session, checklist.id)
    if items is None:
        items = _checklist_items(session, checklist, provisions, [r.id for r in refs], every=True)
    categories = loaders.category_names(session, checklist.id, locale)
    texts = loaders.provision_texts(session, locale, checklist_id=checklist.id)
    by_code = {c.code: c for c in categories.values()}
    sections: dict[str, list[ChecklistRow]] = {}
    examples = {ref.iso3 for ref in refs if any(item.is_example for item in items[ref.id])}
    for index, provision in enumerate(provisions):
        cells = []
        for ref in shown.items:
            item = items[ref.id][index]
            cells.append(
                ChecklistCell(
                    country=ref,
                    in_force=item.in_force,
                    with_drafts=item.with_drafts,
                    implementation=item.implementation,
                    is_example=item.is_example,
                )
            )
        counts = LevelCounts.of(items[ref.id][index].in_force for ref in refs)
        sections.setdefault(provision.category_code, []).append(
            ChecklistRow(_provision_info(provision, texts, locale), tuple(cells), counts)
        )
    return ChecklistReport(
        checklist=checklist,
        countries=tuple(refs),
        categories=tuple(
            ChecklistSection(by_code[code], tuple(rows)) for code, rows in sections.items()
        ),
        example_countries=frozenset(examples),
        sources=register.used_by(p.sources for p in provisions),
        shown=shown,
        picked=picked,
        unknown=unknown,
        elsewhere=elsewhere,
    )


def checklist_items(
    session: Session, country_ids: Sequence[int]
) -> dict[int, list[CoverageItem]]:
    """Those countries' coverage items on the current checklist, in checklist order: what the
    checklist's matrix and counts show of each (3 queries)."""
    checklist = loaders.current_checklist(session)
    if checklist is None:
        return {}
    provisions = loaders.load_provisions(session, checklist.id)
    return _checklist_items(session, checklist, provisions, country_ids)


def _checklist_items(
    session: Session,
    checklist: ChecklistInfo,
    provisions: Sequence[ProvisionRow],
    country_ids: Sequence[int],
    *,
    every: bool = False,
) -> dict[int, list[CoverageItem]]:
    """Those countries' coverage items on ``provisions`` (1 query; ``every``: they are all the
    countries, read without naming them)."""
    judgements = loaders.load_judgements(
        session, checklist.id, None if every else country_ids, with_updated_at=False,
        with_texts=False,
    )  # fmt: skip
    return {cid: coverage_items(provisions, judgements, cid)[1] for cid in country_ids}


def _by_name(ref: CountryRef) -> str:
    return ref.name


def _elsewhere(
    refs: Sequence[CountryRef], versions: loaders.ChecklistVersions
) -> tuple[tuple[CountryRef, ChecklistInfo], ...]:
    """The countries (by name) on another checklist version than the current one, with it."""
    return tuple(
        (ref, versions.by_country[ref.id])
        for ref in refs
        if versions.by_country.get(ref.id) is not None and not versions.on_current(ref.id)
    )


# --- one provision (GET /<lang>/checklist/<CODE>) ---------------------------------------------------


@dataclass(frozen=True)
class ProvisionCountryRow:
    country: CountryRef
    row: CoverageRow


PROVISION_PAGE_SIZE = 50  # countries per page of a provision


@dataclass(frozen=True)
class ProvisionReport:
    checklist: ChecklistInfo
    provision: ProvisionInfo
    category: CategoryInfo
    sources: str | None
    countries: tuple[ProvisionCountryRow, ...]  # the countries of this page, by name
    has_example: bool
    page: Page[ProvisionCountryRow] | None = None
    counts: LevelCounts = LevelCounts()  # every country, by level in force
    # countries last published on an earlier checklist version (not counted), by name
    elsewhere: tuple[tuple[CountryRef, ChecklistInfo], ...] = ()

    @property
    def citations(self) -> tuple[register.Citation, ...]:
        """The provision's sources, resolved against the source register."""
        return register.parse(self.sources)


def provision_report(
    session: Session,
    code: str,
    locale: str = DEFAULT_LOCALE,
    *,
    page: int = 1,
    page_size: int = PROVISION_PAGE_SIZE,
) -> ProvisionReport | None:
    """One provision of the current checklist: its levels counted across every country, and
    page ``page`` of the countries by name with their coverage, or None (11 queries).
    ``PageOutOfRange`` past the last page."""
    everyone = sorted(loaders.load_countries(session, locale), key=lambda rc: rc[0].name)
    versions = loaders.checklist_versions(session, [ref.id for ref, _c in everyone])
    checklist = versions.current
    if checklist is None:
        return None
    everything = loaders.load_provisions(session, checklist.id, include_retired=True)
    provision = next((p for p in everything if p.code == code), None)
    if provision is None:
        return None
    countries = [(ref, c) for ref, c in everyone if versions.on_current(ref.id)]
    judgements = loaders.load_judgements(
        session, checklist.id, provision_ids=[provision.id], with_sources=True
    )
    items = [coverage_items([provision], judgements, ref.id)[1][0] for ref, _c in countries]
    counts = LevelCounts.of(item.in_force for item in items)
    shown = paginate(list(zip((ref for ref, _c in countries), items, strict=True)), page, page_size)
    linked = {link.instrument_id for _ref, item in shown for link in item.links}
    instruments = session.exec(select(Instrument).where(Instrument.id.in_(linked))).all()
    titles = loaders.instrument_titles(session, locale, instrument_ids=linked)
    refs = {i.id: _instrument_ref(i, titles, locale) for i in instruments}
    texts = loaders.provision_texts(session, locale, provision_ids=[provision.id])
    categories = loaders.category_names(session, checklist.id, locale)
    translations = loaders.text_translations(
        session,
        locale,
        {"coverage": [item.coverage.id for _ref, item in shown if item.coverage is not None]},
    )
    info = _provision_info(provision, texts, locale)
    rows = []
    for ref, item in shown:
        cov_id = item.coverage.id if item.coverage is not None else None
        row = _coverage_row(item, info, refs, judgements.sources_of(cov_id), translations, locale)
        rows.append(ProvisionCountryRow(ref, row))
    return ProvisionReport(
        checklist=checklist,
        provision=info,
        category=categories[provision.category_id],
        sources=provision.sources,
        countries=tuple(rows),
        has_example=any(r.row.is_example for r in rows),
        page=Page(tuple(rows), shown.number, shown.size, shown.total),
        counts=counts,
        elsewhere=_elsewhere([ref for ref, _c in everyone], versions),
    )


# --- one instrument (GET /<lang>/instruments/<id>) --------------------------------------------------


@dataclass(frozen=True)
class RelationInfo:
    kind: RelationKind
    outgoing: bool  # True: this instrument <kind> the other; False: the other <kind> this one
    other: InstrumentRef


@dataclass(frozen=True)
class CoveredProvision:
    provision: ProvisionInfo
    category: CategoryInfo | None
    extent: Extent
    articles: str | None
    is_example: bool
    evidence: Evidence | None = None


@dataclass(frozen=True)
class InstrumentReport:
    instrument: InstrumentRow
    country: CountryRef
    relations: tuple[RelationInfo, ...]
    provisions: tuple[CoveredProvision, ...]
    checklist: ChecklistInfo | None
    last_update: datetime

    @property
    def has_example(self) -> bool:
        return any(p.is_example for p in self.provisions)


def instrument_report(
    session: Session, instrument_id: int, locale: str = DEFAULT_LOCALE
) -> InstrumentReport | None:
    """One instrument, its relations and the provisions it covers, or None (10 queries)."""
    found = session.exec(
        select(Instrument, Country)
        .join(Country, Country.id == Instrument.country_id)
        .where(Instrument.id == instrument_id)
    ).first()
    if found is None:
        return None
    inst, country = found
    checklist = loaders.checklist_of(session, country.id)
    relations = session.exec(
        select(InstrumentRelation, Instrument)
        .join(
            Instrument,
            sa.or_(
                sa.and_(
                    InstrumentRelation.instrument_id == inst.id,
                    Instrument.id == InstrumentRelation.target_id,
                ),
                sa.and_(
                    InstrumentRelation.target_id == inst.id,
                    Instrument.id == InstrumentRelation.instrument_id,
                ),
            ),
        )
        .order_by(InstrumentRelation.id)
    ).all()
    titles = loaders.instrument_titles(
        session, locale, instrument_ids=[inst.id, *(other.id for _r, other in relations)]
    )
    covered: list[tuple[ProvisionRow, object, bool]] = []  # (provision, link, is example)
    categories: dict[int, CategoryInfo] = {}
    texts: Mapping = {}
    if checklist is not None:
        judgements = loaders.load_judgements(session, checklist.id, [country.id])
        for provision in loaders.load_provisions(session, checklist.id):
            cov, links = judgements.of(country.id, provision.id)
            for link in links:
                if link.instrument_id == inst.id:
                    covered.append((provision, link, bool(cov.is_example)))
        categories = loaders.category_names(session, checklist.id, locale)
        texts = loaders.provision_texts(
            session, locale, provision_ids=[p.id for p, _l, _e in covered]
        )
    sources = loaders.instrument_sources(session, [inst.id])
    translations = loaders.text_translations(session, locale, {"instrument": [inst.id]})
    return InstrumentReport(
        instrument=_instrument_row(
            inst, titles.get(inst.id, {}), locale, len(covered), sources.get(inst.id, ()), translations
        ),
        country=loaders.country_ref(country, locale),
        relations=tuple(
            RelationInfo(
                kind=rel.kind,
                outgoing=rel.instrument_id == inst.id,
                other=_instrument_ref(other, titles, locale),
            )
            for rel, other in relations
        ),
        provisions=tuple(
            CoveredProvision(
                provision=_provision_info(provision, texts, locale),
                category=categories.get(provision.category_id),
                extent=link.extent,
                articles=link.articles,
                is_example=is_example,
                evidence=_evidence(link),
            )
            for provision, link, is_example in covered
        ),
        checklist=checklist,
        last_update=inst.updated_at,
    )


# --- methodology (GET /<lang>/methodology) ----------------------------------------------------------


@dataclass(frozen=True)
class MethodologyReport:
    """The scoring constants and the worked example, computed by ``tracker.scoring`` itself."""

    weights: dict
    extent_scores: dict
    implementation_scores: dict
    stage_order: tuple[InstrumentStatus, ...]
    in_force_statuses: tuple[InstrumentStatus, ...]
    with_drafts_statuses: tuple[InstrumentStatus, ...]
    gem_indicators: tuple[GemIndicator, ...]
    example: tuple[ProvisionInput, ...]
    example_result: Progress
    gem_source: str = scoring.GEM_SOURCE_URL


# The worked example of tracker/scoring.py's docstring, as data.
EXAMPLE_INPUTS = (
    ProvisionInput(
        "A-01",
        "A",
        Level.CORE,
        links=(LinkInput(Extent.FULL, InstrumentStatus.IN_FORCE),),
    ),
    ProvisionInput(
        "A-02",
        "A",
        Level.CORE,
        links=(LinkInput(Extent.PARTIAL, InstrumentStatus.DRAFTING),),
    ),
    ProvisionInput("A-03", "A", Level.RECOMMENDED),
)


def methodology_report() -> MethodologyReport:
    """The method's constants and worked example (no query)."""
    return MethodologyReport(
        weights=dict(scoring.WEIGHTS),
        extent_scores=dict(scoring.EXTENT_SCORES),
        implementation_scores=dict(scoring.IMPLEMENTATION_SCORES),
        stage_order=scoring.STAGE_ORDER,
        in_force_statuses=scoring.IN_FORCE_STATUSES,
        with_drafts_statuses=scoring.WITH_DRAFTS_STATUSES,
        gem_indicators=tuple(GemIndicator),
        example=EXAMPLE_INPUTS,
        example_result=scoring.compute(EXAMPLE_INPUTS),
    )
