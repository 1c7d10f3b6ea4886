"""The write layer: every change to the database goes through this package.

    __init__.py   ``transaction``: the one place a transaction ends (commit or roll back)
    changes.py    create, update, delete, restore: versions and change records (history)
    checklist.py  the whole-checklist save of the workspace
    instruments.py  an instrument's relations and translated titles (changes to the instrument)
    imports.py    the CSV import: plan a file, apply the plan
    accounts.py   staff accounts, signing in, the sign-in throttle
    sessions.py   staff sessions kept in the database

Nothing outside this package adds, deletes, flushes, commits or rolls back: a test walks the
package's source and fails on any such call elsewhere (``tests/test_architecture.py``).

The write functions (``changes.create``, ``update``, ``delete``, ``restore``, the checklist save,
the import) only *flush*. One place ends a transaction: ``transaction(session)``, which a view or a
command enters once around its writes. It commits when the block finishes and rolls back when
anything inside raises, so a refused or failed write leaves nothing half done::

    try:
        with write.transaction(dbs):
            changes.update(dbs, obj, actor, values, expected_version=loaded)
    except changes.StaleVersion as exc:
        ...  # rolled back already: ``exc.record`` is the stored record now
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import orm
from sqlmodel import Session

from tracker.models import DataVersion, FormReceipt, utcnow

_OPEN = "tracker.write.transaction"
_PUBLIC_WRITE = "tracker.write.public_write"

# Tables no public page, export or API answer shows: writing them does not change the data version
# (a sign-in must not invalidate every cached page). The figures stored with publications are a
# cache of what the publications give (``tracker.read.stored``), and so are the exports' rows
# stored with them or with the shared tables: storing them changes nothing shown.
PRIVATE_TABLES = frozenset(
    {"user_account", "login_attempt", "staff_session", "import_receipt", "form_receipt",
     "data_version", "publication_figures", "publication_pieces", "shared_pieces"}
)


def is_open(session: Session) -> bool:
    """True inside ``transaction(session)``."""
    return bool(session.info.get(_OPEN))


# A form's one-time key (``tracker.web.forms.new_once_key``): URL-safe base64 of 24 random bytes.
ONCE_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
RECEIPT_DAYS = 7  # a form kept open in a tab for longer than this is no longer recognised


class AlreadyApplied(Exception):
    """The form with this one-time key was applied before: nothing was written again."""


@contextmanager
def transaction(session: Session, once: str | None = None) -> Iterator[Session]:
    """Commit ``session``'s work when the block ends; roll it back if the block raises.

    ``once``: the one-time key of the form being applied. Its receipt is written first, in the
    same transaction, so a form sent twice (a double click, a resent request, two instances at
    the same moment) is applied once: the second raises ``AlreadyApplied`` before the block
    runs, and writes nothing. A key that is not one (missing, malformed) is not checked.

    Blocks do not nest: a write function that opened its own would commit its caller's work
    early, so a nested ``transaction`` is a programming error.
    """
    if session.info.get(_OPEN):
        raise RuntimeError("write.transaction() is already open for this session")
    session.info[_OPEN] = True
    try:
        if once is not None and ONCE_KEY.fullmatch(once):
            _receipt(session, once)
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_OPEN, None)


def _receipt(session: Session, key: str) -> None:
    """Write the form's receipt, or raise ``AlreadyApplied`` when it has one (on PostgreSQL a
    concurrent transaction holding the same key makes this one wait for its outcome)."""
    try:
        with session.begin_nested():
            session.add(FormReceipt(key=key))
    except sa.exc.IntegrityError as exc:
        raise AlreadyApplied(key) from exc
    session.execute(
        sa.delete(FormReceipt).where(FormReceipt.at < utcnow() - timedelta(days=RECEIPT_DAYS))
    )


# The data version (``tracker.models.DataVersion``): every commit that wrote to a public table adds
# one to it, in the same transaction. The write layer is the only code that commits
# (``tests/test_architecture.py``), so this is "the write layer bumps it with every change"; being a
# session event, it cannot be forgotten by a new write function.


def bump_data_version(session: Session) -> None:
    """Add one to the data version, in the caller's transaction (so it commits with the change)."""
    session.execute(
        sa.update(DataVersion)
        .where(DataVersion.id == 1)
        .values(value=DataVersion.value + 1, changed_at=utcnow())
    )


def _tables_of(objects) -> set[str]:
    return {getattr(type(obj), "__tablename__", "") for obj in objects}


@sa.event.listens_for(orm.Session, "after_flush")
def _note_flushed_tables(session, flush_context) -> None:
    dirty = (obj for obj in session.dirty if session.is_modified(obj, include_collections=False))
    tables = _tables_of(session.new) | _tables_of(dirty) | _tables_of(session.deleted)
    if tables - PRIVATE_TABLES:
        session.info[_PUBLIC_WRITE] = True


@sa.event.listens_for(orm.Session, "before_commit")
def _bump_before_commit(session) -> None:
    session.flush()  # what is still pending is written now, and noted by the hook above
    if session.info.pop(_PUBLIC_WRITE, False):
        bump_data_version(session)


@sa.event.listens_for(orm.Session, "after_rollback")
def _forget_after_rollback(session) -> None:
    session.info.pop(_PUBLIC_WRITE, None)


@sa.event.listens_for(orm.Session, "do_orm_execute")
def _note_statement_tables(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) not in PRIVATE_TABLES:
        state.session.info[_PUBLIC_WRITE] = True


# The rule that a checklist version used by a publication is frozen is a session event too: it
# holds for every session as soon as the write layer is imported.
from tracker.write import frozen as _frozen  # noqa: E402,F401
