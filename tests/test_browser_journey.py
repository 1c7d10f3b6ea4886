"""The editor's journey end to end in a real browser (issue 13, Proof), and the forms of an
instrument and a country in the browser: axe-core finds no WCAG 2.1 A/AA violation in English
and Arabic, and (with ``SCREENSHOTS=1``, as in ``.ci/run``) screenshots at a phone's and a
desktop's width go to build/screenshots/.

Selectors are what a person reads (labels, roles, link and button text), so the test follows the
pages as they are used, whatever their markup. Skipped like tests/test_browser.py when Chromium
or Playwright is missing.
"""

import re

import pytest
from sqlmodel import select

from tests.test_browser import (  # noqa: F401  (fixtures)
    ARGS,
    CHROMIUM,
    browser,
    live_server,
    playwright_api,
    screenshot,
    violations,
)

pytestmark = pytest.mark.skipif(not CHROMIUM, reason="Chromium is not installed (apt-get install chromium)")

TITLE = "E-waste Take-back Regulations"
EXCERPTS = {
    "DATA-01": "Every producer shall report annually the quantity of equipment placed on the market.",
    "ENF-01": "An inspector may enter any premises where electronic waste is stored.",
}


@pytest.fixture
def people(session, password_hash):
    """An editor of Zambia and an administrator, who sign in through the real form."""
    from tracker.codes import Role
    from tracker.models import Country, User

    zmb = session.exec(select(Country).where(Country.iso3 == "ZMB")).one()
    session.add(User(email="editor.journey@example.org", password_hash=password_hash,
                     role=Role.EDITOR, country_id=zmb.id))
    session.add(User(email="admin.journey@example.org", password_hash=password_hash,
                     role=Role.ADMIN))
    session.commit()
    return {"editor": "editor.journey@example.org", "admin": "admin.journey@example.org"}


def sign_in(pg, base: str, email: str, lang: str = "en") -> None:
    from tests.conftest import PASSWORD

    pg.goto(f"{base}/{lang}/login")
    pg.get_by_label("Email address" if lang == "en" else re.compile(".")).first.fill(email)
    pg.locator("input[type=password]").fill(PASSWORD)
    pg.locator("main button[type=submit]").click()
    pg.wait_for_url("**/manage/**")


def option_value(select, text: str) -> str:
    """The value of the option of ``select`` whose label contains ``text`` (labels may carry a
    year and a status after the title)."""
    return select.evaluate(
        "(s, text) => Array.from(s.options).find(o => o.textContent.includes(text)).value", text
    )


def flash(pg) -> str:
    return pg.locator("main").inner_text()


