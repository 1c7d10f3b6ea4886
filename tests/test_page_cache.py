"""Whole public answers served from memory while the data version stands (tracker.web.pagecache)."""

import gzip

from sqlmodel import Session, select
from synthetic import count_queries, publish_all

from tracker import create_app, write
from tracker.models import Country, Instrument
from tracker.write import changes

ACTOR = changes.Actor(email="editor@example.org")
URL = "/en/countries/ZMB"
REGS = "Environmental Management (E-Waste Management) Regulations, 2024"


def selects(statements) -> list[str]:
    return [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]


def rename(engine, title: str, new: str, publish: bool = True) -> None:
    """Rename an instrument in its country's working copy, then (by default) publish the
    country: the public pages serve publications, so only then does the page change."""
    with Session(engine) as s, write.transaction(s):
        inst = s.exec(select(Instrument).where(Instrument.title == title)).one()
        changes.update(s, inst, ACTOR, {"title": new}, expected_version=inst.version)
        country_id = inst.country_id
    if publish:
        with Session(engine) as s:
            publish_all(s, s.get(Country, country_id), message="Renames an instrument")


def test_a_repeat_visit_is_served_from_memory_after_one_read(app, client, engine, demo_data):
    client.get(URL)  # the first visit also sets the language cookie: a reader's next visits
    first = client.get(URL)  # carry it, and share this answer
    cache = app.wsgi_app
    reads = []
    real = cache._version
    cache._version = lambda: reads.append(1) or real()
    with count_queries(engine) as statements:
        again = client.get(URL)
    assert again.status_code == 200
    assert again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]
    assert reads == [1]  # the data version, on the middleware's own connection
    assert selects(statements) == []  # nothing else: no read model, no rendering


def test_a_change_is_served_at_the_next_request(client, engine, demo_data):
    assert REGS in client.get(URL).get_data(as_text=True)
    client.get(URL)
    rename(engine, REGS, "E-Waste Regulations (draft)", publish=False)
    page = client.get(URL).get_data(as_text=True)  # a draft: the publication stands
    assert REGS in page and "E-Waste Regulations (draft)" not in page
    rename(engine, "E-Waste Regulations (draft)", "E-Waste Regulations (renamed)")
    page = client.get(URL).get_data(as_text=True)
    assert "E-Waste Regulations (renamed)" in page and REGS not in page


def test_a_change_on_another_instance_is_served_at_the_next_request(app, engine, demo_data):
    """Two apps on one database stand for two instances behind a load balancer."""
    other = create_app(dict(app.config))
    try:
        reader = other.test_client()
        reader.get(URL)
        assert REGS in reader.get(URL).get_data(as_text=True)  # now kept in `other`
        rename(engine, REGS, "Renamed on the first instance")  # and published there
        assert "Renamed on the first instance" in reader.get(URL).get_data(as_text=True)
    finally:
        other.extensions["engine"].dispose()


def test_a_304_from_memory_carries_the_tag_and_no_body(client, demo_data):
    client.get(URL)
    etag = client.get(URL).headers["ETag"]
    again = client.get(URL, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "no-cache"
    assert "Content-Security-Policy" in again.headers


def test_staff_never_get_or_leave_a_kept_page(app, client, demo_data, make_user, sign_in):
    client.get(URL)
    client.get(URL)  # kept for anonymous readers
    staff_client = sign_in(make_user(), to=app.test_client())
    seen = staff_client.get(URL)
    assert "Sign out" in seen.get_data(as_text=True)
    assert seen.headers["Cache-Control"] == "no-store"
    assert "Sign out" not in client.get(URL).get_data(as_text=True)


def test_compressed_and_plain_answers_are_kept_apart(client, demo_data):
    client.get(URL)  # sets the language cookie, so the next three share one cookie state
    zipped = client.get(URL, headers={"Accept-Encoding": "gzip"})
    zipped_again = client.get(URL, headers={"Accept-Encoding": "gzip"})
    plain = client.get(URL, headers={"Accept-Encoding": "identity"})
    assert zipped_again.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped_again.data) == plain.data
    assert "Content-Encoding" not in plain.headers
    assert REGS in plain.get_data(as_text=True)
    assert zipped.data == zipped_again.data


