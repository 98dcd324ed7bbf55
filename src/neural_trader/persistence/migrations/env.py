"""Alembic environment of the trading store.

The platform migrates programmatically (:func:`neural_trader.persistence.db.upgrade` hands over
a connection that already holds the migration lock inside an open transaction, through
``config.attributes["connection"]``), so the usual path here only runs the migrations on that
connection and leaves the commit to the caller. Run by hand (``alembic -c ...``), it opens the
store named by ``sqlalchemy.url`` (or the platform's configured store) with the same engine
settings and the same lock.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from neural_trader.persistence.db import create_store_engine, migration_lock
from neural_trader.persistence.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from neural_trader.config import load_settings

    return load_settings().trading_db_url


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        _run(given)
        return
    engine = create_store_engine(_url())
    try:
        with engine.begin() as connection:
            migration_lock(connection)
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
