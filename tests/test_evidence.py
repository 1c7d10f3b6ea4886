"""Evidence you can check: sources with a kind, and a quoted excerpt on each coverage link.

One Spanish-language instrument covers one provision of a Paraguayan checklist row. Its link
carries a Spanish excerpt with an unofficial English translation and the article's address; the
judgement and the instrument carry source links with their kinds. The same values must show on
the pages, in coverage_links.csv, coverage.csv, instruments.csv and the API, and come back
through the CSV import.
"""

import csv
import io
import re

import pytest
from sqlmodel import select

from tracker.codes import Extent, Role, SourceKind, TranslationStatus
from tracker.models import ChangeRecord, Coverage, CoverageSource, InstrumentSource

EXCERPT = "Los productores de aparatos eléctricos y electrónicos serán responsables de la gestión."
TRANSLATION = (
    "Producers of electrical and electronic equipment shall be responsible for management."
)
ARTICLE = "https://www.bacn.gov.py/leyes-paraguayas/1/ley#art-5"
IMPORT, CONFIRM = "/en/manage/import", "/en/manage/import/confirm"


@pytest.fixture
def world(session, make_country, make_checklist, make_instrument, make_coverage, publish):
    country = make_country(iso3="PRY", iso2="PY", languages="es gn")
    checklist = make_checklist()
    provision = sorted(checklist_provisions(session, checklist), key=lambda p: p.position)[0]
    law = make_instrument(country, title="Ley de residuos", title_lang="es")
    law.sources.append(
        InstrumentSource(url="https://www.bacn.gov.py/ley", kind=SourceKind.OFFICIAL, note="BACN")
    )
    law.sources.append(
        InstrumentSource(url="https://www.scribd.com/doc/1", kind=SourceKind.SECONDARY, note=None)
    )
    session.commit()
    cov = make_coverage(country, provision, links=[(law, Extent.PARTIAL, "Art. 5")])
    link = cov.links[0]
    link.excerpt, link.excerpt_lang = EXCERPT, "es"
    link.translation, link.translation_status = TRANSLATION, TranslationStatus.UNOFFICIAL
    link.article_url = ARTICLE
    cov.sources.append(
        CoverageSource(
            url="https://leap.unep.org/py/ley", kind=SourceKind.LEGAL_DATABASE, note="UNEP LEAP"
        )
    )
    session.commit()
    publish()  # the public side serves publications
    return country, provision, law, cov


def checklist_provisions(session, checklist):
    from tracker.models import Provision

    return session.exec(select(Provision).where(Provision.checklist_id == checklist.id)).all()


def rows(response) -> list[dict]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))


def card(html: str) -> str:
    found = re.search(r'<figure class="evidence-card">.*?</figure>', html, re.S)
    assert found, "no evidence card"
    return found.group(0)


def test_the_provision_row_shows_an_evidence_card(client, world):
    _country, provision, law, _cov = world
    for url in ("/en/countries/PRY", f"/en/checklist/{provision.code}"):
        html = client.get(url).get_data(as_text=True)
        shown = card(html)
        assert f'<blockquote lang="es" dir="auto" cite="{ARTICLE}">{EXCERPT}</blockquote>' in shown
        assert "Quoted in Spanish" in shown
        assert TRANSLATION in shown and "Unofficial translation" in shown
        assert f'<a href="{ARTICLE}" rel="noopener">Read the article</a>' in shown
        # the judgement's source, with its kind beside it
        assert 'href="https://leap.unep.org/py/ley"' in html
        assert 'UNEP LEAP</a> <span class="tag source-kind source-legal_database">' in html
    html = client.get(f"/en/instruments/{law.id}").get_data(as_text=True)
    assert EXCERPT in card(html)
    assert 'BACN</a> <span class="tag source-kind source-official">Official</span>' in html
    assert 'www.scribd.com</a> <span class="tag source-kind source-secondary">Secondary' in html


