"""The JSON API's response models (pydantic), defined once.

``tracker.web.api`` serializes its answers with these models and generates its OpenAPI document
from the same models, so the specification and the responses cannot drift. The values come from
``tracker.read.api``, which builds them from the read layer's objects.

Pure: nothing here touches the database, SQLModel or a request.
"""

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from tracker.dates import PATTERN as DATE_PATTERN
from tracker.dates import as_partial
from tracker.formats.tables import ISO2, ISO3


def _iso_at_precision(value: Any) -> Any:
    """A ``PartialDate`` (or a plain date, a day) as ISO 8601 at its precision."""
    if value is None or isinstance(value, str):
        return value
    return as_partial(value).iso


# A date as precise as its source: "2024", "2024-10" or "2024-10-23".
PreciseDate = Annotated[
    str,
    Field(
        pattern=DATE_PATTERN,
        description="ISO 8601 at the precision of its source: YYYY, YYYY-MM or YYYY-MM-DD.",
        examples=["2024", "2024-10", "2024-10-23"],
    ),
]
OptionalDate = Annotated[PreciseDate | None, BeforeValidator(_iso_at_precision)]


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(ApiModel):
    status: int = Field(description="HTTP status code.")
    title: str
    message: str


class ErrorResponse(ApiModel):
    """The body of every error answer of the API."""

    error: ErrorDetail


class Figures(ApiModel):
    """Weighted shares between 0 and 1 (null when no provision applies), 4 decimals, and the
    provisions they rest on (provisions not assessed yet count as not addressed)."""

    legal_in_force: float | None = Field(
        description="Instruments in force (amended included); adopted but not yet in force "
        "counts with the drafts."
    )
    legal_with_drafts: float | None
    implementation: float | None
    provisions_applicable: int
    provisions_not_applicable: int
    provisions_assessed: int = Field(
        description="Provisions judged for the country (applicable or not): what the figures "
        "rest on."
    )
    provisions_total: int = Field(description="Provisions of the current checklist in this set.")
    provisional: bool = Field(
        description="True when fewer than half of the provisions are assessed: a provisional "
        "assessment."
    )


class GemIndicators(ApiModel):
    """The Global E-waste Monitor's four legislation indicators, derived from this record (not
    the Monitor's own values): true when a provision mapped to it is fully addressed in force."""

    national_legislation: bool
    epr: bool
    collection_target: bool
    recycling_target: bool


class Progress(ApiModel):
    checklist_version: str | None
    overall: Figures | None
    categories: dict[str, Figures]
    gem: GemIndicators | None


class Counts(ApiModel):
    instruments: int
    milestones_done: int = Field(
        description="Steps of the ITU-CST project done (context events are not counted)."
    )
    milestones_total: int = Field(
        description="Steps of the ITU-CST project, not counting cancelled ones or context events."
    )


class CountryFacts(ApiModel):
    """A country's e-waste figures for the latest year recorded (null: not recorded)."""

    year: int
    generated_kg: float | None
    generated_kg_per_capita: float | None
    collected_kg: float | None = Field(description="E-waste documented as formally collected.")
    collected_kg_per_capita: float | None
    source_url: str
    note: str | None


class CountrySummary(ApiModel):
    iso3: str = Field(pattern=ISO3)
    iso2: str = Field(pattern=ISO2)
    name: str = Field(description="Country name in the requested language (CLDR).")
    joined_on: OptionalDate
    counts: Counts
    progress: Progress
    is_example: bool = Field(
        description="True when the figures rest on example judgements from the demo data."
    )
    last_update: date | None = Field(
        description="Date (UTC) of the last change to the country's record."
    )
    ewaste: CountryFacts | None = Field(description="E-waste generated and collected.")
    stage: (
        Literal[
            "planned", "drafting", "public_consultation", "validated", "adopted", "in_force"
        ]
        | None
    ) = Field(
        description="Furthest lifecycle status among the country's e-waste-specific instruments "
        "that are not repealed (amended counts as in_force); null: no e-waste-specific "
        "instrument yet."
    )


class CountryList(ApiModel):
    lang: str
    countries: list[CountrySummary]


SourceKindCode = Literal["official", "legal_database", "intergovernmental", "secondary"]


class SourceOut(ApiModel):
    """A source link and how far it can be trusted (official, legal database,
    intergovernmental, secondary: press or document-sharing mirrors)."""

    url: str = Field(description="An http or https link.")
    kind: SourceKindCode
    note: str | None


class CoverageLinkOut(ApiModel):
    instrument_id: int
    extent: Literal["partial", "full"]
    articles: str | None
    excerpt: str | None = Field(
        description="A short excerpt of the legal text, quoted exactly, in its own language."
    )
    excerpt_lang: str | None = Field(description="Language of the excerpt (BCP 47).")
    translation: str | None = Field(description="An English translation of the excerpt.")
    translation_status: Literal["official", "unofficial"] | None
    article_url: str | None = Field(description="Link to the exact article or page.")


