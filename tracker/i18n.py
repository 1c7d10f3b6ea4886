"""Everything that knows about Flask-Babel and CLDR lives here.

Locale selection: pages live under ``/<lang>/``. The URL prefix wins; ``/`` and pages without a
prefix fall back to the language cookie set by the switcher, then ``Accept-Language``, then English.
"""

import functools
import logging
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from flask import Flask, current_app, g, request
from flask_babel import (
    Babel,
    force_locale,  # noqa: F401  (re-exported)
    format_date,
    get_locale,
    ngettext,  # noqa: F401
    pgettext,  # noqa: F401
)
from flask_babel import gettext as _  # noqa: F401  (re-exported)
from flask_babel import lazy_gettext as _l  # noqa: F401
from flask_babel import lazy_pgettext as _lp  # noqa: F401
from werkzeug.routing import BuildError

log = logging.getLogger(__name__)

babel = Babel()

DEFAULT_LOCALE = "en"
# The order is the switcher's order. Codes are the URL prefixes and the catalog directory names.
# tests/test_i18n.py fails when any of their catalogs is incomplete or out of date.
LOCALES = ("en", "fr", "es", "ar", "ru", "zh", "rw", "gn")
# Where CLDR has no data for a locale (country names in Guaraní, for instance), try these next.
CLDR_FALLBACKS = {"gn": ("es",), "rw": ("en", "fr")}
LANG_COOKIE = "lang"
TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


def init_app(app: Flask) -> None:
    app.config.setdefault("LANGUAGES", list(LOCALES))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    babel.init_app(app, locale_selector=select_locale)
    # Must match ``trimmed = true`` in babel.cfg, or {% trans %} msgids will not match the catalog.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.jinja_env.add_extension("jinja2.ext.do")
    app.context_processor(_template_context)
    # A global, so macros imported without the template's context can name a language too.
    app.jinja_env.globals["language_in_readers_language"] = language_in_readers_language
    app.after_request(_remember_language)
    _warn_missing_catalogs(app)


def _warn_missing_catalogs(app: Flask) -> None:
    directories = app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    for lang in app.config["LANGUAGES"]:
        if lang == DEFAULT_LOCALE:
            continue
        if not any((Path(d) / lang / "LC_MESSAGES" / "messages.mo").exists() for d in directories):
            log.warning("No compiled catalog for %r: its pages will show English.", lang)


def languages() -> list[str]:
    return list(current_app.config["LANGUAGES"])


def is_language(code: str | None) -> bool:
    return bool(code) and code in current_app.config["LANGUAGES"]


def negotiate() -> str:
    """The language for a request without a ``/<lang>/`` prefix: cookie, header, default."""
    cookie = request.cookies.get(LANG_COOKIE)
    if is_language(cookie):
        return cookie
    best = request.accept_languages.best_match(languages())
    if best:
        return best
    # "fr-CA" style headers: best_match compares whole tags, so compare primary subtags too.
    for tag, _q in request.accept_languages:
        primary = tag.split("-")[0].split("_")[0].lower()
        if is_language(primary):
            return primary
    return DEFAULT_LOCALE


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    lang = g.get("lang")
    if is_language(lang):
        return lang
    if request:
        # The JSON API takes its language from ``?lang=`` (titles and error messages alike).
        if request.path.startswith("/api/") and is_language(request.args.get("lang")):
            return request.args["lang"]
        return negotiate()
    return DEFAULT_LOCALE


def current_lang() -> str:
    return str(get_locale() or DEFAULT_LOCALE).split("_")[0]


def locale_tag() -> str:
    """BCP 47 tag of the current locale for ``<html lang>``."""
    return str(get_locale() or DEFAULT_LOCALE).replace("_", "-")


def text_direction(code: str | None = None) -> str:
    try:
        return Locale.parse(code).text_direction if code else get_locale().text_direction
    except (UnknownLocaleError, ValueError, AttributeError):
        return "ltr"


def language_name(code: str, in_locale: str | None = None) -> str:
    """A language's name, by default in its own language (for the switcher)."""
    try:
        locale = Locale.parse(code.replace("-", "_"))
        display = Locale.parse(in_locale) if in_locale else locale
        name = locale.get_display_name(display)
    except (UnknownLocaleError, ValueError):
        return code
    return name[:1].upper() + name[1:] if name else code


# CLDR skeletons for a date known only to the month or the year ("October 2024", "2024"): each
# locale's own pattern for those fields, never an invented first of the month.
PRECISION_SKELETONS = {"month": "yMMMM", "year": "y"}


