"""What a country's record is made of, and its frozen copy in a publication (issue 12).

A country's record is every row reached from its ``country`` row by following foreign keys
backwards: its instruments and their titles and relations, its coverage judgements and their
links, its milestones, and whatever table is added later that points at one of these. Nothing
needs registering: ``record_tables`` finds them in the metadata, leaving out the tables that
point at a country without being part of its public record (``PRIVATE``).

``dump`` reads one country's record as plain JSON (every column of every row); ``decode``
turns a dumped row back into the values the table takes. ``tracker.write.replica`` loads dumps
into a private read-only database, so the read layer renders a publication with the very code
it renders a live record with.
"""

import functools
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from tracker import models as _models  # noqa: F401  (every table is in the metadata)
from tracker.dates import end_of_period, precision_column
from tracker.write import PRIVATE_TABLES

# Tables that are never part of a country's public record nor of what the public pages read: those
# whose writes do not move the data version (accounts, sessions, the sign-in throttle, import and
# form receipts, the counter itself: ``tracker.write.PRIVATE_TABLES``), and history (it names
# people), the publications themselves and their review records. One list extends the other, so
# a new private table is added once (form receipts were once left out of this one).
PRIVATE = PRIVATE_TABLES | {"change_record", "publication", "review", "review_comment"}
ROOT = "country"
# Rows attached to a row of another table by its table name and id (``entity``, ``entity_id``),
# not by a foreign key: the translations of a record's texts go with the record.
ATTACHED = "text_translation"
# Snapshot layout version (the rows are keyed by table name, then column name).
FORMAT = 1


def record_tables() -> list[sa.Table]:
    """The tables that make up a country's record, parents before children (``country`` first)."""
    return list(_record_tables(len(SQLModel.metadata.tables)))


@functools.lru_cache(maxsize=4)
def _record_tables(_tables: int) -> tuple[sa.Table, ...]:
    """``record_tables``, worked out once per set of tables (sorting the metadata's tables costs
    milliseconds, and the replica asks on every request)."""
    metadata = SQLModel.metadata
    included = {ROOT}
    grew = True
    while grew:
        grew = False
        for table in metadata.sorted_tables:
            if table.name in included or table.name in PRIVATE:
                continue
            if any(fk.column.table.name in included for fk in table.foreign_keys):
                included.add(table.name)
                grew = True
    return tuple(t for t in metadata.sorted_tables if t.name in included)


def snapshot_tables() -> list[sa.Table]:
    """What a snapshot holds: the record tables, then the rows attached to their rows by
    (table name, id) rather than by a foreign key (``ATTACHED``: the texts' translations)."""
    return [*record_tables(), SQLModel.metadata.tables[ATTACHED]]


def shared_tables() -> list[sa.Table]:
    """The tables the public pages read that belong to no country: the checklist versions with
    their categories, provisions and texts, and any other table outside every record."""
    return list(_shared_tables(len(SQLModel.metadata.tables)))


@functools.lru_cache(maxsize=4)
def _shared_tables(_tables: int) -> tuple[sa.Table, ...]:
    record = {t.name for t in snapshot_tables()}
    return tuple(
        t
        for t in SQLModel.metadata.sorted_tables
        if t.name not in record and t.name not in PRIVATE
    )


def _attached(where: dict[str, sa.ColumnElement]) -> sa.ColumnElement:
    """The ``ATTACHED`` rows of the rows ``where`` selects, table by table."""
    attached = SQLModel.metadata.tables[ATTACHED]
    parts = [
        sa.and_(
            attached.c.entity == table.name,
            attached.c.entity_id.in_(
                sa.select(table.c.id).where(where[table.name]).scalar_subquery()
            ),
        )
        for table in record_tables()
        if table.name in where and "id" in table.c
    ]
    return sa.or_(*parts) if parts else sa.false()


def conditions(country_id: int | sa.BindParameter) -> dict[str, sa.ColumnElement]:
    """For each snapshot table, the WHERE clause selecting one country's rows (subqueries); the
    country is an id, or a bound parameter for a statement built once."""
    where: dict[str, sa.ColumnElement] = {}
    for table in record_tables():
        if table.name == ROOT:
            where[ROOT] = table.c.id == country_id
            continue
        parts = []
        for fk in table.foreign_keys:
            parent = fk.column.table
            if parent.name in where:
                parent_ids = sa.select(fk.column).where(where[parent.name])
                parts.append(fk.parent.in_(parent_ids.scalar_subquery()))
        where[table.name] = sa.or_(*parts)
    where[ATTACHED] = _attached(where)
    return where


def unowned_conditions() -> dict[str, sa.ColumnElement]:
    """For each snapshot table, the rows that belong to no country, which the public reads as
    they are (the project's own timeline: milestones with no country, and their translations):
    rows whose optional reference to a country is empty, and the rows that belong to those."""
    where: dict[str, sa.ColumnElement] = {}
    for table in record_tables():
        parts = []
        for fk in table.foreign_keys:
            parent = fk.column.table
            if parent.name == ROOT and fk.parent.nullable:
                parts.append(fk.parent.is_(None))
            elif parent.name in where:
                parent_ids = sa.select(fk.column).where(where[parent.name])
                parts.append(fk.parent.in_(parent_ids.scalar_subquery()))
        if parts:
            where[table.name] = sa.or_(*parts)
    where[ATTACHED] = _attached(where)
    return where


