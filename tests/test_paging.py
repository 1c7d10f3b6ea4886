"""Long lists on the public pages: pages a reader can move through, light at 200 countries.

The overview pages its countries (50 to a page, sortable), the checklist counts each provision
across every country and shows the matrix for 15 countries at a time (or those picked with
``?c=``), a provision pages its countries (50 to a page). Expected values are worked out from the
data set's size, not from the code.
"""

import re

import pytest

from tracker.read.paging import Page, PageOutOfRange, paginate

LIMIT = 150_000  # bytes of HTML, uncompressed (issue 14)


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def rows_of(html: str) -> list[str]:
    """The ISO3 codes of the overview's rows, in order."""
    return re.findall(r'<th scope="row" data-sort="[^"]*"><a href="/[a-z]+/countries/([A-Z]{3})"', html)


def columns_of(html: str) -> list[str]:
    """The ISO3 codes heading the checklist matrix's first table, in order."""
    first = html.split('<table class="matrix">', 1)[1].split("</thead>", 1)[0]
    return re.findall(r'<th scope="col"><a href="/[a-z]+/countries/([A-Z]{3})"', first)


# --- the pages, pure -------------------------------------------------------------------------------


def test_pages_of_a_list():
    items = list(range(1, 124))  # 123 items, 50 to a page: 50, 50, 23
    first = paginate(items, 1, 50)
    assert (first.first, first.last, first.total, first.pages) == (1, 50, 123, 3)
    assert (first.previous, first.next, first.is_paged) == (None, 2, True)
    last = paginate(items, 3, 50)
    assert last.items == tuple(range(101, 124))
    assert (last.first, last.last, last.previous, last.next) == (101, 123, 2, None)
    with pytest.raises(PageOutOfRange) as exc:
        paginate(items, 4, 50)
    assert (exc.value.number, exc.value.last) == (4, 3)


def test_an_empty_list_has_one_empty_page():
    page = paginate([], 1, 50)
    assert (page.pages, page.first, page.last, page.is_paged, bool(page)) == (1, 0, 0, False, False)
    with pytest.raises(PageOutOfRange):
        paginate([], 2, 50)


def test_page_numbers_leave_out_the_far_ones():
    page = Page(tuple(range(10)), 8, 10, 200)  # page 8 of 20
    assert page.numbers() == [1, None, 6, 7, 8, 9, 10, None, 20]
    assert Page((), 1, 10, 30).numbers() == [1, 2, 3]


# --- 200 countries ---------------------------------------------------------------------------------


# ``countries_200`` (tests/conftest.py): ``build_dataset(session, 200, 40, instruments=6)``, copied
# into each test's database from a template built once per run.


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "ru", "ar"])
def test_every_public_page_stays_under_150_kb_at_200_countries(client, countries_200, lang):
    keys = countries_200
    paths = [
        f"/{lang}/",
        f"/{lang}/?page=4",
        f"/{lang}/countries/{keys['iso3']}",
        f"/{lang}/checklist",
        f"/{lang}/checklist?page=14",
        f"/{lang}/checklist/{keys['code']}",
        f"/{lang}/instruments/{keys['instrument']}",
        f"/{lang}/compare",
        f"/{lang}/methodology",
        f"/{lang}/about",
    ]
    sizes = {path: len(client.get(path).data) for path in paths}
    assert all(size < LIMIT for size in sizes.values()), sizes


@pytest.mark.slow
def test_the_overview_pages_200_countries_50_at_a_time(client, countries_200):
    first = html_of(client.get("/en/"))
    assert "Countries 1 to 50 of 200." in first
    assert len(rows_of(first)) == 50
    assert 'rel="next" href="/en/?page=2"' in first and 'rel="prev"' not in first
    assert "Page 1 of 4" in first
    assert 'href="/exports/countries.csv"' in first  # every country, in one file
    last = html_of(client.get("/en/?page=4"))
    assert "Countries 151 to 200 of 200." in last
    assert len(rows_of(last)) == 50
    assert 'rel="prev" href="/en/?page=3"' in last and 'rel="next"' not in last
    assert '<a href="/en/?page=4" aria-current="page">4</a>' in last
    # Every country once over the four pages, none twice.
    seen = rows_of(first) + sum((rows_of(html_of(client.get(f"/en/?page={n}"))) for n in (2, 3)), [])
    seen += rows_of(last)
    assert len(seen) == len(set(seen)) == 200
    # Past the last page: a 404 that names the last page.
    missing = client.get("/en/?page=5")
    assert missing.status_code == 404
    assert "the last page is 4" in missing.get_data(as_text=True)


