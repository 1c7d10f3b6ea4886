"""Writes that meet: two requests at the same moment, each with its own client and session.

The requests run in threads against one database (a SQLite file, or PostgreSQL under
``scripts/test-postgres``). Where the order matters, an engine hook holds one request just before
its first write until the other has answered (bounded by a timeout: on SQLite the first request
holds the write lock, so the other one waits for it instead).
"""

import io
import re
import threading
import time
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select
from synthetic import run_together

from tracker.formats.tables import MILESTONES
from tracker.models import ChangeAction, ChangeRecord, Milestone

PAUSE_SECONDS = 2.0


class Hold:
    """Signals between a held request and the one that goes first."""

    def __init__(self):
        self.holding = threading.Event()  # the held request has read and is about to write
        self.done = threading.Event()  # the other request has answered
        self.released_in_time = None  # whether ``done`` came before the hold timed out

    def wait_until_holding(self):
        self.holding.wait(PAUSE_SECONDS)


def is_write(statement: str) -> bool:
    return statement.lstrip().split(" ", 1)[0].upper() in ("UPDATE", "INSERT", "DELETE")


@contextmanager
def held_before_first_write(engine, thread_name: str, hold: Hold, when=is_write):
    """Hold the thread ``thread_name`` before its first UPDATE/INSERT/DELETE (or first statement
    that ``when`` accepts) until ``hold.done``.

    On SQLite a request that may write holds the write lock from its ``BEGIN IMMEDIATE`` on: a
    ``BEGIN IMMEDIATE`` that another thread sends after it cannot return before the held request
    commits, so once one has been sent the hold ends there, with the two transactions in the
    same order as after a hold to its timeout (which is what a hold on SQLite used to be: 2 s
    idle per test). ``hold.released_in_time`` still says whether ``done`` came."""
    held = set()
    begins = []  # (thread name, DBAPI connection, IMMEDIATE?) for each BEGIN, in the order sent

    def queued_behind(connection) -> bool:
        """Another thread sent BEGIN IMMEDIATE after ``connection``'s own BEGIN IMMEDIATE."""
        sent = list(begins)
        mine = [i for i, (_name, conn, _immediate) in enumerate(sent) if conn is connection]
        if not mine or not sent[mine[-1]][2]:
            return False
        return any(immediate and name != thread_name for name, _c, immediate in sent[mine[-1] + 1:])

    def before(conn, cursor, statement, params, context, executemany):
        name = threading.current_thread().name
        words = statement.split(None, 2)
        if words and words[0].upper() == "BEGIN":
            begins.append((name, cursor.connection, words[1:2] == ["IMMEDIATE"]))
        if name == thread_name and name not in held and when(statement):
            held.add(name)
            hold.holding.set()
            deadline = time.monotonic() + PAUSE_SECONDS
            while not hold.done.wait(0.01) and time.monotonic() < deadline:
                if queued_behind(cursor.connection):
                    break
            hold.released_in_time = hold.done.is_set()

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
def two_editors(app, staff, sign_in):
    first, second = app.test_client(), app.test_client()
    sign_in(staff.editor_zmb, to=first)
    sign_in(staff.editor_zmb, to=second)
    return first, second


def test_editing_and_deleting_one_record_at_once_is_404_or_409_never_500(
    engine, staff, two_editors, make_milestone
):
    milestone_id = make_milestone(staff.zmb, title="Workshop").id
    editing, deleting = two_editors
    hold = Hold()

    def edit():
        return editing.post(
            f"/en/manage/milestones/{milestone_id}/edit",
            data={"title": "Renamed", "kind": "launch", "status": "planned", "version": "1"},
        )

    def delete():
        hold.wait_until_holding()
        try:
            return deleting.post(
                f"/en/manage/milestones/{milestone_id}/delete", data={"version": "1"}
            )
        finally:
            hold.done.set()

    # The edit has loaded the milestone and is about to write when the delete goes through.
    with held_before_first_write(engine, "edit", hold):
        results = run_together(("edit", edit), ("delete", delete))
    statuses = (results["edit"].status_code, results["delete"].status_code)
    with Session(engine) as fresh:
        stored = fresh.get(Milestone, milestone_id)
        actions = [r.action for r in fresh.exec(select(ChangeRecord).order_by(ChangeRecord.id))]
    if stored is None:
        # PostgreSQL: the delete won; the edit learns that the record is gone.
        assert statuses == (404, 303), statuses
        assert "Someone else deleted this record" in results["edit"].text
        assert actions == [ChangeAction.DELETE]
    else:
        # SQLite: the edit holds the write lock, so it wins and the delete sees a newer version.
        assert statuses == (303, 409), statuses
        assert stored.title == "Renamed" and stored.version == 2
        assert actions == [ChangeAction.UPDATE]


