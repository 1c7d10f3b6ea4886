"""Pure progress scoring: coverage judgements in, figures out. No database, no request.

Every rule that turns records into what a reader sees is here, once: the three figures, a
provision's coverage level (the status tags), the Global E-waste Monitor indicators, a country's
stage, which instrument statuses count as in force and as drafts, when a milestone is overdue and
how milestones are counted. Change the method here (and its tests in ``tests/test_progress.py``);
the pages, the CSV exports and the API all read these results through ``tracker.read``. Only
``tracker.codes`` is imported: no database, SQLModel or Flask.

The method (also shown on the methodology page):

* Each provision of the current checklist that applies to a country has a **weight**: core 2,
  recommended 1. A provision judged *not applicable* leaves both numerator and denominator.
* **Not assessed**: a provision nobody has judged yet is its own state, never "not covered". It
  stays in the denominator with a score of 0 (so leaving provisions unjudged never raises a
  figure), and every figure says what it rests on: how many of its provisions are assessed
  (judged applicable or not applicable). A set of provisions with fewer than half of them
  assessed is a **provisional** assessment (``is_provisional``; exactly half is not).
* **Legal coverage in force**: the provision's best extent among the linked instruments that are
  in force or amended (``IN_FORCE_STATUSES``; fully = 1, partially = 0.5, none = 0). An
  instrument adopted but not yet in force is not law in force: it counts with the drafts.
* **Legal coverage including drafts**: the best extent among all linked instruments that are not
  repealed (``WITH_DRAFTS_STATUSES``: drafts, consultations, validated and adopted texts count).
* A provision's **coverage level** (its status tag) for either legal figure: ``full`` at 1,
  ``partial`` above 0, ``none`` at 0, ``not_applicable`` when judged not applicable, and
  ``not_assessed`` when nobody has judged it.
* **Implementation**: none 0, initiated 1/3, operational 2/3, enforced 1, judged separately from
  the law, because a law on the books is not a law in use.
* A figure for a set of provisions (a category, or the whole checklist) is the weighted mean:
  ``sum(weight x score) / sum(weight)`` over applicable provisions, a share between 0 and 1.
  With no applicable provision the figure is ``None`` (shown as "not applicable"), never 0.
* The four **Global E-waste Monitor** indicators (national legislation, EPR, collection target,
  recycling target) are *derived from this record*, not the Monitor's own values. *National
  e-waste legislation* is "yes" when the country has legislation (an act, regulation, statutory
  instrument, ministerial order or decree) specific to e-waste that counts as in force
  (``is_ewaste_law_in_force``); each of the other three is "yes" when at least one provision
  mapped to the indicator is *fully* addressed by an instrument in force. Otherwise "no". Where an administrator has recorded the Monitor's own published value for an
  edition, ``compare_monitor`` sets the two side by side and says when they disagree.

* A country's **stage** is the furthest lifecycle status among its instruments that are specific
  to e-waste (``ewaste_specific``) and not repealed, in the order of ``STAGE_ORDER`` (planned,
  drafting, public consultation, validated, adopted, in force; an amended instrument counts as in
  force). A general instrument that touches e-waste (an environmental framework act, a customs
  law) never sets the stage. With no such instrument the stage is ``None`` ("no e-waste-specific
  instrument yet").

* **Milestones**: a milestone is a *project step* (of the ITU-CST project) or a *context event*
  (an earlier programme, a plant opening, a press item). Only project steps are counted and can
  be overdue; context events are shown in the timeline, marked as such. A project step is
  *overdue* when its planned date has passed and it is neither done nor cancelled. A country's
  milestone count is "done of total" over its project steps, where the total leaves out cancelled
  ones (a cancelled step is not part of the plan any more).

Example: two core provisions, one fully covered by an act in force, one partially by a draft, and
one recommended provision not addressed. In force: (2x1 + 2x0 + 1x0) / 5 = 40 %. Including drafts:
(2x1 + 2x0.5 + 1x0) / 5 = 60 %. All three are assessed (3 of 3), so the figures are not
provisional; had the recommended provision not been judged at all, the figures would be the same
and rest on 2 of 3 provisions assessed.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from tracker.codes import (
    Extent,
    GemIndicator,
    Implementation,
    InstrumentStatus,
    InstrumentType,
    Level,
    MilestoneNature,
    MilestoneStatus,
)
from tracker.dates import PartialDate, as_partial

WEIGHTS: dict[Level, int] = {Level.CORE: 2, Level.RECOMMENDED: 1}
EXTENT_SCORES: dict[Extent, float] = {Extent.PARTIAL: 0.5, Extent.FULL: 1.0}
IMPLEMENTATION_SCORES: dict[Implementation, float] = {
    Implementation.NONE: 0.0,
    Implementation.INITIATED: 1 / 3,
    Implementation.OPERATIONAL: 2 / 3,
    Implementation.ENFORCED: 1.0,
}

# The instrument statuses that count for each legal figure, in lifecycle order. Adopted but not
# yet in force is not law in force: it counts with the drafts only.
IN_FORCE_STATUSES: tuple[InstrumentStatus, ...] = (
    InstrumentStatus.IN_FORCE,
    InstrumentStatus.AMENDED,  # stays in force as amended
)
WITH_DRAFTS_STATUSES: tuple[InstrumentStatus, ...] = tuple(
    s for s in InstrumentStatus if s is not InstrumentStatus.REPEALED
)


_IN_FORCE = frozenset(IN_FORCE_STATUSES)
_WITH_DRAFTS = frozenset(WITH_DRAFTS_STATUSES)


def counts_in_force(status: InstrumentStatus) -> bool:
    """Whether an instrument with this status counts for legal coverage in force."""
    return status in _IN_FORCE


def counts_with_drafts(status: InstrumentStatus) -> bool:
    """Whether an instrument with this status counts for legal coverage including drafts."""
    return status in _WITH_DRAFTS


# Coverage levels: the status tag of one provision for one legal figure.
FULL, PARTIAL, NONE, NOT_APPLICABLE = "full", "partial", "none", "not_applicable"
NOT_ASSESSED = "not_assessed"  # nobody has judged the provision: never shown as "none"
COVERAGE_LEVELS: tuple[str, ...] = (NONE, PARTIAL, FULL)  # the levels of an assessed provision


def coverage_level(score: float, applicable: bool = True, assessed: bool = True) -> str:
    """The tag for a provision's legal coverage score: full, partial, none, not_applicable, or
    not_assessed when nobody has judged the provision."""
    if not assessed:
        return NOT_ASSESSED
    if not applicable:
        return NOT_APPLICABLE
    if score >= 1.0:
        return FULL
    if score > 0:
        return PARTIAL
    return NONE


# The lifecycle a country's e-waste law goes through, earliest first (see ``stage``).
STAGE_ORDER: tuple[InstrumentStatus, ...] = (
    InstrumentStatus.PLANNED,
    InstrumentStatus.DRAFTING,
    InstrumentStatus.PUBLIC_CONSULTATION,
    InstrumentStatus.VALIDATED,
    InstrumentStatus.ADOPTED,
    InstrumentStatus.IN_FORCE,
)


@dataclass(frozen=True)
class LinkInput:
    """One instrument addressing a provision: how fully, and that instrument's lifecycle status.

    Any object with these two attributes will do (the read layer passes its link rows as they
    are, see ``Link``)."""

    extent: Extent
    status: InstrumentStatus


class Link(Protocol):
    """What scoring reads of a link: its extent and its instrument's status."""

    @property
    def extent(self) -> Extent: ...

    @property
    def status(self) -> InstrumentStatus: ...


