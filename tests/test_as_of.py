"""``?as_of=YYYY-MM-DD`` (issue 12): the overview, the country page, every CSV export, the data
package and the API serve the publications in force at the end of that day (UTC). Expected values
are worked out by hand from the publications built here:

    Zambia  #1  2025-01-10 12:00 UTC  "Act A" in force, covering AAA-01 (core, weight 2) partly
            #2  2025-03-05 09:00 UTC  renamed "Act B", covering AAA-01 fully
    Rwanda  #1  2025-02-01 23:30 UTC  "Rwanda Law", covering nothing

With AAA-01 (weight 2) and BBB-02 (weight 1) the legal coverage in force of Zambia is
2 x 0.5 / 3 = 0.3333 after #1 and 2 x 1 / 3 = 0.6667 after #2.
"""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from tracker import write
from tracker.codes import Extent, InstrumentStatus
from tracker.models import Coverage, Instrument, Provision
from tracker.web.published import parse_as_of
from tracker.write import changes, review


def publish_at(session, country, at: datetime, message: str):
    with write.transaction(session):
        return review.publish(session, country, changes.DEMO_DATA, message, at=at)


@pytest.fixture
def history(request, built_once):
    """``staff`` with the publications above (built once per run, copied into each test's
    database: see ``built_once``)."""
    return built_once(lambda: _history(*map(request.getfixturevalue, (
        "session", "staff", "make_checklist", "make_instrument", "make_coverage"))))


def _history(session, staff, make_checklist, make_instrument, make_coverage):
    make_checklist(n=2)
    first = session.exec(select(Provision).order_by(Provision.position)).first()
    act = make_instrument(staff.zmb, title="Act A", status=InstrumentStatus.IN_FORCE)
    make_coverage(staff.zmb, first, links=[(act, Extent.PARTIAL, "s. 1")], applicable=True)
    publish_at(session, staff.zmb, datetime(2025, 1, 10, 12, 0, tzinfo=UTC), "First release")
    with write.transaction(session):
        act = session.get(Instrument, act.id)
        changes.update(session, act, changes.DEMO_DATA, {"title": "Act B"},
                       expected_version=act.version)  # fmt: skip
        cov = session.exec(select(Coverage).where(Coverage.country_id == staff.zmb.id)).one()
        cov.links[0].extent = Extent.FULL
        changes.update(session, cov, changes.DEMO_DATA, {"evidence": "Full now."},
                       expected_version=cov.version)  # fmt: skip
    publish_at(session, staff.zmb, datetime(2025, 3, 5, 9, 0, tzinfo=UTC), "Act B in full")
    make_instrument(staff.rwa, title="Rwanda Law", status=InstrumentStatus.IN_FORCE)
    publish_at(session, staff.rwa, datetime(2025, 2, 1, 23, 30, tzinfo=UTC), "Rwanda's first")
    return staff


def rows(client, url) -> list[dict]:
    answer = client.get(url)
    assert answer.status_code == 200, (url, answer.status_code)
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))


def figures(client, day: str | None) -> dict[str, str]:
    query = f"?as_of={day}" if day else ""
    return {r["iso3"]: r["legal_in_force"] for r in rows(client, f"/exports/countries.csv{query}")}


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2025-01-09", {}),  # before any publication
        ("2025-01-10", {"ZMB": "0.3333"}),  # Zambia #1, published at noon that day
        ("2025-01-31", {"ZMB": "0.3333"}),
        ("2025-02-01", {"ZMB": "0.3333", "RWA": "0"}),  # Rwanda at 23:30 UTC: by the day's end
        ("2025-03-04", {"ZMB": "0.3333", "RWA": "0"}),
        ("2025-03-05", {"ZMB": "0.6667", "RWA": "0"}),
        (None, {"ZMB": "0.6667", "RWA": "0"}),  # the latest
        ("2999-12-31", {"ZMB": "0.6667", "RWA": "0"}),  # still to come: today's record
    ],
)
def test_the_csv_holds_the_publications_in_force_at_the_end_of_the_day(
    client, history, day, expected
):
    found = figures(client, day)
    assert {k: v.rstrip("0").rstrip(".") or "0" for k, v in found.items()} == {
        k: v.rstrip("0").rstrip(".") or "0" for k, v in expected.items()
    }


def test_every_export_and_the_api_follow_as_of(client, history):
    titles = [r["title"] for r in rows(client, "/exports/instruments.csv?as_of=2025-02-01")]
    assert sorted(titles) == ["Act A", "Rwanda Law"]
    assert [r["title"] for r in rows(client, "/exports/instruments.csv?as_of=2025-01-10")] == [
        "Act A"
    ]
    [link] = rows(client, "/exports/coverage_links.csv?as_of=2025-01-10")
    assert (link["instrument_title"], link["extent"]) == ("Act A", "partial")
    [link] = rows(client, "/exports/coverage_links.csv?as_of=2025-03-05")
    assert (link["instrument_title"], link["extent"]) == ("Act B", "full")
    api = client.get("/api/v1/countries?as_of=2025-01-10").get_json()
    assert [c["iso3"] for c in api["countries"]] == ["ZMB"]
    detail = client.get("/api/v1/countries/ZMB?as_of=2025-01-10").get_json()
    assert [i["title"] for i in detail["instruments"]] == ["Act A"]
    assert client.get("/api/v1/countries/RWA?as_of=2025-01-10").status_code == 404
    assert client.get("/api/v1/countries?as_of=2025-01-09").get_json()["countries"] == []
    download = client.get("/exports/instruments.csv?as_of=2025-01-10")
    assert 'filename="instruments-as-of-2025-01-10.csv"' in download.headers["Content-Disposition"]


