"""Conditional GET for the public pages: an ETag derived from the data, and 304 on a match.

The ETag hashes:
- the **data version**: the one row of ``data_version``, which ``tracker.write.transaction`` bumps
  in the same transaction as every change to a public table, so reading it is one primary-key
  lookup however large the data grows, and a change made on one instance is seen by every instance
  on its next request (nothing is held in a process);
- the request path with its query string (which includes the language prefix) and the language;
- today's date (a milestone becomes overdue when its date passes, without any data change);
- a fingerprint of the templates, static files and compiled catalogs (a deployment changes pages);
- the session cookie, if any, so staff pages with their own navigation never share a tag with
  anonymous readers (anonymous readers have no session cookie and share one tag).

Every write goes through ``tracker.write`` (``tests/test_architecture.py`` checks it), so the
version cannot miss a change made by the application. A change made by hand in the database
(``psql``) is not seen until the next change through the application, or until the version is
bumped by hand: ``UPDATE data_version SET value = value + 1``.

Usage: decorate a view with ``@conditional``. The data version is read before the view runs,
so a 304 costs one query and no rendering.
"""

import functools
import hashlib
from datetime import date
from pathlib import Path

from flask import current_app, make_response, request

from tracker import db
from tracker.i18n import current_lang
from tracker.web.pagecache import MARK, VERSION_QUERY

CACHE_CONTROL = "no-cache"  # caches may store the page but must revalidate (cheap with the ETag)

def data_version(session) -> int | None:
    """A number that grows whenever anything a public page shows changes (1 query)."""
    return session.execute(VERSION_QUERY).scalar()


def code_fingerprint() -> str:
    """Hash of templates, static files and compiled catalogs, computed once per app."""
    cached = current_app.extensions.get("tracker_code_fingerprint")
    if cached:
        return cached
    digest = hashlib.sha256()
    roots = [Path(current_app.root_path) / "templates", Path(current_app.static_folder or "")]
    for directory in current_app.config.get("BABEL_TRANSLATION_DIRECTORIES", "").split(";"):
        if directory:
            roots.append(Path(directory))
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in (".html", ".css", ".js", ".svg", ".mo"):
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    value = digest.hexdigest()[:16]
    current_app.extensions["tracker_code_fingerprint"] = value
    return value


def page_etag(today: date | None = None, version: int | None = None) -> str:
    """The ETag of the current request's page (at ``version`` of the data, else the current one)."""
    session_cookie = request.cookies.get(current_app.config.get("SESSION_COOKIE_NAME", "session"))
    if version is None:
        version = data_version(db.get_session())
    parts = (
        str(version),
        request.full_path,
        current_lang(),
        (today or date.today()).isoformat(),
        code_fingerprint(),
        session_cookie or "",
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def conditional(view):
    """Answer 304 when the reader's copy is current; tag fresh 200 responses with the ETag."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(*args, **kwargs)
        version = data_version(db.get_session())
        etag = page_etag(version=version)
        if request.if_none_match.contains_weak(etag):
            response = current_app.response_class(status=304)
        else:
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200:
                return response
            if version is not None and not response.is_streamed:
                # ``tracker.web.pagecache`` may keep this answer under the version it was made at.
                request.environ[MARK] = version
        response.set_etag(etag, weak=True)
        response.headers["Cache-Control"] = CACHE_CONTROL
        response.vary.add("Cookie")
        return response

    return wrapper
