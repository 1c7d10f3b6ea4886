"""Dates as precise as their sources (issue 11, point 5): a year, a month or a day, from the form
to the page, the CSV files, the API and the import, and back; overdue only once the period ends;
timelines by date with undated entries last.

Expected page strings are CLDR's, worked out by hand: English "Oct 23, 2024" (medium day),
"October 2024" (skeleton yMMMM), "2024" (skeleton y); French "23 oct. 2024", "octobre 2024".
"""

import io
import re
from datetime import date

import pytest
from sqlmodel import select
from synthetic import publish_all

from tracker import dates, scoring
from tracker.codes import DatePrecision, MilestoneStatus
from tracker.dates import PartialDate
from tracker.models import ChangeRecord, Instrument, Milestone
from tracker.read import pages

DAY, MONTH, YEAR = DatePrecision.DAY, DatePrecision.MONTH, DatePrecision.YEAR


def precise(value: str) -> dict:
    """Model values for a milestone planned at ``value`` (``"2025-12"``, ``"2024"``...)."""
    return dates.columns("planned_on", PartialDate.parse(value))


# --- the value type -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "precision", "end"),
    [
        ("2024", date(2024, 1, 1), YEAR, date(2024, 12, 31)),
        ("2024-10", date(2024, 10, 1), MONTH, date(2024, 10, 31)),
        ("2024-02", date(2024, 2, 1), MONTH, date(2024, 2, 29)),  # a leap year
        ("2023-02", date(2023, 2, 1), MONTH, date(2023, 2, 28)),
        ("2024-10-23", date(2024, 10, 23), DAY, date(2024, 10, 23)),
        ("2024-02-29", date(2024, 2, 29), DAY, date(2024, 2, 29)),
    ],
)
def test_the_three_forms_and_the_end_of_their_period(text, start, precision, end):
    value = PartialDate.parse(text)
    assert (value.start, value.precision, value.end) == (start, precision, end)
    assert str(value) == value.iso == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2024-13", "month"),
        ("2024-00", "month"),
        ("2024-02-30", "day"),
        ("2023-02-29", "day"),
        ("2024-04-31", "day"),
        ("24-10", "form"),
        ("2024-1", "form"),
        ("2024/10/23", "form"),
        ("23.10.2024", "form"),
        ("October 2024", "form"),
        ("２０２４", "form"),  # full-width digits are digits to Python, not to ISO 8601
        ("0000", "form"),
    ],
)
def test_anything_else_is_refused_with_its_reason(text, reason):
    with pytest.raises(dates.DateSyntaxError) as raised:
        PartialDate.parse(text)
    assert raised.value.reason == reason


def test_a_month_or_a_year_never_equals_its_first_day():
    assert PartialDate.parse("2024-10-01") == date(2024, 10, 1)
    assert PartialDate.parse("2024-10") != date(2024, 10, 1)
    assert PartialDate.parse("2024") != date(2024, 1, 1)
    assert PartialDate.parse("2024") != PartialDate.parse("2024-01")
    with pytest.raises(ValueError):
        PartialDate(date(2024, 10, 23), MONTH)  # a month starts on its first day


def test_before_means_the_whole_period_is_before():
    assert dates.certainly_before("2024-09", "2024-10-01")
    assert not dates.certainly_before("2024-10", "2024-10-23")  # maybe the 23rd or later
    assert not dates.certainly_before("2024", "2024-06")
    assert dates.certainly_before("2023", "2024-01")
    assert not dates.certainly_before(None, "2024")


def test_a_timeline_sorts_by_date_with_undated_entries_last():
    values = [None, "2024-10-23", "2024", None, "2023-06", "2024-10", "2024-10-22"]
    ordered = sorted(values, key=dates.timeline_key)
    assert ordered == ["2023-06", "2024", "2024-10", "2024-10-22", "2024-10-23", None, None]


# --- overdue at month and year precision --------------------------------------------------------


