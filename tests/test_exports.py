"""CSV exports and the data package: exact bytes, filters, escaping, streaming, Frictionless."""

import csv
import io
import json
import re
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from tracker.codes import Extent, InstrumentStatus, MilestoneStatus
from tracker.models import Provision

HEADERS = {
    "countries": (
        b"iso3,iso2,name_en,joined_on,checklist_version,legal_in_force,legal_with_drafts,"
        b"implementation,provisions_applicable,provisions_not_applicable,gem_national_legislation,"
        b"gem_epr,gem_collection_target,gem_recycling_target,instruments,milestones_done,"
        b"milestones_total,is_example,last_update,ewaste_year,ewaste_generated_kg,"
        b"ewaste_generated_kg_per_capita,ewaste_collected_kg,ewaste_collected_kg_per_capita,"
        b"ewaste_source_url,provisions_assessed,provisions_total,provisional,stage\r\n"
    ),
    "checklist": (
        b"checklist_version,code,category,level,position,gem_indicator,title_en,guidance_en,"
        b"sources,retired\r\n"
    ),
    "instruments": (
        b"id,country_iso3,type,title,title_lang,title_en,number,issuing_body,status,year,"
        b"consultation_on,validated_on,adopted_on,published_on,in_force_on,amended_on,"
        b"repealed_on,dates_note,url,summary,made_under,amends,repeals,version,ewaste_specific,"
        b"sources,summary_lang\r\n"
    ),
    "coverage": (
        b"country_iso3,checklist_version,provision_code,applicable,not_applicable_reason,"
        b"implementation,legal_in_force,legal_with_drafts,instruments,evidence,is_example,"
        b"version,sources,evidence_lang\r\n"
    ),
    "milestones": (
        b"id,country_iso3,kind,title,planned_on,actual_on,place,status,source_url,notes,version,"
        b"source_kind,nature,title_lang,notes_lang\r\n"
    ),
    "coverage_links": (
        b"country_iso3,checklist_version,provision_code,instrument_id,instrument_title,extent,"
        b"articles,excerpt,excerpt_lang,translation,translation_status,article_url,is_example,"
        b"version\r\n"
    ),
    "monitor_values": (
        b"country_iso3,edition,indicator,published_value,derived_value,disagrees,source_url,"
        b"note\r\n"
    ),
    "text_translations": (
        b"country_iso3,record,record_id,checklist_version,provision_code,field,locale,text,"
        b"version\r\n"
    ),
}


def rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_each_export_starts_with_its_exact_header(client, name):
    response = client.get(f"/exports/{name}.csv")
    assert response.status_code == 200
    assert response.data == HEADERS[name]  # no data yet: the header alone
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    today = datetime.now(UTC).date().isoformat()
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}-{today}.csv"'


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_exports_with_demo_data(client, demo_data, name):
    response = client.get(f"/exports/{name}.csv")
    assert response.status_code == 200
    assert response.is_streamed
    body = response.data
    assert body.startswith(HEADERS[name])
    assert body.endswith(b"\r\n")
    assert not body.startswith(b"\xef\xbb\xbf")
    # the demo records no value published by the Monitor and no translation of its texts
    if name not in ("monitor_values", "text_translations"):
        assert len(rows(response)) > 1


def test_countries_rows_carry_the_scoring_figures(client, scored_country):
    [kenya] = rows(client.get("/exports/countries.csv"))
    # The values of the scored_country fixture, worked out by hand, to four places.
    assert kenya == {
        "iso3": "KEN",
        "iso2": "KE",
        "name_en": "Kenya",
        "joined_on": "2023-12-01",
        "checklist_version": "T.1",
        "legal_in_force": "0.6000",
        "legal_with_drafts": "0.7000",
        "implementation": "0.4000",
        "provisions_applicable": "3",
        "provisions_not_applicable": "1",
        "gem_national_legislation": "false",
        "gem_epr": "false",
        "gem_collection_target": "false",
        "gem_recycling_target": "false",
        "instruments": "3",
        "milestones_done": "1",
        "milestones_total": "2",
        "is_example": "false",
        # every row of the fixture was written just now
        "last_update": datetime.now(UTC).date().isoformat(),
        "ewaste_year": "",
        "ewaste_generated_kg": "",
        "ewaste_generated_kg_per_capita": "",
        "ewaste_collected_kg": "",
        "ewaste_collected_kg_per_capita": "",
        "ewaste_source_url": "",
        "provisions_assessed": "4",
        "provisions_total": "4",
        "provisional": "false",
        "stage": "",  # no instrument of the fixture is marked specific to e-waste
    }


