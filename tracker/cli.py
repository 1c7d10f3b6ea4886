"""Command-line interface: ``flask --app wsgi db|demo|users|translate|exports ...``.

Other tools script against these exact forms, so keep names, options and exit codes stable.
Errors print ``Error: ...`` on stderr and exit with status 2.
"""

import subprocess
import sys
import time
from pathlib import Path

import click
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlmodel import select

from tracker import db, demo, write
from tracker.codes import Role
from tracker.config import ROOT
from tracker.models import Country, User
from tracker.security import password_problem
from tracker.write import accounts, changes
from tracker.write.checklist import ChecklistFrozen

db_cli = AppGroup("db", help="Database migrations (Alembic).")
demo_cli = AppGroup("demo", help="Demo data.")
users_cli = AppGroup("users", help="Staff accounts.")
translate_cli = AppGroup("translate", help="Translation catalogs (extract, update, compile).")
exports_cli = AppGroup("exports", help="The public CSV exports.")


def init_app(app: Flask) -> None:
    for group in (db_cli, demo_cli, users_cli, translate_cli, exports_cli):
        app.cli.add_command(group)


def fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


# --- db -----------------------------------------------------------------------------------------


def alembic_config(url: str | None = None) -> AlembicConfig:
    """Alembic's config for ``alembic.ini``, pointed at the app's database."""
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.attributes["database_url"] = url or current_app.config["DATABASE_URL"]
    return cfg


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: head)."""
    alembic_command.upgrade(alembic_config(), revision)
    click.echo(f"Database at {revision}.")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (e.g. -1 or base)."""
    alembic_command.downgrade(alembic_config(), revision)
    click.echo(f"Database at {revision}.")


@db_cli.command("current")
def db_current() -> None:
    """Show the database's revision."""
    alembic_command.current(alembic_config())


@db_cli.command("check")
def db_check() -> None:
    """Fail when the models and the migrations disagree."""
    alembic_command.check(alembic_config())


# --- demo ---------------------------------------------------------------------------------------


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Only load when the database has no country yet.")
def demo_load(if_empty: bool) -> None:
    """Load (or refresh) the demo checklist, countries, instruments and milestones.

    Every change is recorded in history under the system actor "demo data".
    """
    with db.standalone_session() as session:
        if if_empty and not demo.is_empty(session):
            click.echo("The database already has data; demo data not loaded.")
            return
        try:
            stats = demo.load(session)
        except demo.DemoDataError as exc:
            fail(str(exc))
        except ChecklistFrozen as exc:
            fail(
                f"checklist version {exc.code} is used by a publication, so the demo files "
                "cannot change it; nothing was loaded. Put the change in a new checklist version."
            )
    click.echo(f"Demo data loaded: {stats.summary()}.")


# --- exports ------------------------------------------------------------------------------------

@exports_cli.command("store")
def exports_store() -> None:
    """Store every export's rows of the publications in force (and checklist.csv's rows) that
    are not stored for this code.

    Run it after a deployment of other code or a change to the checklist tables: otherwise the
    first download of each export writes them (from a replica of every publication: about 20 s
    at a million coverage rows) while a reader waits. It downloads each export once, in this
    process, as that first reader would, and prints how many publications' rows are stored.
    """
    from tracker.read import publications, rows, stored
    from tracker.write.replica import shared_stamp

    config = current_app.config
    host = config.get("SERVER_NAME") or (config.get("TRUSTED_HOSTS") or ["localhost"])[0]
    client = current_app.test_client()
    # countries.csv last: its rows are computed on the replica the others may have built
    for name in ("checklist", *rows.BY_COUNTRY, "countries"):
        started = time.perf_counter()
        answer = client.get(f"/exports/{name}.csv", base_url=f"http://{host.lstrip('.')}",
                            buffered=False)  # fmt: skip
        try:
            if answer.status_code != 200:
                fail(f"{name}.csv answered {answer.status_code}")
            for _chunk in answer.response:  # written as a download is, a piece at a time
                pass
        finally:
            answer.close()
        with db.standalone_session() as session:
            pids = [pid for _cid, pid in publications.in_force_ids(session, None)]
            on = stored.basis(shared_stamp(session))
            if name == "checklist":  # the shared tables' rows alone
                kept = stored.shared_piece_of(session, name, on) is not None
                click.echo(f"{name}.csv: the rows of the shared tables "
                           f"{'stored' if kept else 'not stored'} "
                           f"({time.perf_counter() - started:.1f} s)")  # fmt: skip
                continue
            if name == "countries":
                found = stored.figures_of(session, pids, on)
            else:
                found = stored.pieces_of(session, name, pids, on)
        click.echo(f"{name}.csv: the rows of {len(found)} of {len(pids)} publications in force "
                   f"stored ({time.perf_counter() - started:.1f} s)")  # fmt: skip


