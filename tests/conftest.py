"""Shared fixtures: an app with a fresh database per test, clients, and factory fixtures.

Every test gets a database of its own, copied from one built once per run: an empty one for the
migration tests, the created schema for ``app``, the schema with the demo data when the test
asks for ``demo_data`` (directly or through another fixture), and a larger data set of
``DATA_SETS`` when it asks for that one (``countries_200``). Copying is what makes the suite fast:
building the schema and loading the demo (or 200 countries) for each test cost most of its time.

The suite runs on SQLite by default (the template files are copied to each test's tmp_path). When
``DATABASE_URL`` names a PostgreSQL server (``scripts/test-postgres``), the templates are databases
there, each test gets ``CREATE DATABASE ... TEMPLATE`` of its own, dropped after the test; the role
needs CREATEDB, and the database named in the URL itself is only used to connect.

The app's own environment variables never reach a test app (``create_app(test_config)`` ignores
them), and nothing is written into the working tree: the compiled catalogs, Hypothesis's files
and every database live under pytest's temporary directory.
"""

import itertools
import os
import shutil
import sqlite3
import time
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlmodel import Session, SQLModel
from synthetic import build_dataset, publish_all  # noqa: E402  (tests/ is on the path)

from tracker import create_app
from tracker.codes import (
    Extent,
    Implementation,
    InstrumentStatus,
    InstrumentType,
    Level,
    MilestoneKind,
    MilestoneStatus,
    Role,
)
from tracker.db import make_engine
from tracker.models import (
    Category,
    CategoryName,
    ChecklistVersion,
    Country,
    Coverage,
    CoverageLink,
    Instrument,
    Milestone,
    Provision,
    ProvisionText,
    User,
)
from tracker.security import hash_password

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL_DB = os.environ.get("DATABASE_URL", "").strip()
PASSWORD = "correct horse battery staple"

# Settings the app reads from the environment; none of them may change what a test sees.
APP_ENVIRONMENT = (
    "TRACKER_ENV", "TRACKER_PROXIES", "SECRET_KEY", "DATABASE_URL", "TRUSTED_HOSTS", "SERVER_NAME",
)


def _is_external() -> bool:
    return bool(EXTERNAL_DB) and not EXTERNAL_DB.startswith("sqlite")


def _share_url_builders() -> None:
    """Each URL rule's builder compiled once per process instead of once per test app.

    Werkzeug compiles a Python function for every rule of every new app (to build its URLs), which
    was nine tenths of ``create_app`` and a fifth of the suite's time, though all test apps have
    the same rules. The builder is a pure function of the rule's text and parsed parts (the rule
    object itself is its first argument), so one compiled function serves every rule alike; a
    rule with defaults is compiled as usual. Without the private method this does nothing."""
    from werkzeug.routing.rules import Rule

    original = getattr(Rule, "_compile_builder", None)
    if original is None or getattr(original, "shared_by_the_tests", False):
        return
    builders: dict[tuple, object] = {}

    def compile_builder(self, append_unknown: bool = True):
        if self.defaults:
            return original(self, append_unknown)
        key = (self.rule, tuple(self._trace), append_unknown)
        if key not in builders:
            builders[key] = original(self, append_unknown)
        return builders[key]

    compile_builder.shared_by_the_tests = True
    Rule._compile_builder = compile_builder


_share_url_builders()


@pytest.hookimpl(trylast=True)
def pytest_configure(config) -> None:
    # Hypothesis (under schemathesis) keeps its example database and caches in ./.hypothesis
    # unless told otherwise: keep them in pytest's temporary directory, out of the working tree.
    from hypothesis import configuration

    home = config._tmp_path_factory.getbasetemp() / "hypothesis"
    configuration.set_hypothesis_home_dir(home)


@pytest.fixture(autouse=True)
def _dispose_engines_made_by_the_test():
    """Apps a test builds for itself (a second instance, other settings) close their pooled
    connections when the test ends, as the ``app`` fixture's do."""
    from tracker import db

    before = set(db.ENGINES)
    yield
    _dispose_engines_since(before)


def _dispose_engines_since(before: set) -> None:
    from tracker import db

    for engine in set(db.ENGINES) - before:
        engine.dispose()


