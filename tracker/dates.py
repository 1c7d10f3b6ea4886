"""Dates as precise as their sources: a day, a month or a year (``PartialDate``).

A source often gives only "October 2024" or "2024". Such a date is stored as two columns: the
first day of its period (``adopted_on``, a ``date``, so the database sorts and compares it) and
its precision (``adopted_on_precision``: ``day``, ``month`` or ``year``). Everything that reads or
writes a date goes through the value type here, so no page, file or answer ever shows an invented
first of the month:

- ``PartialDate.parse("2024-10")`` reads the three ISO 8601 forms (``2024``, ``2024-10``,
  ``2024-10-23``) and nothing else; ``str(value)`` writes them back (CSV, API, history);
- ``end`` is the last day of the period: a milestone planned for October 2024 is overdue only
  once October has ended (``tracker.scoring.is_overdue``), and one date is "before" another only
  when its whole period ends before the other begins (``certainly_before``);
- ``timeline_key`` sorts dated entries by date and puts undated ones last;
- ``of(record, name)``, ``columns(name, value)`` and ``expand(values)`` convert between the value
  type and a record's two columns.

Pure: the standard library and ``tracker.codes`` only (the scoring uses it).
"""

import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tracker.codes import DatePrecision

# The three forms, published as the pattern of every date column of the data package.
PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"
_FORM = re.compile(PATTERN)

# Coarser first: "2024" begins no later than "2024-10", which begins no later than "2024-10-23".
_RANK = {DatePrecision.YEAR: 0, DatePrecision.MONTH: 1, DatePrecision.DAY: 2}


class DateSyntaxError(ValueError):
    """Text that is not one of the three forms. ``reason``: ``form``, ``month`` or ``day``."""

    def __init__(self, text: str, reason: str):
        super().__init__(f"{text!r} is not a date in the form YYYY, YYYY-MM or YYYY-MM-DD")
        self.text = text
        self.reason = reason


@dataclass(frozen=True, eq=False)
class PartialDate:
    """A date known to the day, the month or the year; ``start`` is the period's first day.

    A date known to the day equals that plain ``date`` (and hashes like it); a month or a year
    equals no plain date, not even its first day.
    """

    start: date
    precision: DatePrecision = DatePrecision.DAY

    def __post_init__(self) -> None:
        precision = DatePrecision(self.precision)
        object.__setattr__(self, "precision", precision)
        if precision is not DatePrecision.DAY and self.start.day != 1:
            raise ValueError("a month or a year starts on the first day")
        if precision is DatePrecision.YEAR and self.start.month != 1:
            raise ValueError("a year starts in January")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PartialDate):
            return (self.start, self.precision) == (other.start, other.precision)
        if isinstance(other, date) and not isinstance(other, datetime):
            return self.precision is DatePrecision.DAY and self.start == other
        return NotImplemented

    def __hash__(self) -> int:
        if self.precision is DatePrecision.DAY:
            return hash(self.start)
        return hash((self.start, self.precision))

    @classmethod
    def day(cls, year: int, month: int, day: int) -> "PartialDate":
        return cls(date(year, month, day), DatePrecision.DAY)

    @classmethod
    def month(cls, year: int, month: int) -> "PartialDate":
        return cls(date(year, month, 1), DatePrecision.MONTH)

    @classmethod
    def year(cls, year: int) -> "PartialDate":
        return cls(date(year, 1, 1), DatePrecision.YEAR)

    @classmethod
    def parse(cls, text: str) -> "PartialDate":
        """``2024``, ``2024-10`` or ``2024-10-23``; anything else raises ``DateSyntaxError``."""
        text = text.strip()
        if not _FORM.fullmatch(text) or not text.isascii():
            raise DateSyntaxError(text, "form")
        parts = [int(p) for p in text.split("-")]
        if len(parts) >= 2 and not 1 <= parts[1] <= 12:
            raise DateSyntaxError(text, "month")
        if len(parts) == 3 and not 1 <= parts[2] <= calendar.monthrange(parts[0], parts[1])[1]:
            raise DateSyntaxError(text, "day")
        if parts[0] < 1:
            raise DateSyntaxError(text, "form")
        if len(parts) == 1:
            return cls.year(parts[0])
        if len(parts) == 2:
            return cls.month(parts[0], parts[1])
        return cls.day(*parts)

    @property
    def iso(self) -> str:
        """ISO 8601 at this precision: ``2024``, ``2024-10`` or ``2024-10-23``."""
        if self.precision is DatePrecision.YEAR:
            return f"{self.start.year:04d}"
        if self.precision is DatePrecision.MONTH:
            return f"{self.start.year:04d}-{self.start.month:02d}"
        return self.start.isoformat()

    def __str__(self) -> str:
        return self.iso

    @property
    def end(self) -> date:
        """The last day of the period (the day itself at day precision)."""
        return end_of_period(self.start, self.precision)

    @property
    def sort_key(self) -> tuple[date, int]:
        return (self.start, _RANK[self.precision])


def end_of_period(start: date, precision: DatePrecision) -> date:
    """The last day of the day, month or year that begins on ``start``."""
    precision = DatePrecision(precision)
    if precision is DatePrecision.YEAR:
        return date(start.year, 12, 31)
    if precision is DatePrecision.MONTH:
        return date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
    return start


def as_partial(value: "PartialDate | date | str | None") -> PartialDate | None:
    """A value as a ``PartialDate``: a plain ``date`` is a day, a string is parsed."""
    if value is None or value == "" or isinstance(value, PartialDate):
        return value or None
    if isinstance(value, str):
        return PartialDate.parse(value)
    return PartialDate(value, DatePrecision.DAY)


def certainly_before(a: "PartialDate | date | None", b: "PartialDate | date | None") -> bool:
    """``a`` is before ``b`` whatever days they stand for: ``a``'s period ends before ``b``'s
    begins ("2024-10" is not before "2024-10-23": the day may be the 23rd or later)."""
    a, b = as_partial(a), as_partial(b)
    return a is not None and b is not None and a.end < b.start


def timeline_key(value: "PartialDate | date | None") -> tuple:
    """Sort key: by date (a coarser date first when two begin together), undated last."""
    value = as_partial(value)
    if value is None:
        return (1, date.max, 0)
    return (0, *value.sort_key)


# --- a record's two columns ---------------------------------------------------------------------


def precision_column(name: str) -> str:
    """The column holding the precision of the date column ``name``."""
    return f"{name}_precision"


def of(record: Any, name: str) -> PartialDate | None:
    """The date ``name`` of a record (a row or any object with the two attributes)."""
    start = getattr(record, name)
    if start is None:
        return None
    precision = getattr(record, precision_column(name), None) or DatePrecision.DAY
    return PartialDate(start, precision)


def columns(name: str, value: "PartialDate | date | None") -> dict[str, Any]:
    """The two column values for the date ``name`` (an empty date keeps day precision)."""
    value = as_partial(value)
    if value is None:
        return {name: None, precision_column(name): DatePrecision.DAY}
    return {name: value.start, precision_column(name): value.precision}


def expand(values: Mapping[str, Any], date_names: Iterable[str] = ()) -> dict[str, Any]:
    """``values`` with every ``PartialDate``, and every value of a field in ``date_names``
    (a plain ``date`` is a day, None clears both), turned into its two columns."""
    date_names = frozenset(date_names)
    out: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, PartialDate) or name in date_names:
            out.update(columns(name, value))
        else:
            out[name] = value
    return out
