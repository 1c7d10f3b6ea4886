"""Blueprint ``exports``: the CSV files and their Frictionless data package (issue 5).

URL map:
    GET /exports/                     -> the list of exports with their columns (reader's language)
    GET /<lang>/exports/              -> the same page in ``lang``
    GET /exports/<name>.csv           -> countries, checklist, instruments, coverage, milestones,
                                         monitor_values, coverage_links, text_translations
                                         ?country=ZMB (repeatable; 400 for an unknown code)
                                         ?bom=1 adds a UTF-8 byte order mark (for Excel)
    GET /exports/datapackage.json     -> Frictionless Data Package describing every CSV, with the
                                         publications the files hold and how to cite them
    ?as_of=YYYY-MM-DD on the CSVs and the package: the publications in force at the end of that
    day (UTC) instead of the latest (400 for anything else than a day of the calendar)

The files are a contract for analysts: column names, codes and formats are defined once in
``tracker.formats.tables`` and only ever extended. CSV bodies are streamed from a session of
their own (STYLE.md, G10.b), as pieces of CSV text (``tracker.read.rows.export_pieces``: a piece a
country for the exports written a country at a time) sent in writes of about 64 KB; everything
that can fail (the country filter) is checked before the first byte is sent. A finished body up
to 4 MB is kept under the publications it was read from: a repeat download is sent from memory,
and after a publication only the countries whose publication changed are read again, the others'
rows copied from the body kept before (``tracker.web.exportcache``). countries.csv's rows are
read as stored with the publications (``tracker.read.stored``), without a replica.
"""

import contextlib
import functools
import itertools
import zlib
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, render_template, request, stream_with_context

from tracker.formats import csvio, tables
from tracker.formats.tables import TABLES, Table
from tracker.i18n import DEFAULT_LOCALE, current_lang
from tracker.read import loaders, stored
from tracker.read import rows as datasets
from tracker.web import published
from tracker.web.exportcache import Copied, ExportCache
from tracker.web.filters import selected_countries
from tracker.web.urls import external_url, link

bp = Blueprint("exports", __name__)

CSV_MIMETYPE = "text/csv; charset=utf-8"
_EXTENSION = "tracker.exports"


@bp.get("/exports/")
@bp.get("/<lang>/exports/")
def index():
    """Every export with its description and columns."""
    return render_template("exports/index.html", tables=list(TABLES.values()))


def download_name(table: Table, countries: list[loaders.CountryRef], filtered: bool) -> str:
    """A dated ASCII file name, e.g. ``coverage-2026-11-24.csv`` or ``coverage-ZMB-2026-11-24.csv``."""
    parts = [table.name]
    if filtered and table.name != "checklist":
        parts.extend(c.iso3 for c in countries)
    day = published.as_of()
    if day is not None:  # the record as it stood that day, whenever it is downloaded
        parts.extend(("as-of", day.day.isoformat()))
    else:
        parts.append(datetime.now(UTC).date().isoformat())
    return "-".join(parts) + ".csv"


EXPORT_NAMES = (
    "countries, checklist, instruments, coverage, milestones, monitor_values, coverage_links, "
    "text_translations"
)


