"""Publications as readers and reviewers see them (issue 12): which one is in force, a
country's list, the feed, and what changed between two states of a record.

A publication's rows are frozen JSON (``tracker.write.record``); the pages render them through
the ordinary read layer on a replica (``tracker.write.replica``). What is here reads only the
publications' own columns (never their snapshots, except for a diff) in one query each.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from tracker import dates
from tracker.codes import Choice
from tracker.models import Country, Provision, Publication, Review, ReviewComment
from tracker.read import loaders
from tracker.read.texts import Localized

_PUB = Publication.__table__.c
# What a publication's list, its page and the feed show: everything but the frozen rows.
_INFO_COLUMNS = (
    _PUB.id,
    _PUB.country_id,
    _PUB.number,
    _PUB.checklist_id,
    _PUB.checklist_code,
    _PUB.published_at,
    _PUB.message,
    _PUB.is_example,
    _PUB.figures,
)


@dataclass(frozen=True)
class PublicationInfo:
    id: int
    country_id: int
    number: int
    checklist_id: int | None
    checklist_code: str | None
    published_at: datetime
    message: str
    is_example: bool
    figures: dict  # the headline figures as countries.csv writes them (``rows.country_record``)
    iso3: str = ""
    iso2: str = ""
    name: str = ""  # the country's name in the reader's language, once ``named``

    def named(self, name: str, iso3: str | None = None, iso2: str | None = None):
        return replace(self, name=name, iso3=iso3 or self.iso3, iso2=iso2 or self.iso2)

    @property
    def published_on(self) -> date:
        return self.published_at.astimezone(UTC).date()


def _figures(row: sa.Row) -> dict | None:
    return row.figures


def _info(row: sa.Row, iso3: str = "", iso2: str = "", figures=_figures) -> PublicationInfo:
    published_at = row.published_at
    if published_at.tzinfo is None:
        published_at = published_at.replace(tzinfo=UTC)
    return PublicationInfo(
        row.id, row.country_id, row.number, row.checklist_id, row.checklist_code,
        published_at, row.message, bool(row.is_example), dict(figures(row) or {}), iso3, iso2,
    )  # fmt: skip


def end_of(day: date) -> datetime:
    """The end of ``day`` in UTC: ``as_of`` serves what was published by then."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def _latest(as_of: date | None) -> sa.Subquery:
    """Each country's latest publication number (made by the end of ``as_of``)."""
    latest = sa.select(_PUB.country_id, sa.func.max(_PUB.number).label("number"))
    if as_of is not None:
        latest = latest.where(_PUB.published_at < end_of(as_of))
    return latest.group_by(_PUB.country_id).subquery()


def in_force(
    session: Session, as_of: date | None = None, *, with_figures: bool = True
) -> dict[int, PublicationInfo]:
    """Each country's latest publication (at the end of ``as_of``), by country id (1 query).

    Without ``with_figures`` their ``figures`` are left empty: SQLite stores them after the
    frozen rows, so reading them reads every publication's snapshot (200 ms at a million
    coverage rows, on every request that finds the publications in force)."""
    latest = _latest(as_of)
    columns = [c for c in _INFO_COLUMNS if with_figures or c is not _PUB.figures]
    query = (
        sa.select(*columns, Country.__table__.c.iso3, Country.__table__.c.iso2)
        .join(latest, sa.and_(latest.c.country_id == _PUB.country_id, latest.c.number == _PUB.number))
        .join(Country.__table__, Country.__table__.c.id == _PUB.country_id)
    )  # fmt: skip
    figures = _figures if with_figures else lambda _row: None
    return {
        row.country_id: _info(row, row.iso3, row.iso2, figures)
        for row in session.connection().execute(query)
    }


def in_force_ids(session: Session, as_of: date | None = None) -> tuple[tuple[int, int], ...]:
    """``in_force`` as sorted (country id, publication id) pairs alone (1 query): what an
    answer that is named by its publications needs, without reading their messages and dates."""
    latest = _latest(as_of)
    query = sa.select(_PUB.country_id, _PUB.id).join(
        latest, sa.and_(latest.c.country_id == _PUB.country_id, latest.c.number == _PUB.number)
    )
    return tuple(sorted(tuple(row) for row in session.connection().execute(query)))


