"""Blueprint ``publications``: each country's dated, frozen releases and their Atom feeds.

URL map (a contract, issue 12):
    GET /<lang>/countries/<ISO3>/publications            the country's publications, newest first
    GET /<lang>/countries/<ISO3>/publications/<n>        one publication: its figures, what changed
                                                         since the one before, how to cite it
    GET /<lang>/feed.atom                                every country's publications (Atom)
    GET /<lang>/countries/<ISO3>/feed.atom               one country's publications (Atom)

A publication never changes, so its page's URL and content never change either. The feeds are
built with feedgen (valid Atom, RFC 4287); entry ids are ``tag:`` URIs that need no host name.
"""

from feedgen.feed import FeedGenerator
from flask import Blueprint, Response, abort, redirect, render_template, url_for
from sqlmodel import select

from tracker import db
from tracker.i18n import _, country_name, current_lang
from tracker.models import Country
from tracker.read import publications
from tracker.web.caching import conditional
from tracker.web.urls import external_url

bp = Blueprint("publications", __name__)

FEED_SIZE = 50
TAG_AUTHORITY = "tag:ewaste-tracker.itu.int,2026"


def _country(iso3: str) -> Country:
    found = db.get_session().exec(select(Country).where(Country.iso3 == iso3)).first()
    if found is None:
        abort(404)
    return found


@bp.get("/<lang>/countries/<iso3>/publications")
@conditional
def index(iso3: str):
    """A country's publications, newest first, with their figures."""
    if iso3 != iso3.upper():
        return redirect(url_for("publications.index", iso3=iso3.upper()), code=301)
    country = _country(iso3)
    found = publications.of_country(db.get_session(), country.id)
    return render_template("publications/index.html", country=country, publications=found)


@bp.get("/<lang>/countries/<iso3>/publications/<int:number>")
@conditional
def detail(iso3: str, number: int):
    """One publication as it was published, with what changed since the one before."""
    if iso3 != iso3.upper():
        return redirect(url_for("publications.detail", iso3=iso3.upper(), number=number), 301)
    country = _country(iso3)
    dbs = db.get_session()
    found = {p.number: p for p in publications.of_country(dbs, country.id)}
    this = found.get(number)
    if this is None:
        abort(404)
    before = found.get(number - 1)
    snaps = publications.snapshots(dbs, [this.id] + ([before.id] if before else []))
    changed = publications.diff(
        dbs, snaps.get(before.id) if before else None, snaps[this.id], current_lang()
    )
    url = external_url("publications.detail", iso3=iso3, number=number, lang=current_lang())
    return render_template(
        "publications/detail.html",
        country=country,
        publication=this,
        previous=before,
        later=found.get(number + 1),
        diff=changed,
        citation_url=url or url_for("publications.detail", iso3=iso3, number=number),
    )


def _feed(entries, title: str, self_path: str, feed_id: str) -> Response:
    lang = current_lang()
    feed = FeedGenerator()
    feed.id(feed_id)
    feed.title(title)
    feed.language(lang)
    feed.author({"name": _("E-waste regulation tracker")})
    feed.link(href=self_path, rel="self", type="application/atom+xml")
    feed.link(href=external_url("public.index", lang=lang) or url_for("public.index"),
              rel="alternate", type="text/html")  # fmt: skip
    updated = max((p.published_at for p in entries), default=None)
    if updated is not None:
        feed.updated(updated)
    for pub in reversed(entries):  # feedgen puts the last added first
        link = external_url("publications.detail", iso3=pub.iso3, number=pub.number,
                            lang=lang) or url_for("publications.detail", iso3=pub.iso3,
                                                  number=pub.number)  # fmt: skip
        entry = feed.add_entry()
        entry.id(f"{TAG_AUTHORITY}:publication/{pub.iso3}/{pub.number}")
        entry.title(
            _("%(country)s: publication %(number)s", country=pub.name or pub.iso3,
              number=pub.number)  # fmt: skip
        )
        entry.updated(pub.published_at)
        entry.published(pub.published_at)
        entry.link(href=link, rel="alternate", type="text/html")
        entry.summary(pub.message)
    return Response(feed.atom_str(pretty=True), mimetype="application/atom+xml")


@bp.get("/<lang>/feed.atom")
@conditional
def feed():
    """Every country's publications, newest first."""
    found = publications.recent(db.get_session(), FEED_SIZE)
    lang = current_lang()
    named = [p.named(country_name(p.iso2, lang)) for p in found]
    path = external_url("publications.feed", lang=lang) or url_for("publications.feed")
    return _feed(named, _("E-waste regulation tracker: publications"), path,
                 f"{TAG_AUTHORITY}:feed/{lang}")  # fmt: skip


@bp.get("/<lang>/countries/<iso3>/feed.atom")
@conditional
def country_feed(iso3: str):
    """One country's publications, newest first."""
    if iso3 != iso3.upper():
        return redirect(url_for("publications.country_feed", iso3=iso3.upper()), code=301)
    country = _country(iso3)
    lang = current_lang()
    name = country_name(country.iso2, lang)
    found = [
        p.named(name, country.iso3, country.iso2)
        for p in publications.of_country(db.get_session(), country.id)[:FEED_SIZE]
    ]
    path = external_url("publications.country_feed", iso3=iso3, lang=lang) or url_for(
        "publications.country_feed", iso3=iso3
    )
    return _feed(found, _("%(country)s: publications", country=name), path,
                 f"{TAG_AUTHORITY}:feed/{iso3}/{lang}")  # fmt: skip
