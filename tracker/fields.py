"""Field rules, defined once: what each field of a record accepts.

One ``Rule`` per field says how long it may be, whether it is required, which codes it allows,
whether it is a web link, a language tag, a date or a year. Everything that takes input derives
its checks from these rules, so a value one accepts the others accept too, and the database can
always hold it:

- the staff forms (``tracker.web.forms``) build their WTForms validators from them;
- the CSV tables (``tracker.formats.tables``) take their columns' constraints from them, which
  the import checks cell by cell (``tracker.formats.csvio``) and the data package publishes;
- the tables (``tracker.models``) take their column lengths from them.

Rules that involve several fields (the order of an instrument's dates) are functions here that
the forms and the import both call. To change what a field accepts, change it here.

No database, no request, no WTForms: plain values in, translated messages out.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Literal
from urllib.parse import urlsplit

from babel import localedata

from tracker import dates
from tracker.codes import (
    Choice,
    Extent,
    GemIndicator,
    Implementation,
    InstrumentStatus,
    InstrumentType,
    Level,
    MilestoneKind,
    MilestoneNature,
    MilestoneStatus,
    Role,
    SourceKind,
    TranslationStatus,
)
from tracker.dates import DateSyntaxError, PartialDate, as_partial, certainly_before
from tracker.i18n import _

# Invisible control characters (tabs and line breaks are fine): refused in every text.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A BCP 47 tag: a lower-case language subtag, then subtags such as a script or a region.
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")

# Bounds for free text stored in TEXT columns (the database has no limit of its own there).
LONG_TEXT = 20_000
NOTE_TEXT = 5_000
EXCERPT_TEXT = 2_000  # a short quotation, not the whole law
URL_LENGTH = 2000
LANGUAGE_TAG_LENGTH = 12
EMAIL_LENGTH = 254

# The languages a text of a record (a summary, evidence, a milestone's title and notes) may be
# written in: BCP 47 tags, offered by the forms and checked on import. The interface's languages
# and those of the project's countries; add a tag here to offer another.
CONTENT_LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "ar", "ru", "zh", "rw", "gn", "sw")

# Every date is as precise as its source: ``2024``, ``2024-10`` or ``2024-10-23`` (``tracker.dates``).
# Every date in the tracker is a legal or project event (adoption, entry into force, a workshop):
# one before 1900 or after 2100 is a typing slip (0001-01-01, 9999-12-31), refused everywhere.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)
DATE_PATTERN = dates.PATTERN

Kind = Literal["text", "code", "url", "language", "date", "year", "boolean", "number"]


@dataclass(frozen=True)
class Rule:
    """What one field accepts. ``max_length`` counts characters; None means no bound."""

    kind: Kind = "text"
    max_length: int | None = None
    required: bool = False
    codes: type[Choice] | None = None
    minimum: int | None = None
    maximum: int | None = None
    languages: tuple[str, ...] | None = None  # a "language" field limited to these tags

    @property
    def pattern(self) -> str | None:
        """The regular expression a text of this kind matches (published in the data package)."""
        if self.kind == "date":
            return DATE_PATTERN
        return LANGUAGE_TAG.pattern if self.kind == "language" else None

    def optional(self) -> "Rule":
        """The same rule for a place where the field may be left empty."""
        return replace(self, required=False)


def text(max_length: int | None, *, required: bool = False) -> Rule:
    return Rule("text", max_length, required)


def code(codes: type[Choice], *, required: bool = True) -> Rule:
    return Rule("code", None, required, codes)


def url() -> Rule:
    return Rule("url", URL_LENGTH)


def language(*, required: bool = True) -> Rule:
    return Rule("language", LANGUAGE_TAG_LENGTH, required)


def content_language() -> Rule:
    """The language of a text field: one of ``CONTENT_LANGUAGES``, or empty when it is not
    recorded (the pages then show the text without a language marker)."""
    return Rule("language", LANGUAGE_TAG_LENGTH, False, languages=CONTENT_LANGUAGES)


def a_date() -> Rule:
    return Rule("date")


def year(minimum: int = 1800, maximum: int = 2200) -> Rule:
    return Rule("year", minimum=minimum, maximum=maximum)


# --- checks shared by every input ---------------------------------------------------------------


def has_control_characters(value: str) -> bool:
    return bool(CONTROL_CHARACTERS.search(value))


def is_http_url(value: str) -> bool:
    """An absolute ``http``/``https`` link with a host (an escaped ``javascript:`` link still
    runs, so other schemes are refused everywhere)."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return False
    return (
        parts.scheme.lower() in ("http", "https")
        and bool(host)
        and not any(c.isspace() for c in value)
    )


