"""The whole-checklist save, and the rule that a checklist version used by a publication is frozen.

The whole-checklist save: one country's checklist form applied in one transaction.

The view turns the validated form into plain values (``WantedCoverage`` per provision, with the
version each row was loaded at) and calls ``save_checklist`` inside ``write.transaction``. Every
changed row goes through ``tracker.write.changes``; if any changed row was saved by someone else
meanwhile, nothing is saved and ``ChecklistConflict`` lists those rows.

Frozen versions (issue 12): a checklist version that any publication uses can no longer change.
Adding, retiring, reordering or rewording a provision on it (its texts, guidance, level,
category, sources, Monitor indicator), changing its categories or their names, or its own code,
title or date is refused with ``ChecklistFrozen``, whatever path tries it (``tracker.write.frozen``).
Changes go into a new draft version instead (``tracker.write.versions``).
"""

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, select

from tracker.codes import Extent, Implementation
from tracker.fields import EVIDENCE_FIELDS
from tracker.models import Coverage, CoverageLink, Instrument
from tracker.read.workspace import Workspace
from tracker.write import changes
from tracker.write.frozen import (  # noqa: F401  (the rule on checklist versions, re-exported)
    ChecklistFrozen,
    ensure_editable,
    is_frozen,
    used_versions,
)


@dataclass(frozen=True)
class WantedCoverage:
    """What one checklist row asks for."""

    applicable: bool
    not_applicable_reason: str | None
    implementation: Implementation
    evidence: str | None
    links: dict[int, tuple[Extent, str | None]]  # instrument id -> (extent, articles)
    evidence_lang: str | None = None  # BCP 47 tag of the evidence's language
    # The quoted legal text of links this row adds (``tracker.fields.EVIDENCE_FIELDS`` by
    # instrument id); a link already stored keeps its own (edited on the judgement's evidence page).
    link_evidence: dict[int, dict] = field(default_factory=dict)

    def snapshot(self) -> dict:
        """The row as ``changes.snapshot`` shows a coverage record (the fields the form edits)."""
        return {
            "applicable": self.applicable,
            "not_applicable_reason": self.not_applicable_reason,
            "implementation": self.implementation.value,
            "evidence": self.evidence,
            "evidence_lang": self.evidence_lang,
            "links": sorted(
                (
                    {"instrument_id": iid, "extent": extent.value, "articles": articles}
                    for iid, (extent, articles) in self.links.items()
                ),
                key=lambda d: d["instrument_id"],
            ),
        }


COVERAGE_FIELDS = (
    "applicable",
    "not_applicable_reason",
    "implementation",
    "evidence",
    "evidence_lang",
    "links",
)
DEFAULT_COVERAGE = WantedCoverage(True, None, Implementation.NONE, None, {})


def _current(coverage: Coverage | None) -> dict:
    if coverage is None:
        return DEFAULT_COVERAGE.snapshot()
    snap = changes.snapshot(coverage)
    current = {name: snap[name] for name in COVERAGE_FIELDS}
    # The form edits a link's extent and articles; its evidence (excerpt...) is kept as it is.
    current["links"] = [
        {key: link[key] for key in ("instrument_id", "extent", "articles")}
        for link in current["links"]
    ]
    return current


def _apply(wanted: WantedCoverage):
    def apply(cov: Coverage) -> None:
        cov.applicable = wanted.applicable
        cov.not_applicable_reason = wanted.not_applicable_reason
        cov.implementation = wanted.implementation
        cov.evidence = wanted.evidence
        cov.evidence_lang = wanted.evidence_lang
        cov.is_example = False
        # Change links in place: removing and re-adding one instrument in a single flush would
        # insert before deleting and break the (coverage, instrument) unique constraint.
        for link in list(cov.links):
            if link.instrument_id not in wanted.links:
                cov.links.remove(link)
        existing = {link.instrument_id: link for link in cov.links}
        for iid, (extent, articles) in wanted.links.items():
            link = existing.get(iid)
            if link is None:
                evidence = {
                    name: value
                    for name, value in wanted.link_evidence.get(iid, {}).items()
                    if name in EVIDENCE_FIELDS
                }
                cov.links.append(
                    CoverageLink(instrument_id=iid, extent=extent, articles=articles, **evidence)
                )
            else:
                link.extent = extent
                link.articles = articles

    return apply


