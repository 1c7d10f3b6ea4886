"""Sharing a country (issue 13, point 6): description and Open Graph tags with a social card, and an
embeddable SVG badge of the three figures with the snippet to copy."""

import html as html_lib
import io
import re
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from tracker.read.sharing import badge_layout, text_width

SVG = "{http://www.w3.org/2000/svg}"


def test_badge_segments_follow_each_other_and_fit_their_text():
    segments, width = badge_layout("Kenya · e-waste law", [("in_force", "in force 60%")])
    label, figure = segments
    assert (label.x, figure.x) == (0, label.width)
    assert width == pytest.approx(label.width + figure.width)
    assert label.text_length == pytest.approx(text_width("Kenya · e-waste law"))
    # A wide (CJK) character counts twice.
    assert text_width("肯尼亚") == 2 * text_width("abc")


def test_the_badge_is_valid_svg_with_the_figures_worked_out_by_hand(client, scored_country):
    response = client.get("/badges/KEN.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)  # well-formed XML
    assert root.tag == SVG + "svg" and root.get("role") == "img"
    title = root.find(SVG + "title")
    assert root.get("aria-labelledby") == title.get("id")
    # Kenya (scored_country's docstring): 60 %, 70 %, 40 %.
    assert title.text.startswith(
        "Kenya, e-waste regulation: legal coverage in force 60%, including drafts 70%, "
        "implementation 40%.")
    texts = [t.text for t in root.iter(SVG + "text")]
    assert texts == ["Kenya · e-waste law", "in force 60%", "including drafts 70%",
                     "implementation 40%"]
    # The segments tile the badge's width.
    rects = [(float(r.get("x")), float(r.get("width"))) for r in root.iter(SVG + "rect")]
    assert all(abs(x - (px + pw)) < 0.01 for (x, _w), (px, pw) in zip(rects[1:], rects, strict=False))
    assert abs(sum(w for _x, w in rects) - float(root.get("width"))) < 0.01


def test_the_badge_is_cacheable_and_revalidates(client, scored_country):
    first = client.get("/badges/KEN.svg")
    assert first.headers["Cache-Control"] == "public, max-age=3600"
    again = client.get("/badges/KEN.svg", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == "public, max-age=3600"


def test_the_badge_speaks_the_language_asked_for(client, scored_country):
    root = ET.fromstring(client.get("/badges/KEN.svg?lang=fr").data)
    assert root.get("lang") == "fr"
    assert [t.text for t in root.iter(SVG + "text")][1] == "en vigueur 60\xa0%"
    assert client.get("/badges/KEN.svg?lang=xx").status_code == 404


@pytest.mark.parametrize("url,status", [
    ("/badges/XYZ.svg", 404), ("/badges/ken.svg", 301), ("/badges/KEN.png", 404),
    ("/cards/XYZ.png", 404), ("/cards/ken.png", 301),
])
def test_unknown_or_odd_codes(client, scored_country, url, status):
    assert client.get(url).status_code == status


def test_the_social_card_is_a_png_of_the_size_link_previews_use(client, scored_country):
    response = client.get("/cards/KEN.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.format == "PNG" and image.size == (1200, 630)
    assert response.headers["Cache-Control"] == "public, max-age=3600"


def _meta(html: str) -> dict[str, str]:
    found = {}
    for _attr, key, value in re.findall(r'<meta (name|property)="([^"]+)" content="([^"]*)">', html):
        found[key] = html_lib.unescape(value)
    return found


def test_the_country_page_carries_a_description_and_open_graph_tags(client, scored_country):
    html = client.get("/en/countries/KEN").get_data(as_text=True)
    meta = _meta(html)
    description = ("Kenya: legal coverage in force 60%, including drafts 70%, implementation 40% "
                   "of the model-law checklist on e-waste.")
    assert meta["description"] == meta["og:description"] == description
    assert meta["og:title"] == "Kenya"
    assert meta["og:image"].endswith("/cards/KEN.png")
    assert (meta["og:image:width"], meta["og:image:height"]) == ("1200", "630")
    assert meta["og:url"].endswith("/en/countries/KEN")
    assert meta["twitter:card"] == "summary_large_image"


def test_with_a_configured_host_the_links_to_share_are_absolute(app, client, scored_country):
    app.config["SERVER_NAME"] = "tracker.example.org"
    html = client.get("/fr/countries/KEN", base_url="http://tracker.example.org").get_data(
        as_text=True)
    meta = _meta(html)
    assert meta["og:image"] == "http://tracker.example.org/cards/KEN.png"
    assert meta["og:url"] == "http://tracker.example.org/fr/countries/KEN"
    snippet = html_lib.unescape(re.search(r'<textarea id="badge-snippet"[^>]*>(.*?)</textarea>',
                                          html, re.S)[1])
    assert snippet.startswith('<a href="http://tracker.example.org/fr/countries/KEN">'
                              '<img src="http://tracker.example.org/badges/KEN.svg?lang=fr"')


def test_the_country_page_shows_the_badge_and_the_snippet_to_copy(client, scored_country):
    html = client.get("/en/countries/KEN").get_data(as_text=True)
    assert '<img src="/badges/KEN.svg" alt="Kenya: e-waste regulation progress' in html
    snippet = html_lib.unescape(re.search(r'<textarea id="badge-snippet"[^>]*>(.*?)</textarea>',
                                          html, re.S)[1])
    assert re.fullmatch(r'<a href="[^"]*/en/countries/KEN"><img src="[^"]*/badges/KEN\.svg"'
                        r' alt="[^"]+" height="20"></a>', snippet), snippet
    assert '<label for="badge-snippet"' in html
