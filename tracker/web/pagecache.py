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
from collections import OrderedDict
from datetime import date

import sqlalchemy as sa
from werkzeug.http import parse_cookie, parse_etags, unquote_etag

from tracker.i18n import LANG_COOKIE
from tracker.models import DataVersion

MARK = "tracker.page_cache.version"  # set by ``conditional`` on a cacheable public answer
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

    # --- the version ---------------------------------------------------------------------------

    def _version(self) -> int | None:
        """The data version, read with plain SQL on a driver connection from the app's pool
        (returned at once: the pool rolls it back, so no transaction stays open, and disposing
        of the engine closes it like any other)."""
        engine = self.flask_app.extensions.get("engine")
        if engine is None:
            return None
        errors = (engine.dialect.loaded_dbapi.Error, sa.exc.SQLAlchemyError, OSError)
        try:
            conn = engine.raw_connection()
            try:
                cursor = conn.cursor()
                try:
                    cursor.execute(VERSION_SQL)
                    row = cursor.fetchone()
                finally:
                    cursor.close()
            finally:
                conn.close()
        except errors:
            return None  # the app itself answers (a 503 when the database is down)
        return row[0] if row else None

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


def _no_write(data: bytes) -> None:
    raise RuntimeError("the page cache does not support the WSGI write() callable")