def test_countries_rows_of_the_demo_data(client, demo_data):
    by_iso3 = {r["iso3"]: r for r in rows(client.get("/exports/countries.csv"))}
    assert set(by_iso3) == {"PRY", "RWA", "ZMB"}
    zambia = by_iso3["ZMB"]
    assert zambia["iso2"] == "ZM" and zambia["name_en"] == "Zambia"
    assert zambia["checklist_version"] == "2025.1"
    assert re.fullmatch(r"[01]\.[0-9]{4}", zambia["legal_in_force"])
    assert zambia["gem_national_legislation"] in ("true", "false")


def test_countries_counts(client, make_country, make_instrument, make_milestone, publish):
    country = make_country(iso3="ZZA", iso2="ZA")
    make_instrument(country)
    make_instrument(country)
    make_milestone(country, status=MilestoneStatus.DONE)
    make_milestone(country)
    publish()  # the public side serves publications
    [row] = rows(client.get("/exports/countries.csv"))
    assert (row["instruments"], row["milestones_done"], row["milestones_total"]) == ("2", "1", "2")
    # no checklist loaded: figures are empty, never 0
    assert row["legal_in_force"] == "" and row["checklist_version"] == ""


def test_country_filter_is_repeatable(client, demo_data):
    response = client.get("/exports/coverage.csv?country=ZMB&country=rwa")
    iso3s = {r["country_iso3"] for r in rows(response)}
    assert iso3s == {"RWA", "ZMB"}
    today = datetime.now(UTC).date().isoformat()
    assert f'filename="coverage-RWA-ZMB-{today}.csv"' in response.headers["Content-Disposition"]
    for name in ("instruments", "milestones", "countries"):
        iso3s = {
            r.get("country_iso3") or r.get("iso3")
            for r in rows(client.get(f"/exports/{name}.csv?country=PRY"))
        }
        assert iso3s == {"PRY"}


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_unknown_country_is_a_400_with_a_clear_message(client, demo_data, name):
    response = client.get(f"/exports/{name}.csv?country=ZMB&country=XYZ")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Unknown country code: XYZ" in text
    assert response.headers["Content-Type"].startswith("text/html")


def test_coverage_has_a_row_per_country_and_provision(client, demo_data):
    coverage = rows(client.get("/exports/coverage.csv"))
    checklist = [r for r in rows(client.get("/exports/checklist.csv")) if r["retired"] == "false"]
    assert len(coverage) == 3 * len(checklist)
    unjudged = [r for r in coverage if r["applicable"] == ""]
    assert unjudged, "the demo data leaves some provisions unjudged"
    assert all(r["version"] == "" and r["implementation"] == "" for r in unjudged)
    # not assessed is its own state: empty, never "none" (not covered)
    assert all(r["legal_in_force"] == r["legal_with_drafts"] == "" for r in unjudged)
    assert any(r["legal_in_force"] == "none" for r in coverage if r["applicable"] == "true")


def test_coverage_links_and_derived_extents(
    client, session, make_country, make_checklist, make_instrument, make_coverage, publish
):
    country = make_country(iso3="ZZB", iso2="ZB")
    checklist = make_checklist(n=2)
    provisions = sorted(checklist_provisions(session, checklist), key=lambda p: p.position)
    act = make_instrument(country, status=InstrumentStatus.IN_FORCE)
    draft = make_instrument(country, status=InstrumentStatus.DRAFTING)
    make_coverage(
        country,
        provisions[0],
        links=[(draft, Extent.FULL, "art. 1; art. 2"), (act, Extent.PARTIAL)],
        evidence="=looks like a formula",
    )
    make_coverage(country, provisions[1], applicable=False, not_applicable_reason="Landlocked")
    publish()  # the public side serves publications
    body = client.get("/exports/coverage.csv").data
    assert (
        body
        == HEADERS["coverage"]
        + (
            f"ZZB,T.1,AAA-01,true,,none,partial,full,{act.id}:partial;{draft.id}:full:art. 1%3B art. 2,"
            "'=looks like a formula,false,1,,\r\n"
            "ZZB,T.1,BBB-02,false,Landlocked,none,,,,,false,1,,\r\n"
        ).encode()
    )


