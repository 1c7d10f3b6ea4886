"""Blueprint ``imports``: staff upload a CSV in an export's format, preview it, then confirm.

The views only: what a file would do and writing it are ``tracker.write.imports``.

URL map:
    GET  /<lang>/manage/import           -> the upload form (editors and admins), and the
                                            working copy's downloads (``staff_exports``);
                                            ?country=ZMB chooses that country
    POST /<lang>/manage/import           -> dry run: what each row would create, change, leave
                                            unchanged or refuse, and why (line, column, message)
    POST /<lang>/manage/import/confirm   -> the confirmed import: one transaction, through
                                            ``tracker.write.changes`` (history records), then 303

Formats are those of ``coverage.csv``, ``instruments.csv``, ``milestones.csv`` and
``coverage_links.csv``; what a row does (create, change, unchanged, refused) is decided by
``tracker.write.imports``.

Stateless confirmation (the app runs on several instances): the dry-run page carries the file in
a hidden field, compressed and signed with ``SECRET_KEY`` (itsdangerous, 1 hour), together with
the user, the country, the format and a marker of the country's history (its latest change
record). The confirmation re-reads that exact file, plans it again and refuses to write if
anything changed in the country since the preview, so a double submit or a concurrent edit
cannot apply twice. Files too large to carry in a form field must be chosen again on the
confirmation page; the token then holds only their SHA-256, which must match.
"""

import base64
import hashlib
import re
import zlib
from dataclasses import dataclass

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlmodel import Session, select
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice

from tracker import db, write
from tracker.formats import csvio
from tracker.formats.tables import IMPORTABLE, TABLES
from tracker.i18n import _, _l
from tracker.models import (
    Country,
    ImportReceipt,
)
from tracker.web import guards
from tracker.web.errors import abort_with
from tracker.write import changes
from tracker.write.imports import (
    CHANGE,
    CREATE,
    REFUSED,
    UNCHANGED,
    ImportPlan,
    NothingToChange,
    RowPlan,
    apply_plan,
    history_marker,
    plan_import,
    token_key,
)

bp = Blueprint("imports", __name__)
# Anonymous visitors are sent to the sign-in page, which brings them back here.
bp.before_request(guards.require_login)

TOKEN_SALT = "tracker.imports.confirm"
TOKEN_MAX_AGE = 3600
# A signed file larger than this is not carried in the form (MAX_FORM_MEMORY_SIZE is 2 MB).
TOKEN_MAX_CHARS = 1_500_000


ACTION_LABELS = {
    CREATE: _l("Create"),
    CHANGE: _l("Change"),
    UNCHANGED: _l("Unchanged"),
    REFUSED: _l("Refused"),
}


# --- the confirmation token ---------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def make_token(user_id: int, kind: str, iso3: str, data: bytes, marker: int) -> tuple[str, bool]:
    """A signed token for the confirmation, and whether it carries the file itself."""
    payload = {
        "u": user_id,
        "k": kind,
        "c": iso3,
        "m": marker,
        "h": hashlib.sha256(data).hexdigest(),
        "d": base64.b64encode(zlib.compress(data, 6)).decode("ascii"),
    }
    token = _serializer().dumps(payload)
    if len(token) <= TOKEN_MAX_CHARS:
        return token, True
    del payload["d"]
    return _serializer().dumps(payload), False


def read_token(token: str) -> dict:
    try:
        return _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except SignatureExpired:
        abort_with(400, _("This preview is more than an hour old. Upload the file again."))
    except BadSignature:
        abort_with(400, _("This confirmation could not be verified. Upload the file again."))
    raise AssertionError  # pragma: no cover


# --- limits and the preview's summary -----------------------------------------------------------

# The defaults of the import's limits (settings IMPORT_MAX_ROWS and IMPORT_MAX_BYTES, README).
LIMITS = {"IMPORT_MAX_ROWS": 5000, "IMPORT_MAX_BYTES": 2 * 1024 * 1024}
# How much of a plan one preview page shows.
PREVIEW_ROWS = 50  # rows of each kind per page
PREVIEW_ERRORS = 50  # problems listed in the summary at the top
SECTIONS = (REFUSED, CREATE, CHANGE, UNCHANGED)


