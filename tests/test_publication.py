"""Review and publication (issue 12): submit, return, publish; the diff; publications are final;
the public list, detail page and Atom feeds."""

import re

import pytest
import sqlalchemy as sa
from lxml import etree
from sqlmodel import select

from tracker import write
from tracker.codes import CommentKind, Implementation, ReviewState
from tracker.models import (
    Coverage,
    Instrument,
    Provision,
    Publication,
    PublicationIsFinal,
    ReviewComment,
)
from tracker.write import changes, record, review

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def world(session, staff, make_checklist, make_instrument, make_milestone):
    make_checklist(n=2)
    instrument = make_instrument(staff.zmb, title="Environmental Management Act")
    make_milestone(staff.zmb, title="Validation workshop in Lusaka")
    return staff, instrument


def publish(session, country, message="First publication", actor=changes.DEMO_DATA):
    with write.transaction(session):
        return review.publish(session, country, actor, message)


def test_an_editor_submits_their_country_and_an_admin_returns_and_publishes(
    client, session, sign_in, world
):
    staff, _instrument = world
    sign_in(staff.editor_zmb)
    assert client.get("/en/manage/countries/ZMB").status_code == 200
    answer = client.post("/en/manage/countries/ZMB/submit", data={"message": "Please check EPR."})
    assert answer.status_code == 303
    page = client.get("/en/manage/countries/ZMB").get_data(as_text=True)
    assert "Submitted for review" in page and "Please check EPR." in page
    # Submitting twice is refused with a message; the other country is not theirs.
    again = client.post("/en/manage/countries/ZMB/submit", data={"message": "Again"})
    assert again.status_code == 409 and "already waiting for review" in again.get_data(as_text=True)
    assert client.post("/en/manage/countries/RWA/submit", data={"message": "x"}).status_code == 403
    # An editor never publishes, returns or sees the review page.
    assert client.post("/en/manage/countries/ZMB/publish", data={"message": "x"}).status_code == 403
    assert client.post("/en/manage/countries/ZMB/return", data={"comment": "x"}).status_code == 403
    assert client.get("/en/manage/countries/ZMB/review").status_code == 403
    assert session.exec(select(Publication)).all() == []
    session.rollback()  # end the read before signing in (SQLite takes the write lock then)

    sign_in(staff.admin)
    code = session.exec(select(Provision.code)).first()
    session.rollback()
    assert client.post("/en/manage/countries/ZMB/comment",
                       data={"comment": "Which article?", "provision": code}).status_code == 303  # fmt: skip
    assert client.post("/en/manage/countries/ZMB/return",
                       data={"comment": "Add the article numbers."}).status_code == 303  # fmt: skip
    sign_in(staff.editor_zmb)
    page = client.get("/en/manage/countries/ZMB").get_data(as_text=True)
    assert "Returned for changes" in page and "Which article?" in page
    asked = session.exec(
        select(ReviewComment).where(ReviewComment.kind == CommentKind.COMMENT)
    ).one()
    assert asked.provision_code == code
    session.rollback()
    assert client.post("/en/manage/countries/ZMB/answer",
                       data={"entry": asked.id, "comment": "Article 12."}).status_code == 303  # fmt: skip
    assert "Article 12." in client.get("/en/manage/countries/ZMB").get_data(as_text=True)
    assert client.post("/en/manage/countries/ZMB/submit", data={"message": "Done"}).status_code == 303
    session.rollback()

    sign_in(staff.admin)
    done = client.post("/en/manage/countries/ZMB/publish", data={"message": "First release"})
    assert done.status_code == 303
    assert done.headers["Location"].endswith("/en/countries/ZMB/publications/1")
    [made] = session.exec(select(Publication)).all()
    assert (made.number, made.message, made.published_by) == (1, "First release", "admin@example.org")
    # The exchange stays with the publication as its review record.
    kinds = [e.kind for e in session.exec(select(ReviewComment).order_by(ReviewComment.id))]
    assert kinds == [CommentKind.SUBMITTED, CommentKind.COMMENT, CommentKind.RETURNED,
                     CommentKind.ANSWER, CommentKind.SUBMITTED, CommentKind.PUBLISHED]  # fmt: skip
    page = client.get("/en/manage/countries/ZMB").get_data(as_text=True)
    assert "Published" in page and "No change since the last publication." in page


