"""Forms: one ``BaseForm`` and the staff forms built on it (STYLE.md, decision 7 and G4).

``BaseForm`` strips surrounding whitespace from text fields, refuses invisible control characters
(NUL bytes and the like) with a clear message, and every validator carries a message of our own
(``_l`` with %-placeholders) so translators own every word. There is no ``SubmitField``: buttons
are written in the templates. Choices that come from the database are set by the view.

What a field accepts (length, required, codes, links, language tags, years, the order of dates)
is not decided here: ``checks(rule)`` turns a field's rule from ``tracker.fields`` into
validators, so the forms accept exactly what the CSV import and the database accept.
"""

import functools
import hashlib
import math
import re
import secrets

import pycountry
from babel import Locale, localedata
from babel.languages import get_official_languages
from flask import request
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    FloatField,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

from tracker import dates, fields, write
from tracker.codes import (
    Extent,
    Implementation,
    MilestoneNature,
    RelationKind,
    Role,
)
from tracker.fields import (
    COUNTRY,
    COUNTRY_FACT,
    COVERAGE,
    COVERAGE_LINK,
    INSTRUMENT,
    LANGUAGE_TAG_LENGTH,
    MILESTONE,
    MONITOR_VALUE,
    PROVISION,
    PROVISION_TEXT,
    SOURCE,
    TEXT_TRANSLATION,
    USER,
    Rule,
    is_language_tag,
)
from tracker.i18n import LOCALES, _, _l, current_lang, language_name_for
from tracker.security import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from tracker.write.checklist import WantedCoverage

