"""Blueprint ``manage``: the staff workspace. Every URL needs a signed-in person.

URL map (all under ``/<lang>/manage``; anonymous requests go to ``/<lang>/login?next=...``):

    GET       /                                        countries one may edit
    GET/POST  /countries/<ISO3>[?show=all|not-assessed|changed]
                                                       workspace: the checklist as one form by
                                                       category (filtered), instruments, milestones
    GET/POST  /countries/<ISO3>/instruments/new        new instrument
    GET/POST  /instruments/<id>/edit                   edit instrument (409 on a stale version)
    GET/POST  /instruments/<id>/delete                 confirm, then delete
    GET/POST  /instruments/<id>/relations/new          add a relation (made under, amends, repeals)
    GET/POST  /instruments/<id>/relations/<rid>/remove confirm, then remove it
    GET/POST  /instruments/<id>/titles/new             add a translated title (language from a list)
    GET/POST  /instruments/<id>/titles/<loc>/edit      change it
    GET/POST  /instruments/<id>/titles/<loc>/remove    confirm, then remove it
    GET       /countries/<ISO3>/evidence               the judged provisions, each to its evidence page
    GET/POST  /coverage/<id>/evidence                  a judgement's source links and the quoted
                                                       legal text of each of its coverage links
    GET/POST  /countries/<ISO3>/milestones/new         new milestone
    GET/POST  /milestones/<id>/edit                    edit milestone
    GET/POST  /milestones/<id>/delete                  confirm, then delete
    GET       /project                                 admin: the project's own timeline
    GET/POST  /project/milestones/new                  admin: new milestone of the project
    GET       /translations/<kind>/<id>                a record's texts and their translations
    GET/POST  /translations/<kind>/<id>/<field>/<loc>  add, change or (empty) delete one
    GET       /history                                 change records with field-by-field diffs
    GET/POST  /history/<record id>/restore             admin: bring back a deleted record
    GET       /users                                   admin: staff accounts
    GET/POST  /users/new                               admin: create an account
    GET/POST  /users/<id>/edit                         admin: role, country, active
    GET/POST  /users/<id>/password                     admin: set a new password
    GET/POST  /countries/new                           admin: add a country
    GET       /checklist                               admin: the current checklist, the versions
    GET       /checklist/versions/<code>               admin: one checklist version (a draft...)
    GET/POST  /checklist/versions/new                  admin: a draft copy of the current version
    GET/POST  /checklist/versions/<code>/make-current  admin: confirm, then make a draft current
    GET/POST  /checklist/versions/<code>/discard       admin: confirm, then delete a draft
    GET/POST  /checklist/new[?version=<code>]          admin: add a provision (to a draft)
    GET/POST  /checklist/provisions/<id>/edit          admin: category, level, indicator, sources
    GET/POST  /checklist/provisions/<id>/texts/<loc>   admin: title and guidance in one language
    POST      /checklist/provisions/<id>/move          admin: up or down within its category
    GET/POST  /checklist/provisions/<id>/retire        admin: confirm, then retire or bring back
    GET       /countries/<ISO3>/monitor                admin: published Monitor values and
                                                       e-waste figures of a country
    GET/POST  /countries/<ISO3>/monitor/new            admin: add a published Monitor value
    GET/POST  /monitor/<id>/edit                       admin: change it (409 on a stale version)
    GET/POST  /monitor/<id>/delete                     admin: confirm, then delete
    GET/POST  /countries/<ISO3>/facts/new              admin: add e-waste figures for a year
    GET/POST  /facts/<id>/edit                         admin: change them
    GET/POST  /facts/<id>/delete                       admin: confirm, then delete

Editors reach only their own country's records (403 otherwise); admins reach everything, and
only they edit the project's own timeline (milestones without a country). Every
write goes through ``tracker.write.changes`` inside one ``write.transaction`` per request, which
commits at its end or rolls everything back when a write is refused.
"""

from types import SimpleNamespace
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal as format_number
from flask_login import current_user
from sqlmodel import select

from tracker import db, write
from tracker.codes import ChangeAction, Role
from tracker.fields import EVIDENCE_FIELDS, TRANSLATABLE
from tracker.i18n import (
    LOCALES,
    _,
    _l,
    _lp,
    country_name,
    current_lang,
    language_in_readers_language,
    language_name,
)
from tracker.models import (
    ChangeRecord,
    ChecklistVersion,
    Country,
    CountryFact,
    Coverage,
    Instrument,
    Milestone,
    MonitorValue,
    Provision,
    ProvisionText,
    TextTranslation,
    User,
)
from tracker.read import history as history_read
from tracker.read import loaders, publications, workspace
from tracker.read import versions as version_read
from tracker.security import hash_password
from tracker.web import guards, words
from tracker.web.errors import abort_with
from tracker.web.forms import (
    MAX_NEW_LINKS,
    ConfirmForm,
    CountryFactForm,
    CountryForm,
    DraftVersionForm,
    HistoryFilterForm,
    InstrumentForm,
    InstrumentTitleEditForm,
    InstrumentTitleForm,
    MakeCurrentForm,
    MilestoneForm,
    MonitorValueForm,
    PasswordResetForm,
    ProvisionEditForm,
    ProvisionForm,
    ProvisionTextForm,
    RelationForm,
    TextTranslationForm,
    UserCreateForm,
    UserEditForm,
    add_blank_sources,
    add_link_group,
    already_applied_message,
    checklist_form,
    checklist_values,
    content_language_options,
    evidence_form,
    instrument_option,
    is_language_tag,
    options,
    sent_once_key,
    wanted_sources,
)
from tracker.web.guards import require_admin, require_country, staff_home
from tracker.write import accounts, changes, instruments, review, translations, versions
from tracker.write.checklist import (
    ChecklistConflict,
    ChecklistFrozen,
    ensure_editable,
    save_checklist,
    unlink_instrument,
)

bp = Blueprint("manage", __name__, url_prefix="/<lang>/manage")

PAGE_SIZE = 25
# The largest value of an INTEGER id column (as in the URLs, ``tracker.web.RowIdConverter``).
MAX_ID = 2**31 - 1

ENTITY_LABELS = {
    "instrument": _l("Instrument"),
    "milestone": _l("Milestone"),
    "coverage": _l("Checklist judgement"),
    "country": _l("Country"),
    "provision": _l("Provision"),
    "user_account": _l("Staff account"),
    "checklist_version": _l("Checklist version"),
    "category": _l("Category"),
    "instrument_relation": _l("Relation between instruments"),
    "monitor_value": _l("Global E-waste Monitor value"),
    "country_fact": _l("E-waste figures"),
    "text_translation": _l("Translation"),
}
# The states of a checklist version, and what can change from one version to the next (issue 12).
VERSION_STATES = {
    "draft": _lp("checklist version", "Draft"),
    "current": _lp("checklist version", "Current"),
    "superseded": _lp("checklist version", "Superseded"),
}
ASPECT_LABELS = {
    "wording": _l("wording"),
    "level": _l("level"),
    "category": _l("category"),
    "indicator": _l("Monitor indicator"),
    "sources": _l("sources"),
    "retired": _l("retired or brought back"),
}
# Changes no signed-in person made (``tracker.write.changes.SYSTEM_ACTORS``), by stored name.
SYSTEM_ACTOR_LABELS = {
    changes.COMMAND_LINE.email: _l("Command line"),
    changes.DEMO_DATA.email: _l("Demo data"),
}


# Anonymous visitors are sent to the sign-in page, which brings them back here.
bp.before_request(guards.require_login)


def _changed_meanwhile(form, exc: changes.StaleVersion) -> int:
    """A confirmation form whose record changed since the page was opened: carry the record's
    current version, say why, and answer 409 (Conflict)."""
    form.version.data = str(exc.record.version)
    form.form_errors.append(
        _(
            "Someone else changed this record after you opened this page. Check it, then "
            "confirm again."
        )
    )
    return 409

@bp.context_processor
def _language_options() -> dict:
    """The languages a text may be written in, for the forms' suggestions (a ``<datalist>``)."""
    return {"content_language_options": content_language_options}


def frozen_message(code: str | None) -> str:
    return _(
        "Checklist version %(version)s is used by published figures, so it can no longer change: "
        "adding, retiring, reordering or rewording a provision would change what those "
        "publications say. Create a draft version, make the change there, then make the draft "
        "current.",
        version=code or "",
    )


@bp.errorhandler(ChecklistFrozen)
def _frozen(error: ChecklistFrozen):
    """A change to a checklist version a publication uses: refused, nothing written (409)."""
    from tracker.web.errors import render_error

    return render_error(409, frozen_message(error.code))