def checklist_provisions(session, checklist):
    return session.exec(select(Provision).where(Provision.checklist_id == checklist.id)).all()


def test_formula_injection_is_neutralised_but_numbers_are_not(
    client, make_country, make_instrument, make_milestone, publish
):
    country = make_country(iso3="ZZC", iso2="ZC")
    instrument = make_instrument(
        country,
        title="=1+1",
        number="+x",
        issuing_body="-x",
        dates_note="@x",
        summary="\tx",
        url="\rx",
        year=2024,
    )
    make_milestone(country, title="-0.5", place="12", notes='=HYPERLINK("http://x")')
    publish()  # the public side serves publications
    body = client.get("/exports/instruments.csv").data
    # each escaped text cell starts with a single quote; csv quotes the cell holding a CR
    assert (
        body
        == HEADERS["instruments"]
        + (
            f"{instrument.id},ZZC,regulation,'=1+1,en,'=1+1,'+x,'-x,in_force,2024,,,,,,,,'@x,"
            "\"'\rx\",'\tx,,,,1,false,,\r\n"
        ).encode()
    )
    [instrument] = rows(client.get("/exports/instruments.csv"))
    assert instrument["title"] == "'=1+1"
    assert instrument["number"] == "'+x"
    assert instrument["issuing_body"] == "'-x"
    assert instrument["dates_note"] == "'@x"
    assert instrument["summary"] == "'\tx"
    assert instrument["url"] == "'\rx"
    assert instrument["year"] == "2024"
    [milestone] = rows(client.get("/exports/milestones.csv"))
    assert milestone["title"] == "'-0.5"  # text that looks like a number is still text
    assert milestone["place"] == "12"
    assert milestone["notes"] == '\'=HYPERLINK("http://x")'
    assert milestone["version"] == "1"


def test_negative_numbers_are_not_prefixed():
    from tracker.formats import csvio
    from tracker.formats.tables import COUNTRIES

    values = ["ZZZ", "ZZ", "Z", None, "T", -0.5, 0.25, 1.0, -3, 0, None, None, None, None, 12, 0, 0]
    values += [False, None, None, None, None, None, None, None]
    values += [0, 0, None, None]
    assert csvio.format_row(COUNTRIES, values)[5:9] == ["-0.5000", "0.2500", "1.0000", "-3"]


def test_bom_on_request(client, demo_data):
    body = client.get("/exports/milestones.csv?bom=1").data
    assert body.startswith(b"\xef\xbb\xbf" + HEADERS["milestones"])
    assert client.get("/exports/milestones.csv?bom=0").data.startswith(HEADERS["milestones"])


def test_dates_are_iso_8601(client, make_country, make_milestone, publish):
    make_milestone(make_country(), planned_on=date(2024, 2, 3), actual_on=date(2024, 12, 31))
    publish()  # the public side serves publications
    [row] = rows(client.get("/exports/milestones.csv"))
    assert (row["planned_on"], row["actual_on"]) == ("2024-02-03", "2024-12-31")


def test_large_exports_stream_in_chunks_of_whole_rows(
    app, client, session, make_country, make_milestone, publish, monkeypatch
):
    """The body is sent in chunks of at least CHUNK_BYTES (each a write to the socket), never a
    row at a time nor the whole file at once; each chunk ends with a whole row."""
    from tracker.models import Milestone, MilestoneKind
    from tracker.web import exportcache

    countries = [make_country() for _ in range(7)]
    session.add_all(
        Milestone(country_id=country.id, kind=MilestoneKind.OTHER, title=f"milestone {i:03}")
        for country in countries
        for i in range(30)
    )
    session.commit()
    publish()  # the public side serves publications
    monkeypatch.setattr(exportcache, "CHUNK_BYTES", 5_000)
    chunks = list(client.get("/exports/milestones.csv").response)
    # 7 countries of 30 rows (about 2,500 bytes each): more than one chunk, fewer than one a country
    assert 1 < len(chunks) < len(countries)
    assert all(len(chunk) >= 5_000 for chunk in chunks[:-1])
    assert all(chunk.endswith(b"\r\n") for chunk in chunks)
    assert sum(chunk.count(b"\r\n") for chunk in chunks) == 1 + 7 * 30
    assert len(rows(client.get("/exports/milestones.csv"))) == 7 * 30


