"""The Global E-waste Monitor indicators (derived from this record, beside the Monitor's own
published values), a country's e-waste figures, the example-data flag and "last update".

Expected values are worked out by hand from the rules on the methodology page.
"""

import csv
import io
import re
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from tracker import scoring, write
from tracker.codes import GemIndicator, InstrumentStatus, InstrumentType
from tracker.models import ChangeRecord, CountryFact, Milestone, MonitorValue, Provision
from tracker.write import changes

NL, EPR, CT, RT = (
    GemIndicator.NATIONAL_LEGISLATION,
    GemIndicator.EPR,
    GemIndicator.COLLECTION_TARGET,
    GemIndicator.RECYCLING_TARGET,
)
SOURCE = "https://dev.globalewaste.org/map"


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))


# --- the rules, on plain values -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "status", "specific", "expected"),
    [
        (InstrumentType.ACT, InstrumentStatus.IN_FORCE, True, True),
        (InstrumentType.REGULATION, InstrumentStatus.AMENDED, True, True),  # in force as amended
        (InstrumentType.STATUTORY_INSTRUMENT, InstrumentStatus.IN_FORCE, True, True),
        (InstrumentType.ACT, InstrumentStatus.IN_FORCE, False, False),  # a general act
        (InstrumentType.POLICY, InstrumentStatus.IN_FORCE, True, False),  # a policy is no law
        (InstrumentType.STRATEGY, InstrumentStatus.IN_FORCE, True, False),
        (InstrumentType.REGULATION, InstrumentStatus.DRAFTING, True, False),
        (InstrumentType.REGULATION, InstrumentStatus.REPEALED, True, False),
    ],
)
def test_national_legislation_needs_an_e_waste_law_in_force(type_, status, specific, expected):
    assert scoring.is_ewaste_law_in_force(type_, status, specific) is expected


def test_the_latest_published_edition_is_compared_with_the_derived_value():
    derived = {NL: True, EPR: False, CT: False, RT: True}
    published = [
        (NL, scoring.Published(2020, False, SOURCE)),
        (NL, scoring.Published(2024, True, SOURCE)),  # the latest edition wins
        (EPR, scoring.Published(2024, True, SOURCE, "map")),
    ]
    rows = {row.indicator: row for row in scoring.compare_monitor(derived, published)}
    assert list(rows) == [NL, EPR, CT, RT]  # every indicator, in the Monitor's order
    assert (rows[NL].published.edition, rows[NL].published.value, rows[NL].disagrees) == (
        2024,
        True,
        False,
    )
    assert rows[EPR].disagrees is True  # derived no, published yes
    assert rows[CT].published is None and rows[CT].disagrees is False  # nothing to compare
    # Without a checklist nothing is derived, so nothing disagrees.
    assert not any(r.disagrees for r in scoring.compare_monitor(None, published))


# --- the country page ----------------------------------------------------------------------------


def monitor_rows(html: str) -> dict[str, tuple[str, str, str]]:
    table = re.search(r'<table class="monitor-table stack">(.*?)</table>', html, flags=re.S)[1]
    return {
        text_of(label): (text_of(derived), text_of(published), text_of(comparison))
        for label, derived, published, comparison in re.findall(
            r'<th scope="row">(.*?)</th>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>\s*'
            r"<td[^>]*>(.*?)</td>",
            table,
            flags=re.S,
        )
    }


def test_country_page_shows_derived_and_published_side_by_side(
    client, session, scored_country, publish
):
    kenya = scored_country.country
    # Kenya's only instrument in force is "E-waste Act", a regulation not marked specific to
    # e-waste: national legislation is derived "no". The Monitor (say) published "yes" in 2024.
    with write.transaction(session):
        changes.create(
            session,
            MonitorValue(
                country_id=kenya.id, edition=2024, indicator=NL, value=True, source_url=SOURCE
            ),
            changes.COMMAND_LINE,
        )
    publish()  # the public side serves publications
    html = client.get("/en/countries/KEN").text
    rows = monitor_rows(html)
    assert rows["National e-waste legislation"] == (
        "✗ No",
        "✓ Yes edition 2024 · Source",
        "≠ They disagree",
    )
    assert rows["Extended producer responsibility"] == ("✗ No", "not recorded", "Nothing to compare")
    assert (
        "This record and the Global E-waste Monitor disagree on: National e-waste legislation."
        in html
    )
    assert "Derived from this record" in html
    assert f'href="{SOURCE}"' in html


