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
