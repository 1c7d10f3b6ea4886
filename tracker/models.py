"""The domain model: countries, checklist versions, instruments, coverage, milestones, users, history.

Design rules (see STYLE.md):
- tables are named explicitly and constraints get names from the convention in ``tracker.db``;
- coded values are ``StrEnum``s stored as their lower-case value (the stable code used in exports),
  with a CHECK constraint listing the allowed codes and a translated ``label``;
- dates of legal events are ``date``, each with a precision column beside it (``<name>_precision``:
  day, month or year; the date is the period's first day, see ``tracker.dates``); timestamps are
  timezone-aware UTC;
- every editable record has a ``version`` counter for lost-update detection;
- how far a provision is covered "in force" or "including drafts" is *derived* from the coverage
  links and the instruments' lifecycle status, never stored.
"""

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, Relationship, SQLModel

from tracker import db as _db  # noqa: F401  (applies the naming convention before any table exists)
from tracker import fields
from tracker.codes import (  # noqa: F401  (re-exported: models and codes go together)
    LABELS,
    ChangeAction,
    Choice,
    CommentKind,
    DatePrecision,
    Extent,
    GemIndicator,
    Implementation,
    InstrumentStatus,
    InstrumentType,
    Level,
    MilestoneKind,
    MilestoneNature,
    MilestoneStatus,
    RelationKind,
    ReviewState,
    Role,
    SourceKind,
    TranslationStatus,
)


def utcnow() -> datetime:
    """Aware UTC now. SQLModel stores timestamps as ``UTCDateTime`` and refuses naive values."""
    return datetime.now(UTC)


class CodeType(sa.types.TypeDecorator):
    """Stores a ``Choice`` as its code (VARCHAR) and loads it back as the enum member.

    Binding an unknown code raises, so bad values never reach the database even before the CHECK
    constraint would refuse them. Migrations render it as a plain ``sa.String``.
    """

    impl = sa.String
    cache_ok = True

    def __init__(self, enum: type[Choice], length: int = 32):
        super().__init__(length=length)
        self.enum = enum
        self._members = {member.value: member for member in enum}  # a dict lookup per row

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return self.enum(value).value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        member = self._members.get(value)
        return member if member is not None else self.enum(value)


def code_check(column: str, enum: type[Choice], nullable: bool = False) -> sa.CheckConstraint:
    """A named CHECK constraint listing the allowed codes of ``enum``."""
    allowed = ", ".join(f"'{code}'" for code in enum.codes())
    sql = f"{column} IN ({allowed})"
    if nullable:
        sql = f"{column} IS NULL OR {sql}"
    return sa.CheckConstraint(sql, name=f"{column}_code")


def code_field(enum: type[Choice], default: Any = ..., nullable: bool = False, **kw) -> Any:
    if nullable and default is ...:
        default = None
    return Field(default=default, sa_type=CodeType(enum), nullable=nullable, **kw)


def precision_field() -> Any:
    """How precise the date beside it is (``tracker.dates``): day, month or year."""
    return Field(
        default=DatePrecision.DAY,
        sa_type=CodeType(DatePrecision, length=5),
        nullable=False,
        sa_column_kwargs={"server_default": DatePrecision.DAY.value},
    )


def precision_checks(*dates: str) -> list[sa.CheckConstraint]:
    """The CHECK constraints of the precision columns of ``dates``."""
    return [code_check(f"{name}_precision", DatePrecision) for name in dates]


def text_field(nullable: bool = True, **kw) -> Any:
    return Field(default=None if nullable else ..., sa_type=sa.Text, nullable=nullable, **kw)


def _limited(rule: fields.Rule, **kw) -> Any:
    """A VARCHAR column as long as its field rule allows (``tracker.fields``), so every value the
    forms and the import accept fits; nullable unless the rule requires a value."""
    if rule.required:
        return Field(max_length=rule.max_length, **kw)
    return Field(default=None, max_length=rule.max_length, **kw)


