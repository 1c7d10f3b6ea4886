"""The demo data tells the truth: checkable links, no spam, judgements its sources support."""

from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from sqlmodel import select

from tracker.codes import GemIndicator, SourceKind
from tracker.models import (
    ChecklistVersion,
    Country,
    Coverage,
    CoverageSource,
    Instrument,
    InstrumentSource,
    Milestone,
    Provision,
)
from tracker.read import pages as reports

DATA = Path(__file__).resolve().parents[1] / "tracker" / "data"
COUNTRY_FILES = sorted((DATA / "countries").glob("*.yaml"))

# Domains that served spam in place of the page they claim to copy (mirrors of Xinhua items).
BAD_DOMAINS = {"blackbenson.cn", "zhongyishudian.com", "hcw9969.com", "smartmik.com"}
# Document-sharing sites: a secondary copy, acceptable only when nothing better exists.
MIRROR_DOMAINS = {
    "scribd.com",
    "studylib.net",
    "studylib.es",
    "documents.pub",
    "pdfslide.net",
    "yumpu.com",
    "vdocument.in",
    "cupdf.com",
    "docslib.org",
    "kipdf.com",
    "muhaz.org",
    "issuu.com",
    "slideserve.com",
    "studenta.com",
    "readkong.com",
    "slideplayer.com",
}


