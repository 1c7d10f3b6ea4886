"""CSRF protection with the real settings (the rest of the suite turns it off, STYLE.md G5)."""

import re

import pytest
from sqlmodel import select

from tests.conftest import PASSWORD
from tracker import create_app
from tracker.models import Instrument


@pytest.fixture
def csrf_app(app_config, app):
    csrf = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    yield csrf
    csrf.extensions["engine"].dispose()


@pytest.fixture
def csrf_client(csrf_app):
    return csrf_app.test_client()


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_a_post_without_a_token_is_refused_with_a_friendly_page(csrf_client, staff):
    response = csrf_client.post(
        "/en/login", data={"email": "admin@example.org", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "security token" in response.text
    assert "<html" in response.text


def test_sign_in_and_edit_with_the_token(csrf_client, staff, session):
    token = _token(csrf_client.get("/en/login").text)
    response = csrf_client.post(
        "/en/login", data={"email": "admin@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303

    # Hand-written forms (sign out, delete buttons) are protected by CSRFProtect too.
    assert csrf_client.post("/en/logout").status_code == 400

    page = csrf_client.get("/en/manage/countries/ZMB/instruments/new").text
    data = {
        "title": "Act",
        "title_lang": "en",
        "type": "act",
        "status": "drafting",
        "csrf_token": _token(page),
    }
    response = csrf_client.post("/en/manage/countries/ZMB/instruments/new", data=data)
    assert response.status_code == 303
    session.rollback()
    assert session.exec(select(Instrument)).one().title == "Act"

    del data["csrf_token"]
    assert (
        csrf_client.post("/en/manage/countries/ZMB/instruments/new", data=data).status_code == 400
    )
