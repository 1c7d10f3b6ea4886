"""Reading what a reader asked of a long list (``?page=``, ``?sort=``, ``?dir=``) for the public
pages, with a clear translated 400 for a value that is not one, and a 404 for a page past the
last (``tracker.read.paging``)."""

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from flask import request

from tracker.i18n import _
from tracker.read.paging import PageOutOfRange
from tracker.web.errors import abort_with

_PAGE = re.compile(r"[0-9]{1,7}")


def _one(name: str) -> str | None:
    values = request.args.getlist(name)
    if len(values) > 1:
        abort_with(400, _("“%(name)s” is given more than once: give it once.", name=name))
    return values[0].strip() if values else None


def page_number() -> int:
    """The page asked for (``?page=``, 1 when absent); 400 for anything but a page number."""
    value = _one("page")
    if value is None or value == "":
        return 1
    if not _PAGE.fullmatch(value) or int(value) < 1:
        abort_with(
            400,
            _(
                "“%(value)s” is not a page number: pages are numbered 1, 2, 3 and so on.",
                value=value[:20],
            ),
        )
    return int(value)


def sort_order(sorts: Mapping[str, bool], default: str) -> tuple[str, bool]:
    """The column to sort by (``?sort=``) and whether from the highest down (``?dir=desc``,
    else the column's own direction); 400 for a column or direction that is not one."""
    sort = _one("sort") or default
    if sort not in sorts:
        abort_with(
            400,
            _(
                "“%(value)s” is not a column to sort by; use one of: %(allowed)s.",
                value=sort[:40],
                allowed=", ".join(sorts),
            ),
        )
    direction = _one("dir")
    if direction in (None, ""):
        return sort, sorts[sort]
    if direction not in ("asc", "desc"):
        abort_with(
            400,
            _("“%(value)s” is not a direction to sort in; use asc or desc.", value=direction[:20]),
        )
    return sort, direction == "desc"


@contextmanager
def pages_in_range() -> Iterator[None]:
    """A page past the last one is a 404 that says which page is the last."""
    try:
        yield
    except PageOutOfRange as exc:
        abort_with(
            404,
            _(
                "There is no page %(number)s here: the last page is %(last)s.",
                number=exc.number,
                last=exc.last,
            ),
        )