def test_answers_for_another_host_are_kept_apart(client, demo_data):
    client.get(URL, base_url="http://one.example.org")
    client.get(URL, base_url="http://one.example.org")
    other = client.get("/exports/datapackage.json", base_url="http://two.example.org")
    assert b"one.example.org" not in other.data
    assert b"one.example.org" not in client.get(URL, base_url="http://two.example.org").data


def test_errors_posts_and_exports_are_not_kept(app, client, demo_data):
    cache = app.wsgi_app
    cache.clear()
    client.get("/en/countries/XYZ")
    client.get("/en/countries/XYZ")
    client.get("/exports/coverage.csv")
    client.post("/en/countries/ZMB")
    assert len(cache) == 0
    client.get(URL, headers={"Cookie": "lang=en"})
    assert len(cache) == 1


def test_the_cache_can_be_turned_off(app_config, demo_data):
    app = create_app({**app_config, "PAGE_CACHE_ENTRIES": 0})
    try:
        assert app.wsgi_app.__self__ is app  # the plain Flask app, no middleware
    finally:
        app.extensions["engine"].dispose()


def test_the_oldest_answers_go_first_when_full(app_config, demo_data):
    app = create_app({**app_config, "PAGE_CACHE_ENTRIES": 2})
    try:
        client = app.test_client()
        for url in ("/en/", "/en/countries/ZMB", "/en/countries/RWA", "/en/countries/PRY"):
            client.get(url, headers={"Cookie": "lang=en"})
        assert len(app.wsgi_app) == 2
    finally:
        app.extensions["engine"].dispose()


def test_a_conditional_request_after_a_change_renders_once_then_304s_from_memory(
    app, client, engine, demo_data
):
    client.get(URL)
    etag = client.get(URL).headers["ETag"]
    rename(engine, REGS, "Renamed again")
    changed = client.get(URL, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "Renamed again" in changed.get_data(as_text=True)
    new_tag = changed.headers["ETag"]
    assert new_tag != etag
    with count_queries(engine) as statements:
        again = client.get(URL, headers={"If-None-Match": new_tag})
    assert again.status_code == 304 and again.data == b""
    assert selects(statements) == []


def test_a_kept_page_takes_no_connection_from_the_pool(app, client, engine, demo_data):
    """The data version is read on the serving thread's own connection: serving a kept page
    checks nothing out of the app's pool (a checkout and its reset cost five times the read)."""
    import sqlalchemy as sa

    client.get(URL)
    client.get(URL)  # kept now
    checkouts = []
    app_engine = app.extensions["engine"]
    listener = lambda *args: checkouts.append(1)  # noqa: E731
    sa.event.listen(app_engine, "checkout", listener)
    try:
        for _ in range(3):
            assert client.get(URL).status_code == 200
    finally:
        sa.event.remove(app_engine, "checkout", listener)
    assert checkouts == []


def test_disposing_of_the_engine_closes_the_version_connections(app, client, demo_data):
    """Disposing of the app's engine closes the connections the page cache reads the version
    on (a PostgreSQL database with an open connection cannot be dropped), and the next request
    opens a new one and is served as before."""
    client.get(URL)
    kept = client.get(URL)
    versions = app.wsgi_app._versions
    assert len(versions._open) == 1
    [(_engine, conn)] = versions._open
    app.extensions["engine"].dispose()
    assert versions._open == []
    import pytest

    with pytest.raises(_engine.dialect.loaded_dbapi.Error):
        conn.cursor().execute("SELECT 1")  # closed
    again = client.get(URL)
    assert again.status_code == 200 and again.data == kept.data
    assert len(versions._open) == 1


def test_a_broken_version_connection_is_replaced_at_once(app, client, engine, demo_data):
    """A version connection that fails (the server closed it, a restart) is replaced within the
    same request: the page is still served from memory, and a change made meanwhile is seen."""
    client.get(URL)
    client.get(URL)
    versions = app.wsgi_app._versions
    [(_engine, conn)] = versions._open
    conn.close()  # as if the server had dropped it
    reads = []
    real = app.wsgi_app.wsgi_app
    app.wsgi_app.wsgi_app = lambda *a: reads.append(1) or real(*a)
    try:
        assert REGS in client.get(URL).get_data(as_text=True)
        assert reads == []  # served from memory: the version was read on a new connection
        rename(engine, REGS, "Renamed while the connection was replaced")
        assert "Renamed while the connection was replaced" in client.get(URL).get_data(as_text=True)
    finally:
        app.wsgi_app.wsgi_app = real
