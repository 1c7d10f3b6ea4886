"""Blueprint ``public``: the read-only pages anyone can see.

URL map:
    GET /                              -> redirect to /<lang>/ (cookie, Accept-Language, English)
    GET /healthz                       -> {"status": "ok", "database": "ok"} or 503
    GET /favicon.ico                   -> the SVG icon
    GET /<lang>/                       -> overview: every country with its progress
                                          ?sort=in_force&dir=asc&page=2 (50 to a page)
    GET /<lang>/countries/<ISO3>       -> one country (lower-case codes redirect to upper-case)
    GET /<lang>/checklist              -> the checklist, each provision counted across countries
                                          and the matrix for 15 of them (?page=2), or for the
                                          countries picked (?c=ZMB&c=RWA)
    GET /<lang>/checklist/<CODE>       -> one provision across countries (?page=2, 50 to a page)
    GET /<lang>/instruments/<id>       -> one instrument and the provisions it covers
    GET /<lang>/methodology            -> how progress is computed
    GET /<lang>/about                  -> who keeps the tracker, its data and sources, citing,
                                          licences, contact
    GET /<lang>/api                    -> the API reference, rendered from the OpenAPI document
    GET /<lang>/compare?c=ZMB&c=RWA    -> two to four countries side by side (a picker without
                                          codes; 400 for bad, duplicate or too many codes, 404 for
                                          a code that names no country)

Every page under ``/<lang>/`` carries an ETag derived from the data (``tracker.web.caching``).
"""

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from tracker import db
from tracker.formats import openapi, trend
from tracker.i18n import _, current_lang, negotiate, text_direction
from tracker.read import compare as comparison
from tracker.read import loaders, publications, sources
from tracker.read import pages as reports
from tracker.web import paging, published
from tracker.web.caching import conditional
from tracker.web.errors import abort_with
from tracker.web.urls import api_servers, external_url, link

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
    sort, descending = paging.sort_order(reports.OVERVIEW_SORTS, "country")
    number = paging.page_number()
    with paging.pages_in_range():
        report = reports.overview_report(
            published.session(), current_lang(), page=number, sort=sort, descending=descending,
            summaries=published.country_summaries(current_lang()),
        )  # fmt: skip
    return render_template(
        "public/index.html",
        report=report,
        sorts=reports.OVERVIEW_SORTS,
        unpublished=published.unpublished(current_lang()),
    )


@bp.get("/<lang>/countries/<iso3>")
@conditional
def country(iso3: str):
    """One country: figures, checklist, instruments and milestones."""
    if iso3 != iso3.upper():
        return redirect(url_for("public.country", iso3=iso3.upper()), code=301)
    report = reports.country_report(published.session(), iso3, current_lang())
    if report is None:
        return not_published(iso3)
    over_time = publications.progress_over_time(
        db.get_session(), report.country.id, published.as_of_day()
    )
    return render_template(
        "public/country.html", report=report, trend=over_time, trend_chart=_trend_chart(over_time)
    )


def _trend_chart(over_time: publications.ProgressOverTime) -> trend.Chart | None:
    """The progress chart's geometry, time running in the reading direction (two or more)."""
    if len(over_time.steps) < 2:
        return None
    return trend.chart(list(over_time.steps), rtl=text_direction() == "rtl")


def not_published(iso3: str):
    """A country of the tracker with no publication yet says so (and shows no figures); 404
    for a code that names no country at all."""
    refs, _unknown = loaders.resolve_countries(db.get_session(), [iso3], current_lang())
    if not refs:
        abort(404)
    return render_template("publications/unpublished.html", country=refs[0])


@bp.get("/<lang>/checklist")
@conditional
def checklist():
    """The model-law checklist with each provision's coverage across countries."""
    codes = picked_countries(reports.CHECKLIST_PAGE_SIZE)
    number = paging.page_number()
    with paging.pages_in_range():
        report = reports.checklist_report(
            published.session(), current_lang(), page=number, picked=codes,
            items=published.checklist_items(),
        )  # fmt: skip
    if report.unknown:
        abort_with(
            404,
            _(
                "No country with the code %(codes)s takes part in the tracker.",
                codes=", ".join(report.unknown),
            ),
        )
    return render_template("public/checklist.html", report=report)