# --- helpers ------------------------------------------------------------------------------------


def _country(iso3: str) -> Country:
    country = db.get_session().exec(select(Country).where(Country.iso3 == iso3.upper())).first()
    if country is None:
        abort(404)
    require_country(country.id)
    return country


def _owned(model, record_id: int):
    """The record, after checking that the signed-in person may edit its country."""
    obj = db.get_session().get(model, record_id)
    if obj is None:
        abort(404)
    require_country(obj.country_id)
    return obj


def _workspace_url(country_id: int | None) -> str:
    """The workspace of a country; the project's timeline page for records of no country."""
    if country_id is None:
        return url_for("manage.project")
    country = db.get_session().get(Country, country_id)
    return url_for("manage.workspace", iso3=country.iso3)


def _label(form, name: str) -> str:
    if form is not None and name in form:
        return str(form[name].label.text)
    return name.replace("_", " ").capitalize()


def _conflict_rows(
    form, original: dict | None, current: dict, submitted, entity: str = ""
) -> list:
    """What is stored now against what the person entered: (label, now, yours), in words.

    The fields listed are those someone else changed since the form's version when history
    knows that version, else those where the stored value differs from the input.
    """
    yours = (
        {name: changes.plain(value) for name, value in submitted.items()}
        if isinstance(submitted, dict)
        else {}
    )
    if original:
        names = [name for name, _old, _new in changes.diff(original, current)]
    else:
        names = [name for name, value in yours.items() if current.get(name) != value]
    mentioned = SimpleNamespace(
        entity=entity, entity_id=None, country_id=None, before=current, after=yours
    )
    known = history_read.names_for(db.get_session(), [mentioned], current_lang())
    return [
        (
            _label(form, name) if form is not None and name in form
            else words.field_label(entity, name),
            words.value_words(entity, name, current.get(name), known),
            words.value_words(entity, name, yours.get(name), known),
        )
        for name in names
        if name != "password_hash" and name not in words.HIDDEN
    ]


def _edit(
    obj,
    form,
    template_args: dict,
    done_url: str,
    saved_message: str,
    values=None,
    check=None,
    children=None,
):
    """Shared handling of an edit form: 303 on success, 422 invalid, 409 stale.

    ``values()`` gives the changes to apply (a dict or a function, see ``changes.update``); by
    default the form's ``MODEL_FIELDS``. ``check()`` may add field errors after validation.
    ``children(obj)`` also changes the record's owned rows (source links, a link's evidence).
    """
    dbs = db.get_session()
    if not form.is_submitted():
        return render_template("manage/form.html", form=form, **template_args)
    if not form.validate() or (check is not None and not check()):
        return render_template("manage/form.html", form=form, **template_args), 422
    loaded = form.version_value()
    submitted = values() if values else form.model_values(form.MODEL_FIELDS)
    apply = submitted
    if children is not None:

        def apply(record) -> None:  # the fields, then the owned rows
            for name, value in submitted.items():
                setattr(record, name, value)
            children(record)

    try:
        with write.transaction(dbs, once=sent_once_key()):
            changed = changes.update(dbs, obj, current_user.actor, apply, expected_version=loaded)
    except write.AlreadyApplied:
        flash(already_applied_message(), "success")
        return redirect(done_url, code=303)
    except changes.StaleVersion as exc:
        original = changes.state_at_version(dbs, exc.record, loaded) if loaded else None
        conflict = _conflict_rows(
            form, original, exc.current, submitted, changes.entity_name(exc.record)
        )
        form.version.data = str(exc.record.version)
        form.form_errors.append(
            _(
                "Someone else saved this record after you opened it. Your changes are not saved "
                "yet: check them against the changes listed here, then save again to replace "
                "them."
            )
        )
        return (
            render_template(
                "manage/form.html", form=form, conflict=conflict or None, **template_args
            ),
            409,
        )
    flash(saved_message if changed else _("Nothing was changed."), "success")
    return redirect(done_url, code=303)


def _confirm_delete(
    obj, heading: str, description: str, back_url: str, done_url: str, before_delete=None
):
    """GET: are you sure? POST: delete (409 when the record changed since the page was shown)."""
    dbs = db.get_session()
    form = ConfirmForm(data={"version": obj.version})
    status = 200
    if form.validate_on_submit():
        loaded = form.version_value()
        try:
            with write.transaction(dbs):
                if obj.version != loaded:
                    raise changes.StaleVersion(obj, loaded)
                if before_delete is not None:
                    before_delete(obj)
                changes.delete(dbs, obj, current_user.actor, expected_version=loaded)
        except changes.StaleVersion as exc:
            status = _changed_meanwhile(form, exc)
        else:
            flash(_("Deleted. An administrator can restore it from the history."), "success")
            return redirect(done_url, code=303)
    elif form.is_submitted():
        status = 422
    return (
        render_template(
            "manage/confirm.html",
            form=form,
            heading=heading,
            description=description,
            back_url=back_url,
            button=_("Yes, delete"),
            danger=True,
        ),
        status,
    )


# --- countries and the workspace ----------------------------------------------------------------


@bp.get("/")
def index():
    """The countries this person may edit; an editor of one country goes straight to its
    workspace."""
    if not current_user.is_admin:
        home = staff_home(current_user)
        if home != request.path:
            return redirect(home, code=303)
    countries = workspace.editable_countries(db.get_session(), current_user)
    return render_template("manage/index.html", countries=countries)


def _show() -> str:
    """The checklist's filter (``?show=``): all, not assessed, or changed since publication."""
    show = request.args.get("show", workspace.SHOW_ALL)
    if show not in workspace.SHOW:
        abort_with(
            400,
            _(
                "The checklist can show all provisions (show=all), those not assessed yet "
                "(show=not-assessed) or those changed since the last publication (show=changed)."
            ),
        )
    return show


def _posted_rows(ws: workspace.Workspace) -> list[workspace.ProvisionRow]:
    """The rows a POST of the checklist form carries (the form shows only the filter's rows):
    those whose version field was sent. Rows it does not carry are left as they are."""
    return [row for row in ws.rows if f"p{row.provision.id}-version" in request.form]


@bp.route("/countries/<iso3>", methods=("GET", "POST"), endpoint="workspace")
def workspace_page(iso3: str):
    """The workspace: the checklist as one form, by category, filtered by ``?show=``; plus the
    instruments and milestones.

    Saving keeps the filter and returns to the category whose save button was used
    (``section``), with the message there. "Add another link" (``add_link``: a provision code)
    redisplays the form as typed with one more empty link group in that row, saving nothing:
    the page's script does the same without a round trip.
    """
    country = _country(iso3)
    show = _show()
    dbs = db.get_session()
    ws = workspace.country_workspace(dbs, country, current_lang())
    pub = publications.publication_state(dbs, country.id)  # review and publication (issue 12)
    since = _since_publication(pub)  # the checklist version changed since the last publication
    changed = frozenset()
    if show == workspace.SHOW_CHANGED:
        changed = frozenset(
            review.working_copy_diff(dbs, country.id, pub.latest, current_lang()).provision_codes()
        )

    def page(form, rows, status=200, **extra):
        body = render_template(
            "manage/workspace.html",
            ws=ws,
            form=form,
            pub=pub,
            since=since,
            show=show,
            changed=changed,
            sections=workspace.sections(ws.rows, rows),
            not_assessed=sum(1 for row in ws.rows if not row.assessed),
            max_new_links=MAX_NEW_LINKS,
            **extra,
        )
        return body, status

    if request.method == "GET":
        rows = workspace.shown_rows(ws.rows, show, changed)
        form = checklist_form(
            [row.provision for row in rows],
            ws.instruments,
            ws.linked,
            data=workspace.checklist_data(ws),
        )
        return page(form, rows)
    rows = _posted_rows(ws)
    provisions = [row.provision for row in rows]
    form = checklist_form(provisions, ws.instruments, ws.linked, formdata=request.form)
    add_to = request.form.get("add_link", "")
    if add_to:
        target = next((p for p in provisions if p.code == add_to), None)
        if target is None:
            abort(400)
        added = add_link_group(form, target.id)
        return page(form, rows, added_to=target.id if added else None)
    if not rows:
        form.form_errors.append(
            _("The form sent no provision of the checklist. Open the workspace again and save from there.")
        )
        return page(form, rows, 422)
    if not form.validate():
        return page(form, rows, 422)
    wanted = checklist_values(form, provisions)
    try:
        with write.transaction(dbs, once=sent_once_key()):
            saved = save_checklist(dbs, ws, wanted, current_user.actor)
    except write.AlreadyApplied:
        saved = None
    except ChecklistConflict as exc:
        ws = workspace.country_workspace(dbs, country, current_lang())
        rows = _posted_rows(ws)
        conflict_names = history_read.names_for(
            dbs,
            [
                SimpleNamespace(entity="coverage", entity_id=None, country_id=None,
                                before={name: then}, after={name: now})
                for c in exc.conflicts
                for name, then, now in (c.changed or ())
            ],
            current_lang(),
        )
        for conflict in exc.conflicts:
            if conflict.code:
                row = form[
                    next(f"p{r.provision.id}" for r in ws.rows if r.provision.code == conflict.code)
                ]
                row.form.version.data = str(conflict.version)
        form.form_errors.append(
            _(
                "Someone else saved part of this checklist after you opened it. Nothing was "
                "saved. Your entries are kept below: check the rows listed here, then save again."
            )
        )
        return page(
            form,
            rows,
            409,
            conflicts=exc.conflicts,
            label=lambda n: words.field_label("coverage", n),
            say=lambda n, v: words.value_words("coverage", n, v, conflict_names),
        )
    if saved is None:
        flash(already_applied_message(), "success")
    elif saved:
        flash(_("Checklist saved (%(n)s provisions changed).", n=saved), "success")
    else:
        flash(_("Nothing was changed."), "success")
    section = request.form.get("section", "")
    anchor = "checklist"
    if section in {row.category_code for row in rows}:
        flash(section, "section")  # the message shows in that category (manage/workspace.html)
        anchor = f"cat-{section}"
    target = url_for(
        "manage.workspace",
        iso3=country.iso3,
        show=None if show == workspace.SHOW_ALL else show,
        _anchor=anchor,
    )
    return redirect(target, code=303)


