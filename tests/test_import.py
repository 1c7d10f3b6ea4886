"""CSV import: dry run, stateless confirmation, round trips, bad files and permissions."""

import csv
import io
import re
from datetime import date

import pytest
from sqlmodel import select

from tracker import write
from tracker.codes import MilestoneNature, Role
from tracker.formats.tables import INSTRUMENTS
from tracker.models import (
    ChangeRecord,
    Country,
    Coverage,
    Instrument,
    InstrumentRelation,
    Milestone,
    Provision,
    User,
)
from tracker.write import changes

URL = "/en/manage/import"
CONFIRM = "/en/manage/import/confirm"


@pytest.fixture
def people(demo_data, password_hash):
    countries = {c.iso3: c for c in demo_data.exec(select(Country)).all()}
    users = {}
    for key, email, role, country in (
        ("admin", "admin@example.org", Role.ADMIN, None),
        ("zmb", "editor.zmb@example.org", Role.EDITOR, countries["ZMB"]),
        ("rwa", "editor.rwa@example.org", Role.EDITOR, countries["RWA"]),
    ):
        users[key] = User(
            email=email,
            password_hash=password_hash,
            role=role,
            country_id=country.id if country else None,
        )
        demo_data.add(users[key])
    demo_data.commit()
    return {**users, "countries": countries}


@pytest.fixture
def editor(client, people, sign_in):
    sign_in(people["zmb"])
    return client


def export(client, name, country="ZMB") -> bytes:
    response = client.get(f"/exports/{name}.csv?country={country}")
    assert response.status_code == 200
    return response.data


