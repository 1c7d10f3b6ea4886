"""Blueprint ``api``: the read-only JSON API and its OpenAPI document (issue 5).

URL map:
    GET /api/v1/countries               -> every country with counts and progress
    GET /api/v1/countries/<ISO3>        -> one country with coverage, instruments, milestones
    GET /api/v1/checklist               -> the current checklist by category
    GET /api/v1/openapi.json            -> OpenAPI 3.1, generated from the response models

Each data endpoint takes ``?lang=`` for titles and names (one of ``API_LANGUAGES``; English where
no translation exists; another value is a 400). Responses are serialized by the pydantic models
of ``tracker.formats.api_models`` and the OpenAPI document is generated from the same models, so the
two cannot drift. The answers are built in ``tracker.read.api`` from the same read objects as the
pages and the CSV exports; this module only parses requests and serializes. Errors are JSON
(``tracker.web.errors`` answers JSON under ``/api/``).
"""

import re

from flask import Blueprint, current_app, request
from pydantic.json_schema import models_json_schema

from tracker import db
from tracker.formats.api_models import (
    API_MODELS,
    Checklist,
    CountryDetail,
    CountryList,
    ErrorResponse,
)
from tracker.formats.tables import ISO3
from tracker.i18n import DEFAULT_LOCALE, _
from tracker.read import api as answers
from tracker.read import loaders
from tracker.web.errors import abort_with

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# The interface languages plus the six official languages of ITU (the UN languages), in which
# the checklist is translated. Titles without a translation fall back to English.
UN_LANGUAGES = ("ar", "en", "es", "fr", "ru", "zh")


def api_languages() -> list[str]:
    return sorted(set(current_app.config["LANGUAGES"]) | set(UN_LANGUAGES))


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
    return answers.country_list(db.get_session(), requested_lang()).model_dump(mode="json")


@bp.get("/countries/<iso3>")
def country(iso3: str):
    lang = requested_lang()
    session = db.get_session()
    refs = []
    if re.fullmatch(ISO3, iso3):
        refs, _unknown = loaders.resolve_countries(session, [iso3], lang)
    if not refs:
        abort_with(404, _("No country with the code “%(code)s”.", code=iso3))
    return answers.country_detail(session, refs[0], lang).model_dump(mode="json")


@bp.get("/checklist")
def checklist_view():
    lang = requested_lang()
    return answers.checklist(db.get_session(), lang).model_dump(mode="json")


# --- OpenAPI ------------------------------------------------------------------------------------


def _ref(model) -> dict:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(model, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def openapi_document() -> dict:
    """OpenAPI 3.1 generated from the response models of ``tracker.formats.api_models``."""
    _refs, definitions = models_json_schema(
        [(model, "serialization") for model in API_MODELS],
        ref_template="#/components/schemas/{model}",
    )
    lang = {
        "name": "lang",
        "in": "query",
        "required": False,
        "description": "Language of titles and names; English where no translation exists.",
        "schema": {"type": "string", "enum": api_languages(), "default": DEFAULT_LOCALE},
    }
    bad_lang = _json(ErrorResponse, "Unknown language.")

    def operation(op_id: str, summary: str, model, extra_params=(), extra_responses=None):
        responses = {"200": _json(model, summary), "400": bad_lang}
        responses.update(extra_responses or {})
        return {
            "get": {
                "operationId": op_id,
                "summary": summary,
                "parameters": [*extra_params, lang],
                "responses": responses,
            }
        }

    iso3 = {
        "name": "iso3",
        "in": "path",
        "required": True,
        "description": "ISO 3166-1 alpha-3 code of the country.",
        "schema": {"type": "string", "pattern": ISO3},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "E-waste regulation tracker API",
            "version": "1.0.0",
            "description": (
                "Read-only data of the ITU-CST e-waste regulation project: countries, their "
                "progress against the model-law checklist, instruments, coverage and milestones."
            ),
        },
        "paths": {
            "/api/v1/countries": operation(
                "listCountries", "Every country with counts and progress.", CountryList
            ),
            "/api/v1/countries/{iso3}": operation(
                "getCountry",
                "One country with its coverage, instruments, milestones and progress.",
                CountryDetail,
                extra_params=(iso3,),
                extra_responses={"404": _json(ErrorResponse, "No such country.")},
            ),
            "/api/v1/checklist": operation(
                "getChecklist", "The current model-law checklist by category.", Checklist
            ),
        },
        "components": {"schemas": definitions["$defs"]},
    }


@bp.get("/openapi.json")
def openapi_json():
    return openapi_document()