def _since_publication(pub) -> "version_read.VersionChanges | None":
    """The provisions new or changed in the current checklist version since the version of the
    country's last publication (None when that is the current version, or nothing is published)."""
    latest = pub.latest if pub is not None else None
    if latest is None or latest.checklist_id is None:
        return None
    dbs = db.get_session()
    current = loaders.current_checklist(dbs)
    if current is None or current.id == latest.checklist_id:
        return None
    return version_read.compare_versions(dbs, latest.checklist_id, current.id, current_lang())


@bp.route("/countries/new", methods=("GET", "POST"))
def country_create():
    """Admin: add a country taking part in the project."""
    require_admin()
    form = CountryForm()
    args = {
        "heading": _("Add a country"),
        "back_url": url_for("manage.index"),
        "submit": _("Add country"),
    }
    if form.is_submitted():
        if form.validate():
            dbs = db.get_session()
            if dbs.exec(select(Country).where(Country.iso3 == form.iso3.data)).first():
                form.iso3.errors.append(_("This country is already in the project."))
            elif dbs.exec(select(Country).where(Country.iso2 == form.iso2)).first():
                form.iso3.errors.append(_("This country is already in the project."))
            else:
                country = Country(
                    iso3=form.iso3.data,
                    iso2=form.iso2,
                    languages=" ".join(form.language_tags()),
                    joined_on=form.joined_on.data,  # a PartialDate: ``changes`` stores both columns
                )
                with write.transaction(dbs):
                    changes.create(dbs, country, current_user.actor)
                flash(_("Country added."), "success")
                return redirect(url_for("manage.workspace", iso3=country.iso3), code=303)
        return render_template("manage/form.html", form=form, **args), 422
    return render_template("manage/form.html", form=form, **args)


# --- instruments --------------------------------------------------------------------------------


def _create(country: Country | None, model, form, args: dict, saved: str, children=None):
    """The shared create flow: validate, write through ``changes``, 303 back; 422 on errors.
    ``children(record)`` adds owned rows (an instrument's source links) before it is written.
    Without a country the record is the project's own (a project milestone)."""
    if form.is_submitted():
        if form.validate():
            country_id = country.id if country is not None else None
            record = model(country_id=country_id, **form.model_values(form.MODEL_FIELDS))
            if children is not None:
                children(record)
            dbs = db.get_session()
            try:
                with write.transaction(dbs, once=sent_once_key()):
                    changes.create(dbs, record, current_user.actor)
            except write.AlreadyApplied:
                saved = already_applied_message()
            flash(saved, "success")
            return redirect(args["back_url"], code=303)
        return render_template("manage/form.html", form=form, **args), 422
    return render_template("manage/form.html", form=form, **args)


@bp.route("/countries/<iso3>/instruments/new", methods=("GET", "POST"))
def instrument_create(iso3: str):
    country = _country(iso3)
    form = InstrumentForm()
    back = url_for("manage.workspace", iso3=country.iso3)
    args = {
        "heading": _("New instrument"),
        "back_url": back,
        "submit": _("Save instrument"),
        "country": country,
    }
    form.title_lang.suggest(country.language_list)
    if not form.is_submitted():
        form.title_lang.data = (country.language_list or ["en"])[0]
        add_blank_sources(form.sources)
        form.summary_lang.data = current_lang()
    return _create(
        country,
        Instrument,
        form,
        args,
        _("Instrument saved."),
        children=lambda inst: changes.set_sources(inst, wanted_sources(form.sources)),
    )


@bp.route("/instruments/<int:instrument_id>/edit", methods=("GET", "POST"))
def instrument_update(instrument_id: int):
    inst = _owned(Instrument, instrument_id)
    back = _workspace_url(inst.country_id)
    form = InstrumentForm(obj=inst)
    dbs = db.get_session()
    form.title_lang.suggest(dbs.get(Country, inst.country_id).language_list)
    if not form.is_submitted():
        add_blank_sources(form.sources)
    args = {
        "heading": _("Edit instrument"),
        "back_url": back,
        "submit": _("Save instrument"),
        "parts": workspace.instrument_parts(dbs, inst, current_lang()),
        "translations_link": _translations_link("instrument", inst.id),
    }

    return _edit(
        inst,
        form,
        args,
        back,
        _("Instrument saved."),
        children=lambda obj: changes.set_sources(obj, wanted_sources(form.sources)),
    )


# --- an instrument's relations and translated titles ------------------------------------------------


def _instrument_page(inst: Instrument, part: str) -> str:
    return url_for("manage.instrument_update", instrument_id=inst.id) + f"#{part}"


def _relation_problem(inst: Instrument, form: RelationForm) -> bool:
    """Add the field error that makes this relation impossible, if any."""
    target_id = form.target_id
    if target_id == inst.id:
        form.target.errors.append(_("An instrument cannot be related to itself."))
        return True
    target = db.get_session().get(Instrument, target_id) if target_id else None
    if target is None or target.country_id != inst.country_id:
        form.target.errors.append(_("Choose another instrument of the same country."))
        return True
    if any(r.kind == form.kind.code and r.target_id == target_id for r in inst.relations):
        form.target.errors.append(_("This relation is recorded already."))
        return True
    return False


@bp.route("/instruments/<int:instrument_id>/relations/new", methods=("GET", "POST"))
def instrument_relation_create(instrument_id: int):
    """Add a relation of this instrument to another of its country (made under, amends,
    repeals): a change to the instrument, refused when the instrument changed meanwhile."""
    inst = _owned(Instrument, instrument_id)
    parts = workspace.instrument_parts(db.get_session(), inst, current_lang())
    form = RelationForm(data={"version": inst.version})
    form.target.choices = options(
        [("", _("Choose…"))] + [(o.id, instrument_option(o)) for o in parts.candidates]
    )
    back = _instrument_page(inst, "relations")
    args = {
        "heading": _("Add a relation"),
        "description": inst.title,
        "back_url": back,
        "submit": _("Add the relation"),
    }
    return _edit(
        inst,
        form,
        args,
        back,
        _("Relation added."),
        values=lambda: {},
        check=lambda: not _relation_problem(inst, form),
        children=lambda obj: instruments.add_relation(form.kind.code, form.target_id)(obj),
    )


def _confirm_change(inst: Instrument, apply, *, heading, description, details, back, button,
                    saved: str):  # fmt: skip
    """GET: are you sure? POST: apply the change to the instrument (409 when it changed since
    the page was shown)."""
    dbs = db.get_session()
    form = ConfirmForm(data={"version": inst.version})
    status = 200
    if form.validate_on_submit():
        try:
            with write.transaction(dbs):
                changes.update(
                    dbs, inst, current_user.actor, apply, expected_version=form.version_value()
                )
        except changes.StaleVersion as exc:
            status = _changed_meanwhile(form, exc)
        else:
            flash(saved, "success")
            return redirect(back, code=303)
    elif form.is_submitted():
        status = 422
    return (
        render_template(
            "manage/confirm.html",
            form=form,
            heading=heading,
            description=description,
            details=details,
            back_url=back,
            button=button,
            danger=True,
        ),
        status,
    )


