"""Translations of records' texts in the exports: text_translations.csv, its import, and the
history of translations under their country (issue 11, point 9)."""

import io

import pytest
from sqlmodel import select
from synthetic import publish_all

from tracker import write
from tracker.codes import Role
from tracker.models import (
    ChangeRecord,
    Country,
    Coverage,
    Instrument,
    Milestone,
    Provision,
    TextTranslation,
    User,
)
from tracker.write import changes, translations

URL = "/en/manage/import"
CONFIRM = "/en/manage/import/confirm"
ACTOR = changes.Actor("editor.zmb@example.org")
HEADER = (
    "country_iso3,record,record_id,checklist_version,provision_code,field,locale,text,version"
)


@pytest.fixture
def zambia(demo_data):
    """Zambia's first instrument, its judgement of SCOPE-01 and its first milestone, each with one
    translation (written through the write path, as the translation pages write them)."""
    country = demo_data.exec(select(Country).where(Country.iso3 == "ZMB")).one()
    instrument = demo_data.exec(
        select(Instrument).where(Instrument.country_id == country.id).order_by(Instrument.id)
    ).first()
    judgement = demo_data.exec(
        select(Coverage)
        .join(Provision, Provision.id == Coverage.provision_id)
        .where(Coverage.country_id == country.id, Provision.code == "SCOPE-01")
    ).one()
    milestone = demo_data.exec(
        select(Milestone).where(Milestone.country_id == country.id).order_by(Milestone.id)
    ).first()
    with write.transaction(demo_data):
        for key, text in (
            (("milestone", milestone.id, "title", "fr"), "Début de l'assistance technique"),
            (("instrument", instrument.id, "summary", "fr"), "Loi-cadre; article 58(1): REP."),
            (("coverage", judgement.id, "evidence", "es"), "=Reglamento específico, 2024"),
        ):
            translations.save_translation(demo_data, None, key, text, ACTOR, None)
    publish_all(demo_data, country)  # the exports serve publications
    return country, instrument, judgement, milestone


@pytest.fixture
def editor(client, demo_data, password_hash, sign_in, zambia):
    country = zambia[0]
    user = User(
        email="editor.zmb@example.org",
        password_hash=password_hash,
        role=Role.EDITOR,
        country_id=country.id,
    )
    demo_data.add(user)
    demo_data.commit()
    sign_in(user)
    return client


def export(client, country="ZMB") -> bytes:
    query = f"?country={country}" if country else ""
    response = client.get(f"/exports/text_translations.csv{query}")
    assert response.status_code == 200
    return response.data


def preview(client, data: bytes):
    return client.post(
        URL,
        data={"kind": "text_translations", "country": "ZMB", "file": (io.BytesIO(data), "t.csv")},
        content_type="multipart/form-data",
    )


def confirm(client, response):
    import re

    token = re.search(r'name="token" type="hidden" value="([^"]+)"', response.get_data(as_text=True))
    assert token, "the preview offers no confirmation"
    return client.post(CONFIRM, data={"token": token.group(1)})


def test_the_file_has_one_row_per_translation_in_the_order_of_the_records_files(client, zambia):
    _country, instrument, _judgement, milestone = zambia
    # Instruments, then judgements (by provision), then milestones, as their own files order
    # them; a judgement is named by its provision; text that starts with "=" is escaped.
    assert export(client).decode() == (
        f"{HEADER}\r\n"
        f"ZMB,instrument,{instrument.id},,,summary,fr,Loi-cadre; article 58(1): REP.,1\r\n"
        "ZMB,coverage,,2025.1,SCOPE-01,evidence,es,\"'=Reglamento específico, 2024\",1\r\n"
        f"ZMB,milestone,{milestone.id},,,title,fr,Début de l'assistance technique,1\r\n"
    )
    assert export(client, "RWA").decode() == f"{HEADER}\r\n"


def test_the_unfiltered_file_starts_with_the_projects_own_timeline(client, demo_data, zambia):
    project = demo_data.exec(
        select(Milestone).where(Milestone.country_id.is_(None)).order_by(Milestone.id)
    ).first()
    with write.transaction(demo_data):
        translations.save_translation(
            demo_data, None, ("milestone", project.id, "title", "ar"), "اتفاق المشروع", ACTOR, None
        )
    lines = export(client, None).decode().split("\r\n")
    assert lines[1] == f",milestone,{project.id},,,title,ar,اتفاق المشروع,1"
    assert [line.split(",")[0] for line in lines[2:-1]] == ["ZMB", "ZMB", "ZMB"]


def test_the_data_package_describes_the_file(client):
    package = client.get("/exports/datapackage.json").get_json()
    resource = next(r for r in package["resources"] if r["name"] == "text_translations")
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    assert ",".join(fields) == HEADER
    assert fields["record"]["constraints"]["enum"] == ["instrument", "coverage", "milestone"]
    assert fields["locale"]["constraints"]["enum"] == ["en", "fr", "es", "ar", "ru", "zh", "rw", "gn"]
    assert fields["text"]["constraints"]["required"] is True


def _delete_all(session, country):
    session.rollback()
    with write.transaction(session):
        for t in session.exec(select(TextTranslation)).all():
            translations.save_translation(
                session, t, (t.entity, t.entity_id, t.field, t.locale), None, ACTOR, t.version
            )


