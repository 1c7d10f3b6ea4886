"""The scoring module on hand-made cases (no database)."""

from datetime import date

import pytest

from tracker import scoring
from tracker.codes import (
    Extent,
    GemIndicator,
    Implementation,
    InstrumentStatus,
    Level,
    MilestoneStatus,
)
from tracker.scoring import LinkInput, ProvisionInput, compute, score_provision

CORE, REC = Level.CORE, Level.RECOMMENDED
IN_FORCE, DRAFT = InstrumentStatus.IN_FORCE, InstrumentStatus.DRAFTING


def prov(code="A-01", level=CORE, category="A", links=(), **kw) -> ProvisionInput:
    return ProvisionInput(code=code, category=category, level=level,
                          links=tuple(LinkInput(Extent(e), s) for e, s in links), **kw)


def test_the_documented_example():
    progress = compute([
        prov("A-01", CORE, links=[("full", IN_FORCE)]),
        prov("A-02", CORE, links=[("partial", DRAFT)]),
        prov("A-03", REC),
    ])
    assert progress.overall.in_force == pytest.approx(0.4)
    assert progress.overall.with_drafts == pytest.approx(0.6)
    assert progress.overall.implementation == 0


def test_a_draft_fully_covering_beside_an_act_partly_covering():
    s = score_provision(prov(links=[("partial", IN_FORCE), ("full", DRAFT)]))
    assert (s.in_force, s.with_drafts) == (0.5, 1.0)


@pytest.mark.parametrize("status, in_force, with_drafts", [
    (InstrumentStatus.PLANNED, 0, 1), (InstrumentStatus.PUBLIC_CONSULTATION, 0, 1),
    (InstrumentStatus.VALIDATED, 0, 1), (InstrumentStatus.ADOPTED, 0, 1),
    (InstrumentStatus.IN_FORCE, 1, 1), (InstrumentStatus.AMENDED, 1, 1),
    (InstrumentStatus.REPEALED, 0, 0),
])
def test_lifecycle_status_decides_what_counts(status, in_force, with_drafts):
    s = score_provision(prov(links=[("full", status)]))
    assert (s.in_force, s.with_drafts) == (in_force, with_drafts)


def test_all_not_applicable_gives_no_figure_rather_than_zero():
    progress = compute([prov("A-01", applicable=False), prov("A-02", REC, applicable=False)])
    assert progress.overall.in_force is None
    assert progress.overall.implementation is None
    assert progress.overall.not_applicable == 2


def test_not_applicable_leaves_the_denominator():
    progress = compute([prov("A-01", links=[("full", IN_FORCE)]),
                        prov("A-02", applicable=False)])
    assert progress.overall.in_force == 1.0
    assert progress.overall.applicable == 1


def test_no_coverage_at_all_is_zero():
    progress = compute([prov("A-01"), prov("B-01", REC, category="B")])
    assert progress.overall.in_force == 0 and progress.overall.with_drafts == 0
    assert set(progress.categories) == {"A", "B"}


def test_core_weighs_twice_recommended():
    progress = compute([prov("A-01", CORE, links=[("full", IN_FORCE)]), prov("A-02", REC)])
    assert progress.overall.in_force == pytest.approx(2 / 3)
    progress = compute([prov("A-01", CORE), prov("A-02", REC, links=[("full", IN_FORCE)])])
    assert progress.overall.in_force == pytest.approx(1 / 3)


def test_implementation_is_its_own_axis():
    progress = compute([
        prov("A-01", CORE, links=[("full", IN_FORCE)], implementation=Implementation.NONE),
        prov("A-02", CORE, implementation=Implementation.OPERATIONAL),
        prov("A-03", REC, implementation=Implementation.ENFORCED),
    ])
    assert progress.overall.in_force == pytest.approx(2 / 5)
    assert progress.overall.implementation == pytest.approx((2 * 2 / 3 + 1) / 5)


def test_categories_are_scored_separately():
    progress = compute([prov("A-01", category="A", links=[("full", IN_FORCE)]),
                        prov("B-01", category="B")])
    assert progress.categories["A"].in_force == 1
    assert progress.categories["B"].in_force == 0
    assert progress.overall.in_force == 0.5


