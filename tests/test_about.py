"""The about page, the source register and the licences (issue 11, "About the tracker")."""

import json
import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from babel.dates import format_date

from tracker import create_app
from tracker.config import ConfigError, site_settings
from tracker.read import sources

ROOT = Path(__file__).resolve().parent.parent
CHECKLIST = ROOT / "tracker" / "data" / "checklist-2025.1.yaml"
WEEE_TITLE = (
    "Directive 2012/19/EU of the European Parliament and of the Council of 4 July 2012 on waste "
    "electrical and electronic equipment (WEEE) (recast)"
)


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- the register -------------------------------------------------------------------------------


def test_a_sources_text_splits_on_semicolons_outside_parentheses():
    assert sources.split("ITU-AF (awareness; technology & skills pillars); RW training") == [
        "ITU-AF (awareness; technology & skills pillars)",
        "RW training",
    ]


def test_keys_resolve_with_their_detail_and_unknown_references_stay_as_written():
    weee, ghana, unknown, data_page = sources.parse(
        "WEEE (Art. 5); GH917/LI 2250; ZM EPR 2018 (Zambia, below); ITU data page (source key)"
    )
    assert (weee.source.key, weee.detail) == ("WEEE", "Art. 5")
    assert weee.source.title == WEEE_TITLE
    assert (ghana.source.key, ghana.detail) == ("GH917", "/LI 2250")
    assert unknown.source is None and unknown.text == "ZM EPR 2018 (Zambia, below)"
    assert data_page.source.key == "ITU data page"
    # A key is only a key as a whole word: "KEY" does not match "KE".
    assert sources.parse("KEYNOTE")[0].source is None


def test_every_register_entry_has_a_title_publisher_and_http_link():
    for source in sources.register().values():
        assert source.title and source.publisher, source.key
        assert re.fullmatch(r"https?://\S+", source.url), source.key


def test_register_links_on_document_sharing_sites_are_marked_as_copies_and_none_is_spam():
    from urllib.parse import urlsplit

    from test_demo_sources import BAD_DOMAINS, MIRROR_DOMAINS, on

    for source in sources.register().values():
        host = urlsplit(source.url).hostname
        assert not on(host, BAD_DOMAINS), source.key
        if on(host, MIRROR_DOMAINS):
            assert source.mirror, source.key


def test_a_copy_is_labelled_as_such_on_the_page(client, demo_data):
    html = html_of(client.get("/en/about"))
    assert "a copy on a document-sharing site: no official address was found" in html


def test_every_key_the_demo_checklist_cites_by_its_leading_code_is_in_the_register():
    """Items that start with an upper-case code followed by a space, "(" or the end are keys of
    the register (DOMAIN.md's source key); the others name one country's documents."""
    provisions = yaml.safe_load(CHECKLIST.read_text("utf-8"))["provisions"]
    keys = set()
    for p in provisions:
        for item in sources.split(p["sources"]):
            code = re.match(r"[A-Za-z0-9-]+", item).group(0)
            if re.fullmatch(r"(?:[A-Z]+[0-9]*|i[A-Z]+)(?:-[A-Z0-9]+)?", code) and (
                len(item) == len(code) or item[len(code)] in " (/"
            ) and code not in {"RW", "ZM", "PY", "GH"}:
                keys.add(code)
    assert keys == {
        "GESP", "STATS", "STEP", "WEEE", "ROHS", "BASEL", "BASEL-TG", "ITU-L1031", "ITU-TK2",
        "ITU-AF", "ITU-PRJ", "GH917", "NG", "KE", "ZM24", "RW18", "RW-ETF", "GOVSTACK", "PY3956",
        "GIRG", "iREG", "ITU",
    }
    assert keys - {"ITU"} <= set(sources.register())


# --- the page -----------------------------------------------------------------------------------


def test_about_page_says_who_keeps_it_the_data_status_and_the_sources(client, demo_data):
    html = html_of(client.get("/en/about"))
    text = text_of(html)
    assert "<h1>About the tracker</h1>" in html
    assert "not an official publication of ITU, CST or any government" in text
    assert "are illustrations, made from those sources and checked against them" in text
    assert "this tracker's own compilation" in text.replace("&#39;", "'")
    assert "version 2025.1, 39 provisions" in text
    # The checklist's keys resolved to their titles and links.
    assert f'href="{sources.register()["WEEE"].url}"' in html
    assert WEEE_TITLE in html
    assert f'href="{sources.register()["KE"].url}"' in html
    # A reference that is no key is shown as written, and said to be outside the register.
    assert "ZEMA–ZICTA MoU 2016 (Zambia, below)" in html
    assert "which are not in the list of sources" in text


def test_about_page_shows_how_to_cite_with_the_date(client, demo_data):
    text = text_of(html_of(client.get("/en/about")))
    today = format_date(date.today(), "long", locale="en")
    assert f"“About the tracker”, /en/about, consulted on {today}." in text
    day = date.today().isoformat()
    assert f"/exports/datapackage.json?as_of={day}, downloaded on {today}. Licence: CC BY 4.0." in text


