"""Input a form must refuse: text that is not UTF-8, dates outside 1900-2100 (issue 10, 10)."""

import io
from datetime import date
from urllib.parse import quote

import pytest
from sqlmodel import select

from tracker.models import Instrument, Milestone

FORM = "application/x-www-form-urlencoded"
NOT_UTF8 = (
    "What was sent contains characters that are not valid UTF-8 text, so it was not accepted."
)
MILESTONE = "kind=validation_workshop&status=planned&planned_on=2025-03-10&nature=project"


def post_raw(client, url, body: str):
    return client.post(url, data=body.encode("ascii"), content_type=FORM)


@pytest.mark.parametrize("escaped", ["%ED%A0%80", "caf%E9", "%C3", "%FF%FE"])
def test_a_form_that_is_not_utf8_is_refused_and_nothing_is_stored(
    client, sign_in, staff, session, escaped
):
    sign_in(staff.editor_zmb)
    url = "/en/manage/countries/ZMB/milestones/new"
    response = post_raw(client, url, f"title={escaped}&{MILESTONE}")
    assert response.status_code == 400
    assert NOT_UTF8 in response.text
    assert session.exec(select(Milestone)).all() == []


def test_valid_utf8_is_stored_exactly(client, sign_in, staff, session):
    sign_in(staff.editor_zmb)
    title = "Atelier de validation – Lusaka, café 🌍 ጤና"
    response = post_raw(
        client, "/en/manage/countries/ZMB/milestones/new", f"title={quote(title)}&{MILESTONE}"
    )
    assert response.status_code == 303
    assert session.exec(select(Milestone.title)).one() == title


def test_the_message_is_in_the_readers_language(client, sign_in, staff):
    sign_in(staff.editor_zmb)
    response = post_raw(
        client, "/es/manage/countries/ZMB/milestones/new", f"title=%ED%A0%80&{MILESTONE}"
    )
    assert response.status_code == 400
    assert "no son texto UTF-8 válido" in response.text


def test_the_check_runs_before_the_csrf_check(app_config, app):
    """CSRFProtect parses the form first in production; the raw bytes must be checked before."""
    from tracker import create_app

    csrf_app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    try:
        response = post_raw(csrf_app.test_client(), "/en/login", "email=%ED%A0%80&password=x")
        assert response.status_code == 400
        assert NOT_UTF8 in response.text
    finally:
        csrf_app.extensions["engine"].dispose()


@pytest.mark.parametrize(
    "url",
    ["/en/manage/history?person=%ED%A0%80", "/en/?sort=%E9", "/exports/coverage.csv?country=%FF"],
)
def test_a_query_string_that_is_not_utf8_is_refused(client, sign_in, staff, url):
    sign_in(staff.admin)
    response = client.get(url)
    assert response.status_code == 400
    assert NOT_UTF8 in response.text


def test_the_api_answers_json(client):
    response = client.get("/api/v1/countries?lang=%ED%A0%80")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith(NOT_UTF8)


# --- dates: 1900-01-01 to 2100-12-31, in the forms and in the CSV import -------------------------

DATE_RANGE = "Enter a date between 1900-01-01 and 2100-12-31."
INSTRUMENT = {
    "title": "E-waste Regulations",
    "title_lang": "en",
    "type": "regulation",
    "status": "in_force",
}


@pytest.mark.parametrize("value", ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"])
def test_an_implausible_date_is_refused_by_the_forms(client, sign_in, staff, session, value):
    sign_in(staff.editor_zmb)
    response = client.post(
        "/en/manage/countries/ZMB/instruments/new", data={**INSTRUMENT, "adopted_on": value}
    )
    assert response.status_code == 422
    assert DATE_RANGE in response.text
    response = client.post(
        "/en/manage/countries/ZMB/milestones/new",
        data={
            "title": "Workshop",
            "kind": "validation_workshop",
            "status": "planned",
            "planned_on": value,
        },
    )
    assert response.status_code == 422
    assert DATE_RANGE in response.text
    assert session.exec(select(Instrument)).all() == []
    assert session.exec(select(Milestone)).all() == []


def test_the_first_and_last_days_of_the_range_are_accepted(client, sign_in, staff, session):
    sign_in(staff.editor_zmb)
    data = {**INSTRUMENT, "adopted_on": "1900-01-01", "repealed_on": "2100-12-31"}
    response = client.post("/en/manage/countries/ZMB/instruments/new", data=data)
    assert response.status_code == 303
    stored = session.exec(select(Instrument)).one()
    assert (stored.adopted_on, stored.repealed_on) == (date(1900, 1, 1), date(2100, 12, 31))


def test_the_range_message_is_translated(client, sign_in, staff):
    sign_in(staff.editor_zmb)
    data = {**INSTRUMENT, "adopted_on": "0001-01-01"}
    response = client.post("/fr/manage/countries/ZMB/instruments/new", data=data)
    assert response.status_code == 422
    assert "Saisissez une date comprise entre 1900-01-01 et 2100-12-31." in response.text


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_an_implausible_date_is_refused_by_the_import(
    client, sign_in, staff, session, make_milestone, value, publish
):
    make_milestone(country=staff.zmb)
    publish()  # the export serves the publication: the new row is line 3
    sign_in(staff.editor_zmb)
    data = client.get("/exports/milestones.csv?country=ZMB").data
    data += f",ZMB,launch,New launch,{value},,Lusaka,planned,https://example.org/x,,,,project,en,\r\n".encode()
    response = client.post(
        "/en/manage/import",
        data={"kind": "milestones", "country": "ZMB", "file": (io.BytesIO(data), "m.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Line 3" in html and "<code>planned_on</code>" in html and DATE_RANGE in html
    assert session.exec(select(Milestone).where(Milestone.title == "New launch")).first() is None


def test_the_data_package_publishes_the_range(client):
    package = client.get("/exports/datapackage.json").get_json()
    milestones = next(r for r in package["resources"] if r["name"] == "milestones")
    planned = next(f for f in milestones["schema"]["fields"] if f["name"] == "planned_on")
    # A date is as precise as its source (2024, 2024-10 or 2024-10-23): a string with a pattern,
    # its range in the description (Frictionless ranges apply to its date types only).
    assert planned["type"] == "string"
    assert planned["constraints"] == {"pattern": r"\d{4}(-\d{2}(-\d{2})?)?"}
    assert planned["description"] == (
        "Planned date. ISO 8601 at the precision of its source: a year (2024), a month "
        "(2024-10) or a day (2024-10-23), between 1900-01-01 and 2100-12-31."
    )