def picked_countries(most: int) -> tuple[str, ...]:
    """The countries a reader picked (``?c=ZMB&c=RWA``), upper-cased, in their order; 400 for a
    code that is not one, a country picked twice or more than ``most`` of them."""
    codes, problem = comparison.parse_codes(request.args.getlist("c"), minimum=0, maximum=most)
    if problem is None:
        return codes
    shown = ", ".join(problem.codes)
    if problem.kind == "malformed":
        message = _(
            "%(codes)s is not a country code: use three-letter ISO 3166 codes, such as ZMB.",
            codes=shown,
        )
    elif problem.kind == "duplicate":
        message = _(
            "%(codes)s is asked for more than once: choose each country once.", codes=shown
        )
    else:
        message = _("At most %(most)s countries can be shown at once.", most=most)
    abort_with(400, message)


@bp.get("/<lang>/checklist/<code>")
@conditional
def provision(code: str):
    """One provision across every country (lower-case codes redirect to upper-case)."""
    if code != code.upper():
        return redirect(url_for("public.provision", code=code.upper()), code=301)
    number = paging.page_number()
    with paging.pages_in_range():
        report = reports.provision_report(published.session(), code, current_lang(), page=number)
    if report is None:
        abort(404)
    return render_template("public/provision.html", report=report)


@bp.get("/<lang>/instruments/<int:instrument_id>")
@conditional
def instrument(instrument_id: int):
    """One instrument, its relations and the provisions it covers."""
    report = reports.instrument_report(published.session(), instrument_id, current_lang())
    if report is None:
        abort(404)
    return render_template("public/instrument.html", report=report)


@bp.get("/<lang>/methodology")
@conditional
def methodology():
    """How progress, the monitor indicators and the stage are computed."""
    return render_template("public/methodology.html", report=reports.methodology_report())


@dataclass(frozen=True)
class SiteInfo:
    """What the about page says from the settings: contact, repository, addresses to cite."""

    contact_email: str | None
    contact_url: str | None
    repository_url: str | None
    page_url: str
    dataset_url: str
    today: date


def site_info(endpoint: str) -> SiteInfo:
    """The contact settings (``TRACKER_CONTACT``, ``TRACKER_REPOSITORY_URL``) and the absolute
    addresses to cite, built only from a configured host (a path otherwise)."""
    config = current_app.config
    contact = config.get("TRACKER_CONTACT")
    is_link = bool(contact) and contact.lower().startswith(("http://", "https://"))
    today = date.today()  # the same day as the page's ETag (tracker.web.caching)
    # The data package as of today: that address keeps serving the same publications.
    dated = {"as_of": today.isoformat()}
    return SiteInfo(
        contact_email=contact if contact and not is_link else None,
        contact_url=contact if is_link else None,
        repository_url=config.get("TRACKER_REPOSITORY_URL"),
        page_url=external_url(endpoint) or url_for(endpoint),
        dataset_url=external_url("exports.datapackage_json", **dated)
        or url_for("exports.datapackage_json", **dated),
        today=today,
    )


@bp.get("/<lang>/about")
@conditional
def about():
    """Who keeps the tracker and for what, its data, its sources, how to cite it, licences."""
    report = sources.about_report(db.get_session())
    return render_template("public/about.html", report=report, site=site_info("public.about"))


@bp.get("/<lang>/api")
@conditional
def api_reference():
    """The API reference for developers: paths, parameters, response fields and examples, all
    read from the OpenAPI document the API serves (no script, nothing from elsewhere)."""
    languages = openapi.api_languages(current_app.config["LANGUAGES"])
    reference = openapi.reference(openapi.openapi_document(languages, api_servers()))
    return render_template(
        "public/api.html",
        reference=reference,
        index_url=link("api.index"),
        openapi_url=link("api.openapi_json"),
    )


@bp.get("/<lang>/compare")
@conditional
def compare():
    """Two to four countries side by side; a picker when none (or one) is asked for."""
    asked = request.args.getlist("c")
    codes, problem = comparison.parse_codes(asked)
    if problem is None and list(codes) != asked:  # lower case or blanks: one address per choice
        return redirect(url_for("public.compare", c=list(codes)), code=301)
    report = comparison.compare_report(
        published.session(), () if problem else codes, current_lang()
    )
    if problem is None and report.unknown:
        # A country of the tracker with no publication yet is not "unknown": say why it is missing.
        waiting = {ref.iso3 for ref in published.unpublished(current_lang())}
        unknown = tuple(code for code in report.unknown if code not in waiting)
        if unknown:
            problem = comparison.CodesProblem("unknown", unknown)
        else:
            problem = comparison.CodesProblem("unpublished", report.unknown)
    status = 200
    if problem is not None and problem.kind != "too_few":
        status = 404 if problem.kind in ("unknown", "unpublished") else 400
    return render_template(
        "public/compare.html", report=report, problem=problem, asked=codes
    ), status