def of_country(session: Session, country_id: int) -> list[PublicationInfo]:
    """A country's publications, newest first (1 query)."""
    query = sa.select(*_INFO_COLUMNS).where(_PUB.country_id == country_id)
    return [_info(r) for r in session.connection().execute(query.order_by(_PUB.number.desc()))]


def recent(session: Session, limit: int = 50) -> list[PublicationInfo]:
    """The latest publications of every country, newest first (1 query)."""
    query = (
        sa.select(*_INFO_COLUMNS, Country.__table__.c.iso3, Country.__table__.c.iso2)
        .join(Country.__table__, Country.__table__.c.id == _PUB.country_id)
        .order_by(_PUB.published_at.desc(), _PUB.id.desc())
        .limit(limit)
    )
    return [_info(r, r.iso3, r.iso2) for r in session.connection().execute(query)]


def snapshots(session: Session, publication_ids: Iterable[int]) -> dict[int, dict]:
    """The frozen rows of some publications, by id (1 query)."""
    ids = list(publication_ids)
    if not ids:
        return {}
    query = sa.select(_PUB.id, _PUB.snapshot).where(_PUB.id.in_(ids))
    return {pid: snap for pid, snap in session.connection().execute(query)}


# --- what changed ---------------------------------------------------------------------------------

# Columns that change with every save, or are references shown through the row's title.
NOISE = frozenset({"id", "version", "created_at", "updated_at", "country_id"})
# The order of the sections of a diff (other record tables follow, by name).
ORDER = ("country", "coverage", "coverage_link", "instrument", "instrument_title",
         "instrument_relation", "milestone")  # fmt: skip


@dataclass(frozen=True)
class FieldChange:
    name: str  # the column
    before: Any  # display values: text, a ``Choice`` (shown by its label), a date, a bool
    after: Any


@dataclass(frozen=True)
class RowChange:
    table: str
    action: str  # "added", "removed" or "changed"
    title: str
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class Diff:
    changes: tuple[RowChange, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def __len__(self) -> int:
        return len(self.changes)

    def by_table(self) -> list[tuple[str, list[RowChange]]]:
        out: dict[str, list[RowChange]] = {}
        for change in self.changes:
            out.setdefault(change.table, []).append(change)
        return list(out.items())

    def provision_codes(self) -> list[str]:
        """The provisions whose judgement or links changed, by code (for per-provision comments
        and the workspace's "changed since publication" filter)."""
        found = {
            c.title.split(" ", 1)[0]
            for c in self.changes
            if c.table in ("coverage", "coverage_link")
        }
        return sorted(found - {"", "·"})


def _tables() -> dict[str, sa.Table]:
    return dict(SQLModel.metadata.tables)


def _rows(snapshot: dict | None, name: str) -> dict[Any, dict]:
    rows = (snapshot or {}).get("tables", {}).get(name, [])
    return {row.get("id", tuple(sorted(row.items()))): row for row in rows}


def diff(
    session: Session, before: dict | None, after: dict, locale: str = loaders.DEFAULT_LOCALE
) -> Diff:
    """What changed from the snapshot ``before`` (None: nothing published yet) to ``after``,
    field by field, with titles instead of ids (2 queries for the provisions' codes and titles)."""
    tables = _tables()
    names = sorted(
        set((before or {}).get("tables", {})) | set(after.get("tables", {})),
        key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n),
    )
    old = {name: _rows(before, name) for name in names}
    new = {name: _rows(after, name) for name in names}
    provisions, versions = _provision_titles(session, locale, old, new)
    _judgements_by_code(old, new, versions)
    context = _Context(old, new, provisions)
    out: list[RowChange] = []
    for name in names:
        table = tables.get(name)
        for key in sorted(set(old[name]) | set(new[name]), key=str):
            a, b = old[name].get(key), new[name].get(key)
            if a == b:
                continue
            title = context.title(name, b or a)
            if a is None:
                out.append(RowChange(name, "added", title, _fields(table, {}, b, context)))
            elif b is None:
                out.append(RowChange(name, "removed", title))
            else:
                changed = _fields(table, a, b, context)
                if changed:
                    out.append(RowChange(name, "changed", title, changed))
    return Diff(tuple(out))