def test_monitor_values_csv_sets_each_edition_beside_the_derived_value(
    client, session, scored_country, publish
):
    kenya = scored_country.country
    with write.transaction(session):
        for edition, indicator, value in ((2024, EPR, True), (2020, EPR, False), (2024, NL, False)):
            changes.create(
                session,
                MonitorValue(
                    country_id=kenya.id,
                    edition=edition,
                    indicator=indicator,
                    value=value,
                    source_url=SOURCE,
                    note="=cmd" if edition == 2020 else None,
                ),
                changes.COMMAND_LINE,
            )
    publish()  # the public side serves publications
    # Kenya's derived values are all "no" (see scored_country): EPR 2024 "yes" disagrees, EPR 2020
    # and national legislation 2024 ("no") agree. Rows by edition, then the Monitor's order.
    assert client.get("/exports/monitor_values.csv").data == (
        b"country_iso3,edition,indicator,published_value,derived_value,disagrees,source_url,"
        b"note\r\n"
        b"KEN,2020,epr,false,false,false,https://dev.globalewaste.org/map,'=cmd\r\n"
        b"KEN,2024,national_legislation,false,false,false,https://dev.globalewaste.org/map,\r\n"
        b"KEN,2024,epr,true,false,true,https://dev.globalewaste.org/map,\r\n"
    )
    api = client.get("/api/v1/countries/KEN").json  # the latest edition first
    assert [(v["indicator"], v["edition"]) for v in api["published_monitor_values"]] == [
        ("national_legislation", 2024),
        ("epr", 2024),
        ("epr", 2020),
    ]
    epr = next(m for m in api["monitor"] if m["indicator"] == "epr")
    assert (epr["published"]["edition"], epr["disagrees"]) == (2024, True)


def test_an_e_waste_law_in_force_makes_national_legislation_yes_everywhere(
    client, session, scored_country, make_instrument, publish
):
    make_instrument(
        scored_country.country,
        title="E-waste Management Regulations",
        type=InstrumentType.REGULATION,
        status=InstrumentStatus.IN_FORCE,
        ewaste_specific=True,
    )
    publish()  # the public side serves publications
    rows = monitor_rows(client.get("/en/countries/KEN").text)
    assert rows["National e-waste legislation"][0] == "✓ Yes"
    [row] = csv_rows(client.get("/exports/countries.csv"))
    assert row["gem_national_legislation"] == "true"
    api = client.get("/api/v1/countries/KEN").json
    assert api["progress"]["gem"]["national_legislation"] is True
    derived = {m["indicator"]: m["derived"] for m in api["monitor"]}
    assert derived == {
        "national_legislation": True,
        "epr": False,
        "collection_target": False,
        "recycling_target": False,
    }


def test_a_policy_specific_to_e_waste_is_not_legislation(
    client, scored_country, make_instrument, publish
):
    make_instrument(
        scored_country.country,
        title="National E-waste Policy",
        type=InstrumentType.POLICY,
        status=InstrumentStatus.IN_FORCE,
        ewaste_specific=True,
    )
    publish()  # the public side serves publications
    [row] = csv_rows(client.get("/exports/countries.csv"))
    assert row["gem_national_legislation"] == "false"


def test_monitor_box_carries_the_example_marker(client, demo_data):
    html = client.get("/en/countries/ZMB").text
    box = re.search(r'<section aria-labelledby="gem-heading" class="monitor-box">(.*?)</section>',
                    html, flags=re.S)[1]
    assert "Example data" in box and "The derived values rest on example judgements." in box


# --- e-waste figures -----------------------------------------------------------------------------


