"""Loads the demo data in ``tracker/data`` (checklist, countries, instruments, milestones, and
the project's own timeline in ``project.yaml``).

Idempotent: records are matched on natural keys (checklist code, provision code, ISO code,
instrument title, milestone kind and title) and updated in place, so loading twice gives the same
data. Coverage judgements from the files are *example* data (``is_example``); once staff have
edited a judgement, the loader leaves it alone.

Every create and update goes through ``tracker.write.changes`` in one transaction, recorded in
history under the system actor "demo data": refreshing a live database shows what it changed, and
version counters move only there (an open edit form over a refreshed record sees a conflict).
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import yaml
from babel.dates import format_date
from sqlmodel import Session, SQLModel, select

from tracker import dates, write
from tracker.codes import (
    Extent,
    GemIndicator,
    Implementation,
    InstrumentStatus,
    InstrumentType,
    Level,
    MilestoneKind,
    MilestoneNature,
    MilestoneStatus,
    RelationKind,
    SourceKind,
    TranslationStatus,
)
from tracker.fields import COUNTRY_FACT, EVIDENCE_FIELDS, INSTRUMENT_DATES, MILESTONE_DATES
from tracker.models import (
    Category,
    CategoryName,
    ChecklistVersion,
    Country,
    CountryFact,
    Coverage,
    CoverageLink,
    Instrument,
    InstrumentRelation,
    InstrumentTitle,
    Milestone,
    Provision,
    ProvisionText,
    Publication,
)
from tracker.write import changes

DATA_DIR = Path(__file__).resolve().parent / "data"
# The summaries, evidence and milestone texts of the demo files are written by this tracker's
# team in English; an item may say otherwise (``summary_lang``, ``evidence_lang``, ...).
TEXT_LANG = "en"



class DemoDataError(ValueError):
    """A demo data file does not match the schema in ``tracker/data/SCHEMA.md``."""


@dataclass
class LoadStats:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, created: bool) -> None:
        target = self.created if created else self.updated
        target[kind] = target.get(kind, 0) + 1

    def summary(self) -> str:
        made = ", ".join(f"{n} {k}" for k, n in sorted(self.created.items())) or "nothing"
        return f"created {made}"


def _when(value, where: str) -> dates.PartialDate | None:
    """A date of a demo file at the precision its source gives: ``2024-10-23`` (YAML reads it as
    a date), ``"2024-10"`` or ``2024``; null when no source gives one."""
    if value is None or isinstance(value, date):
        return dates.as_partial(value)
    try:
        return dates.PartialDate.parse(str(value))
    except ValueError:
        raise DemoDataError(f"{where}: {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD") from None


def _dates_of(item: dict, names, where: str) -> dict:
    """The dates ``names`` of a file's item at their precision, as their two columns each."""
    read = {name: _when(item.get(name), f"{where} {name}") for name in names}
    return dates.expand(read, names)


