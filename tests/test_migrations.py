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
