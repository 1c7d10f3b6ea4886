"""Staff download their working copy in the exports' formats (issue 12, tracker.web.staff_exports).

The public exports serve each country's latest publication; staff who export, edit and import
again need the working copy, with the versions the import checks. These tests work on the demo
data (three countries, each published, Paraguay with a change pending review).
"""

import csv
import io
import re
import zipfile
from datetime import UTC, datetime

import pytest
from sqlmodel import select
from synthetic import build_dataset, count_queries, wipe

from tracker import write
from tracker.codes import Role
from tracker.models import ChangeRecord, Country, Milestone, User
from tracker.write import changes

BASE = "/en/manage/export"
IMPORT = "/en/manage/import"
EVERY_FILE = [
    "datapackage.json",
    "countries.csv",
    "checklist.csv",
    "instruments.csv",
    "coverage.csv",
    "milestones.csv",
    "monitor_values.csv",
    "coverage_links.csv",
    "text_translations.csv",
]


def today() -> str:
    return datetime.now(UTC).date().isoformat()


@pytest.fixture
def people(demo_data, password_hash):
    countries = {c.iso3: c for c in demo_data.exec(select(Country)).all()}
    users = {}
    for key, email, role, country in (
        ("admin", "admin@example.org", Role.ADMIN, None),
        ("zmb", "editor.zmb@example.org", Role.EDITOR, countries["ZMB"]),
    ):
        users[key] = User(email=email, password_hash=password_hash, role=role,
                          country_id=country.id if country else None)  # fmt: skip
        demo_data.add(users[key])
    demo_data.commit()
    return {**users, "countries": countries}


@pytest.fixture
def editor(client, people, sign_in):
    return sign_in(people["zmb"])


@pytest.fixture
def admin(app, people, sign_in):
    """An administrator on a client of their own (an editor may be signed in on ``client``)."""
    return sign_in(people["admin"], to=app.test_client())


def csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def rename_first_milestone(session, country: Country, title: str) -> Milestone:
    """A change saved in the working copy, not published."""
    milestone = session.exec(
        select(Milestone).where(Milestone.country_id == country.id).order_by(Milestone.id)
    ).first()
    with write.transaction(session):
        changes.update(session, milestone, changes.Actor("someone@example.org"),
                       {"title": title}, expected_version=milestone.version)  # fmt: skip
    return milestone


def preview(client, name: str, data: bytes, country="ZMB"):
    return client.post(
        IMPORT,
        data={"kind": name, "country": country, "file": (io.BytesIO(data), "upload.csv")},
        content_type="multipart/form-data",
    )


def token_of(response) -> str:
    match = re.search(r'name="token" type="hidden" value="([^"]+)"', response.get_data(as_text=True))
    assert match, "the preview offers no confirmation"
    return match.group(1)


def history(session) -> int:
    session.rollback()  # a new read transaction sees what the app committed
    return len(session.exec(select(ChangeRecord)).all())


# --- who may download what -------------------------------------------------------------------------


@pytest.mark.parametrize("url", [f"{BASE}/coverage.csv?country=ZMB", f"{BASE}/datapackage.zip"])
def test_anonymous_visitors_are_sent_to_sign_in(client, demo_data, url):
    response = client.get(url)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/en/login?next=")
    assert "/en/manage/export/" in response.headers["Location"]


def test_an_editor_downloads_their_own_country(editor):
    for url in (f"{BASE}/coverage.csv?country=ZMB", f"{BASE}/coverage.csv",
                f"{BASE}/coverage.csv?country=zmb"):  # fmt: skip
        response = editor.get(url)
        assert response.status_code == 200, url
        assert {row["country_iso3"] for row in csv_rows(response.data)} == {"ZMB"}


@pytest.mark.parametrize(
    "url",
    [
        f"{BASE}/coverage.csv?country=RWA",
        f"{BASE}/milestones.csv?country=ZMB&country=PRY",
        f"{BASE}/countries.csv?country=XXX",
        f"{BASE}/datapackage.zip?country=RWA",
    ],
)
def test_an_editor_asking_for_another_country_gets_403(editor, url):
    response = editor.get(url)
    assert response.status_code == 403


def test_an_administrator_downloads_any_country_or_all(admin):
    one = admin.get(f"{BASE}/instruments.csv?country=RWA")
    assert one.status_code == 200
    assert {row["country_iso3"] for row in csv_rows(one.data)} == {"RWA"}
    every = admin.get(f"{BASE}/countries.csv")
    assert [row["iso3"] for row in csv_rows(every.data)] == ["PRY", "RWA", "ZMB"]
    two = admin.get(f"{BASE}/countries.csv?country=ZMB&country=PRY")
    assert [row["iso3"] for row in csv_rows(two.data)] == ["PRY", "ZMB"]


