"""Review and publication of a country's working copy (issue 12).

    submit   an editor (or an administrator) asks for review, with a message
    comment  the reviewer notes something, on one provision or on the whole record
    give_back the reviewer returns the working copy with a comment (``return`` is a keyword)
    answer   the editor answers one comment
    publish  freeze the working copy as the country's next publication, in one transaction

A publication is only ever inserted: its rows are refused any UPDATE or DELETE however it is
attempted (``tracker.models.PublicationIsFinal``). Numbers run 1, 2, ... per country; the
database's unique (country, number) pair settles two publications made at the same moment
(the second is refused with ``PublishConflict``). Like every write function, these only flush;
the caller's ``tracker.write.transaction`` commits.
"""

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from tracker.codes import ChangeAction, CommentKind, ReviewState
from tracker.i18n import DEFAULT_LOCALE
from tracker.models import (
    ChangeRecord,
    Country,
    Publication,
    PublicationFigures,
    PublicationPiece,
    Review,
    ReviewComment,
    SharedPiece,
    utcnow,
)
from tracker.read import figures, loaders, publications, rows, stored
from tracker.write import changes, record, replica
from tracker.write.changes import Actor


class ReviewRefused(Exception):
    """The step does not apply now (nothing to review, already submitted...); nothing written."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class PublishConflict(Exception):
    """Someone else published this country at the same moment; nothing was written."""


class NothingToPublish(Exception):
    """The working copy would be frozen exactly as the latest publication (``number``): the same
    record, checklist version and figures; nothing was written."""

    def __init__(self, number: int):
        super().__init__(number)
        self.number = number


def open_review(session: Session, country_id: int) -> Review | None:
    """The country's review in progress (submitted or returned), if any (1 query)."""
    return session.exec(
        select(Review)
        .where(Review.country_id == country_id, Review.publication_id.is_(None))
        .order_by(Review.id.desc())
    ).first()


def _entry(
    session: Session,
    review: Review,
    actor: Actor,
    kind: CommentKind,
    body: str,
    provision_code: str | None = None,
    reply_to: ReviewComment | None = None,
    at: datetime | None = None,
) -> ReviewComment:
    entry = ReviewComment(
        review_id=review.id,
        at=at or utcnow(),
        user_id=actor.user_id,
        author=actor.email,
        kind=kind,
        provision_code=provision_code,
        reply_to_id=reply_to.id if reply_to is not None else None,
        body=body,
    )
    return changes.create(session, entry, actor)


def _move(session: Session, review: Review, actor: Actor, values: dict, reason: str) -> None:
    """Change the review's state, refused with ``reason`` when another step changed the review
    since it was read (two returns, or two submits of a returned copy, at the same moment: the
    second was a server error)."""
    try:
        changes.update(session, review, actor, values, expected_version=None)
    except (changes.StaleVersion, changes.RecordGone) as exc:
        raise ReviewRefused(reason) from exc


def submit(session: Session, country: Country, actor: Actor, message: str) -> Review:
    """Ask for review of the working copy; a returned review goes back to the reviewer."""
    review = open_review(session, country.id)
    if review is not None and review.state == ReviewState.SUBMITTED:
        raise ReviewRefused("submitted")
    if review is None:
        # Another submit at the same moment may open the country's review first: the unique
        # index on open reviews refuses the second, which is then told it is waiting already.
        try:
            with session.begin_nested():
                review = changes.create(session, Review(country_id=country.id), actor)
        except sa.exc.IntegrityError as exc:
            raise ReviewRefused("submitted") from exc
    else:
        _move(session, review, actor, {"state": ReviewState.SUBMITTED}, "submitted")
    _entry(session, review, actor, CommentKind.SUBMITTED, message)
    return review


def comment(
    session: Session, country: Country, actor: Actor, body: str, provision_code: str | None
) -> ReviewComment:
    """A reviewer's note on the working copy under review (on one provision, or on all)."""
    review = open_review(session, country.id)
    if review is None:
        raise ReviewRefused("not_submitted")
    return _entry(session, review, actor, CommentKind.COMMENT, body, provision_code)


def give_back(session: Session, country: Country, actor: Actor, body: str) -> Review:
    """Return the working copy to its editors with a comment (the review stays open)."""
    review = open_review(session, country.id)
    if review is None or review.state != ReviewState.SUBMITTED:
        raise ReviewRefused("not_submitted")
    _move(session, review, actor, {"state": ReviewState.RETURNED}, "changed")
    _entry(session, review, actor, CommentKind.RETURNED, body)
    return review


def answer(session: Session, entry: ReviewComment, actor: Actor, body: str) -> ReviewComment:
    """The editor's answer to one entry of the review in progress."""
    review = session.get(Review, entry.review_id)
    if review is None or review.publication_id is not None:
        raise ReviewRefused("closed")
    return _entry(session, review, actor, CommentKind.ANSWER, body, entry.provision_code, entry)


@dataclass(frozen=True)
class Frozen:
    """What a publication freezes: the record's rows and the figures computed from them."""

    snapshot: dict
    figures: dict
    checklist_id: int | None
    checklist_code: str | None


