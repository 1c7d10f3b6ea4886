"""Who may see a page: the checks every blueprint shares (no blueprint imports another's).

    require_login   a ``before_request`` hook: anonymous visitors go to the sign-in page, which
                    brings them back (``?next=`` the page they asked for)
    require_admin   403 unless the signed-in person is an administrator
    require_country 403 unless the signed-in person may edit records of that country
    staff_home      where a signed-in person starts: an editor's own country's workspace, else
                    the list of countries (``/<lang>/manage/``)
    allowed_pages   the pages a person may use, for the 403 page

Where a sign-in may send someone afterwards (``safe_next``) is ``tracker.security``'s rule, which
the language switcher (``tracker.i18n``) applies too.
"""

from flask import abort, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from tracker import db
from tracker.i18n import _, country_name
from tracker.models import Country
from tracker.security import safe_next

__all__ = [
    "allowed_pages",
    "require_admin",
    "require_country",
    "require_login",
    "safe_next",
    "staff_home",
]


def require_login() -> Response | None:
    """None for a signed-in person; else a 303 to the sign-in page that comes back here."""
    if current_user.is_authenticated:
        return None
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=target), code=303)


def require_admin() -> None:
    """403 unless the signed-in person is an administrator."""
    if not current_user.is_authenticated or not current_user.is_admin:
        abort(403)


def require_country(country_id: int | None) -> None:
    """403 unless the signed-in person may edit records of this country."""
    if not current_user.is_authenticated or not current_user.may_edit(country_id):
        abort(403)


def _own_country(user) -> Country | None:
    """An editor's country (None for an administrator)."""
    if user.is_admin or user.country_id is None:
        return None
    return db.get_session().get(Country, user.country_id)


def staff_home(user) -> str:
    """Where a signed-in person starts: an editor of one country lands on its workspace; an
    administrator on the list of every country."""
    country = _own_country(user)
    if country is not None:
        return url_for("manage.workspace", iso3=country.iso3)
    return url_for("manage.index")


def allowed_pages() -> list[tuple[str, str]]:
    """(label, URL) of the pages the person asking may use, for the 403 page: staff pages by
    role, the sign-in page for anyone else. The public pages are open to all."""
    if not current_user.is_authenticated:
        return [(_("Staff sign-in"), url_for("auth.login"))]
    pages = []
    country = _own_country(current_user)
    if country is not None:
        pages.append(
            (
                _("Workspace: %(country)s", country=country_name(country.iso2)),
                url_for("manage.workspace", iso3=country.iso3),
            )
        )
    else:
        pages.append((_("Workspace"), url_for("manage.index")))
    pages.append((_("History of changes"), url_for("manage.history")))
    if current_user.is_admin:
        pages += [
            (_("Staff accounts"), url_for("manage.users")),
            (_("Checklist"), url_for("manage.checklist")),
        ]
    return pages
