"""Read models: each public page gets everything it shows from one function here.

Each function returns plain dataclasses built in a constant number of queries, so templates only
lay out data, and exports and the API can reuse the same figures.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from .models import Country, Instrument, Milestone, MilestoneStatus


@dataclass(frozen=True)
class CountrySummary:
    iso3: str
    iso2: str
    joined_on: date | None
    instruments: int
    milestones_done: int
    milestones_total: int


def country_summaries(session: Session) -> list[CountrySummary]:
    """Every country with counts of instruments and milestones (3 queries)."""
    countries = session.exec(select(Country).order_by(Country.iso3)).all()
    instruments = dict(
        session.exec(
            select(Instrument.country_id, sa.func.count()).group_by(Instrument.country_id)
        ).all()
    )
    done = sa.func.sum(sa.case((Milestone.status == MilestoneStatus.DONE, 1), else_=0))
    milestones = {
        row[0]: (int(row[1] or 0), int(row[2]))
        for row in session.exec(
            select(Milestone.country_id, done, sa.func.count()).group_by(Milestone.country_id)
        ).all()
    }
    return [
        CountrySummary(
            iso3=c.iso3,
            iso2=c.iso2,
            joined_on=c.joined_on,
            instruments=instruments.get(c.id, 0),
            milestones_done=milestones.get(c.id, (0, 0))[0],
            milestones_total=milestones.get(c.id, (0, 0))[1],
        )
        for c in countries
    ]


def current_checklist(session: Session):
    """The current checklist version, or None before any checklist is loaded."""
    from .models import ChecklistVersion

    return session.exec(select(ChecklistVersion).where(ChecklistVersion.is_current)).first()


def progress_inputs(
    session: Session, checklist_id: int, country_ids: list[int] | None = None
) -> dict[int, list]:
    """Scoring inputs per country id for the given checklist, in 3 queries.

    Every non-retired provision appears once per country, in checklist order; provisions without
    a coverage row count as applicable and not addressed (see ``tracker.progress``).
    """
    from .models import Category, Coverage, CoverageLink, Provision
    from .progress import LinkInput, ProvisionInput

    provisions = session.exec(
        select(Provision, Category.code)
        .join(Category, Category.id == Provision.category_id)
        .where(Provision.checklist_id == checklist_id, sa.not_(Provision.retired))
        .order_by(Category.position, Provision.position)
    ).all()
    cov_query = select(Coverage).join(Provision, Provision.id == Coverage.provision_id).where(
        Provision.checklist_id == checklist_id
    )
    link_query = (
        select(CoverageLink.coverage_id, CoverageLink.extent, Instrument.status)
        .join(Coverage, Coverage.id == CoverageLink.coverage_id)
        .join(Provision, Provision.id == Coverage.provision_id)
        .join(Instrument, Instrument.id == CoverageLink.instrument_id)
        .where(Provision.checklist_id == checklist_id)
    )
    if country_ids is not None:
        cov_query = cov_query.where(Coverage.country_id.in_(country_ids))
        link_query = link_query.where(Coverage.country_id.in_(country_ids))
    coverage = {(c.country_id, c.provision_id): c for c in session.exec(cov_query).all()}
    links: dict[int, list[LinkInput]] = {}
    for coverage_id, extent, status in session.exec(link_query).all():
        links.setdefault(coverage_id, []).append(LinkInput(extent, status))

    if country_ids is None:
        country_ids = list(session.exec(select(Country.id)).all())
    result: dict[int, list[ProvisionInput]] = {}
    for country_id in country_ids:
        items = []
        for provision, category_code in provisions:
            cov = coverage.get((country_id, provision.id))
            items.append(
                ProvisionInput(
                    code=provision.code,
                    category=category_code,
                    level=provision.level,
                    applicable=cov.applicable if cov else True,
                    implementation=cov.implementation if cov else ProvisionInput.implementation,
                    links=tuple(links.get(cov.id, ())) if cov else (),
                    gem=provision.gem_indicator,
                )
            )
        result[country_id] = items
    return result


def progress_by_country(session: Session, country_ids: list[int] | None = None) -> dict:
    """``tracker.progress.Progress`` per country id for the current checklist (4 queries)."""
    from .progress import compute

    checklist = current_checklist(session)
    if checklist is None:
        return {}
    inputs = progress_inputs(session, checklist.id, country_ids)
    return {country_id: compute(items) for country_id, items in inputs.items()}