@bp.route(
    "/instruments/<int:instrument_id>/relations/<int:relation_id>/remove", methods=("GET", "POST")
)
def instrument_relation_remove(instrument_id: int, relation_id: int):
    """Are you sure? Then remove one of this instrument's relations."""
    inst = _owned(Instrument, instrument_id)
    parts = workspace.instrument_parts(db.get_session(), inst, current_lang())
    line = next((r for r in parts.relations if r.id == relation_id), None)
    if line is None:
        abort(404)
    return _confirm_change(
        inst,
        instruments.remove_relation(relation_id),
        heading=_("Remove this relation?"),
        description=inst.title,
        details=[(line.kind.label, line.other_title)],
        back=_instrument_page(inst, "relations"),
        button=_("Yes, remove it"),
        saved=_("Relation removed."),
    )


@bp.route("/instruments/<int:instrument_id>/titles/new", methods=("GET", "POST"))
def instrument_title_create(instrument_id: int):
    """Add the instrument's title in another language, picked from the list."""
    inst = _owned(Instrument, instrument_id)
    form = InstrumentTitleForm(data={"version": inst.version})
    form.locale.suggest(db.get_session().get(Country, inst.country_id).language_list)
    back = _instrument_page(inst, "titles")
    args = {
        "heading": _("Add a translated title"),
        "description": inst.title,
        "back_url": back,
        "submit": _("Save the title"),
    }

    def check() -> bool:
        if form.locale.data == inst.title_lang:
            form.locale.errors.append(
                _("This is the language of the original title: change the title itself.")
            )
            return False
        if any(t.locale == form.locale.data for t in inst.titles):
            form.locale.errors.append(
                _("This instrument has a title in this language already: change that one.")
            )
            return False
        return True

    return _edit(
        inst,
        form,
        args,
        back,
        _("Title saved."),
        values=lambda: {},
        check=check,
        children=lambda obj: instruments.set_title(form.locale.data, form.title.data)(obj),
    )


def _translated_title(inst: Instrument, locale: str):
    found = next((t for t in inst.titles if t.locale == locale), None)
    if found is None:
        abort(404)
    return found


@bp.route("/instruments/<int:instrument_id>/titles/<locale>/edit", methods=("GET", "POST"))
def instrument_title_update(instrument_id: int, locale: str):
    """Change the instrument's title in one language."""
    inst = _owned(Instrument, instrument_id)
    found = _translated_title(inst, locale)
    form = InstrumentTitleEditForm(data={"title": found.title, "version": inst.version})
    back = _instrument_page(inst, "titles")
    args = {
        "heading": _("Title in %(language)s", language=language_in_readers_language(locale)),
        "description": inst.title,
        "back_url": back,
        "submit": _("Save the title"),
        "text_lang": locale,
    }
    return _edit(
        inst,
        form,
        args,
        back,
        _("Title saved."),
        values=lambda: {},
        children=lambda obj: instruments.set_title(locale, form.title.data)(obj),
    )


@bp.route("/instruments/<int:instrument_id>/titles/<locale>/remove", methods=("GET", "POST"))
def instrument_title_remove(instrument_id: int, locale: str):
    """Are you sure? Then remove the instrument's title in one language."""
    inst = _owned(Instrument, instrument_id)
    found = _translated_title(inst, locale)
    return _confirm_change(
        inst,
        instruments.set_title(locale, None),
        heading=_("Remove the title in %(language)s?", language=language_in_readers_language(locale)),
        description=inst.title,
        details=[(language_name(locale, current_lang()), found.title)],
        back=_instrument_page(inst, "titles"),
        button=_("Yes, remove it"),
        saved=_("Title removed."),
    )


@bp.get("/countries/<iso3>/evidence")
def evidence_index(iso3: str):
    """The judged provisions of a country, each linking to its evidence page."""
    country = _country(iso3)
    ws = workspace.country_workspace(db.get_session(), country, current_lang())
    return render_template("manage/evidence_index.html", ws=ws)


@bp.route("/coverage/<int:coverage_id>/evidence", methods=("GET", "POST"))
def evidence(coverage_id: int):
    """One judgement's source links and the quoted legal text of each of its coverage links."""
    cov = _owned(Coverage, coverage_id)
    dbs = db.get_session()
    provision = dbs.get(Provision, cov.provision_id)
    linked = {
        iid: (title, lang)
        for iid, title, lang in dbs.exec(
            select(Instrument.id, Instrument.title, Instrument.title_lang).where(
                Instrument.id.in_([link.instrument_id for link in cov.links])
            )
        ).all()
    }
    titles = {iid: title for iid, (title, _lang) in linked.items()}
    if request.method == "GET":
        form = evidence_form(
            cov.links,
            titles,
            data={
                "version": cov.version,
                "sources": [
                    {"url": s.url, "kind": s.kind.value, "note": s.note or ""} for s in cov.sources
                ],
                **{
                    f"l{link.instrument_id}": {
                        name: getattr(link, name) or "" for name in EVIDENCE_FIELDS
                    }
                    | {
                        "translation_status": link.translation_status.value
                        if link.translation_status
                        else ""
                    }
                    for link in cov.links
                },
            },
        )
        add_blank_sources(form.sources)
    else:
        form = evidence_form(cov.links, titles)
    country_languages = dbs.get(Country, cov.country_id).language_list
    for group in form.link_fields():
        # An excerpt is quoted in the instrument's language, most likely one of the country's.
        group.form.excerpt_lang.suggest([linked[int(group.short_name[1:])][1], *country_languages])
    back = _workspace_url(cov.country_id) + f"#p-{provision.code}"
    args = {
        "heading": _("Evidence for %(code)s", code=provision.code),
        "back_url": back,
        "submit": _("Save the evidence"),
        "translations_link": _translations_link("coverage", cov.id),
    }

    def children(obj: Coverage) -> None:
        changes.set_sources(obj, wanted_sources(form.sources))
        wanted = {int(f.short_name[1:]): f.form.values() for f in form.link_fields()}
        for link in obj.links:
            for name, value in wanted.get(link.instrument_id, {}).items():
                if getattr(link, name) != value:
                    setattr(link, name, value)

    return _edit(
        cov, form, args, back, _("Evidence saved."), values=lambda: {}, children=children
    )


@bp.route("/instruments/<int:instrument_id>/delete", methods=("GET", "POST"))
def instrument_delete(instrument_id: int):
    inst = _owned(Instrument, instrument_id)
    back = _workspace_url(inst.country_id)
    return _confirm_delete(
        inst,
        heading=_("Delete this instrument?"),
        description=inst.title,
        back_url=back,
        done_url=back,
        before_delete=_before_instrument_delete,
    )


def _before_instrument_delete(instrument: Instrument) -> None:
    unlink_instrument(db.get_session(), instrument, current_user.actor)
    translations.delete_translations(db.get_session(), instrument, current_user.actor)


def _delete_translations(record) -> None:
    translations.delete_translations(db.get_session(), record, current_user.actor)


# --- milestones ---------------------------------------------------------------------------------


@bp.route("/countries/<iso3>/milestones/new", methods=("GET", "POST"))
def milestone_create(iso3: str):
    country = _country(iso3)
    form = MilestoneForm()
    back = url_for("manage.workspace", iso3=country.iso3)
    args = {
        "heading": _("New milestone"),
        "back_url": back,
        "submit": _("Save milestone"),
        "country": country,
    }
    if not form.is_submitted():
        form.title_lang.data = form.notes_lang.data = current_lang()
    return _create(country, Milestone, form, args, _("Milestone saved."))


@bp.route("/milestones/<int:milestone_id>/edit", methods=("GET", "POST"))
def milestone_update(milestone_id: int):
    ms = _owned(Milestone, milestone_id)
    back = _workspace_url(ms.country_id)
    form = MilestoneForm(obj=ms)
    args = {
        "heading": _("Edit milestone"),
        "back_url": back,
        "submit": _("Save milestone"),
        "translations_link": _translations_link("milestone", ms.id),
    }
    return _edit(ms, form, args, back, _("Milestone saved."))