def _provision_titles(
    session, locale, old, new
) -> tuple[dict[int, str], dict[int, tuple[str, int]]]:
    """Each judged provision's code and title, and its (code, checklist version id), by id."""
    ids = {
        row.get("provision_id")
        for side in (old, new)
        for row in side.get("coverage", {}).values()
    } - {None}
    if not ids:
        return {}, {}
    table = Provision.__table__.c
    query = sa.select(table.id, table.code, table.checklist_id).where(table.id.in_(ids))
    versions = {pid: (code, version) for pid, code, version in session.connection().execute(query)}
    texts = loaders.provision_texts(session, locale, provision_ids=ids)
    out = {}
    for pid, (code, _version) in versions.items():
        title = texts.get(pid, (None, None))[0]
        out[pid] = f"{code} {title.text}" if isinstance(title, Localized) else code
    return out, versions


# The judgement tables, keyed in a diff by provision code instead of row id (``_judgements_by_code``).
_JUDGEMENT_CHILDREN = {"coverage_link": ("instrument_id",), "coverage_source": ("url", "kind")}


def _judgements_by_code(old: dict, new: dict, versions: Mapping[int, tuple[str, int]]) -> None:
    """Compare judgements by provision code, each side on its own checklist version (in place).

    A record keeps its judgements on earlier versions (a publication refers to them), and
    making a version current copies each judgement to the new version's provision of the same
    code. Each side shows only its judgements on its version (the latest its judgements are on),
    and a judgement, its links, sources and text translations are keyed by provision code: a
    judgement carried over unchanged is no change, and one changed since reads as changed."""
    for side in (old, new):
        judged = side.get("coverage", {})
        on = [versions[r["provision_id"]][1] for r in judged.values() if r.get("provision_id") in versions]
        if not on:
            continue
        version = max(on)
        keys: dict[Any, tuple] = {}
        rows: dict[Any, dict] = {}
        for row in judged.values():
            code, row_version = versions.get(row.get("provision_id"), (None, None))
            if row_version != version:
                continue
            key = ("coverage", code)
            keys[row.get("id")] = key
            rows[key] = {**row, "id": key}
        side["coverage"] = rows
        for name, columns in _JUDGEMENT_CHILDREN.items():
            if name not in side:
                continue
            kept = {}
            for row in side[name].values():
                parent = keys.get(row.get("coverage_id"))
                if parent is None:
                    continue
                key = (name, parent[1], *(str(row.get(c)) for c in columns))
                kept[key] = {**row, "id": key, "coverage_id": parent}
            side[name] = kept
        if "text_translation" in side:
            kept = {}
            for key, row in side["text_translation"].items():
                if row.get("entity") == "coverage":
                    parent = keys.get(row.get("entity_id"))
                    if parent is None:
                        continue
                    key = ("text_translation", parent[1], row.get("field"), row.get("locale"))
                    row = {**row, "id": key, "entity_id": parent}
                kept[key] = row
            side["text_translation"] = kept
    # The same provision on both sides: one id, so that its judgement compares equal.
    by_code = {}
    for side in (new, old):
        for row in side.get("coverage", {}).values():
            by_code.setdefault(row["id"], row.get("provision_id"))
    for side in (old, new):
        for key, row in side.get("coverage", {}).items():
            row["provision_id"] = by_code[key]


