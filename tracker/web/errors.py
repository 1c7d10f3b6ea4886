"""Error pages in the reader's language (English when the language itself is unknown)."""

import logging

import sqlalchemy as sa
from flask import Flask, current_app, g, render_template, request
from flask.globals import request_ctx
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, InternalServerError

from tracker.i18n import _, _l

log = logging.getLogger(__name__)

MESSAGES = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Please check what you sent."),
    ),
    403: (_l("Not allowed"), _l("You do not have permission to see or change this.")),
    404: (
        _l("Page not found"),
        _l(
            "There is no page at this address. Check the address or start again from the home page."
        ),
    ),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    409: (_l("Conflict"), _l("Someone else changed this record in the meantime.")),
    413: (
        _l("Upload too large"),
        _l("The file or form you sent is larger than this site accepts."),
    ),
    422: (_l("Invalid input"), _l("Some of what you entered could not be accepted.")),
    429: (
        _l("Too many attempts"),
        _l("Too many attempts in a short time. Please wait a few minutes and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l(
            "The server could not complete your request. The team has been told; please try again later."
        ),
    ),
    503: (
        _l("Service unavailable"),
        _l("The service is temporarily unavailable. Please try again later."),
    ),
}


# How long a reader is asked to wait when the database is out of reach (Retry-After, seconds).
DATABASE_RETRY_AFTER = 30

DATABASE_READ_MESSAGE = _l(
    "The database cannot be reached at the moment. Please try again in a few minutes."
)
DATABASE_WRITE_MESSAGE = _l(
    "The database cannot be reached or cannot accept changes at the moment. Nothing was saved "
    "and nobody can sign in until it is back. Please try again in a few minutes."
)


def init_app(app: Flask) -> None:
    from tracker.write.changes import RecordGone

    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(sa.exc.SQLAlchemyError, handle_database_error)
    app.register_error_handler(RecordGone, handle_record_gone)
    app.register_error_handler(Exception, handle_unexpected)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def render_error(code: int, description: str | None = None):
    """Our error page (JSON under ``/api/``), whatever the request holds.

    A request whose Host header cannot be routed (a label longer than 63 characters, a host
    outside ``TRUSTED_HOSTS``) has no URL adapter, so the page gets one bound to the configured
    name (never the request's Host). Should rendering the page fail all the same, a plain page
    without navigation goes out, still through the ``after_request`` hooks (security headers).
    """
    title, message = MESSAGES.get(code, (_l("Error"), _l("The request could not be completed.")))
    if wants_json():
        return {
            "error": {"status": code, "title": str(title), "message": description or str(message)}
        }, code
    _ensure_url_adapter()
    try:
        body = render_template(
            "errors/error.html",
            code=code,
            title=title,
            message=message,
            detail=description,
            allowed=_allowed_pages() if code == 403 else (),
        )
    except Exception:
        log.exception("The error page for %s could not be rendered", code)
        body = _plain_page(code, title, message, description)
    return body, code


def _allowed_pages() -> list[tuple[str, str]]:
    """The pages the person may use (``tracker.web.guards.allowed_pages``); none if that fails."""
    from tracker.web.guards import allowed_pages

    try:
        return allowed_pages()
    except Exception:
        log.exception("The pages for the 403 page could not be listed")
        return []


def _ensure_url_adapter() -> None:
    ctx = request_ctx._get_current_object()
    if ctx.url_adapter is None:
        config = current_app.config
        ctx.url_adapter = current_app.url_map.bind(
            config.get("SERVER_NAME") or "localhost",
            script_name=request.environ.get("SCRIPT_NAME") or "/",
            url_scheme=config.get("PREFERRED_URL_SCHEME") or "http",
        )


def _plain_page(code: int, title, message, detail: str | None) -> str:
    """The error page without the site's template: no links built, no session read."""

    def text(value) -> str:
        try:
            return str(value)
        except Exception:  # a broken catalog or locale: the English original
            return getattr(value, "_args", [str(code)])[0]

    return Markup(
        '<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        '<body><main><h1>{title}</h1><p>{message}</p>{detail}<p><a href="{home}">{home}</a></p>'
        "</main></body></html>"
    ).format(
        home=(request.script_root or "") + "/",
        title=text(title),
        message=text(message),
        detail=Markup("<p>{}</p>").format(detail) if detail else "",
    )


def handle_http_error(error: HTTPException):
    code = error.code or 500
    # Werkzeug's default descriptions are English; show ours unless a view supplied its own text.
    detail = getattr(error, "tracker_detail", None)
    body, status = render_error(code, detail)
    valid = getattr(error, "valid_methods", None)
    if code == 405 and valid:
        return body, status, {"Allow": ", ".join(valid)}
    return body, status


def handle_record_gone(_error: Exception):
    """A save or delete of a record someone else deleted meanwhile (``changes.RecordGone``)."""
    return render_error(
        404,
        _(
            "Someone else deleted this record in the meantime, so nothing was saved. An "
            "administrator can restore it from the history."
        ),
    )


def handle_unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    log.exception("Unhandled error on %s %s", request.method, request.path)
    from tracker import db

    db.close_session()
    return render_error(InternalServerError.code)


def handle_database_error(error: sa.exc.SQLAlchemyError):
    """503 with Retry-After when the database is down, read-only or full; anything else is a 500.

    Every view reaches the database through one engine, so this one handler answers for pages,
    exports, the API, saves and sign-in alike. The request's transaction is rolled back (nothing
    half-written stays), and the page is rendered without touching the database again.
    """
    from tracker import db

    if isinstance(error, sa.exc.DataError):
        # A value the database cannot hold (too long, out of range). The field rules
        # (``tracker.fields``) keep such values out of every form and import; should one slip
        # through, the person learns that nothing was saved instead of seeing a server error.
        log.warning(
            "Value refused by the database on %s %s: %s", request.method, request.path, error
        )
        db.close_session()
        return render_error(
            422,
            _(
                "A value is too long or out of range to be stored, so nothing was saved. "
                "Shorten it and try again."
            ),
        )
    if not db.is_unavailable(error):
        return handle_unexpected(error)
    log.warning(
        "Database unavailable on %s %s: %s", request.method, request.path, db.describe(error)
    )
    db.close_session()
    if "_login_user" not in g:
        # The page's navigation asks who is signed in; loading the account would fail again.
        from flask_login import AnonymousUserMixin

        g._login_user = AnonymousUserMixin()
    writes = request.method not in ("GET", "HEAD", "OPTIONS")
    body, status = render_error(
        503, str(DATABASE_WRITE_MESSAGE if writes else DATABASE_READ_MESSAGE)
    )
    return body, status, {"Retry-After": str(DATABASE_RETRY_AFTER)}


def abort_with(code: int, detail: str):
    """Abort with a translated, specific explanation shown on the error page."""
    from werkzeug.exceptions import default_exceptions

    exc = default_exceptions[code]()
    exc.tracker_detail = detail
    raise exc


__all__ = ["abort_with", "init_app", "render_error", "_"]