def parse_date(text: str) -> PartialDate:
    """A date as a person or a file writes it: ``2024``, ``2024-10`` or ``2024-10-23``.

    Raises ``ValueError`` with a translated message saying what is wrong (the form, a month that
    does not exist, a day the month does not have, a date out of range).
    """
    try:
        value = PartialDate.parse(text)
    except DateSyntaxError as exc:
        raise ValueError(date_syntax_message(exc)) from None
    problem = date_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def date_syntax_message(exc: DateSyntaxError) -> str:
    if exc.reason == "month":
        return _("“%(value)s” is not a date: the month must be between 01 and 12.", value=exc.text)
    if exc.reason == "day":
        return _("“%(value)s” is not a date: that month has no such day.", value=exc.text)
    return _(
        "“%(value)s” is not a date. Write the year, the year and month, or the full date: "
        "2024, 2024-10 or 2024-10-23.",
        value=exc.text,
    )


def date_problem(value: "PartialDate | date") -> str | None:
    """The message for a date outside ``EARLIEST_DATE``..``LATEST_DATE``, or None."""
    value = as_partial(value).start
    if EARLIEST_DATE <= value <= LATEST_DATE:
        return None
    return _(
        "Enter a date between %(min)s and %(max)s.",
        min=EARLIEST_DATE.isoformat(),
        max=LATEST_DATE.isoformat(),
    )


def language_problem(rule: Rule, tag: str) -> str | None:
    """The message for a language tag ``rule`` does not accept, or None."""
    if not is_language_tag(tag):
        return _("Enter a language code such as en, fr, rw, gn or zh-Hans.")
    if rule.languages is not None and tag not in rule.languages:
        return _("Choose one of these languages: %(codes)s.", codes=", ".join(rule.languages))
    return None


def is_language_tag(tag: str) -> bool:
    """A BCP 47 tag of at most 12 characters whose language CLDR knows (``en``, ``zh-Hans``)."""
    return (
        len(tag) <= LANGUAGE_TAG_LENGTH
        and bool(LANGUAGE_TAG.match(tag))
        and localedata.exists(tag.split("-")[0])
    )


# --- the records' fields ------------------------------------------------------------------------

INSTRUMENT: Mapping[str, Rule] = {
    "type": code(InstrumentType),
    "title": text(500, required=True),
    "title_lang": language(),
    "number": text(200),
    "issuing_body": text(300),
    "status": code(InstrumentStatus),
    "year": year(),
    "consultation_on": a_date(),
    "validated_on": a_date(),
    "adopted_on": a_date(),
    "published_on": a_date(),
    "in_force_on": a_date(),
    "amended_on": a_date(),
    "repealed_on": a_date(),
    "dates_note": text(500),
    "url": url(),
    "summary": text(LONG_TEXT),
    # Specific to e-waste (an e-waste act, regulation, policy or strategy), or a general
    # instrument that touches it (an environmental framework act, a customs or plastics law).
    "ewaste_specific": Rule("boolean", required=True),
    "summary_lang": content_language(),
}
# The lifecycle dates of an instrument, in the order of its lifecycle.
INSTRUMENT_DATES: tuple[str, ...] = tuple(n for n, r in INSTRUMENT.items() if r.kind == "date")

INSTRUMENT_TITLE: Mapping[str, Rule] = {
    "locale": language(),
    "title": INSTRUMENT["title"],
}

MILESTONE: Mapping[str, Rule] = {
    "kind": code(MilestoneKind),
    "title": text(300, required=True),
    "planned_on": a_date(),
    "actual_on": a_date(),
    "place": text(200),
    "status": code(MilestoneStatus),
    "source_url": url(),
    "notes": text(LONG_TEXT),
    "source_kind": code(SourceKind, required=False),
    "nature": code(MilestoneNature),
    "title_lang": content_language(),
    "notes_lang": content_language(),
}
MILESTONE_DATES: tuple[str, ...] = tuple(n for n, r in MILESTONE.items() if r.kind == "date")

COVERAGE: Mapping[str, Rule] = {
    "applicable": Rule("boolean"),
    "not_applicable_reason": text(NOTE_TEXT),
    "implementation": code(Implementation),
    "evidence": text(NOTE_TEXT),
    "evidence_lang": content_language(),
}

