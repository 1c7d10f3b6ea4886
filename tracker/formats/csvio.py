"""Pure CSV writing and reading for the exports and the import. No database, no request.

Writing (RFC 4180): UTF-8, a header row, CRLF line ends (``csv.writer``'s default), optional BOM.
Cells are formatted from typed values: numbers are written as numbers, booleans as ``true`` /
``false``, dates in ISO 8601, and text is protected against formula injection (OWASP): a text
cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading single
quote. Numbers are never prefixed: ``-0.5`` stays ``-0.5`` because it is written from a number.

The escaping is reversible, so an exported file imports back unchanged: the reader removes
exactly one leading quote when what follows (after any further quotes) starts with one of those
characters. A text that itself starts with quotes followed by such a character gets one more
quote on the way out, so every text value survives the round trip.

Reading validates a whole file against a ``tracker.formats.tables.Table``: encoding, NUL bytes, the
header (missing, extra or duplicate columns), a header without rows, and every cell's type. File
problems raise ``FileError``; cell problems are collected per row with their line and column.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tracker import fields
from tracker.dates import PartialDate
from tracker.formats.tables import EXTENTS, Column, Table
from tracker.i18n import _

BOM = "\ufeff"
BATCH_ROWS = 500
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_FIELD_CHARS = 1_000_000

_INTEGER = re.compile(r"-?[0-9]+")
# Integer cells fill INTEGER columns (ids, versions): a larger number could only overflow them.
MAX_INTEGER = 2**31 - 1
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


# --- escaping -----------------------------------------------------------------------------------


def looks_like_formula(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula (or hide a leading control)."""
    return text[:1] in FORMULA_START if text else False


def escape_text(text: str) -> str:
    """Prefix a text cell with ``'`` when it could be read as a formula (reversible)."""
    if looks_like_formula(text.lstrip("'")):
        return "'" + text
    return text


def text_cell(text: str | None) -> str:
    """A text value as its cell: empty for None or "", else escaped (``format_cell`` on a str)."""
    if not text:
        return ""
    if text[0] in ESCAPE_START:
        return escape_text(text)
    return text


ESCAPE_START = frozenset((*FORMULA_START, "'"))  # a first character that may need the quote


def unescape_text(text: str) -> str:
    """Undo ``escape_text``: drop one leading quote before a formula-looking rest."""
    if text.startswith("'") and looks_like_formula(text.lstrip("'")):
        return text[1:]
    return text


def _quote_articles(text: str) -> str:
    return text.replace("%", "%25").replace(";", "%3B")


def _unquote_articles(text: str) -> str:
    return text.replace("%3B", ";").replace("%3b", ";").replace("%25", "%")


def link_cell(instrument_id: int, extent: str, articles: str | None) -> str:
    """One item of ``encode_links`` (the items of a cell are in instrument id order)."""
    return f"{instrument_id}:{extent}{articles_suffix(articles)}"


def articles_suffix(articles: str | None) -> str:
    """What follows ``id:extent`` in an item of ``encode_links``: nothing when there are no
    articles (None), else ``:`` and the articles, their ``%`` and ``;`` percent-encoded."""
    if articles is None:
        return ""
    if "%" in articles or ";" in articles:
        articles = _quote_articles(articles)
    return ":" + articles


def encode_links(links: Iterable[tuple[int, str, str | None]]) -> str:
    """Coverage links as ``id:extent[:articles]`` items joined with ``;``, by instrument id.

    No articles (None) writes ``id:extent``; in articles, ``%`` and ``;`` are percent-encoded.
    """
    return ";".join(link_cell(*link) for link in sorted(links, key=lambda link: link[0]))


ARTICLES = fields.COVERAGE_LINK["articles"]


def _check_articles(instrument_id: int, articles: str) -> None:
    """The articles of one link follow the checklist form's rule for them."""
    if fields.has_control_characters(articles):
        _check_text(articles, None)
    if ARTICLES.max_length is not None and len(articles) > ARTICLES.max_length:
        raise ValueError(
            _(
                "The articles of instrument %(id)s are longer than %(max)s characters.",
                id=instrument_id,
                max=ARTICLES.max_length,
            )
        )


