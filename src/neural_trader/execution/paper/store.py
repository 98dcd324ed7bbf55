"""The paper broker's own durable state: its account, orders, fills and what it has seen.

A paper broker stands in for a venue, so it keeps its books apart from the order journal (a
separate SQLite file): reconciliation then compares two independent records, as it would
with a real broker, and a crash of the runner cannot take the "venue" down with it. Every
change is one committed transaction (WAL), so the venue survives ``kill -9`` exactly as a
real one survives our process dying. Floats (the cash ledger and positions, 0006's
arithmetic) are stored as their ``repr``, which round-trips a double exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

__all__ = ["PaperStore"]

_SCHEMA_VERSION = "1"

metadata = sa.MetaData()

meta = sa.Table(
    "paper_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
symbols = sa.Table(
    "paper_symbols",
    metadata,
    sa.Column("symbol", sa.String(64), primary_key=True),
    sa.Column("position", sa.Text, nullable=False),
    sa.Column("avg_price", sa.Text, nullable=False),
    sa.Column("bars_seen", sa.BigInteger, nullable=False),
    sa.Column("last_ts", sa.BigInteger, nullable=False),
    sa.Column("last_price", sa.Text, nullable=False),
)
orders = sa.Table(
    "paper_orders",
    metadata,
    sa.Column("client_order_id", sa.String(128), primary_key=True),
    sa.Column("venue_order_id", sa.String(64), nullable=False, unique=True),
    sa.Column("symbol", sa.String(64), nullable=False),
    sa.Column("side", sa.String(8), nullable=False),
    sa.Column("order_type", sa.String(16), nullable=False),
    sa.Column("time_in_force", sa.String(8), nullable=False),
    sa.Column("quantity", sa.Text, nullable=False),
    sa.Column("limit_price", sa.Text),
    sa.Column("stop_price", sa.Text),
    sa.Column("status", sa.String(24), nullable=False, index=True),
    sa.Column("filled", sa.Text, nullable=False),
    sa.Column("notional", sa.Text, nullable=False),
    sa.Column("submit_index", sa.BigInteger, nullable=False),
    sa.Column("ts_submitted", sa.BigInteger, nullable=False),
    sa.Column("ts_updated", sa.BigInteger, nullable=False),
    sa.Column("reason", sa.Text),
)
fills = sa.Table(
    "paper_fills",
    metadata,
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("trade_id", sa.String(64), nullable=False, unique=True),
    sa.Column("client_order_id", sa.String(128), nullable=False, index=True),
    sa.Column("venue_order_id", sa.String(64), nullable=False),
    sa.Column("symbol", sa.String(64), nullable=False),
    sa.Column("side", sa.String(8), nullable=False),
    sa.Column("quantity", sa.Text, nullable=False),
    sa.Column("price", sa.Text, nullable=False),
    sa.Column("fee", sa.Text, nullable=False),
    sa.Column("ts_event", sa.BigInteger, nullable=False, index=True),
)


def _upsert(table: sa.Table, key: str) -> Any:
    """``INSERT ... ON CONFLICT(key) DO UPDATE`` of every other column, parameters bound at
    execution: one prebuilt statement (SQLAlchemy caches its compiled form; building a fresh
    ``.values(...)`` per call costs more than the write itself)."""
    stmt = sqlite_insert(table)
    others = {c.name: stmt.excluded[c.name] for c in table.columns if c.name != key}
    return stmt.on_conflict_do_update(index_elements=[table.c[key]], set_=others)


_GET = sa.select(meta.c.value).where(meta.c.key == sa.bindparam("k"))
_PUT = _upsert(meta, "key")
SAVE_SYMBOL = _upsert(symbols, "symbol")
INSERT_ORDER = orders.insert()
UPDATE_ORDER = (
    orders.update()
    .where(orders.c.client_order_id == sa.bindparam("cid_"))
    .values(
        status=sa.bindparam("status"),
        filled=sa.bindparam("filled"),
        notional=sa.bindparam("notional"),
        ts_updated=sa.bindparam("ts_updated"),
    )
)


class PaperStore:
    """SQLite file of one paper account; ``transaction()`` is the unit of durability."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.engine: Engine = sa.create_engine(f"sqlite:///{path}")
        sa.event.listen(self.engine, "connect", _pragmas)
        metadata.create_all(self.engine)
        with self.transaction() as conn:
            version = self.get(conn, "schema_version")
            if version is None:
                self.put(conn, "schema_version", _SCHEMA_VERSION)
            elif version != _SCHEMA_VERSION:
                raise RuntimeError(
                    f"paper account {path} has schema {version}; this version reads "
                    f"{_SCHEMA_VERSION}. Move the file aside to start a new paper account."
                )

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    @staticmethod
    def get(conn: Connection, key: str) -> str | None:
        row = conn.execute(_GET, {"k": key}).first()
        return None if row is None else str(row[0])

    @staticmethod
    def put(conn: Connection, key: str, value: str) -> None:
        conn.execute(_PUT, {"key": key, "value": value})

    @staticmethod
    def put_many(conn: Connection, values: dict[str, str]) -> None:
        conn.execute(_PUT, [{"key": k, "value": v} for k, v in values.items()])

    def close(self) -> None:
        self.engine.dispose()


def _pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()
