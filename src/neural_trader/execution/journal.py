"""The order journal: the durable record of every order, fill and position of one broker.

The order manager writes an order's intent here *before* sending it and every broker report
after; after a crash, the journal is what the process knows and reconciliation compares it with
the broker (docs/decisions/0013). Hence the rules:

* Every public method that changes something is one transaction, committed before it returns.
  When :meth:`Journal.record_intent` returns, the order is on disk (it survives ``kill -9``).
* Reports are applied idempotently and out of order: the same status report or fill twice
  changes nothing the second time, a stale status never overwrites a newer one, and a fill
  counts once per trade id, even when two threads or processes apply it at the same moment.
* Status ordering never compares the broker's clock with ours: a report's ``ts_event`` is only
  compared with earlier broker ``ts_event`` values (``ts_broker``).
* Quantities, prices and P&L are exact ``Decimal``; an average is rounded (to 12 places) only
  when the exact quotient does not terminate.
* Fills, not status reports, move ``filled_quantity`` and positions; a status report's
  cumulative fill numbers are kept in the event log as evidence for reconciliation.

The hot methods (:meth:`~Journal.record_intent`, :meth:`~Journal.apply_status`,
:meth:`~Journal.apply_fill`) run prepared SQLAlchemy Core statements on one pooled connection;
no ORM unit of work sits on the path from a bar to an order.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
)
from types import TracebackType
from typing import Any, Final, Literal, Self

from sqlalchemy import (
    Connection,
    Engine,
    Insert,
    Row,
    Select,
    Table,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from neural_trader.core.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from neural_trader.core.errors import InvalidArgumentError, NotFoundError
from neural_trader.execution.reports import (
    AccountReport,
    FillReport,
    OrderRequest,
    OrderStatusReport,
)
from neural_trader.persistence.db import open_store, read_only
from neural_trader.persistence.models import Base

__all__ = [
    "OPEN_STATUSES",
    "TERMINAL_STATUSES",
    "DuplicateOrderError",
    "EventRecord",
    "FillRecord",
    "Journal",
    "OrderRecord",
    "PositionRecord",
    "Submission",
    "apply_to_position",
    "judge_status",
    "status_rank",
]

Submission = Literal["none", "pending", "unknown", "acked"]
"""Where an order's send stands: ``none`` never sent (denied), ``pending`` recorded and not yet
answered, ``unknown`` answered by a timeout or reset (it may exist at the broker), ``acked`` the
broker has acknowledged or reported it."""

TERMINAL_STATUSES: Final = frozenset(
    {
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.EXPIRED,
        OrderStatus.REJECTED,
        OrderStatus.DENIED,
    }
)
OPEN_STATUSES: Final = frozenset(
    {
        OrderStatus.SUBMITTED,
        OrderStatus.ACCEPTED,
        OrderStatus.PENDING_CANCEL,
        OrderStatus.PARTIALLY_FILLED,
    }
)
_RANK: Final = {
    OrderStatus.INITIALIZED: 0,
    OrderStatus.SUBMITTED: 1,
    OrderStatus.ACCEPTED: 2,
    OrderStatus.PENDING_CANCEL: 3,
    OrderStatus.PARTIALLY_FILLED: 4,
}
_TERMINAL_RANK: Final = 9
_LATE_FILL_REPLACES: Final = frozenset({OrderStatus.CANCELED, OrderStatus.EXPIRED})
_CANCEL_REJECTED_TO: Final = frozenset({OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED})
_IN_FLIGHT: Final = ("pending", "unknown")
EXTERNAL_STRATEGY: Final = "EXTERNAL"

_ZERO: Final = Decimal(0)
_AVG_PLACES: Final = Decimal("1e-12")
# Products and sums of realistic prices and quantities never reach 80 digits, so this context
# never rounds them; it rounds only a non-terminating quotient, which is then quantized.
_ARITH: Final = Context(prec=80, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero])
_EXACT: Final = Context(
    prec=80, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Inexact]
)

_ORDERS: Final[Table] = Base.metadata.tables["orders"]
_FILLS: Final[Table] = Base.metadata.tables["fills"]
_POSITIONS: Final[Table] = Base.metadata.tables["positions"]
_ACCOUNTS: Final[Table] = Base.metadata.tables["account_snapshots"]
_STATE: Final[Table] = Base.metadata.tables["state"]
_EVENTS: Final[Table] = Base.metadata.tables["events"]


def status_rank(status: OrderStatus) -> int:
    """How far along its life a status is; a report of a lower rank is stale."""
    return _RANK.get(status, _TERMINAL_RANK)


def judge_status(
    current: OrderStatus, reported: OrderStatus, ts_event: int, ts_broker: int
) -> str | None:
    """Whether a status report may replace the journal's status: ``None`` when it applies,
    otherwise why it is ignored.

    Brokers and streams repeat and reorder reports, so the decision uses only the statuses'
    ranks and the broker's own timestamps (``ts_event`` against ``ts_broker``, the newest
    broker timestamp applied so far), never our clock:

    * a terminal status is never replaced by a non-terminal one; between terminals the first
      stays, except that FILLED replaces CANCELED or EXPIRED (a late fill completed the order);
    * a lower rank is stale, except PENDING_CANCEL back to ACCEPTED or PARTIALLY_FILLED with a
      newer ``ts_event`` (the broker rejected the cancel);
    * the same rank applies unless its ``ts_event`` is older than ``ts_broker``;
    * a higher rank always applies (an ack delayed behind its fill carries an older ts).
    """
    if current in TERMINAL_STATUSES:
        if reported not in TERMINAL_STATUSES:
            return f"{current} is terminal; {reported} is stale"
        if reported == current:
            return _same_rank(ts_event, ts_broker)
        if reported is OrderStatus.FILLED and current in _LATE_FILL_REPLACES:
            return None
        return f"{current} is terminal and stays (first terminal wins over {reported})"
    rank_now, rank_new = status_rank(current), status_rank(reported)
    if rank_new > rank_now:
        return None
    if rank_new == rank_now:
        return _same_rank(ts_event, ts_broker)
    if (
        current is OrderStatus.PENDING_CANCEL
        and reported in _CANCEL_REJECTED_TO
        and ts_event > ts_broker
    ):
        return None
    return f"{reported} ranks below {current}"


def _same_rank(ts_event: int, ts_broker: int) -> str | None:
    if ts_event < ts_broker:
        return f"older than the last applied report (ts_event {ts_event} < {ts_broker})"
    return None


def _div(numerator: Decimal, denominator: Decimal) -> Decimal:
    """The exact quotient, or the quotient rounded half-even to 12 places when it does not
    terminate (a third of a cent does not fit any number of digits)."""
    try:
        return _EXACT.divide(numerator, denominator)
    except Inexact:
        return _ARITH.divide(numerator, denominator).quantize(_AVG_PLACES, context=_ARITH)


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _sign(value: Decimal) -> int:
    return (value > 0) - (value < 0)


def apply_to_position(
    quantity: Decimal, avg_price: Decimal, realized: Decimal, signed_qty: Decimal, price: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """Average-cost bookkeeping of one fill: the new (quantity, avg_price, realized_pnl).

    Adding to a position moves the average; reducing it realizes ``(price - avg) * closed`` in
    the position's direction and leaves the average alone; crossing zero closes everything and
    opens the rest at ``price``; flat has average 0. Commission is not part of either (it stays
    on the fill), so realized P&L is the gross trading result.
    """
    if quantity == 0:
        return signed_qty, price, realized
    side = _sign(quantity)
    if _sign(signed_qty) == side:
        held, added = abs(quantity), abs(signed_qty)
        total = _ARITH.add(held, added)
        cost = _ARITH.add(_ARITH.multiply(held, avg_price), _ARITH.multiply(added, price))
        return _ARITH.add(quantity, signed_qty), _div(cost, total), realized
    closed = min(abs(quantity), abs(signed_qty))
    pnl = _ARITH.multiply(_ARITH.multiply(_ARITH.subtract(price, avg_price), closed), side)
    realized = _ARITH.add(realized, pnl)
    remaining = _ARITH.add(quantity, signed_qty)
    if remaining == 0:
        return _ZERO, _ZERO, realized
    if _sign(remaining) != side:
        return remaining, price, realized
    return remaining, avg_price, realized


class DuplicateOrderError(InvalidArgumentError):
    """A client order id the journal already holds: it names exactly one order, so the caller
    must not send it again (the order manager's idempotency rests on this refusal)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRecord:
    """One order as the journal holds it."""

    client_order_id: str
    broker: str
    strategy: str
    symbol: str
    side: OrderSide
    order_type: OrderType
    time_in_force: TimeInForce
    quantity: Decimal
    status: OrderStatus
    submission: Submission
    filled_quantity: Decimal = _ZERO
    avg_fill_price: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    venue_order_id: str | None = None
    reason: str | None = None
    external: bool = False
    ts_created: int = 0
    ts_updated: int = 0
    ts_broker: int = 0

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def is_open(self) -> bool:
        """May still trade: open at the broker, or recorded and its send not yet resolved."""
        return self.status in OPEN_STATUSES or (
            self.status is OrderStatus.INITIALIZED and self.submission in _IN_FLIGHT
        )

    @property
    def leaves_quantity(self) -> Decimal:
        """What is left to fill (never negative, also after an overfill)."""
        return max(self.quantity - self.filled_quantity, _ZERO)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``orders --json``): decimals as floats, enums as their values."""
        return {
            "client_order_id": self.client_order_id,
            "broker": self.broker,
            "strategy": self.strategy,
            "symbol": self.symbol,
            "side": self.side.value,
            "type": self.order_type.value,
            "time_in_force": self.time_in_force.value,
            "quantity": float(self.quantity),
            "filled_quantity": float(self.filled_quantity),
            "avg_fill_price": _num(self.avg_fill_price),
            "limit_price": _num(self.limit_price),
            "stop_price": _num(self.stop_price),
            "status": self.status.value,
            "submission": self.submission,
            "venue_order_id": self.venue_order_id,
            "reason": self.reason,
            "external": self.external,
            "ts_created": self.ts_created,
            "ts_updated": self.ts_updated,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class FillRecord:
    """One execution as recorded (counted once per ``trade_id``)."""

    trade_id: str
    broker: str
    client_order_id: str
    venue_order_id: str
    symbol: str
    side: OrderSide
    quantity: Decimal
    price: Decimal
    commission: Decimal
    currency: str
    ts_event: int
    ts_init: int

    def to_report(self) -> FillReport:
        """The broker-neutral report again, e.g. to replay it or compare it with the broker."""
        return FillReport(
            trade_id=self.trade_id,
            client_order_id=self.client_order_id,
            venue_order_id=self.venue_order_id,
            symbol=self.symbol,
            side=self.side,
            quantity=self.quantity,
            price=self.price,
            ts_event=self.ts_event,
            ts_init=self.ts_init,
            commission=self.commission,
            currency=self.currency,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "trade_id": self.trade_id,
            "broker": self.broker,
            "client_order_id": self.client_order_id,
            "venue_order_id": self.venue_order_id,
            "symbol": self.symbol,
            "side": self.side.value,
            "quantity": float(self.quantity),
            "price": float(self.price),
            "commission": float(self.commission),
            "currency": self.currency,
            "ts_event": self.ts_event,
            "ts_init": self.ts_init,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionRecord:
    """A net position by average cost; ``quantity`` is signed (negative = short)."""

    symbol: str
    quantity: Decimal = _ZERO
    avg_price: Decimal = _ZERO
    realized_pnl: Decimal = _ZERO

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "quantity": float(self.quantity),
            "avg_price": float(self.avg_price),
            "realized_pnl": float(self.realized_pnl),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class EventRecord:
    """One row of the audit log."""

    id: int
    broker: str
    ts_init: int
    kind: str
    client_order_id: str | None
    payload: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "broker": self.broker,
            "ts_init": self.ts_init,
            "kind": self.kind,
            "client_order_id": self.client_order_id,
            "payload": self.payload,
        }


def _order_record(row: Row[Any]) -> OrderRecord:
    return OrderRecord(
        client_order_id=row.client_order_id,
        broker=row.broker,
        strategy=row.strategy,
        symbol=row.symbol,
        side=OrderSide(row.side),
        order_type=OrderType(row.order_type),
        time_in_force=TimeInForce(row.time_in_force),
        quantity=row.quantity,
        status=OrderStatus(row.status),
        submission=row.submission,
        filled_quantity=row.filled_quantity,
        avg_fill_price=row.avg_fill_price,
        limit_price=row.limit_price,
        stop_price=row.stop_price,
        take_profit=row.take_profit,
        stop_loss=row.stop_loss,
        venue_order_id=row.venue_order_id,
        reason=row.reason,
        external=bool(row.external),
        ts_created=row.ts_created,
        ts_updated=row.ts_updated,
        ts_broker=row.ts_broker,
    )


def _with_values(record: OrderRecord, values: Mapping[str, Any]) -> OrderRecord:
    """``record`` after the column update ``values`` (as written by ``_update_order``)."""
    changes = dict(values)
    if "status" in changes:
        changes["status"] = OrderStatus(changes["status"])
    return replace(record, **changes)


def _fill_record(row: Row[Any]) -> FillRecord:
    return FillRecord(
        trade_id=row.trade_id,
        broker=row.broker,
        client_order_id=row.client_order_id,
        venue_order_id=row.venue_order_id,
        symbol=row.symbol,
        side=OrderSide(row.side),
        quantity=row.quantity,
        price=row.price,
        commission=row.commission,
        currency=row.currency,
        ts_event=row.ts_event,
        ts_init=row.ts_init,
    )


def _position_record(row: Row[Any]) -> PositionRecord:
    return PositionRecord(
        symbol=row.symbol,
        quantity=row.quantity,
        avg_price=row.avg_price,
        realized_pnl=row.realized_pnl,
    )


def _order_row(record: OrderRecord) -> dict[str, Any]:
    return {
        "broker": record.broker,
        "client_order_id": record.client_order_id,
        "strategy": record.strategy,
        "symbol": record.symbol,
        "side": record.side.value,
        "order_type": record.order_type.value,
        "time_in_force": record.time_in_force.value,
        "quantity": record.quantity,
        "limit_price": record.limit_price,
        "stop_price": record.stop_price,
        "take_profit": record.take_profit,
        "stop_loss": record.stop_loss,
        "status": record.status.value,
        "submission": record.submission,
        "venue_order_id": record.venue_order_id,
        "filled_quantity": record.filled_quantity,
        "avg_fill_price": record.avg_fill_price,
        "reason": record.reason,
        "external": record.external,
        "ts_created": record.ts_created,
        "ts_updated": record.ts_updated,
        "ts_broker": record.ts_broker,
    }


def _position_payload(quantity: Decimal, avg: Decimal, realized: Decimal) -> dict[str, str]:
    return {"quantity": str(quantity), "avg_price": str(avg), "realized_pnl": str(realized)}


class Journal:
    """The journal of one broker (``paper``, ``alpaca``...) in a trading store.

    Thread-safe: each call takes its own pooled connection and transaction. Several journals
    (one per broker) may share a store; each sees only its broker's rows.
    """

    def __init__(self, engine: Engine, *, broker: str) -> None:
        if not broker:
            raise InvalidArgumentError("a journal is bound to a broker name (paper, alpaca...)")
        dialect = engine.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            raise InvalidArgumentError(
                f"the journal runs on SQLite or PostgreSQL, not {dialect}: "
                "open the store with neural_trader.persistence.open_store"
            )
        self._engine = engine
        self._reader = read_only(engine)
        self._broker = broker
        self._dialect = dialect
        self._owns_engine = False
        self._prepare()

    @classmethod
    def open(cls, url: str, *, broker: str) -> Journal:
        """Open (creating or migrating) the store at ``url`` and bind a journal to ``broker``.
        The journal owns the engine: :meth:`close` disposes of it."""
        engine = open_store(url)
        try:
            journal = cls(engine, broker=broker)
        except BaseException:
            engine.dispose()
            raise
        journal._owns_engine = True
        return journal

    @property
    def broker(self) -> str:
        return self._broker

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        """Release the store's connections when this journal opened it (:meth:`open`)."""
        if self._owns_engine:
            self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- prepared statements ---------------------------------------------------------------

    def _insert(self, table: Table) -> Insert:
        if self._dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def _insert_ignore(self, table: Table, keys: Sequence[str]) -> Insert:
        """``INSERT ... ON CONFLICT DO NOTHING`` whose ``rowcount`` says whether it inserted
        (SQLAlchemy keeps an INSERT's rowcount only when asked to)."""
        stmt: Insert
        if self._dialect == "postgresql":
            stmt = postgresql.insert(table).on_conflict_do_nothing(index_elements=list(keys))
        else:
            stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(keys))
        return stmt.execution_options(preserve_rowcount=True)

    def _upsert(self, table: Table, keys: Sequence[str], columns: Sequence[str]) -> Insert:
        if self._dialect == "postgresql":
            pg = postgresql.insert(table)
            return pg.on_conflict_do_update(
                index_elements=list(keys), set_={c: pg.excluded[c] for c in columns}
            )
        lite = sqlite.insert(table)
        return lite.on_conflict_do_update(
            index_elements=list(keys), set_={c: lite.excluded[c] for c in columns}
        )

    def _prepare(self) -> None:
        o, f, p = _ORDERS, _FILLS, _POSITIONS
        mine_o = o.c.broker == self._broker
        self._ins_order = self._insert_ignore(o, ("broker", "client_order_id"))
        self._sel_order = select(o).where(mine_o, o.c.client_order_id == bindparam("cid_"))
        self._sel_order_lock = self._sel_order.with_for_update()
        # update() without .values(): the SET clause is the parameters other than the keys.
        self._upd_order = update(o).where(
            o.c.broker == bindparam("broker_"), o.c.client_order_id == bindparam("cid_")
        )
        self._ins_fill = self._insert_ignore(f, ("broker", "trade_id"))
        self._sel_order_fills = select(f.c.quantity, f.c.price).where(
            f.c.broker == self._broker, f.c.client_order_id == bindparam("cid_")
        )
        self._sel_pos_lock = (
            select(p)
            .where(p.c.broker == self._broker, p.c.symbol == bindparam("sym_"))
            .with_for_update()
        )
        self._ins_pos = self._insert_ignore(p, ("broker", "symbol"))
        self._upd_pos = update(p).where(
            p.c.broker == bindparam("broker_"), p.c.symbol == bindparam("sym_")
        )
        self._upsert_pos = self._upsert(
            p, ("broker", "symbol"), ("quantity", "avg_price", "realized_pnl", "ts_updated")
        )
        self._ins_event = self._insert(_EVENTS)
        self._upsert_state = self._upsert(_STATE, ("broker", "key"), ("value", "ts_updated"))

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._engine.begin() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._reader.connect() as conn:
            yield conn

    def _event(
        self,
        conn: Connection,
        kind: str,
        payload: Mapping[str, Any],
        ts_init: int,
        client_order_id: str | None = None,
    ) -> int:
        result = conn.execute(
            self._ins_event,
            {
                "broker": self._broker,
                "ts_init": ts_init,
                "kind": kind,
                "client_order_id": client_order_id,
                "payload": dict(payload),
            },
        )
        key = result.inserted_primary_key
        return int(key[0]) if key is not None else 0

    def _locked_order(self, conn: Connection, cid: str) -> Row[Any] | None:
        return conn.execute(self._sel_order_lock, {"cid_": cid}).first()

    def _require_order(self, conn: Connection, cid: str) -> Row[Any]:
        row = self._locked_order(conn, cid)
        if row is None:
            raise NotFoundError(
                f"no order '{cid}' in the {self._broker} journal",
                hint="neural-trader orders lists the journal's orders",
            )
        return row

    def _update_order(self, conn: Connection, cid: str, values: Mapping[str, Any]) -> None:
        conn.execute(self._upd_order, {"broker_": self._broker, "cid_": cid, **values})

    # -- orders ------------------------------------------------------------------------------

    def _insert_new(
        self, conn: Connection, request: OrderRequest, status: OrderStatus, **extra: Any
    ) -> OrderRecord:
        record = OrderRecord(
            client_order_id=request.client_order_id,
            broker=self._broker,
            strategy=request.strategy,
            symbol=request.symbol,
            side=request.side,
            order_type=request.order_type,
            time_in_force=request.time_in_force,
            quantity=request.quantity,
            status=status,
            limit_price=request.limit_price,
            stop_price=request.stop_price,
            take_profit=request.take_profit,
            stop_loss=request.stop_loss,
            **extra,
        )
        if conn.execute(self._ins_order, _order_row(record)).rowcount == 0:
            raise DuplicateOrderError(
                f"order '{request.client_order_id}' is already in the {self._broker} journal: "
                "a client order id names exactly one order",
                hint="generate a fresh client order id for every new order",
            )
        return record

    def record_intent(self, request: OrderRequest, *, ts_init: int) -> OrderRecord:
        """Record an order about to be sent (INITIALIZED, submission ``pending``), durably.

        The order manager sends only after this returns, so a crash between the two leaves an
        order that reconciliation will look for at the broker rather than one nobody knows
        about. Raises :class:`InvalidArgumentError` when the client order id is already used.
        """
        with self._write() as conn:
            record = self._insert_new(
                conn,
                request,
                OrderStatus.INITIALIZED,
                submission="pending",
                ts_created=ts_init,
                ts_updated=ts_init,
            )
            self._event(conn, "intent", _request_payload(request), ts_init, record.client_order_id)
        return record

    def record_denied(self, request: OrderRequest, *, reason: str, ts_init: int) -> OrderRecord:
        """Record an order our own checks refused (DENIED, submission ``none``: never sent)."""
        with self._write() as conn:
            record = self._insert_new(
                conn,
                request,
                OrderStatus.DENIED,
                submission="none",
                reason=reason,
                ts_created=ts_init,
                ts_updated=ts_init,
            )
            payload = {**_request_payload(request), "reason": reason}
            self._event(conn, "denied", payload, ts_init, record.client_order_id)
        return record

    def mark_unknown(self, client_order_id: str, *, reason: str, ts_init: int) -> OrderRecord:
        """The send's outcome is unknown (timeout, reset): submission ``unknown``, ``reason``
        kept, status unchanged. An order the broker already acknowledged (its report can
        overtake the send's own answer) stays ``acked``."""
        with self._write() as conn:
            row = self._require_order(conn, client_order_id)
            record = _order_record(row)
            if record.submission in _IN_FLIGHT:
                values = {"submission": "unknown", "reason": reason, "ts_updated": ts_init}
                self._update_order(conn, client_order_id, values)
                record = replace(record, submission="unknown", reason=reason, ts_updated=ts_init)
            payload = {"reason": reason, "submission": record.submission}
            self._event(conn, "unknown", payload, ts_init, client_order_id)
        return record

    def apply_status(self, report: OrderStatusReport, *, ts_init: int) -> bool:
        """Apply a broker status report; True when it changed the order.

        Idempotent and order-insensitive (see :func:`judge_status`). Any report, even a stale
        one, proves the broker has the order: submission becomes ``acked`` and a missing venue
        order id is filled in. Fill quantities are never taken from it. A report for an order
        the journal does not have changes no order (reconciliation adopts external orders
        explicitly with :meth:`adopt_external`) and is logged as ignored.
        """
        return self.apply_status_record(report, ts_init=ts_init)[0]

    def apply_status_record(
        self, report: OrderStatusReport, *, ts_init: int
    ) -> tuple[bool, OrderRecord | None]:
        """:meth:`apply_status`, also returning the order as it now stands (None when the
        journal does not have it): the order manager's submit needs both, in one round trip."""
        with self._write() as conn:
            row = self._locked_order(conn, report.client_order_id)
            if row is None:
                payload = {**_status_payload(report), "why": "no such order in the journal"}
                self._event(conn, "status_ignored", payload, ts_init, report.client_order_id)
                return False, None
            values = self._apply_status(conn, row, report, ts_init)
        record = _order_record(row)
        if values:
            record = _with_values(record, values)
        return bool(values), record

    def _apply_status(
        self, conn: Connection, row: Row[Any], report: OrderStatusReport, ts_init: int
    ) -> dict[str, Any]:
        current = OrderStatus(row.status)
        why = judge_status(current, report.status, report.ts_event, row.ts_broker)
        values: dict[str, Any] = {}
        if row.venue_order_id is None and report.venue_order_id:
            values["venue_order_id"] = report.venue_order_id
        if row.submission != "acked":
            values["submission"] = "acked"
        if why is None:
            if report.status != current:
                values["status"] = report.status.value
            if report.ts_event > row.ts_broker:
                values["ts_broker"] = report.ts_event
            if report.reason is not None and report.reason != row.reason:
                values["reason"] = report.reason
            if row.external:
                # We never knew this order's terms; the broker's view of them is the truth.
                for name in ("quantity", "limit_price", "stop_price"):
                    if getattr(report, name) != getattr(row, name):
                        values[name] = getattr(report, name)
        if values:
            values["ts_updated"] = ts_init
            self._update_order(conn, row.client_order_id, values)
        payload = {**_status_payload(report), "previous": current.value}
        if why is None and not values:
            why = "a repeat: nothing to change"
        if why is None:
            self._event(conn, "status", payload, ts_init, row.client_order_id)
        else:
            payload["why"] = why
            self._event(conn, "status_ignored", payload, ts_init, row.client_order_id)
        return values

    def adopt_external(self, report: OrderStatusReport, *, ts_init: int) -> OrderRecord:
        """Insert an order the broker has and the journal does not (placed by hand, or by a
        process whose journal was lost): ``external``, strategy ``EXTERNAL``, the report's
        status, nothing filled (its fills arrive as fill reports). If the order appeared in the
        meantime, created by one of its fills, the report's terms replace the ones guessed
        from the fills; any other existing order gets the report applied as a status report."""
        with self._write() as conn:
            record = OrderRecord(
                client_order_id=report.client_order_id,
                broker=self._broker,
                strategy=EXTERNAL_STRATEGY,
                symbol=report.symbol,
                side=report.side,
                order_type=report.order_type,
                time_in_force=report.time_in_force,
                quantity=report.quantity,
                status=report.status,
                submission="acked",
                limit_price=report.limit_price,
                stop_price=report.stop_price,
                venue_order_id=report.venue_order_id or None,
                reason=report.reason,
                external=True,
                ts_created=ts_init,
                ts_updated=ts_init,
                ts_broker=report.ts_event,
            )
            if conn.execute(self._ins_order, _order_row(record)).rowcount:
                payload = _status_payload(report)
                self._event(conn, "adopted", payload, ts_init, record.client_order_id)
                return record
            row = self._require_order(conn, report.client_order_id)
            if row.external and row.ts_broker == 0:
                self._replace_guessed_terms(conn, row, report, ts_init)
            else:
                self._apply_status(conn, row, report, ts_init)
            return _order_record(self._require_order(conn, report.client_order_id))

    def _replace_guessed_terms(
        self, conn: Connection, row: Row[Any], report: OrderStatusReport, ts_init: int
    ) -> None:
        """An external order created from its fills had guessed terms (size = filled so far,
        hence FILLED); the broker's report replaces the guess, keeping the counted fills."""
        filled: Decimal = row.filled_quantity
        status = OrderStatus.FILLED if filled >= report.quantity else report.status
        values = {
            "order_type": report.order_type.value,
            "time_in_force": report.time_in_force.value,
            "quantity": report.quantity,
            "limit_price": report.limit_price,
            "stop_price": report.stop_price,
            "status": status.value,
            "submission": "acked",
            "venue_order_id": row.venue_order_id or report.venue_order_id or None,
            "ts_broker": report.ts_event,
            "ts_updated": ts_init,
        }
        self._update_order(conn, row.client_order_id, values)
        payload = {**_status_payload(report), "previous": row.status, "replaced_guess": True}
        self._event(conn, "adopted", payload, ts_init, row.client_order_id)

    def resolve(
        self, client_order_id: str, status: OrderStatus, *, reason: str, ts_init: int
    ) -> OrderRecord:
        """Force a terminal status decided outside the report stream (reconciliation: the
        order never reached the broker; an in-flight order timed out). Logged with the status
        it replaced."""
        if status not in TERMINAL_STATUSES:
            raise InvalidArgumentError(
                f"resolve() sets a terminal status ({', '.join(sorted(TERMINAL_STATUSES))}), "
                f"not {status}"
            )
        with self._write() as conn:
            record = _order_record(self._require_order(conn, client_order_id))
            values = {"status": status.value, "reason": reason, "ts_updated": ts_init}
            self._update_order(conn, client_order_id, values)
            payload = {"status": status.value, "previous": record.status.value, "reason": reason}
            self._event(conn, "resolved", payload, ts_init, client_order_id)
        return replace(record, status=status, reason=reason, ts_updated=ts_init)

    # -- fills and positions -----------------------------------------------------------------

    def apply_fill(self, fill: FillReport, *, ts_init: int) -> bool:
        """Count a fill once: record it, move its order and the position; False (and nothing
        changed) when its trade id was already applied.

        The duplicate check is the insert itself (``ON CONFLICT DO NOTHING`` on the fills'
        primary key), so two threads or processes applying one trade id race safely: the
        database lets exactly one insert through. The order's filled quantity and average
        price are recomputed exactly from all its recorded fills. A fill for an order the
        journal does not know creates it as external; an overfill is recorded (the money
        moved) and logged.
        """
        with self._write() as conn:
            inserted = conn.execute(
                self._ins_fill,
                {
                    "broker": self._broker,
                    "trade_id": fill.trade_id,
                    "client_order_id": fill.client_order_id,
                    "venue_order_id": fill.venue_order_id,
                    "symbol": fill.symbol,
                    "side": fill.side.value,
                    "quantity": fill.quantity,
                    "price": fill.price,
                    "commission": fill.commission,
                    "currency": fill.currency,
                    "ts_event": fill.ts_event,
                    "ts_init": ts_init,
                },
            )
            if inserted.rowcount == 0:
                return False
            row = self._locked_order(conn, fill.client_order_id)
            if row is None:
                row = self._external_from_fill(conn, fill, ts_init)
            order_payload = self._fill_order(conn, row, fill, ts_init)
            position_payload = self._fill_position(conn, fill, ts_init)
            payload = {
                "trade_id": fill.trade_id,
                "side": fill.side.value,
                "quantity": str(fill.quantity),
                "price": str(fill.price),
                "commission": str(fill.commission),
                "ts_event": fill.ts_event,
                **order_payload,
                "position": position_payload,
            }
            self._event(conn, "fill", payload, ts_init, fill.client_order_id)
        return True

    def _external_from_fill(self, conn: Connection, fill: FillReport, ts_init: int) -> Row[Any]:
        record = OrderRecord(
            client_order_id=fill.client_order_id,
            broker=self._broker,
            strategy=EXTERNAL_STRATEGY,
            symbol=fill.symbol,
            side=fill.side,
            order_type=OrderType.MARKET,
            time_in_force=TimeInForce.GTC,
            quantity=fill.quantity,
            status=OrderStatus.INITIALIZED,
            submission="acked",
            venue_order_id=fill.venue_order_id or None,
            reason=f"created from fill {fill.trade_id}: the order was not in the journal",
            external=True,
            ts_created=ts_init,
            ts_updated=ts_init,
        )
        if conn.execute(self._ins_order, _order_row(record)).rowcount:
            payload = {"trade_id": fill.trade_id, "symbol": fill.symbol, "side": fill.side.value}
            self._event(conn, "external_order", payload, ts_init, fill.client_order_id)
        return self._require_order(conn, fill.client_order_id)

    def _fill_order(
        self, conn: Connection, row: Row[Any], fill: FillReport, ts_init: int
    ) -> dict[str, Any]:
        filled, notional = _ZERO, _ZERO
        for qty, price in conn.execute(self._sel_order_fills, {"cid_": row.client_order_id}):
            filled = _ARITH.add(filled, qty)
            notional = _ARITH.add(notional, _ARITH.multiply(qty, price))
        avg = _div(notional, filled)
        quantity: Decimal = row.quantity
        values: dict[str, Any] = {"filled_quantity": filled, "avg_fill_price": avg}
        if row.external and filled > quantity:
            # An external order's size is only known from its fills (or a later status report).
            quantity = filled
            values["quantity"] = quantity
        current = OrderStatus(row.status)
        if filled >= quantity:
            status = OrderStatus.FILLED
        elif current in TERMINAL_STATUSES:
            status = current  # a partial fill of a closed order leaves it closed
        else:
            status = OrderStatus.PARTIALLY_FILLED  # the highest non-terminal rank
        if status != current:
            values["status"] = status.value
        if row.submission != "acked":
            values["submission"] = "acked"
        if row.venue_order_id is None and fill.venue_order_id:
            values["venue_order_id"] = fill.venue_order_id
        values["ts_updated"] = ts_init
        self._update_order(conn, row.client_order_id, values)
        if filled > quantity:
            payload = {"trade_id": fill.trade_id, "filled": str(filled), "quantity": str(quantity)}
            self._event(conn, "overfill", payload, ts_init, row.client_order_id)
        return {
            "filled_quantity": str(filled),
            "avg_fill_price": str(avg),
            "status": status.value,
            "previous": current.value,
        }

    def _fill_position(self, conn: Connection, fill: FillReport, ts_init: int) -> dict[str, Any]:
        key = {"sym_": fill.symbol}
        pos = conn.execute(self._sel_pos_lock, key).first()
        if pos is None:
            # Insert a flat row first (a concurrent first fill of the symbol may win the
            # insert) and then lock whichever row exists.
            conn.execute(
                self._ins_pos,
                {
                    "broker": self._broker,
                    "symbol": fill.symbol,
                    "quantity": _ZERO,
                    "avg_price": _ZERO,
                    "realized_pnl": _ZERO,
                    "ts_updated": ts_init,
                },
            )
            pos = conn.execute(self._sel_pos_lock, key).one()
        signed = fill.quantity if fill.side is OrderSide.BUY else -fill.quantity
        quantity, avg, realized = apply_to_position(
            pos.quantity, pos.avg_price, pos.realized_pnl, signed, fill.price
        )
        conn.execute(
            self._upd_pos,
            {
                "broker_": self._broker,
                "sym_": fill.symbol,
                "quantity": quantity,
                "avg_price": avg,
                "realized_pnl": realized,
                "ts_updated": ts_init,
            },
        )
        return {
            "before": _position_payload(pos.quantity, pos.avg_price, pos.realized_pnl),
            "after": _position_payload(quantity, avg, realized),
        }

    def set_position(
        self,
        symbol: str,
        quantity: Decimal,
        avg_price: Decimal,
        *,
        reason: str,
        ts_init: int,
    ) -> PositionRecord:
        """Overwrite a position (reconciliation adopting the broker's number); realized P&L is
        kept. Logged as ``position_repaired`` with the position before and after."""
        with self._write() as conn:
            pos = conn.execute(self._sel_pos_lock, {"sym_": symbol}).first()
            before = _position_record(pos) if pos is not None else PositionRecord(symbol=symbol)
            avg = avg_price if quantity != 0 else _ZERO
            conn.execute(
                self._upsert_pos,
                {
                    "broker": self._broker,
                    "symbol": symbol,
                    "quantity": quantity,
                    "avg_price": avg,
                    "realized_pnl": before.realized_pnl,
                    "ts_updated": ts_init,
                },
            )
            after = PositionRecord(
                symbol=symbol, quantity=quantity, avg_price=avg, realized_pnl=before.realized_pnl
            )
            payload = {
                "symbol": symbol,
                "reason": reason,
                "before": _position_payload(before.quantity, before.avg_price, before.realized_pnl),
                "after": _position_payload(after.quantity, after.avg_price, after.realized_pnl),
            }
            self._event(conn, "position_repaired", payload, ts_init)
        return after

    # -- reads -------------------------------------------------------------------------------

    def order(self, client_order_id: str) -> OrderRecord | None:
        with self._read() as conn:
            row = conn.execute(self._sel_order, {"cid_": client_order_id}).first()
        return None if row is None else _order_record(row)

    def orders(
        self, *, open_only: bool = False, symbol: str | None = None, limit: int | None = None
    ) -> list[OrderRecord]:
        """Orders, newest first (by creation time, then client order id)."""
        o = _ORDERS
        stmt = select(o).where(o.c.broker == self._broker)
        if open_only:
            stmt = stmt.where(_open_clause())
        if symbol is not None:
            stmt = stmt.where(o.c.symbol == symbol)
        stmt = stmt.order_by(o.c.ts_created.desc(), o.c.client_order_id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_order_record(r) for r in self._rows(stmt)]

    def open_orders(self) -> list[OrderRecord]:
        """Orders that may still trade: open at the broker (SUBMITTED, ACCEPTED, PENDING_CANCEL,
        PARTIALLY_FILLED) or recorded with their send pending or unknown. Newest first."""
        return self.orders(open_only=True)

    def unresolved(self) -> list[OrderRecord]:
        """Non-terminal orders whose send was never answered (submission ``pending`` or
        ``unknown``), oldest first: what reconciliation must ask the broker about."""
        o = _ORDERS
        stmt = (
            select(o)
            .where(
                o.c.broker == self._broker,
                o.c.status.not_in([s.value for s in TERMINAL_STATUSES]),
                o.c.submission.in_(_IN_FLIGHT),
            )
            .order_by(o.c.ts_created, o.c.client_order_id)
        )
        return [_order_record(r) for r in self._rows(stmt)]

    def fills(
        self, *, client_order_id: str | None = None, since_ns: int | None = None
    ) -> list[FillRecord]:
        """Recorded fills, oldest first (broker ``ts_event``, then trade id); ``since_ns`` is
        inclusive, like :meth:`Broker.fills`."""
        f = _FILLS
        stmt = select(f).where(f.c.broker == self._broker)
        if client_order_id is not None:
            stmt = stmt.where(f.c.client_order_id == client_order_id)
        if since_ns is not None:
            stmt = stmt.where(f.c.ts_event >= since_ns)
        stmt = stmt.order_by(f.c.ts_event, f.c.trade_id)
        return [_fill_record(r) for r in self._rows(stmt)]

    def last_fill_ts(self) -> int:
        """The newest fill's broker ``ts_event`` (0 with no fills): where a gap-fill starts."""
        f = _FILLS
        stmt = select(func.max(f.c.ts_event)).where(f.c.broker == self._broker)
        with self._read() as conn:
            value = conn.execute(stmt).scalar()
        return int(value) if value is not None else 0

    def positions(self) -> list[PositionRecord]:
        """Non-zero positions, by symbol."""
        p = _POSITIONS
        stmt = select(p).where(p.c.broker == self._broker).order_by(p.c.symbol)
        return [_position_record(r) for r in self._rows(stmt) if r.quantity != 0]

    def position(self, symbol: str) -> PositionRecord:
        """The position in ``symbol``; a flat record when there is none."""
        p = _POSITIONS
        stmt = select(p).where(p.c.broker == self._broker, p.c.symbol == symbol)
        with self._read() as conn:
            row = conn.execute(stmt).first()
        return PositionRecord(symbol=symbol) if row is None else _position_record(row)

    def _rows(self, stmt: Select[Any]) -> Sequence[Row[Any]]:
        with self._read() as conn:
            return conn.execute(stmt).all()

    # -- account, state, events --------------------------------------------------------------

    def record_account(self, report: AccountReport, *, ts_init: int) -> None:
        """Append a balance snapshot (the history stays: snapshots are never updated)."""
        with self._write() as conn:
            conn.execute(
                _ACCOUNTS.insert(),
                {
                    "broker": self._broker,
                    "account_id": report.account_id,
                    "currency": report.currency,
                    "cash": report.cash,
                    "equity": report.equity,
                    "buying_power": report.buying_power,
                    "ts_event": report.ts_event,
                    "ts_init": ts_init,
                    "extra": dict(report.extra),
                },
            )

    def latest_account(self) -> AccountReport | None:
        """The most recently recorded snapshot, or ``None``."""
        a = _ACCOUNTS
        stmt = select(a).where(a.c.broker == self._broker).order_by(a.c.id.desc()).limit(1)
        with self._read() as conn:
            row = conn.execute(stmt).first()
        if row is None:
            return None
        return AccountReport(
            account_id=row.account_id,
            currency=row.currency,
            cash=row.cash,
            equity=row.equity,
            buying_power=row.buying_power,
            ts_event=row.ts_event,
            extra={str(k): str(v) for k, v in (row.extra or {}).items()},
        )

    def get_state(self, key: str) -> Any | None:
        """A value stored with :meth:`set_state`, or ``None``."""
        s = _STATE
        stmt = select(s.c.value).where(s.c.broker == self._broker, s.c.key == key)
        with self._read() as conn:
            return conn.execute(stmt).scalar()

    def states(self, prefix: str = "") -> dict[str, Any]:
        """Every stored value whose key starts with ``prefix`` (e.g. ``run:``, the runners'
        cursors), by key."""
        s = _STATE
        stmt = select(s.c.key, s.c.value).where(
            s.c.broker == self._broker, s.c.key.startswith(prefix, autoescape=True)
        )
        with self._read() as conn:
            return {row.key: row.value for row in conn.execute(stmt)}

    def set_state(self, key: str, value: Any, *, ts_init: int) -> None:
        """Store a JSON value under ``key`` (kill switch, replay cursor); ``Decimal`` values are
        stored as strings. Callers that want the change audited add an event themselves."""
        with self._write() as conn:
            conn.execute(
                self._upsert_state,
                {"broker": self._broker, "key": key, "value": value, "ts_updated": ts_init},
            )

    def set_states(self, values: Mapping[str, Any], *, ts_init: int) -> None:
        """Several :meth:`set_state` writes in one transaction (one commit)."""
        rows = [
            {"broker": self._broker, "key": k, "value": v, "ts_updated": ts_init}
            for k, v in values.items()
        ]
        if rows:
            with self._write() as conn:
                conn.execute(self._upsert_state, rows)

    def events(self, *, limit: int = 100, kind: str | None = None) -> list[EventRecord]:
        """The audit log, newest first."""
        e = _EVENTS
        stmt = select(e).where(e.c.broker == self._broker)
        if kind is not None:
            stmt = stmt.where(e.c.kind == kind)
        stmt = stmt.order_by(e.c.id.desc()).limit(limit)
        return [
            EventRecord(
                id=r.id,
                broker=r.broker,
                ts_init=r.ts_init,
                kind=r.kind,
                client_order_id=r.client_order_id,
                payload=r.payload,
            )
            for r in self._rows(stmt)
        ]

    def append_event(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        ts_init: int,
        client_order_id: str | None = None,
    ) -> EventRecord:
        """Add a row to the audit log (kill switch trips, reconciliation verdicts...)."""
        with self._write() as conn:
            event_id = self._event(conn, kind, payload, ts_init, client_order_id)
        return EventRecord(
            id=event_id,
            broker=self._broker,
            ts_init=ts_init,
            kind=kind,
            client_order_id=client_order_id,
            payload=payload,
        )


def _open_clause() -> Any:
    o = _ORDERS
    return or_(
        o.c.status.in_([s.value for s in OPEN_STATUSES]),
        (o.c.status == OrderStatus.INITIALIZED.value) & o.c.submission.in_(_IN_FLIGHT),
    )


def _request_payload(request: OrderRequest) -> dict[str, Any]:
    return {
        "symbol": request.symbol,
        "side": request.side.value,
        "type": request.order_type.value,
        "time_in_force": request.time_in_force.value,
        "quantity": str(request.quantity),
        "limit_price": None if request.limit_price is None else str(request.limit_price),
        "stop_price": None if request.stop_price is None else str(request.stop_price),
        "take_profit": None if request.take_profit is None else str(request.take_profit),
        "stop_loss": None if request.stop_loss is None else str(request.stop_loss),
        "strategy": request.strategy,
    }


def _status_payload(report: OrderStatusReport) -> dict[str, Any]:
    return {
        "status": report.status.value,
        "venue_order_id": report.venue_order_id,
        "ts_event": report.ts_event,
        "broker_filled_quantity": str(report.filled_quantity),
        "broker_avg_fill_price": (
            None if report.avg_fill_price is None else str(report.avg_fill_price)
        ),
        "reason": report.reason,
    }
