"""Who may see a page: the checks every blueprint shares (no blueprint imports another's).

    require_login   a ``before_request`` hook: anonymous visitors go to the sign-in page, which
                    brings them back (``?next=`` the page they asked for)
    require_admin   403 unless the signed-in person is an administrator
    require_country 403 unless the signed-in person may edit records of that country

Where a sign-in may send someone afterwards (``safe_next``) is ``tracker.security``'s rule, which
the language switcher (``tracker.i18n``) applies too.
"""

from flask import abort, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from tracker.security import safe_next

__all__ = ["require_admin", "require_country", "require_login", "safe_next"]


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
