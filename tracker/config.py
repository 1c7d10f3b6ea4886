"""Settings read from the environment.

Everything a deployment changes comes from environment variables, so the same image runs anywhere:

``DATABASE_URL``   SQLAlchemy URL; default ``sqlite:///<repo>/instance/tracker.db``.
``SECRET_KEY``     signs session cookies and CSRF tokens; required when ``TRACKER_ENV=production``.
``TRACKER_ENV``    ``production`` or ``development`` (default).
``TRACKER_PROXIES`` how many reverse proxies (load balancer, nginx) sit in front of the app and
                  set ``X-Forwarded-For/-Proto/-Host``; default 0. Behind a proxy this makes the
                  client address (sign-in throttle) and the scheme (CSRF referrer check) real.
``TRUSTED_HOSTS``  comma-separated host names the site answers to (``tracker.example.org``,
                  ``.example.org`` for every subdomain, ``host:port``); a request for any other
                  Host gets 400. Flask/Werkzeug's ``trusted_hosts``. Default: any host.
``SERVER_NAME``    the site's public host name (``tracker.example.org``); absolute links (the data
                  package's ``homepage``) are built from it, never from the request's Host.
``IMPORT_MAX_ROWS``, ``IMPORT_MAX_BYTES`` the most data rows and bytes one CSV import accepts
                  (defaults 5000 and 2097152, i.e. 2 MB).
``TRACKER_CONTACT`` how to reach the people who keep this site: an email address or an http(s)
                  link (a contact form); shown on the about page. Default: none.
``TRACKER_REPOSITORY_URL`` the http(s) link of the project's public source repository or issue
                  tracker; the about page offers it for corrections when no contact is set.
``PAGE_CACHE_ENTRIES`` how many rendered public answers each process keeps (``tracker.web.pagecache``;
                  default 512, at most 64 MB; 0 turns the cache off).
"""

import os
import re
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
DEV_SECRET_FILE = "secret_key"
DEFAULT_DATABASE_URL = f"sqlite:///{INSTANCE / 'tracker.db'}"


class ConfigError(RuntimeError):
    """Raised when the environment cannot run the app safely."""


