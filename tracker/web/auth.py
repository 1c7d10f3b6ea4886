"""Blueprint ``auth``: staff sign-in and sign-out, the signed-in person and the sign-in throttle.

Page guards (sign-in required, administrators only, the country guard) are ``tracker.web.guards``.

URL map:
    GET/POST /<lang>/login     sign-in form (fields ``email`` and ``password``); ``?next=`` must be
                               a path on this site
    POST     /<lang>/logout    sign out

Sessions are Flask-Login's, in the signed session cookie (HttpOnly, SameSite=Lax, Secure in
production: see ``tracker.config``), which holds only a random token; its row in the database
(``tracker.write.sessions``) is what makes it valid. Signing out deletes the row, so a copied
cookie stops working on every instance; so do deactivating the account and setting a new password.
A session also ends after ``SESSION_IDLE_SECONDS`` without a request and ``SESSION_ABSOLUTE_SECONDS``
after sign-in. The cookie is emptied at sign-in, so nothing set before signing in survives it.

The sign-in itself (the throttle, the password check, the bookkeeping of a success) is
``tracker.write.accounts``; this module passes it the request's email, address and settings.
"""

from datetime import timedelta

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from tracker import db, write
from tracker.codes import Role
from tracker.i18n import _
from tracker.models import User
from tracker.security import safe_next
from tracker.web.forms import LoginForm
from tracker.web.guards import staff_home
from tracker.write import accounts, changes, sessions

bp = Blueprint("auth", __name__)
login_manager = LoginManager()

DEFAULTS = {
    # At most this many failures per email address, and per client address, in the window.
    "LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
    "LOGIN_WINDOW_SECONDS": 15 * 60,
    "LOGIN_THROTTLE_ENABLED": True,
    # A staff session ends after this long without a request, and this long after sign-in.
    "SESSION_IDLE_SECONDS": 60 * 60,
    "SESSION_ABSOLUTE_SECONDS": 12 * 60 * 60,
}


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.session_protection = "basic"
    # The cookie's signature expires with the longest a session may last (Flask's default: 31 days).
    absolute = timedelta(seconds=app.config["SESSION_ABSOLUTE_SECONDS"])
    app.config["PERMANENT_SESSION_LIFETIME"] = absolute


# --- the signed-in person -----------------------------------------------------------------------


class StaffUser(UserMixin):
    """The signed-in person, detached from the database session (loaded once per request)."""

    def __init__(self, user: User, token: str):
        self.id = user.id
        self.email = user.email
        self.role = user.role
        self.country_id = user.country_id
        self.active = user.is_active
        self.token = token

    def get_id(self) -> str:
        """What Flask-Login keeps in the cookie: the session's token, not the account's id."""
        return self.token

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def may_edit(self, country_id: int | None) -> bool:
        return self.is_admin or (country_id is not None and country_id == self.country_id)

    @property
    def actor(self) -> changes.Actor:
        return changes.Actor(email=self.email, user_id=self.id)


def session_lifetimes() -> dict:
    config = current_app.config
    return {
        "idle": timedelta(seconds=config["SESSION_IDLE_SECONDS"]),
        "absolute": timedelta(seconds=config["SESSION_ABSOLUTE_SECONDS"]),
    }


def load_user(token: str) -> StaffUser | None:
    """Flask-Login's loader: None (signed out) unless the token's session is alive."""
    user = sessions.resolve(db.get_session(), token, **session_lifetimes())
    return StaffUser(user, token) if user is not None else None


# --- the throttle -------------------------------------------------------------------------------


def client_address() -> str:
    """The client's address (behind a proxy, run with ProxyFix so this is the real client)."""
    return (request.remote_addr or "unknown")[:64]


def throttle() -> accounts.Throttle:
    """The sign-in throttle's settings (``LOGIN_*`` in the config)."""
    config = current_app.config
    return accounts.Throttle(
        max_per_account=config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
        max_per_address=config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
        window=timedelta(seconds=config["LOGIN_WINDOW_SECONDS"]),
        enabled=config["LOGIN_THROTTLE_ENABLED"],
    )


# --- views --------------------------------------------------------------------------------------


@bp.route("/<lang>/login", methods=("GET", "POST"))
def login():
    """Sign in with email and password, then go to ``next`` (a same-site path) or the workspace."""
    form = LoginForm()
    next_url = safe_next(request.values.get("next"))
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            dbs = db.get_session()
            email = form.email.data.lower()
            address = client_address()
            if accounts.reserve_attempt(dbs, email, address, throttle()) is None:
                form.form_errors.append(
                    _("Too many failed sign-ins. Please wait a few minutes and try again.")
                )
                body = render_template("auth/login.html", form=form, next_url=next_url)
                retry = str(current_app.config["LOGIN_WINDOW_SECONDS"])
                return body, 429, {"Retry-After": retry}
            user = accounts.authenticate(dbs, email, form.password.data)
            if user is None:
                # The reserved attempt stays: it is the failure record.
                form.form_errors.append(_("The email address or password is not right."))
            else:
                with write.transaction(dbs):
                    accounts.record_success(dbs, user, form.password.data)
                    sessions.purge_expired(dbs, **session_lifetimes())
                    token = sessions.start(dbs, user)
                # A new session: nothing from before sign-in (or an attacker's fixed cookie) stays.
                session.clear()
                login_user(StaffUser(user, token))
                flash(_("You are signed in."), "success")
                return redirect(next_url or staff_home(current_user), code=303)
    return render_template("auth/login.html", form=form, next_url=next_url), status


@bp.post("/<lang>/logout")
def logout():
    """Sign out: the session's row goes (every copy of the cookie dies), the cookie is emptied."""
    if current_user.is_authenticated:
        dbs = db.get_session()
        with write.transaction(dbs):
            sessions.end(dbs, current_user.token)
    logout_user()
    session.clear()
    flash(_("You are signed out."), "success")
    return redirect(url_for("public.index"), code=303)