@dataclass(frozen=True, slots=True)
class ProvisionInput:
    code: str
    category: str
    level: Level
    applicable: bool = True
    implementation: Implementation = Implementation.NONE
    links: tuple[Link, ...] = ()
    gem: GemIndicator | None = None
    assessed: bool = True  # False: nobody has judged it (it then applies and scores 0)


@dataclass(frozen=True, slots=True)
class ProvisionScore:
    code: str
    category: str
    level: Level
    weight: int
    applicable: bool
    in_force: float
    with_drafts: float
    implementation: float
    gem: GemIndicator | None = None
    assessed: bool = True

    @property
    def fully_in_force(self) -> bool:
        return self.assessed and self.applicable and self.in_force >= 1.0

    @property
    def in_force_level(self) -> str:
        return coverage_level(self.in_force, self.applicable, self.assessed)

    @property
    def with_drafts_level(self) -> str:
        return coverage_level(self.with_drafts, self.applicable, self.assessed)


def is_provisional(assessed: int, provisions: int) -> bool:
    """Fewer than half of the provisions assessed (exactly half is not provisional)."""
    return 2 * assessed < provisions


@dataclass(frozen=True)
class Figures:
    """Three shares between 0 and 1 (None when nothing applies) and the counts behind them.

    ``applicable`` counts the provisions in the denominator (judged applicable, or not assessed
    yet); ``assessed`` those somebody has judged (applicable or not), of ``provisions`` in all.
    """

    in_force: float | None
    with_drafts: float | None
    implementation: float | None
    applicable: int
    not_applicable: int
    weight: int
    assessed: int = 0
    provisions: int = 0

    @property
    def not_assessed(self) -> int:
        return self.provisions - self.assessed

    @property
    def provisional(self) -> bool:
        return is_provisional(self.assessed, self.provisions)