@bp.record_once
def _default_limits(state) -> None:
    for key, value in LIMITS.items():
        state.app.config.setdefault(key, value)


def _limit(name: str) -> int:
    return int(current_app.config.get(name) or LIMITS[name])


@dataclass(frozen=True)
class Section:
    """One page of the rows of one kind (to create, to change...) of a preview."""

    action: str
    total: int
    rows: list[RowPlan]
    page: int
    pages: int

    @property
    def first(self) -> int:
        return (self.page - 1) * PREVIEW_ROWS + 1

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1


def summarise(plan: ImportPlan, show: str | None = None, page: int = 1) -> dict:
    """What a preview page shows of ``plan``: the first problems, and per kind of row one page
    of ``PREVIEW_ROWS`` rows (page ``page`` of kind ``show``, the first page of the others).

    The page stays small whatever the file holds: at most ``PREVIEW_ERRORS`` problems and
    ``PREVIEW_ROWS`` rows of each of the four kinds.
    """
    sections = []
    for action in SECTIONS:
        rows = plan.rows_of(action)
        if not rows:
            continue
        pages = (len(rows) + PREVIEW_ROWS - 1) // PREVIEW_ROWS
        current = min(max(page, 1), pages) if action == show else 1
        start = (current - 1) * PREVIEW_ROWS
        sections.append(
            Section(action, len(rows), rows[start : start + PREVIEW_ROWS], current, pages)
        )
    errors = plan.errors()
    return {
        "sections": sections,
        "errors": errors[:PREVIEW_ERRORS],
        "more_errors": max(len(errors) - PREVIEW_ERRORS, 0),
        "shown_lines": {row.line for section in sections for row in section.rows},
    }


def _size(n: int) -> str:
    """A number of bytes in the reader's language, e.g. "2 MB" or "2 Mo"."""
    from babel.units import format_unit

    from tracker.i18n import current_lang

    if n >= 1024 * 1024:
        value, unit = round(n / (1024 * 1024), 1), "digital-megabyte"
    else:
        value, unit = round(n / 1024, 1), "digital-kilobyte"
    if value == int(value):
        value = int(value)
    return format_unit(value, unit, length="short", locale=current_lang())


class ImportTooLarge(Exception):
    """The uploaded file is larger than ``IMPORT_MAX_BYTES``."""


# --- views --------------------------------------------------------------------------------------


class UploadForm(FlaskForm):
    kind = SelectField(
        _l("File format"),
        choices=lambda: [
            SelectChoice("coverage", _("coverage.csv: judgements per provision")),
            SelectChoice("instruments", _("instruments.csv: legal instruments")),
            SelectChoice("milestones", _("milestones.csv: project milestones")),
            SelectChoice(
                "coverage_links", _("coverage_links.csv: the evidence of each coverage link")
            ),
            SelectChoice(
                "text_translations", _("text_translations.csv: translations of the records' texts")
            ),
        ],
    )
    # Any code is accepted here; ``tracker.web.auth`` then answers 403 for another editor's country.
    country = SelectField(_l("Country"), choices=[], validate_choice=False)
    file = FileField(_l("CSV file (UTF-8)"))


class ConfirmForm(FlaskForm):
    """The preview's form: its token confirms the import, or shows another page of rows."""

    token = HiddenField()
    file = FileField(_l("The same CSV file again"))


PAGE = re.compile(r"^(create|change|unchanged|refused):([0-9]{1,6})$")


def _countries(session: Session) -> list[Country]:
    query = select(Country).order_by(Country.iso3)
    if not current_user.is_admin:
        query = query.where(Country.id == current_user.country_id)
    return list(session.exec(query).all())


def _upload(form_file) -> bytes:
    """The uploaded file's bytes; ``ImportTooLarge`` beyond ``IMPORT_MAX_BYTES`` (read no further)."""
    try:
        storage = request.files.get(form_file)
    except RequestEntityTooLarge:
        _too_large()
    if storage is None or not storage.filename:
        return b""
    limit = _limit("IMPORT_MAX_BYTES")
    data = storage.stream.read(limit + 1)
    if len(data) > limit:
        raise ImportTooLarge
    return data