class _Context:
    """Titles of rows on either side, to name references instead of showing ids."""

    def __init__(self, old, new, provisions):
        self.old, self.new, self.provisions = old, new, provisions

    def row(self, table: str, key) -> dict | None:
        return self.new.get(table, {}).get(key) or self.old.get(table, {}).get(key)

    def title(self, table: str, row: dict) -> str:
        if table == "coverage":
            return self.provisions.get(row.get("provision_id"), "")
        if table == "coverage_link":
            cov = self.row("coverage", row.get("coverage_id")) or {}
            inst = self.row("instrument", row.get("instrument_id")) or {}
            return f"{self.provisions.get(cov.get('provision_id'), '')} · {inst.get('title', '')}"
        if table == "instrument_title":
            inst = self.row("instrument", row.get("instrument_id")) or {}
            return f"{inst.get('title', '')} ({row.get('locale', '')})"
        if table == "instrument_relation":
            a = self.row("instrument", row.get("instrument_id")) or {}
            b = self.row("instrument", row.get("target_id")) or {}
            return f"{a.get('title', '')} → {b.get('title', '')}"
        if table == "country":
            return str(row.get("iso3", ""))
        if table == "text_translation":  # a text of another row: that row, the field, the locale
            of = self.row(str(row.get("entity")), row.get("entity_id")) or {}
            parent = self.title(str(row.get("entity")), of) if of else ""
            return f"{parent} · {row.get('field', '')} ({row.get('locale', '')})"
        for name in ("title", "name", "label", "code"):
            if row.get(name):
                return str(row[name])
        for column, value in row.items():  # a child row: its parent's title
            if column.endswith("_id") and column != "id":
                parent = column[: -len("_id")]
                found = self.row(parent, value)
                if found is not None:
                    return self.title(parent, found)
        return ""

    def display(self, table: sa.Table | None, column: str, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, str) and (column == "locale" or column.endswith("_lang")):
            return Language(value)
        col = table.c.get(column) if table is not None else None
        if col is not None:
            enum = getattr(col.type, "enum", None)
            if enum is not None and issubclass(enum, Choice):
                try:
                    return enum(value)
                except ValueError:
                    return value
            for fk in col.foreign_keys:
                target = fk.column.table.name
                if target == "provision":
                    return self.provisions.get(value, value)
                found = self.row(target, value)
                if found is not None:
                    return self.title(target, found)
            if isinstance(col.type, sa.Date) and isinstance(value, str):
                try:
                    return date.fromisoformat(value)
                except ValueError:
                    return value
        return value


@dataclass(frozen=True)
class Language:
    """A stored language tag (``es``), read as its name in the reader's language ("Spanish")."""

    code: str

    @property
    def label(self) -> str:
        from tracker.i18n import current_lang, language_name_for

        return language_name_for(self.code, current_lang())


PRECISION_SUFFIX = "_precision"


def _dated(table, column: str, row: Mapping, context: _Context) -> Any:
    """A date column shown at the precision stored beside it (``joined_on`` with
    ``joined_on_precision``): "December 2023", never an invented first of the month."""
    value = context.display(table, column, row.get(column))
    precision = row.get(column + PRECISION_SUFFIX)
    if isinstance(value, date) and precision:
        try:
            return dates.PartialDate(value, precision)
        except ValueError:
            return value
    return value


def _fields(table, a: Mapping, b: Mapping, context: _Context) -> tuple[FieldChange, ...]:
    out = []
    for column in b:
        if column in NOISE or column.endswith("_id") and column in ("coverage_id", "review_id"):
            continue
        if column.endswith(PRECISION_SUFFIX) and column[: -len(PRECISION_SUFFIX)] in b:
            continue  # shown with its date
        precision = column + PRECISION_SUFFIX
        if a.get(column) == b.get(column) and (
            precision not in b or a.get(precision) == b.get(precision)
        ):
            continue
        if not a and b.get(column) in (None, "", False):
            continue
        out.append(
            FieldChange(column, _dated(table, column, a, context), _dated(table, column, b, context))
        )
    return tuple(out)


# --- the review record (staff) ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewEntry:
    id: int
    at: datetime
    author: str
    kind: Choice
    provision_code: str | None
    reply_to_id: int | None
    body: str


@dataclass(frozen=True)
class ReviewRecord:
    id: int
    state: Choice
    publication_id: int | None
    entries: tuple[ReviewEntry, ...]

    def on(self, code: str | None) -> list[ReviewEntry]:
        return [e for e in self.entries if e.provision_code == code]


def review_record(session: Session, review: Review | None) -> ReviewRecord | None:
    """A review with its exchange in order (1 query)."""
    if review is None:
        return None
    c = ReviewComment.__table__.c
    entries = session.connection().execute(
        sa.select(c).where(c.review_id == review.id).order_by(c.at, c.id)
    ).mappings()
    return ReviewRecord(
        review.id,
        review.state,
        review.publication_id,
        tuple(
            ReviewEntry(e["id"], e["at"], e["author"], e["kind"], e["provision_code"],
                        e["reply_to_id"], e["body"])  # fmt: skip
            for e in entries
        ),
    )


