"""Finished CSV exports kept in memory, keyed by what the public reads (issue 14).

An export is the publications in force rendered as CSV: the same publications (and the same state
of the shared tables, and the same country list, options and language) give the same bytes. So
the first download of an export streams as always and, once its last byte is sent, keeps the
body under the key of the replica it was read from; a repeat download is then sent from memory
with its length, after the two queries that find the replica. A body up to ``max_entry_bytes``
is kept as it is; a larger one (a million rows of coverage.csv are 95 MB) is kept compressed a
piece at a time with zlib's fastest level, up to ``max_packed_bytes`` compressed, and sent
decompressed piece by piece.

After a publication the key changes, but most of the body does not: an export written a country
at a time (``tracker.read.rows.TEXTS``) is its header, rows of no country, then each country's
rows, and a country's rows depend only on its publication and the shared tables. The body kept
last for the same export, options, language, countries and shared tables (its *family*) notes
which publication each country's rows were read from: the next download reads only the
countries whose publication changed and copies the others' rows (``Kept.rows_of``).

Never stale across instances: the key is read from the database at every request (the
publications in force and the stamp of the shared tables, ``tracker.web.published.state``; read
again only when the data version moved since a request read them, ``published.AtVersion``), so
after a publication on any instance the next download asks for a new key and streams again.
Memory stays flat whatever the size of an export: what is held never passes ``max_bytes`` (the
oldest bodies go first), a body over its limit is never held (the stream stops collecting it),
and a family refers to a kept body, never to a copy.
"""

import threading
import zlib
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

MAX_BYTES = 48 << 20  # every body kept, per process (compressed ones at their compressed size)
MAX_ENTRY_BYTES = 4 << 20  # one body kept as it is: about 25,000 rows of coverage.csv
# One body kept compressed: make bench's million rows of coverage.csv (95 MB) take about 15 MB.
MAX_PACKED_BYTES = 24 << 20
CHUNK_BYTES = 1 << 16  # a body is sent in writes of about this size
# zlib's fastest level: measured here on make bench's exports, 370 MB/s to compress, 700 MB/s to
# decompress, to 10-18 % of the size.
LEVEL = 1


