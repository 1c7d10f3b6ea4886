"""Checklist versions as staff see them (issue 12): the list of versions with their state and
how many publications use each, and what changed from one version to another, provision by
provision (matched by code, which is stable across versions)."""

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session

from tracker.models import Category, ChecklistVersion, Provision, ProvisionText, Publication
from tracker.read.texts import locale_candidates

_VERSION = ChecklistVersion.__table__.c
_PROVISION = Provision.__table__.c
_TEXT = ProvisionText.__table__.c
_CATEGORY = Category.__table__.c


@dataclass(frozen=True)
class VersionRow:
    id: int
    code: str
    title: str
    state: str  # draft, current or superseded
    version: int  # the row's version counter (for the confirmation of "make current")
    publications: int  # how many publications use it: more than none freezes it

    @property
    def frozen(self) -> bool:
        return self.publications > 0


def version_list(session: Session) -> list[VersionRow]:
    """Every checklist version, newest first, with its state and use (1 query)."""
    used = (
        sa.select(sa.func.count())
        .where(Publication.__table__.c.checklist_id == _VERSION.id)
        .scalar_subquery()
    )
    query = sa.select(
        _VERSION.id, _VERSION.code, _VERSION.title, _VERSION.is_draft, _VERSION.is_current,
        _VERSION.version, used,
    ).order_by(_VERSION.id.desc())  # fmt: skip
    return [
        VersionRow(vid, code, title,
                   "draft" if draft else "current" if current else "superseded", counter, n)
        for vid, code, title, draft, current, counter, n in session.connection().execute(query)
    ]  # fmt: skip


# What can differ between a provision and its counterpart in another version.
ASPECTS = ("wording", "level", "category", "indicator", "sources", "retired")


@dataclass(frozen=True)
class ProvisionChange:
    code: str
    title: str  # in the reader's language, else English, else the code
    aspects: tuple[str, ...] = ()  # for a changed provision: which of ``ASPECTS``


@dataclass(frozen=True)
class VersionChanges:
    """From version ``before`` to version ``after``: provisions new in ``after``, changed (and
    how), and no longer in it."""

    before: str
    after: str
    added: tuple[ProvisionChange, ...] = ()
    changed: tuple[ProvisionChange, ...] = ()
    removed: tuple[ProvisionChange, ...] = ()
    codes: dict = field(default_factory=dict)  # code -> "added" or "changed"

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    @property
    def reworded(self) -> frozenset[str]:
        return frozenset(c.code for c in self.changed if "wording" in c.aspects)


def _provisions(session: Session, checklist_ids: list[int], locale: str) -> dict:
    """Per version id, per code: the provision's comparable facts, texts and display title
    (1 query: provisions with their category code and every text)."""
    query = (
        sa.select(
            _PROVISION.checklist_id, _PROVISION.code, _PROVISION.level, _PROVISION.gem_indicator,
            _PROVISION.sources, _PROVISION.retired, _PROVISION.position, _CATEGORY.code,
            _TEXT.locale, _TEXT.title, _TEXT.guidance,
        )  # fmt: skip
        .select_from(
            Provision.__table__.join(Category.__table__, _CATEGORY.id == _PROVISION.category_id)
            .outerjoin(ProvisionText.__table__, _TEXT.provision_id == _PROVISION.id)
        )
        .where(_PROVISION.checklist_id.in_(checklist_ids))
    )
    out: dict[int, dict[str, dict]] = {i: {} for i in checklist_ids}
    for (cid, code, level, gem, sources, retired, position, category,
         text_locale, title, guidance) in session.connection().execute(query):  # fmt: skip
        item = out[cid].setdefault(code, {
            "level": level, "indicator": gem, "sources": sources or None, "retired": retired,
            "order": (category, position), "category": category, "texts": {}, "titles": {},
        })  # fmt: skip
        if text_locale is not None:
            item["texts"][text_locale] = (title, guidance)
            item["titles"][text_locale] = title
    return out


def _title(item: dict, locale: str, code: str) -> str:
    for candidate in locale_candidates(locale):
        if candidate in item["titles"]:
            return item["titles"][candidate]
    return code


def compare_versions(
    session: Session, before_id: int, after_id: int, locale: str
) -> VersionChanges:
    """What changed from version ``before_id`` to version ``after_id`` (1 query)."""
    codes = {
        row.id: row.code
        for row in session.connection().execute(
            sa.select(_VERSION.id, _VERSION.code).where(_VERSION.id.in_([before_id, after_id]))
        )
    }
    found = _provisions(session, [before_id, after_id], locale)
    old, new = found.get(before_id, {}), found.get(after_id, {})
    added, changed, removed, marks = [], [], [], {}
    for code, item in new.items():
        counterpart = old.get(code)
        if counterpart is None:
            if not item["retired"]:
                added.append(ProvisionChange(code, _title(item, locale, code)))
                marks[code] = "added"
            continue
        aspects = []
        if item["texts"] != counterpart["texts"]:
            aspects.append("wording")
        for name in ("level", "category", "indicator", "sources", "retired"):
            if item[name] != counterpart[name]:
                aspects.append(name)
        if aspects:
            changed.append(ProvisionChange(code, _title(item, locale, code), tuple(aspects)))
            marks[code] = "changed"
    for code, item in old.items():
        if code not in new:
            removed.append(ProvisionChange(code, _title(item, locale, code)))

    def order(change: ProvisionChange, items=new) -> tuple:
        item = items.get(change.code) or old.get(change.code)
        return (*item["order"], change.code)

    return VersionChanges(
        codes.get(before_id, ""),
        codes.get(after_id, ""),
        tuple(sorted(added, key=order)),
        tuple(sorted(changed, key=order)),
        tuple(sorted(removed, key=lambda c: order(c, old))),
        marks,
    )


def fingerprint(session: Session, checklist_id: int) -> str:
    """A text that changes whenever the content of a version changes (1 query): its provisions'
    count, highest id and version total (a provision's texts change through its version), and
    its categories' count and highest id. The confirmation of "make current" carries it, so a
    draft changed after the page was shown is not made current unseen."""
    category = Category.__table__.c
    row = session.connection().execute(
        sa.select(
            sa.select(sa.func.count()).where(_PROVISION.checklist_id == checklist_id)
            .scalar_subquery(),
            sa.select(sa.func.max(_PROVISION.id)).where(_PROVISION.checklist_id == checklist_id)
            .scalar_subquery(),
            sa.select(sa.func.sum(_PROVISION.version))
            .where(_PROVISION.checklist_id == checklist_id).scalar_subquery(),
            sa.select(sa.func.count()).where(category.checklist_id == checklist_id)
            .scalar_subquery(),
            sa.select(sa.func.max(category.id)).where(category.checklist_id == checklist_id)
            .scalar_subquery(),
        )  # fmt: skip
    ).one()
    return "-".join("0" if v is None else str(v) for v in row)