def decode_links(text: str, extents: Sequence[str]) -> list[tuple[int, str, str | None]]:
    """Parse ``encode_links`` output; raises ``ValueError`` with a translated message."""
    links: list[tuple[int, str, str | None]] = []
    seen: set[int] = set()
    if not text:
        return links
    for item in text.split(";"):
        parts = item.split(":", 2)
        if len(parts) < 2 or not _INTEGER.fullmatch(parts[0]) or int(parts[0]) < 1:
            raise ValueError(
                _("“%(item)s” is not of the form id:extent:articles.", item=item.strip())
            )
        instrument_id, extent = int(parts[0]), parts[1]
        if extent not in extents:
            raise ValueError(
                _(
                    "“%(value)s” is not an extent; use one of: %(allowed)s.",
                    value=extent,
                    allowed=", ".join(extents),
                )
            )
        if instrument_id in seen:
            raise ValueError(_("Instrument %(id)s is listed twice.", id=instrument_id))
        seen.add(instrument_id)
        articles = _unquote_articles(parts[2]) if len(parts) == 3 else None
        if articles:
            _check_articles(instrument_id, articles)
        links.append((instrument_id, extent, articles or None))
    return sorted(links, key=lambda link: link[0])


SOURCE_KINDS = tuple(fields.SOURCE["kind"].codes.codes())


def encode_sources(sources: Iterable[tuple[str, str, str | None]]) -> str:
    """Source links as lines ``<kind> <url> <note>`` (the note is optional), in their order.

    A link has no spaces and a note no line breaks, so nothing needs escaping; the cell starts
    with a kind code, never with a formula character.
    """
    return "\n".join(f"{kind} {url}" + (f" {note}" if note else "") for kind, url, note in sources)


def decode_sources(text: str) -> list[tuple[str, str, str | None]]:
    """Parse ``encode_sources`` output; raises ``ValueError`` with a translated message."""
    out: list[tuple[str, str, str | None]] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        line = line.strip()
        if not line:
            continue
        parts = line.split(None, 2)
        if len(parts) < 2:
            raise ValueError(_("“%(item)s” is not of the form kind link note.", item=line))
        kind, url = parts[0], parts[1]
        note = parts[2].strip() if len(parts) == 3 else None
        if kind not in SOURCE_KINDS:
            raise ValueError(
                _(
                    "“%(value)s” is not a kind of source; use one of: %(allowed)s.",
                    value=kind,
                    allowed=", ".join(SOURCE_KINDS),
                )
            )
        if not fields.is_http_url(url) or len(url) > fields.URL_LENGTH:
            raise ValueError(
                _("“%(value)s”: only http:// and https:// links are accepted.", value=url)
            )
        if note:
            _check_text(note, fields.SOURCE["note"].max_length)
        out.append((kind, url, note or None))
    if len(out) > fields.MAX_SOURCES:
        raise ValueError(_("At most %(max)s sources are allowed.", max=fields.MAX_SOURCES))
    return out


