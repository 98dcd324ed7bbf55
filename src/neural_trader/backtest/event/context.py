"""The :class:`StrategyContext` of the event engine, and the bar view strategies receive.

Two things here are shaped by the hot loop (one million bars must take a few seconds):

- :class:`BarView` is *one* object per run, a :class:`Bar` whose fields read the current chunk
  at the current index. Building a frozen ``Bar`` costs about 1.8 us (eight
  ``object.__setattr__`` calls), more than a whole bar of a simple strategy; the view costs one
  list store per bar and about 0.1 us per field read. The price: it is only valid during the
  call that received it. A strategy that keeps bars must keep ``bar.copy()``.
- The context keeps what ``target()`` asked for in a plain attribute that the loop reads after
  ``on_bar``; nothing is executed inside the call, so calling it twice in one bar means the
  second value, as 0006 has it (one target per bar).

Explicit orders (``buy``/``sell``/``cancel``) go through core :class:`Order` objects from an
:class:`OrderFactory` and the simulated exchange. A strategy uses targets *or* explicit orders
in one run: mixing them would leave two owners for one position (the sizer's "trade only on
change" and the strategy's own orders), so the second style raises ``NotSupportedError``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Final

from neural_trader.backtest.models import order_check, round_to_lot
from neural_trader.backtest.records import SkipReason
from neural_trader.core.clock import TestClock
from neural_trader.core.data import Bar, BarSpec
from neural_trader.core.enums import OrderSide, OrderType, TimeInForce
from neural_trader.core.orders import Order, OrderFactory
from neural_trader.strategies.orders import ExplicitOrders, checked_quantity, order_type_for

if TYPE_CHECKING:
    from neural_trader.backtest.event.exchange import Ledger, SimulatedExchange

__all__ = ["BarView", "EventContext"]

_NAN: Final = math.nan


class BarView(Bar):
    """The current bar, read through to the engine's column lists (see the module notes).

    ``isinstance(view, Bar)`` holds and every field reads as on a ``Bar``; ``copy()`` returns
    a real, frozen ``Bar`` to keep.
    """

    __slots__ = ("_cell", "_cols")
    _cell: list[int]
    _cols: tuple[list[int], list[float], list[float], list[float], list[float], list[float]]

    def __init__(self, symbol: str, spec: BarSpec, cell: list[int]) -> None:
        object.__setattr__(self, "symbol", symbol)
        object.__setattr__(self, "spec", spec)
        object.__setattr__(self, "_cell", cell)
        empty_f: list[float] = []
        empty_i: list[int] = []
        object.__setattr__(self, "_cols", (empty_i, empty_f, empty_f, empty_f, empty_f, empty_f))

    def bind(
        self,
        ts: list[int],
        o: list[float],
        h: list[float],
        lo: list[float],
        c: list[float],
        v: list[float],
    ) -> None:
        """Point the view at a new chunk's columns (once per chunk, not per bar)."""
        object.__setattr__(self, "_cols", (ts, o, h, lo, c, v))

    @property
    def ts_event(self) -> int:
        return self._cols[0][self._cell[0]]

    @property
    def open(self) -> float:
        return self._cols[1][self._cell[0]]

    @property
    def high(self) -> float:
        return self._cols[2][self._cell[0]]

    @property
    def low(self) -> float:
        return self._cols[3][self._cell[0]]

    @property
    def close(self) -> float:
        return self._cols[4][self._cell[0]]

    @property
    def volume(self) -> float:
        return self._cols[5][self._cell[0]]

    def copy(self) -> Bar:
        """This bar as an immutable :class:`Bar`, safe to keep after the call."""
        return Bar(
            self.symbol,
            self.spec,
            self.ts_event,
            self.open,
            self.high,
            self.low,
            self.close,
            self.volume,
        )

    def __repr__(self) -> str:
        return f"BarView({self.copy()!r})"


