"""Blueprint ``public``: the read-only pages anyone can see.

URL map:
    GET /                      -> redirect to /<lang>/ (cookie, then Accept-Language, then English)
    GET /healthz               -> {"status": "ok", "database": "ok"} or 503
    GET /favicon.ico           -> the SVG icon
    GET /<lang>/               -> overview of every country
"""

from flask import Blueprint, redirect, render_template, url_for

from . import db, reports
from .i18n import negotiate

bp = Blueprint("public", __name__)


@bp.get("/")
def root():
    """Send the reader to their language's home page."""
    return redirect(url_for("public.index", lang=negotiate()), code=302)


@bp.get("/healthz")
def healthz():
    """Liveness and database reachability, for load balancers and the Docker HEALTHCHECK."""
    if db.ping():
        return {"status": "ok", "database": "ok"}, 200
    return {"status": "error", "database": "unreachable"}, 503


@bp.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/<lang>/")
def index():
    """The overview: every country taking part."""
    countries = reports.country_summaries(db.get_session())
    return render_template("public/index.html", countries=countries)
