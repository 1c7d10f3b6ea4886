"""Checklist versions are frozen once used (issue 12): a version any publication uses can no
longer change, whatever path tries; changes go into a new draft version."""

import functools
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from sqlmodel import select

from tracker import demo, write
from tracker.codes import Level
from tracker.models import (
    Category,
    CategoryName,
    ChangeRecord,
    ChecklistVersion,
    Provision,
    ProvisionText,
)
from tracker.write import changes, review
from tracker.write.checklist import ChecklistFrozen

FROZEN = "is used by published figures, so it can no longer change"


def publish(session, country, message="First publication"):
    with write.transaction(session):
        return review.publish(session, country, changes.DEMO_DATA, message)


@pytest.fixture
def used(session, staff, make_checklist):
    """A checklist of four provisions, and a publication of Zambia made with it."""
    checklist = make_checklist(n=4)
    publish(session, staff.zmb)
    provisions = session.exec(
        select(Provision).where(Provision.checklist_id == checklist.id).order_by(Provision.id)
    ).all()
    return checklist, provisions


def _provision_history(session) -> list:
    return session.exec(select(ChangeRecord).where(ChangeRecord.entity == "provision")).all()


def _state(session, checklist_id) -> list:
    """Everything a version holds, to show that nothing of it changed."""
    session.expire_all()
    rows = session.exec(
        select(Provision).where(Provision.checklist_id == checklist_id).order_by(Provision.id)
    ).all()
    return [
        (p.code, p.level, p.position, p.retired, p.category_id, p.gem_indicator, p.sources,
         p.version, sorted((t.locale, t.title, t.guidance) for t in p.texts))
        for p in rows
    ]  # fmt: skip


def test_every_admin_page_refuses_to_change_a_used_version(client, sign_in, staff, session, used):
    checklist, (p1, p2, _p3, _p4) = used
    before = _state(session, checklist.id)
    history = len(_provision_history(session))
    session.rollback()
    sign_in(staff.admin)

    page = client.get("/en/manage/checklist").get_data(as_text=True)
    assert FROZEN in page and "T.1" in page
    # The refused pages say why, before anything is typed.
    for url in (
        "/en/manage/checklist/new",
        f"/en/manage/checklist/provisions/{p1.id}/edit",
        f"/en/manage/checklist/provisions/{p1.id}/texts/fr",
        f"/en/manage/checklist/provisions/{p1.id}/retire",
    ):
        answer = client.get(url)
        assert answer.status_code == 409, url
        assert FROZEN in answer.get_data(as_text=True)

    attempts = [
        ("/en/manage/checklist/new", {"code": "AAA-09", "category": str(p1.category_id),
                                      "level": "core", "title": "Take-back", "guidance": "G."}),
        (f"/en/manage/checklist/provisions/{p1.id}/edit",
         {"category": str(p1.category_id), "level": "recommended", "gem_indicator": "epr",
          "sources": "basel", "version": "1"}),
        (f"/en/manage/checklist/provisions/{p1.id}/texts/en",
         {"title": "Reworded", "guidance": "Reworded guidance.", "version": "1"}),
        (f"/en/manage/checklist/provisions/{p1.id}/texts/fr",
         {"title": "Reprise", "guidance": "Les détaillants…", "version": "1"}),
        (f"/en/manage/checklist/provisions/{p2.id}/move", {"direction": "up", "version": "1"}),
        (f"/en/manage/checklist/provisions/{p1.id}/retire", {"version": "1"}),
    ]  # fmt: skip
    for url, data in attempts:
        answer = client.post(url, data=data)
        assert answer.status_code == 409, url
        assert FROZEN in answer.get_data(as_text=True), url
    assert _state(session, checklist.id) == before
    assert len(_provision_history(session)) == history


def test_the_message_is_translated(client, sign_in, staff, session, used):
    _checklist, (p1, *_rest) = used
    session.rollback()
    sign_in(staff.admin)
    answer = client.get(f"/fr/manage/checklist/provisions/{p1.id}/edit")
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    assert FROZEN not in html and "T.1" in html


