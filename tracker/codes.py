"""Coded values: the stable codes stored and exported, each with a translated label.

No database import here: scoring, formats and forms use these without touching SQLModel.
"""

from enum import StrEnum
from typing import Any

from tracker.i18n import _l, _lp


class Choice(StrEnum):
    """A coded value with a translated label; the value is the stable, exported code."""

    @property
    def label(self) -> str:
        return LABELS[type(self)][self]

    @classmethod
    def choices(cls) -> list[tuple[str, Any]]:
        return [(m.value, m.label) for m in cls]

    @classmethod
    def codes(cls) -> list[str]:
        return [m.value for m in cls]


class Level(Choice):
    CORE = "core"
    RECOMMENDED = "recommended"


class GemIndicator(Choice):
    """The Global E-waste Monitor's four legislation indicators."""

    NATIONAL_LEGISLATION = "national_legislation"
    EPR = "epr"
    COLLECTION_TARGET = "collection_target"
    RECYCLING_TARGET = "recycling_target"


class InstrumentType(Choice):
    POLICY = "policy"
    STRATEGY = "strategy"
    PLAN = "plan"
    ACT = "act"
    REGULATION = "regulation"
    STATUTORY_INSTRUMENT = "statutory_instrument"
    MINISTERIAL_ORDER = "ministerial_order"
    DECREE = "decree"
    STANDARD = "standard"
    GUIDELINE = "guideline"
    MEMORANDUM = "memorandum"
    BILL = "bill"
    OTHER = "other"


class InstrumentStatus(Choice):
    """Lifecycle of a legal instrument, in order (what counts for which figure: ``tracker.scoring``)."""

    PLANNED = "planned"
    DRAFTING = "drafting"
    PUBLIC_CONSULTATION = "public_consultation"
    VALIDATED = "validated"
    ADOPTED = "adopted"
    IN_FORCE = "in_force"
    AMENDED = "amended"
    REPEALED = "repealed"


class RelationKind(Choice):
    MADE_UNDER = "made_under"
    AMENDS = "amends"
    REPEALS = "repeals"


class Implementation(Choice):
    NONE = "none"
    INITIATED = "initiated"
    OPERATIONAL = "operational"
    ENFORCED = "enforced"


class Extent(Choice):
    PARTIAL = "partial"
    FULL = "full"


class MilestoneKind(Choice):
    INCEPTION = "inception"
    BASELINE_ASSESSMENT = "baseline_assessment"
    STAKEHOLDER_CONSULTATION = "stakeholder_consultation"
    DRAFT_SUBMITTED = "draft_submitted"
    VALIDATION_WORKSHOP = "validation_workshop"
    ADOPTION = "adoption"
    GAZETTING = "gazetting"
    LAUNCH = "launch"
    CAPACITY_BUILDING = "capacity_building"
    OTHER = "other"


class MilestoneNature(Choice):
    """Whether a milestone is a step of the ITU-CST project or a context event around it (an
    earlier programme, a plant opening, a press item). Only project steps are counted."""

    PROJECT = "project"
    CONTEXT = "context"


class MilestoneStatus(Choice):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DELAYED = "delayed"
    CANCELLED = "cancelled"


