"""The permission matrix: every manage URL and method for anonymous, both editors and an admin."""

from urllib.parse import quote

import pytest
from sqlmodel import func, select

from tracker import write
from tracker.models import ChangeRecord, Provision
from tracker.write import changes

ROLES = ("anonymous", "editor_zmb", "editor_rwa", "admin")
EVERYONE = {"editor_zmb", "editor_rwa", "admin"}
ZAMBIA = {"editor_zmb", "admin"}
ADMIN = {"admin"}

# What a permitted user gets. Every POST sends only ``direction=up`` (the move form's one field):
# a form that creates something re-renders as invalid, one that edits or deletes a record has no
# version and is a conflict (STYLE.md, decision 7); restore and move need nothing more.
OK = (200, None)
INVALID = (422, None)
CONFLICT = (409, None)

# (method, URL template, who may use it, what they get: status and redirect target).
# Templates are filled from the ``world`` fixture.
MATRIX = [
    # An editor of one country lands on its workspace; an admin gets the list of countries.
    ("GET", "/en/manage/", EVERYONE, {"admin": OK, "editor_zmb": (303, "/en/manage/countries/ZMB"),
                                      "editor_rwa": (303, "/en/manage/countries/RWA")}),
    ("GET", "/en/manage/countries/ZMB", ZAMBIA, OK),
    ("POST", "/en/manage/countries/ZMB", ZAMBIA, INVALID),
    ("GET", "/en/manage/countries/ZMB/instruments/new", ZAMBIA, OK),
    ("POST", "/en/manage/countries/ZMB/instruments/new", ZAMBIA, INVALID),
    ("GET", "/en/manage/instruments/{instrument}/edit", ZAMBIA, OK),
    ("POST", "/en/manage/instruments/{instrument}/edit", ZAMBIA, CONFLICT),
    ("GET", "/en/manage/instruments/{instrument}/delete", ZAMBIA, OK),
    ("POST", "/en/manage/instruments/{instrument}/delete", ZAMBIA, CONFLICT),
    ("GET", "/en/manage/countries/ZMB/milestones/new", ZAMBIA, OK),
    ("POST", "/en/manage/countries/ZMB/milestones/new", ZAMBIA, INVALID),
    ("GET", "/en/manage/milestones/{milestone}/edit", ZAMBIA, OK),
    ("POST", "/en/manage/milestones/{milestone}/edit", ZAMBIA, CONFLICT),
    ("GET", "/en/manage/milestones/{milestone}/delete", ZAMBIA, OK),
    ("POST", "/en/manage/milestones/{milestone}/delete", ZAMBIA, CONFLICT),
    ("GET", "/en/manage/history", EVERYONE, OK),
    ("GET", "/en/manage/history/{deletion}/restore", ADMIN, OK),
    ("POST", "/en/manage/history/{deletion}/restore", ADMIN, (303, "/en/manage/countries/ZMB")),
    ("GET", "/en/manage/users", ADMIN, OK),
    ("GET", "/en/manage/users/new", ADMIN, OK),
    ("POST", "/en/manage/users/new", ADMIN, INVALID),
    ("GET", "/en/manage/users/{editor}/edit", ADMIN, OK),
    ("POST", "/en/manage/users/{editor}/edit", ADMIN, CONFLICT),
    ("GET", "/en/manage/users/{editor}/password", ADMIN, OK),
    ("POST", "/en/manage/users/{editor}/password", ADMIN, INVALID),
    ("GET", "/en/manage/countries/new", ADMIN, OK),
    ("POST", "/en/manage/countries/new", ADMIN, INVALID),
    ("GET", "/en/manage/checklist", ADMIN, OK),
    ("GET", "/en/manage/checklist/new", ADMIN, OK),
    ("POST", "/en/manage/checklist/new", ADMIN, INVALID),
    ("GET", "/en/manage/checklist/provisions/{provision}/edit", ADMIN, OK),
    ("POST", "/en/manage/checklist/provisions/{provision}/edit", ADMIN, CONFLICT),
    ("GET", "/en/manage/checklist/provisions/{provision}/texts/fr", ADMIN, OK),
    ("POST", "/en/manage/checklist/provisions/{provision}/texts/fr", ADMIN, INVALID),
    ("POST", "/en/manage/checklist/provisions/{provision}/move", ADMIN,
     (303, "/en/manage/checklist#provision-{provision}")),
    ("GET", "/en/manage/checklist/provisions/{provision}/retire", ADMIN, OK),
    ("POST", "/en/manage/checklist/provisions/{provision}/retire", ADMIN, CONFLICT),
    # Review and publication (issue 12): an editor submits their own country, never publishes.
    ("POST", "/en/manage/countries/ZMB/submit", ZAMBIA, INVALID),
    ("GET", "/en/manage/countries/ZMB/review", ADMIN, OK),
    ("POST", "/en/manage/countries/ZMB/publish", ADMIN, INVALID),
    ("POST", "/en/manage/countries/ZMB/return", ADMIN, INVALID),
    ("POST", "/en/manage/countries/ZMB/comment", ADMIN, INVALID),
    ("POST", "/en/manage/countries/ZMB/answer", ZAMBIA, INVALID),
]


@pytest.fixture
def world(request, built_once):
    """``staff``, a checklist, an instrument, a milestone and a deleted one (built once per run,
    copied into each test's database: see ``built_once``)."""
    return built_once(lambda: _world(*map(request.getfixturevalue, (
        "session", "staff", "make_checklist", "make_instrument", "make_milestone"))))


def _world(session, staff, make_checklist, make_instrument, make_milestone):
    make_checklist(n=2)
    instrument = make_instrument(staff.zmb)
    milestone = make_milestone(staff.zmb)
    gone = make_milestone(staff.zmb, title="Gone")
    with write.transaction(session):
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


def case_id(value) -> str:
    # Sorted, so every run (and every xdist worker) names the cases alike.
    return "+".join(sorted(value)) if isinstance(value, set) else str(value)[:60]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "template", "allowed", "outcome"), MATRIX, ids=case_id)
def test_permission_matrix(client, sign_in, session, world, role, method, template, allowed,
                           outcome):
    staff, ids = world
    if role != "anonymous":
        sign_in(getattr(staff, role))
    url = template.format(**ids)
    records_before = session.exec(select(func.count()).select_from(ChangeRecord)).one()
    response = client.open(url, method=method, data={"direction": "up"})
    location = response.headers.get("Location")
    if role == "anonymous":
        expected = (303, f"/en/login?next={quote(url, safe='/')}")
    elif role in allowed:
        status, target = outcome[role] if isinstance(outcome, dict) else outcome
        expected = (status, target.format(**ids) if target else None)
    else:
        expected = (403, None)
    assert (response.status_code, location) == expected
    if expected[0] != 303:
        # Refused, invalid or in conflict: nothing was written.
        session.expire_all()
        assert session.exec(select(func.count()).select_from(ChangeRecord)).one() == records_before


def test_anonymous_is_sent_to_login_with_the_page_to_come_back_to(client):
    response = client.get("/en/manage/countries/ZMB?tab=1")
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/login?next=/en/manage/countries/ZMB?tab%3D1"


def test_an_editor_lands_on_their_country_and_an_admin_sees_every_country(client, sign_in, world):
    staff, _ids = world
    sign_in(staff.editor_rwa)
    assert client.get("/en/manage/").headers["Location"] == "/en/manage/countries/RWA"
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