def rename(session, instrument_id: int, title: str) -> None:
    """A change to the working copy (so that there is something new to publish)."""
    with write.transaction(session):
        act = session.get(Instrument, instrument_id)
        changes.update(session, act, changes.DEMO_DATA, {"title": title},
                       expected_version=act.version)  # fmt: skip


def test_a_publish_form_sent_twice_publishes_once(client, session, sign_in, world):
    staff, instrument = world
    publish(session, staff.zmb)  # publication 1, which the review page compares with
    rename(session, instrument.id, "Environmental Management Act, 2011")
    session.rollback()
    sign_in(staff.admin)
    page = client.get("/en/manage/countries/ZMB/review").get_data(as_text=True)
    assert re.search(r'name="after" value="1"', page)
    form = {"message": "Second release", "after": "1"}
    first = client.post("/en/manage/countries/ZMB/publish", data=form)
    assert first.status_code == 303
    assert first.headers["Location"].endswith("/en/countries/ZMB/publications/2")
    # The same form again (a double click, or a second reviewer who opened the page before):
    # refused with a message, no publication 3 of the same working copy.
    again = client.post("/en/manage/countries/ZMB/publish", data=form)
    assert again.status_code == 409
    assert "Someone else published this country" in again.get_data(as_text=True)
    session.expire_all()
    numbers = session.exec(select(Publication.number).order_by(Publication.number)).all()
    assert numbers == [1, 2]
    # A tampered value is refused; a page opened after publication 2 publishes 3.
    for bad in ("-1", "x", "1.0", "²", "9" * 12):
        assert client.post("/en/manage/countries/ZMB/publish",
                           data={**form, "after": bad}).status_code == 422  # fmt: skip
    rename(session, instrument.id, "Environmental Management Act, No. 12 of 2011")
    session.rollback()
    assert client.post("/en/manage/countries/ZMB/publish",
                       data={**form, "after": "2"}).status_code == 303  # fmt: skip


def test_publishing_what_the_latest_publication_already_says_is_refused(
    client, session, sign_in, world, make_checklist
):
    """A publication that would repeat the latest one (the same record, checklist version and
    figures) is refused with a message, and nothing is written; a change to the record, or a
    new current checklist version, is something new to publish."""
    from tracker.write import versions

    staff, instrument = world
    publish(session, staff.zmb)
    session.rollback()
    sign_in(staff.admin)
    form = {"message": "Nothing new", "after": "1"}
    same = client.post("/en/manage/countries/ZMB/publish", data=form)
    assert same.status_code == 409
    assert ("Nothing has changed since publication 1: the record, its checklist version and its "
            "figures are the same, so there is nothing new to publish.") in same.text
    session.expire_all()
    assert session.exec(select(Publication.number)).all() == [1]
    # A change to the working copy: publication 2.
    rename(session, instrument.id, "Environmental Management Act, 2011")
    session.rollback()
    assert client.post("/en/manage/countries/ZMB/publish", data=form).status_code == 303
    # A new checklist version made current (the record itself unchanged): publication 3.
    with write.transaction(session):
        draft = versions.create_draft(session, "T.2", "Second version", changes.DEMO_DATA)
    with write.transaction(session):
        versions.make_current(session, draft, changes.DEMO_DATA, expected_version=draft.version)
    session.rollback()
    moved = client.post("/en/manage/countries/ZMB/publish", data={**form, "after": "2"})
    assert moved.status_code == 303
    session.expire_all()
    assert session.exec(select(Publication.number).order_by(Publication.number)).all() == [1, 2, 3]


def test_publications_are_numbered_per_country(session, world):
    staff, _ = world
    assert [publish(session, staff.zmb).number for _ in range(2)] == [1, 2]
    assert publish(session, staff.rwa).number == 1


def test_a_publication_is_final_whatever_path_tries_to_change_it(session, world):
    staff, _ = world
    made = publish(session, staff.zmb)
    attempts = [
        lambda: setattr(made, "message", "rewritten") or session.flush(),
        lambda: session.delete(made) or session.flush(),
        lambda: session.execute(sa.update(Publication).values(message="rewritten")),
        lambda: session.execute(sa.delete(Publication)),
        lambda: session.execute(Publication.__table__.update().values(number=9)),
        lambda: session.execute(sa.text("UPDATE publication SET message = 'x'")),
        lambda: session.execute(sa.text("  delete from publication")),
    ]
    for attempt in attempts:
        with pytest.raises(PublicationIsFinal):
            with write.transaction(session):
                attempt()
        session.expire_all()
    assert session.get(Publication, made.id).message == "First publication"