class DatePrecision(Choice):
    """How much of a date its source gives (``tracker.dates``)."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class Role(Choice):
    ADMIN = "admin"
    EDITOR = "editor"


class SourceKind(Choice):
    """How much a source link can be trusted, best first (issue 11: sources have a kind)."""

    OFFICIAL = "official"  # gazette, ministry, parliament, regulator
    LEGAL_DATABASE = "legal_database"  # FAOLEX, ECOLEX, legal information institutes (LIIs)
    INTERGOVERNMENTAL = "intergovernmental"  # ITU, UNEP, the Basel secretariat
    SECONDARY = "secondary"  # press, law firms, document-sharing mirrors


class TranslationStatus(Choice):
    """Whether the translation of a quoted excerpt is the official one."""

    OFFICIAL = "official"
    UNOFFICIAL = "unofficial"


class ChangeAction(Choice):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    RESTORE = "restore"


LABELS: dict[type[Choice], dict[Choice, Any]] = {
    Level: {
        Level.CORE: _lp("checklist level", "Core"),
        Level.RECOMMENDED: _lp("checklist level", "Recommended"),
    },
    GemIndicator: {
        GemIndicator.NATIONAL_LEGISLATION: _l("National e-waste legislation"),
        GemIndicator.EPR: _l("Extended producer responsibility"),
        GemIndicator.COLLECTION_TARGET: _l("Collection target"),
        GemIndicator.RECYCLING_TARGET: _l("Recycling target"),
    },
    InstrumentType: {
        InstrumentType.POLICY: _l("Policy"),
        InstrumentType.STRATEGY: _l("Strategy"),
        InstrumentType.PLAN: _l("Plan"),
        InstrumentType.ACT: _l("Act or law"),
        InstrumentType.REGULATION: _l("Regulation"),
        InstrumentType.STATUTORY_INSTRUMENT: _l("Statutory instrument"),
        InstrumentType.MINISTERIAL_ORDER: _l("Ministerial order"),
        InstrumentType.DECREE: _l("Decree"),
        InstrumentType.STANDARD: _l("Standard"),
        InstrumentType.GUIDELINE: _l("Guideline"),
        InstrumentType.MEMORANDUM: _l("Memorandum of understanding"),
        InstrumentType.BILL: _l("Bill"),
        InstrumentType.OTHER: _lp("instrument type", "Other"),
    },
    InstrumentStatus: {
        InstrumentStatus.PLANNED: _lp("instrument status", "Planned"),
        InstrumentStatus.DRAFTING: _l("Drafting"),
        InstrumentStatus.PUBLIC_CONSULTATION: _l("Public consultation"),
        InstrumentStatus.VALIDATED: _l("Validated"),
        InstrumentStatus.ADOPTED: _l("Adopted"),
        InstrumentStatus.IN_FORCE: _l("In force"),
        InstrumentStatus.AMENDED: _l("Amended"),
        InstrumentStatus.REPEALED: _l("Repealed"),
    },
    RelationKind: {
        RelationKind.MADE_UNDER: _l("Made under"),
        RelationKind.AMENDS: _l("Amends"),
        RelationKind.REPEALS: _l("Repeals"),
    },
    Implementation: {
        Implementation.NONE: _lp("implementation", "Not implemented"),
        Implementation.INITIATED: _lp("implementation", "Initiated"),
        Implementation.OPERATIONAL: _lp("implementation", "Operational"),
        Implementation.ENFORCED: _lp("implementation", "Enforced"),
    },
    Extent: {
        Extent.PARTIAL: _lp("coverage extent", "Partially"),
        Extent.FULL: _lp("coverage extent", "Fully"),
    },
    MilestoneKind: {
        MilestoneKind.INCEPTION: _l("Inception"),
        MilestoneKind.BASELINE_ASSESSMENT: _l("Baseline assessment"),
        MilestoneKind.STAKEHOLDER_CONSULTATION: _l("Stakeholder consultation"),
        MilestoneKind.DRAFT_SUBMITTED: _l("Draft submitted"),
        MilestoneKind.VALIDATION_WORKSHOP: _l("Validation workshop"),
        MilestoneKind.ADOPTION: _l("Adoption"),
        MilestoneKind.GAZETTING: _l("Gazetting"),
        MilestoneKind.LAUNCH: _l("Launch"),
        MilestoneKind.CAPACITY_BUILDING: _l("Capacity building"),
        MilestoneKind.OTHER: _lp("milestone kind", "Other"),
    },
    MilestoneNature: {
        MilestoneNature.PROJECT: _l("Project step"),
        MilestoneNature.CONTEXT: _l("Context event"),
    },
    MilestoneStatus: {
        MilestoneStatus.PLANNED: _lp("milestone status", "Planned"),
        MilestoneStatus.IN_PROGRESS: _l("In progress"),
        MilestoneStatus.DONE: _l("Done"),
        MilestoneStatus.DELAYED: _l("Delayed"),
        MilestoneStatus.CANCELLED: _l("Cancelled"),
    },
    DatePrecision: {
        DatePrecision.DAY: _lp("date precision", "Day"),
        DatePrecision.MONTH: _lp("date precision", "Month"),
        DatePrecision.YEAR: _lp("date precision", "Year"),
    },
    Role: {
        Role.ADMIN: _l("Administrator"),
        Role.EDITOR: _l("Editor"),
    },
    SourceKind: {
        SourceKind.OFFICIAL: _lp("source kind", "Official"),
        SourceKind.LEGAL_DATABASE: _lp("source kind", "Legal database"),
        SourceKind.INTERGOVERNMENTAL: _lp("source kind", "Intergovernmental"),
        SourceKind.SECONDARY: _lp("source kind", "Secondary"),
    },
    TranslationStatus: {
        TranslationStatus.OFFICIAL: _lp("translation status", "Official translation"),
        TranslationStatus.UNOFFICIAL: _lp("translation status", "Unofficial translation"),
    },
    ChangeAction: {
        ChangeAction.CREATE: _l("Created"),
        ChangeAction.UPDATE: _l("Changed"),
        ChangeAction.DELETE: _l("Deleted"),
        ChangeAction.RESTORE: _l("Restored"),
    },
}


# --- review and publication (issue 12) -------------------------------------------------------------


class ReviewState(Choice):
    """Where a country's working copy stands: edited, waiting for review, sent back, published."""

    EDITING = "editing"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    PUBLISHED = "published"


class CommentKind(Choice):
    """One entry of a review's exchange."""

    SUBMITTED = "submitted"  # the editor's message when submitting
    COMMENT = "comment"  # the reviewer's note, on one provision or on the whole record
    RETURNED = "returned"  # the reviewer's comment when returning the working copy
    ANSWER = "answer"  # the editor's answer to a comment
    PUBLISHED = "published"  # the publication's message


LABELS[ReviewState] = {
    ReviewState.EDITING: _lp("review state", "Editing"),
    ReviewState.SUBMITTED: _lp("review state", "Submitted for review"),
    ReviewState.RETURNED: _lp("review state", "Returned for changes"),
    ReviewState.PUBLISHED: _lp("review state", "Published"),
}
LABELS[CommentKind] = {
    CommentKind.SUBMITTED: _lp("review entry", "Submitted"),
    CommentKind.COMMENT: _lp("review entry", "Comment"),
    CommentKind.RETURNED: _lp("review entry", "Returned"),
    CommentKind.ANSWER: _lp("review entry", "Answer"),
    CommentKind.PUBLISHED: _lp("review entry", "Published"),
}