def _file_too_large(form):
    return _render(
        form,
        413,
        error=_(
            "The file is larger than %(size)s, the most one import accepts. Import one country "
            "at a time, or split the file.",
            size=_size(_limit("IMPORT_MAX_BYTES")),
        ),
    )


def _too_large():
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    abort_with(
        413,
        _(
            "The file is larger than %(limit)s MB, the most this site accepts. Import one "
            "country at a time, or split the file.",
            limit=limit // (1024 * 1024),
        ),
    )


def _country_or_403(session: Session, iso3: str) -> Country:
    country = session.exec(select(Country).where(Country.iso3 == (iso3 or ""))).first()
    guards.require_country(country.id if country else None)
    if country is None:
        abort_with(404, _("Unknown country code %(code)s.", code=iso3))
    return country


def _render(form, status=200, plan=None, show=None, page=1, **context):
    if plan is not None:
        context.update(summarise(plan, show, page), plan=plan, labels=ACTION_LABELS)
    # The working copy's exports (``tracker.web.staff_exports``), offered beside the upload.
    context.setdefault("export_names", list(TABLES))
    return render_template("imports/upload.html", form=form, **context), status


def _confirmation(session: Session, form: ConfirmForm):
    """The verified token of a preview: its payload, country, table and a blank upload form."""
    payload = read_token(form.token.data or "")
    if payload.get("u") != current_user.id or payload.get("k") not in IMPORTABLE:
        abort_with(400, _("This confirmation could not be verified. Upload the file again."))
    country = _country_or_403(session, payload["c"])
    table = IMPORTABLE[payload["k"]]
    upload_form = UploadForm(formdata=None, kind=table.name, country=country.iso3)
    upload_form.country.choices = [SelectChoice(c.iso3, c.iso3) for c in _countries(session)]
    return payload, country, table, upload_form


def _carried_file(payload: dict) -> bytes:
    data = zlib.decompress(base64.b64decode(payload["d"]))
    if hashlib.sha256(data).hexdigest() != payload["h"]:  # pragma: no cover (signed)
        abort_with(400, _("This is not the file you previewed. Upload it again."))
    return data


@bp.route("/<lang>/manage/import", methods=("GET", "POST"))
@db.reads_only
def upload():
    """The upload form; POST is the dry run, or another page of a dry run's rows.

    It writes nothing, so on SQLite its transaction does not take the write lock: previewing a
    large file never makes another person's save wait or fail.
    """
    session = db.get_session()
    try:
        if request.method == "POST" and "token" in request.form:
            return _preview_page(session, ConfirmForm())
        form = UploadForm()
    except RequestEntityTooLarge:
        _too_large()
    countries = _countries(session)
    form.country.choices = [SelectChoice(c.iso3, c.iso3) for c in countries]
    if request.method == "GET":
        if request.args.get("country"):  # from a workspace: that country chosen
            form.country.data = request.args["country"].strip().upper()
        return _render(form)
    if not form.validate_on_submit():
        return _render(form, 422, error=_("Choose a file format and a country."))
    country = _country_or_403(session, form.country.data)
    table = IMPORTABLE[form.kind.data]
    try:
        data = _upload("file")
    except ImportTooLarge:
        return _file_too_large(form)
    if not data:
        return _render(form, 422, error=_("Choose a CSV file to upload."))
    try:
        plan = plan_import(session, table, country, data, max_rows=_limit("IMPORT_MAX_ROWS"))
    except csvio.FileError as exc:
        return _render(form, 422, error=exc.message)
    token, carried = make_token(
        current_user.id, table.name, country.iso3, data, history_marker(session, country.id)
    )
    confirm = ConfirmForm(formdata=None, token=token)
    return _render(form, 422 if plan.refused else 200, plan=plan, confirm=confirm, carried=carried)


