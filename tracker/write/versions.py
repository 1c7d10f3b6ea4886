"""New checklist versions (issue 12): a draft copied from the current version, made current.

    create_draft   a copy of the current version (categories and their names, provisions and
                   their texts) under a new code, as a draft: not current, not used, editable
    make_current   the draft becomes the current version (checked against its version counter);
                   the version before is superseded, and every country's working copy carries
                   its judgements over by provision code

A version that a publication uses is frozen (``tracker.write.frozen``), so a change to the
checklist always goes through a draft; the publications keep the version they were made with.
Everything goes through ``tracker.write.changes`` (history for every row) and only flushes; the
caller's ``write.transaction`` commits.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from tracker.models import (
    Category,
    CategoryName,
    ChecklistVersion,
    Coverage,
    CoverageLink,
    CoverageSource,
    Provision,
    ProvisionText,
    TextTranslation,
)
from tracker.write import changes
from tracker.write.changes import Actor

# A judgement's own columns that carry over to the same provision in the new version.
_COVERAGE_COPIED = (
    "applicable",
    "not_applicable_reason",
    "implementation",
    "evidence",
    "evidence_lang",
    "is_example",
)
_OWNED = frozenset({"id", "coverage_id"})


class VersionRefused(Exception):
    """The step does not apply (a draft exists already, the code is taken, not a draft...)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def draft(session: Session) -> ChecklistVersion | None:
    """The draft version being prepared, if any (at most one at a time; 1 query)."""
    return session.exec(
        select(ChecklistVersion).where(ChecklistVersion.is_draft).order_by(ChecklistVersion.id)
    ).first()


def current(session: Session) -> ChecklistVersion | None:
    return session.exec(select(ChecklistVersion).where(ChecklistVersion.is_current)).first()


def create_draft(session: Session, code: str, title: str, actor: Actor) -> ChecklistVersion:
    """A draft copy of the current version under ``code``: its categories with their names, its
    provisions (retired ones too) with their texts, in the same order."""
    source = current(session)
    if source is None:
        raise VersionRefused("no_current")
    if draft(session) is not None:
        raise VersionRefused("draft_exists")
    taken = session.exec(select(ChecklistVersion.id).where(ChecklistVersion.code == code)).first()
    if taken is not None:
        raise VersionRefused("code_taken")
    try:
        with session.begin_nested():
            new = changes.create(
                session,
                ChecklistVersion(code=code, title=title, is_draft=True, is_current=False),
                actor,
            )
    except sa.exc.IntegrityError as exc:
        # Another admin made a draft (or took the code) at the same moment: the unique indexes
        # refuse the second one; say which.
        raise VersionRefused("draft_exists" if draft(session) is not None else "code_taken") from exc
    categories = {}
    for old in session.exec(
        select(Category).where(Category.checklist_id == source.id).order_by(Category.position)
    ):
        copy = Category(checklist_id=new.id, code=old.code, position=old.position)
        copy.names = [CategoryName(locale=n.locale, name=n.name) for n in old.names]
        categories[old.id] = changes.create(session, copy, actor)
    for old in session.exec(
        select(Provision).where(Provision.checklist_id == source.id).order_by(Provision.id)
    ):
        copy = Provision(
            checklist_id=new.id,
            category_id=categories[old.category_id].id,
            code=old.code,
            level=old.level,
            position=old.position,
            gem_indicator=old.gem_indicator,
            sources=old.sources,
            retired=old.retired,
        )
        copy.texts = [
            ProvisionText(locale=t.locale, title=t.title, guidance=t.guidance) for t in old.texts
        ]
        changes.create(session, copy, actor)
    return new


def _hold(session: Session, version: ChecklistVersion, expected_version: int | None) -> None:
    """Lock the draft's row before anything else is read or written, and check its version.

    Making a draft current and discarding it both change the draft's row and rows that refer to
    it (its provisions, the judgements carried over to them). Taken in different orders, two such
    steps at once deadlocked on PostgreSQL, and the loser answered 503 "the database cannot be
    reached". Both take this row first, so the second waits for the first, then finds the draft
    changed (``StaleVersion``, 409) or gone (``RecordGone``, 404). SQLite writes one at a time:
    there ``FOR UPDATE`` is left out and the version check alone decides.
    """
    table = ChecklistVersion.__table__
    with session.no_autoflush:
        stored = session.execute(
            sa.select(table.c.version).where(table.c.id == version.id).with_for_update()
        ).scalar()
    if stored is None:
        raise changes.RecordGone(ChecklistVersion, version.id)
    if stored != (version.version if expected_version is None else expected_version):
        raise changes.StaleVersion(version, expected_version)


