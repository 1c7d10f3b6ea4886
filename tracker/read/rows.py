"""Read functions behind the CSV exports and the import: database records -> typed row values.

Each ``*_records`` function yields one ``dict`` per row, keyed by the column names of the matching
``tracker.formats.tables`` table, holding typed values (``int``, ``float``, ``bool``, ``date``, ``str``,
link and id lists) that ``tracker.formats.csvio`` formats. The importer compares a file's parsed values
with the same dicts, so "unchanged" means "would export the same cells".

Rows are read per country and in keyset batches, so memory stays flat whatever the row count
(the exports stream them; see ``scripts/bench_exports.py``). Progress figures come from
``tracker.read.pages`` and ``tracker.scoring``: the same numbers as the pages.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from tracker.codes import RelationKind
from tracker.fields import INSTRUMENT, MILESTONE
from tracker.formats.csvio import BATCH_ROWS
from tracker.formats.tables import GEM
from tracker.i18n import country_name
from tracker.models import (
    Category,
    ChecklistVersion,
    Country,
    Coverage,
    CoverageLink,
    Instrument,
    InstrumentRelation,
    InstrumentTitle,
    Milestone,
    Provision,
    ProvisionText,
)
from tracker.read import pages as reports
from tracker.scoring import LinkInput, MilestoneCounts, best_extent, coverage_level


@dataclass(frozen=True)
class CountryRef:
    id: int
    iso3: str


def resolve_countries(session: Session, codes: Sequence[str]) -> tuple[list[CountryRef], list[str]]:
    """The countries named by ``codes`` (all countries when empty), and the unknown codes."""
    query = select(Country.id, Country.iso3).order_by(Country.iso3)
    wanted = sorted({code.strip().upper() for code in codes if code.strip()})
    if wanted:
        query = query.where(Country.iso3.in_(wanted))
    found = [CountryRef(id, iso3) for id, iso3 in session.exec(query).all()]
    known = {c.iso3 for c in found}
    return found, [code for code in wanted if code not in known]


def _figure(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# --- countries ----------------------------------------------------------------------------------


def country_counts(session: Session, ids: Sequence[int]) -> dict[int, tuple[int, int, int]]:
    """(instruments, milestones done, milestones not cancelled) per country id (2 queries)."""
    instruments = dict(
        session.exec(
            select(Instrument.country_id, sa.func.count())
            .where(Instrument.country_id.in_(ids))
            .group_by(Instrument.country_id)
        ).all()
    )
    milestones = reports.milestone_stats(session, list(ids))
    out = {}
    for cid in ids:
        counts, _latest = milestones.get(cid, (MilestoneCounts(), None))
        out[cid] = (instruments.get(cid, 0), counts.done, counts.total)
    return out


def country_records(session: Session, countries: Sequence[CountryRef]) -> Iterator[dict]:
    ids = [c.id for c in countries]
    checklist = reports.current_checklist(session)
    progress = reports.progress_by_country(session, ids)
    counts = country_counts(session, ids)
    countries_by_id = {
        c.id: c for c in session.exec(select(Country).where(Country.id.in_(ids))).all()
    }
    for ref in countries:
        country = countries_by_id[ref.id]
        instruments, done, total = counts.get(ref.id, (0, 0, 0))
        p = progress.get(ref.id)
        overall = p.overall if p else None
        gem = {code: (p.gem[code] if p else None) for code in GEM}
        yield {
            "iso3": country.iso3,
            "iso2": country.iso2,
            "name_en": country_name(country.iso2, "en"),
            "joined_on": country.joined_on,
            "checklist_version": checklist.code if checklist else None,
            "legal_in_force": _figure(overall.in_force) if overall else None,
            "legal_with_drafts": _figure(overall.with_drafts) if overall else None,
            "implementation": _figure(overall.implementation) if overall else None,
            "provisions_applicable": overall.applicable if overall else None,
            "provisions_not_applicable": overall.not_applicable if overall else None,
            **{f"gem_{code}": value for code, value in gem.items()},
            "instruments": instruments,
            "milestones_done": done,
            "milestones_total": total,
        }


# --- checklist ----------------------------------------------------------------------------------


def checklist_records(session: Session, countries: Sequence[CountryRef] = ()) -> Iterator[dict]:
    """Every provision of every checklist version (the country filter does not apply)."""
    text_en = sa.orm.aliased(ProvisionText)
    query = (
        select(ChecklistVersion.code, Category.code, Provision, text_en.title, text_en.guidance)
        .join(Provision, Provision.checklist_id == ChecklistVersion.id)
        .join(Category, Category.id == Provision.category_id)
        .outerjoin(text_en, sa.and_(text_en.provision_id == Provision.id, text_en.locale == "en"))
        .order_by(ChecklistVersion.code, Category.position, Provision.position, Provision.code)
    )
    for version, category, provision, title, guidance in session.exec(query):
        yield {
            "checklist_version": version,
            "code": provision.code,
            "category": category,
            "level": provision.level.value,
            "position": provision.position,
            "gem_indicator": provision.gem_indicator.value if provision.gem_indicator else None,
            "title_en": title,
            "guidance_en": guidance,
            "sources": provision.sources,
            "retired": provision.retired,
        }


# --- instruments --------------------------------------------------------------------------------


def _english(lang: str | None) -> bool:
    return (lang or "").replace("_", "-").split("-")[0].lower() == "en"


def instrument_record(
    instrument: Instrument,
    iso3: str,
    english_title: str | None,
    relations: dict[RelationKind, list[int]],
) -> dict:
    title_en = english_title
    if title_en is None and _english(instrument.title_lang):
        title_en = instrument.title
    record = {
        "id": instrument.id,
        "country_iso3": iso3,
        "type": instrument.type.value,
        "title": instrument.title,
        "title_lang": instrument.title_lang,
        "title_en": title_en,
    }
    for name in INSTRUMENT:
        if name in record:
            continue
        value = getattr(instrument, name)
        record[name] = value.value if hasattr(value, "value") else (value if value != "" else None)
    for kind in RelationKind:
        record[kind.value] = sorted(relations.get(kind, []))
    record["version"] = instrument.version
    return record


def instrument_extras(
    session: Session, ids: Sequence[int]
) -> tuple[dict[int, str], dict[int, dict[RelationKind, list[int]]]]:
    """English titles and relations of the given instruments (2 queries)."""
    titles = dict(
        session.exec(
            select(InstrumentTitle.instrument_id, InstrumentTitle.title).where(
                InstrumentTitle.instrument_id.in_(ids), InstrumentTitle.locale == "en"
            )
        ).all()
    )
    relations: dict[int, dict[RelationKind, list[int]]] = {}
    for source, target, kind in session.exec(
        select(
            InstrumentRelation.instrument_id, InstrumentRelation.target_id, InstrumentRelation.kind
        ).where(InstrumentRelation.instrument_id.in_(ids))
    ).all():
        relations.setdefault(source, {}).setdefault(kind, []).append(target)
    return titles, relations


def country_chunks(session: Session, model, country_id: int, batch: int) -> Iterator[list]:
    """One country's rows of ``model`` in id order, ``batch`` at a time (keyset paging).

    Each chunk is dropped from the session once the caller has used it, so memory stays flat.
    """
    last_id = 0
    while True:
        chunk = session.exec(
            select(model)
            .where(model.country_id == country_id, model.id > last_id)
            .order_by(model.id)
            .limit(batch)
        ).all()
        if not chunk:
            return
        last_id = chunk[-1].id
        yield chunk
        session.expunge_all()


def instrument_records(
    session: Session, countries: Sequence[CountryRef], batch: int = BATCH_ROWS
) -> Iterator[dict]:
    for ref in countries:
        for chunk in country_chunks(session, Instrument, ref.id, batch):
            titles, relations = instrument_extras(session, [i.id for i in chunk])
            for instrument in chunk:
                yield instrument_record(
                    instrument,
                    ref.iso3,
                    titles.get(instrument.id),
                    relations.get(instrument.id, {}),
                )


# --- coverage -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProvisionRef:
    id: int
    code: str
    category: str
    checklist_version: str


def current_provisions(session: Session) -> list[ProvisionRef]:
    """The current checklist's provisions that are scored (not retired), in checklist order."""
    checklist = reports.current_checklist(session)
    if checklist is None:
        return []
    rows = session.exec(
        select(Provision.id, Provision.code, Category.code)
        .join(Category, Category.id == Provision.category_id)
        .where(Provision.checklist_id == checklist.id, sa.not_(Provision.retired))
        .order_by(Category.position, Provision.position, Provision.code)
    ).all()
    return [ProvisionRef(pid, code, cat, checklist.code) for pid, code, cat in rows]


