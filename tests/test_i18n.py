"""Eight languages: catalogs complete and in step with the sources, pages translated, RTL."""

import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tracker.i18n import LOCALES

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "translations" / "messages.pot"
TRANSLATED = [code for code in LOCALES if code != "en"]

# One word or phrase per locale that must appear on the overview page once it is translated.
KNOWN_WORDS = {
    "fr": "Pays",
    "es": "Países",
    "ar": "البلدان",
    "ru": "Страны",
    "zh": "国家",
    "rw": "Ibihugu",
    "gn": "Tetãnguéra",
}


def read_catalog(path: Path, locale: str | None = None):
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def msgids(catalog) -> set:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog if m.id}


def test_every_configured_locale_has_a_catalog():
    assert set(LOCALES) == {"en", "fr", "es", "ar", "ru", "zh", "rw", "gn"}
    for code in TRANSLATED:
        assert (ROOT / "translations" / code / "LC_MESSAGES" / "messages.po").exists(), code


def test_template_is_up_to_date_with_the_sources(tmp_path):
    """Extracting again gives the committed messages.pot (run `make i18n` after changing text)."""
    out = tmp_path / "fresh.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "_lp:1c,2",
            "-k",
            "lazy_pgettext:1c,2",
            "-k",
            "lazy_ngettext:1,2",
            "-o",
            str(out),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    fresh, committed = read_catalog(out), read_catalog(POT)
    missing = msgids(fresh) - msgids(committed)
    stale = msgids(committed) - msgids(fresh)
    assert not missing, f"strings missing from messages.pot: {sorted(map(str, missing))[:10]}"
    assert not stale, (
        f"strings in messages.pot no longer in the sources: {sorted(map(str, stale))[:10]}"
    )


@pytest.mark.parametrize("locale", [None, *TRANSLATED])
def test_every_catalog_entry_is_well_formed(locale):
    """An entry that lost its ``msgstr`` line (a merge can drop it) makes Babel only warn while it
    reads the file; here it is an error, for the template and every catalog."""
    from babel.messages.pofile import PoFileError

    path = POT if locale is None else ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        try:
            read_po(fh, locale=locale, abort_invalid=True)
        except PoFileError as exc:
            pytest.fail(f"{path.relative_to(ROOT)}: {exc}")


@pytest.mark.parametrize("locale", TRANSLATED)
def test_catalog_is_complete_current_and_valid(locale):
    path = ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po"
    catalog = read_catalog(path, locale)
    template = read_catalog(POT)
    assert msgids(catalog) == msgids(template), "run `make i18n` to update the catalog"
    problems = []
    for message in catalog:
        if not message.id:
            if "fuzzy" in message.flags:
                problems.append("the catalog header is marked fuzzy")
            continue
        if "fuzzy" in message.flags:
            problems.append(f"fuzzy: {message.id!r}")
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(s and s.strip() for s in strings):
            problems.append(f"untranslated: {message.id!r}")
    for message, errors in catalog.check():
        problems.append(f"{message.id!r}: {errors}")
    assert not problems, "\n".join(map(str, problems[:20]))


