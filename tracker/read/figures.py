"""Every figure of a country, computed once: the read objects behind pages, exports and the API.

``country_summaries`` gives each country's three figures (overall and per category), monitor
indicators, stage, instrument and milestone counts and last update; the overview, the country
page, ``countries.csv`` and ``/api/v1/countries`` all show these objects. ``coverage_items``
gives each provision's judgement, links, score and coverage levels; the country page,
``coverage.csv``, the API's country detail and the importer's comparison all show those.
The rules themselves are in ``tracker.scoring``; the queries in ``tracker.read.loaders``.
"""

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlmodel import Session

from tracker import dates, scoring
from tracker.codes import Extent, GemIndicator, Implementation, InstrumentStatus
from tracker.dates import PartialDate
from tracker.models import Country
from tracker.read import loaders
from tracker.read.loaders import (
    ChecklistInfo,
    CountryRef,
    FactRow,
    InstrumentStats,
    Judgements,
    LinkRow,
    MilestoneStats,
    ProvisionRow,
    PublishedRow,
)
from tracker.scoring import Figures, ProvisionInput, ProvisionScore


@dataclass(frozen=True)
class CoverageItem:
    """One provision for one country: the judgement (None when nobody judged it), the
    instruments that address it, and its score."""

    provision: ProvisionRow
    coverage: sa.Row | None
    links: tuple[LinkRow, ...]
    score: ProvisionScore

    @property
    def judged(self) -> bool:
        return self.coverage is not None

    @property
    def applicable(self) -> bool:
        return self.score.applicable

    @property
    def implementation(self) -> Implementation:
        return self.coverage.implementation if self.coverage is not None else Implementation.NONE

    @property
    def is_example(self) -> bool:
        return bool(self.coverage is not None and self.coverage.is_example)

    @property
    def in_force(self) -> str:
        """The coverage level in force: full, partial, none, not_applicable or not_assessed."""
        return self.score.in_force_level

    @property
    def with_drafts(self) -> str:
        """The coverage level including drafts: full, partial, none, not_applicable or
        not_assessed."""
        return self.score.with_drafts_level


def _input(provision: ProvisionRow, cov: sa.Row | None, links: Sequence[LinkRow]):
    """The scoring input of one provision; without a judgement it is not assessed (it then
    applies and is not met, ``tracker.scoring``)."""
    return ProvisionInput(
        code=provision.code,
        category=provision.category_code,
        level=provision.level,
        applicable=cov.applicable if cov is not None else True,
        implementation=cov.implementation if cov is not None else Implementation.NONE,
        links=tuple(links),
        gem=provision.gem_indicator,
        assessed=cov is not None,
    )


@functools.lru_cache(maxsize=8192)
def _not_judged(provision: ProvisionRow) -> CoverageItem:
    """A provision nobody has judged, the same in every country (scored once per provision)."""
    return CoverageItem(provision, None, (), scoring.score_provision(_input(provision, None, ())))


def coverage_items(
    provisions: Sequence[ProvisionRow], judgements: Judgements, country_id: int
) -> tuple[scoring.Progress, list[CoverageItem]]:
    """A country's progress and its coverage items, one per provision in checklist order."""
    items = []
    coverage, links = judgements.coverage, judgements.links
    for p in provisions:
        cov = coverage.get((country_id, p.id))
        if cov is None:
            items.append(_not_judged(p))
        else:
            found = tuple(links.get(cov.id, ()))
            scored = tuple((link.extent, link.status) for link in found)
            score = _judged_score(p, cov.applicable, cov.implementation, scored)
            items.append(CoverageItem(p, cov, found, score))
    return scoring.progress_of([item.score for item in items]), items


