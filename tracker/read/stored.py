"""What the exports read as stored with the publications (issue 14): countries.csv's row of each
publication (``models.PublicationFigures``) and the other exports' rows of each country
(``models.PublicationPiece``, zlib data of the CSV text, ``PIECE_LEVEL``).

A publication's row of countries.csv is a function of three things: the publication (which never
changes), the shared tables (the checklist versions and their texts, whose state
``tracker.write.replica.shared_stamp`` sums up) and the code that scores it. ``basis`` names the
last two in 64 characters, so a row stored under the current basis is the row the read layer
would compute now, on any worker of any instance. A change to the checklist or a deployment of
other code gives another basis: the rows are computed again (once, by the first worker that needs
them) rather than served stale.

The code's part is the SHA-256 of every Python file of the ``tracker`` package and of the
versions of Python and of the libraries that shape a row (Babel's country names, SQLAlchemy's
reading of the values), not a version number someone must remember to raise: any change to the
code or to those computes the figures again, even one that could not move them, which costs one
computation per deployment.

A country's rows of an export written a country at a time depend on nothing else: not on the
other countries, the language or the options of the download (the header alone carries the byte
order mark), so one stored text serves every download that holds the country. The rows that
belong to no country (checklist.csv's, the project's timeline in milestones.csv) depend on the
shared tables and the code alone, so the same basis names them (``models.SharedPiece``).
"""

import functools
import hashlib
import secrets
import sys
from collections.abc import Collection
from pathlib import Path

import babel
import sqlalchemy as sa
from sqlmodel import Session

from tracker.models import PublicationFigures, PublicationPiece, SharedPiece

_TABLE = PublicationFigures.__table__
_PIECES = PublicationPiece.__table__
_SHARED = SharedPiece.__table__
# zlib's fastest level, as the export cache keeps a large body (tracker.web.exportcache)
PIECE_LEVEL = 1


@functools.cache
def code_fingerprint() -> str:
    """SHA-256 of the tracker package's Python files (their paths and bytes) and of the versions
    of Python, Babel and SQLAlchemy (3 ms). Where the sources cannot be read, a token of this
    process alone: rows are then shared by no other process, which is slower but never stale."""
    package = Path(__file__).resolve().parent.parent
    versions = (sys.version, babel.__version__, sa.__version__)
    digest = hashlib.sha256("\n".join(versions).encode() + b"\0")
    files = sorted(package.rglob("*.py"))
    for path in files:
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest() if files else secrets.token_hex(32)


def basis(stamp: str) -> str:
    """The basis of figures computed now on shared tables of this ``stamp``."""
    return hashlib.sha256(f"{code_fingerprint()}\n{stamp}".encode()).hexdigest()


def figures_of(session: Session, publication_ids: Collection[int], on: str) -> dict[int, dict]:
    """The rows stored for these publications on basis ``on`` (publication id -> record; 1
    query, none when none is asked)."""
    if not publication_ids:
        return {}
    query = sa.select(_TABLE.c.publication_id, _TABLE.c.figures).where(
        _TABLE.c.basis == on, _TABLE.c.publication_id.in_(sorted(publication_ids))
    )
    return {pid: values for pid, values in session.connection().execute(query)}


def pieces_of(
    session: Session, export: str, publication_ids: Collection[int], on: str
) -> dict[int, bytes]:
    """An export's rows stored for these publications on basis ``on`` (publication id -> zlib
    data of the CSV text; 1 query, none when none is asked)."""
    if not publication_ids:
        return {}
    query = sa.select(_PIECES.c.publication_id, _PIECES.c.rows).where(
        _PIECES.c.export == export, _PIECES.c.basis == on,
        _PIECES.c.publication_id.in_(sorted(publication_ids)),
    )  # fmt: skip
    return {pid: bytes(rows) for pid, rows in session.connection().execute(query)}


def shared_piece_of(session: Session, export: str, on: str) -> bytes | None:
    """An export's rows of no country stored on basis ``on`` (zlib data of the CSV text), or
    None when nobody stored them (1 query)."""
    query = sa.select(_SHARED.c.rows).where(_SHARED.c.export == export, _SHARED.c.basis == on)
    found = session.connection().execute(query).scalar_one_or_none()
    return None if found is None else bytes(found)