def test_the_card_speaks_the_readers_language(client, world):
    html = client.get("/fr/countries/PRY").get_data(as_text=True)
    shown = card(html)
    assert "Cité en espagnol" in shown and "Traduction non officielle" in shown


def test_coverage_links_csv_has_one_row_per_link_with_its_evidence(client, world):
    _country, provision, law, cov = world
    [row] = rows(client.get("/exports/coverage_links.csv"))
    assert row == {
        "country_iso3": "PRY",
        "checklist_version": "T.1",
        "provision_code": provision.code,
        "instrument_id": str(law.id),
        "instrument_title": "Ley de residuos",
        "extent": "partial",
        "articles": "Art. 5",
        "excerpt": EXCERPT,
        "excerpt_lang": "es",
        "translation": TRANSLATION,
        "translation_status": "unofficial",
        "article_url": ARTICLE,
        "is_example": "false",
        "version": str(cov.version),
    }
    coverage = next(r for r in rows(client.get("/exports/coverage.csv")) if r["version"])
    assert coverage["sources"] == "legal_database https://leap.unep.org/py/ley UNEP LEAP"
    [instrument] = rows(client.get("/exports/instruments.csv"))
    assert instrument["sources"] == (
        "official https://www.bacn.gov.py/ley BACN\nsecondary https://www.scribd.com/doc/1"
    )


def test_the_api_gives_the_same_evidence_and_sources(client, world):
    body = client.get("/api/v1/countries/PRY").get_json()
    judged = next(c for c in body["coverage"] if c["judged"])
    assert judged["instruments"][0] | {} == {
        "instrument_id": world[2].id,
        "extent": "partial",
        "articles": "Art. 5",
        "excerpt": EXCERPT,
        "excerpt_lang": "es",
        "translation": TRANSLATION,
        "translation_status": "unofficial",
        "article_url": ARTICLE,
    }
    assert judged["sources"] == [
        {"url": "https://leap.unep.org/py/ley", "kind": "legal_database", "note": "UNEP LEAP"}
    ]
    assert [s["kind"] for s in body["instruments"][0]["sources"]] == ["official", "secondary"]


# --- the import ----------------------------------------------------------------------------------


@pytest.fixture
def editor(client, world, make_user, sign_in):
    sign_in(make_user("editor@example.org", role=Role.EDITOR, country=world[0]))
    return client


def preview(client, name: str, data: bytes):
    return client.post(
        IMPORT,
        data={"kind": name, "country": "PRY", "file": (io.BytesIO(data), "upload.csv")},
        content_type="multipart/form-data",
    )


def confirm(client, response):
    token = re.search(
        r'name="token" type="hidden" value="([^"]+)"', response.get_data(as_text=True)
    )
    assert token, "the preview offers no confirmation"
    return client.post(CONFIRM, data={"token": token.group(1)})


def edit(data: bytes, **cells) -> bytes:
    table = list(csv.reader(io.StringIO(data.decode(), newline="")))
    for name, value in cells.items():
        table[1][table[0].index(name)] = value
    out = io.StringIO()
    csv.writer(out).writerows(table)
    return out.getvalue().encode()


def test_exporting_then_importing_coverage_links_changes_nothing(editor):
    data = editor.get("/exports/coverage_links.csv?country=PRY").data
    html = preview(editor, "coverage_links", data).get_data(as_text=True)
    assert "0 to create, 0 to change, 1 unchanged, 0 refused" in html