@pytest.mark.slow
def test_the_overview_sorts_across_pages_and_keeps_the_sort_in_its_links(client, countries_200):
    html = html_of(client.get("/en/?sort=in_force"))
    assert 'aria-sort="descending"' in html
    assert 'rel="next" href="/en/?sort=in_force&amp;page=2"' in html
    # Highest first across every page: the last figure of page 1 is at least the first of page 2.
    def figures(page_html):
        return [float(v) for v in re.findall(r'<td class="num" data-sort="([-0-9.e]+)">', page_html)[::5]]

    page_2 = html_of(client.get("/en/?sort=in_force&page=2"))
    assert figures(html) == sorted(figures(html), reverse=True)
    assert figures(html)[-1] >= figures(page_2)[0]
    ascending = html_of(client.get("/en/?sort=in_force&dir=asc"))
    assert 'aria-sort="ascending"' in ascending
    assert figures(ascending) == sorted(figures(ascending))


@pytest.mark.slow
def test_the_checklist_counts_every_country_and_shows_15_at_a_time(client, countries_200):
    html = html_of(client.get("/en/checklist"))
    assert "Countries 1 to 15 of 200." in html
    assert len(columns_of(html)) == 15
    assert "Page 1 of 14" in html  # 200 / 15 = 13.3
    # The last column counts all 200 countries, "n of m" with m the countries where it applies:
    # every country of the data set finds provisions 3, 10, 17, 24, 31 and 38 not applicable.
    totals = [int(t) for t in re.findall(r'<td class="num">\d+ of (\d+)</td></tr>', html)]
    assert (totals.count(200), totals.count(0), len(totals)) == (34, 6, 40)
    last = html_of(client.get("/en/checklist?page=14"))
    assert "Countries 196 to 200 of 200." in last
    assert len(columns_of(last)) == 5
    assert 'href="/exports/coverage.csv"' in html
    assert client.get("/en/checklist?page=15").status_code == 404


@pytest.mark.slow
def test_a_provision_pages_its_countries(client, countries_200):
    html = html_of(client.get("/en/checklist/P-001"))
    assert "Countries 1 to 50 of 200." in html
    assert html.count('<th scope="row"><a href="/en/countries/') == 50
    # The levels of all 200 countries, each "n of 200 countries".
    counts = [int(n) for n in re.findall(r"<dd>(\d+) of 200 countries</dd>", html)]
    assert len(counts) == 5 and sum(counts) == 200
    assert client.get("/en/checklist/P-001?page=4").status_code == 200
    assert client.get("/en/checklist/P-001?page=5").status_code == 404


# --- picking countries on the checklist ------------------------------------------------------------


def test_the_checklist_shows_the_countries_picked_in_their_order(client, demo_data):
    html = html_of(client.get("/en/checklist?c=ZMB&c=pry"))
    assert columns_of(html) == ["ZMB", "PRY"]
    assert "Countries you picked, in your order: 2." in html
    assert 'href="/en/checklist">Show all countries</a>' in html
    # The picker works without a script: a form of checkboxes, the picked ones ticked.
    assert '<input type="checkbox" name="c" value="ZMB" checked>' in html
    assert '<input type="checkbox" name="c" value="RWA">' in html
    everyone = html_of(client.get("/en/checklist"))
    assert columns_of(everyone) == ["PRY", "RWA", "ZMB"]  # by name, one page
    assert 'class="pagination"' not in everyone


@pytest.mark.parametrize(
    "query, status, message",
    [
        ("c=ZM1", 400, "ZM1 is not a country code"),
        ("c=ZMB&c=zmb", 400, "ZMB is asked for more than once"),
        ("c=XYZ", 404, "No country with the code XYZ"),
        ("page=0", 400, "is not a page number"),
        ("page=abc", 400, "is not a page number"),
        ("page=1.5", 400, "is not a page number"),
        ("page=%D9%A1", 400, "is not a page number"),  # an Arabic-Indic one
        ("page=99999999999", 400, "is not a page number"),
        ("page=1&page=2", 400, "is given more than once"),
        ("page=2", 404, "the last page is 1"),
    ],
)
def test_the_checklist_refuses_what_is_not_a_page_or_a_country(client, demo_data, query, status,
                                                                message):
    response = client.get(f"/en/checklist?{query}")
    assert response.status_code == status
    assert message in response.get_data(as_text=True)


def test_more_countries_picked_than_a_page_holds_is_a_400(client, demo_data):
    codes = "&".join(f"c=Q{a}{b}" for a in "AB" for b in "ABCDEFGH")  # 16 codes
    response = client.get(f"/en/checklist?{codes}")
    assert response.status_code == 400
    assert "At most 15 countries can be shown at once." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query, message",
    [
        ("sort=name", "is not a column to sort by"),
        ("sort=in_force&dir=up", "is not a direction to sort in"),
        ("page=-1", "is not a page number"),
    ],
)
def test_the_overview_refuses_a_sort_or_page_that_is_not_one(client, demo_data, query, message):
    response = client.get(f"/en/?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_a_page_of_one_keeps_its_address_short(client, demo_data):
    html = html_of(client.get("/en/?sort=stage"))
    # Sorting links start again at page 1 and name no page; the active column reverses.
    assert 'href="/en/?sort=stage&amp;dir=asc"' in html
    assert 'href="/en/?sort=in_force"' in html
    assert 'href="/en/"' in html  # by country, A to Z: the plain address
