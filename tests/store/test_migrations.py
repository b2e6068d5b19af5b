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
