"""Password hashing with Argon2id (argon2-cffi's defaults follow RFC 9106's recommendation), and
where a sign-in may send someone afterwards (``safe_next``)."""

import hashlib
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; never raises for a wrong or malformed hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_fingerprint(password_hash: str) -> str:
    """A short digest of a password hash: it changes with the password, and reveals nothing of it.

    Staff sessions keep it to end when the password changes (``tracker.write.sessions``); history
    keeps it instead of the hash (``tracker.write.changes``).
    """
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


def password_problem(password: str) -> str | None:
    """A reason the password is unacceptable, in English for the CLI; None when it is fine."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password must be at least {MIN_PASSWORD_LENGTH} characters long"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password must be at most {MAX_PASSWORD_LENGTH} characters long"
    if "\x00" in password:
        return "the password must not contain NUL characters"
    return None


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no //host, /\\host, scheme or host)."""
    if not target or len(target) > 2000:
        return None
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
