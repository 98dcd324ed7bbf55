"""The trading store: orders, fills, positions, account snapshots, state and the event log.

Revision ID: 0001
Revises:
Create Date: 2026-05-20

Tables are spelled out here rather than built from the current models so that this revision
keeps producing the same schema after the models move on; a test checks that the migrated
schema and ``persistence.models`` agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from neural_trader.persistence.models import DecimalText, JSONText

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = (
    "'INITIALIZED', 'DENIED', 'SUBMITTED', 'ACCEPTED', 'PARTIALLY_FILLED', 'FILLED', "
    "'PENDING_CANCEL', 'CANCELED', 'REJECTED', 'EXPIRED'"
)


def _key() -> sa.types.TypeEngine[int]:
    # SQLite autoincrements only an INTEGER PRIMARY KEY (its 64-bit rowid).
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("broker", sa.String(64), nullable=False),
        sa.Column("client_order_id", sa.String(128), nullable=False),
        sa.Column("strategy", sa.String(128), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("order_type", sa.String(16), nullable=False),
        sa.Column("time_in_force", sa.String(8), nullable=False),
        sa.Column("quantity", DecimalText(), nullable=False),
        sa.Column("limit_price", DecimalText(), nullable=True),
        sa.Column("stop_price", DecimalText(), nullable=True),
        sa.Column("take_profit", DecimalText(), nullable=True),
        sa.Column("stop_loss", DecimalText(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("submission", sa.String(8), nullable=False),
        sa.Column("venue_order_id", sa.String(128), nullable=True),
        sa.Column("filled_quantity", DecimalText(), nullable=False),
        sa.Column("avg_fill_price", DecimalText(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("external", sa.Boolean(create_constraint=False), nullable=False),
        sa.Column("ts_created", sa.BigInteger(), nullable=False),
        sa.Column("ts_updated", sa.BigInteger(), nullable=False),
        sa.Column("ts_broker", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("broker", "client_order_id", name="pk_orders"),
        sa.CheckConstraint(
            "submission IN ('none', 'pending', 'unknown', 'acked')", name="ck_orders_submission"
        ),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name="ck_orders_status"),
    )
    op.create_index("ix_orders_broker_venue_order_id", "orders", ["broker", "venue_order_id"])
    op.create_index("ix_orders_broker_status", "orders", ["broker", "status"])

    op.create_table(
        "fills",
        sa.Column("broker", sa.String(64), nullable=False),
        sa.Column("trade_id", sa.String(128), nullable=False),
        sa.Column("client_order_id", sa.String(128), nullable=False),
        sa.Column("venue_order_id", sa.String(128), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("quantity", DecimalText(), nullable=False),
        sa.Column("price", DecimalText(), nullable=False),
        sa.Column("commission", DecimalText(), nullable=False),
        sa.Column("currency", sa.String(16), nullable=False),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.Column("ts_init", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("broker", "trade_id", name="pk_fills"),
    )
    op.create_index("ix_fills_broker_client_order_id", "fills", ["broker", "client_order_id"])
    op.create_index("ix_fills_broker_ts_event", "fills", ["broker", "ts_event"])

    op.create_table(
        "positions",
        sa.Column("broker", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("quantity", DecimalText(), nullable=False),
        sa.Column("avg_price", DecimalText(), nullable=False),
        sa.Column("realized_pnl", DecimalText(), nullable=False),
        sa.Column("ts_updated", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("broker", "symbol", name="pk_positions"),
    )

    op.create_table(
        "account_snapshots",
        sa.Column("id", _key(), autoincrement=True, nullable=False),
        sa.Column("broker", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("currency", sa.String(16), nullable=False),
        sa.Column("cash", DecimalText(), nullable=False),
        sa.Column("equity", DecimalText(), nullable=False),
        sa.Column("buying_power", DecimalText(), nullable=False),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.Column("ts_init", sa.BigInteger(), nullable=False),
        sa.Column("extra", JSONText(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_account_snapshots"),
    )
    op.create_index("ix_account_snapshots_broker_id", "account_snapshots", ["broker", "id"])

    op.create_table(
        "state",
        sa.Column("broker", sa.String(64), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("value", JSONText(), nullable=False),
        sa.Column("ts_updated", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("broker", "key", name="pk_state"),
    )

    op.create_table(
        "events",
        sa.Column("id", _key(), autoincrement=True, nullable=False),
        sa.Column("broker", sa.String(64), nullable=False),
        sa.Column("ts_init", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("client_order_id", sa.String(128), nullable=True),
        sa.Column("payload", JSONText(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_broker_kind_id", "events", ["broker", "kind", "id"])


def downgrade() -> None:
    for table in ("events", "state", "account_snapshots", "positions", "fills", "orders"):
        op.drop_table(table)
