"""Content in its own language (issue 11, point 9): summaries, evidence, milestone titles and notes
record their language and may carry translations; a reader sees the translation into their
language where one exists, else the original with its ``lang`` attribute and "(in Spanish)"."""

import re

from sqlmodel import select

from tracker import write
from tracker.codes import MilestoneNature
from tracker.models import ChangeRecord, Milestone, Provision, TextTranslation
from tracker.read.texts import content_text

SUMMARY_ES = "Regula la gestión de los residuos de aparatos eléctricos y electrónicos."
SUMMARY_FR = "Règle la gestion des déchets d’équipements électriques et électroniques."


def summary_html(client, lang: str, instrument_id: int) -> str:
    response = client.get(f"/{lang}/instruments/{instrument_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return re.search(r'<section aria-labelledby="summary-heading">(.*?)</section>', html, re.S)[1]


# --- the rule, on plain values --------------------------------------------------------------------


def test_the_original_in_the_readers_language_is_shown_as_it_is():
    shown = content_text("Texte", "fr", {"en": "Text"}, "fr")
    assert (shown.text, shown.lang, shown.is_translation, shown.is_foreign) == (
        "Texte",
        "fr",
        False,
        False,
    )


def test_a_translation_into_the_readers_language_wins_over_the_original():
    shown = content_text("Texto", "es", {"fr": "Texte"}, "fr")
    assert (shown.text, shown.lang, shown.is_translation, shown.is_foreign) == (
        "Texte",
        "fr",
        True,
        False,
    )


def test_without_a_translation_the_original_is_marked_with_its_language_in_the_readers_words():
    # CLDR's names of Spanish: "Spanish" in English, "espagnol" in French, "испанский" in Russian,
    # and for Guaraní readers CLDR's Spanish names (Guaraní has no CLDR data): "español".
    names = {
        lang: content_text("Texto", "es", {}, lang).language_name
        for lang in ("en", "fr", "ru", "gn")
    }
    assert names == {"en": "Spanish", "fr": "espagnol", "ru": "испанский", "gn": "español"}
    # English is not a fallback here: a French reader of a Spanish text sees the Spanish text.
    shown = content_text("Texto", "es", {"en": "Text"}, "fr")
    assert (shown.text, shown.lang, shown.is_translation) == ("Texto", "es", False)


def test_a_text_whose_language_is_not_recorded_is_shown_without_a_marker():
    shown = content_text("Text", None, {}, "fr")
    assert (shown.text, shown.lang_tag, shown.is_foreign) == ("Text", None, False)
    assert content_text(None, "es", {"fr": "Texte"}, "fr") is None


# --- pages ----------------------------------------------------------------------------------------


def test_a_spanish_summary_is_marked_for_english_and_french_readers(
    client, make_instrument, publish
):
    inst = make_instrument(title="Ley de RAEE", title_lang="es", summary=SUMMARY_ES,
                           summary_lang="es")  # fmt: skip
    publish()  # the public side serves publications
    english = summary_html(client, "en", inst.id)
    assert f'<p class="pre-line" lang="es" dir="auto">{SUMMARY_ES}</p>' in english
    assert '<small class="lang-marker">(in Spanish)</small>' in english
    french = summary_html(client, "fr", inst.id)
    assert f'lang="es" dir="auto">{SUMMARY_ES}</p>' in french
    assert '<small class="lang-marker">(en espagnol)</small>' in french
    spanish = summary_html(client, "es", inst.id)
    assert SUMMARY_ES in spanish and "lang-marker" not in spanish


def test_a_translation_is_shown_to_readers_of_its_language_only(
    client, session, make_instrument, publish
):
    inst = make_instrument(summary=SUMMARY_ES, summary_lang="es")
    session.add(
        TextTranslation(
            entity="instrument", entity_id=inst.id, field="summary", locale="fr", text=SUMMARY_FR
        )
    )
    session.commit()
    publish()  # the public side serves publications, translations with them
    french = summary_html(client, "fr", inst.id)
    assert f'<p class="pre-line" lang="fr" dir="auto">{SUMMARY_FR}</p>' in french
    assert SUMMARY_ES not in french and "lang-marker" not in french
    english = summary_html(client, "en", inst.id)
    assert SUMMARY_ES in english and "(in Spanish)" in english and SUMMARY_FR not in english


def test_milestone_titles_and_evidence_follow_the_same_rule_on_the_country_page(
    client, session, make_country, make_milestone, make_checklist, make_coverage, publish
):
    country = make_country(iso3="PRY", iso2="PY", languages="es gn")
    make_checklist()
    provision = session.exec(select(Provision).order_by(Provision.position)).first()
    make_coverage(country, provision, evidence="Ley 3956/2009, art. 2.", evidence_lang="es")
    ms = make_milestone(country, title="Taller de consulta", title_lang="es", notes="Dos días.",
                        notes_lang="es")  # fmt: skip
    session.add(
        TextTranslation(
            entity="milestone", entity_id=ms.id, field="title", locale="en",
            text="Consultation workshop",
        )  # fmt: skip
    )
    session.commit()
    publish()  # the public side serves publications
    html = client.get("/en/countries/PRY").get_data(as_text=True)
    assert '<p class="ms-title" lang="en" dir="auto">Consultation workshop</p>' in html
    assert '<p class="muted small" lang="es" dir="auto">Dos días.</p>' in html
    assert '<span lang="es" dir="auto">Ley 3956/2009, art. 2.</span>' in html
    assert html.count("(in Spanish)") == 2  # the notes and the evidence; the title is translated
    spanish = client.get("/es/countries/PRY").get_data(as_text=True)
    assert "Taller de consulta" in spanish and "(en español)" not in spanish


# --- staff: the language and the translations ---------------------------------------------------


def test_staff_set_a_milestones_languages_and_add_a_translation_with_history(
    client, sign_in, staff, session, publish
):
    sign_in(staff.editor_zmb)
    data = {
        "title": "Atelier de validation",
        "title_lang": "fr",
        "nature": "project",
        "kind": "validation_workshop",
        "status": "done",
        "notes": "Deux jours.",
        "notes_lang": "fr",
    }
    assert client.post("/en/manage/countries/ZMB/milestones/new", data=data).status_code == 303
    session.rollback()
    ms = session.exec(select(Milestone)).one()
    assert (ms.title_lang, ms.notes_lang, ms.nature) == ("fr", "fr", MilestoneNature.PROJECT)

    page = client.get(f"/en/manage/translations/milestone/{ms.id}")
    assert page.status_code == 200
    url = f"/en/manage/translations/milestone/{ms.id}/title/en"
    assert url in page.get_data(as_text=True)
    response = client.post(url, data={"text": "Validation workshop", "version": "0"})
    assert response.status_code == 303
    session.rollback()
    [found] = session.exec(select(TextTranslation)).all()
    assert (found.entity, found.entity_id, found.field, found.locale, found.text) == (
        "milestone",
        ms.id,
        "title",
        "en",
        "Validation workshop",
    )
    assert "Validation workshop" not in client.get("/en/countries/ZMB").text  # a draft yet
    publish(staff.zmb)  # the public side serves publications
    html = client.get("/en/countries/ZMB").get_data(as_text=True)
    assert '<p class="ms-title" lang="en" dir="auto">Validation workshop</p>' in html
    assert "(in French)" in html  # the notes, not translated

    # A stale version is refused; saving it empty deletes the translation; history has both.
    assert client.post(url, data={"text": "Other", "version": "0"}).status_code == 409
    assert client.post(url, data={"text": "", "version": "1"}).status_code == 303
    session.rollback()
    assert session.exec(select(TextTranslation)).all() == []
    actions = [
        r.action.value
        for r in session.exec(
            select(ChangeRecord).where(ChangeRecord.entity == "text_translation")
        ).all()
    ]
    assert actions == ["create", "delete"]


def test_a_language_outside_the_list_is_refused(client, sign_in, staff):
    sign_in(staff.editor_zmb)
    data = {"title": "X", "title_lang": "xx", "nature": "project", "kind": "other",
            "status": "planned"}  # fmt: skip
    response = client.post("/en/manage/countries/ZMB/milestones/new", data=data)
    assert response.status_code == 422
    assert "Enter a language code" in response.get_data(as_text=True)
    data["title_lang"] = "de"  # a real language, but not one the tracker offers
    response = client.post("/en/manage/countries/ZMB/milestones/new", data=data)
    assert response.status_code == 422
    assert "Choose one of these languages: en, fr, es" in response.get_data(as_text=True)


def test_another_countrys_translations_are_forbidden(client, sign_in, staff, make_milestone):
    ms = make_milestone(staff.rwa)
    sign_in(staff.editor_zmb)
    assert client.get(f"/en/manage/translations/milestone/{ms.id}").status_code == 403
    url = f"/en/manage/translations/milestone/{ms.id}/title/fr"
    assert client.post(url, data={"text": "x", "version": "0"}).status_code == 403
    assert client.get("/en/manage/translations/user_account/1").status_code == 404


def test_deleting_a_record_deletes_its_translations(client, sign_in, staff, session,
                                                    make_milestone):  # fmt: skip
    ms = make_milestone(staff.zmb)
    with write.transaction(session):
        session.add(TextTranslation(entity="milestone", entity_id=ms.id, field="title",
                                    locale="fr", text="Atelier"))  # fmt: skip
    sign_in(staff.editor_zmb)
    response = client.post(f"/en/manage/milestones/{ms.id}/delete", data={"version": "1"})
    assert response.status_code == 303
    session.rollback()
    assert session.exec(select(TextTranslation)).all() == []


# --- exports and the API --------------------------------------------------------------------------


def test_the_api_gives_the_original_its_language_and_the_translation(
    client, session, make_instrument, publish
):
    inst = make_instrument(summary=SUMMARY_ES, summary_lang="es")
    session.add(
        TextTranslation(
            entity="instrument", entity_id=inst.id, field="summary", locale="fr", text=SUMMARY_FR
        )
    )
    session.commit()
    publish()  # the public side serves publications
    iso3 = client.get("/api/v1/countries").get_json()["countries"][0]["iso3"]
    [french] = client.get(f"/api/v1/countries/{iso3}?lang=fr").get_json()["instruments"]
    assert (french["summary"], french["summary_lang"], french["summary_translated"]) == (
        SUMMARY_ES,
        "es",
        SUMMARY_FR,
    )
    [english] = client.get(f"/api/v1/countries/{iso3}?lang=en").get_json()["instruments"]
    assert english["summary_translated"] is None
    csv = client.get("/exports/instruments.csv").get_data(as_text=True)
    assert csv.splitlines()[1].endswith(",es")  # summary_lang, the last column
