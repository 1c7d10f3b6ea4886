"""Blueprint ``api``: the read-only JSON API and its OpenAPI document (issue 5).

URL map:
    GET /api/v1/countries               -> every country with counts and progress
    GET /api/v1/countries/<ISO3>        -> one country with coverage, instruments, milestones
    GET /api/v1/checklist               -> the current checklist by category
    GET /api/v1/openapi.json            -> OpenAPI 3.1, generated from the response models

Each data endpoint takes ``?lang=`` for titles and names (one of ``API_LANGUAGES``; English where
no translation exists; another value is a 400). Responses are serialized by the pydantic models
of ``tracker.formats.api_models`` and the OpenAPI document is generated from the same models, so the two
cannot drift. Errors are JSON (``tracker.web.errors`` answers JSON under ``/api/``).
"""

import re
from collections.abc import Sequence

from flask import Blueprint, current_app, request
from pydantic.json_schema import models_json_schema
from sqlmodel import Session, select

from tracker import db
from tracker.formats.api_models import (
    API_MODELS,
    CategoryOut,
    Checklist,
    CountryDetail,
    CountryList,
    CountrySummary,
    Counts,
    CoverageLinkOut,
    CoverageOut,
    Figures,
    GemIndicators,
    InstrumentOut,
    MilestoneOut,
    Progress,
    ProvisionOut,
)
from tracker.formats.tables import GEM, ISO3
from tracker.i18n import DEFAULT_LOCALE, _, country_name
from tracker.models import (
    Category,
    CategoryName,
    Country,
    InstrumentTitle,
    Provision,
    ProvisionText,
)
from tracker.read import pages as reports
from tracker.read import rows as datasets
from tracker.scoring import Figures as ScoreFigures
from tracker.scoring import Progress as ScoreProgress
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


# --- building responses -------------------------------------------------------------------------


def _figures(f: ScoreFigures | None) -> Figures | None:
    if f is None:
        return None

    def r(v):
        return None if v is None else round(v, 4)

    return Figures(
        legal_in_force=r(f.in_force),
        legal_with_drafts=r(f.with_drafts),
        implementation=r(f.implementation),
        provisions_applicable=f.applicable,
        provisions_not_applicable=f.not_applicable,
    )


def _progress(p: ScoreProgress | None, checklist_code: str | None) -> Progress:
    if p is None:
        return Progress(checklist_version=checklist_code, overall=None, categories={}, gem=None)
    return Progress(
        checklist_version=checklist_code,
        overall=_figures(p.overall),
        categories={code: _figures(f) for code, f in p.categories.items()},
        gem=GemIndicators(**{code: p.gem[code] for code in GEM}),
    )


def country_summaries(
    session: Session, countries: Sequence[datasets.CountryRef], lang: str
) -> list[CountrySummary]:
    ids = [c.id for c in countries]
    checklist = reports.current_checklist(session)
    progress = reports.progress_by_country(session, ids)
    counts = datasets.country_counts(session, ids)
    rows = {c.id: c for c in session.exec(select(Country).where(Country.id.in_(ids))).all()}
    result = []
    for ref in countries:
        country = rows[ref.id]
        instruments, done, total = counts[ref.id]
        result.append(
            CountrySummary(
                iso3=country.iso3,
                iso2=country.iso2,
                name=country_name(country.iso2, lang),
                joined_on=country.joined_on,
                counts=Counts(
                    instruments=instruments, milestones_done=done, milestones_total=total
                ),
                progress=_progress(progress.get(ref.id), checklist.code if checklist else None),
            )
        )
    return result


def _texts(session: Session, provision_ids: Sequence[int], lang: str) -> dict[int, ProvisionText]:
    """Each provision's text in ``lang``, else English."""
    texts: dict[int, ProvisionText] = {}
    for text in session.exec(
        select(ProvisionText).where(
            ProvisionText.provision_id.in_(provision_ids),
            ProvisionText.locale.in_({lang, DEFAULT_LOCALE}),
        )
    ).all():
        if text.provision_id not in texts or text.locale == lang:
            texts[text.provision_id] = text
    return texts


