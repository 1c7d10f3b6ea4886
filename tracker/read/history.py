"""The history page's reads: one page of change records and the names they refer to.

Change records keep ids (``country_id``, ``provision_id``, a link's ``instrument_id``); people read
names. ``names_for`` gathers every id a page of records mentions and looks them all up in three
queries, whatever the number of records, so the page can say "EPR-01 Extended producer
responsibility" and "Environmental Management Act, 2011" instead of "Provision id 13".
"""

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, select

from tracker.models import ChangeRecord, Country, Instrument, Provision, ProvisionText
from tracker.read.texts import pick_text

PAGE_SIZE = 25


@dataclass(frozen=True)
class HistoryFilter:
    """What the reader asked for; ``country_ids`` limits an editor to their own country."""

    country_id: int | None = None
    entity: str | None = None
    entity_id: int | None = None
    actor: str | None = None
    only_country_id: int | None = None
    hide_entities: frozenset[str] = frozenset()


def history_page(dbs: Session, wanted: HistoryFilter, page: int) -> tuple[list, int, int, int]:
    """(records newest first, total, page, pages): one page of the records ``wanted`` matches."""
    query = select(ChangeRecord)
    if wanted.only_country_id is not None:
        query = query.where(ChangeRecord.country_id == wanted.only_country_id)
    if wanted.hide_entities:
        query = query.where(ChangeRecord.entity.not_in(sorted(wanted.hide_entities)))
    if wanted.country_id is not None:
        query = query.where(ChangeRecord.country_id == wanted.country_id)
    if wanted.entity:
        query = query.where(ChangeRecord.entity == wanted.entity)
    if wanted.entity_id is not None:
        query = query.where(ChangeRecord.entity_id == wanted.entity_id)
    if wanted.actor:
        query = query.where(ChangeRecord.actor == wanted.actor)
    total = dbs.exec(select(sa.func.count()).select_from(query.subquery())).one()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(page, 1), pages)
    records = dbs.exec(
        query.order_by(ChangeRecord.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return list(records), total, page, pages


@dataclass
class Names:
    """Names of the records a page of history mentions, by id (``None`` for a deleted record)."""

    countries: dict[int, Country] = field(default_factory=dict)
    instruments: dict[int, str] = field(default_factory=dict)
    provisions: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (code, title)

    def provision(self, pid) -> str | None:
        found = self.provisions.get(pid) if isinstance(pid, int) else None
        return f"{found[0]} {found[1]}".strip() if found else None

    def instrument(self, iid) -> str | None:
        return self.instruments.get(iid) if isinstance(iid, int) else None


def _ids(records, keys: tuple[str, ...], entity: str) -> set[int]:
    found: set[int] = set()
    for r in records:
        if r.entity == entity:
            found.add(r.entity_id)
        for state in (r.before, r.after):
            if not state:
                continue
            for key in keys:
                if isinstance(state.get(key), int):
                    found.add(state[key])
            for link in state.get("links") or ():
                if isinstance(link, dict) and isinstance(link.get("instrument_id"), int):
                    if "instrument_id" in keys:
                        found.add(link["instrument_id"])
            for relation in state.get("relations") or ():  # an instrument's own relations
                if isinstance(relation, dict) and isinstance(relation.get("target_id"), int):
                    if "target_id" in keys:
                        found.add(relation["target_id"])
    return found


def names_for(dbs: Session, records: list[ChangeRecord], lang: str) -> Names:
    """Every country, instrument and provision ``records`` refer to, in three queries at most."""
    names = Names()
    country_ids = {r.country_id for r in records if r.country_id} | _ids(
        records, ("country_id",), "country"
    )
    instrument_ids = _ids(records, ("instrument_id", "target_id"), "instrument")
    provision_ids = _ids(records, ("provision_id",), "provision")
    if country_ids:
        names.countries = {
            c.id: c for c in dbs.exec(select(Country).where(Country.id.in_(country_ids))).all()
        }
    if instrument_ids:
        names.instruments = dict(
            dbs.exec(
                select(Instrument.id, Instrument.title).where(Instrument.id.in_(instrument_ids))
            ).all()
        )
    if provision_ids:
        rows = dbs.exec(
            select(Provision.id, Provision.code, ProvisionText.locale, ProvisionText.title)
            .join(ProvisionText, ProvisionText.provision_id == Provision.id, isouter=True)
            .where(Provision.id.in_(provision_ids))
        ).all()
        titles: dict[int, dict[str, str]] = {}
        codes: dict[int, str] = {}
        for pid, code, locale, title in rows:
            codes[pid] = code
            if locale:
                titles.setdefault(pid, {})[locale] = title
        names.provisions = {
            pid: (code, _title(titles.get(pid, {}), lang)) for pid, code in codes.items()
        }
    return names


def _title(texts: dict[str, str], lang: str) -> str:
    found = pick_text(texts, lang)
    return found.text if found else ""
