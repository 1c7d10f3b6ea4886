"""A staff form is applied once: a double click, a resent request or the same form sent to two
instances at the same moment writes one comment, one instrument, one edit (its page carries a
one-time key; ``tracker.write.transaction(once=...)`` writes the key's receipt first)."""

import re
import threading
from datetime import timedelta

import pytest
from sqlmodel import Session, func, select
from synthetic import run_together

from tracker import create_app, write
from tracker.codes import CommentKind
from tracker.models import FormReceipt, Instrument, ReviewComment, utcnow
from tracker.write import changes, review

NEW_INSTRUMENT = "/en/manage/countries/ZMB/instruments/new"
TWICE = "This form was sent twice: it was saved once, and nothing more was changed."


def once_key(page: str) -> str:
    """The one-time key of the (first) form of a page."""
    [key, *_] = re.findall(r'<input type="hidden" name="once" value="([^"]+)">', page)
    return key


def instrument(title: str, key: str) -> dict:
    return {"title": title, "title_lang": "en", "type": "regulation", "status": "in_force",
            "once": key}  # fmt: skip


def count(session, model, *where) -> int:
    """Rows of ``model`` now (read in a session of its own: what the requests committed)."""
    with Session(session.get_bind()) as fresh:
        return fresh.exec(select(func.count()).select_from(model).where(*where)).one()


@pytest.fixture
def editor(client, sign_in, staff):
    sign_in(staff.editor_zmb)
    return staff


def test_a_new_instrument_sent_twice_is_saved_once(client, session, editor):
    key = once_key(client.get(NEW_INSTRUMENT).text)
    first = client.post(NEW_INSTRUMENT, data=instrument("E-waste Regulations", key))
    again = client.post(NEW_INSTRUMENT, data=instrument("E-waste Regulations", key),
                        follow_redirects=True)  # fmt: skip
    assert first.status_code == 303
    assert again.status_code == 200 and TWICE in again.text
    assert count(session, Instrument, Instrument.title == "E-waste Regulations") == 1


def test_a_form_changed_after_going_back_is_a_new_one(client, session, editor):
    """The browser's Back button shows the same page (the same key); what is sent after
    changing it is not the form sent before, so it is saved."""
    key = once_key(client.get(NEW_INSTRUMENT).text)
    assert client.post(NEW_INSTRUMENT, data=instrument("First act", key)).status_code == 303
    assert client.post(NEW_INSTRUMENT, data=instrument("Second act", key)).status_code == 303
    with Session(session.get_bind()) as fresh:
        titles = {i.title for i in fresh.exec(select(Instrument))}
    assert {"First act", "Second act"} <= titles


def test_each_page_has_its_own_key_and_a_form_without_one_is_applied_as_before(
    client, session, editor
):
    first, second = (once_key(client.get(NEW_INSTRUMENT).text) for _ in range(2))
    assert first != second and len(first) >= 32
    no_key = instrument("Sent by a script", "")
    del no_key["once"]
    for _ in range(2):
        assert client.post(NEW_INSTRUMENT, data=no_key).status_code == 303
    assert count(session, Instrument, Instrument.title == "Sent by a script") == 2


@pytest.mark.parametrize("hostile", ["x", "ü" * 20, "a" * 65, "' OR 1=1 --", "\x00" * 20])
def test_a_malformed_key_is_not_checked_and_breaks_nothing(client, session, editor, hostile):
    response = client.post(NEW_INSTRUMENT, data=instrument("Odd key", hostile))
    assert response.status_code in (303, 400)  # a NUL byte is refused before the view
    assert count(session, FormReceipt) == 0


def test_an_edit_sent_twice_is_saved_once_not_a_conflict(client, session, editor,
                                                         make_instrument):  # fmt: skip
    """The second sending of an edit used to answer 409 "someone else saved this record"
    (the version had moved: by the first sending)."""
    act = make_instrument(editor.zmb, title="Environmental Management Act")
    url = f"/en/manage/instruments/{act.id}/edit"
    page = client.get(url).text
    data = {**instrument("Environmental Management Act, 2011", once_key(page)),
            "version": str(act.version)}  # fmt: skip
    assert client.post(url, data=data).status_code == 303
    again = client.post(url, data=data, follow_redirects=True)
    assert again.status_code == 200 and TWICE in again.text
    with Session(session.get_bind()) as fresh:
        stored = fresh.get(Instrument, act.id)
    assert stored.title == "Environmental Management Act, 2011" and stored.version == 2


