"""What the public reads: each country's latest publication, never the working copy (issue 12).

``session()`` is a read-only session on a replica (``tracker.write.replica``) holding the
publications in force and the checklist: the public pages, every export and the API hand it to
the same read functions that staff pages use on the live record, so a publication renders
exactly as the live record would have. Replicas are kept per app, keyed by the publications
they hold, so a warm page costs two queries on the main database (which publications, and a
stamp of the checklist tables) and none to build.

``?as_of=YYYY-MM-DD`` on the overview, the country page, the CSV exports, the data package and
the API (``AS_OF_ENDPOINTS``) serves instead the publications in force at the end of that day,
in UTC; a later day than today serves today's. Links from such a page to those endpoints keep
the date (``url_defaults``).
"""

import functools
import re
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import current_app, g, request, url_for
from sqlmodel import Session

from tracker import db, write
from tracker.i18n import DEFAULT_LOCALE, _
from tracker.read import figures, loaders, pages, publications, stored
from tracker.web import pagecache
from tracker.web.errors import abort_with
from tracker.write import review as review_write
from tracker.write.replica import Replica, ReplicaCache, shared_stamp

_EXTENSION = "tracker.replicas"
_KEPT = "tracker.published_objects"
_AT_VERSION = "tracker.published_at_version"
# The endpoints that take ``?as_of=``; others ignore it.
AS_OF_ENDPOINTS = frozenset(
    {
        "public.index",
        "public.country",
        "exports.export_csv",
        "exports.datapackage_json",
        "api.countries",
        "api.country",
    }
)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class AsOf:
    """The day a reader asked for, and the day served: the same, or today for a later day."""

    asked: date
    day: date

    @property
    def future(self) -> bool:
        return self.asked > self.day


def parse_as_of(raw: str | None, today: date | None = None) -> AsOf | None:
    """``?as_of=`` as a day (None when absent or empty); a 400 with a message for anything that
    is not a date written YYYY-MM-DD, or not a day of the calendar."""
    if raw is None or raw == "":
        return None
    shown = raw if len(raw) <= 20 else raw[:20] + "…"
    if not _DATE.fullmatch(raw):
        abort_with(400, _("as_of takes a date written YYYY-MM-DD, for example 2025-06-30: "
                          "“%(value)s” is not one.", value=shown))  # fmt: skip
    try:
        asked = date.fromisoformat(raw)
    except ValueError:
        abort_with(400, _("as_of: %(value)s is not a day of the calendar (check the month and "
                          "the day).", value=raw))  # fmt: skip
    today = today or datetime.now(UTC).date()
    return AsOf(asked, min(asked, today))


def as_of() -> AsOf | None:
    """The request's ``?as_of=`` on the endpoints that take it (parsed once)."""
    if "published_as_of" not in g:
        raw = request.args.get("as_of") if request.endpoint in AS_OF_ENDPOINTS else None
        g.published_as_of = parse_as_of(raw)
    return g.published_as_of


def as_of_day() -> date | None:
    """The day served with ``?as_of=`` (None: the latest publications)."""
    found = as_of()
    return found.day if found is not None else None


def current_record_url() -> str:
    """This page without ``as_of``: the current record."""
    args = {k: v for k, v in request.args.items(multi=False) if k != "as_of"}
    return url_for(request.endpoint, **{**(request.view_args or {}), **args, "as_of": None})


def url_defaults(endpoint: str, values: dict) -> None:
    """Links from a page served ``as_of`` a day to the endpoints that take it keep the day."""
    found = g.get("published_as_of") if g else None
    if found is not None and endpoint in AS_OF_ENDPOINTS and "as_of" not in values:
        values["as_of"] = found.asked.isoformat()


def _cache() -> ReplicaCache:
    cache = current_app.extensions.get(_EXTENSION)
    if cache is None:
        cache = current_app.extensions.setdefault(_EXTENSION, ReplicaCache())
    return cache


