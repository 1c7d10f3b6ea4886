"""Blueprint ``imports``: staff upload a CSV in an export's format, preview it, then confirm.

URL map:
    GET  /<lang>/manage/import           -> the upload form (editors and admins)
    POST /<lang>/manage/import           -> dry run: what each row would create, change, leave
                                            unchanged or refuse, and why (line, column, message)
    POST /<lang>/manage/import/confirm   -> the confirmed import: one transaction, through
                                            ``tracker.write.changes`` (history records), then 303

Formats are those of ``coverage.csv``, ``instruments.csv`` and ``milestones.csv``
(``tracker.formats.tables``). A row is *unchanged* when it would export the same cells as the record in
the database, so exporting then importing a file changes nothing. A row with an ``id`` (or, for
coverage, a provision code) changes that record if its ``version`` is still the exported one;
a row without an ``id`` creates a record. The import never deletes anything.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
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
from tracker.codes import (
    Extent,
    Implementation,
    InstrumentStatus,
    InstrumentType,
    MilestoneKind,
    MilestoneStatus,
    RelationKind,
)
from tracker.fields import INSTRUMENT, instrument_date_problems
from tracker.formats import csvio
from tracker.formats.tables import COVERAGE, IMPORTABLE, INSTRUMENTS, MILESTONES, Table
from tracker.i18n import _, _l
from tracker.models import (
    ChangeRecord,
    Country,
    Coverage,
    CoverageLink,
    ImportReceipt,
    Instrument,
    InstrumentRelation,
    InstrumentTitle,
    Milestone,
)
from tracker.read import rows as datasets
from tracker.web import guards
from tracker.web.errors import abort_with
from tracker.write import changes

bp = Blueprint("imports", __name__)
# Anonymous visitors are sent to the sign-in page, which brings them back here.
bp.before_request(guards.require_login)

TOKEN_SALT = "tracker.imports.confirm"
TOKEN_MAX_AGE = 3600
# A signed file larger than this is not carried in the form (MAX_FORM_MEMORY_SIZE is 2 MB).
TOKEN_MAX_CHARS = 1_500_000


CREATE, CHANGE, UNCHANGED, REFUSED = "create", "change", "unchanged", "refused"
ACTION_LABELS = {
    CREATE: _l("Create"),
    CHANGE: _l("Change"),
    UNCHANGED: _l("Unchanged"),
    REFUSED: _l("Refused"),
}


# --- the plan: pure decisions over the parsed file and the current records ----------------------


@dataclass
class RowPlan:
    line: int
    action: str
    label: str
    changed: list[str] = field(default_factory=list)
    errors: list[csvio.CellError] = field(default_factory=list)
    apply: Callable[[Session, changes.Actor], None] | None = None

    def refuse(self, column: str | None, message: str) -> None:
        self.action = REFUSED
        self.errors.append(csvio.CellError(self.line, column, message))


@dataclass
class ImportPlan:
    table: Table
    country_iso3: str
    rows: list[RowPlan]

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    def rows_of(self, action: str) -> list[RowPlan]:
        return [r for r in self.rows if r.action == action]

    def errors(self) -> list[csvio.CellError]:
        return [e for r in self.rows for e in r.errors]

    @property
    def refused(self) -> bool:
        return any(r.action == REFUSED for r in self.rows)

    @property
    def writes(self) -> int:
        return self.count(CREATE) + self.count(CHANGE)


def plan_import(
    session: Session,
    table: Table,
    country: Country,
    data: bytes,
    *,
    max_rows: int | None = None,
) -> ImportPlan:
    """What importing ``data`` for ``country`` would do, row by row; writes nothing.

    Raises ``csvio.FileError`` when the file as a whole cannot be read or has more than
    ``max_rows`` rows.
    """
    parsed = csvio.read(data, table, max_rows=max_rows)
    planner = {
        "coverage": _plan_coverage,
        "instruments": _plan_instruments,
        "milestones": _plan_milestones,
    }[table.name]
    known = set(session.exec(select(Country.iso3)).all())
    rows: list[RowPlan] = []
    usable = []
    for row in parsed:
        plan = RowPlan(row.line, REFUSED if row.errors else UNCHANGED, "", errors=list(row.errors))
        rows.append(plan)
        code = row.values.get("country_iso3")
        if code and code != country.iso3:
            if code not in known:
                plan.refuse("country_iso3", _("Unknown country code %(code)s.", code=code))
            else:
                plan.refuse(
                    "country_iso3",
                    _(
                        "This row is for %(row)s, but this import is for %(country)s.",
                        row=code,
                        country=country.iso3,
                    ),
                )
        usable.append((row, plan))
    planner(session, country, usable)
    return ImportPlan(table, country.iso3, rows)


def _compare(plan: RowPlan, table: Table, current: dict, values: dict) -> None:
    plan.changed = [
        c.name
        for c in table.columns
        if c.importable and c.name not in ("id", "version") and current[c.name] != values[c.name]
    ]


def _check_version(plan: RowPlan, current_version: int, values: dict) -> bool:
    if values.get("version") is None:
        plan.refuse("version", _("The version is required to change an existing record."))
        return False
    if values["version"] != current_version:
        plan.refuse(
            "version",
            _(
                "This record was changed after the file was exported (version %(file)s in the "
                "file, %(now)s now). Export it again and redo your changes.",
                file=values["version"],
                now=current_version,
            ),
        )
        return False
    return True


def _duplicates(rows, key) -> None:
    seen: dict[Any, int] = {}
    for row, plan in rows:
        k = key(row.values)
        if k is None or plan.action == REFUSED and not row.values:
            continue
        if k in seen:
            plan.refuse(None, _("This record also appears on line %(line)s.", line=seen[k]))
        else:
            seen[k] = row.line


# milestones


def _plan_milestones(session: Session, country: Country, rows) -> None:
    ids = [r.values["id"] for r, _p in rows if r.values.get("id")]
    existing = {
        m.id: m
        for m in session.exec(
            select(Milestone).where(Milestone.id.in_(ids), Milestone.country_id == country.id)
        ).all()
    }
    _duplicates(rows, lambda v: v.get("id"))
    for row, plan in rows:
        values = row.values
        plan.label = values.get("title") or ""
        if plan.action == REFUSED:
            continue
        fields = {name: values[name] for name in datasets.MILESTONE_FIELDS}
        fields["kind"] = MilestoneKind(fields["kind"])
        fields["status"] = MilestoneStatus(fields["status"])
        if values["id"] is None:
            plan.action = CREATE
            plan.apply = _creator(lambda f=fields: Milestone(country_id=country.id, **f))
            continue
        milestone = existing.get(values["id"])
        if milestone is None:
            plan.refuse(
                "id",
                _(
                    "No milestone with id %(id)s in %(country)s.",
                    id=values["id"],
                    country=country.iso3,
                ),
            )
            continue
        _compare(plan, MILESTONES, datasets.milestone_record(milestone, country.iso3), values)
        if plan.changed and _check_version(plan, milestone.version, values):
            plan.action = CHANGE
            plan.apply = _updater(
                milestone, {k: fields[k] for k in plan.changed}, values["version"]
            )


def _creator(build: Callable[[], Any]):
    def apply(session: Session, actor: changes.Actor) -> None:
        changes.create(session, build(), actor)

    return apply


class NothingToChange(Exception):
    """A planned change turned out to change nothing when applied."""


def _update(session, obj, actor, edit, version: int) -> None:
    # The plan said this row changes the record: if applying it changes nothing, the plan no
    # longer matches the database, so treat it as a failure of the whole import.
    if not changes.update(session, obj, actor, edit, expected_version=version):
        raise NothingToChange(f"{type(obj).__name__} {obj.id}")


def _updater(obj, change, version: int):
    def apply(session: Session, actor: changes.Actor) -> None:
        _update(session, obj, actor, change, version)

    return apply


# instruments

# The instrument's own fields, with their rules (``tracker.fields``), as imported.
INSTRUMENT_COLUMNS = tuple(INSTRUMENT)


def _plan_instruments(session: Session, country: Country, rows) -> None:
    own = {
        i.id: i
        for i in session.exec(select(Instrument).where(Instrument.country_id == country.id)).all()
    }
    titles, relations = datasets.instrument_extras(session, list(own))
    _duplicates(rows, lambda v: v.get("id"))
    for row, plan in rows:
        values = row.values
        plan.label = values.get("title") or ""
        if plan.action == REFUSED:
            continue
        # The date rules of the instrument form (the year and each cell: ``tracker.csvio``).
        for name, message in instrument_date_problems(values):
            plan.refuse(name, message)
        for kind in RelationKind:
            for target in values[kind.value]:
                if target not in own or target == values["id"]:
                    plan.refuse(
                        kind.value,
                        _(
                            "%(id)s is not another instrument of %(country)s.",
                            id=target,
                            country=country.iso3,
                        ),
                    )
        if plan.action == REFUSED:
            continue
        if values["title_en"] is None and _english(values["title_lang"]):
            values["title_en"] = values["title"]  # how an English title exports
        fields = {name: values[name] for name in INSTRUMENT_COLUMNS}
        fields["type"] = InstrumentType(fields["type"])
        fields["status"] = InstrumentStatus(fields["status"])
        wanted = {kind: values[kind.value] for kind in RelationKind}
        if values["id"] is None:
            plan.action = CREATE
            plan.apply = _create_instrument(country.id, fields, values["title_en"], wanted)
            continue
        instrument = own.get(values["id"])
        if instrument is None:
            plan.refuse(
                "id",
                _(
                    "No instrument with id %(id)s in %(country)s.",
                    id=values["id"],
                    country=country.iso3,
                ),
            )
            continue
        have = relations.get(instrument.id, {})
        current = datasets.instrument_record(
            instrument, country.iso3, titles.get(instrument.id), have
        )
        _compare(plan, INSTRUMENTS, current, values)
        for kind in RelationKind:
            if set(have.get(kind, [])) - set(wanted[kind]):
                plan.refuse(
                    kind.value,
                    _(
                        "An import can add relations but not remove them; remove it in the "
                        "workspace."
                    ),
                )
        if plan.changed and plan.action != REFUSED:
            if not _check_version(plan, instrument.version, values):
                continue
            plan.action = CHANGE
            plan.apply = _update_instrument(
                instrument,
                {k: fields[k] for k in plan.changed if k in fields},
                values["title_en"] if "title_en" in plan.changed else ...,
                {k: [t for t in wanted[k] if t not in have.get(k, [])] for k in RelationKind},
                values["version"],
            )


def _english(lang: str) -> bool:
    return lang.replace("_", "-").split("-")[0].lower() == "en"


def _set_english_title(instrument: Instrument, title_en: str | None) -> None:
    """Keep an English translation only where it says something the title does not."""
    needed = title_en is not None and not (
        _english(instrument.title_lang) and title_en == instrument.title
    )
    current = next((t for t in instrument.titles if t.locale == "en"), None)
    if not needed:
        if current is not None:
            instrument.titles.remove(current)
    elif current is None:
        instrument.titles.append(InstrumentTitle(locale="en", title=title_en))
    else:
        current.title = title_en


def _add_relations(session, instrument_id, new: dict, actor) -> None:
    for kind, targets in new.items():
        for target in targets:
            changes.create(
                session,
                InstrumentRelation(instrument_id=instrument_id, target_id=target, kind=kind),
                actor,
            )


def _create_instrument(country_id: int, fields: dict, title_en, relations: dict):
    def apply(session: Session, actor: changes.Actor) -> None:
        instrument = Instrument(country_id=country_id, **fields)
        _set_english_title(instrument, title_en)
        changes.create(session, instrument, actor)
        _add_relations(session, instrument.id, relations, actor)

    return apply


def _update_instrument(instrument: Instrument, change: dict, title_en, new_relations, version):
    def apply(session: Session, actor: changes.Actor) -> None:
        def edit(obj: Instrument) -> None:
            for name, value in change.items():
                setattr(obj, name, value)
            if title_en is not ...:
                _set_english_title(obj, title_en)

        if change or title_en is not ...:
            _update(session, instrument, actor, edit, version)
        _add_relations(session, instrument.id, new_relations, actor)

    return apply


# coverage


def _plan_coverage(session: Session, country: Country, rows) -> None:
    provisions = {p.code: p for p in datasets.current_provisions(session)}
    version = next(iter(provisions.values())).checklist_version if provisions else None
    coverage, links = datasets.country_coverage(session, country.id, list(provisions.values()))
    instruments = set(
        session.exec(select(Instrument.id).where(Instrument.country_id == country.id)).all()
    )
    _duplicates(rows, lambda v: v.get("provision_code"))
    for row, plan in rows:
        values = row.values
        code = values.get("provision_code")
        plan.label = code or ""
        if plan.action == REFUSED:
            continue
        if values["checklist_version"] != version:
            plan.refuse(
                "checklist_version",
                _(
                    "Only the current checklist (%(current)s) can be imported, not %(version)s.",
                    current=version or "–",
                    version=values["checklist_version"],
                ),
            )
            continue
        provision = provisions.get(code)
        if provision is None:
            plan.refuse(
                "provision_code",
                _(
                    "Unknown provision code %(code)s in checklist %(version)s.",
                    code=code,
                    version=version,
                ),
            )
            continue
        cov = coverage.get(provision.id)
        judgement = [values[n] for n in ("not_applicable_reason", "implementation", "evidence")]
        if values["applicable"] is None:
            if any(v is not None for v in judgement) or values["instruments"]:
                plan.refuse(
                    "applicable",
                    _("Say whether the provision applies (true or false) to record a judgement."),
                )
            elif cov is not None:
                plan.refuse(
                    "applicable",
                    _("An import cannot remove a judgement; change it in the workspace."),
                )
            continue
        if values["applicable"] is False and not values["not_applicable_reason"]:
            plan.refuse(
                "not_applicable_reason", _("Give the reason why the provision does not apply.")
            )
        for instrument_id, _extent, _articles in values["instruments"]:
            if instrument_id not in instruments:
                plan.refuse(
                    "instruments",
                    _(
                        "%(id)s is not an instrument of %(country)s.",
                        id=instrument_id,
                        country=country.iso3,
                    ),
                )
        if plan.action == REFUSED:
            continue
        if values["implementation"] is None:
            values["implementation"] = Implementation.NONE.value
        current = datasets.coverage_record(
            country.iso3, provision, cov, links.get(cov.id, []) if cov else []
        )
        _compare(plan, COVERAGE, current, values)
        if cov is None:
            plan.action = CREATE
            plan.apply = _create_coverage(country.id, provision.id, values)
        elif plan.changed and _check_version(plan, cov.version, values):
            plan.action = CHANGE
            plan.apply = _update_coverage(cov, values)


def _coverage_fields(values: dict) -> dict:
    return {
        "applicable": values["applicable"],
        "not_applicable_reason": values["not_applicable_reason"],
        "implementation": Implementation(values["implementation"]),
        "evidence": values["evidence"],
        "is_example": False,
    }


def _create_coverage(country_id: int, provision_id: int, values: dict):
    def apply(session: Session, actor: changes.Actor) -> None:
        cov = Coverage(country_id=country_id, provision_id=provision_id, **_coverage_fields(values))
        for instrument_id, extent, articles in values["instruments"]:
            cov.links.append(
                CoverageLink(instrument_id=instrument_id, extent=Extent(extent), articles=articles)
            )
        changes.create(session, cov, actor)

    return apply


def _update_coverage(cov: Coverage, values: dict):
    def edit(obj: Coverage) -> None:
        for name, value in _coverage_fields(values).items():
            setattr(obj, name, value)
        wanted = {i: (Extent(e), a) for i, e, a in values["instruments"]}
        for link in list(obj.links):
            if link.instrument_id not in wanted:
                obj.links.remove(link)
        for link in obj.links:
            link.extent, link.articles = wanted.pop(link.instrument_id)
        for instrument_id, (extent, articles) in sorted(wanted.items()):
            obj.links.append(
                CoverageLink(instrument_id=instrument_id, extent=extent, articles=articles)
            )

    def apply(session: Session, actor: changes.Actor) -> None:
        _update(session, cov, actor, edit, values["version"])

    return apply


def apply_plan(
    session: Session, plan: ImportPlan, actor: changes.Actor, receipt: ImportReceipt
) -> int:
    """Write every create and change of ``plan`` in one transaction; returns how many.

    ``receipt`` is inserted first (``changes.claim_import``): ``changes.AlreadyApplied`` when
    the same confirmation was applied before, in which case nothing is written.
    """
    assert not plan.refused
    receipt.created, receipt.changed = plan.count(CREATE), plan.count(CHANGE)
    done = 0
    with write.transaction(session):
        changes.claim_import(session, receipt, keep_seconds=2 * TOKEN_MAX_AGE)
        for row in plan.rows:
            if row.apply is not None:
                row.apply(session, actor)
                done += 1
    return done


def token_key(token: str) -> str:
    """The key of a confirmation in ``import_receipt`` (the token itself is signed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def history_marker(session: Session, country_id: int) -> int:
    """The latest change record of a country: it moves whenever the country's data changes."""
    return session.exec(
        select(sa.func.coalesce(sa.func.max(ChangeRecord.id), 0)).where(
            ChangeRecord.country_id == country_id
        )
    ).one()


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
        apply_plan(session, plan, current_user.actor, receipt)
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