def working_copy_diff(
    session: Session, country_id: int, latest, locale: str = DEFAULT_LOCALE
) -> publications.Diff:
    """What changed in a country's working copy since its publication ``latest`` (a
    ``publications.PublicationInfo``; None: nothing published yet, so every row is new). Read only:
    the review page shows it whole, the workspace's "changed since publication" filter its
    provisions."""
    before = None
    if latest is not None:
        before = publications.snapshots(session, [latest.id])[latest.id]
    return publications.diff(session, before, record.dump(session, country_id), locale)


def last_deletion(session: Session, country_id: int) -> datetime | None:
    """When the country's record as it would be published now last lost a row (2 queries).

    A deleted row leaves no ``updated_at`` behind, only its change record, so a publication
    carries the date itself (``snapshot["deleted_at"]``) for its "last update". What counts is
    a deletion of a row the public could see, that is one the previous publication held (and,
    carried over, what that publication counted); before a first publication, every deletion
    recorded for the country, as on the working copy. A row added and deleted again between two
    publications never was public: its deletion changes nothing published."""
    previous = session.connection().execute(
        sa.select(Publication.__table__.c.snapshot)
        .where(Publication.__table__.c.country_id == country_id)
        .order_by(Publication.__table__.c.number.desc())
        .limit(1)
    ).scalar()
    query = sa.select(ChangeRecord.entity, ChangeRecord.entity_id, ChangeRecord.at).where(
        ChangeRecord.action == ChangeAction.DELETE, ChangeRecord.country_id == country_id
    )
    found = session.connection().execute(query).all()
    if previous is None:
        dates = [at for _e, _i, at in found]
    else:
        held = {(name, row.get("id")) for name, table in previous.get("tables", {}).items()
                for row in table}  # fmt: skip
        dates = [at for entity, entity_id, at in found if (entity, entity_id) in held]
        if previous.get("deleted_at"):
            dates.append(datetime.fromisoformat(previous["deleted_at"]))
    dates = [d if d.tzinfo else d.replace(tzinfo=UTC) for d in dates]
    return max(dates, default=None)


def frozen_figures(summary: figures.CountrySummary) -> dict:
    """A country's row of countries.csv as a publication freezes it and as its stored figures
    hold it (``tracker.read.stored``): JSON values, dates as ISO text."""
    return {k: record.encode(v) for k, v in rows.country_record(summary).items()}


def keep_figures(session: Session, on: str, rows_by_publication: Mapping[int, dict]) -> None:
    """Store countries.csv's rows of these publications (publication id -> ``frozen_figures``)
    as computed on basis ``on`` (``tracker.read.stored.basis``). A row another worker or
    instance stored first is left as it is (INSERT ... ON CONFLICT DO NOTHING): both computed
    the same row."""
    at = utcnow()
    _insert_missing(session, PublicationFigures.__table__,
                    [{"publication_id": pid, "basis": on, "figures": values, "computed_at": at}
                     for pid, values in sorted(rows_by_publication.items())])  # fmt: skip


def keep_pieces(
    session: Session, export: str, on: str, rows_by_publication: Mapping[int, bytes]
) -> None:
    """Store one export's rows of these publications (publication id -> the rows' CSV text,
    compressed: ``tracker.read.stored``) as written on basis ``on``. Rows another worker or
    instance stored first are left as they are: both wrote the same text."""
    at = utcnow()
    _insert_missing(session, PublicationPiece.__table__,
                    [{"publication_id": pid, "export": export, "basis": on, "rows": rows,
                      "computed_at": at} for pid, rows in sorted(rows_by_publication.items())])  # fmt: skip


def keep_shared_piece(session: Session, export: str, on: str, rows: bytes) -> None:
    """Store one export's rows of no country (the CSV text, compressed: ``tracker.read.stored``)
    as written on basis ``on``. Rows another worker or instance stored first are left as they
    are: both wrote the same text."""
    _insert_missing(session, SharedPiece.__table__,
                    [{"export": export, "basis": on, "rows": rows, "computed_at": utcnow()}])


# The tables of rows stored on a basis (``tracker.read.stored``): caches, each row computed again
# when it is missing.
STORED_TABLES = (PublicationFigures.__table__, PublicationPiece.__table__, SharedPiece.__table__)


def forget_other_bases(session: Session, on: str, *, dry_run: bool = False) -> dict[str, int]:
    """Delete the rows of ``STORED_TABLES`` stored on any basis but ``on`` (table name -> rows
    deleted; with ``dry_run``, the rows that would be, and nothing deleted). Rows of earlier
    code or of an earlier state of the checklist tables are never read again by this code; an
    instance still running other code computes and stores its own rows again. Changes nothing
    shown, so the data version does not move (``tracker.write.PRIVATE_TABLES``)."""
    counts = {}
    for table in STORED_TABLES:
        other = table.c.basis != on
        if dry_run:
            query = sa.select(sa.func.count()).select_from(table).where(other)
            counts[table.name] = session.connection().execute(query).scalar_one()
        else:
            counts[table.name] = session.connection().execute(sa.delete(table).where(other)).rowcount
    return counts


