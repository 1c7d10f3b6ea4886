"""Read models: each public page gets everything it shows from one function here.

Each function returns plain frozen dataclasses built in a constant number of queries, whatever
the number of countries, provisions and instruments, so templates only lay out data (nothing is
lazy-loaded while rendering), and exports and the API can reuse the same figures. A later issue
may serve the pages from published snapshots by swapping these functions alone.

Texts that exist in several languages (provision titles, category names, instrument titles) are
picked in the reader's locale with an English fallback: see ``Localized`` and ``pick_text``.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from tracker import scoring
from tracker.codes import (
    Extent,
    GemIndicator,
    Implementation,
    InstrumentStatus,
    InstrumentType,
    Level,
    MilestoneKind,
    MilestoneStatus,
    RelationKind,
)
from tracker.fields import INSTRUMENT_DATES
from tracker.i18n import DEFAULT_LOCALE, country_name
from tracker.models import (
    Category,
    CategoryName,
    ChecklistVersion,
    Country,
    Coverage,
    CoverageLink,
    Instrument,
    InstrumentRelation,
    InstrumentTitle,
    Milestone,
    Provision,
    ProvisionText,
)
from tracker.scoring import Figures, LinkInput, Progress, ProvisionInput, ProvisionScore

# --- localized text ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Localized:
    """A text picked for the reader: ``is_fallback`` when it is not in the reader's language."""

    text: str
    locale: str
    is_fallback: bool = False

    def __str__(self) -> str:
        return self.text

    @property
    def lang_tag(self) -> str:
        """BCP 47 tag for a ``lang`` attribute."""
        return self.locale.replace("_", "-")


def _language(locale: str) -> str:
    return locale.replace("-", "_").split("_")[0].lower()


def locale_candidates(locale: str) -> tuple[str, ...]:
    """The locales to try for ``locale``, best first: exact, its language, then English."""
    out: list[str] = []
    for candidate in (locale, _language(locale), DEFAULT_LOCALE):
        if candidate and candidate not in out:
            out.append(candidate)
    return tuple(out)


def pick_text(texts: Mapping[str, str], locale: str) -> Localized | None:
    """The text in ``locale`` (or its language), else English, else any; None when empty."""
    for candidate in locale_candidates(locale):
        if texts.get(candidate):
            return Localized(texts[candidate], candidate, _language(candidate) != _language(locale))
    for other in sorted(texts):
        if texts[other]:
            return Localized(texts[other], other, _language(other) != _language(locale))
    return None


@dataclass(frozen=True)
class InstrumentName:
    """An instrument's title: always the original, in its own language, with a translation beside
    it when the reader's language (or, failing that, English) differs from the original's.

    ``text``, ``is_fallback`` and ``lang_tag`` describe the original, so the name can be used
    wherever a ``Localized`` is expected.
    """

    original: Localized
    translation: Localized | None = None

    @property
    def text(self) -> str:
        return self.original.text

    @property
    def is_fallback(self) -> bool:
        return self.original.is_fallback

    @property
    def lang_tag(self) -> str:
        return self.original.lang_tag

    @property
    def locale(self) -> str:
        return self.original.locale

    def __str__(self) -> str:
        return self.original.text


def _instrument_title(
    original: str, original_lang: str, titles: Mapping[str, str], locale: str
) -> InstrumentName:
    """The original title (marked when not in the reader's language), and beside it a
    translation into the reader's language, else an English one, when the original is in
    another language.
    """
    in_readers_language = _language(original_lang) == _language(locale)
    name = Localized(original, original_lang, not in_readers_language)
    if in_readers_language:
        return InstrumentName(name)
    for candidate in (locale, _language(locale)):
        if titles.get(candidate):
            return InstrumentName(name, Localized(titles[candidate], candidate, False))
    if _language(original_lang) != DEFAULT_LOCALE and titles.get(DEFAULT_LOCALE):
        return InstrumentName(name, Localized(titles[DEFAULT_LOCALE], DEFAULT_LOCALE, True))
    return InstrumentName(name)


# --- shared building blocks ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistInfo:
    id: int
    code: str
    title: str
    published_on: date | None


@dataclass(frozen=True)
class CategoryInfo:
    id: int
    code: str
    name: Localized


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


