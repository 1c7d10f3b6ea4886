"""Shared fixtures: an app with a fresh database per test, clients, and factory fixtures.

The suite runs on SQLite by default (one file per test under tmp_path). When ``DATABASE_URL``
names a PostgreSQL server (``scripts/test-postgres``), every test gets an emptied schema there.
"""

import os
from datetime import date
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import text
from sqlmodel import Session, SQLModel

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


def _is_external() -> bool:
    return bool(EXTERNAL_DB) and not EXTERNAL_DB.startswith("sqlite")


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


@pytest.fixture
def database_url(tmp_path) -> str:
    if _is_external():
        return EXTERNAL_DB
    return f"sqlite:///{tmp_path / 'test.db'}"


def reset_schema(engine) -> None:
    """Drop everything (tables and Alembic's stamp) so a test starts from nothing."""
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


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
    """An app whose database has no tables at all (for migration tests)."""
    app = create_app(app_config)
    engine = app.extensions["engine"]
    if _is_external():
        reset_schema(engine)
    yield app
    if _is_external():
        reset_schema(engine)
    engine.dispose()


@pytest.fixture
def app(bare_app):
    SQLModel.metadata.create_all(bare_app.extensions["engine"])
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
    from tracker import demo

    demo.load(session)
    return session


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
    from tracker.write import sessions

    def sign_in(user, to=None):
        target = to or client
        token = sessions.start(session, user)
        with target.session_transaction() as s:
            s["_user_id"] = token
            s["_fresh"] = True
        return target

    return sign_in
