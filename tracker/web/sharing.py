"""Blueprint ``sharing``: what other sites embed or show for a country.

URL map:
    GET /badges/<ISO3>.svg             -> a badge of the country's three figures and what they rest
                                          on ("16/39 assessed · provisional · example data";
                                          ``?lang=`` picks the language, English by default;
                                          unknown code 404)
    GET /cards/<ISO3>.png              -> the country's social card (Open Graph image, English),
                                          with the assessed share and the same marks

Both carry an ETag derived from the data (``tracker.web.caching``) and may be kept for an hour by
any cache, so a ministry's page that embeds the badge does not ask on every view.
"""

import functools

from babel import dates as babel_dates
from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import format_date, format_number, format_percent

from tracker.formats.card import social_card
from tracker.i18n import DEFAULT_LOCALE, _, current_lang, is_language
from tracker.read.sharing import badge_layout, country_figures
from tracker.web import published
from tracker.web.caching import conditional
from tracker.web.urls import link

bp = Blueprint("sharing", __name__)


@bp.app_context_processor
def _links() -> dict:
    """``absolute_link`` for templates: an absolute URL where the host is configured (Open Graph
    and embed snippets need one), else the path."""
    return {"absolute_link": link}

MAX_AGE = 3600
BADGE_COLOURS = {
    "label": "#555555", "in_force": "#0b5394", "with_drafts": "#2f6aa8", "implementation": "#1e6b34",
    # what the figures rest on; dark amber when provisional (the words say it, not the colour)
    "basis": "#555555", "basis_provisional": "#8a4600",
}


def shared_for_an_hour(view):
    """Let any cache keep the answer (200 or 304) for an hour; the ETag revalidates it after."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        response = view(*args, **kwargs)
        if getattr(response, "status_code", None) in (200, 304):
            response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
        return response

    return wrapper


@bp.url_value_preprocessor
def _language_from_query(endpoint, values) -> None:
    """The badge's language comes from ``?lang=`` (English by default), never from the visitor's
    browser: an embedded badge reads the same for everyone."""
    lang = request.args.get("lang", DEFAULT_LOCALE)
    if not is_language(lang):
        g.lang = None
        abort(404)
    g.lang = lang


def _pct(value: float | None) -> str:
    return _("n/a") if value is None else format_percent(value)


def _badge_basis(summary) -> list[str]:
    """The badge's last segment: what the figures rest on and their marks, in few words."""
    f = summary.figures
    words = [
        _(
            "%(assessed)s/%(total)s assessed",
            assessed=format_number(f.assessed),
            total=format_number(f.provisions),
        )
    ]
    if f.provisional:
        words.append(_("provisional"))
    if summary.has_example:
        words.append(_("example data"))
    return words


def _title_basis(summary) -> list[str]:
    """The same for the badge's title, in sentences a screen reader reads out."""
    f = summary.figures
    if f is None:
        return []
    said = [
        _(
            "Based on %(assessed)s of %(total)s provisions assessed.",
            assessed=format_number(f.assessed),
            total=format_number(f.provisions),
        )
    ]
    if f.provisional:
        said.append(_("Provisional assessment: fewer than half of the provisions are assessed."))
    if summary.has_example:
        said.append(_("Includes example data, not an official assessment."))
    return said


@bp.get("/badges/<iso3>.svg")
@shared_for_an_hour
@conditional
def badge(iso3: str):
    """The country's three figures as a small SVG image, with a title for screen readers."""
    if iso3 != iso3.upper():
        return redirect(url_for("sharing.badge", iso3=iso3.upper(), **request.args), code=301)
    summary = country_figures(published.session(), iso3, current_lang())
    if summary is None:
        abort(404)
    f = summary.figures
    values = {
        kind: getattr(f, kind) if f else None for kind in ("in_force", "with_drafts", "implementation")
    }
    name = summary.country.name
    parts = [
        ("in_force", _("in force %(value)s", value=_pct(values["in_force"]))),
        ("with_drafts", _("including drafts %(value)s", value=_pct(values["with_drafts"]))),
        ("implementation", _("implementation %(value)s", value=_pct(values["implementation"]))),
    ]
    if f is not None:
        parts.append(
            ("basis_provisional" if f.provisional else "basis", " · ".join(_badge_basis(summary)))
        )
    segments, width = badge_layout(_("%(country)s · e-waste law", country=name), parts)
    when = format_date(summary.last_update, "long") if summary.last_update else None
    title = _(
        "%(country)s, e-waste regulation: legal coverage in force %(in_force)s, including drafts "
        "%(with_drafts)s, implementation %(implementation)s.",
        country=name,
        in_force=_pct(values["in_force"]),
        with_drafts=_pct(values["with_drafts"]),
        implementation=_pct(values["implementation"]),
    )
    title = " ".join((title, *_title_basis(summary)))
    if when:
        title = " ".join((title, _("%(label)s: %(value)s", label=_("Last update"), value=when)))
    body = render_template(
        "public/badge.svg", segments=segments, width=width, title=title, colours=BADGE_COLOURS
    )
    return body, 200, {"Content-Type": "image/svg+xml; charset=utf-8"}


@bp.get("/cards/<iso3>.png")
@shared_for_an_hour
@conditional
def card(iso3: str):
    """The country's social card (1200 x 630 PNG), in English: the image link previews show."""
    if iso3 != iso3.upper():
        return redirect(url_for("sharing.card", iso3=iso3.upper()), code=301)
    summary = country_figures(published.session(), iso3, DEFAULT_LOCALE)
    if summary is None:
        abort(404)
    f = summary.figures
    figures = [
        (kind, label, getattr(f, kind) if f else None, _pct(getattr(f, kind) if f else None))
        for kind, label in (
            ("in_force", "Legal coverage in force"),
            ("with_drafts", "Legal coverage including drafts"),
            ("implementation", "Implementation"),
        )
    ]
    footer = "Share of the model-law checklist covered"
    if summary.last_update:
        footer += " · last update " + babel_dates.format_date(summary.last_update, "long", locale="en")
    basis, marks = None, []
    if f is not None:
        basis = f"{f.assessed} of {f.provisions} provisions assessed"
        if f.provisional:
            marks.append(("provisional", "Provisional assessment"))
    if summary.has_example:
        marks.append(("example", "Example data"))
    png = social_card(
        "E-waste regulation tracker", summary.country.name, figures, footer, basis, marks
    )
    return png, 200, {"Content-Type": "image/png"}