def coverage_record(
    iso3: str,
    provision: ProvisionRef,
    coverage: Coverage | sa.Row | None,
    links: Sequence[tuple[int, str, str | None, LinkInput]],
) -> dict:
    """One coverage row; ``links`` are (instrument id, extent, articles, scoring input).

    ``coverage`` is a ``Coverage`` or a row with the same attributes (``country_coverage_rows``).
    """
    judged = coverage is not None
    applicable = coverage.applicable if judged else True
    inputs = [link[3] for link in links]
    return {
        "country_iso3": iso3,
        "checklist_version": provision.checklist_version,
        "provision_code": provision.code,
        "applicable": coverage.applicable if judged else None,
        "not_applicable_reason": (coverage.not_applicable_reason or None) if judged else None,
        "implementation": coverage.implementation.value if judged else None,
        "legal_in_force": coverage_level(best_extent(inputs, include_drafts=False))
        if applicable
        else None,
        "legal_with_drafts": coverage_level(best_extent(inputs, include_drafts=True))
        if applicable
        else None,
        "instruments": [(link[0], link[1], link[2] or None) for link in links],
        "evidence": (coverage.evidence or None) if judged else None,
        "is_example": coverage.is_example if judged else None,
        "version": coverage.version if judged else None,
    }


def country_coverage(
    session: Session, country_id: int, provisions: Sequence[ProvisionRef]
) -> tuple[dict[int, Coverage], dict[int, list[tuple[int, str, str | None, LinkInput]]]]:
    """A country's coverage rows by provision id and their links by coverage id (2 queries)."""
    ids = [p.id for p in provisions]
    coverage = {
        c.provision_id: c
        for c in session.exec(
            select(Coverage).where(
                Coverage.country_id == country_id, Coverage.provision_id.in_(ids)
            )
        ).all()
    }
    links: dict[int, list[tuple[int, str, str | None, LinkInput]]] = {}
    for coverage_id, instrument_id, extent, articles, status in session.exec(
        select(
            CoverageLink.coverage_id,
            CoverageLink.instrument_id,
            CoverageLink.extent,
            CoverageLink.articles,
            Instrument.status,
        )
        .join(Coverage, Coverage.id == CoverageLink.coverage_id)
        .join(Instrument, Instrument.id == CoverageLink.instrument_id)
        .where(Coverage.country_id == country_id, Coverage.provision_id.in_(ids))
        .order_by(CoverageLink.coverage_id, CoverageLink.instrument_id)
    ).all():
        links.setdefault(coverage_id, []).append(
            (instrument_id, extent.value, articles, LinkInput(extent, status))
        )
    return coverage, links


