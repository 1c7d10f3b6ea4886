"""The data version: one row, bumped with every change to public data, read by every ETag."""

import sqlalchemy as sa
from sqlmodel import Session, select
from synthetic import count_queries

from tracker import write
from tracker.codes import InstrumentStatus
from tracker.models import Country, DataVersion, Instrument
from tracker.web import caching
from tracker.write import changes, sessions

ACTOR = changes.Actor(email="editor@example.org")


def version(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(DataVersion.value)).one()


def test_the_table_starts_with_its_one_row(engine):
    with Session(engine) as s:
        rows = s.exec(select(DataVersion)).all()
    assert [(row.id, row.value) for row in rows] == [(1, 1)]


def test_a_change_through_the_write_layer_adds_one(engine, make_instrument):
    inst = make_instrument(status=InstrumentStatus.DRAFTING)
    before = version(engine)
    with Session(engine) as s, write.transaction(s):
        changes.update(s, s.get(Instrument, inst.id), ACTOR,
                       {"status": InstrumentStatus.ADOPTED}, expected_version=inst.version)
    assert version(engine) == before + 1


def test_an_update_that_changes_nothing_leaves_it(engine, make_instrument):
    inst = make_instrument()
    before = version(engine)
    with Session(engine) as s, write.transaction(s):
        changes.update(s, s.get(Instrument, inst.id), ACTOR, {"title": inst.title},
                       expected_version=inst.version)
    assert version(engine) == before


def test_a_refused_change_leaves_it(engine, make_instrument):
    inst = make_instrument(title="Original")
    before = version(engine)
    try:
        with Session(engine) as s, write.transaction(s):
            changes.update(s, s.get(Instrument, inst.id), ACTOR, {"title": "New"},
                           expected_version=inst.version)
            raise RuntimeError("the request failed after the write")
    except RuntimeError:
        pass
    assert version(engine) == before
    with Session(engine) as s:
        assert s.get(Instrument, inst.id).title == "Original"


def test_a_bulk_statement_counts_as_a_change(engine, make_country):
    country = make_country()
    before = version(engine)
    with Session(engine) as s, write.transaction(s):
        s.execute(sa.update(Country).where(Country.id == country.id).values(languages="fr"))
    assert version(engine) == before + 1


def test_signing_in_does_not_invalidate_public_pages(engine, staff):
    before = version(engine)
    with Session(engine) as s, write.transaction(s):
        sessions.start(s, s.get(type(staff.admin), staff.admin.id))
    assert version(engine) == before


def test_a_304_reads_one_row_however_large_the_data(client, engine, demo_data):
    url = "/en/countries/ZMB"
    client.get(url)  # the first visit sets the language cookie
    etag = client.get(url).headers["ETag"]
    with count_queries(engine) as statements:
        again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    selects = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
    # Answered by the page cache after its one read of the data version on its own connection
    # (not seen here), or by the view after the same read through the session.
    assert len(selects) <= 1, statements
    assert all("data_version" in sql and "count(" not in sql.lower() for sql in selects)


def test_every_instance_sees_a_change_at_its_next_request(app, engine, demo_data, make_instrument):
    """Two apps on one database stand for two instances behind a load balancer."""
    from tracker import create_app

    other = create_app(dict(app.config))
    url = "/en/countries/ZMB"
    first = app.test_client().get(url).headers["ETag"]
    assert other.test_client().get(url).headers["ETag"] == first
    zmb = demo_data.exec(select(Country).where(Country.iso3 == "ZMB")).one()
    with Session(engine) as s, write.transaction(s):
        changes.update(s, s.get(Country, zmb.id), ACTOR, {"languages": "en fr"},
                       expected_version=zmb.version)
    seen = other.test_client().get(url, headers={"If-None-Match": first})
    assert seen.status_code == 200
    assert seen.headers["ETag"] != first
    other.extensions["engine"].dispose()


def test_the_version_query_is_a_primary_key_lookup():
    sql = str(caching.VERSION_QUERY.compile(compile_kwargs={"literal_binds": True}))
    assert "data_version.id = 1" in sql
