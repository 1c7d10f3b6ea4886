"""Whole public answers kept in each process, and served while the data version has not moved.

A public page changes only when the data does (``tracker.models.DataVersion``, bumped by the write
layer in the same transaction as every change), when the day changes (a planned date becomes
overdue) or when the code is deployed (a new process). So an anonymous ``GET`` of a page that
``tracker.web.caching.conditional`` tagged can be answered from memory after one primary-key read
of the data version, before Flask builds a request: no rendering, no read model.

Why this is safe with several instances behind a load balancer: nothing decides freshness in the
process. Every request reads the version from the database, and an entry is found only under the
version it was rendered at, so a change committed by any instance is served by every instance on
its next request. An entry rendered while a change was being committed is stored under the older
version it read first, which no later request asks for.

What is never kept: anything but a 200 the view marked as a public page; a request carrying the
session cookie (staff see their own navigation); an answer that sets any cookie but the reader's
language, is ``no-store`` or streamed/large. The key holds everything such an answer varies on: host
and scheme (absolute links), path and query string (language, ``as_of``), ``Accept-Encoding`` (the
compressed body), the language cookie sent (whether the answer sets it again), the day.
"""

import threading
import weakref
from collections import OrderedDict
from datetime import date

import sqlalchemy as sa
from werkzeug.http import parse_cookie, parse_etags, unquote_etag

from tracker.i18n import LANG_COOKIE
from tracker.models import DataVersion

MARK = "tracker.page_cache.version"  # set by ``conditional`` on a cacheable public answer
# The data version read before the app was called, left in the environ for the app: what an
# answer that is not kept reads from the database may be kept under it
# (``tracker.web.published.AtVersion``).
VERSION_READ = "tracker.page_cache.version_read"
# The one read of the data version (a primary-key lookup), shared with ``tracker.web.caching``.
VERSION_QUERY = sa.select(DataVersion.value).where(DataVersion.id == 1)
# The same read as the middleware sends it: plain SQL on a pooled driver connection, which costs a
# tenth of an SQLAlchemy connection and execution (measured in process: 75 us against 690 us).
VERSION_SQL = "SELECT value FROM data_version WHERE id = 1"
_NOT_IN_304 = frozenset({"content-length", "content-type", "content-encoding"})


