"""Hostile query strings and Host headers: every page still answers ours, never a 500, and no
link or document carries a host the configuration does not name (issue 10, finding 1)."""

import pytest

from tracker import create_app

SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options")
EVIL = "evil.example"


@pytest.fixture
def pages(make_checklist, make_country, make_instrument, publish):
    make_checklist(n=2)
    zmb = make_country(iso3="ZMB", iso2="ZM")
    found = {"instrument": make_instrument(country=zmb).id}
    publish()  # the public side serves publications
    return found


@pytest.fixture
def configured_app(app, app_config):
    """Another app on the same database, with extra settings."""
    made = []

    def make(**settings):
        other = create_app({**app_config, **settings})
        made.append(other)
        return other

    yield make
    for other in made:
        other.extensions["engine"].dispose()


def assert_our_page(response, status):
    assert response.status_code == status, response.status_code
    for name in SECURITY_HEADERS:
        assert name in response.headers, name
    assert "text/html" in response.content_type


@pytest.mark.parametrize(
    "query", ["_anchor=x", "_method=x", "_scheme=x", "_external=1", "endpoint=x", "lang=xx"]
)
@pytest.mark.parametrize("page", ["/en/", "/en/countries/ZMB", "/en/instruments/{instrument}"])
def test_a_query_parameter_never_breaks_a_page(client, pages, page, query):
    response = client.get(f"{page.format(**pages)}?{query}")
    assert_our_page(response, 200)
    html = response.get_data(as_text=True)
    # The language switcher points at the same page, without the stray parameter.
    assert f'href="{page.format(**pages).replace("/en/", "/fr/", 1)}"' in html
    name = query.split("=")[0]
    assert f"?{name}=" not in html and f"&amp;{name}=" not in html


@pytest.mark.parametrize(
    "url", ["/en/countries/ZMB?iso3=x", "/en/instruments/{instrument}?instrument_id=x"]
)
def test_a_pages_own_argument_in_the_query_string_is_ignored(client, pages, url):
    response = client.get(url.format(**pages))
    assert_our_page(response, 200)
    assert "?iso3=" not in response.text and "?instrument_id=" not in response.text


def test_the_switcher_keeps_the_parameters_a_page_reads(client):
    html = client.get("/en/login?next=/en/manage/&_anchor=x&next=//evil.example").text
    assert 'href="/fr/login?next=%2Fen%2Fmanage%2F"' in html
    assert "evil.example" not in html


def test_external_links_never_carry_the_requests_host(client, pages):
    for url in ("/en/?_external=1", "/en/countries/ZMB?_external=1&_scheme=https"):
        response = client.get(url, headers={"Host": EVIL})
        assert_our_page(response, 200)
        assert EVIL not in response.text


def test_the_data_package_does_not_reflect_the_host(client):
    package = client.get("/exports/datapackage.json", headers={"Host": EVIL}).get_json()
    assert EVIL not in str(package)
    assert "homepage" not in package  # no host is configured: no absolute link at all


def test_the_data_package_homepage_uses_the_configured_server_name(configured_app):
    client = configured_app(SERVER_NAME="tracker.example.org").test_client()
    package = client.get("/exports/datapackage.json", headers={"Host": EVIL}).get_json()
    assert package["homepage"] == "http://tracker.example.org/en/exports/"


def test_a_redirect_never_points_at_an_unconfigured_host(client):
    response = client.get("/en", headers={"Host": EVIL})
    assert response.status_code == 308
    assert response.headers["Location"] == "/en/"


def test_trusted_hosts_refuse_any_other_host_with_our_page(configured_app):
    client = configured_app(TRUSTED_HOSTS=["tracker.example.org"]).test_client()
    response = client.get("/en/", headers={"Host": EVIL})
    assert_our_page(response, 400)
    assert "Bad request" in response.text and EVIL not in response.text
    assert client.get("/en/", headers={"Host": "tracker.example.org"}).status_code == 200
    package = client.get(
        "/exports/datapackage.json", headers={"Host": "tracker.example.org"}
    ).get_json()
    assert package["homepage"] == "http://tracker.example.org/en/exports/"


def test_a_host_label_longer_than_63_characters_is_a_400(client):
    host = "a" * 64 + ".example"
    response = client.get("/en/", headers={"Host": host})
    assert_our_page(response, 400)
    assert "Bad request" in response.text and host not in response.text


def test_the_host_settings_come_from_the_environment(monkeypatch, tmp_path):
    from tracker import config

    monkeypatch.setenv("TRUSTED_HOSTS", " tracker.example.org, .Example.net ")
    monkeypatch.setenv("SERVER_NAME", "tracker.example.org")
    settings = config.from_environment(tmp_path)
    assert settings["TRUSTED_HOSTS"] == ["tracker.example.org", ".example.net"]
    assert settings["SERVER_NAME"] == "tracker.example.org"
    monkeypatch.setenv("TRUSTED_HOSTS", "https://tracker.example.org/")
    with pytest.raises(config.ConfigError):
        config.from_environment(tmp_path)


def test_an_error_while_rendering_the_error_page_still_gives_our_page(app, client, caplog):
    """Anything that breaks every page (here the template context) breaks the error page too:
    a plain page of ours goes out, with the security headers, not the server's bare 500."""

    def broken() -> dict:
        raise RuntimeError("broken template context")

    app.template_context_processors[None].append(broken)
    response = client.get("/en/no-such-page")
    assert_our_page(response, 404)
    assert "Page not found" in response.text
    response = client.get("/en/methodology")
    assert_our_page(response, 500)
    assert "Something went wrong" in response.text