@pytest.fixture(autouse=True)
def _no_app_environment(monkeypatch):
    """Each test starts without the app's environment variables (a test may set its own)."""
    from tracker import config

    # config.py groups its whole-number settings in tuples named *_SETTINGS.
    groups = [v for k, v in vars(config).items() if k.endswith("_SETTINGS") and type(v) is tuple]
    for name in (*APP_ENVIRONMENT, *(name for group in groups for name in group)):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def translations_dir(tmp_path_factory) -> Path:
    """Compile every committed catalog into a temporary directory (the tree stays clean)."""
    out = tmp_path_factory.mktemp("translations")
    for po_path in sorted(ROOT.glob("translations/*/LC_MESSAGES/messages.po")):
        locale = po_path.parent.parent.name
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        errors = list(catalog.check())
        assert not errors, f"{po_path}: {errors[:3]}"
        target = out / locale / "LC_MESSAGES"
        target.mkdir(parents=True)
        with (target / "messages.mo").open("wb") as fh:
            write_mo(fh, catalog)
    return out


# --- databases: built once per run, copied per test ----------------------------------------------

EMPTY, SCHEMA, DEMO = "empty", "schema", "demo"


def load_demo(session: Session) -> None:
    """What the ``demo`` template holds (and what ``demo_data`` promises)."""
    from tracker import demo

    demo.load(session)


# Larger data sets, each a template of its own (on the schema), asked for by a fixture of the same
# name: what the builder returns (plain values, such as keys to look for) is that fixture's value.
DATA_SETS = {
    "countries_200": lambda session: build_dataset(session, 200, 40, instruments=6),
}


def _fill(url: str, kind: str):
    engine = make_engine(url)
    try:
        if kind != EMPTY:
            SQLModel.metadata.create_all(engine)
        if kind == DEMO:
            with Session(engine, expire_on_commit=False) as session:
                load_demo(session)
        if kind in DATA_SETS:
            with Session(engine, expire_on_commit=False) as session:
                value = DATA_SETS[kind](session)
                session.commit()
                return value
        return None
    finally:
        engine.dispose()