@bp.route("/milestones/<int:milestone_id>/delete", methods=("GET", "POST"))
def milestone_delete(milestone_id: int):
    ms = _owned(Milestone, milestone_id)
    back = _workspace_url(ms.country_id)
    return _confirm_delete(
        ms,
        heading=_("Delete this milestone?"),
        description=ms.title,
        back_url=back,
        done_url=back,
        before_delete=_delete_translations,
    )


# --- the project's own timeline (administrators) ---------------------------------------------------


@bp.get("/project")
def project():
    """Admin: the milestones of the project as a whole (no country), with links to edit them."""
    require_admin()
    milestones = workspace.project_milestones(db.get_session())
    return render_template("manage/project.html", milestones=milestones)


@bp.route("/project/milestones/new", methods=("GET", "POST"))
def project_milestone_create():
    """Admin: a new milestone of the project as a whole."""
    require_admin()
    form = MilestoneForm()
    args = {
        "heading": _("New milestone of the project"),
        "back_url": url_for("manage.project"),
        "submit": _("Save milestone"),
    }
    if not form.is_submitted():
        form.title_lang.data = form.notes_lang.data = current_lang()
    return _create(None, Milestone, form, args, _("Milestone saved."))


# --- translations of records' texts ---------------------------------------------------------------

TRANSLATED_MODELS = {"instrument": Instrument, "coverage": Coverage, "milestone": Milestone}
# The link from the page where staff edit a record's texts to the page of their translations.
TRANSLATIONS_LINK_LABELS = {
    "instrument": _l("Translations of the summary"),
    "coverage": _l("Translations of the evidence"),
    "milestone": _l("Translations of the title and notes"),
}
TEXT_LABELS = {
    ("instrument", "summary"): _l("Summary"),
    ("coverage", "evidence"): _l("Evidence"),
    ("milestone", "title"): _l("Title"),
    ("milestone", "notes"): _l("Notes"),
}


def _translations_link(kind: str, record_id: int) -> tuple[str, str]:
    """(address, words) of the translations page of a record's texts, for its edit page."""
    url = url_for("manage.record_translations", kind=kind, record_id=record_id)
    return url, str(TRANSLATIONS_LINK_LABELS[kind])


def _translated_record(kind: str, record_id: int):
    """The record whose texts are translated, after checking that one may edit it."""
    model = TRANSLATED_MODELS.get(kind)
    if model is None:
        abort(404)
    return _owned(model, record_id)


@bp.get("/translations/<kind>/<int:record_id>")
def record_translations(kind: str, record_id: int):
    """A record's translatable texts, each original with its translations into every locale."""
    record = _translated_record(kind, record_id)
    found = {
        (t.field, t.locale): t
        for t in translations.translations_of(db.get_session(), kind, record_id)
    }
    texts = [
        (
            name,
            TEXT_LABELS[(kind, name)],
            getattr(record, name),
            getattr(record, f"{name}_lang"),
            [(loc, language_name(loc), found.get((name, loc))) for loc in LOCALES],
        )
        for name in TRANSLATABLE[kind]
    ]
    return render_template(
        "manage/translations.html",
        kind=kind,
        record=record,
        label=ENTITY_LABELS[kind],
        texts=texts,
        back_url=_workspace_url(record.country_id),
    )


@bp.route(
    "/translations/<kind>/<int:record_id>/<field>/<locale>", methods=("GET", "POST")
)
def translation_edit(kind: str, record_id: int, field: str, locale: str):
    """Add, change or (saved empty) delete one translation of a record's text."""
    record = _translated_record(kind, record_id)
    if field not in TRANSLATABLE[kind] or locale not in LOCALES:
        abort(404)
    dbs = db.get_session()
    found = dbs.exec(
        select(TextTranslation).where(
            TextTranslation.entity == kind,
            TextTranslation.entity_id == record_id,
            TextTranslation.field == field,
            TextTranslation.locale == locale,
        )
    ).first()
    form = TextTranslationForm(obj=found)
    if found is None and not form.is_submitted():
        form.version.data = "0"
    back = url_for("manage.record_translations", kind=kind, record_id=record_id)
    args = {
        "heading": _(
            "%(text)s in %(language)s",
            text=TEXT_LABELS[(kind, field)],
            language=language_name(locale, current_lang()),
        ),
        "back_url": back,
        "submit": _("Save translation"),
        "original": getattr(record, field),
        "original_lang": getattr(record, f"{field}_lang"),
        "locale": locale,
    }
    if not form.is_submitted():
        return render_template("manage/translation.html", form=form, **args)
    if not form.validate():
        return render_template("manage/translation.html", form=form, **args), 422
    loaded = form.version_value()
    stored = found.version if found is not None else 0
    try:
        if loaded != stored:
            raise changes.StaleVersion(found or record, loaded)
        with write.transaction(dbs):
            changed = translations.save_translation(
                dbs,
                found,
                (kind, record_id, field, locale),
                form.text.data or None,
                current_user.actor,
                expected_version=loaded if found is not None else None,
            )
    except changes.StaleVersion:
        form.version.data = str(stored)
        form.form_errors.append(
            _(
                "Someone else saved this translation after you opened it. It now reads as shown "
                "above; save again to replace it with yours."
            )
        )
        args["current"] = found.text if found is not None else None
        return render_template("manage/translation.html", form=form, **args), 409
    flash(_("Translation saved.") if changed else _("Nothing was changed."), "success")
    return redirect(back, code=303)


# --- history ------------------------------------------------------------------------------------


@bp.get("/history")
def history():
    """Change records, newest first, filtered by country, record and person, with diffs."""
    dbs = db.get_session()
    countries = workspace.editable_countries(dbs, current_user)
    form = HistoryFilterForm(formdata=request.args)
    form.country.choices = options(
        [("", _("All countries"))] + [(c.iso3, country_name(c.iso2)) for c in countries]
    )
    # Editors have no user administration: staff accounts stay out of their history too.
    kinds = {
        name: label
        for name, label in ENTITY_LABELS.items()
        if current_user.is_admin or name != "user_account"
    }
    form.entity.choices = options([("", _("All kinds")), *kinds.items()])
    form.validate()
    by_iso3 = {c.iso3: c for c in countries}
    wanted = history_read.HistoryFilter(
        only_country_id=None if current_user.is_admin else current_user.country_id,
        hide_entities=frozenset() if current_user.is_admin else frozenset({"user_account"}),
        country_id=by_iso3[form.country.data].id if form.country.data in by_iso3 else None,
        entity=form.entity.data if form.entity.data in kinds else None,
        # A number no id column can hold matches nothing (rather than overflowing the driver).
        entity_id=(form.record.data if abs(form.record.data) <= MAX_ID else 0)
        if form.record.data and not form.record.errors
        else None,
        actor=form.person.data.lower() if form.person.data and not form.person.errors else None,
    )
    records, total, page, pages = history_read.history_page(
        dbs, wanted, request.args.get("page", 1, type=int)
    )
    names = history_read.names_for(dbs, records, current_lang())
    entries = [
        {
            "record": r,
            "country": names.countries.get(r.country_id),
            "entity_label": ENTITY_LABELS.get(r.entity, r.entity),
            "name": words.record_name(r.entity, r.after or r.before, names, r.summary),
            "actor": SYSTEM_ACTOR_LABELS.get(r.actor, r.actor),
            "system_actor": r.actor in SYSTEM_ACTOR_LABELS,
            "diff": words.diff_rows(r.entity, changes.diff(r.before, r.after), names),
            "restorable": r.action is ChangeAction.DELETE and r.entity in changes.RESTORABLE,
        }
        for r in records
    ]
    # The pager keeps the filters, and nothing else of the query string.
    filters = {field.name: field.data for field in form if field.data}

    def page_url(n: int) -> str:
        return url_for("manage.history") + "?" + urlencode({**filters, "page": n})

    return render_template(
        "manage/history.html",
        form=form,
        entries=entries,
        page=page,
        pages=pages,
        total=total,
        page_url=page_url,
    )


@bp.route("/history/<int:record_id>/restore", methods=("GET", "POST"))
def history_restore(record_id: int):
    """Admin: bring back a deleted record from its deletion record."""
    require_admin()
    dbs = db.get_session()
    record = dbs.get(ChangeRecord, record_id)
    if record is None:
        abort(404)
    if record.action is not ChangeAction.DELETE or record.entity not in changes.RESTORABLE:
        abort(404)
    restore_names = history_read.names_for(dbs, [record], current_lang())
    form = ConfirmForm()
    status = 200
    if form.validate_on_submit():
        try:
            with write.transaction(dbs):
                obj = changes.restore(dbs, record, current_user.actor)
        except changes.CannotRestore:
            form.form_errors.append(
                _(
                    "This record cannot be restored: it exists again, or what it belonged to is "
                    "gone."
                )
            )
            status = 409
        else:
            flash(_("Restored."), "success")
            return redirect(_workspace_url(obj.country_id), code=303)
    elif form.is_submitted():
        status = 422
    return (
        render_template(
            "manage/confirm.html",
            form=form,
            heading=_("Restore this record?"),
            description=words.record_name(
                record.entity, record.before, restore_names, record.summary
            ),
            details=[
                (words.field_label(record.entity, n),
                 words.value_words(record.entity, n, v, restore_names))
                for n, v, _new in changes.diff(record.before, None)
                if n not in words.HIDDEN
            ],
            back_url=url_for("manage.history"),
            button=_("Restore"),
        ),
        status,
    )


