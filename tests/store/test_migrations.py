from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.store.database import make_engine, migrate
from app.store.tables import Base


def test_migrations_build_exactly_the_orm_schema(database_url):
    migrate(database_url)
    engine = make_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_migrating_twice_changes_nothing(database_url):
    migrate(database_url)
    migrate(database_url)
    engine = make_engine(database_url)
    assert {"banks", "memories", "alembic_version"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_upgrading_a_filled_database_keeps_every_memory_and_version(database_url):
    from sqlalchemy import text

    migrate(database_url, "0004")
    engine = make_engine(database_url)
    rows = [
        ("banks (id, name, next_position, write_sequence, created_at)", "(1, 'b', 1, 1, '2026-01-01')"),
        (
            "memories (id, bank_id, position, text, tokens, model_version, embedding, created_at, version)",
            "(7, 1, 0, 'Joe went.', '[]', 'v', :e, '2026-01-01', 2)",
        ),
        ("memory_versions (memory_id, version, text, recorded_at)", "(7, 1, 'Joe left.', '2026-01-01')"),
    ]
    with engine.begin() as connection:
        for table, values in rows:
            connection.execute(text(f"INSERT INTO {table} VALUES {values}"), {"e": b"0"})
    engine.dispose()
    migrate(database_url)
    engine = make_engine(database_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id, text FROM memories")).all() == [(7, "Joe went.")]
        assert connection.execute(text("SELECT memory_id, text FROM memory_versions")).all() == [(7, "Joe left.")]
    engine.dispose()


def test_postgresql_statements_wait_for_a_lock_no_longer_than_sqlite_does(postgres_url):
    from sqlalchemy import text

    engine = make_engine(postgres_url)
    with engine.connect() as connection:
        assert connection.execute(text("SHOW lock_timeout")).scalar() == "30s"
    engine.dispose()