def database_url() -> str:
    """The database URL: ``DATABASE_URL`` or the embedded SQLite file."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        # Heroku-style URLs name the old driver; we ship psycopg 3.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://") :]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    return DEFAULT_DATABASE_URL


def is_production() -> bool:
    return os.environ.get("TRACKER_ENV", "development").strip().lower() == "production"


def secret_key(instance_path: Path) -> str:
    """``SECRET_KEY`` from the environment, or a development key kept in the instance folder.

    In production a missing key is an error: a generated key would differ between instances
    behind a load balancer and would log everyone out at each restart.
    """
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    if is_production():
        raise ConfigError("SECRET_KEY must be set when TRACKER_ENV=production.")
    path = Path(instance_path) / DEV_SECRET_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        # Exclusive create: if two workers race, the loser reads the winner's key.
        try:
            with open(path, "x", encoding="ascii") as fh:
                fh.write(key)
            os.chmod(path, 0o600)
        except FileExistsError:
            key = path.read_text(encoding="ascii").strip()
        return key


def proxies() -> int:
    raw = os.environ.get("TRACKER_PROXIES", "0").strip() or "0"
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"TRACKER_PROXIES must be a whole number, not {raw!r}.") from None
    if not 0 <= value <= 5:
        raise ConfigError("TRACKER_PROXIES must be between 0 and 5.")
    return value


def _host_name(value: str, setting: str) -> str:
    host = value.strip().lower()
    if not host or any(c.isspace() or c in "/\\@?#" for c in host):
        raise ConfigError(f"{setting} must name hosts such as tracker.example.org, not {value!r}.")
    return host


def trusted_hosts() -> list[str] | None:
    """``TRUSTED_HOSTS`` as a list for Flask, or None (every host) when it is not set."""
    raw = os.environ.get("TRUSTED_HOSTS", "").strip()
    if not raw:
        return None
    return [_host_name(part, "TRUSTED_HOSTS") for part in raw.split(",") if part.strip()] or None


def server_name() -> str | None:
    raw = os.environ.get("SERVER_NAME", "").strip()
    return _host_name(raw, "SERVER_NAME") if raw else None


# What the about page shows as a contact (``tracker.web.public``); both optional.
SITE_SETTINGS = ("TRACKER_CONTACT", "TRACKER_REPOSITORY_URL")
_EMAIL = re.compile(r"[^@\s<>\"']+@[^@\s<>\"'/]+\.[^@\s<>\"'/]+")
_LINK = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def _link(name: str, raw: str) -> str:
    if not _LINK.fullmatch(raw):
        raise ConfigError(f"{name} must be an http(s) link, not {raw!r}.")
    return raw


def site_settings() -> dict:
    """``TRACKER_CONTACT`` (an email address or an http(s) link) and ``TRACKER_REPOSITORY_URL``
    (an http(s) link), each None when not set."""
    contact = os.environ.get("TRACKER_CONTACT", "").strip() or None
    if contact and not _EMAIL.fullmatch(contact):
        _link("TRACKER_CONTACT", contact)
    repository = os.environ.get("TRACKER_REPOSITORY_URL", "").strip() or None
    if repository:
        _link("TRACKER_REPOSITORY_URL", repository)
    return {"TRACKER_CONTACT": contact, "TRACKER_REPOSITORY_URL": repository}


THROTTLE_SETTINGS = (
    "LOGIN_MAX_FAILURES_PER_ACCOUNT",
    "LOGIN_MAX_FAILURES_PER_ADDRESS",
    "LOGIN_WINDOW_SECONDS",
)


def positive_int_settings(names: tuple[str, ...]) -> dict:
    """Whole-number settings given in the environment (the app's defaults apply otherwise)."""
    out = {}
    for name in names:
        raw = os.environ.get(name, "").strip()
        if not raw:
            continue
        if not raw.isdigit() or int(raw) < 1:
            raise ConfigError(f"{name} must be a whole number of at least 1, not {raw!r}.")
        out[name] = int(raw)
    return out


# How long a staff session lasts without a request, and at most (``tracker.web.auth``).
SESSION_SETTINGS = ("SESSION_IDLE_SECONDS", "SESSION_ABSOLUTE_SECONDS")
# The CSV import's limits (defaults in ``tracker.web.imports.LIMITS``): data rows and bytes.
IMPORT_SETTINGS = ("IMPORT_MAX_ROWS", "IMPORT_MAX_BYTES")


def defaults(production: bool = False) -> dict:
    """The settings that do not come from the environment (the base of ``test_config`` too)."""
    return {
        "TRACKER_ENV": "production" if production else "development",
        "TRACKER_PROXIES": 0,
        "TRUSTED_HOSTS": None,
        "SERVER_NAME": None,
        "TRACKER_CONTACT": None,
        "TRACKER_REPOSITORY_URL": None,
        "DATABASE_URL": DEFAULT_DATABASE_URL,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 2 * 1024 * 1024,
        "MAX_FORM_PARTS": 5000,
        "PAGE_CACHE_ENTRIES": 512,
    }


def from_environment(instance_path: Path) -> dict:
    """The config mapping for ``create_app``: the defaults, then what the environment sets."""
    production = is_production()
    return {
        **defaults(production),
        **positive_int_settings(THROTTLE_SETTINGS),
        **positive_int_settings(SESSION_SETTINGS),
        **positive_int_settings(IMPORT_SETTINGS),
        **site_settings(),
        "TRACKER_PROXIES": proxies(),
        "TRUSTED_HOSTS": trusted_hosts(),
        "SERVER_NAME": server_name(),
        "DATABASE_URL": database_url(),
        "SECRET_KEY": secret_key(instance_path),
        **page_cache_entries(),
    }


def page_cache_entries() -> dict:
    """``PAGE_CACHE_ENTRIES`` when set: a whole number, 0 or more."""
    raw = os.environ.get("PAGE_CACHE_ENTRIES", "").strip()
    if not raw:
        return {}
    if not raw.isdigit():
        raise ConfigError(f"PAGE_CACHE_ENTRIES must be a whole number (0 turns it off), not {raw!r}.")
    return {"PAGE_CACHE_ENTRIES": int(raw)}