def test_a_review_comment_and_an_answer_sent_twice_are_saved_once(
    client, session, sign_in, staff, make_checklist
):
    make_checklist(n=2)
    with write.transaction(session):
        review.submit(session, staff.zmb, changes.DEMO_DATA, "Please review.")
    sign_in(staff.admin)
    page = client.get("/en/manage/countries/ZMB/review").text
    form = page[page.index('action="/en/manage/countries/ZMB/comment"'):]
    data = {"comment": "Which article?", "provision": "", "once": once_key(form)}
    for _ in range(2):
        assert client.post("/en/manage/countries/ZMB/comment", data=data).status_code == 303
    assert count(session, ReviewComment, ReviewComment.kind == CommentKind.COMMENT) == 1
    with Session(session.get_bind()) as fresh:
        [entry] = fresh.exec(select(ReviewComment).where(ReviewComment.kind == CommentKind.COMMENT))
    sign_in(staff.editor_zmb)
    page = client.get("/en/manage/countries/ZMB").text
    form = page[page.index('class="answer-form"'):]
    data = {"entry": str(entry.id), "comment": "Article 12.", "once": once_key(form)}
    for _ in range(2):
        assert client.post("/en/manage/countries/ZMB/answer", data=data).status_code == 303
    assert count(session, ReviewComment, ReviewComment.kind == CommentKind.ANSWER) == 1


def test_the_same_form_sent_to_two_instances_at_the_same_moment_is_saved_once(
    app, session, editor, sign_in
):
    """Two apps on one database stand for two instances behind a load balancer; the receipt's
    unique key, not anything in a process, decides."""
    other = create_app(dict(app.config))
    clients = [app.test_client(), other.test_client()]
    for c in clients:
        sign_in(editor.editor_zmb, to=c)
    key = once_key(clients[0].get(NEW_INSTRUMENT).text)
    start = threading.Barrier(2)

    def send(c):
        def job():
            start.wait()
            return c.post(NEW_INSTRUMENT, data=instrument("Sent at once", key)).status_code

        return job

    try:
        answers = run_together(*((n, send(c)) for n, c in enumerate(clients)))
    finally:
        other.extensions["engine"].dispose()
    assert list(answers.values()) == [303, 303]
    assert count(session, Instrument, Instrument.title == "Sent at once") == 1


def test_receipts_older_than_a_week_are_deleted_as_new_ones_arrive(engine):
    with Session(engine) as s, write.transaction(s):
        s.add(FormReceipt(key="k" * 40, at=utcnow() - timedelta(days=write.RECEIPT_DAYS, hours=1)))
        s.add(FormReceipt(key="j" * 40, at=utcnow() - timedelta(days=1)))
    with Session(engine) as s, write.transaction(s, once="n" * 40):
        pass
    with Session(engine) as s:
        assert sorted(r.key[0] for r in s.exec(select(FormReceipt))) == ["j", "n"]
    # The same key again: refused before the block runs, and nothing is written.
    ran = []
    with Session(engine) as s, pytest.raises(write.AlreadyApplied):
        with write.transaction(s, once="n" * 40):
            ran.append(1)
    assert ran == []


def test_a_receipt_is_no_public_data(engine, staff):
    """Writing a receipt moves neither the data version (every kept page would be rendered
    again) nor the stamp of the tables the public replicas are built from (every replica would
    be built again after any staff form)."""
    from tracker.models import DataVersion
    from tracker.write import replica

    with Session(engine) as s:
        before = (s.get(DataVersion, 1).value, replica.shared_stamp(s))
    with Session(engine) as s, write.transaction(s, once="r" * 40):
        pass
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(FormReceipt)).one() == 1
        assert (s.get(DataVersion, 1).value, replica.shared_stamp(s)) == before
