"""The event-driven backtest loop: one bar at a time, the strategy's own code, 0006's rules.

One loop serves both ways a strategy can trade. ``ctx.target(x)`` is sized and executed by
the shared scalar functions of :mod:`neural_trader.backtest.models`, the very source the vector
engine compiles, called in the same order on the same floats, so the two engines agree bit for
bit. Explicit orders go through core :class:`Order` objects and the
:class:`~neural_trader.backtest.event.exchange.SimulatedExchange`.

Per bar, with ``fill="open"``: execute the target set on the previous bar at this open, match
working orders along the bar's path, walk the stops of the open position (the rest of an
entry bar counts), call ``on_bar``, mark. With ``fill="close"``: match working orders, walk
stops, call ``on_bar``, execute its target (and same-bar market orders) at this close, mark.

Speed comes from doing nothing per bar that is not needed: columns become Python lists once
per chunk (``tolist``), the bar handed to the strategy is one reusable view, the marks go into
three lists turned into float64 arrays per chunk, and executions, order matching and stop
walks run only when a target changed, an order works or a position has stops. Chunks of
``chunk_size`` bars keep memory bounded whatever the length of the run, which is also how
:func:`run_event_stream` consumes ``Catalog.iter_batches`` for years of minute bars.

The cyclic garbage collector is paused during a run (and restored after). The run keeps every
closed order with its events, so each full collection walks a history that only grows: with
it on, the cost per explicit order rose from 118 to 268 us between 5k and 40k orders; with it
off it stays near 100 us. The loop itself creates no reference cycles (reference counting
frees its garbage); cycles a strategy creates are collected when the run ends.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Final

import numpy as np
import numpy.typing as npt

from neural_trader.backtest.config import BacktestConfig
from neural_trader.backtest.event.context import BarView, EventContext
from neural_trader.backtest.event.exchange import Fill, Ledger, SimulatedExchange
from neural_trader.backtest.event.result import (
    EventResult,
    OrderRow,
    SkipRow,
    TradeBook,
    _Series,
    order_records,
    skipped_records,
)
from neural_trader.backtest.models import (
    all_in_quantity,
    cash_after_fill,
    execution_price,
    fixed_position,
    order_check,
    order_fee,
    round_to_lot,
    sign,
    stop_prices,
    target_weight_position,
    vol_target_weight,
    window_sigma,
)
from neural_trader.backtest.models.stops import walk_stops
from neural_trader.backtest.records import REASON_SIGNAL
from neural_trader.core.account import Account
from neural_trader.core.clock import TestClock
from neural_trader.core.data import BarBatch, BarSpec, BarUnit
from neural_trader.core.enums import AccountType, AssetClass
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.core.identifiers import AccountId, InstrumentId, StrategyId
from neural_trader.core.instruments import Instrument
from neural_trader.core.orders import OrderFactory
from neural_trader.core.position import Position
from neural_trader.core.values import USD, Money, Price, Quantity
from neural_trader.strategies.base import Strategy, StrategyData

__all__ = ["DEFAULT_CHUNK", "run_event", "run_event_stream"]

DEFAULT_CHUNK: Final = 65_536
"""Bars per internal chunk: big enough to amortise the per-chunk ``tolist``, small enough
that the chunk's lists (about 200 bytes a bar) stay a few MB."""

_NS_PER_DAY: Final = 86_400_000_000_000
_ACCOUNT_ID: Final = AccountId("SIM-001")


def run_event(
    strategy: Strategy,
    data: StrategyData,
    config: BacktestConfig,
    *,
    instrument: Instrument | None = None,
    spec: BarSpec | str | None = None,
    latency_ns: int = 0,
    max_volume_fraction: float | None = None,
    chunk_size: int = DEFAULT_CHUNK,
) -> EventResult:
    """Run ``strategy`` over ``data`` bar by bar (see the module notes for the order of work).

    ``spec`` is the bar length (inferred from the smallest timestamp step when omitted); it
    dates an order sent on a bar to that bar's close. ``latency_ns`` delays orders and
    cancels (``docs/decisions/0009``); ``max_volume_fraction`` caps fills at that share of a
    bar's volume (off by default). ``instrument`` sets the price and size grid of explicit
    orders (default: a 1e-9 grid in USD on venue ``SIM``).
    """
    if chunk_size <= 0:
        raise InvalidArgumentError(f"chunk_size must be positive, got {chunk_size}")
    with _collector_paused():
        return _run_data(
            strategy, data, config, instrument, spec, latency_ns, max_volume_fraction, chunk_size
        )