# --- users --------------------------------------------------------------------------------------


def _country_choices():
    countries = db.get_session().exec(select(Country).order_by(Country.iso3)).all()
    return options(
        [("", _("None (administrators)"))]
        + [(c.iso3, f"{country_name(c.iso2)} ({c.iso3})") for c in countries]
    )


def _country_id(iso3: str | None) -> int | None:
    if not iso3:
        return None
    country = db.get_session().exec(select(Country).where(Country.iso3 == iso3)).first()
    return country.id if country else None


@bp.get("/users")
def users():
    require_admin()
    dbs = db.get_session()
    accounts = dbs.exec(select(User).order_by(User.email)).all()
    countries = {c.id: c for c in dbs.exec(select(Country)).all()}
    return render_template("manage/users.html", accounts=accounts, countries=countries)


@bp.route("/users/new", methods=("GET", "POST"))
def user_create():
    require_admin()
    form = UserCreateForm()
    form.country.choices = _country_choices()
    args = {
        "heading": _("New staff account"),
        "back_url": url_for("manage.users"),
        "submit": _("Create account"),
    }
    if form.is_submitted():
        if form.validate():
            dbs = db.get_session()
            email = form.email.data.lower()
            if dbs.exec(select(User).where(User.email == email)).first():
                form.email.errors.append(_("An account with this email address already exists."))
            else:
                role = form.role.code
                with write.transaction(dbs):
                    accounts.create_user(
                        dbs,
                        current_user.actor,
                        email=email,
                        password=form.password.data,
                        role=role,
                        country_id=_country_id(form.country.data),
                    )
                flash(_("Account created for %(email)s.", email=email), "success")
                return redirect(url_for("manage.users"), code=303)
        return render_template("manage/form.html", form=form, **args), 422
    return render_template("manage/form.html", form=form, **args)


@bp.route("/users/<int:user_id>/edit", methods=("GET", "POST"))
def user_update(user_id: int):
    require_admin()
    dbs = db.get_session()
    user = dbs.get(User, user_id)
    if user is None:
        abort(404)
    country = dbs.get(Country, user.country_id) if user.country_id else None
    form = UserEditForm(
        data={
            "role": user.role.value,
            "country": country.iso3 if country else "",
            "is_active": user.is_active,
            "version": user.version,
        }
    )
    form.country.choices = _country_choices()
    args = {
        "heading": _("Edit %(email)s", email=user.email),
        "back_url": url_for("manage.users"),
        "submit": _("Save account"),
    }

    def check() -> bool:
        if user.id == current_user.id and (
            form.role.code is not Role.ADMIN or not form.is_active.data
        ):
            form.role.errors.append(
                _("You cannot remove your own administrator role or deactivate yourself.")
            )
            return False
        return True

    def values() -> dict:
        role = form.role.code
        return {
            "role": role,
            "is_active": bool(form.is_active.data),
            "country_id": _country_id(form.country.data) if role is Role.EDITOR else None,
        }

    return _edit(
        user, form, args, url_for("manage.users"), _("Account saved."), values=values, check=check
    )


@bp.route("/users/<int:user_id>/password", methods=("GET", "POST"))
def user_password(user_id: int):
    require_admin()
    dbs = db.get_session()
    user = dbs.get(User, user_id)
    if user is None:
        abort(404)
    form = PasswordResetForm(data={"version": user.version})
    args = {
        "heading": _("New password for %(email)s", email=user.email),
        "back_url": url_for("manage.users"),
        "submit": _("Set password"),
    }
    return _edit(
        user,
        form,
        args,
        url_for("manage.users"),
        _("Password changed. The person's other sessions have ended."),
        values=lambda: {"password_hash": hash_password(form.password.data)},
    )


# --- the checklist ------------------------------------------------------------------------------


@bp.get("/checklist")
def checklist():
    """Admin: the current checklist with every provision, retired ones included, and the list
    of versions."""
    require_admin()
    return _checklist_page(versions.current(db.get_session()))


@bp.get("/checklist/versions/<code>")
def checklist_version(code: str):
    """Admin: one checklist version: a draft being prepared, or an earlier one (read only)."""
    require_admin()
    return _checklist_page(_named_version(code))


def _named_version(code: str) -> ChecklistVersion:
    found = db.get_session().exec(
        select(ChecklistVersion).where(ChecklistVersion.code == code)
    ).first()
    if found is None:
        abort(404)
    return found


def _checklist_url(checklist_id: int | None) -> str:
    """The page of a checklist version: the checklist page for the current one."""
    found = db.get_session().get(ChecklistVersion, checklist_id) if checklist_id else None
    if found is None or found.is_current:
        return url_for("manage.checklist")
    return url_for("manage.checklist_version", code=found.code)


def _checklist_page(version: ChecklistVersion | None):
    dbs = db.get_session()
    lang = current_lang()
    listed = version_read.version_list(dbs)
    row = next((v for v in listed if version is not None and v.id == version.id), None)
    frozen = row is not None and row.frozen
    # A version that is neither being prepared nor current is kept as it was: read only.
    editable = row is not None and not frozen and row.state != "superseded"
    rows = (
        workspace.checklist_rows(dbs, None, lang, include_retired=True, checklist_id=version.id)
        if version is not None
        else []
    )
    current = next((v for v in listed if v.state == "current"), None)
    draft = next((v for v in listed if v.state == "draft"), None)
    since = None
    if row is not None and row.state == "draft" and current is not None:
        since = version_read.compare_versions(dbs, current.id, row.id, lang)
    return render_template(
        "manage/checklist.html",
        rows=rows,
        move_form=ConfirmForm(),
        checklist=row,
        frozen=frozen,
        editable=editable,
        frozen_message=frozen_message(row.code) if frozen else None,
        versions=listed,
        draft=draft,
        since=since,
        version_states=VERSION_STATES,
        aspect_labels=ASPECT_LABELS,
    )


@bp.route("/checklist/versions/new", methods=("GET", "POST"))
def version_create():
    """Admin: a draft version, a copy of the current one, to make changes in."""
    require_admin()
    dbs = db.get_session()
    existing = versions.draft(dbs)
    if existing is not None:
        flash(_("A draft version is already being prepared: make your changes there."), "success")
        return redirect(url_for("manage.checklist_version", code=existing.code), code=303)
    current = versions.current(dbs)
    if current is None:
        abort(404)
    form = DraftVersionForm(data={"title": current.title})
    args = {
        "heading": _("New draft version of the checklist"),
        "back_url": url_for("manage.checklist"),
        "submit": _("Create the draft"),
        "intro": _(
            "The draft starts as a copy of version %(version)s: its categories, provisions and "
            "texts. Change it as needed; nothing of it counts anywhere until you make it current.",
            version=current.code,
        ),
    }
    if not form.is_submitted():
        return render_template("manage/form.html", form=form, **args)
    if form.validate():
        try:
            with write.transaction(dbs):
                made = versions.create_draft(dbs, form.code.data, form.title.data,
                                             current_user.actor)  # fmt: skip
        except versions.VersionRefused as exc:
            existing = versions.draft(dbs) if exc.reason == "draft_exists" else None
            if existing is not None:  # another admin made one at the same moment
                flash(_("A draft version is already being prepared: make your changes there."),
                      "success")  # fmt: skip
                return redirect(url_for("manage.checklist_version", code=existing.code), code=303)
            if exc.reason != "code_taken":
                raise
            form.code.errors.append(_("A checklist version with this code exists already."))
        else:
            flash(_("Draft version %(version)s created.", version=made.code), "success")
            return redirect(url_for("manage.checklist_version", code=made.code), code=303)
    return render_template("manage/form.html", form=form, **args), 422


