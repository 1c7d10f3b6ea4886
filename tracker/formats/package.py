"""The data package as one zip file: ``datapackage.json`` and every CSV beside it (pure).

Staff download their working copy so (``tracker.web.staff_exports``): one file that opens in any
tool that reads Frictionless Data Packages (``frictionless validate datapackage.zip``), or simply
unzipped into the CSV files an import takes.
"""

import json
import zipfile
from collections.abc import Iterable, Iterator, Sequence

from tracker.formats import tables


class _Chunks:
    """A write-only file for ``zipfile`` whose bytes are taken out as they come: the zip is
    streamed (``zipfile`` writes data descriptors to a file it cannot seek)."""

    def __init__(self):
        self._parts: list[bytes] = []

    def write(self, data) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def stream_zip(members: Iterable[tuple[str, Iterable[str]]]) -> Iterator[bytes]:
    """The bytes of a zip file (deflated) holding each ``(name, texts)`` member, its text encoded
    as UTF-8, yielded as they are compressed: memory stays flat whatever the members hold. Each
    member's texts are read only when the zip reaches it."""
    sink = _Chunks()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, texts in members:
            with archive.open(name, "w") as member:
                for text in texts:
                    member.write(text.encode("utf-8"))
                    if chunk := sink.take():
                        yield chunk
            if chunk := sink.take():
                yield chunk
    yield sink.take()  # the central directory


def working_copy_descriptor(created: str, countries: Sequence[str]) -> dict:
    """The exports' data package descriptor (``tables.datapackage``), said to describe the
    working copy staff edit, exported at ``created`` (ISO 8601, UTC) for the ISO3 codes
    ``countries``: it is no publication, so it names none and offers no citation."""
    package = tables.datapackage(homepage=None, created=created)
    del package["publications"], package["citation"]
    package["title"] += " (working copy)"
    package["description"] += (
        f" This is the working copy staff edit, exported at {created} (UTC): it may hold changes "
        "not yet published, so it is not a release to cite."
    )
    package["working_copy"] = {"exported": created, "countries": list(countries)}
    return package


def descriptor_text(package: dict) -> str:
    """``datapackage.json`` as written into the zip."""
    return json.dumps(package, ensure_ascii=False, indent=2) + "\n"