class JudgedScorer:
    """Countries' progress on one list of provisions from ``loaders.JudgedFigures.judged``: the
    same figures as ``coverage_items`` gives, without an item per provision (the overview and
    countries.csv show the figures only). Judgements alike in one call are scored once, keyed
    by the provision's id rather than the whole provision row."""

    def __init__(self, provisions: Sequence[ProvisionRow]):
        self._rows = [(p.id, p, _not_judged(p).score) for p in provisions]
        self._scored: dict[tuple, ProvisionScore] = {}

    def progress(self, judged: Mapping[int, tuple[bool, str, tuple]]) -> scoring.Progress:
        scores = []
        scored = self._scored
        for pid, provision, unjudged in self._rows:
            found = judged.get(pid)
            if found is None:
                scores.append(unjudged)
                continue
            key = (pid, found)
            score = scored.get(key)
            if score is None:
                score = scored[key] = _coded_score(provision, *found)
            scores.append(score)
        return scoring.progress_of(scores)


def _coded_score(
    provision: ProvisionRow, applicable: bool, implementation: str, links: tuple
) -> ProvisionScore:
    """``_judged_score`` of a judgement read as the database's codes (``judgement_figures``;
    ``JudgedScorer`` calls it once per distinct judgement)."""
    return _judged_score(
        provision, bool(applicable), Implementation(implementation),
        tuple((Extent(e), InstrumentStatus(s)) for e, s in links),
    )  # fmt: skip


@functools.lru_cache(maxsize=65536)
def _judged_score(
    provision: ProvisionRow,
    applicable: bool,
    implementation: Implementation,
    links: tuple[tuple[Extent, InstrumentStatus], ...],
) -> ProvisionScore:
    """A judged provision's score, from what scoring reads of it (``scoring.Link``: each link's
    extent and instrument status), so judgements alike are scored once."""
    cov = _Judged(applicable, implementation)
    return scoring.score_provision(
        _input(provision, cov, tuple(scoring.LinkInput(e, s) for e, s in links))
    )


class _Judged(NamedTuple):
    applicable: bool
    implementation: Implementation


@dataclass(frozen=True)
class CountrySummary:
    """A country's headline figures: what the overview, countries.csv and the API list show."""

    country: CountryRef
    joined_on: PartialDate | None
    checklist: ChecklistInfo | None
    progress: scoring.Progress | None  # None before any checklist is loaded
    instruments: int
    milestones: scoring.MilestoneCounts
    last_update: datetime | None
    has_example: bool
    facts: FactRow | None = None  # the latest year's e-waste figures, None when none recorded
    monitor: tuple[scoring.MonitorComparison, ...] = ()  # derived beside published, per indicator
    published: tuple[PublishedRow, ...] = ()  # every published Monitor value, latest edition first
    stage: InstrumentStatus | None = None  # scoring.stage: None, no e-waste-specific instrument

    @property
    def figures(self) -> Figures | None:
        return self.progress.overall if self.progress else None

    @property
    def categories(self) -> dict[str, Figures]:
        return self.progress.categories if self.progress else {}

    @property
    def gem(self) -> dict[GemIndicator, bool] | None:
        return self.progress.gem if self.progress else None

    @property
    def provisional(self) -> bool:
        """Fewer than half of the checklist's provisions assessed (``scoring.is_provisional``)."""
        return bool(self.figures and self.figures.provisional)

    @property
    def stage_rank(self) -> int:
        """0 for no e-waste-specific instrument, then 1.. along ``scoring.STAGE_ORDER``."""
        return scoring.STAGE_ORDER.index(self.stage) + 1 if self.stage else 0

    @property
    def milestones_done(self) -> int:
        return self.milestones.done

    @property
    def milestones_planned(self) -> int:
        """The milestone total: cancelled ones are left out (``scoring.milestone_counts``)."""
        return self.milestones.total


class JudgedDigest(NamedTuple):
    """What a summary reads of a country's judgements: when one last changed and whether one is
    an example (``loaders.JudgedFigures`` carries the same two)."""

    latest: datetime | None = None
    has_example: bool = False

    @classmethod
    def of(cls, items: Sequence[CoverageItem]) -> "JudgedDigest":
        judged = [item.coverage for item in items if item.coverage is not None]
        return cls(
            loaders.latest(*(cov.updated_at for cov in judged)),
            any(cov.is_example for cov in judged),
        )


