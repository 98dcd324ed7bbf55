"""The simulated exchange: matches explicit orders against bars along an intra-bar price path.

A bar only tells us four prices, so the exchange assumes the price moved in straight lines
through them in the likelier order (docs/decisions/0006): a bar that closed at or above its
open went ``O -> L -> H -> C``, any other ``O -> H -> L -> C`` (``models.stops.bar_path``).
Every working order asks one question of that path: where does my condition first hold
(``models.stops.touch``, the general form of the engines' stop walk)? The answer is a *path time*
``s`` in ``[0, 3]`` (0 the open, 1 and 2 the extremes, 3 the close) and a price, so orders that
fill in the same bar fill in the order the path reaches them, whatever order they were sent in.

Rules (each one a choice a bar-level simulation has to make, stated here once):

- **market**: at the open of the first eligible bar (with ``fill="close"`` and no latency, at
  the close of the bar it was sent on), slippage applied;
- **limit**: at the limit, or at the open when the bar gaps through it (a better price); a
  resting limit order is a maker order, so no slippage;
- **stop**: triggers when the path reaches the trigger, fills there (at the open on a gap),
  slippage applied, as 0006 does for the engine's own stops;
- **stop-limit**: triggers like a stop, then rests as a limit from the trigger point on (the
  rest of that bar included); the trigger survives the bar;
- **IOC / FOK**: checked only at their arrival point (the open of the first eligible bar, or
  the close for a same-bar market order); whatever does not fill there is cancelled. An
  immediate order that could wait for the bar's low is not immediate;
- **DAY**: expires when a bar of a later UTC date arrives (intraday data, the date of the
  instant the order was sent) or, on daily bars, after the one bar it could trade on;
- **latency**: an order sent at ``t`` (the close of the bar the strategy saw) is eligible on
  the first later bar with ``ts_event >= t + latency_ns``; a cancel takes effect likewise, and
  the order may fill until then (it is ``PENDING_CANCEL`` meanwhile);
- **volume**: with ``max_volume_fraction`` set, the orders of one bar may trade at most that
  fraction of the bar's volume together; the rest stays working (partial fills), IOC cancels
  it and FOK refuses to fill at all. Off by default: bars then have unlimited depth.

Cost per order does not grow with history: working orders sit in a dict keyed by client order
id, and each bar looks at working orders only (none at all on the fast path); an order that
closes leaves the dict and is appended to ``closed``. The position and account are updated
incrementally, fill by fill.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from neural_trader.backtest.models import (
    bar_path,
    cash_after_fill,
    execution_price,
    order_fee,
    touch,
)
from neural_trader.core.account import Account
from neural_trader.core.enums import LiquiditySide, OrderType, TimeInForce
from neural_trader.core.errors import InvalidArgumentError, NotFoundError
from neural_trader.core.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderExpired,
    OrderFilled,
    OrderPendingCancel,
    OrderSubmitted,
)
from neural_trader.core.identifiers import AccountId, TradeId, VenueOrderId
from neural_trader.core.instruments import Instrument
from neural_trader.core.orders import Order
from neural_trader.core.position import Position
from neural_trader.core.values import Money, Quantity

__all__ = ["Fill", "SimulatedExchange"]

_NS_PER_DAY: Final = 86_400_000_000_000
_OPEN: Final = 0.0
_CLOSE: Final = 3.0


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution, as ``on_fill`` receives it and the order records keep it.

    ``side`` is +1 (buy) or -1 (sell). ``price`` is the execution price after slippage and
    ``fee`` what was paid for it, both the floats the cash ledger used. ``event`` is the core
    :class:`OrderFilled` for explicit orders (``None`` for the engine's own target orders,
    whose sizes are not on an instrument grid; see docs/decisions/0009).
    """

    client_order_id: str
    bar_index: int
    ts_event: int
    side: int
    quantity: float
    price: float
    fee: float
    reason: str
    event: OrderFilled | None = None


class Ledger:
    """The float cash and signed position every execution moves, in 0006's arithmetic.

    The engine marks equity from these two numbers, so they are the one truth for the result
    arrays; the core :class:`Account` and :class:`Position` (explicit orders) mirror them in
    fixed point, rounded to the currency and the instrument grid.
    """

    __slots__ = ("cash", "position")

    def __init__(self, cash: float) -> None:
        self.cash = cash
        self.position = 0.0