def test_monitor_indicators_need_full_coverage_in_force():
    progress = compute([
        prov("S-01", gem=GemIndicator.NATIONAL_LEGISLATION, links=[("full", IN_FORCE)]),
        prov("E-01", gem=GemIndicator.EPR, links=[("partial", IN_FORCE), ("full", DRAFT)]),
        prov("C-03", gem=GemIndicator.COLLECTION_TARGET, applicable=False,
             links=[("full", IN_FORCE)]),
    ])
    assert progress.gem == {
        GemIndicator.NATIONAL_LEGISLATION: True,
        GemIndicator.EPR: False,
        GemIndicator.COLLECTION_TARGET: False,
        GemIndicator.RECYCLING_TARGET: False,
    }


@pytest.mark.parametrize(
    "score, applicable, level",
    [
        (1.0, True, "full"),
        (0.5, True, "partial"),
        (0.0, True, "none"),
        (1.0, False, "not_applicable"),
        (0.0, False, "not_applicable"),
    ],
)
def test_coverage_level(score, applicable, level):
    assert scoring.coverage_level(score, applicable) == level


def test_levels_of_a_scored_provision():
    s = score_provision(prov(links=[("partial", IN_FORCE), ("full", DRAFT)]))
    assert (s.in_force_level, s.with_drafts_level) == ("partial", "full")
    s = score_provision(prov(applicable=False, links=[("full", IN_FORCE)]))
    assert (s.in_force_level, s.with_drafts_level) == ("not_applicable", "not_applicable")
    assert (score_provision(prov()).in_force_level) == "none"


def test_statuses_that_count_in_force_and_with_drafts():
    S = InstrumentStatus
    assert [s for s in S if scoring.counts_in_force(s)] == [S.IN_FORCE, S.AMENDED]
    assert [s for s in S if not scoring.counts_with_drafts(s)] == [S.REPEALED]


def test_overdue_means_planned_date_passed_and_not_done_or_cancelled():
    today = date(2025, 6, 1)
    past, future = date(2025, 5, 31), date(2025, 6, 2)
    assert scoring.is_overdue(past, MilestoneStatus.PLANNED, today)
    assert scoring.is_overdue(past, MilestoneStatus.DELAYED, today)
    assert scoring.is_overdue(past, MilestoneStatus.IN_PROGRESS, today)
    assert not scoring.is_overdue(past, MilestoneStatus.DONE, today)
    assert not scoring.is_overdue(past, MilestoneStatus.CANCELLED, today)
    assert not scoring.is_overdue(future, MilestoneStatus.PLANNED, today)
    assert not scoring.is_overdue(today, MilestoneStatus.PLANNED, today)
    assert not scoring.is_overdue(None, MilestoneStatus.PLANNED, today)


def test_cancelled_milestones_leave_the_total():
    M = MilestoneStatus
    counts = scoring.milestone_counts({M.DONE: 4, M.CANCELLED: 1, M.DELAYED: 1, M.PLANNED: 2})
    assert (counts.done, counts.total) == (4, 7)
    assert scoring.milestone_counts({}) == scoring.MilestoneCounts(0, 0)
    assert scoring.milestone_counts({M.CANCELLED: 3}) == scoring.MilestoneCounts(0, 0)


class Inst:
    """An instrument as the stage reads it."""

    def __init__(self, status, ewaste_specific=True):
        self.status, self.ewaste_specific = status, ewaste_specific


def test_the_stage_rests_on_e_waste_specific_instruments_only():
    S = InstrumentStatus
    # Paraguay's shape: general laws in force, two e-waste texts being drafted -> drafting.
    general_in_force = [Inst(S.IN_FORCE, False), Inst(S.AMENDED, False), Inst(S.ADOPTED, False)]
    assert scoring.stage(general_in_force + [Inst(S.DRAFTING), Inst(S.PLANNED)]) is S.DRAFTING
    # only general instruments, however far they went: no e-waste-specific instrument yet
    assert scoring.stage(general_in_force) is None
    assert scoring.stage([]) is None
    # the furthest of the specific ones; amended counts as in force
    assert scoring.stage([Inst(S.VALIDATED), Inst(S.ADOPTED), Inst(S.DRAFTING)]) is S.ADOPTED
    assert scoring.stage([Inst(S.AMENDED), Inst(S.ADOPTED)]) is S.IN_FORCE


def test_a_repealed_specific_instrument_does_not_set_the_stage():
    S = InstrumentStatus
    assert scoring.stage([Inst(S.REPEALED)]) is None
    assert scoring.stage([Inst(S.REPEALED), Inst(S.IN_FORCE, False)]) is None
    # the e-waste regulation was repealed; its replacement is still a draft
    assert scoring.stage([Inst(S.REPEALED), Inst(S.PUBLIC_CONSULTATION)]) is S.PUBLIC_CONSULTATION