# Texts that record their language (``<field>_lang``) and may carry translations into the
# interface's locales (``TextTranslation``), by record kind (table name).
TRANSLATABLE: Mapping[str, tuple[str, ...]] = {
    "instrument": ("summary",),
    "coverage": ("evidence",),
    "milestone": ("title", "notes"),
}

TEXT_TRANSLATION: Mapping[str, Rule] = {
    "locale": language(),
    "text": text(LONG_TEXT, required=True),
}

COVERAGE_LINK: Mapping[str, Rule] = {
    "extent": code(Extent),
    "articles": text(500),
    # Evidence you can check: the legal text quoted exactly, in the instrument's language.
    "excerpt": text(EXCERPT_TEXT),
    "excerpt_lang": language(required=False),
    "translation": text(EXCERPT_TEXT),
    "translation_status": code(TranslationStatus, required=False),
    "article_url": url(),
}
# The evidence fields of a coverage link (its excerpt, translation and article link).
EVIDENCE_FIELDS: tuple[str, ...] = (
    "excerpt",
    "excerpt_lang",
    "translation",
    "translation_status",
    "article_url",
)

# A source link of an instrument or a judgement: where a fact can be checked, and how far the
# source can be trusted (its kind).
SOURCE: Mapping[str, Rule] = {
    "url": replace(url(), required=True),
    "kind": code(SourceKind),
    "note": text(300),
}
# The most source links one instrument or judgement keeps (forms and import refuse more).
MAX_SOURCES = 20

PROVISION: Mapping[str, Rule] = {
    "code": text(20, required=True),
    "level": code(Level),
    "gem_indicator": code(GemIndicator, required=False),
    "sources": text(NOTE_TEXT),
}

PROVISION_TEXT: Mapping[str, Rule] = {
    "locale": language(),
    "title": text(300, required=True),
    "guidance": text(NOTE_TEXT, required=True),
}

COUNTRY: Mapping[str, Rule] = {
    "iso3": text(3, required=True),
    "iso2": text(2, required=True),
    "languages": text(100, required=True),
    "joined_on": a_date(),
}

# The Global E-waste Monitor's own published value of one indicator, per country and edition.
MONITOR_VALUE: Mapping[str, Rule] = {
    "edition": Rule("year", required=True, minimum=2000, maximum=2100),
    "indicator": code(GemIndicator),
    "value": Rule("boolean"),
    "source_url": Rule("url", URL_LENGTH, required=True),
    "note": text(NOTE_TEXT),
}

# A country's e-waste figures for one year (generated and formally collected), with their source.
COUNTRY_FACT: Mapping[str, Rule] = {
    "year": Rule("year", required=True, minimum=1990, maximum=2100),
    "generated_kg": Rule("number", minimum=0),
    "generated_kg_per_capita": Rule("number", minimum=0),
    "collected_kg": Rule("number", minimum=0),
    "collected_kg_per_capita": Rule("number", minimum=0),
    "source_url": Rule("url", URL_LENGTH, required=True),
    "note": text(NOTE_TEXT),
}

USER: Mapping[str, Rule] = {
    "email": text(EMAIL_LENGTH, required=True),
    "role": code(Role),
}


# --- rules over several fields ------------------------------------------------------------------


def instrument_date_problems(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(field, message)`` for each broken rule on the order of an instrument's dates."""
    adopted = values.get("adopted_on")
    in_force = values.get("in_force_on")
    repealed = values.get("repealed_on")
    problems = []
    # At month or year precision a date is before another only when its whole period is.
    if certainly_before(in_force, adopted):
        problems.append(("in_force_on", _("The in-force date cannot be before the adoption date.")))
    if certainly_before(repealed, in_force):
        problems.append(("repealed_on", _("The repeal date cannot be before the in-force date.")))
    return problems


def evidence_problems(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(field, message)`` for each broken rule between a link's excerpt and its translation."""
    problems = []
    excerpt, translation = values.get("excerpt"), values.get("translation")
    if excerpt and not values.get("excerpt_lang"):
        problems.append(("excerpt_lang", _("Give the language of the quoted excerpt.")))
    if not excerpt and (translation or values.get("excerpt_lang")):
        field = "translation" if translation else "excerpt_lang"
        problems.append((field, _("Quote the excerpt first.")))
    if translation and not values.get("translation_status"):
        problems.append(
            ("translation_status", _("Say whether the translation is official or unofficial."))
        )
    if values.get("translation_status") and not translation:
        problems.append(("translation_status", _("There is no translation to mark.")))
    return problems