@pytest.mark.parametrize(
    ("planned", "today", "overdue"),
    [
        ("2025-12", date(2025, 12, 31), False),  # December is not over yet
        ("2025-12", date(2026, 1, 1), True),
        ("2025", date(2025, 12, 31), False),
        ("2025", date(2026, 1, 1), True),
        ("2025-02", date(2025, 2, 28), False),
        ("2025-02", date(2025, 3, 1), True),
        ("2025-12-30", date(2025, 12, 31), True),
        ("2025-12-31", date(2025, 12, 31), False),
    ],
)
def test_a_planned_month_is_overdue_only_after_it_ends(planned, today, overdue):
    value = PartialDate.parse(planned)
    assert scoring.is_overdue(value, MilestoneStatus.PLANNED, today) is overdue
    assert scoring.is_overdue(value, MilestoneStatus.DONE, today) is False


def test_a_plain_date_is_a_day():
    assert scoring.is_overdue(date(2025, 12, 1), MilestoneStatus.PLANNED, date(2025, 12, 2))


def test_the_country_page_flags_a_month_only_after_it_ends(session, make_country, make_milestone):
    country = make_country()
    make_milestone(country, title="Adoption", **precise("2025-12"))
    on_new_years_eve = pages.country_report(session, country.iso3, today=date(2025, 12, 31))
    on_new_year = pages.country_report(session, country.iso3, today=date(2026, 1, 1))
    assert [m.is_overdue for m in on_new_years_eve.milestones] == [False]
    assert [m.is_overdue for m in on_new_year.milestones] == [True]


# --- forms ---------------------------------------------------------------------------------------

INSTRUMENT = {
    "title": "E-waste Regulations",
    "title_lang": "en",
    "type": "regulation",
    "status": "in_force",
}
MILESTONE = {"title": "Adoption", "kind": "adoption", "status": "planned"}


def test_the_forms_take_a_year_a_month_or_a_day_and_show_them_back(
    client, sign_in, staff, session
):
    sign_in(staff.editor_zmb)
    response = client.post(
        "/en/manage/countries/ZMB/milestones/new",
        data={**MILESTONE, "planned_on": "2025-12", "actual_on": ""},
    )
    assert response.status_code == 303
    ms = session.exec(select(Milestone)).one()
    assert (ms.planned_on, ms.planned_on_precision, ms.actual_on) == (date(2025, 12, 1), MONTH, None)

    response = client.post(
        "/en/manage/countries/ZMB/instruments/new",
        data={**INSTRUMENT, "adopted_on": "2018", "in_force_on": "2018-08-18"},
    )
    assert response.status_code == 303
    session.rollback()  # a new read transaction sees what the app committed
    inst = session.exec(select(Instrument)).one()
    assert (inst.adopted_on, inst.adopted_on_precision) == (date(2018, 1, 1), YEAR)
    assert (inst.in_force_on, inst.in_force_on_precision) == (date(2018, 8, 18), DAY)

    # The edit forms give the dates back as they were typed, never as a 1st of January.
    page = client.get(f"/en/manage/milestones/{ms.id}/edit").text
    assert re.search(r'id="planned_on"[^>]*value="2025-12"', page), page
    page = client.get(f"/en/manage/instruments/{inst.id}/edit").text
    assert re.search(r'id="adopted_on"[^>]*value="2018"', page)
    assert re.search(r'id="in_force_on"[^>]*value="2018-08-18"', page)
    assert "2018-01-01" not in page
    assert "a month (2024-10)" in page  # the hint beside every date


def test_changing_only_the_precision_is_a_change_with_history(client, sign_in, staff, session):
    sign_in(staff.editor_zmb)
    client.post("/en/manage/countries/ZMB/milestones/new", data={**MILESTONE, "planned_on": "2025"})
    ms = session.exec(select(Milestone)).one()
    response = client.post(
        f"/en/manage/milestones/{ms.id}/edit",
        data={**MILESTONE, "planned_on": "2025-01", "version": ms.version},
    )
    assert response.status_code == 303
    session.rollback()
    assert (ms.planned_on, ms.planned_on_precision) == (date(2025, 1, 1), MONTH)
    records = session.exec(select(ChangeRecord).where(ChangeRecord.entity == "milestone")).all()
    # History keeps each date as one value at its precision.
    assert [r.after["planned_on"] for r in records] == ["2025", "2025-01"]
    assert "planned_on_precision" not in records[-1].after


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024-13", "“2024-13” is not a date: the month must be between 01 and 12."),
        ("2024-02-30", "“2024-02-30” is not a date: that month has no such day."),
        (
            "24-10",
            "“24-10” is not a date. Write the year, the year and month, or the full date: "
            "2024, 2024-10 or 2024-10-23.",
        ),
        ("1899", "Enter a date between 1900-01-01 and 2100-12-31."),
    ],
)
def test_the_forms_explain_a_date_they_refuse(client, sign_in, staff, session, value, message):
    sign_in(staff.editor_zmb)
    response = client.post(
        "/en/manage/countries/ZMB/milestones/new", data={**MILESTONE, "planned_on": value}
    )
    assert response.status_code == 422
    assert message in response.text
    assert f'value="{value}"' in response.text  # what was typed comes back to be corrected
    assert session.exec(select(Milestone)).first() is None


