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

import functools
import itertools
import sqlite3
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from tracker.codes import ChangeAction
from tracker.models import ChangeRecord, Publication
from tracker.read import loaders
from tracker.write import record


def shared_stamp(session: Session) -> str:
    """A string that changes whenever a shared table changes (1 query): counts, highest ids,
    version sums and latest ``updated_at`` of the checklist tables and any other shared table."""
    query = _stamp_query(len(SQLModel.metadata.tables))
    if query is None:
        return ""
    row = session.connection().execute(query).one()
    return "|".join("" if v is None else str(v) for v in row)


@functools.lru_cache(maxsize=4)
def _stamp_query(_tables: int) -> sa.Select | None:
    """The stamp's SELECT, built once per set of tables (it has a few dozen subqueries, and every
    request that reads the replica sends it)."""
    columns = []
    unowned = record.unowned_conditions()
    parts = [(t, None) for t in record.shared_tables()]
    parts += [(t, unowned[t.name]) for t in record.snapshot_tables() if t.name in unowned]
    for table, where in parts:

        def of(expression, where=where, table=table):
            query = sa.select(expression).select_from(table)
            return (query if where is None else query.where(where)).scalar_subquery()

        columns.append(of(sa.func.count()))
        if "id" in table.c:
            columns.append(of(sa.func.max(table.c.id)))
        for name, func in (("version", sa.func.sum), ("updated_at", sa.func.max)):
            if name in table.c:
                columns.append(of(func(table.c[name])))
        texts = [c for c in table.c if isinstance(c.type, sa.String | sa.Text)]
        if texts:  # translations have no version: their total length stands in
            total = sum((sa.func.coalesce(sa.func.length(c), 0) for c in texts), sa.literal(0))
            columns.append(of(sa.func.sum(total)))
    return sa.select(*columns) if columns else None


class _Store:
    """One in-memory SQLite database that every connection of this process opening its name
    shares (SQLite's memdb VFS): the threads of a worker read one copy of a replica, where each
    used to load its own (four threads and the serialized image made five copies, 1.16 GB per
    worker at a million coverage rows). The ``keeper`` connection keeps the database alive; it
    is freed when the keeper and the last reader are closed."""

    _names = itertools.count()

    def __init__(self) -> None:
        uri = f"file:/tracker-replica-{next(self._names)}?vfs=memdb"
        self._read_only = uri + "&mode=ro"
        self.keeper = sqlite3.connect(uri, uri=True, check_same_thread=False)
        # The readers' pool knows the name only (no reference back to the store), so the store
        # goes, and closes them, as soon as no replica refers to it.
        reader = functools.partial(_reader, self._read_only)
        self.engine = _make_engine(reader, sa.pool.QueuePool, pool_size=4, max_overflow=-1)
        weakref.finalize(self, _close, self.engine, self.keeper)

    def reader(self) -> sqlite3.Connection:
        """A read-only connection on the shared database (no copy of it)."""
        return _reader(self._read_only)

    def size(self) -> int:
        """Bytes held by the database."""
        pages = self.keeper.execute("PRAGMA page_count").fetchone()[0]
        return pages * self.keeper.execute("PRAGMA page_size").fetchone()[0]


def _reader(uri: str) -> sqlite3.Connection:
    connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
    connection.execute("PRAGMA query_only = ON")
    return connection


def _close(engine: sa.Engine, keeper: sqlite3.Connection) -> None:
    engine.dispose()
    keeper.close()


@dataclass(frozen=True)
class Replica:
    """The publications in force (``by_country``: country id -> publication id) and the shared
    tables, in a private database."""

    by_country: tuple[tuple[int, int], ...]  # sorted (country id, publication id) pairs
    store: _Store  # the private database
    engine: sa.Engine
    stamp: str = ""  # the shared tables' stamp it was built with
    # sorted (country id, checklist version id) pairs: the version each publication was made with
    checklists: tuple[tuple[int, int | None], ...] = ()
    size: int = 0  # bytes held by the private database

    @property
    def publication_ids(self) -> tuple[int, ...]:
        return tuple(sorted(pid for _c, pid in self.by_country))

    def session(self) -> Session:
        """A read-only session on the replica; the read layer finds each country's checklist
        version in its ``info`` (``loaders.COUNTRY_CHECKLISTS``), which also keeps the replica
        alive while the session is (its database goes when the replica does)."""
        return Session(
            self.engine, expire_on_commit=False,
            info={loaders.COUNTRY_CHECKLISTS: dict(self.checklists), _REPLICA: self},
        )  # fmt: skip


