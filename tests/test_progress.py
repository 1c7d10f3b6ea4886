"""The scoring module on hand-made cases (no database)."""

import pytest

from tracker.codes import Extent, GemIndicator, Implementation, InstrumentStatus, Level
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
    (InstrumentStatus.VALIDATED, 0, 1), (InstrumentStatus.ADOPTED, 1, 1),
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