def test_the_message_is_in_the_readers_language(client, sign_in, staff):
    sign_in(staff.editor_zmb)
    response = client.post(
        "/es/manage/countries/ZMB/milestones/new", data={**MILESTONE, "planned_on": "2024-13"}
    )
    assert response.status_code == 422
    assert "“2024-13” no es una fecha: el mes debe estar entre 01 y 12." in response.text


def test_the_order_of_dates_allows_a_coarser_date_around_a_finer_one(client, sign_in, staff):
    sign_in(staff.editor_zmb)
    # In force "October 2024" may be the 23rd or later: not before an adoption on the 23rd.
    ok = {**INSTRUMENT, "adopted_on": "2024-10-23", "in_force_on": "2024-10"}
    assert client.post("/en/manage/countries/ZMB/instruments/new", data=ok).status_code == 303
    late = {**INSTRUMENT, "adopted_on": "2024-10-23", "in_force_on": "2024-09"}
    response = client.post("/en/manage/countries/ZMB/instruments/new", data=late)
    assert response.status_code == 422
    assert "The in-force date cannot be before the adoption date." in response.text


# --- pages ---------------------------------------------------------------------------------------


@pytest.fixture
def dated(session, staff, make_milestone, make_instrument):
    """Zambia, whose timeline mixes days, months, a year and undated entries."""
    country = staff.zmb
    country.joined_on, country.joined_on_precision = date(2023, 6, 1), MONTH
    session.add(country)
    session.commit()
    done = MilestoneStatus.DONE
    make_milestone(country, title="Undated step", planned_on=None, status=MilestoneStatus.PLANNED)
    make_milestone(country, title="Workshop day", planned_on=None, actual_on=date(2024, 10, 23),
                   status=done)
    make_milestone(country, title="Study year", planned_on=None, actual_on=date(2024, 1, 1),
                   actual_on_precision=YEAR, status=done)
    make_milestone(country, title="Caption month", planned_on=None, actual_on=date(2024, 10, 1),
                   actual_on_precision=MONTH, status=done)
    make_milestone(country, title="Agreement month", planned_on=None, actual_on=date(2023, 6, 1),
                   actual_on_precision=MONTH, status=done)
    inst = make_instrument(
        country,
        in_force_on=date(2018, 3, 1),
        in_force_on_precision=MONTH,
        adopted_on=date(2017, 1, 1),
        adopted_on_precision=YEAR,
        consultation_on=date(2017, 11, 2),  # recorded out of lifecycle order, shown by date
    )
    publish_all(session)  # published: the public side serves publications
    return country, inst


def test_the_country_timeline_sorts_by_date_with_undated_last(client, dated):
    page = client.get("/en/countries/ZMB").text
    titles = ["Agreement month", "Study year", "Caption month", "Workshop day", "Undated step"]
    positions = [page.index(f">{t}<") for t in titles]
    assert positions == sorted(positions)


def test_the_country_page_shows_each_date_at_its_precision_in_english(client, dated):
    page = client.get("/en/countries/ZMB").text
    assert "June 2023" in page  # in the project since (long width, month)
    for shown in ("October 2024", "Oct 23, 2024", "2024", "March 2018", "2017", "Nov 2, 2017"):
        assert shown in page, shown
    for invented in ("Oct 1, 2024", "Jan 1, 2024", "Mar 1, 2018", "Jan 1, 2017", "June 1, 2023"):
        assert invented not in page, invented


