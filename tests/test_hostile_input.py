"""Odd and hostile input in URLs and query strings gets a 4xx answer, never a server error."""

import pytest

PATHS = [
    "/en/instruments/99999999999999999999",
    "/en/instruments/2147483648",
    "/en/instruments/0",
    "/en/countries/%00",
    "/en/countries/ZMB?%00=1",
    "/en/countries/ZM%00B",
    "/en/countries/%E2%80%AEZMB",
    "/en/countries/ÅÅÅ",
    "/en/checklist/%00",
    "/en/checklist/" + "A" * 5000,
    "/%00/",
    "/en/manage/instruments/99999999999999999999/edit",
    "/exports/coverage.csv?country=%00",
    "/exports/coverage.csv?country=" + "Z" * 10000,
    "/exports/instruments.csv?country=<script>",
    "/api/v1/countries/%00",
    "/api/v1/countries/99999999999999999999",
    "/api/v1/checklist?lang=%00",
    "/api/v1/countries?lang=" + "x" * 3000,
]


@pytest.mark.parametrize("path", PATHS)
def test_hostile_urls_get_a_client_error(client, demo_data, path):
    response = client.get(path)
    assert 300 <= response.status_code < 500, (path, response.status_code)
    assert b"<script>" not in response.data


@pytest.mark.parametrize("path", ["/en/?sort=%00", "/en/login?next=%00", "/en/countries/%00"])
def test_a_nul_byte_anywhere_in_the_url_is_a_400(client, demo_data, path):
    """PostgreSQL refuses NUL in text, so it is stopped before any query, on every page."""
    assert client.get(path).status_code == 400


@pytest.mark.parametrize("path", ["/en/?order=zzz", "/en/?p=-1", "/en/login?next=javascript:x"])
def test_odd_query_strings_are_ignored(client, demo_data, path):
    assert client.get(path).status_code == 200


# The overview reads ``sort`` and ``page`` (tests/test_paging.py): a value that is not one is a 400.
@pytest.mark.parametrize("path", ["/en/?sort=zzz", "/en/?page=-1"])
def test_a_sort_or_page_that_is_not_one_is_a_400(client, demo_data, path):
    assert client.get(path).status_code == 400


@pytest.mark.parametrize(
    "path", ["/en/countries/ZMB/publications/%D9%A1", "/en/instruments/%EF%BC%91",
             "/en/countries/ZMB/publications/%E0%A5%A7"],
)  # fmt: skip
def test_a_number_in_a_url_is_written_with_the_digits_0_to_9(client, demo_data, path):
    """Arabic-Indic, full-width or Devanagari digits do not make a second address of a page
    (werkzeug's integer converter takes any Unicode digit): the page is at its one address."""
    assert client.get(path).status_code == 404
    assert client.get("/en/countries/ZMB/publications/1").status_code == 200
