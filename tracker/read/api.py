"""The JSON API's answers: the read layer's objects as the response models of
``tracker.formats.api_models``.

``/api/v1/countries`` renders the same ``CountrySummary`` objects as the overview and
countries.csv, ``/api/v1/countries/<ISO3>`` adds the same ``CoverageItem`` objects as the
country page and coverage.csv and the rows of instruments.csv and milestones.csv, and
``/api/v1/checklist`` the checklist's texts picked by the pages' rule (``tracker.read.texts``).
The blueprint ``tracker.web.api`` only parses the request and serializes these.
"""

from sqlmodel import Session

from tracker.formats.api_models import (
    CategoryOut,
    Checklist,
    CountryDetail,
    CountryFacts,
    CountryList,
    CountrySummary,
    Counts,
    CoverageLinkOut,
    CoverageOut,
    Figures,
    GemIndicators,
    InstrumentOut,
    MilestoneOut,
    MonitorIndicatorOut,
    Progress,
    ProjectTimeline,
    ProvisionOut,
    PublishedMonitorValueOut,
    PublishedValueOut,
    SourceOut,
)
from tracker.formats.tables import GEM
from tracker.i18n import DEFAULT_LOCALE
from tracker.read import figures, loaders, rows
from tracker.read.loaders import CountryRef, Translations
from tracker.read.texts import content_text, instrument_title
from tracker.scoring import Figures as ScoreFigures


def _figures(f: ScoreFigures | None) -> Figures | None:
    if f is None:
        return None

    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 4)

    return Figures(
        legal_in_force=r(f.in_force),
        legal_with_drafts=r(f.with_drafts),
        implementation=r(f.implementation),
        provisions_applicable=f.applicable,
        provisions_not_applicable=f.not_applicable,
        provisions_assessed=f.assessed,
        provisions_total=f.provisions,
        provisional=f.provisional,
    )


def _summary(summary: figures.CountrySummary) -> CountrySummary:
    checklist_code = summary.checklist.code if summary.checklist else None
    if summary.progress is None:
        progress = Progress(checklist_version=checklist_code, overall=None, categories={}, gem=None)
    else:
        progress = Progress(
            checklist_version=checklist_code,
            overall=_figures(summary.figures),
            categories={code: _figures(f) for code, f in summary.categories.items()},
            gem=GemIndicators(**{code: summary.gem[code] for code in GEM}),
        )
    facts = summary.facts
    return CountrySummary(
        iso3=summary.country.iso3,
        iso2=summary.country.iso2,
        name=summary.country.name,
        joined_on=summary.joined_on,
        counts=Counts(
            instruments=summary.instruments,
            milestones_done=summary.milestones.done,
            milestones_total=summary.milestones.total,
        ),
        progress=progress,
        is_example=summary.has_example,
        last_update=rows.utc_date(summary.last_update),
        ewaste=CountryFacts(
            year=facts.year,
            generated_kg=facts.generated_kg,
            generated_kg_per_capita=facts.generated_kg_per_capita,
            collected_kg=facts.collected_kg,
            collected_kg_per_capita=facts.collected_kg_per_capita,
            source_url=facts.source_url,
            note=facts.note,
        )
        if facts
        else None,
        stage=summary.stage.value if summary.stage else None,
    )


def _monitor(summary: figures.CountrySummary) -> list[MonitorIndicatorOut]:
    return [
        MonitorIndicatorOut(
            indicator=row.indicator.value,
            derived=row.derived,
            published=PublishedValueOut(
                edition=row.published.edition,
                value=row.published.value,
                source_url=row.published.source_url,
                note=row.published.note,
            )
            if row.published
            else None,
            disagrees=row.disagrees,
        )
        for row in summary.monitor
    ]


def _sources(cells) -> list[SourceOut]:
    return [SourceOut(url=url, kind=kind, note=note) for kind, url, note in cells]
def _translated(
    translations: Translations, entity: str, record: dict, name: str, lang: str
) -> str | None:
    """A record's text translated into ``lang`` (the pages' rule), when a translation exists."""
    found = translations.get((entity, record["id"], name), {})
    shown = content_text(record[name], record[f"{name}_lang"], found, lang)
    return shown.text if shown is not None and shown.is_translation else None


def _milestones(session: Session, records: list[dict], lang: str) -> list[MilestoneOut]:
    translations = loaders.text_translations(
        session, lang, {"milestone": [r["id"] for r in records]}
    )
    return [
        MilestoneOut(
            **{k: v for k, v in record.items() if k in MilestoneOut.model_fields},
            title_translated=_translated(translations, "milestone", record, "title", lang),
            notes_translated=_translated(translations, "milestone", record, "notes", lang),
        )
        for record in records
    ]


def project_timeline(session: Session, lang: str) -> ProjectTimeline:
    """The project's own timeline, in id order (2 queries)."""
    records = list(rows.project_milestone_records(session))
    return ProjectTimeline(lang=lang, milestones=_milestones(session, records, lang))


