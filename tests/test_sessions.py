"""Staff sessions end on the server side: a copied cookie stops working after sign-out, on every
instance, after deactivation or a new password, and after the idle and absolute lifetimes
(issue 10, finding 6)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD
from tracker import create_app
from tracker.models import StaffSession, utcnow

# A staff page every signed-in person gets with 200 (an editor's /manage/ goes on to their workspace).
WORKSPACE = "/en/manage/history"


def sign_in_for_real(client, email):
    response = client.post("/en/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 303, response.status_code
    return client


def copy_of_cookie(client, into):
    """What someone who copied the session cookie (from a shared computer, a proxy log) holds."""
    into.set_cookie("session", client.get_cookie("session").value)
    return into


def is_signed_in(client) -> bool:
    status = client.get(WORKSPACE).status_code
    assert status in (200, 303), status
    return status == 200


@pytest.fixture
def second_instance(app, app_config):
    """Another app on the same database, as a second gunicorn instance behind a load balancer."""
    other = create_app(app_config)
    yield other
    other.extensions["engine"].dispose()


def test_a_copied_cookie_stops_working_after_sign_out(app, client, staff):
    sign_in_for_real(client, "editor.zmb@example.org")
    thief = copy_of_cookie(client, app.test_client())
    assert is_signed_in(thief)
    assert client.post("/en/logout").status_code == 303
    assert not is_signed_in(client)
    assert not is_signed_in(thief)


def test_sign_out_on_one_instance_ends_the_session_on_the_other(client, staff, second_instance):
    sign_in_for_real(client, "editor.zmb@example.org")
    elsewhere = copy_of_cookie(client, second_instance.test_client())
    assert is_signed_in(elsewhere)
    client.post("/en/logout")
    assert not is_signed_in(elsewhere)


def test_deactivating_then_reactivating_does_not_revive_old_cookies(app, client, staff):
    editor = sign_in_for_real(app.test_client(), "editor.zmb@example.org")
    sign_in_for_real(client, "admin@example.org")
    edit = f"/en/manage/users/{staff.editor_zmb.id}/edit"
    data = {"role": "editor", "country": "ZMB", "version": "1"}
    assert client.post(edit, data={**data, "is_active": ""}).status_code == 303
    assert client.post(edit, data={**data, "is_active": "y", "version": "2"}).status_code == 303
    assert not is_signed_in(editor)
    # The account itself works again: signing in anew gives a new session.
    assert is_signed_in(sign_in_for_real(app.test_client(), "editor.zmb@example.org"))


def test_a_new_password_ends_the_accounts_sessions(app, client, staff):
    editor = sign_in_for_real(app.test_client(), "editor.zmb@example.org")
    sign_in_for_real(client, "admin@example.org")
    response = client.post(
        f"/en/manage/users/{staff.editor_zmb.id}/password",
        data={"password": "a new long password", "version": "1"},
    )
    assert response.status_code == 303
    assert not is_signed_in(editor)
    assert is_signed_in(client)  # the administrator's own session is another account's


def test_the_cookie_holds_no_account_id(client, staff, session):
    sign_in_for_real(client, "admin@example.org")
    with client.session_transaction() as s:
        token = s["_user_id"]
    assert not token.startswith(f"{staff.admin.id}:") and len(token) >= 32
    stored = session.exec(sa.select(StaffSession.token_hash)).scalars().all()
    assert len(stored) == 1 and token not in stored[0]  # only a hash of the token is kept


def _age(session, **columns) -> None:
    session.execute(sa.update(StaffSession).values(**columns))
    session.commit()


def test_a_session_ends_after_the_idle_lifetime(app, client, staff, sign_in, session):
    sign_in(staff.editor_zmb)
    idle = app.config["SESSION_IDLE_SECONDS"]
    assert idle == 3600
    _age(session, last_seen_at=utcnow() - timedelta(seconds=idle - 120))
    assert is_signed_in(client)  # and the request counts as activity
    _age(session, last_seen_at=utcnow() - timedelta(seconds=idle + 1))
    assert not is_signed_in(client)
    assert session.exec(sa.select(sa.func.count()).select_from(StaffSession)).one()[0] == 0


def test_a_request_keeps_an_idle_session_alive(app, client, staff, sign_in, session):
    sign_in(staff.editor_zmb)
    _age(session, last_seen_at=utcnow() - timedelta(seconds=app.config["SESSION_IDLE_SECONDS"] - 5))
    assert is_signed_in(client)
    session.expire_all()
    last_seen = session.exec(sa.select(StaffSession.last_seen_at)).scalar_one()
    assert utcnow() - last_seen < timedelta(seconds=30)


def test_a_session_ends_after_the_absolute_lifetime_even_when_busy(
    app, client, staff, sign_in, session
):
    sign_in(staff.editor_zmb)
    absolute = app.config["SESSION_ABSOLUTE_SECONDS"]
    assert absolute == 12 * 3600
    _age(session, created_at=utcnow() - timedelta(seconds=absolute - 60))
    assert is_signed_in(client)
    _age(session, created_at=utcnow() - timedelta(seconds=absolute + 1))
    assert not is_signed_in(client)


def test_lifetimes_come_from_the_environment(monkeypatch, app_config, tmp_path):
    from tracker import config

    monkeypatch.setenv("SESSION_IDLE_SECONDS", "900")
    monkeypatch.setenv("SESSION_ABSOLUTE_SECONDS", "28800")
    settings = config.from_environment(tmp_path)
    # A test app takes its config, not the environment's (as flaskr does): pass what was read.
    app_config = {k: v for k, v in app_config.items() if not k.startswith("SESSION_")}
    lifetimes = {k: settings[k] for k in config.SESSION_SETTINGS}
    other = create_app({**app_config, **lifetimes})
    try:
        assert other.config["SESSION_IDLE_SECONDS"] == 900
        assert other.config["SESSION_ABSOLUTE_SECONDS"] == 28800
        # The cookie's own signature does not outlive the session (Flask's default: 31 days).
        assert other.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
    finally:
        other.extensions["engine"].dispose()


def test_a_bad_lifetime_in_the_environment_is_refused(monkeypatch, tmp_path):
    from tracker import config

    monkeypatch.setenv("SESSION_IDLE_SECONDS", "half an hour")
    with pytest.raises(config.ConfigError):
        config.from_environment(tmp_path)


def test_sign_in_forgets_expired_sessions(app, client, staff, sign_in, session):
    sign_in(staff.editor_zmb)
    _age(
        session, created_at=utcnow() - timedelta(days=2), last_seen_at=utcnow() - timedelta(days=2)
    )
    sign_in_for_real(app.test_client(), "admin@example.org")
    users = session.exec(sa.select(StaffSession.user_id)).scalars().all()
    assert users == [staff.admin.id]


def test_a_read_only_database_keeps_staff_reading(app, client, staff, sign_in, session):
    """Noting the session's activity is bookkeeping: when the database refuses writes for a
    while (issue 10, finding 8), staff pages still load and the session stays valid."""
    from tests.test_database_outage import read_only_engine

    sign_in(staff.editor_zmb)
    _age(session, last_seen_at=utcnow() - timedelta(minutes=10))
    working = app.extensions["engine"]
    app.extensions["engine"] = read_only = read_only_engine(working)
    try:
        assert client.get("/en/manage/countries/ZMB").status_code == 200
    finally:
        app.extensions["engine"] = working
        read_only.dispose()
    assert is_signed_in(client)