def summarize(
    country: Country,
    ref: CountryRef,
    checklist: ChecklistInfo | None,
    judged: "JudgedDigest | loaders.JudgedFigures",
    progress: scoring.Progress | None,
    instruments: InstrumentStats,
    milestones: MilestoneStats,
    facts: Sequence[FactRow] = (),
    published: Sequence[PublishedRow] = (),
    deleted_at: datetime | None = None,
) -> CountrySummary:
    """A country's summary from its progress, what it reads of its judgements and counts.

    The last update is the latest change to the country's record: the country row, its
    instruments, milestones, judgements, e-waste figures and published Monitor values, or the
    latest deletion of one of them (``deleted_at``, from history). The stage comes from its
    instruments (``scoring.stage``)."""
    if progress is not None:
        # National e-waste legislation follows the country's instruments, not a provision.
        progress = replace(
            progress,
            gem=scoring.with_national_legislation(progress.gem, instruments.ewaste_law_in_force),
        )
    return CountrySummary(
        country=ref,
        joined_on=dates.of(country, "joined_on"),
        checklist=checklist,
        progress=progress,
        instruments=instruments.count,
        milestones=milestones.counts,
        last_update=loaders.latest(
            country.updated_at,
            instruments.latest,
            milestones.latest,
            judged.latest,
            *(f.updated_at for f in facts),
            *(v.updated_at for v in published),
            deleted_at,
        ),
        has_example=judged.has_example,
        facts=facts[0] if facts else None,
        monitor=scoring.compare_monitor(
            progress.gem if progress is not None else None,
            (
                (v.indicator, scoring.Published(v.edition, v.value, v.source_url, v.note))
                for v in published
            ),
        ),
        published=tuple(published),
        stage=scoring.stage(instruments.for_stage),
    )


_NOTHING: tuple[JudgedScorer, dict[int, loaders.JudgedFigures]] = (JudgedScorer([]), {})
_UNJUDGED = loaders.JudgedFigures({}, None, False)


def country_summaries(
    session: Session,
    locale: str,
    country_ids: Sequence[int] | None = None,
    deletions: Mapping[int, datetime | None] | None = None,
) -> list[CountrySummary]:
    """Summaries of every country (or of those ids), in ISO3 order (10 queries). ``deletions``
    gives the date of each country's last deletion instead of history (a publication being
    frozen counts only the deletions the public saw, ``tracker.write.review.last_deletion``)."""
    countries = loaders.load_countries(session, locale, country_ids)
    checklists = loaders.country_checklists(session, [c.id for _r, c in countries])
    # Each checklist version the countries are on, with its provisions and judgements (2 queries
    # per version: 2 in all while every country is on the current version).
    versions = sorted({c.id for c in checklists.values() if c is not None})
    by_version: dict[int, tuple[JudgedScorer, dict[int, loaders.JudgedFigures]]] = {}
    for version in versions:
        on_it = [cid for cid, c in checklists.items() if c is not None and c.id == version]
        judged = country_ids if len(versions) == 1 else on_it
        by_version[version] = (
            JudgedScorer(loaders.load_provisions(session, version)),
            loaders.judgement_figures(session, version, judged),
        )
    instruments = loaders.instrument_stats(session, country_ids)
    milestones = loaders.milestone_stats(session, country_ids)
    facts = loaders.country_facts(session, country_ids)
    published = loaders.monitor_values(session, country_ids)
    if deletions is None:
        deletions = loaders.last_deletions(session, country_ids)
    out = []
    for ref, country in countries:
        checklist = checklists[country.id]
        scorer, judgements = by_version.get(checklist.id if checklist else None, _NOTHING)
        judged = judgements.get(country.id, _UNJUDGED)
        out.append(
            summarize(
                country,
                ref,
                checklist,
                judged,
                scorer.progress(judged.judged) if checklist is not None else None,
                instruments.get(country.id, InstrumentStats()),
                milestones.get(country.id, MilestoneStats()),
                facts.get(country.id, ()),
                published.get(country.id, ()),
                deletions.get(country.id),
            )
        )
    return out