@bp.route("/checklist/versions/<code>/discard", methods=("GET", "POST"))
def version_discard(code: str):
    """Admin: are you sure? Then the draft version is deleted with its provisions (kept in
    history); the current version and every publication stay as they are."""
    require_admin()
    dbs = db.get_session()
    version = _named_version(code)
    if not version.is_draft:
        abort(404)
    form = ConfirmForm(data={"version": version.version})
    status = 200
    if form.validate_on_submit():
        try:
            with write.transaction(dbs):
                versions.discard_draft(dbs, version, current_user.actor,
                                       expected_version=form.version_value())  # fmt: skip
        except changes.StaleVersion as exc:
            status = _changed_meanwhile(form, exc)
        except versions.VersionRefused:
            form.form_errors.append(
                _("This draft cannot be discarded: judgements refer to its provisions.")
            )
            status = 409
        else:
            flash(_("Draft version %(version)s discarded.", version=code), "success")
            return redirect(url_for("manage.checklist"), code=303)
    elif form.is_submitted():
        status = 422
    return (
        render_template(
            "manage/confirm.html",
            form=form,
            heading=_("Discard draft version %(version)s?", version=version.code),
            description=_(
                "The draft and every change made in it are deleted. The current version, the "
                "working copies and every publication stay as they are."
            ),
            back_url=url_for("manage.checklist_version", code=version.code),
            button=_("Yes, discard the draft"),
            danger=True,
        ),
        status,
    )


@bp.route("/checklist/versions/<code>/make-current", methods=("GET", "POST"))
def version_make_current(code: str):
    """Admin: what the draft changes, are you sure? Then it becomes the current version and
    every working copy carries its judgements over (409 when the draft changed meanwhile)."""
    require_admin()
    dbs = db.get_session()
    version = _named_version(code)
    if not version.is_draft:
        abort(404)
    back = url_for("manage.checklist_version", code=version.code)
    current = versions.current(dbs)
    content = version_read.fingerprint(dbs, version.id)
    form = MakeCurrentForm(data={"version": version.version, "content": content})
    status = 200
    if form.validate_on_submit() and form.content.data != content:
        # A provision of the draft changed after this page was shown: show what it changes now.
        form.content.data = content
        form.form_errors.append(
            _(
                "The draft changed after you opened this page. Check what it changes now, then "
                "confirm again."
            )
        )
        status = 409
    elif form.validate_on_submit():
        try:
            with write.transaction(dbs):
                carried = versions.make_current(dbs, version, current_user.actor,
                                                expected_version=form.version_value())  # fmt: skip
        except changes.StaleVersion as exc:
            status = _changed_meanwhile(form, exc)
        else:
            flash(
                _(
                    "Version %(version)s is now current. %(carried)s judgements were carried "
                    "over to it; publications keep the version they were made with.",
                    version=version.code,
                    carried=format_number(carried.judgements),
                ),
                "success",
            )
            return redirect(url_for("manage.checklist"), code=303)
    elif form.is_submitted():
        status = 422
    since = (
        version_read.compare_versions(dbs, current.id, version.id, current_lang())
        if current is not None
        else None
    )
    details = [
        (
            _("What happens"),
            _(
                "Version %(version)s becomes the checklist every working copy is judged "
                "against. Each country's judgements (coverage, links, sources, evidence and its "
                "translations) are carried over by provision code; provisions new in this "
                "version start as not assessed. Published figures do not change: each "
                "publication keeps the version it was made with.",
                version=version.code,
            ),
        )
    ]
    if since is not None:
        details += [
            (_("New provisions"), ", ".join(c.code for c in since.added) or _("None")),
            (_("Changed provisions"), ", ".join(c.code for c in since.changed) or _("None")),
            (_("No longer in the checklist"), ", ".join(c.code for c in since.removed)
             or _("None")),
        ]  # fmt: skip
    return (
        render_template(
            "manage/confirm.html",
            form=form,
            heading=_("Make version %(version)s current?", version=version.code),
            description=version.title,
            details=details,
            back_url=back,
            button=_("Yes, make it current"),
            danger=False,
        ),
        status,
    )


def _category_choices(checklist_id: int | None = None):
    return options(
        (c.id, name)
        for c, name in workspace.categories(db.get_session(), current_lang(), checklist_id)
    )


@bp.route("/checklist/new", methods=("GET", "POST"))
def provision_create():
    require_admin()
    dbs = db.get_session()
    asked = request.args.get("version")
    current = _named_version(asked) if asked else versions.current(dbs)
    if current is None:
        abort(404)
    ensure_editable(dbs, current.id)
    form = ProvisionForm()
    form.category.choices = _category_choices(current.id)
    args = {
        "heading": _("Add a provision to version %(version)s", version=current.code),
        "back_url": _checklist_url(current.id),
        "submit": _("Add provision"),
    }
    if form.is_submitted():
        if form.validate():
            exists = dbs.exec(
                select(Provision).where(
                    Provision.checklist_id == current.id, Provision.code == form.code.data
                )
            ).first()
            if exists:
                form.code.errors.append(_("This checklist already has a provision with this code."))
            else:
                category_id = int(form.category.data)
                provision = Provision(
                    checklist_id=current.id,
                    category_id=category_id,
                    code=form.code.data,
                    level=form.level.code,
                    gem_indicator=form.gem_indicator.code,
                    sources=form.sources.data or None,
                    position=workspace.next_position(dbs, category_id),
                )
                provision.texts.append(
                    ProvisionText(locale="en", title=form.title.data, guidance=form.guidance.data)
                )
                try:
                    with write.transaction(dbs, once=sent_once_key()):
                        changes.create(dbs, provision, current_user.actor)
                except write.AlreadyApplied:
                    flash(already_applied_message(), "success")
                else:
                    flash(_("Provision added."), "success")
                return redirect(_checklist_url(current.id), code=303)
        return render_template("manage/form.html", form=form, **args), 422
    return render_template("manage/form.html", form=form, **args)


def _provision(provision_id: int) -> Provision:
    require_admin()
    provision = db.get_session().get(Provision, provision_id)
    if provision is None:
        abort(404)
    ensure_editable(db.get_session(), provision.checklist_id)
    return provision


@bp.route("/checklist/provisions/<int:provision_id>/edit", methods=("GET", "POST"))
def provision_update(provision_id: int):
    provision = _provision(provision_id)
    form = ProvisionEditForm(
        data={
            "category": str(provision.category_id),
            "level": provision.level.value,
            "gem_indicator": provision.gem_indicator.value if provision.gem_indicator else "",
            "sources": provision.sources or "",
            "version": provision.version,
        }
    )
    form.category.choices = _category_choices(provision.checklist_id)
    texts = {t.locale: t for t in provision.texts}
    locales = sorted(set(texts) | set(_languages()))
    args = {
        "heading": _("Edit provision %(code)s", code=provision.code),
        "back_url": _checklist_url(provision.checklist_id),
        "submit": _("Save provision"),
        "translations": [(loc, texts.get(loc)) for loc in locales],
        "provision": provision,
    }
    return _edit(
        provision,
        form,
        args,
        _checklist_url(provision.checklist_id),
        _("Provision saved."),
        values=lambda: {
            **form.model_values(("level", "gem_indicator", "sources")),
            "category_id": int(form.category.data),
        },
    )


def _languages() -> list[str]:
    from tracker.i18n import languages

    return languages()


@bp.route("/checklist/provisions/<int:provision_id>/texts/<locale>", methods=("GET", "POST"))
def provision_text(provision_id: int, locale: str):
    """Admin: a provision's title and guidance in one language."""
    provision = _provision(provision_id)
    if not is_language_tag(locale):
        abort(404)
    text = next((t for t in provision.texts if t.locale == locale), None)
    form = ProvisionTextForm(
        data={
            "title": text.title if text else "",
            "guidance": text.guidance if text else "",
            "version": provision.version,
        }
    )

    def apply(p: Provision) -> None:
        title, guidance = form.title.data, form.guidance.data
        row = next((t for t in p.texts if t.locale == locale), None)
        if row is None:
            p.texts.append(ProvisionText(locale=locale, title=title, guidance=guidance))
        else:
            row.title, row.guidance = title, guidance

    args = {
        "heading": _(
            "%(code)s in %(language)s", code=provision.code, language=_language_name(locale)
        ),
        "back_url": url_for("manage.provision_update", provision_id=provision.id),
        "submit": _("Save translation"),
        "text_lang": locale,
    }
    return _edit(
        provision, form, args, args["back_url"], _("Translation saved."), values=lambda: apply
    )


def _language_name(code: str) -> str:
    from tracker.i18n import language_name

    return language_name(code, current_lang())