def in_force() -> dict[int, publications.PublicationInfo]:
    """The publications in force now (or at the end of ``?as_of=``), by country id (1 query,
    once per request), without their figures (``publications.in_force``): what is served is
    read from the replica."""
    if "published_in_force" not in g:
        day = as_of()
        g.published_in_force = publications.in_force(
            db.get_session(), day.day if day is not None else None, with_figures=False
        )
    return g.published_in_force


@dataclass(frozen=True)
class State:
    """What the public reads, as the database gives it at this request: the publications in
    force (sorted country id, publication id pairs) and the stamp of the shared tables."""

    by_country: tuple[tuple[int, int], ...]
    stamp: str


def state(pairs_only: bool = False) -> State:
    """The publications in force and the shared tables' stamp (2 queries, once per request; 1
    when ``in_force`` was read already; none when a request at the same data version read them,
    ``AtVersion``): enough to name what a page or an export shows without building or updating
    a replica. ``pairs_only``: for an answer that reads nothing else of the publications (an
    export), whose query reads no message or date."""
    if "published_state" not in g:
        day = as_of()

        def read() -> State:
            if not pairs_only or "published_in_force" in g:
                pairs = tuple(sorted((cid, p.id) for cid, p in in_force().items()))
            else:
                pairs = publications.in_force_ids(
                    db.get_session(), day.day if day is not None else None
                )
            return State(pairs, shared_stamp(db.get_session()))

        g.published_state = at_version().get(("state", day.day if day else None), read)
    return g.published_state


class AtVersion:
    """What a request read from the main database, kept under the data version that the page
    cache read before the request began (``tracker.web.pagecache.VERSION_READ``) and the day:
    the next request that finds the same version gets it without a query. At 4,000 provisions
    the stamp of the shared tables alone takes about a millisecond to read.

    Never stale, on the page cache's grounds: the write layer bumps the version in the same
    transaction as every change to a public table, and each request reads it from the database
    before looking here. A value read while a change was being committed may hold that change
    (never an older state than its version's), and is kept under the older version, which no
    request begun after the commit asks for. A request that the page cache did not see (a
    staff member's, a POST; no page cache configured) reads the database as before. The most
    recent ``size`` values are kept; a key holds only what the request asked for (as_of, the
    ``?country=`` codes), so a hostile query string pushes out entries, never grows memory.
    Thread-safe."""

    def __init__(self, size: int = 256):
        self.size = size
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, read: Callable[[], object]):
        """``read()``'s value, kept under ``key`` at the version this request began with."""
        version = request.environ.get(pagecache.VERSION_READ)
        if version is None:
            return read()
        full = (version, datetime.now(UTC).date().toordinal(), key)
        with self._lock:
            if full in self._entries:
                self._entries.move_to_end(full)
                return self._entries[full]
        value = read()
        with self._lock:
            self._entries[full] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)


def at_version() -> AtVersion:
    found = current_app.extensions.get(_AT_VERSION)
    if found is None:
        found = current_app.extensions.setdefault(_AT_VERSION, AtVersion())
    return found


def replica() -> Replica:
    """The replica of the publications in force (built on first use, then kept)."""
    if "published_replica" not in g:
        found = state()
        g.published_replica = _cache().get(
            db.get_session(), dict(found.by_country), stamp=found.stamp
        )
    return g.published_replica


def _in_force_of(country_ids: Collection[int]) -> dict[int, int]:
    """The publications in force of these countries (country id -> publication id; none for a
    country without one), from the request's state."""
    asked = set(country_ids)
    return {cid: pid for cid, pid in state().by_country if cid in asked}