def on(host: str, domains: set[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def load(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def source_urls(item: dict) -> list[str]:
    """The URLs an item lists in its ``sources`` (mappings with ``url`` or plain strings)."""
    return [s["url"] if isinstance(s, dict) else s for s in item.get("sources") or []]


def all_urls(data: dict) -> list[tuple[str, str]]:
    """(where, url) for every link in a country file."""
    found = []
    for inst in data.get("instruments") or []:
        found += [(f"instrument {inst['key']}", u) for u in [inst.get("url"), *source_urls(inst)]]
    for ms in data.get("milestones") or []:
        found += [(f"milestone {ms['title']}", u) for u in [ms.get("source_url"), *source_urls(ms)]]
    for cov in data.get("coverage") or []:
        found += [(f"coverage {cov['provision']}", u) for u in source_urls(cov)]
    return [(where, u) for where, u in found if u is not None]


def test_the_helpers_recognise_subdomains():
    assert on("de.scribd.com", MIRROR_DOMAINS) and on("www.blackbenson.cn", BAD_DOMAINS)
    assert not on("notscribd.com", MIRROR_DOMAINS)
    assert host_of("http://www.blackbenson.cn/english/x.htm") == "www.blackbenson.cn"


@pytest.mark.parametrize("path", COUNTRY_FILES, ids=lambda p: p.stem)
def test_every_link_is_http_and_on_no_bad_domain(path):
    urls = all_urls(load(path))
    assert urls
    for where, url in urls:
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https") and parts.hostname, (where, url)
        assert not on(host_of(url), BAD_DOMAINS), (where, url)


@pytest.mark.parametrize("path", COUNTRY_FILES, ids=lambda p: p.stem)
def test_every_instrument_lists_its_link_among_its_sources(path):
    for inst in load(path)["instruments"]:
        assert inst["url"] in source_urls(inst), inst["key"]


@pytest.mark.parametrize("path", COUNTRY_FILES, ids=lambda p: p.stem)
def test_a_mirror_is_an_instruments_link_only_when_nothing_better_exists(path):
    mirrors = []
    for inst in load(path)["instruments"]:
        if on(host_of(inst["url"]), MIRROR_DOMAINS):
            mirrors.append(inst["key"])
            others = [u for u in source_urls(inst) if not on(host_of(u), MIRROR_DOMAINS)]
            assert not others, (inst["key"], others)
    for ms in load(path).get("milestones") or []:
        assert not on(host_of(ms["source_url"]), MIRROR_DOMAINS), ms["title"]
    # The three documents found only on document-sharing sites (see tracker/data/SOURCES.md).
    expected = {
        "ZMB": ["nswm-strategy-2004"],
        "RWA": ["policy-draft-2012"],
        "PRY": ["ley-42-1990"],
    }
    assert mirrors == expected[path.stem]


@pytest.mark.parametrize("path", COUNTRY_FILES, ids=lambda p: p.stem)
def test_milestone_dates_are_as_precise_as_their_source(path):
    """The stored date is the source's date at the source's precision (a year, a month, a day)."""
    for ms in load(path)["milestones"]:
        when = ms["source_date"]
        stored = ms["actual_on"] if ms["status"] in ("done", "in_progress") else ms["planned_on"]
        assert ms["actual_on"] is None or ms["planned_on"] is None, ms["title"]
        if when is None:
            assert stored is None, ms["title"]
        else:
            # YAML reads 2024-10-23 as a date (str() gives it back) and "2024-10" as text.
            assert str(stored) == when, ms["title"]


def test_month_only_facts_are_loaded_at_month_precision(demo_data):
    """October 2024 in Paraguay and the five GovStack months in Rwanda (2022-2023): months."""
    months = {
        (iso3, m.title): m.actual_on
        for iso3, m in demo_data.exec(
            select(Country.iso3, Milestone).join(Country, Country.id == Milestone.country_id)
        ).all()
        if m.actual_on_precision.value == "month"
    }
    rwanda = sorted(when for (iso3, _t), when in months.items() if iso3 == "RWA")
    assert rwanda == [
        date(2022, 4, 1),
        date(2022, 5, 1),
        date(2022, 7, 1),
        date(2022, 11, 1),
        date(2023, 3, 1),
        date(2024, 10, 1),  # the ITU report for International E-waste Day, October 2024
    ]
    # The GSR-23 agreement (June 2023) is on the project's own timeline, no longer per country.
    agreement = demo_data.exec(
        select(Milestone).where(Milestone.country_id.is_(None), Milestone.kind == "inception")
    ).one()
    assert (agreement.actual_on, agreement.actual_on_precision.value) == (date(2023, 6, 1), "month")
    assert (
        "PRY",
        "Consultation workshop with government and private-sector stakeholders",
    ) in months
    law = demo_data.exec(select(Instrument).where(Instrument.title.startswith("Ley N° 5882"))).one()
    assert (law.in_force_on, law.in_force_on_precision.value) == (date(2018, 3, 1), "month")


def test_loaded_links_are_http_and_on_no_bad_domain(demo_data):
    urls = [i.url for i in demo_data.exec(select(Instrument)).all()]
    urls += [m.source_url for m in demo_data.exec(select(Milestone)).all()]
    sources = [s.url for s in demo_data.exec(select(InstrumentSource)).all()]
    sources += [s.url for s in demo_data.exec(select(CoverageSource)).all()]
    assert len(sources) > 100  # every instrument's and judgement's sources are loaded
    urls += sources
    assert urls and all(urls)
    for url in urls:
        assert url.startswith(("http://", "https://")), url
        assert not on(host_of(url), BAD_DOMAINS), url


# The kinds of SOURCES.md: official (gazette, ministry, parliament, regulator), legal database,
# intergovernmental, secondary (press, law firms, mirrors). Each note starts with its kind's words.
NOTE_KINDS = {
    "Official": "official",
    "Legal database": "legal_database",
    "Intergovernmental": "intergovernmental",
    "Mirror": "secondary",
    "Press": "secondary",
    "Law": "secondary",
}


def all_sources(data: dict) -> list[tuple[str, dict]]:
    found = []
    for inst in data.get("instruments") or []:
        found += [(f"instrument {inst['key']}", s) for s in inst.get("sources") or []]
    for ms in data.get("milestones") or []:
        found += [(f"milestone {ms['title']}", s) for s in ms.get("sources") or []]
    for cov in data.get("coverage") or []:
        found += [(f"coverage {cov['provision']}", s) for s in cov.get("sources") or []]
    return found


@pytest.mark.parametrize("path", COUNTRY_FILES, ids=lambda p: p.stem)
def test_every_source_states_its_kind_and_mirrors_and_press_are_secondary(path):
    data = load(path)
    kinds = {}
    for where, source in all_sources(data):
        assert isinstance(source, dict) and source["kind"] in SourceKind.codes(), (where, source)
        if on(host_of(source["url"]), MIRROR_DOMAINS):
            assert source["kind"] == "secondary", (where, source)
        for words, kind in NOTE_KINDS.items():
            if source.get("note", "").startswith(words):
                assert source["kind"] == kind, (where, source)
        kinds.setdefault(source["url"], set()).add(source["kind"])
    # one link, one kind, wherever it is cited
    assert all(len(k) == 1 for k in kinds.values()), kinds
    for ms in data["milestones"]:
        assert ms["source_kind"] in SourceKind.codes(), ms["title"]
        if ms["source_url"] in kinds:
            assert {ms["source_kind"]} == kinds[ms["source_url"]], ms["title"]


@pytest.mark.parametrize("path", COUNTRY_FILES, ids=lambda p: p.stem)
def test_no_instrument_rests_on_secondary_sources_alone_where_a_better_one_exists(path):
    only_secondary = [
        inst["key"]
        for inst in load(path)["instruments"]
        if {s["kind"] for s in inst["sources"]} == {"secondary"}
    ]
    # SOURCES.md: for these, the sources read are press, a consultancy or document-sharing
    # copies only; no official, legal-database or intergovernmental source was found.
    expected = {
        "ZMB": ["nswm-strategy-2004", "ict-type-approval-2011", "zema-zicta-mou-2016"],
        "RWA": ["policy-draft-2012"],
        "PRY": ["ley-42-1990", "mades-rep-peligrosos-draft"],
    }
    assert only_secondary == expected[path.stem]


def test_loaded_sources_keep_their_kinds(demo_data):
    epr = demo_data.exec(select(Instrument).where(Instrument.number == "S.I. No. 65 of 2018")).one()
    assert [(s.kind, host_of(s.url)) for s in epr.sources][:2] == [
        (SourceKind.INTERGOVERNMENTAL, "itu.int"),
        (SourceKind.LEGAL_DATABASE, "www.zambialaws.com"),
    ]
    mirrors = [
        s
        for s in demo_data.exec(select(InstrumentSource)).all()
        + demo_data.exec(select(CoverageSource)).all()
        if on(host_of(s.url), MIRROR_DOMAINS)
    ]
    assert mirrors and {s.kind for s in mirrors} == {SourceKind.SECONDARY}
    assert all(m.source_kind is not None for m in demo_data.exec(select(Milestone)).all())


def coverage_of(session, iso3: str, code: str) -> Coverage | None:
    return session.exec(
        select(Coverage)
        .join(Country, Country.id == Coverage.country_id)
        .join(Provision, Provision.id == Coverage.provision_id)
        .where(Country.iso3 == iso3, Provision.code == code)
    ).first()


@pytest.mark.parametrize("iso3", ["ZMB", "RWA"])
def test_epr_01_is_not_fully_covered_for_zambia_and_rwanda(demo_data, iso3):
    # Zambia: S.I. 65 of 2018 infrequently implemented, s. 58(1) never elaborated into producer
    # obligations (minister, February 2025). Rwanda: no financing mechanism, no producer
    # obligations (2023 review). Neither supports "fully covered".
    cov = coverage_of(demo_data, iso3, "EPR-01")
    assert cov is not None and cov.applicable
    assert {link.extent.value for link in cov.links} == {"partial"}
    report = reports.country_report(demo_data, iso3, "en")
    row = next(r for s in report.categories for r in s.rows if r.provision.code == "EPR-01")
    assert row.in_force == "partial"
    assert report.gem[GemIndicator.EPR] is False


def test_what_no_source_supports_is_not_assessed(demo_data):
    assert coverage_of(demo_data, "ZMB", "ESM-02") is None
    assert coverage_of(demo_data, "PRY", "DES-02") is None
    titles = {i.title for i in demo_data.exec(select(Instrument)).all()}
    assert "E-waste standards" not in titles
    assert all(c.joined_on is None for c in demo_data.exec(select(Country)).all())
    checklist = demo_data.exec(select(ChecklistVersion)).one()
    assert checklist.published_on is None


def test_the_spam_link_is_gone_from_the_epr_regulations(demo_data):
    epr = demo_data.exec(select(Instrument).where(Instrument.number == "S.I. No. 65 of 2018")).one()
    assert host_of(epr.url) == "itu.int"
    assert epr.in_force_on is None  # the sources disagree on the date


# --- every file of the demo data, kinds by domain (issue 11) --------------------------------------

PROJECT_FILE = DATA / "project.yaml"
REGISTER_FILE = DATA / "sources.yaml"

# The kind of every site the demo data cites, as tracker/data/SOURCES.md defines the kinds. The
# most specific entry wins (UNEP's LEAP is a legal database on an intergovernmental domain). A new
# site has to be classified here before the data may cite it.
DOMAIN_KINDS = {
    # official: gazettes, ministries, parliaments, regulators, state funds and their missions
    "gov.zm": "official", "gov.py": "official", "gov.sa": "official", "rura.rw": "official",
    "fonerwa.org": "official", "rwandacg.org.au": "official",
    # Rwanda's Ministry of Infrastructure news, served from the government's address (no name)
    "197.243.22.137": "official",
    # legal databases
    "zambialii.org": "legal_database", "rwandalii.org": "legal_database",
    "zambialaws.com": "legal_database", "ecolex.org": "legal_database",
    "leap.unep.org": "legal_database", "baselegal.com.py": "legal_database",
    "climatelawtoolkit.org": "legal_database",
    # intergovernmental bodies and their programmes
    "itu.int": "intergovernmental", "brsmeas.org": "intergovernmental",
    "basel.int": "intergovernmental", "etradeforall.org": "intergovernmental",
    "iila-economia-circolare-citta-verdi.it": "intergovernmental",
    # secondary: press, law firms, consultancies, operators, research copies and mirrors
    **dict.fromkeys(MIRROR_DOMAINS, "secondary"),
    **dict.fromkeys(
        (
            "agendaparaguay.com", "lanacionpy.arcpublishing.com", "elaw.org", "enviroserve.rw",
            "escritosdederecho.net", "govstack.gitbook.io", "gulfpress.net", "inms.international",
            "ksa.com", "lambareinformativo.com", "lusakastar.com", "misiones.minrex.gob.cu",
            "newtimes.co.rw", "plasticsdb.surrey.ac.uk", "rainbownewszambia.com",
            "ultimahora.com", "vouga.com.py", "wochenblatt.cc", "abc.com.py", "arabnews.com",
            "biztechafrica.com", "cajnewsafrica.com", "daily-mail.co.zm", "downtoearth.org.in",
            "einpresswire.com", "ferrere.com", "frontiersin.org", "lexology.com",
            "lusakatimes.com", "rdn.com.py", "retech-germany.net", "theeastafrican.co.ke",
            "vista-compliance.com", "sauress.com", "research.unilus.ac.zm",
        ),
        "secondary",
    ),
}


def kind_of_domain(host: str) -> str | None:
    matches = [d for d in DOMAIN_KINDS if host == d or host.endswith("." + d)]
    return DOMAIN_KINDS[max(matches, key=len)] if matches else None


def every_file() -> list[tuple[str, dict]]:
    return [(p.stem, load(p)) for p in [*COUNTRY_FILES, PROJECT_FILE]]


def every_link(data: dict) -> list[tuple[str, str]]:
    """``all_urls`` plus the e-waste figures' sources."""
    found = all_urls(data)
    found += [(f"facts {f['year']}", f["source_url"]) for f in data.get("facts") or []]
    return found


def test_the_domain_register_picks_the_most_specific_entry():
    assert kind_of_domain("leap.unep.org") == "legal_database"
    assert kind_of_domain("www.itu.int") == "intergovernmental"
    assert kind_of_domain("www.parliament.gov.zm") == "official"
    assert kind_of_domain("de.scribd.com") == "secondary"
    assert kind_of_domain("example.org") is None


@pytest.mark.parametrize("name,data", every_file(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_link_of_every_file_is_http_on_a_known_site_and_no_bad_domain(name, data):
    links = every_link(data)
    assert links
    for where, url in links:
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https") and parts.hostname, (name, where, url)
        assert not on(host_of(url), BAD_DOMAINS), (name, where, url)
        assert kind_of_domain(host_of(url)) is not None, f"{name} {where}: classify {url}"


@pytest.mark.parametrize("name,data", every_file(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_source_has_the_kind_of_its_site(name, data):
    cited = all_sources(data) + [
        (f"milestone {ms['title']}", {"url": ms["source_url"], "kind": ms["source_kind"]})
        for ms in data.get("milestones") or []
        if ms.get("source_url")
    ]
    assert cited
    wrong = [
        (where, s["url"], s["kind"], kind_of_domain(host_of(s["url"])))
        for where, s in cited
        if s["kind"] != kind_of_domain(host_of(s["url"]))
    ]
    assert not wrong, wrong


def test_the_checklist_source_register_links_are_http_and_its_mirrors_are_marked():
    register = load(REGISTER_FILE)["sources"]
    assert register
    for entry in register:
        for url in (entry["url"], entry.get("checked")):
            if url is None:
                continue
            parts = urlsplit(url)
            assert parts.scheme in ("http", "https") and parts.hostname, (entry["key"], url)
            assert not on(host_of(url), BAD_DOMAINS), (entry["key"], url)
        # a copy on a document-sharing site says so (the pages mark it as a mirror)
        assert entry.get("mirror", False) == on(host_of(entry["url"]), MIRROR_DOMAINS), entry["key"]


def test_statuses_are_what_their_sources_say(demo_data):
    """tracker/data/SOURCES.md, "Statuses checked one by one": in force only where a source
    says the text commenced or is applied as law; adopted where it was only made or published."""
    status = {i.title: i.status.value for i in demo_data.exec(select(Instrument)).all()}
    # enacted and applied by local authorities (University of Lusaka, 2024)
    assert status["Solid Waste Regulation and Management Act, 2018"] == "in_force"
    # no source of gazettement or commencement: adopted, never in force by assumption
    assert status["Environmental Management (E-Waste Management) Regulations, 2024"] == "adopted"
    assert status["Local Government (Solid Waste Management) Regulations, 2011"] == "adopted"
    assert status["Ley N° 6488/2020 que modifica el artículo 27 de la Ley N° 3956/2009"] == "adopted"
    # Ley 3956/2009 rests on an official source (MADES applying it), not on ITU and a mirror alone
    law = demo_data.exec(select(Instrument).where(Instrument.title.startswith("Ley N° 3956"))).one()
    assert SourceKind.OFFICIAL in {s.kind for s in law.sources}
