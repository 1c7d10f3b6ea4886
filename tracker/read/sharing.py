"""What a country's badge and social card show: its three figures, from the overview's own object.

``country_figures`` returns the ``CountrySummary`` the overview and the country page show (so the
badge a ministry embeds says what the tracker says), or None for a code that names no country.
``badge_layout`` is pure: it places the badge's texts and works out the widths of its segments.

To change the badge: ``badge_layout`` here and ``tracker/templates/public/badge.svg``; the social
card: ``tracker/web/cards.py``.
"""

import unicodedata
from dataclasses import dataclass

from sqlmodel import Session, select

from tracker.models import Country
from tracker.read.figures import CountrySummary, country_summaries


def country_figures(session: Session, iso3: str, locale: str) -> CountrySummary | None:
    """The country's summary (figures, stage, last update), or None (8 queries)."""
    country_id = session.exec(select(Country.id).where(Country.iso3 == iso3)).first()
    if country_id is None:
        return None
    found = country_summaries(session, locale, [country_id])
    return found[0] if found else None


# Badge geometry: 11 px text, a segment's padding on each side, a wide character (CJK) counted twice.
CHAR_WIDTH = 6.6
PADDING = 6


def text_width(text: str) -> float:
    """An estimate of the text's width at 11 px in a sans-serif face (the SVG fits each text into
    its segment exactly with ``textLength``, so the estimate only has to be close)."""
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in ("W", "F"))
    return (len(text) + wide) * CHAR_WIDTH


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    text: str
    kind: str  # "label", "in_force", "with_drafts", "implementation", "basis", "basis_provisional"

    @property
    def text_x(self) -> float:
        return self.x + PADDING

    @property
    def text_length(self) -> float:
        return self.width - 2 * PADDING


def badge_layout(label: str, parts: list[tuple[str, str]]) -> tuple[tuple[Segment, ...], float]:
    """The badge's segments from left to right (the label, then one per figure) and its width."""
    segments, x = [], 0.0
    for kind, text in [("label", label), *parts]:
        width = round(text_width(text) + 2 * PADDING, 1)
        segments.append(Segment(x, width, text, kind))
        x = round(x + width, 1)
    return tuple(segments), x