def test_the_snapshot_holds_every_record_table_with_every_column(session, world):
    staff, instrument = world
    made = publish(session, staff.zmb)
    names = {t.name for t in record.snapshot_tables()}
    assert {"country", "instrument", "instrument_title", "instrument_relation", "coverage",
            "coverage_link", "milestone", "text_translation"} <= names  # fmt: skip
    assert not names & record.PRIVATE
    tables = made.snapshot["tables"]
    assert set(tables) == names
    [inst] = tables["instrument"]
    assert set(inst) == {c.name for c in instrument.__table__.c}
    assert inst["title"] == "Environmental Management Act"
    assert [c["iso3"] for c in tables["country"]] == ["ZMB"]
    assert made.figures["iso3"] == "ZMB" and "legal_in_force" in made.figures


def test_the_review_page_shows_a_readable_diff_against_the_last_publication(
    client, session, sign_in, world
):
    staff, instrument = world
    provision = session.exec(select(Provision).order_by(Provision.position)).first()
    publish(session, staff.zmb)
    with write.transaction(session):
        changes.update(session, instrument, changes.DEMO_DATA, {"title": "E-waste Regulations 2025"},
                       expected_version=instrument.version)  # fmt: skip
        changes.create(session, Coverage(country_id=staff.zmb.id, provision_id=provision.id,
                       implementation=Implementation.OPERATIONAL), changes.DEMO_DATA)  # fmt: skip
    sign_in(staff.admin)
    page = client.get("/en/manage/countries/ZMB/review").get_data(as_text=True)
    assert "Compared with publication 1" in page
    # Labels and titles, not column names, codes and ids.
    assert "Title in the original language" in page
    assert "Environmental Management Act" in page and "E-waste Regulations 2025" in page
    assert f"{provision.code} Provision 1" in page
    assert "Operational" in page and "operational" not in page.replace("Operational", "")
    assert "provision_id" not in page


def test_the_review_diff_shows_a_date_at_its_precision_in_one_line(client, session, sign_in, world):
    """A date and its precision are one fact: "Joined the project on: 1 Dec 2023 → June 2023",
    never a separate "Joined on precision: day → month" line."""
    from datetime import date

    staff, _instrument = world
    with write.transaction(session):
        changes.update(session, staff.zmb, changes.DEMO_DATA,
                       {"joined_on": date(2023, 12, 1), "joined_on_precision": "day"},
                       expected_version=staff.zmb.version)  # fmt: skip
    publish(session, staff.zmb)
    with write.transaction(session):
        changes.update(session, staff.zmb, changes.DEMO_DATA,
                       {"joined_on": date(2023, 6, 1), "joined_on_precision": "month"},
                       expected_version=staff.zmb.version)  # fmt: skip
    sign_in(staff.admin)
    text = words(client.get("/en/manage/countries/ZMB/review").get_data(as_text=True))
    assert "Joined the project on Dec 1, 2023 → June 2023" in text, text
    assert "precision" not in text.lower()


def test_the_review_diff_names_languages_in_the_readers_language(client, session, sign_in, world):
    from tracker.models import InstrumentTitle

    staff, instrument = world
    publish(session, staff.zmb)
    with write.transaction(session):
        changes.create(session, InstrumentTitle(instrument_id=instrument.id, locale="fr",
                       title="Loi sur la gestion de l'environnement"), changes.DEMO_DATA)  # fmt: skip
    sign_in(staff.admin)
    english = words(client.get("/en/manage/countries/ZMB/review").get_data(as_text=True))
    assert "Language French" in english, english
    spanish = words(client.get("/es/manage/countries/ZMB/review").get_data(as_text=True))
    assert "francés" in spanish