def test_citations_use_the_configured_host_never_the_request_host(app_config, demo_data):
    app = create_app({**app_config, "SERVER_NAME": "tracker.example.org"})
    html = html_of(app.test_client().get("/en/about"))
    assert "http://tracker.example.org/en/about, consulted on" in html
    assert "http://tracker.example.org/exports/datapackage.json?as_of=" in html
    forged = html_of(
        create_app(app_config).test_client().get("/en/about", headers={"Host": "evil.example"})
    )
    assert "evil.example" not in forged


def test_about_page_names_both_licences(client):
    html = html_of(client.get("/en/about"))
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in html
    assert "Creative Commons Attribution 4.0 International" in html
    assert 'href="https://www.apache.org/licenses/LICENSE-2.0"' in html


def test_without_a_contact_setting_the_page_says_none_is_configured(client):
    html = html_of(client.get("/en/about"))
    assert "No contact has been configured for this site yet." in html
    assert "mailto:" not in html


@pytest.mark.parametrize(
    ("settings", "shown", "absent"),
    [
        ({"TRACKER_CONTACT": "ewaste@example.org"}, ['href="mailto:ewaste@example.org"'], []),
        ({"TRACKER_CONTACT": "https://example.org/contact"},
         ['href="https://example.org/contact"'], ["mailto:"]),
        ({"TRACKER_REPOSITORY_URL": "https://example.org/tracker"},
         ["open an issue in the project",
          'href="https://example.org/tracker"'], ["mailto:"]),
        ({"TRACKER_CONTACT": "ewaste@example.org",
          "TRACKER_REPOSITORY_URL": "https://example.org/tracker"},
         ['href="mailto:ewaste@example.org"', "Source code:", 'href="https://example.org/tracker"'],
         ["open an issue"]),
    ],
)
def test_the_contact_comes_from_the_settings(app, app_config, settings, shown, absent):
    html = html_of(create_app({**app_config, **settings}).test_client().get("/en/about"))
    for part in shown:
        assert part in html
    for part in absent:
        assert part not in html
    assert "No contact has been configured" not in html


@pytest.mark.parametrize(
    ("name", "value"),
    [("TRACKER_CONTACT", "not an address"), ("TRACKER_CONTACT", "javascript:alert(1)"),
     ("TRACKER_REPOSITORY_URL", "ftp://example.org/x"),
     ("TRACKER_REPOSITORY_URL", "ewaste@example.org")],
)
def test_a_contact_setting_that_is_neither_an_email_nor_a_link_is_refused(
    monkeypatch, name, value
):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        site_settings()


def test_the_about_page_exists_in_every_language(client, demo_data):
    for lang in ("en", "fr", "es", "ar", "ru", "zh", "rw", "gn"):
        html = html_of(client.get(f"/{lang}/about"))
        assert f'href="{sources.register()["WEEE"].url}"' in html


# --- the checklist and provision pages ----------------------------------------------------------


def test_checklist_page_lists_its_sources_with_titles_and_links(client, demo_data):
    html = html_of(client.get("/en/checklist"))
    assert "Where the checklist comes from" in html
    assert WEEE_TITLE in html
    assert f'href="{sources.register()["GESP"].url}"' in html
    assert "ZEMA–ZICTA MoU 2016 (Zambia, below)" in html
    assert 'href="/en/about#checklist-sources"' in html


def test_provision_page_resolves_each_source_key(client, demo_data):
    # EPR-01 cites "GESP; WEEE; KE; NG" (tracker/data/checklist-2025.1.yaml).
    html = html_of(client.get("/en/checklist/EPR-01"))
    for key in ("GESP", "WEEE", "KE", "NG"):
        assert f'href="{sources.register()[key].url}"' in html
    assert "Sources: GESP; WEEE; KE; NG" not in html


# --- the licences in the repository and the data package ----------------------------------------


def test_the_code_licence_is_apache_2_in_the_repository_and_the_package_metadata():
    text = (ROOT / "LICENSE").read_text("utf-8")
    assert text.lstrip().startswith("Apache License")
    assert "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert 'license = {text = "Apache-2.0"}' in (ROOT / "pyproject.toml").read_text("utf-8")


def test_the_data_package_declares_cc_by_4(client):
    package = json.loads(client.get("/exports/datapackage.json").get_data(as_text=True))
    assert package["licenses"] == [
        {
            "name": "CC-BY-4.0",
            "path": "https://creativecommons.org/licenses/by/4.0/",
            "title": "Creative Commons Attribution 4.0",
        }
    ]


def test_the_footer_links_to_the_about_page_and_is_not_an_itu_page(client, demo_data):
    html = html_of(client.get("/fr/"))
    footer = html.split('<footer class="site-footer">')[1]
    assert 'href="/fr/about"' in footer
    assert "not an official ITU" not in footer  # translated
    english = html_of(client.get("/en/")).split('<footer class="site-footer">')[1]
    assert "not an official publication of ITU" in english


def test_the_data_set_citation_is_a_dated_release(client):
    """The about page cites the data package at today's date (``as_of``), the address that
    keeps serving the same publications later, in the reader's language."""
    from datetime import date

    today = date.today().isoformat()
    for lang in ("en", "fr"):
        page = client.get(f"/{lang}/about").get_data(as_text=True)
        assert f"/exports/datapackage.json?as_of={today}" in page, lang
    assert "keeps serving the same publications" in client.get("/en/about").get_data(as_text=True)
    assert "continue de servir les mêmes publications" in client.get("/fr/about").get_data(
        as_text=True)  # fmt: skip