def test_an_unknown_country_is_a_400_for_an_administrator(admin):
    response = admin.get(f"{BASE}/coverage.csv?country=XXX")
    assert response.status_code == 400
    assert "Unknown country code: XXX" in response.get_data(as_text=True)


def test_an_unknown_file_is_a_404(admin):
    assert admin.get(f"{BASE}/users.csv").status_code == 404
    assert admin.get(f"{BASE}/datapackage.json").status_code == 404


# --- what it holds ---------------------------------------------------------------------------------


def test_a_change_not_yet_published_is_in_the_working_copy_only(editor, client, people, session):
    rename_first_milestone(session, people["countries"]["ZMB"], "Renamed in the draft")
    staff = editor.get(f"{BASE}/milestones.csv?country=ZMB").data
    assert "Renamed in the draft" in [row["title"] for row in csv_rows(staff)]
    public = client.get("/exports/milestones.csv?country=ZMB").data  # the same client: still so
    assert b"Renamed in the draft" not in public
    # the same columns in the same order as the public file
    assert staff.split(b"\r\n")[0] == public.split(b"\r\n")[0]


def test_a_country_never_published_is_in_the_working_copy(admin, make_milestone, make_country):
    kenya = make_country(iso3="KEN", iso2="KE")
    make_milestone(kenya, title="Inception meeting")
    staff = csv_rows(admin.get(f"{BASE}/milestones.csv?country=KEN").data)
    assert [(row["country_iso3"], row["title"]) for row in staff] == [("KEN", "Inception meeting")]
    assert b"Inception meeting" not in admin.get("/exports/milestones.csv").data


def test_an_unchanged_working_copy_is_the_publication(editor, client):
    """The demo's Zambia has nothing pending: its working copy and its publication agree."""
    for name in ("coverage", "instruments", "milestones", "coverage_links"):
        staff = editor.get(f"{BASE}/{name}.csv?country=ZMB").data
        assert staff == client.get(f"/exports/{name}.csv?country=ZMB").data, name


def get(client, url: str):
    """The whole answer (its streamed body read before it is looked at)."""
    response = client.get(url)
    response.get_data()
    return response


def test_the_answers_are_private_and_named_as_the_working_copy(editor, admin, app):
    day = today()
    response = get(editor, f"{BASE}/coverage.csv?country=ZMB")
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="coverage-ZMB-working-copy-{day}.csv"'
    )
    # an editor's own country is named even when not asked for
    response = get(editor, f"{BASE}/milestones.csv")
    assert f'filename="milestones-ZMB-working-copy-{day}.csv"' in response.headers[
        "Content-Disposition"
    ]
    package = get(editor, f"{BASE}/datapackage.zip")
    assert package.headers["Cache-Control"] == "private, no-store"
    assert package.headers["Content-Type"] == "application/zip"
    assert f'filename="datapackage-ZMB-working-copy-{day}.zip"' in package.headers[
        "Content-Disposition"
    ]
    every = get(admin, f"{BASE}/countries.csv")
    assert f'filename="countries-working-copy-{day}.csv"' in every.headers["Content-Disposition"]
    checklist = get(admin, f"{BASE}/checklist.csv?country=ZMB")
    assert f'filename="checklist-working-copy-{day}.csv"' in checklist.headers[
        "Content-Disposition"
    ]
    assert len(app.wsgi_app) == 0  # nothing in the public page cache


def test_a_bom_for_excel_on_request(editor):
    plain = editor.get(f"{BASE}/milestones.csv").data
    with_bom = editor.get(f"{BASE}/milestones.csv?bom=1").data
    assert with_bom == "\ufeff".encode() + plain


def test_the_zip_holds_every_file_and_its_data_package(editor, people, session, tmp_path):
    rename_first_milestone(session, people["countries"]["ZMB"], "Renamed in the draft")
    data = editor.get(f"{BASE}/datapackage.zip").data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == EVERY_FILE
        assert archive.testzip() is None
        files = {name: archive.read(name) for name in EVERY_FILE}
    for name in EVERY_FILE[1:]:  # the very bytes of each file downloaded alone
        assert files[name] == editor.get(f"{BASE}/{name}").data, name
    assert b"Renamed in the draft" in files["milestones.csv"]
    import json

    package = json.loads(files["datapackage.json"])
    assert package["working_copy"]["countries"] == ["ZMB"]
    assert "publications" not in package and "citation" not in package
    assert package["title"].endswith("(working copy)")
    assert [r["path"] for r in package["resources"]] == EVERY_FILE[1:]
    frictionless = pytest.importorskip("frictionless")
    for name, body in files.items():
        (tmp_path / name).write_bytes(body)
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