YEAR = fields.INSTRUMENT["year"]


# --- tables -------------------------------------------------------------------------------------


class Country(SQLModel, table=True):
    """A country taking part in the project. Display names come from CLDR, never from here."""

    __tablename__ = "country"
    __table_args__ = (
        sa.CheckConstraint("length(iso3) = 3 AND iso3 = upper(iso3)", name="iso3_format"),
        sa.CheckConstraint("length(iso2) = 2 AND iso2 = upper(iso2)", name="iso2_format"),
        *precision_checks("joined_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    iso3: str = Field(max_length=fields.COUNTRY["iso3"].max_length, unique=True)
    iso2: str = Field(max_length=fields.COUNTRY["iso2"].max_length, unique=True)
    joined_on: date | None = None
    joined_on_precision: DatePrecision = precision_field()
    languages: str = Field(
        default="", max_length=fields.COUNTRY["languages"].max_length
    )  # BCP 47 tags
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def language_list(self) -> list[str]:
        return self.languages.split()


class ChecklistVersion(SQLModel, table=True):
    """A version of the model-law checklist (e.g. ``2025.1``); exactly one may be current.

    Once a publication uses a version, its content is frozen (``tracker.write.frozen``); changes
    go into a draft version, which an administrator makes current (``tracker.write.versions``).
    """

    __tablename__ = "checklist_version"
    __table_args__ = (
        sa.Index(
            "uq_checklist_version_one_current",
            "is_current",
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        ),
        # At most one draft at a time: two admins creating one at the same moment make one.
        sa.Index(
            "uq_checklist_version_one_draft",
            "is_draft",
            unique=True,
            sqlite_where=sa.text("is_draft"),
            postgresql_where=sa.text("is_draft"),
        ),
        *precision_checks("published_on"),
        sa.CheckConstraint("NOT (is_draft AND is_current)", name="draft_not_current"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    title: str = Field(max_length=200)
    published_on: date | None = None
    published_on_precision: DatePrecision = precision_field()
    is_current: bool = False
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    # A draft is being prepared (a copy of the current version, edited) and is not yet in use;
    # a version neither draft nor current has been superseded (issue 12).
    is_draft: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})

    @property
    def state(self) -> str:
        """``draft``, ``current`` or ``superseded``."""
        return "draft" if self.is_draft else "current" if self.is_current else "superseded"


class Category(SQLModel, table=True):
    """A group of provisions within one checklist version (e.g. ``EPR``)."""

    __tablename__ = "category"
    __table_args__ = (sa.UniqueConstraint("checklist_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    checklist_id: int = Field(foreign_key="checklist_version.id", ondelete="CASCADE", index=True)
    code: str = Field(max_length=20)
    position: int = 0

    names: list["CategoryName"] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )


class CategoryName(SQLModel, table=True):
    __tablename__ = "category_name"
    __table_args__ = (sa.UniqueConstraint("category_id", "locale"),)

    id: int | None = Field(default=None, primary_key=True)
    category_id: int = Field(foreign_key="category.id", ondelete="CASCADE", index=True)
    locale: str = Field(max_length=12)
    name: str = Field(max_length=200)


class Provision(SQLModel, table=True):
    """One provision of a checklist version; ``code`` is stable across versions."""

    __tablename__ = "provision"
    __table_args__ = (
        sa.UniqueConstraint("checklist_id", "code"),
        code_check("level", Level),
        code_check("gem_indicator", GemIndicator, nullable=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    checklist_id: int = Field(foreign_key="checklist_version.id", ondelete="CASCADE", index=True)
    category_id: int = Field(foreign_key="category.id", index=True)
    code: str = Field(max_length=fields.PROVISION["code"].max_length)
    level: Level = code_field(Level, default=Level.RECOMMENDED)
    position: int = 0
    gem_indicator: GemIndicator | None = code_field(GemIndicator, nullable=True)
    sources: str | None = text_field()
    retired: bool = False
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    texts: list["ProvisionText"] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )


class ProvisionText(SQLModel, table=True):
    """A provision's title and "fully addressed when" guidance in one language."""

    __tablename__ = "provision_text"
    __table_args__ = (sa.UniqueConstraint("provision_id", "locale"),)

    id: int | None = Field(default=None, primary_key=True)
    provision_id: int = Field(foreign_key="provision.id", ondelete="CASCADE", index=True)
    locale: str = Field(max_length=fields.PROVISION_TEXT["locale"].max_length)
    title: str = Field(max_length=fields.PROVISION_TEXT["title"].max_length)
    guidance: str = Field(sa_type=sa.Text)


class Instrument(SQLModel, table=True):
    """A legal or policy text of one country, in its original language, with its lifecycle."""

    __tablename__ = "instrument"
    __table_args__ = (
        code_check("type", InstrumentType),
        code_check("status", InstrumentStatus),
        sa.CheckConstraint(
            f"year IS NULL OR (year >= {YEAR.minimum} AND year <= {YEAR.maximum})",
            name="year_range",
        ),
        *precision_checks(*fields.INSTRUMENT_DATES),
    )

    id: int | None = Field(default=None, primary_key=True)
    country_id: int = Field(foreign_key="country.id", index=True)
    type: InstrumentType = code_field(InstrumentType)
    title: str = _limited(fields.INSTRUMENT["title"])
    title_lang: str = _limited(fields.INSTRUMENT["title_lang"])
    number: str | None = _limited(fields.INSTRUMENT["number"])
    issuing_body: str | None = _limited(fields.INSTRUMENT["issuing_body"])
    status: InstrumentStatus = code_field(InstrumentStatus)
    year: int | None = None
    consultation_on: date | None = None
    validated_on: date | None = None
    adopted_on: date | None = None
    published_on: date | None = None
    in_force_on: date | None = None
    amended_on: date | None = None
    repealed_on: date | None = None
    consultation_on_precision: DatePrecision = precision_field()
    validated_on_precision: DatePrecision = precision_field()
    adopted_on_precision: DatePrecision = precision_field()
    published_on_precision: DatePrecision = precision_field()
    in_force_on_precision: DatePrecision = precision_field()
    amended_on_precision: DatePrecision = precision_field()
    repealed_on_precision: DatePrecision = precision_field()
    dates_note: str | None = _limited(fields.INSTRUMENT["dates_note"])
    url: str | None = _limited(fields.INSTRUMENT["url"])
    summary: str | None = text_field()
    ewaste_specific: bool = False  # an e-waste instrument, not a general one that touches it
    summary_lang: str | None = _limited(fields.INSTRUMENT["summary_lang"])
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    titles: list["InstrumentTitle"] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )
    sources: list["InstrumentSource"] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "InstrumentSource.id"}
    )
    # This instrument's own relations (made under / amends / repeals another); the relations
    # other instruments have to this one are theirs.
    relations: list["InstrumentRelation"] = Relationship(
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "foreign_keys": "[InstrumentRelation.instrument_id]",
            "order_by": "InstrumentRelation.id",
        }
    )


