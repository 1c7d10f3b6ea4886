"""An instrument's owned rows edited on their own pages: its relations to other instruments and
its translated titles.

Each change is a change to the instrument: the view passes one of these functions to
``changes.update`` with the version the page was loaded at, so a stale page is refused (409)
like any other edit, the instrument's version moves on, and history records the instrument's
relations or titles before and after. Checking that a relation makes sense (another instrument
of the same country, not there already) is the form's job; the database refuses the rest.
"""

from collections.abc import Callable

from tracker.codes import RelationKind
from tracker.models import Instrument, InstrumentRelation, InstrumentTitle


def add_relation(kind: RelationKind, target_id: int) -> Callable[[Instrument], None]:
    """``instrument`` <kind> ``target_id`` (made under, amends, repeals)."""

    def apply(instrument: Instrument) -> None:
        instrument.relations.append(InstrumentRelation(kind=kind, target_id=target_id))

    return apply


def remove_relation(relation_id: int) -> Callable[[Instrument], None]:
    """Remove one of the instrument's own relations (nothing when it is gone already)."""

    def apply(instrument: Instrument) -> None:
        for relation in list(instrument.relations):
            if relation.id == relation_id:
                instrument.relations.remove(relation)

    return apply


def set_title(locale: str, title: str | None) -> Callable[[Instrument], None]:
    """The instrument's title translated into ``locale``; ``None`` removes that translation."""

    def apply(instrument: Instrument) -> None:
        row = next((t for t in instrument.titles if t.locale == locale), None)
        if title is None:
            if row is not None:
                instrument.titles.remove(row)
        elif row is None:
            instrument.titles.append(InstrumentTitle(locale=locale, title=title))
        elif row.title != title:
            row.title = title

    return apply