@dataclass(frozen=True)
class Carried:
    """What making a version current did to the working copies."""

    judgements: int  # judgements carried over to the new version
    not_assessed: int  # provisions new in the new version (no judgement to carry, per country)


def make_current(
    session: Session, version: ChecklistVersion, actor: Actor, *, expected_version: int | None
) -> Carried:
    """Make the draft ``version`` current: the current one is superseded, and every country's
    judgements on it carry over by provision code to ``version`` (with their links, sources and
    evidence translations). A provision of ``version`` with no counterpart stays not assessed.
    Raises ``changes.StaleVersion`` when the draft changed since ``expected_version``."""
    if not version.is_draft:
        raise VersionRefused("not_draft")
    _hold(session, version, expected_version)
    before = current(session)
    if before is not None:
        changes.update(session, before, actor, {"is_current": False}, expected_version=None)
    changes.update(session, version, actor, {"is_draft": False, "is_current": True},
                   expected_version=expected_version)  # fmt: skip
    if before is None:
        return Carried(0, 0)
    return _carry_over(session, before, version, actor)


def _carry_over(
    session: Session, old: ChecklistVersion, new: ChecklistVersion, actor: Actor
) -> Carried:
    targets = {
        p.code: p for p in session.exec(select(Provision).where(Provision.checklist_id == new.id))
    }
    judged = session.exec(
        select(Coverage, Provision.code)
        .join(Provision, Provision.id == Coverage.provision_id)
        .where(Provision.checklist_id == old.id)
        .order_by(Coverage.country_id, Coverage.id)
    ).all()
    existing = set(
        session.exec(
            select(Coverage.country_id, Coverage.provision_id).where(
                Coverage.provision_id.in_([p.id for p in targets.values()] or [-1])
            )
        ).all()
    )
    old_ids = [cov.id for cov, _code in judged]
    translations: dict[int, list[TextTranslation]] = {}
    if old_ids:
        for row in session.exec(
            select(TextTranslation).where(
                TextTranslation.entity == "coverage", TextTranslation.entity_id.in_(old_ids)
            )
        ):
            translations.setdefault(row.entity_id, []).append(row)
    carried = 0
    countries = set()
    for cov, code in judged:
        countries.add(cov.country_id)
        target = targets.get(code)
        if target is None or (cov.country_id, target.id) in existing:
            continue
        copy = Coverage(country_id=cov.country_id, provision_id=target.id,
                        **{name: getattr(cov, name) for name in _COVERAGE_COPIED})  # fmt: skip
        copy.links = [
            CoverageLink(**{k: v for k, v in link.model_dump().items() if k not in _OWNED})
            for link in cov.links
        ]
        copy.sources = [CoverageSource(url=s.url, kind=s.kind, note=s.note) for s in cov.sources]
        changes.create(session, copy, actor, dated=cov.updated_at)
        for row in translations.get(cov.id, ()):
            changes.create(
                session,
                TextTranslation(entity="coverage", entity_id=copy.id, field=row.field,
                                locale=row.locale, text=row.text),
                actor,
            )  # fmt: skip
        carried += 1
    # Provisions of the new version without a counterpart in the old one, for every country
    # that had judged anything: they start "not assessed".
    old_codes = set(
        session.exec(select(Provision.code).where(Provision.checklist_id == old.id)).all()
    )
    fresh = sum(1 for code, p in targets.items() if code not in old_codes and not p.retired)
    session.flush()
    return Carried(carried, fresh * len(countries))


def discard_draft(
    session: Session, version: ChecklistVersion, actor: Actor, *, expected_version: int | None
) -> int:
    """Delete the draft ``version``: its provisions (with their texts), its categories (with
    their names), then the version, each kept in history. Returns how many provisions went.
    Refused for a version that is not a draft (``not_draft``) and for one a judgement refers to
    (``judged``: no working copy is judged against a draft, so this means something is wrong).
    Raises ``changes.StaleVersion`` when the draft's record changed since ``expected_version``."""
    if not version.is_draft:
        raise VersionRefused("not_draft")
    _hold(session, version, expected_version)
    provisions = session.exec(
        select(Provision).where(Provision.checklist_id == version.id).order_by(Provision.id)
    ).all()
    ids = [p.id for p in provisions]
    if ids and session.exec(select(Coverage.id).where(Coverage.provision_id.in_(ids))).first():
        raise VersionRefused("judged")
    for provision in provisions:
        changes.delete(session, provision, actor, expected_version=None)
    for category in session.exec(select(Category).where(Category.checklist_id == version.id)):
        changes.delete(session, category, actor, expected_version=None)
    changes.delete(session, version, actor, expected_version=expected_version)
    return len(provisions)


__all__ = ["Carried", "VersionRefused", "create_draft", "discard_draft", "draft", "make_current"]
