"""The trading store's tables (docs/decisions/0013).

Every table carries a ``broker`` column: one database may hold the journals of several brokers
(``paper`` beside ``alpaca``) and a :class:`~neural_trader.execution.journal.Journal` only ever
reads and writes the rows of the broker it is bound to. Money and quantities are
:class:`DecimalText` (the exact ``Decimal`` as text) because SQLite has no exact decimal type
and a float would round a price on its way to disk. Timestamps are int64 UNIX nanoseconds.

These declarations are the reference the migrations must reproduce: a test compares the schema
Alembic builds with this metadata, so a column added here without a migration fails the suite.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "SUBMISSION_VALUES",
    "AccountSnapshotRow",
    "Base",
    "DecimalText",
    "EventRow",
    "FillRow",
    "JSONText",
    "OrderRow",
    "PositionRow",
    "StateRow",
    "dumps_json",
]

SUBMISSION_VALUES = ("none", "pending", "unknown", "acked")
"""Where the send of an order stands, independent of its status at the broker.

``none``: never sent (denied by our own checks); ``pending``: recorded, the send has not been
answered yet; ``unknown``: the send was answered by a timeout or reset, the order may or may
not exist at the broker; ``acked``: the broker has acknowledged or reported the order.
"""

_STATUS_VALUES = (
    "INITIALIZED",
    "DENIED",
    "SUBMITTED",
    "ACCEPTED",
    "PARTIALLY_FILLED",
    "FILLED",
    "PENDING_CANCEL",
    "CANCELED",
    "REJECTED",
    "EXPIRED",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class DecimalText(TypeDecorator[Decimal]):
    """An exact ``Decimal`` stored as its ``str()``.

    ``Numeric`` would be exact on PostgreSQL but goes through float on SQLite; text is exact on
    both and keeps the value's scale (``10.10`` reads back as ``10.10``). The price of text is
    that SQL cannot compare or sum these columns, so the journal does its arithmetic in Python,
    where it wants exact ``Decimal`` arithmetic anyway. Floats are refused: a float reaching the
    store means a caller already rounded a price.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise TypeError(
                f"DecimalText stores Decimal or int values, got {type(value).__name__} {value!r}"
            )
        number = Decimal(value)
        if not number.is_finite():
            raise ValueError(f"DecimalText cannot store the non-finite value {number}")
        return str(number)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


def dumps_json(value: Any) -> str:
    """Compact, key-sorted JSON; ``Decimal`` becomes its exact string (never a float)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable: {value!r}")


class JSONText(TypeDecorator[Any]):
    """A JSON value stored as text.

    Text rather than PostgreSQL ``JSONB`` so that both backends store the identical bytes and
    the migration needs no dialect branch; nothing queries inside these documents.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str:
        return dumps_json(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


# An autoincrementing 64-bit key. SQLite only autoincrements an INTEGER PRIMARY KEY (its rowid,
# already 64-bit), so the SQLite variant is Integer; PostgreSQL gets a BIGINT identity.
BigIntKey = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class OrderRow(Base):
    """One order: what we asked for, where the send stands and what the broker last said."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(_in("submission", SUBMISSION_VALUES), name="submission"),
        CheckConstraint(_in("status", _STATUS_VALUES), name="status"),
        Index(None, "broker", "venue_order_id"),
        Index(None, "broker", "status"),
    )

    broker: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_order_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    strategy: Mapped[str] = mapped_column(String(128))
    symbol: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(8))
    order_type: Mapped[str] = mapped_column(String(16))
    time_in_force: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[Decimal] = mapped_column(DecimalText())
    limit_price: Mapped[Decimal | None] = mapped_column(DecimalText())
    stop_price: Mapped[Decimal | None] = mapped_column(DecimalText())
    take_profit: Mapped[Decimal | None] = mapped_column(DecimalText())
    stop_loss: Mapped[Decimal | None] = mapped_column(DecimalText())
    status: Mapped[str] = mapped_column(String(16))
    submission: Mapped[str] = mapped_column(String(8))
    venue_order_id: Mapped[str | None] = mapped_column(String(128))
    filled_quantity: Mapped[Decimal] = mapped_column(DecimalText())
    avg_fill_price: Mapped[Decimal | None] = mapped_column(DecimalText())
    reason: Mapped[str | None] = mapped_column(Text)
    external: Mapped[bool] = mapped_column(Boolean(create_constraint=False))
    ts_created: Mapped[int] = mapped_column(BigInteger)
    ts_updated: Mapped[int] = mapped_column(BigInteger)
    ts_broker: Mapped[int] = mapped_column(BigInteger)


class FillRow(Base):
    """One execution; the primary key ``(broker, trade_id)`` is what makes a fill count once."""

    __tablename__ = "fills"
    __table_args__ = (
        Index(None, "broker", "client_order_id"),
        Index(None, "broker", "ts_event"),
    )

    broker: Mapped[str] = mapped_column(String(64), primary_key=True)
    trade_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    client_order_id: Mapped[str] = mapped_column(String(128))
    venue_order_id: Mapped[str] = mapped_column(String(128))
    symbol: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[Decimal] = mapped_column(DecimalText())
    price: Mapped[Decimal] = mapped_column(DecimalText())
    commission: Mapped[Decimal] = mapped_column(DecimalText())
    currency: Mapped[str] = mapped_column(String(16))
    ts_event: Mapped[int] = mapped_column(BigInteger)
    ts_init: Mapped[int] = mapped_column(BigInteger)


class PositionRow(Base):
    """The net position per symbol, kept by average cost; ``quantity`` is signed."""

    __tablename__ = "positions"

    broker: Mapped[str] = mapped_column(String(64), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(64), primary_key=True)
    quantity: Mapped[Decimal] = mapped_column(DecimalText())
    avg_price: Mapped[Decimal] = mapped_column(DecimalText())
    realized_pnl: Mapped[Decimal] = mapped_column(DecimalText())
    ts_updated: Mapped[int] = mapped_column(BigInteger)


class AccountSnapshotRow(Base):
    """Balances as the broker reported them, appended (never updated) for a history."""

    __tablename__ = "account_snapshots"
    __table_args__ = (Index(None, "broker", "id"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    broker: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[str] = mapped_column(String(128))
    currency: Mapped[str] = mapped_column(String(16))
    cash: Mapped[Decimal] = mapped_column(DecimalText())
    equity: Mapped[Decimal] = mapped_column(DecimalText())
    buying_power: Mapped[Decimal] = mapped_column(DecimalText())
    ts_event: Mapped[int] = mapped_column(BigInteger)
    ts_init: Mapped[int] = mapped_column(BigInteger)
    extra: Mapped[Any] = mapped_column(JSONText())


class StateRow(Base):
    """Small named JSON values that must survive a restart (kill switch, replay cursor)."""

    __tablename__ = "state"

    broker: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONText())
    ts_updated: Mapped[int] = mapped_column(BigInteger)


class EventRow(Base):
    """The append-only audit log: everything the journal applied or refused, and why."""

    __tablename__ = "events"
    __table_args__ = (Index(None, "broker", "kind", "id"),)

    id: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=True)
    broker: Mapped[str] = mapped_column(String(64))
    ts_init: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    client_order_id: Mapped[str | None] = mapped_column(String(128))
    payload: Mapped[Any] = mapped_column(JSONText())