def preview(client, name, data: bytes, country="ZMB", filename="upload.csv"):
    return client.post(
        URL,
        data={"kind": name, "country": country, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def token_of(response) -> str:
    match = re.search(
        r'name="token" type="hidden" value="([^"]+)"', response.get_data(as_text=True)
    )
    if match is None:
        match = re.search(
            r'id="token" name="token" type="hidden" value="([^"]+)"',
            response.get_data(as_text=True),
        )
    assert match, "the preview offers no confirmation"
    return match.group(1)


def confirm(client, response):
    return client.post(CONFIRM, data={"token": token_of(response)})


def history(session) -> int:
    session.rollback()  # a new read transaction sees what the app committed
    return len(session.exec(select(ChangeRecord)).all())


def replace_cell(data: bytes, line: int, column: str, value: str) -> bytes:
    import csv

    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    index = rows[0].index(column)
    rows[line - 1][index] = value
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["coverage", "instruments", "milestones"])
def test_export_import_export_gives_identical_files(editor, session, name):
    before = export(editor, name)
    records = history(session)
    response = preview(editor, name, before)
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    assert "0 to create, 0 to change" in html
    assert "0 refused" in html
    done = confirm(editor, response)
    assert done.status_code == 303
    assert history(session) == records
    assert export(editor, name) == before


def test_round_trip_with_a_bom_and_tricky_text(editor, session, people, make_milestone):
    zmb = people["countries"]["ZMB"]
    make_milestone(zmb, title="=1+1", notes="'=already quoted\r\nsecond line; 100%", place="-x")
    before = export(editor, "milestones") + b""
    with_bom = editor.get("/exports/milestones.csv?country=ZMB&bom=1").data
    records = history(session)
    response = preview(editor, "milestones", with_bom)
    assert response.status_code == 200
    assert confirm(editor, response).status_code == 303
    assert history(session) == records
    assert export(editor, "milestones") == before


def test_dry_run_writes_nothing_and_confirm_writes_with_history(editor, session, people, publish):
    data = export(editor, "milestones")
    edited = replace_cell(data, 2, "title", "Renamed milestone")
    edited = (
        edited + b",ZMB,launch,New launch,2027-01-15,,Lusaka,planned,https://example.org/x,,,,project,en,\r\n"
    )
    records = history(session)
    response = preview(editor, "milestones", edited)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "1 to create, 1 to change" in html
    assert "<code>title</code>" in html
    assert history(session) == records  # the dry run wrote nothing
    session.rollback()  # end the read transaction: see the app's commits
    assert session.exec(select(Milestone).where(Milestone.title == "New launch")).first() is None

    assert confirm(editor, response).status_code == 303
    session.rollback()  # end the read transaction: see the app's commits
    renamed = session.exec(select(Milestone).where(Milestone.title == "Renamed milestone")).one()
    assert renamed.version == 2
    created = session.exec(select(Milestone).where(Milestone.title == "New launch")).one()
    assert created.planned_on == date(2027, 1, 15)
    new = session.exec(select(ChangeRecord).where(ChangeRecord.id > records)).all()
    assert {(r.action.value, r.entity, r.actor) for r in new} == {
        ("update", "milestone", "editor.zmb@example.org"),
        ("create", "milestone", "editor.zmb@example.org"),
    }
    # once published, the export shows the change, and importing that export changes nothing more
    publish(people["countries"]["ZMB"])
    again = export(editor, "milestones")
    assert b"Renamed milestone" in again
    assert "0 to create, 0 to change" in preview(editor, "milestones", again).get_data(as_text=True)


def test_coverage_import_creates_and_changes_judgements(editor, session, people, publish):
    zmb = people["countries"]["ZMB"]
    data = export(editor, "coverage")
    lines = data.decode().split("\r\n")
    # a provision nobody judged: every cell after its code is empty (not assessed, never "none")
    unjudged = next(i for i, line in enumerate(lines) if re.fullmatch(r"ZMB,[^,]+,[A-Z]+-\d+,+", line))
    unjudged += 1
    judged = next(i for i, line in enumerate(lines) if ",true," in line) + 1
    instrument = session.exec(select(Instrument).where(Instrument.country_id == zmb.id)).first()
    edited = replace_cell(data, unjudged, "applicable", "true")
    edited = replace_cell(edited, unjudged, "implementation", "operational")
    edited = replace_cell(edited, unjudged, "instruments", f"{instrument.id}:full:s. 1%3B s. 2")
    edited = replace_cell(edited, judged, "evidence", "New evidence")
    response = preview(editor, "coverage", edited)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "1 to create, 1 to change" in response.get_data(as_text=True)
    assert confirm(editor, response).status_code == 303
    session.rollback()  # end the read transaction: see the app's commits
    publish(zmb)  # the export serves the publication
    after = export(editor, "coverage").decode().split("\r\n")
    assert (
        f"operational,full,full,{instrument.id}:full:s. 1%3B s. 2,,false,1," in after[unjudged - 1]
    )
    assert "New evidence,false,2," in after[judged - 1]
    assert after[judged - 1].endswith(",en")
    session.rollback()  # end the read transaction: see the app's commits
    assert session.exec(select(Coverage).where(Coverage.is_example == False)).all()  # noqa: E712


def test_instrument_import_creates_with_relations_and_english_title(
    editor, session, people, publish
):
    zmb = people["countries"]["ZMB"]
    parent = session.exec(select(Instrument).where(Instrument.country_id == zmb.id)).first()
    data = export(editor, "instruments")
    data += (
        f",ZMB,guideline,Directives sur les DEEE,fr,E-waste guidelines,,,drafting,2026,,,,,,,,,"
        f"https://example.org/g,,{parent.id},,,,true,,\r\n"
    ).encode()
    response = preview(editor, "instruments", data)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert confirm(editor, response).status_code == 303
    session.rollback()  # end the read transaction: see the app's commits
    created = session.exec(
        select(Instrument).where(Instrument.title == "Directives sur les DEEE")
    ).one()
    assert [t.title for t in created.titles] == ["E-waste guidelines"]
    assert created.ewaste_specific is True
    relation = session.exec(
        select(InstrumentRelation).where(InstrumentRelation.instrument_id == created.id)
    ).one()
    assert relation.target_id == parent.id
    publish(zmb)  # the export serves the publication
    again = export(editor, "instruments")
    assert b"Directives sur les DEEE" in again
    assert "0 to create, 0 to change" in preview(editor, "instruments", again).get_data(
        as_text=True
    )


# --- refusals --------------------------------------------------------------------------------------


def test_a_stale_row_is_refused(editor, session, people):
    data = export(editor, "milestones")
    milestone = session.exec(
        select(Milestone).where(Milestone.country_id == people["countries"]["ZMB"].id)
    ).first()
    with write.transaction(session):
        changes.update(
            session,
            milestone,
            changes.Actor("someone@example.org"),
            {"place": "Ndola"},
            expected_version=milestone.version,
        )
    edited = replace_cell(data, 2, "title", "Mine")
    response = preview(editor, "milestones", edited)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "changed after the file was exported" in html
    assert "Confirm the import" not in html


def test_confirming_twice_applies_once(editor, session):
    data = export(editor, "milestones") + b",ZMB,launch,Once,,,,planned,,,,,project,en,\r\n"
    response = preview(editor, "milestones", data)
    assert confirm(editor, response).status_code == 303
    records = history(session)
    second = confirm(editor, response)
    assert second.status_code == 409
    assert (
        "This import was already applied (1 created, 0 changed). Nothing was imported twice."
        in second.get_data(as_text=True)
    )
    assert len(session.exec(select(Milestone).where(Milestone.title == "Once")).all()) == 1
    assert history(session) == records


def test_confirming_an_import_that_changes_nothing_twice_says_so(editor, session):
    response = preview(editor, "milestones", export(editor, "milestones"))
    assert confirm(editor, response).status_code == 303
    second = confirm(editor, response)
    assert second.status_code == 409
    assert "This import was already applied (0 created, 0 changed)." in second.text


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("country_iso3", "XXX", "Unknown country code XXX"),
        ("country_iso3", "RWA", "This row is for RWA"),
        ("provision_code", "NOPE-99", "Unknown provision code NOPE-99"),
        ("evidence", "=HYPERLINK(&quot;http://x&quot;)", None),
        ("evidence", "=1+1", "could run it as a formula"),
        ("evidence", "+x", "could run it as a formula"),
        ("evidence", "-x", "could run it as a formula"),
        ("evidence", "@x", "could run it as a formula"),
        ("evidence", "\tx", "could run it as a formula"),
        ("applicable", "maybe", "is not true or false"),
        ("instruments", "99999:full", "99999 is not an instrument of ZMB"),
        ("checklist_version", "1999.1", "Only the current checklist"),
    ],
)
def test_bad_rows_are_refused_with_line_and_column(editor, session, column, value, message):
    data = export(editor, "coverage")
    line = next(i for i, text in enumerate(data.decode().split("\r\n"), 1) if ",true," in text)
    edited = replace_cell(data, line, column, value)
    records = history(session)
    response = preview(editor, "coverage", edited)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"Line {line}" in html and f"<code>{column}</code>" in html
    if message:
        assert message in html
    assert "Confirm the import" not in html
    assert history(session) == records


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("country_iso3,título\r\nZMB,x\r\n".encode("latin-1"), "not UTF-8"),
        ("a,b\r\n".encode("utf-16"), "UTF-16"),
        (b"country_iso3,\x00provision_code\r\n", "NUL bytes"),
        (b"", "Choose a CSV file"),
        (b"\r\n", "The file is empty"),
        (b"country_iso3,provision_code\r\nZMB,SCOPE-01\r\n", "missing columns: checklist_version"),
    ],
)
def test_bad_files_get_a_clear_message(editor, data, message):
    response = preview(editor, "coverage", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_extra_columns_and_header_only(editor):
    data = export(editor, "milestones")
    header = data.split(b"\r\n")[0]
    response = preview(editor, "milestones", header + b",comment\r\n")
    assert response.status_code == 422
    assert "unknown columns: comment" in response.get_data(as_text=True)
    response = preview(editor, "milestones", header + b"\r\n")
    assert response.status_code == 422
    assert "header row but no data rows" in response.get_data(as_text=True)
    response = preview(editor, "coverage", data)  # a milestones file as coverage
    assert response.status_code == 422
    assert "does not match the coverage.csv format" in response.get_data(as_text=True)


def test_a_50_mb_upload_gets_a_friendly_413(editor):
    boundary = "----tracker"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\ncoverage\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    body = head + b"x" * (50 * 1024 * 1024) + f"\r\n--{boundary}--\r\n".encode()
    # raw bytes: the test client keeps them in memory instead of a temporary file
    response = editor.post(URL, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "Upload too large" in html or "larger than" in html
    assert "<html" in html


def test_a_tampered_token_is_refused(editor):
    response = editor.post(CONFIRM, data={"token": "not-a-token"})
    assert response.status_code == 400
    assert "could not be verified" in response.get_data(as_text=True)


# --- permissions -----------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client, demo_data):
    response = client.get(URL)
    assert response.status_code in (302, 303)
    assert "/en/login" in response.headers["Location"]


def test_editors_import_only_their_own_country(client, people, sign_in):
    sign_in(people["rwa"])
    page = client.get(URL)
    assert page.status_code == 200
    assert '<option value="RWA">' in page.get_data(as_text=True)
    assert '<option value="ZMB">' not in page.get_data(as_text=True)
    response = preview(client, "coverage", export(client, "coverage", "ZMB"), country="ZMB")
    assert response.status_code == 403


def test_a_token_is_bound_to_its_user(client, people, sign_in):
    sign_in(people["admin"])
    response = preview(client, "milestones", export(client, "milestones"))
    token = token_of(response)
    sign_in(people["zmb"])
    answer = client.post(CONFIRM, data={"token": token})
    assert answer.status_code == 400


def test_admins_import_any_country(client, people, sign_in):
    sign_in(people["admin"])
    response = preview(client, "milestones", export(client, "milestones", "PRY"), country="PRY")
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["milestones", "instruments", "coverage"])
@pytest.mark.parametrize("value", ["99999999999999999999", "2147483648"])
def test_a_number_beyond_the_database_range_is_refused(editor, session, name, value):
    data = export(editor, name)
    records = history(session)
    column = "version" if name == "coverage" else "id"
    response = preview(editor, name, replace_cell(data, 2, column, value))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"<code>{column}</code>" in html
    assert "The number must be at most 2147483647." in html
    assert history(session) == records


def _new_instrument_row(**cells) -> bytes:
    """One instruments.csv row creating an instrument of ZMB, with ``cells`` replaced."""
    row = {name: "" for name in INSTRUMENT_HEADER}
    row.update(country_iso3="ZMB", type="act", title="New act", title_lang="en", status="adopted")
    row.update(ewaste_specific="false")
    row.update(cells)
    out = io.StringIO()
    csv.writer(out).writerow([row[name] for name in INSTRUMENT_HEADER])
    return out.getvalue().encode()


INSTRUMENT_HEADER = [c.name for c in INSTRUMENTS.columns]


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ({"title": "Bell\x07 act"}, "title", "invisible control characters"),
        ({"summary": "Escape \x1b[31m"}, "summary", "invisible control characters"),
        (
            {"adopted_on": "2024-06-01", "in_force_on": "2024-05-01"},
            "in_force_on",
            "The in-force date cannot be before the adoption date.",
        ),
        (
            {"in_force_on": "2024-06-01", "repealed_on": "2024-05-01"},
            "repealed_on",
            "The repeal date cannot be before the in-force date.",
        ),
    ],
)
def test_an_import_applies_the_rules_of_the_instrument_form(
    editor, session, cells, column, message
):
    data = export(editor, "instruments") + _new_instrument_row(**cells)
    records = history(session)
    response = preview(editor, "instruments", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"<code>{column}</code>" in html and message in html
    assert "Confirm the import" not in html
    assert history(session) == records


# --- the forms' limits hold for imported rows (one set of field rules) ---------------------------


def _judged_line(data: bytes) -> int:
    return next(i for i, text in enumerate(data.decode().split("\r\n"), 1) if ",true," in text)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("instruments", "{act}:full:" + "A" * 501, "are longer than 500 characters"),
        ("instruments", "{act}:full:Art.\x07 5", "invisible control characters"),
        ("evidence", "E" * 5001, "At most 5000 characters are allowed."),
        ("not_applicable_reason", "R" * 5001, "At most 5000 characters are allowed."),
    ],
)
def test_coverage_cells_follow_the_checklist_forms_limits(
    editor, session, people, column, value, message
):
    zmb = people["countries"]["ZMB"]
    act = session.exec(select(Instrument).where(Instrument.country_id == zmb.id)).first()
    data = export(editor, "coverage")
    line = _judged_line(data)
    records = history(session)
    response = preview(editor, "coverage", replace_cell(data, line, column, value.format(act=act.id)))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"Line {line}" in html and f"<code>{column}</code>" in html and message in html
    assert "Confirm the import" not in html
    assert history(session) == records


