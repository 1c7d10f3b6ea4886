"""Small things that make the staff side shorter (issue 13, point 8): an editor lands on their
country's workspace, the 403 page lists the pages one may use, retiring asks for confirmation."""

from sqlmodel import select

from tests.conftest import PASSWORD
from tracker.models import ChangeRecord, Provision


def _login(client, email):
    return client.post("/en/login", data={"email": email, "password": PASSWORD})


def test_an_editor_lands_on_their_countrys_workspace_after_sign_in(client, staff):
    response = _login(client, "editor.rwa@example.org")
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/manage/countries/RWA"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "<h1>Rwanda" in page.text
    # The editor's way to the history is on the workspace (the list of one is skipped).
    assert 'href="/en/manage/history"' in page.text


def test_an_admin_lands_on_the_list_of_countries(client, staff):
    response = _login(client, "admin@example.org")
    assert response.headers["Location"] == "/en/manage/"
    page = client.get("/en/manage/").text
    assert "/en/manage/countries/ZMB" in page and "/en/manage/countries/RWA" in page


def test_next_still_wins_over_the_landing_page(client, staff):
    response = client.post(
        "/en/login?next=/en/manage/history",
        data={"email": "editor.zmb@example.org", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/en/manage/history"


def test_manage_root_sends_an_editor_to_their_workspace_in_their_language(
    client, sign_in, staff
):
    sign_in(staff.editor_zmb)
    response = client.get("/fr/manage/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/fr/manage/countries/ZMB"


def test_the_403_page_lists_the_pages_an_editor_may_use(client, sign_in, staff):
    sign_in(staff.editor_zmb)
    response = client.get("/en/manage/countries/RWA")
    assert response.status_code == 403
    page = response.text
    assert "Pages you can use" in page
    assert 'href="/en/manage/countries/ZMB">Workspace: Zambia</a>' in page
    assert 'href="/en/manage/history"' in page
    assert 'href="/en/manage/users"' not in page  # not an administrator's page
    assert 'href="/en/"' in page


def test_the_403_page_lists_the_admin_pages_for_an_admin_and_in_the_readers_language(
    client, sign_in, staff, app
):
    # An admin is refused nothing in the workspace; a 403 shows through a guarded view.
    from flask import abort

    app.add_url_rule("/<lang>/manage/forbidden-test", "forbidden_test", lambda **_kw: abort(403))
    sign_in(staff.admin)
    page = client.get("/fr/manage/forbidden-test").text
    for href in ("/fr/manage/", "/fr/manage/history", "/fr/manage/users", "/fr/manage/checklist"):
        assert f'href="{href}"' in page, href
    assert "Pages que vous pouvez utiliser" in page


def test_retiring_a_provision_asks_for_confirmation_first(
    client, sign_in, staff, session, make_checklist
):
    make_checklist(n=2)
    provision = session.exec(select(Provision)).first()
    sign_in(staff.admin)
    listing = client.get("/en/manage/checklist").text
    retire_url = f"/en/manage/checklist/provisions/{provision.id}/retire"
    # A link to a confirmation page, not a button that posts at once.
    assert f'<a href="{retire_url}">Retire' in listing
    assert f'action="{retire_url}"' not in listing

    page = client.get(retire_url)
    assert page.status_code == 200
    assert f"Retire provision {provision.code}?" in page.text
    assert "no longer counts in any country" in page.text
    assert "Yes, retire it" in page.text and 'href="/en/manage/checklist#provision-' in page.text
    session.rollback()
    assert not session.get(Provision, provision.id).retired  # looking changes nothing
    assert session.exec(select(ChangeRecord)).all() == []

    response = client.post(retire_url, data={"version": str(provision.version)})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/en/manage/checklist#provision-{provision.id}"
    session.rollback()
    assert session.get(Provision, provision.id).retired

    back = client.get(retire_url).text
    assert f"Bring provision {provision.code} back?" in back and "Yes, bring it back" in back


def test_a_stale_retire_confirmation_is_a_409_that_says_so(
    client, sign_in, staff, session, make_checklist
):
    make_checklist(n=2)
    provision = session.exec(select(Provision)).first()
    sign_in(staff.admin)
    url = f"/en/manage/checklist/provisions/{provision.id}/retire"
    response = client.post(url, data={"version": str(provision.version + 5)})
    assert response.status_code == 409
    assert "Someone else changed this record after you opened this page." in response.text
    session.rollback()
    assert not session.get(Provision, provision.id).retired