def test_an_imported_translation_status_reaches_the_page_with_history(
    editor, session, world, publish
):
    data = editor.get("/exports/coverage_links.csv?country=PRY").data
    changed = edit(
        data, translation_status="official", excerpt="Artículo 5. " + EXCERPT, version="1"
    )
    response = preview(editor, "coverage_links", changed)
    assert "0 to create, 1 to change" in response.get_data(as_text=True)
    assert confirm(editor, response).status_code == 303
    session.rollback()  # end the read transaction: see the app's commits
    publish(world[0])  # the public side serves publications
    html = editor.get("/en/countries/PRY").get_data(as_text=True)
    assert "Official translation" in card(html) and "Artículo 5. " + EXCERPT in card(html)
    session.rollback()
    session.expire_all()
    cov = session.get(Coverage, world[3].id)
    assert cov.version == 2
    assert cov.links[0].translation_status is TranslationStatus.OFFICIAL
    record = session.exec(
        select(ChangeRecord).where(ChangeRecord.entity == "coverage").order_by(ChangeRecord.id)
    ).all()[-1]
    assert record.before["links"][0]["translation_status"] == "unofficial"
    assert record.after["links"][0]["translation_status"] == "official"
    # and the export then imports back unchanged
    again = editor.get("/exports/coverage_links.csv?country=PRY").data
    assert "1 unchanged" in preview(editor, "coverage_links", again).get_data(as_text=True)


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"translation_status": ""}, "Say whether the translation is official or unofficial."),
        ({"excerpt_lang": ""}, "Give the language of the quoted excerpt."),
        ({"translation_status": "approved"}, "is not allowed here"),
        ({"article_url": "javascript:alert(1)"}, "Only http:// and https:// links are accepted."),
        ({"excerpt": "", "article_url": ""}, "Quote the excerpt first."),
    ],
)
def test_the_import_refuses_evidence_that_breaks_the_rules(editor, cells, message):
    data = edit(editor.get("/exports/coverage_links.csv?country=PRY").data, **cells)
    html = preview(editor, "coverage_links", data).get_data(as_text=True)
    assert "1 refused" in html and message in html


@pytest.mark.parametrize(
    "cell",
    [
        "official ftp://example.org/law",
        "official javascript:alert(1)",
        "gazette https://example.org/law",
    ],
)
def test_the_import_refuses_sources_that_are_not_http_links_of_a_known_kind(editor, cell):
    data = edit(editor.get("/exports/instruments.csv?country=PRY").data, sources=cell)
    html = preview(editor, "instruments", data).get_data(as_text=True)
    assert "1 refused" in html
    assert ("only http:// and https:// links are accepted" in html) or (
        "is not a kind of source" in html
    )


def test_imported_sources_replace_the_list_in_order(editor, session, world):
    data = editor.get("/exports/instruments.csv?country=PRY").data
    cell = "intergovernmental https://www.itu.int/py ITU workshop page\nofficial https://www.bacn.gov.py/ley BACN"
    response = preview(editor, "instruments", edit(data, sources=cell))
    assert "1 to change" in response.get_data(as_text=True)
    assert confirm(editor, response).status_code == 303
    session.rollback()
    session.expire_all()
    law = session.get(type(world[2]), world[2].id)
    assert [(s.kind, s.url, s.note) for s in law.sources] == [
        (SourceKind.INTERGOVERNMENTAL, "https://www.itu.int/py", "ITU workshop page"),
        (SourceKind.OFFICIAL, "https://www.bacn.gov.py/ley", "BACN"),
    ]


def test_a_file_exported_before_sources_existed_still_imports(editor):
    data = editor.get("/exports/instruments.csv?country=PRY").data
    table = list(csv.reader(io.StringIO(data.decode(), newline="")))
    index = table[0].index("sources")
    old = io.StringIO()
    csv.writer(old).writerows([row[:index] + row[index + 1 :] for row in table])
    html = preview(editor, "instruments", old.getvalue().encode()).get_data(as_text=True)
    assert "0 to change, 1 unchanged" in html  # the instrument keeps its sources


# --- the forms -----------------------------------------------------------------------------------


