"""The ``?country=`` filter that the public exports and the staff's working-copy exports share
(a module of its own: no blueprint imports another's)."""

from flask import request

from tracker import db
from tracker.i18n import _
from tracker.read import loaders
from tracker.web import published
from tracker.web.errors import abort_with


def selected_countries() -> list[loaders.CountryRef]:
    """The ``?country=`` filter as country references; 400 for any unknown code."""
    codes = request.args.getlist("country")
    countries, unknown = published.at_version().get(
        ("countries", tuple(codes)), lambda: loaders.resolve_countries(db.get_session(), codes)
    )
    if unknown:
        abort_with(
            400,
            _(
                "Unknown country code: %(codes)s. Use ISO 3166-1 alpha-3 codes of countries in "
                "the tracker, for example %(example)s.",
                codes=", ".join(unknown),
                example=", ".join(
                    c.iso3 for c in loaders.resolve_countries(db.get_session(), [])[0]
                )
                or "ZMB",
            ),
        )
    return countries
