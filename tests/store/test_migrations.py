from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, table, text

from app.store.database import make_engine, migrate
from app.store.tables import Base


def test_migrations_build_exactly_the_orm_schema(database_url):
    migrate(database_url)
    engine = make_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def _schema(url: str) -> dict[str, object]:
    """Every table's columns, keys, constraints, indexes and row count, and the schema's revision."""
    engine = make_engine(url)
    found = inspect(engine)
    schema: dict[str, object] = {}
    with engine.connect() as connection:
        for name in sorted(found.get_table_names()):
            schema[name] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], str(c["default"])) for c in found.get_columns(name)
                ],
                "primary key": found.get_pk_constraint(name)["constrained_columns"],
                "unique": sorted((u["name"], u["column_names"]) for u in found.get_unique_constraints(name)),
                "indexes": sorted((i["name"], i["column_names"], i["unique"]) for i in found.get_indexes(name)),
                "foreign keys": sorted(
                    (f["constrained_columns"], f["referred_table"]) for f in found.get_foreign_keys(name)
                ),
                "rows": connection.execute(select(func.count()).select_from(table(name))).scalar_one(),
            }
        schema["revision"] = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    engine.dispose()
    return schema


def test_migrating_twice_changes_nothing(database_url):
    migrate(database_url)
    once = _schema(database_url)
    assert {"banks", "memories", "alembic_version"} <= set(once)
    migrate(database_url)
    assert _schema(database_url) == once


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