@bp.get(f"/exports/<any({EXPORT_NAMES}):name>.csv")
def export_csv(name: str):
    """One CSV export, streamed."""
    table = TABLES[name]
    countries = selected_countries()
    filtered = bool(request.args.getlist("country"))
    bom = request.args.get("bom") in ("1", "true", "yes")
    records = datasets.RECORDS[name]
    if name == "milestones" and not filtered:
        records = datasets.all_milestone_records  # with the project's own timeline
    if name == "text_translations" and not filtered:
        records = datasets.all_text_translation_records  # the project timeline's too

    state = published.state(pairs_only=True)
    headers = {
        "Content-Type": CSV_MIMETYPE,
        "Content-Disposition": f'attachment; filename="{download_name(table, countries, filtered)}"',
        "X-Content-Type-Options": "nosniff",
    }
    # Everything the body depends on: the publications read, the countries, options, language;
    # its family is the same but for the publications (``tracker.web.exportcache``).
    family = (name, state.stamp, filtered, bom, current_lang(),
              tuple((c.id, c.iso3, c.name) for c in countries))  # fmt: skip
    # checklist.csv holds the shared tables alone: the same file whatever is published.
    shared_only = name == "checklist"
    key = (() if shared_only else state.by_country, *family)
    kept = _kept()
    found = kept.get(key)
    if found is not None:
        if found.body is not None:
            return Response(found.body, headers=headers)
        return Response(found.chunks(), headers={**headers, "Content-Length": str(found.size)})

    by_country = dict(state.by_country)
    # written a country at a time
    by_countries = records in datasets.TEXTS or name == "countries"
    earlier = kept.earlier(family) if by_countries else None
    # the countries to read: those whose publication changed since the body kept, or all
    fresh = [ref for ref in countries
             if earlier is None or not earlier.holds(ref.id, by_country.get(ref.id))]  # fmt: skip
    # Whatever reads the database is read here, before the first byte: countries.csv's rows
    # (stored with the publications) and checklist.csv's (the shared tables, on the request's
    # session, the very state its stamp names) read no replica. The other exports written a
    # country at a time copy the rows stored with the publications (``tracker.read.stored``) and
    # read the rest from a replica built or brought up to date here, or one of the few
    # publications whose rows are not stored; what they read there they store.
    replica, ready, shared_rows = None, {}, []
    if name == "countries":
        stored_rows = published.country_records([ref.id for ref in fresh])
    elif shared_only:  # stored once for every worker: 4,000 provisions take 50 ms to write
        written = [(None, published.shared_rows(name, functools.partial(
            datasets.export_pieces, table, records, countries=[])))]  # fmt: skip
    elif name == "monitor_values":  # the overview's figures, computed once per publication
        summaries = published.country_summaries(DEFAULT_LOCALE, [c.id for c in countries])
        records = functools.partial(_of_summaries, datasets.FROM_SUMMARIES[name], summaries)
    else:
        if by_countries:
            ready = published.stored_pieces(name, [ref.id for ref in fresh])
            # a country with no publication in force has no rows in these exports
            ready.update((ref.id, _NO_ROWS) for ref in fresh if ref.id not in by_country)
            fresh = [ref for ref in fresh if ref.id not in ready]
        if not by_countries or (earlier is None and not ready):
            replica = published.replica()
        elif fresh:
            replica = published.replica_of([ref.id for ref in fresh])
        elif records in datasets.WITH_SHARED_ROWS:
            # the project's own rows alone: shared, stored or read on the request's session
            # as checklist.csv's are (the state the stamp names), no replica
            shared_rows = [(None, published.shared_rows(name, functools.partial(
                datasets.export_pieces, table, records, countries=[])))]  # fmt: skip
    # the published countries whose rows are written now, to be stored once the body is sent
    storing = ({ref.id for ref in fresh if ref.id in by_country}
               if by_countries and name != "countries" else set())  # fmt: skip

    def generate():
        # the publications in force (issue 12)
        with replica.session() if replica is not None else contextlib.nullcontext() as session:
            if name == "countries":
                pieces_of = functools.partial(_country_pieces, table, stored_rows)
            elif shared_only:
                pieces_of = lambda _countries: iter(written)  # noqa: E731
            elif session is None and by_countries:  # every country's rows stored
                pieces_of = lambda _countries: iter(shared_rows)  # noqa: E731
            else:
                pieces_of = functools.partial(datasets.export_pieces, table, records, session)
            made: dict[int, bytes] = {}
            if storing:
                pieces_of = functools.partial(_packing, pieces_of, storing, made)
            if earlier is None and not ready:
                pieces = pieces_of(countries)
            else:
                copies = {cid: functools.partial(_unpacked, data) for cid, data in ready.items()}
                if earlier is not None:
                    copies.update(
                        (ref.id, functools.partial(earlier.rows_of, ref.id, by_country[ref.id]))
                        for ref in countries if earlier.holds(ref.id, by_country.get(ref.id))
                    )  # fmt: skip
                pieces = _reusing(copies, table, pieces_of, countries)
            header = (None, csvio.header_text(table, bom=bom))
            yield from kept.keep_pieces(
                key, itertools.chain((header,), pieces),
                family=family if by_countries else None, by_country=by_country,
            )  # fmt: skip
        if storing:  # the whole body was sent: every country's rows are known (or none)
            published.keep_pieces(name, {cid: made.get(cid, _NO_ROWS) for cid in storing})

    return Response(stream_with_context(generate()), headers=headers)