def test_the_public_list_detail_and_feeds(client, session, world):
    staff, instrument = world
    publish(session, staff.zmb, "First release")
    with write.transaction(session):
        changes.update(session, instrument, changes.DEMO_DATA, {"year": 2019},
                       expected_version=instrument.version)  # fmt: skip
    publish(session, staff.zmb, "Corrects the year of the Act")
    listing = client.get("/en/countries/ZMB/publications")
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    assert text.index("Corrects the year of the Act") < text.index("First release")  # newest first
    detail = client.get("/en/countries/ZMB/publications/2").get_data(as_text=True)
    assert "What changed since publication 1" in detail
    assert "Year 2024 → 2019" in words(detail), words(detail)
    assert "How to cite this publication" in detail and "/en/countries/ZMB/publications/2" in detail
    assert client.get("/en/countries/ZMB/publications/3").status_code == 404
    assert client.get("/en/countries/XYZ/publications").status_code == 404
    assert client.get("/en/countries/RWA/publications").status_code == 200

    for url, entries in (("/en/feed.atom", 2), ("/en/countries/ZMB/feed.atom", 2),
                         ("/en/countries/RWA/feed.atom", 0)):  # fmt: skip
        answer = client.get(url)
        assert answer.status_code == 200 and answer.mimetype == "application/atom+xml"
        feed = etree.fromstring(answer.data)
        assert_valid_atom(feed)
        assert len(feed.findall(f"{ATOM}entry")) == entries
    feed = etree.fromstring(client.get("/fr/countries/ZMB/feed.atom").data)
    first = feed.find(f"{ATOM}entry")
    assert first.findtext(f"{ATOM}summary") == "Corrects the year of the Act"
    assert first.find(f"{ATOM}link").get("href").endswith("/fr/countries/ZMB/publications/2")