@dataclass
class Conflict:
    """A checklist row someone else saved after the form was loaded."""

    code: str
    title: str
    changed: list  # (field, theirs-before, theirs-now) from ``changes.diff``
    version: int | None  # now stored; None when the clash showed only while writing


class ChecklistConflict(Exception):
    """Nothing was saved: ``conflicts`` lists the rows saved by someone else meanwhile (a row
    without a code when the clash showed only while writing; none when two people created the
    same row at once)."""

    def __init__(self, conflicts: list[Conflict]):
        super().__init__(f"{len(conflicts)} rows changed meanwhile")
        self.conflicts = conflicts


def save_checklist(
    session: Session,
    workspace: Workspace,
    wanted: dict[int, tuple[WantedCoverage, int]],
    actor: changes.Actor,
) -> int:
    """Save every changed row of the checklist form; the number of rows saved (flushed only).

    ``wanted`` maps a provision id to what its row asks for and the version the row was loaded
    with. A row is saved only when it differs from what is stored. If any such row is no longer
    at the version the form was loaded with, nothing is written and ``ChecklistConflict`` lists
    those rows (what changed since the form's version, and the version now stored).
    """
    plans = []
    conflicts = []
    for row in workspace.rows:
        if row.provision.id not in wanted:
            continue
        asked, loaded = wanted[row.provision.id]
        current = _current(row.coverage)
        if asked.snapshot() == current:
            continue
        stored = row.coverage.version if row.coverage else 0
        if loaded != stored:
            original = None
            if row.coverage is not None and loaded:
                original = changes.state_at_version(session, row.coverage, loaded)
            if original is None and not loaded:
                original = DEFAULT_COVERAGE.snapshot()
            original = {k: v for k, v in (original or {}).items() if k in COVERAGE_FIELDS}
            conflicts.append(
                Conflict(
                    code=row.provision.code,
                    title=row.title,
                    changed=changes.diff(original, current) if original else [],
                    version=stored,
                )
            )
            continue
        plans.append((row, asked, stored))
    if conflicts:
        raise ChecklistConflict(conflicts)
    try:
        for row, asked, stored in plans:
            if row.coverage is None:
                cov = Coverage(country_id=workspace.country.id, provision_id=row.provision.id)
                _apply(asked)(cov)
                changes.create(session, cov, actor)
            else:
                changes.update(
                    session, row.coverage, actor, _apply(asked), expected_version=stored
                )
    except changes.StaleVersion as exc:
        # Saved by someone else between our read and our write (which row shows once the
        # transaction has rolled back and the page is read again).
        raise ChecklistConflict([Conflict(code="", title="", changed=[], version=None)]) from exc
    except sa.exc.IntegrityError as exc:
        # Two people created the same row at once: the loser sees a conflict, not an error.
        raise ChecklistConflict([]) from exc
    return len(plans)


def unlink_instrument(session: Session, instrument: Instrument, actor: changes.Actor) -> None:
    """Take an instrument out of every checklist row that cites it, before it is deleted.

    Each row changes through ``changes.update``, so history records the removed links too.
    """
    coverages = session.exec(
        select(Coverage)
        .join(CoverageLink, CoverageLink.coverage_id == Coverage.id)
        .where(CoverageLink.instrument_id == instrument.id)
    ).all()
    for cov in coverages:
        changes.update(
            session,
            cov,
            actor,
            lambda c: [
                c.links.remove(link) for link in list(c.links) if link.instrument_id == instrument.id
            ],
            expected_version=None,
        )
