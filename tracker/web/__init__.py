"""Wiring shared by every blueprint: the ``/<lang>/`` prefix, blueprint registration, CSRF
protection for every POST and the security headers on every response."""

from urllib.parse import unquote_to_bytes, urlsplit, urlunsplit

from flask import Flask, abort, current_app, g, request, session
from flask_compress import Compress
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.routing import IntegerConverter

from tracker import dates, scoring
from tracker.i18n import current_lang, format_date_at, is_language
from tracker.web.urls import host_is_configured, this_page_with


class RowIdConverter(IntegerConverter):
    """``<int:...>`` limited to what an INTEGER primary key can hold (1 to 2**31 - 1).

    A larger number in a URL is simply not a page (404), instead of an overflow error in the
    database driver (SQLite raises OverflowError, PostgreSQL "integer out of range"). Only the
    digits 0 to 9 make a number: werkzeug's pattern also takes other scripts' digits, which made
    ``/publications/١`` a second address of ``/publications/1``.
    """

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=1, max=2**31 - 1, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


# Staff and readers are often on slow links: pages, CSS/JS and JSON go out compressed (Brotli or
# gzip, whichever the browser accepts). Streamed responses (static files, CSV exports) are left
# alone: Flask-Compress 1.25 leaves a streamed file's handle open, and exports must stay streamed.
COMPRESSION = {
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_STREAMS": False,
    "COMPRESS_MIMETYPES": [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "image/svg+xml",
    ],
    "COMPRESS_MIN_SIZE": 1024,
}


def init_app(app: Flask) -> None:
    for key, value in COMPRESSION.items():
        app.config.setdefault(key, value)
    Compress(app)
    app.url_map.converters["int"] = RowIdConverter
    # Templates tag an instrument status by the scoring rule ({% if status is counted_in_force %}).
    app.jinja_env.tests["counted_in_force"] = scoring.counts_in_force
    # Every date of a record, at its precision: {{ value|precise_date }} or (…|precise_date("long")).
    app.jinja_env.filters["precise_date"] = precise_date
    app.jinja_env.globals["date_of"] = dates.of  # a record's date with its precision
    app.jinja_env.globals["this_page_with"] = this_page_with  # page links of long lists
    app.url_value_preprocessor(_pull_lang)
    app.url_defaults(_push_lang)

    from tracker.web import (
        api,
        auth,
        exports,
        forms,
        imports,
        manage,
        public,
        publications,
        published,
        review,
        sharing,
        staff_exports,
    )

    for module in (public, auth, manage, exports, api, imports, sharing, publications, review,
                   staff_exports):  # fmt: skip
        app.register_blueprint(module.bp)
    app.jinja_env.globals["once_field"] = forms.once_field  # a staff form is applied once

    auth.init_app(app)
    published.init_app(app)
    # Before CSRFProtect's own hook: it parses the form, after which its raw bytes are gone.
    app.before_request(_refuse_invalid_utf8)
    # Every POST needs a CSRF token, including hand-written forms ({{ csrf_token() }}).
    csrf.init_app(app)
    app.register_error_handler(CSRFError, _csrf_error)
    app.after_request(_no_host_in_redirects)
    app.after_request(_security_headers)
    app.before_request(_refuse_nul_in_url)


def precise_date(value, width: str = "medium") -> str:
    """A ``PartialDate`` (or a plain date, a day) as the reader's locale writes it: "23 Oct 2024",
    "October 2024" or "2024" (``tracker.i18n.format_date_at``); empty for no date."""
    value = dates.as_partial(value)
    if value is None:
        return ""
    return format_date_at(value.start, value.precision.value, width)


csrf = CSRFProtect()

# No inline scripts or styles anywhere: templates link one stylesheet and (maybe) static scripts.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Not no-referrer: Flask-WTF's CSRF check on HTTPS compares the Referer with the host.
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


# Production only: browsers then refuse plain HTTP for the site (and its subdomains) for a year.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"
# Pages for staff only: the workspace and history, the import and the working copy's exports, the
# sign-in page.
PRIVATE_BLUEPRINTS = frozenset({"manage", "imports", "auth", "review", "staff_exports"})
NO_STORE = "no-store"