REQUIRED = _l("This field is required.")
TOO_LONG = _l("Enter at most %(max)d characters.")
NOT_A_CHOICE = _l("Choose one of the options.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _upper(value):
    return value.upper() if isinstance(value, str) else value


def no_control_characters(form, field) -> None:
    """Refuse NUL bytes and other invisible control characters (tabs and newlines are fine)."""
    for value in field.raw_data or ():
        if isinstance(value, str) and fields.has_control_characters(value):
            raise StopValidation(
                _(
                    "This text contains invisible control characters (such as a NUL byte). "
                    "Remove them and try again."
                )
            )


def required(message=REQUIRED) -> DataRequired:
    return DataRequired(message=message)


def max_length(n: int) -> Length:
    return Length(max=n, message=TOO_LONG)


def http_url(form, field) -> None:
    """Only absolute ``http``/``https`` links (an escaped ``javascript:`` link still runs)."""
    if field.data and not fields.is_http_url(field.data):
        raise ValidationError(_("Enter a web address that starts with http:// or https://."))


def language_tag(form, field) -> None:
    if field.data and not is_language_tag(field.data):
        raise ValidationError(_("Enter a language code such as en, fr, rw, gn or zh-Hans."))


YEAR_RANGE = _l("Enter a year between %(min)s and %(max)s.")


def checks(rule: Rule, message=None, *, optional: bool = True) -> list:
    """The validators of a field rule (``tracker.fields``): required (with ``message``) or
    optional, the length, and the check of its kind (link, language tag, year).

    ``optional=False`` leaves out ``Optional()`` for a field whose own ``validate_<name>`` must
    still run when it is empty.
    """
    out: list = []
    if rule.required:
        out.append(required(message or REQUIRED))
    elif optional:
        out.append(Optional())
    if rule.max_length is not None:
        out.append(max_length(rule.max_length))
    if rule.kind == "url":
        out.append(http_url)
    elif rule.kind == "language":
        out.append(language_tag)
    elif rule.kind == "year":
        out.append(NumberRange(min=rule.minimum, max=rule.maximum, message=YEAR_RANGE))
    elif rule.kind == "date":
        out.append(date_in_range)
    elif rule.kind == "number" and rule.minimum is not None:
        out.append(NumberRange(min=rule.minimum, message=NUMBER_MINIMUM))
    return out


NUMBER_MINIMUM = _l("Enter a number of at least %(min)s.")


def date_in_range(form, field) -> None:
    """The dates the tracker accepts (``tracker.fields.EARLIEST_DATE`` to ``LATEST_DATE``)."""
    problem = fields.date_problem(field.data) if field.data else None
    if problem:
        raise ValidationError(problem)


# --- fields -------------------------------------------------------------------------------------


def options(pairs) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms options (tuples are deprecated from WTForms 3.3)."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def option_values(field) -> set[str]:
    return {choice.value for choice in field.choices or ()}


DATE_HINT = _l(
    "As precise as your source: a year (2024), a month (2024-10) or a day (2024-10-23)."
)


class DateInput(StringField):
    """A date as precise as its source, typed as the data files write it: ``2024``,
    ``2024-10`` or ``2024-10-23`` (``tracker.fields.parse_date``); ``data`` is a ``PartialDate``.

    One plain text box rather than a date picker plus a precision choice: it is one field per
    date on a long form, needs no script and no browser support for ``type="month"``, takes the
    date exactly as a gazette or a report gives it, and a rejected value comes back as typed.
    """

    def __init__(self, label=None, validators=None, description=DATE_HINT, **kwargs):
        render_kw = {"dir": "ltr", "spellcheck": "false", "autocomplete": "off", "size": 10}
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(label, validators, description=description, render_kw=render_kw, **kwargs)

    def process_data(self, value):
        self.data = dates.as_partial(value)

    def process_formdata(self, valuelist):
        raw = valuelist[0].strip() if valuelist and isinstance(valuelist[0], str) else ""
        self.data = None
        if raw:
            self.data = fields.parse_date(raw)  # a ValueError becomes the field's message

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.iso if self.data else ""


class WholeNumber(IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(_("Enter a whole number, for example 2024.")) from None


class Number(FloatField):
    """A finite decimal number (``1250.5``); "inf" and "nan", which Python would accept, are not."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(_("Enter a number, for example 1250.5.")) from None
        if self.data is not None and not math.isfinite(self.data):
            self.data = None
            raise ValueError(_("Enter a number, for example 1250.5."))


class YesNoField(SelectField):
    """A required yes or no (a checkbox could not tell "no" from "not answered")."""

    def __init__(self, label=None, message=None, **kwargs):
        def choices():
            return options([("", _("Choose…")), ("yes", _("Yes")), ("no", _("No"))])

        super().__init__(
            label,
            choices=choices,
            validate_choice=False,
            validators=[required(message or REQUIRED), AnyOf(("yes", "no"), message=NOT_A_CHOICE)],
            **kwargs,
        )

    @property
    def value(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.data)


class CodeField(SelectField):
    """A choice from one of the models' coded lists; ``.code`` gives the enum member or None."""

    def __init__(self, label=None, rule: Rule | None = None, none_label=None, **kwargs):
        enum = rule.codes
        self.enum = enum
        if not rule.required:

            def choices():
                return options([("", none_label or _("Not set")), *enum.choices()])

            validators = [Optional()]
        else:

            def choices():
                return options(enum.choices())

            validators = [required()]
        validators.append(AnyOf(enum.codes(), message=NOT_A_CHOICE))
        super().__init__(
            label, choices=choices, validate_choice=False, validators=validators, **kwargs
        )

    @property
    def code(self):
        return self.enum(self.data) if self.data else None


class LanguageField(SelectField):
    """The language of a text, chosen from the rule's list (``tracker.fields.CONTENT_LANGUAGES``),
    each named in the reader's language (CLDR). A stored tag outside the list stays offered."""

    def __init__(self, label=None, rule: Rule | None = None, **kwargs):
        self.rule = rule

        def choices():
            reader = current_lang()
            tags = list(rule.languages or ())
            if self.data and self.data not in tags:
                tags.append(self.data)
            named = sorted((language_name_for(tag, reader), tag) for tag in tags)
            return options([("", _("Not recorded")), *((tag, name) for name, tag in named)])

        validators = [Optional(), max_length(rule.max_length)]
        super().__init__(
            label, choices=choices, validate_choice=False, validators=validators, **kwargs
        )

    def pre_validate(self, form) -> None:
        problem = fields.language_problem(self.rule, self.data) if self.data else None
        if problem:
            raise ValidationError(problem)


class LanguageInput(StringField):
    """A language tag typed with suggestions from the page's ``<datalist id="content-languages">``
    (``content_language_options``): the light form of ``LanguageField`` for forms that repeat it
    on every row (the whole checklist). Checked by the same rule."""

    def __init__(self, label=None, rule: Rule | None = None, validators=None, **kwargs):
        self.rule = rule
        render_kw = {"list": "content-languages", "size": "8", "autocomplete": "off"}
        validators = [*(validators or ()), Optional(), max_length(LANGUAGE_TAG_LENGTH)]
        super().__init__(label, validators=validators, render_kw=render_kw, **kwargs)

    def pre_validate(self, form) -> None:
        problem = fields.language_problem(self.rule, self.data) if self.data else None
        if problem:
            raise ValidationError(problem)


@functools.cache
def _all_languages(reader: str) -> tuple[tuple[str, str], ...]:
    """Every language CLDR has data for, as ``(tag, name in the reader's language)``, by name."""
    tags = {ident.split("_")[0] for ident in localedata.locale_identifiers()}
    named = ((tag, language_name_for(tag, reader)) for tag in tags if is_language_tag(tag))
    return tuple(sorted(named, key=lambda pair: (pair[1].casefold(), pair[0])))


SUGGESTED = _l("Suggested")
ALL_LANGUAGES = _l("All languages")


class LanguagePicker(SelectField):
    """The language of a text, picked from a list in the reader's language (CLDR) and stored as
    its BCP 47 tag: a short list first (``suggested``: the country's languages, then the
    interface's), then every language CLDR knows. A stored tag outside both stays offered; a
    submitted tag CLDR does not know is a field error, never a 400."""

    def __init__(self, label=None, rule: Rule | None = None, message=None, blank=None, **kwargs):
        self.rule = rule
        self.suggested: list[str] = []

        def choices():
            reader = current_lang()
            first = list(dict.fromkeys([*self.suggested, *LOCALES]))
            every = _all_languages(reader)
            known = {tag for tag, _name in every}
            if self.data and self.data not in known and self.data not in first:
                first.append(self.data)
            empty = blank or (_("Choose a language…") if rule.required else _("Not recorded"))
            out = [SelectChoice("", str(empty))]
            out += [
                SelectChoice(tag, language_name_for(tag, reader), optgroup=str(SUGGESTED))
                for tag in first
            ]
            out += [
                SelectChoice(tag, name, optgroup=str(ALL_LANGUAGES))
                for tag, name in every
                if tag not in first
            ]
            return out

        validators = [
            required(message) if rule.required else Optional(),
            max_length(rule.max_length),
        ]
        super().__init__(
            label, choices=choices, validate_choice=False, validators=validators, **kwargs
        )

    def suggest(self, tags) -> None:
        """Offer ``tags`` (e.g. the country's languages) at the top of the list."""
        self.suggested = [tag for tag in tags if tag]

    def pre_validate(self, form) -> None:
        problem = fields.language_problem(self.rule, self.data) if self.data else None
        if problem:
            raise StopValidation(_("Choose a language from the list."))


def content_language_options() -> list[tuple[str, str]]:
    """``(tag, name in the reader's language)`` for the languages a text may be written in."""
    reader = current_lang()
    return [(tag, language_name_for(tag, reader)) for tag in fields.CONTENT_LANGUAGES]


# --- the base form ------------------------------------------------------------------------------


# --- forms applied once -------------------------------------------------------------------------
# Every staff form's page carries a one-time key (``once_field``, in ``m.hidden_fields`` and the
# review forms). The view passes ``sent_once_key()`` to ``write.transaction(once=...)``, which
# applies a form once: the same form sent again (a double click, a resent request) writes nothing.


def once_field() -> Markup:
    """The hidden input with a new one-time key."""
    return Markup('<input type="hidden" name="once" value="%s">') % secrets.token_urlsafe(24)


def sent_once_key() -> str | None:
    """What identifies this sending of a form: its one-time key with the path and the values
    sent (the CSRF token aside, which changes with every page). A form sent again unchanged has
    the same key; one changed after the browser's Back button is a new form, applied as such.
    None when the form carries no key (nothing is checked then)."""
    once = request.form.get("once", "")
    if not write.ONCE_KEY.fullmatch(once):
        return None
    sent = sorted((k, v) for k, v in request.form.items(multi=True) if k != "csrf_token")
    digest = hashlib.sha256(request.path.encode())
    for key, value in sent:
        digest.update(b"\0" + key.encode() + b"\1" + value.encode())
    return digest.hexdigest()


def already_applied_message() -> str:
    return _("This form was sent twice: it was saved once, and nothing more was changed.")


class BaseForm(FlaskForm):
    """Strip filter and control-character check on every text field; helpers for templates."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            cls = unbound_field.field_class
            if issubclass(cls, StringField):
                kwargs = unbound_field.kwargs
                filters = list(kwargs.get("filters") or ())
                if not issubclass(cls, PasswordField):
                    filters.insert(0, _strip)
                validators = [no_control_characters, *(kwargs.get("validators") or ())]
                options = {**options, "filters": filters, "validators": validators}
            return unbound_field.bind(form=form, **options)

    def error_list(self) -> list[tuple[str | None, str, str]]:
        """``(field id, label, message)`` for each error, nested forms included, in form order."""
        out: list[tuple[str | None, str, str]] = []

        def walk(form) -> None:
            for field in form:
                if isinstance(field, FormField):
                    walk(field.form)
                    continue
                if isinstance(field, FieldList):
                    for message in field.errors:
                        if isinstance(message, str):  # the list's own (not an entry's)
                            out.append((field.id, str(field.label.text), message))
                    for entry in field:
                        walk(entry.form)
                    continue
                for message in field.errors:
                    out.append((field.id, str(field.label.text), str(message)))
            for message in getattr(form, "form_errors", ()):
                out.append((None, "", str(message)))

        walk(self)
        return out

    def visible_fields(self):
        return [f for f in self if f.type not in ("HiddenField", "CSRFTokenField")]

    def version_value(self) -> int:
        """The version the form was loaded with (0 when missing or not a number).

        Only the submitted value counts: a form built with ``obj=`` or ``data=`` holds the stored
        version, and falling back to it would turn a POST without a version into a blind save.
        """
        if self.is_submitted() and not self.version.raw_data:
            return 0
        try:
            return int(self.version.data or 0)
        except (TypeError, ValueError):
            return 0

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        # A record's dates come with their precision (``tracker.dates``), never as bare days.
        if obj is not None:
            obj = _WithPreciseDates(obj, [f.name for f in self if isinstance(f, DateInput)])
        super().process(formdata, obj, data=data, extra_filters=extra_filters, **kwargs)

    def model_values(self, names) -> dict:
        """The cleaned values of ``names`` for a model: codes as enum members, "" as None."""
        values = {}
        for name in names:
            field = self[name]
            value = field.code if isinstance(field, CodeField) else field.data
            values[name] = None if value == "" else value
        for name in names:
            # The language of an empty text is not kept (a form may offer a default).
            text = name.removesuffix("_lang")
            if name != text and text in values and not values[text]:
                values[name] = None
        return values


class _WithPreciseDates:
    """A record seen by a form: its date fields as ``PartialDate``s, the rest as they are."""

    def __init__(self, record, names):
        self._record = record
        self._names = frozenset(names)

    def __getattr__(self, name):
        if name in self._names:
            return dates.of(self._record, name)
        return getattr(self._record, name)


class SubForm(BaseForm):
    """A form nested in another (the parent carries the CSRF token)."""

    class Meta:
        csrf = False


# --- sign-in ------------------------------------------------------------------------------------


class LoginForm(BaseForm):
    email = EmailField(
        _l("Email address"), validators=checks(USER["email"], _l("Enter your email address."))
    )
    password = PasswordField(
        _l("Password"),
        validators=[required(_l("Enter your password.")), max_length(MAX_PASSWORD_LENGTH)],
    )


class ConfirmForm(BaseForm):
    """A button that changes something (delete, restore, move): CSRF token and version only."""

    version = HiddenField()


# --- source links --------------------------------------------------------------------------------

BLANK_SOURCES = 2  # empty rows offered below an instrument's or a judgement's source links


class SourceForm(SubForm):
    """One source link: its address (http or https only), its kind and a short note. A row left
    empty is ignored; emptying a row's address removes that source."""

    url = URLField(
        _l("Source link"),
        description=_l("An address starting with https:// or http://."),
        validators=checks(SOURCE["url"].optional()),
    )
    kind = CodeField(_l("Kind of source"), rule=SOURCE["kind"].optional())
    note = StringField(_l("Note"), validators=checks(SOURCE["note"]))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.url.data and not self.kind.data and not self.kind.errors:
            self.kind.errors.append(_("Say what kind of source this is."))
            valid = False
        return valid

    @property
    def wanted(self):
        return (self.kind.code, self.url.data, self.note.data or None) if self.url.data else None


def source_list_field(label):
    return FieldList(
        FormField(SourceForm),
        label=label,
        description=_l(
            "Official: gazette, ministry, parliament or regulator. Legal database: FAOLEX, "
            "ECOLEX, a legal information institute. Intergovernmental: ITU, UNEP, the Basel "
            "secretariat. Secondary: press, law firms, document-sharing copies."
        ),
        max_entries=fields.MAX_SOURCES + BLANK_SOURCES,
    )


def wanted_sources(field: FieldList) -> list:
    """The filled rows of a source list, in order, as (kind, url, note)."""
    return [entry.form.wanted for entry in field if entry.form.wanted is not None]


def add_blank_sources(field: FieldList) -> None:
    while len(field) < min(len(field) + BLANK_SOURCES, field.max_entries):
        field.append_entry()
        if sum(1 for e in field if not e.form.url.data) >= BLANK_SOURCES:
            break


def check_source_count(field: FieldList) -> bool:
    if len(wanted_sources(field)) > fields.MAX_SOURCES:
        field.errors = [_("At most %(max)s sources are allowed.", max=fields.MAX_SOURCES)]
        return False
    return True


# --- instruments and milestones -----------------------------------------------------------------


class InstrumentForm(BaseForm):
    """The instrument's fields (``tracker.fields.INSTRUMENT``), with their labels."""

    title = StringField(
        _l("Title in the original language"),
        validators=checks(INSTRUMENT["title"], _l("Enter the instrument's title.")),
    )
    title_lang = LanguagePicker(
        _l("Language of the title"),
        rule=INSTRUMENT["title_lang"],
        message=_l("Choose the language of the title."),
    )
    type = CodeField(_l("Type"), rule=INSTRUMENT["type"])
    status = CodeField(_l("Status"), rule=INSTRUMENT["status"])
    ewaste_specific = BooleanField(
        _l("Specific to e-waste"),
        description=_l(
            "Tick for an e-waste act, regulation, policy or strategy; leave empty for a general "
            "instrument that touches e-waste (an environmental framework act, a customs law)."
        ),
    )
    number = StringField(_l("Number or citation"), validators=checks(INSTRUMENT["number"]))
    issuing_body = StringField(_l("Issuing body"), validators=checks(INSTRUMENT["issuing_body"]))
    year = WholeNumber(_l("Year"), validators=checks(INSTRUMENT["year"]))
    consultation_on = DateInput(
        _l("Public consultation"), validators=checks(INSTRUMENT["consultation_on"])
    )
    validated_on = DateInput(_l("Validated on"), validators=checks(INSTRUMENT["validated_on"]))
    adopted_on = DateInput(_l("Adopted on"), validators=checks(INSTRUMENT["adopted_on"]))
    published_on = DateInput(_l("Published on"), validators=checks(INSTRUMENT["published_on"]))
    in_force_on = DateInput(_l("In force from"), validators=checks(INSTRUMENT["in_force_on"]))
    amended_on = DateInput(_l("Amended on"), validators=checks(INSTRUMENT["amended_on"]))
    repealed_on = DateInput(_l("Repealed on"), validators=checks(INSTRUMENT["repealed_on"]))
    dates_note = StringField(_l("Note on the dates"), validators=checks(INSTRUMENT["dates_note"]))
    url = URLField(
        _l("Link to the text"),
        description=_l("An address starting with https:// or http://."),
        validators=checks(INSTRUMENT["url"]),
    )
    summary = TextAreaField(_l("Summary"), validators=checks(INSTRUMENT["summary"]))
    sources = source_list_field(_l("Sources"))
    summary_lang = LanguageField(_l("Language of the summary"), rule=INSTRUMENT["summary_lang"])
    version = HiddenField()

    MODEL_FIELDS = tuple(INSTRUMENT)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        valid = check_source_count(self.sources) and valid
        # The order of the dates, as the import checks it (``tracker.fields``).
        dates = {name: self[name].data for name in fields.INSTRUMENT_DATES}
        for name, message in fields.instrument_date_problems(dates):
            if not self[name].errors:
                self[name].errors.append(message)
                valid = False
        return valid


RELATION_KIND = fields.code(RelationKind)


class RelationForm(BaseForm):
    """One relation of an instrument to another of its country (choices set by the view)."""

    kind = CodeField(_l("This instrument"), rule=RELATION_KIND)
    target = SelectField(_l("Other instrument"), choices=[], validate_choice=False)
    version = HiddenField()

    def validate_target(self, field) -> None:
        if not field.data:
            raise ValidationError(_("Choose the other instrument."))
        if not field.data.isdigit():
            raise ValidationError(_("Choose one of the options."))

    @property
    def target_id(self) -> int | None:
        return int(self.target.data) if (self.target.data or "").isdigit() else None


def instrument_option(inst) -> str:
    """An instrument as an option: its whole title, year and status ("…, 2011 (In force)"); the
    year is not repeated when the title already says it ("Environmental Management Act, 2011")."""
    says_year = inst.year is None or re.search(rf"\b{inst.year}\b", inst.title)
    title = inst.title if says_year else f"{inst.title}, {inst.year}"
    return _("%(title)s (%(status)s)", title=title, status=inst.status.label)


class InstrumentTitleForm(BaseForm):
    """A translated title of an instrument, in a language picked from the list."""

    locale = LanguagePicker(
        _l("Language"),
        rule=fields.INSTRUMENT_TITLE["locale"],
        message=_l("Choose the language of this title."),
    )
    title = StringField(
        _l("Title in this language"),
        validators=checks(fields.INSTRUMENT_TITLE["title"], _l("Enter the title.")),
    )
    version = HiddenField()


class InstrumentTitleEditForm(BaseForm):
    """A translated title of an instrument, in the language of its page."""

    title = InstrumentTitleForm.title
    version = HiddenField()


class MilestoneForm(BaseForm):
    """The milestone's fields (``tracker.fields.MILESTONE``), with their labels."""

    title = StringField(
        _l("Title"), validators=checks(MILESTONE["title"], _l("Enter the milestone's title."))
    )
    title_lang = LanguageField(_l("Language of the title"), rule=MILESTONE["title_lang"])
    nature = CodeField(
        _l("Project step or context event"),
        rule=MILESTONE["nature"],
        default=MilestoneNature.PROJECT.value,  # also when a form sends no choice at all
        description=_l(
            "Only steps of the ITU-CST project count towards milestones done; a context event "
            "(an earlier programme, a plant opening, a press item) is shown in the timeline only."
        ),
    )
    kind = CodeField(_l("Kind of milestone"), rule=MILESTONE["kind"])
    status = CodeField(_l("Status"), rule=MILESTONE["status"])
    planned_on = DateInput(_l("Planned for"), validators=checks(MILESTONE["planned_on"]))
    actual_on = DateInput(_l("Took place on"), validators=checks(MILESTONE["actual_on"]))
    place = StringField(_l("Place"), validators=checks(MILESTONE["place"]))
    source_url = URLField(
        _l("Source link"),
        description=_l("An address starting with https:// or http://."),
        validators=checks(MILESTONE["source_url"]),
    )
    source_kind = CodeField(_l("Kind of source"), rule=MILESTONE["source_kind"])
    notes = TextAreaField(_l("Notes"), validators=checks(MILESTONE["notes"]))
    notes_lang = LanguageField(_l("Language of the notes"), rule=MILESTONE["notes_lang"])
    version = HiddenField()

    MODEL_FIELDS = tuple(MILESTONE)


# --- the whole checklist as one form ------------------------------------------------------------


class LinkEvidenceForm(SubForm):
    """The quoted legal text of one coverage link (``tracker.fields.COVERAGE_LINK``)."""

    excerpt = TextAreaField(
        _l("Excerpt of the legal text"),
        description=_l("Quote it exactly, in the instrument's language; never paraphrase."),
        validators=checks(COVERAGE_LINK["excerpt"]),
    )
    excerpt_lang = LanguagePicker(_l("Language of the excerpt"), rule=COVERAGE_LINK["excerpt_lang"])
    translation = TextAreaField(
        _l("English translation of the excerpt"),
        validators=checks(COVERAGE_LINK["translation"]),
    )
    translation_status = CodeField(
        _l("The translation is"), rule=COVERAGE_LINK["translation_status"]
    )
    article_url = URLField(
        _l("Link to the exact article or page"),
        description=_l("An address starting with https:// or http://."),
        validators=checks(COVERAGE_LINK["article_url"]),
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        values = {name: self[name].data for name in fields.EVIDENCE_FIELDS}
        for name, message in fields.evidence_problems(values):
            if not self[name].errors:
                self[name].errors.append(message)
                valid = False
        return valid

    def values(self) -> dict:
        values = {name: self[name].data or None for name in fields.EVIDENCE_FIELDS}
        values["translation_status"] = self.translation_status.code
        return values




# New links a checklist row takes in one save: one empty group is on the page, "Add another link"
# adds more (in the page with the script, by a round trip without it), up to this many.
MAX_NEW_LINKS = 10


class CoverageLinkForm(SubForm):
    """One existing link of a checklist row: how far the instrument addresses it, or removal."""

    extent = CodeField(
        _l("Addresses it"),
        rule=COVERAGE_LINK["extent"].optional(),
        none_label=_l("Does not address it"),
    )
    articles = StringField(_l("Articles"), validators=checks(COVERAGE_LINK["articles"]))
    remove = BooleanField(_l("Remove"))


class NewLinkForm(LinkEvidenceForm):
    """One "link an instrument" group of a checklist row (its choices set per row): the
    instrument, how far it addresses the provision, where, and the quoted legal text."""

    instrument = SelectField(_l("Instrument"), choices=[], validate_choice=False)
    extent = CodeField(_l("Addresses it"), rule=COVERAGE_LINK["extent"].optional())
    articles = StringField(_l("Articles"), validators=checks(COVERAGE_LINK["articles"]))
    # Lighter than on the evidence page: this group repeats on every row of the checklist.
    excerpt_lang = LanguageInput(_l("Language of the excerpt"), rule=COVERAGE_LINK["excerpt_lang"])
    article_url = URLField(
        _l("Link to the exact article or page"), validators=checks(COVERAGE_LINK["article_url"])
    )

    def validate_instrument(self, field) -> None:
        if field.data and field.data not in option_values(field):
            raise ValidationError(_("Choose one of the options."))
        if not field.data and self.filled():
            raise ValidationError(REQUIRED)

    def filled(self) -> bool:
        """Anything typed besides the instrument (an empty group is simply not a link)."""
        names = ("extent", "articles", *fields.EVIDENCE_FIELDS)
        return any(self[name].data for name in names)

    def validate(self, extra_validators=None) -> bool:
        if not self.instrument.data and not self.filled():
            return True  # an empty group: nothing to check
        valid = super().validate(extra_validators)
        # Not a ``validate_extent``: the field's ``Optional`` stops the chain when it is empty.
        if self.instrument.data and not self.extent.data:
            self.extent.errors.append(_("This field is required."))
            return False
        return valid

    @property
    def instrument_id(self) -> int | None:
        return int(self.instrument.data) if self.instrument.data else None


def instrument_choices(instruments) -> list[tuple[int, str]]:
    """``(id, label)`` for the link picker, by title A to Z (a select finds an option by the
    first letters typed), then year."""
    ordered = sorted(instruments, key=lambda i: (i.title.casefold(), i.year or 0, i.id))
    return [(inst.id, instrument_option(inst)) for inst in ordered]


class CoverageRowForm(SubForm):
    applicable = SelectField(
        _l("Applies to this country"),
        choices=lambda: options([("yes", _("Applies")), ("no", _("Does not apply"))]),
        validate_choice=False,
        validators=[AnyOf(["yes", "no"], message=NOT_A_CHOICE)],
        default="yes",
    )
    not_applicable_reason = TextAreaField(
        _l("Why it does not apply"),
        validators=checks(COVERAGE["not_applicable_reason"], optional=False),
    )
    implementation = CodeField(_l("Implementation"), rule=COVERAGE["implementation"])
    evidence = TextAreaField(_l("Evidence"), validators=checks(COVERAGE["evidence"]))
    evidence_lang = LanguageInput(_l("Language of the evidence"), rule=COVERAGE["evidence_lang"])
    version = HiddenField()
    new = FieldList(FormField(NewLinkForm), label=_l("Link another instrument"), min_entries=1)

    def validate_not_applicable_reason(self, field) -> None:
        if self.applicable.data == "no" and not field.data:
            raise ValidationError(_("Say why this provision does not apply."))

    def validate_new(self, field) -> None:
        # The messages go on the groups' fields, which the error summary lists.
        problem = False
        if len(field.entries) > MAX_NEW_LINKS:
            field.entries[-1].form.instrument.errors.append(
                _("Add at most %(max)d new links to one provision in one save.", max=MAX_NEW_LINKS)
            )
            problem = True
        chosen = [e.form.instrument.data for e in field.entries if e.form.instrument.data]
        for entry in field.entries:
            data = entry.form.instrument.data
            if data and chosen.count(data) > 1:
                entry.form.instrument.errors.append(
                    _("This instrument is chosen twice for this provision: keep one.")
                )
                problem = True
        if problem:
            raise ValidationError("")

    def link_fields(self):
        """The existing links (``i<instrument id>``), not the "add a link" groups."""
        return [f for f in self if isinstance(f, FormField)]

    def new_links(self) -> list[NewLinkForm]:
        return [entry.form for entry in self.new.entries]


LINK_KEY = re.compile(r"^p(\d+)-i(\d+)-(?:extent|articles|remove)$")


def posted_links(formdata) -> dict[int, set[int]]:
    """Instrument ids named by ``p<provision>-i<instrument>-...`` keys of a POST, by provision."""
    out: dict[int, set[int]] = {}
    for key in formdata or ():
        match = LINK_KEY.match(key)
        if match:
            out.setdefault(int(match[1]), set()).add(int(match[2]))
    return out


def checklist_form(provisions, instruments, linked, formdata=None, **kwargs) -> BaseForm:
    """The checklist of one country as one form: a row per provision, a group per link.

    ``linked`` maps a provision id to the instrument ids it is linked to now. A row holds those
    links, any other instrument of this country that the POST names (the form's older contract:
    ``p<provision id>-i<instrument id>-extent``), and "link an instrument" groups
    ``p<id>-new-<n>-...`` (one when empty, as many as the POST sends up to ``MAX_NEW_LINKS``)
    offering this country's instruments that the row does not link yet, by their whole titles,
    year and status (``form.link_choices``, by provision id). Field names are
    ``p<provision id>-...``, so the field count grows with links, not provisions × instruments.
    """
    order = {inst.id: n for n, inst in enumerate(instruments)}
    posted = posted_links(formdata)
    fields, row_links = {}, {}
    for prov in provisions:
        ids = {i for i in linked.get(prov.id, ()) if i in order}
        ids |= posted.get(prov.id, set()) & order.keys()
        row_links[prov.id] = ids
        row_fields = {
            f"i{iid}": FormField(CoverageLinkForm, label=instruments[order[iid]].title)
            for iid in sorted(ids, key=order.__getitem__)
        }
        fields[f"p{prov.id}"] = FormField(
            type("CoverageRow", (CoverageRowForm,), row_fields), label=prov.code
        )
    form_class = type("ChecklistForm", (BaseForm,), fields)
    form = form_class(**kwargs) if formdata is None else form_class(formdata=formdata, **kwargs)
    labelled = instrument_choices(instruments)
    form.link_choices = {
        prov.id: [
            SelectChoice("", _("Not set")),
            *(SelectChoice(str(iid), label) for iid, label in labelled if iid not in row_links[prov.id]),
        ]
        for prov in provisions
    }
    for prov in provisions:
        for entry in form[f"p{prov.id}"].form.new.entries:
            entry.form.instrument.choices = form.link_choices[prov.id]
    return form


def add_link_group(form: BaseForm, provision_id: int) -> bool:
    """One more empty "link an instrument" group in a row (the no-script "Add another link");
    False when the row already has as many as one save takes."""
    groups = form[f"p{provision_id}"].form.new
    if len(groups.entries) >= MAX_NEW_LINKS:
        return False
    entry = groups.append_entry()
    entry.form.instrument.choices = form.link_choices[provision_id]
    return True


def wanted_coverage(row_form: CoverageRowForm) -> WantedCoverage:
    """What a validated checklist row asks for: its kept links plus those it adds (with their
    quoted legal text), if any."""
    applicable = row_form.applicable.data != "no"
    links = {}
    for link_field in row_form.link_fields():
        sub = link_field.form
        if sub.extent.data and not sub.remove.data:
            links[int(link_field.short_name[1:])] = (Extent(sub.extent.data), sub.articles.data or None)
    evidence = {}
    for new in row_form.new_links():
        if new.instrument_id is not None:
            links[new.instrument_id] = (Extent(new.extent.data), new.articles.data or None)
            evidence[new.instrument_id] = new.values()
    return WantedCoverage(
        applicable=applicable,
        not_applicable_reason=(row_form.not_applicable_reason.data or None)
        if not applicable
        else None,
        implementation=Implementation(row_form.implementation.data),
        evidence=row_form.evidence.data or None,
        links=links,
        evidence_lang=row_form.evidence_lang.data or None,
        link_evidence=evidence,
    )


def checklist_values(form: BaseForm, provisions) -> dict[int, tuple[WantedCoverage, int]]:
    """A validated checklist form as plain values: provision id -> (row asked for, its version)."""
    out = {}
    for prov in provisions:
        row_form = form[f"p{prov.id}"].form
        out[prov.id] = (wanted_coverage(row_form), row_form.version_value())
    return out


# --- the evidence of one judgement ---------------------------------------------------------------


class EvidenceBaseForm(BaseForm):
    sources = source_list_field(_l("Sources of the judgement"))
    version = HiddenField()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return check_source_count(self.sources) and valid

    def link_fields(self):
        return [f for f in self if isinstance(f, FormField)]


def evidence_form(links, labels: dict[int, str], **kwargs) -> EvidenceBaseForm:
    """The evidence page of one judgement: its source links, then one group per coverage link
    (``l<instrument id>``) with the quoted text, its translation and the article's address."""
    extra = {
        f"l{link.instrument_id}": FormField(LinkEvidenceForm, label=labels[link.instrument_id])
        for link in links
    }
    return type("EvidenceForm", (EvidenceBaseForm,), extra)(**kwargs)


# --- administration -----------------------------------------------------------------------------


def _password_validators():
    return [
        required(_l("Enter a password.")),
        Length(min=MIN_PASSWORD_LENGTH, message=_l("Use at least %(min)d characters.")),
        max_length(MAX_PASSWORD_LENGTH),
    ]


class _UserRoleMixin:
    def validate_country(self, field) -> None:
        if self.role.data == Role.EDITOR.value and not field.data:
            raise ValidationError(_("An editor needs a country."))
        if field.data and field.data not in option_values(field):
            raise ValidationError(_("Choose one of the options."))


class UserCreateForm(_UserRoleMixin, BaseForm):
    email = EmailField(
        _l("Email address"),
        validators=[
            *checks(USER["email"], _l("Enter an email address.")),
            Email(
                message=_l("Enter an email address in the format name@example.org."),
                check_deliverability=False,
            ),
        ],
    )
    role = CodeField(_l("Role"), rule=USER["role"])
    country = SelectField(_l("Country (for editors)"), choices=[], validate_choice=False)
    password = PasswordField(
        _l("Initial password"),
        description=_l("At least 12 characters. Give it to the person by a safe channel."),
        validators=_password_validators(),
    )


class UserEditForm(_UserRoleMixin, BaseForm):
    role = CodeField(_l("Role"), rule=USER["role"])
    country = SelectField(_l("Country (for editors)"), choices=[], validate_choice=False)
    is_active = BooleanField(_l("Account active (may sign in)"))
    version = HiddenField()


class PasswordResetForm(BaseForm):
    password = PasswordField(_l("New password"), validators=_password_validators())
    version = HiddenField()


def _cldr_regions() -> set[str]:
    return {code for code in Locale("en").territories if len(code) == 2 and code.isalpha()}


class CountryLanguageForm(SubForm):
    """One language of a country, picked from the list."""

    language = LanguagePicker(
        _l("Language"), rule=fields.language(required=False), blank=_l("Choose a language…")
    )


COUNTRY_LANGUAGE_ROWS = 4


class CountryForm(BaseForm):
    """A new country: its ISO 3166 alpha-3 code alone (the alpha-2 code follows from it), the
    languages of its laws (CLDR's official languages of the country when none is picked) and
    when it joined."""

    iso3 = StringField(
        _l("ISO 3166 alpha-3 code"),
        description=_l("Three letters, for example MWI for Malawi."),
        filters=[_upper],
        validators=checks(COUNTRY["iso3"], _l("Enter the three-letter country code.")),
    )
    languages = FieldList(
        FormField(CountryLanguageForm),
        label=_l("Languages"),
        description=_l(
            "The languages of the country's laws, the main one first. Leave them all empty to "
            "use the country's official languages as CLDR lists them."
        ),
        min_entries=COUNTRY_LANGUAGE_ROWS,
        max_entries=COUNTRY_LANGUAGE_ROWS,
    )
    joined_on = DateInput(_l("Joined the project on"), validators=checks(COUNTRY["joined_on"]))

    def validate_iso3(self, field) -> None:
        if not re.fullmatch(r"[A-Z]{3}", field.data or ""):
            raise ValidationError(_("Enter an ISO 3166 alpha-3 country code, such as MWI."))
        if self.iso2 is None:
            raise ValidationError(
                _(
                    "No country has the ISO 3166 alpha-3 code %(code)s. Check the code, for "
                    "example MWI for Malawi.",
                    code=field.data,
                )
            )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for index, entry in enumerate(self.languages):
            label = _("Main language") if index == 0 else _("Other language")
            entry.form.language.label.text = label

    @property
    def iso2(self) -> str | None:
        """The alpha-2 code of the entered alpha-3 code (ISO 3166 via pycountry), when CLDR
        also names that country; else None."""
        code = self.iso3.data or ""
        country = pycountry.countries.get(alpha_3=code) if re.fullmatch(r"[A-Z]{3}", code) else None
        if country is None or country.alpha_2 not in _cldr_regions():
            return None
        return country.alpha_2

    def picked_languages(self) -> list[str]:
        """The picked languages in order, each once."""
        return list(dict.fromkeys(e.form.language.data for e in self.languages if e.form.language.data))

    def language_tags(self) -> list[str]:
        """The picked languages, else the country's official languages (CLDR)."""
        picked = self.picked_languages()
        if picked or self.iso2 is None:
            return picked
        return [tag for tag in get_official_languages(self.iso2) if is_language_tag(tag)]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and not self.language_tags():
            self.languages.errors = [
                _("CLDR lists no official language for this country: pick at least one.")
            ]
            return False
        text = " ".join(self.language_tags())
        if len(text) > (COUNTRY["languages"].max_length or 0):
            self.languages.errors = [_("Pick fewer languages.")]
            return False
        return valid


# --- checklist administration -------------------------------------------------------------------

PROVISION_CODE = re.compile(r"^[A-Z0-9][A-Z0-9.\-]{0,19}$")


class ProvisionForm(BaseForm):
    code = StringField(
        _l("Code"),
        description=_l("Capital letters, digits, dots and hyphens, for example EPR-09."),
        filters=[_upper],
        validators=checks(PROVISION["code"], _l("Enter a code.")),
    )
    category = SelectField(_l("Category"), choices=[], validate_choice=False)
    level = CodeField(_l("Level"), rule=PROVISION["level"])
    gem_indicator = CodeField(
        _l("Global E-waste Monitor indicator"), rule=PROVISION["gem_indicator"]
    )
    title = StringField(
        _l("Title (English)"), validators=checks(PROVISION_TEXT["title"], _l("Enter a title."))
    )
    guidance = TextAreaField(
        _l("Fully addressed when (English)"),
        validators=checks(
            PROVISION_TEXT["guidance"], _l("Say when the provision is fully addressed.")
        ),
    )
    sources = TextAreaField(_l("Sources"), validators=checks(PROVISION["sources"]))

    def validate_code(self, field) -> None:
        if not PROVISION_CODE.match(field.data or ""):
            raise ValidationError(_("Use capital letters, digits, dots and hyphens only."))

    def validate_category(self, field) -> None:
        if field.data not in option_values(field):
            raise ValidationError(_("Choose one of the options."))


class ProvisionEditForm(BaseForm):
    category = SelectField(_l("Category"), choices=[], validate_choice=False)
    level = CodeField(_l("Level"), rule=PROVISION["level"])
    gem_indicator = CodeField(
        _l("Global E-waste Monitor indicator"), rule=PROVISION["gem_indicator"]
    )
    sources = TextAreaField(_l("Sources"), validators=checks(PROVISION["sources"]))
    version = HiddenField()

    validate_category = ProvisionForm.validate_category


class MakeCurrentForm(ConfirmForm):
    """The confirmation of making a draft current: the draft's version and what it held when
    the page was shown (``tracker.read.versions.fingerprint``)."""

    content = HiddenField()


class DraftVersionForm(BaseForm):
    """A new draft checklist version: its code and title (issue 12)."""

    code = StringField(
        _l("Code of the new version"),
        description=_l("Digits, letters, dots and hyphens, for example 2026.1."),
        validators=[required(_l("Enter a code.")), max_length(20)],
    )
    title = StringField(
        _l("Title"), validators=[required(_l("Enter a title.")), max_length(200)]
    )

    def validate_code(self, field) -> None:
        if not VERSION_CODE.match(field.data or ""):
            raise ValidationError(_("Use letters, digits, dots and hyphens only."))


VERSION_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,19}$")


class ProvisionTextForm(BaseForm):
    title = StringField(
        _l("Title"), validators=checks(PROVISION_TEXT["title"], _l("Enter a title."))
    )
    guidance = TextAreaField(
        _l("Fully addressed when"),
        validators=checks(
            PROVISION_TEXT["guidance"], _l("Say when the provision is fully addressed.")
        ),
    )
    version = HiddenField()


class TextTranslationForm(BaseForm):
    """One translation of a record's text; saved empty, it is deleted."""

    text = TextAreaField(
        _l("Translation"),
        description=_l("Leave it empty and save to delete the translation."),
        validators=checks(TEXT_TRANSLATION["text"].optional()),
    )
    version = HiddenField()


class HistoryFilterForm(BaseForm):
    """The history page's filters, read from the query string (no CSRF for a GET form)."""

    class Meta:
        csrf = False

    country = SelectField(_l("Country"), choices=[], validate_choice=False)
    entity = SelectField(_l("Kind of record"), choices=[], validate_choice=False)
    record = WholeNumber(_l("Record number"), validators=[Optional()])
    person = StringField(_l("Person (email)"), validators=checks(USER["email"].optional()))


# --- the Global E-waste Monitor's published values and a country's e-waste figures ------------


class MonitorValueForm(BaseForm):
    """One published value of the Monitor (``tracker.fields.MONITOR_VALUE``)."""

    edition = WholeNumber(
        _l("Edition of the Monitor"),
        description=_l("The year of the edition, for example 2024."),
        validators=checks(MONITOR_VALUE["edition"], _l("Enter the year of the edition.")),
    )
    indicator = CodeField(_l("Indicator"), rule=MONITOR_VALUE["indicator"])
    value = YesNoField(
        _l("Value published by the Monitor"), message=_l("Choose yes or no.")
    )
    source_url = URLField(
        _l("Source link"),
        description=_l("Where the Monitor publishes this value: an address starting with https://."),
        validators=checks(
            MONITOR_VALUE["source_url"], _l("Enter the link to where the Monitor publishes it.")
        ),
    )
    note = TextAreaField(_l("Note"), validators=checks(MONITOR_VALUE["note"]))
    version = HiddenField()

    def values(self) -> dict:
        return {
            "edition": self.edition.data,
            "indicator": self.indicator.code,
            "value": self.value.value,
            "source_url": self.source_url.data,
            "note": self.note.data or None,
        }


class CountryFactForm(BaseForm):
    """A country's e-waste figures for one year (``tracker.fields.COUNTRY_FACT``)."""

    year = WholeNumber(
        _l("Year of the figures"),
        validators=checks(COUNTRY_FACT["year"], _l("Enter the year the figures are for.")),
    )
    generated_kg = Number(
        _l("E-waste generated (kg)"),
        description=_l("Leave empty when the source does not give it."),
        validators=checks(COUNTRY_FACT["generated_kg"]),
    )
    generated_kg_per_capita = Number(
        _l("E-waste generated per capita (kg)"),
        validators=checks(COUNTRY_FACT["generated_kg_per_capita"]),
    )
    collected_kg = Number(
        _l("E-waste formally collected (kg)"), validators=checks(COUNTRY_FACT["collected_kg"])
    )
    collected_kg_per_capita = Number(
        _l("E-waste formally collected per capita (kg)"),
        validators=checks(COUNTRY_FACT["collected_kg_per_capita"]),
    )
    source_url = URLField(
        _l("Source link"),
        description=_l("An address starting with https:// or http://."),
        validators=checks(COUNTRY_FACT["source_url"], _l("Enter the link to the source.")),
    )
    note = TextAreaField(_l("Note"), validators=checks(COUNTRY_FACT["note"]))
    version = HiddenField()

    MODEL_FIELDS = tuple(COUNTRY_FACT)