OnExecution = Callable[[Fill, float], None]
"""Called for every execution after the ledger moved, with the position before it (records,
trades, ``on_fill``)."""


@dataclass(slots=True)
class _Working:
    """The exchange's float view of one working order (the core Order holds the truth)."""

    order: Order
    cid: str
    seq: int
    side: int
    kind: OrderType
    tif: TimeInForce
    leaves: float
    limit: float
    trigger: float
    triggered: bool
    submit_index: int
    eligible_ts: int
    day: int
    cancel_ts: int = -1
    seen: bool = False
    qty_precision: int = field(default=0)


class SimulatedExchange:
    """Matches one instrument's explicit orders bar by bar and books their fills.

    ``submit`` and ``cancel`` are called from the strategy (through the context) between bars;
    ``match_bar`` runs before the strategy sees a bar, ``match_close`` after it for same-bar
    market orders with ``fill="close"``.
    """

    def __init__(
        self,
        *,
        instrument: Instrument,
        account: Account,
        position: Position,
        ledger: Ledger,
        slippage: float,
        fee_rate: float,
        fixed_fee: float,
        on_execution: OnExecution,
        fill_at_close: bool = False,
        latency_ns: int = 0,
        max_volume_fraction: float | None = None,
        daily_bars: bool = False,
    ) -> None:
        if latency_ns < 0:
            raise InvalidArgumentError(f"latency_ns must be >= 0, got {latency_ns}")
        if max_volume_fraction is not None and not 0.0 < max_volume_fraction <= 1.0:
            raise InvalidArgumentError(
                f"max_volume_fraction must be in (0, 1], got {max_volume_fraction}"
            )
        self.instrument = instrument
        self.account = account
        self.position = position
        self.ledger = ledger
        self._slippage = slippage
        self._fee_rate = fee_rate
        self._fixed_fee = fixed_fee
        self._on_execution = on_execution
        self._fill_at_close = fill_at_close
        self._latency = latency_ns
        self._max_volume = max_volume_fraction
        self._daily = daily_bars
        self._account_id: AccountId = account.id
        self._currency = instrument.quote_currency
        self.working: dict[str, _Working] = {}
        """Open orders only, keyed by client order id: the whole per-bar working set."""
        self.closed: list[Order] = []
        """Orders that will not trade again, in the order they closed."""
        self._seq = 0
        self._trades = 0

    @property
    def daily_bars(self) -> bool:
        """Whether bars are a day or longer (a DAY order then lives for one bar)."""
        return self._daily

    @daily_bars.setter
    def daily_bars(self, value: bool) -> None:
        # A live feed learns its bar length from the first bar (the paper broker).
        self._daily = value

    # -- from the strategy ------------------------------------------------------------------

    def submit(self, order: Order, *, bar_index: int, ts: int) -> None:
        """Send ``order`` at ``ts`` (the close of bar ``bar_index``): submitted, accepted."""
        cid = order.client_order_id.value
        order.apply(
            OrderSubmitted(
                strategy_id=order.strategy_id,
                instrument_id=order.instrument_id,
                client_order_id=order.client_order_id,
                account_id=self._account_id,
                ts_event=ts,
                ts_init=ts,
            )
        )
        self._seq += 1
        order.apply(
            OrderAccepted(
                strategy_id=order.strategy_id,
                instrument_id=order.instrument_id,
                client_order_id=order.client_order_id,
                account_id=self._account_id,
                venue_order_id=VenueOrderId(f"SIM-{self._seq}"),
                ts_event=ts,
                ts_init=ts,
            )
        )
        price = order.price
        trigger = order.trigger_price
        self.working[cid] = _Working(
            order=order,
            cid=cid,
            seq=self._seq,
            side=order.side.sign,
            kind=order.order_type,
            tif=order.time_in_force,
            leaves=float(order.quantity.as_decimal()),
            limit=float(price.as_decimal()) if price is not None else 0.0,
            trigger=float(trigger.as_decimal()) if trigger is not None else 0.0,
            triggered=False,
            submit_index=bar_index,
            eligible_ts=ts + self._latency,
            day=ts // _NS_PER_DAY,
            qty_precision=order.quantity.precision,
        )

    def deny(self, order: Order, reason: str, *, ts: int) -> None:
        """Refuse ``order`` before it is sent (lot and minimum checks): DENIED, closed."""
        order.apply(
            OrderDenied(
                strategy_id=order.strategy_id,
                instrument_id=order.instrument_id,
                client_order_id=order.client_order_id,
                reason=reason,
                ts_event=ts,
                ts_init=ts,
            )
        )
        self.closed.append(order)

    def cancel(self, client_order_id: str, *, ts: int, orders: dict[str, Order]) -> None:
        """Cancel a working order now (no latency) or once the request arrives.

        ``orders`` maps every id this run issued to its order, to tell a closed order (the
        cancel is rejected, as a venue would) from an id that never existed (an error).
        """
        w = self.working.get(client_order_id)
        if w is None:
            order = orders.get(client_order_id)
            if order is None:
                raise NotFoundError(
                    f"no order {client_order_id!r} in this run",
                    hint="cancel takes the id that buy() or sell() returned",
                )
            order.apply(
                OrderCancelRejected(
                    strategy_id=order.strategy_id,
                    instrument_id=order.instrument_id,
                    client_order_id=order.client_order_id,
                    account_id=self._account_id,
                    reason=f"order is already {order.status}",
                    ts_event=ts,
                    ts_init=ts,
                )
            )
            return
        if w.cancel_ts >= 0:
            return  # a cancel is already on its way
        if self._latency == 0:
            self._close(w, OrderCanceled, ts)
            return
        order = w.order
        order.apply(
            OrderPendingCancel(
                strategy_id=order.strategy_id,
                instrument_id=order.instrument_id,
                client_order_id=order.client_order_id,
                account_id=self._account_id,
                venue_order_id=order.venue_order_id,
                ts_event=ts,
                ts_init=ts,
            )
        )
        w.cancel_ts = ts + self._latency

    # -- from the engine --------------------------------------------------------------------

    def match_bar(
        self, index: int, ts: int, o: float, h: float, lo: float, c: float, v: float
    ) -> None:
        """Expire, cancel and fill the working orders against bar ``index``."""
        working = self.working
        day = ts // _NS_PER_DAY
        for w in list(working.values()):
            if w.cancel_ts >= 0 and ts >= w.cancel_ts:
                self._close(w, OrderCanceled, ts)
            elif w.tif is TimeInForce.DAY and not self._daily and day != w.day:
                self._close(w, OrderExpired, ts)
        if not working:
            return
        pts = bar_path(o, h, lo, c)
        hits: list[tuple[float, int, _Working, float, bool]] = []
        first_seen: list[_Working] = []
        for w in working.values():
            if index <= w.submit_index or ts < w.eligible_ts:
                continue
            if not w.seen:
                w.seen = True
                first_seen.append(w)
            hit = self._where(w, pts, _OPEN, o)
            if hit is not None:
                hits.append((hit[0], w.seq, w, hit[1], hit[2]))
        self._execute(hits, index, ts, v)
        for w in first_seen:
            if w.cid not in working:
                continue
            if w.tif is TimeInForce.IOC or w.tif is TimeInForce.FOK:
                self._close(w, OrderCanceled, ts)
            elif w.tif is TimeInForce.DAY and self._daily:
                self._close(w, OrderExpired, ts)

    def match_close(self, index: int, ts: int, c: float, v: float) -> None:
        """Fill market orders sent on bar ``index`` at its close (``fill="close"``)."""
        if not self._fill_at_close:
            return
        hits: list[tuple[float, int, _Working, float, bool]] = []
        for w in self.working.values():
            if w.kind is OrderType.MARKET and w.submit_index == index and ts >= w.eligible_ts:
                w.seen = True
                hits.append((_CLOSE, w.seq, w, c, True))
        if not hits:
            return
        self._execute(hits, index, ts, v)
        for _, _, w, _, _ in hits:
            if w.cid in self.working and w.tif in (TimeInForce.IOC, TimeInForce.FOK):
                self._close(w, OrderCanceled, ts)

    # -- matching -----------------------------------------------------------------------------

    def _where(
        self, w: _Working, pts: tuple[float, float, float, float], s0: float, px0: float
    ) -> tuple[float, float, bool] | None:
        """Where on the path ``w`` fills: (path time, base price, slippage applies)."""
        immediate = w.tif is TimeInForce.IOC or w.tif is TimeInForce.FOK
        buy = w.side > 0
        kind = w.kind
        if kind is OrderType.MARKET:
            return s0, px0, True
        if kind is OrderType.LIMIT:
            s, px = touch(*pts, s0, px0, w.limit, buy)
            if s < 0 or (immediate and s != s0):
                return None
            return s, px, False
        # STOP and STOP_LIMIT: a buy stop triggers at or above its level, a sell stop below.
        if w.triggered:
            st, pt = s0, px0
        else:
            st, pt = touch(*pts, s0, px0, w.trigger, not buy)
            if st < 0 or (immediate and st != s0):
                return None
            w.triggered = True
        if kind is OrderType.STOP:
            return st, pt, True
        s, px = touch(*pts, st, pt, w.limit, buy)
        if s < 0 or (immediate and s != s0):
            return None
        return s, px, False

    def _execute(
        self,
        hits: list[tuple[float, int, _Working, float, bool]],
        index: int,
        ts: int,
        volume: float,
    ) -> None:
        if not hits:
            return
        hits.sort(key=_path_order)
        room = volume * self._max_volume if self._max_volume is not None else -1.0
        for _, _, w, base, slipped in hits:
            qty = w.leaves
            if room >= 0.0:
                if room < qty:
                    if w.tif is TimeInForce.FOK:
                        continue  # all or nothing: nothing; cancelled after the bar
                    qty = _round_down(room, w.qty_precision)
                    if qty <= 0.0:
                        continue
                room -= qty
            self._fill(w, qty, base, slipped, index, ts)

    def _fill(
        self, w: _Working, qty: float, base: float, slipped: bool, index: int, ts: int
    ) -> None:
        order = w.order
        px = execution_price(base, w.side, self._slippage) if slipped else base
        last_px = self.instrument.make_price(px)  # venues fill on the tick grid
        px = float(last_px.as_decimal())
        fee = order_fee(qty, px, self._fee_rate, self._fixed_fee)
        last_qty = Quantity(qty, w.qty_precision)
        self._trades += 1
        event = OrderFilled(
            strategy_id=order.strategy_id,
            instrument_id=order.instrument_id,
            client_order_id=order.client_order_id,
            account_id=self._account_id,
            venue_order_id=order.venue_order_id or VenueOrderId(f"SIM-{w.seq}"),
            trade_id=TradeId(f"SIM-T{self._trades}"),
            order_side=order.side,
            order_type=order.order_type,
            last_qty=last_qty,
            last_px=last_px,
            currency=self._currency,
            commission=Money(fee, self._currency),
            liquidity_side=LiquiditySide.TAKER if slipped else LiquiditySide.MAKER,
            position_id=self.position.id,
            ts_event=ts,
            ts_init=ts,
        )
        order.apply(event)
        realized: Money | None = None
        if self.instrument.is_margined:
            realized = Money(self.position.realized_change(event), self._currency)
        self.position.apply(event)
        self.account.apply_fill(event, self.instrument, realized_pnl=realized)
        led = self.ledger
        before = led.position
        led.cash = cash_after_fill(led.cash, w.side, qty, px, fee)
        led.position = before + qty if w.side > 0 else before - qty
        w.leaves = float((order.leaves_qty).as_decimal())
        if w.leaves <= 0.0:
            del self.working[w.cid]
            self.closed.append(order)
        self._on_execution(
            Fill(
                client_order_id=w.cid,
                bar_index=index,
                ts_event=ts,
                side=w.side,
                quantity=qty,
                price=px,
                fee=fee,
                reason=_REASONS[w.kind],
                event=event,
            ),
            before,
        )

    def _close(self, w: _Working, kind: type[OrderCanceled] | type[OrderExpired], ts: int) -> None:
        order = w.order
        order.apply(
            kind(
                strategy_id=order.strategy_id,
                instrument_id=order.instrument_id,
                client_order_id=order.client_order_id,
                account_id=self._account_id,
                venue_order_id=order.venue_order_id,
                ts_event=ts,
                ts_init=ts,
            )
        )
        del self.working[w.cid]
        self.closed.append(order)


_REASONS: Final = {
    OrderType.MARKET: "market",
    OrderType.LIMIT: "limit",
    OrderType.STOP: "stop",
    OrderType.STOP_LIMIT: "stop_limit",
}


def _path_order(hit: tuple[float, int, _Working, float, bool]) -> tuple[float, int]:
    return hit[0], hit[1]


def _round_down(value: float, precision: int) -> float:
    """``value`` cut to ``precision`` decimals, never up (a volume cap is a ceiling)."""
    d = Decimal(repr(value)).quantize(Decimal(1).scaleb(-precision), rounding="ROUND_DOWN")
    return float(d)
