"""Project milestones versus context (issue 11, point 8): a milestone is a step of the ITU-CST
project or a context event; only project steps are counted; the project has its own timeline,
tied to no country, shown on the overview and edited by administrators only."""

import csv
import io
import re
from datetime import date
from html import unescape

from sqlmodel import select

from tracker import scoring
from tracker.codes import MilestoneKind, MilestoneNature, MilestoneStatus
from tracker.models import Milestone

AGREEMENT = "ITU-CST project agreement signed at the Global Symposium for Regulators 2023"


def section(html: str, heading_id: str) -> str:
    return re.search(rf'<section[^>]*aria-labelledby="{heading_id}">(.*?)</section>', html, re.S)[1]


def test_context_events_are_neither_counted_nor_overdue():
    today = date(2025, 1, 1)
    past = date(2024, 1, 1)
    assert scoring.is_counted(MilestoneNature.PROJECT)
    assert not scoring.is_counted(MilestoneNature.CONTEXT)
    assert scoring.is_overdue(past, MilestoneStatus.PLANNED, today, MilestoneNature.PROJECT)
    assert not scoring.is_overdue(past, MilestoneStatus.PLANNED, today, MilestoneNature.CONTEXT)


def test_counts_leave_out_context_events(client, session, make_country, make_milestone, publish):
    country = make_country(iso3="KEN", iso2="KE")
    make_milestone(country, title="Inception", status=MilestoneStatus.DONE)
    make_milestone(country, title="Validation", status=MilestoneStatus.PLANNED)
    make_milestone(country, title="Plant opened", status=MilestoneStatus.DONE,
                   nature=MilestoneNature.CONTEXT)  # fmt: skip
    make_milestone(country, title="Press item", status=MilestoneStatus.DONE,
                   nature=MilestoneNature.CONTEXT)  # fmt: skip
    publish()  # the public side serves publications
    # By hand: project steps Inception (done) and Validation (planned): 1 of 2.
    [row] = list(csv.DictReader(io.StringIO(client.get("/exports/countries.csv").text)))
    assert (row["milestones_done"], row["milestones_total"]) == ("1", "2")
    [api] = client.get("/api/v1/countries").get_json()["countries"]
    assert (api["counts"]["milestones_done"], api["counts"]["milestones_total"]) == (1, 2)
    html = client.get("/en/countries/KEN").text
    assert "<dd>1 of 2</dd>" in html
    timeline = section(html, "milestones-heading")
    assert timeline.count("Context event</span>") == 2  # both context events, marked
    assert "Plant opened" in timeline and "Press item" in timeline


def test_the_overview_shows_the_projects_own_timeline(client, demo_data):
    html = client.get("/en/").text
    timeline = section(html, "project-heading")
    assert '<h2 id="project-heading">The project\'s timeline</h2>' in html
    titles = re.findall(r'<p class="ms-title"[^>]*>(.*?)</p>', timeline)
    assert titles == [
        AGREEMENT,
        "ITU-CST e-waste regulations project announced at COP28",
        "Second edition of the toolkit &#39;Policy practices for e-waste management&#39; "
        "launched at GSR-25",
    ]
    # Tied to no country: no country page repeats them.
    for iso3 in ("PRY", "RWA", "ZMB"):
        assert AGREEMENT not in client.get(f"/en/countries/{iso3}").text, iso3
    # Rwanda's 2017-2023 items are context: each marked, none counted.
    rwanda = client.get("/en/countries/RWA").text
    assert "<dd>0 of 0</dd>" in rwanda
    assert section(rwanda, "milestones-heading").count("Context event</span>") == 10


def test_only_administrators_edit_the_project_timeline(client, sign_in, staff, session):
    sign_in(staff.editor_zmb)
    assert client.get("/en/manage/project").status_code == 403
    assert client.get("/en/manage/project/milestones/new").status_code == 403
    sign_in(staff.admin)
    assert client.get("/en/manage/project").status_code == 200
    data = {
        "title": "Regional workshop",
        "title_lang": "en",
        "nature": "project",
        "kind": "capacity_building",
        "status": "planned",
        "planned_on": "2099-03-10",
    }
    response = client.post("/en/manage/project/milestones/new", data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/manage/project"
    session.rollback()
    ms = session.exec(select(Milestone)).one()
    assert ms.country_id is None
    assert "Regional workshop" in client.get("/en/").text
    sign_in(staff.editor_zmb)
    assert client.get(f"/en/manage/milestones/{ms.id}/edit").status_code == 403
    assert client.post(f"/en/manage/milestones/{ms.id}/delete").status_code == 403


def test_exports_api_and_import_of_the_project_timeline(client, sign_in, staff, session):
    session.add(
        Milestone(
            kind=MilestoneKind.LAUNCH,
            title="Project launch",
            status=MilestoneStatus.DONE,
            actual_on=date(2023, 12, 6),
        )
    )
    session.commit()
    every = client.get("/exports/milestones.csv").text
    [row] = list(csv.DictReader(io.StringIO(every)))
    assert (row["country_iso3"], row["title"], row["nature"]) == ("", "Project launch", "project")
    only_zambia = client.get("/exports/milestones.csv?country=ZMB").text
    assert "Project launch" not in only_zambia
    [api] = client.get("/api/v1/project").get_json()["milestones"]
    assert (api["title"], api["nature"], str(api["actual_on"])) == (
        "Project launch",
        "project",
        "2023-12-06",
    )
    # The project's rows are not imported into a country.
    sign_in(staff.editor_zmb)
    response = client.post(
        "/en/manage/import",
        data={
            "kind": "milestones",
            "country": "ZMB",
            "file": (io.BytesIO(every.encode()), "m.csv"),
        },
    )
    assert response.status_code == 422
    assert "This row is on the project's own timeline (no country)" in unescape(response.text)