class CoverageOut(ApiModel):
    provision_code: str
    category: str
    title: str = Field(description="Provision title in the requested language, else English.")
    judged: bool = Field(description="False when nobody has judged this provision yet.")
    applicable: bool
    not_applicable_reason: str | None
    implementation: Literal["none", "initiated", "operational", "enforced"]
    legal_in_force: Literal["none", "partial", "full"] | None = Field(
        description="Null when not applicable or not assessed (judged false)."
    )
    legal_with_drafts: Literal["none", "partial", "full"] | None = Field(
        description="Null when not applicable or not assessed (judged false)."
    )
    evidence: str | None = Field(description="Evidence in its original language.")
    evidence_lang: str | None = Field(description="Language of the evidence (BCP 47).")
    evidence_translated: str | None = Field(
        description="The evidence translated into the requested language, when a translation exists."
    )
    is_example: bool
    instruments: list[CoverageLinkOut]
    sources: list[SourceOut] = Field(description="The pages the evidence cites, with their kind.")


class InstrumentOut(ApiModel):
    id: int
    type: str
    title: str = Field(description="Title in its original language.")
    title_lang: str
    title_translated: str | None = Field(
        description="Title in the requested language when a translation exists."
    )
    number: str | None
    issuing_body: str | None
    status: str
    year: int | None
    consultation_on: OptionalDate
    validated_on: OptionalDate
    adopted_on: OptionalDate
    published_on: OptionalDate
    in_force_on: OptionalDate
    amended_on: OptionalDate
    repealed_on: OptionalDate
    dates_note: str | None
    url: str | None
    summary: str | None = Field(description="Summary in its original language.")
    summary_lang: str | None = Field(description="Language of the summary (BCP 47).")
    summary_translated: str | None = Field(
        description="The summary translated into the requested language, when a translation exists."
    )
    made_under: list[int]
    amends: list[int]
    repeals: list[int]
    ewaste_specific: bool = Field(
        description="True for an instrument specific to e-waste, false for a general instrument "
        "that touches it (an environmental framework act, a customs law)."
    )
    sources: list[SourceOut] = Field(description="Every source read for it, with its kind.")


class MilestoneOut(ApiModel):
    id: int
    nature: Literal["project", "context"] = Field(
        description="project: a step of the ITU-CST project (counted); context: an event around it."
    )
    kind: str
    title: str = Field(description="Title in its original language.")
    title_lang: str | None = Field(description="Language of the title (BCP 47).")
    title_translated: str | None = Field(
        description="The title translated into the requested language, when a translation exists."
    )
    planned_on: OptionalDate
    actual_on: OptionalDate
    place: str | None
    status: str
    source_url: str | None
    source_kind: SourceKindCode | None
    notes: str | None = Field(description="Notes in their original language.")
    notes_lang: str | None = Field(description="Language of the notes (BCP 47).")
    notes_translated: str | None = Field(
        description="The notes translated into the requested language, when a translation exists."
    )


class ProjectTimeline(ApiModel):
    """The ITU-CST project's own timeline: milestones tied to no country."""

    lang: str
    milestones: list[MilestoneOut]


class PublishedValueOut(ApiModel):
    """The Monitor's own published value of an indicator in one edition, with its source."""

    edition: int
    value: bool
    source_url: str
    note: str | None


class PublishedMonitorValueOut(PublishedValueOut):
    """Every published value recorded, of every edition."""

    indicator: Literal["national_legislation", "epr", "collection_target", "recycling_target"]


class MonitorIndicatorOut(ApiModel):
    """One Global E-waste Monitor indicator: derived from this record beside the Monitor's own
    published value (the latest edition recorded)."""

    indicator: Literal["national_legislation", "epr", "collection_target", "recycling_target"]
    derived: bool | None = Field(description="Derived from this record (null: no checklist).")
    published: PublishedValueOut | None = Field(description="Null when none is recorded.")
    disagrees: bool = Field(description="True when both are known and differ.")


class CountryDetail(CountrySummary):
    monitor: list[MonitorIndicatorOut]
    published_monitor_values: list[PublishedMonitorValueOut]
    coverage: list[CoverageOut]
    instruments: list[InstrumentOut]
    milestones: list[MilestoneOut]


class ProvisionOut(ApiModel):
    code: str
    level: Literal["core", "recommended"]
    position: int
    gem_indicator: (
        Literal["national_legislation", "epr", "collection_target", "recycling_target"] | None
    )
    title: str
    guidance: str | None
    text_lang: str = Field(description="Language of title and guidance (the requested one or en).")
    sources: str | None
    retired: bool


class CategoryOut(ApiModel):
    code: str
    name: str
    position: int
    provisions: list[ProvisionOut]


class Checklist(ApiModel):
    lang: str
    version: str | None
    title: str | None
    published_on: OptionalDate
    categories: list[CategoryOut]


class Resource(ApiModel):
    name: str
    href: str = Field(
        description="Its address: absolute when the site's host is configured, else a path."
    )
    templated: bool = Field(description="True when href is a URI template (RFC 6570): {iso3}.")
    description: str


class IndexLinks(ApiModel):
    self: str
    openapi: str = Field(description="The OpenAPI 3.1 document of the API.")
    reference: str = Field(description="The human-readable reference of the API (HTML).")
    data_package: str = Field(description="The CSV exports' Frictionless data package.")


class ApiIndex(ApiModel):
    """The entry point of the API (GET /api/v1/): its resources, each with its link."""

    title: str
    version: str
    license: str = Field(description="The data's licence (SPDX identifier).")
    links: IndexLinks
    resources: list[Resource]


API_MODELS: tuple[type[BaseModel], ...] = (
    ErrorResponse,
    CountryList,
    CountryDetail,
    Checklist,
    ApiIndex,
    ProjectTimeline,
)
