"""Database engine, request-scoped sessions and the constraint naming convention.

The naming convention is set on ``SQLModel.metadata`` here, before any table class exists, so every
constraint gets a stable name that Alembic can drop on SQLite and PostgreSQL alike.
"""

import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, request
from sqlmodel import Session, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 5000


def make_engine(url: str, **kwargs) -> sa.Engine:
    """Create an engine; SQLite gets foreign keys, WAL, a busy timeout and explicit transactions."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        _configure_sqlite(engine)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True, **kwargs)
    return engine


def _configure_sqlite(engine: sa.Engine) -> None:
    # SQLAlchemy's documented recipe: turn off pysqlite's own transaction handling (its legacy
    # default changes in Python 3.16) and emit BEGIN ourselves, so pragmas run outside a transaction.
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A request that may write takes the write lock up front (BEGIN IMMEDIATE): otherwise a
        # read transaction that later writes fails at once with "database is locked" when another
        # writer committed in between, and no busy timeout helps (STYLE.md, G2).
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _request_may_write() else "BEGIN")


def _request_may_write() -> bool:
    if not has_request_context() or request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    view = current_app.view_functions.get(request.endpoint)
    return not getattr(view, "reads_only", False)


def reads_only(view):
    """Mark a view whose POST writes nothing (the import's dry run): on SQLite its transaction
    is a plain ``BEGIN``, so reading a large file never holds the write lock that other
    people's saves wait for."""
    view.reads_only = True
    return view


def init_app(app: Flask) -> None:
    """Create the app's engine and close the request session at teardown."""
    app.extensions["engine"] = make_engine(app.config["DATABASE_URL"])
    ENGINES.add(app.extensions["engine"])
    app.teardown_appcontext(close_session)


# Every engine an app made in this process: the test suite disposes of the ones a test created, so
# no pooled connection outlives its test (PostgreSQL would keep the test's database open).
ENGINES: "weakref.WeakSet[sa.Engine]" = weakref.WeakSet()


def get_engine() -> sa.Engine:
    return current_app.extensions["engine"]


def get_session() -> Session:
    """The request's session, created on first use (flaskr's ``get_db`` shape)."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def standalone_session() -> Iterator[Session]:
    """A session independent of the request, for streamed responses and CLI commands."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


# Errors that mean "the database cannot be reached or cannot write right now", as opposed to a
# mistake in a query. SQLite: the primary result codes BUSY, LOCKED, NOMEM, READONLY, IOERR,
# FULL, CANTOPEN and PROTOCOL (a read-only file, a full disk, a held lock, a missing directory).
SQLITE_UNAVAILABLE_CODES = frozenset({5, 6, 7, 8, 10, 13, 14, 15})
# PostgreSQL SQLSTATE classes: 08 connection exception, 40 transaction rollback (serialization
# failure, deadlock: try again), 53 insufficient resources (disk full, too many connections),
# 57 operator intervention (shutdown, starting up), 58 system error (I/O); and 25006, a write in a
# read-only transaction (a standby, or default_transaction_read_only during maintenance).
POSTGRES_UNAVAILABLE_CLASSES = frozenset({"08", "40", "53", "57", "58"})
POSTGRES_UNAVAILABLE_STATES = frozenset({"25006"})


def is_unavailable(error: BaseException) -> bool:
    """True when ``error`` says the database is out of reach or cannot accept writes for now.

    Such a request deserves "503, try again later", not "500, something is broken": the
    condition is outside the app and passes by itself (the pool reconnects once the server is
    back; ``pool_pre_ping`` drops connections that died meanwhile).
    """
    if isinstance(error, sa.exc.TimeoutError):  # every pooled connection is busy
        return True
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    code = getattr(error.orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in SQLITE_UNAVAILABLE_CODES
    if isinstance(error, sa.exc.InterfaceError):  # the driver's connection is closed
        return True
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate is None:
        # No SQLSTATE: the server never answered (refused, reset, timed out).
        return isinstance(error, sa.exc.OperationalError)
    return sqlstate in POSTGRES_UNAVAILABLE_STATES or sqlstate[:2] in POSTGRES_UNAVAILABLE_CLASSES


def describe(error: BaseException) -> str:
    """One line naming a database error, for the log (no parameters, no traceback)."""
    orig = getattr(error, "orig", None) or error
    first_line = (str(orig).strip().splitlines() or [""])[0][:300]
    return f"{type(orig).__module__}.{type(orig).__name__}: {first_line}"


def ping() -> bool:
    """True when the database answers a trivial query."""
    try:
        with get_engine().connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        return False
