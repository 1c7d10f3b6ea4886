"""Comparing countries side by side: /<lang>/compare?c=ZMB&c=RWA (issue 13, point 7)."""

import re

import pytest
from sqlmodel import select
from synthetic import build_dataset, count_queries, wipe

from tracker.models import Country
from tracker.read.compare import CodesProblem, parse_codes


def html_of(response, status=200) -> str:
    assert response.status_code == status, response.status_code
    return response.get_data(as_text=True)


def text_of(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


# --- what a reader may ask for (pure) ------------------------------------------------------------


@pytest.mark.parametrize("values,codes,problem", [
    (["ZMB", "RWA"], ("ZMB", "RWA"), None),
    (["rwa", " zmb ", ""], ("RWA", "ZMB"), None),  # upper-cased, trimmed, order kept
    (["ZMB", "RWA", "PRY", "KEN"], ("ZMB", "RWA", "PRY", "KEN"), None),
    ([], (), CodesProblem("too_few")),
    (["ZMB"], ("ZMB",), CodesProblem("too_few", ("ZMB",))),
    (["ZMB", "zmb"], (), CodesProblem("duplicate", ("ZMB",))),
    (["ZMB", "ZM1", "Zambia"], (), CodesProblem("malformed", ("ZM1", "Zambia"))),
    (["A", "B", "C", "D", "E"], (), CodesProblem("malformed", ("A", "B", "C", "D", "E"))),
    (["AAA", "BBB", "CCC", "DDD", "EEE"], (), CodesProblem("too_many", ("AAA", "BBB", "CCC",
                                                                          "DDD", "EEE"))),
])
def test_parse_codes(values, codes, problem):
    assert parse_codes(values) == (codes, problem)


# --- the page ------------------------------------------------------------------------------------


def test_without_codes_the_page_is_a_picker_of_every_country(client, demo_data):
    html = html_of(client.get("/en/compare"))
    assert "<h1>Compare countries</h1>" in html
    assert re.findall(r'<input type="checkbox" name="c" value="([A-Z]{3})"', html) == [
        "PRY", "RWA", "ZMB"]  # Paraguay, Rwanda, Zambia: by name
    assert '<form method="get" action="/en/compare"' in html


def test_one_code_preselects_it_in_the_picker(client, demo_data):
    html = html_of(client.get("/en/compare?c=ZMB"))
    assert "Choose at least two countries to compare." in html
    assert re.findall(r'value="([A-Z]{3})" id="c-[A-Z]{3}" checked', html) == ["ZMB"]


def test_the_country_page_links_to_a_comparison_starting_with_it(client, demo_data):
    html = html_of(client.get("/en/countries/ZMB"))
    assert 'href="/en/compare?c=ZMB">Compare Zambia with other countries</a>' in html


def test_figures_side_by_side_are_those_worked_out_by_hand(client, scored_country, make_country, publish):
    make_country(iso3="UGA", iso2="UG")  # nothing judged: every applicable provision counts 0
    publish()  # the public side serves publications (issue 12)
    html = html_of(client.get("/en/compare?c=UGA&c=KEN"))
    assert "<title>Compare Uganda · Kenya" in html
    # The order asked for is the order shown.
    heads = re.search(r'<caption id="overall-caption">.*?</thead>', html, re.S)[0]
    assert text_of(heads).endswith("Uganda UGA Kenya KEN")
    overall = re.search(r'<table class="compare">.*?</table>', html, re.S)[0]
    rows = {
        text_of(th): [text_of(td) for td in tds]
        for th, tds in (
            (m[1], re.findall(r"<td[^>]*>(.*?)</td>", m[2], re.S))
            for m in re.finditer(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', overall, re.S)
        )
    }
    # Kenya (scored_country's docstring): 60 %, 70 %, 40 %, in force, 1 of 2 milestones.
    assert rows["Legal coverage in force"] == ["0%", "60%"]
    assert rows["Legal coverage including drafts"] == ["0%", "70%"]
    assert rows["Implementation"] == ["0%", "40%"]
    # Neither has an instrument specific to e-waste (Kenya's act in force is a general one).
    assert rows["Stage"] == ["○ No e-waste-specific instrument yet"] * 2
    # What the figures rest on: Uganda judged none of the 4 provisions (provisional), Kenya all.
    assert rows["Provisions assessed"] == [
        "0 of 4 provisions assessed ◌ Provisional assessment",
        "4 of 4 provisions assessed",
    ]
    assert rows["Milestones done"] == ["0 of 0", "1 of 2"]
    # Per category: AAA 75/75/50 and BBB 0/50/0 for Kenya; Uganda 0 everywhere.
    categories = re.search(r'<table class="compare compare-categories">.*?</table>', html, re.S)[0]
    body = re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', categories, re.S)
    assert [(text_of(th), [text_of(td) for td in re.findall(r"<td>(.*?)</td>", cells, re.S)])
            for th, cells in body] == [
        ("Category AAA", ["In force: 0% Including drafts: 0% Implementation: 0% "
                          "0 of 2 provisions assessed ◌ Provisional assessment",
                          "In force: 75% Including drafts: 75% Implementation: 50% "
                          "2 of 2 provisions assessed"]),
        ("Category BBB", ["In force: 0% Including drafts: 0% Implementation: 0% "
                          "0 of 2 provisions assessed ◌ Provisional assessment",
                          "In force: 0% Including drafts: 50% Implementation: 0% "
                          "2 of 2 provisions assessed"]),
    ]
    # Each provision's level in force next to each other; BBB-02 is partly covered by a draft.
    bbb02 = re.search(r'<tr><th scope="row"><a href="/en/checklist/BBB-02".*?</tr>', html, re.S)[0]
    cells = [text_of(td) for td in re.findall(r"<td[^>]*>(.*?)</td>", bbb02, re.S)]
    assert cells == ["? Not assessed", "○ None Including drafts: Partial"]  # Uganda judged nothing
    bbb04 = re.search(r'<tr><th scope="row"><a href="/en/checklist/BBB-04".*?</tr>', html, re.S)[0]
    assert [text_of(td) for td in re.findall(r"<td[^>]*>(.*?)</td>", bbb04, re.S)] == [
        "? Not assessed", "– N/A"]
    # The address to share names the countries in the order asked for.
    assert '<a href="/en/compare?c=UGA&amp;c=KEN" dir="ltr">' in html


@pytest.mark.parametrize("query,status,message", [
    ("c=ZMB&c=ZM", 400, "ZM is not a country code: use three-letter ISO 3166 codes, such as ZMB."),
    ("c=ZMB&c=zmb", 400, "ZMB is asked for more than once: choose each country once."),
    ("c=ZMB&c=RWA&c=PRY&c=KEN&c=UGA", 400, "At most four countries can be compared at once."),
    ("c=ZMB&c=XYZ", 404, "No country with the code XYZ takes part in the tracker."),
    ("c=%3Cscript%3E&c=ZMB", 400, "&lt;script&gt; is not a country code"),
])
def test_bad_codes_get_a_clear_message_and_the_picker(client, demo_data, query, status, message):
    html = html_of(client.get("/en/compare?" + query), status)
    assert message in html
    assert "<title>Error: Compare countries" in html
    assert 'name="c" value="ZMB"' in html  # the picker to choose again
    assert "<script>" not in html


def test_a_country_not_yet_published_is_named_as_such(client, demo_data, make_country):
    make_country(iso3="KEN", iso2="KE")  # in the tracker, never published
    html = html_of(client.get("/en/compare?c=ZMB&c=KEN"), 404)
    assert "KEN has no publication yet" in html
    assert "No country with the code" not in html
    french = html_of(client.get("/fr/compare?c=ZMB&c=KEN"), 404)
    assert "KEN n’a encore aucune publication" in french


def test_messages_are_translated(client, demo_data):
    html = html_of(client.get("/fr/compare?c=ZMB&c=XYZ"), 404)
    assert "Aucun pays portant le code XYZ ne figure dans l’outil de suivi." in html
    html = html_of(client.get("/ar/compare?c=ZMB&c=RWA"))
    assert 'dir="rtl"' in html and "مقارنة البلدان" in html


def test_lower_case_codes_redirect_to_the_one_address(client, demo_data):
    response = client.get("/en/compare?c=zmb&c=rwa")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/en/compare?c=ZMB&c=RWA")


def test_the_comparison_is_cacheable_per_address(client, demo_data):
    first = client.get("/en/compare?c=ZMB&c=RWA")
    other = client.get("/en/compare?c=RWA&c=ZMB")
    assert first.headers["ETag"] != other.headers["ETag"]
    again = client.get("/en/compare?c=ZMB&c=RWA", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def _compare_queries(client, engine, codes) -> int:
    url = "/en/compare?" + "&".join(f"c={c}" for c in codes)
    client.get("/en/checklist")  # the first public page after a publication builds the replica
    with count_queries(engine) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


@pytest.mark.slow
def test_query_count_does_not_grow_with_countries_or_data(client, engine, session):
    build_dataset(session, 4, 3, instruments=2)
    codes = sorted(session.exec(select(Country.iso3)).all())
    two, four = _compare_queries(client, engine, codes[:2]), _compare_queries(client, engine, codes)
    wipe(session)
    build_dataset(session, 12, 45, instruments=6)
    codes = sorted(session.exec(select(Country.iso3)).all())
    large = _compare_queries(client, engine, codes[:4])
    assert two == four == large
    assert large <= 14, large