def format_date_at(start: date, precision: str, width: str = "medium") -> str:
    """A date at its precision (``day``, ``month``, ``year``) in the current locale: a day in the
    locale's ``width`` format, a month or a year through Babel's skeletons."""
    skeleton = PRECISION_SKELETONS.get(precision)
    if skeleton is None:
        return format_date(start, width)
    return babel_dates.format_skeleton(skeleton, start, locale=get_locale() or DEFAULT_LOCALE)
def language_name_for(code: str, reader: str) -> str:
    """A language's name in the reader's language (CLDR), through the same fallbacks as country
    names (Guaraní readers get CLDR's Spanish names); the tag itself when CLDR has none."""
    tag = (code or "").replace("-", "_")
    for candidate in (reader, *CLDR_FALLBACKS.get(reader, ()), DEFAULT_LOCALE):
        try:
            name = Locale.parse(tag).get_display_name(Locale.parse(candidate))
        except (UnknownLocaleError, ValueError):
            name = None
        if name:
            return name
    return code


def language_in_readers_language(code: str | None) -> str:
    """A language's name in the reader's language, as CLDR writes it within a sentence (``es``
    is "Spanish" to an English reader, "espagnol" to a French one)."""
    if not code:
        return ""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(Locale.parse(current_lang()))
    except (UnknownLocaleError, ValueError):
        return code
    return name or code


def country_name(iso2: str, lang: str | None = None) -> str:
    """A country's name in the reader's language from CLDR, then the fallbacks, then English."""
    return _country_name((iso2 or "").upper(), lang or current_lang())


@functools.lru_cache(maxsize=8192)
def _country_name(code: str, lang: str) -> str:
    """``country_name`` of an upper-case code (CLDR's data never changes in a process; an
    export names every country at each request)."""
    for candidate in (lang, *CLDR_FALLBACKS.get(lang, ()), DEFAULT_LOCALE):
        name = _territories(candidate).get(code)
        if name:
            return name
    return code


@functools.lru_cache(maxsize=64)
def _territories(lang: str) -> Mapping[str, str]:
    """CLDR's country names in ``lang`` (none for a language it does not know), parsed once."""
    try:
        return Locale.parse(lang).territories
    except (UnknownLocaleError, ValueError):
        return {}


def _remember_language(response):
    """Remember the language of the last page read, so ``/`` brings the reader back to it."""
    lang = g.get("lang")
    if (
        is_language(lang)
        and request.cookies.get(LANG_COOKIE) != lang
        and response.status_code < 400
    ):
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    if request.path == "/":
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
    return response


# The query parameters a page reads: the exports' filters, the history page's filters and pager,
# the sign-in page's ``next``. Only these are carried over to the same page in another language;
# anything else in the query string (``_anchor``, ``_external``, ``endpoint``, a page's own URL
# argument...) is dropped, so it can neither break the link nor be reflected into it.
CARRIED_QUERY_PARAMETERS = ("country", "bom", "entity", "record", "person", "page", "next")
MAX_CARRIED_VALUE = 2000


def switch_language_url(code: str) -> str:
    """The current page in another language: same endpoint and URL arguments, and the known query
    parameters (``CARRIED_QUERY_PARAMETERS``); the home page in that language otherwise."""
    from urllib.parse import urlencode

    from flask import url_for

    endpoint = request.endpoint
    if endpoint and current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        try:
            base = url_for(endpoint, **{**(request.view_args or {}), "lang": code})
        except BuildError:
            base = None
        if base is not None:
            from tracker.security import safe_next

            query = [
                (name, value)
                for name, value in request.args.items(multi=True)
                if name in CARRIED_QUERY_PARAMETERS
                and len(value) <= MAX_CARRIED_VALUE
                # The sign-in page's ``next`` is only carried over when it is a same-site path.
                and (name != "next" or safe_next(value))
            ]
            if not query:
                return base
            # ``base`` may carry a query already (``as_of``, kept by ``url_defaults``).
            return f"{base}{'&' if '?' in base else '?'}{urlencode(query)}"
    return url_for("public.index", lang=code)


def _template_context() -> dict:
    return {
        "current_lang": current_lang(),
        "current_locale_tag": locale_tag(),
        "text_direction": text_direction(),
        "available_languages": [(code, language_name(code)) for code in languages()],
        "country_name": country_name,
        "language_name": language_name,
        "switch_language_url": switch_language_url,
    }