def _run_data(
    strategy: Strategy,
    data: StrategyData,
    config: BacktestConfig,
    instrument: Instrument | None,
    spec: BarSpec | str | None,
    latency_ns: int,
    max_volume_fraction: float | None,
    chunk_size: int,
) -> EventResult:
    parsed = BarSpec.parse(spec) if spec is not None else None
    bar_ns = parsed.nanos if parsed is not None else _infer_bar_ns(data.ts_event)
    engine = _Engine(
        strategy,
        config,
        symbol=data.symbol,
        spec=parsed or _spec_for(bar_ns),
        bar_ns=bar_ns,
        instrument=instrument,
        latency_ns=latency_ns,
        max_volume_fraction=max_volume_fraction,
        expected_bars=len(data),
    )
    for start in range(0, len(data), chunk_size):
        stop = min(start + chunk_size, len(data))
        engine.run_chunk(
            data.ts_event[start:stop],
            data.open[start:stop],
            data.high[start:stop],
            data.low[start:stop],
            data.close[start:stop],
            data.volume[start:stop],
            {k: v[start:stop] for k, v in data.feeds.items()},
        )
    return engine.finish()


def run_event_stream(
    strategy: Strategy,
    batches: Iterable[BarBatch],
    config: BacktestConfig,
    *,
    instrument: Instrument | None = None,
    latency_ns: int = 0,
    max_volume_fraction: float | None = None,
    chunk_size: int = DEFAULT_CHUNK,
) -> EventResult:
    """Run ``strategy`` over consecutive bar batches (``Catalog.iter_batches``), one at a time.

    Only the current batch's bars are held, so memory is bounded by the batch size plus the
    result arrays (24 bytes a bar). A batch's ``extra`` columns are the strategy's feeds. The
    result is exactly that of :func:`run_event` on the concatenated bars.
    """
    if chunk_size <= 0:
        raise InvalidArgumentError(f"chunk_size must be positive, got {chunk_size}")
    with _collector_paused():
        return _run_batches(
            strategy, batches, config, instrument, latency_ns, max_volume_fraction, chunk_size
        )


def _run_batches(
    strategy: Strategy,
    batches: Iterable[BarBatch],
    config: BacktestConfig,
    instrument: Instrument | None,
    latency_ns: int,
    max_volume_fraction: float | None,
    chunk_size: int,
) -> EventResult:
    engine: _Engine | None = None
    last_ts = -1
    for batch in batches:
        if len(batch) == 0:
            continue
        if engine is None:
            bar_ns = batch.spec.nanos
            engine = _Engine(
                strategy,
                config,
                symbol=batch.symbol,
                spec=batch.spec,
                bar_ns=bar_ns,
                instrument=instrument,
                latency_ns=latency_ns,
                max_volume_fraction=max_volume_fraction,
                expected_bars=0,
            )
        if int(batch.ts_event[0]) <= last_ts:
            raise InvalidArgumentError(
                f"batch starting at {int(batch.ts_event[0])} does not follow the previous one "
                f"(last bar {last_ts}); batches must be consecutive and increasing"
            )
        last_ts = int(batch.ts_event[-1])
        for start in range(0, len(batch), chunk_size):
            part = batch.slice(start, min(start + chunk_size, len(batch)))
            engine.run_chunk(
                part.ts_event, part.open, part.high, part.low, part.close, part.volume, part.extra
            )
    if engine is None:
        raise InvalidArgumentError("run_event_stream got no bars")
    return engine.finish()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic GC for the run (see the module notes); restore its previous state."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _infer_bar_ns(ts: npt.NDArray[np.int64]) -> int:
    """The smallest step between bars: robust to weekend and overnight gaps."""
    if len(ts) < 2:
        return 0
    steps = np.diff(ts[: min(len(ts), 100_000)])
    positive = steps[steps > 0]
    return int(positive.min()) if len(positive) else 0


