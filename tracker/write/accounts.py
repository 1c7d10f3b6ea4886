"""Staff accounts: creating one, signing in, and the sign-in throttle's bookkeeping.

- ``create_user``: the command line and the users page share it. The password is hashed here
  (``tracker.security``); the account's creation is recorded in history like any other change,
  with the password hash replaced by its fingerprint.
- ``reserve_attempt``, ``authenticate``, ``record_success``: the sign-in, in the order the sign-in
  view calls them. The throttle counts attempts in the ``login_attempt`` table, per email address
  tried and per client address, so it holds across gunicorn workers and app instances. Each
  attempt is written before its password is checked and counts itself, so a burst of
  simultaneous attempts cannot overshoot the limit.

Nothing here reads the request: the view passes the email, the client address and the settings.
"""

from dataclasses import dataclass
from datetime import timedelta
from functools import cache

import sqlalchemy as sa
from sqlmodel import Session, select

from tracker import write
from tracker.codes import Role
from tracker.models import LoginAttempt, User, utcnow
from tracker.security import hash_password, needs_rehash, verify_password
from tracker.write import changes


def create_user(
    session: Session,
    actor: changes.Actor,
    *,
    email: str,
    password: str,
    role: Role,
    country_id: int | None = None,
) -> User:
    """Create a staff account (flushed, so it has its id). An administrator has no country.

    The caller has checked the email (normalised, not taken), the password rules and the country.
    """
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        country_id=country_id if role is Role.EDITOR else None,
    )
    return changes.create(session, user, actor)


# --- signing in ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Throttle:
    """At most this many failures per email address, and per client address, in the window."""

    max_per_account: int
    max_per_address: int
    window: timedelta
    enabled: bool = True


def reserve_attempt(dbs: Session, email: str, address: str, throttle: Throttle) -> int | None:
    """Count this sign-in before its password is checked: its id, or None when it is throttled.

    The attempt is written and committed first, and only then are the attempts in the window
    counted, this one included. Of any number of simultaneous attempts, the k-th to commit sees
    at least k rows, so no more than the limit ever reach the password check, however many
    workers or instances share the database and whatever its isolation level (a check-then-write
    lets every attempt of a burst see the same old count). A refused attempt removes its own row:
    being refused does not extend the wait. A checked one stays as the failure record, and a
    success clears the account's rows (``record_success``). Two transactions of its own.
    """
    now = utcnow()
    since = now - throttle.window
    with write.transaction(dbs):
        attempt_id = dbs.execute(
            sa.insert(LoginAttempt)
            .values(at=now, email=email[:254], address=address)
            .returning(LoginAttempt.id)
        ).scalar_one()
        dbs.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < since))
    if not throttle.enabled:
        return attempt_id
    # Ends with the read, before the (slow) password check: no lock is held during it.
    with write.transaction(dbs):
        by_account, by_address = dbs.execute(
            sa.select(
                sa.func.count().filter(LoginAttempt.email == email[:254]),
                sa.func.count().filter(LoginAttempt.address == address),
            ).where(
                sa.or_(LoginAttempt.email == email[:254], LoginAttempt.address == address),
                LoginAttempt.at >= since,
            )
        ).one()
        if by_account <= throttle.max_per_account and by_address <= throttle.max_per_address:
            return attempt_id
        dbs.execute(sa.delete(LoginAttempt).where(LoginAttempt.id == attempt_id))
    return None


def record_success(dbs: Session, user: User, password: str) -> None:
    """Clear the account's failures, note the sign-in time, upgrade an outdated hash (flushed).

    These are bookkeeping, not edits of the record: they bypass ``tracker.write.changes`` and
    leave the version alone, so a sign-in never makes someone's open edit form stale.
    """
    values = {"last_login_at": utcnow()}
    if needs_rehash(user.password_hash):
        values["password_hash"] = hash_password(password)
    dbs.execute(sa.delete(LoginAttempt).where(LoginAttempt.email == user.email))
    dbs.execute(sa.update(User.__table__).where(User.__table__.c.id == user.id).values(**values))
    for key, value in values.items():
        sa.orm.attributes.set_committed_value(user, key, value)


@cache
def _dummy_hash() -> str:
    return hash_password("not a real password, only for constant-time refusals")


def authenticate(dbs: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None (taking the same time either way).

    The lookup's transaction ends before the password is checked, so no lock (SQLite's write lock
    for a POST) is held during the deliberately slow hash.
    """
    with write.transaction(dbs):
        user = dbs.exec(select(User).where(User.email == email)).first()
    if user is None or not user.is_active:
        verify_password(_dummy_hash(), password)
        return None
    return user if verify_password(user.password_hash, password) else None
