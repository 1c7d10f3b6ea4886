"""Pure: the geometry of the progress-over-time chart on the country page (issue 12).

Three lines (the figures in force, including drafts, implementation) across a country's
publications, placed by date, with a mark where the checklist version changed. The template
draws the SVG from these coordinates; this module knows nothing of HTML, the database or the
locale (labels and numbers are formatted by the template). In a right-to-left language time
runs from right to left, as the progress bars fill: ``rtl`` mirrors the x axis, never the text.
"""

from dataclasses import dataclass
from datetime import date

KINDS = ("in_force", "with_drafts", "implementation")


@dataclass(frozen=True)
class Step:
    """One publication: when, which checklist version, and its three figures (0..1 or None)."""

    number: int
    day: date
    checklist: str | None
    values: dict  # kind -> float | None


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    number: int
    value: float


@dataclass(frozen=True)
class Line:
    kind: str
    dots: tuple[Dot, ...]

    @property
    def points(self) -> str:
        """The SVG ``points`` of the polyline."""
        return " ".join(f"{d.x:.1f},{d.y:.1f}" for d in self.dots)


@dataclass(frozen=True)
class Mark:
    """The checklist version changed at this publication."""

    x: float
    checklist: str
    number: int
    anchor: str = "middle"  # how its label is written: inside the chart near either edge


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: float  # the plot area
    right: float
    top: float
    bottom: float
    lines: tuple[Line, ...]
    marks: tuple[Mark, ...]
    grid: tuple[tuple[float, float], ...]  # (y, share) for 0, 50 % and 100 %
    first: tuple[float, date]  # where the first and last dates are written
    last: tuple[float, date]
    rtl: bool

    @property
    def axis_x(self) -> float:
        """Where the shares are written: before the plot in the reading direction."""
        return self.right + 6 if self.rtl else self.left - 6


def version_changes(steps: list[Step]) -> list[tuple[int, str]]:
    """(publication number, new version) wherever a publication's checklist version differs from
    the one before it."""
    out = []
    for before, step in zip(steps, steps[1:], strict=False):
        if step.checklist != before.checklist and step.checklist is not None:
            out.append((step.number, step.checklist))
    return out


def chart(steps: list[Step], *, width: int = 400, height: int = 200, rtl: bool = False) -> Chart:
    """The chart of ``steps`` (oldest first; at least two)."""
    left, right, top, bottom = 52.0, width - 16.0, 28.0, height - 34.0
    if rtl:
        left, right = 16.0, width - 52.0
    first, last = steps[0].day, steps[-1].day
    span = (last - first).days

    def x_of(index: int, day: date) -> float:
        share = (day - first).days / span if span else index / (len(steps) - 1)
        if rtl:
            share = 1 - share
        return left + share * (right - left)

    def y_of(value: float) -> float:
        return bottom - max(0.0, min(1.0, value)) * (bottom - top)

    xs = [x_of(i, s.day) for i, s in enumerate(steps)]
    lines = []
    for kind in KINDS:
        dots = tuple(
            Dot(xs[i], y_of(s.values[kind]), s.number, s.values[kind])
            for i, s in enumerate(steps)
            if s.values.get(kind) is not None
        )
        lines.append(Line(kind, dots))
    by_number = {s.number: xs[i] for i, s in enumerate(steps)}

    def anchor(x: float) -> str:
        if x > right - 40:
            return "end"
        if x < left + 40:
            return "start"
        return "middle"

    marks = tuple(
        Mark(by_number[n], code, n, anchor(by_number[n])) for n, code in version_changes(steps)
    )
    grid = tuple((y_of(share), share) for share in (0.0, 0.5, 1.0))
    return Chart(width, height, left, right, top, bottom, tuple(lines), marks, grid,
                 (xs[0], first), (xs[-1], last), rtl)  # fmt: skip
