"""Security headers on every response: pages, errors, static files, redirects."""

import pytest

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/en/", 200),
        ("GET", "/en/login", 200),
        ("GET", "/en/no-such-page", 404),
        ("GET", "/en/manage/", 303),
        ("GET", "/static/style.css", 200),
        ("GET", "/healthz", 200),
        ("POST", "/en/", 405),
    ],
)
def test_every_response_carries_the_headers(client, method, url, status):
    response = client.open(url, method=method)
    response.close()  # static files are streamed from an open file
    assert response.status_code == status
    for name, value in EXPECTED.items():
        assert response.headers[name] == value
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp


def test_pages_have_no_inline_scripts_or_styles(client, sign_in, staff, make_checklist):
    make_checklist(n=2)
    sign_in(staff.admin)
    for url in ("/en/login", "/en/manage/", "/en/manage/countries/ZMB", "/en/manage/history"):
        page = client.get(url).text
        assert "<script>" not in page and " style=" not in page and "<style" not in page


# --- issue 10, finding 9: caching, HSTS, error pages, no Server header ---------------------------

STAFF_PAGES = [
    "/en/manage/",
    "/en/manage/countries/ZMB",
    "/en/manage/history",
    "/en/manage/import",
    "/en/manage/users",
    "/en/manage/instruments/{instrument}/edit",
]


@pytest.fixture
def site(make_checklist, make_instrument, staff):
    make_checklist(n=2)
    return {"instrument": make_instrument(country=staff.zmb).id}


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_staff_pages_are_never_stored(client, sign_in, staff, site, url):
    sign_in(staff.admin)
    response = client.get(url.format(**site))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_the_sign_in_page_is_never_stored(client):
    for response in (client.get("/en/login"), client.post("/en/login", data={})):
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", ["/en/", "/en/countries/ZMB", "/en/methodology", "/en/no-such"])
def test_a_public_page_seen_while_signed_in_is_never_stored(client, sign_in, staff, site, url):
    """It carries the sign-out form's CSRF token and the person's workspace link."""
    anonymous = client.get(url)
    assert anonymous.headers.get("Cache-Control") != "no-store"
    sign_in(staff.editor_zmb)
    response = client.get(url)
    assert 'name="csrf_token"' in response.text
    assert response.headers["Cache-Control"] == "no-store"


def test_public_pages_stay_cacheable_for_readers(client, site):
    response = client.get("/en/countries/ZMB")
    assert response.headers["Cache-Control"] == "no-cache"  # revalidate with the ETag
    static = client.get("/static/style.css")
    static.close()
    assert static.headers.get("Cache-Control") != "no-store"


def test_a_page_that_writes_the_session_cookie_is_never_stored(client, staff, sign_in):
    sign_in(staff.admin)
    response = client.post("/en/logout")  # clears the session, then shows "You are signed out."
    assert response.headers["Cache-Control"] == "no-store"
    page = client.get(response.headers["Location"])
    assert "You are signed out." in page.text
    assert page.headers["Cache-Control"] == "no-store"


@pytest.fixture
def failing_app(app):
    from flask import abort

    def server_error():
        raise RuntimeError("a bug")

    app.add_url_rule("/en/test-500", "test_500", server_error)
    app.add_url_rule("/en/test-503", "test_503", lambda: abort(503))
    return app


@pytest.mark.parametrize(
    ("url", "status"),
    [("/en/no-such-page", 404), ("/en/?q=%00", 400), ("/en/test-500", 500), ("/en/test-503", 503)],
)
@pytest.mark.parametrize("env", ["development", "production"])
def test_error_pages_carry_every_header(app_config, failing_app, url, status, env):
    from tracker import create_app

    app = failing_app if env == "development" else create_app(
        {**app_config, "TRACKER_ENV": "production"}
    )
    if app is not failing_app:
        app.add_url_rule("/en/test-500", "test_500", failing_app.view_functions["test_500"])
        app.add_url_rule("/en/test-503", "test_503", failing_app.view_functions["test_503"])
    try:
        response = app.test_client().get(url)
        assert response.status_code == status
        for name, value in EXPECTED.items():
            assert response.headers[name] == value
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        hsts = response.headers.get("Strict-Transport-Security")
        if env == "production":
            assert hsts == "max-age=31536000; includeSubDomains"
        else:
            assert hsts is None  # a developer's http://127.0.0.1 must not be pinned to HTTPS
    finally:
        if app is not failing_app:
            app.extensions["engine"].dispose()


def test_production_pages_carry_hsts(app_config, app):
    from tracker import create_app

    production = create_app({**app_config, "TRACKER_ENV": "production"})
    try:
        client = production.test_client()
        for url in ("/en/", "/static/style.css", "/healthz", "/exports/countries.csv"):
            response = client.get(url)
            response.close()
            assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    finally:
        production.extensions["engine"].dispose()


@pytest.mark.parametrize("url", ["/en/", "/en/no-such-page", "/healthz", "/api/v1/countries"])
def test_the_app_sends_no_server_header(client, url):
    """Only the WSGI server may name itself (gunicorn says "gunicorn", with no version)."""
    assert "Server" not in client.get(url).headers
