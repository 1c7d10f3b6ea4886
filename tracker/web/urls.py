"""Absolute links, only where the host is known (not the client's Host header)."""

from flask import current_app, url_for


def host_is_configured() -> bool:
    """True when absolute links may be built: ``SERVER_NAME`` names the host, or the request's
    Host has passed ``TRUSTED_HOSTS``. Otherwise the Host header is the client's word only."""
    config = current_app.config
    return bool(config.get("SERVER_NAME") or config.get("TRUSTED_HOSTS"))


def external_url(endpoint: str, **values) -> str | None:
    """An absolute URL for ``endpoint``, or None when no host is configured."""
    if not host_is_configured():
        return None
    return url_for(endpoint, _external=True, **values)
