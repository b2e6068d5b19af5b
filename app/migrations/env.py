"""Alembic environment: the URL comes from the caller (``memnn migrate`` sets it)."""

from alembic import context

from app.store.database import make_engine
from app.store.tables import Base

target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=context.config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "set sqlalchemy.url (memnn migrate does)"
    engine = make_engine(url)
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":  # a table rebuilt by a batch migration must not cascade deletes
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()  # end the transaction the statement began, so the migrations' own commits
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