def encode(value: Any) -> Any:
    """A value as JSON: enum codes, ISO dates and timestamps, anything else that is not plain
    JSON (a partial date, a decimal) as its text."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    return str(value)


def dump(session: Session, country_id: int) -> dict:
    """Every row of one country's record, all columns, as JSON-safe data (1 query per table)."""
    tables: dict[str, list[dict]] = {}
    connection = session.connection()
    where_of = conditions(country_id)
    for table in snapshot_tables():
        where = where_of[table.name]
        order = [table.c[c.name] for c in table.primary_key.columns]
        rows = connection.execute(sa.select(table).where(where).order_by(*order)).mappings()
        tables[table.name] = [{k: encode(v) for k, v in row.items()} for row in rows]
    return {"format": FORMAT, "country_id": country_id, "tables": tables}


def _kind(column: sa.Column) -> type | None:
    column_type = column.type
    if isinstance(column_type, sa.types.TypeDecorator):
        column_type = column_type.impl_instance
    if isinstance(column_type, sa.DateTime):
        return datetime
    if isinstance(column_type, sa.Date):
        return date
    return None


@functools.lru_cache(maxsize=256)
def _kinds(table: sa.Table) -> dict[str, type | None]:
    """Each column of the table, and whether it holds timestamps, dates or neither."""
    return {key: _kind(column) for key, column in table.c.items()}


def decode(table: sa.Table, row: dict) -> dict:
    """A dumped row as the values ``table`` takes today: columns the table no longer has are
    dropped; columns added since the dump take their default (left out, so the insert applies it)."""
    kinds = _kinds(table)
    out = {}
    for name, value in row.items():
        if name not in kinds:
            continue
        kind = kinds[name]
        if value is not None and kind is datetime and isinstance(value, str):
            value = datetime.fromisoformat(value)
        elif value is not None and kind is date and isinstance(value, str):
            value = date.fromisoformat(value)
        out[name] = value
    return out


def rows_of(snapshot: dict, table: sa.Table) -> Iterable[dict]:
    """The decoded rows of ``table`` in a snapshot (none when it was not a record table then)."""
    for row in snapshot.get("tables", {}).get(table.name, []):
        yield decode(table, row)


def _pruned(snapshot: dict, keep: Callable[[sa.Table, dict], bool]) -> dict:
    """The snapshot with the rows ``keep`` refuses left out, and with them every row that belongs
    to a row left out (by a foreign key, or attached by table name and id). The country row
    stays."""
    out: dict[str, list[dict]] = {}
    kept: dict[str, set] = {}
    for table in record_tables():
        rows = []
        for row in snapshot.get("tables", {}).get(table.name, []):
            orphan = any(
                fk.column.table.name in kept
                and row.get(fk.parent.name) is not None
                and row[fk.parent.name] not in kept[fk.column.table.name]
                for fk in table.foreign_keys
            )
            if orphan or (table.name != ROOT and not keep(table, row)):
                continue
            rows.append(row)
        out[table.name] = rows
        kept[table.name] = {r.get("id") for r in rows}
    out[ATTACHED] = [
        row for row in snapshot.get("tables", {}).get(ATTACHED, [])
        if row.get("entity_id") in kept.get(row.get("entity"), set())
    ]  # fmt: skip
    return {**snapshot, "tables": out}


def known_on(snapshot: dict, day: date) -> dict:
    """The snapshot as it would have been on ``day``: rows of record tables with dates are kept
    when every date they carry is on or before ``day`` (a month or a year once it has ended; an
    undated row counts by its ``year``, and one with neither is left out), and rows that belong
    to a row left out go with it. The country row and tables without dates stay as they are.
    Used for the demo's earlier publications."""

    def known(table: sa.Table, row: dict) -> bool:
        dated = [name for name, kind in _kinds(table).items() if kind is date]
        if not dated:
            return True
        days = [
            end_of_period(date.fromisoformat(row[c]), row.get(precision_column(c)) or "day")
            for c in dated
            if row.get(c)
        ]
        if days:
            return max(days) <= day
        year = row.get("year")
        return isinstance(year, int) and date(year, 12, 31) <= day

    return _pruned(snapshot, known)


def judged_only(snapshot: dict, provision_ids: Iterable[int]) -> dict:
    """The snapshot with only the coverage judgements of these provisions (with their links,
    sources and translations); every other row as it is. Used for the demo's partial first
    assessments."""
    wanted = set(provision_ids)
    return _pruned(
        snapshot, lambda table, row: table.name != "coverage" or row.get("provision_id") in wanted
    )


def dated_by(snapshot: dict, moment: datetime) -> dict:
    """The snapshot with every timestamp later than ``moment`` (an aware one) brought back to it:
    a record as it stood then was last changed by then. Used for the demo's earlier
    publications, whose rows the loader dates at the file's ``checked_on``."""

    def capped(value: str) -> str:
        found = datetime.fromisoformat(value)
        naive = found.tzinfo is None
        if (found.replace(tzinfo=UTC) if naive else found) <= moment:
            return value
        return (moment.astimezone(UTC).replace(tzinfo=None) if naive else moment).isoformat()

    tables = {}
    for table in snapshot_tables():
        stamps = [name for name, kind in _kinds(table).items() if kind is datetime]
        tables[table.name] = [
            {**row, **{c: capped(row[c]) for c in stamps if isinstance(row.get(c), str)}}
            for row in snapshot.get("tables", {}).get(table.name, [])
        ]
    out = {**snapshot, "tables": tables}
    if isinstance(snapshot.get("deleted_at"), str):  # the last deletion (``review.freeze``)
        out["deleted_at"] = capped(snapshot["deleted_at"])
    return out


def without(snapshot: dict, table: str, row_id: int) -> dict:
    """The snapshot without one row (and nothing else)."""
    tables = dict(snapshot.get("tables", {}))
    tables[table] = [r for r in tables.get(table, []) if r.get("id") != row_id]
    return {**snapshot, "tables": tables}
