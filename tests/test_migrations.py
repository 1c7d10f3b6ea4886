"""Migrations build the schema the models describe, and come back down cleanly."""

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from tracker.cli import alembic_config


def _tables(engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_upgrade_head_matches_the_models_then_downgrade_base(bare_app):
    engine = bare_app.extensions["engine"]
    url = bare_app.config["DATABASE_URL"]
    cfg = alembic_config(url)
    cfg.attributes["skip_logging"] = True

    command.upgrade(cfg, "head")
    assert {"country", "provision", "coverage", "coverage_link", "change_record"} <= _tables(engine)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    assert diff == []

    command.check(cfg)  # `alembic check`: raises when autogenerate would write anything

    command.downgrade(cfg, "base")
    assert _tables(engine) <= {"alembic_version"}


def test_cli_db_upgrade(bare_app):
    result = bare_app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "country" in _tables(bare_app.extensions["engine"])


def _insert(conn, name: str, **values) -> int:
    """Insert a row into ``name`` as the schema at this revision has it: the given values, and a
    plain value of its type for every other required column."""
    from datetime import UTC, datetime

    table = sa.Table(name, sa.MetaData(), autoload_with=conn)
    plain = {sa.Integer: 1, sa.String: "x", sa.Text: "x", sa.Boolean: False,
             sa.DateTime: datetime(2026, 12, 1, tzinfo=UTC), sa.JSON: None}
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        if column.server_default is None:
            values[column.name] = next(v for t, v in plain.items() if isinstance(column.type, t))
    return conn.execute(sa.insert(table).values(**values)).inserted_primary_key[0]


def test_history_of_translations_written_before_gets_the_country_of_the_record(bare_app):
    """Change records of translations were written without a country; the revision that follows
    fills it in from the translated record (a creation holds the whole translation, a change
    only what changed, so that one is found through the translation itself)."""
    engine = bare_app.extensions["engine"]
    cfg = alembic_config(bare_app.config["DATABASE_URL"])
    cfg.attributes["skip_logging"] = True
    command.upgrade(cfg, "226d71794611")
    with engine.begin() as conn:
        zmb = _insert(conn, "country", iso3="ZMB", iso2="ZM", languages="en")
        act = _insert(conn, "instrument", country_id=zmb, type="act", title="Act",
                      title_lang="en", status="in_force")
        french = _insert(conn, "text_translation", entity="instrument", entity_id=act,
                         field="summary", locale="fr", text="Résumé")
        whole = {"entity": "instrument", "entity_id": act, "field": "summary", "locale": "fr"}
        created = _insert(conn, "change_record", action="create", entity="text_translation",
                          entity_id=french, after=whole)
        changed = _insert(conn, "change_record", action="update", entity="text_translation",
                          entity_id=french, before={"text": "Résumé"}, after={"text": "Autre"})
        gone = _insert(conn, "change_record", action="delete", entity="text_translation",
                       entity_id=999, before={**whole, "entity_id": 999})
        other = _insert(conn, "change_record", action="update", entity="instrument",
                        entity_id=act, before={"title": "A"}, after={"title": "Act"})
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        found = dict(conn.execute(sa.text("SELECT id, country_id FROM change_record")).all())
    # the instrument's own change record is left as it was (no country before this revision)
    assert found == {created: zmb, changed: zmb, gone: None, other: None}
