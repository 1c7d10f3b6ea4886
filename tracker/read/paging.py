"""Pages of a long list (the overview's countries, a provision's countries, the checklist matrix's
columns): pure, no database, no request.

A read model computes every row (its figures count across all of them), then hands one page of
them to the template, so a page's weight stays bounded as countries are added, while its counts
("countries 51 to 100 of 200") and the CSV export still cover everything. Which page a reader
asked for is checked by the view (``tracker.web.paging``): a number that is not a page is a 400,
a page past the last one a 404.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


class PageOutOfRange(LookupError):
    """The page asked for is past the last one (``last`` is the last page's number)."""

    def __init__(self, number: int, last: int):
        super().__init__(number, last)
        self.number = number
        self.last = last


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of ``total`` items: its items, its number (from 1) and its neighbours."""

    items: tuple[T, ...]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one, which may be empty)."""
        return max(1, -(-self.total // self.size))

    @property
    def first(self) -> int:
        """The position (from 1) of the page's first item; 0 on an empty list."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last(self) -> int:
        """The position (from 1) of the page's last item; 0 on an empty list."""
        return self.first + len(self.items) - 1 if self.items else 0

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None

    @property
    def is_paged(self) -> bool:
        """More than one page: the page shows its navigation."""
        return self.pages > 1

    def numbers(self, around: int = 2) -> list[int | None]:
        """The page numbers to link: the first, the last and ``around`` either side of this one,
        None where numbers are left out (``1 … 4 5 6 7 8 … 20``)."""
        wanted = {1, self.pages, *range(self.number - around, self.number + around + 1)}
        shown: list[int | None] = []
        for n in sorted(n for n in wanted if 1 <= n <= self.pages):
            if shown and n - shown[-1] > 1:
                shown.append(None)
            shown.append(n)
        return shown

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


def paginate(items: Sequence[T], number: int, size: int) -> Page[T]:
    """Page ``number`` (from 1) of ``items``, ``size`` to a page; ``PageOutOfRange`` past the
    last page (page 1 of an empty list exists, and is empty)."""
    if size < 1 or number < 1:
        raise ValueError("pages are numbered from 1 and hold at least one item")
    total = len(items)
    last = max(1, -(-total // size))
    if number > last:
        raise PageOutOfRange(number, last)
    start = (number - 1) * size
    return Page(tuple(items[start : start + size]), number, size, total)