class InstrumentSource(SQLModel, table=True):
    """A source of an instrument (a link, its kind, a short note), owned by the instrument."""

    __tablename__ = "instrument_source"
    __table_args__ = (code_check("kind", SourceKind),)

    id: int | None = Field(default=None, primary_key=True)
    instrument_id: int = Field(foreign_key="instrument.id", ondelete="CASCADE", index=True)
    url: str = _limited(fields.SOURCE["url"])
    kind: SourceKind = code_field(SourceKind)
    note: str | None = _limited(fields.SOURCE["note"])


class InstrumentTitle(SQLModel, table=True):
    """A translated title of an instrument (the original stays on the instrument)."""

    __tablename__ = "instrument_title"
    __table_args__ = (sa.UniqueConstraint("instrument_id", "locale"),)

    id: int | None = Field(default=None, primary_key=True)
    instrument_id: int = Field(foreign_key="instrument.id", ondelete="CASCADE", index=True)
    locale: str = _limited(fields.INSTRUMENT_TITLE["locale"])
    title: str = _limited(fields.INSTRUMENT_TITLE["title"])


class InstrumentRelation(SQLModel, table=True):
    """``instrument`` is made under / amends / repeals ``target``."""

    __tablename__ = "instrument_relation"
    __table_args__ = (
        sa.UniqueConstraint("instrument_id", "target_id", "kind"),
        sa.CheckConstraint("instrument_id <> target_id", name="not_self"),
        code_check("kind", RelationKind),
    )

    id: int | None = Field(default=None, primary_key=True)
    instrument_id: int = Field(foreign_key="instrument.id", ondelete="CASCADE", index=True)
    target_id: int = Field(foreign_key="instrument.id", ondelete="CASCADE", index=True)
    kind: RelationKind = code_field(RelationKind)