def test_exports_page_lists_every_file_and_column(client):
    for url in ("/exports/", "/en/exports/"):
        response = client.get(url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        for name, header in HEADERS.items():
            assert f'href="/exports/{name}.csv"' in html
            for column in header.decode().strip().split(","):
                assert f"<code>{column}</code>" in html
        assert 'href="/exports/datapackage.json"' in html


def test_datapackage_is_derived_from_the_same_definitions(client):
    package = client.get("/exports/datapackage.json").get_json()
    assert [r["name"] for r in package["resources"]] == list(
        [
            "countries",
            "checklist",
            "instruments",
            "coverage",
            "milestones",
            "monitor_values",
            "coverage_links",
            "text_translations",
        ]
    )
    for resource in package["resources"]:
        fields = [f["name"] for f in resource["schema"]["fields"]]
        assert (",".join(fields) + "\r\n").encode() == HEADERS[resource["name"]]
        assert resource["path"] == f"{resource['name']}.csv"
        assert all(f["description"] for f in resource["schema"]["fields"])
    coverage = next(r for r in package["resources"] if r["name"] == "coverage")
    assert coverage["schema"]["primaryKey"] == [
        "country_iso3",
        "checklist_version",
        "provision_code",
    ]
    assert {
        "fields": ["country_iso3"],
        "reference": {"resource": "countries", "fields": ["iso3"]},
    } in coverage["schema"]["foreignKeys"]


def _write_package(client, directory, mutate=None):
    package = client.get("/exports/datapackage.json").get_json()
    (directory / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    for resource in package["resources"]:
        data = client.get(f"/exports/{resource['path']}").data
        if mutate:
            data = mutate(resource["name"], data)
        (directory / resource["path"]).write_bytes(data)
    return directory / "datapackage.json"


def test_every_export_validates_against_the_datapackage(client, demo_data, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(_write_package(client, tmp_path)))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    assert [task.name for task in report.tasks] == [
        "countries",
        "checklist",
        "instruments",
        "coverage",
        "milestones",
        "monitor_values",
        "coverage_links",
        "text_translations",
    ]


def test_the_datapackage_validation_catches_a_broken_foreign_key(client, demo_data, tmp_path):
    frictionless = pytest.importorskip("frictionless")

    def break_coverage(name, data):
        return data.replace(b"\r\nZMB,", b"\r\nXXX,", 1) if name == "coverage" else data

    report = frictionless.validate(str(_write_package(client, tmp_path, break_coverage)))
    assert not report.valid
    assert "foreign-key" in {e.type for task in report.tasks for e in task.errors}


def test_a_cancelled_milestone_leaves_the_total_everywhere(client, make_country, make_milestone, publish):
    """One milestone done and one cancelled: "1 of 1" on the pages, in the CSV and the API."""
    country = make_country(iso3="ZMB", iso2="ZM")
    make_milestone(country, title="Inception", status=MilestoneStatus.DONE)
    make_milestone(country, title="Dropped workshop", status=MilestoneStatus.CANCELLED)
    publish()  # the public side serves publications
    row = rows(client.get("/exports/countries.csv"))[0]
    assert (row["milestones_done"], row["milestones_total"]) == ("1", "1")
    for url in ("/api/v1/countries/ZMB", "/api/v1/countries"):
        body = client.get(url).get_json()
        counts = (body.get("countries") or [body])[0]["counts"]
        assert (counts["milestones_done"], counts["milestones_total"]) == (1, 1), url
    assert "1 of 1" in client.get("/en/").get_data(as_text=True)
    assert "1 of 1" in client.get("/en/countries/ZMB").get_data(as_text=True)