def test_demo_figures_come_from_their_sources_and_the_rest_is_not_recorded(client, demo_data):
    by_iso3 = {r["iso3"]: r for r in csv_rows(client.get("/exports/countries.csv"))}
    rwanda = by_iso3["RWA"]
    assert (rwanda["ewaste_year"], rwanda["ewaste_generated_kg"], rwanda["ewaste_collected_kg"]) == (
        "2022",
        "10000000",
        "2000000",
    )
    assert rwanda["ewaste_generated_kg_per_capita"] == ""  # the source gives none
    assert rwanda["ewaste_source_url"].startswith("https://www.itu.int/")
    zambia = by_iso3["ZMB"]
    assert (zambia["ewaste_generated_kg"], zambia["ewaste_collected_kg"]) == ("23000000", "")
    paraguay = by_iso3["PRY"]
    assert paraguay["ewaste_year"] == paraguay["ewaste_generated_kg"] == ""
    page = client.get("/en/countries/RWA").text
    assert "10,000,000 kg" in page and "2,000,000 kg" in page
    assert "per capita: not recorded" in text_of(page)
    assert "E-waste generated and collected: not recorded." in client.get("/en/countries/PRY").text
    api = client.get("/api/v1/countries/RWA").json
    assert (api["ewaste"]["year"], api["ewaste"]["collected_kg"]) == (2022, 2000000.0)
    assert client.get("/api/v1/countries/PRY").json["ewaste"] is None


def test_figures_are_shown_in_the_readers_language(client, session, make_country, publish):
    country = make_country(iso3="FRA", iso2="FR")
    with write.transaction(session):
        changes.create(
            session,
            CountryFact(
                country_id=country.id, year=2022, generated_kg=1234567.5, source_url=SOURCE
            ),
            changes.COMMAND_LINE,
        )
    publish()  # the public side serves publications
    # French groups with a narrow no-break space and uses a decimal comma (CLDR).
    assert "1\u202f234\u202f567,5\xa0kg" in client.get("/fr/countries/FRA").text


# --- the example flag and "last update" ------------------------------------------------------------


def test_demo_rows_are_dated_when_their_files_were_checked(client, demo_data):
    """The country files say checked_on: 2026-12-01; loading the demo today does not move it."""
    by_iso3 = {r["iso3"]: r for r in csv_rows(client.get("/exports/countries.csv"))}
    assert {r["last_update"] for r in by_iso3.values()} == {"2026-12-01"}
    assert {r["is_example"] for r in by_iso3.values()} == {"true"}
    api = {c["iso3"]: c for c in client.get("/api/v1/countries").json["countries"]}
    assert api["ZMB"]["last_update"] == "2026-12-01" and api["ZMB"]["is_example"] is True
    assert "<dt>Last update</dt><dd>December 1, 2026</dd>" in client.get("/en/countries/ZMB").text


def test_last_update_and_example_flag_follow_the_judgements(
    client, session, make_country, make_checklist, make_instrument, make_coverage, publish
):
    """A judgement changed after everything else dates the record; one example judgement marks
    it as example data. On the overview's path (countries.csv, the API list) and the country's
    own page alike."""
    checklist = make_checklist(n=3)
    provisions = session.exec(
        select(Provision).where(Provision.checklist_id == checklist.id).order_by(Provision.position)
    ).all()
    country = make_country(iso3="ZZJ", iso2="ZJ")
    act = make_instrument(country, status=InstrumentStatus.IN_FORCE)
    older = make_coverage(country, provisions[0], links=[(act, "full")])
    newest = make_coverage(country, provisions[1], links=[(act, "partial")])
    dated = [
        (country, datetime(2020, 5, 17, tzinfo=UTC)),
        (act, datetime(2020, 5, 17, tzinfo=UTC)),
        (older, datetime(2021, 1, 2, 3, 4, 5, tzinfo=UTC)),
        (newest, datetime(2021, 3, 4, 10, 0, 1, tzinfo=UTC)),
    ]
    for row, at in dated:
        row.created_at = row.updated_at = at
        session.add(row)
    session.commit()
    publish()
    [row] = csv_rows(client.get("/exports/countries.csv"))
    assert (row["last_update"], row["is_example"]) == ("2021-03-04", "false")
    assert client.get("/api/v1/countries").json["countries"][0]["last_update"] == "2021-03-04"
    assert "<dt>Last update</dt><dd>March 4, 2021</dd>" in client.get("/en/countries/ZZJ").text

    older.is_example = True
    older.updated_at = datetime(2020, 6, 1, tzinfo=UTC)  # earlier than the newest judgement
    session.add(older)
    session.commit()
    publish(country)
    [row] = csv_rows(client.get("/exports/countries.csv"))
    assert (row["last_update"], row["is_example"]) == ("2021-03-04", "true")
    assert client.get("/api/v1/countries/ZZJ").json["is_example"] is True