@dataclass(frozen=True)
class _ScoringData:
    """The raw rows behind the scores, loaded once and shared by inputs and details."""

    provisions: list  # (Provision, category code), in checklist order
    coverage: dict  # (country_id, provision_id) -> Coverage
    links: dict  # coverage_id -> [(instrument_id, extent, articles, status)]


def current_checklist(session: Session) -> ChecklistVersion | None:
    """The current checklist version, or None before any checklist is loaded."""
    return session.exec(select(ChecklistVersion).where(ChecklistVersion.is_current)).first()


def _checklist_info(checklist: ChecklistVersion | None) -> ChecklistInfo | None:
    if checklist is None:
        return None
    return ChecklistInfo(checklist.id, checklist.code, checklist.title, checklist.published_on)


def _scoring_data(
    session: Session, checklist_id: int, country_ids: list[int] | None = None
) -> _ScoringData:
    """Provisions, coverage rows and coverage links of a checklist (3 queries)."""
    provisions = session.exec(
        select(Provision, Category.code)
        .join(Category, Category.id == Provision.category_id)
        .where(Provision.checklist_id == checklist_id, sa.not_(Provision.retired))
        .order_by(Category.position, Provision.position, Provision.code)
    ).all()
    cov_query = (
        select(Coverage)
        .join(Provision, Provision.id == Coverage.provision_id)
        .where(Provision.checklist_id == checklist_id)
    )
    link_query = (
        select(
            CoverageLink.coverage_id,
            CoverageLink.instrument_id,
            CoverageLink.extent,
            CoverageLink.articles,
            Instrument.status,
        )
        .join(Coverage, Coverage.id == CoverageLink.coverage_id)
        .join(Provision, Provision.id == Coverage.provision_id)
        .join(Instrument, Instrument.id == CoverageLink.instrument_id)
        .where(Provision.checklist_id == checklist_id)
        .order_by(CoverageLink.id)
    )
    if country_ids is not None:
        cov_query = cov_query.where(Coverage.country_id.in_(country_ids))
        link_query = link_query.where(Coverage.country_id.in_(country_ids))
    coverage = {(c.country_id, c.provision_id): c for c in session.exec(cov_query).all()}
    links: dict[int, list] = {}
    for coverage_id, instrument_id, extent, articles, status in session.exec(link_query).all():
        links.setdefault(coverage_id, []).append((instrument_id, extent, articles, status))
    return _ScoringData(list(provisions), coverage, links)


def _inputs(data: _ScoringData, country_id: int) -> list[ProvisionInput]:
    """Scoring inputs of one country; provisions without a coverage row are applicable, unmet."""
    items = []
    for provision, category_code in data.provisions:
        cov = data.coverage.get((country_id, provision.id))
        links = data.links.get(cov.id, ()) if cov else ()
        items.append(
            ProvisionInput(
                code=provision.code,
                category=category_code,
                level=provision.level,
                applicable=cov.applicable if cov else True,
                implementation=cov.implementation if cov else Implementation.NONE,
                links=tuple(LinkInput(extent, status) for _i, extent, _a, status in links),
                gem=provision.gem_indicator,
            )
        )
    return items


def progress_inputs(
    session: Session, checklist_id: int, country_ids: list[int] | None = None
) -> dict[int, list[ProvisionInput]]:
    """Scoring inputs per country id for the given checklist (3 queries, 4 without ids).

    Every non-retired provision appears once per country, in checklist order; provisions without
    a coverage row count as applicable and not addressed (see ``tracker.scoring``).
    """
    data = _scoring_data(session, checklist_id, country_ids)
    if country_ids is None:
        country_ids = list(session.exec(select(Country.id)).all())
    return {country_id: _inputs(data, country_id) for country_id in country_ids}


def progress_by_country(session: Session, country_ids: list[int] | None = None) -> dict:
    """``tracker.scoring.Progress`` per country id for the current checklist (4 or 5 queries)."""
    checklist = current_checklist(session)
    if checklist is None:
        return {}
    inputs = progress_inputs(session, checklist.id, country_ids)
    return {country_id: scoring.compute(items) for country_id, items in inputs.items()}


