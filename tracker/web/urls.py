"""Absolute links, only where the host is known (not the client's Host header)."""

from flask import current_app, request, url_for


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


def link(endpoint: str, **values) -> str:
    """An absolute URL when the host is configured, else the path (never the client's Host)."""
    return external_url(endpoint, **values) or url_for(endpoint, **values)


def api_servers() -> list[dict]:
    """The OpenAPI document's ``servers``: the site's configured address (``SERVER_NAME``, or the
    request's host once ``TRUSTED_HOSTS`` has accepted it), else ``/``, the host the document was
    fetched from: a forged ``Host`` header is never written into the document."""
    root = external_url("public.root")
    if root is None:
        return [{"url": "/", "description": "The host this document was fetched from."}]
    return [{"url": root.rstrip("/"), "description": "This site."}]


# The query arguments of a long list that its links keep (anything else a reader added is dropped:
# ``url_for`` would read ``_anchor`` or ``_external`` as its own).
LIST_ARGS = ("page", "sort", "dir", "c")


def this_page_with(**changes) -> str:
    """The address of the current page with some of its list's query arguments changed (None
    drops one): the page links of a long list keep its sort and the countries picked."""
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k in LIST_ARGS}
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = value
    return url_for(request.endpoint, **(request.view_args or {}), **args)
