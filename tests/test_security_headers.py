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