def read_yaml(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise DemoDataError(f"{path.name}: expected a mapping at the top level")
    return data


def is_empty(session: Session) -> bool:
    return session.exec(select(Country.id).limit(1)).first() is None


def load(
    session: Session, data_dir: Path = DATA_DIR, actor: changes.Actor = changes.DEMO_DATA
) -> LoadStats:
    """Load every checklist file, then every country file, in one transaction (committed)."""
    stats = LoadStats()
    with write.transaction(session):
        for path in sorted(data_dir.glob("checklist-*.yaml")):
            data = read_yaml(path)
            merge_translations(data, data_dir / "translations")
            load_checklist(session, data, stats, actor)
        current = session.exec(
            select(ChecklistVersion).where(ChecklistVersion.is_current)
        ).first()
        for path in sorted((data_dir / "countries").glob("*.yaml")):
            data = read_yaml(path)
            with _checked_on(session, data):
                load_country(session, data, current, stats, actor)
        project = data_dir / "project.yaml"
        if project.exists():
            data = read_yaml(project)
            with _checked_on(session, data):
                load_milestones(session, None, data.get("milestones"), stats, actor)
        made = publish_examples(session, actor)
        if made:
            stats.created["publications"] = made
    return stats


def _text_lang(item: dict, name: str) -> str | None:
    """The language of an item's text ``name``: its ``<name>_lang``, else ``TEXT_LANG``; None
    without the text."""
    if not item.get(name):
        return None
    return item.get(f"{name}_lang") or TEXT_LANG


def load_milestones(
    session: Session,
    country: Country | None,
    items: Iterable[dict] | None,
    stats: LoadStats,
    actor: changes.Actor,
) -> None:
    """A country's milestones, or (``country`` None) the project's own timeline."""
    for item in items or []:
        _upsert(
            session,
            actor,
            stats,
            "milestones",
            Milestone,
            {
                "country_id": country.id if country is not None else None,
                "kind": MilestoneKind(item["kind"]),
                "title": item["title"],
            },
            {
                **_dates_of(item, MILESTONE_DATES, f"milestone {item['title']}"),
                "place": item.get("place"),
                "status": MilestoneStatus(item.get("status") or "planned"),
                "source_url": item.get("source_url"),
                "source_kind": SourceKind(item["source_kind"]) if item.get("source_kind") else None,
                "notes": item.get("notes"),
                "nature": MilestoneNature(item.get("nature") or "project"),
                "title_lang": _text_lang(item, "title"),
                "notes_lang": _text_lang(item, "notes"),
            },
        )


def _assign(row, values: dict) -> None:
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def _upsert(
    session: Session,
    actor: changes.Actor,
    stats: LoadStats,
    what: str,
    model: type[SQLModel],
    keys: dict,
    values: dict | None = None,
    children=None,
):
    """The row with these natural ``keys``, created or brought up to ``values`` (and
    ``children(row)`` for its owned rows) through the write path; unchanged rows stay as they are.
    """
    values = values or {}
    dated = session.info.get(_DATED)  # the date the country's file was checked (``_checked_on``)
    row = session.exec(select(model).filter_by(**keys)).first()
    stats.count(what, row is None)
    if row is None:
        row = model(**keys, **values)
        if children is not None:
            children(row)
        return changes.create(session, row, actor, dated=dated)

    def apply(obj) -> None:
        _assign(obj, values)
        if children is not None:
            children(obj)

    changes.update(session, row, actor, apply, expected_version=None, dated=dated)
    return row


# The session key under which ``load_country`` keeps the date its file says the data were last
# checked against their sources (``checked_on``): rows it creates or changes are dated then, so a
# country's "last update" is when its content was last verified, not when the demo was loaded.
_DATED = "tracker.demo.dated"


@contextmanager
def _checked_on(session: Session, data: dict) -> Iterator[None]:
    value = data.get("checked_on")
    if value is not None and not isinstance(value, date):
        raise DemoDataError(f"{data.get('iso3')}: checked_on must be a date (YYYY-MM-DD)")
    session.info[_DATED] = (
        datetime.combine(value, datetime.min.time(), tzinfo=UTC) if value else None
    )
    try:
        yield
    finally:
        session.info.pop(_DATED, None)


def _sync_translations(parent_rows: list, model, wanted: dict[str, dict]) -> None:
    existing = {row.locale: row for row in parent_rows}
    for locale, values in wanted.items():
        row = existing.get(locale)
        if row is None:
            parent_rows.append(model(locale=locale, **values))
        else:
            _assign(row, values)


def merge_translations(checklist: dict, directory: Path) -> None:
    """Fold ``translations/checklist-<code>.<locale>.yaml`` files into the checklist data."""
    categories = {c["code"]: c for c in checklist.get("categories") or []}
    provisions = {p["code"]: p for p in checklist.get("provisions") or []}
    for path in sorted(directory.glob(f"checklist-{checklist['code']}.*.yaml")):
        data = read_yaml(path)
        locale = data.get("locale") or path.suffixes[-2].lstrip(".")
        for code, name in (data.get("categories") or {}).items():
            if code not in categories:
                raise DemoDataError(f"{path.name}: unknown category {code}")
            categories[code].setdefault("names", {})[locale] = name
        for code, text in (data.get("provisions") or {}).items():
            if code not in provisions:
                raise DemoDataError(f"{path.name}: unknown provision {code}")
            if not text or not text.get("title"):
                continue
            provisions[code].setdefault("text", {})[locale] = {
                "title": text["title"],
                "guidance": text.get("guidance") or "",
            }


def load_checklist(
    session: Session, data: dict, stats: LoadStats, actor: changes.Actor = changes.DEMO_DATA
) -> ChecklistVersion:
    code = str(data["code"])
    values = {"title": data.get("title") or code, **_dates_of(data, ["published_on"], code)}
    if data.get("current"):
        # At most one version is current: the one before steps down first.
        others = session.exec(
            select(ChecklistVersion).where(
                ChecklistVersion.is_current, ChecklistVersion.code != code
            )
        ).all()
        for other in others:
            changes.update(session, other, actor, {"is_current": False}, expected_version=None)
        values["is_current"] = True
    checklist = _upsert(
        session, actor, stats, "checklist versions", ChecklistVersion, {"code": code}, values
    )

    categories = {}
    for position, item in enumerate(data.get("categories") or [], start=1):
        names = {loc: {"name": name} for loc, name in (item.get("names") or {}).items()}
        categories[item["code"]] = _upsert(
            session,
            actor,
            stats,
            "categories",
            Category,
            {"checklist_id": checklist.id, "code": item["code"]},
            {"position": position},
            lambda cat, names=names: _sync_translations(cat.names, CategoryName, names),
        )

    for position, item in enumerate(data.get("provisions") or [], start=1):
        if item["category"] not in categories:
            raise DemoDataError(f"provision {item['code']}: unknown category {item['category']}")
        texts = {
            loc: {"title": text["title"], "guidance": text.get("guidance") or ""}
            for loc, text in (item.get("text") or {}).items()
        }
        _upsert(
            session,
            actor,
            stats,
            "provisions",
            Provision,
            {"checklist_id": checklist.id, "code": item["code"]},
            {
                "category_id": categories[item["category"]].id,
                "level": Level(item["level"]),
                "position": position,
                "gem_indicator": GemIndicator(item["gem"]) if item.get("gem") else None,
                "sources": item.get("sources"),
            },
            lambda prov, texts=texts: _sync_translations(prov.texts, ProvisionText, texts),
        )
    return checklist


def _languages(value) -> str:
    if isinstance(value, str):
        return " ".join(value.replace(",", " ").split())
    return " ".join(value or [])


def load_country(
    session: Session,
    data: dict,
    checklist: ChecklistVersion | None,
    stats: LoadStats,
    actor: changes.Actor = changes.DEMO_DATA,
) -> Country:
    country = _upsert(
        session,
        actor,
        stats,
        "countries",
        Country,
        {"iso3": data["iso3"].upper()},
        {
            "iso2": data["iso2"].upper(),
            **_dates_of(data, ["joined_on"], data["iso3"]),
            "languages": _languages(data.get("languages")),
        },
    )

    by_key: dict[str, Instrument] = {}
    for item in data.get("instruments") or []:
        titles = {loc: {"title": title} for loc, title in (item.get("titles") or {}).items()}
        sources = _sources(item, item["key"])

        def children(inst, titles=titles, sources=sources) -> None:
            _sync_translations(inst.titles, InstrumentTitle, titles)
            changes.set_sources(inst, sources)

        by_key[item["key"]] = _upsert(
            session,
            actor,
            stats,
            "instruments",
            Instrument,
            {"country_id": country.id, "title": item["title"]},
            {
                "type": InstrumentType(item["type"]),
                "title_lang": item.get("title_lang") or "en",
                "number": item.get("number"),
                "issuing_body": item.get("issuing_body"),
                "status": InstrumentStatus(item["status"]),
                "year": item.get("year"),
                "dates_note": item.get("dates_note"),
                "url": item.get("url"),
                "summary": item.get("summary"),
                "summary_lang": _text_lang(item, "summary"),
                "ewaste_specific": bool(item.get("ewaste_specific", False)),
                **_dates_of(item, INSTRUMENT_DATES, f"instrument {item['key']}"),
            },
            children,
        )

    for item in data.get("instruments") or []:
        for rel in item.get("relations") or []:
            target = _lookup(by_key, rel["target"], item["key"])
            _upsert(
                session,
                actor,
                stats,
                "relations",
                InstrumentRelation,
                {
                    "instrument_id": by_key[item["key"]].id,
                    "target_id": target.id,
                    "kind": RelationKind(rel["kind"]),
                },
            )

    load_milestones(session, country, data.get("milestones"), stats, actor)

    for item in data.get("facts") or []:
        _upsert(
            session,
            actor,
            stats,
            "country facts",
            CountryFact,
            {"country_id": country.id, "year": int(item["year"])},
            {name: item.get(name) for name in COUNTRY_FACT if name != "year"},
        )

    if checklist is not None:
        _load_coverage(
            session, country, checklist, data.get("coverage") or [], by_key, stats, actor
        )
    return country


def _sources(item: dict, context: str) -> list[tuple[SourceKind, str, str | None]]:
    """An item's ``sources`` list as (kind, url, note); every source states its kind."""
    out = []
    for source in item.get("sources") or []:
        if not isinstance(source, dict) or not source.get("url") or not source.get("kind"):
            raise DemoDataError(f"{context}: a source needs a url and a kind: {source!r}")
        out.append((SourceKind(source["kind"]), source["url"], source.get("note")))
    return out


def _lookup(by_key: dict, key: str, context: str) -> Instrument:
    try:
        return by_key[key]
    except KeyError:
        raise DemoDataError(f"{context}: unknown instrument key {key!r}") from None


def _load_coverage(
    session: Session,
    country: Country,
    checklist: ChecklistVersion,
    items: Iterable[dict],
    by_key: dict[str, Instrument],
    stats: LoadStats,
    actor: changes.Actor,
) -> None:
    provisions = {
        p.code: p
        for p in session.exec(select(Provision).where(Provision.checklist_id == checklist.id))
    }
    for item in items:
        provision = provisions.get(item["provision"])
        if provision is None:
            raise DemoDataError(f"{country.iso3}: unknown provision {item['provision']}")
        cov = session.exec(
            select(Coverage).where(
                Coverage.country_id == country.id, Coverage.provision_id == provision.id
            )
        ).first()
        if cov is not None and not cov.is_example:
            continue  # staff have judged this provision: never overwrite real data
        applicable = bool(item.get("applicable", True))
        values = {
            "applicable": applicable,
            "not_applicable_reason": None if applicable else item.get("not_applicable_reason"),
            "implementation": Implementation(item.get("implementation") or "none"),
            "evidence": item.get("evidence"),
            "evidence_lang": _text_lang(item, "evidence"),
        }
        wanted = {}
        for link in item.get("links") or []:
            inst = _lookup(by_key, link["instrument"], f"{country.iso3} {item['provision']}")
            wanted[inst.id] = (
                Extent(link["extent"]),
                link.get("articles"),
                {name: link.get(name) for name in EVIDENCE_FIELDS},
            )
        sources = _sources(item, f"{country.iso3} {item['provision']}")
        _upsert(
            session,
            actor,
            stats,
            "coverage judgements",
            Coverage,
            {"country_id": country.id, "provision_id": provision.id},
            values if cov is not None else {**values, "is_example": True},
            lambda c, wanted=wanted, sources=sources: (
                _sync_links(c, wanted),
                changes.set_sources(c, sources),
            ),
        )


def _sync_links(cov: Coverage, wanted: dict) -> None:
    """Bring a judgement's links to ``wanted`` in place (a removed link goes, others change)."""
    current = {link.instrument_id: link for link in cov.links}
    for inst_id, link in current.items():
        if inst_id not in wanted:
            cov.links.remove(link)
    for inst_id, (extent, articles, evidence) in wanted.items():
        evidence = {
            **evidence,
            "translation_status": TranslationStatus(evidence["translation_status"])
            if evidence.get("translation_status")
            else None,
        }
        values = {"extent": extent, "articles": articles, **evidence}
        if inst_id in current:
            _assign(current[inst_id], values)
        else:
            cov.links.append(CoverageLink(instrument_id=inst_id, **values))


# --- example publications (issue 12) ---------------------------------------------------------------

# The demo's earlier publications of each country, before the record as loaded: when each was
# made, and how many of the checklist's categories (in checklist order) its judgements cover. The
# judgements are example data, so an earlier publication is a partial first assessment; its
# instruments and milestones are those the sources date on or before that day (``known_on``).
# The rule is described in tracker/data/SCHEMA.md ("Example publications").
EXAMPLE_EARLIER = (
    (datetime(2025, 1, 31, 12, 0, tzinfo=UTC), 3),
    (datetime(2025, 6, 30, 12, 0, tzinfo=UTC), 6),
)
EXAMPLE_FIRST_PUBLICATION = EXAMPLE_EARLIER[0][0]
# The country left with a change pending review, and the change: an English title the last
# publication does not have yet.
EXAMPLE_PENDING = ("PRY", "National Plan for Integrated Hazardous Waste Management")


def _categories(session: Session) -> list[tuple[str, list[int]]]:
    """The current checklist's categories in order: English name, ids of its provisions."""
    rows = session.exec(
        select(Category.id, CategoryName.name, Provision.id)
        .join(ChecklistVersion, ChecklistVersion.id == Category.checklist_id)
        .join(CategoryName, (CategoryName.category_id == Category.id) & (CategoryName.locale == "en"))
        .outerjoin(Provision, Provision.category_id == Category.id)
        .where(ChecklistVersion.is_current)
        .order_by(Category.position, Category.id, Provision.position)
    ).all()  # fmt: skip
    out: dict[int, tuple[str, list[int]]] = {}
    for category_id, name, provision_id in rows:
        entry = out.setdefault(category_id, (name, []))
        if provision_id is not None:
            entry[1].append(provision_id)
    return list(out.values())


def _earlier_message(categories: list[tuple[str, list[int]]], step: int) -> str:
    """What an earlier example publication holds, said plainly (publication messages are data,
    kept in English like the rest of the demo's texts)."""
    day, count = EXAMPLE_EARLIER[step]
    when = format_date(day.date(), "d MMMM y", locale="en")
    if step == 0:
        names = "; ".join(name for name, _ids in categories[:count])
        what = (f"Example data: a first assessment, with judgements only in the checklist's "
                f"first {count} of {len(categories)} categories ({names})")  # fmt: skip
    else:
        before = EXAMPLE_EARLIER[step - 1][1]
        names = "; ".join(name for name, _ids in categories[before:count])
        what = (f"Example data: the assessment extended to the first {count} of "
                f"{len(categories)} categories (adds {names})")  # fmt: skip
    return f"{what}; instruments and milestones as their sources date them by {when}."


def publish_examples(session: Session, actor: changes.Actor = changes.DEMO_DATA) -> int:
    """Example publications for each country that has none: partial first assessments at the
    dates of ``EXAMPLE_EARLIER``, then the record as loaded; in one country the last leaves out
    one translated title, which is submitted for review. Returns how many were made."""
    from tracker.write import record, review

    made = 0
    countries = session.exec(select(Country).order_by(Country.iso3)).all()
    published = set(session.exec(select(Publication.country_id)).all())
    categories = _categories(session)
    for country in countries:
        if country.id in published:
            continue
        now = review.freeze(session, country.id)
        for step, (day, count) in enumerate(EXAMPLE_EARLIER):
            judged = [pid for _name, ids in categories[:count] for pid in ids]
            earlier = record.known_on(now.snapshot, day.date())
            earlier = record.dated_by(record.judged_only(earlier, judged), day)
            review.publish(session, country, actor, _earlier_message(categories, step), at=day,
                           is_example=True, frozen=review.freeze_snapshot(session, earlier))  # fmt: skip
            made += 1
        last, pending = now, None
        if country.iso3 == EXAMPLE_PENDING[0]:
            pending = session.exec(
                select(InstrumentTitle)
                .join(Instrument, Instrument.id == InstrumentTitle.instrument_id)
                .where(Instrument.country_id == country.id, InstrumentTitle.locale == "en",
                       InstrumentTitle.title == EXAMPLE_PENDING[1])
            ).first()  # fmt: skip
            if pending is not None:
                last = review.freeze_snapshot(
                    session, record.without(now.snapshot, "instrument_title", pending.id)
                )
        review.publish(session, country, actor,
                       "Example data: the record as loaded, with every judgement of the demo files.",
                       is_example=True, frozen=last)  # fmt: skip
        made += 1
        if pending is not None:
            review.submit(session, country, actor,
                          f"Example data: adds the English title “{pending.title}”.")  # fmt: skip
    return made
