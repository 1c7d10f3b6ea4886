"""Progress over time on the country page (issue 12): the three figures across a country's
publications, read from what each publication froze, with a mark where the checklist version
changed; a chart with a table as its equivalent, or a sentence while there is one publication."""

import re
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from tests.synthetic import count_queries
from tracker import write
from tracker.formats import trend
from tracker.models import Publication
from tracker.read import publications
from tracker.write import changes, review


def _step(number, day, code, in_force, drafts, impl):
    return trend.Step(number, day, code,
                      {"in_force": in_force, "with_drafts": drafts, "implementation": impl})  # fmt: skip


def test_the_chart_places_each_publication_by_date():
    steps = [
        _step(1, date(2025, 1, 1), "2025.1", 0.1, 0.2, 0.0),
        _step(2, date(2025, 4, 1), "2025.1", 0.5, 0.5, None),  # 90 days of 360
        _step(3, date(2025, 12, 27), "2026.1", 1.0, 1.0, 0.25),
    ]
    c = trend.chart(steps, width=480, height=220)
    # The plot runs from x 52 to 464 and from y 186 (0 %) up to 28 (100 %).
    assert (c.left, c.right, c.top, c.bottom) == (52.0, 464.0, 28.0, 186.0)
    in_force, drafts, impl = c.lines
    assert [(d.x, d.y) for d in in_force.dots] == [
        (52.0, 186.0 - 0.1 * 158), (52.0 + 412 * 90 / 360, 186.0 - 0.5 * 158), (464.0, 28.0)
    ]
    assert in_force.points.startswith("52.0,170.2 155.0,107.0")
    # A figure a publication does not have is no point (the line joins the others).
    assert [d.number for d in impl.dots] == [1, 3]
    assert [(m.number, m.checklist, m.x, m.anchor) for m in c.marks] == [(3, "2026.1", 464.0, "end")]
    assert [share for _y, share in c.grid] == [0.0, 0.5, 1.0]


def test_right_to_left_time_runs_from_the_right():
    steps = [_step(1, date(2025, 1, 1), "A", 0.1, 0.1, 0.1),
             _step(2, date(2025, 1, 11), "A", 0.2, 0.2, 0.2)]  # fmt: skip
    c = trend.chart(steps, width=480, height=220, rtl=True)
    xs = [d.x for d in c.lines[0].dots]
    assert xs == [428.0, 16.0]  # oldest at the right edge of the plot
    assert c.axis_x > c.right  # the shares are written on the right
    assert c.marks == ()


def test_publications_on_one_day_are_spread_evenly():
    same = date(2025, 5, 5)
    steps = [_step(n, same, "A", 0.1, 0.1, 0.1) for n in (1, 2, 3)]
    xs = [d.x for d in trend.chart(steps, width=480, height=220).lines[0].dots]
    assert xs == [52.0, 258.0, 464.0]


# --- from the publications --------------------------------------------------------------------------


@pytest.fixture
def history(session, scored_record):  # unpublished: the numbers below are the first
    """Kenya with two earlier publications, built by hand on checklist version T.0, then a real
    one of its record on T.1 (60 %, 70 %, 40 %, see ``scored_record``)."""
    kenya = scored_record.country
    for number, day, figures in (
        (1, datetime(2025, 1, 31, 12, tzinfo=UTC),
         {"legal_in_force": 0.2, "legal_with_drafts": 0.25, "implementation": 0.1}),
        (2, datetime(2025, 7, 31, 12, tzinfo=UTC),
         {"legal_in_force": 0.4, "legal_with_drafts": 0.5, "implementation": None}),
    ):  # fmt: skip
        session.add(Publication(country_id=kenya.id, number=number, checklist_code="T.0",
                                published_at=day, published_by="demo data",
                                message=f"Release {number}", figures=figures))  # fmt: skip
    session.commit()
    with write.transaction(session):
        review.publish(session, kenya, changes.DEMO_DATA, "Release 3")
    return kenya