class SqliteDatabases:
    """Template files under the session's temporary directory, copied into each test's tmp_path."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.templates: dict[str, Path] = {}
        self.values: dict[str, object] = {}
        self.copied: dict[str, tuple] = {}
        self.built: dict[tuple, tuple] = {}

    def _template(self, kind: str) -> Path:
        if kind not in self.templates:
            path = self.directory / f"{kind}.db"
            self.values[kind] = _fill(f"sqlite:///{path}", kind)
            # The last connection closed checkpoints the WAL: the file alone is the database.
            assert not path.with_name(path.name + "-wal").exists()
            self.templates[kind] = path
        return self.templates[kind]

    def new(self, kind: str, tmp_path: Path) -> str:
        target = tmp_path / "test.db"
        if kind != EMPTY:
            shutil.copyfile(self._template(kind), target)
            self.copied[str(target)] = (kind, _stat(target))
        return f"sqlite:///{target}"

    def release(self, url: str) -> None:
        pass

    def close(self) -> None:
        pass

    # Fixtures built once (``built_once``): a file per fixture and template, and its value.

    def untouched(self, url: str, engine) -> str | None:
        """The template this test's database was copied from, if nothing has written to it since
        (and no connection is open on it, so that its file can be read or replaced)."""
        path = sa.make_url(url).database
        if path not in self.copied or engine.pool.checkedout():
            return None
        engine.dispose()  # the last connection closed checkpoints the WAL: the file is the database
        kind, stat = self.copied[path]
        if Path(path + "-wal").exists() or _stat(Path(path)) != stat:
            return None
        return kind

    def save(self, key: tuple, url: str, value) -> None:
        path = self.directory / f"built-{len(self.built)}.db"
        source = sqlite3.connect(sa.make_url(url).database)
        target = sqlite3.connect(path)
        try:
            source.backup(target)  # what is committed, whoever has the file open
        finally:
            target.close()
            source.close()
        self.built[key] = (path, value)

    def restore(self, key: tuple, url: str):
        """Put the saved file in place of this test's database (a new file: a connection still
        open elsewhere keeps the old one); the saved value, or None if there is none."""
        if key not in self.built:
            return None
        path, value = self.built[key]
        target = Path(sa.make_url(url).database)
        shutil.copyfile(path, target.with_name("restoring.db"))
        os.replace(target.with_name("restoring.db"), target)
        for side in ("-wal", "-shm"):
            Path(str(target) + side).unlink(missing_ok=True)
        return value


def _stat(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_size, info.st_mtime_ns


class PostgresDatabases:
    """Template databases on the server; each test gets ``CREATE DATABASE ... TEMPLATE``."""

    def __init__(self, url: str):
        self.url = sa.make_url(url)
        self.prefix = f"{self.url.database}_t{os.getpid()}"
        self.admin = sa.create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        self.counter = itertools.count(1)
        self.templates: dict[str, str] = {}
        self.values: dict[str, object] = {}
        with self.admin.connect() as conn:
            version = conn.exec_driver_sql("SHOW server_version_num").scalar_one()
            can_create = conn.exec_driver_sql(
                "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"
            ).scalar_one()
        if not can_create:
            pytest.exit(
                f"the PostgreSQL role {self.url.username!r} needs CREATEDB: each test gets a "
                "database of its own (scripts/test-postgres creates such a role)",
                returncode=4,
            )
        # FILE_COPY (PostgreSQL 15+) copies a small template faster than logging every page.
        self.strategy = " STRATEGY FILE_COPY" if int(version) >= 150000 else ""

    def _url(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def _create(self, name: str, template: str = "template0") -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(
                f'CREATE DATABASE "{name}" TEMPLATE "{template}"{self.strategy}'
            )

    def _drop(self, name: str) -> None:
        # A plain DROP also stops an autovacuum worker on the database (FORCE may not, without
        # pg_signal_backend); FORCE then ends connections a test left open (a live server's).
        # On a loaded machine the worker may take longer to go than the DROP waits (5 s): the
        # plain DROP is tried again before FORCE (a CI run at load 17 failed there once).
        for attempt in range(3):
            try:
                with self.admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
                return
            except sa.exc.OperationalError:
                time.sleep(0.5 * (attempt + 1))
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _template(self, kind: str) -> str:
        if kind not in self.templates:
            name = f"{self.prefix}_{kind}"
            self._drop(name)
            self._create(name)
            self.templates[kind] = name
            self.values[kind] = _fill(self._url(name), kind)
        return self.templates[kind]

    def new(self, kind: str, tmp_path: Path) -> str:
        name = f"{self.prefix}_{next(self.counter)}"
        self._create(name, self._template(kind))
        return self._url(name)

    def release(self, url: str) -> None:
        self._drop(sa.make_url(url).database)

    def close(self) -> None:
        for name in self.templates.values():
            self._drop(name)
        self.admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    store = (
        PostgresDatabases(EXTERNAL_DB)
        if _is_external()
        else SqliteDatabases(tmp_path_factory.mktemp("templates"))
    )
    yield store
    store.close()


def _kind_for(request) -> str:
    names = request.fixturenames
    data_sets = [name for name in DATA_SETS if name in names]
    if data_sets:
        assert len(data_sets) == 1 and "demo_data" not in names, "one data set per test"
        return data_sets[0]
    if "demo_data" in names:
        return DEMO
    if "app" in names:
        return SCHEMA
    return EMPTY


@pytest.fixture
def database_url(request, databases, tmp_path) -> str:
    """A fresh database for this test: empty, with the schema (``app``), with the demo data, or
    with one of the ``DATA_SETS``."""
    from tracker import db

    url = databases.new(_kind_for(request), tmp_path)
    before = set(db.ENGINES)
    yield url
    # The apps a test built for itself close their connections before their database is dropped
    # (on PostgreSQL an open one made each DROP wait 5 s three times, then end it by force).
    _dispose_engines_since(before)
    databases.release(url)


@pytest.fixture
def app_config(database_url, translations_dir) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
        "BABEL_TRANSLATION_DIRECTORIES": str(translations_dir),
        "RATELIMIT_ENABLED": False,
    }


@pytest.fixture
def bare_app(app_config):
    """An app whose database has no tables at all (for migration tests), unless ``app`` is used."""
    app = create_app(app_config)  # its templates compiled once per process (tracker.web.compiled)
    engine = app.extensions["engine"]
    yield app
    engine.dispose()


@pytest.fixture
def app(bare_app):
    """An app whose database has the schema (copied from the template built once per run)."""
    return bare_app


@pytest.fixture
def engine(app):
    return app.extensions["engine"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(engine):
    """A session outside any app context (see STYLE.md, G10.a)."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def demo_data(app, session):
    """The demo data, already in this test's database (copied from the ``demo`` template)."""
    return session


