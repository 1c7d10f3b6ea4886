"""Expected figures for tests, computed independently of tracker.read.

The records are read here through the ORM's relationships, in a way of their own, and scored by
``tracker.scoring`` (tested on hand-made cases in tests/test_progress.py). Tests compare what
the pages, exports and API show with these, never with the read function that built the page.
"""

import dataclasses

from sqlmodel import Session, select

from tracker import scoring
from tracker.codes import Implementation
from tracker.models import Category, ChecklistVersion, Country, Coverage, Instrument, Provision


def expected_progress(session: Session, iso3: str) -> scoring.Progress:
    """Score one country's judgements of the current checklist's provisions (not retired)."""
    country = session.exec(select(Country).where(Country.iso3 == iso3)).one()
    checklist = session.exec(select(ChecklistVersion).where(ChecklistVersion.is_current)).one()
    provisions = session.exec(
        select(Provision, Category)
        .join(Category, Category.id == Provision.category_id)
        .where(Provision.checklist_id == checklist.id, Provision.retired == False)  # noqa: E712
        .order_by(Category.position, Provision.position, Provision.code)
    ).all()
    judged = {
        c.provision_id: c
        for c in session.exec(select(Coverage).where(Coverage.country_id == country.id)).all()
    }
    inputs = []
    for provision, category in provisions:
        cov = judged.get(provision.id)
        inputs.append(
            scoring.ProvisionInput(
                code=provision.code,
                category=category.code,
                level=provision.level,
                applicable=cov.applicable if cov else True,
                implementation=cov.implementation if cov else Implementation.NONE,
                links=tuple(
                    scoring.LinkInput(link.extent, session.get(Instrument, link.instrument_id).status)
                    for link in (cov.links if cov else [])
                ),
                gem=provision.gem_indicator,
                assessed=cov is not None,
            )
        )
    progress = scoring.compute(inputs)
    # National e-waste legislation: an e-waste-specific law of the country in force.
    instruments = session.exec(select(Instrument).where(Instrument.country_id == country.id)).all()
    law = any(scoring.is_ewaste_law_in_force(i.type, i.status, i.ewaste_specific) for i in instruments)
    return dataclasses.replace(progress, gem=scoring.with_national_legislation(progress.gem, law))


def expected_stage(session: Session, iso3: str):
    """The stage from the country's instruments themselves (``scoring.stage`` reads only their
    status and whether they are specific to e-waste)."""
    country = session.exec(select(Country).where(Country.iso3 == iso3)).one()
    return scoring.stage(
        session.exec(select(Instrument).where(Instrument.country_id == country.id)).all()
    )