def test_the_write_layer_refuses_whatever_the_path(session, staff, used):
    """The refusal holds for any code that writes through a session, not just the pages."""
    checklist, (p1, p2, _p3, _p4) = used
    before = _state(session, checklist.id)
    category = session.get(Category, p1.category_id)

    def refused(change) -> None:
        with pytest.raises(ChecklistFrozen) as caught:
            with write.transaction(session):
                change()
        assert caught.value.code == "T.1"
        assert _state(session, checklist.id) == before

    actor = changes.COMMAND_LINE
    refused(lambda: changes.update(session, p1, actor, {"level": Level.RECOMMENDED},
                                   expected_version=None))  # fmt: skip
    refused(lambda: changes.update(session, p1, actor, {"position": 9}, expected_version=None))
    refused(lambda: changes.update(session, p1, actor, {"retired": True}, expected_version=None))
    refused(lambda: changes.update(session, p1, actor, {"sources": "x"}, expected_version=None))
    refused(lambda: changes.update(session, p1, actor, {"category_id": p2.category_id},
                                   expected_version=None))  # fmt: skip

    def reword() -> None:
        p1.texts[0].guidance = "Something else."
        session.flush()

    refused(reword)

    def translate() -> None:
        p1.texts.append(ProvisionText(locale="fr", title="Titre", guidance="Guide."))
        session.flush()

    refused(translate)
    refused(lambda: (session.add(Provision(checklist_id=checklist.id, category_id=category.id,
                                           code="AAA-99")), session.flush()))  # fmt: skip
    refused(lambda: (session.delete(p1), session.flush()))

    def rename_category() -> None:
        category.names[0].name = "Renamed"
        session.flush()

    refused(rename_category)
    refused(lambda: (category.names.append(CategoryName(locale="fr", name="Nom")),
                     session.flush()))  # fmt: skip
    refused(lambda: (session.add(Category(checklist_id=checklist.id, code="CCC")), session.flush()))

    def recode() -> None:
        session.get(ChecklistVersion, checklist.id).title = "Another title"
        session.flush()

    refused(recode)
    # A bulk statement through the session cannot slip past either.
    refused(lambda: session.execute(sa.update(Provision).values(level=Level.RECOMMENDED)))
    refused(lambda: session.execute(sa.update(ProvisionText.__table__).values(title="x")))
    refused(lambda: session.execute(sa.delete(CategoryName)))


def test_what_stays_allowed_on_a_used_version(session, staff, used, make_instrument, make_coverage):
    """A used version can still stop being current, and judgements on it are the working copy."""
    checklist, (p1, *_rest) = used
    with write.transaction(session):
        changes.update(session, session.get(ChecklistVersion, checklist.id), changes.COMMAND_LINE,
                       {"is_current": False}, expected_version=None)  # fmt: skip
    assert not session.get(ChecklistVersion, checklist.id).is_current
    act = make_instrument(staff.zmb)
    make_coverage(staff.zmb, p1, links=[(act, "full")])  # a working-copy judgement


def test_an_unused_version_can_still_change(session, staff, make_checklist):
    checklist = make_checklist(n=2)
    provision = session.exec(select(Provision)).first()
    with write.transaction(session):
        changes.update(session, provision, changes.COMMAND_LINE, {"level": Level.RECOMMENDED},
                       expected_version=None)  # fmt: skip
    publish(session, staff.zmb)  # now it is used
    with pytest.raises(ChecklistFrozen), write.transaction(session):
        changes.update(session, provision, changes.COMMAND_LINE, {"level": Level.CORE},
                       expected_version=None)  # fmt: skip
    assert session.get(ChecklistVersion, checklist.id).code == "T.1"


@pytest.fixture
def changed_demo_files(tmp_path) -> Path:
    """The demo files with one provision added to checklist 2025.1."""
    target = tmp_path / "data"
    source = demo.DATA_DIR
    (target / "countries").mkdir(parents=True)
    (target / "translations").mkdir()
    for path in source.glob("countries/*.yaml"):
        (target / "countries" / path.name).write_bytes(path.read_bytes())
    for path in source.glob("translations/*.yaml"):
        (target / "translations" / path.name).write_bytes(path.read_bytes())
    checklist = next(source.glob("checklist-*.yaml"))
    data = yaml.safe_load(checklist.read_text(encoding="utf-8"))
    data["provisions"].append(
        {"code": "ENF-09", "category": data["provisions"][-1]["category"], "level": "core",
         "text": {"en": {"title": "A new provision", "guidance": "Guidance."}}}
    )  # fmt: skip
    (target / checklist.name).write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return target


def test_the_demo_loader_cannot_change_a_used_version(session, demo_data, changed_demo_files):
    from tracker.models import Country

    zambia = session.exec(select(Country).where(Country.iso3 == "ZMB")).one()
    publish(session, zambia)
    count = len(session.exec(select(Provision)).all())
    with pytest.raises(ChecklistFrozen):
        demo.load(session, changed_demo_files)
    assert len(session.exec(select(Provision)).all()) == count
    demo.load(session)  # the unchanged files still load (they change nothing)


def test_the_command_line_says_why(runner, session, demo_data, changed_demo_files, monkeypatch):
    from tracker.models import Country

    zambia = session.exec(select(Country).where(Country.iso3 == "ZMB")).one()
    publish(session, zambia)
    session.rollback()
    monkeypatch.setattr(demo, "load", functools.partial(demo.load, data_dir=changed_demo_files))
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 2
    assert "checklist version 2025.1 is used by a publication" in result.output
    session.expire_all()
    assert session.exec(select(Provision).where(Provision.code == "ENF-09")).first() is None
