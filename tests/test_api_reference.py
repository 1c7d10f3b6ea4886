"""A way into the data for developers (issue 13, point 5): the API's index, its OpenAPI document's
``servers``, and the human-readable reference rendered on the server from that document."""

import re

import pytest

from tracker import create_app


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_api_root_answers_with_an_index_of_its_resources(client, demo_data):
    response = client.get("/api/v1/")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    index = response.get_json()
    assert index["title"] == "E-waste regulation tracker API"
    assert index["license"] == "CC-BY-4.0"
    assert index["links"] == {
        "self": "/api/v1/",
        "openapi": "/api/v1/openapi.json",
        "reference": "/en/api",
        "data_package": "/exports/datapackage.json",
    }
    assert [(r["name"], r["href"], r["templated"]) for r in index["resources"]] == [
        ("countries", "/api/v1/countries", False),
        ("country", "/api/v1/countries/{iso3}", True),
        ("checklist", "/api/v1/checklist", False),
        ("project", "/api/v1/project", False),
    ]
    # Every link of the index answers (the template filled with a real code).
    for resource in index["resources"]:
        url = resource["href"].replace("{iso3}", "ZMB")
        assert client.get(url).status_code == 200, url
    for url in index["links"].values():
        assert client.get(url).status_code == 200, url


def test_the_api_root_without_its_slash_redirects_to_it(client):
    response = client.get("/api/v1")
    assert response.status_code in (301, 308)
    assert response.headers["Location"].endswith("/api/v1/")


def test_the_index_is_in_the_openapi_document_and_validates_against_it(client, demo_data):
    jsonschema = pytest.importorskip("jsonschema")
    doc = client.get("/api/v1/openapi.json").get_json()
    ok = doc["paths"]["/api/v1/"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ApiIndex"}
    schema = {"$ref": "#/components/schemas/ApiIndex", "components": doc["components"]}
    jsonschema.validate(client.get("/api/v1/").get_json(), schema)


def test_servers_without_a_configured_host_is_the_fetching_host_never_the_header(client):
    doc = client.get("/api/v1/openapi.json", headers={"Host": "evil.example"}).get_json()
    assert [s["url"] for s in doc["servers"]] == ["/"]
    index = client.get("/api/v1/", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert "evil.example" not in index


def test_servers_and_index_links_use_server_name(app_config, app):
    client = create_app({**app_config, "SERVER_NAME": "tracker.example.org"}).test_client()
    doc = client.get("/api/v1/openapi.json").get_json()
    assert [s["url"] for s in doc["servers"]] == ["http://tracker.example.org"]
    index = client.get("/api/v1/").get_json()
    assert index["links"]["self"] == "http://tracker.example.org/api/v1/"
    assert index["resources"][1]["href"] == "http://tracker.example.org/api/v1/countries/{iso3}"


def test_servers_follow_a_host_that_trusted_hosts_accepted(app_config, app):
    client = create_app({**app_config, "TRUSTED_HOSTS": ["tracker.example.org"]}).test_client()
    doc = client.get("/api/v1/openapi.json", headers={"Host": "tracker.example.org"}).get_json()
    assert [s["url"] for s in doc["servers"]] == ["http://tracker.example.org"]
    refused = client.get("/api/v1/openapi.json", headers={"Host": "evil.example"})
    assert refused.status_code == 400


# --- the reference page -------------------------------------------------------------------------


def test_the_reference_shows_every_path_parameter_and_response_of_the_document(client, demo_data):
    html = html_of(client.get("/en/api"))
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "<h1>API reference</h1>" in html
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert f"<code>{method.upper()} {path}</code>" in html
            assert op["summary"] in html
            for parameter in op.get("parameters", []):
                assert f"<code>{parameter['name']}</code>" in html
                assert parameter["description"] in html
            for status in op["responses"]:
                assert f"<code>{status}</code>" in html
    # The values ?lang= accepts, from the document's enumeration.
    for lang in doc["paths"]["/api/v1/countries"]["get"]["parameters"][0]["schema"]["enum"]:
        assert f"<code>{lang}</code>" in html


def test_the_reference_lists_the_fields_of_every_response_schema(client):
    html = html_of(client.get("/en/api"))
    doc = client.get("/api/v1/openapi.json").get_json()
    for name, schema in doc["components"]["schemas"].items():
        assert f'id="schema-{name}"' in html, name
        for field in schema.get("properties", {}):
            assert f"<code>{field}</code>" in html, (name, field)
    # A field's description and a nested type that links to its own table.
    assert "Title in the requested language when a translation exists." in html
    assert 'href="#schema-Figures"' in html


def test_the_reference_gives_example_requests_that_answer(client, demo_data):
    html = html_of(client.get("/en/api"))
    examples = re.findall(r'<a href="(/api/v1/[^"]*)"><code>GET ', html)
    assert "/api/v1/countries/ZMB?lang=fr" in examples
    assert "/api/v1/checklist?lang=fr" in examples
    for url in examples:
        assert client.get(url.replace("&amp;", "&")).status_code == 200, url
    assert "No country with the code “QQQ”." in html  # the example error answer


def test_the_reference_needs_no_script_and_nothing_from_elsewhere(client):
    html = html_of(client.get("/en/api"))
    scripts = re.findall(r"<script[^>]*>", html)
    assert all('src="/static/' in s for s in scripts), scripts
    assert not re.search(r'(?:src|href)="https?://(?!creativecommons\.org)', html)


def test_the_reference_is_translated_and_keeps_the_documents_english_marked(client):
    html = html_of(client.get("/fr/api"))
    assert "<h1>Référence de l’API</h1>" in html
    assert '<p lang="en">Every country with counts and progress.</p>' in html


def test_the_exports_page_and_the_footer_link_to_the_reference(client, demo_data):
    exports = html_of(client.get("/es/exports/"))
    assert 'href="/es/api"' in exports.split('<footer class="site-footer">')[0]
    home = html_of(client.get("/es/"))
    assert 'href="/es/api"' in home.split('<footer class="site-footer">')[1]
