import pytest
import sqlalchemy as sa


@pytest.fixture
def sqlite_only(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas only")


def test_sqlite_pragmas_are_on(engine, sqlite_only):
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_foreign_keys_are_enforced(engine):
    from tracker.models import Instrument

    with engine.connect() as conn:
        with pytest.raises(sa.exc.IntegrityError):
            conn.execute(
                sa.insert(Instrument.__table__).values(
                    country_id=9999,
                    type="act",
                    title="x",
                    title_lang="en",
                    status="in_force",
                    version=1,
                    created_at=sa.func.now(),
                    updated_at=sa.func.now(),
                )
            )
            conn.commit()


def test_transactions_roll_back(engine, make_country):
    from tracker.models import Country

    with engine.connect() as conn:
        conn.execute(
            sa.insert(Country.__table__).values(
                iso3="ABC",
                iso2="AB",
                languages="",
                version=1,
                created_at=sa.func.now(),
                updated_at=sa.func.now(),
            )
        )
        conn.rollback()
        assert conn.execute(sa.select(sa.func.count()).select_from(Country.__table__)).scalar() == 0
