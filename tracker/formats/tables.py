"""The published CSV contract, defined once: each export is a ``Table`` of ``Column``s.

The CSV writer (header and cell formatting, ``tracker.formats.csvio``), the importer (parsing and
validation), the exports page and the Frictionless data package (``datapackage.json``) are all
derived from these definitions, so a file and its description cannot drift apart. Column names
are stable snake_case codes; descriptions are translated on the exports page and English in the
data package.

To change an export: its columns here, its rows in ``tracker.read.rows``. Pure: nothing here
touches the database, SQLModel or a request (only ``tracker.codes`` and lazy labels).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from tracker import fields
from tracker.codes import (
    Extent,
    GemIndicator,
    InstrumentStatus,
    Level,
)
from tracker.fields import EARLIEST_DATE, LATEST_DATE
from tracker.i18n import LOCALES, _, _l, force_locale

# --- CSV tables ---------------------------------------------------------------------------------

# Column types are Frictionless field types, plus encodings of our own (stored as strings):
#   "date"   a date at the precision of its source: 2024, 2024-10 or 2024-10-23 (ISO 8601)
#   "links"  coverage links: "<instrument id>:<extent>:<articles>" items joined with ";"
#   "idlist" instrument ids joined with ";" in ascending order
#   "sources" source links, one a line: "<kind> <url> <note>" (the note is optional)
ColumnType = Literal["string", "integer", "number", "boolean", "date", "links", "idlist", "sources"]

LEVELS = tuple(Level.codes())
GEM = tuple(GemIndicator.codes())
EXTENTS = tuple(Extent.codes())
LEGAL_EXTENTS = ("none", *EXTENTS)
# The codes of a country's stage (``tracker.scoring.STAGE_ORDER``: amended counts as in force)
STAGES = tuple(
    s.value
    for s in InstrumentStatus
    if s not in (InstrumentStatus.AMENDED, InstrumentStatus.REPEALED)
)


@dataclass(frozen=True)
class Column:
    """One CSV column: its stable name, type, description and constraints.

    ``importable`` is False for derived columns (recomputed on export, ignored on import). A
    column that holds a record's field names its ``rule`` (``tracker.fields``): its required
    flag, allowed codes, length, pattern and range then come from that rule, so the import checks
    what the forms check and the data package publishes it.
    """

    name: str
    type: ColumnType
    description: Any
    required: bool = False
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    max_length: int | None = None
    decimals: int | None = None  # fixed decimal places for "number" columns
    minimum: int | None = None
    importable: bool = True
    maximum: int | None = None
    rule: fields.Rule | None = None
    # A column added after the file format was first published: a file without it (exported
    # before) still imports, and the records keep what they have in that column.
    may_be_absent: bool = False

    def __post_init__(self) -> None:
        rule = self.rule
        if rule is None:
            return
        derived = {
            "required": rule.required,
            "enum": tuple(rule.codes.codes()) if rule.codes else rule.languages,
            "pattern": rule.pattern,
            "max_length": rule.max_length,
            "minimum": rule.minimum,
            "maximum": rule.maximum,
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    @property
    def frictionless_type(self) -> str:
        return "string" if self.type in ("links", "idlist", "date", "sources") else self.type

    @property
    def format_note(self) -> Any:
        """How a cell of this column is written, where its type alone does not say (dates)."""
        return DATE_FORMAT if self.type == "date" else None


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str
    reference: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """One CSV export: ``<name>.csv``."""

    name: str
    title: Any
    description: Any
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    importable: bool = False
    notes: tuple[Any, ...] = field(default=())

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"


DATE_FORMAT = _l(
    "ISO 8601 at the precision of its source: a year (2024), a month (2024-10) or a day "
    "(2024-10-23), between %(min)s and %(max)s.",
    min=EARLIEST_DATE.isoformat(),
    max=LATEST_DATE.isoformat(),
)

ISO3 = r"^[A-Z]{3}$"
ISO2 = r"^[A-Z]{2}$"

country_iso3 = Column(
    "country_iso3",
    "string",
    _l("ISO 3166-1 alpha-3 code of the country."),
    required=True,
    pattern=ISO3,
)


def _date(name: str, description: Any, rule: fields.Rule) -> Column:
    return Column(name, "date", description, rule=rule)


def _field(
    name: str,
    description: Any,
    rule: fields.Rule,
    type_: ColumnType = "string",
    may_be_absent: bool = False,
) -> Column:
    """A column holding a record's field, checked by that field's rule. ``may_be_absent``: a column
    added after files were already exported; a file without it still imports, and the records keep
    their stored value for it."""
    return Column(name, type_, description, rule=rule, may_be_absent=may_be_absent)


_I, _M, _C = fields.INSTRUMENT, fields.MILESTONE, fields.COVERAGE
_L = fields.COVERAGE_LINK


def _sources(description: Any) -> Column:
    return Column("sources", "sources", description, may_be_absent=True)


COUNTRIES = Table(
    name="countries",
    title=_l("Countries"),
    description=_l(
        "One row per country taking part, with its progress figures for the current checklist "
        "(the same figures as the public pages) and counts of its instruments and milestones."
    ),
    columns=(
        Column("iso3", "string", _l("ISO 3166-1 alpha-3 code of the country."), True, pattern=ISO3),
        Column("iso2", "string", _l("ISO 3166-1 alpha-2 code of the country."), True, pattern=ISO2),
        Column("name_en", "string", _l("English name of the country (Unicode CLDR)."), True),
        _date(
            "joined_on",
            _l("Date the country joined the ITU-CST project."),
            fields.COUNTRY["joined_on"],
        ),
        Column(
            "checklist_version",
            "string",
            _l("Code of the checklist version the figures are computed against."),
        ),
        Column(
            "legal_in_force",
            "number",
            _l(
                "Weighted share (0 to 1) of applicable provisions addressed by instruments in "
                "force (amended ones included; an instrument adopted but not yet in force counts "
                "with the drafts). Provisions not assessed yet count as not addressed. Empty when "
                "no provision applies."
            ),
            decimals=4,
            importable=False,
        ),
        Column(
            "legal_with_drafts",
            "number",
            _l(
                "Weighted share (0 to 1) of applicable provisions addressed by any instrument that "
                "is not repealed, drafts included. Empty when no provision applies."
            ),
            decimals=4,
            importable=False,
        ),
        Column(
            "implementation",
            "number",
            _l(
                "Weighted share (0 to 1) of implementation of the applicable provisions. "
                "Empty when no provision applies."
            ),
            decimals=4,
            importable=False,
        ),
        Column(
            "provisions_applicable",
            "integer",
            _l("Number of provisions of the current checklist that apply to the country."),
            minimum=0,
        ),
        Column(
            "provisions_not_applicable",
            "integer",
            _l("Number of provisions judged not applicable to the country."),
            minimum=0,
        ),
        Column(
            "gem_national_legislation",
            "boolean",
            _l(
                "Global E-waste Monitor indicator derived from this record (not the Monitor's "
                "own value): national e-waste legislation in force."
            ),
        ),
        Column(
            "gem_epr",
            "boolean",
            _l(
                "Global E-waste Monitor indicator derived from this record (not the Monitor's "
                "own value): extended producer responsibility in force."
            ),
        ),
        Column(
            "gem_collection_target",
            "boolean",
            _l(
                "Global E-waste Monitor indicator derived from this record (not the Monitor's "
                "own value): a collection target in force."
            ),
        ),
        Column(
            "gem_recycling_target",
            "boolean",
            _l(
                "Global E-waste Monitor indicator derived from this record (not the Monitor's "
                "own value): a recycling target in force."
            ),
        ),
        Column("instruments", "integer", _l("Number of instruments recorded."), True, minimum=0),
        Column(
            "milestones_done",
            "integer",
            _l("Number of steps of the ITU-CST project done (context events are not counted)."),
            True,
            minimum=0,
        ),
        Column(
            "milestones_total",
            "integer",
            _l(
                "Number of steps of the ITU-CST project, not counting cancelled ones (context "
                "events are not counted)."
            ),
            True,
            minimum=0,
        ),
        Column(
            "is_example",
            "boolean",
            _l(
                "true when the figures rest on example judgements from the demo data (an "
                "illustration, not an official assessment)."
            ),
            True,
        ),
        Column(
            "last_update",
            "date",
            _l(
                "Date (UTC) of the last change to the country's record: the country, its "
                "instruments, milestones, judgements, e-waste figures or published Monitor values."
            ),
        ),
        Column(
            "ewaste_year",
            "integer",
            _l("Year of the e-waste figures in the following columns (the latest recorded)."),
            minimum=1990,
        ),
        Column(
            "ewaste_generated_kg",
            "number",
            _l("E-waste generated in that year, in kg. Empty: not recorded."),
            minimum=0,
        ),
        Column(
            "ewaste_generated_kg_per_capita",
            "number",
            _l("E-waste generated in that year, in kg per inhabitant. Empty: not recorded."),
            minimum=0,
        ),
        Column(
            "ewaste_collected_kg",
            "number",
            _l("E-waste documented as formally collected in that year, in kg. Empty: not recorded."),
            minimum=0,
        ),
        Column(
            "ewaste_collected_kg_per_capita",
            "number",
            _l(
                "E-waste documented as formally collected in that year, in kg per inhabitant. "
                "Empty: not recorded."
            ),
            minimum=0,
        ),
        Column(
            "ewaste_source_url",
            "string",
            _l("Link to the source of the e-waste figures."),
        ),
        Column(
            "provisions_assessed",
            "integer",
            _l(
                "Number of provisions of the current checklist judged for the country (applicable "
                "or not): what the figures rest on."
            ),
            minimum=0,
        ),
        Column(
            "provisions_total",
            "integer",
            _l("Number of provisions of the current checklist."),
            minimum=0,
        ),
        Column(
            "provisional",
            "boolean",
            _l(
                "true when fewer than half of the provisions are assessed: the figures are a "
                "provisional assessment."
            ),
        ),
        Column(
            "stage",
            "string",
            _l(
                "Furthest lifecycle status among the country's e-waste-specific instruments that "
                "are not repealed (amended counts as in_force). Empty: no e-waste-specific "
                "instrument yet."
            ),
            enum=STAGES,
        ),
    ),
    primary_key=("iso3",),
)

CHECKLIST = Table(
    name="checklist",
    title=_l("Checklist"),
    description=_l(
        "Every provision of every version of the model-law checklist, with its English title "
        "and guidance. The country filter is accepted but does not apply to this file."
    ),
    columns=(
        Column("checklist_version", "string", _l("Code of the checklist version."), True),
        Column("code", "string", _l("Code of the provision, stable across versions."), True),
        Column("category", "string", _l("Code of the provision's category."), True),
        Column(
            "level",
            "string",
            _l("core (weight 2) or recommended (weight 1)."),
            True,
            enum=LEVELS,
        ),
        Column("position", "integer", _l("Order of the provision in the checklist."), True),
        Column(
            "gem_indicator",
            "string",
            _l("The Global E-waste Monitor indicator the provision counts towards, if any."),
            enum=GEM,
        ),
        Column("title_en", "string", _l("English title of the provision."), True),
        Column(
            "guidance_en",
            "string",
            _l("English guidance: when the provision counts as fully addressed."),
        ),
        Column("sources", "string", _l("Keys of the sources the provision is drafted from.")),
        Column(
            "retired",
            "boolean",
            _l("true when the provision is retired and no longer scored."),
            True,
        ),
    ),
    primary_key=("checklist_version", "code"),
)

INSTRUMENTS = Table(
    name="instruments",
    title=_l("Instruments"),
    description=_l(
        "Legal and policy instruments (acts, regulations, policies, drafts...) of each country, "
        "with their lifecycle dates."
    ),
    columns=(
        Column(
            "id",
            "integer",
            _l("Identifier of the instrument. Leave empty on import to create one."),
            minimum=1,
        ),
        country_iso3,
        _field("type", _l("Kind of instrument."), _I["type"]),
        _field("title", _l("Title in its original language."), _I["title"]),
        _field("title_lang", _l("Language of the original title (BCP 47 tag)."), _I["title_lang"]),
        _field(
            "title_en",
            _l("English title: the translation, or the title itself when it is in English."),
            fields.INSTRUMENT_TITLE["title"].optional(),
        ),
        _field("number", _l("Official number or citation."), _I["number"]),
        _field("issuing_body", _l("Body that issued the instrument."), _I["issuing_body"]),
        _field("status", _l("Lifecycle status."), _I["status"]),
        _field(
            "year",
            _l("Year of the instrument, when no exact date is known."),
            _I["year"],
            "integer",
        ),
        _date("consultation_on", _l("Date of the public consultation."), _I["consultation_on"]),
        _date("validated_on", _l("Date of validation."), _I["validated_on"]),
        _date("adopted_on", _l("Date of adoption."), _I["adopted_on"]),
        _date("published_on", _l("Date of publication (gazetting)."), _I["published_on"]),
        _date("in_force_on", _l("Date of entry into force."), _I["in_force_on"]),
        _date("amended_on", _l("Date of the latest amendment."), _I["amended_on"]),
        _date("repealed_on", _l("Date of repeal."), _I["repealed_on"]),
        _field("dates_note", _l("Notes on the dates and their sources."), _I["dates_note"]),
        _field("url", _l("Link to the text or its best public source."), _I["url"]),
        _field("summary", _l("Short summary of what the instrument does."), _I["summary"]),
        Column(
            "made_under",
            "idlist",
            _l("Ids of the instruments this one is made under, separated by ';'."),
        ),
        Column("amends", "idlist", _l("Ids of the instruments this one amends, separated by ';'.")),
        Column(
            "repeals", "idlist", _l("Ids of the instruments this one repeals, separated by ';'.")
        ),
        Column(
            "version",
            "integer",
            _l(
                "Edit counter of the record. Keep it as exported: an import refuses rows whose "
                "record changed since the export."
            ),
            minimum=1,
        ),
        _field(
            "ewaste_specific",
            _l(
                "true for an instrument specific to e-waste, false for a general instrument that "
                "touches it (an environmental framework act, a customs law)."
            ),
            _I["ewaste_specific"],
            "boolean",
        ),
        _sources(
            _l(
                "Every source read for the instrument, one a line: its kind (official, "
                "legal_database, intergovernmental or secondary), a space, the http(s) link, then "
                "optionally a space and a short note."
            )
        ),
        _field(
            "summary_lang",
            _l("Language of the summary (BCP 47 tag); empty when not recorded."),
            _I["summary_lang"],
            may_be_absent=True,
        ),
    ),
    primary_key=("id",),
    foreign_keys=(ForeignKey(("country_iso3",), "countries", ("iso3",)),),
    importable=True,
)

COVERAGE = Table(
    name="coverage",
    title=_l("Coverage"),
    description=_l(
        "One row per country and provision of the current checklist, including provisions not "
        "judged yet (empty applicable): applicability, implementation, the instruments that "
        "address the provision and the legal coverage derived from them."
    ),
    columns=(
        country_iso3,
        Column(
            "checklist_version",
            "string",
            _l("Code of the checklist version of the provision."),
            True,
        ),
        Column("provision_code", "string", _l("Code of the provision."), True),
        Column(
            "applicable",
            "boolean",
            _l("Whether the provision applies to the country. Empty: not judged yet."),
        ),
        _field(
            "not_applicable_reason",
            _l("Why the provision does not apply (required when applicable is false)."),
            _C["not_applicable_reason"],
        ),
        _field(
            "implementation",
            _l("How far the provision is implemented in practice."),
            _C["implementation"].optional(),
        ),
        Column(
            "legal_in_force",
            "string",
            _l(
                "Derived (ignored on import): the best extent among linked instruments in force "
                "(amended ones included). Empty when not applicable or not assessed."
            ),
            enum=LEGAL_EXTENTS,
            importable=False,
        ),
        Column(
            "legal_with_drafts",
            "string",
            _l(
                "Derived (ignored on import): the best extent among linked instruments that are "
                "not repealed, drafts included. Empty when not applicable or not assessed."
            ),
            enum=LEGAL_EXTENTS,
            importable=False,
        ),
        Column(
            "instruments",
            "links",
            _l(
                "Instruments addressing the provision, as 'id:extent:articles' items separated "
                "by ';' (extent is partial or full; in articles, '%' and ';' are written %25 and "
                "%3B)."
            ),
        ),
        _field("evidence", _l("Evidence and sources for the judgement."), _C["evidence"]),
        Column(
            "is_example",
            "boolean",
            _l("Derived (ignored on import): true for example judgements from the demo data."),
            importable=False,
        ),
        Column(
            "version",
            "integer",
            _l("Edit counter of the judgement (empty when not judged). Keep it as exported."),
            minimum=1,
        ),
        _sources(
            _l(
                "The pages the judgement's evidence cites, one a line: the kind (official, "
                "legal_database, intergovernmental or secondary), a space, the http(s) link, then "
                "optionally a space and a short note."
            )
        ),
        _field(
            "evidence_lang",
            _l("Language of the evidence (BCP 47 tag); empty when not recorded."),
            _C["evidence_lang"],
            may_be_absent=True,
        ),
    ),
    primary_key=("country_iso3", "checklist_version", "provision_code"),
    foreign_keys=(
        ForeignKey(("country_iso3",), "countries", ("iso3",)),
        ForeignKey(
            ("checklist_version", "provision_code"), "checklist", ("checklist_version", "code")
        ),
    ),
    importable=True,
)

MILESTONES = Table(
    name="milestones",
    title=_l("Milestones"),
    description=_l(
        "Steps of the ITU-CST project and context events in each country, planned and actual; "
        "without a country filter, also the project's own timeline (rows without a country)."
    ),
    columns=(
        Column(
            "id",
            "integer",
            _l("Identifier of the milestone. Leave empty on import to create one."),
            minimum=1,
        ),
        Column(
            "country_iso3",
            "string",
            _l(
                "ISO 3166-1 alpha-3 code of the country; empty for the project's own timeline "
                "(not importable: administrators edit it in the workspace)."
            ),
            pattern=ISO3,
        ),
        _field("kind", _l("Kind of milestone."), _M["kind"]),
        _field("title", _l("Title of the milestone."), _M["title"]),
        _date("planned_on", _l("Planned date."), _M["planned_on"]),
        _date("actual_on", _l("Date it actually happened."), _M["actual_on"]),
        _field("place", _l("Where it took place."), _M["place"]),
        _field("status", _l("Status."), _M["status"]),
        _field("source_url", _l("Link to a public source."), _M["source_url"]),
        _field("notes", _l("Notes."), _M["notes"]),
        Column(
            "version",
            "integer",
            _l("Edit counter of the record. Keep it as exported."),
            minimum=1,
        ),
        Column(
            "source_kind",
            "string",
            _l(
                "Kind of the source link: official, legal_database, intergovernmental or "
                "secondary (press, document-sharing mirrors)."
            ),
            rule=_M["source_kind"],
            may_be_absent=True,
        ),
        _field(
            "nature",
            _l(
                "project (a step of the ITU-CST project, counted in milestones done) or context "
                "(an event around it, shown in the timeline only)."
            ),
            _M["nature"],
            may_be_absent=True,
        ),
        _field(
            "title_lang", _l("Language of the title (BCP 47 tag)."), _M["title_lang"],
            may_be_absent=True,
        ),
        _field(
            "notes_lang",
            _l("Language of the notes (BCP 47 tag); empty when not recorded."),
            _M["notes_lang"],
            may_be_absent=True,
        ),
    ),
    primary_key=("id",),
    foreign_keys=(ForeignKey(("country_iso3",), "countries", ("iso3",)),),
    importable=True,
)

MONITOR_VALUES = Table(
    name="monitor_values",
    title=_l("Global E-waste Monitor values"),
    description=_l(
        "The Global E-waste Monitor's own published values of its four legislation indicators, "
        "one row per country, edition and indicator, each beside the value derived from this "
        "record (the same as in countries.csv)."
    ),
    columns=(
        country_iso3,
        Column(
            "edition",
            "integer",
            _l("Edition of the Monitor (its year, e.g. 2024)."),
            True,
            minimum=2000,
        ),
        Column("indicator", "string", _l("Code of the indicator."), True, enum=GEM),
        Column("published_value", "boolean", _l("The value the Monitor publishes."), True),
        Column(
            "derived_value",
            "boolean",
            _l(
                "The indicator derived from this record today (empty when no checklist is "
                "loaded)."
            ),
        ),
        Column(
            "disagrees",
            "boolean",
            _l("true when the published and the derived value differ."),
        ),
        Column("source_url", "string", _l("Where the Monitor publishes the value."), True),
        Column("note", "string", _l("Note on the value.")),
    ),
    primary_key=("country_iso3", "edition", "indicator"),
    foreign_keys=(ForeignKey(("country_iso3",), "countries", ("iso3",)),),
)

COVERAGE_LINKS = Table(
    name="coverage_links",
    title=_l("Coverage links"),
    description=_l(
        "One row per link between a provision and an instrument that addresses it, in one "
        "country: how fully, the articles, and the evidence a reader can check (a short excerpt "
        "of the legal text quoted exactly, in its language, an optional English translation "
        "marked official or unofficial, and a link to the exact article or page)."
    ),
    columns=(
        country_iso3,
        Column(
            "checklist_version",
            "string",
            _l("Code of the checklist version of the provision."),
            True,
        ),
        Column("provision_code", "string", _l("Code of the provision."), True),
        Column(
            "instrument_id",
            "integer",
            _l("Identifier of the instrument (see instruments.csv)."),
            True,
            minimum=1,
        ),
        Column(
            "instrument_title",
            "string",
            _l("Derived (ignored on import): title of the instrument in its original language."),
            importable=False,
        ),
        _field("extent", _l("How fully the instrument addresses the provision."), _L["extent"]),
        _field("articles", _l("Articles or sections that address it."), _L["articles"]),
        _field(
            "excerpt",
            _l("A short excerpt of the legal text, quoted exactly, in the instrument's language."),
            _L["excerpt"],
        ),
        _field(
            "excerpt_lang",
            _l("Language of the excerpt (BCP 47 tag); required with an excerpt."),
            _L["excerpt_lang"],
        ),
        _field("translation", _l("An English translation of the excerpt."), _L["translation"]),
        _field(
            "translation_status",
            _l("official or unofficial; required with a translation."),
            _L["translation_status"],
        ),
        _field(
            "article_url",
            _l("Link (http or https) to the exact article or page of the text."),
            _L["article_url"],
        ),
        Column(
            "is_example",
            "boolean",
            _l("Derived (ignored on import): true for example judgements from the demo data."),
            importable=False,
        ),
        Column(
            "version",
            "integer",
            _l(
                "Edit counter of the judgement the link belongs to (see coverage.csv). Keep it as "
                "exported: an import refuses rows whose judgement changed since the export."
            ),
            True,
            minimum=1,
        ),
    ),
    primary_key=("country_iso3", "checklist_version", "provision_code", "instrument_id"),
    foreign_keys=(
        ForeignKey(("country_iso3",), "countries", ("iso3",)),
        ForeignKey(
            ("checklist_version", "provision_code"), "checklist", ("checklist_version", "code")
        ),
        ForeignKey(("instrument_id",), "instruments", ("id",)),
    ),
    importable=True,
)

TEXT_TRANSLATIONS = Table(
    name="text_translations",
    title=_l("Text translations"),
    description=_l(
        "Translations of records' texts into the site's languages, one row per text and "
        "language: instrument summaries, the evidence of judgements, milestone titles and notes. "
        "The original text, with its language, stays in instruments.csv, coverage.csv or "
        "milestones.csv; without a country filter, also the translations of the project's own "
        "timeline (rows without a country)."
    ),
    columns=(
        Column(
            "country_iso3",
            "string",
            _l(
                "ISO 3166-1 alpha-3 code of the country; empty for the project's own timeline "
                "(not importable: administrators edit it in the workspace)."
            ),
            pattern=ISO3,
        ),
        Column(
            "record",
            "string",
            _l("Kind of record: instrument, coverage (a judgement) or milestone."),
            True,
            enum=tuple(fields.TRANSLATABLE),
        ),
        Column(
            "record_id",
            "integer",
            _l(
                "Identifier of the instrument or milestone (see instruments.csv and "
                "milestones.csv); empty for a judgement."
            ),
            minimum=1,
        ),
        Column(
            "checklist_version",
            "string",
            _l("For a judgement: code of the checklist version of its provision; else empty."),
        ),
        Column(
            "provision_code",
            "string",
            _l("For a judgement: code of its provision (see coverage.csv); else empty."),
        ),
        Column(
            "field",
            "string",
            _l(
                "The text translated: summary (instrument), evidence (judgement), title or notes "
                "(milestone)."
            ),
            True,
            enum=tuple(sorted({name for names in fields.TRANSLATABLE.values() for name in names})),
        ),
        Column(
            "locale",
            "string",
            _l("Language of the translation: one of the site's languages."),
            True,
            enum=LOCALES,
        ),
        _field("text", _l("The translated text."), fields.TEXT_TRANSLATION["text"]),
        Column(
            "version",
            "integer",
            _l(
                "Edit counter of the translation. Keep it as exported: an import refuses rows "
                "whose translation changed since the export. Empty for a new translation."
            ),
            minimum=1,
        ),
    ),
    primary_key=(
        "country_iso3",
        "record",
        "record_id",
        "checklist_version",
        "provision_code",
        "field",
        "locale",
    ),
    foreign_keys=(ForeignKey(("country_iso3",), "countries", ("iso3",)),),
    importable=True,
)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        COUNTRIES,
        CHECKLIST,
        INSTRUMENTS,
        COVERAGE,
        MILESTONES,
        MONITOR_VALUES,
        COVERAGE_LINKS,
        TEXT_TRANSLATIONS,
    )
}
IMPORTABLE: dict[str, Table] = {name: t for name, t in TABLES.items() if t.importable}


def frictionless_schema(table: Table, describe: Callable[[Any], str] = str) -> dict:
    """The Table Schema of ``table`` (Frictionless v1 descriptor)."""
    fields = []
    for col in table.columns:
        f: dict[str, Any] = {
            "name": col.name,
            "type": col.frictionless_type,
            "description": describe(col.description),
        }
        if col.type == "boolean":
            f["trueValues"] = ["true"]
            f["falseValues"] = ["false"]
        if col.format_note is not None:
            f["description"] += " " + describe(col.format_note)
        constraints: dict[str, Any] = {}
        if col.required:
            constraints["required"] = True
        if col.enum:
            constraints["enum"] = list(col.enum)
        if col.pattern:
            constraints["pattern"] = col.pattern.removeprefix("^").removesuffix("$")
        if col.max_length:
            constraints["maxLength"] = col.max_length + 1  # room for a formula-escaping quote
        if col.minimum is not None:
            constraints["minimum"] = col.minimum
        if col.maximum is not None:
            constraints["maximum"] = col.maximum
        if constraints:
            f["constraints"] = constraints
        fields.append(f)
    schema: dict[str, Any] = {
        "fields": fields,
        "missingValues": [""],
        "primaryKey": list(table.primary_key),
    }
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {
                "fields": list(fk.fields),
                "reference": {"resource": fk.resource, "fields": list(fk.reference)},
            }
            for fk in table.foreign_keys
        ]
    return schema


# The data's licence (the about page says the same), in the Data Package's ``licenses`` form: an
# Open Definition licence id, its address and its title.
DATA_LICENCE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0",
}


def datapackage(
    homepage: str | None,
    created: str,
    publications: Sequence[tuple[str, int, date]] = (),
    as_of: date | None = None,
    url: str | None = None,
) -> dict:
    """The Frictionless Data Package descriptor of every table (English, relative paths).

    Without a ``homepage`` (no host configured to build it from) the key is left out. The files
    hold each country's latest publication, or those in force at the end of ``as_of`` (UTC):
    ``publications`` names them (country, number, date), and ``citation`` says how to cite
    exactly this release: with ``as_of``, the package's own ``url``; without, the same URL with
    the day it was made, which keeps serving these files however the record changes later."""
    with force_locale("en"):
        resources = [
            {
                "name": table.name,
                "path": table.filename,
                "title": str(table.title),
                "description": str(table.description),
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {
                    "delimiter": ",",
                    "lineTerminator": "\r\n",
                    "quoteChar": '"',
                    "doubleQuote": True,
                    "header": True,
                },
                "schema": frictionless_schema(table),
            }
            for table in TABLES.values()
        ]
        package = {
            "profile": "tabular-data-package",
            "name": "ewaste-regulation-tracker",
            "title": str(_("E-waste regulation tracker")),
            "description": str(
                _(
                    "Countries, the model-law checklist, legal instruments, coverage judgements "
                    "and project milestones of the ITU-CST e-waste regulation project."
                )
            ),
            "homepage": homepage,
            "licenses": [DATA_LICENCE],
            "created": created,
            "resources": resources,
        }
        day = as_of or date.fromisoformat(created[:10])
        if as_of is not None:
            package["as_of"] = as_of.isoformat()
        package["publications"] = [
            {"country": iso3, "number": number, "published_on": on.isoformat()}
            for iso3, number, on in publications
        ]
        cite = url or "/exports/datapackage.json"
        if as_of is None:
            cite += ("&" if "?" in cite else "?") + f"as_of={day.isoformat()}"
        package["citation"] = (
            f"E-waste regulation tracker, data package as of {day.isoformat()}: the "
            f"publications in force at the end of that day (UTC), {len(publications)} "
            f"countries. {cite}. Licence: CC BY 4.0."
        )
    if homepage is None:
        del package["homepage"]
    return package
