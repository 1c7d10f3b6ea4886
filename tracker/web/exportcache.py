"""Finished CSV exports kept in memory, keyed by what the public reads (issue 14).

An export is the publications in force rendered as CSV: the same publications (and the same state
of the shared tables, and the same country list, options and language) give the same bytes. So
the first download of an export streams as always and, when it ends under ``max_entry_bytes``,
keeps the whole body under the key of the replica it was read from; a repeat download is then sent
from memory with its length, after the two queries that find the replica.

Never stale across instances: the key is read from the database at every request (the
publications in force and the stamp of the shared tables, ``tracker.web.published.replica``), so
after a publication on any instance the next download asks for a new key and streams again.
Memory stays flat whatever the size of an export: a body over ``max_entry_bytes`` is never held
(the stream stops collecting it), and the oldest bodies go first once ``max_bytes`` are kept.
"""

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator

MAX_BYTES = 32 << 20  # every body kept, per process
MAX_ENTRY_BYTES = 4 << 20  # one body: about 25,000 rows of coverage.csv


class ExportCache:
    """The most recently used export bodies, by key. Thread-safe."""

    def __init__(self, max_bytes: int = MAX_BYTES, max_entry_bytes: int = MAX_ENTRY_BYTES):
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def keep(self, key: Hashable, chunks: Iterable[str]) -> Iterator[bytes]:
        """The chunks as UTF-8, streamed; the whole body is kept once the last chunk is sent, if
        it is not over ``max_entry_bytes`` (a download cut short keeps nothing)."""
        parts: list[bytes] | None = [] if self.max_entry_bytes > 0 else None
        size = 0
        for chunk in chunks:
            data = chunk.encode("utf-8")
            if parts is not None:
                size += len(data)
                if size > self.max_entry_bytes:
                    parts = None  # too large to keep: stop collecting
                else:
                    parts.append(data)
            yield data
        if parts is not None:
            self._put(key, b"".join(parts))

    def _put(self, key: Hashable, body: bytes) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old)
            self._entries[key] = body
            self._size += len(body)
            while self._entries and self._size > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        return self._size