def format_cell(value: Any, column: Column | None = None) -> str:
    """One typed value as CSV cell text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if column is not None and column.decimals is not None:
            return f"{value:.{column.decimals}f}"
        return repr(value)
    if isinstance(value, PartialDate):
        return value.iso  # at its precision: 2024, 2024-10 or 2024-10-23
    if isinstance(value, date):
        return value.isoformat()
    if column is not None and column.type == "links":
        return encode_links(value)
    if column is not None and column.type == "idlist":
        return ";".join(str(i) for i in sorted(value))
    if column is not None and column.type == "sources":
        return encode_sources(value)
    return escape_text(str(value))


def format_row(table: Table, values: Sequence[Any]) -> list[str]:
    return [format_cell(v, c) for v, c in zip(values, table.columns, strict=True)]


def _cell_formatter(column: Column):
    """``format_cell`` for one column, with the common cases of its type decided once: a
    string column's text, an integer column's int, a boolean column's bool; anything else goes
    through ``format_cell`` itself, so every value is written exactly as it writes it."""

    def general(value):
        return format_cell(value, column)

    if column.type == "string":

        def string(value):
            if value.__class__ is str:
                return text_cell(value)
            return "" if value is None else format_cell(value, column)

        return string
    if column.type == "integer":

        def integer(value):
            if value.__class__ is int:
                return str(value)
            return "" if value is None else format_cell(value, column)

        return integer
    if column.type == "boolean":
        cells = {True: "true", False: "false", None: ""}

        def boolean(value):
            found = cells.get(value) if value.__class__ in (bool, type(None)) else None
            return found if found is not None else format_cell(value, column)

        return boolean
    return general


def format_batches(
    table: Table, rows: Iterable[Sequence[Any]], batch: int = BATCH_ROWS
) -> Iterator[list[tuple[str, ...]]]:
    """Rows of typed values as cell texts (``format_row``), ``batch`` rows at a time."""
    formatters = [_cell_formatter(column) for column in table.columns]
    width = len(formatters)
    pending: list[tuple[str, ...]] = []
    for values in rows:
        if len(values) != width:
            raise ValueError(f"{table.name}: {len(values)} values for {width} columns")
        pending.append(tuple(f(v) for f, v in zip(formatters, values)))  # noqa: B905
        if len(pending) >= batch:
            yield pending
            pending = []
    if pending:
        yield pending


# --- writing ------------------------------------------------------------------------------------


class _Buffer:
    """A ``csv.writer`` over a string buffer that is emptied each time it is read."""

    def __init__(self) -> None:
        self.io = io.StringIO()
        self.writer = csv.writer(self.io)

    def take(self) -> str:
        text = self.io.getvalue()
        self.io.seek(0)
        self.io.truncate()
        return text


def stream(
    table: Table,
    rows: Iterable[Sequence[Any]],
    *,
    bom: bool = False,
    batch: int = BATCH_ROWS,
) -> Iterator[str]:
    """Yield the CSV text of ``table``: the header first, then one chunk per ``batch`` rows."""
    buffer = _Buffer()
    buffer.writer.writerow(table.header)
    yield (BOM if bom else "") + buffer.take()
    pending = 0
    for values in rows:
        buffer.writer.writerow(format_row(table, values))
        pending += 1
        if pending >= batch:
            yield buffer.take()
            pending = 0
    if pending:
        yield buffer.take()


def stream_cells(
    table: Table, batches: Iterable[Sequence[Sequence[str]]], *, bom: bool = False
) -> Iterator[str]:
    """Yield the CSV text of ``table`` from rows already formatted as cell texts (one chunk per
    batch of rows, as ``stream`` writes them)."""
    yield header_text(table, bom=bom)
    yield from cells_text(batches)


def cells_text(batches: Iterable[Sequence[Sequence[str]]]) -> Iterator[str]:
    """The CSV text of rows of cell texts, one chunk per batch (no header)."""
    text = TextRows()
    writerows = text.writerows
    for rows in batches:
        writerows(rows)
        yield text.take()


def header_text(table: Table, *, bom: bool = False) -> str:
    """The header row of ``table``, after the byte order mark when ``bom``."""
    return (BOM if bom else "") + row_text(table.header)


class _Sink:
    __slots__ = ("write",)

    def __init__(self, write) -> None:
        self.write = write


class TextRows:
    """CSV text collected row by row: ``writerow`` and ``writerows`` write cells as
    ``csv.writer`` does (``None`` as an empty cell, a number as ``str`` writes it), ``write`` a
    row of cell texts the same way, ``add``
    appends a row written already (``row_text``, or pieces of it: ``field_text``); ``take``
    returns the text collected since the last ``take``."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.add = self._parts.append
        writer = csv.writer(_Sink(self.add))
        self.writerow = writer.writerow
        self.writerows = writer.writerows

    def write(self, cells: Sequence[str]) -> None:
        """A row of cell texts: joined with commas when none needs quotes (``plain_row``), else
        as ``csv.writer`` writes it (the same text either way, faster when it is plain)."""
        line = plain_row(cells)
        if line is None:
            self.writerow(cells)
        else:
            self.add(line)

    def take(self) -> str:
        text = "".join(self._parts)
        self._parts.clear()
        return text


def row_text(cells: Sequence[Any]) -> str:
    """One row as CSV text, with its line end."""
    text = TextRows()
    text.writerow(cells)
    return text.take()


_CUT = len(row_text(("", "")))  # what follows a last cell: the delimiter of an empty one, the end


def field_text(cell: str) -> str:
    """One cell as ``csv.writer`` writes it in a row of several: a row is its cells'
    ``field_text`` joined with commas, then ``LINE_END``. (A row of a single empty cell is
    written ``""``, so the cell is written beside an empty one, then cut.)"""
    return row_text((cell, ""))[:-_CUT]


LINE_END = row_text(("", ""))[1:]  # csv.writer's line terminator: CRLF
# What makes csv.writer quote a cell (csv.QUOTE_MINIMAL) besides the delimiter: the quote
# character or a line break. A cell without any of them is written as it is.
_QUOTE_OR_BREAK = re.compile('["\r\n]')


