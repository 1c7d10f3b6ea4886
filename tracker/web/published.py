"""What the public reads: each country's latest publication, never the working copy (issue 12).

``session()`` is a read-only session on a replica (``tracker.write.replica``) holding the
publications in force and the checklist: the public pages, every export and the API hand it to
the same read functions that staff pages use on the live record, so a publication renders
exactly as the live record would have. Replicas are kept per app, keyed by the publications
they hold, so a warm page costs two queries on the main database (which publications, and a
stamp of the checklist tables) and none to build.
"""

from flask import current_app, g
from sqlmodel import Session

from tracker import db
from tracker.read import loaders, publications
from tracker.write.replica import Replica, ReplicaCache

_EXTENSION = "tracker.replicas"


def _cache() -> ReplicaCache:
    cache = current_app.extensions.get(_EXTENSION)
    if cache is None:
        cache = current_app.extensions.setdefault(_EXTENSION, ReplicaCache())
    return cache


def in_force() -> dict[int, publications.PublicationInfo]:
    """The publications in force now, by country id (1 query, once per request)."""
    if "published_in_force" not in g:
        g.published_in_force = publications.in_force(db.get_session())
    return g.published_in_force


def replica() -> Replica:
    """The replica of the publications in force (built on first use, then kept)."""
    if "published_replica" not in g:
        found = in_force()
        g.published_replica = _cache().get(
            db.get_session(), {country_id: p.id for country_id, p in found.items()}
        )
    return g.published_replica


def session() -> Session:
    """The request's read-only session on the publications in force (closed at teardown)."""
    if "published_session" not in g:
        g.published_session = replica().session()
    return g.published_session


def standalone_session() -> Session:
    """A session of its own on the same replica, for a streamed export (STYLE.md G10.b)."""
    return replica().session()


def unpublished(locale: str) -> list[loaders.CountryRef]:
    """Countries with no publication yet, by name (1 query)."""
    found = in_force()
    refs = [ref for ref, _c in loaders.load_countries(db.get_session(), locale)
            if ref.id not in found]  # fmt: skip
    return sorted(refs, key=lambda r: r.name)


def close(_exc=None) -> None:
    found = g.pop("published_session", None)
    if found is not None:
        found.close()


def init_app(app) -> None:
    app.teardown_appcontext(close)