def country_list(session: Session, lang: str) -> CountryList:
    """Every country's summary, in ISO3 order (10 queries)."""
    summaries = figures.country_summaries(session, lang)
    return CountryList(lang=lang, countries=[_summary(s) for s in summaries])


def country_detail(session: Session, ref: CountryRef, lang: str) -> CountryDetail:
    """One country: its summary, coverage items, instruments and milestones."""
    [summary] = figures.country_summaries(session, lang, [ref.id])
    checklist, items, judgements = rows.current_judgements(session, ref.id)
    texts = {}
    if checklist is not None:
        texts = loaders.provision_texts(session, lang, checklist_id=checklist.id)
    coverage_out = []
    judged = [item.coverage.id for item in items if item.coverage is not None]
    evidence = loaders.text_translations(session, lang, {"coverage": judged})
    for item in items:
        title, _guidance = texts.get(item.provision.id, (None, None))
        cov_id = item.coverage.id if item.coverage is not None else None
        record = rows.coverage_record(ref.iso3, checklist, item, judgements.sources_of(cov_id))
        coverage_out.append(
            CoverageOut(
                provision_code=item.provision.code,
                category=item.provision.category_code,
                title=title.text if title else item.provision.code,
                judged=item.judged,
                applicable=item.applicable,
                not_applicable_reason=record["not_applicable_reason"],
                implementation=item.implementation.value,
                legal_in_force=record["legal_in_force"],
                legal_with_drafts=record["legal_with_drafts"],
                evidence=record["evidence"],
                evidence_lang=record["evidence_lang"],
                evidence_translated=(
                    _translated(
                        evidence, "coverage", {"id": item.coverage.id, **record}, "evidence", lang
                    )
                    if item.coverage is not None
                    else None
                ),
                is_example=item.is_example,
                instruments=[
                    CoverageLinkOut(
                        instrument_id=link.instrument_id,
                        extent=link.extent.value,
                        articles=link.articles or None,
                        excerpt=link.excerpt or None,
                        excerpt_lang=link.excerpt_lang or None,
                        translation=link.translation or None,
                        translation_status=link.translation_status.value
                        if link.translation_status
                        else None,
                        article_url=link.article_url or None,
                    )
                    for link in sorted(item.links, key=lambda link: link.instrument_id)
                ],
                sources=_sources(record["sources"]),
            )
        )
    instruments = list(rows.instrument_records(session, [ref]))
    titles = loaders.instrument_titles(session, lang, instrument_ids=[i["id"] for i in instruments])
    summaries = loaders.text_translations(
        session, lang, {"instrument": [i["id"] for i in instruments]}
    )
    instruments_out = []
    for record in instruments:
        name = instrument_title(
            record["title"], record["title_lang"], titles.get(record["id"], {}), lang
        )
        values = {k: v for k, v in record.items() if k in InstrumentOut.model_fields}
        values["sources"] = _sources(record["sources"])
        instruments_out.append(
            InstrumentOut(
                **values,
                title_translated=name.in_readers_language,
                summary_translated=_translated(summaries, "instrument", record, "summary", lang),
            )
        )
    milestones_out = _milestones(session, list(rows.milestone_records(session, [ref])), lang)
    return CountryDetail(
        **_summary(summary).model_dump(),
        monitor=_monitor(summary),
        published_monitor_values=[
            PublishedMonitorValueOut(
                indicator=v.indicator.value,
                edition=v.edition,
                value=v.value,
                source_url=v.source_url,
                note=v.note,
            )
            for v in summary.published
        ],
        coverage=coverage_out,
        instruments=instruments_out,
        milestones=milestones_out,
    )


def checklist(session: Session, lang: str) -> Checklist:
    """The current checklist by category, retired provisions included (4 queries)."""
    current = loaders.current_checklist(session)
    if current is None:
        return Checklist(lang=lang, version=None, title=None, published_on=None, categories=[])
    categories = loaders.category_names(session, current.id, lang)
    provisions = loaders.load_provisions(session, current.id, include_retired=True)
    texts = loaders.provision_texts(session, lang, checklist_id=current.id)
    by_category: dict[int, list[ProvisionOut]] = {}
    for p in provisions:
        title, guidance = texts.get(p.id, (None, None))
        by_category.setdefault(p.category_id, []).append(
            ProvisionOut(
                code=p.code,
                level=p.level.value,
                position=p.position,
                gem_indicator=p.gem_indicator.value if p.gem_indicator else None,
                title=title.text if title else p.code,
                guidance=guidance.text if guidance else None,
                text_lang=title.locale if title else DEFAULT_LOCALE,
                sources=p.sources,
                retired=p.retired,
            )
        )
    return Checklist(
        lang=lang,
        version=current.code,
        title=current.title,
        published_on=current.published_on,
        categories=[
            CategoryOut(
                code=c.code,
                name=c.name.text,
                position=c.position,
                provisions=by_category.get(c.id, []),
            )
            for c in categories.values()
        ],
    )