_NO_ROWS = zlib.compress(b"", stored.PIECE_LEVEL)


def _unpacked(data: bytes) -> Copied:
    """A country's rows as stored (zlib data), with that data for a body kept compressed."""
    rows = Copied(zlib.decompress(data))
    rows.packed = data
    return rows


def _packing(pieces_of, storing, made, countries):
    """The pieces ``pieces_of(countries)`` gives, each country's of ``storing`` also compressed
    into ``made`` (country id -> zlib data) to be stored."""
    for country_id, piece in pieces_of(countries):
        if country_id in storing:
            rows = Copied(piece.encode("utf-8") if isinstance(piece, str) else piece)
            rows.packed = made[country_id] = zlib.compress(rows, stored.PIECE_LEVEL)
            piece = rows
        yield country_id, piece


def _reusing(copies, table, pieces_of, countries):
    """The pieces of an export written a country at a time: the rows of each country in
    ``copies`` (country id -> a function giving them: copied from a body kept, or as stored),
    the others' read now by ``pieces_of(countries)`` (every piece of no country too: the
    project's timeline); in the countries' order, one piece at a time (the writer gives the
    other countries' pieces in their order)."""
    fresh = pieces_of([ref for ref in countries if ref.id not in copies])
    pending = next(fresh, None)
    while pending is not None and pending[0] is None:
        yield pending
        pending = next(fresh, None)
    for ref in countries:
        if ref.id in copies:
            yield ref.id, copies[ref.id]()
            continue
        while pending is not None and pending[0] == ref.id:
            yield pending
            pending = next(fresh, None)
    if pending is not None:  # a writer gave a piece out of the countries' order
        raise RuntimeError(f"{table.name}: a piece of country {pending[0]} out of order")


def _of_summaries(write, summaries, _session, _countries):
    return write(summaries)


def _country_pieces(table, records, countries):
    """countries.csv's rows (``records``: country id -> record, as
    ``published.country_records`` gives them), a piece a country in the countries' order, none
    for a country without a row."""
    present = [ref.id for ref in countries if ref.id in records]
    header = table.header
    batches = csvio.format_batches(table, ([records[cid][c] for c in header] for cid in present))
    text = csvio.TextRows()
    for cid, cells in zip(present, itertools.chain.from_iterable(batches), strict=True):
        text.write(cells)
        yield cid, text.take()


def _kept() -> ExportCache:
    """This process's finished exports (``tracker.web.exportcache``)."""
    found = current_app.extensions.get(_EXTENSION)
    if found is None:
        found = current_app.extensions.setdefault(_EXTENSION, ExportCache())
    return found


@bp.get("/exports/datapackage.json")
def datapackage_json():
    """The Frictionless Data Package describing every CSV export."""
    # Absolute only on a configured host (SERVER_NAME, TRUSTED_HOSTS), never the Host header's
    # word: a cached copy must not point readers at someone else's site.
    day = published.as_of()
    found = sorted(published.in_force().values(), key=lambda p: p.iso3)
    return tables.datapackage(
        homepage=external_url("exports.index", lang="en"),
        created=datetime.now(UTC).replace(microsecond=0).isoformat(),
        publications=[(p.iso3, p.number, p.published_on) for p in found],
        as_of=day.day if day is not None else None,
        # The address cited is the day served: a later day than today serves today's, and
        # citing it as asked (as_of=9999-12-31) would name an address that moves.
        url=link("exports.datapackage_json", as_of=day.day.isoformat() if day else None),
    )