def test_an_adopted_instrument_not_yet_in_force_counts_with_the_drafts():
    A = InstrumentStatus.ADOPTED
    # one core provision fully covered by an adopted act (not in force), one partly by an act
    # in force, one recommended provision fully by the adopted act.
    # in force: (2x0 + 2x0.5 + 1x0) / 5 = 0.2; with drafts: (2x1 + 2x0.5 + 1x1) / 5 = 0.8
    progress = compute([
        prov("A-01", CORE, links=[("full", A)]),
        prov("A-02", CORE, links=[("partial", IN_FORCE)]),
        prov("A-03", REC, links=[("full", A)]),
    ])
    assert progress.overall.in_force == pytest.approx(0.2)
    assert progress.overall.with_drafts == pytest.approx(0.8)
    s = score_provision(prov(links=[("full", A)]))
    assert (s.in_force_level, s.with_drafts_level) == ("none", "full")
    gem = compute([prov("S-01", gem=GemIndicator.EPR, links=[("full", A)])]).gem
    assert gem[GemIndicator.EPR] is False  # adopted is not in force for the monitor either


def test_a_provision_not_assessed_is_its_own_state_and_counts_as_zero():
    # two core provisions judged and fully covered in force; one core and one recommended
    # provision nobody has judged. in force: (2x1 + 2x1 + 2x0 + 1x0) / 7 = 4/7
    progress = compute([
        prov("A-01", CORE, links=[("full", IN_FORCE)]),
        prov("A-02", CORE, links=[("full", IN_FORCE)]),
        prov("A-03", CORE, assessed=False),
        prov("A-04", REC, assessed=False),
    ])
    overall = progress.overall
    assert overall.in_force == pytest.approx(4 / 7)
    assert (overall.assessed, overall.provisions, overall.not_assessed) == (2, 4, 2)
    assert overall.applicable == 4 and overall.not_applicable == 0
    assert not overall.provisional  # 2 of 4: exactly half is not provisional
    unassessed = progress.provisions[2]
    assert (unassessed.in_force_level, unassessed.with_drafts_level) == (
        "not_assessed",
        "not_assessed",
    )
    assert (unassessed.in_force, unassessed.implementation) == (0, 0)


def test_a_judged_provision_with_no_instrument_is_not_covered_not_unassessed():
    s = score_provision(prov(implementation=Implementation.NONE))
    assert s.assessed and s.in_force_level == "none"


def test_a_not_applicable_judgement_counts_as_assessed():
    progress = compute([prov("A-01", applicable=False), prov("A-02", assessed=False)])
    assert (progress.overall.assessed, progress.overall.provisions) == (1, 2)
    assert progress.overall.in_force == 0  # only the unassessed one is in the sums: 0 / 2
    assert progress.overall.weight == 2


@pytest.mark.parametrize(
    "assessed, provisions, provisional",
    [
        (16, 39, True),  # 16 < 19.5
        (19, 39, True),
        (20, 39, False),
        (19, 38, False),  # exactly half
        (18, 38, True),  # one below half
        (0, 1, True),
        (0, 0, False),  # nothing to assess
        (39, 39, False),
    ],
)
def test_provisional_below_half_assessed(assessed, provisions, provisional):
    assert scoring.is_provisional(assessed, provisions) is provisional


def test_provisional_figures_of_a_category_and_the_whole_checklist():
    # category A: 1 of 3 assessed (provisional); B: 2 of 2; overall 3 of 5 (not provisional)
    progress = compute([
        prov("A-01", category="A", links=[("full", IN_FORCE)]),
        prov("A-02", category="A", assessed=False),
        prov("A-03", category="A", assessed=False),
        prov("B-01", category="B", applicable=False),
        prov("B-02", category="B"),
    ])
    assert progress.categories["A"].provisional
    assert (progress.categories["A"].assessed, progress.categories["A"].provisions) == (1, 3)
    assert not progress.categories["B"].provisional
    assert (progress.overall.assessed, progress.overall.provisions) == (3, 5)
    assert not progress.overall.provisional


def test_the_scoring_module_imports_no_database_and_no_flask():
    import ast
    from pathlib import Path

    source = Path(scoring.__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    allowed = {"collections.abc", "dataclasses", "datetime", "typing", "tracker.codes"}
    assert imported <= allowed | {"tracker.dates"}, imported