def test_the_country_page_shows_each_date_at_its_precision_in_french(client, dated):
    page = client.get("/fr/countries/ZMB").text
    assert "juin 2023" in page
    for shown in ("octobre 2024", "23 oct. 2024", "mars 2018", "2 nov. 2017"):
        assert shown in page, shown
    for invented in ("1 oct. 2024", "1 janv. 2024", "1 mars 2018", "1 juin 2023"):
        assert invented not in page, invented


def test_the_instrument_lifecycle_is_in_date_order(client, dated):
    _country, inst = dated
    page = client.get(f"/en/instruments/{inst.id}").text
    # Long width for days on the instrument page: "November 2, 2017".
    shown = ["2017", "November 2, 2017", "March 2018"]
    positions = [page.index(f"<dd>{s}</dd>") for s in shown]
    assert positions == sorted(positions)


# --- CSV, API and import ------------------------------------------------------------------------


def test_the_csv_writes_each_date_at_its_precision(client, dated):
    lines = client.get("/exports/milestones.csv?country=ZMB").data.decode().split("\r\n")
    cells = {line.split(",")[3]: line.split(",")[4:6] for line in lines[1:] if line}
    assert cells == {
        "Undated step": ["", ""],
        "Workshop day": ["", "2024-10-23"],
        "Study year": ["", "2024"],
        "Caption month": ["", "2024-10"],
        "Agreement month": ["", "2023-06"],
    }
    countries = client.get("/exports/countries.csv?country=ZMB").data.decode().split("\r\n")
    header = countries[0].split(",")
    assert countries[1].split(",")[header.index("joined_on")] == "2023-06"
    instruments = client.get("/exports/instruments.csv").data.decode().split("\r\n")
    header = instruments[0].split(",")
    row = instruments[1].split(",")
    assert [row[header.index(n)] for n in ("consultation_on", "adopted_on", "in_force_on")] == [
        "2017-11-02",
        "2017",
        "2018-03",
    ]


def test_the_api_writes_each_date_at_its_precision(client, dated):
    body = client.get("/api/v1/countries/ZMB").get_json()
    when = {m["title"]: (m["planned_on"], m["actual_on"]) for m in body["milestones"]}
    assert when == {
        "Undated step": (None, None),
        "Workshop day": (None, "2024-10-23"),
        "Study year": (None, "2024"),
        "Caption month": (None, "2024-10"),
        "Agreement month": (None, "2023-06"),
    }
    [inst] = body["instruments"]
    assert (inst["adopted_on"], inst["in_force_on"]) == ("2017", "2018-03")
    assert body["joined_on"] == "2023-06"
    schema = client.get("/api/v1/openapi.json").get_json()
    assert "2024-10" in str(schema)  # the documented examples


def _import(client, data: bytes, lang="en"):
    return client.post(
        f"/{lang}/manage/import",
        data={"kind": "milestones", "country": "ZMB", "file": (io.BytesIO(data), "m.csv")},
        content_type="multipart/form-data",
    )


def _token(response) -> str:
    return re.search(r'name="token" type="hidden" value="([^"]+)"', response.text).group(1)


def test_the_import_reads_the_export_back_unchanged_and_takes_the_three_forms(
    client, sign_in, staff, session, dated, publish
):
    sign_in(staff.editor_zmb)
    exported = client.get("/exports/milestones.csv?country=ZMB").data
    response = _import(client, exported)
    assert response.status_code == 200, response.text
    assert "0 to create, 0 to change" in response.text

    added = b"".join(
        f",ZMB,adoption,Planned {when},{when},,,planned,,,,,project,en,\r\n".encode()
        for when in ("2026", "2026-12", "2026-12-31")
    )
    response = _import(client, exported + added)
    assert "3 to create, 0 to change" in response.text
    assert client.post("/en/manage/import/confirm", data={"token": _token(response)}).status_code == 303
    session.rollback()
    stored = {
        m.title: (m.planned_on, m.planned_on_precision)
        for m in session.exec(select(Milestone).where(Milestone.title.startswith("Planned"))).all()
    }
    assert stored == {
        "Planned 2026": (date(2026, 1, 1), YEAR),
        "Planned 2026-12": (date(2026, 12, 1), MONTH),
        "Planned 2026-12-31": (date(2026, 12, 31), DAY),
    }
    publish(staff.zmb)  # the export serves the publication
    again = client.get("/exports/milestones.csv?country=ZMB").data
    assert b",2026,," in again and b",2026-12,," in again and b",2026-12-31,," in again


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024-13", "the month must be between 01 and 12"),
        ("2024-02-30", "that month has no such day"),
        ("24-10", "Write the year, the year and month, or the full date"),
    ],
)
def test_the_import_explains_a_date_it_refuses(client, sign_in, staff, dated, value, message):
    sign_in(staff.editor_zmb)
    exported = client.get("/exports/milestones.csv?country=ZMB").data
    response = _import(client, exported + f",ZMB,adoption,Bad,{value},,,planned,,,,,project,en,\r\n".encode())
    assert response.status_code == 422
    assert "<code>planned_on</code>" in response.text and message in response.text