def replica_of(country_ids: Collection[int]) -> Replica:
    """A replica holding at least the publications in force of these countries: the request's
    replica when this worker keeps it already, else one of those publications alone
    (``ReplicaCache.some``) when they are a few: a quarter of the countries published at most,
    or one. What an export reads for the countries whose publication changed since the body it
    kept, the other countries' rows being copied from that body."""
    found = state()
    full = _cache().kept(dict(found.by_country), found.stamp)
    if full is not None:
        return full
    wanted = _in_force_of(country_ids)
    if len(wanted) > max(len(found.by_country) // 4, 1):
        return replica()
    return _cache().some(db.get_session(), wanted, found.stamp)


def session() -> Session:
    """The request's read-only session on the publications in force (closed at teardown)."""
    if "published_session" not in g:
        g.published_session = replica().session()
    return g.published_session


def standalone_session() -> Session:
    """A session of its own on the same replica, for a streamed export (STYLE.md G10.b)."""
    return replica().session()


class KeptObjects:
    """Read objects computed from one country's publication, kept by what they were computed
    from: the publication, the stamp of the shared tables (the checklist) and the rest of the
    key (the language). A publication never changes, so an object is right for as long as both
    are those of the replica the public reads, which each request reads from the database: after
    a publication on any instance, the next request asks for the new publication's objects and
    computes those alone. The most recently used ``size`` are kept: at 200 countries a summary is
    about 4 KB, a country's checklist items about 13 KB, so every country's summaries in the 8
    languages and its items (1,800 entries) take about 9 MB. Thread-safe."""

    def __init__(self, size: int = 2048):
        self.size = size
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def per_country(
        self,
        kind: Hashable,
        compute: Callable[[list[int]], Iterable[tuple[int, object]]],
        only: Collection[int] | None = None,
    ) -> dict[int, object]:
        """Each country's object on the request's replica (country id -> object), computed by
        ``compute(country ids)`` only for the countries not kept; a country ``compute`` gives
        nothing for is left out. ``only``: those countries alone (of those published)."""
        found = replica()
        keys = {cid: (kind, found.stamp, cid, pid) for cid, pid in found.by_country
                if only is None or cid in only}  # fmt: skip
        out: dict[int, object] = {}
        with self._lock:
            for cid, key in keys.items():
                if key in self._entries:
                    self._entries.move_to_end(key)
                    out[cid] = self._entries[key]
        missing = [cid for cid in keys if cid not in out]
        if missing:
            made = dict.fromkeys(missing)
            made.update(compute(missing))
            with self._lock:
                for cid, value in made.items():
                    self._entries[keys[cid]] = value
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
            out.update(made)
        return {cid: value for cid, value in out.items() if value is not None}

    def __len__(self) -> int:
        return len(self._entries)


def kept() -> KeptObjects:
    found = current_app.extensions.get(_KEPT)
    if found is None:
        found = current_app.extensions.setdefault(_KEPT, KeptObjects())
    return found


def country_summaries(
    locale: str, country_ids: Collection[int] | None = None
) -> list[figures.CountrySummary]:
    """Every country's summary on the publications in force (or those of ``country_ids``), in
    ISO3 order, as ``figures.country_summaries`` makes them: each computed once per publication
    (and checklist) and language, so the first overview after a publication computes the country
    published, not all of them (10 queries on the replica then, none when all are kept). A
    country asked for that has no publication is computed on the replica each time (as the
    exports read it)."""
    made = kept().per_country(
        ("summary", locale),
        lambda ids: ((s.country.id, s) for s in figures.country_summaries(session(), locale, ids)),
        only=country_ids,
    )
    found = list(made.values())
    if country_ids is not None:
        missing = [cid for cid in country_ids if cid not in made]
        if missing:
            found += figures.country_summaries(session(), locale, missing)
    return sorted(found, key=lambda s: s.country.iso3)


def country_records(country_ids: Collection[int]) -> dict[int, dict]:
    """countries.csv's rows of these countries on the publications in force (country id ->
    record; a country the read layer gives no row is left out).

    A published country's row is read as stored for its publication on the current basis
    (``tracker.read.stored``: 1 query for them all), so no worker scores judgements that another
    worker or instance, or the publish transaction, scored already. The rows not stored yet (the
    checklist or the code changed since) are computed on the replica (``country_summaries``) and
    stored in a transaction of their own: if that fails the download still gets them, and the next
    one computes them again. A country asked for that has no publication is computed each time."""
    found, asked, wanted = state(), set(country_ids), _in_force_of(country_ids)
    on = stored.basis(found.stamp)
    rows = stored.figures_of(db.get_session(), wanted.values(), on)
    out = {cid: rows[pid] for cid, pid in wanted.items() if pid in rows}
    missing = [cid for cid in wanted if cid not in out]
    if missing:
        made = {s.country.id: review_write.frozen_figures(s)
                for s in country_summaries(DEFAULT_LOCALE, missing)}  # fmt: skip
        _keep_figures(on, {wanted[cid]: values for cid, values in made.items()})
        out.update(made)
    unpublished = [cid for cid in asked if cid not in wanted]
    if unpublished:
        out.update((s.country.id, review_write.frozen_figures(s))
                   for s in country_summaries(DEFAULT_LOCALE, unpublished))  # fmt: skip
    return out


def _keep_figures(on: str, made: dict[int, dict]) -> None:
    """Store computed rows for every worker (``review.keep_figures``), in a session of its own:
    a failure is logged and costs only a computation next time."""
    _store_apart(functools.partial(review_write.keep_figures, on=on, rows_by_publication=made),
                 f"the figures of {len(made)} publications")  # fmt: skip


def _store_apart(store: Callable[[Session], None], what: str) -> None:
    """``store(session)`` in a session and transaction of its own: cached rows for every
    worker, whose loss costs only computing them again, so a failure is one WARNING line."""
    try:
        with db.standalone_session() as dbs, write.transaction(dbs):
            store(dbs)
    except sa.exc.SQLAlchemyError:
        current_app.logger.warning("could not store %s", what, exc_info=True)


def stored_pieces(export: str, country_ids: Collection[int]) -> dict[int, bytes]:
    """An export's rows of these countries as stored for their publications in force on the
    current basis (country id -> zlib data of the CSV text, ``tracker.read.stored``; 1 query):
    a country without a publication, or whose rows nobody stored yet, is left out."""
    wanted = _in_force_of(country_ids)
    rows = stored.pieces_of(db.get_session(), export, wanted.values(), stored.basis(state().stamp))
    return {cid: rows[pid] for cid, pid in wanted.items() if pid in rows}


def keep_pieces(export: str, made: dict[int, bytes]) -> None:
    """Store an export's rows of these published countries (country id -> zlib data of the CSV
    text, written on the publications in force) for every worker, in a session of its own
    (``review.keep_pieces``): a failure is logged and costs only writing them again next time."""
    rows = {pid: made[cid] for cid, pid in _in_force_of(made).items()}
    if rows:
        on = stored.basis(state().stamp)
        _store_apart(functools.partial(review_write.keep_pieces, export=export, on=on,
                                       rows_by_publication=rows),
                     f"the {export} rows of {len(rows)} publications")  # fmt: skip


def shared_rows(export: str, write: Callable[[Session], Iterable[tuple[None, str]]]) -> bytes | str:
    """An export's rows of no country (the CSV text of checklist.csv's rows, or of the project's
    own timeline), as stored on the current basis (``tracker.read.stored``; 1 query): a new
    worker copies them. Rows nobody stored are written now by ``write`` on the request's session
    (the very state its stamp names) and stored for every worker, in a session of their own: a
    failure is logged and the rows are still given."""
    on = stored.basis(state().stamp)
    data = stored.shared_piece_of(db.get_session(), export, on)
    if data is not None:
        return zlib.decompress(data)
    text = "".join(piece for _none, piece in write(db.get_session()))
    packed = zlib.compress(text.encode("utf-8"), stored.PIECE_LEVEL)
    _store_apart(functools.partial(review_write.keep_shared_piece, export=export, on=on, rows=packed),
                 f"the {export} rows of the shared tables")  # fmt: skip
    return text


def checklist_items() -> dict[int, list[figures.CoverageItem]]:
    """Every country's coverage items on the current checklist (``pages.checklist_items``), each
    computed once per publication and checklist (3 queries on the replica when some are new)."""
    return kept().per_country(
        ("checklist items",), lambda ids: pages.checklist_items(session(), ids).items()
    )


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


def _context() -> dict:
    day = g.get("published_as_of")
    nothing = day is not None and g.get("published_in_force") == {}
    return {"as_of": day, "nothing_in_force": nothing, "current_record_url": current_record_url}


def init_app(app) -> None:
    app.teardown_appcontext(close)
    app.url_defaults(url_defaults)
    app.context_processor(_context)