def _spec_for(bar_ns: int) -> BarSpec:
    """The coarsest spec whose length is ``bar_ns`` (a label for the bar view only)."""
    for unit in (BarUnit.WEEK, BarUnit.DAY, BarUnit.HOUR, BarUnit.MINUTE, BarUnit.SECOND):
        step = BarSpec(1, unit).nanos
        if bar_ns >= step and bar_ns % step == 0:
            return BarSpec(bar_ns // step, unit)
    return BarSpec(1, BarUnit.DAY)


def default_instrument(symbol: str) -> Instrument:
    """A generic instrument for explicit orders when the caller names none: venue ``SIM``,
    USD, prices and sizes on a 1e-9 grid (fine enough for any bar data, exact for fills)."""
    clean = "".join(ch for ch in symbol if not ch.isspace() and ch != "\\") or "SYMBOL"
    return Instrument(
        id=InstrumentId.of(clean, "SIM"),
        asset_class=AssetClass.EQUITY,
        quote_currency=USD,
        price_precision=9,
        price_increment=Price.from_str("0.000000001"),
        size_precision=9,
        size_increment=Quantity.from_str("0.000000001"),
    )


class _Engine:
    """State of one run across chunks; :meth:`run_chunk` is the hot loop."""

    def __init__(
        self,
        strategy: Strategy,
        config: BacktestConfig,
        *,
        symbol: str,
        spec: BarSpec,
        bar_ns: int,
        instrument: Instrument | None,
        latency_ns: int,
        max_volume_fraction: float | None,
        expected_bars: int,
    ) -> None:
        self.strategy = strategy
        self.config = config
        self.symbol = symbol
        long_only = config.long_only if config.long_only is not None else strategy.long_only
        self.ledger = Ledger(config.cash)
        self.instrument = instrument if instrument is not None else default_instrument(symbol)
        self.account = Account(
            _ACCOUNT_ID, AccountType.MARGIN, base_currency=self.instrument.quote_currency
        )
        self.account.deposit(Money(config.cash, self.instrument.quote_currency))
        self.core_position = Position(self.instrument, _ACCOUNT_ID)
        self.exchange = SimulatedExchange(
            instrument=self.instrument,
            account=self.account,
            position=self.core_position,
            ledger=self.ledger,
            slippage=config.slippage,
            fee_rate=config.fee_rate,
            fixed_fee=config.fixed_fee,
            on_execution=self._on_order_fill,
            fill_at_close=config.fill == "close",
            latency_ns=latency_ns,
            max_volume_fraction=max_volume_fraction,
            daily_bars=bar_ns >= _NS_PER_DAY,
        )
        self.cell = [0]
        self.view = BarView(symbol, spec, self.cell)
        name = type(strategy).__name__
        self.clock = TestClock(0)
        self.ctx = EventContext(
            symbol=symbol,
            ledger=self.ledger,
            cell=self.cell,
            long_only=long_only,
            exchange=self.exchange,
            factory=OrderFactory(StrategyId(f"{name}-001"), self.clock),
            clock=self.clock,
            bar_ns=bar_ns,
            lot_size=config.lot_size,
            min_size=config.min_size,
            min_notional=config.min_notional,
            skip=self._skip,
        )
        self.equity = _Series(np.float64, expected_bars)
        self.cash = _Series(np.float64, expected_bars)
        self.position = _Series(np.float64, expected_bars)
        self.ts = _Series(np.int64, expected_bars)
        self.order_rows: list[OrderRow] = []
        self.skip_rows: list[SkipRow] = []
        self.trades = TradeBook()
        self.wants_fills = type(strategy).on_fill is not Strategy.on_fill
        # Target state (0006): the last target acted on, and the block after a stop exit.
        self.last = 0.0
        self.stopped = False
        self.resize = config.rebalance == "every_bar" and config.sizer != "all_in"
        p = strategy.p
        sl = getattr(p, "stop_loss", None)
        tp = getattr(p, "take_profit", None)
        self.stop_loss = math.nan if sl is None else float(sl)
        self.take_profit = math.nan if tp is None else float(tp)
        self.has_stops = sl is not None or tp is not None
        self.lookback = config.vol_lookback
        self.tail: list[float] = []
        self.n = 0
        self.started = False
        self.began = False
        self.bar_ns = bar_ns
        self.last_ts = 0
        self.last_close = math.nan
        self.fills = 0

    # -- the loop -----------------------------------------------------------------------------

    def run_chunk(
        self,
        ts_a: npt.NDArray[np.int64],
        o_a: npt.NDArray[np.float64],
        h_a: npt.NDArray[np.float64],
        l_a: npt.NDArray[np.float64],
        c_a: npt.NDArray[np.float64],
        v_a: npt.NDArray[np.float64],
        feeds_a: Mapping[str, npt.NDArray[np.float64]],
    ) -> None:
        n = len(ts_a)
        if n == 0:
            return
        if not self.began:
            self.began = True
            self.strategy.on_start(self.ctx)
        ts: list[int] = ts_a.tolist()
        o: list[float] = o_a.tolist()
        h: list[float] = h_a.tolist()
        lo: list[float] = l_a.tolist()
        c: list[float] = c_a.tolist()
        v: list[float] = v_a.tolist()
        feeds = {k: np.asarray(x, dtype=np.float64).tolist() for k, x in feeds_a.items()}
        offset = self.n
        pre = len(self.tail)
        closes = self.tail + c  # for vol_target: the window may reach into earlier chunks
        self.view.bind(ts, o, h, lo, c, v)
        self.ctx.bind(offset, ts, c, feeds)

        ctx = self.ctx
        view = self.view
        cell = self.cell
        led = self.ledger
        on_bar = self.strategy.on_bar
        working = self.exchange.working
        match_bar = self.exchange.match_bar
        match_close = self.exchange.match_close
        bar_ns = self.bar_ns
        execute = self._execute
        walk = self._walk
        at_open = self.config.fill == "open"
        every = self.resize
        has_stops = self.has_stops
        eq: list[float] = []
        cs: list[float] = []
        ps: list[float] = []
        eq_append = eq.append
        cs_append = cs.append
        ps_append = ps.append
        started = self.started
        last = self.last
        cash = led.cash
        pos = led.position

        for j in range(n):
            cell[0] = j
            if at_open:
                if started and (every or ctx.want != last):
                    execute(ctx.want, offset + j, ts[j], o[j], closes, pre + j - 1)
                    last = self.last
                if working:
                    match_bar(offset + j, ts[j], o[j], h[j], lo[j], c[j], v[j])
                if has_stops and led.position != 0.0:
                    walk(offset + j, ts[j], o[j], h[j], lo[j], c[j])
                    last = self.last
                on_bar(ctx, view)
                started = True
            else:
                if working:
                    match_bar(offset + j, ts[j], o[j], h[j], lo[j], c[j], v[j])
                if has_stops and led.position != 0.0:
                    walk(offset + j, ts[j], o[j], h[j], lo[j], c[j])
                    last = self.last
                on_bar(ctx, view)
                if every or ctx.want != last:
                    execute(ctx.want, offset + j, ts[j], c[j], closes, pre + j)
                    last = self.last
                if working:
                    match_close(offset + j, ts[j] + bar_ns, c[j], v[j])
            cash = led.cash
            pos = led.position
            eq_append(cash + pos * c[j])
            cs_append(cash)
            ps_append(pos)

        self.started = started
        self.n = offset + n
        self.last_ts = ts[-1]
        self.last_close = c[-1]
        keep = self.lookback + 1
        self.tail = closes[-keep:] if len(closes) > keep else closes
        self.equity.extend(eq)
        self.cash.extend(cs)
        self.position.extend(ps)
        self.ts.extend(ts_a)

    # -- targets (0006), step for step as backtest.vector.nb._simulate_column_nb ---------------

    def _execute(
        self, want: float, idx: int, ts: int, base: float, closes: list[float], sig: int
    ) -> None:
        """Act on ``want`` at ``base`` (the open or the close), per the configured sizer."""
        changed = want != self.last
        if self.stopped:
            if not changed:
                return
            self.stopped = False
        if not changed and not self.resize:
            return
        self.last = want
        cfg = self.config
        led = self.ledger
        pos = led.position
        if cfg.sizer == "all_in":
            if pos != 0.0 and sign(want) != sign(pos):
                self._fill(-sign(pos), abs(pos), base, REASON_SIGNAL, True, idx, ts)
            if want != 0.0 and led.position == 0.0:
                side = sign(want)
                p = execution_price(base, side, cfg.slippage)
                q = all_in_quantity(led.cash, p, want, cfg.fraction, cfg.fee_rate)
                self._fill(side, q, base, REASON_SIGNAL, False, idx, ts)
            return
        if cfg.sizer == "fixed":
            desired = fixed_position(want, cfg.quantity)
        else:
            w = want
            if cfg.sizer == "vol_target":
                sigma = window_sigma(closes, sig, cfg.vol_lookback, cfg.periods_per_year)
                w = vol_target_weight(want, sigma, cfg.vol_target, cfg.max_leverage)
            equity = led.cash + pos * base
            desired = target_weight_position(w, equity, base, pos, cfg.slippage)
        if desired == pos or desired != desired:
            return
        if pos != 0.0 and sign(desired) != sign(pos):
            # Crossing zero is a close plus an open: two orders, two round trips.
            ok = self._fill(-sign(pos), abs(pos), base, REASON_SIGNAL, True, idx, ts)
            if not ok or desired == 0.0:
                return
            pos = 0.0
        delta = desired - pos
        self._fill(sign(delta), abs(delta), base, REASON_SIGNAL, False, idx, ts)

    def _fill(
        self,
        side: int,
        wanted: float,
        base: float,
        reason: int,
        close_all: bool,
        idx: int,
        ts: int,
    ) -> bool:
        """One order that never crosses zero: lot rounding, minimums, fee, cash, records.

        A full close is not lot-rounded (the position already is lots; rounding could leave
        dust) but still faces the minimums, as in the vector kernel's ``_fill_nb``.
        """
        cfg = self.config
        p = execution_price(base, side, cfg.slippage)
        q = wanted if close_all else round_to_lot(wanted, cfg.lot_size)
        lot = 0.0 if close_all else cfg.lot_size
        code = order_check(q, p, lot, cfg.min_size, cfg.min_notional)
        if code != 0:
            self.skip_rows.append((idx, ts, side, wanted, p, code, 0))
            return False
        fee = order_fee(q, p, cfg.fee_rate, cfg.fixed_fee)
        led = self.ledger
        led.cash = cash_after_fill(led.cash, side, q, p, fee)
        before = led.position
        after = 0.0 if close_all else before + side * q
        led.position = after
        self.order_rows.append((idx, ts, side, q, p, fee, reason, 0))
        self.trades.execution(before, after, idx, ts, side, q, p, fee, reason)
        if self.wants_fills:
            self.fills += 1
            fill = Fill(f"target-{self.fills}", idx, ts, side, q, p, fee, _REASON_NAMES[reason])
            self.strategy.on_fill(self.ctx, fill)
        return True

    def _walk(self, idx: int, ts: int, o: float, h: float, lo: float, c: float) -> None:
        """Stop-loss / take-profit along the bar's path for the target position (0006)."""
        book = self.trades
        side = book.side
        if side == 0:
            return
        sl_price, tp_price = stop_prices(book.entry_price(), side, self.stop_loss, self.take_profit)
        hit, level, reason = walk_stops(o, h, lo, c, side, sl_price, tp_price)
        if hit:
            pos = self.ledger.position
            if self._fill(-side, abs(pos), level, reason, True, idx, ts):
                self.stopped = True  # wait for the target to change before entering again

    # -- explicit orders ----------------------------------------------------------------------

    def _on_order_fill(self, fill: Fill, before: float) -> None:
        after = self.ledger.position
        row = (fill.bar_index, fill.ts_event, fill.side, fill.quantity, fill.price, fill.fee)
        self.order_rows.append((*row, REASON_SIGNAL, 0))
        self.trades.execution(
            before,
            after,
            fill.bar_index,
            fill.ts_event,
            fill.side,
            fill.quantity,
            fill.price,
            fill.fee,
            REASON_SIGNAL,
        )
        if self.wants_fills:
            self.strategy.on_fill(self.ctx, fill)

    def _skip(self, idx: int, ts: int, side: int, qty: float, price: float, code: int) -> None:
        self.skip_rows.append((idx, ts, side, qty, price, code, 0))

    # -- the end ------------------------------------------------------------------------------

    def finish(self) -> EventResult:
        self.strategy.on_stop(self.ctx)
        ex = self.exchange
        objects = tuple(ex.closed) + tuple(w.order for w in ex.working.values())
        return EventResult(
            symbol=self.symbol,
            config=self.config,
            ts=self.ts.array(),
            equity=self.equity.array(),
            cash=self.cash.array(),
            position=self.position.array(),
            orders=order_records(self.order_rows),
            trades=self.trades.records(
                self.n - 1, self.last_ts, self.last_close, abs(self.ledger.position)
            ),
            skipped=skipped_records(self.skip_rows),
            order_objects=objects,
            account=self.account if objects else None,
            core_position=self.core_position if objects else None,
        )


_REASON_NAMES: Final = {0: "signal", 1: "stop_loss", 2: "take_profit"}