class Coverage(SQLModel, table=True):
    """A country's judgement on one provision: applicability, implementation and evidence.

    Legal coverage is not stored here: it follows from the ``CoverageLink`` rows and the linked
    instruments' status (see ``tracker.scoring``).
    """

    __tablename__ = "coverage"
    __table_args__ = (
        sa.UniqueConstraint("country_id", "provision_id"),
        sa.CheckConstraint(
            "applicable OR not_applicable_reason IS NOT NULL", name="reason_when_not_applicable"
        ),
        code_check("implementation", Implementation),
    )

    id: int | None = Field(default=None, primary_key=True)
    country_id: int = Field(foreign_key="country.id", index=True)
    provision_id: int = Field(foreign_key="provision.id", index=True)
    applicable: bool = True
    not_applicable_reason: str | None = text_field()
    implementation: Implementation = code_field(Implementation, default=Implementation.NONE)
    evidence: str | None = text_field()
    evidence_lang: str | None = _limited(fields.COVERAGE["evidence_lang"])
    is_example: bool = False
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    links: list["CoverageLink"] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "CoverageLink.id"}
    )
    sources: list["CoverageSource"] = Relationship(
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "CoverageSource.id"}
    )


class CoverageSource(SQLModel, table=True):
    """A source link of a judgement, besides its evidence text (owned by the judgement)."""

    __tablename__ = "coverage_source"
    __table_args__ = (code_check("kind", SourceKind),)

    id: int | None = Field(default=None, primary_key=True)
    coverage_id: int = Field(foreign_key="coverage.id", ondelete="CASCADE", index=True)
    url: str = _limited(fields.SOURCE["url"])
    kind: SourceKind = code_field(SourceKind)
    note: str | None = _limited(fields.SOURCE["note"])


