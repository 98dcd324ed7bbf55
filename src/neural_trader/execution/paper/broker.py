"""The paper broker: a durable simulated venue that fills with the event backtester's model.

Each symbol gets a :class:`~neural_trader.backtest.event.exchange.SimulatedExchange`, the very
object the event backtester matches explicit orders with, so a market order fills at the next
price with the same slippage and fee functions (``backtest/models``), a limit at its price or
better on a gap, stops along the bar's path. Market data drives it: :meth:`PaperBroker.on_bar`
matches working orders against each new bar, live or replayed. Cash is one float ledger for
the account (0006's arithmetic), so a replay through the paper broker reproduces the
backtester's fills exactly.

Durability: orders, fills, cash, positions and the last bar seen per symbol are committed to
the paper account's own SQLite file after every change (see :mod:`.store`). On restart the
working orders are rebuilt for what is left of them, and a bar at or before the last one seen
is ignored, so a resumed replay neither re-matches nor double-fills.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from neural_trader.backtest.event.engine import default_instrument
from neural_trader.backtest.event.exchange import Fill, Ledger, SimulatedExchange
from neural_trader.core.account import Account
from neural_trader.core.clock import Clock
from neural_trader.core.data import Bar
from neural_trader.core.enums import AccountType, OrderSide, OrderStatus, OrderType, TimeInForce
from neural_trader.core.errors import ConfigError, InvalidArgumentError, OrderRejectedError
from neural_trader.core.events import OrderInitialized
from neural_trader.core.identifiers import AccountId, ClientOrderId, StrategyId
from neural_trader.core.instruments import Instrument
from neural_trader.core.orders import Order
from neural_trader.core.position import Position
from neural_trader.core.values import Currency
from neural_trader.execution.broker import Broker
from neural_trader.execution.journal import apply_to_position
from neural_trader.execution.paper import store as tables
from neural_trader.execution.paper.store import PaperStore
from neural_trader.execution.reports import (
    AccountReport,
    ExecutionReport,
    FillReport,
    OrderRequest,
    OrderStatusReport,
    PositionReport,
)

__all__ = ["PaperBroker", "PaperConfig"]

_NS_PER_DAY: Final = 86_400_000_000_000
_OPEN: Final = frozenset(
    {OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING_CANCEL}
)
_STRATEGY: Final = StrategyId("PAPER-001")


@dataclass(frozen=True)
class PaperConfig:
    """Fixed when the paper account is created: a venue does not change its fees mid-run."""

    cash: float = 100_000.0
    currency: str = "USD"
    fee_rate: float = 0.0
    fixed_fee: float = 0.0
    slippage: float = 0.0
    latency_ns: int = 0
    account_id: str = "PAPER-001"
    max_volume_fraction: float | None = None
    """At most this share of a bar's volume trades per bar (the rest stays working: partial
    fills); None fills whole orders, as the backtester does by default."""

    def __post_init__(self) -> None:
        if not math.isfinite(self.cash) or self.cash <= 0:
            raise InvalidArgumentError(f"paper cash must be positive, got {self.cash}")
        if not 0 <= self.fee_rate < 1 or not 0 <= self.slippage < 1 or self.fixed_fee < 0:
            raise InvalidArgumentError(
                "paper fees: fee_rate and slippage must be in [0, 1), fixed_fee >= 0"
            )
        if self.latency_ns < 0:
            raise InvalidArgumentError(f"latency_ns must be >= 0, got {self.latency_ns}")
        cap = self.max_volume_fraction
        if cap is not None and not (math.isfinite(cap) and 0.0 < cap <= 1.0):
            raise InvalidArgumentError(f"max_volume_fraction must be in (0, 1], got {cap}")


class PositionState(NamedTuple):
    """The paper venue's average-cost position (the journal's arithmetic, one rule)."""

    quantity: Decimal
    avg_price: Decimal
    realized_pnl: Decimal


class _Book:
    """One symbol: its simulated exchange, the position ledger and the bars seen."""

    __slots__ = (
        "avg",
        "bars_seen",
        "daily",
        "exchange",
        "last_price",
        "last_ts",
        "ledger",
        "span",
    )

    def __init__(self, exchange: SimulatedExchange, ledger: Ledger) -> None:
        self.exchange = exchange
        self.ledger = ledger
        self.avg = PositionState(Decimal(0), Decimal(0), Decimal(0))
        self.bars_seen = 0
        self.last_ts = -1
        self.last_price = math.nan
        self.daily = False
        self.span = 0


class PaperBroker(Broker):
    """A paper account stored at ``path``; ``config`` applies when the file is new.

    ``instruments`` sets each symbol's price and size grid (default: a 1e-9 grid in the
    account currency, as the event backtester uses). ``clock`` stamps submissions: in a
    replay it is the replay's clock, so the broker's times are the data's times.
    """

    name = "paper"
    is_live = False

    def __init__(
        self,
        path: Path,
        config: PaperConfig | None = None,
        *,
        clock: Clock,
        instruments: Mapping[str, Instrument] | None = None,
    ) -> None:
        self._store = PaperStore(path)
        self._clock = clock
        self._instruments = dict(instruments or {})
        self.config = self._load_config(config)
        self._currency = Currency.from_str(self.config.currency)
        self._account_id = AccountId(self.config.account_id)
        self._queue: asyncio.Queue[ExecutionReport] = asyncio.Queue()
        self._books: dict[str, _Book] = {}
        self._rows: dict[str, dict[str, Any]] = {}
        self._orders: dict[str, Order] = {}
        self._pending_fills: list[tuple[str, Fill]] = []
        with self._store.transaction() as conn:
            self._cash = float(self._store.get(conn, "cash") or repr(self.config.cash))
            self._trade_seq = int(self._store.get(conn, "trade_seq") or "0")
            self._restore(conn)
        # Venue ids are PAPER-<n> in order of submission; the next one follows the highest
        # stored (derived, not stored: one write fewer on every submit).
        self._order_seq = max(
            (int(r["venue_order_id"].rsplit("-", 1)[1]) for r in self._rows.values()), default=0
        )

    # -- set-up -------------------------------------------------------------------------------

    def _load_config(self, config: PaperConfig | None) -> PaperConfig:
        with self._store.transaction() as conn:
            stored = self._store.get(conn, "config")
            if stored is None:
                chosen = config or PaperConfig()
                self._store.put(conn, "config", _dump(asdict(chosen)))
                self._store.put(conn, "cash", repr(chosen.cash))
                return chosen
        existing = PaperConfig(**_load(stored))
        if config is not None and config != existing:
            changed = [
                f"{k}={getattr(existing, k)!r} (asked {getattr(config, k)!r})"
                for k in asdict(existing)
                if getattr(existing, k) != getattr(config, k)
            ]
            raise ConfigError(
                f"the paper account at {self._store.path} was created with " + ", ".join(changed),
                hint="keep its settings, or start a new paper account (another NT_HOME or "
                "--paper-account NAME)",
            )
        return existing

    def _book(self, symbol: str) -> _Book:
        book = self._books.get(symbol)
        if book is None:
            instrument = self._instruments.get(symbol) or default_instrument(symbol)
            if instrument.quote_currency != self._currency:
                raise InvalidArgumentError(
                    f"{symbol} is quoted in {instrument.quote_currency}; this paper account "
                    f"holds {self._currency}"
                )
            ledger = Ledger(self._cash)
            account = Account(self._account_id, AccountType.MARGIN, base_currency=self._currency)
            exchange = SimulatedExchange(
                instrument=instrument,
                account=account,
                position=Position(instrument, self._account_id),
                ledger=ledger,
                slippage=self.config.slippage,
                fee_rate=self.config.fee_rate,
                fixed_fee=self.config.fixed_fee,
                on_execution=self._collector(symbol),
                latency_ns=self.config.latency_ns,
                max_volume_fraction=self.config.max_volume_fraction,
            )
            book = _Book(exchange, ledger)
            self._books[symbol] = book
        return book

    def _collector(self, symbol: str) -> Callable[[Fill, float], None]:
        """The exchange's execution callback: fills wait in a list until :meth:`_settle`."""

        def collect(fill: Fill, _before: float) -> None:
            self._pending_fills.append((symbol, fill))

        return collect

    def _restore(self, conn: Connection) -> None:
        for row in conn.execute(sa.select(tables.symbols)).mappings():
            book = self._book(row["symbol"])
            book.ledger.position = float(row["position"])
            book.avg = PositionState(
                Decimal(row["position"]), Decimal(row["avg_price"]), Decimal(0)
            )
            book.bars_seen = int(row["bars_seen"])
            book.last_ts = int(row["last_ts"])
            book.last_price = float(row["last_price"])
        for row in conn.execute(sa.select(tables.orders)).mappings():
            data = dict(row)
            cid = data["client_order_id"]
            self._rows[cid] = data
            if OrderStatus(data["status"]) in _OPEN:
                leaves = Decimal(data["quantity"]) - Decimal(data["filled"])
                order = self._core_order(_request_from_row(data), leaves)
                book = self._book(data["symbol"])
                book.exchange.submit(
                    order, bar_index=int(data["submit_index"]), ts=int(data["ts_submitted"])
                )
                self._orders[cid] = order

    # -- the broker interface -----------------------------------------------------------------

    async def submit_order(self, request: OrderRequest) -> OrderStatusReport:
        return self.submit(request)

    def submit(self, request: OrderRequest) -> OrderStatusReport:
        """Synchronous submit (the paper venue answers at once); see :meth:`submit_order`."""
        cid = request.client_order_id
        if cid in self._rows:
            raise OrderRejectedError(
                f"paper broker: client order id {cid} is already used",
                reason="duplicate client_order_id",
            )
        if request.is_bracket:
            raise OrderRejectedError(
                "paper broker: bracket orders are not simulated; send the exits as their "
                "own stop and limit orders",
                reason="bracket orders not supported by the paper broker",
            )
        book = self._book(request.symbol)
        instrument = book.exchange.instrument
        try:
            on_grid = instrument.make_qty(request.quantity, round_down=True).as_decimal()
        except InvalidArgumentError:
            on_grid = Decimal(0)
        if on_grid != request.quantity:
            raise OrderRejectedError(
                f"paper broker: quantity {request.quantity} of {request.symbol} is not a "
                f"multiple of the size increment {instrument.size_increment}",
                reason="quantity off the size grid",
            )
        now = self._clock.timestamp_ns()
        if book.span and book.last_ts >= 0:
            # The venue sees time in bars: an order sent after bar t completed works from bar
            # t+1's start, however long the strategy took (bars are labelled by their start,
            # and a live bar arrives only once it is complete).
            now = min(now, book.last_ts + book.span)
        order = self._core_order(request, request.quantity)
        book.exchange.submit(order, bar_index=book.bars_seen - 1, ts=now)
        self._order_seq += 1
        row = {
            "client_order_id": cid,
            "venue_order_id": f"PAPER-{self._order_seq}",
            "symbol": request.symbol,
            "side": request.side.value,
            "order_type": request.order_type.value,
            "time_in_force": request.time_in_force.value,
            "quantity": str(request.quantity),
            "limit_price": _opt(request.limit_price),
            "stop_price": _opt(request.stop_price),
            "status": OrderStatus.ACCEPTED.value,
            "filled": "0",
            "notional": "0",
            "submit_index": book.bars_seen - 1,
            "ts_submitted": now,
            "ts_updated": now,
            "reason": None,
        }
        self._rows[cid] = row
        self._orders[cid] = order
        with self._store.transaction() as conn:
            conn.execute(tables.INSERT_ORDER, row)
        report = self._status(row, now)
        self._queue.put_nowait(report)
        return report

    async def cancel_order(self, client_order_id: str, venue_order_id: str | None = None) -> None:
        self.cancel(client_order_id)

    def cancel(self, client_order_id: str) -> None:
        row = self._rows.get(client_order_id)
        if row is None:
            raise OrderRejectedError(
                f"paper broker: no order {client_order_id}", reason="unknown order"
            )
        status = OrderStatus(row["status"])
        if status not in _OPEN:
            raise OrderRejectedError(
                f"paper broker: order {client_order_id} is {status} and cannot be cancelled",
                reason=f"order is {status}",
            )
        book = self._book(row["symbol"])
        now = self._clock.timestamp_ns()
        book.ledger.cash = self._cash
        book.exchange.cancel(client_order_id, ts=now, orders=self._orders)
        self._settle(book, now)

    async def get_order(self, client_order_id: str) -> OrderStatusReport | None:
        row = self._rows.get(client_order_id)
        return None if row is None else self._status(row, int(row["ts_updated"]))

    async def open_orders(self) -> list[OrderStatusReport]:
        return [
            self._status(r, int(r["ts_updated"]))
            for r in self._rows.values()
            if OrderStatus(r["status"]) in _OPEN
        ]

    async def fills(self, since_ns: int = 0) -> list[FillReport]:
        query = (
            sa.select(tables.fills)
            .where(tables.fills.c.ts_event >= since_ns)
            .order_by(tables.fills.c.seq)
        )
        now = self._clock.timestamp_ns()
        with self._store.transaction() as conn:
            return [_fill_report(dict(r), now) for r in conn.execute(query).mappings()]

    async def positions(self) -> list[PositionReport]:
        return [
            PositionReport(
                symbol=symbol,
                quantity=book.avg.quantity,
                avg_price=book.avg.avg_price,
                ts_event=max(book.last_ts, 0),
            )
            for symbol, book in sorted(self._books.items())
            if book.avg.quantity != 0
        ]

    async def account(self) -> AccountReport:
        return self.account_now()

    def account_now(self) -> AccountReport:
        equity = self._cash
        for book in self._books.values():
            if book.ledger.position != 0.0 and math.isfinite(book.last_price):
                equity += book.ledger.position * book.last_price
        return AccountReport(
            account_id=self.config.account_id,
            currency=self.config.currency,
            cash=Decimal(repr(self._cash)),
            equity=Decimal(repr(equity)),
            buying_power=Decimal(repr(max(self._cash, 0.0))),
            ts_event=self._clock.timestamp_ns(),
        )

    @property
    def cash(self) -> float:
        """The cash ledger as the float the fills moved (exact, for sizing)."""
        return self._cash

    async def reports(self) -> AsyncIterator[ExecutionReport]:
        while True:
            report = await self._queue.get()
            try:
                yield report
            finally:
                self._queue.task_done()

    async def drained(self) -> None:
        """Wait until every report produced so far has been consumed."""
        await self._queue.join()

    def pending_reports(self) -> int:
        return self._queue.qsize()

    async def close(self) -> None:
        self._store.close()

    # -- market data ----------------------------------------------------------------------------

    def last_price(self, symbol: str) -> float:
        book = self._books.get(symbol)
        return book.last_price if book is not None else math.nan

    def on_bar(self, bar: Bar) -> None:
        """Match ``bar.symbol``'s working orders against ``bar``; commit; queue the reports.

        A bar at or before the last one seen for the symbol is ignored (a resumed replay
        hands the broker bars it has already matched).
        """
        book = self._book(bar.symbol)
        book.span = bar.spec.nanos
        if bar.ts_event <= book.last_ts:
            return
        for name in ("open", "high", "low", "close"):
            value = getattr(bar, name)
            if not math.isfinite(value) or value <= 0:
                raise InvalidArgumentError(
                    f"paper broker: {bar.symbol} bar at {bar.ts_event} has {name}={value}; "
                    "prices must be positive and finite"
                )
        book.daily = bar.spec.nanos >= _NS_PER_DAY
        book.exchange.daily_bars = book.daily
        index = book.bars_seen
        book.ledger.cash = self._cash
        if book.exchange.working:
            book.exchange.match_bar(
                index, bar.ts_event, bar.open, bar.high, bar.low, bar.close, bar.volume
            )
        book.bars_seen = index + 1
        book.last_ts = bar.ts_event
        book.last_price = bar.close
        self._settle(book, bar.ts_event)

    # -- bookkeeping --------------------------------------------------------------------------

    def _settle(self, book: _Book, ts: int) -> None:
        """Persist what the exchange just did (fills, closes, the bar) and queue reports."""
        self._cash = book.ledger.cash
        fills, self._pending_fills = self._pending_fills, []
        touched: dict[str, None] = {}
        fill_rows: list[dict[str, Any]] = []
        for symbol, fill in fills:
            self._trade_seq += 1
            row = self._rows[fill.client_order_id]
            qty = Decimal(repr(fill.quantity))
            px = Decimal(repr(fill.price))
            row["filled"] = str(Decimal(row["filled"]) + qty)
            row["notional"] = str(Decimal(row["notional"]) + qty * px)
            side = 1 if row["side"] == OrderSide.BUY.value else -1
            target = self._books[symbol]
            held = target.avg
            target.avg = PositionState(
                *apply_to_position(
                    held.quantity, held.avg_price, held.realized_pnl, qty if side > 0 else -qty, px
                )
            )
            fill_rows.append(
                {
                    "seq": self._trade_seq,
                    "trade_id": f"PT-{self._trade_seq}",
                    "client_order_id": fill.client_order_id,
                    "venue_order_id": row["venue_order_id"],
                    "symbol": symbol,
                    "side": row["side"],
                    "quantity": str(qty),
                    "price": str(px),
                    "fee": repr(fill.fee),
                    "ts_event": fill.ts_event,
                }
            )
            touched[fill.client_order_id] = None
        for cid, order in self._orders.items():
            row = self._rows[cid]
            status = _venue_status(order, row)
            if status.value != row["status"]:
                row["status"] = status.value
                touched[cid] = None
        for cid in touched:
            self._rows[cid]["ts_updated"] = ts
        with self._store.transaction() as conn:
            if fill_rows:
                conn.execute(tables.fills.insert(), fill_rows)
            if touched:
                conn.execute(
                    tables.UPDATE_ORDER,
                    [
                        {
                            "cid_": cid,
                            "status": self._rows[cid]["status"],
                            "filled": self._rows[cid]["filled"],
                            "notional": self._rows[cid]["notional"],
                            "ts_updated": ts,
                        }
                        for cid in touched
                    ],
                )
            self._save_book(conn, book)
            for symbol, _ in fills:
                if self._books[symbol] is not book:
                    self._save_book(conn, self._books[symbol])
            self._store.put_many(
                conn, {"cash": repr(self._cash), "trade_seq": str(self._trade_seq)}
            )
        now = self._clock.timestamp_ns()
        for fr in fill_rows:
            self._queue.put_nowait(_fill_report(fr, now))
        for cid in touched:
            self._queue.put_nowait(self._status(self._rows[cid], ts))
            if OrderStatus(self._rows[cid]["status"]) not in _OPEN:
                self._orders.pop(cid, None)

    def _save_book(self, conn: Connection, book: _Book) -> None:
        symbol = book.exchange.instrument.id.symbol.value
        values = {
            "position": str(book.avg.quantity),
            "avg_price": str(book.avg.avg_price),
            "bars_seen": book.bars_seen,
            "last_ts": book.last_ts,
            "last_price": repr(book.last_price),
        }
        conn.execute(tables.SAVE_SYMBOL, {"symbol": symbol, **values})

    def _core_order(self, request: OrderRequest, quantity: Decimal) -> Order:
        book = self._book(request.symbol)
        instrument = book.exchange.instrument
        now = self._clock.timestamp_ns()
        init = OrderInitialized(
            strategy_id=_STRATEGY,
            instrument_id=instrument.id,
            client_order_id=ClientOrderId(request.client_order_id),
            side=request.side,
            order_type=request.order_type,
            quantity=instrument.make_qty(quantity),
            time_in_force=request.time_in_force,
            price=None
            if request.limit_price is None
            else instrument.make_price(request.limit_price),
            trigger_price=(
                None if request.stop_price is None else instrument.make_price(request.stop_price)
            ),
            ts_event=now,
            ts_init=now,
        )
        return Order(init)

    def _status(self, row: Mapping[str, Any], ts: int) -> OrderStatusReport:
        filled = Decimal(row["filled"])
        avg = Decimal(row["notional"]) / filled if filled > 0 else None
        return OrderStatusReport(
            client_order_id=row["client_order_id"],
            venue_order_id=row["venue_order_id"],
            symbol=row["symbol"],
            side=OrderSide(row["side"]),
            order_type=OrderType(row["order_type"]),
            quantity=Decimal(row["quantity"]),
            filled_quantity=filled,
            status=OrderStatus(row["status"]),
            ts_event=ts,
            ts_init=self._clock.timestamp_ns(),
            avg_fill_price=avg,
            limit_price=None if row["limit_price"] is None else Decimal(row["limit_price"]),
            stop_price=None if row["stop_price"] is None else Decimal(row["stop_price"]),
            time_in_force=TimeInForce(row["time_in_force"]),
            reason=row["reason"],
        )