_REPLICA = "tracker.replica"


def _replica(
    by_country: tuple[tuple[int, int], ...], store: _Store, stamp: str,
    checklists: tuple[tuple[int, int | None], ...],
) -> Replica:
    """A replica on ``store``, whose database (and pooled readers) close when no replica refers
    to it any more: no cache, request or session."""
    return Replica(by_country, store, store.engine, stamp, checklists, store.size())


@functools.cache
def _home() -> sa.Engine:
    """The engine whose dialect every replica's engine shares (initialized by one connection),
    with one cache of compiled statements: a replica made after a publication runs the
    statements compiled for the one before it instead of compiling each again (34 statements,
    a fifth of a cold page at 200 countries, before)."""
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    with engine.connect():
        pass  # the dialect learns the SQLite version
    return engine


_COMPILED: sa.util.LRUCache = sa.util.LRUCache(2000)


def _make_engine(creator, pool_class, **pool_options) -> sa.Engine:
    """An engine on connections made by ``creator``, with the shared dialect and statement
    cache, and the dialect's own set-up of each connection (its SQL functions)."""
    home = _home()
    set_up = home.dialect.on_connect()

    def connect():
        connection = creator()
        if set_up is not None:
            set_up(connection)
        return connection

    return sa.engine.Engine(
        pool_class(connect, **pool_options), home.dialect, home.url,
        execution_options={"compiled_cache": _COMPILED},
    )  # fmt: skip


def _writer(raw: sqlite3.Connection) -> sa.Engine:
    """An engine writing into one private connection."""
    return _make_engine(lambda: raw, sa.pool.StaticPool)


def _pairs(in_force: Mapping[int, int] | Sequence[int]) -> tuple[tuple[int, int], ...]:
    """(country id, publication id) pairs; a bare list of publication ids (no country known)
    pairs each id with itself, which only a full build uses."""
    if isinstance(in_force, Mapping):
        return tuple(sorted(in_force.items()))
    return tuple(sorted((pid, pid) for pid in in_force))


def _snapshots(
    session: Session, ids: Sequence[int], checklists: dict[int, int | None]
) -> Iterator[dict]:
    """The frozen rows of these publications, one at a time as the database sends them (1
    query; none without ids), noting in ``checklists`` the checklist version each was made with
    by country. Streamed: at a million coverage rows, decoding every snapshot before writing any
    held 600 MB of Python objects at once, which the process kept afterwards."""
    if not ids:
        return
    pub = Publication.__table__.c
    query = (
        sa.select(pub.snapshot, pub.country_id, pub.checklist_id)
        .where(pub.id.in_(list(ids)))
        .order_by(pub.id)
    )
    # yield_per: a server-side cursor on PostgreSQL; SQLite steps its statement as rows are read.
    for row in session.connection().execute(query.execution_options(yield_per=_BATCH)):
        checklists[row.country_id] = row.checklist_id
        yield row.snapshot


_BATCH = 16  # snapshots decoded and written together


def build(
    session: Session, in_force: Mapping[int, int] | Sequence[int], templates: list | None = None
) -> Replica:
    """A replica of the given publications, by country (1 query for the snapshots, 1 per
    shared table); ``templates`` receives a replica of none of them on the same shared tables
    (``from_template``), copied on the way."""
    pairs = _pairs(in_force)
    checklists: dict[int, int | None] = {}
    snapshots = _snapshots(session, [pid for _c, pid in pairs], checklists)
    return from_snapshots(session, snapshots, pairs, checklists=checklists, templates=templates)


def from_snapshots(
    session: Session, snapshots: Iterable[dict], by_country: tuple[tuple[int, int], ...] = (),
    stamp: str = "", checklists: Mapping[int, int | None] | None = None,
    templates: list | None = None,
) -> Replica:
    """A replica of snapshots given as data (1 query per shared table); ``checklists`` gives
    each country's checklist version (by default, the current one for every country), read
    once every snapshot is written (``build`` fills it as they arrive). ``templates``, when
    given, receives a copy made before any snapshot is written: a replica of no publication."""
    connection = session.connection()
    store = _Store()
    try:
        target = _writer(store.keeper)
        # Every table exists, the private ones empty: a read query that also looks at history
        # (a country's last deletion) works, and finds nothing a publication did not freeze.
        SQLModel.metadata.create_all(target)
        with target.begin() as out:
            for table in record.shared_tables():
                rows = [dict(r) for r in connection.execute(sa.select(table)).mappings()]
                _insert(out, table, rows)
            # Rows that belong to no country (the project's own timeline) are read as they are.
            unowned = record.unowned_conditions()
            for table in record.snapshot_tables():
                if table.name in unowned:
                    query = sa.select(table).where(unowned[table.name])
                    _insert(out, table, [dict(r) for r in connection.execute(query).mappings()])
        if templates is not None:
            template = _Store()
            store.keeper.backup(template.keeper)
            templates.append(_replica((), template, stamp, ()))
        with target.begin() as out:
            _load_snapshots(out, snapshots)
    except BaseException:
        store.keeper.close()
        raise
    return _replica(by_country, store, stamp, tuple(sorted((checklists or {}).items())))


