import pytest
from sqlmodel import select

from tracker.codes import ChangeAction, Role
from tracker.models import ChangeRecord, User
from tracker.security import password_fingerprint, verify_password

GOOD = "a long enough passphrase"


@pytest.fixture
def zambia(make_country):
    return make_country(iso3="ZMB", iso2="ZM")


def create(runner, *args, password=GOOD):
    return runner.invoke(args=["users", "create", *args, "--password-stdin"], input=password + "\n")


def test_create_admin_from_stdin(runner, session):
    result = create(runner, "Admin@Example.org", "--role", "admin")
    assert result.exit_code == 0, result.output
    user = session.exec(select(User)).one()
    assert user.email == "admin@example.org"
    assert user.role is Role.ADMIN and user.country_id is None
    assert verify_password(user.password_hash, GOOD)
    assert GOOD not in user.password_hash


def test_create_editor_for_a_country(runner, session, zambia):
    result = create(runner, "ed@example.org", "--role", "editor", "--country", "zmb")
    assert result.exit_code == 0, result.output
    assert session.exec(select(User)).one().country_id == zambia.id


def test_password_is_prompted_for_without_stdin_flag(runner, session):
    result = runner.invoke(
        args=["users", "create", "p@example.org", "--role", "admin"], input=f"{GOOD}\n{GOOD}\n"
    )
    assert result.exit_code == 0, result.output
    assert session.exec(select(User)).one().email == "p@example.org"


@pytest.mark.parametrize(
    "args, password, message",
    [
        (["x@example.org", "--role", "owner"], GOOD, "unknown role"),
        (["x@example.org", "--role", "editor", "--country", "XYZ"], GOOD, "unknown country"),
        (["x@example.org", "--role", "editor"], GOOD, "needs a country"),
        (["x@example.org", "--role", "admin"], "short", "at least 12 characters"),
        (["not-an-email", "--role", "admin"], GOOD, "invalid email"),
    ],
)
def test_bad_input_exits_2_with_a_clear_error(runner, session, zambia, args, password, message):
    result = create(runner, *args, password=password)
    assert result.exit_code == 2
    assert message in result.output
    assert session.exec(select(User)).first() is None


def test_duplicate_email_exits_2(runner, session):
    assert create(runner, "dup@example.org", "--role", "admin").exit_code == 0
    result = create(runner, "DUP@example.org", "--role", "admin")
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert len(session.exec(select(User)).all()) == 1


def test_the_first_administrator_is_in_history(runner, session, client, sign_in):
    assert create(runner, "first@example.org", "--role", "admin").exit_code == 0
    user = session.exec(select(User)).one()
    (record,) = session.exec(select(ChangeRecord)).all()
    assert (record.action, record.entity, record.entity_id) == (
        ChangeAction.CREATE, "user_account", user.id)
    assert (record.actor, record.user_id) == ("command line", None)
    assert record.after["email"] == "first@example.org"
    assert record.after["password_hash"] == password_fingerprint(user.password_hash)
    assert user.password_hash not in str(record.after)
    sign_in(user)
    page = client.get("/en/manage/history").text
    assert "1 change" in page
    assert '<span class="system-actor">Command line</span>' in page
    es = client.get("/es/manage/history").text
    assert '<span class="system-actor">Línea de comandos</span>' in es


def test_a_refused_account_leaves_no_history(runner, session):
    assert create(runner, "x@example.org", "--role", "admin", password="short").exit_code == 2
    assert session.exec(select(ChangeRecord)).first() is None
