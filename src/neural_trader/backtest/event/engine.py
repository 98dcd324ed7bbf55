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
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Final

import numpy as np
import numpy.typing as npt

from neural_trader.backtest.config import BacktestConfig
from neural_trader.backtest.event.context import BarView, EventContext
from neural_trader.backtest.event.exchange import Fill, Ledger, SimulatedExchange
from neural_trader.backtest.event.result import EventResult, ExecutionBook, _Series
from neural_trader.backtest.models import window_sigma
from neural_trader.backtest.models.execution import (
    SIZER_CODES,
    SIZER_VOL_TARGET,
    execute_target,
    stop_walk,
)
from neural_trader.backtest.models.tradebook import (
    C_ORDERS,
    F_POS,
    book_fill,
    record_order,
    record_skip,
)
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
    on_chunk: Callable[[int, int], None] | None = None,
) -> EventResult:
    """Run ``strategy`` over ``data`` bar by bar (see the module notes for the order of work).

    ``spec`` is the bar length (inferred from the smallest timestamp step when omitted); it
    dates an order sent on a bar to that bar's close. ``latency_ns`` delays orders and
    cancels (``docs/decisions/0009``); ``max_volume_fraction`` caps fills at that share of a
    bar's volume (off by default). ``instrument`` sets the price and size grid of explicit
    orders (default: a 1e-9 grid in USD on venue ``SIM``). ``on_chunk(done, total)`` is
    called after each chunk of bars: progress for a caller, and its cancel point (whatever it
    raises stops the run and propagates).
    """
    if chunk_size <= 0:
        raise InvalidArgumentError(f"chunk_size must be positive, got {chunk_size}")
    with _collector_paused():
        return _run_data(
            strategy, data, config, instrument, spec, latency_ns, max_volume_fraction,
            chunk_size, on_chunk,
        )  # fmt: skip


def _run_data(
    strategy: Strategy,
    data: StrategyData,
    config: BacktestConfig,
    instrument: Instrument | None,
    spec: BarSpec | str | None,
    latency_ns: int,
    max_volume_fraction: float | None,
    chunk_size: int,
    on_chunk: Callable[[int, int], None] | None,
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
        if on_chunk is not None:
            on_chunk(stop, len(data))
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
        self.book = ExecutionBook(config.cash)
        self.sizer = SIZER_CODES[config.sizer]
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

    # -- targets (0006): the shared execution model, called only when something executes -----

    def _execute(
        self, want: float, idx: int, ts: int, base: float, closes: list[float], sig: int
    ) -> None:
        """Act on ``want`` at ``base`` (the open or the close): ``models.execute_target``."""
        cfg = self.config
        book = self.book
        book.reserve(2)  # a flip writes two orders, one trade, or two skips
        before = int(book.cnt[C_ORDERS])
        sigma = math.nan
        if self.sizer == SIZER_VOL_TARGET:
            sigma = window_sigma(closes, sig, cfg.vol_lookback, cfg.periods_per_year)
        self.last, self.stopped = execute_target(
            book.acct, book.fst, book.ist, book.cnt, book.orders, book.trades, book.skipped, 0,
            0, idx, ts, want, self.last, self.stopped, self.resize, base, sigma, self.sizer,
            cfg.fraction, cfg.quantity, cfg.vol_target, cfg.max_leverage, cfg.fee_rate,
            cfg.fixed_fee, cfg.slippage, cfg.lot_size, cfg.min_size, cfg.min_notional,
        )  # fmt: skip
        self._settle(before)

    def _walk(self, idx: int, ts: int, o: float, h: float, lo: float, c: float) -> None:
        """Stop-loss / take-profit along the bar's path: ``models.stop_walk``."""
        cfg = self.config
        book = self.book
        book.reserve(1)
        before = int(book.cnt[C_ORDERS])
        self.stopped = stop_walk(
            book.acct, book.fst, book.ist, book.cnt, book.orders, book.trades, book.skipped, 0,
            0, idx, ts, o, h, lo, c, self.stop_loss, self.take_profit, self.stopped,
            cfg.fee_rate, cfg.fixed_fee, cfg.slippage, cfg.min_size, cfg.min_notional,
        )  # fmt: skip
        self._settle(before)

    def _settle(self, before: int) -> None:
        """Copy the account back into the loop's plain floats; report new fills to ``on_fill``.

        The ledger holds Python floats so the per-bar marks never touch numpy scalars; the
        values are the same doubles. ``on_fill`` runs after the whole execution (both legs of
        a flip), reading the orders the shared model recorded.
        """
        book = self.book
        led = self.ledger
        led.cash = float(book.acct[0])
        led.position = float(book.fst[0, F_POS])
        if not self.wants_fills:
            return
        for k in range(before, int(book.cnt[C_ORDERS])):
            r = book.orders[k]
            self.fills += 1
            fill = Fill(
                f"target-{self.fills}",
                int(r["idx"]),
                int(r["ts"]),
                int(r["side"]),
                float(r["quantity"]),
                float(r["price"]),
                float(r["fee"]),
                _REASON_NAMES[int(r["reason"])],
            )
            self.strategy.on_fill(self.ctx, fill)

    # -- explicit orders ----------------------------------------------------------------------

    def _on_order_fill(self, fill: Fill, before: float) -> None:
        """Book an exchange fill (which already moved the ledger) in the shared model."""
        book = self.book
        book.reserve(2)
        book.acct[0] = self.ledger.cash
        idx = fill.bar_index
        ts = fill.ts_event
        record_order(
            book.orders, book.cnt, idx, ts, fill.side, fill.quantity, fill.price, fill.fee,
            REASON_SIGNAL, 0,
        )  # fmt: skip
        book_fill(
            book.fst, book.ist, book.trades, book.cnt, 0, idx, ts, fill.side, fill.quantity,
            fill.price, fill.fee, REASON_SIGNAL, False,
        )  # fmt: skip
        if self.wants_fills:
            self.strategy.on_fill(self.ctx, fill)

    def _skip(self, idx: int, ts: int, side: int, qty: float, price: float, code: int) -> None:
        book = self.book
        book.reserve(1)
        record_skip(book.skipped, book.cnt, idx, ts, side, qty, price, code, 0)

    # -- the end ------------------------------------------------------------------------------

    def finish(self) -> EventResult:
        self.strategy.on_stop(self.ctx)
        ex = self.exchange
        objects = tuple(ex.closed) + tuple(w.order for w in ex.working.values())
        orders, trades, skipped = self.book.finish(self.n - 1, self.last_ts, self.last_close)
        return EventResult(
            symbol=self.symbol,
            config=self.config,
            ts=self.ts.array(),
            equity=self.equity.array(),
            cash=self.cash.array(),
            position=self.position.array(),
            orders=orders,
            trades=trades,
            skipped=skipped,
            order_objects=objects,
            account=self.account if objects else None,
            core_position=self.core_position if objects else None,
        )


_REASON_NAMES: Final = {0: "signal", 1: "stop_loss", 2: "take_profit"}
