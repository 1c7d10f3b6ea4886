"""The one write path: every create, update and delete of editable records goes through here.

Each function checks the record's version counter (lost-update detection), writes a
``ChangeRecord`` with the values before and after, and commits, all in one transaction. Views
never call ``session.add``/``commit`` on editable records themselves, so history cannot be
forgotten. Pass ``commit=False`` to group several changes (a CSV import) into one transaction and
call ``session.commit()`` once at the end.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from .models import ChangeAction, ChangeRecord, Country, Coverage, Instrument, utcnow

# Columns that change on every save and would only add noise to a diff.
NOISE = frozenset({"created_at", "updated_at"})


@dataclass(frozen=True)
class Actor:
    """Who is making a change: a user (id and email at the time) or a tool ("cli", "import")."""

    email: str
    user_id: int | None = None


class StaleVersion(Exception):
    """The record changed since the form was loaded; ``current`` is its state now."""

    def __init__(self, record: SQLModel, expected: int | None):
        super().__init__(f"{type(record).__name__} {record.id} is at version {record.version}")
        self.record = record
        self.expected = expected
        self.current = snapshot(record)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(obj: SQLModel) -> dict:
    """The record's column values as JSON-safe plain data, plus its owned children."""
    data = {
        col.key: _plain(getattr(obj, col.key))
        for col in sa.inspect(type(obj)).columns
        if col.key not in NOISE
    }
    if isinstance(obj, Coverage):
        data["links"] = sorted(
            (
                {
                    "instrument_id": link.instrument_id,
                    "extent": _plain(link.extent),
                    "articles": link.articles,
                }
                for link in obj.links
            ),
            key=lambda d: d["instrument_id"],
        )
    if isinstance(obj, Instrument):
        data["titles"] = {t.locale: t.title for t in sorted(obj.titles, key=lambda t: t.locale)}
    return data


def entity_name(obj: SQLModel) -> str:
    return type(obj).__tablename__


def country_of(obj: SQLModel) -> int | None:
    if isinstance(obj, Country):
        return obj.id
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
        country_id=country_of(obj),
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


def _claim_version(session: Session, obj: SQLModel, expected: int | None) -> None:
    """Bump the stored version only if it is still ``expected``; else raise ``StaleVersion``.

    A conditional UPDATE is atomic on both SQLite and PostgreSQL: of two concurrent saves of the
    same version, exactly one matches, and the other is refused instead of overwriting it.
    """
    table = type(obj).__table__
    current = obj.version if expected is None else expected
    result = session.execute(
        sa.update(table)
        .where(table.c.id == obj.id, table.c.version == current)
        .values(version=current + 1)
    )
    if result.rowcount != 1:
        session.rollback()
        fresh = session.get(type(obj), obj.id)
        raise StaleVersion(fresh if fresh is not None else obj, expected)
    # Keep the ORM's view in step without a second UPDATE of the same value.
    sa.orm.attributes.set_committed_value(obj, "version", current + 1)


def create(session: Session, obj: SQLModel, actor: Actor, *, commit: bool = True) -> SQLModel:
    """Insert ``obj`` and record its creation."""
    session.add(obj)
    session.flush()
    _record(session, actor, ChangeAction.CREATE, obj, None, snapshot(obj), _describe(obj))
    if commit:
        session.commit()
    return obj


def update(
    session: Session,
    obj: SQLModel,
    actor: Actor,
    apply: Callable[[SQLModel], None] | dict,
    *,
    expected_version: int | None,
    commit: bool = True,
) -> bool:
    """Apply changes to ``obj`` if it is still at ``expected_version``; record the difference.

    ``apply`` is a dict of attribute values or a function that changes the object (and its owned
    children, e.g. coverage links). Returns False, writing nothing, when nothing changed.
    Raises ``StaleVersion`` when someone else saved first.
    """
    if expected_version is not None and obj.version != expected_version:
        session.rollback()
        raise StaleVersion(session.get(type(obj), obj.id) or obj, expected_version)
    before = snapshot(obj)
    if callable(apply):
        apply(obj)
    else:
        for name, value in apply.items():
            setattr(obj, name, value)
    after = snapshot(obj)
    if after == before:
        session.rollback()
        return False
    _claim_version(session, obj, expected_version)
    if hasattr(obj, "updated_at"):
        obj.updated_at = utcnow()
    session.flush()
    after["version"] = obj.version
    _record(session, actor, ChangeAction.UPDATE, obj, before, after, _describe(obj))
    if commit:
        session.commit()
    return True


def delete(
    session: Session,
    obj: SQLModel,
    actor: Actor,
    *,
    expected_version: int | None,
    commit: bool = True,
) -> None:
    """Delete ``obj`` if it is still at ``expected_version``, keeping its last state in history."""
    if expected_version is not None and obj.version != expected_version:
        session.rollback()
        raise StaleVersion(session.get(type(obj), obj.id) or obj, expected_version)
    before = snapshot(obj)
    _claim_version(session, obj, expected_version)
    _record(session, actor, ChangeAction.DELETE, obj, before, None, _describe(obj))
    session.delete(obj)
    session.flush()
    if commit:
        session.commit()
