"""The staff workspace's read model and the whole-checklist save (used by ``tracker.web.manage``).

``country_workspace`` gathers everything one country's workspace shows in a constant number of
queries; ``save_checklist`` applies the one-form checklist through ``tracker.write.changes`` in a single
transaction, refusing the whole save when any changed row was saved by someone else meanwhile.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, select

from tracker.codes import Extent, Implementation
from tracker.models import (
    Category,
    CategoryName,
    Country,
    Coverage,
    CoverageLink,
    Instrument,
    Milestone,
    Provision,
    ProvisionText,
)
from tracker.read.pages import current_checklist
from tracker.write import changes


@dataclass
class ProvisionRow:
    provision: Provision
    category: str
    title: str
    guidance: str
    coverage: Coverage | None


@dataclass
class Workspace:
    country: Country
    instruments: list[Instrument]
    milestones: list[Milestone]
    rows: list[ProvisionRow] = field(default_factory=list)

    @property
    def provisions(self) -> list[Provision]:
        return [row.provision for row in self.rows]

    @property
    def linked(self) -> dict[int, list[int]]:
        """The instrument ids each provision is linked to now (for the checklist form)."""
        return {
            row.provision.id: [link.instrument_id for link in row.coverage.links]
            for row in self.rows
            if row.coverage is not None
        }


def editable_countries(session: Session, user) -> list[Country]:
    """The countries this person may edit: all for an admin, their own for an editor."""
    query = select(Country).order_by(Country.iso3)
    if not user.is_admin:
        query = query.where(Country.id == user.country_id)
    return list(session.exec(query).all())


def _texts(session: Session, model, key, ids, locale: str) -> dict:
    """Text rows by owner id in ``locale``, English where that locale has none."""
    if not ids:
        return {}
    rows = session.exec(
        select(model).where(getattr(model, key).in_(ids), model.locale.in_((locale, "en")))
    ).all()
    out: dict = {}
    for row in sorted(rows, key=lambda r: r.locale == locale):
        out[getattr(row, key)] = row
    return out


def checklist_rows(
    session: Session, country_id: int | None, locale: str, *, include_retired: bool = False
) -> list[ProvisionRow]:
    """The current checklist's provisions in order, with the country's coverage (if any)."""
    checklist = current_checklist(session)
    if checklist is None:
        return []
    query = (
        select(Provision, Category)
        .join(Category, Category.id == Provision.category_id)
        .where(Provision.checklist_id == checklist.id)
        .order_by(Category.position, Provision.position, Provision.id)
    )
    if not include_retired:
        query = query.where(sa.not_(Provision.retired))
    pairs = session.exec(query).all()
    ids = [p.id for p, _c in pairs]
    texts = _texts(session, ProvisionText, "provision_id", ids, locale)
    names = _texts(session, CategoryName, "category_id", list({c.id for _p, c in pairs}), locale)
    coverage = {}
    if country_id is not None and ids:
        coverage = {
            c.provision_id: c
            for c in session.exec(
                select(Coverage).where(
                    Coverage.country_id == country_id, Coverage.provision_id.in_(ids)
                )
            ).all()
        }
        # Load every row's links in one query rather than one per row.
        if coverage:
            session.exec(
                select(CoverageLink).where(
                    CoverageLink.coverage_id.in_([c.id for c in coverage.values()])
                )
            ).all()
    rows = []
    for provision, category in pairs:
        text = texts.get(provision.id)
        name = names.get(category.id)
        rows.append(
            ProvisionRow(
                provision=provision,
                category=name.name if name else category.code,
                title=text.title if text else provision.code,
                guidance=text.guidance if text else "",
                coverage=coverage.get(provision.id),
            )
        )
    return rows


def country_workspace(session: Session, country: Country, locale: str) -> Workspace:
    instruments = session.exec(
        select(Instrument)
        .where(Instrument.country_id == country.id)
        .order_by(Instrument.year.desc(), Instrument.title)
    ).all()
    milestones = session.exec(
        select(Milestone)
        .where(Milestone.country_id == country.id)
        .order_by(Milestone.planned_on, Milestone.id)
    ).all()
    return Workspace(
        country=country,
        instruments=list(instruments),
        milestones=list(milestones),
        rows=checklist_rows(session, country.id, locale),
    )


# --- the checklist form -------------------------------------------------------------------------


def row_values(coverage: Coverage | None) -> dict:
    """A coverage row as the checklist form's data (defaults when there is no row yet)."""
    data = {
        "applicable": "yes" if coverage is None or coverage.applicable else "no",
        "not_applicable_reason": (coverage.not_applicable_reason if coverage else None) or "",
        "implementation": (coverage.implementation if coverage else Implementation.NONE).value,
        "evidence": (coverage.evidence if coverage else None) or "",
        "version": str(coverage.version if coverage else 0),
    }
    for link in coverage.links if coverage else ():
        data[f"i{link.instrument_id}"] = {
            "extent": link.extent.value,
            "articles": link.articles or "",
        }
    return data


def checklist_data(workspace: Workspace) -> dict:
    return {f"p{row.provision.id}": row_values(row.coverage) for row in workspace.rows}