def update(session: Session, base: Replica, in_force: Mapping[int, int]) -> Replica:
    """``base`` brought to the publications ``in_force``, rewriting only the countries whose
    publication differs (1 query for their snapshots; the shared tables are those of ``base``,
    which the caller checked have not changed)."""
    pairs = _pairs(in_force)
    old, new = dict(base.by_country), dict(pairs)
    changed = sorted(c for c in old.keys() | new.keys() if old.get(c) != new.get(c))
    fresh: dict[int, int | None] = {}
    snapshots = _snapshots(session, [new[c] for c in changed if c in new], fresh)
    store = _Store()
    try:
        with closing(base.store.reader()) as source:
            source.backup(store.keeper)
        target = _writer(store.keeper)
        with target.begin() as out:
            for country_id in changed:
                for delete in _deletes(len(SQLModel.metadata.tables)):
                    out.execute(delete, {"country_id": country_id})
            history = ChangeRecord.__table__
            out.execute(history.delete().where(history.c.country_id.in_(changed)))
            _load_snapshots(out, snapshots)
    except BaseException:
        store.keeper.close()
        raise
    checklists = {c: v for c, v in base.checklists if c in new and c not in fresh}
    checklists.update(fresh)
    return _replica(pairs, store, base.stamp, tuple(sorted(checklists.items())))


def from_template(session: Session, template: Replica, in_force: Mapping[int, int]) -> Replica:
    """A replica of these publications on a copy of ``template``, a replica of no publication
    with the same shared tables (1 query for the snapshots)."""
    pairs = _pairs(in_force)
    checklists: dict[int, int | None] = {}
    snapshots = _snapshots(session, [pid for _c, pid in pairs], checklists)
    store = _Store()
    try:
        with closing(template.store.reader()) as source:
            source.backup(store.keeper)
        with _writer(store.keeper).begin() as out:
            _load_snapshots(out, snapshots)
    except BaseException:
        store.keeper.close()
        raise
    return _replica(pairs, store, template.stamp, tuple(sorted(checklists.items())))


@functools.lru_cache(maxsize=4)
def _deletes(_tables: int) -> tuple[sa.Delete, ...]:
    """The statements removing one country's rows (``country_id``), children before their
    parents, built once per set of tables."""
    where = record.conditions(sa.bindparam("country_id"))
    return tuple(table.delete().where(where[table.name])
                 for table in reversed(record.snapshot_tables()))  # fmt: skip