def _category_names(session: Session, checklist_id: int, locale: str) -> dict[int, CategoryInfo]:
    """Categories of a checklist with their names in the reader's locale (1 query)."""
    rows = session.exec(
        select(Category.id, Category.code, CategoryName.locale, CategoryName.name)
        .outerjoin(
            CategoryName,
            sa.and_(
                CategoryName.category_id == Category.id,
                CategoryName.locale.in_(locale_candidates(locale)),
            ),
        )
        .where(Category.checklist_id == checklist_id)
    ).all()
    codes: dict[int, str] = {}
    names: dict[int, dict[str, str]] = {}
    for cat_id, code, name_locale, name in rows:
        codes[cat_id] = code
        if name_locale:
            names.setdefault(cat_id, {})[name_locale] = name
    return {
        cat_id: CategoryInfo(
            cat_id, code, pick_text(names.get(cat_id, {}), locale) or Localized(code, locale)
        )
        for cat_id, code in codes.items()
    }


def _provision_texts(
    session: Session, locale: str, provision_ids: Iterable[int] | None = None, checklist_id=None
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


def _provision_info(provision: Provision, category_code: str, texts: dict, locale: str):
    title, guidance = texts.get(provision.id, (None, None))
    return ProvisionInfo(
        id=provision.id,
        code=provision.code,
        category_code=category_code,
        level=provision.level,
        weight=scoring.WEIGHTS[provision.level],
        gem=provision.gem_indicator,
        title=title or Localized(provision.code, locale),
        guidance=guidance,
    )


def _instrument_titles(
    session: Session, locale: str, instrument_ids: Iterable[int] | None = None, country_id=None
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


def milestone_stats(
    session: Session, country_ids: list[int] | None = None
) -> dict[int, tuple[scoring.MilestoneCounts, datetime | None]]:
    """Milestone counts (``scoring.milestone_counts``) and the latest update per country id
    (1 query)."""
    query = select(
        Milestone.country_id, Milestone.status, sa.func.count(), sa.func.max(Milestone.updated_at)
    ).group_by(Milestone.country_id, Milestone.status)
    if country_ids is not None:
        query = query.where(Milestone.country_id.in_(country_ids))
    by_status: dict[int, dict[MilestoneStatus, int]] = {}
    latest: dict[int, datetime | None] = {}
    for cid, status, n, updated in session.exec(query).all():
        by_status.setdefault(cid, {})[status] = int(n)
        latest[cid] = _latest(latest.get(cid), updated)
    return {cid: (scoring.milestone_counts(s), latest[cid]) for cid, s in by_status.items()}


def _latest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


@dataclass(frozen=True)
class CountryRef:
    iso3: str
    iso2: str
    name: str


def _country_ref(country: Country, locale: str) -> CountryRef:
    return CountryRef(country.iso3, country.iso2, country_name(country.iso2, _language(locale)))


# --- overview (GET /<lang>/) ---------------------------------------------------------------------


@dataclass(frozen=True)
class OverviewRow:
    country: CountryRef
    figures: Figures | None
    stage: InstrumentStatus | None
    instruments: int
    milestones_done: int
    milestones_planned: int  # the total of ``scoring.milestone_counts``: cancelled ones left out
    last_update: datetime | None
    has_example: bool

    @property
    def stage_rank(self) -> int:
        """0 for not started, then 1.. along ``progress.STAGE_ORDER`` (for sorting)."""
        return scoring.STAGE_ORDER.index(self.stage) + 1 if self.stage else 0


@dataclass(frozen=True)
class OverviewReport:
    checklist: ChecklistInfo | None
    countries: tuple[OverviewRow, ...]

    @property
    def has_example(self) -> bool:
        return any(row.has_example for row in self.countries)


def overview_report(session: Session, locale: str = DEFAULT_LOCALE) -> OverviewReport:
    """Every country with its progress, stage, milestones and last update (7 queries)."""
    checklist = current_checklist(session)
    countries = session.exec(select(Country)).all()
    data = _scoring_data(session, checklist.id) if checklist else _ScoringData([], {}, {})
    instruments = {
        cid: (int(n), latest)
        for cid, n, latest in session.exec(
            select(
                Instrument.country_id, sa.func.count(), sa.func.max(Instrument.updated_at)
            ).group_by(Instrument.country_id)
        ).all()
    }
    milestones = milestone_stats(session)
    coverage_latest: dict[int, datetime] = {}
    examples: set[int] = set()
    for (cid, _pid), cov in data.coverage.items():
        coverage_latest[cid] = _latest(coverage_latest.get(cid), cov.updated_at)
        if cov.is_example:
            examples.add(cid)
    rows = []
    for c in countries:
        n_instruments, inst_latest = instruments.get(c.id, (0, None))
        ms_counts, ms_latest = milestones.get(c.id, (scoring.MilestoneCounts(), None))
        progress = scoring.compute(_inputs(data, c.id)) if checklist else None
        rows.append(
            OverviewRow(
                country=_country_ref(c, locale),
                figures=progress.overall if progress else None,
                stage=progress.stage if progress else None,
                instruments=n_instruments,
                milestones_done=ms_counts.done,
                milestones_planned=ms_counts.total,
                last_update=_latest(
                    c.updated_at, inst_latest, ms_latest, coverage_latest.get(c.id)
                ),
                has_example=c.id in examples,
            )
        )
    rows.sort(key=lambda r: r.country.name)
    return OverviewReport(_checklist_info(checklist), tuple(rows))


# --- country page (GET /<lang>/countries/<ISO3>) ----------------------------------------------------


@dataclass(frozen=True)
class InstrumentRef:
    id: int
    title: Localized
    status: InstrumentStatus


@dataclass(frozen=True)
class LinkInfo:
    instrument: InstrumentRef
    extent: Extent
    articles: str | None


@dataclass(frozen=True)
class CoverageRow:
    """One provision for one country: the judgement, its score and the instruments behind it."""

    provision: ProvisionInfo
    score: ProvisionScore
    judged: bool  # a coverage row exists
    not_applicable_reason: str | None
    implementation: Implementation
    evidence: str | None
    is_example: bool
    links: tuple[LinkInfo, ...]

    @property
    def applicable(self) -> bool:
        return self.score.applicable

    @property
    def in_force(self) -> str:
        return self.score.in_force_level

    @property
    def with_drafts(self) -> str:
        return self.score.with_drafts_level


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
    dates: tuple[tuple[str, date], ...]  # (field name, date) for every known date, in order
    dates_note: str | None
    url: str | None
    summary: str | None
    provisions: int  # provisions of the current checklist it addresses for its country


def _instrument_row(inst: Instrument, titles: Mapping[str, str], locale: str, provisions: int):
    return InstrumentRow(
        id=inst.id,
        type=inst.type,
        title=_instrument_title(inst.title, inst.title_lang, titles, locale),
        original_title=inst.title,
        title_lang=inst.title_lang,
        number=inst.number,
        issuing_body=inst.issuing_body,
        status=inst.status,
        year=inst.year,
        dates=tuple(
            (name, getattr(inst, name)) for name in INSTRUMENT_DATES if getattr(inst, name)
        ),
        dates_note=inst.dates_note,
        url=inst.url,
        summary=inst.summary,
        provisions=provisions,
    )


@dataclass(frozen=True)
class MilestoneRow:
    id: int
    kind: MilestoneKind
    title: str
    planned_on: date | None
    actual_on: date | None
    place: str | None
    status: MilestoneStatus
    source_url: str | None
    notes: str | None
    is_overdue: bool


@dataclass(frozen=True)
class CountryReport:
    country: CountryRef
    joined_on: date | None
    checklist: ChecklistInfo | None
    progress: Progress | None
    categories: tuple[CategorySection, ...]
    instruments: tuple[InstrumentRow, ...]
    milestones: tuple[MilestoneRow, ...]
    stage: InstrumentStatus | None
    last_update: datetime | None
    has_example: bool
    gem: dict = field(default_factory=dict)  # GemIndicator -> bool, in GemIndicator order

    @property
    def overall(self) -> Figures | None:
        return self.progress.overall if self.progress else None

    @property
    def milestone_counts(self) -> scoring.MilestoneCounts:
        return scoring.milestone_counts(Counter(m.status for m in self.milestones))

    @property
    def milestones_done(self) -> int:
        return self.milestone_counts.done

    @property
    def milestones_planned(self) -> int:
        return self.milestone_counts.total


def country_report(
    session: Session, iso3: str, locale: str = DEFAULT_LOCALE, today: date | None = None
) -> CountryReport | None:
    """Everything the country page shows, or None for an unknown country (10 queries)."""
    today = today or date.today()
    country = session.exec(select(Country).where(Country.iso3 == iso3)).first()
    if country is None:
        return None
    checklist = current_checklist(session)
    instruments = session.exec(
        select(Instrument)
        .where(Instrument.country_id == country.id)
        .order_by(Instrument.year.desc().nulls_last(), Instrument.title)
    ).all()
    titles = _instrument_titles(session, locale, country_id=country.id)
    milestones = session.exec(select(Milestone).where(Milestone.country_id == country.id)).all()

    refs = {
        i.id: InstrumentRef(
            i.id, _instrument_title(i.title, i.title_lang, titles.get(i.id, {}), locale), i.status
        )
        for i in instruments
    }
    sections: list[CategorySection] = []
    progress = None
    has_example = False
    stage = None
    addressed: dict[int, int] = {}
    latest = _latest(
        country.updated_at,
        *(i.updated_at for i in instruments),
        *(m.updated_at for m in milestones),
    )
    if checklist is not None:
        data = _scoring_data(session, checklist.id, [country.id])
        categories = _category_names(session, checklist.id, locale)
        texts = _provision_texts(session, locale, checklist_id=checklist.id)
        progress = scoring.compute(_inputs(data, country.id))
        stage = progress.stage
        scores = iter(progress.provisions)
        rows_by_category: dict[str, list[CoverageRow]] = {}
        for provision, category_code in data.provisions:
            score = next(scores)
            cov = data.coverage.get((country.id, provision.id))
            links = []
            for instrument_id, extent, articles, _status in (
                data.links.get(cov.id, ()) if cov else ()
            ):
                if instrument_id in refs:
                    links.append(LinkInfo(refs[instrument_id], extent, articles))
                    addressed[instrument_id] = addressed.get(instrument_id, 0) + 1
            if cov is not None:
                has_example = has_example or cov.is_example
                latest = _latest(latest, cov.updated_at)
            rows_by_category.setdefault(category_code, []).append(
                CoverageRow(
                    provision=_provision_info(provision, category_code, texts, locale),
                    score=score,
                    judged=cov is not None,
                    not_applicable_reason=cov.not_applicable_reason if cov else None,
                    implementation=cov.implementation if cov else Implementation.NONE,
                    evidence=cov.evidence if cov else None,
                    is_example=bool(cov and cov.is_example),
                    links=tuple(links),
                )
            )
        by_code = {c.code: c for c in categories.values()}
        for code, rows in rows_by_category.items():
            sections.append(CategorySection(by_code[code], progress.categories[code], tuple(rows)))

    milestone_rows = sorted(
        (
            MilestoneRow(
                id=m.id,
                kind=m.kind,
                title=m.title,
                planned_on=m.planned_on,
                actual_on=m.actual_on,
                place=m.place,
                status=m.status,
                source_url=m.source_url,
                notes=m.notes,
                is_overdue=scoring.is_overdue(m.planned_on, m.status, today),
            )
            for m in milestones
        ),
        key=lambda m: (m.actual_on or m.planned_on or date.max, m.id),
    )
    return CountryReport(
        country=_country_ref(country, locale),
        joined_on=country.joined_on,
        checklist=_checklist_info(checklist),
        progress=progress,
        categories=tuple(sections),
        instruments=tuple(
            _instrument_row(i, titles.get(i.id, {}), locale, addressed.get(i.id, 0))
            for i in instruments
        ),
        milestones=tuple(milestone_rows),
        stage=stage,
        last_update=latest,
        has_example=has_example,
        gem=dict(progress.gem) if progress else {},
    )


# --- checklist (GET /<lang>/checklist) -------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistCell:
    country: CountryRef
    in_force: str
    with_drafts: str
    implementation: Implementation
    is_example: bool


@dataclass(frozen=True)
class ChecklistRow:
    provision: ProvisionInfo
    cells: tuple[ChecklistCell, ...]  # one per country, in the report's country order

    @property
    def fully_in_force(self) -> int:
        return sum(1 for c in self.cells if c.in_force == scoring.FULL)

    @property
    def applicable(self) -> int:
        return sum(1 for c in self.cells if c.in_force != scoring.NOT_APPLICABLE)


@dataclass(frozen=True)
class ChecklistSection:
    category: CategoryInfo
    rows: tuple[ChecklistRow, ...]


@dataclass(frozen=True)
class ChecklistReport:
    checklist: ChecklistInfo | None
    countries: tuple[CountryRef, ...]
    categories: tuple[ChecklistSection, ...]
    example_countries: frozenset[str]  # ISO3 codes of countries with example judgements

    @property
    def has_example(self) -> bool:
        return bool(self.example_countries)

    @property
    def provisions(self) -> int:
        return sum(len(s.rows) for s in self.categories)


def checklist_report(session: Session, locale: str = DEFAULT_LOCALE) -> ChecklistReport:
    """The current checklist with each provision's coverage in every country (7 queries)."""
    checklist = current_checklist(session)
    countries = session.exec(select(Country)).all()
    refs = sorted(((_country_ref(c, locale), c.id) for c in countries), key=lambda x: x[0].name)
    if checklist is None:
        return ChecklistReport(None, tuple(r for r, _ in refs), (), frozenset())
    data = _scoring_data(session, checklist.id)
    categories = _category_names(session, checklist.id, locale)
    texts = _provision_texts(session, locale, checklist_id=checklist.id)
    by_code = {c.code: c for c in categories.values()}
    scores = {cid: scoring.compute(_inputs(data, cid)).provisions for _ref, cid in refs}
    sections: dict[str, list[ChecklistRow]] = {}
    examples: set[str] = set()
    for index, (provision, category_code) in enumerate(data.provisions):
        cells = []
        for ref, cid in refs:
            score = scores[cid][index]
            cov = data.coverage.get((cid, provision.id))
            example = bool(cov and cov.is_example)
            if example:
                examples.add(ref.iso3)
            cells.append(
                ChecklistCell(
                    country=ref,
                    in_force=score.in_force_level,
                    with_drafts=score.with_drafts_level,
                    implementation=cov.implementation if cov else Implementation.NONE,
                    is_example=example,
                )
            )
        sections.setdefault(category_code, []).append(
            ChecklistRow(_provision_info(provision, category_code, texts, locale), tuple(cells))
        )
    return ChecklistReport(
        checklist=_checklist_info(checklist),
        countries=tuple(r for r, _ in refs),
        categories=tuple(
            ChecklistSection(by_code[code], tuple(rows)) for code, rows in sections.items()
        ),
        example_countries=frozenset(examples),
    )


# --- one provision (GET /<lang>/checklist/<CODE>) ---------------------------------------------------


@dataclass(frozen=True)
class ProvisionCountryRow:
    country: CountryRef
    row: CoverageRow


@dataclass(frozen=True)
class ProvisionReport:
    checklist: ChecklistInfo
    provision: ProvisionInfo
    category: CategoryInfo
    sources: str | None
    countries: tuple[ProvisionCountryRow, ...]
    has_example: bool


def provision_report(
    session: Session, code: str, locale: str = DEFAULT_LOCALE
) -> ProvisionReport | None:
    """One provision of the current checklist across every country, or None (8 queries)."""
    checklist = current_checklist(session)
    if checklist is None:
        return None
    found = session.exec(
        select(Provision, Category.code)
        .join(Category, Category.id == Provision.category_id)
        .where(Provision.checklist_id == checklist.id, Provision.code == code)
    ).first()
    if found is None:
        return None
    provision, category_code = found
    countries = session.exec(select(Country)).all()
    coverage = {
        c.country_id: c
        for c in session.exec(select(Coverage).where(Coverage.provision_id == provision.id)).all()
    }
    links: dict[int, list] = {}
    instruments: dict[int, Instrument] = {}
    for link, inst in session.exec(
        select(CoverageLink, Instrument)
        .join(Instrument, Instrument.id == CoverageLink.instrument_id)
        .join(Coverage, Coverage.id == CoverageLink.coverage_id)
        .where(Coverage.provision_id == provision.id)
        .order_by(CoverageLink.id)
    ).all():
        links.setdefault(link.coverage_id, []).append(link)
        instruments[inst.id] = inst
    titles = _instrument_titles(session, locale, instrument_ids=instruments)
    texts = _provision_texts(session, locale, provision_ids=[provision.id])
    categories = _category_names(session, checklist.id, locale)
    info = _provision_info(provision, category_code, texts, locale)
    rows = []
    for country in countries:
        cov = coverage.get(country.id)
        cov_links = links.get(cov.id, []) if cov else []
        score = scoring.score_provision(
            ProvisionInput(
                code=provision.code,
                category=category_code,
                level=provision.level,
                applicable=cov.applicable if cov else True,
                implementation=cov.implementation if cov else Implementation.NONE,
                links=tuple(
                    LinkInput(link.extent, instruments[link.instrument_id].status)
                    for link in cov_links
                ),
                gem=provision.gem_indicator,
            )
        )
        link_infos = []
        for link in cov_links:
            inst = instruments[link.instrument_id]
            title = _instrument_title(inst.title, inst.title_lang, titles.get(inst.id, {}), locale)
            link_infos.append(
                LinkInfo(InstrumentRef(inst.id, title, inst.status), link.extent, link.articles)
            )
        rows.append(
            ProvisionCountryRow(
                _country_ref(country, locale),
                CoverageRow(
                    provision=info,
                    score=score,
                    judged=cov is not None,
                    not_applicable_reason=cov.not_applicable_reason if cov else None,
                    implementation=cov.implementation if cov else Implementation.NONE,
                    evidence=cov.evidence if cov else None,
                    is_example=bool(cov and cov.is_example),
                    links=tuple(link_infos),
                ),
            )
        )
    rows.sort(key=lambda r: r.country.name)
    category = next(c for c in categories.values() if c.code == category_code)
    return ProvisionReport(
        checklist=_checklist_info(checklist),
        provision=info,
        category=category,
        sources=provision.sources,
        countries=tuple(rows),
        has_example=any(r.row.is_example for r in rows),
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
    """One instrument, its relations and the provisions it covers, or None (7 queries)."""
    found = session.exec(
        select(Instrument, Country)
        .join(Country, Country.id == Instrument.country_id)
        .where(Instrument.id == instrument_id)
    ).first()
    if found is None:
        return None
    inst, country = found
    checklist = current_checklist(session)
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
    titles = _instrument_titles(
        session, locale, instrument_ids=[inst.id, *(other.id for _r, other in relations)]
    )
    covered = []
    categories: dict[int, CategoryInfo] = {}
    texts: dict = {}
    if checklist is not None:
        covered = session.exec(
            select(CoverageLink, Coverage.is_example, Provision, Category.code)
            .join(Coverage, Coverage.id == CoverageLink.coverage_id)
            .join(Provision, Provision.id == Coverage.provision_id)
            .join(Category, Category.id == Provision.category_id)
            .where(
                CoverageLink.instrument_id == inst.id,
                Provision.checklist_id == checklist.id,
                sa.not_(Provision.retired),
            )
            .order_by(Category.position, Provision.position, Provision.code)
        ).all()
        categories = _category_names(session, checklist.id, locale)
        texts = _provision_texts(session, locale, provision_ids=[p.id for _l, _e, p, _c in covered])
    by_code = {c.code: c for c in categories.values()}
    return InstrumentReport(
        instrument=_instrument_row(inst, titles.get(inst.id, {}), locale, len(covered)),
        country=_country_ref(country, locale),
        relations=tuple(
            RelationInfo(
                kind=rel.kind,
                outgoing=rel.instrument_id == inst.id,
                other=InstrumentRef(
                    other.id,
                    _instrument_title(
                        other.title, other.title_lang, titles.get(other.id, {}), locale
                    ),
                    other.status,
                ),
            )
            for rel, other in relations
        ),
        provisions=tuple(
            CoveredProvision(
                provision=_provision_info(provision, code, texts, locale),
                category=by_code.get(code),
                extent=link.extent,
                articles=link.articles,
                is_example=bool(is_example),
            )
            for link, is_example, provision, code in covered
        ),
        checklist=_checklist_info(checklist),
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


# The worked example of tracker/progress.py's docstring, as data.
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