def plain_row(cells: Sequence[str]) -> str | None:
    """The CSV text of a row of cell texts when none of them needs quotes (they are then
    written as they are, joined with commas: there are exactly ``len(cells) - 1`` commas and
    no quote or line break), else None: write it with ``csv.writer`` (``TextRows.writerow``)."""
    line = ",".join(cells)
    if line and line.count(",") == len(cells) - 1 and not _QUOTE_OR_BREAK.search(line):
        return line + LINE_END
    return None  # (a row of one empty cell is written "" too)


# --- reading ------------------------------------------------------------------------------------


class FileError(ValueError):
    """The file as a whole cannot be read; ``message`` is translated for the reader."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CellError:
    line: int
    column: str | None
    message: str


@dataclass
class ParsedRow:
    line: int
    values: dict[str, Any]
    raw: dict[str, str]
    errors: list[CellError] = field(default_factory=list)


def decode(data: bytes) -> str:
    """UTF-8 text of an upload without its BOM; ``FileError`` for anything else."""
    if not data.strip():
        raise FileError(_("The file is empty."))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileError(
            _("The file is UTF-16 text, not UTF-8. Save it as “CSV UTF-8” and upload it again.")
        )
    if b"\x00" in data:
        raise FileError(
            _("The file contains NUL bytes, so it is not a CSV text file. Export it again as CSV.")
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileError(
            _(
                "The file is not UTF-8 text (byte %(position)s cannot be read). Save it as "
                "“CSV UTF-8” and upload it again.",
                position=exc.start + 1,
            )
        ) from None
    return text.removeprefix(BOM)


def _check_text(text: str, max_length: int | None) -> None:
    """The checks every text passes, in the forms as here (``tracker.fields``)."""
    if fields.has_control_characters(text):
        raise ValueError(
            _(
                "This text contains invisible control characters (such as a NUL byte). "
                "Remove them and try again."
            )
        )
    if max_length is not None and len(text) > max_length:
        raise ValueError(_("At most %(max)s characters are allowed.", max=max_length))


def parse_cell(column: Column, raw: str) -> Any:
    """One cell's typed value (None for an empty cell); ``ValueError`` with a translated message."""
    if raw == "":
        if column.required:
            raise ValueError(_("A value is required."))
        return [] if column.type in ("links", "idlist", "sources") else None
    kind = column.type
    if kind == "string":
        if looks_like_formula(raw):
            raise ValueError(
                _(
                    "The text starts with “%(char)s”, so a spreadsheet could run it as a formula. "
                    "To keep it as text, start the cell with a single quote (').",
                    char=repr(raw[0])[1:-1],
                )
            )
        text = unescape_text(raw)
        _check_text(text, column.max_length)
        if column.enum is not None and text not in column.enum:
            raise ValueError(
                _(
                    "“%(value)s” is not allowed here; use one of: %(allowed)s.",
                    value=text,
                    allowed=", ".join(column.enum),
                )
            )
        if column.pattern is not None and not re.fullmatch(column.pattern.strip("^$"), text):
            raise ValueError(_("“%(value)s” does not have the expected form.", value=text))
        rule = column.rule
        if rule is not None and rule.kind == "url" and not fields.is_http_url(text):
            raise ValueError(_("Only http:// and https:// links are accepted."))
        if rule is not None and rule.kind == "language" and not fields.is_language_tag(text):
            raise ValueError(_("Enter a language code such as en, fr, rw, gn or zh-Hans."))
        return text
    if kind == "integer":
        if not _INTEGER.fullmatch(raw):
            raise ValueError(_("“%(value)s” is not a whole number.", value=raw))
        number = int(raw)
        rule = column.rule
        if rule is not None and rule.kind == "year" and not rule.minimum <= number <= rule.maximum:
            raise ValueError(
                _(
                    "Enter a year between %(min)s and %(max)s.",
                    min=rule.minimum,
                    max=rule.maximum,
                )
            )
        if column.minimum is not None and number < column.minimum:
            raise ValueError(_("The number must be at least %(min)s.", min=column.minimum))
        maximum = MAX_INTEGER if column.maximum is None else min(column.maximum, MAX_INTEGER)
        if number > maximum:
            raise ValueError(_("The number must be at most %(max)s.", max=maximum))
        return number
    if kind == "number":
        if not _NUMBER.fullmatch(raw):
            raise ValueError(_("“%(value)s” is not a number.", value=raw))
        return float(raw)
    if kind == "boolean":
        lowered = raw.lower()
        if lowered not in ("true", "false"):
            raise ValueError(_("“%(value)s” is not true or false.", value=raw))
        return lowered == "true"
    if kind == "date":
        # 2024, 2024-10 or 2024-10-23, in the forms' range (``tracker.fields.parse_date``).
        return fields.parse_date(raw)
    if kind == "links":
        return decode_links(raw, EXTENTS)
    if kind == "sources":
        return decode_sources(raw)
    if kind == "idlist":
        ids = []
        for part in raw.split(";"):
            if not _INTEGER.fullmatch(part) or int(part) < 1:
                raise ValueError(_("“%(value)s” is not a list of ids separated by ';'.", value=raw))
            ids.append(int(part))
        if len(set(ids)) != len(ids):
            raise ValueError(_("An id is listed twice."))
        return sorted(ids)
    raise AssertionError(kind)  # pragma: no cover