class CoverageLink(SQLModel, table=True):
    """An instrument addressing a provision for a country: how fully, and where (articles).

    The evidence a reader can check: an excerpt of the legal text quoted exactly, in its language
    (``excerpt_lang``), an optional translation marked official or unofficial, and a link to the
    exact article or page.
    """

    __tablename__ = "coverage_link"
    __table_args__ = (
        sa.UniqueConstraint("coverage_id", "instrument_id"),
        code_check("extent", Extent),
        code_check("translation_status", TranslationStatus, nullable=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    coverage_id: int = Field(foreign_key="coverage.id", ondelete="CASCADE", index=True)
    instrument_id: int = Field(foreign_key="instrument.id", ondelete="CASCADE", index=True)
    extent: Extent = code_field(Extent)
    articles: str | None = _limited(fields.COVERAGE_LINK["articles"])
    excerpt: str | None = text_field()
    excerpt_lang: str | None = _limited(fields.COVERAGE_LINK["excerpt_lang"])
    translation: str | None = text_field()
    translation_status: TranslationStatus | None = code_field(TranslationStatus, nullable=True)
    article_url: str | None = _limited(fields.COVERAGE_LINK["article_url"])


class Milestone(SQLModel, table=True):
    """A step of the ITU-CST project or a context event around it, planned and (once it
    happens) actual: in one country, or, without a country, on the project's own timeline
    (agreement, launch, toolkit, regional events; edited by administrators only)."""

    __tablename__ = "milestone"
    __table_args__ = (
        code_check("kind", MilestoneKind),
        code_check("status", MilestoneStatus),
        *precision_checks("planned_on", "actual_on"),
        code_check("source_kind", SourceKind, nullable=True),
        code_check("nature", MilestoneNature),
    )

    id: int | None = Field(default=None, primary_key=True)
    country_id: int | None = Field(default=None, foreign_key="country.id", index=True)
    kind: MilestoneKind = code_field(MilestoneKind)
    title: str = _limited(fields.MILESTONE["title"])
    planned_on: date | None = None
    actual_on: date | None = None
    planned_on_precision: DatePrecision = precision_field()
    actual_on_precision: DatePrecision = precision_field()
    place: str | None = _limited(fields.MILESTONE["place"])
    status: MilestoneStatus = code_field(MilestoneStatus, default=MilestoneStatus.PLANNED)
    source_url: str | None = _limited(fields.MILESTONE["source_url"])
    notes: str | None = text_field()
    source_kind: SourceKind | None = code_field(SourceKind, nullable=True)
    nature: MilestoneNature = code_field(MilestoneNature, default=MilestoneNature.PROJECT)
    title_lang: str | None = _limited(fields.MILESTONE["title_lang"])
    notes_lang: str | None = _limited(fields.MILESTONE["notes_lang"])
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class TextTranslation(SQLModel, table=True):
    """A record's text translated into one locale: keyed by record kind (its table name), record
    id, field and locale (``tracker.fields.TRANSLATABLE``). The original stays on the record,
    with its language in ``<field>_lang``; the write path deletes a record's translations with
    it. Which text a reader sees is ``tracker.read.texts``' rule."""

    __tablename__ = "text_translation"
    __table_args__ = (sa.UniqueConstraint("entity", "entity_id", "field", "locale"),)

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=40)
    entity_id: int
    field: str = Field(max_length=40)
    locale: str = _limited(fields.TEXT_TRANSLATION["locale"])
    text: str = Field(sa_type=sa.Text)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class MonitorValue(SQLModel, table=True):
    """The Global E-waste Monitor's own published value of one indicator for one country in one
    edition (e.g. 2024), with its source: shown beside the value derived from this record."""

    __tablename__ = "monitor_value"
    __table_args__ = (
        sa.UniqueConstraint("country_id", "edition", "indicator"),
        code_check("indicator", GemIndicator),
    )

    id: int | None = Field(default=None, primary_key=True)
    country_id: int = Field(foreign_key="country.id", index=True)
    edition: int
    indicator: GemIndicator = code_field(GemIndicator)
    value: bool
    source_url: str = _limited(fields.MONITOR_VALUE["source_url"])
    note: str | None = text_field()
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CountryFact(SQLModel, table=True):
    """A country's e-waste figures for one year: generated and formally collected, in kg and kg
    per capita, with their source. Any figure no source gives stays empty ("not recorded")."""

    __tablename__ = "country_fact"
    __table_args__ = (
        sa.UniqueConstraint("country_id", "year"),
        sa.CheckConstraint(
            "(generated_kg IS NULL OR generated_kg >= 0)"
            " AND (generated_kg_per_capita IS NULL OR generated_kg_per_capita >= 0)"
            " AND (collected_kg IS NULL OR collected_kg >= 0)"
            " AND (collected_kg_per_capita IS NULL OR collected_kg_per_capita >= 0)",
            name="not_negative",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    country_id: int = Field(foreign_key="country.id", index=True)
    year: int
    generated_kg: float | None = None
    generated_kg_per_capita: float | None = None
    collected_kg: float | None = None
    collected_kg_per_capita: float | None = None
    source_url: str = _limited(fields.COUNTRY_FACT["source_url"])
    note: str | None = text_field()
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    """A staff account. Editors are bound to one country; admins to none."""

    __tablename__ = "user_account"
    __table_args__ = (
        code_check("role", Role),
        sa.CheckConstraint("role = 'admin' OR country_id IS NOT NULL", name="editor_has_country"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=fields.USER["email"].max_length, unique=True)
    password_hash: str = Field(max_length=255)
    role: Role = code_field(Role, default=Role.EDITOR)
    country_id: int | None = Field(default=None, foreign_key="country.id", index=True)
    is_active: bool = True
    last_login_at: datetime | None = None
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ChangeRecord(SQLModel, table=True):
    """Who changed which record when, with its values before and after (JSON)."""

    __tablename__ = "change_record"
    __table_args__ = (
        sa.Index("ix_change_record_entity", "entity", "entity_id"),
        code_check("action", ChangeAction),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL", index=True
    )
    actor: str = Field(max_length=254)  # the user's email at the time, or "cli" / "demo"
    action: ChangeAction = code_field(ChangeAction)
    entity: str = Field(max_length=40)
    entity_id: int
    country_id: int | None = Field(default=None, index=True)
    summary: str = Field(default="", max_length=500)
    before: dict | None = Field(default=None, sa_type=JSON)
    after: dict | None = Field(default=None, sa_type=JSON)


class LoginAttempt(SQLModel, table=True):
    """A failed sign-in, kept in the database so the throttle holds across workers and instances.

    One row per failure, keyed by the normalised email tried and the client address; rows older
    than the throttle window are deleted as new failures arrive (see ``tracker.web.auth``).
    """

    __tablename__ = "login_attempt"
    __table_args__ = (
        sa.Index("ix_login_attempt_email_at", "email", "at"),
        sa.Index("ix_login_attempt_address_at", "address", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    email: str = Field(max_length=254)
    address: str = Field(max_length=64)


class ImportReceipt(SQLModel, table=True):
    """A confirmed CSV import, keyed by its confirmation token (``tracker.imports``).

    The key is unique and inserted in the transaction that applies the import, so the database
    itself lets one previewed file be applied at most once, even when the same confirmation
    arrives twice at the same moment on two instances. Receipts older than a token's lifetime
    can no longer match anything and are deleted as new ones arrive.
    """

    __tablename__ = "import_receipt"

    id: int | None = Field(default=None, primary_key=True)
    token_key: str = Field(max_length=64, unique=True)  # SHA-256 of the signed token, in hex
    at: datetime = Field(default_factory=utcnow, index=True)
    user_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL", index=True
    )
    country_id: int | None = Field(default=None, index=True)
    table_name: str = Field(max_length=20)
    created: int = 0
    changed: int = 0


class FormReceipt(SQLModel, table=True):
    """A staff form that was applied, keyed by the one-time key its page carried
    (``tracker.write.transaction(once=...)``).

    The key is unique and inserted in the transaction that applies the form, so the database
    itself lets a form be applied once: a double click, a resent request or the same form sent
    to two instances at the same moment saves one comment, one instrument, one edit. Receipts
    older than ``tracker.write.RECEIPT_DAYS`` are deleted as new ones arrive.
    """

    __tablename__ = "form_receipt"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    at: datetime = Field(default_factory=utcnow, index=True)


class StaffSession(SQLModel, table=True):
    """A signed-in browser: the server side of a staff session (``tracker.write.sessions``).

    The session cookie carries only a random token; this row is found by the token's SHA-256, so
    a copy of the table cannot be replayed as cookies. Signing out deletes the row, and with it
    every copy of the cookie, on every instance; deactivating an account or setting a new
    password deletes all of the account's rows. A row is also dead once it has been idle, or has
    existed, longer than the configured lifetimes, or when the account's password hash no longer
    matches the fingerprint taken at sign-in.
    """

    __tablename__ = "staff_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    password_fingerprint: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)


class DataVersion(SQLModel, table=True):
    """One row: a counter of changes to what the public pages show (``tracker.web.caching``).

    ``tracker.write.transaction`` adds one to it in the same transaction as every change to a
    public table, so reading this single row tells any instance whether a cached page or an ETag
    is still current, without scanning the data. Account, sign-in and session tables do not bump it.
    """

    __tablename__ = "data_version"

    id: int = Field(default=1, primary_key=True)
    value: int = Field(default=1, sa_type=sa.BigInteger)
    changed_at: datetime = Field(default_factory=utcnow)


# The one row exists as soon as the table does (``create_all`` in tests; the migration inserts it too).
sa.event.listen(
    DataVersion.__table__,
    "after_create",
    sa.DDL("INSERT INTO data_version (id, value, changed_at) VALUES (1, 1, CURRENT_TIMESTAMP)"),
)

# --- review and publication (issue 12) -------------------------------------------------------------


class Publication(SQLModel, table=True):
    """A frozen release of one country's record, numbered 1, 2, ... per country.

    ``snapshot`` holds every row of the tables that make up the country's record
    (``tracker.write.record.record_tables``), all columns, as they were when it was published;
    ``figures`` the headline figures computed from them then. The write layer only ever inserts
    publications: no code path updates or deletes one (``tracker.write.review``), and a
    correction is a new publication whose message says what it corrects.
    """

    __tablename__ = "publication"
    __table_args__ = (sa.UniqueConstraint("country_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    country_id: int = Field(foreign_key="country.id", index=True)
    number: int
    checklist_id: int | None = Field(default=None, foreign_key="checklist_version.id", index=True)
    checklist_code: str | None = Field(default=None, max_length=20)
    published_at: datetime = Field(default_factory=utcnow, index=True)
    published_by_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL", index=True
    )
    published_by: str = Field(max_length=254)  # the publisher's email then, or a system actor
    message: str = Field(sa_type=sa.Text)
    is_example: bool = False  # made by the demo loader: example data
    snapshot: dict = Field(default_factory=dict, sa_type=JSON)
    figures: dict = Field(default_factory=dict, sa_type=JSON)


class PublicationFigures(SQLModel, table=True):
    """A publication's row of countries.csv as computed on one *basis*: the shared tables as they
    stood (their stamp) and the code that computed them (``tracker.read.stored``).

    The publish transaction stores the row it froze; a worker that finds none for the current
    basis (the checklist or the code changed since) computes it once and stores it, so every
    worker and instance then reads the figures of 250 countries in one query instead of scoring
    a million judgements. A cache, never a record: nothing here is shown that the publication
    would not give, and any row may be deleted (it is computed again).
    """

    __tablename__ = "publication_figures"

    publication_id: int = Field(foreign_key="publication.id", primary_key=True)
    basis: str = Field(max_length=64, primary_key=True)
    figures: dict = Field(default_factory=dict, sa_type=JSON)
    computed_at: datetime = Field(default_factory=utcnow)


class PublicationPiece(SQLModel, table=True):
    """One country's rows of a CSV export written a country at a time (instruments, coverage,
    milestones, coverage_links), as its publication gives them on one *basis* (the shared tables
    as they stood and the code, ``tracker.read.stored``): the CSV text without its header,
    compressed with zlib (an empty text when the publication has no such rows).

    The first worker that writes a country's rows stores them, so every other worker and
    instance, and every worker started later, copies them instead of building a replica of the
    publications and writing them again. A cache, never a record: any row may be deleted (the
    rows are written again).
    """

    __tablename__ = "publication_pieces"

    publication_id: int = Field(foreign_key="publication.id", primary_key=True)
    export: str = Field(max_length=32, primary_key=True)
    basis: str = Field(max_length=64, primary_key=True)
    rows: bytes = Field(sa_type=sa.LargeBinary)
    computed_at: datetime = Field(default_factory=utcnow)


class SharedPiece(SQLModel, table=True):
    """An export's rows that depend on the shared tables alone (checklist.csv's rows, the
    project's own timeline in milestones.csv), as written on one *basis* (the shared tables as
    they stood and the code, ``tracker.read.stored``): the CSV text without its header,
    compressed with zlib.

    The first worker that writes them stores them, so a worker started later copies them
    instead of reading and formatting thousands of provisions. A cache, never a record: any row
    may be deleted (the rows are written again).
    """

    __tablename__ = "shared_pieces"

    export: str = Field(max_length=32, primary_key=True)
    basis: str = Field(max_length=64, primary_key=True)
    rows: bytes = Field(sa_type=sa.LargeBinary)
    computed_at: datetime = Field(default_factory=utcnow)


class Review(SQLModel, table=True):
    """One round of review of a country's working copy: opened when it is submitted, kept (with
    its exchange) once it is published, as the publication's review record (staff only)."""

    __tablename__ = "review"
    __table_args__ = (
        code_check("state", ReviewState),
        # At most one review in progress per country: two submits at the same moment open one.
        sa.Index(
            "uq_review_one_open_per_country",
            "country_id",
            unique=True,
            sqlite_where=sa.text("publication_id IS NULL"),
            postgresql_where=sa.text("publication_id IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    country_id: int = Field(foreign_key="country.id", index=True)
    state: ReviewState = code_field(ReviewState, default=ReviewState.SUBMITTED)
    publication_id: int | None = Field(default=None, foreign_key="publication.id", index=True)
    opened_at: datetime = Field(default_factory=utcnow)
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow)


class ReviewComment(SQLModel, table=True):
    """One entry of a review's exchange: a submission, a comment (maybe on one provision), a
    return, an answer to a comment, the publication's message."""

    __tablename__ = "review_comment"
    __table_args__ = (code_check("kind", CommentKind),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    user_id: int | None = Field(
        default=None, foreign_key="user_account.id", ondelete="SET NULL", index=True
    )
    author: str = Field(max_length=254)
    kind: CommentKind = code_field(CommentKind)
    provision_code: str | None = Field(default=None, max_length=fields.PROVISION["code"].max_length)
    reply_to_id: int | None = Field(default=None, foreign_key="review_comment.id")
    body: str = Field(sa_type=sa.Text)


class PublicationIsFinal(Exception):
    """Something tried to change or delete a publication: they are immutable (issue 12)."""


@sa.event.listens_for(Publication, "before_update")
@sa.event.listens_for(Publication, "before_delete")
def _refuse_orm_change(_mapper, _connection, target) -> None:
    raise PublicationIsFinal(f"publication {target.id} is final: publish a correction instead")


_PUBLICATION_SQL = ("UPDATE PUBLICATION", 'UPDATE "PUBLICATION"', "DELETE FROM PUBLICATION",
                    'DELETE FROM "PUBLICATION"')  # fmt: skip


@sa.event.listens_for(sa.engine.Engine, "before_cursor_execute")
def _refuse_sql_change(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:
    """Every statement any engine sends (ORM, Core or text) passes here: none may update or
    delete a publication row, whatever path built it."""
    head = statement.lstrip()[:40].upper()
    if head.startswith(_PUBLICATION_SQL) and head.split()[1 if head.startswith("U") else 2].strip(
        '"'
    ) in ("PUBLICATION",):
        raise PublicationIsFinal("publications are final: publish a correction instead")