@dataclass(frozen=True)
class Progress:
    overall: Figures
    categories: dict[str, Figures]
    provisions: list[ProvisionScore] = field(default_factory=list)
    gem: dict[GemIndicator, bool] = field(default_factory=dict)


def best_extent(links: Iterable[Link], *, include_drafts: bool) -> float:
    """The best extent among the links whose instrument counts for this figure."""
    best = 0.0
    counted = _WITH_DRAFTS if include_drafts else _IN_FORCE  # counts_with_drafts, counts_in_force
    for link in links:
        if link.status in counted:
            best = max(best, EXTENT_SCORES[link.extent])
    return best


def score_provision(p: ProvisionInput) -> ProvisionScore:
    """One provision's three scores (all 0 when it does not apply or nobody has judged it)."""
    counted = p.applicable and p.assessed
    return ProvisionScore(
        code=p.code,
        category=p.category,
        level=p.level,
        weight=WEIGHTS[p.level],
        applicable=p.applicable or not p.assessed,
        in_force=best_extent(p.links, include_drafts=False) if counted else 0.0,
        with_drafts=best_extent(p.links, include_drafts=True) if counted else 0.0,
        implementation=IMPLEMENTATION_SCORES[p.implementation] if counted else 0.0,
        gem=p.gem,
        assessed=p.assessed,
    )


def aggregate(scores: Iterable[ProvisionScore]) -> Figures:
    """Weighted means over the applicable provisions (those not assessed count as 0), and how
    many provisions are assessed."""
    weight = in_force = with_drafts = implementation = 0.0
    applicable = not_applicable = assessed = provisions = 0
    for s in scores:
        provisions += 1
        assessed += s.assessed
        if not s.applicable:
            not_applicable += 1
            continue
        applicable += 1
        weight += s.weight
        in_force += s.weight * s.in_force
        with_drafts += s.weight * s.with_drafts
        implementation += s.weight * s.implementation
    if not weight:
        return Figures(None, None, None, applicable, not_applicable, 0, assessed, provisions)
    return Figures(
        in_force=in_force / weight,
        with_drafts=with_drafts / weight,
        implementation=implementation / weight,
        applicable=applicable,
        not_applicable=not_applicable,
        weight=int(weight),
        assessed=assessed,
        provisions=provisions,
    )


def gem_indicators(scores: Iterable[ProvisionScore]) -> dict[GemIndicator, bool]:
    """The four monitor indicators, in ``GemIndicator`` order: met when a provision mapped to it
    is fully addressed in force."""
    result = dict.fromkeys(GemIndicator, False)
    for s in scores:
        if s.gem is not None and s.fully_in_force:
            result[s.gem] = True
    return result


def compute(provisions: Iterable[ProvisionInput]) -> Progress:
    """Score every provision, then each category (in first-seen order) and the whole checklist,
    and the monitor indicators."""
    return progress_of([score_provision(p) for p in provisions])


def progress_of(scores: list[ProvisionScore]) -> Progress:
    """``compute`` from the provisions' scores (``score_provision``)."""
    by_category: dict[str, list[ProvisionScore]] = {}
    for s in scores:
        by_category.setdefault(s.category, []).append(s)
    return Progress(
        overall=aggregate(scores),
        categories={code: aggregate(items) for code, items in by_category.items()},
        provisions=scores,
        gem=gem_indicators(scores),
    )


class StageInstrument(Protocol):
    """What the stage reads of an instrument: its status and whether it is specific to e-waste."""

    @property
    def status(self) -> InstrumentStatus: ...

    @property
    def ewaste_specific(self) -> bool: ...


def stage(instruments: Iterable[StageInstrument]) -> InstrumentStatus | None:
    """A country's stage: the furthest status among its e-waste-specific instruments that are not
    repealed, or None (no e-waste-specific instrument yet). Amended counts as in force."""
    best: InstrumentStatus | None = None
    for instrument in instruments:
        if not instrument.ewaste_specific:
            continue
        status = instrument.status
        if status is InstrumentStatus.AMENDED:
            status = InstrumentStatus.IN_FORCE
        if status not in STAGE_ORDER:
            continue
        if best is None or STAGE_ORDER.index(status) > STAGE_ORDER.index(best):
            best = status
    return best


# --- national e-waste legislation, in the Monitor's sense --------------------------------------