def test_the_import_message_is_translated(client, sign_in, staff, dated):
    sign_in(staff.editor_zmb)
    exported = client.get("/exports/milestones.csv?country=ZMB").data
    response = _import(client, exported + b",ZMB,adoption,Bad,24-10,,,planned,,,,,project,en,\r\n", "fr")
    assert response.status_code == 422
    assert "« 24-10 » n’est pas une date. Écrivez l’année" in response.text


def test_a_deleted_milestone_comes_back_with_its_precision(session, staff, make_milestone):
    from tracker import write
    from tracker.write import changes

    ms = make_milestone(staff.zmb, title="Caption month", planned_on=None,
                        actual_on=date(2024, 10, 1), actual_on_precision=MONTH)
    with write.transaction(session):
        changes.delete(session, ms, changes.DEMO_DATA, expected_version=ms.version)
    record = session.exec(select(ChangeRecord).where(ChangeRecord.action == "delete")).one()
    assert record.before["actual_on"] == "2024-10"
    with write.transaction(session):
        back = changes.restore(session, record, changes.DEMO_DATA)
    assert (back.actual_on, back.actual_on_precision) == (date(2024, 10, 1), MONTH)


def test_the_workspace_lists_undated_milestones_last(client, sign_in, staff, make_milestone):
    make_milestone(staff.zmb, title="No date yet", planned_on=None)
    make_milestone(staff.zmb, title="Planned month", **precise("2026-03"))
    make_milestone(staff.zmb, title="Planned year", **precise("2025"))
    sign_in(staff.editor_zmb)
    page = client.get("/en/manage/countries/ZMB").text
    positions = [page.index(t) for t in ("Planned year", "Planned month", "No date yet")]
    assert positions == sorted(positions)
    assert "Mar 2026" not in page and "March 2026" in page


# "October 2024" in every locale, from CLDR's yMMMM skeleton (worked out from CLDR's tables:
# Spanish "MMMM 'de' y", Russian the standalone month "LLLL y 'г'.", Chinese "y年M月",
# Kinyarwanda "MMMM y" with Ukwakira, Guaraní "y MMMM" with Jasypa).
OCTOBER_2024 = {
    "en": "October 2024",
    "fr": "octobre 2024",
    "es": "octubre de 2024",
    "ar": "أكتوبر 2024",
    "ru": "октябрь 2024\u202fг.",  # CLDR puts a narrow no-break space before "г."
    "zh": "2024年10月",
    "rw": "Ukwakira 2024",
    "gn": "2024 Jasypa",
}


@pytest.mark.parametrize("lang", sorted(OCTOBER_2024))
def test_a_month_reads_as_a_month_in_every_locale(client, dated, lang):
    page = client.get(f"/{lang}/countries/ZMB").text
    assert OCTOBER_2024[lang] in page


def test_the_checklist_shows_its_publication_at_its_precision(client, session, make_checklist):
    checklist = make_checklist()
    checklist.published_on, checklist.published_on_precision = date(2025, 1, 1), MONTH
    session.add(checklist)
    session.commit()
    page = client.get("/en/checklist").text
    assert "published January 2025" in page and "January 1, 2025" not in page
    french = client.get("/fr/checklist").text
    assert "janvier 2025" in french and "1 janvier 2025" not in french


def test_the_methodology_page_states_the_rule(client):
    page = client.get("/en/methodology").text
    assert "overdue only once that month or year has ended" in page
    assert "ojehechauka heñóiha he’iháicha" in client.get("/gn/methodology").text
