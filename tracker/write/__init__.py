"""The write layer: every change to the database goes through this package.

    __init__.py   ``transaction``: the one place a transaction ends (commit or roll back)
    changes.py    create, update, delete, restore: versions and change records (history)
    checklist.py  the whole-checklist save of the workspace
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

from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import Session

_OPEN = "tracker.write.transaction"


def is_open(session: Session) -> bool:
    """True inside ``transaction(session)``."""
    return bool(session.info.get(_OPEN))


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """Commit ``session``'s work when the block ends; roll it back if the block raises.

    Blocks do not nest: a write function that opened its own would commit its caller's work
    early, so a nested ``transaction`` is a programming error.
    """
    if session.info.get(_OPEN):
        raise RuntimeError("write.transaction() is already open for this session")
    session.info[_OPEN] = True
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_OPEN, None)
