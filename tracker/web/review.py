"""Blueprint ``review``: submitting a country's working copy, reviewing and publishing it.

URL map (all under ``/<lang>/manage``, signed-in staff only; a contract, issue 12):

    POST  /countries/<ISO3>/submit    editor of that country or admin; field ``message``
    GET   /countries/<ISO3>/review    admin: the diff against the last publication, the forms
    POST  /countries/<ISO3>/publish   admin; field ``message``: freeze the next publication
    POST  /countries/<ISO3>/return    admin; field ``comment``: send it back to the editors
    POST  /countries/<ISO3>/comment   admin; fields ``comment`` and ``provision`` (a code, or
                                      empty for the whole record)
    POST  /countries/<ISO3>/answer    editor of that country or admin; fields ``entry`` (the
                                      comment answered) and ``comment``

Each POST answers 303 back to the page it came from; an invalid form 422, a step that does not
apply now (publishing twice at once, returning what nobody submitted) 409, with a message.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import select
from wtforms import HiddenField, StringField, TextAreaField

from tracker import db, write
from tracker.fields import NOTE_TEXT
from tracker.i18n import _, _l, current_lang
from tracker.models import Country, ReviewComment
from tracker.read import loaders, publications
from tracker.web import forms, guards, words
from tracker.web.guards import require_admin, require_country
from tracker.write import review

bp = Blueprint("review", __name__, url_prefix="/<lang>/manage")
bp.before_request(guards.require_login)


class MessageForm(forms.BaseForm):
    message = TextAreaField(
        _l("Message"),
        validators=[forms.required(_l("Write a message.")), forms.max_length(NOTE_TEXT)],
    )


class CommentForm(forms.BaseForm):
    comment = TextAreaField(
        _l("Comment"),
        validators=[forms.required(_l("Write a comment.")), forms.max_length(NOTE_TEXT)],
    )
    provision = StringField(_l("Provision"), validators=[forms.max_length(40)])
    entry = HiddenField()


# Labels of a diff's sections, by table; a table added later shows its name.
TABLE_LABELS = {
    "country": _l("Country"),
    "coverage": _l("Checklist judgement"),
    "coverage_link": _l("Covering instruments"),
    "instrument": _l("Instrument"),
    "instrument_title": _l("Translated title"),
    "instrument_relation": _l("Relation between instruments"),
    "milestone": _l("Milestone"),
    "text_translation": _l("Translations"),
}
ACTION_LABELS = {"added": _l("Added"), "removed": _l("Removed"), "changed": _l("Changed")}


def table_label(name: str) -> str:
    return str(TABLE_LABELS.get(name, name.replace("_", " ").capitalize()))


@bp.app_template_global()
def diff_labels():
    """The helpers a template needs to show a ``publications.Diff``."""
    return {
        "table": table_label,
        "field": words.field_label,
        "action": lambda a: str(ACTION_LABELS[a]),
    }


def _country(iso3: str) -> Country:
    found = db.get_session().exec(select(Country).where(Country.iso3 == iso3.upper())).first()
    if found is None:
        abort(404)
    require_country(found.id)
    return found


def _workspace(country: Country):
    return redirect(url_for("manage.workspace", iso3=country.iso3) + "#review", code=303)


def _review_page(country: Country):
    return redirect(url_for("review.review_page", iso3=country.iso3), code=303)


def _refused(exc: review.ReviewRefused) -> str:
    return {
        "submitted": _("This country is already waiting for review."),
        "not_submitted": _("Nothing has been submitted for review in this country."),
        "closed": _("This review is closed: its working copy was published."),
        "changed": _(
            "Someone else changed this record after you opened this page. Check it, then "
            "confirm again."
        ),
    }.get(exc.reason, _("This step does not apply now."))


@bp.post("/countries/<iso3>/submit")
def submit(iso3: str):
    """An editor asks for review of their country's working copy."""
    country = _country(iso3)
    form = MessageForm()
    if not form.validate():
        return _invalid(country, form)
    return _take_step(
        country,
        lambda dbs: review.submit(dbs, country, current_user.actor, form.message.data),
        _("Submitted for review. An administrator will review it."),
        _workspace,
    )


def review_model(country: Country):
    """What the review page shows: the diff of the working copy against the last publication."""
    dbs = db.get_session()
    state = publications.publication_state(dbs, country.id)
    return state, review.working_copy_diff(dbs, country.id, state.latest, current_lang())


@bp.get("/countries/<iso3>/review")
def review_page(iso3: str):
    """The diff, the exchange so far, and the publish, return and comment forms."""
    require_admin()
    country = _country(iso3)
    state, changed = review_model(country)
    return render_template(
        "review/review.html",
        country=country,
        state=state,
        diff=changed,
        provisions=loaders.provision_choices(db.get_session(), current_lang()),
        publish_form=MessageForm(),
        return_form=CommentForm(),
        comment_form=CommentForm(),
    )


