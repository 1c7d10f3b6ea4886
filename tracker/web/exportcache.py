"""Finished CSV exports kept in memory, keyed by what the public reads (issue 14).

An export is the publications in force rendered as CSV: the same publications (and the same state
of the shared tables, and the same country list, options and language) give the same bytes. So
the first download of an export streams as always and, when it ends under ``max_entry_bytes``,
keeps the whole body under the key of the replica it was read from; a repeat download is then sent
from memory with its length, after the two queries that find the replica.

After a publication the key changes, but most of the body does not: an export written a country
at a time (``tracker.read.rows.TEXTS``) is its header, rows of no country, then each country's
rows, and a country's rows depend only on its publication and the shared tables. The body kept
last for the same export, options, language, countries and shared tables (its *family*) notes
where each country's rows lie and which publication they were read from: the next download
writes only the countries whose publication changed and copies the others' bytes (``Earlier``).

Never stale across instances: the key is read from the database at every request (the
publications in force and the stamp of the shared tables, ``tracker.web.published.replica``), so
after a publication on any instance the next download asks for a new key and streams again.
Memory stays flat whatever the size of an export: a body over ``max_entry_bytes`` is never held
(the stream stops collecting it), and the oldest bodies go first once ``max_bytes`` are kept; a
family refers to a kept body, never to a copy.
"""

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass

MAX_BYTES = 32 << 20  # every body kept, per process
MAX_ENTRY_BYTES = 4 << 20  # one body: about 25,000 rows of coverage.csv
CHUNK_BYTES = 1 << 16  # a streamed body is sent in writes of about this size


@dataclass(frozen=True)
class Earlier:
    """A kept body of an export written a country at a time: ``spans`` gives, for each country
    of the body, the byte range of its rows (a country with none has an empty range) and
    ``by_country`` the publication each was read from."""

    body: bytes
    by_country: Mapping[int, int]
    spans: Mapping[int, tuple[int, int]]

    def rows_of(self, country_id: int, publication_id: int | None) -> bytes | None:
        """The country's rows as kept, if they were read from this publication."""
        if publication_id is None or self.by_country.get(country_id) != publication_id:
            return None
        start, end = self.spans.get(country_id, (0, 0))
        return self.body[start:end]


class ExportCache:
    """The most recently used export bodies, by key. Thread-safe."""

    def __init__(self, max_bytes: int = MAX_BYTES, max_entry_bytes: int = MAX_ENTRY_BYTES):
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._families: dict[Hashable, tuple[Hashable, Earlier]] = {}  # family -> key, spans
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def earlier(self, family: Hashable) -> Earlier | None:
        """The last body of this family still kept, with where each country's rows lie."""
        with self._lock:
            found = self._families.get(family)
            if found is None or found[0] not in self._entries:
                return None
            return found[1]

    def keep(self, key: Hashable, chunks: Iterable[str]) -> Iterator[bytes]:
        """The chunks as UTF-8, streamed; the whole body is kept once the last chunk is sent, if
        it is not over ``max_entry_bytes`` (a download cut short keeps nothing)."""
        return self.keep_pieces(key, ((None, chunk) for chunk in chunks))

    def keep_pieces(
        self,
        key: Hashable,
        pieces: Iterable[tuple[int | None, str | bytes]],
        family: Hashable | None = None,
        by_country: Mapping[int, int] | None = None,
    ) -> Iterator[bytes]:
        """Pieces of a body (a country id or None, and its text or bytes) sent as UTF-8 in
        writes of about ``CHUNK_BYTES``; the whole body is kept as ``keep`` keeps it, and when
        ``family`` is given, also where each country's piece lies (``earlier``), the pieces
        having been read from the publications ``by_country``."""
        parts: list[bytes] | None = [] if self.max_entry_bytes > 0 else None
        spans: dict[int, tuple[int, int]] = {}
        size = 0
        pending: list[bytes] = []
        waiting = 0
        for country_id, piece in pieces:
            data = piece if isinstance(piece, bytes) else piece.encode("utf-8")
            if not data:
                continue
            if parts is not None:
                if country_id is not None:  # a country's pieces come one after another
                    start = spans[country_id][0] if country_id in spans else size
                    spans[country_id] = (start, size + len(data))
                size += len(data)
                if size > self.max_entry_bytes:
                    parts = None  # too large to keep: stop collecting
                else:
                    parts.append(data)
            pending.append(data)
            waiting += len(data)
            if waiting >= CHUNK_BYTES:
                yield b"".join(pending) if len(pending) > 1 else pending[0]
                pending.clear()
                waiting = 0
        if pending:
            yield b"".join(pending)
        if parts is not None:
            body = b"".join(parts)
            earlier = None
            if family is not None:
                earlier = Earlier(body, dict(by_country or {}), spans)
            self._put(key, body, family, earlier)

    def _put(
        self, key: Hashable, body: bytes, family: Hashable | None = None,
        earlier: Earlier | None = None,
    ) -> None:  # fmt: skip
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old)
            self._entries[key] = body
            self._size += len(body)
            if family is not None and earlier is not None:
                self._families[family] = (key, earlier)
            while self._entries and self._size > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped)
            # a family whose body went goes too (it would hold the body's bytes)
            for gone in [f for f, (k, _e) in self._families.items() if k not in self._entries]:
                del self._families[gone]

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        return self._size
