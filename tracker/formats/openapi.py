"""The API's OpenAPI 3.1 document, generated from its response models, and the reference that the
human-readable page (``/<lang>/api``) renders from that same document.

``openapi_document`` is what ``GET /api/v1/openapi.json`` answers; ``reference`` turns it into plain
objects (operations, parameters, responses, the fields of every schema, example requests), so the
page cannot say anything the document does not. Pure: no database, no request; the caller passes
the languages and the ``servers`` entry (``tracker.web.urls.api_servers``).
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic.json_schema import models_json_schema

from tracker.formats.api_models import (
    API_MODELS,
    ApiIndex,
    Checklist,
    CountryDetail,
    CountryList,
    ErrorResponse,
    ProjectTimeline,
)
from tracker.formats.tables import ISO3

DEFAULT_LANG = "en"
# The interface languages plus the six official languages of ITU (the UN languages), in which
# the checklist is translated. Titles without a translation fall back to English.
UN_LANGUAGES = ("ar", "en", "es", "fr", "ru", "zh")
API_VERSION = "1.0.0"
API_TITLE = "E-waste regulation tracker API"
# An example value for each path parameter, used in the example requests.
EXAMPLES = {"iso3": "ZMB"}


def api_languages(interface_languages: Iterable[str]) -> list[str]:
    """The values ``?lang=`` accepts."""
    return sorted(set(interface_languages) | set(UN_LANGUAGES))


def _ref(model) -> dict:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(model, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def openapi_document(languages: list[str], servers: list[dict]) -> dict:
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
        "schema": {"type": "string", "enum": languages, "default": DEFAULT_LANG},
    }
    bad_lang = _json(ErrorResponse, "Unknown language.")
    as_of = {
        "name": "as_of",
        "in": "query",
        "required": False,
        "description": (
            "A day, YYYY-MM-DD: the publications in force at the end of that day (UTC) instead "
            "of the latest publication of each country. A day still to come gives the record as "
            "it stands today; anything that is not a day of the calendar is a 400."
        ),
        "schema": {"type": "string", "format": "date", "example": "2025-06-30"},
    }
    bad_day = _json(ErrorResponse, "Unknown language, or as_of is not a day YYYY-MM-DD.")

    def operation(op_id: str, summary: str, model, extra_params=(), extra_responses=None,
                  after_params=()):
        responses = {"200": _json(model, summary), "400": bad_lang}
        responses.update(extra_responses or {})
        return {
            "get": {
                "operationId": op_id,
                "summary": summary,
                "parameters": [*extra_params, lang, *after_params],
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
            "title": API_TITLE,
            "version": API_VERSION,
            "description": (
                "Read-only data of the ITU-CST e-waste regulation project: countries, their "
                "progress against the model-law checklist, instruments, coverage and milestones."
            ),
            "license": {"name": "CC BY 4.0", "identifier": "CC-BY-4.0"},
        },
        "servers": servers,
        "paths": {
            "/api/v1/": {
                "get": {
                    "operationId": "getIndex",
                    "summary": "The resources of the API, each with its link.",
                    "responses": {"200": _json(ApiIndex, "The resources of the API.")},
                }
            },
            "/api/v1/countries": operation(
                "listCountries",
                "Every country with counts and progress.",
                CountryList,
                after_params=(as_of,),
                extra_responses={"400": bad_day},
            ),
            "/api/v1/countries/{iso3}": operation(
                "getCountry",
                "One country with its coverage, instruments, milestones and progress.",
                CountryDetail,
                extra_params=(iso3,),
                after_params=(as_of,),
                extra_responses={"404": _json(ErrorResponse, "No such country."), "400": bad_day},
            ),
            "/api/v1/checklist": operation(
                "getChecklist", "The current model-law checklist by category.", Checklist
            ),
            "/api/v1/project": operation(
                "getProjectTimeline",
                "The timeline of the project as a whole: milestones tied to no country.",
                ProjectTimeline,
            ),
        },
        "components": {"schemas": definitions["$defs"]},
    }


# --- the reference page --------------------------------------------------------------------------


@dataclass(frozen=True)
class TypePart:
    """A piece of a field's type: plain text, or the name of another schema (``ref``)."""

    text: str
    ref: str | None = None


@dataclass(frozen=True)
class FieldDoc:
    name: str
    type: tuple[TypePart, ...]
    required: bool
    description: str | None


@dataclass(frozen=True)
class SchemaDoc:
    name: str
    description: str | None
    fields: tuple[FieldDoc, ...]

    @property
    def anchor(self) -> str:
        return f"schema-{self.name}"


