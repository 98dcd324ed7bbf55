"""The durable trading store: SQLAlchemy models, Alembic migrations and engine set-up for the
order journal (SQLite in WAL mode by default, PostgreSQL optional; docs/decisions/0013)."""

from neural_trader.persistence.db import create_store_engine, open_store, safe_url, upgrade

__all__ = ["create_store_engine", "open_store", "safe_url", "upgrade"]
