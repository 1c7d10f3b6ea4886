"""The permission matrix: every manage URL and method for anonymous, both editors and an admin."""

import pytest
from sqlmodel import select

from tracker.models import ChangeRecord, Provision
from tracker.write import changes

ROLES = ("anonymous", "editor_zmb", "editor_rwa", "admin")
EVERYONE = {"editor_zmb", "editor_rwa", "admin"}
ZAMBIA = {"editor_zmb", "admin"}
ADMIN = {"admin"}

# (method, URL template, who may use it). Templates are filled from the ``world`` fixture.
MATRIX = [
    ("GET", "/en/manage/", EVERYONE),
    ("GET", "/en/manage/countries/ZMB", ZAMBIA),
    ("POST", "/en/manage/countries/ZMB", ZAMBIA),
    ("GET", "/en/manage/countries/ZMB/instruments/new", ZAMBIA),
    ("POST", "/en/manage/countries/ZMB/instruments/new", ZAMBIA),
    ("GET", "/en/manage/instruments/{instrument}/edit", ZAMBIA),
    ("POST", "/en/manage/instruments/{instrument}/edit", ZAMBIA),
    ("GET", "/en/manage/instruments/{instrument}/delete", ZAMBIA),
    ("POST", "/en/manage/instruments/{instrument}/delete", ZAMBIA),
    ("GET", "/en/manage/countries/ZMB/milestones/new", ZAMBIA),
    ("POST", "/en/manage/countries/ZMB/milestones/new", ZAMBIA),
    ("GET", "/en/manage/milestones/{milestone}/edit", ZAMBIA),
    ("POST", "/en/manage/milestones/{milestone}/edit", ZAMBIA),
    ("GET", "/en/manage/milestones/{milestone}/delete", ZAMBIA),
    ("POST", "/en/manage/milestones/{milestone}/delete", ZAMBIA),
    ("GET", "/en/manage/history", EVERYONE),
    ("GET", "/en/manage/history/{deletion}/restore", ADMIN),
    ("POST", "/en/manage/history/{deletion}/restore", ADMIN),
    ("GET", "/en/manage/users", ADMIN),
    ("GET", "/en/manage/users/new", ADMIN),
    ("POST", "/en/manage/users/new", ADMIN),
    ("GET", "/en/manage/users/{editor}/edit", ADMIN),
    ("POST", "/en/manage/users/{editor}/edit", ADMIN),
    ("GET", "/en/manage/users/{editor}/password", ADMIN),
    ("POST", "/en/manage/users/{editor}/password", ADMIN),
    ("GET", "/en/manage/countries/new", ADMIN),
    ("POST", "/en/manage/countries/new", ADMIN),
    ("GET", "/en/manage/checklist", ADMIN),
    ("GET", "/en/manage/checklist/new", ADMIN),
    ("POST", "/en/manage/checklist/new", ADMIN),
    ("GET", "/en/manage/checklist/provisions/{provision}/edit", ADMIN),
    ("POST", "/en/manage/checklist/provisions/{provision}/edit", ADMIN),
    ("GET", "/en/manage/checklist/provisions/{provision}/texts/fr", ADMIN),
    ("POST", "/en/manage/checklist/provisions/{provision}/texts/fr", ADMIN),
    ("POST", "/en/manage/checklist/provisions/{provision}/move", ADMIN),
    ("POST", "/en/manage/checklist/provisions/{provision}/retire", ADMIN),
]


@pytest.fixture
def world(session, staff, make_checklist, make_instrument, make_milestone):
    make_checklist(n=2)
    instrument = make_instrument(staff.zmb)
    milestone = make_milestone(staff.zmb)
    gone = make_milestone(staff.zmb, title="Gone")
    changes.delete(session, gone, changes.Actor("cli"), expected_version=1)
    deletion = session.exec(select(ChangeRecord)).one()
    provision = session.exec(select(Provision)).first()
    ids = {
        "instrument": instrument.id,
        "milestone": milestone.id,
        "deletion": deletion.id,
        "editor": staff.editor_rwa.id,
        "provision": provision.id,
    }
    return staff, ids


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "template", "allowed"), MATRIX, ids=lambda v: str(v)[:60])
def test_permission_matrix(client, sign_in, world, role, method, template, allowed):
    staff, ids = world
    if role != "anonymous":
        sign_in(getattr(staff, role))
    url = template.format(**ids)
    response = client.open(url, method=method, data={"direction": "up"})
    if role == "anonymous":
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/en/login?next=")
    elif role in allowed:
        assert response.status_code in (200, 303, 409, 422), response.status_code
        assert "/login" not in response.headers.get("Location", "")
    else:
        assert response.status_code == 403


def test_anonymous_is_sent_to_login_with_the_page_to_come_back_to(client):
    response = client.get("/en/manage/countries/ZMB?tab=1")
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/login?next=/en/manage/countries/ZMB?tab%3D1"


def test_an_editor_sees_only_their_country_listed(client, sign_in, world):
    staff, _ids = world
    sign_in(staff.editor_rwa)
    page = client.get("/en/manage/").text
    assert "/en/manage/countries/RWA" in page and "/en/manage/countries/ZMB" not in page
    sign_in(staff.admin)
    page = client.get("/en/manage/").text
    assert "/en/manage/countries/RWA" in page and "/en/manage/countries/ZMB" in page


def test_editor_history_shows_only_their_country(client, sign_in, world):
    staff, _ids = world
    sign_in(staff.editor_rwa)
    assert "Gone" not in client.get("/en/manage/history").text
    sign_in(staff.editor_zmb)
    assert "Gone" in client.get("/en/manage/history").text


def test_editor_history_leaves_out_staff_accounts(client, sign_in, world):
    """Editors have no user administration, so the history does not show them accounts either."""
    staff, _ids = world
    sign_in(staff.admin)
    data = {"email": "new.zmb@example.org", "role": "editor", "country": "ZMB",
            "password": "a long enough password"}
    assert client.post("/en/manage/users/new", data=data).status_code == 303
    assert "new.zmb@example.org" in client.get("/en/manage/history").text
    sign_in(staff.editor_zmb)
    for query in ("", "?entity=user_account"):
        page = client.get(f"/en/manage/history{query}").text
        assert "new.zmb@example.org" not in page
    assert 'value="user_account"' not in client.get("/en/manage/history").text