@bp.post("/checklist/provisions/<int:provision_id>/move")
def provision_move(provision_id: int):
    """Admin: move a provision one place up or down within its category."""
    provision = _provision(provision_id)
    form = ConfirmForm()
    direction = request.form.get("direction")
    if not form.validate_on_submit() or direction not in ("up", "down"):
        abort(400)
    dbs = db.get_session()
    siblings = workspace.category_siblings(dbs, provision)
    index = siblings.index(provision)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(siblings):
        siblings[index], siblings[target] = siblings[target], siblings[index]
        try:
            with write.transaction(dbs):
                for position, item in enumerate(siblings, start=1):
                    if item.position != position:
                        changes.update(
                            dbs,
                            item,
                            current_user.actor,
                            {"position": position},
                            expected_version=form.version_value() if item is provision else None,
                        )
        except changes.StaleVersion:
            abort(409)
        flash(_("Order saved."), "success")
    return redirect(_checklist_url(provision.checklist_id) + f"#provision-{provision.id}", code=303)


@bp.route("/checklist/provisions/<int:provision_id>/retire", methods=("GET", "POST"))
def provision_retire(provision_id: int):
    """Admin: are you sure? Then retire a provision (it leaves the scores) or bring it back
    (409 when the provision changed since the page was shown)."""
    provision = _provision(provision_id)
    back = _checklist_url(provision.checklist_id) + f"#provision-{provision.id}"
    retiring = not provision.retired
    form = ConfirmForm(data={"version": provision.version})
    status = 200
    if form.validate_on_submit():
        dbs = db.get_session()
        try:
            with write.transaction(dbs):
                changes.update(
                    dbs,
                    provision,
                    current_user.actor,
                    {"retired": retiring},
                    expected_version=form.version_value(),
                )
        except changes.StaleVersion as exc:
            status = _changed_meanwhile(form, exc)
        else:
            flash(_("Provision retired.") if retiring else _("Provision brought back."), "success")
            return redirect(back, code=303)
    elif form.is_submitted():
        status = 422
    texts = {t.locale: t.title for t in provision.texts}
    title = texts.get(current_lang()) or texts.get("en") or ""
    return (
        render_template(
            "manage/confirm.html",
            form=form,
            heading=_("Retire provision %(code)s?", code=provision.code)
            if retiring
            else _("Bring provision %(code)s back?", code=provision.code),
            description=title,
            details=[
                (
                    _("What happens"),
                    _(
                        "A retired provision no longer counts in any country's figures. Its "
                        "judgements are kept, it stays in the exports marked as retired, and it "
                        "can be brought back."
                    )
                    if retiring
                    else _("The provision counts again in every country's figures."),
                )
            ],
            back_url=back,
            button=_("Yes, retire it") if retiring else _("Yes, bring it back"),
            danger=retiring,
        ),
        status,
    )


# --- the Global E-waste Monitor's published values and e-waste figures (admin) ----------------


@bp.get("/countries/<iso3>/monitor")
def monitor(iso3: str):
    """Admin: a country's published Monitor values and e-waste figures, with their sources."""
    require_admin()
    country = _country(iso3)
    dbs = db.get_session()
    return render_template(
        "manage/monitor.html",
        country=country,
        values=loaders.monitor_values(dbs, [country.id]).get(country.id, []),
        facts=loaders.country_facts(dbs, [country.id]).get(country.id, []),
    )


def _admin_owned(model, record_id: int):
    require_admin()
    return _owned(model, record_id)


def _monitor_url(country_id: int) -> str:
    country = db.get_session().get(Country, country_id)
    return url_for("manage.monitor", iso3=country.iso3)


def _monitor_duplicate(form: MonitorValueForm, country_id: int, own_id: int | None) -> bool:
    """Add a field error when this edition's value of the indicator is recorded already."""
    found = db.get_session().exec(
        select(MonitorValue.id).where(
            MonitorValue.country_id == country_id,
            MonitorValue.edition == form.edition.data,
            MonitorValue.indicator == form.indicator.code,
        )
    ).first()
    if found is not None and found != own_id:
        form.indicator.errors.append(
            _("The Monitor's value of this indicator for this edition is recorded already.")
        )
        return True
    return False


def _fact_duplicate(form: CountryFactForm, country_id: int, own_id: int | None) -> bool:
    """Add a field error when figures for this year are recorded already."""
    found = db.get_session().exec(
        select(CountryFact.id).where(
            CountryFact.country_id == country_id, CountryFact.year == form.year.data
        )
    ).first()
    if found is not None and found != own_id:
        form.year.errors.append(_("Figures for this year are recorded already: change those."))
        return True
    return False


def _create_with(country: Country, record, form, args: dict, saved: str, duplicate):
    """Create ``record()`` once the form is valid and ``duplicate`` finds no twin; else 422."""
    if not form.is_submitted():
        return render_template("manage/form.html", form=form, **args)
    if form.validate() and not duplicate():
        dbs = db.get_session()
        with write.transaction(dbs):
            changes.create(dbs, record(), current_user.actor)
        flash(saved, "success")
        return redirect(args["back_url"], code=303)
    return render_template("manage/form.html", form=form, **args), 422


@bp.route("/countries/<iso3>/monitor/new", methods=("GET", "POST"))
def monitor_value_create(iso3: str):
    require_admin()
    country = _country(iso3)
    form = MonitorValueForm()
    args = {
        "heading": _("Add a value published by the Global E-waste Monitor"),
        "back_url": url_for("manage.monitor", iso3=country.iso3),
        "submit": _("Save value"),
    }
    return _create_with(
        country,
        lambda: MonitorValue(country_id=country.id, **form.values()),
        form,
        args,
        _("Published value saved."),
        lambda: _monitor_duplicate(form, country.id, None),
    )


@bp.route("/monitor/<int:value_id>/edit", methods=("GET", "POST"))
def monitor_value_update(value_id: int):
    value = _admin_owned(MonitorValue, value_id)
    back = _monitor_url(value.country_id)
    form = MonitorValueForm(
        data={
            "edition": value.edition,
            "indicator": value.indicator.value,
            "value": "yes" if value.value else "no",
            "source_url": value.source_url,
            "note": value.note or "",
            "version": value.version,
        }
    )
    args = {
        "heading": _("Change a value published by the Global E-waste Monitor"),
        "back_url": back,
        "submit": _("Save value"),
    }
    return _edit(
        value,
        form,
        args,
        back,
        _("Published value saved."),
        values=form.values,
        check=lambda: not _monitor_duplicate(form, value.country_id, value.id),
    )


@bp.route("/monitor/<int:value_id>/delete", methods=("GET", "POST"))
def monitor_value_delete(value_id: int):
    value = _admin_owned(MonitorValue, value_id)
    back = _monitor_url(value.country_id)
    return _confirm_delete(
        value,
        heading=_("Delete this published value?"),
        description=_(
            "%(indicator)s, edition %(edition)s: %(value)s",
            indicator=value.indicator.label,
            edition=value.edition,
            value=_("Yes") if value.value else _("No"),
        ),
        back_url=back,
        done_url=back,
    )


@bp.route("/countries/<iso3>/facts/new", methods=("GET", "POST"))
def country_fact_create(iso3: str):
    require_admin()
    country = _country(iso3)
    form = CountryFactForm()
    args = {
        "heading": _("Add e-waste figures"),
        "back_url": url_for("manage.monitor", iso3=country.iso3),
        "submit": _("Save figures"),
    }
    return _create_with(
        country,
        lambda: CountryFact(country_id=country.id, **form.model_values(form.MODEL_FIELDS)),
        form,
        args,
        _("E-waste figures saved."),
        lambda: _fact_duplicate(form, country.id, None),
    )


@bp.route("/facts/<int:fact_id>/edit", methods=("GET", "POST"))
def country_fact_update(fact_id: int):
    fact = _admin_owned(CountryFact, fact_id)
    back = _monitor_url(fact.country_id)
    form = CountryFactForm(obj=fact)
    args = {"heading": _("Change e-waste figures"), "back_url": back, "submit": _("Save figures")}
    return _edit(
        fact,
        form,
        args,
        back,
        _("E-waste figures saved."),
        check=lambda: not _fact_duplicate(form, fact.country_id, fact.id),
    )


@bp.route("/facts/<int:fact_id>/delete", methods=("GET", "POST"))
def country_fact_delete(fact_id: int):
    fact = _admin_owned(CountryFact, fact_id)
    back = _monitor_url(fact.country_id)
    return _confirm_delete(
        fact,
        heading=_("Delete these e-waste figures?"),
        description=_("E-waste figures for %(year)s", year=fact.year),
        back_url=back,
        done_url=back,
    )