def test_the_data_package_with_as_of_is_a_citable_release(client, history):
    package = client.get("/exports/datapackage.json?as_of=2025-02-01").get_json()
    assert package["as_of"] == "2025-02-01"
    assert package["publications"] == [
        {"country": "RWA", "number": 1, "published_on": "2025-02-01"},
        {"country": "ZMB", "number": 1, "published_on": "2025-01-10"},
    ]
    assert "as of 2025-02-01" in package["citation"]
    assert "/exports/datapackage.json?as_of=2025-02-01" in package["citation"]
    latest = client.get("/exports/datapackage.json").get_json()
    assert "as_of" not in latest
    assert latest["publications"] == [
        {"country": "RWA", "number": 1, "published_on": "2025-02-01"},
        {"country": "ZMB", "number": 2, "published_on": "2025-03-05"},
    ]
    today = datetime.now(UTC).date().isoformat()
    assert f"/exports/datapackage.json?as_of={today}" in latest["citation"]  # cite the day
    empty = client.get("/exports/datapackage.json?as_of=2024-12-31").get_json()
    assert empty["publications"] == [] and empty["as_of"] == "2024-12-31"
    # A later day serves today's publications, and the citation names today, never the day
    # asked (its address would keep moving with every publication).
    later = client.get("/exports/datapackage.json?as_of=9999-12-31").get_json()
    assert later["as_of"] == today and later["publications"] == latest["publications"]
    assert f"/exports/datapackage.json?as_of={today}." in later["citation"]
    assert "9999" not in later["citation"]


def test_pages_say_which_day_they_show_and_link_back_to_the_current_record(client, history):
    page = client.get("/en/countries/ZMB?as_of=2025-01-10").get_data(as_text=True)
    assert "Record as it stood on January 10, 2025" in page
    assert "end of that day (UTC)" in page
    assert '<a href="/en/countries/ZMB">See the current record</a>' in page
    assert "Act A" in page and "Act B" not in page
    assert 'href="/fr/countries/ZMB?as_of=2025-01-10"' in page  # the language switcher keeps it
    current = client.get("/en/countries/ZMB").get_data(as_text=True)
    assert "Record as it stood" not in current and "Act B" in current
    overview = client.get("/en/?as_of=2025-01-10").get_data(as_text=True)
    assert 'href="/en/countries/ZMB?as_of=2025-01-10"' in overview  # links keep the day
    assert "Record as it stood on January 10, 2025" in overview
    before = client.get("/en/?as_of=2025-01-09").get_data(as_text=True)
    assert "Nothing had been published by that day." in before
    rwanda = client.get("/en/countries/RWA?as_of=2025-01-31").get_data(as_text=True)
    assert "Nothing had been published for this country by that day." in rwanda
    later = client.get("/en/countries/ZMB?as_of=2999-12-31").get_data(as_text=True)
    assert "is still to come: this is the record as it stands today." in later and "Act B" in later
    french = client.get("/fr/countries/ZMB?as_of=2025-01-10").get_data(as_text=True)
    assert "Le dossier tel qu’il était le 10 janvier 2025" in french


BAD = ["2025-02-30", "2025-13-01", "2025-00-10", "garbage", "2025-1-01", "20250110",
       "２０２５-０１-１０", "2025-01-10T00:00", "x" * 5000]  # fmt: skip


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize(
    "url",
    ["/en/", "/en/countries/ZMB", "/exports/countries.csv", "/exports/coverage.csv",
     "/exports/datapackage.json", "/api/v1/countries", "/api/v1/countries/ZMB"],  # fmt: skip
)
def test_a_bad_day_is_a_400_with_a_clear_message(client, history, url, value):
    answer = client.get(url, query_string={"as_of": value})
    assert answer.status_code == 400, (url, value)
    text = answer.get_data(as_text=True)
    assert "x" * 100 not in text  # a huge value is not echoed whole
    if url.startswith("/api/"):
        message = answer.get_json()["error"]["message"]
    else:
        message = text
    assert "as_of" in message
    assert ("YYYY-MM-DD" in message) or ("is not a day of the calendar" in message)


def test_an_impossible_day_is_named_in_the_readers_language(client, history):
    answer = client.get("/fr/?as_of=2025-02-30")
    assert answer.status_code == 400
    assert "2025-02-30 n’est pas un jour du calendrier" in answer.get_data(as_text=True)


def test_parsing_by_hand():
    today = date(2026, 6, 1)
    assert parse_as_of(None, today) is None and parse_as_of("", today) is None
    day = parse_as_of("2025-02-28", today)
    assert (day.asked, day.day, day.future) == (date(2025, 2, 28), date(2025, 2, 28), False)
    later = parse_as_of("2027-01-01", today)
    assert (later.asked, later.day, later.future) == (date(2027, 1, 1), today, True)
    assert parse_as_of("2024-02-29", today).day == date(2024, 2, 29)  # a leap day


def test_caches_and_tags_keep_days_apart(client, history):
    a = client.get("/en/countries/ZMB?as_of=2025-01-10", headers={"Cookie": "lang=en"})
    a_again = client.get("/en/countries/ZMB?as_of=2025-01-10", headers={"Cookie": "lang=en"})
    b = client.get("/en/countries/ZMB?as_of=2025-03-05", headers={"Cookie": "lang=en"})
    now = client.get("/en/countries/ZMB", headers={"Cookie": "lang=en"})
    assert a.data == a_again.data and a.headers["ETag"] == a_again.headers["ETag"]
    assert len({a.headers["ETag"], b.headers["ETag"], now.headers["ETag"]}) == 3
    assert b"Act A" in a.data and b"Act B" in b.data
    assert b"Record as it stood" not in now.data
