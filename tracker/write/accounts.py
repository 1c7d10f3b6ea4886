"""Staff accounts: creating one (the command line and the users page share it).

The password is hashed here (``tracker.security``); the account's creation is recorded in history
like any other change, with the password hash replaced by a fingerprint.
"""

from sqlmodel import Session

from tracker.codes import Role
from tracker.models import User
from tracker.security import hash_password
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