@dataclass(frozen=True)
class WantedCoverage:
    applicable: bool
    not_applicable_reason: str | None
    implementation: Implementation
    evidence: str | None
    links: dict  # instrument id -> (Extent, articles)

    def snapshot(self) -> dict:
        return {
            "applicable": self.applicable,
            "not_applicable_reason": self.not_applicable_reason,
            "implementation": self.implementation.value,
            "evidence": self.evidence,
            "links": sorted(
                (
                    {"instrument_id": iid, "extent": extent.value, "articles": articles}
                    for iid, (extent, articles) in self.links.items()
                ),
                key=lambda d: d["instrument_id"],
            ),
        }


COVERAGE_FIELDS = ("applicable", "not_applicable_reason", "implementation", "evidence", "links")
DEFAULT_COVERAGE = WantedCoverage(True, None, Implementation.NONE, None, {})


def wanted_from_form(row_form) -> WantedCoverage:
    """What a validated checklist row asks for: its kept links plus the one it adds, if any."""
    applicable = row_form.applicable.data != "no"
    links = {}
    for link_field in row_form.link_fields():
        sub = link_field.form
        if sub.extent.data and not sub.remove.data:
            links[int(link_field.short_name[1:])] = (Extent(sub.extent.data), sub.articles.data or None)
    new = row_form.new.form
    if new.instrument_id is not None:
        links[new.instrument_id] = (Extent(new.extent.data), new.articles.data or None)
    return WantedCoverage(
        applicable=applicable,
        not_applicable_reason=(row_form.not_applicable_reason.data or None)
        if not applicable
        else None,
        implementation=Implementation(row_form.implementation.data),
        evidence=row_form.evidence.data or None,
        links=links,
    )


def _current(coverage: Coverage | None) -> dict:
    if coverage is None:
        return DEFAULT_COVERAGE.snapshot()
    snap = changes.snapshot(coverage)
    return {name: snap[name] for name in COVERAGE_FIELDS}


def _apply(wanted: WantedCoverage):
    def apply(cov: Coverage) -> None:
        cov.applicable = wanted.applicable
        cov.not_applicable_reason = wanted.not_applicable_reason
        cov.implementation = wanted.implementation
        cov.evidence = wanted.evidence
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
                cov.links.append(CoverageLink(instrument_id=iid, extent=extent, articles=articles))
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
    version: int


class ChecklistConflict(Exception):
    def __init__(self, conflicts: list[Conflict]):
        super().__init__(f"{len(conflicts)} rows changed meanwhile")
        self.conflicts = conflicts


def save_checklist(session: Session, workspace: Workspace, form, actor: changes.Actor) -> int:
    """Save every changed row of the checklist form in one transaction; the number saved.

    A row is saved only when what was submitted differs from what is stored. If any such row is
    no longer at the version the form was loaded with, nothing is saved and ``ChecklistConflict``
    lists those rows (what changed since the form's version, and the version now stored).
    """
    plans = []
    conflicts = []
    for row in workspace.rows:
        row_form = form[f"p{row.provision.id}"].form
        wanted = wanted_from_form(row_form)
        current = _current(row.coverage)
        if wanted.snapshot() == current:
            continue
        loaded = row_form.version_value()
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
        plans.append((row, wanted, stored))
    if conflicts:
        raise ChecklistConflict(conflicts)
    if not plans:
        return 0
    try:
        for row, wanted, stored in plans:
            if row.coverage is None:
                cov = Coverage(country_id=workspace.country.id, provision_id=row.provision.id)
                _apply(wanted)(cov)
                changes.create(session, cov, actor, commit=False)
            else:
                changes.update(
                    session,
                    row.coverage,
                    actor,
                    _apply(wanted),
                    expected_version=stored,
                    commit=False,
                )
        session.commit()
    except changes.StaleVersion as exc:
        # Saved by someone else between our read and our write.
        session.rollback()
        raise ChecklistConflict(
            [Conflict(code="", title="", changed=[], version=exc.record.version)]
        ) from exc
    except sa.exc.IntegrityError as exc:
        # Two people created the same row at once: the loser sees a conflict, not an error.
        session.rollback()
        raise ChecklistConflict([]) from exc
    return len(plans)


def categories(session: Session, locale: str) -> list[tuple[Category, str]]:
    """The current checklist's categories with their names in ``locale`` (English fallback)."""
    checklist = current_checklist(session)
    if checklist is None:
        return []
    cats = session.exec(
        select(Category).where(Category.checklist_id == checklist.id).order_by(Category.position)
    ).all()
    names = _texts(session, CategoryName, "category_id", [c.id for c in cats], locale)
    return [(c, names[c.id].name if c.id in names else c.code) for c in cats]


def category_siblings(session: Session, provision: Provision) -> list[Provision]:
    """The provisions of ``provision``'s category in checklist order."""
    return list(
        session.exec(
            select(Provision)
            .where(Provision.category_id == provision.category_id)
            .order_by(Provision.position, Provision.id)
        ).all()
    )


def next_position(session: Session, category_id: int) -> int:
    top = session.exec(
        select(sa.func.max(Provision.position)).where(Provision.category_id == category_id)
    ).one()
    return int(top or 0) + 1