def test_last_update_follows_a_deletion(client, session, make_country, make_milestone, publish):
    country = make_country(iso3="ZZB", iso2="ZB")
    old = datetime(2020, 5, 17, tzinfo=UTC)
    milestone = make_milestone(country)
    for row in (country, milestone):
        row.created_at = row.updated_at = old
        session.add(row)
    session.commit()
    publish()
    [row] = csv_rows(client.get("/exports/countries.csv"))
    assert (row["last_update"], row["is_example"]) == ("2020-05-17", "false")
    with write.transaction(session):
        changes.delete(session, session.get(Milestone, milestone.id), changes.COMMAND_LINE,
                       expected_version=1)
    deleted_on = datetime.now(UTC).date().isoformat()
    # The deletion is a change to the working copy: the public record has not changed yet.
    [row] = csv_rows(client.get("/exports/countries.csv"))
    assert row["last_update"] == "2020-05-17"
    # Published, the record's last change is the deletion: the page, the CSV and the API say so.
    publish(country)
    [row] = csv_rows(client.get("/exports/countries.csv"))
    assert (row["last_update"], row["milestones_total"]) == (deleted_on, "0")
    assert client.get("/api/v1/countries/ZZB").json["last_update"] == deleted_on
    # A later publication that changes nothing keeps the date of that deletion.
    publish(country)
    [row] = csv_rows(client.get("/exports/countries.csv"))
    assert row["last_update"] == deleted_on


# --- the administrator's forms ---------------------------------------------------------------------

LIST = "/en/manage/countries/ZMB/monitor"
NEW_VALUE = "/en/manage/countries/ZMB/monitor/new"
NEW_FACTS = "/en/manage/countries/ZMB/facts/new"
VALUE = {"edition": "2024", "indicator": "epr", "value": "yes", "source_url": SOURCE}


@pytest.fixture
def admin(client, sign_in, staff):
    sign_in(staff.admin)
    return staff


def test_an_admin_records_edits_and_deletes_a_published_value(client, session, admin):
    assert client.get(LIST).status_code == 200
    response = client.post(NEW_VALUE, data={**VALUE, "note": "GEM 2024 map"})
    assert response.status_code == 303 and response.headers["Location"] == LIST
    session.rollback()
    value = session.exec(select(MonitorValue)).one()
    assert (value.edition, value.indicator, value.value, value.note) == (2024, EPR, True, "GEM 2024 map")
    value_id = value.id
    assert SOURCE in client.get(LIST).text

    edit = f"/en/manage/monitor/{value_id}/edit"
    assert '<option selected value="yes">' in client.get(edit).text
    assert client.post(edit, data={**VALUE, "value": "no", "version": "1"}).status_code == 303
    assert client.post(edit, data={**VALUE, "version": "1"}).status_code == 409  # stale
    session.rollback()
    assert session.get(MonitorValue, value_id).value is False

    delete = f"/en/manage/monitor/{value_id}/delete"
    page = client.get(delete).text
    assert "Delete this published value?" in page
    assert "Extended producer responsibility, edition 2024: No" in page
    assert client.post(delete, data={"version": "2"}).status_code == 303
    session.rollback()
    assert session.get(MonitorValue, value_id) is None
    actions = session.exec(
        select(ChangeRecord.action).where(ChangeRecord.entity == "monitor_value")
        .order_by(ChangeRecord.id)
    ).all()
    assert [a.value for a in actions] == ["create", "update", "delete"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"source_url": "javascript:alert(1)"}, "Enter a web address that starts with http://"),
        ({"source_url": ""}, "Enter the link to where the Monitor publishes it."),
        ({"value": ""}, "Choose yes or no."),
        ({"value": "maybe"}, "Choose one of the options."),
        ({"edition": "24"}, "Enter a year between 2000 and 2100."),
        ({"edition": "soon"}, "Enter the year of the edition."),
        ({"indicator": "stage"}, "Choose one of the options."),
    ],
)
def test_bad_published_values_are_refused_with_a_message(
    client, session, admin, overrides, message
):
    response = client.post(NEW_VALUE, data={**VALUE, **overrides})
    assert response.status_code == 422
    assert message in response.text
    assert response.text.count('class="error-summary"') <= 1
    session.rollback()
    assert session.exec(select(MonitorValue)).all() == []