def country_detail(session: Session, ref: datasets.CountryRef, lang: str) -> CountryDetail:
    [summary] = country_summaries(session, [ref], lang)
    provisions = datasets.current_provisions(session)
    texts = _texts(session, [p.id for p in provisions], lang)
    coverage, links = datasets.country_coverage(session, ref.id, provisions)
    coverage_out = []
    for provision in provisions:
        cov = coverage.get(provision.id)
        record = datasets.coverage_record(
            ref.iso3, provision, cov, links.get(cov.id, []) if cov else []
        )
        text = texts.get(provision.id)
        coverage_out.append(
            CoverageOut(
                provision_code=provision.code,
                category=provision.category,
                title=text.title if text else provision.code,
                judged=cov is not None,
                applicable=cov.applicable if cov else True,
                not_applicable_reason=record["not_applicable_reason"],
                implementation=record["implementation"] or "none",
                legal_in_force=record["legal_in_force"],
                legal_with_drafts=record["legal_with_drafts"],
                evidence=record["evidence"],
                is_example=bool(record["is_example"]),
                instruments=[
                    CoverageLinkOut(instrument_id=i, extent=e, articles=a)
                    for i, e, a in record["instruments"]
                ],
            )
        )
    instruments = list(datasets.instrument_records(session, [ref]))
    translated = dict(
        session.exec(
            select(InstrumentTitle.instrument_id, InstrumentTitle.title).where(
                InstrumentTitle.instrument_id.in_([i["id"] for i in instruments]),
                InstrumentTitle.locale == lang,
            )
        ).all()
    )
    instruments_out = []
    for record in instruments:
        title_translated = translated.get(record["id"])
        if title_translated is None and record["title_lang"].split("-")[0] == lang:
            title_translated = record["title"]
        values = {k: v for k, v in record.items() if k in InstrumentOut.model_fields}
        instruments_out.append(InstrumentOut(**{**values, "title_translated": title_translated}))
    milestones_out = [
        MilestoneOut(**{k: v for k, v in record.items() if k in MilestoneOut.model_fields})
        for record in datasets.milestone_records(session, [ref])
    ]
    return CountryDetail(
        **summary.model_dump(),
        coverage=coverage_out,
        instruments=instruments_out,
        milestones=milestones_out,
    )


def checklist(session: Session, lang: str) -> Checklist:
    current = reports.current_checklist(session)
    if current is None:
        return Checklist(lang=lang, version=None, title=None, published_on=None, categories=[])
    categories = session.exec(
        select(Category).where(Category.checklist_id == current.id).order_by(Category.position)
    ).all()
    names: dict[int, str] = {}
    for name in session.exec(
        select(CategoryName).where(
            CategoryName.category_id.in_([c.id for c in categories]),
            CategoryName.locale.in_({lang, DEFAULT_LOCALE}),
        )
    ).all():
        if name.category_id not in names or name.locale == lang:
            names[name.category_id] = name.name
    provisions = session.exec(
        select(Provision)
        .where(Provision.checklist_id == current.id)
        .order_by(Provision.position, Provision.code)
    ).all()
    texts = _texts(session, [p.id for p in provisions], lang)
    by_category: dict[int, list[ProvisionOut]] = {}
    for p in provisions:
        text = texts.get(p.id)
        by_category.setdefault(p.category_id, []).append(
            ProvisionOut(
                code=p.code,
                level=p.level.value,
                position=p.position,
                gem_indicator=p.gem_indicator.value if p.gem_indicator else None,
                title=text.title if text else p.code,
                guidance=text.guidance if text else None,
                text_lang=text.locale if text else DEFAULT_LOCALE,
                sources=p.sources,
                retired=p.retired,
            )
        )
    return Checklist(
        lang=lang,
        version=current.code,
        title=current.title,
        published_on=current.published_on,
        categories=[
            CategoryOut(
                code=c.code,
                name=names.get(c.id, c.code),
                position=c.position,
                provisions=by_category.get(c.id, []),
            )
            for c in categories
        ],
    )


# --- views --------------------------------------------------------------------------------------


@bp.get("/countries")
def countries():
    lang = requested_lang()
    session = db.get_session()
    refs, _unknown = datasets.resolve_countries(session, [])
    body = CountryList(lang=lang, countries=country_summaries(session, refs, lang))
    return body.model_dump(mode="json")


@bp.get("/countries/<iso3>")
def country(iso3: str):
    lang = requested_lang()
    session = db.get_session()
    refs = []
    if re.fullmatch(ISO3, iso3):
        refs, _unknown = datasets.resolve_countries(session, [iso3])
    if not refs:
        abort_with(404, _("No country with the code “%(code)s”.", code=iso3))
    return country_detail(session, refs[0], lang).model_dump(mode="json")


@bp.get("/checklist")
def checklist_view():
    lang = requested_lang()
    return checklist(db.get_session(), lang).model_dump(mode="json")


# --- OpenAPI ------------------------------------------------------------------------------------


def _ref(model) -> dict:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(model, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def openapi_document() -> dict:
    """OpenAPI 3.1 generated from the response models of ``tracker.formats.api_models``."""
    from tracker.formats.api_models import ErrorResponse

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