def _venue_status(order: Order, row: Mapping[str, Any]) -> OrderStatus:
    """The status a venue would report: from our totals (the core order may be a remainder)."""
    filled = Decimal(row["filled"])
    if filled == Decimal(row["quantity"]):
        return OrderStatus.FILLED
    status = order.status
    if status in (OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.PENDING_CANCEL):
        return status
    return OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.ACCEPTED


def _fill_report(row: Mapping[str, Any], now: int) -> FillReport:
    return FillReport(
        trade_id=row["trade_id"],
        client_order_id=row["client_order_id"],
        venue_order_id=row["venue_order_id"],
        symbol=row["symbol"],
        side=OrderSide(row["side"]),
        quantity=Decimal(row["quantity"]),
        price=Decimal(row["price"]),
        commission=Decimal(row["fee"]),
        ts_event=int(row["ts_event"]),
        ts_init=now,
    )


def _request_from_row(row: Mapping[str, Any]) -> OrderRequest:
    return OrderRequest(
        client_order_id=row["client_order_id"],
        symbol=row["symbol"],
        side=OrderSide(row["side"]),
        order_type=OrderType(row["order_type"]),
        quantity=Decimal(row["quantity"]),
        limit_price=None if row["limit_price"] is None else Decimal(row["limit_price"]),
        stop_price=None if row["stop_price"] is None else Decimal(row["stop_price"]),
        time_in_force=TimeInForce(row["time_in_force"]),
    )


def _opt(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _dump(values: dict[str, Any]) -> str:
    return json.dumps(values, sort_keys=True)


def _load(text: str) -> dict[str, Any]:
    loaded = json.loads(text)
    if not isinstance(loaded, dict):
        raise ConfigError(f"paper account settings are corrupt: {text!r}")
    return loaded