class EventContext(ExplicitOrders):
    """What a strategy sees and does in the event engine (implements ``StrategyContext``)."""

    _mode_hint = "express the whole strategy one way; targets also run on the vector engine"

    __slots__ = (
        "_bar_ns",
        "_cell",
        "_clock",
        "_closes",
        "_exchange",
        "_factory",
        "_feeds",
        "_high",
        "_instrument_id",
        "_ledger",
        "_lot",
        "_low",
        "_min_notional",
        "_min_size",
        "_offset",
        "_orders",
        "_skip",
        "_symbol",
        "_ts",
        "want",
    )

    def __init__(
        self,
        *,
        symbol: str,
        ledger: Ledger,
        cell: list[int],
        long_only: bool,
        exchange: SimulatedExchange,
        factory: OrderFactory,
        clock: TestClock,
        bar_ns: int,
        lot_size: float,
        min_size: float,
        min_notional: float,
        skip: Callable[[int, int, int, float, float, int], None],
    ) -> None:
        self._symbol = symbol
        self._ledger = ledger
        self._cell = cell
        self._low = 0.0 if long_only else -1.0
        self._high = 1.0
        self._exchange = exchange
        self._factory = factory
        self._clock = clock
        self._bar_ns = bar_ns
        self._instrument_id = exchange.instrument.id
        self._lot = lot_size
        self._min_size = min_size
        self._min_notional = min_notional
        self._skip = skip
        self._orders: dict[str, Order] = {}
        self._feeds: Mapping[str, list[float]] = {}
        self._closes: list[float] = []
        self._ts: list[int] = []
        self._offset = 0
        self._mode = ""
        self.want = 0.0
        """The clipped target the strategy asked for last (read by the engine's loop)."""

    def bind(
        self, offset: int, ts: list[int], close: list[float], feeds: Mapping[str, list[float]]
    ) -> None:
        """Point the context at a new chunk (its first bar is bar ``offset`` of the run)."""
        self._offset = offset
        self._ts = ts
        self._closes = close
        self._feeds = feeds

    # -- reading ------------------------------------------------------------------------------

    @property
    def symbol(self) -> str:
        return self._symbol

    @property
    def bar_index(self) -> int:
        return self._offset + self._cell[0]

    @property
    def position(self) -> float:
        return self._ledger.position

    @property
    def cash(self) -> float:
        return self._ledger.cash

    @property
    def equity(self) -> float:
        led = self._ledger
        return led.cash + led.position * self._closes[self._cell[0]]

    @property
    def orders(self) -> dict[str, Order]:
        """Every explicit order of this run by client order id (open and closed)."""
        return self._orders

    def open_orders(self) -> list[Order]:
        return [w.order for w in self._exchange.working.values()]

    def feed(self, name: str) -> float:
        values = self._feeds.get(name)
        if values is None:
            return _NAN
        return values[self._cell[0]]

    # -- targets ------------------------------------------------------------------------------

    def target(self, value: float) -> None:
        """Desired exposure; NaN keeps the previous one; clipped to the allowed range."""
        if value != value:
            return
        self._set_mode("target")
        if value > self._high:
            value = self._high
        elif value < self._low:
            value = self._low
        self.want = float(value)

    # -- explicit orders ----------------------------------------------------------------------

    def cancel(self, client_order_id: str) -> None:
        """Cancel a working order (takes effect after the engine's latency, if any)."""
        now = self._now()
        self._exchange.cancel(client_order_id, ts=now, orders=self._orders)

    def _send(
        self,
        side: OrderSide,
        quantity: float,
        limit: float | None,
        stop: float | None,
        tif: TimeInForce | str,
    ) -> str:
        self._set_mode("orders")
        checked_quantity(quantity)
        instrument = self._exchange.instrument
        now = self._now()
        index = self.bar_index
        wanted = quantity
        quantity = round_to_lot(quantity, self._lot)
        hint = limit if limit is not None else stop if stop is not None else self._close()
        code = order_check(quantity, hint, self._lot, self._min_size, self._min_notional)
        # A refused order still becomes an Order (DENIED), so the strategy can look it up.
        qty = instrument.make_qty(quantity if code == 0 else wanted, round_down=True)
        time_in_force = TimeInForce(tif)
        factory = self._factory
        iid = self._instrument_id
        kind = order_type_for(limit, stop)
        if kind is OrderType.MARKET:
            order = factory.market(iid, side, qty, time_in_force=time_in_force)
        elif kind is OrderType.LIMIT:
            assert limit is not None
            order = factory.limit(
                iid, side, qty, instrument.make_price(limit), time_in_force=time_in_force
            )
        elif kind is OrderType.STOP:
            assert stop is not None
            order = factory.stop_market(
                iid, side, qty, instrument.make_price(stop), time_in_force=time_in_force
            )
        else:
            assert limit is not None
            assert stop is not None
            order = factory.stop_limit(
                iid,
                side,
                qty,
                instrument.make_price(limit),
                instrument.make_price(stop),
                time_in_force=time_in_force,
            )
        cid = order.client_order_id.value
        self._orders[cid] = order
        if code != 0:
            self._exchange.deny(order, f"{SkipReason(code).name.lower()} rule (0006)", ts=now)
            self._skip(index, now, side.sign, wanted, hint, code)
        else:
            self._exchange.submit(order, bar_index=index, ts=now)
        return cid

    def _close(self) -> float:
        return self._closes[self._cell[0]] if self._closes else _NAN

    def _now(self) -> int:
        """The instant the strategy acts: the close of the current bar (its end)."""
        now = self._ts[self._cell[0]] + self._bar_ns if self._ts else 0
        if now > self._clock.timestamp_ns():
            self._clock.advance_to(now)
        return self._clock.timestamp_ns()

    @property
    def mode(self) -> str:
        """``"target"``, ``"orders"`` or ``""`` (neither used yet)."""
        return self._mode