def test_the_series_comes_from_what_each_publication_froze(session, engine, history):
    session.rollback()
    with count_queries(engine) as statements:
        found = publications.progress_over_time(session, history.id)
    assert [q for q in statements if q.startswith("SELECT")] and len(
        [q for q in statements if not q.startswith("BEGIN")]) == 1
    assert [(s.number, s.checklist, s.values) for s in found.steps] == [
        (1, "T.0", {"in_force": 0.2, "with_drafts": 0.25, "implementation": 0.1}),
        (2, "T.0", {"in_force": 0.4, "with_drafts": 0.5, "implementation": None}),
        (3, "T.1", {"in_force": 0.6, "with_drafts": 0.7, "implementation": 0.4}),
    ]
    assert found.version_changes == ((3, "T.1"),)
    assert [s.day for s in found.steps][:2] == [date(2025, 1, 31), date(2025, 7, 31)]
    earlier = publications.progress_over_time(session, history.id, as_of=date(2025, 7, 30))
    assert [s.number for s in earlier.steps] == [1]


def _section(html: str) -> str:
    return html.split('id="trend-heading"')[1].split("</section>")[0]


def test_the_country_page_draws_the_chart_and_its_table(client, history):
    html = client.get("/en/countries/KEN").get_data(as_text=True)
    part = _section(html)
    assert '<svg class="trend"' in part and 'role="img"' in part
    assert '<title id="trend-title">Progress of Kenya across its publications</title>' in part
    desc = re.search(r'<desc id="trend-desc">(.*?)</desc>', part, re.S).group(1)
    assert desc.startswith("3 publications from January 31, 2025 to ")
    assert "in force went from 20% to 60%, including drafts from 25% to 70%" in desc
    assert "implementation from 10% to 40%" in desc
    assert "From publication 3 on, the figures rest on checklist version T.1." in desc
    chart = part.split('<svg class="trend"')[1].split("</svg>")[0]
    assert chart.count('class="trend-mark"') == 1 and ">T.1</text>" in chart
    assert part.count("<polyline") == 3
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", part, re.S)
    cells = [[re.sub(r"<[^>]+>", "", c).strip() for c in re.split(r"</t[hd]>", r)][:-1]
             for r in rows]  # fmt: skip
    today = date.today().strftime("%B %-d, %Y")
    assert cells == [
        ["No. 1", "January 31, 2025", "T.0", "20%", "25%", "10%"],
        ["No. 2", "July 31, 2025", "T.0", "40%", "50%", "n/a"],
        ["No. 3", today, "T.1 Version changed", "60%", "70%", "40%"],
    ]
    assert "<details class=\"trend-table\">" in part
    assert "Checklist version changed" in part  # the legend explains the mark


def test_the_legend_names_a_version_change_only_when_there_is_one(client, session, scored_record):
    for message in ("First", "Second"):
        with write.transaction(session):
            review.publish(session, scored_record.country, changes.DEMO_DATA, message)
    part = _section(client.get("/en/countries/KEN").get_data(as_text=True))
    assert part.count("<polyline") == 3
    assert 'class="trend-mark"' not in part and "Checklist version changed" not in part


def test_the_chart_in_arabic_runs_right_to_left_with_arabic_numbers(client, history):
    html = client.get("/ar/countries/KEN").get_data(as_text=True)
    assert 'dir="rtl"' in html
    part = _section(html)
    chart = part.split('<svg class="trend"')[1].split("</svg>")[0]
    dots = re.findall(r'<circle class="trend-dot trend-in_force" cx="([\d.]+)"', chart)
    assert float(dots[0]) > float(dots[-1])  # the oldest publication on the right
    from babel.numbers import format_percent

    assert format_percent(0.6, locale="ar") in part


def test_one_publication_is_a_sentence_not_a_chart(client, session, scored_record):
    with write.transaction(session):
        review.publish(session, scored_record.country, changes.DEMO_DATA, "First")
    part = _section(client.get("/en/countries/KEN").get_data(as_text=True))
    assert "One publication so far, on " in part and "checklist version T.1" in part
    assert "<svg" not in part and "<table" not in part


def test_the_page_costs_the_same_queries_however_many_publications(client, session, engine,
                                                                   scored_record):  # fmt: skip
    kenya = scored_record.country

    def queries() -> int:
        """The page's queries right after a publication (which no cached answer survives)."""
        with count_queries(engine) as statements:
            assert client.get("/en/countries/KEN").status_code == 200
        return len(statements)

    client.get("/en/countries/KEN")  # the language cookie, as a reader's next visits carry it
    counts = []
    for _ in range(3):
        with write.transaction(session):
            review.publish(session, kenya, changes.DEMO_DATA, "Again")
        session.rollback()
        counts.append(queries())
    assert counts[0] == counts[1] == counts[2]
    assert len(session.exec(select(Publication)).all()) == 3
