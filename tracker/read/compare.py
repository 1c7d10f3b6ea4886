"""Read model of the comparison page (GET /<lang>/compare?c=ZMB&c=RWA): two to four countries side
by side, their figures per category and the level of each provision.

Built from the same objects as the overview and the country page (``CountrySummary``,
``CoverageItem``), so a figure on the comparison is the figure on the country's own page, in a
constant number of queries whatever the number of countries compared. Checking what a reader asked
for (the codes' form, duplicates, how many) is ``parse_codes``, a pure function the view calls
first; codes that name no country are reported by ``compare_report``.

To change the page: its view ``tracker.web.public.compare``, ``compare_report`` here and
``tracker/templates/public/compare.html``.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from tracker.i18n import DEFAULT_LOCALE
from tracker.read import loaders
from tracker.read.figures import (
    CountrySummary,
    JudgedDigest,
    country_summaries,
    coverage_items,
    summarize,
)
from tracker.read.loaders import (
    CategoryInfo,
    ChecklistInfo,
    CountryRef,
    InstrumentStats,
    Judgements,
    MilestoneStats,
)
from tracker.read.pages import ChecklistCell, ProvisionInfo, _provision_info
from tracker.scoring import Figures

MIN_COUNTRIES = 2
MAX_COUNTRIES = 4
ISO3 = re.compile(r"[A-Za-z]{3}")


@dataclass(frozen=True)
class CodesProblem:
    """What is wrong with the codes a reader asked for (the view turns it into a message)."""

    kind: str  # "malformed", "duplicate", "too_few", "too_many", "unknown", "unpublished"
    codes: tuple[str, ...] = ()


def parse_codes(
    values: Sequence[str], minimum: int = MIN_COUNTRIES, maximum: int = MAX_COUNTRIES
) -> tuple[tuple[str, ...], CodesProblem | None]:
    """The ISO3 codes asked for, upper-cased, in the order given, or the first problem found
    (between ``minimum`` and ``maximum`` codes: two to four for a comparison).

    Empty values are ignored (a picker form may send none); the order is kept, so the URL says
    which country stands first."""
    codes = tuple(v.strip() for v in values if v.strip())
    malformed = tuple(c for c in codes if not ISO3.fullmatch(c))
    if malformed:
        return (), CodesProblem("malformed", malformed)
    codes = tuple(c.upper() for c in codes)
    seen: set[str] = set()
    duplicates = tuple(c for c in codes if c in seen or seen.add(c))
    if duplicates:
        return (), CodesProblem("duplicate", tuple(dict.fromkeys(duplicates)))
    if len(codes) > maximum:
        return (), CodesProblem("too_many", codes)
    if len(codes) < minimum:
        return codes, CodesProblem("too_few", codes)
    return codes, None


@dataclass(frozen=True)
class CompareRow:
    provision: ProvisionInfo
    cells: tuple[ChecklistCell, ...]  # one per country, in the report's country order


@dataclass(frozen=True)
class CompareSection:
    category: CategoryInfo
    figures: tuple[Figures | None, ...]  # one per country
    rows: tuple[CompareRow, ...]


@dataclass(frozen=True)
class CompareReport:
    checklist: ChecklistInfo | None
    countries: tuple[CountrySummary, ...]  # in the order asked for
    categories: tuple[CompareSection, ...]
    choices: tuple[CountryRef, ...]  # every country, by name, for the picker
    unknown: tuple[str, ...] = ()  # asked-for codes that name no country
    mixed: bool = False  # the countries were published on different checklist versions

    @property
    def has_example(self) -> bool:
        return any(c.has_example for c in self.countries)


def compare_report(
    session: Session, codes: Sequence[str], locale: str = DEFAULT_LOCALE
) -> CompareReport:
    """The countries named by ``codes`` side by side (10 queries, however many countries); with
    no codes, or with a code that names no country, only the picker's choices (1 query)."""
    everyone = loaders.load_countries(session, locale)
    choices = tuple(sorted((ref for ref, _c in everyone), key=lambda r: r.name))
    by_code = {ref.iso3: (ref, country) for ref, country in everyone}
    unknown = tuple(code for code in codes if code not in by_code)
    if unknown or not codes:
        return CompareReport(None, (), (), choices, unknown)
    chosen = [by_code[code] for code in codes]
    ids = [country.id for _ref, country in chosen]
    checklists = loaders.country_checklists(session, ids)
    if len({c.id for c in checklists.values() if c is not None}) > 1:
        # Published on different checklist versions: each country's figures on its own version,
        # and no provision-by-provision rows (a provision of one version is not one of the other).
        found = {s.country.id: s for s in country_summaries(session, locale, ids)}
        return CompareReport(None, tuple(found[i] for i in ids), (), choices, mixed=True)
    checklist = checklists[ids[0]]
    instruments = loaders.instrument_stats(session, ids)
    milestones = loaders.milestone_stats(session, ids)
    if checklist is None:
        summaries = tuple(
            summarize(country, ref, None, JudgedDigest(), None,
                      instruments.get(country.id, InstrumentStats()),
                      milestones.get(country.id, MilestoneStats()))
            for ref, country in chosen
        )
        return CompareReport(None, summaries, (), choices)
    provisions = loaders.load_provisions(session, checklist.id)
    judgements: Judgements = loaders.load_judgements(session, checklist.id, ids)
    categories = loaders.category_names(session, checklist.id, locale)
    texts = loaders.provision_texts(session, locale, checklist_id=checklist.id)
    summaries, items = [], []
    for ref, country in chosen:
        progress, country_items = coverage_items(provisions, judgements, country.id)
        items.append(country_items)
        summaries.append(
            summarize(country, ref, checklist, JudgedDigest.of(country_items), progress,
                      instruments.get(country.id, InstrumentStats()),
                      milestones.get(country.id, MilestoneStats()))
        )
    rows: dict[str, list[CompareRow]] = {}
    for index, provision in enumerate(provisions):
        cells = tuple(
            ChecklistCell(
                country=summary.country,
                in_force=country_items[index].in_force,
                with_drafts=country_items[index].with_drafts,
                implementation=country_items[index].implementation,
                is_example=country_items[index].is_example,
            )
            for summary, country_items in zip(summaries, items, strict=True)
        )
        rows.setdefault(provision.category_code, []).append(
            CompareRow(_provision_info(provision, texts, locale), cells)
        )
    info = {c.code: c for c in categories.values()}
    sections = tuple(
        CompareSection(
            info[code], tuple(s.categories.get(code) for s in summaries), tuple(category_rows)
        )
        for code, category_rows in rows.items()
    )
    return CompareReport(checklist, tuple(summaries), sections, choices)