def _security_headers(response):
    """Set the security headers (unless a view chose its own value) and keep private answers out
    of every cache. Runs first of the ``after_request`` hooks, error pages included, and reads
    nothing that could fail (no database, no user loading)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("TRACKER_ENV") == "production":
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    if is_private_response() and NO_STORE not in response.headers.get("Cache-Control", ""):
        response.headers["Cache-Control"] = NO_STORE  # a view may say more ("private, no-store")
    return response


def is_private_response() -> bool:
    """True for staff pages and for anything carrying a CSRF token or the signed-in person's data
    (a public page seen while signed in shows their sign-out form and workspace link), and when
    the session cookie is being (re)written: no browser or shared cache may keep these."""
    if request.blueprint in PRIVATE_BLUEPRINTS:
        return True
    if current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token") in g:
        return True  # Flask-WTF keeps the token it put into the page on ``g``
    user = g.get("_login_user")  # Flask-Login's user, when this request loaded it
    if user is not None and user.is_authenticated:
        return True
    # ``in`` and ``modified`` do not mark the session as read (no ``Vary: Cookie`` for static files).
    return "_user_id" in session or session.modified


def _no_host_in_redirects(response):
    """Werkzeug's own redirects (``/en`` to ``/en/``) are absolute URLs on the request's Host:
    point them at the path instead, so an unconfigured Host is never sent back."""
    location = response.headers.get("Location")
    if location and not host_is_configured():
        parts = urlsplit(location)
        if parts.netloc:
            response.headers["Location"] = urlunsplit(
                ("", "", parts.path or "/", parts.query, parts.fragment)
            )
    return response


def _csrf_error(error: CSRFError):
    from tracker.i18n import _
    from tracker.web.errors import render_error

    return render_error(
        400,
        _(
            "This form could not be accepted because its security token is missing or out of "
            "date. Go back, reload the page and try again."
        ),
    )


def is_utf8_urlencoded(data: bytes) -> bool:
    """True when every name and value of an ``application/x-www-form-urlencoded`` text (a form
    body or a query string) decodes as UTF-8 once its %-escapes are undone."""
    for pair in data.split(b"&"):
        for part in pair.split(b"=", 1):
            try:
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError:
                return False
    return True


def _refuse_invalid_utf8() -> None:
    """400 for a form or query string that is not UTF-8 (``%ED%A0%80``, a Latin-1 ``%E9``).

    Werkzeug keeps such bytes as the literal text ``%ED%A0%80``, which would then be saved as if
    someone had typed it. Every page of this site is UTF-8, so a browser never sends this; the
    sender is told what is wrong instead. (Uploaded files are checked by the import itself.)
    """
    ok = is_utf8_urlencoded(request.query_string)
    if ok and request.mimetype == "application/x-www-form-urlencoded":
        ok = is_utf8_urlencoded(request.get_data(cache=True))
    if not ok:
        from tracker.i18n import _
        from tracker.web.errors import abort_with

        abort_with(
            400,
            _(
                "What was sent contains characters that are not valid UTF-8 text, so it was "
                "not accepted. Remove any unusual characters and try again."
            ),
        )


def _refuse_nul_in_url() -> None:
    """A NUL byte has no meaning in a URL, and PostgreSQL refuses it in any text it is given:
    answer 400 before it reaches a query, whatever the page (SQLite would accept it silently)."""
    if "\x00" in request.path or any(
        "\x00" in key or "\x00" in value for key, value in request.args.items(multi=True)
    ):
        abort(400)


def _pull_lang(endpoint: str | None, values: dict | None) -> None:
    """Move ``lang`` from the URL into ``g``; an unknown language is a 404 (shown in English)."""
    if not values or "lang" not in values:
        return
    lang = values.pop("lang")
    if not is_language(lang):
        g.lang = None
        abort(404)
    g.lang = lang


def _push_lang(endpoint: str, values: dict) -> None:
    """``url_for`` keeps the reader's language unless told otherwise."""
    if "lang" in values:
        return
    if current_app.url_map.is_endpoint_expecting(endpoint, "lang"):
        values["lang"] = g.get("lang") or current_lang()