@dataclass(frozen=True)
class ParameterDoc:
    name: str
    location: str  # path, query
    required: bool
    description: str | None
    type: tuple[TypePart, ...]
    values: tuple[str, ...]  # an enumeration, when there is one
    default: str | None


@dataclass(frozen=True)
class ResponseDoc:
    status: str
    description: str
    schema: str | None  # the name of the response's schema


@dataclass(frozen=True)
class OperationDoc:
    method: str
    path: str
    operation_id: str
    summary: str
    parameters: tuple[ParameterDoc, ...]
    responses: tuple[ResponseDoc, ...]
    example: str  # an example request path, with example values

    @property
    def anchor(self) -> str:
        return f"op-{self.operation_id}"


@dataclass(frozen=True)
class ApiReference:
    title: str
    version: str
    description: str
    servers: tuple[str, ...]
    operations: tuple[OperationDoc, ...]
    schemas: tuple[SchemaDoc, ...]
    error_example: str  # a JSON error body, pretty-printed


def _name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_parts(schema: dict) -> tuple[TypePart, ...]:
    """A JSON schema's type in words: ``string``, ``array of`` Figures, ``Figures or null``."""
    if "$ref" in schema:
        return (TypePart(_name(schema["$ref"]), _name(schema["$ref"])),)
    if "anyOf" in schema:
        parts: list[TypePart] = []
        for i, option in enumerate(schema["anyOf"]):
            if i:
                parts.append(TypePart(" | "))
            parts.extend(type_parts(option))
        return tuple(parts)
    if "const" in schema:
        return (TypePart(json.dumps(schema["const"])),)
    if "enum" in schema:
        return (TypePart(" | ".join(json.dumps(v) for v in schema["enum"])),)
    kind = schema.get("type", "any")
    if kind == "array":
        return (TypePart("array of "), *type_parts(schema.get("items", {})))
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return (TypePart("object of "), *type_parts(schema["additionalProperties"]))
    text = kind if isinstance(kind, str) else " | ".join(kind)
    if "format" in schema:
        text += f" ({schema['format']})"
    elif "pattern" in schema:
        text += f" ({schema['pattern']})"
    return (TypePart(text),)


def _example_path(path: str, parameters: Iterable[dict]) -> str:
    example = path
    for p in parameters:
        if p["in"] == "path":
            example = example.replace("{" + p["name"] + "}", EXAMPLES.get(p["name"], p["name"]))
    if any(p["name"] == "lang" for p in parameters):
        example += "?lang=fr"
    return example


def reference(doc: dict) -> ApiReference:
    """The OpenAPI document as the reference page shows it."""
    operations = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            params = op.get("parameters", [])
            operations.append(
                OperationDoc(
                    method=method.upper(),
                    path=path,
                    operation_id=op["operationId"],
                    summary=op["summary"],
                    parameters=tuple(
                        ParameterDoc(
                            name=p["name"],
                            location=p["in"],
                            required=p.get("required", False),
                            description=p.get("description"),
                            type=type_parts({k: v for k, v in p["schema"].items() if k != "enum"}),
                            values=tuple(p["schema"].get("enum", ())),
                            default=p["schema"].get("default"),
                        )
                        for p in params
                    ),
                    responses=tuple(
                        ResponseDoc(
                            status,
                            r["description"],
                            _name(r["content"]["application/json"]["schema"]["$ref"])
                            if "content" in r
                            else None,
                        )
                        for status, r in op["responses"].items()
                    ),
                    example=_example_path(path, params),
                )
            )
    schemas = []
    for name, schema in sorted(doc["components"]["schemas"].items()):
        required = set(schema.get("required", ()))
        schemas.append(
            SchemaDoc(
                name=name,
                description=schema.get("description"),
                fields=tuple(
                    FieldDoc(field, type_parts(prop), field in required, prop.get("description"))
                    for field, prop in schema.get("properties", {}).items()
                ),
            )
        )
    error = ErrorResponse.model_validate(
        {
            "error": {
                "status": 404,
                "title": "Page not found",
                "message": "No country with the code “QQQ”.",
            }
        }
    )
    return ApiReference(
        title=doc["info"]["title"],
        version=doc["info"]["version"],
        description=doc["info"]["description"],
        servers=tuple(s["url"] for s in doc.get("servers", ())),
        operations=tuple(operations),
        schemas=tuple(schemas),
        error_example=json.dumps(error.model_dump(mode="json"), indent=2, ensure_ascii=False),
    )