def test_a_record_exported_and_restored_gets_its_translations_back(editor, demo_data, zambia):
    before = export(editor)
    _delete_all(demo_data, zambia[0])
    publish_all(demo_data, zambia[0])  # the exports serve publications
    assert export(editor).decode() == f"{HEADER}\r\n"  # gone
    response = preview(editor, before)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "3 to create, 0 to change" in response.get_data(as_text=True)
    assert confirm(editor, response).status_code == 303
    demo_data.rollback()
    publish_all(demo_data, zambia[0])
    assert export(editor) == before  # back, each at version 1 again
    # and importing the export again changes nothing
    html = preview(editor, export(editor)).get_data(as_text=True)
    assert "0 to create, 0 to change" in html and "0 refused" in html


def test_an_import_changes_a_translation_whose_version_is_still_the_exported_one(
    editor, demo_data, zambia
):
    data = export(editor).decode().replace("Loi-cadre;", "Loi-cadre de 2011 ;")
    response = preview(editor, data.encode())
    assert "0 to create, 1 to change" in response.get_data(as_text=True)
    # someone changes the same translation meanwhile: the confirmation is refused...
    demo_data.rollback()
    found = demo_data.exec(select(TextTranslation).where(TextTranslation.locale == "fr",
                                                         TextTranslation.field == "summary")).one()
    with write.transaction(demo_data):
        translations.save_translation(
            demo_data, found, ("instrument", found.entity_id, "summary", "fr"), "Autre texte.",
            ACTOR, found.version,
        )
    # ...and a new preview of the old file refuses the row (version 1 in the file, 2 now)
    html = preview(editor, data.encode()).get_data(as_text=True)
    assert "1 refused" in html and "version 1 in the file, 2 now" in html


@pytest.mark.parametrize(
    "row,column",
    [
        ("ZMB,instrument,{instrument},,,title,fr,Titre,", "field"),  # instruments have no title here
        ("ZMB,coverage,{instrument},2025.1,SCOPE-01,evidence,fr,Preuve,", "record_id"),
        ("ZMB,coverage,,2025.1,ESM-02,evidence,fr,Preuve,", "provision_code"),  # not judged
        ("ZMB,milestone,999999,,,title,fr,Titre,", "record_id"),
        ("ZMB,instrument,{instrument},2025.1,SCOPE-01,summary,fr,Résumé,", "provision_code"),
        ("ZMB,instrument,,,,summary,fr,Résumé,", "record_id"),
        ("ZMB,instrument,{instrument},,,summary,xx,Résumé,", "locale"),
        ("ZMB,instrument,{instrument},,,summary,fr,,", "text"),
        (",milestone,{milestone},,,title,fr,Titre,", "country_iso3"),
        ("RWA,instrument,{instrument},,,summary,fr,Résumé,", "country_iso3"),
    ],
)
def test_bad_rows_are_refused_with_their_column(editor, zambia, row, column):
    _country, instrument, _judgement, milestone = zambia
    data = f"{HEADER}\r\n{row.format(instrument=instrument.id, milestone=milestone.id)}\r\n"
    response = preview(editor, data.encode())
    html = response.get_data(as_text=True)
    assert "1 refused" in html, html
    assert f"Line 2, <code>{column}</code>: " in html, html


def test_translation_history_is_the_countrys_history(client, demo_data, zambia, password_hash,
                                                     sign_in):
    country = zambia[0]
    demo_data.rollback()
    records = demo_data.exec(
        select(ChangeRecord).where(ChangeRecord.entity == "text_translation")
    ).all()
    assert len(records) == 3 and {r.country_id for r in records} == {country.id}
    # an editor of Zambia sees them in the history of changes
    user = User(email="editor.zmb@example.org", password_hash=password_hash, role=Role.EDITOR,
                country_id=country.id)
    demo_data.add(user)
    demo_data.commit()
    sign_in(user)
    html = client.get("/en/manage/history?country=ZMB").get_data(as_text=True)
    assert "Début de l&#39;assistance technique" in html or "Début de l'assistance" in html


# --- links from where staff edit the texts to their translations ---------------------------------


def test_staff_reach_each_records_translations_from_where_they_edit_its_text(editor, zambia):
    _country, instrument, judgement, milestone = zambia
    pages = {
        # the checklist row where the evidence is written, and the judgement's evidence page
        "/en/manage/countries/ZMB": (judgement, "coverage", "Translations of the evidence"),
        f"/en/manage/coverage/{judgement.id}/evidence": (
            judgement, "coverage", "Translations of the evidence"),
        f"/en/manage/instruments/{instrument.id}/edit": (
            instrument, "instrument", "Translations of the summary"),
        f"/en/manage/milestones/{milestone.id}/edit": (
            milestone, "milestone", "Translations of the title and notes"),
    }
    for page, (record, kind, words) in pages.items():
        response = editor.get(page)
        assert response.status_code == 200, page
        target = f"/en/manage/translations/{kind}/{record.id}"
        assert f'<a href="{target}">{words}' in response.get_data(as_text=True), page
        assert editor.get(target).status_code == 200
    # a translation page in French is reached the same way, in French
    html = editor.get(f"/fr/manage/instruments/{instrument.id}/edit").get_data(as_text=True)
    assert f'<a href="/fr/manage/translations/instrument/{instrument.id}">Traductions du résumé' in html