class PageCache:
    """WSGI middleware around the Flask app (``create_app`` installs it)."""

    def __init__(self, flask_app, wsgi_app, max_entries: int = 512, max_bytes: int = 64 << 20,
                 max_entry_bytes: int = 2 << 20):
        self.flask_app = flask_app
        self.wsgi_app = wsgi_app
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self._entries: OrderedDict[tuple, tuple[str, list, bytes]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._versions = VersionReader()

    # --- the version ---------------------------------------------------------------------------

    def _version(self) -> int | None:
        engine = self.flask_app.extensions.get("engine")
        return None if engine is None else self._versions.read(engine)

    # --- the cache -----------------------------------------------------------------------------

    def _key(self, environ, version) -> tuple:
        return (
            version,
            date.today().toordinal(),
            environ.get("wsgi.url_scheme", ""),
            environ.get("HTTP_HOST", ""),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_ACCEPT_ENCODING", ""),
            # The language cookie decides whether the answer sets it again (nothing else does).
            parse_cookie(environ.get("HTTP_COOKIE", "")).get(LANG_COOKIE, "")
            if environ.get("HTTP_COOKIE")
            else "",
        )

    def _get(self, key):
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def _put(self, key, entry) -> None:
        size = len(entry[2])
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = entry
            self._size += size
            while self._entries and (
                len(self._entries) > self.max_entries or self._size > self.max_bytes
            ):
                _, old = self._entries.popitem(last=False)
                self._size -= len(old[2])

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0

    def __len__(self) -> int:
        return len(self._entries)

    # --- WSGI ----------------------------------------------------------------------------------

    def _eligible(self, environ) -> bool:
        if environ.get("REQUEST_METHOD") != "GET":
            return False
        if environ.get("PATH_INFO", "").startswith("/static/"):
            return False
        cookie_name = self.flask_app.config.get("SESSION_COOKIE_NAME", "session")
        cookies = environ.get("HTTP_COOKIE", "")
        return not (cookies and f"{cookie_name}=" in cookies)

    def __call__(self, environ, start_response):
        if not self._eligible(environ):
            return self.wsgi_app(environ, start_response)
        version = self._version()
        if version is None:
            return self.wsgi_app(environ, start_response)
        environ[VERSION_READ] = version
        entry = self._get(self._key(environ, version))
        if entry is not None:
            return self._serve(environ, start_response, entry)
        return self._fill(environ, start_response)

    def _serve(self, environ, start_response, entry):
        status, headers, body = entry
        etag = next((v for k, v in headers if k.lower() == "etag"), None)
        wanted = environ.get("HTTP_IF_NONE_MATCH")
        if etag and wanted and parse_etags(wanted).contains_weak(unquote_etag(etag)[0]):
            start_response("304 NOT MODIFIED",
                           [(k, v) for k, v in headers if k.lower() not in _NOT_IN_304])
            return [b""]
        start_response(status, list(headers))
        return [body]

    def _fill(self, environ, start_response):
        """Let the app answer; keep the answer if it may be kept, then serve it from the entry.

        A conditional request (``If-None-Match``) is passed on without its condition, so the page
        is rendered and kept once and the condition answered from the entry: every later 304
        costs no more than a kept page."""
        inner = environ
        if "HTTP_IF_NONE_MATCH" in environ:
            inner = {k: v for k, v in environ.items() if k != "HTTP_IF_NONE_MATCH"}
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured.update(status=status, headers=headers, exc_info=exc_info)
            return _no_write

        app_iter = self.wsgi_app(inner, capture)
        version = inner.get(MARK)
        headers = captured.get("headers") or []
        names = {k.lower(): v for k, v in headers}
        cookies = [v for k, v in headers if k.lower() == "set-cookie"]
        if (
            version is None
            or not captured.get("status", "").startswith("200")
            or any(not cookie.startswith(f"{LANG_COOKIE}=") for cookie in cookies)
            or "no-store" in names.get("cache-control", "")
            or int(names.get("content-length") or self.max_entry_bytes + 1) > self.max_entry_bytes
        ):
            start_response(captured["status"], headers, captured.get("exc_info"))
            return app_iter
        try:
            body = b"".join(app_iter)
        finally:
            if hasattr(app_iter, "close"):
                app_iter.close()
        entry = (captured["status"], list(headers), body)
        self._put(self._key(environ, version), entry)
        return self._serve(environ, start_response, entry)


class VersionReader:
    """Reads the data version with plain SQL on each serving thread's own driver connection, in
    autocommit mode: no transaction stays open, so every read sees the latest commit of any
    instance.

    Checking a connection out of the app's pool and resetting it on return cost five times the
    read itself on SQLite (50 us against 10 us, measured in process), a third of what serving a
    kept page costs; on PostgreSQL the pool's ping also doubled the round trips. A connection
    that fails (closed by the server, a restart) is replaced at once; when a new one fails too,
    the app answers the request itself (a 503 when the database is down). Each serving thread
    holds one connection
    (gunicorn's threads live as long as their worker); disposing of the engine closes them all,
    as it closes the pool's. An in-memory SQLite database, which a second connection would not
    see, is read through the pool."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[tuple[sa.Engine, object]] = []  # every thread's (engine, connection)
        self._watched: weakref.WeakSet[sa.Engine] = weakref.WeakSet()

    def read(self, engine: sa.Engine) -> int | None:
        kept = self._local.__dict__
        if kept.get("engine") is engine:  # the common case: this thread's connection
            try:
                return _query(kept["conn"])
            except kept["errors"]:
                pass  # closed or broken: a new one below
        errors = (engine.dialect.loaded_dbapi.Error, sa.exc.SQLAlchemyError, OSError)
        if _in_memory(engine.url):
            return _pooled_version(engine, errors)
        self._drop()
        try:
            self._connect(engine, errors)
            return _query(kept["conn"])
        except errors:
            self._drop()
            return None

    def _connect(self, engine: sa.Engine, errors: tuple) -> None:
        args, options = engine.dialect.create_connect_args(engine.url)
        if engine.url.get_backend_name() == "sqlite":
            options = {**options, "check_same_thread": False}  # disposing closes it elsewhere
        conn = engine.dialect.connect(*args, **options)
        try:
            engine.dialect.set_isolation_level(conn, "AUTOCOMMIT")
        except BaseException:
            conn.close()
            raise
        with self._lock:
            self._open.append((engine, conn))
            if engine not in self._watched:
                self._watched.add(engine)
                sa.event.listen(engine, "engine_disposed", self.close)
        self._local.conn, self._local.engine, self._local.errors = conn, engine, errors

    def _drop(self) -> None:
        """Close this thread's connection, if it has one."""
        kept = self._local.__dict__
        conn = kept.pop("conn", None)
        kept.pop("engine", None)
        if conn is not None:
            with self._lock:
                self._open = [(e, c) for e, c in self._open if c is not conn]
            _close_quietly(conn)

    def close(self, engine: sa.Engine | None = None) -> None:
        """Close every thread's connection (to ``engine``, or to any); each thread opens a new
        one at its next read."""
        with self._lock:
            closing = [c for e, c in self._open if engine is None or e is engine]
            self._open = [(e, c) for e, c in self._open if not (engine is None or e is engine)]
        for conn in closing:
            _close_quietly(conn)


def _query(conn) -> int | None:
    cursor = conn.cursor()
    try:
        cursor.execute(VERSION_SQL)
        row = cursor.fetchone()
    finally:
        cursor.close()
    return row[0] if row else None


def _pooled_version(engine: sa.Engine, errors: tuple) -> int | None:
    """The data version read through a connection of the engine's pool."""
    try:
        conn = engine.raw_connection()
        try:
            return _query(conn)
        finally:
            conn.close()
    except errors:
        return None


def _close_quietly(conn) -> None:
    try:
        conn.close()
    except Exception:  # noqa: BLE001 - a broken connection may fail to close: it is gone anyway
        pass


def _in_memory(url: sa.URL) -> bool:
    return url.get_backend_name() == "sqlite" and (
        url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"
    )


def _no_write(data: bytes) -> None:
    raise RuntimeError("the page cache does not support the WSGI write() callable")
