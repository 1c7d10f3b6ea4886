"""The CSV import's logic: plan a file against the database, then apply the plan.

``plan_import`` decides, row by row and without writing, what importing a file in the format of
``coverage.csv``, ``instruments.csv``, ``milestones.csv``, ``coverage_links.csv`` or
``text_translations.csv`` (``tracker.formats.tables``) for one
country would do: create, change, leave unchanged or refuse (with the line, column and reason). A
row is *unchanged* when it would export the same cells as the record in the database, so
exporting then importing a file changes nothing. A row with an ``id`` (or, for coverage, a
provision code) changes that record if its ``version`` is still the exported one; a row without
an ``id`` creates a record. The import never deletes anything.

``apply_plan`` writes a plan's creates and changes through ``tracker.write.changes`` (history
records), after a receipt that makes a confirmation apply at most once; the view's
``write.transaction`` commits them together. The upload, preview and confirmation views, and the
signed confirmation token, are ``tracker.web.imports``.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from tracker.codes import (
    Extent,
    Implementation,
    InstrumentStatus,
    InstrumentType,
    MilestoneKind,
    MilestoneNature,
    MilestoneStatus,
    RelationKind,
    SourceKind,
    TranslationStatus,
)
from tracker.fields import (
    EVIDENCE_FIELDS,
    INSTRUMENT,
    TRANSLATABLE,
    evidence_problems,
    instrument_date_problems,
)
from tracker.formats import csvio
from tracker.formats.tables import COVERAGE, COVERAGE_LINKS, INSTRUMENTS, MILESTONES, Table
from tracker.i18n import _
from tracker.models import (
    ChangeRecord,
    Country,
    Coverage,
    CoverageLink,
    ImportReceipt,
    Instrument,
    InstrumentRelation,
    InstrumentTitle,
    Milestone,
    TextTranslation,
)
from tracker.read import loaders
from tracker.read import rows as datasets
from tracker.read.texts import english_title, is_english
from tracker.write import changes, translations

CREATE, CHANGE, UNCHANGED, REFUSED = "create", "change", "unchanged", "refused"


@dataclass
class RowPlan:
    line: int
    action: str
    label: str
    changed: list[str] = field(default_factory=list)
    errors: list[csvio.CellError] = field(default_factory=list)
    apply: Callable[[Session, changes.Actor], None] | None = None

    def refuse(self, column: str | None, message: str) -> None:
        self.action = REFUSED
        self.errors.append(csvio.CellError(self.line, column, message))


@dataclass
class ImportPlan:
    table: Table
    country_iso3: str
    rows: list[RowPlan]

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    def rows_of(self, action: str) -> list[RowPlan]:
        return [r for r in self.rows if r.action == action]

    def errors(self) -> list[csvio.CellError]:
        return [e for r in self.rows for e in r.errors]

    @property
    def refused(self) -> bool:
        return any(r.action == REFUSED for r in self.rows)

    @property
    def writes(self) -> int:
        return self.count(CREATE) + self.count(CHANGE)


def plan_import(
    session: Session,
    table: Table,
    country: Country,
    data: bytes,
    *,
    max_rows: int | None = None,
) -> ImportPlan:
    """What importing ``data`` for ``country`` would do, row by row; writes nothing.

    Raises ``csvio.FileError`` when the file as a whole cannot be read or has more than
    ``max_rows`` rows.
    """
    parsed = csvio.read(data, table, max_rows=max_rows)
    planner = {
        "coverage": _plan_coverage,
        "instruments": _plan_instruments,
        "milestones": _plan_milestones,
        "coverage_links": _plan_coverage_links,
        "text_translations": _plan_text_translations,
    }[table.name]
    known = set(session.exec(select(Country.iso3)).all())
    rows: list[RowPlan] = []
    usable = []
    for row in parsed:
        plan = RowPlan(row.line, REFUSED if row.errors else UNCHANGED, "", errors=list(row.errors))
        rows.append(plan)
        code = row.values.get("country_iso3")
        if code and code != country.iso3:
            if code not in known:
                plan.refuse("country_iso3", _("Unknown country code %(code)s.", code=code))
            else:
                plan.refuse(
                    "country_iso3",
                    _(
                        "This row is for %(row)s, but this import is for %(country)s.",
                        row=code,
                        country=country.iso3,
                    ),
                )
        usable.append((row, plan))
    planner(session, country, usable)
    return ImportPlan(table, country.iso3, rows)


def _compare(plan: RowPlan, table: Table, current: dict, values: dict) -> None:
    plan.changed = [
        c.name
        for c in table.columns
        if c.importable
        and c.name not in ("id", "version")
        and c.name in values  # a column the file leaves out keeps what the record has
        and current[c.name] != values[c.name]
    ]


def _check_version(plan: RowPlan, current_version: int, values: dict) -> bool:
    if values.get("version") is None:
        plan.refuse("version", _("The version is required to change an existing record."))
        return False
    if values["version"] != current_version:
        plan.refuse(
            "version",
            _(
                "This record was changed after the file was exported (version %(file)s in the "
                "file, %(now)s now). Export it again and redo your changes.",
                file=values["version"],
                now=current_version,
            ),
        )
        return False
    return True


def _duplicates(rows, key) -> None:
    seen: dict[Any, int] = {}
    for row, plan in rows:
        k = key(row.values)
        if k is None or plan.action == REFUSED and not row.values:
            continue
        if k in seen:
            plan.refuse(None, _("This record also appears on line %(line)s.", line=seen[k]))
        else:
            seen[k] = row.line


# milestones


def _plan_milestones(session: Session, country: Country, rows) -> None:
    ids = [r.values["id"] for r, _p in rows if r.values.get("id")]
    existing = {
        m.id: m
        for m in session.exec(
            select(Milestone).where(Milestone.id.in_(ids), Milestone.country_id == country.id)
        ).all()
    }
    _duplicates(rows, lambda v: v.get("id"))
    for row, plan in rows:
        values = row.values
        plan.label = values.get("title") or ""
        if plan.action != REFUSED and not values.get("country_iso3"):
            plan.refuse(
                "country_iso3",
                _(
                    "This row is on the project's own timeline (no country): administrators "
                    "edit it in the workspace, it is not imported."
                ),
            )
        if plan.action == REFUSED:
            continue
        fields = {name: values[name] for name in datasets.MILESTONE_FIELDS if name in values}
        fields["kind"] = MilestoneKind(fields["kind"])
        fields["status"] = MilestoneStatus(fields["status"])
        if fields.get("source_kind"):
            fields["source_kind"] = SourceKind(fields["source_kind"])
        if "nature" in fields:  # a file exported before the column: created as a project step
            fields["nature"] = MilestoneNature(fields["nature"])
        if values["id"] is None:
            plan.action = CREATE
            plan.apply = _creator(lambda f=fields: Milestone(country_id=country.id, **f))
            continue
        milestone = existing.get(values["id"])
        if milestone is None:
            plan.refuse(
                "id",
                _(
                    "No milestone with id %(id)s in %(country)s.",
                    id=values["id"],
                    country=country.iso3,
                ),
            )
            continue
        _compare(plan, MILESTONES, datasets.milestone_record(milestone, country.iso3), values)
        if plan.changed and _check_version(plan, milestone.version, values):
            plan.action = CHANGE
            plan.apply = _updater(
                milestone, {k: fields[k] for k in plan.changed}, values["version"]
            )


def _creator(build: Callable[[], Any]):
    def apply(session: Session, actor: changes.Actor) -> None:
        changes.create(session, build(), actor)

    return apply


class NothingToChange(Exception):
    """A planned change turned out to change nothing when applied."""


def _update(session, obj, actor, edit, version: int) -> None:
    # The plan said this row changes the record: if applying it changes nothing, the plan no
    # longer matches the database, so treat it as a failure of the whole import.
    if not changes.update(session, obj, actor, edit, expected_version=version):
        raise NothingToChange(f"{type(obj).__name__} {obj.id}")


def _updater(obj, change, version: int):
    def apply(session: Session, actor: changes.Actor) -> None:
        _update(session, obj, actor, change, version)

    return apply


# instruments

# The instrument's own fields, with their rules (``tracker.fields``), as imported.
INSTRUMENT_COLUMNS = tuple(INSTRUMENT)


def _plan_instruments(session: Session, country: Country, rows) -> None:
    own = {
        i.id: i
        for i in session.exec(select(Instrument).where(Instrument.country_id == country.id)).all()
    }
    titles, relations = datasets.instrument_extras(session, list(own))
    sources = loaders.instrument_sources(session, list(own))
    _duplicates(rows, lambda v: v.get("id"))
    for row, plan in rows:
        values = row.values
        plan.label = values.get("title") or ""
        if plan.action == REFUSED:
            continue
        # The date rules of the instrument form (the year and each cell: ``tracker.csvio``).
        for name, message in instrument_date_problems(values):
            plan.refuse(name, message)
        for kind in RelationKind:
            for target in values[kind.value]:
                if target not in own or target == values["id"]:
                    plan.refuse(
                        kind.value,
                        _(
                            "%(id)s is not another instrument of %(country)s.",
                            id=target,
                            country=country.iso3,
                        ),
                    )
        if plan.action == REFUSED:
            continue
        # how the title exports: an English title is its own English title
        values["title_en"] = english_title(
            values["title"], values["title_lang"], values["title_en"]
        )
        # a column the file leaves out (exported before it existed): the model's default on
        # create, the stored value on change
        fields = {name: values[name] for name in INSTRUMENT_COLUMNS if name in values}
        fields["type"] = InstrumentType(fields["type"])
        fields["status"] = InstrumentStatus(fields["status"])
        wanted = {kind: values[kind.value] for kind in RelationKind}
        wanted_sources = _wanted_sources(values)
        if values["id"] is None:
            plan.action = CREATE
            plan.apply = _create_instrument(
                country.id, fields, values["title_en"], wanted, wanted_sources
            )
            continue
        instrument = own.get(values["id"])
        if instrument is None:
            plan.refuse(
                "id",
                _(
                    "No instrument with id %(id)s in %(country)s.",
                    id=values["id"],
                    country=country.iso3,
                ),
            )
            continue
        have = relations.get(instrument.id, {})
        current = datasets.instrument_record(
            instrument,
            country.iso3,
            titles.get(instrument.id),
            have,
            sources.get(instrument.id, ()),
        )
        _compare(plan, INSTRUMENTS, current, values)
        for kind in RelationKind:
            if set(have.get(kind, [])) - set(wanted[kind]):
                plan.refuse(
                    kind.value,
                    _(
                        "An import can add relations but not remove them; remove it in the "
                        "workspace."
                    ),
                )
        if plan.changed and plan.action != REFUSED:
            if not _check_version(plan, instrument.version, values):
                continue
            plan.action = CHANGE
            plan.apply = _update_instrument(
                instrument,
                {k: fields[k] for k in plan.changed if k in fields},
                values["title_en"] if "title_en" in plan.changed else ...,
                {k: [t for t in wanted[k] if t not in have.get(k, [])] for k in RelationKind},
                values["version"],
                wanted_sources if "sources" in plan.changed else None,
            )


def _set_english_title(instrument: Instrument, title_en: str | None) -> None:
    """Keep an English translation only where it says something the title does not."""
    needed = title_en is not None and not (
        is_english(instrument.title_lang) and title_en == instrument.title
    )
    current = next((t for t in instrument.titles if t.locale == "en"), None)
    if not needed:
        if current is not None:
            instrument.titles.remove(current)
    elif current is None:
        instrument.titles.append(InstrumentTitle(locale="en", title=title_en))
    else:
        current.title = title_en


def _add_relations(session, instrument_id, new: dict, actor) -> None:
    for kind, targets in new.items():
        for target in targets:
            changes.create(
                session,
                InstrumentRelation(instrument_id=instrument_id, target_id=target, kind=kind),
                actor,
            )


def _wanted_sources(values: dict) -> list | None:
    """The ``sources`` cell as (kind, url, note) for ``changes.set_sources``; None when the file
    has no such column (the record keeps its sources)."""
    if "sources" not in values:
        return None
    return [(SourceKind(kind), url, note) for kind, url, note in values["sources"]]


def _create_instrument(country_id: int, fields: dict, title_en, relations: dict, sources=None):
    def apply(session: Session, actor: changes.Actor) -> None:
        instrument = Instrument(country_id=country_id, **fields)
        _set_english_title(instrument, title_en)
        if sources:
            changes.set_sources(instrument, sources)
        changes.create(session, instrument, actor)
        _add_relations(session, instrument.id, relations, actor)

    return apply


def _update_instrument(
    instrument: Instrument, change: dict, title_en, new_relations, version, sources=None
):
    def apply(session: Session, actor: changes.Actor) -> None:
        def edit(obj: Instrument) -> None:
            for name, value in change.items():
                setattr(obj, name, value)
            if title_en is not ...:
                _set_english_title(obj, title_en)
            if sources is not None:
                changes.set_sources(obj, sources)

        if change or title_en is not ... or sources is not None:
            _update(session, instrument, actor, edit, version)
        _add_relations(session, instrument.id, new_relations, actor)

    return apply


# coverage


def _plan_coverage(session: Session, country: Country, rows) -> None:
    checklist, items, judgements = datasets.current_judgements(session, country.id)
    version = checklist.code if checklist and items else None
    by_code = {item.provision.code: item for item in items}
    # The records themselves, for the changes (the comparison reads the items).
    coverage = {
        c.provision_id: c
        for c in session.exec(select(Coverage).where(Coverage.country_id == country.id)).all()
    }
    instruments = set(
        session.exec(select(Instrument.id).where(Instrument.country_id == country.id)).all()
    )
    _duplicates(rows, lambda v: v.get("provision_code"))
    for row, plan in rows:
        values = row.values
        code = values.get("provision_code")
        plan.label = code or ""
        if plan.action == REFUSED:
            continue
        item = _checklist_item(plan, values, version, by_code)
        if item is None:
            continue
        provision = item.provision
        cov = coverage.get(provision.id)
        judgement = [values[n] for n in ("not_applicable_reason", "implementation", "evidence")]
        if values["applicable"] is None:
            if (
                any(v is not None for v in judgement)
                or values["instruments"]
                or values.get("sources")
            ):
                plan.refuse(
                    "applicable",
                    _("Say whether the provision applies (true or false) to record a judgement."),
                )
            elif cov is not None:
                plan.refuse(
                    "applicable",
                    _("An import cannot remove a judgement; change it in the workspace."),
                )
            continue
        if values["applicable"] is False and not values["not_applicable_reason"]:
            plan.refuse(
                "not_applicable_reason", _("Give the reason why the provision does not apply.")
            )
        for instrument_id, _extent, _articles in values["instruments"]:
            if instrument_id not in instruments:
                plan.refuse(
                    "instruments",
                    _(
                        "%(id)s is not an instrument of %(country)s.",
                        id=instrument_id,
                        country=country.iso3,
                    ),
                )
        if plan.action == REFUSED:
            continue
        if values["implementation"] is None:
            values["implementation"] = Implementation.NONE.value
        current = datasets.coverage_record(
            country.iso3, checklist, item, judgements.sources_of(cov.id if cov else None)
        )
        _compare(plan, COVERAGE, current, values)
        if cov is None:
            plan.action = CREATE
            plan.apply = _create_coverage(country.id, provision.id, values)
        elif plan.changed and _check_version(plan, cov.version, values):
            plan.action = CHANGE
            plan.apply = _update_coverage(cov, values)


def _coverage_fields(values: dict) -> dict:
    found = {
        "applicable": values["applicable"],
        "not_applicable_reason": values["not_applicable_reason"],
        "implementation": Implementation(values["implementation"]),
        "evidence": values["evidence"],
        "is_example": False,
    }
    if "evidence_lang" in values:  # absent from files exported before it: the record keeps its own
        found["evidence_lang"] = values["evidence_lang"]
    return found


def _create_coverage(country_id: int, provision_id: int, values: dict):
    def apply(session: Session, actor: changes.Actor) -> None:
        cov = Coverage(country_id=country_id, provision_id=provision_id, **_coverage_fields(values))
        if _wanted_sources(values):
            changes.set_sources(cov, _wanted_sources(values))
        for instrument_id, extent, articles in values["instruments"]:
            cov.links.append(
                CoverageLink(instrument_id=instrument_id, extent=Extent(extent), articles=articles)
            )
        changes.create(session, cov, actor)

    return apply


def _update_coverage(cov: Coverage, values: dict):
    def edit(obj: Coverage) -> None:
        for name, value in _coverage_fields(values).items():
            setattr(obj, name, value)
        wanted = {i: (Extent(e), a) for i, e, a in values["instruments"]}
        for link in list(obj.links):
            if link.instrument_id not in wanted:
                obj.links.remove(link)
        for link in obj.links:
            link.extent, link.articles = wanted.pop(link.instrument_id)
        for instrument_id, (extent, articles) in sorted(wanted.items()):
            obj.links.append(
                CoverageLink(instrument_id=instrument_id, extent=extent, articles=articles)
            )
        if _wanted_sources(values) is not None:
            changes.set_sources(obj, _wanted_sources(values))

    def apply(session: Session, actor: changes.Actor) -> None:
        _update(session, cov, actor, edit, values["version"])

    return apply


# coverage links


def _plan_coverage_links(session: Session, country: Country, rows) -> None:
    """One row per link: its extent, articles and evidence. A link of a judged provision is
    created or changed; rows of one judgement are written together, as one change of it."""
    checklist, items = datasets.current_coverage(session, country.id)
    version = checklist.code if checklist and items else None
    by_code = {item.provision.code: item for item in items}
    coverage = {
        c.provision_id: c
        for c in session.exec(select(Coverage).where(Coverage.country_id == country.id)).all()
    }
    titles = datasets.instrument_original_titles(session, country.id)
    _duplicates(
        rows,
        lambda v: (
            (v.get("provision_code"), v.get("instrument_id")) if v.get("provision_code") else None
        ),
    )
    groups: dict[int, list] = {}  # coverage id -> [(plan, instrument id, values)]
    for row, plan in rows:
        values = row.values
        code = values.get("provision_code")
        plan.label = f"{code or ''} · {titles.get(values.get('instrument_id'), '')}".strip(" ·")
        if plan.action == REFUSED:
            continue
        item = _checklist_item(plan, values, version, by_code)
        if item is None:
            continue
        if values["instrument_id"] not in titles:
            plan.refuse(
                "instrument_id",
                _(
                    "%(id)s is not an instrument of %(country)s.",
                    id=values["instrument_id"],
                    country=country.iso3,
                ),
            )
        for name, message in evidence_problems(values):
            plan.refuse(name, message)
        cov = coverage.get(item.provision.id)
        if cov is None:
            plan.refuse(
                "provision_code",
                _(
                    "%(code)s has no judgement yet: record it first (in the workspace or with "
                    "coverage.csv), then import its links.",
                    code=code,
                ),
            )
        if plan.action == REFUSED:
            continue
        link = next((k for k in item.links if k.instrument_id == values["instrument_id"]), None)
        if link is not None:
            current = datasets.coverage_link_record(
                country.iso3, checklist, item, link, titles.get(link.instrument_id)
            )
            _compare(plan, COVERAGE_LINKS, current, values)
            if not plan.changed:
                continue
        if not _check_version(plan, cov.version, values):
            continue
        plan.action = CREATE if link is None else CHANGE
        groups.setdefault(cov.id, []).append((plan, values["instrument_id"], values))
    for cov_id, planned in groups.items():
        # The first row of a judgement writes all of its rows: one change, one version step.
        planned[0][0].apply = _update_links(session.get(Coverage, cov_id), planned)


def _link_values(values: dict) -> dict:
    evidence = {name: values.get(name) for name in EVIDENCE_FIELDS}
    if evidence["translation_status"]:
        evidence["translation_status"] = TranslationStatus(evidence["translation_status"])
    return {"extent": Extent(values["extent"]), "articles": values["articles"], **evidence}


def _update_links(cov: Coverage, planned: list):
    version = planned[0][2]["version"]

    def edit(obj: Coverage) -> None:
        existing = {link.instrument_id: link for link in obj.links}
        for _plan, instrument_id, values in planned:
            wanted = _link_values(values)
            link = existing.get(instrument_id)
            if link is None:
                obj.links.append(CoverageLink(instrument_id=instrument_id, **wanted))
            else:
                for name, value in wanted.items():
                    setattr(link, name, value)
        obj.is_example = False

    def apply(session: Session, actor: changes.Actor) -> None:
        _update(session, cov, actor, edit, version)

    return apply


# translations of records' texts


def _plan_text_translations(session: Session, country: Country, rows) -> None:
    """One row per translated text and language: created where the record has no translation in
    that language, changed where the text differs (if its version is still the exported one),
    unchanged otherwise. A judgement is named by its provision, other records by their id. An
    import never deletes a translation (the text is required)."""
    checklist, items = datasets.current_coverage(session, country.id)
    version = checklist.code if checklist and items else None
    by_code = {item.provision.code: item for item in items}
    judgement_of = dict(
        session.exec(
            select(Coverage.provision_id, Coverage.id).where(Coverage.country_id == country.id)
        ).all()
    )
    own = {
        "instrument": set(
            session.exec(select(Instrument.id).where(Instrument.country_id == country.id)).all()
        ),
        "milestone": set(
            session.exec(select(Milestone.id).where(Milestone.country_id == country.id)).all()
        ),
        "coverage": set(judgement_of.values()),
    }
    stored = {
        (t.entity, t.entity_id, t.field, t.locale): t
        for t in session.exec(
            select(TextTranslation).where(
                sa.or_(
                    *(
                        sa.and_(TextTranslation.entity == entity, TextTranslation.entity_id.in_(ids))
                        for entity, ids in own.items()
                    )
                )
            )
        ).all()
    }
    _duplicates(
        rows,
        lambda v: (
            (v.get("record"), v.get("record_id"), v.get("provision_code"), v.get("field"),
             v.get("locale"))
            if v.get("record") else None
        ),
    )
    for row, plan in rows:
        values = row.values
        record = values.get("record")
        plan.label = " · ".join(
            str(part)
            for part in (
                values.get("record_id") or values.get("provision_code"),
                values.get("field"),
                values.get("locale"),
            )
            if part
        )
        if plan.action != REFUSED and not values.get("country_iso3"):
            plan.refuse(
                "country_iso3",
                _(
                    "This row is on the project's own timeline (no country): administrators "
                    "edit it in the workspace, it is not imported."
                ),
            )
        if plan.action == REFUSED:
            continue
        entity_id = _translated_record_id(plan, values, country, own, version, by_code, judgement_of)
        if entity_id is None:
            continue
        key = (record, entity_id, values["field"], values["locale"])
        found = stored.get(key)
        if found is None:
            plan.action = CREATE
            plan.apply = _translation_saver(None, key, values["text"], None)
        elif found.text != values["text"]:
            plan.changed = ["text"]
            if _check_version(plan, found.version, values):
                plan.action = CHANGE
                plan.apply = _translation_saver(found, key, values["text"], values["version"])


def _translated_record_id(plan, values, country, own, version, by_code, judgement_of):
    """The id of the record a translation row names, or None after refusing the row."""
    record, field = values["record"], values["field"]
    if field not in TRANSLATABLE[record]:
        plan.refuse(
            "field",
            _(
                "This record has no text “%(field)s” to translate; its texts are: %(fields)s.",
                field=field,
                fields=", ".join(TRANSLATABLE[record]),
            ),
        )
        return None
    if record == "coverage":
        if values.get("record_id") is not None:
            plan.refuse(
                "record_id",
                _(
                    "A judgement is named by its checklist version and provision code: leave "
                    "record_id empty."
                ),
            )
            return None
        item = _checklist_item(plan, values, version, by_code)
        if item is None:
            return None
        found = judgement_of.get(item.provision.id)
        if found is None:
            plan.refuse(
                "provision_code",
                _(
                    "%(code)s has no judgement yet: record it first (in the workspace or with "
                    "coverage.csv), then import the translations of its evidence.",
                    code=item.provision.code,
                ),
            )
        return found
    if values.get("checklist_version") or values.get("provision_code"):
        plan.refuse(
            "provision_code",
            _(
                "Only a judgement is named by a checklist version and provision code: leave "
                "them empty for an instrument or a milestone."
            ),
        )
        return None
    record_id = values.get("record_id")
    if record_id is None:
        plan.refuse("record_id", _("Give the id of the instrument or milestone (record_id)."))
        return None
    if record_id not in own[record]:
        message = (
            _("%(id)s is not an instrument of %(country)s.", id=record_id, country=country.iso3)
            if record == "instrument"
            else _(
                "No milestone with id %(id)s in %(country)s.", id=record_id, country=country.iso3
            )
        )
        plan.refuse("record_id", message)
        return None
    return record_id


def _translation_saver(found, key, text: str, version: int | None):
    def apply(session: Session, actor: changes.Actor) -> None:
        if not translations.save_translation(
            session, found, key, text, actor, expected_version=version
        ):
            raise NothingToChange(f"text_translation {key}")

    return apply


def apply_plan(
    session: Session,
    plan: ImportPlan,
    actor: changes.Actor,
    receipt: ImportReceipt,
    *,
    keep_seconds: int,
) -> int:
    """Write every create and change of ``plan`` (flushed; the caller's ``write.transaction``
    commits them together); returns how many.

    ``receipt`` is inserted first (``changes.claim_import``, which forgets receipts older than
    ``keep_seconds``): ``changes.AlreadyApplied`` when the same confirmation was applied before,
    in which case nothing is written.
    """
    assert not plan.refused
    receipt.created, receipt.changed = plan.count(CREATE), plan.count(CHANGE)
    done = 0
    changes.claim_import(session, receipt, keep_seconds=keep_seconds)
    for row in plan.rows:
        if row.apply is not None:
            row.apply(session, actor)
            done += 1
    return done


def token_key(token: str) -> str:
    """The key of a confirmation in ``import_receipt`` (the token itself is signed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def history_marker(session: Session, country_id: int) -> int:
    """The latest change record of a country: it moves whenever the country's data changes."""
    return session.exec(
        select(sa.func.coalesce(sa.func.max(ChangeRecord.id), 0)).where(
            ChangeRecord.country_id == country_id
        )
    ).one()


def _checklist_item(plan: "RowPlan", values: dict, version, by_code: dict):
    """The current checklist's item for a row's provision code, or None after refusing the row
    (another checklist version, or a code that version does not have)."""
    if values["checklist_version"] != version:
        plan.refuse(
            "checklist_version",
            _(
                "Only the current checklist (%(current)s) can be imported, not %(version)s.",
                current=version or "–",
                version=values["checklist_version"],
            ),
        )
        return None
    code = values.get("provision_code")
    item = by_code.get(code)
    if item is None:
        plan.refuse(
            "provision_code",
            _("Unknown provision code %(code)s in checklist %(version)s.", code=code, version=version),
        )
    return item
