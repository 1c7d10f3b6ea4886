"""A checklist version that any publication uses is frozen (issue 12).

Adding, retiring, reordering or rewording a provision on it (its texts, guidance, level,
category, sources, Monitor indicator), changing its categories or their names, or the version's
own code, title or date is refused with ``ChecklistFrozen``, whatever path tries it: a session
event checks every flush of every session (the admin pages, the import, the command line and the
demo loader all flush through the ORM), and a bulk UPDATE or DELETE of the checklist tables
through a session is refused too. Which version is current, and the version counter, may still
change. ``tracker.write`` imports this module, so the rule holds as soon as the write layer is
loaded; it imports nothing of the write layer itself.
"""

import sqlalchemy as sa
from sqlmodel import Session

from tracker.models import (
    Category,
    CategoryName,
    ChecklistVersion,
    Provision,
    ProvisionText,
    Publication,
)

# The tables that make up a checklist version's content.
CHECKLIST_TABLES = frozenset(
    {"checklist_version", "category", "category_name", "provision", "provision_text"}
)
# What a used version may still change on its own row: which version is current, whether it is a
# draft, its version counter.
VERSION_STATE_FIELDS = frozenset({"is_current", "is_draft", "version"})


class ChecklistFrozen(Exception):
    """A change to a checklist version that a publication uses; nothing was written."""

    def __init__(self, code: str | None):
        super().__init__(f"checklist version {code} is used by a publication and cannot change")
        self.code = code


def used_versions(session: Session, checklist_ids) -> set[int]:
    """The given checklist versions that any publication uses (1 query; none asked, none run)."""
    ids = {i for i in checklist_ids if i is not None}
    if not ids:
        return set()
    query = (
        sa.select(Publication.__table__.c.checklist_id)
        .where(Publication.__table__.c.checklist_id.in_(ids))
        .distinct()
    )
    with session.no_autoflush:
        return set(session.connection().execute(query).scalars())


def is_frozen(session: Session, checklist_id: int | None) -> bool:
    """True when a publication uses this checklist version (1 query)."""
    return bool(used_versions(session, [checklist_id]))


def _code_of(session: Session, checklist_id: int) -> str | None:
    table = ChecklistVersion.__table__
    with session.no_autoflush:
        return session.connection().execute(
            sa.select(table.c.code).where(table.c.id == checklist_id)
        ).scalar()


def ensure_editable(session: Session, checklist_id: int | None) -> None:
    """Raise ``ChecklistFrozen`` when a publication uses this checklist version."""
    if checklist_id is not None and is_frozen(session, checklist_id):
        raise ChecklistFrozen(_code_of(session, checklist_id))


def _history_values(obj, name: str) -> set:
    """The attribute's value now and, when it changed, before (a provision moved elsewhere)."""
    state = sa.inspect(obj)
    values = {getattr(obj, name, None)}
    if name in state.attrs:
        values.update(state.attrs[name].history.deleted or ())
    return values


def _touched_checklists(session: Session) -> set[int]:
    """The checklist versions whose content this flush would change."""
    versions: set[int] = set()
    categories: set[int] = set()
    provisions: set[int] = set()
    changed = [obj for obj in session.dirty if session.is_modified(obj)]
    for obj in [*session.new, *changed, *session.deleted]:
        if isinstance(obj, ChecklistVersion):
            if obj in session.deleted:
                versions.add(obj.id)
            elif obj not in session.new:
                state = sa.inspect(obj)
                names = {a.key for a in state.attrs if a.history.has_changes()}
                if names - VERSION_STATE_FIELDS:
                    versions.add(obj.id)
        elif isinstance(obj, Category | Provision):
            versions.update(_history_values(obj, "checklist_id"))
        elif isinstance(obj, CategoryName):
            categories.update(_history_values(obj, "category_id"))
        elif isinstance(obj, ProvisionText):
            provisions.update(_history_values(obj, "provision_id"))
    categories.discard(None)
    provisions.discard(None)
    with session.no_autoflush:
        connection = session.connection()
        if categories:
            table = Category.__table__
            query = sa.select(table.c.checklist_id).where(table.c.id.in_(categories))
            versions.update(connection.execute(query).scalars())
        if provisions:
            table = Provision.__table__
            query = sa.select(table.c.checklist_id).where(table.c.id.in_(provisions))
            versions.update(connection.execute(query).scalars())
    versions.discard(None)
    return versions


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _refuse_frozen_changes(session, _flush_context, _instances) -> None:
    """Every flush of every session: no change to a checklist version a publication uses."""
    touched = _touched_checklists(session)
    if not touched:
        return
    used = used_versions(session, touched)
    if used:
        raise ChecklistFrozen(_code_of(session, min(used)))


@sa.event.listens_for(sa.orm.Session, "do_orm_execute")
def _refuse_bulk_changes(state) -> None:
    """A bulk UPDATE or DELETE of the checklist tables through a session (``session.execute``)
    cannot say which versions it touches: refused as soon as any version is used, except the
    version counter's own claim (``changes._claim_version``), which changes nothing else."""
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) not in CHECKLIST_TABLES:
        return
    if state.is_update:
        values = getattr(state.statement, "_values", None) or {}
        names = {getattr(k, "key", getattr(k, "name", str(k))) for k in values}
        if names and names <= {"version"}:
            return
    used = sa.select(Publication.__table__.c.checklist_id).where(
        Publication.__table__.c.checklist_id.is_not(None)
    )
    found = state.session.connection().execute(used.limit(1)).scalar()
    if found is not None:
        raise ChecklistFrozen(_code_of(state.session, found))