def words(html: str) -> str:
    """The page's text without tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace(" :", ":").split()).replace(" :", ":")


def assert_valid_atom(feed) -> None:
    """RFC 4287's requirements: a feed and each entry have exactly one id, title and updated
    (RFC 3339); the feed has an author (or every entry has); each entry has a link."""
    from datetime import datetime

    assert feed.tag == f"{ATOM}feed"
    for element in (feed, *feed.findall(f"{ATOM}entry")):
        for name in ("id", "title", "updated"):
            found = element.findall(f"{ATOM}{name}")
            assert len(found) == 1 and found[0].text, (element.tag, name)
        datetime.fromisoformat(element.findtext(f"{ATOM}updated"))
        assert element.findtext(f"{ATOM}id").startswith("tag:")
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    for entry in feed.findall(f"{ATOM}entry"):
        assert entry.find(f"{ATOM}link").get("href")


def test_the_workspace_says_what_changed_since_the_last_publication(
    client, session, sign_in, world
):
    staff, instrument = world
    sign_in(staff.editor_zmb)
    assert "Nothing published yet." in client.get("/en/manage/countries/ZMB").get_data(as_text=True)
    publish(session, staff.zmb)
    assert review_state(client) == "Published"
    with write.transaction(session):
        changes.update(session, instrument, changes.DEMO_DATA, {"year": 2019},
                       expected_version=instrument.version)  # fmt: skip
    page = client.get("/en/manage/countries/ZMB").get_data(as_text=True)
    assert "1 change since the last publication" in page
    assert review_state(client) == ReviewState.EDITING.label


def review_state(client) -> str:
    page = client.get("/en/manage/countries/ZMB").get_data(as_text=True)
    return page.split('State:</', 1)[0] and page.split("State:", 1)[1].split('class="tag">', 1)[1].split("<", 1)[0]


# --- the public side serves publications (issue 12, step 2) ------------------------------------


def test_draft_edits_are_invisible_on_pages_exports_and_api_until_published(
    client, session, world, publish
):
    staff, instrument = world
    zambia = staff.zmb
    publish(zambia)
    with write.transaction(session):
        changes.update(session, instrument, changes.DEMO_DATA,
                       {"title": "Draft title nobody reviewed"},
                       expected_version=instrument.version)  # fmt: skip
    urls = ["/en/", "/en/countries/ZMB", f"/en/instruments/{instrument.id}",
            "/exports/instruments.csv", "/api/v1/countries/ZMB"]  # fmt: skip
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200, url
        text = answer.get_data(as_text=True)
        assert "Draft title nobody reviewed" not in text, url
    assert "Environmental Management Act" in client.get("/en/countries/ZMB").get_data(as_text=True)
    publish(zambia, message="Renames the Act")
    for url in urls[1:]:
        assert "Draft title nobody reviewed" in client.get(url).get_data(as_text=True), url


def test_a_country_with_no_publication_says_so_and_shows_no_figures(client, world, publish):
    staff, instrument = world
    publish(staff.zmb)  # Rwanda stays unpublished
    overview = client.get("/en/").get_data(as_text=True)
    assert "Not published yet" in overview and "/en/countries/RWA" in overview
    page = client.get("/en/countries/RWA")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Nothing has been published for this country yet." in text
    assert "Legal coverage in force" not in text
    assert [r["iso3"] for r in csv_rows(client.get("/exports/countries.csv"))] == ["ZMB"]
    assert [c["iso3"] for c in client.get("/api/v1/countries").get_json()["countries"]] == ["ZMB"]
    api = client.get("/api/v1/countries/RWA")
    assert api.status_code == 404 and "no publication yet" in api.get_data(as_text=True)
    assert client.get("/en/countries/XYZ").status_code == 404


def csv_rows(answer) -> list[dict]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_demo_has_three_dated_example_publications_per_country_and_one_pending_review(
    client, demo_data, session
):
    from tracker.models import Country, Review

    found = session.exec(select(Publication).order_by(Publication.id)).all()
    by_country: dict[int, list] = {}
    for pub in found:
        by_country.setdefault(pub.country_id, []).append(pub)
    assert len(by_country) == len(session.exec(select(Country)).all()) == 3
    for pubs in by_country.values():
        assert [p.number for p in pubs] == [1, 2, 3]
        assert all(p.is_example and p.message.startswith("Example data") for p in pubs)
        assert pubs[0].published_at.date().isoformat() == "2025-01-31"
        assert pubs[2].published_at > pubs[1].published_at > pubs[0].published_at
    [pending] = session.exec(select(Review)).all()
    assert pending.state == ReviewState.SUBMITTED
    assert session.get(Country, pending.country_id).iso3 == "PRY"
    listing = client.get("/en/countries/PRY/publications").get_data(as_text=True)
    assert "Example data" in listing and "January 31, 2025" in listing


def test_a_reviewer_picks_the_provision_of_a_comment_from_a_list(client, session, sign_in, world):
    """The comment form lists the provisions by code and title, those changed since the last
    publication first; a code that names no provision is refused with a message."""
    staff, _instrument = world
    first, second = session.exec(select(Provision).order_by(Provision.position)).all()
    publish(session, staff.zmb)
    with write.transaction(session):
        changes.create(session, Coverage(country_id=staff.zmb.id, provision_id=second.id,
                       implementation=Implementation.OPERATIONAL), changes.DEMO_DATA)  # fmt: skip
    with write.transaction(session):
        review.submit(session, staff.zmb, changes.DEMO_DATA, "Please review.")
    codes = (first.code, second.code)
    sign_in(staff.admin)
    page = client.get("/en/manage/countries/ZMB/review").get_data(as_text=True)
    form = page.split('<select id="comment-provision" name="provision">')[1].split("</select>")[0]
    changed = form.split('label="Changed since the last publication">')[1].split("</optgroup>")[0]
    assert re.findall(r'value="([^"]+)"', changed) == [second.code]
    every = form.split('label="Every provision">')[1].split("</optgroup>")[0]
    assert re.findall(r'value="([^"]+)"', every) == list(codes)
    assert f'<option value="{first.code}">{first.code} Provision 1</option>' in every
    assert '<option value="">The whole record</option>' in form

    refused = client.post("/en/manage/countries/ZMB/comment",
                          data={"comment": "Which article?", "provision": "NOPE-99"})  # fmt: skip
    assert refused.status_code == 422
    assert "No provision of the current checklist has the code NOPE-99" in refused.get_data(
        as_text=True)  # fmt: skip
    assert session.exec(
        select(ReviewComment).where(ReviewComment.kind == CommentKind.COMMENT)
    ).all() == []
    session.rollback()  # (reading an expired attribute afterwards would open a read again)
    assert client.post("/en/manage/countries/ZMB/comment",
                       data={"comment": "Which article?", "provision": codes[1].lower()}
                       ).status_code == 303  # fmt: skip
    [saved] = session.exec(select(ReviewComment).where(ReviewComment.kind == CommentKind.COMMENT))
    assert saved.provision_code == codes[1]