def test_an_editor_records_an_instrument_and_an_admin_publishes_it(browser, live_server, people):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()

    # Signed in, an editor of one country lands on its workspace.
    sign_in(pg, live_server, people["editor"])
    assert pg.url.endswith("/en/manage/countries/ZMB")

    # A new instrument: the language of its title is picked from a list, Zambia's English first.
    pg.get_by_role("link", name="New instrument").click()
    pg.get_by_label("Title in the original language").fill(TITLE)
    language = pg.get_by_label("Language of the title")
    assert language.evaluate("s => s.options[s.selectedIndex].textContent") == "English"
    pg.get_by_label("Type", exact=True).select_option(label="Statutory instrument")
    pg.get_by_label("Status", exact=True).select_option(label="Drafting")
    pg.get_by_label("Year", exact=True).fill("2026")
    pg.get_by_role("button", name="Save instrument").click()
    assert "Instrument saved." in flash(pg)

    # Made under the Environmental Management Act, from the instrument's own page.
    pg.get_by_role("link", name=f"Change {TITLE}").click()
    pg.get_by_role("link", name="Add a relation").click()
    pg.get_by_label("This instrument").select_option(label="Made under")
    other = pg.get_by_label("Other instrument")
    other.select_option(option_value(other, "Environmental Management Act, 2011"))
    pg.get_by_role("button", name="Add the relation").click()
    assert "Relation added." in flash(pg)
    relations = pg.get_by_role("region", name="Relations with other instruments")
    assert "Made under" in relations.inner_text()
    assert "Environmental Management Act, 2011" in relations.inner_text()
    pg.get_by_role("link", name="Back").click()

    # Linked to two provisions in the checklist, saved once.
    for code in EXCERPTS:
        row = pg.locator(f"#p-{code}")
        row.get_by_text("Link another instrument").click()  # the row's link groups open
        new = row.get_by_role("group", name="New link").first
        instrument = new.get_by_label("Instrument", exact=True)
        instrument.select_option(option_value(instrument, TITLE))
        new.get_by_label("Addresses it").select_option(label="Partially")
        new.get_by_label("Articles").fill("reg. 4")
    pg.get_by_role("button", name="Save the checklist").first.click()  # one for the whole page
    assert "Checklist saved (2 provisions changed)." in flash(pg)

    # The quoted legal text of each link, with its language picked from the list.
    for code, excerpt in EXCERPTS.items():
        pg.get_by_role("link", name="Sources and quoted legal text").first.click()
        pg.get_by_role("link", name=re.compile(code)).click()
        group = pg.get_by_role("group", name=TITLE)
        group.get_by_label("Excerpt of the legal text").fill(excerpt)
        group.get_by_label("Language of the excerpt").select_option("en")
        pg.get_by_role("button", name="Save the evidence").click()
        assert "Evidence saved." in flash(pg)

    # History says what changed, in words.
    pg.get_by_role("link", name="History of changes").first.click()
    history = pg.locator("main").inner_text()
    assert TITLE in history
    assert "Made under: Environmental Management Act, 2011" in history
    assert EXCERPTS["DATA-01"] in history and EXCERPTS["ENF-01"] in history

    # Submitted for review.
    pg.goto(f"{live_server}/en/manage/countries/ZMB")
    pg.get_by_label("Message to the reviewer").fill("A new statutory instrument, linked twice.")
    pg.get_by_role("button", name="Submit for review").click()
    assert "Submitted" in pg.get_by_role("region", name="Review and publication").inner_text()
    context.close()

    # An administrator publishes it; the public pages show it from then on.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    sign_in(pg, live_server, people["admin"])
    pg.goto(f"{live_server}/en/manage/countries/ZMB/review")
    pg.get_by_label(re.compile("Publication message")).fill("Adds the take-back regulations.")
    pg.get_by_role("button", name="Publish", exact=True).click()
    pg.goto(f"{live_server}/en/countries/ZMB")
    assert TITLE in pg.locator("main").inner_text()
    pg.goto(f"{live_server}/en/checklist/DATA-01")
    page_text = pg.locator("main").inner_text()
    assert TITLE in page_text and EXCERPTS["DATA-01"] in page_text
    context.close()


# --- the forms this work changed: axe-core and screenshots ------------------------------------

FORM_PAGES = {
    "instrument_new": "/manage/countries/ZMB/instruments/new",
    "instrument_edit": "/manage/instruments/1/edit",
    "relation_new": "/manage/instruments/1/relations/new",
    "title_new": "/manage/instruments/1/titles/new",
    "country_new": "/manage/countries/new",
}


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_instrument_and_country_forms_have_no_axe_violations(
    browser, live_server, people, session, lang  # noqa: F811  (fixtures imported above)
):
    from tracker.models import Country, Coverage, CoverageLink

    # A judgement of Zambia with a coverage link: its evidence page picks the excerpt's language.
    judged = session.exec(
        select(Coverage.id)
        .join(Country, Country.id == Coverage.country_id)
        .join(CoverageLink, CoverageLink.coverage_id == Coverage.id)
        .where(Country.iso3 == "ZMB")
        .order_by(Coverage.id)
    ).first()
    pages = {**FORM_PAGES, "evidence": f"/manage/coverage/{judged}/evidence"}
    found = {}
    for width in (390, 1280):
        context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
        pg = context.new_page()
        sign_in(pg, live_server, people["admin"])
        for name, path in pages.items():
            assert pg.goto(f"{live_server}/{lang}{path}").ok, path
            screenshot(pg, f"{lang}_form_{name}_{width}.png")
            overflow = pg.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 1:
                found[(path, width, "scrolls sideways")] = overflow
            if width == 1280:
                if v := violations(pg):
                    found[path] = v
        # A form that failed: its error summary and messages pass too.
        pg.goto(f"{live_server}/{lang}/manage/countries/new")
        pg.locator("#iso3").fill("XXX")
        pg.locator("form.stack-form button[type=submit]").click()
        assert pg.locator(".error-summary").is_visible()
        screenshot(pg, f"{lang}_form_country_error_{width}.png")
        if width == 1280 and (v := violations(pg)):
            found["country form with errors"] = v
        context.close()
    assert found == {}