def _load_snapshots(out: sa.Connection, snapshots: Iterable[dict]) -> None:
    """Insert the snapshots' rows, a few snapshots at a time, and for each one that lost a row
    before it was published, a bare deletion in history (no person, no values) at that date:
    the read layer then finds the record's "last update" as it finds a live record's."""
    rest = iter(snapshots)
    batch = list(itertools.islice(rest, _BATCH))
    while batch:
        for table in record.snapshot_tables():
            rows = [row for snap in batch for row in record.rows_of(snap, table)]
            _insert(out, table, rows)
        deletions = [
            {"at": _aware(datetime.fromisoformat(snap["deleted_at"])), "actor": "",
             "entity": "record", "action": ChangeAction.DELETE, "entity_id": snap["country_id"],
             "country_id": snap["country_id"], "summary": ""}
            for snap in batch if snap.get("deleted_at")
        ]  # fmt: skip
        if deletions:
            out.execute(ChangeRecord.__table__.insert(), deletions)
        batch = list(itertools.islice(rest, _BATCH))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _insert(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """Insert rows, grouped by the columns they carry (older snapshots lack newer columns)."""
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for group in groups.values():
        connection.execute(table.insert(), group)


SOME = 4  # replicas of a few publications kept (``ReplicaCache.some``)


class ReplicaCache:
    """The most recently used replicas, keyed by the publications in force and the stamp of the
    shared tables, both read from the database: an instance that serves a replica built before
    another instance published builds (or updates) its own at its next request. Thread-safe."""

    def __init__(self, size: int = 8, budget: int = 768 * 2**20):
        self.size = size
        # Bytes the kept replicas may hold together (the most recent is always kept): at a
        # million coverage rows a replica holds about 175 MB, and eight would hold 1.4 GB.
        self.budget = budget
        self._entries: OrderedDict[tuple, Replica] = OrderedDict()
        self._lock = threading.Lock()
        # One lock per replica being made: a thread that needs a replica another thread is
        # making waits for it instead of making its own (at a million rows a build costs
        # seconds and hundreds of MB; the threads of a worker would each pay it).
        self._making: dict[tuple, threading.Lock] = {}
        self._templates: dict[str, Replica] = {}  # a replica of no publication, by stamp
        self._some: OrderedDict[tuple, Replica] = OrderedDict()  # ``some``'s, by key

    def get(
        self, session: Session, in_force: Mapping[int, int] | Sequence[int],
        stamp: str | None = None,
    ) -> Replica:  # fmt: skip
        """The replica of these publications (country id -> publication id): found (the
        stamp's query only, none when ``stamp`` is given), updated from the latest replica with
        the same shared tables when only some countries' publications differ (+1 query), or
        built (+1 and 1 per shared table)."""
        pairs = _pairs(in_force)
        stamp = shared_stamp(session) if stamp is None else stamp
        key = (pairs, stamp)
        with self._lock:
            found = self._found(key)
            if found is not None:
                return found
            making = self._making.setdefault(key, threading.Lock())
        with making:
            with self._lock:
                found = self._found(key)  # made by another thread while this one waited
                if found is not None:
                    return found
                base = next(
                    (r for (p, st), r in reversed(self._entries.items()) if st == stamp), None
                )
            try:
                if (base is not None and isinstance(in_force, Mapping)
                        and _few(base.by_country, pairs)):  # fmt: skip
                    replica = update(session, base, dict(pairs))
                else:
                    made: list[Replica] = []
                    replica = replace(build(session, in_force, made), stamp=stamp)
                    with self._lock:  # the shared tables of one stamp at a time
                        self._templates = {stamp: replace(made[0], stamp=stamp)}
                with self._lock:
                    self._entries[key] = replica
                    while len(self._entries) > 1 and (
                        len(self._entries) > self.size
                        or sum(r.size for r in self._entries.values()) > self.budget
                    ):
                        self._entries.popitem(last=False)
            finally:
                with self._lock:
                    self._making.pop(key, None)
        return replica

    def __len__(self) -> int:
        """Replicas kept."""
        return len(self._entries)

    def kept(self, in_force: Mapping[int, int], stamp: str) -> Replica | None:
        """The replica of these publications if this cache keeps it (no query)."""
        with self._lock:
            return self._found((_pairs(in_force), stamp))

    def some(self, session: Session, in_force: Mapping[int, int], stamp: str) -> Replica:
        """A replica of these publications alone, for reading the few countries whose
        publication changed (1 query for their snapshots): the shared tables come from a replica
        of no publication made once per stamp and copied (1 query per shared table, once), so
        the replica of every publication is neither copied nor rewritten (at a million coverage
        rows it holds 175 MB). The last ``SOME`` are kept."""
        pairs = _pairs(in_force)
        with self._lock:
            found = self._some.get((pairs, stamp))
            if found is not None:
                self._some.move_to_end((pairs, stamp))
                return found
            template = self._templates.get(stamp)
        if template is None:
            template = replace(build(session, {}), stamp=stamp)
            with self._lock:
                self._templates = {stamp: template}
        made = from_template(session, template, dict(pairs))
        with self._lock:
            self._some[(pairs, stamp)] = made
            while len(self._some) > SOME:
                self._some.popitem(last=False)
        return made

    def _found(self, key: tuple) -> Replica | None:
        """The kept replica under ``key`` (the caller holds the lock)."""
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found


def _few(old: tuple[tuple[int, int], ...], new: tuple[tuple[int, int], ...]) -> bool:
    """Whether updating is worth it: at most half of the countries change publication (or one)."""
    before, after = dict(old), dict(new)
    changed = sum(1 for c in before.keys() | after.keys() if before.get(c) != after.get(c))
    return changed <= max(len(after) // 2, 1)
