"""Blueprint ``staff_exports``: staff download the working copy, in the exports' formats (issue 12).

The public exports (``/exports/...``) serve each country's latest *publication*. Staff who edit a
file in a spreadsheet and import it again need what they are editing: the working copy, with the
version numbers the import checks. These are the very same files (``tracker.formats.tables``,
rows from ``tracker.read.rows``), read from the live database.

URL map (anonymous requests go to ``/<lang>/login?next=...``, like every staff page):
    GET /<lang>/manage/export/<name>.csv      -> one CSV export of the working copy: countries,
                                                 checklist, instruments, coverage, milestones,
                                                 monitor_values, coverage_links, text_translations
    GET /<lang>/manage/export/datapackage.zip -> every CSV of the working copy and their
                                                 ``datapackage.json``, in one zip file
    ?country=ZMB (repeatable): an editor may ask only for their own country (403 for any other;
    without it, their own); an administrator for any (without it, every country and the project's
    own timeline). ?bom=1 on a CSV adds a UTF-8 byte order mark (for Excel), as in public.

Answers are ``Cache-Control: private, no-store`` (never kept by a browser, a proxy or the page
cache) and their file names say they hold the working copy, e.g.
``coverage-ZMB-working-copy-2026-12-01.csv``. Bodies are streamed from a session of their own
(STYLE.md, G10.b); the zip reads every file from one state of the record, so its files agree.
"""

from datetime import UTC, datetime

from flask import Blueprint, Response, request, stream_with_context
from flask_login import current_user

from tracker import db
from tracker.formats import package
from tracker.formats.tables import TABLES
from tracker.read import loaders
from tracker.read import rows as datasets
from tracker.web import guards
from tracker.web.filters import selected_countries

bp = Blueprint("staff_exports", __name__)
bp.before_request(guards.require_login)

CSV_MIMETYPE = "text/csv; charset=utf-8"
ZIP_MIMETYPE = "application/zip"
PRIVATE = "private, no-store"
EXPORT_NAMES = ", ".join(TABLES)


def requested_countries() -> tuple[list[loaders.CountryRef], bool]:
    """The countries asked for (``?country=``) that the signed-in person may export, and whether
    the export is limited to them. An editor gets their own country and a 403 for any other; an
    administrator any country, or every one when none is named. 400 for an unknown code."""
    session = db.get_session()
    codes = sorted({c.strip().upper() for c in request.args.getlist("country") if c.strip()})
    if not current_user.is_admin:
        own = [ref for ref in loaders.resolve_countries(session, [])[0]
               if ref.id == current_user.country_id]  # fmt: skip
        if not own or any(code != own[0].iso3 for code in codes):
            guards.require_country(None)  # 403, with the pages this person may use
        return own, True
    countries = selected_countries()  # the public exports' filter: 400 for an unknown code
    return countries, bool(codes)


def records_of(name: str, filtered: bool):
    """The record reader of export ``name``; every country's export also holds the project's own
    timeline (its milestones and their translations), as the public one does."""
    if not filtered and name == "milestones":
        return datasets.all_milestone_records
    if not filtered and name == "text_translations":
        return datasets.all_text_translation_records
    return datasets.RECORDS[name]


def download_name(stem: str, countries: list[loaders.CountryRef], filtered: bool, ext: str,
                  checklist: bool = False) -> str:  # fmt: skip
    """A dated ASCII file name that says it holds the working copy, e.g.
    ``coverage-ZMB-working-copy-2026-12-01.csv``."""
    parts = [stem]
    if filtered and not checklist:
        parts.extend(c.iso3 for c in countries)
    parts += ["working-copy", datetime.now(UTC).date().isoformat()]
    return "-".join(parts) + ext


def _headers(content_type: str, filename: str) -> dict:
    return {
        "Content-Type": content_type,
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": PRIVATE,
        "X-Content-Type-Options": "nosniff",
    }


@bp.get(f"/<lang>/manage/export/<any({EXPORT_NAMES}):name>.csv")
def export_csv(name: str):
    """One CSV export of the working copy, streamed."""
    table = TABLES[name]
    countries, filtered = requested_countries()
    bom = request.args.get("bom") in ("1", "true", "yes")
    records = records_of(name, filtered)

    def generate():
        with db.standalone_session() as session:  # the live record: the working copy
            yield from datasets.export_text(table, records, session, countries, bom=bom)

    filename = download_name(table.name, countries, filtered, ".csv", table.name == "checklist")
    return Response(stream_with_context(generate()), headers=_headers(CSV_MIMETYPE, filename))


def _one_state(session) -> None:
    """Make the session read one state of the record throughout (the zip's files must agree):
    PostgreSQL's REPEATABLE READ; a SQLite read transaction is one snapshot already."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


@bp.get("/<lang>/manage/export/datapackage.zip")
def datapackage_zip():
    """Every CSV of the working copy and its ``datapackage.json``, as one streamed zip file."""
    countries, filtered = requested_countries()
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    descriptor = package.descriptor_text(
        package.working_copy_descriptor(created, [c.iso3 for c in countries])
    )

    def generate():
        with db.standalone_session() as session:
            _one_state(session)
            members = [("datapackage.json", [descriptor])]
            members += [
                (t.filename, datasets.export_text(t, records_of(t.name, filtered), session,
                                                  countries))
                for t in TABLES.values()
            ]  # fmt: skip
            yield from package.stream_zip(members)

    filename = download_name("datapackage", countries, filtered, ".zip")
    return Response(stream_with_context(generate()), headers=_headers(ZIP_MIMETYPE, filename))
