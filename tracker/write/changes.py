"""The one write path: every create, update and delete of editable records goes through here.

Each function checks the record's version counter (lost-update detection) and writes a
``ChangeRecord`` with the values before and after in the same transaction. The functions only
flush: the caller's ``tracker.write.transaction`` commits everything once, or rolls it all back
when any of them raises, so several changes (a checklist save, an import) land together or not
at all. Nothing outside ``tracker.write`` adds or commits, so history cannot be forgotten.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from tracker import dates
from tracker.codes import ChangeAction, RelationKind, SourceKind
from tracker.fields import EVIDENCE_FIELDS
from tracker.models import (
    Category,
    ChangeRecord,
    Country,
    Coverage,
    CoverageLink,
    CoverageSource,
    ImportReceipt,
    Instrument,
    InstrumentRelation,
    InstrumentSource,
    InstrumentTitle,
    Milestone,
    Provision,
    TextTranslation,
    User,
    utcnow,
)
from tracker.security import password_fingerprint
from tracker.write import sessions

# Columns that change on every save and would only add noise to a diff.
NOISE = frozenset({"created_at", "updated_at"})


@dataclass(frozen=True)
class Actor:
    """Who is making a change: a user (id and email at the time) or a named system actor."""

    email: str
    user_id: int | None = None


# The system actors: changes no signed-in person made. History stores these names in place of an
# email address (which always has an "@"), and the history page shows them as such.
COMMAND_LINE = Actor(email="command line")  # flask users create
DEMO_DATA = Actor(email="demo data")  # flask demo load
SYSTEM_ACTORS = frozenset({COMMAND_LINE.email, DEMO_DATA.email})


class StaleVersion(Exception):
    """The record changed since the form was loaded; nothing of this change was written.

    ``write.transaction`` rolls back when this propagates out of it. Read ``record`` and
    ``current`` after that: they are then the record as stored now (someone else's save).
    """

    def __init__(self, record: SQLModel, expected: int | None):
        super().__init__(f"{type(record).__name__} {record.id} is not at version {expected}")
        self.expected = expected
        self._held = record
        self._model = type(record)
        self._id = record.id
        self._session = sa.orm.object_session(record)

    @property
    def record(self) -> SQLModel:
        """The record as the session sees it now (fresh from the database after a rollback)."""
        if self._session is not None:
            fresh = self._session.get(self._model, self._id)
            if fresh is not None:
                return fresh
        return self._held

    @property
    def current(self) -> dict:
        """``snapshot`` of ``record``."""
        return snapshot(self.record)


class RecordGone(Exception):
    """The record was deleted by someone else after it was loaded; nothing was written."""

    def __init__(self, model: type[SQLModel], record_id: int | None):
        super().__init__(f"{model.__name__} {record_id} no longer exists")
        self.model = model
        self.record_id = record_id


def _refuse(session: Session, obj: SQLModel, expected: int | None) -> None:
    """Raise ``StaleVersion``, or ``RecordGone`` when the row no longer exists.

    Nothing is rolled back here: the exception propagates out of ``write.transaction``, which
    rolls the whole transaction back.
    """
    table = type(obj).__table__
    with session.no_autoflush:
        exists = session.execute(sa.select(table.c.id).where(table.c.id == obj.id)).first()
    if exists is None:
        raise RecordGone(type(obj), obj.id)
    raise StaleVersion(obj, expected)


def _plain(value: Any) -> Any:
    if isinstance(value, dates.PartialDate):
        return value.iso
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def plain(value: Any) -> Any:
    """A value as history stores it (enum codes, ISO dates)."""
    return _plain(value)


@functools.cache
def precise_dates(model: type[SQLModel]) -> tuple[str, ...]:
    """The date columns of ``model`` that have a precision column beside them."""
    keys = [col.key for col in sa.inspect(model).columns]
    return tuple(key for key in keys if dates.precision_column(key) in keys)


def settle_dates(obj: SQLModel) -> None:
    """Store each ``PartialDate`` set on ``obj`` as its two columns (``tracker.dates``)."""
    for name in precise_dates(type(obj)):
        value = getattr(obj, name)
        if isinstance(value, dates.PartialDate):
            for key, column_value in dates.columns(name, value).items():
                setattr(obj, key, column_value)


def snapshot(obj: SQLModel) -> dict:
    """The record's column values as JSON-safe plain data, plus its owned children.

    A date and its precision are one value, ISO 8601 at that precision ("2024-10")."""
    precise = precise_dates(type(obj))
    skip = NOISE | {dates.precision_column(name) for name in precise}
    data = {
        col.key: _plain(dates.of(obj, col.key) if col.key in precise else getattr(obj, col.key))
        for col in sa.inspect(type(obj)).columns
        if col.key not in skip
    }
    if isinstance(obj, Coverage):
        data["links"] = sorted(
            (
                {
                    "instrument_id": link.instrument_id,
                    "extent": _plain(link.extent),
                    "articles": link.articles,
                    # the evidence of a link, where it has any (older records have none)
                    **{
                        name: _plain(getattr(link, name))
                        for name in EVIDENCE_FIELDS
                        if getattr(link, name) is not None
                    },
                }
                for link in obj.links
            ),
            key=lambda d: d["instrument_id"],
        )
        if obj.sources:
            data["sources"] = source_list(obj.sources)
    if isinstance(obj, Instrument):
        data["titles"] = {t.locale: t.title for t in sorted(obj.titles, key=lambda t: t.locale)}
        if obj.sources:
            data["sources"] = source_list(obj.sources)
        if obj.relations:
            data["relations"] = relation_list(obj.relations)
    if isinstance(obj, Category):
        data["names"] = {n.locale: n.name for n in sorted(obj.names, key=lambda n: n.locale)}
    if isinstance(obj, Provision):
        data["texts"] = {
            t.locale: {"title": t.title, "guidance": t.guidance}
            for t in sorted(obj.texts, key=lambda t: t.locale)
        }
    if isinstance(obj, User) and data.get("password_hash"):
        # Never copy a password hash into history; a short fingerprint shows that it changed.
        data["password_hash"] = password_fingerprint(data["password_hash"])
    return data


def source_list(sources) -> list[dict]:
    """Source links as history stores them: url, kind and note, in their order."""
    return [{"url": s.url, "kind": _plain(s.kind), "note": s.note} for s in sources]


def relation_list(relations) -> list[dict]:
    """An instrument's own relations as history stores them: kind and target, in a stable order."""
    return sorted(
        ({"kind": _plain(r.kind), "target_id": r.target_id} for r in relations),
        key=lambda d: (d["kind"], d["target_id"]),
    )


def set_sources(obj: Instrument | Coverage, wanted: list[tuple[Any, str, str | None]]) -> None:
    """Bring the source links of ``obj`` to ``wanted`` ((kind, url, note), in order), in place.

    Rows are reused in order, so a list that did not change writes nothing."""
    model = InstrumentSource if isinstance(obj, Instrument) else CoverageSource
    rows = list(obj.sources)
    for index, (kind, url, note) in enumerate(wanted):
        if index < len(rows):
            row = rows[index]
            for name, value in (("kind", kind), ("url", url), ("note", note)):
                if getattr(row, name) != value:
                    setattr(row, name, value)
        else:
            obj.sources.append(model(kind=kind, url=url, note=note))
    for row in rows[len(wanted) :]:
        obj.sources.remove(row)


# The records whose texts carry translations, by the ``entity`` a translation names
# (``tracker.fields.TRANSLATABLE``).
TRANSLATED_MODELS = {"instrument": Instrument, "coverage": Coverage, "milestone": Milestone}


def entity_name(obj: SQLModel) -> str:
    return type(obj).__tablename__


def country_of(obj: SQLModel, session: Session | None = None) -> int | None:
    """The country a record belongs to, for its change records: a translation belongs to the
    country of the record whose text it translates (read through ``session``)."""
    if isinstance(obj, Country):
        return obj.id
    if isinstance(obj, TextTranslation):
        model = TRANSLATED_MODELS.get(obj.entity)
        if model is None or session is None:
            return None
        with session.no_autoflush:
            parent = session.get(model, obj.entity_id)
        return parent.country_id if parent is not None else None
    return getattr(obj, "country_id", None)


def _record(
    session: Session,
    actor: Actor,
    action: ChangeAction,
    obj: SQLModel,
    before: dict | None,
    after: dict | None,
    summary: str,
) -> ChangeRecord:
    record = ChangeRecord(
        at=utcnow(),
        user_id=actor.user_id,
        actor=actor.email,
        action=action,
        entity=entity_name(obj),
        entity_id=obj.id,
        country_id=country_of(obj, session),
        summary=summary[:500],
        before=before,
        after=after,
    )
    session.add(record)
    return record


def _describe(obj: SQLModel) -> str:
    for name in ("title", "email", "code", "iso3"):
        value = getattr(obj, name, None)
        if value:
            return str(value)
    return f"{entity_name(obj)} {obj.id}"


def _versioned(obj: SQLModel) -> bool:
    return "version" in type(obj).__table__.c


def _claim_version(session: Session, obj: SQLModel, expected: int | None) -> None:
    """Bump the stored version only if it is still ``expected``; else refuse (``_refuse``).

    A conditional UPDATE is atomic on both SQLite and PostgreSQL: of two concurrent saves of the
    same version, exactly one matches, and the other is refused instead of overwriting it. It runs
    before the record's own changes are flushed (no autoflush): on PostgreSQL it takes the row
    lock first, so a record deleted or changed meanwhile is refused here rather than failing
    in the ORM's flush (``StaleDataError``, a server error).
    """
    table = type(obj).__table__
    current = obj.version if expected is None else expected
    with session.no_autoflush:
        result = session.execute(
            sa.update(table)
            .where(table.c.id == obj.id, table.c.version == current)
            .values(version=current + 1)
        )
    if result.rowcount != 1:
        _refuse(session, obj, expected)
    # Keep the ORM's view in step without a second UPDATE of the same value.
    sa.orm.attributes.set_committed_value(obj, "version", current + 1)


def create(
    session: Session, obj: SQLModel, actor: Actor, *, dated: datetime | None = None
) -> SQLModel:
    """Insert ``obj`` (flushed, so it has its id) and record its creation.

    ``dated`` is the time the record's content dates from, when that is not now (the demo
    loader passes the date its files were last checked against their sources): the row's
    ``created_at`` and ``updated_at`` take it, so "last update" says how current the content is.
    The change record keeps the real time of the write.
    """
    if dated is not None:
        for name in ("created_at", "updated_at"):
            if hasattr(obj, name):
                setattr(obj, name, dated)
    settle_dates(obj)
    session.add(obj)
    session.flush()
    _record(session, actor, ChangeAction.CREATE, obj, None, snapshot(obj), _describe(obj))
    session.flush()
    return obj


def update(
    session: Session,
    obj: SQLModel,
    actor: Actor,
    apply: Callable[[SQLModel], None] | dict,
    *,
    expected_version: int | None,
    dated: datetime | None = None,
) -> bool:
    """Apply changes to ``obj`` if it is still at ``expected_version``; record the difference.

    ``apply`` is a dict of attribute values or a function that changes the object (and its owned
    children, e.g. coverage links, which it changes in place rather than removing and re-adding
    them). Returns False, writing nothing, when nothing changed; the caller's other changes in the
    same transaction stay. ``expected_version=None`` skips the check (a change the program makes,
    such as unlinking a deleted instrument). Raises ``StaleVersion`` when someone else saved
    first, ``RecordGone`` when someone deleted it. A record without a version counter (a
    checklist category) is updated without that check. ``dated`` as for ``create``: the time a
    changed row's ``updated_at`` takes instead of now.
    """
    if expected_version is not None and obj.version != expected_version:
        _refuse(session, obj, expected_version)
    before = snapshot(obj)
    if callable(apply):
        apply(obj)
    else:
        for name, value in apply.items():
            setattr(obj, name, value)
    settle_dates(obj)
    after = snapshot(obj)
    if after == before:
        return False
    if _versioned(obj):
        _claim_version(session, obj, expected_version)
    if hasattr(obj, "updated_at"):
        obj.updated_at = dated or utcnow()
    session.flush()
    if _versioned(obj):
        after["version"] = obj.version
    _record(session, actor, ChangeAction.UPDATE, obj, before, after, _describe(obj))
    if isinstance(obj, User) and (
        not after["is_active"] or after["password_hash"] != before["password_hash"]
    ):
        # A deactivated account or a new password: every session of the account ends with it,
        # so reactivating the account later cannot bring an old cookie back.
        sessions.end_all(session, obj.id)
    session.flush()
    return True


def delete(
    session: Session,
    obj: SQLModel,
    actor: Actor,
    *,
    expected_version: int | None,
) -> None:
    """Delete ``obj`` if it is still at ``expected_version``, keeping its last state in history.

    Raises ``StaleVersion`` or ``RecordGone`` like ``update``.
    """
    if expected_version is not None and obj.version != expected_version:
        _refuse(session, obj, expected_version)
    before = snapshot(obj)
    if _versioned(obj):
        _claim_version(session, obj, expected_version)
    _record(session, actor, ChangeAction.DELETE, obj, before, None, _describe(obj))
    session.delete(obj)
    session.flush()


# --- confirmed imports ---------------------------------------------------------------------------


class AlreadyApplied(Exception):
    """This import was confirmed before; nothing of it was written this time.

    Read ``receipt`` after ``write.transaction`` has rolled back (None if it has just been pruned).
    """

    def __init__(self, session: Session, token_key: str):
        super().__init__("this import was already applied")
        self._session = session
        self.token_key = token_key

    @property
    def receipt(self) -> ImportReceipt | None:
        return import_receipt(self._session, self.token_key)


def import_receipt(session: Session, token_key: str) -> ImportReceipt | None:
    return session.exec(
        sa.select(ImportReceipt).where(ImportReceipt.token_key == token_key)
    ).scalar_one_or_none()


def claim_import(session: Session, receipt: ImportReceipt, *, keep_seconds: int) -> None:
    """Insert ``receipt`` first in an import's transaction; ``AlreadyApplied`` if its key exists.

    The key is unique in the database, so of two transactions applying the same confirmation
    at once exactly one inserts it: on PostgreSQL the other waits for it, then fails here before
    writing anything (and its transaction rolls back). Receipts older than ``keep_seconds`` are
    deleted.
    """
    cutoff = utcnow() - timedelta(seconds=keep_seconds)
    session.execute(sa.delete(ImportReceipt).where(ImportReceipt.at < cutoff))
    session.add(receipt)
    try:
        session.flush()
    except sa.exc.IntegrityError:
        raise AlreadyApplied(session, receipt.token_key) from None


# --- restore ------------------------------------------------------------------------------------

# The records a deleted row can be brought back for, by their change-record entity name.
RESTORABLE: dict[str, type[SQLModel]] = {
    model.__tablename__: model for model in (Instrument, Milestone, Coverage)
}


class CannotRestore(Exception):
    """The record cannot be brought back (not a deletion, not restorable, or in the way)."""


def _column_value(column: sa.Column, value: Any) -> Any:
    if value is None:
        return None
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return value
    if python_type is datetime and isinstance(value, str):
        return datetime.fromisoformat(value)
    if python_type is date and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def restore(session: Session, record: ChangeRecord, actor: Actor) -> SQLModel:
    """Recreate a deleted row from its deletion record's ``before`` values, under its old id.

    The row comes back one version above the one that was deleted, with its owned children
    (instrument titles, relations to and coverage links to instruments of the same country that
    still exist), and the
    restore is recorded (action ``restore``) like any other change.
    """
    model = RESTORABLE.get(record.entity)
    if record.action is not ChangeAction.DELETE or model is None or not record.before:
        raise CannotRestore("only a deleted instrument, milestone or coverage can be restored")
    if session.get(model, record.entity_id) is not None:
        raise CannotRestore("a record with this id exists again")
    before = dict(record.before)
    columns = {col.key: col for col in sa.inspect(model).columns}
    precise = precise_dates(model)
    values = {
        key: _column_value(columns[key], value)
        for key, value in before.items()
        if key in columns and key not in NOISE and key not in precise
    }
    for name in precise:
        # "2024-10" since dates carry their precision; "2024-10-01" (a day) in older records.
        values.update(dates.columns(name, dates.as_partial(before.get(name))))
    values["id"] = record.entity_id
    values["version"] = int(before.get("version") or 1) + 1
    obj = model(**values)
    if isinstance(obj, Instrument | Coverage):
        set_sources(
            obj,
            [(SourceKind(s["kind"]), s["url"], s.get("note")) for s in before.get("sources") or []],
        )
    if isinstance(obj, Instrument):
        for locale, title in (before.get("titles") or {}).items():
            obj.titles.append(InstrumentTitle(locale=locale, title=title))
        for rel in before.get("relations") or []:
            target = session.get(Instrument, rel.get("target_id"))
            if target is not None and target.country_id == obj.country_id:
                obj.relations.append(
                    InstrumentRelation(target_id=target.id, kind=RelationKind(rel["kind"]))
                )
    if isinstance(obj, Coverage):
        if session.exec(
            sa.select(Coverage.id).where(
                Coverage.country_id == obj.country_id, Coverage.provision_id == obj.provision_id
            )
        ).first():
            raise CannotRestore("this provision has a newer coverage record")
        for link in before.get("links") or []:
            # The instrument must still exist and be the coverage's country's: SQLite gives a
            # new row the highest id again, so a deleted instrument's id may now be another
            # country's instrument (as relations above).
            cited = session.get(Instrument, link["instrument_id"])
            if cited is not None and cited.country_id == obj.country_id:
                obj.links.append(
                    CoverageLink(
                        instrument_id=link["instrument_id"],
                        extent=link["extent"],
                        articles=link.get("articles"),
                        **{name: link.get(name) for name in EVIDENCE_FIELDS},
                    )
                )
    if hasattr(obj, "updated_at"):
        obj.updated_at = utcnow()
    session.add(obj)
    try:
        session.flush()
    except sa.exc.IntegrityError as exc:
        # The session must roll back now: ``write.transaction`` does as this propagates.
        raise CannotRestore("the record refers to something that no longer exists") from exc
    _record(session, actor, ChangeAction.RESTORE, obj, None, snapshot(obj), _describe(obj))
    session.flush()
    return obj


# --- reading history ----------------------------------------------------------------------------

# Bookkeeping columns left out of diffs shown to people.
DIFF_SKIP = frozenset({"id", "version"})


def diff(before: dict | None, after: dict | None) -> list[tuple[str, Any, Any]]:
    """``(field, old, new)`` for every field that differs, in the order the record lists them."""
    before = before or {}
    after = after or {}
    names = list(before) + [name for name in after if name not in before]
    return [
        (name, before.get(name), after.get(name))
        for name in names
        if name not in DIFF_SKIP and before.get(name) != after.get(name)
    ]


def state_at_version(session: Session, obj: SQLModel, version: int) -> dict | None:
    """The record as it was at ``version``, from its change records (None when unknown)."""
    records = session.exec(
        sa.select(ChangeRecord)
        .where(ChangeRecord.entity == entity_name(obj), ChangeRecord.entity_id == obj.id)
        .order_by(ChangeRecord.id.desc())
    ).scalars()
    for record in records:
        if record.after and int(record.after.get("version") or 0) == version:
            return record.after
    return None
