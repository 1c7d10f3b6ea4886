"""A private, read-only database holding a set of publications: what the public reads.

The public pages, the exports and the API render publications with the same read layer as a
live record: ``build`` loads the publications' frozen rows (``tracker.write.record``) and the
shared tables they refer to (the checklist) into a fresh in-memory SQLite database, which
``Replica.session`` opens read-only. Publications never change, so a replica built for a set of
publications (and a given state of the shared tables) is valid until another publication is
made; ``ReplicaCache`` keeps the most recent ones, keyed by that set.

This module writes only into the private database it creates (which is why it lives in the
write layer); it only reads the main one.
"""

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.pool import SingletonThreadPool
from sqlmodel import Session, SQLModel

from tracker.models import Publication
from tracker.write import record


def shared_stamp(session: Session) -> str:
    """A string that changes whenever a shared table changes (1 query): counts, highest ids,
    version sums and latest ``updated_at`` of the checklist tables and any other shared table."""
    columns = []
    for table in record.shared_tables():
        columns.append(sa.select(sa.func.count()).select_from(table).scalar_subquery())
        if "id" in table.c:
            columns.append(sa.select(sa.func.max(table.c.id)).scalar_subquery())
        for name, func in (("version", sa.func.sum), ("updated_at", sa.func.max)):
            if name in table.c:
                columns.append(sa.select(func(table.c[name])).scalar_subquery())
        texts = [c for c in table.c if isinstance(c.type, sa.String | sa.Text)]
        if texts:  # translations have no version: their total length stands in
            total = sum((sa.func.coalesce(sa.func.length(c), 0) for c in texts), sa.literal(0))
            columns.append(sa.select(sa.func.sum(total)).scalar_subquery())
    if not columns:
        return ""
    row = session.connection().execute(sa.select(*columns)).one()
    return "|".join("" if v is None else str(v) for v in row)


@dataclass(frozen=True)
class Replica:
    """The publications ``publication_ids`` (and the shared tables) in a private database."""

    publication_ids: tuple[int, ...]
    image: bytes  # the serialized SQLite database
    engine: sa.Engine

    def session(self) -> Session:
        """A read-only session on the replica (each thread gets its own copy of the image)."""
        return Session(self.engine, expire_on_commit=False)


def _engine(image: bytes) -> sa.Engine:
    engine = sa.create_engine("sqlite://", poolclass=SingletonThreadPool)

    @sa.event.listens_for(engine, "connect")
    def _load(dbapi_connection, _record):
        dbapi_connection.deserialize(image)
        dbapi_connection.execute("PRAGMA query_only = ON")

    return engine


def build(session: Session, publication_ids: Sequence[int]) -> Replica:
    """A replica of the given publications (1 query for the snapshots, 1 per shared table)."""
    ids = tuple(sorted(publication_ids))
    connection = session.connection()
    snapshots = [
        snap
        for (snap,) in connection.execute(
            sa.select(Publication.__table__.c.snapshot).where(Publication.__table__.c.id.in_(ids))
        )
    ] if ids else []  # fmt: skip
    raw = sqlite3.connect(":memory:")
    try:
        target = sa.create_engine("sqlite://", creator=lambda: raw, poolclass=sa.pool.StaticPool)
        wanted = [*record.shared_tables(), *record.record_tables()]
        SQLModel.metadata.create_all(target, tables=wanted)
        with target.begin() as out:
            for table in record.shared_tables():
                rows = [dict(r) for r in connection.execute(sa.select(table)).mappings()]
                _insert(out, table, rows)
            for table in record.record_tables():
                rows = [row for snap in snapshots for row in record.rows_of(snap, table)]
                _insert(out, table, rows)
        image = raw.serialize()
    finally:
        raw.close()
    return Replica(ids, image, _engine(image))


def _insert(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """Insert rows, grouped by the columns they carry (older snapshots lack newer columns)."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for group in groups.values():
        connection.execute(table.insert(), group)


class ReplicaCache:
    """The most recently used replicas, by (publication ids, shared stamp); thread-safe."""

    def __init__(self, size: int = 8):
        self.size = size
        self._entries: OrderedDict[tuple, Replica] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, publication_ids: Sequence[int]) -> Replica:
        """The replica of these publications, built on first use (then 0 queries but the
        stamp's one)."""
        key = (tuple(sorted(publication_ids)), shared_stamp(session))
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        replica = build(session, publication_ids)
        with self._lock:
            self._entries[key] = replica
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return replica