# The instrument types that are legislation (binding law), not a policy, strategy, plan, standard
# or agreement: the Monitor's "national legislation" asks for laws.
LEGISLATION_TYPES: tuple[InstrumentType, ...] = (
    InstrumentType.ACT,
    InstrumentType.REGULATION,
    InstrumentType.STATUTORY_INSTRUMENT,
    InstrumentType.MINISTERIAL_ORDER,
    InstrumentType.DECREE,
)


def is_ewaste_law_in_force(
    type_: InstrumentType, status: InstrumentStatus, ewaste_specific: bool
) -> bool:
    """An instrument that makes the "national e-waste legislation" indicator "yes": legislation
    (``LEGISLATION_TYPES``) specific to e-waste whose status counts as in force."""
    return bool(ewaste_specific) and type_ in LEGISLATION_TYPES and counts_in_force(status)


def with_national_legislation(
    gem: Mapping[GemIndicator, bool], ewaste_law_in_force: bool
) -> dict[GemIndicator, bool]:
    """The indicators with "national e-waste legislation" decided by the country's instruments
    (``is_ewaste_law_in_force``), not by a provision: the Monitor asks whether the country is
    regulated by laws specifically designed for e-waste."""
    return {**gem, GemIndicator.NATIONAL_LEGISLATION: ewaste_law_in_force}


# --- the Global E-waste Monitor's own published values ---------------------------------------

# Where the Monitor's four indicators and their definitions are published (the Global E-waste
# Statistics Partnership's map of the Global E-waste Monitor 2024; see tracker/data/SOURCES.md).
GEM_SOURCE_URL = "https://dev.globalewaste.org/map"


@dataclass(frozen=True)
class Published:
    """The Monitor's own value of one indicator in one edition (e.g. 2024), with its source."""

    edition: int
    value: bool
    source_url: str
    note: str | None = None


@dataclass(frozen=True)
class MonitorComparison:
    """One indicator: the value derived from this record beside the Monitor's published one."""

    indicator: GemIndicator
    derived: bool | None  # None when there is no checklist to derive it from
    published: Published | None  # the latest edition recorded, None when none is

    @property
    def disagrees(self) -> bool:
        """Both values are known and differ."""
        return (
            self.derived is not None
            and self.published is not None
            and self.derived != self.published.value
        )


def compare_monitor(
    derived: Mapping[GemIndicator, bool] | None,
    published: Iterable[tuple[GemIndicator, Published]],
) -> tuple[MonitorComparison, ...]:
    """Each indicator in ``GemIndicator`` order, derived beside the latest published edition."""
    latest: dict[GemIndicator, Published] = {}
    for indicator, value in published:
        if indicator not in latest or value.edition > latest[indicator].edition:
            latest[indicator] = value
    return tuple(
        MonitorComparison(
            indicator,
            derived.get(indicator) if derived is not None else None,
            latest.get(indicator),
        )
        for indicator in GemIndicator
    )


# --- milestones ---------------------------------------------------------------------------------


# The milestones that are counted ("milestones done") and can be overdue: project steps only.
COUNTED_NATURES: tuple[MilestoneNature, ...] = (MilestoneNature.PROJECT,)


def is_counted(nature: MilestoneNature) -> bool:
    """Whether a milestone of this nature counts towards "milestones done" (a project step)."""
    return nature in COUNTED_NATURES


def is_overdue(
    planned_on: PartialDate | date | None,
    status: MilestoneStatus,
    today: date,
    nature: MilestoneNature = MilestoneNature.PROJECT,
) -> bool:
    """A project step whose planned date passed, neither done nor cancelled.

    A date planned to the month or the year passes when that month or year has ended: a
    milestone planned for December 2025 is not overdue on 31 December 2025 (``tracker.dates``).
    """
    planned = as_partial(planned_on)
    return (
        is_counted(nature)
        and planned is not None
        and planned.end < today
        and status not in (MilestoneStatus.DONE, MilestoneStatus.CANCELLED)
    )


@dataclass(frozen=True)
class MilestoneCounts:
    """A country's project steps: how many are done, of how many planned (cancelled ones and
    context events left out)."""

    done: int = 0
    total: int = 0


def milestone_counts(by_status: Mapping[MilestoneStatus, int]) -> MilestoneCounts:
    """Count project steps from the number of project steps in each status (the caller leaves
    out context events: ``is_counted``)."""
    return MilestoneCounts(
        done=by_status.get(MilestoneStatus.DONE, 0),
        total=sum(n for status, n in by_status.items() if status is not MilestoneStatus.CANCELLED),
    )
