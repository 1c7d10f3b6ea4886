"""Wiring shared by every blueprint: the ``/<lang>/`` prefix and blueprint registration."""

from flask import Flask, abort, current_app, g

from .i18n import current_lang, is_language


def init_app(app: Flask) -> None:
    app.url_value_preprocessor(_pull_lang)
    app.url_defaults(_push_lang)

    from . import api, auth, exports, manage, public

    for module in (public, auth, manage, exports, api):
        app.register_blueprint(module.bp)


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
