"""Conditional GET for the public pages: an ETag derived from the data, and 304 on a match.

The ETag hashes:
- the **data version**: one query returning, for every table a public page reads, its row count
  and highest id, plus the latest ``updated_at`` and the sum of ``version`` counters where the
  table has them (a content checksum where it has no version), and the highest change record id. Counts and ids catch deletes and inserts
  (a delete does not bump any ``updated_at``); ``updated_at``/``version`` catch edits; child rows
  without either (translated titles, coverage links) are edited through their parent record,
  which the one write path (``tracker.write.changes``) bumps, and also carry a content checksum for
  edits made outside it (``content_checksum``);
- the request path with its query string (which includes the language prefix) and the language;
- today's date (a milestone becomes overdue when its date passes, without any data change);
- a fingerprint of the templates, static files and compiled catalogs (a deployment changes pages);
- the session cookie, if any, so staff pages with their own navigation never share a tag with
  anonymous readers (anonymous readers have no session cookie and share one tag).

Usage: decorate a view with ``@conditional``. The data version is computed before the view runs,
so a 304 costs one query and no rendering.
"""

import functools
import hashlib
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, make_response, request

from tracker import db
from tracker.i18n import current_lang
from tracker.models import (
    Category,
    CategoryName,
    ChangeRecord,
    ChecklistVersion,
    Country,
    Coverage,
    CoverageLink,
    Instrument,
    InstrumentRelation,
    InstrumentTitle,
    Milestone,
    Provision,
    ProvisionText,
)

# Everything a public page may show. User accounts are deliberately absent.
TABLES = (
    ChecklistVersion,
    Category,
    CategoryName,
    Provision,
    ProvisionText,
    Country,
    Instrument,
    InstrumentTitle,
    InstrumentRelation,
    Coverage,
    CoverageLink,
    Milestone,
    ChangeRecord,
)

CACHE_CONTROL = "no-cache"  # caches may store the page but must revalidate (cheap with the ETag)


def data_version_query() -> sa.Select:
    """One SELECT of scalar subqueries: count and max(id), max(updated_at), sum(version)."""
    columns = []
    for model in TABLES:
        table = model.__table__
        columns.append(sa.select(sa.func.count()).select_from(table).scalar_subquery())
        columns.append(sa.select(sa.func.max(table.c.id)).scalar_subquery())
        if "updated_at" in table.c:
            columns.append(sa.select(sa.func.max(table.c.updated_at)).scalar_subquery())
        if "version" in table.c:
            columns.append(sa.select(sa.func.sum(table.c.version)).scalar_subquery())
        elif model is not ChangeRecord:  # append-only: its count and highest id suffice
            columns.append(content_checksum(table))
    return sa.select(*columns)


def content_checksum(table: sa.Table) -> sa.ScalarSelect:
    """A cheap checksum of a table without a version counter (translations, relations, links).

    Such rows are normally changed together with a versioned parent, but not always (a link's
    extent edited in place by ``flask demo load``, a row deleted and another inserted under the
    same id). Each row contributes its id times the sum of its integer values and of the lengths
    of its other values, so an edit of a reference, an extent or a text's length changes the tag.
    """
    terms = []
    for column in table.c:
        if column.name == "id":
            continue
        if isinstance(column.type, sa.Integer) and not isinstance(column.type, sa.Boolean):
            value = column
        else:
            value = sa.func.length(sa.cast(column, sa.String))
        terms.append(sa.cast(sa.func.coalesce(value, -1), sa.BigInteger))
    row_sum = functools.reduce(lambda a, b: a + b, terms)
    return sa.select(sa.func.sum(sa.cast(table.c.id, sa.BigInteger) * row_sum)).scalar_subquery()


def data_version(session) -> str:
    """A string that changes whenever anything a public page shows changes (1 query)."""
    row = session.execute(data_version_query()).one()
    return "|".join("" if value is None else str(value) for value in row)


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


def page_etag(today: date | None = None) -> str:
    """The ETag of the current request's page."""
    session_cookie = request.cookies.get(current_app.config.get("SESSION_COOKIE_NAME", "session"))
    parts = (
        data_version(db.get_session()),
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
        etag = page_etag()
        if request.if_none_match.contains_weak(etag):
            response = current_app.response_class(status=304)
        else:
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200:
                return response
        response.set_etag(etag, weak=True)
        response.headers["Cache-Control"] = CACHE_CONTROL
        response.vary.add("Cookie")
        return response

    return wrapper
