"""Input a form must refuse: text that is not UTF-8 (issue 10, finding 10)."""

from urllib.parse import quote

import pytest
from sqlmodel import select

from tracker.models import Milestone

FORM = "application/x-www-form-urlencoded"
NOT_UTF8 = (
    "What was sent contains characters that are not valid UTF-8 text, so it was not accepted."
)
MILESTONE = "kind=validation_workshop&status=planned&planned_on=2025-03-10"


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
