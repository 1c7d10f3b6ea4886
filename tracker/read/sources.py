"""The source register: the checklist's source keys ("GESP; WEEE; KE; NG") resolved to full titles
and links, for the about page, the checklist page and each provision page.

The register is ``tracker/data/sources.yaml`` (checked titles and links, one entry per key). A
provision's ``sources`` text is a list separated by semicolons (outside parentheses); each item
starts with a key and may add a detail ("WEEE (Art. 5)", "GH917/LI 2250"). An item whose start is
no key of the register is kept as written and marked unresolved: the pages say so rather than guess.
Where to change things: a source's title or link in the YAML file; how a text is split here.
"""

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

REGISTER = Path(__file__).resolve().parent.parent / "data" / "sources.yaml"


@dataclass(frozen=True)
class Source:
    key: str
    title: str
    publisher: str
    url: str
    lang: str = "en"
    mirror: bool = False  # the link is a copy on a document-sharing site

    @property
    def anchor(self) -> str:
        """The id of this source's entry in a list (``src-WEEE``, ``src-ITU-data-page``)."""
        return "src-" + re.sub(r"[^A-Za-z0-9-]+", "-", self.key)


@dataclass(frozen=True)
class Citation:
    """One item of a ``sources`` text: as written, with its source when the key is known."""

    text: str
    source: Source | None
    detail: str | None  # what follows the key: "Art. 5", "/LI 2250"


@dataclass(frozen=True)
class SourcesUsed:
    """The register's entries a set of texts cites (in register order) and what it could not
    resolve (distinct, in order of first appearance)."""

    sources: tuple[Source, ...]
    unresolved: tuple[str, ...]


@functools.cache
def register() -> dict[str, Source]:
    """Every source of the register by key, in the file's order."""
    data = yaml.safe_load(REGISTER.read_text(encoding="utf-8"))
    fields = ("key", "title", "publisher", "url", "lang", "mirror")
    return {
        item["key"]: Source(**{k: v for k, v in item.items() if k in fields})
        for item in data["sources"]
    }


def split(text: str | None) -> list[str]:
    """The items of a ``sources`` text: split on semicolons outside parentheses."""
    items, depth, current = [], 0, []
    for char in text or "":
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        if char == ";" and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def _match(item: str, keys: Iterable[str]) -> str | None:
    """The longest key that starts ``item`` and is followed by nothing, a space, ``(`` or ``/``."""
    for key in sorted(keys, key=len, reverse=True):
        if item == key or (item.startswith(key) and item[len(key)] in " (/"):
            return key
    return None


def parse(text: str | None) -> tuple[Citation, ...]:
    """The citations of one provision's ``sources`` text."""
    sources = register()
    out = []
    for item in split(text):
        key = _match(item, sources)
        if key is None:
            out.append(Citation(item, None, None))
            continue
        detail = item[len(key) :].strip()
        if detail.startswith("(") and detail.endswith(")"):
            detail = detail[1:-1].strip()
        out.append(Citation(item, sources[key], detail or None))
    return tuple(out)


def used_by(texts: Iterable[str | None]) -> SourcesUsed:
    """The sources a set of ``sources`` texts cites, and what of them is not in the register."""
    keys: set[str] = set()
    unresolved: dict[str, None] = {}
    for text in texts:
        for citation in parse(text):
            if citation.source is None:
                unresolved.setdefault(citation.text)
            else:
                keys.add(citation.source.key)
    return SourcesUsed(
        tuple(s for k, s in register().items() if k in keys),
        tuple(unresolved),
    )


@dataclass(frozen=True)
class AboutReport:
    """What the about page shows from the data: the current checklist and the sources it cites."""

    checklist: object | None  # loaders.ChecklistInfo
    provisions: int
    sources: SourcesUsed


def about_report(session) -> AboutReport:
    """The current checklist and the register's entries its provisions cite (2 queries)."""
    from tracker.read import loaders

    checklist = loaders.current_checklist(session)
    if checklist is None:
        return AboutReport(None, 0, SourcesUsed((), ()))
    provisions = loaders.load_provisions(session, checklist.id)
    return AboutReport(checklist, len(provisions), used_by(p.sources for p in provisions))
