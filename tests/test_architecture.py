"""The package's shape, checked on its source: one write path.

Every session write (add, delete, flush, commit, rollback, merge, or executing an INSERT, UPDATE
or DELETE) lives in ``tracker/write/``, so history and the transaction cannot be bypassed.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tracker"

# Session methods that write or end a transaction on whatever object they are called on.
ALWAYS_WRITES = frozenset(
    {
        "add_all",
        "commit",
        "rollback",
        "flush",
        "merge",
        "bulk_save_objects",
        "bulk_insert_mappings",
        "bulk_update_mappings",
    }
)
# Methods that write when called on a session (``set.add`` and ``dict.update`` do not).
SESSION_WRITES = frozenset({"add", "delete"})
EXECUTES = frozenset({"execute", "exec", "exec_driver_sql", "scalar", "scalars"})
DML = frozenset({"insert", "update", "delete"})
SQL_MODULES = frozenset({"sa", "sqlalchemy", "sqlmodel"})
DML_TEXT = ("INSERT", "UPDATE", "DELETE", "REPLACE")
SESSION_CALLS = frozenset({"get_session", "Session", "standalone_session"})
SESSION_NAMES = frozenset({"s", "dbs", "conn", "connection"})

# The sign-in bookkeeping moves into tracker/write/accounts.py in a later step of issue 9.
NOT_YET_MOVED = frozenset({"web/auth.py"})


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _name(node.func)
    return None


def _session_like(node: ast.AST) -> bool:
    """A receiver that is, by our naming conventions, a session or a connection."""
    if isinstance(node, ast.Call):
        return _name(node.func) in SESSION_CALLS
    name = _name(node)
    return name is not None and (name in SESSION_NAMES or "session" in name.lower())


def _dml_names(tree: ast.Module) -> set[str]:
    """Names bound to SQLAlchemy's or SQLModel's insert/update/delete by ``from ... import``."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in SQL_MODULES:
            names |= {a.asname or a.name for a in node.names if a.name in DML}
    return names


def _is_dml_call(node: ast.Call, dml_names: set[str]) -> bool:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in dml_names
    if isinstance(func, ast.Attribute) and func.attr in DML:
        owner = func.value
        if isinstance(owner, ast.Name) and owner.id in SQL_MODULES:
            return True  # sa.update(table)
        if _name(owner) == "__table__" or (_name(owner) or "").endswith("table"):
            return True  # Model.__table__.insert()
    return False


def session_writes(source: str, filename: str = "<source>") -> list[str]:
    """Each session write in ``source`` as ``file:line: what``."""
    tree = ast.parse(source, filename)
    dml_names = _dml_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        what = None
        if _is_dml_call(node, dml_names):
            what = f"builds an SQL {_name(node.func)} statement"
        elif isinstance(node.func, ast.Attribute):
            method, receiver = node.func.attr, node.func.value
            if method in ALWAYS_WRITES:
                what = f".{method}()"
            elif method in SESSION_WRITES and _session_like(receiver):
                what = f".{method}()"
            elif method in EXECUTES and any(
                isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
                and arg.value.lstrip().upper().startswith(DML_TEXT)
                for sub in node.args
                for arg in ast.walk(sub)
            ):
                what = f".{method}() of SQL text that writes"
        if what:
            found.append(f"{filename}:{node.lineno}: {what}")
    return found


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE).as_posix(), path


def test_only_the_write_layer_writes_to_the_database():
    offenders = []
    for rel, path in _modules():
        if rel.startswith("write/") or rel in NOT_YET_MOVED:
            continue
        offenders += session_writes(path.read_text(encoding="utf-8"), f"tracker/{rel}")
    assert offenders == [], "session writes outside tracker/write/:\n" + "\n".join(offenders)


def test_the_write_layer_is_where_the_writes_are():
    """The check finds something to check: the write layer's own writes."""
    found = []
    for rel, path in _modules():
        if rel.startswith("write/"):
            found += session_writes(path.read_text(encoding="utf-8"), rel)
    kinds = {line.split(": ", 1)[1] for line in found}
    assert {".add()", ".flush()", ".commit()", ".rollback()", ".delete()"} <= kinds
    assert "builds an SQL update statement" in kinds


def test_the_check_catches_every_kind_of_write():
    source = '''
import sqlalchemy as sa
from sqlalchemy import delete as remove
from sqlmodel import insert

def view(dbs, session, conn, table):
    dbs.add(thing)
    session.add_all([a, b])
    db.get_session().delete(thing)
    session.flush()
    session.commit()
    dbs.rollback()
    session.merge(thing)
    dbs.execute(sa.update(table).values(x=1))
    dbs.execute(remove(Thing))
    conn.execute(insert(Thing).values(x=1))
    statement = Thing.__table__.delete()
    conn.exec_driver_sql("DELETE FROM thing")
    g.db_session.add(thing)
'''
    found = session_writes(source)
    assert sorted(int(line.split(":")[1]) for line in found) == list(range(7, 20))


def test_the_check_leaves_reads_and_other_objects_alone():
    source = """
import sqlalchemy as sa

def view(dbs, seen, response, values):
    seen.add(1)
    response.vary.add("Cookie")
    values.update({"a": 1})
    values.pop("a")
    dbs.execute(sa.select(Thing)).all()
    dbs.exec(sa.text("SELECT 1"))
    dbs.get(Thing, 1)
    dbs.close()
"""
    assert session_writes(source) == []