# --- the round trip ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["coverage", "instruments", "milestones", "coverage_links"])
def test_export_then_import_unchanged_changes_nothing_even_before_publishing(
    editor, people, session, name
):
    rename_first_milestone(session, people["countries"]["ZMB"], "Renamed in the draft")
    before = editor.get(f"{BASE}/{name}.csv?country=ZMB").data
    records = history(session)
    response = preview(editor, name, before)
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    assert "0 to create, 0 to change" in html and "0 refused" in html
    assert "changed after the file was exported" not in html
    done = editor.post(f"{IMPORT}/confirm", data={"token": token_of(response)})
    assert done.status_code == 303
    assert history(session) == records
    assert editor.get(f"{BASE}/{name}.csv?country=ZMB").data == before


def test_the_public_file_of_a_changed_record_is_refused_and_the_working_copy_is_not(
    editor, people, session
):
    """Why staff need the working copy: after an unpublished change, editing the public file
    is refused as stale, editing the working copy's is accepted."""
    rename_first_milestone(session, people["countries"]["ZMB"], "Renamed in the draft")

    def edit_place(data: bytes) -> bytes:
        rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
        rows[1][rows[0].index("place")] = "Ndola"
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return out.getvalue().encode()

    public = edit_place(editor.get("/exports/milestones.csv?country=ZMB").data)
    refused = preview(editor, "milestones", public)
    assert refused.status_code == 422
    assert "changed after the file was exported" in refused.get_data(as_text=True)
    staff = edit_place(editor.get(f"{BASE}/milestones.csv").data)
    accepted = preview(editor, "milestones", staff)
    assert accepted.status_code == 200
    assert "0 to create, 1 to change" in accepted.get_data(as_text=True)


def test_a_file_from_the_zip_imports_unchanged(editor, session):
    data = editor.get(f"{BASE}/datapackage.zip").data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        coverage = archive.read("coverage.csv")
    response = preview(editor, "coverage", coverage)
    assert response.status_code == 200
    assert "0 to create, 0 to change" in response.get_data(as_text=True)


# --- the page that offers it -------------------------------------------------------------------------


def test_the_import_page_offers_the_working_copy(editor):
    html = editor.get(IMPORT).get_data(as_text=True)
    assert "Download your working copy" in html
    assert "last publication" in html
    assert f'action="{BASE}/datapackage.zip"' in html
    assert f'formaction="{BASE}/coverage.csv"' in html
    chooser = html.split('<select id="export-country" name="country">')[1].split("</select>")[0]
    assert chooser.strip() == '<option value="ZMB">ZMB</option>'  # their country only


def test_the_import_page_of_an_administrator_offers_every_country(admin):
    html = admin.get(f"{IMPORT}?country=RWA").get_data(as_text=True)
    assert '<option value="">All countries</option>' in html
    assert '<option value="RWA" selected>RWA</option>' in html


def test_the_workspace_links_to_it(editor):
    html = editor.get("/en/manage/countries/ZMB").get_data(as_text=True)
    assert f'href="{IMPORT}?country=ZMB#working-copy"' in html


# --- queries ---------------------------------------------------------------------------------------


def export_query_counts(client, engine) -> dict[str, int]:
    counts = {}
    for name in ("countries", "instruments", "coverage", "milestones", "coverage_links"):
        with count_queries(engine) as statements:
            response = client.get(f"{BASE}/{name}.csv")
            assert response.status_code == 200
            assert response.data  # the body is read inside the count
        counts[name] = len(statements)
    with count_queries(engine) as statements:
        assert zipfile.ZipFile(io.BytesIO(client.get(f"{BASE}/datapackage.zip").data)).testzip() is None
    counts["datapackage.zip"] = len(statements)
    return counts


@pytest.mark.slow
def test_the_exports_make_the_same_queries_however_large_the_data(
    client, engine, session, sign_in, password_hash
):
    def counts() -> dict[str, int]:
        admin = User(email="admin@example.org", password_hash=password_hash, role=Role.ADMIN)
        session.add(admin)
        session.commit()
        sign_in(admin)
        return export_query_counts(client, engine)

    """As many queries for 4 provisions and 2 instruments per country as for 45 and 12: the
    public exports' read functions (``tracker.read.rows``), which read some files a country at
    a time, as the public files are read."""
    build_dataset(session, 3, 4, instruments=2)
    small = counts()
    wipe(session)
    session.expunge_all()
    build_dataset(session, 3, 45, instruments=12)
    large = counts()
    assert large == small
    assert small["coverage"] <= 12, small  # the sign-in and the filter, then 2 + 4 for the cells