def test_deleting_one_record_twice_at_once_deletes_it_once(
    engine, staff, two_editors, make_milestone
):
    milestone_id = make_milestone(staff.zmb, title="Workshop").id
    first, second = two_editors
    hold = Hold()

    def delete(client, early=False):
        def job():
            if early:
                hold.wait_until_holding()
            try:
                return client.post(
                    f"/en/manage/milestones/{milestone_id}/delete", data={"version": "1"}
                )
            finally:
                if early:
                    hold.done.set()

        return job

    with held_before_first_write(engine, "late", hold):
        results = run_together(("late", delete(first)), ("early", delete(second, early=True)))
    # PostgreSQL: the early delete wins, the held one finds the record gone (404). SQLite: the
    # held one holds the write lock and wins, the other one waits, then finds nothing (404).
    statuses = sorted(r.status_code for r in results.values())
    assert statuses == [303, 404], statuses
    with Session(engine) as fresh:
        assert fresh.get(Milestone, milestone_id) is None
        assert [r.action for r in fresh.exec(select(ChangeRecord))] == [ChangeAction.DELETE]


CONFIRMS = 4


def test_one_import_confirmed_four_times_at_once_is_applied_once(app, engine, staff, sign_in):
    clients = [app.test_client() for _ in range(CONFIRMS)]
    for client in clients:
        sign_in(staff.editor_zmb, to=client)
    header = ",".join(c.name for c in MILESTONES.columns).encode()
    data = header + b"\r\n,ZMB,launch,Launch event,2027-01-15,,Lusaka,planned,,,,,project,en,\r\n"
    preview = clients[0].post(
        "/en/manage/import",
        data={"kind": "milestones", "country": "ZMB", "file": (io.BytesIO(data), "m.csv")},
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200, preview.text
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', preview.text).group(1)
    # Every confirmation has read the file and the country before any of them writes
    # (PostgreSQL); on SQLite the first one holds the write lock and the others wait for it.
    everyone_read = threading.Barrier(CONFIRMS, timeout=PAUSE_SECONDS)

    def before(conn, cursor, statement, params, context, executemany):
        name = threading.current_thread().name
        if name.startswith("confirm") and statement.lstrip()[:6].upper() in ("INSERT", "DELETE"):
            if name not in held:
                held.add(name)
                try:
                    everyone_read.wait()
                except threading.BrokenBarrierError:
                    pass

    held: set[str] = set()
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        results = run_together(
            *(
                (f"confirm{n}", lambda c=client: c.post(
                    "/en/manage/import/confirm", data={"token": token}))
                for n, client in enumerate(clients)
            )
        )
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    statuses = sorted(r.status_code for r in results.values())
    assert statuses == [303] + [409] * (CONFIRMS - 1), statuses
    for response in results.values():
        if response.status_code == 409:
            assert "This import was already applied (1 created, 0 changed)." in response.text
    with Session(engine) as fresh:
        created = fresh.exec(select(Milestone).where(Milestone.title == "Launch event")).all()
        records = fresh.exec(select(ChangeRecord)).all()
    assert len(created) == 1
    assert [(r.action, r.entity) for r in records] == [(ChangeAction.CREATE, "milestone")]


def test_a_large_dry_run_does_not_hold_the_write_lock(engine, staff, two_editors, make_milestone):
    """While one editor's import preview is reading, another editor's save goes through."""
    milestone_id = make_milestone(staff.zmb, title="Workshop").id
    previewing, saving = two_editors
    header = ",".join(c.name for c in MILESTONES.columns).encode()
    data = header + b"\r\n" + b",ZMB,launch,Launch,,,,planned,,,,,project,en,\r\n" * 200
    hold = Hold()

    def preview():
        return previewing.post(
            "/en/manage/import",
            data={"kind": "milestones", "country": "ZMB", "file": (io.BytesIO(data), "m.csv")},
            content_type="multipart/form-data",
        )

    def save():
        hold.wait_until_holding()
        try:
            return saving.post(
                f"/en/manage/milestones/{milestone_id}/edit",
                data={"title": "Renamed", "kind": "launch", "status": "planned", "version": "1"},
            )
        finally:
            hold.done.set()

    # The preview is held while it reads the country's milestones to plan the file.
    def reads_milestones(statement: str) -> bool:
        return statement.lstrip().upper().startswith("SELECT") and "FROM milestone" in statement

    with held_before_first_write(engine, "preview", hold, when=reads_milestones):
        results = run_together(("preview", preview), ("save", save))
    assert results["save"].status_code == 303, results["save"].text
    assert results["preview"].status_code == 200
    assert hold.released_in_time, "the save had to wait for the preview to finish"


def test_making_a_draft_current_while_discarding_it_is_one_or_the_other_never_5xx(
    app, engine, staff, sign_in, session, make_checklist, make_coverage
):
    from tracker import write
    from tracker.models import ChecklistVersion, Coverage, Provision
    from tracker.read import versions as version_read
    from tracker.write import changes, versions

    checklist = make_checklist(n=4)
    for provision in session.exec(select(Provision).where(Provision.checklist_id == checklist.id)):
        make_coverage(staff.zmb, provision)
    with write.transaction(session):
        draft = versions.create_draft(session, "T.2", "Draft", changes.DEMO_DATA)
    draft_id, loaded = draft.id, str(draft.version)
    content = version_read.fingerprint(session, draft_id)
    session.rollback()
    making, discarding = app.test_client(), app.test_client()
    sign_in(staff.admin, to=making)
    sign_in(staff.admin, to=discarding)
    hold = Hold()

    def make():
        hold.wait_until_holding()
        try:
            return making.post("/en/manage/checklist/versions/T.2/make-current",
                               data={"version": loaded, "content": content})  # fmt: skip
        finally:
            hold.done.set()

    def discard():
        return discarding.post(
            "/en/manage/checklist/versions/T.2/discard", data={"version": loaded}
        )

    # The discard has deleted the draft's provisions and is about to change the draft's own row
    # when the other admin makes the draft current. Taken in that order the two deadlocked on
    # PostgreSQL, and one of them answered 503 "the database cannot be reached".
    def at_the_drafts_row(statement: str) -> bool:
        return statement.lstrip().upper().startswith("UPDATE CHECKLIST_VERSION")

    with held_before_first_write(engine, "discard", hold, when=at_the_drafts_row):
        results = run_together(("discard", discard), ("make", make))
    statuses = {name: answer.status_code for name, answer in results.items()}
    with Session(engine) as fresh:
        stored = fresh.get(ChecklistVersion, draft_id)
        carried = fresh.exec(
            select(Coverage).join(Provision).where(Provision.checklist_id == draft_id)
        ).all()
    if stored is None:
        # The discard went first; the other admin learns that the draft is gone (404).
        assert statuses == {"discard": 303, "make": 404}, statuses
        assert carried == []
    else:
        assert statuses == {"discard": 409, "make": 303}, statuses
        assert stored.is_current and len(carried) == 4


def test_submitting_one_country_twice_at_once_opens_one_review(engine, staff, two_editors):
    from tracker.models import Review, ReviewComment

    late, early = two_editors
    hold = Hold()

    def submit(client, message, first=False):
        def job():
            if first:
                hold.wait_until_holding()
            try:
                return client.post("/en/manage/countries/ZMB/submit", data={"message": message})
            finally:
                if first:
                    hold.done.set()

        return job

    # The late one has found no review in progress and is about to open one when the early one
    # opens it. Both used to succeed: two reviews in progress, and publishing closed only one.
    with held_before_first_write(engine, "late", hold):
        results = run_together(
            ("late", submit(late, "Late")), ("early", submit(early, "Early", first=True))
        )
    # PostgreSQL: the early one wins. SQLite: the held one holds the write lock and wins.
    statuses = {name: answer.status_code for name, answer in results.items()}
    assert sorted(statuses.values()) == [303, 409], statuses
    [refused] = [answer for answer in results.values() if answer.status_code == 409]
    assert "already waiting for review" in refused.get_data(as_text=True)
    winner = "Early" if statuses["early"] == 303 else "Late"
    with Session(engine) as fresh:
        [opened] = fresh.exec(select(Review)).all()
        entries = fresh.exec(select(ReviewComment.body)).all()
        history = fresh.exec(select(ChangeRecord.entity)).all()
    assert opened.publication_id is None and entries == [winner]
    assert sorted(history) == ["review", "review_comment"]


@pytest.mark.parametrize(
    ("step", "refusal"),
    [
        # Read before the other return landed, or after it (then nothing is waiting any more).
        ("return", ("Someone else changed this record", "Nothing has been submitted")),
        ("submit", ("already waiting for review",)),
    ],
)
def test_one_review_step_taken_twice_at_once_is_409_never_500(
    app, engine, session, staff, sign_in, step, refusal
):
    from tracker import write
    from tracker.models import Review, ReviewComment
    from tracker.write import changes, review

    with write.transaction(session):
        review.submit(session, staff.zmb, changes.DEMO_DATA, "Please check")
    if step == "submit":  # a returned working copy, submitted again by two people at once
        with write.transaction(session):
            review.give_back(session, staff.zmb, changes.DEMO_DATA, "Which article?")
    session.rollback()
    first, second = app.test_client(), app.test_client()
    sign_in(staff.admin, to=first)
    sign_in(staff.admin, to=second)
    hold = Hold()

    def take(client, text, early=False):
        def job():
            if early:
                hold.wait_until_holding()
            try:
                return client.post(f"/en/manage/countries/ZMB/{step}",
                                   data={"message": text, "comment": text})  # fmt: skip
            finally:
                if early:
                    hold.done.set()

        return job

    with held_before_first_write(engine, "late", hold):
        results = run_together(
            ("late", take(first, "Late")), ("early", take(second, "Early", early=True))
        )
    statuses = sorted(answer.status_code for answer in results.values())
    assert statuses == [303, 409], statuses
    [refused] = [answer for answer in results.values() if answer.status_code == 409]
    assert any(text in refused.get_data(as_text=True) for text in refusal)
    with Session(engine) as fresh:
        [kept] = fresh.exec(select(Review)).all()
        bodies = fresh.exec(select(ReviewComment.body).order_by(ReviewComment.id)).all()
    # One step landed: one entry for it, and the review in the state it leads to.
    assert len([b for b in bodies if b in ("Late", "Early")]) == 1
    assert kept.state == ("returned" if step == "return" else "submitted")


@pytest.mark.parametrize("same_code", [False, True])
def test_two_drafts_created_at_once_make_one(
    app, engine, session, staff, sign_in, make_checklist, same_code
):
    from tracker.models import ChecklistVersion

    make_checklist(n=2)
    session.commit()
    first, second = app.test_client(), app.test_client()
    sign_in(staff.admin, to=first)
    sign_in(staff.admin, to=second)
    hold = Hold()

    def create(client, code, early=False):
        def job():
            if early:
                hold.wait_until_holding()
            try:
                return client.post("/en/manage/checklist/versions/new",
                                   data={"code": code, "title": "Next"})  # fmt: skip
            finally:
                if early:
                    hold.done.set()

        return job

    codes = ("T.2", "T.2") if same_code else ("T.2", "T.3")
    with held_before_first_write(engine, "late", hold):
        results = run_together(
            ("late", create(first, codes[0])), ("early", create(second, codes[1], early=True))
        )
    with Session(engine) as fresh:
        drafts = fresh.exec(select(ChecklistVersion.code).where(ChecklistVersion.is_draft)).all()
    assert len(drafts) == 1, drafts
    # The one that came second goes to the draft that exists (or is told its code is taken).
    answers = sorted((a.status_code, a.headers.get("Location", "")) for a in results.values())
    assert all(status in (303, 422) for status, _where in answers), answers
    for status, where in answers:
        assert status == 422 or where.endswith(f"/en/manage/checklist/versions/{drafts[0]}")