@pytest.mark.parametrize("locale", ["rw", "gn"])
def test_catalogs_for_rw_and_gn_invite_a_native_speaker_review(locale):
    text = (ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po").read_text("utf-8")
    assert "native" in text.split("msgid")[0].lower()


def test_guarani_uses_the_real_glottal_stop():
    catalog = read_catalog(ROOT / "translations" / "gn" / "LC_MESSAGES" / "messages.po", "gn")
    ascii_puso = [m.string for m in catalog if m.id and re.search(r"\w'\w", str(m.string))]
    assert not ascii_puso, ascii_puso[:5]


@pytest.mark.parametrize("locale", TRANSLATED)
def test_overview_is_translated(client, demo_data, locale):
    response = client.get(f"/{locale}/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'lang="{locale}' in html
    assert KNOWN_WORDS[locale] in html


def test_arabic_pages_are_right_to_left(client, demo_data):
    html = client.get("/ar/").get_data(as_text=True)
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    assert 'dir="ltr"' in client.get("/fr/").get_data(as_text=True)


def test_accept_language_picks_the_first_visit_language(client):
    response = client.get("/", headers={"Accept-Language": "es-PY,es;q=0.9,en;q=0.5"})
    assert response.headers["Location"].endswith("/es/")
    response = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert response.headers["Location"].endswith("/zh/")


def test_the_choice_persists_in_a_cookie(client, demo_data):
    response = client.get("/fr/")
    assert "lang=fr" in response.headers.get("Set-Cookie", "")
    response = client.get("/", headers={"Accept-Language": "en"})
    assert response.headers["Location"].endswith("/fr/")


def test_the_switcher_keeps_the_reader_on_the_same_page(client, demo_data):
    html = client.get("/en/countries/ZMB").get_data(as_text=True)
    for locale in TRANSLATED:
        assert f'href="/{locale}/countries/ZMB"' in html
    assert 'hreflang="ar"' in html and 'lang="ar"' in html


@functools.cache
def committed_catalog(locale: str):
    """The committed catalog of ``locale``, read once per run (reading a .po file is slow)."""
    return read_catalog(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", locale)


def translation_of(msgid: str, locale: str) -> str:
    return committed_catalog(locale)[msgid].string


@pytest.mark.parametrize("locale", ["es", "ar", "gn"])
def test_form_validation_messages_are_in_the_readers_language(client, locale):
    """Every validator carries a message of ours, so even languages WTForms does not ship
    (Guaraní, Kinyarwanda) get translated messages."""
    response = client.post(f"/{locale}/login", data={"email": "", "password": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert translation_of("Enter your email address.", locale) in html
    assert "Enter your email address." not in html


def test_original_titles_keep_their_language_with_a_translation_beside(client, demo_data):
    html = client.get("/en/countries/PRY").get_data(as_text=True)
    assert '<a href="/en/instruments/' in html
    assert 'lang="es" dir="auto">Ley N° 42/90</a>' in html
    assert 'class="title-translation" lang="en">(Law No. 42/90)' in html


def test_checklist_text_missing_a_translation_falls_back_with_a_marker(client, make_checklist):
    make_checklist(n=2)  # its texts are in English only (the demo's is frozen by its publications)
    html = client.get("/ru/checklist").get_data(as_text=True)
    assert translation_of("not yet translated", "ru") in html
    assert 'lang="en" class="fallback"' in html


def test_country_names_come_from_cldr_in_the_readers_language(client, demo_data):
    assert "Zambie" in client.get("/fr/").get_data(as_text=True)
    assert "赞比亚" in client.get("/zh/").get_data(as_text=True)
    assert "زامبيا" in client.get("/ar/").get_data(as_text=True)
    # CLDR names a few countries in Guaraní (Paraguai); for the others Spanish, the other
    # language of Paraguay, is used rather than English.
    guarani = client.get("/gn/").get_data(as_text=True)
    assert "Paraguai" in guarani and "Zambia" in guarani
    assert "U Rwanda" in client.get("/rw/").get_data(as_text=True)


# Each public page and the template that is its own (base.html and the macros are shared).
PAGE_TEMPLATES = {
    "": "public/index.html",
    "countries/ZMB": "public/country.html",
    "countries/PRY": "public/country.html",
    "checklist": "public/checklist.html",
    "checklist/EPR-01": "public/provision.html",
    "methodology": "public/methodology.html",
    "exports/": "exports/index.html",
    "about": "public/about.html",
    "api": "public/api.html",
}


@functools.cache
def template_messages(template: str) -> tuple[str, ...]:
    """The messages of one template: extracted from its source as ``make i18n`` does (babel.cfg's
    options), and those the committed template places there (so text that lost its ``_()`` is
    still looked for)."""
    from babel.messages.extract import extract_from_file

    found = extract_from_file(
        "jinja2",
        str(ROOT / "tracker" / "templates" / template),
        options={"encoding": "utf-8", "trimmed": "true", "extensions": "jinja2.ext.do"},
    )
    messages = {message for _line, message, _comments, _context in found}
    where = f"tracker/templates/{template}"
    messages |= {m.id for m in read_catalog(POT) if any(f == where for f, _ in m.locations)}
    return tuple(sorted(m for m in messages if isinstance(m, str) and m))


def literal_parts(text: str) -> list[str]:
    return [p for p in re.split(r"%\([a-z_]+\)[sd]", text) if p.strip()]


def shows(html: str, text: str) -> bool:
    """The message's text is on the page (its fixed parts, when it has placeholders)."""
    from markupsafe import escape

    parts = literal_parts(text)
    return bool(parts) and all(p in html or str(escape(p)) in html for p in parts)


@pytest.mark.parametrize("path", list(PAGE_TEMPLATES))
@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_public_page_is_translated(client, demo_data, locale, path):
    """Every message of the page's own template that the English page shows is shown translated:
    worked out from the template's source and the committed catalog, not from the rendering."""
    english = client.get(f"/en/{path}").get_data(as_text=True)
    response = client.get(f"/{locale}/{path}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    shown = [msgid for msgid in template_messages(PAGE_TEMPLATES[path]) if shows(english, msgid)]
    assert len(shown) >= 8, shown  # the page really has its own interface text
    for msgid in shown:
        translated = translation_of(msgid, locale)
        assert shows(html, translated), (msgid, translated)
        longest = max(literal_parts(msgid), key=len)
        if translated != msgid and len(longest) >= 12:  # long enough not to be part of the data
            assert not shows(html, longest), msgid
    # And base.html's own text.
    assert translation_of("E-waste regulation tracker", locale) in html
    for english_text in ("Skip to main content", "Data exports", "Staff sign-in"):
        assert english_text not in html, english_text


def test_unknown_language_is_a_404_in_english(client):
    response = client.get("/de/countries/ZMB")
    assert response.status_code == 404
    assert 'lang="en"' in response.get_data(as_text=True)