def latest_of(session: Session, country_ids: Sequence[int]) -> dict[int, PublicationInfo]:
    """The latest publication of each of these countries (1 query)."""
    found = in_force(session)
    return {cid: found[cid] for cid in country_ids if cid in found}


# --- the workspace's state -------------------------------------------------------------------------

# History entries about the review itself, which change nothing of the record.
_REVIEW_ENTITIES = ("publication", "review", "review_comment")


@dataclass(frozen=True)
class ChangeLine:
    at: datetime
    action: Choice
    entity: str
    summary: str


@dataclass(frozen=True)
class PublicationState:
    """Where a country's working copy stands, for the workspace."""

    state: Choice  # ReviewState
    latest: PublicationInfo | None
    review: ReviewRecord | None
    changed: tuple[ChangeLine, ...]  # changes to the record since the latest publication


def changes_since_publication(session: Session, country_id: int) -> tuple[ChangeLine, ...]:
    """The country's history entries after its latest publication (all, before the first) (1 query)."""
    from tracker.models import ChangeRecord

    cr = ChangeRecord.__table__.c
    published = (
        sa.select(sa.func.max(cr.id))
        .where(cr.entity == "publication", cr.country_id == country_id)
        .scalar_subquery()
    )
    query = (
        sa.select(cr.at, cr.action, cr.entity, cr.summary)
        .where(
            cr.country_id == country_id,
            cr.entity.not_in(_REVIEW_ENTITIES),
            cr.id > sa.func.coalesce(published, 0),
        )
        .order_by(cr.id)
    )
    return tuple(ChangeLine(*row) for row in session.connection().execute(query))


def publication_state(session: Session, country_id: int) -> PublicationState:
    """The workspace's state: editing, submitted, returned or published (4 queries)."""
    from tracker.codes import ReviewState

    review = session.exec(
        sa.select(Review)
        .where(Review.country_id == country_id, Review.publication_id.is_(None))
        .order_by(Review.id.desc())
    ).first()
    review = review[0] if review is not None else None
    pubs = session.connection().execute(
        sa.select(*_INFO_COLUMNS).where(_PUB.country_id == country_id)
        .order_by(_PUB.number.desc()).limit(1)
    ).first()  # fmt: skip
    latest = _info(pubs) if pubs is not None else None
    changed = changes_since_publication(session, country_id)
    if review is not None:
        state = review.state
    elif latest is not None and not changed:
        state = ReviewState.PUBLISHED
    else:
        state = ReviewState.EDITING
    return PublicationState(state, latest, review_record(session, review), changed)


# --- progress over time (the country page) --------------------------------------------------------

# The figures a publication froze (``rows.country_record``) that the chart follows, by chart kind.
TREND_FIGURES = {"in_force": "legal_in_force", "with_drafts": "legal_with_drafts",
                 "implementation": "implementation"}  # fmt: skip


@dataclass(frozen=True)
class ProgressOverTime:
    """A country's publications, oldest first, as points of the progress chart."""

    publications: tuple[PublicationInfo, ...]
    steps: tuple  # ``tracker.formats.trend.Step``, one per publication
    version_changes: tuple[tuple[int, str], ...]  # (publication number, new checklist version)


def _share(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def progress_over_time(
    session: Session, country_id: int, as_of: date | None = None
) -> ProgressOverTime:
    """The figures of each of a country's publications (those made by the end of ``as_of``),
    read from what each publication froze (1 query)."""
    from tracker.formats import trend

    query = sa.select(*_INFO_COLUMNS).where(_PUB.country_id == country_id)
    if as_of is not None:
        query = query.where(_PUB.published_at < end_of(as_of))
    found = tuple(
        _info(r) for r in session.connection().execute(query.order_by(_PUB.number))
    )
    steps = tuple(
        trend.Step(
            p.number,
            p.published_on,
            p.checklist_code,
            {kind: _share(p.figures.get(key)) for kind, key in TREND_FIGURES.items()},
        )
        for p in found
    )
    return ProgressOverTime(found, steps, tuple(trend.version_changes(list(steps))))