def _insert_missing(session: Session, table: sa.Table, values: list[dict]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING of these rows, on either database (none: nothing)."""
    if not values:
        return
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[
        session.get_bind().dialect.name
    ]
    session.connection().execute(insert(table).on_conflict_do_nothing(), values)


def freeze(session: Session, country_id: int) -> Frozen:
    """The working copy as a publication would freeze it (read only)."""
    checklist = loaders.current_checklist(session)
    snapshot = record.dump(session, country_id)
    deleted_at = last_deletion(session, country_id)
    if deleted_at is not None:
        snapshot["deleted_at"] = record.encode(deleted_at)
    # The figures of the working copy, computed where it lives (the replica of a snapshot gives
    # the same, tests/test_publication.py checks it), with the deletions the public saw.
    [summary] = figures.country_summaries(
        session, DEFAULT_LOCALE, [country_id], deletions={country_id: deleted_at}
    )
    return Frozen(snapshot, frozen_figures(summary), checklist.id if checklist else None,
                  checklist.code if checklist else None)  # fmt: skip


def freeze_snapshot(session: Session, snapshot: dict) -> Frozen:
    """A snapshot given as data with the figures it gives, computed by the read layer on a
    replica of it, exactly as the public pages compute them (the demo's earlier states go
    through here too)."""
    checklist = loaders.current_checklist(session)
    country_id = snapshot["country_id"]
    with replica.from_snapshots(session, [snapshot]).session() as frozen:
        [summary] = figures.country_summaries(frozen, DEFAULT_LOCALE, [country_id])
    return Frozen(snapshot, frozen_figures(summary), checklist.id if checklist else None,
                  checklist.code if checklist else None)  # fmt: skip


def publish(
    session: Session,
    country: Country,
    actor: Actor,
    message: str,
    *,
    at: datetime | None = None,
    is_example: bool = False,
    frozen: Frozen | None = None,
    after: int | None = None,
    unchanged: bool = True,
) -> Publication:
    """Freeze the working copy as the country's next publication and close its review.

    ``after`` is the number of the latest publication the reviewer saw (0: none): when another
    publication was made since, nothing is written (``PublishConflict``), so a publish form sent
    twice, or by two reviewers, makes one publication, not two of the same working copy.
    ``unchanged=False`` refuses (``NothingToPublish``) a publication that would repeat the
    latest one: the same record, checklist version and figures (a new checklist version or a
    change of method that moves the figures is something new to publish)."""
    last = session.exec(
        select(sa.func.max(Publication.number)).where(Publication.country_id == country.id)
    ).one()
    if after is not None and (last or 0) != after:
        raise PublishConflict(str(country.iso3))
    of_working_copy = frozen is None  # what is frozen is the record as it stands now
    frozen = frozen or freeze(session, country.id)
    if not unchanged and last:
        latest = session.exec(
            select(Publication.snapshot, Publication.figures, Publication.checklist_id).where(
                Publication.country_id == country.id, Publication.number == last
            )
        ).one()
        if tuple(latest) == (frozen.snapshot, frozen.figures, frozen.checklist_id):
            raise NothingToPublish(last)
    publication = Publication(
        country_id=country.id,
        number=(last or 0) + 1,
        checklist_id=frozen.checklist_id,
        checklist_code=frozen.checklist_code,
        published_at=at or utcnow(),
        published_by_id=actor.user_id,
        published_by=actor.email,
        message=message,
        is_example=is_example,
        snapshot=frozen.snapshot,
        figures=frozen.figures,
    )
    try:
        with session.begin_nested():
            session.add(publication)
            session.flush()
    except sa.exc.IntegrityError as exc:
        raise PublishConflict(str(country.iso3)) from exc
    # The row countries.csv will serve and, when the working copy is what is published, the rows
    # of the other exports, so that no worker computes them again (tracker.read.stored).
    on = stored.basis(replica.shared_stamp(session))
    keep_figures(session, on, {publication.id: frozen.figures})
    if of_working_copy:
        ref = loaders.country_ref(country, DEFAULT_LOCALE)
        for export, text in rows.country_texts(session, ref).items():
            data = zlib.compress(text.encode("utf-8"), stored.PIECE_LEVEL)
            keep_pieces(session, export, on, {publication.id: data})
    summary = f"{country.iso3} #{publication.number}"
    after = {"country_id": country.id, "number": publication.number, "message": message,
             "checklist_code": frozen.checklist_code}  # fmt: skip
    session.add(
        ChangeRecord(
            at=publication.published_at,
            user_id=actor.user_id,
            actor=actor.email,
            action=ChangeAction.CREATE,
            entity="publication",
            entity_id=publication.id,
            country_id=country.id,
            summary=summary,
            after=after,
        )
    )
    review = open_review(session, country.id)
    if review is not None:
        _move(session, review, actor,
              {"state": ReviewState.PUBLISHED, "publication_id": publication.id},
              "changed")  # fmt: skip
        _entry(session, review, actor, CommentKind.PUBLISHED, message, at=publication.published_at)
    session.flush()
    return publication
