"""The package's shape, checked on its source: one write path, dependencies pointing one way.

Every session write (add, delete, flush, commit, rollback, merge, or executing an INSERT, UPDATE
or DELETE) lives in ``tracker/write/``, so history and the transaction cannot be bypassed.

Imports (at module level and inside functions) point down the layers only:
web (blueprints, forms, guards) and the CLI -> demo loader -> write -> read -> scoring and
formats -> models -> coded values -> config, db, i18n, security. Nothing imports a blueprint but
the module that registers them; read and write code never touches Flask's ``request``,
``session`` or ``g``; scoring and formats never import SQLModel or SQLAlchemy; no import circle.
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
        if rel.startswith("write/"):
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


# --- the import graph ---------------------------------------------------------------------------

# A module may import modules of its own rank or below, never above.
RANKS = {
    "tracker": 9,  # the application factory
    "tracker.web": 8,
    "tracker.cli": 8,
    "tracker.demo": 7,
    "tracker.write": 6,
    "tracker.read": 5,
    "tracker.scoring": 4,
    "tracker.formats": 4,
    "tracker.models": 3,
    "tracker.codes": 2,
    "tracker.dates": 2,  # pure: dates at their precision (standard library and codes only)
    "tracker.fields": 2,  # field rules shared by forms, the import and the models
    "tracker.config": 1,
    "tracker.db": 1,
    "tracker.i18n": 1,
    "tracker.security": 1,
}
REQUEST_STATE = frozenset({"request", "session", "g", "current_user"})
DATABASE_LIBRARIES = frozenset({"sqlmodel", "sqlalchemy"})


def _module_names() -> dict[str, Path]:
    out = {}
    for rel, path in _modules():
        parts = rel[: -len(".py")].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(["tracker", *parts])] = path
    return out


MODULES = _module_names()


def _group(module: str) -> str:
    """The layer a module belongs to: the longest prefix listed in ``RANKS``."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in RANKS:
            return ".".join(parts[:n])
    raise AssertionError(f"{module} belongs to no layer: add it to RANKS")


def imports_of(module: str) -> list[tuple[str, int, list[str]]]:
    """Every import in ``module``: (imported module, line, names taken from it)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [alias.name for alias in node.names]
            submodules = [f"{base}.{name}" for name in names if f"{base}.{name}" in MODULES]
            out += [(sub, node.lineno, []) for sub in submodules]
            rest = [name for name in names if f"{base}.{name}" not in MODULES]
            if rest or not submodules:
                out.append((base, node.lineno, rest))
    return out


def _internal_edges() -> dict[str, set[str]]:
    return {
        module: {target for target, _line, _names in imports_of(module) if target in MODULES}
        for module in MODULES
    }


def _blueprints() -> set[str]:
    found = set()
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and _name(node.value.func) == "Blueprint"
            ):
                found.add(module)
    return found


def test_imports_point_down_the_layers():
    upward = []
    for module in MODULES:
        rank = RANKS[_group(module)]
        for target, line, _names in imports_of(module):
            if target in MODULES and RANKS[_group(target)] > rank:
                upward.append(f"{module}:{line} imports {target}")
    assert upward == []


def test_nothing_imports_a_blueprint():
    blueprints = _blueprints()
    assert {"tracker.web.public", "tracker.web.manage", "tracker.web.auth"} <= blueprints
    found = [
        f"{module}:{line} imports {target}"
        for module in MODULES
        if module != "tracker.web"  # registers them
        for target, line, _names in imports_of(module)
        if target in blueprints
    ]
    assert found == []


def test_read_and_write_code_never_touches_the_request():
    found = []
    for module in MODULES:
        if _group(module) not in ("tracker.read", "tracker.write"):
            continue
        for target, line, names in imports_of(module):
            top = target.split(".")[0]
            if top in ("flask", "flask_login", "werkzeug") and (
                not names or REQUEST_STATE & set(names)
            ):
                found.append(f"{module}:{line} imports {target} {names}")
            if target.startswith("tracker.web"):
                found.append(f"{module}:{line} imports {target}")
    assert found == []


def test_scoring_and_formats_are_pure():
    found = [
        f"{module}:{line} imports {target}"
        for module in MODULES
        if _group(module) in ("tracker.scoring", "tracker.formats")
        for target, line, _names in imports_of(module)
        if target.split(".")[0] in DATABASE_LIBRARIES
        or (target in MODULES and _group(target) in ("tracker.models", "tracker.db"))
    ]
    assert found == []


def test_there_is_no_import_circle():
    edges = _internal_edges()
    # Tarjan's strongly connected components: any component of two or more is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges[node]:
                circles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    assert circles == []


def test_the_graph_sees_function_level_imports():
    """``tracker.web`` registers the blueprints inside ``init_app``: those imports count too."""
    targets = {target for target, _line, _names in imports_of("tracker.web")}
    assert {"tracker.web.manage", "tracker.web.imports", "tracker.web.auth"} <= targets


def test_every_script_compiles():
    """The scripts (benchmarks, the production proof) run outside the suite: a mistake that
    only the compiler sees (a ``global`` after the name's first use) would surface on the
    next person's run, not here."""
    root = Path(__file__).resolve().parent.parent
    scripts = sorted((root / "scripts").glob("*.py"))
    assert scripts
    for path in scripts:
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