def test_one_value_per_indicator_and_edition(client, session, admin):
    assert client.post(NEW_VALUE, data=VALUE).status_code == 303
    response = client.post(NEW_VALUE, data=VALUE)
    assert response.status_code == 422
    assert "this indicator for this edition is recorded already" in response.text
    assert client.post(NEW_VALUE, data={**VALUE, "edition": "2020"}).status_code == 303


def test_validation_messages_are_translated(client, admin):
    response = client.post(NEW_VALUE.replace("/en/", "/es/"), data={**VALUE, "value": ""})
    assert response.status_code == 422 and "Elija sí o no." in response.text


def test_an_admin_records_e_waste_figures(client, session, admin, publish):
    data = {"year": "2022", "generated_kg": "23000000", "source_url": SOURCE}
    assert client.post(NEW_FACTS, data=data).status_code == 303
    for bad, message in (
        ({"generated_kg": "-5"}, "Enter a number of at least 0."),
        ({"collected_kg": "inf"}, "Enter a number, for example 1250.5."),
        ({"collected_kg": "lots"}, "Enter a number, for example 1250.5."),
        ({"source_url": "ftp://example.org/x"}, "Enter a web address that starts with http://"),
        ({}, "Figures for this year are recorded already"),
    ):
        response = client.post(NEW_FACTS, data={**data, **bad})
        assert response.status_code == 422, bad
        assert message in response.text, bad
    session.rollback()
    fact = session.exec(select(CountryFact)).one()
    assert (fact.year, fact.generated_kg, fact.collected_kg) == (2022, 23000000.0, None)
    edit = f"/en/manage/facts/{fact.id}/edit"
    assert client.post(edit, data={**data, "collected_kg": "150000.5", "version": "1"}).status_code == 303
    session.rollback()  # end the read transaction: see the app's commits
    publish(admin.zmb)  # the public side serves publications
    html = client.get("/en/countries/ZMB").text
    assert "23,000,000 kg" in html and "150,000.5 kg" in html
    assert client.post(f"/en/manage/facts/{fact.id}/delete", data={"version": "2"}).status_code == 303
    session.rollback()
    publish(admin.zmb)
    assert "E-waste generated and collected: not recorded." in client.get("/en/countries/ZMB").text


def test_editors_cannot_record_the_monitor_values(client, sign_in, staff):
    sign_in(staff.editor_zmb)
    for url in (LIST, NEW_VALUE, NEW_FACTS):
        assert client.get(url).status_code == 403, url
    for url in (NEW_VALUE, NEW_FACTS):
        assert client.post(url, data=VALUE).status_code == 403, url


def test_history_lists_the_published_value_under_its_country(client, session, admin):
    client.post(NEW_VALUE, data=VALUE)
    page = client.get("/en/manage/history?entity=monitor_value").text
    assert "Global E-waste Monitor value" in page
    session.rollback()
    record = session.exec(select(ChangeRecord).where(ChangeRecord.entity == "monitor_value")).one()
    assert record.country_id == admin.zmb.id
    assert record.after["indicator"] == "epr" and record.after["value"] is True
    assert date.fromisoformat(record.at.date().isoformat()) == datetime.now(UTC).date()