def _preview_page(session: Session, form: ConfirmForm):
    """Another page of a preview's rows: the file comes from the preview's token."""
    match = PAGE.match(request.form.get("page", ""))
    if not form.validate_on_submit() or match is None:
        abort_with(400, _("This confirmation could not be verified. Upload the file again."))
    payload, country, table, upload_form = _confirmation(session, form)
    if "d" not in payload:
        abort_with(400, _("This confirmation could not be verified. Upload the file again."))
    data = _carried_file(payload)
    try:
        plan = plan_import(session, table, country, data, max_rows=_limit("IMPORT_MAX_ROWS"))
    except csvio.FileError as exc:  # pragma: no cover (it was read at the preview)
        return _render(upload_form, 422, error=exc.message)
    return _render(
        upload_form,
        422 if plan.refused else 200,
        plan=plan,
        confirm=ConfirmForm(formdata=None, token=form.token.data),
        carried=True,
        show=match[1],
        page=int(match[2]),
    )


def _already_applied(upload_form, receipt: ImportReceipt | None):
    """The answer to a confirmation that was applied before (a double submit): 409."""
    if receipt is None:  # pragma: no cover (pruned between the two reads)
        message = _("This import was already applied. Nothing was imported twice.")
    else:
        message = _(
            "This import was already applied (%(created)s created, %(changed)s changed). "
            "Nothing was imported twice.",
            created=receipt.created,
            changed=receipt.changed,
        )
    return _render(upload_form, 409, error=message)


@bp.post("/<lang>/manage/import/confirm")
def confirm():
    """Apply a previewed file, if nothing changed since the preview."""
    session = db.get_session()
    try:
        form = ConfirmForm()
    except RequestEntityTooLarge:
        _too_large()
    if not form.validate_on_submit():
        abort_with(400, _("This confirmation could not be verified. Upload the file again."))
    payload, country, table, upload_form = _confirmation(session, form)
    key = token_key(form.token.data)
    if (receipt := changes.import_receipt(session, key)) is not None:
        return _already_applied(upload_form, receipt)
    if "d" in payload:
        data = _carried_file(payload)
    else:
        try:
            data = _upload("file")
        except ImportTooLarge:
            return _file_too_large(upload_form)
    if hashlib.sha256(data).hexdigest() != payload["h"]:
        abort_with(400, _("This is not the file you previewed. Upload it again."))
    try:
        plan = plan_import(session, table, country, data, max_rows=_limit("IMPORT_MAX_ROWS"))
    except csvio.FileError as exc:  # pragma: no cover (it was read at the preview)
        return _render(upload_form, 422, error=exc.message)
    if history_marker(session, country.id) != payload["m"]:
        token, carried = make_token(
            current_user.id, table.name, country.iso3, data, history_marker(session, country.id)
        )
        return _render(
            upload_form,
            409,
            error=_(
                "The data of %(country)s changed since your preview. Check the new preview "
                "below before you confirm.",
                country=country.iso3,
            ),
            plan=plan,
            confirm=ConfirmForm(formdata=None, token=token),
            carried=carried,
        )
    if plan.refused:
        return _render(upload_form, 422, plan=plan)
    receipt = ImportReceipt(
        token_key=key, user_id=current_user.id, country_id=country.id, table_name=table.name
    )
    try:
        with write.transaction(session):
            apply_plan(session, plan, current_user.actor, receipt, keep_seconds=2 * TOKEN_MAX_AGE)
    except changes.AlreadyApplied as exc:
        return _already_applied(upload_form, exc.receipt)
    except (changes.StaleVersion, changes.RecordGone, NothingToChange):
        abort_with(409, _("Someone else changed a record while the import ran. Nothing was saved."))
    flash(
        _(
            "Imported %(file)s for %(country)s: %(created)s created, %(changed)s changed, "
            "%(unchanged)s unchanged.",
            file=table.filename,
            country=country.iso3,
            created=plan.count(CREATE),
            changed=plan.count(CHANGE),
            unchanged=plan.count(UNCHANGED),
        ),
        "success",
    )
    return redirect(url_for("imports.upload"), code=303)
