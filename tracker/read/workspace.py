"""The staff workspace's read model (used by ``tracker.web.manage``).

``country_workspace`` gathers everything one country's workspace shows in a constant number of
queries; ``checklist_data`` is the checklist form's data. Saving that form is
``tracker.write.checklist``.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from tracker.codes import Implementation, RelationKind
from tracker.models import (
    Category,
    CategoryName,
    Country,
    Coverage,
    Instrument,
    InstrumentRelation,
    InstrumentTitle,
    Milestone,
    Provision,
    ProvisionText,
    User,
)
from tracker.read.loaders import current_checklist


@dataclass
class ProvisionRow:
    provision: Provision
    category: str
    title: str
    guidance: str
    coverage: Coverage | None
    category_code: str = ""

    @property
    def assessed(self) -> bool:
        """Somebody has judged this provision for the country (it has a coverage row)."""
        return self.coverage is not None


@dataclass
class Section:
    """One category of the checklist form: its rows (as filtered) and how many rows it has."""

    code: str
    name: str
    rows: list[ProvisionRow]
    total: int  # the category's provisions, whatever the filter shows


# What the workspace's checklist can show (``?show=``): every provision, those nobody has judged
# yet, those whose judgement or links differ from the last publication. The first is the default.
SHOW_ALL, SHOW_NOT_ASSESSED, SHOW_CHANGED = "all", "not-assessed", "changed"
SHOW = (SHOW_ALL, SHOW_NOT_ASSESSED, SHOW_CHANGED)


def shown_rows(
    rows: list[ProvisionRow], show: str, changed_codes: frozenset[str] | set[str] = frozenset()
) -> list[ProvisionRow]:
    """The rows ``show`` selects (``changed_codes``: the provisions changed since publication)."""
    if show == SHOW_NOT_ASSESSED:
        return [row for row in rows if not row.assessed]
    if show == SHOW_CHANGED:
        return [row for row in rows if row.provision.code in changed_codes]
    return list(rows)


def sections(all_rows: list[ProvisionRow], shown: list[ProvisionRow]) -> list[Section]:
    """The categories in checklist order with their shown rows (categories left empty omitted)."""
    out: dict[str, Section] = {}
    for row in all_rows:
        section = out.get(row.category_code)
        if section is None:
            section = out[row.category_code] = Section(row.category_code, row.category, [], 0)
        section.total += 1
    for row in shown:
        out[row.category_code].rows.append(row)
    return [s for s in out.values() if s.rows]


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


def editable_countries(session: Session, user: User) -> list[Country]:
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
    session: Session,
    country_id: int | None,
    locale: str,
    *,
    include_retired: bool = False,
    checklist_id: int | None = None,
) -> list[ProvisionRow]:
    """The current checklist's provisions in order (or those of version ``checklist_id``), with
    the country's coverage (if any)."""
    if checklist_id is None:
        checklist = current_checklist(session)
        if checklist is None:
            return []
        checklist_id = checklist.id
    query = (
        select(Provision, Category)
        .join(Category, Category.id == Provision.category_id)
        .where(Provision.checklist_id == checklist_id)
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
        # The checklist form edits these records and lists their links: load every row's links
        # with the rows (one more query), not lazily one query per judged row.
        coverage = {
            c.provision_id: c
            for c in session.exec(
                select(Coverage)
                .where(Coverage.country_id == country_id, Coverage.provision_id.in_(ids))
                .options(selectinload(Coverage.links))
            ).all()
        }
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
                category_code=category.code,
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
        .order_by(Milestone.planned_on.asc().nulls_last(), Milestone.id)  # undated last
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
        "evidence_lang": (coverage.evidence_lang if coverage else None) or "",
        "version": str(coverage.version if coverage else 0),
    }
    for link in coverage.links if coverage else ():
        data[f"i{link.instrument_id}"] = {
            "extent": link.extent.value,
            "articles": link.articles or "",
        }
    return data


def project_milestones(session: Session) -> list[Milestone]:
    """The project's own timeline (milestones without a country), by date then id (1 query)."""
    return list(
        session.exec(
            select(Milestone)
            .where(Milestone.country_id.is_(None))
            .order_by(Milestone.actual_on.nulls_last(), Milestone.planned_on, Milestone.id)
        ).all()
    )


def checklist_data(workspace: Workspace) -> dict:
    return {f"p{row.provision.id}": row_values(row.coverage) for row in workspace.rows}


def categories(
    session: Session, locale: str, checklist_id: int | None = None
) -> list[tuple[Category, str]]:
    """The current checklist's categories (or version ``checklist_id``'s) with their names in
    ``locale`` (English fallback)."""
    if checklist_id is None:
        checklist = current_checklist(session)
        if checklist is None:
            return []
        checklist_id = checklist.id
    cats = session.exec(
        select(Category).where(Category.checklist_id == checklist_id).order_by(Category.position)
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


# --- an instrument's translated titles and relations (the instrument's edit page) -----------------


@dataclass(frozen=True)
class RelationLine:
    """One relation of an instrument: ``id`` None for one another instrument has to it."""

    id: int | None
    kind: RelationKind
    other_id: int
    other_title: str
    other_year: int | None


@dataclass(frozen=True)
class InstrumentParts:
    """What the instrument's edit page lists below its form: its translated titles, its own
    relations to other instruments, the relations other instruments have to it, and the
    instruments of its country it could be related to."""

    instrument_id: int
    titles: list[InstrumentTitle]
    relations: list[RelationLine]
    incoming: list[RelationLine]
    candidates: list[Instrument]


def instrument_parts(session: Session, inst: Instrument, locale: str) -> InstrumentParts:
    """The translated titles and relations of ``inst`` (4 queries)."""
    others = session.exec(
        select(Instrument)
        .where(Instrument.country_id == inst.country_id, Instrument.id != inst.id)
        .order_by(Instrument.title, Instrument.id)
    ).all()
    by_id = {other.id: other for other in others}
    incoming = session.exec(
        select(InstrumentRelation)
        .where(InstrumentRelation.target_id == inst.id)
        .order_by(InstrumentRelation.id)
    ).all()

    def line(rel_id, kind, other_id) -> RelationLine:
        other = by_id.get(other_id)
        return RelationLine(
            rel_id, kind, other_id, other.title if other else "", other.year if other else None
        )

    return InstrumentParts(
        instrument_id=inst.id,
        titles=sorted(inst.titles, key=lambda t: t.locale),
        relations=[line(r.id, r.kind, r.target_id) for r in inst.relations],
        incoming=[line(None, r.kind, r.instrument_id) for r in incoming],
        candidates=list(others),
    )
