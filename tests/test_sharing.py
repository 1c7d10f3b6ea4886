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
                     "implementation 40%", "4/4 assessed"]
    assert "implementation 40%. Based on 4 of 4 provisions assessed." in title.text
    assert "rovisional" not in title.text and "example" not in title.text
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


def _svg(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return ET.fromstring(response.data)


def test_the_badge_says_what_the_figures_rest_on_and_marks_provisional_example_data(
    client, demo_data
):
    # Zambia's demo file judges 15 of the checklist's 39 provisions (fewer than half), as example
    # data: tracker/data/countries/ZMB.yaml, its coverage list.
    root = _svg(client, "/badges/ZMB.svg")
    texts = [t.text for t in root.iter(SVG + "text")]
    assert texts[-1] == "15/39 assessed · provisional · example data"
    rects = list(root.iter(SVG + "rect"))
    assert rects[-1].get("fill") == "#8a4600"  # dark amber, white words: WCAG AA
    title = root.find(SVG + "title").text
    assert (
        "Based on 15 of 39 provisions assessed. Provisional assessment: fewer than half of the "
        "provisions are assessed. Includes example data, not an official assessment."
    ) in title
    # the segments still tile the badge
    assert abs(sum(float(r.get("width")) for r in rects) - float(root.get("width"))) < 0.01


def test_the_badges_marks_are_translated(client, demo_data):
    root = _svg(client, "/badges/ZMB.svg?lang=fr")
    last = [t.text for t in root.iter(SVG + "text")][-1]
    assert last == "15/39 évaluées · provisoire · données d’exemple"
    title = root.find(SVG + "title").text
    assert "Évaluation provisoire" in title


def test_the_social_card_carries_the_assessed_share_and_the_marks(client, demo_data, monkeypatch):
    from tracker.web import sharing

    drawn = {}
    real = sharing.social_card

    def spy(*args):
        drawn["args"] = args
        return real(*args)

    monkeypatch.setattr(sharing, "social_card", spy)
    response = client.get("/cards/ZMB.png")
    assert response.status_code == 200
    *_, basis, marks = drawn["args"]
    assert basis == "15 of 39 provisions assessed"
    assert marks == [("provisional", "Provisional assessment"), ("example", "Example data")]
    # the marks are drawn: the provisional tag's amber is on the card
    image = Image.open(io.BytesIO(response.data)).convert("RGB")
    assert (138, 70, 0) in {colour for _n, colour in image.getcolors(maxcolors=1 << 16)}


def test_a_card_with_every_provision_assessed_has_no_marks(client, scored_country, monkeypatch):
    from tracker.web import sharing

    drawn = {}
    real = sharing.social_card
    monkeypatch.setattr(sharing, "social_card", lambda *a: drawn.setdefault("a", a) and real(*a))
    assert client.get("/cards/KEN.png").status_code == 200
    *_, basis, marks = drawn["a"]
    assert (basis, marks) == ("4 of 4 provisions assessed", [])
