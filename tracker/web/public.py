"""Blueprint ``public``: the read-only pages anyone can see.

URL map:
    GET /                              -> redirect to /<lang>/ (cookie, Accept-Language, English)
    GET /healthz                       -> {"status": "ok", "database": "ok"} or 503
    GET /favicon.ico                   -> the SVG icon
    GET /<lang>/                       -> overview: every country with its progress
    GET /<lang>/countries/<ISO3>       -> one country (lower-case codes redirect to upper-case)
    GET /<lang>/checklist              -> the checklist, each provision across countries
    GET /<lang>/checklist/<CODE>       -> one provision across countries
    GET /<lang>/instruments/<id>       -> one instrument and the provisions it covers
    GET /<lang>/methodology            -> how progress is computed

Every page under ``/<lang>/`` carries an ETag derived from the data (``tracker.web.caching``).
"""

from flask import Blueprint, abort, redirect, render_template, url_for

from tracker import db
from tracker.i18n import current_lang, negotiate
from tracker.read import pages as reports
from tracker.web.caching import conditional

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
@conditional
def index():
    """The overview: every country taking part, with its progress."""
    report = reports.overview_report(db.get_session(), current_lang())
    return render_template("public/index.html", report=report)


@bp.get("/<lang>/countries/<iso3>")
@conditional
def country(iso3: str):
    """One country: figures, checklist, instruments and milestones."""
    if iso3 != iso3.upper():
        return redirect(url_for("public.country", iso3=iso3.upper()), code=301)
    report = reports.country_report(db.get_session(), iso3, current_lang())
    if report is None:
        abort(404)
    return render_template("public/country.html", report=report)


@bp.get("/<lang>/checklist")
@conditional
def checklist():
    """The model-law checklist with each provision's coverage across countries."""
    report = reports.checklist_report(db.get_session(), current_lang())
    return render_template("public/checklist.html", report=report)


@bp.get("/<lang>/checklist/<code>")
@conditional
def provision(code: str):
    """One provision across every country (lower-case codes redirect to upper-case)."""
    if code != code.upper():
        return redirect(url_for("public.provision", code=code.upper()), code=301)
    report = reports.provision_report(db.get_session(), code, current_lang())
    if report is None:
        abort(404)
    return render_template("public/provision.html", report=report)


@bp.get("/<lang>/instruments/<int:instrument_id>")
@conditional
def instrument(instrument_id: int):
    """One instrument, its relations and the provisions it covers."""
    report = reports.instrument_report(db.get_session(), instrument_id, current_lang())
    if report is None:
        abort(404)
    return render_template("public/instrument.html", report=report)


@bp.get("/<lang>/methodology")
@conditional
def methodology():
    """How progress, the monitor indicators and the stage are computed."""
    return render_template("public/methodology.html", report=reports.methodology_report())
