"""Sign-in, sign-out, sessions, the database-backed throttle and safe redirects."""

import pytest
from sqlmodel import select

from tests.conftest import PASSWORD
from tracker import create_app
from tracker.models import LoginAttempt, User
from tracker.security import safe_next


def _login(client, email="admin@example.org", password=PASSWORD, **extra):
    return client.post("/en/login", data={"email": email, "password": password, **extra})


def test_login_page_has_email_and_password_fields(client):
    page = client.get("/en/login").text
    assert 'name="email"' in page and 'name="password"' in page
    assert 'type="password"' in page


def test_sign_in_then_out(client, staff):
    response = _login(client, email=" Admin@Example.org ")
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/manage/"
    assert client.get("/en/manage/").status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie

    response = client.post("/en/logout")
    assert response.status_code == 303
    assert client.get("/en/manage/").status_code == 303


def test_logout_needs_post(client, staff):
    assert client.get("/en/logout").status_code == 405


def test_the_session_is_renewed_at_sign_in(client, staff):
    with client.session_transaction() as s:
        s["planted"] = "by someone else"
    _login(client)
    with client.session_transaction() as s:
        assert "planted" not in s
        assert s["_user_id"]  # the token of a new server-side session (tests/test_sessions.py)


def test_wrong_password_is_refused_with_a_message(client, staff, session):
    response = _login(client, password="not the password")
    assert response.status_code == 422
    assert "The email address or password is not right." in response.text
    assert response.text.count("Error:") >= 1
    assert session.exec(select(LoginAttempt)).one().email == "admin@example.org"


def test_empty_form_says_what_is_missing(client):
    response = client.post("/en/login", data={})
    assert response.status_code == 422
    assert "Enter your email address." in response.text
    assert 'href="#email"' in response.text  # the error summary links to the field


def test_deactivated_account_cannot_sign_in(client, staff, session):
    staff.editor_zmb.is_active = False
    session.add(staff.editor_zmb)
    session.commit()
    assert _login(client, email="editor.zmb@example.org").status_code == 422


def test_deactivating_or_resetting_ends_existing_sessions(client, sign_in, staff, session):
    sign_in(staff.editor_zmb)
    assert client.get("/en/manage/countries/ZMB").status_code == 200
    staff.editor_zmb.password_hash = "$argon2id$something-else"
    session.add(staff.editor_zmb)
    session.commit()
    response = client.get("/en/manage/countries/ZMB")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/en/login")


def test_repeated_failures_for_one_account_are_answered_429(client, staff, app):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        assert _login(client, password="wrong password!").status_code == 422
    response = _login(client)  # even the right password waits
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    assert "Too many failed sign-ins" in response.text


def test_the_throttle_holds_across_app_instances(app_config, app, staff):
    """Two instances (think two gunicorn workers or hosts) share the count through the database."""
    other = create_app(app_config)
    try:
        first, second = app.test_client(), other.test_client()
        limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
        for i in range(limit):
            client = first if i % 2 else second
            assert _login(client, password="wrong password!").status_code == 422
        assert _login(first).status_code == 429
        assert _login(second).status_code == 429
    finally:
        other.extensions["engine"].dispose()


def test_failures_from_one_address_across_accounts_are_throttled(app, client, staff):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    for i in range(3):
        _login(client, email=f"nobody{i}@example.org", password="wrong password!")
    assert _login(client).status_code == 429
    # Another address is not held back.
    other = client.post(
        "/en/login",
        data={"email": "admin@example.org", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.9"},
    )
    assert other.status_code == 303


def test_success_clears_the_account_failures(client, staff, session):
    _login(client, password="wrong password!")
    assert _login(client).status_code == 303
    assert session.exec(select(LoginAttempt)).all() == []
    session.expire_all()
    assert session.get(User, staff.admin.id).last_login_at is not None


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "https://evil.example/",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/\r\nLocation: https://evil.example",
        "/\tevil",
        "///evil.example",
    ],
)
def test_open_redirects_are_refused(client, staff, target):
    assert safe_next(target) is None
    response = _login(client, next=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/manage/"


def test_same_site_next_is_honoured(client, staff):
    response = _login(client, next="/en/manage/history?entity=instrument")
    assert response.headers["Location"] == "/en/manage/history?entity=instrument"


def test_next_survives_the_login_form(client):
    page = client.get("/en/login?next=/en/manage/users").text
    assert 'name="next" value="/en/manage/users"' in page
    page = client.get("/en/login?next=//evil.example").text
    assert "evil.example" not in page


def test_nav_shows_sign_in_or_sign_out(client, sign_in, staff):
    assert "/en/login" in client.get("/en/").text
    sign_in(staff.admin)
    page = client.get("/en/").text
    assert "/en/logout" in page and "/en/manage/" in page


# --- the throttle under a burst (issue 10, finding 7) ---------------------------------------------


def _burst(app, monkeypatch, attempts):
    """Send ``attempts`` (email, password) sign-ins at the same moment to a real threaded server.

    Each password check takes 0.3 s, so every request of the burst is in flight at once (as on
    two gunicorn instances): a throttle that counts and records in separate steps lets them all
    through. Returns the statuses and how many passwords were checked.
    """
    import threading
    import time
    import urllib.error
    import urllib.parse
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from werkzeug.serving import make_server

    from tracker.write import accounts

    checked = []
    real_verify = accounts.verify_password

    def slow_verify(password_hash, password):
        checked.append(password)
        time.sleep(0.3)
        return real_verify(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", slow_verify)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/en/login"
    start = threading.Barrier(len(attempts))

    def post(attempt):
        email, password = attempt
        data = urllib.parse.urlencode({"email": email, "password": password}).encode()
        start.wait(timeout=10)
        try:
            with urllib.request.urlopen(url, data=data, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    try:
        with ThreadPoolExecutor(len(attempts)) as pool:
            statuses = list(pool.map(post, attempts))
    finally:
        server.shutdown()
        thread.join(5)
    return statuses, len(checked)


def test_a_burst_against_one_account_checks_no_more_than_the_limit(
    app, client, staff, monkeypatch
):
    statuses, checked = _burst(app, monkeypatch, [("admin@example.org", "wrong password!")] * 20)
    # At most LOGIN_MAX_FAILURES_PER_ACCOUNT (5) reach the password check. Attempts of the burst
    # that are refused count until they are answered, so a burst may be held back a little early,
    # never late.
    assert 1 <= checked <= 5
    assert sorted(statuses) == [422] * checked + [429] * (20 - checked)
    # Once the burst is over the count is exact: what is left of the budget, then 429.
    for _ in range(5 - checked):
        assert _login(client, password="wrong password!").status_code == 422
    assert _login(client).status_code == 429


def test_a_burst_from_one_address_checks_no_more_than_the_limit(app, client, staff, monkeypatch):
    attempts = [(f"nobody{i}@example.org", "wrong password!") for i in range(30)]
    statuses, checked = _burst(app, monkeypatch, attempts)
    assert 1 <= checked <= 20  # LOGIN_MAX_FAILURES_PER_ADDRESS
    assert sorted(statuses) == [422] * checked + [429] * (30 - checked)
    for i in range(20 - checked):
        later = _login(client, email=f"later{i}@example.org", password="wrong password!")
        assert later.status_code == 422
    assert _login(client).status_code == 429


def test_refused_attempts_do_not_count_as_failures(client, staff, session, app):
    limit = app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit + 3):
        _login(client, password="wrong password!")
    rows = session.exec(select(LoginAttempt).where(LoginAttempt.email == "admin@example.org"))
    assert len(rows.all()) == limit