@exports_cli.command("prune")
@click.option("--dry-run", is_flag=True, help="Count the rows that would be deleted; delete none.")
def exports_prune(dry_run: bool) -> None:
    """Delete the exports' rows and figures stored for earlier code or an earlier state of the
    checklist tables.

    Every deployment of other code, and every change to the checklist tables, stores the rows
    again on a new basis and leaves the earlier ones unread (17 MB a basis at a million coverage
    rows). Run it once every instance runs the new code: an instance still running other code
    would compute its rows again. The current rows, of every publication (those in force and
    the earlier ones that ?as_of= reads), are kept.
    """
    from tracker.read import stored
    from tracker.write import review
    from tracker.write.replica import shared_stamp

    with db.standalone_session() as session, write.transaction(session):
        on = stored.basis(shared_stamp(session))
        counts = review.forget_other_bases(session, on, dry_run=dry_run)
    done = "would be deleted (nothing was deleted: --dry-run)" if dry_run else "deleted"
    for table, count in counts.items():
        click.echo(f"{table}: {count} {'row' if count == 1 else 'rows'} of earlier bases {done}")


# --- users --------------------------------------------------------------------------------------


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, help="admin or editor.")
@click.option(
    "--country", "iso3", default=None, help="ISO 3166 alpha-3 code; required for editors."
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(email: str, role: str, iso3: str | None, password_stdin: bool) -> None:
    """Create a staff account. The password is prompted for unless --password-stdin is given.

    The account's creation is recorded in history under the system actor "command line".
    """
    from email_validator import EmailNotValidError, validate_email

    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        fail(f"invalid email address: {exc}")
    if role not in Role.codes():
        fail(f"unknown role {role!r}; use one of: {', '.join(Role.codes())}")
    role = Role(role)
    with db.standalone_session() as session:
        country = None
        if iso3:
            country = session.exec(select(Country).where(Country.iso3 == iso3.upper())).first()
            if country is None:
                fail(
                    f"unknown country {iso3!r}; use an ISO 3166 alpha-3 code already in the database"
                )
        if role is Role.EDITOR and country is None:
            fail("an editor needs a country: add --country ISO3")
        if session.exec(select(User.id).where(User.email == email)).first() is not None:
            fail(f"a user with the email {email} already exists")

        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        problem = password_problem(password)
        if problem:
            fail(problem)

        with write.transaction(session):
            accounts.create_user(
                session,
                changes.COMMAND_LINE,
                email=email,
                password=password,
                role=role,
                country_id=country.id if country else None,
            )
    where = f" for {country.iso3}" if country and role is Role.EDITOR else ""
    click.echo(f"Created {role.value} {email}{where}.")


# --- translate ----------------------------------------------------------------------------------

BABEL_KEYWORDS = [
    "-k",
    "_l",
    "-k",
    "lazy_gettext",
    "-k",
    "_lp:1c,2",
    "-k",
    "lazy_pgettext:1c,2",
    "-k",
    "lazy_ngettext:1,2",
]


def _pybabel(*args: str) -> None:
    cmd = [sys.executable, "-m", "babel.messages.frontend", *args]
    result = subprocess.run(cmd, cwd=ROOT, check=False)
    if result.returncode != 0:
        fail(f"pybabel {args[0]} failed with status {result.returncode}")


@translate_cli.command("extract")
def translate_extract() -> None:
    """Extract messages into translations/messages.pot."""
    _pybabel(
        "extract",
        "-F",
        "babel.cfg",
        *BABEL_KEYWORDS,
        "--add-comments=TRANSLATORS:",
        "--sort-by-file",
        "--no-wrap",
        "--project=ewaste-tracker",
        "--copyright-holder=Contributors",
        "-o",
        "translations/messages.pot",
        ".",
    )


@translate_cli.command("update")
def translate_update() -> None:
    """Merge messages.pot into every catalog (no fuzzy matching)."""
    _pybabel(
        "update",
        "-i",
        "translations/messages.pot",
        "-d",
        "translations",
        "--no-fuzzy-matching",
        "--no-wrap",
        "--ignore-obsolete",
    )


@translate_cli.command("compile")
def translate_compile() -> None:
    """Compile every catalog to .mo; fails on placeholder errors."""
    if not any(Path(ROOT, "translations").glob("*/LC_MESSAGES/messages.po")):
        click.echo("No catalogs to compile.")
        return
    _pybabel("compile", "-d", "translations", "--statistics")


@translate_cli.command("init")
@click.argument("locale")
def translate_init(locale: str) -> None:
    """Start a catalog for LOCALE."""
    _pybabel(
        "init", "-i", "translations/messages.pot", "-d", "translations", "-l", locale, "--no-wrap"
    )
