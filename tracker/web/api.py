"""Blueprint ``api``: the read-only JSON API and its OpenAPI document (issue 5).

URL map:
    GET /api/v1/                        -> the index: every resource with its link
    GET /api/v1/countries               -> every country with counts and progress
    GET /api/v1/countries/<ISO3>        -> one country with coverage, instruments, milestones
    GET /api/v1/checklist               -> the current checklist by category
    GET /api/v1/project                 -> the project's own timeline (milestones of no country)
    GET /api/v1/openapi.json            -> OpenAPI 3.1, generated from the response models
                                           (``tracker.formats.openapi``; ``servers`` from
                                           ``tracker.web.urls.api_servers``)
The human-readable reference, rendered from the same document, is ``/<lang>/api`` (public).

Each data endpoint takes ``?lang=`` for titles and names (one of ``API_LANGUAGES``; English where
no translation exists; another value is a 400). Responses are serialized by the pydantic models
of ``tracker.formats.api_models`` and the OpenAPI document is generated from the same models, so the
two cannot drift. The answers are built in ``tracker.read.api`` from the same read objects as the
pages and the CSV exports; this module only parses requests and serializes. Errors are JSON
(``tracker.web.errors`` answers JSON under ``/api/``).
"""

import re

from flask import Blueprint, current_app, request

from tracker import db
from tracker.formats import openapi
from tracker.formats.api_models import ApiIndex, IndexLinks, Resource
from tracker.formats.tables import DATA_LICENCE, ISO3
from tracker.i18n import DEFAULT_LOCALE, _
from tracker.read import api as answers
from tracker.read import loaders
from tracker.web import published
from tracker.web.errors import abort_with
from tracker.web.urls import api_servers, link

bp = Blueprint("api", __name__, url_prefix="/api/v1")

def api_languages() -> list[str]:
    """The values ``?lang=`` accepts (``tracker.formats.openapi.api_languages``)."""
    return openapi.api_languages(current_app.config["LANGUAGES"])


def requested_lang() -> str:
    lang = request.args.get("lang", DEFAULT_LOCALE)
    if lang not in api_languages():
        abort_with(
            400,
            _(
                "Unknown language “%(lang)s”. Use one of: %(allowed)s.",
                lang=lang,
                allowed=", ".join(api_languages()),
            ),
        )
    return lang


# --- views --------------------------------------------------------------------------------------


@bp.get("/countries")
def countries():
    return answers.country_list(published.session(), requested_lang()).model_dump(mode="json")


@bp.get("/countries/<iso3>")
def country(iso3: str):
    lang = requested_lang()
    session = published.session()
    refs = []
    if re.fullmatch(ISO3, iso3):
        refs, _unknown = loaders.resolve_countries(session, [iso3], lang)
    if not refs:
        if re.fullmatch(ISO3, iso3) and loaders.resolve_countries(db.get_session(), [iso3])[0]:
            abort_with(404, _("%(code)s has no publication yet: nothing about it is public.",
                              code=iso3))  # fmt: skip
        abort_with(404, _("No country with the code “%(code)s”.", code=iso3))
    return answers.country_detail(session, refs[0], lang).model_dump(mode="json")


@bp.get("/checklist")
def checklist_view():
    lang = requested_lang()
    return answers.checklist(published.session(), lang).model_dump(mode="json")


@bp.get("/project")
def project_view():
    lang = requested_lang()
    return answers.project_timeline(db.get_session(), lang).model_dump(mode="json")


# --- index and OpenAPI ----------------------------------------------------------------------------


@bp.get("/")
def index():
    """The entry point: the API's resources, each with its link."""
    return ApiIndex(
        title=openapi.API_TITLE,
        version=openapi.API_VERSION,
        license=DATA_LICENCE["name"],
        links=IndexLinks(
            self=link("api.index"),
            openapi=link("api.openapi_json"),
            reference=link("public.api_reference", lang=DEFAULT_LOCALE),
            data_package=link("exports.datapackage_json"),
        ),
        resources=[
            Resource(
                name="countries",
                href=link("api.countries"),
                templated=False,
                description="Every country with counts and progress.",
            ),
            Resource(
                name="country",
                href=link("api.country", iso3="ISO3").replace("ISO3", "{iso3}"),
                templated=True,
                description="One country with its coverage, instruments, milestones and "
                "progress ({iso3}: ISO 3166-1 alpha-3 code).",
            ),
            Resource(
                name="checklist",
                href=link("api.checklist_view"),
                templated=False,
                description="The current model-law checklist by category.",
            ),
            Resource(
                name="project",
                href=link("api.project_view"),
                templated=False,
                description="The timeline of the project as a whole: milestones tied to no country.",
            ),
        ],
    ).model_dump(mode="json")


def openapi_document() -> dict:
    """OpenAPI 3.1 generated from the response models, with this site as its server."""
    return openapi.openapi_document(api_languages(), api_servers())


@bp.get("/openapi.json")
def openapi_json():
    return openapi_document()