@pytest.fixture
def countries_200(app, databases, database_url) -> dict:
    """200 countries judging 40 provisions with 6 instruments each, published
    (``synthetic.build_dataset``), already in this test's database (copied from its template);
    the value is ``build_dataset``'s: the first country's ISO3, its first instrument, a provision."""
    return dict(databases.values["countries_200"])


def _portable(value):
    """``value`` with each database row replaced by its class and primary key."""
    if isinstance(value, SQLModel) and sa.inspect(value, raiseerr=False) is not None:
        return ("row", (type(value), sa.inspect(value).identity))
    if isinstance(value, SimpleNamespace):
        return ("namespace", {k: _portable(v) for k, v in vars(value).items()})
    if isinstance(value, dict):
        return ("dict", {k: _portable(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_portable(v) for v in value])
    return ("plain", value)


def _rebuilt(session, portable):
    """The value ``_portable`` made portable, its rows loaded by ``session``."""
    tag, content = portable
    if tag == "row":
        model, identity = content
        return session.get(model, identity)
    if tag == "namespace":
        return SimpleNamespace(**{k: _rebuilt(session, v) for k, v in content.items()})
    if tag == "dict":
        return {k: _rebuilt(session, v) for k, v in content.items()}
    if tag in ("list", "tuple"):
        items = [_rebuilt(session, v) for v in content]
        return items if tag == "list" else tuple(items)
    return content


@pytest.fixture
def built_once(request, databases, database_url, engine, session):
    """``built_once(build)``: ``build()``'s value, with what it wrote, built once per run.

    The first test that asks builds it in its own database, and a copy of that database (what is
    committed) is kept with the value. Each later test whose database is still the untouched copy
    of the same template gets a copy of the kept file instead, and the value with its rows loaded
    again by ``session``: the same data, the same keys, without building it again. ``build`` must
    commit what it writes and return rows, plain values, or namespaces, dicts, lists and tuples
    of them. When anything wrote to the database before (another fixture), or on PostgreSQL, it
    is simply built. Its key is where ``build`` is written (the fixture that calls it) and the
    day."""

    def get(build):
        code = build.__code__
        if not isinstance(databases, SqliteDatabases):
            return build()
        kind = databases.untouched(database_url, engine)
        # Built again on a new day (UTC): what it dates (a publication, a change) is then today's.
        key = (code.co_filename, code.co_firstlineno, kind, datetime.now(UTC).date())
        if kind is not None:
            portable = databases.restore(key, database_url)
            if portable is not None:
                return _rebuilt(session, portable)
        value = build()
        if kind is not None and not (session.new or session.dirty or session.deleted):
            databases.save(key, database_url, _portable(value))
        return value

    return get


# --- factories ----------------------------------------------------------------------------------


@pytest.fixture
def make_country(session):
    counter = iter(range(1, 10_000))

    def make(**overrides) -> Country:
        n = next(counter)
        values = {
            "iso3": overrides.pop("iso3", None)
            or f"Q{chr(64 + (n // 26) % 26 + 1)}{chr(64 + n % 26 + 1)}",
            "joined_on": date(2023, 12, 1),
            "languages": "en",
        }
        values.setdefault("iso2", overrides.pop("iso2", None) or values["iso3"][1:])
        values.update(overrides)
        country = Country(**values)
        session.add(country)
        session.commit()
        return country

    return make


@pytest.fixture
def make_checklist(session):
    """A current checklist with ``n`` provisions split across two categories."""

    def make(n: int = 4, code: str = "T.1", current: bool = True, levels=None) -> ChecklistVersion:
        checklist = ChecklistVersion(code=code, title=f"Checklist {code}", is_current=current)
        session.add(checklist)
        session.flush()
        cats = []
        for i, cat_code in enumerate(("AAA", "BBB"), start=1):
            cat = Category(checklist_id=checklist.id, code=cat_code, position=i)
            cat.names.append(CategoryName(locale="en", name=f"Category {cat_code}"))
            session.add(cat)
            cats.append(cat)
        session.flush()
        for i in range(n):
            cat = cats[i % 2]
            level = levels[i] if levels else (Level.CORE if i % 2 == 0 else Level.RECOMMENDED)
            prov = Provision(
                checklist_id=checklist.id,
                category_id=cat.id,
                code=f"{cat.code}-{i + 1:02d}",
                level=level,
                position=i + 1,
            )
            prov.texts.append(
                ProvisionText(locale="en", title=f"Provision {i + 1}", guidance="Guidance.")
            )
            session.add(prov)
        session.commit()
        return checklist

    return make


@pytest.fixture
def make_instrument(session, make_country):
    def make(country: Country | None = None, **overrides) -> Instrument:
        country = country or make_country()
        values = {
            "country_id": country.id,
            "type": InstrumentType.REGULATION,
            "title": "E-waste Regulations",
            "title_lang": "en",
            "status": InstrumentStatus.IN_FORCE,
            "year": 2024,
        }
        values.update(overrides)
        inst = Instrument(**values)
        session.add(inst)
        session.commit()
        return inst

    return make


@pytest.fixture
def make_milestone(session, make_country):
    def make(country: Country | None = None, **overrides) -> Milestone:
        country = country or make_country()
        values = {
            "country_id": country.id,
            "kind": MilestoneKind.STAKEHOLDER_CONSULTATION,
            "title": "Consultation workshop",
            "planned_on": date(2024, 10, 23),
            "status": MilestoneStatus.PLANNED,
        }
        values.update(overrides)
        ms = Milestone(**values)
        session.add(ms)
        session.commit()
        return ms

    return make


@pytest.fixture
def make_coverage(session):
    def make(country: Country, provision: Provision, links=(), **overrides) -> Coverage:
        cov = Coverage(country_id=country.id, provision_id=provision.id, **overrides)
        for instrument, extent, *articles in links:
            cov.links.append(
                CoverageLink(
                    instrument_id=instrument.id,
                    extent=Extent(extent),
                    articles=articles[0] if articles else None,
                )
            )
        session.add(cov)
        session.commit()
        return cov

    return make


@pytest.fixture
def make_user(session):
    def make(
        email: str = "admin@example.org",
        role: Role = Role.ADMIN,
        country: Country | None = None,
        **overrides,
    ) -> User:
        user = User(
            email=email,
            password_hash=hash_password(overrides.pop("password", PASSWORD)),
            role=role,
            country_id=country.id if country else None,
            **overrides,
        )
        session.add(user)
        session.commit()
        return user

    return make


@pytest.fixture
def publish(session):
    """Publish working copies, as an administrator would: the public pages, every export and the
    API serve each country's latest publication, never the working copy (issue 12). A test that
    changes data and expects to see it in public publishes first: ``publish()`` publishes every
    country, ``publish(country, ...)`` only those."""

    def publish(*countries, message: str = "Published by the test") -> list:
        return publish_all(session, *countries, message=message)

    return publish


__all__ = ["Implementation", "PASSWORD"]


# --- staff (issue 4) ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One Argon2 hash of PASSWORD for the whole run (hashing is deliberately slow)."""
    return hash_password(PASSWORD)


@pytest.fixture
def staff(session, make_country, password_hash):
    """Zambia and Rwanda, an admin, and an editor for each country (users share one hash)."""
    from types import SimpleNamespace

    zmb = make_country(iso3="ZMB", iso2="ZM", languages="en")
    rwa = make_country(iso3="RWA", iso2="RW", languages="rw en fr")
    users = {}
    for key, email, role, country in (
        ("admin", "admin@example.org", Role.ADMIN, None),
        ("editor_zmb", "editor.zmb@example.org", Role.EDITOR, zmb),
        ("editor_rwa", "editor.rwa@example.org", Role.EDITOR, rwa),
    ):
        user = User(email=email, password_hash=password_hash, role=role,
                    country_id=country.id if country else None)
        session.add(user)
        users[key] = user
    session.commit()
    return SimpleNamespace(zmb=zmb, rwa=rwa, **users)


@pytest.fixture
def sign_in(client, session):
    """Sign a client in as ``user`` without the (slow) password check: a server-side session
    row, and its token in the cookie, as a real sign-in makes them."""
    from tracker import write
    from tracker.write import sessions

    def sign_in(user, to=None):
        target = to or client
        with write.transaction(session):
            token = sessions.start(session, user)
        with target.session_transaction() as s:
            s["_user_id"] = token
            s["_fresh"] = True
        return target

    return sign_in


# --- a country whose figures are worked out by hand ----------------------------------------------


@pytest.fixture
def scored_country(request, built_once):
    """``scored_record``, published: what the public pages, exports and API serve (issue 12).
    Built once per run, like ``scored_record`` (``built_once``)."""

    def build():
        record = request.getfixturevalue("scored_record")
        publish_all(request.getfixturevalue("session"))
        return record

    return built_once(build)


@pytest.fixture
def scored_record(request, built_once):
    """Kenya on a four-provision checklist, built once per run and copied into each test's
    database (``built_once``); see ``_scored_record``."""
    return built_once(lambda: _scored_record(*map(request.getfixturevalue, (
        "session", "make_checklist", "make_country", "make_instrument", "make_coverage",
        "make_milestone"))))


def _scored_record(session, make_checklist, make_country, make_instrument, make_coverage,
                   make_milestone):
    """Kenya on a four-provision checklist, judged so that every figure is easy to work out by
    hand from the method (tracker/scoring.py's docstring), never by the code under test:

    ======  ===========  ======  =========================================  ==============
    code    level        weight  links                                      implementation
    ======  ===========  ======  =========================================  ==============
    AAA-01  core         2       the act (in force), fully                  operational 2/3
    BBB-02  recommended  1       the draft (drafting), partly               none 0
    AAA-03  core         2       the old act (repealed) fully, the act      initiated 1/3
                                 partly
    BBB-04  recommended  -       not applicable
    ======  ===========  ======  =========================================  ==============

    Applicable weight 2 + 1 + 2 = 5:
      in force          (2x1 + 1x0   + 2x0.5) / 5 = 3/5   = 60 %
      including drafts  (2x1 + 1x0.5 + 2x0.5) / 5 = 3.5/5 = 70 %
      implementation    (2x2/3 + 1x0 + 2x1/3) / 5 = 2/5   = 40 %
    Category AAA (weight 4): 3/4 = 75 %, 3/4 = 75 %, 2/4 = 50 %.
    Category BBB (weight 1): 0 %, 0.5 = 50 %, 0 %.
    All four provisions are judged: 4 of 4 assessed, not provisional.
    Stage: none of the three instruments is marked specific to e-waste, so "no e-waste-specific
    instrument yet" (None). Milestones: 1 done of 2.
    """
    from types import SimpleNamespace

    from sqlmodel import select

    checklist = make_checklist(n=4)
    kenya = make_country(iso3="KEN", iso2="KE")
    act = make_instrument(kenya, title="E-waste Act", status=InstrumentStatus.IN_FORCE)
    draft = make_instrument(kenya, title="EPR Regulations (draft)",
                            status=InstrumentStatus.DRAFTING, year=2025)
    old = make_instrument(kenya, title="Old Waste Act", status=InstrumentStatus.REPEALED,
                          year=1999)
    by_code = {
        p.code: p
        for p in session.exec(select(Provision).where(Provision.checklist_id == checklist.id))
    }
    assert sorted(by_code) == ["AAA-01", "AAA-03", "BBB-02", "BBB-04"]
    make_coverage(kenya, by_code["AAA-01"], links=[(act, "full", "s. 3")],
                  implementation=Implementation.OPERATIONAL)
    make_coverage(kenya, by_code["BBB-02"], links=[(draft, "partial")])
    make_coverage(kenya, by_code["AAA-03"], links=[(old, "full"), (act, "partial", "s. 9")],
                  implementation=Implementation.INITIATED)
    make_coverage(kenya, by_code["BBB-04"], applicable=False,
                  not_applicable_reason="No such trade in the country.")
    make_milestone(kenya, status=MilestoneStatus.DONE)
    make_milestone(kenya, title="Validation workshop", status=MilestoneStatus.PLANNED)
    return SimpleNamespace(
        country=kenya,
        checklist=checklist,
        name="Kenya",
        overall={"in_force": 0.6, "with_drafts": 0.7, "implementation": 0.4},
        categories={
            "AAA": {"in_force": 0.75, "with_drafts": 0.75, "implementation": 0.5},
            "BBB": {"in_force": 0.0, "with_drafts": 0.5, "implementation": 0.0},
        },
        applicable=3,
        not_applicable=1,
        assessed=4,
        provisions=4,
        stage=None,
        milestones_done=1,
        milestones_total=2,
    )
