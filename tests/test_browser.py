"""Pages in a real browser: axe-core finds no accessibility violations, sorting works, RTL mirrors.

Runs in headless Chromium (Debian's package, never a downloaded browser). Skipped with a reason
when Chromium or Playwright is missing; `.ci/run` installs both, so CI always runs these tests.
"""

import shutil
import threading
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="Chromium is not installed (apt-get install chromium)")

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def axe_script() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text("utf-8")


@pytest.fixture
def live_server(app, demo_data):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module (starting it costs about a second); a context per test."""
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    # bypass_csp lets the test inject axe-core; the pages themselves never run inline code.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    yield context.new_page()
    context.close()


def violations(page) -> list[str]:
    page.add_script_tag(content=axe_script())
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa'],"
        " resultTypes: ['violations']})"
    )
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['target']})"
            for v in result["violations"]]


@pytest.mark.parametrize("path", [
    "/en/", "/en/countries/ZMB", "/en/checklist", "/en/checklist/EPR-01", "/en/methodology",
    "/en/exports/", "/en/login", "/ar/countries/PRY", "/fr/", "/en/about", "/ar/about",
])
def test_pages_have_no_axe_violations(page, live_server, path):
    page.goto(live_server + path)
    assert violations(page) == []


OVERVIEW_ROWS = """() => Array.from(document.querySelectorAll("table.overview tbody tr"), row => ({
    country: row.querySelector("th .code").textContent,
    in_force: parseFloat(row.children[1].dataset.sort),
}))"""
SORTED_BY = """() => Array.from(document.querySelectorAll("table.overview thead th"))
    .filter(th => th.hasAttribute("aria-sort"))
    .map(th => [th.textContent.trim(), th.getAttribute("aria-sort")])"""


def test_overview_sorts_by_a_column_without_reloading(page, live_server):
    loads = []
    page.on("framenavigated", lambda frame: loads.append(frame.url))
    page.goto(live_server + "/en/")
    # The server sends the countries by name, A to Z (Paraguay, Rwanda, Zambia in the demo).
    rows = page.evaluate(OVERVIEW_ROWS)
    assert [r["country"] for r in rows] == ["PRY", "RWA", "ZMB"]
    assert page.evaluate(SORTED_BY) == [["Country", "ascending"]]
    page.evaluate("window.stillTheSamePage = true")
    heading = page.locator("table.overview thead th")

    heading.nth(0).locator("button").click()  # Country again: Z to A
    assert [r["country"] for r in page.evaluate(OVERVIEW_ROWS)] == ["ZMB", "RWA", "PRY"]
    assert page.evaluate(SORTED_BY) == [["Country", "descending"]]

    # Legal coverage in force, lowest first, then highest first (the order worked out from the
    # figures the server wrote into the cells, not from the script).
    by_figure = sorted(rows, key=lambda r: (r["in_force"], r["country"]))
    assert len({r["in_force"] for r in rows}) == 3, "the demo countries need distinct figures"
    heading.nth(1).locator("button").click()
    assert page.evaluate(OVERVIEW_ROWS) == by_figure
    assert page.evaluate(SORTED_BY) == [["Legal coverage in force", "ascending"]]
    heading.nth(1).locator("button").click()
    assert page.evaluate(OVERVIEW_ROWS) == by_figure[::-1]
    assert page.evaluate(SORTED_BY) == [["Legal coverage in force", "descending"]]

    # All of it happened in the page: no reload, no navigation.
    assert page.evaluate("window.stillTheSamePage") is True
    assert loads == [live_server + "/en/"]


def test_arabic_progress_bars_grow_from_the_right(page, live_server):
    page.goto(live_server + "/ar/countries/ZMB")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    bar = page.locator("svg.bar").first
    box = bar.bounding_box()
    fill = bar.locator("rect.bar-fill").bounding_box()
    # Mirrored: the filled part touches the bar's right edge, not its left.
    assert abs((fill["x"] + fill["width"]) - (box["x"] + box["width"])) < 1.5
    assert fill["x"] - box["x"] > 1


def test_country_page_has_no_horizontal_overflow_on_a_phone(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    pg = context.new_page()
    for lang in ("en", "ru", "zh", "ar"):
        pg.goto(f"{live_server}/{lang}/countries/RWA")
        overflow = pg.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, (lang, overflow)
    context.close()