def test_the_instrument_form_keeps_sources_with_their_kind(editor, session, world, publish):
    law = world[2]
    url = f"/en/manage/instruments/{law.id}/edit"
    html = editor.get(url).get_data(as_text=True)
    assert 'value="https://www.bacn.gov.py/ley"' in html
    assert 'name="sources-2-url"' in html and 'name="sources-3-url"' in html  # two empty rows
    form = {
        "version": str(law.version),
        "title": law.title,
        "title_lang": "es",
        "type": "regulation",
        "status": "in_force",
        "year": "2024",
        "ewaste_specific": "y",
        "sources-0-url": "https://www.bacn.gov.py/ley",
        "sources-0-kind": "official",
        "sources-0-note": "BACN",
        "sources-1-url": "",  # emptied: the mirror goes
        "sources-1-kind": "secondary",
        "sources-1-note": "",
        "sources-2-url": "https://www.itu.int/py",
        "sources-2-kind": "intergovernmental",
        "sources-2-note": "ITU workshop page",
        "sources-3-url": "",
        "sources-3-kind": "",
        "sources-3-note": "",
    }
    bad = editor.post(url, data={**form, "sources-2-url": "javascript:alert(1)"})
    assert bad.status_code == 422
    assert "Enter a web address that starts with http:// or https://." in bad.get_data(
        as_text=True
    )
    no_kind = editor.post(url, data={**form, "sources-2-kind": ""})
    assert no_kind.status_code == 422
    assert "Say what kind of source this is." in no_kind.get_data(as_text=True)
    saved = editor.post(url, data=form)
    assert saved.status_code == 303, re.findall(r'class="error-message"[^>]*>(.*?)</p>', saved.get_data(as_text=True))
    session.expire_all()
    assert [(s.kind, s.url) for s in session.get(type(law), law.id).sources] == [
        (SourceKind.OFFICIAL, "https://www.bacn.gov.py/ley"),
        (SourceKind.INTERGOVERNMENTAL, "https://www.itu.int/py"),
    ]
    publish(world[0])  # the public side serves publications
    html = editor.get(f"/en/instruments/{law.id}").get_data(as_text=True)
    assert 'ITU workshop page</a> <span class="tag source-kind source-intergovernmental">' in html


def test_the_evidence_page_edits_the_quote_and_the_judgements_sources(
    editor, session, world, publish
):
    _country, provision, law, cov = world
    workspace = editor.get("/en/manage/countries/PRY").get_data(as_text=True)
    assert 'href="/en/manage/countries/PRY/evidence"' in workspace
    index = editor.get("/en/manage/countries/PRY/evidence").get_data(as_text=True)
    url = f"/en/manage/coverage/{cov.id}/evidence"
    assert f'href="{url}"' in index and provision.code in index
    html = editor.get(url).get_data(as_text=True)
    assert EXCERPT in html and 'value="https://leap.unep.org/py/ley"' in html
    form = {
        "version": str(cov.version),
        "sources-0-url": "https://leap.unep.org/py/ley",
        "sources-0-kind": "legal_database",
        "sources-0-note": "UNEP LEAP",
        f"l{law.id}-excerpt": EXCERPT,
        f"l{law.id}-excerpt_lang": "es",
        f"l{law.id}-translation": TRANSLATION,
        f"l{law.id}-translation_status": "official",
        f"l{law.id}-article_url": ARTICLE,
    }
    bad = editor.post(url, data={**form, f"l{law.id}-translation_status": ""})
    assert bad.status_code == 422
    assert "Say whether the translation is official or unofficial." in bad.get_data(as_text=True)
    bad = editor.post(url, data={**form, "sources-0-url": "ftp://leap.unep.org/py"})
    assert bad.status_code == 422
    stale = editor.post(url, data={**form, "version": "0"})
    assert stale.status_code == 409
    assert editor.post(url, data=form).status_code == 303
    session.rollback()  # end the read transaction: see the app's commits
    publish(world[0])  # the public side serves publications
    page = editor.get("/en/countries/PRY").get_data(as_text=True)
    assert "Official translation" in card(page)
    row = rows(editor.get("/exports/coverage_links.csv"))[0]
    assert (row["translation_status"], row["version"]) == ("official", "2")
    session.expire_all()
    record = session.exec(
        select(ChangeRecord).where(ChangeRecord.entity == "coverage").order_by(ChangeRecord.id)
    ).all()[-1]
    assert record.after["links"][0]["translation_status"] == "official"
    assert record.after["sources"][0]["kind"] == "legal_database"
