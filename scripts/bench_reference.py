"""The reference server of ``make bench``: the same gunicorn, serving bytes saved from the tracker.

``scripts/bench.py`` saves each page it measures into ``BENCH_BYTES_DIR`` (one file per page, named
by ``name_for(path)``) and starts this app with the tracker's own gunicorn configuration, so the
ratio "tracker / reference" says how close a page comes to the cost of serving its bytes alone.
``/__empty`` answers 200 with an empty body: the reference for a 304.
"""

import os
from hashlib import sha256
from pathlib import Path


def name_for(path: str) -> str:
    """The file name a path's bytes are saved under (paths carry ``?`` and ``/``)."""
    return sha256(path.encode()).hexdigest()[:24]


_DIR = Path(os.environ.get("BENCH_BYTES_DIR", "."))
_CACHE: dict[str, bytes] = {}


def app(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if environ.get("QUERY_STRING"):
        path += "?" + environ["QUERY_STRING"]
    if path == "/__empty":
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]
    body = _CACHE.get(path)
    if body is None:
        file = _DIR / name_for(path)
        if not file.is_file():
            start_response("404 Not Found", [("Content-Length", "0")])
            return [b""]
        body = _CACHE[path] = file.read_bytes()
    start_response(
        "200 OK",
        [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]