def read(data: bytes, table: Table, *, max_rows: int | None = None) -> list[ParsedRow]:
    """Parse an upload in ``table``'s format: typed values and errors per data row.

    Raises ``FileError`` for an undecodable file, a wrong header, a file without rows or with
    more than ``max_rows`` data rows (reading stops there). Derived (non-importable) columns must
    be present but are not validated.
    """
    text = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    previous_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        return _read(reader, table, max_rows)
    except csv.Error as exc:
        raise FileError(
            _(
                "The file is not valid CSV near line %(line)s: %(problem)s.",
                line=reader.line_num,
                problem=str(exc),
            )
        ) from None
    finally:
        csv.field_size_limit(previous_limit)


def _read(reader, table: Table, max_rows: int | None) -> list[ParsedRow]:
    header = next(reader, None)
    while header is not None and not any(cell.strip() for cell in header):
        header = next(reader, None)
    if header is None:
        raise FileError(_("The file is empty."))
    check_header(header, table)
    rows: list[ParsedRow] = []
    last_line = reader.line_num
    for cells in reader:
        line = last_line + 1
        last_line = reader.line_num
        if not cells or (len(cells) == 1 and cells[0] == ""):
            continue
        if max_rows is not None and len(rows) >= max_rows:
            raise FileError(
                _(
                    "The file has more than %(max)s rows, the most one import accepts. Split it "
                    "into smaller files and import them one after the other.",
                    max=max_rows,
                )
            )
        if len(cells) != len(header):
            rows.append(
                ParsedRow(
                    line,
                    {},
                    {},
                    [
                        CellError(
                            line,
                            None,
                            _(
                                "The row has %(cells)s cells but the header has %(columns)s.",
                                cells=len(cells),
                                columns=len(header),
                            ),
                        )
                    ],
                )
            )
            continue
        raw = dict(zip(header, cells, strict=True))
        row = ParsedRow(line, {}, raw)
        for column in table.columns:
            if not column.importable or column.name not in raw:
                continue
            try:
                row.values[column.name] = parse_cell(column, raw[column.name])
            except ValueError as exc:
                row.errors.append(CellError(line, column.name, str(exc)))
        rows.append(row)
    if not rows:
        raise FileError(_("The file has a header row but no data rows."))
    return rows


def check_header(header: list[str], table: Table) -> None:
    """``FileError`` unless the header names exactly the table's columns (in any order)."""
    names = [cell.strip() for cell in header]
    if names and names[0].startswith(BOM):
        names[0] = names[0].removeprefix(BOM)
    header[:] = names
    duplicates = sorted({n for n in names if names.count(n) > 1})
    missing = [c.name for c in table.columns if c.name not in names and not c.may_be_absent]
    extra = [n for n in names if n not in table.header]
    problems = []
    if missing:
        problems.append(_("missing columns: %(names)s", names=", ".join(missing)))
    if extra:
        problems.append(_("unknown columns: %(names)s", names=", ".join(extra)))
    if duplicates:
        problems.append(_("repeated columns: %(names)s", names=", ".join(duplicates)))
    if problems:
        raise FileError(
            _(
                "The header row does not match the %(file)s format (%(problems)s). Start from "
                "an export of that file.",
                file=table.filename,
                problems="; ".join(problems),
            )
        )