@dataclass(frozen=True)
class Kept:
    """A finished body: as it is (``body``), or as compressed pieces (``packed``: a country id
    or None, and the piece's zlib data), ``size`` bytes when sent; for an export written a
    country at a time, ``by_country`` gives the publication each country's rows were read from
    and ``spans`` where they lie (byte ranges of ``body``, or indexes into ``packed``)."""

    size: int
    body: bytes | None = None
    packed: tuple[tuple[int | None, bytes], ...] = ()
    by_country: Mapping[int, int] = field(default_factory=dict)
    spans: Mapping[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def held(self) -> int:
        """Bytes of memory the body takes."""
        if self.body is not None:
            return len(self.body)
        return sum(len(data) for _c, data in self.packed)

    def chunks(self) -> Iterator[bytes]:
        """The body in writes of about ``CHUNK_BYTES``."""
        if self.body is not None:
            yield self.body
            return
        yield from _joined(zlib.decompress(data) for _c, data in self.packed)

    def holds(self, country_id: int, publication_id: int | None) -> bool:
        """Whether the country's rows here were read from this publication."""
        return publication_id is not None and self.by_country.get(country_id) == publication_id

    def rows_of(self, country_id: int, publication_id: int | None) -> bytes | None:
        """The country's rows as kept, if they were read from this publication (``Copied``
        bytes, which also carry them compressed when they were kept so)."""
        if not self.holds(country_id, publication_id):
            return None
        start, end = self.spans.get(country_id, (0, 0))
        if self.body is not None:
            return self.body[start:end]
        packed = [data for _c, data in self.packed[start:end]]
        rows = Copied(b"".join(zlib.decompress(data) for data in packed))
        rows.packed = packed[0] if len(packed) == 1 else None
        return rows


class Copied(bytes):
    """A country's rows copied from a kept body, with their zlib data when the body held them
    compressed as one piece (``packed``): a body kept compressed again takes it as it is."""

    packed: bytes | None = None


def _joined(parts: Iterable[bytes]) -> Iterator[bytes]:
    pending: list[bytes] = []
    waiting = 0
    for data in parts:
        if not data:
            continue
        pending.append(data)
        waiting += len(data)
        if waiting >= CHUNK_BYTES:
            yield b"".join(pending) if len(pending) > 1 else pending[0]
            pending.clear()
            waiting = 0
    if pending:
        yield b"".join(pending)


def _compressed(data: bytes) -> bytes:
    """zlib data of ``data`` (the copy's own when it was kept compressed)."""
    packed = getattr(data, "packed", None)
    return packed if packed is not None else zlib.compress(data, LEVEL)


class _Collector:
    """The pieces of a body being sent, kept as they are until they pass ``plain`` bytes, then
    compressed until they pass ``packed`` compressed bytes, then dropped (``failed``)."""

    def __init__(self, plain: int, packed: int) -> None:
        self.plain, self.packed = plain, packed
        self.pieces: list[tuple[int | None, bytes]] = []
        self.spans: dict[int, tuple[int, int]] = {}
        self.size = 0  # bytes of the body so far
        self.held = 0  # bytes the kept pieces take
        self.compressed = False
        self.failed = plain <= 0 and packed <= 0

    def add(self, country_id: int | None, data: bytes) -> None:
        if self.failed:
            return
        self.size += len(data)
        if not self.compressed and self.size > self.plain:
            self.compressed = True
            self.pieces = [(c, _compressed(d)) for c, d in self.pieces]
            self.held = sum(len(d) for _c, d in self.pieces)
            self.spans = {}
            for i, (c, _d) in enumerate(self.pieces):
                if c is not None:
                    self.spans[c] = (self.spans[c][0] if c in self.spans else i, i + 1)
        if self.compressed:
            data = _compressed(data)
            start, end = len(self.pieces), len(self.pieces) + 1
        else:
            start, end = self.size - len(data), self.size
        if country_id is not None:  # a country's pieces come one after another
            start = self.spans[country_id][0] if country_id in self.spans else start
            self.spans[country_id] = (start, end)
        self.pieces.append((country_id, data))
        self.held += len(data)
        if self.held > (self.packed if self.compressed else self.plain):
            self.failed = True
            self.pieces.clear()

    def kept(self, by_country: Mapping[int, int] | None) -> Kept:
        spans = self.spans if by_country is not None else {}
        if self.compressed:
            return Kept(self.size, packed=tuple(self.pieces), by_country=by_country or {},
                        spans=spans)  # fmt: skip
        body = b"".join(data for _c, data in self.pieces)
        return Kept(self.size, body=body, by_country=by_country or {}, spans=spans)


class ExportCache:
    """The most recently used export bodies, by key. Thread-safe."""

    def __init__(
        self, max_bytes: int = MAX_BYTES, max_entry_bytes: int = MAX_ENTRY_BYTES,
        max_packed_bytes: int = MAX_PACKED_BYTES,
    ) -> None:  # fmt: skip
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self.max_packed_bytes = max_packed_bytes
        self._entries: OrderedDict[Hashable, Kept] = OrderedDict()
        self._families: dict[Hashable, Hashable] = {}  # family -> the key of its last body
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Kept | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def earlier(self, family: Hashable) -> Kept | None:
        """The last body of this family still kept, with the publications its rows came from."""
        with self._lock:
            key = self._families.get(family)
            return None if key is None else self._entries.get(key)

    def keep(self, key: Hashable, chunks: Iterable[str]) -> Iterator[bytes]:
        """The chunks as UTF-8, streamed; the whole body is kept once the last chunk is sent
        (a download cut short keeps nothing)."""
        return self.keep_pieces(key, ((None, chunk) for chunk in chunks))

    def keep_pieces(
        self,
        key: Hashable,
        pieces: Iterable[tuple[int | None, str | bytes]],
        family: Hashable | None = None,
        by_country: Mapping[int, int] | None = None,
    ) -> Iterator[bytes]:
        """Pieces of a body (a country id or None, and its text or bytes) sent as UTF-8 in
        writes of about ``CHUNK_BYTES``; the whole body is kept as ``keep`` keeps it and, when
        ``family`` is given, as the family's last, its pieces having been read from the
        publications ``by_country``."""
        collect = _Collector(self.max_entry_bytes, self.max_packed_bytes)

        def encoded() -> Iterator[bytes]:
            for country_id, piece in pieces:
                data = piece if isinstance(piece, bytes) else piece.encode("utf-8")
                if data:
                    collect.add(country_id, data)
                    yield data

        yield from _joined(encoded())
        if not collect.failed:
            kept = collect.kept(dict(by_country or {}) if family is not None else None)
            self._put(key, kept, family)

    def _put(self, key: Hashable, kept: Kept, family: Hashable | None = None) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old.held
            self._entries[key] = kept
            self._size += kept.held
            if family is not None:
                self._families[family] = key
            while self._entries and self._size > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._size -= dropped.held
            for gone in [f for f, k in self._families.items() if k not in self._entries]:
                del self._families[gone]

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """Bytes held (a compressed body at its compressed size)."""
        return self._size