_COVERAGE = Coverage.__table__.c
_LINK = CoverageLink.__table__.c
_INSTRUMENT = Instrument.__table__.c

# The coverage columns ``coverage_record`` reads, for the export's Core selects.
_COVERAGE_COLUMNS = (
    _COVERAGE.id,
    _COVERAGE.provision_id,
    _COVERAGE.applicable,
    _COVERAGE.not_applicable_reason,
    _COVERAGE.implementation,
    _COVERAGE.evidence,
    _COVERAGE.is_example,
    _COVERAGE.version,
)


def country_coverage_rows(
    session: Session, country_id: int
) -> tuple[dict[int, sa.Row], dict[int, list[tuple[int, str, str | None, LinkInput]]]]:
    """``country_coverage`` for the export: plain rows from Core selects, no ORM objects.

    The rows carry the attributes ``coverage_record`` reads. Every coverage row of the country is
    returned (2 queries, no list of provision ids to bind); callers look up the provisions they
    want, so rows of retired or older provisions are simply never read.
    """
    connection = session.connection()
    coverage = {
        row.provision_id: row
        for row in connection.execute(
            sa.select(*_COVERAGE_COLUMNS).where(_COVERAGE.country_id == country_id)
        )
    }
    links: dict[int, list[tuple[int, str, str | None, LinkInput]]] = {}
    query = (
        sa.select(
            _LINK.coverage_id, _LINK.instrument_id, _LINK.extent, _LINK.articles, _INSTRUMENT.status
        )
        .select_from(
            CoverageLink.__table__.join(Coverage.__table__, _COVERAGE.id == _LINK.coverage_id).join(
                Instrument.__table__, _INSTRUMENT.id == _LINK.instrument_id
            )
        )
        .where(_COVERAGE.country_id == country_id)
        .order_by(_LINK.coverage_id, _LINK.instrument_id)
    )
    for coverage_id, instrument_id, extent, articles, status in connection.execute(query):
        links.setdefault(coverage_id, []).append(
            (instrument_id, extent.value, articles, LinkInput(extent, status))
        )
    return coverage, links


def coverage_records(session: Session, countries: Sequence[CountryRef]) -> Iterator[dict]:
    provisions = current_provisions(session)
    for ref in countries:
        coverage, links = country_coverage_rows(session, ref.id)
        for provision in provisions:
            cov = coverage.get(provision.id)
            yield coverage_record(ref.iso3, provision, cov, links.get(cov.id, []) if cov else [])


# --- milestones ---------------------------------------------------------------------------------

MILESTONE_FIELDS = tuple(MILESTONE)  # the milestone's own fields (``tracker.fields``)


def milestone_record(milestone: Milestone, iso3: str) -> dict:
    record: dict = {"id": milestone.id, "country_iso3": iso3}
    for name in MILESTONE_FIELDS:
        value = getattr(milestone, name)
        record[name] = value.value if hasattr(value, "value") else (value if value != "" else None)
    record["version"] = milestone.version
    return record


def milestone_records(
    session: Session, countries: Sequence[CountryRef], batch: int = BATCH_ROWS
) -> Iterator[dict]:
    for ref in countries:
        for chunk in country_chunks(session, Milestone, ref.id, batch):
            for milestone in chunk:
                yield milestone_record(milestone, ref.iso3)


RECORDS = {
    "countries": country_records,
    "checklist": checklist_records,
    "instruments": instrument_records,
    "coverage": coverage_records,
    "milestones": milestone_records,
}