def _refused_page(country: Country, message: str, status: int):
    back = url_for("manage.workspace", iso3=country.iso3)
    return render_template("review/refused.html", country=country, message=message,
                           back=back), status  # fmt: skip


def _invalid(country: Country, form):
    message = " ".join(str(m) for _id, _label, m in form.error_list()) or _("Check the form.")
    return _refused_page(country, message, 422)


def _conflict(country: Country, message: str):
    return _refused_page(country, message, 409)


def _take_step(country: Country, step, done: str, then):
    """Run one step of the review in its own transaction: a refused step answers 409 with why,
    a taken one flashes ``done`` and goes on to ``then(country)``."""
    dbs = db.get_session()
    try:
        with write.transaction(dbs, once=forms.sent_once_key()):
            step(dbs)
    except write.AlreadyApplied:
        done = forms.already_applied_message()
    except review.ReviewRefused as exc:
        return _conflict(country, _refused(exc))
    flash(done, "success")
    return then(country)


@bp.post("/countries/<iso3>/publish")
def publish(iso3: str):
    """Freeze the working copy as the country's next publication."""
    require_admin()
    country = _country(iso3)
    form = MessageForm()
    if not form.validate():
        return _invalid(country, form)
    # The number of the latest publication the review page showed (0: none), so a form sent
    # twice or by two reviewers publishes once; a client that sends no such field is not checked.
    seen = request.form.get("after")
    if seen is not None and not (seen.isascii() and seen.isdigit() and len(seen) < 10):
        return _invalid(country, form)
    dbs = db.get_session()
    try:
        with write.transaction(dbs, once=forms.sent_once_key()):
            made = review.publish(dbs, country, current_user.actor, form.message.data,
                                  after=None if seen is None else int(seen),
                                  unchanged=False)  # fmt: skip
    except write.AlreadyApplied:
        flash(forms.already_applied_message(), "success")
        return _review_page(country)
    except review.NothingToPublish as exc:
        return _conflict(country, _(
            "Nothing has changed since publication %(n)s: the record, its checklist version and "
            "its figures are the same, so there is nothing new to publish.", n=exc.number))
    except review.PublishConflict:
        return _conflict(country, _("Someone else published this country at the same moment. "
                                    "Check the review page, then publish again if needed."))
    except review.ReviewRefused as exc:
        return _conflict(country, _refused(exc))
    flash(_("Published as publication %(n)s.", n=made.number), "success")
    return redirect(
        url_for("publications.detail", iso3=country.iso3, number=made.number), code=303
    )


@bp.post("/countries/<iso3>/return")
def give_back(iso3: str):
    """Send the working copy back to its editors with a comment."""
    require_admin()
    country = _country(iso3)
    form = CommentForm()
    if not form.validate():
        return _invalid(country, form)
    return _take_step(
        country,
        lambda dbs: review.give_back(dbs, country, current_user.actor, form.comment.data),
        _("Returned to the editors with your comment."),
        _review_page,
    )


@bp.post("/countries/<iso3>/comment")
def comment(iso3: str):
    """A reviewer's comment on one provision (or on the whole record)."""
    require_admin()
    country = _country(iso3)
    form = CommentForm()
    if not form.validate():
        return _invalid(country, form)
    code = (form.provision.data or "").strip().upper() or None
    if code is not None and code not in dict(loaders.provision_choices(db.get_session(), "en")):
        return _refused_page(
            country,
            _("No provision of the current checklist has the code %(code)s: choose one from "
              "the list, or none for a comment on the whole record.", code=code),
            422,
        )  # fmt: skip
    return _take_step(
        country,
        lambda dbs: review.comment(dbs, country, current_user.actor, form.comment.data, code),
        _("Comment saved."),
        _review_page,
    )


@bp.post("/countries/<iso3>/answer")
def answer(iso3: str):
    """The editor's answer to one comment of the review in progress."""
    country = _country(iso3)
    form = CommentForm()
    if not form.validate():
        return _invalid(country, form)
    dbs = db.get_session()
    try:
        entry_id = int(form.entry.data or 0)
    except ValueError:
        entry_id = 0
    entry = dbs.get(ReviewComment, entry_id) if 0 < entry_id < 2**31 else None
    open_review = review.open_review(dbs, country.id)
    if entry is None or open_review is None or entry.review_id != open_review.id:
        return _conflict(country, _("That comment is not part of this country's open review."))
    return _take_step(
        country,
        lambda dbs: review.answer(dbs, entry, current_user.actor, form.comment.data),
        _("Answer saved."),
        _workspace,
    )
