"""Staff sessions kept in the database, so signing out ends them everywhere.

The session cookie (Flask's signed cookie, via Flask-Login) holds only a random token. Its row in
``staff_session`` is what makes it valid: on every instance, since they share the database.

- ``start`` at sign-in: a new row, and the token for the cookie (flushed: the sign-in view's
  transaction commits it with the rest of the sign-in).
- ``resolve`` on each request: the account, or None when the row is gone, has been idle longer
  than ``idle`` or exists longer than ``absolute``, the account is deactivated, or its password
  changed since sign-in. Dead rows are deleted as they are found.
- ``end`` at sign-out (flushed, in the view's transaction); ``end_all`` when an account is
  deactivated or gets a new password (called by ``tracker.write.changes`` in the same
  transaction as the change).

Nothing here reads the request: the views pass the token and the lifetimes.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from tracker import db, write
from tracker.models import StaffSession, User, utcnow
from tracker.security import password_fingerprint

# ``last_seen_at`` is written at most once a minute per session (idle times are minutes or more),
# so reading pages does not turn into a write per request.
TOUCH_EVERY = timedelta(seconds=60)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def start(dbs: Session, user: User, *, now: datetime | None = None) -> str:
    """A new session for ``user``; returns the token to put in the cookie."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    dbs.add(
        StaffSession(
            token_hash=token_hash(token),
            user_id=user.id,
            password_fingerprint=password_fingerprint(user.password_hash),
            created_at=now,
            last_seen_at=now,
        )
    )
    dbs.flush()
    return token


def resolve(
    dbs: Session,
    token: str,
    *,
    idle: timedelta,
    absolute: timedelta,
    now: datetime | None = None,
) -> User | None:
    """The active account signed in with ``token``, or None (and the dead row deleted)."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    row = dbs.exec(select(StaffSession).where(StaffSession.token_hash == token_hash(token))).first()
    if row is None:
        return None
    user = dbs.get(User, row.user_id)
    if (
        user is None
        or not user.is_active
        or row.password_fingerprint != password_fingerprint(user.password_hash)
        or now - row.last_seen_at >= idle
        or now - row.created_at >= absolute
    ):
        _write_if_possible(dbs, sa.delete(StaffSession).where(StaffSession.id == row.id))
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        _write_if_possible(
            dbs, sa.update(StaffSession).where(StaffSession.id == row.id).values(last_seen_at=now)
        )
    return user


def _write_if_possible(dbs: Session, statement) -> None:
    """Bookkeeping of a read, in a transaction of its own: on a database that is read-only or
    full for the moment, reading pages goes on (the session is judged all the same); saves answer
    503 as they do anyway. Inside a view's open transaction it is part of that one instead."""
    if write.is_open(dbs):
        dbs.execute(statement)
        return
    try:
        with write.transaction(dbs):
            dbs.execute(statement)
    except sa.exc.DBAPIError as error:
        if not db.is_unavailable(error):
            raise


def end(dbs: Session, token: str) -> None:
    """Sign out: the token's row goes, so no copy of the cookie works anywhere."""
    if token:
        dbs.execute(sa.delete(StaffSession).where(StaffSession.token_hash == token_hash(token)))


def end_all(dbs: Session, user_id: int) -> None:
    """Every session of an account ends (deactivation, new password)."""
    dbs.execute(sa.delete(StaffSession).where(StaffSession.user_id == user_id))


def purge_expired(
    dbs: Session, *, idle: timedelta, absolute: timedelta, now: datetime | None = None
) -> None:
    """Forget sessions nobody can use any more (called at each sign-in; no commit)."""
    now = now or utcnow()
    dbs.execute(
        sa.delete(StaffSession).where(
            sa.or_(StaffSession.last_seen_at <= now - idle, StaffSession.created_at <= now - absolute)
        )
    )