def test_the_longest_articles_the_form_allows_import_and_the_checklist_still_saves(
    editor, session, people
):
    """500 characters of articles (the form's limit) import; the workspace form then saves."""
    zmb = people["countries"]["ZMB"]
    act = session.exec(select(Instrument).where(Instrument.country_id == zmb.id)).first()
    data = export(editor, "coverage")
    line = _judged_line(data)
    response = preview(
        editor, "coverage", replace_cell(data, line, "instruments", f"{act.id}:full:" + "A" * 500)
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert confirm(editor, response).status_code == 303
    from tests.test_manage import _checklist_data

    saved = editor.post("/en/manage/countries/ZMB", data=_checklist_data(editor))
    assert saved.status_code == 303, saved.text


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ({"summary": "S" * 20_001}, "summary", "At most 20000 characters are allowed."),
        ({"title_lang": "xx"}, "title_lang", "Enter a language code such as en, fr"),
        ({"title_lang": "EN"}, "title_lang", "does not have the expected form"),
        ({"url": "https:///no-host"}, "url", "Only http:// and https:// links are accepted."),
        ({"url": "javascript:alert(1)"}, "url", "Only http:// and https:// links are accepted."),
        ({"year": "1799"}, "year", "Enter a year between 1800 and 2200."),
        ({"title_en": "T" * 501}, "title_en", "At most 500 characters are allowed."),
    ],
)
def test_instrument_cells_follow_the_instrument_forms_rules(editor, session, cells, column, message):
    data = export(editor, "instruments") + _new_instrument_row(**cells)
    records = history(session)
    response = preview(editor, "instruments", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f"<code>{column}</code>" in html and message in html
    assert history(session) == records


def test_milestone_notes_follow_the_milestone_forms_limit(editor, session):
    header = export(editor, "milestones").split(b"\r\n")[0]
    data = header + b"\r\n,ZMB,launch,Launch,,,,planned,," + b"N" * 20_001 + b",,,project,en,\r\n"
    response = preview(editor, "milestones", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<code>notes</code>" in html and "At most 20000 characters are allowed." in html


# --- limits and the summarised preview -----------------------------------------------------------


def _milestone_rows(n: int, start: int = 1, status: str = "planned") -> bytes:
    return b"".join(
        f",ZMB,launch,Launch {i},,,,{status},,,,,project,en,\r\n".encode() for i in range(start, start + n)
    )


def test_a_file_with_too_many_rows_is_refused_quickly_with_a_clear_message(editor):
    """The issue's file: 50,000 empty rows (0.1 MB) took seconds and rendered 19 MB."""
    header = export(editor, "milestones").split(b"\r\n")[0]
    response = preview(editor, "milestones", header + b"\r\n" + b",\r\n" * 50_000)
    assert response.status_code == 422
    assert (
        "The file has more than 5000 rows, the most one import accepts. Split it into smaller "
        "files and import them one after the other." in response.text
    )
    assert len(response.data) < 100_000


def test_the_row_limit_is_a_setting(app, editor):
    app.config["IMPORT_MAX_ROWS"] = 3
    header = export(editor, "milestones").split(b"\r\n")[0] + b"\r\n"
    assert preview(editor, "milestones", header + _milestone_rows(3)).status_code == 200
    response = preview(editor, "milestones", header + _milestone_rows(4))
    assert response.status_code == 422
    assert "The file has more than 3 rows" in response.text


def _raw_upload(client, url, data: bytes):
    """A multipart upload from raw bytes (the test client keeps them in memory, not in a
    temporary file that it would leave open when the app stops reading early)."""
    boundary = "----tracker"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nmilestones\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="country"\r\n\r\nZMB\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="m.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_a_file_over_the_byte_limit_is_refused_with_the_limit_in_the_readers_language(app, editor):
    header = export(editor, "milestones").split(b"\r\n")[0] + b"\r\n"
    big = header + b",ZMB,launch,Launch,,,,planned,,," + b"x" * (2 * 1024 * 1024) + b",,,project,en,\r\n"
    response = _raw_upload(editor, URL, big)
    assert response.status_code == 413
    assert "The file is larger than 2 MB, the most one import accepts." in response.text
    assert 'id="kind"' in response.text  # the upload form is there to try again
    app.config["IMPORT_MAX_BYTES"] = 100 * 1024
    assert _raw_upload(editor, URL, big[: 100 * 1024]).status_code == 422  # a cut-off file
    response = _raw_upload(editor, "/fr/manage/import", big[: 100 * 1024 + 1])
    assert response.status_code == 413
    assert re.search(r"Le fichier dépasse 100\W?ko", response.text)  # CLDR's French unit


def test_import_limits_come_from_the_environment(monkeypatch, tmp_path):
    from tracker import config

    monkeypatch.setenv("IMPORT_MAX_ROWS", "1200")
    monkeypatch.setenv("IMPORT_MAX_BYTES", "1048576")
    settings = config.from_environment(tmp_path)
    assert (settings["IMPORT_MAX_ROWS"], settings["IMPORT_MAX_BYTES"]) == (1200, 1048576)
    monkeypatch.setenv("IMPORT_MAX_ROWS", "many")
    with pytest.raises(config.ConfigError):
        config.from_environment(tmp_path)


def _lines_shown(html: str, kind: str) -> list[int]:
    section = html.split(f'id="rows-{kind}"', 1)[1].split("</table>", 1)[0]
    return [int(n) for n in re.findall(r'<tr id="line-(\d+)"', section)]


def test_a_large_preview_is_summarised_and_paged(editor):
    header = export(editor, "milestones").split(b"\r\n")[0] + b"\r\n"
    # lines 2-121 create milestones; lines 122-181 are refused (an unknown status)
    data = header + _milestone_rows(120) + _milestone_rows(60, start=121, status="someday")
    response = preview(editor, "milestones", data)
    assert response.status_code == 422
    html = response.text
    assert "120 to create, 0 to change, 0 unchanged, 60 refused." in html
    assert _lines_shown(html, "create") == list(range(2, 52))
    assert _lines_shown(html, "refused") == list(range(122, 172))
    assert "Rows 1 to 50 of 120" in html and "Rows 1 to 50 of 60" in html
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert summary.count("<li>") == 50
    assert "10 more problems are not listed here" in summary
    # the third page of rows to create, from the preview's own form (the file rides in its token)
    token = token_of(response)
    page = editor.post(URL, data={"token": token, "page": "create:3"})
    assert page.status_code == 422
    assert _lines_shown(page.text, "create") == list(range(102, 122))
    assert "Rows 101 to 120 of 120" in page.text
    assert _lines_shown(page.text, "refused") == list(range(122, 172))
    # a page beyond the last shows the last
    assert _lines_shown(editor.post(URL, data={"token": token, "page": "create:99"}).text,
                        "create") == list(range(102, 122))


def test_a_page_request_with_a_bad_token_or_page_is_refused(editor):
    assert editor.post(URL, data={"token": "forged", "page": "create:2"}).status_code == 400
    header = export(editor, "milestones").split(b"\r\n")[0] + b"\r\n"
    token = token_of(preview(editor, "milestones", header + _milestone_rows(60)))
    for page in ("create", "create:x", "delete:2", "create:-1"):
        assert editor.post(URL, data={"token": token, "page": page}).status_code == 400, page


def test_a_page_of_someone_elses_preview_is_refused(client, people, sign_in):
    sign_in(people["admin"])
    header = export(client, "milestones").split(b"\r\n")[0] + b"\r\n"
    token = token_of(preview(client, "milestones", header + _milestone_rows(60)))
    sign_in(people["zmb"])
    assert client.post(URL, data={"token": token, "page": "create:2"}).status_code == 400


# --- files exported before the language and project/context columns ------------------------------


def drop_columns(data: bytes, names: tuple[str, ...]) -> bytes:
    """The file as it was exported before the columns ``names`` existed."""
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    keep = [i for i, name in enumerate(rows[0]) if name not in names]
    out = io.StringIO()
    csv.writer(out).writerows([[row[i] for i in keep] for row in rows])
    return out.getvalue().encode()


OLD_MILESTONE_COLUMNS = ("source_kind", "nature", "title_lang", "notes_lang")


def test_an_old_milestone_file_imports_new_rows_as_project_steps_and_keeps_stored_values(
    editor, session, people, make_milestone, publish
):
    zmb = people["countries"]["ZMB"]
    context = make_milestone(
        zmb, title="Plant opening", nature=MilestoneNature.CONTEXT, title_lang="fr", notes="x"
    )
    publish(zmb)  # the export serves the publication
    old = drop_columns(export(editor, "milestones"), OLD_MILESTONE_COLUMNS)
    assert b"nature" not in old.split(b"\r\n")[0]
    old = replace_cell(old, _line_of(old, "Plant opening"), "notes", "Opened in 2017")
    old += b",ZMB,validation_workshop,Validation workshop,2025,,Lusaka,planned,,,\r\n"
    response = preview(editor, "milestones", old)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "1 to create, 1 to change" in response.get_data(as_text=True)
    assert confirm(editor, response).status_code == 303
    session.rollback()
    created = session.exec(select(Milestone).where(Milestone.title == "Validation workshop")).one()
    # the defaults of a milestone made in the workspace: a project step, languages not recorded
    assert (created.nature, created.title_lang, created.notes_lang) == (
        MilestoneNature.PROJECT, None, None)
    assert created.source_kind is None
    changed = session.get(Milestone, context.id)
    session.refresh(changed)
    assert changed.notes == "Opened in 2017"
    # what the file did not carry stays as it was: still a context event with a French title
    assert (changed.nature, changed.title_lang) == (MilestoneNature.CONTEXT, "fr")


def _line_of(data: bytes, text: str) -> int:
    """The 1-based line of the file's first row that contains ``text``."""
    rows = data.decode().split("\r\n")
    return next(i for i, row in enumerate(rows) if text in row) + 1


def test_an_old_instrument_file_imports_without_summary_language_and_sources(
    editor, session, people
):
    zmb = people["countries"]["ZMB"]
    kept = session.exec(
        select(Instrument).where(Instrument.country_id == zmb.id, Instrument.summary_lang == "en")
    ).first()
    sources_before = len(kept.sources)
    assert sources_before  # the demo instruments carry their sources
    old = drop_columns(export(editor, "instruments"), ("sources", "summary_lang"))
    old = replace_cell(old, _line_of(old, kept.title), "summary", "A shorter summary.")
    header = old.split(b"\r\n")[0].decode().split(",")
    new = dict.fromkeys(header, "")
    new.update(country_iso3="ZMB", type="guideline", title="E-waste guidelines", title_lang="en",
               status="drafting", ewaste_specific="true", summary="Guidelines in preparation.")
    old += (",".join(new[name] for name in header) + "\r\n").encode()
    response = preview(editor, "instruments", old)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "1 to create, 1 to change" in response.get_data(as_text=True)
    assert confirm(editor, response).status_code == 303
    session.rollback()
    created = session.exec(select(Instrument).where(Instrument.title == "E-waste guidelines")).one()
    assert (created.summary, created.summary_lang, list(created.sources)) == (
        "Guidelines in preparation.", None, [])
    changed = session.get(Instrument, kept.id)
    session.refresh(changed)
    assert (changed.summary, changed.summary_lang) == ("A shorter summary.", "en")
    assert len(changed.sources) == sources_before


def test_an_old_coverage_file_imports_without_evidence_language_and_sources(
    editor, session, people
):
    zmb = people["countries"]["ZMB"]
    data = export(editor, "coverage")
    old = drop_columns(data, ("sources", "evidence_lang"))
    lines = old.decode().split("\r\n")
    unjudged = next(
        i for i, line in enumerate(lines) if re.fullmatch(r"ZMB,[^,]+,[A-Z]+-\d+,+", line)) + 1
    judged = next(i for i, line in enumerate(lines) if ",true," in line) + 1
    code = lines[judged - 1].split(",")[2]
    new_code = lines[unjudged - 1].split(",")[2]
    old = replace_cell(old, unjudged, "applicable", "true")
    old = replace_cell(old, unjudged, "evidence", "Judged from an old file")
    old = replace_cell(old, judged, "evidence", "Evidence edited in an old file")
    response = preview(editor, "coverage", old)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "1 to create, 1 to change" in response.get_data(as_text=True)
    assert confirm(editor, response).status_code == 303
    session.rollback()
    by_code = {
        code: c
        for c, code in session.exec(
            select(Coverage, Provision.code)
            .join(Provision, Provision.id == Coverage.provision_id)
            .where(Coverage.country_id == zmb.id)
        ).all()
    }
    created, changed = by_code[new_code], by_code[code]
    # a new judgement: implementation none, the language of its evidence not recorded
    assert (created.evidence, created.evidence_lang, created.implementation.value) == (
        "Judged from an old file", None, "none")
    assert list(created.sources) == []
    assert changed.evidence == "Evidence edited in an old file"
    assert changed.evidence_lang == "en" and changed.sources  # kept as stored
