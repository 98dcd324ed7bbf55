"""The live runner: one asyncio loop that trades a research strategy, unchanged.

Per bar (docs/decisions/0012), in the backtester's order so that a paper replay reproduces it:

1. at the bar's open, act on the target the strategy set on the previous bar: the
   :class:`~neural_trader.execution.planner.TargetPlanner` runs the backtester's execution model
   on the live cash and position and the orders it records are sent as market orders;
2. the paper broker (when it is the broker) matches working orders against the bar, and the
   runner waits until their reports are applied;
3. at the bar's close: check the kill switch and the daily loss limit, call ``on_bar``, send the
   orders it queued;
4. persist the cursor (last bar, target acted on) in the journal.

Between bars the runner reads its control channel (:mod:`neural_trader.execution.control`):
a request to switch strategies is applied at a bar's close, before ``on_bar``. The new
strategy is warmed up on the bars the runner kept (nothing is sent for them), the old one's
working orders are cancelled, and the position is either taken over (the new target decides at
the next action point) or closed at the next action point, the new strategy trading from the
one after, so no bar ever sees two actions. The switch is written into the run's cursor, so a
restart of the same ``trade`` command resumes with the strategy that was running.

A replay acts at the next bar's open, as the event backtester does with ``fill="open"``; a live
feed has no "next open" event, so it acts at once after ``on_bar`` with the last close, raised
by ``size_buffer``, as the sizing price (the broker fills at the market: the buffer keeps an
all-in buy affordable when the price moves up to it before the fill).

Crash safety comes from the order manager's idempotency keys: every client order id is derived
from the run, the bar and the leg, so after ``kill -9`` the restarted runner reconciles with the
broker, warms the strategy up on the bars it had processed (without trading), and re-plans the
first unfinished bar; ids it had already journaled are not sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import signal
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, Literal

from neural_trader.backtest.config import BacktestConfig
from neural_trader.backtest.event.engine import default_instrument
from neural_trader.backtest.event.exchange import Fill
from neural_trader.backtest.models import cash_after_fill, window_sigma
from neural_trader.core.clock import Clock, TestClock
from neural_trader.core.data import Bar
from neural_trader.core.enums import OrderSide, OrderType
from neural_trader.core.errors import (
    BrokerUnavailableError,
    InvalidArgumentError,
    NeuralTraderError,
    NotSupportedError,
    ReconciliationError,
)
from neural_trader.core.instruments import Instrument
from neural_trader.execution.context import CancelRequest, Ledger, LiveContext
from neural_trader.execution.control import SwitchRequest, read_switch, write_switch
from neural_trader.execution.feeds import BarFeed, bar_problem
from neural_trader.execution.journal import OrderRecord
from neural_trader.execution.oms import OrderManager
from neural_trader.execution.paper.broker import PaperBroker
from neural_trader.execution.planner import TargetPlanner
from neural_trader.execution.reconciliation import (
    EXTERNAL_POSITIONS_KEY,
    ReconciliationReport,
    reconcile,
)
from neural_trader.execution.reports import FillReport, OrderRequest
from neural_trader.risk.killswitch import DailyLossMonitor, TradingState
from neural_trader.strategies.base import Strategy

__all__ = ["LOCK_KEY", "LiveRunner", "RunSummary", "check_runnable", "runner_lock_holder"]

log = logging.getLogger(__name__)

LOCK_KEY: Final = "runner:lock"
_DAILY_LOSS_KEY: Final = "daily_loss"
_RECONNECT_DELAYS: Final = (0.5, 1.0, 2.0, 5.0, 10.0)
_KILL_CHECK_S: Final = 0.05
"""How stale the runner's view of the kill switch may get (another process can trip it)."""
_CONTROL_CHECK_S: Final = 0.05
"""How often the runner reads its control channel (strategy switches) at most."""
_RECENT_BARS: Final = 2_000
"""Bars kept to warm a switched-in strategy up on (its indicators need history)."""


@dataclass
class RunSummary:
    """What one invocation of the runner did (a resumed run counts from its restart)."""

    run_id: str
    strategy: str
    symbol: str
    broker: str
    bars: int = 0
    """Bars traded on in this invocation."""
    warmup_bars: int = 0
    """Bars replayed into the strategy without trading (a resume's catch-up)."""
    rejected_bars: int = 0
    orders_sent: int = 0
    orders_denied: int = 0
    fills: int = 0
    resumed: bool = False
    halted: bool = False
    interrupted: bool = False
    position: float = 0.0
    cash: float = 0.0
    equity: float = 0.0
    last_bar_ts: int | None = None
    reconciliation: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    switches: list[dict[str, Any]] = field(default_factory=list)
    """Strategy switches applied in this invocation (from, to, bar, closed or taken over)."""


def runner_lock_holder(state: Any) -> int | None:
    """The pid of a live runner holding the journal, or None (a dead holder's lock is stale)."""
    if not isinstance(state, dict) or not isinstance(state.get("pid"), int):
        return None
    pid = int(state["pid"])
    if pid == os.getpid():
        return pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def check_runnable(strategy: Strategy) -> None:
    """Refuse a strategy the runner cannot trade as the backtester would."""
    if type(strategy).on_bar is Strategy.on_bar:
        raise NotSupportedError(
            f"strategy {strategy.name!r} has no event method (on_bar); the runner trades bar "
            "by bar",
            hint="choose a strategy that runs with --engine event",
        )
    for name in ("stop_loss", "take_profit"):
        if getattr(strategy.p, name, None) is not None:
            raise NotSupportedError(
                f"{name} exits are simulated along each bar by the backtester; the live "
                "runner does not place broker-side stop orders for them yet",
                hint="run without it, or send explicit stop orders with ctx.sell(stop=...)",
            )


class LiveRunner:
    """Runs ``strategy`` on ``feed`` through ``oms`` until the feed ends or a signal stops it."""

    def __init__(
        self,
        *,
        strategy: Strategy,
        feed: BarFeed,
        oms: OrderManager,
        config: BacktestConfig,
        clock: Clock,
        run_key: str,
        instrument: Instrument | None = None,
        daily_loss_limit: float | None = None,
        flatten_on_kill: bool = False,
        new_run: bool = False,
        paper: PaperBroker | None = None,
        control_poll_s: float = _CONTROL_CHECK_S,
        size_buffer: float = 0.0,
    ) -> None:
        if config.fill != "open":
            raise NotSupportedError(
                "fill='close' is a backtest assumption (an order filled at the close it was "
                "decided on); live orders fill at the next price",
                hint="trade with the default fill='open' semantics",
            )
        check_runnable(strategy)
        if not 0.0 <= size_buffer < 0.5:
            raise InvalidArgumentError(f"size buffer must be in [0, 0.5), got {size_buffer}")
        self.size_buffer = size_buffer
        """Live orders are sized at the last close but fill at the next price: sizing at
        ``close * (1 + size_buffer)`` leaves room for a move up to it (no overdrawn cash)."""
        self.strategy = strategy
        self.feed = feed
        self.oms = oms
        self.journal = oms.journal
        self.broker = oms.broker
        self.config = config
        self.clock = clock
        self.symbol = feed.symbol
        self.run_key = run_key
        self.instrument = instrument or default_instrument(feed.symbol)
        # The paper venue the runner feeds bars to: the broker itself, or the one inside a
        # wrapper (the fault-injecting test broker) passed explicitly.
        self.paper = paper or (self.broker if isinstance(self.broker, PaperBroker) else None)
        self.planner = TargetPlanner(config)
        self.loss = DailyLossMonitor(daily_loss_limit)
        self.flatten_on_kill = flatten_on_kill
        self.new_run = new_run
        self.ledger = Ledger(config.cash, 0.0)
        self.tag = strategy.name or type(strategy).__name__
        self.ctx = self._context(strategy)
        self.control_poll_s = control_poll_s
        self._control_read = -math.inf
        self._recent: deque[tuple[int, Bar]] = deque(maxlen=_RECENT_BARS)
        self._switched = False
        self.forced: float | None = None
        """A target that overrides the strategy's at the next action (a switch's close)."""
        self._closing: SwitchRequest | None = None
        """The applied switch whose closing orders go out at the next action."""
        self.acted = 0.0
        self.index = -1
        self.closes: list[float] = []
        self.last_close = math.nan
        self.stop_requested = False
        self.summary = RunSummary(
            run_id="", strategy=self.tag, symbol=self.symbol, broker=self.broker.name
        )
        self._external = 0.0
        self._consumer: asyncio.Task[None] | None = None
        self._stop_event = asyncio.Event()
        self._wants_fills = type(strategy).on_fill is not Strategy.on_fill

    def _context(self, strategy: Strategy) -> LiveContext:
        cfg = self.config
        long_only = cfg.long_only if cfg.long_only is not None else strategy.long_only
        return LiveContext(
            symbol=self.symbol,
            instrument=self.instrument,
            ledger=self.ledger,
            long_only=long_only,
            lot_size=cfg.lot_size,
            min_size=cfg.min_size,
            min_notional=cfg.min_notional,
            strategy_tag=strategy.name or type(strategy).__name__,
        )

    def _install(self, strategy: Strategy, *, want: float) -> None:
        """Make ``strategy`` the one that trades, with a fresh context starting at ``want``."""
        ctx = self._context(strategy)
        ctx.run_id = self.ctx.run_id
        ctx.notes = self.ctx.notes
        ctx.want = want
        self.strategy = strategy
        self.tag = strategy.name or type(strategy).__name__
        self.ctx = ctx
        self._wants_fills = type(strategy).on_fill is not Strategy.on_fill
        self.summary.strategy = self.tag

    # -- the run ----------------------------------------------------------------------------------

    async def run(self) -> RunSummary:
        await self.broker.connect()
        try:
            self._take_lock()
            try:
                return await self._run()
            finally:
                self.journal.set_state(LOCK_KEY, None, ts_init=self.clock.timestamp_ns())
        finally:
            await self.broker.close()

    async def _run(self) -> RunSummary:
        report = await reconcile(self.oms, startup=True)
        self.summary.reconciliation = report.to_dict()
        if not report.ok:
            raise ReconciliationError(
                "positions differ from the broker's after repair: " + "; ".join(report.problems),
                hint="trading does not start until they agree; inspect with "
                "`neural-trader reconcile`",
            )
        _log_reconciliation(report)
        cursor = self._load_cursor()
        last_done = int(cursor.get("last_ts", -1))
        self.acted = float(cursor.get("acted", 0.0))
        self.summary.run_id = self.ctx.run_id = str(cursor["run_id"])
        self._resume_switch(cursor)
        self.summary.resumed = last_done >= 0
        self._init_ledger()
        self.oms.add_fill_listener(self._on_fill)
        loaded = self.journal.get_state(_DAILY_LOSS_KEY)
        if isinstance(loaded, dict):
            self.loss = DailyLossMonitor.from_dict(loaded, limit=self.loss.limit)
        self._consumer = asyncio.create_task(self._consume())
        restore = self._install_signals()
        self.strategy.on_start(self.ctx)
        try:
            async for bar in self._bars():
                if self.stop_requested:
                    self.summary.interrupted = True
                    break
                problem = bar_problem(bar)
                if problem is not None:
                    self.summary.rejected_bars += 1
                    log.warning("bar %s %s rejected: %s", bar.symbol, bar.ts_event, problem)
                    continue
                if bar.ts_event <= last_done or not self.feed.tradable(bar):
                    self._warm_up(bar)
                    continue
                await self._step(bar)
                if self._should_stop():
                    self.summary.interrupted = True
                    break
            self.strategy.on_stop(self.ctx)
            await self._settle_reports()
        finally:
            restore()
            if self._consumer is not None:
                self._consumer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._consumer
        self.summary.position = self.ledger.position
        account = await self.broker.account()
        self.summary.cash = float(account.cash)
        self.summary.equity = float(account.equity)
        self.summary.halted = self.oms.kill_switch.state is TradingState.HALTED
        self.summary.notes.extend(self.ctx.notes)
        return self.summary

    async def _bars(self) -> AsyncIterator[Bar]:
        """The feed's bars; a paced feed's wait for the next bar ends early on a stop request
        (Ctrl-C must not wait for the next minute bar). An unpaced replay is read directly:
        its bars are ready at once and the stop flag is checked between them."""
        if not self.feed.paced:
            async for bar in self.feed:
                yield bar
            return
        source = aiter(self.feed)
        stop = self._stop_event
        try:
            while True:
                following = asyncio.ensure_future(anext(source))
                waiter = asyncio.ensure_future(stop.wait())
                await asyncio.wait({following, waiter}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                if not following.done():
                    following.cancel()
                    with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                        await following
                    self.summary.interrupted = True
                    return
                try:
                    bar = following.result()
                except StopAsyncIteration:
                    return
                yield bar
        finally:
            closer = getattr(source, "aclose", None)
            if closer is not None:
                await closer()

    def stop(self) -> None:
        """Finish the current bar, persist, and return from :meth:`run` (what SIGINT does)."""
        self.stop_requested = True
        self._stop_event.set()

    def _should_stop(self) -> bool:
        """Read through a call: a signal handler may have set the flag during an await."""
        return self.stop_requested

    def _warm_up(self, bar: Bar) -> None:
        """A bar the run already traded on: rebuild the strategy's state, send nothing."""
        self.index += 1
        self.ctx.begin_bar(self.index, bar.close)
        self._observe(bar)
        self.strategy.on_bar(self.ctx, bar)
        self.ctx.queue = []
        self._recent.append((self.index, bar))
        self.summary.warmup_bars += 1
        if self.paper is not None:
            self.paper.on_bar(bar)  # ignored unless the crash came before the broker saw it

    async def _step(self, bar: Bar) -> None:
        replay = self.feed.is_replay
        self.index += 1
        if replay and isinstance(self.clock, TestClock):
            self.clock.set_time(max(bar.ts_event, self.clock.timestamp_ns()))
        self.oms.refresh_kill_switch(max_age_s=_KILL_CHECK_S)
        halted = self.oms.kill_switch.state is TradingState.HALTED
        if halted:
            await self.oms.enforce_kill_switch()
        # 1. the open: act on the previous bar's target.
        if replay and not halted and self._wants_action():
            self.oms.update_price(self.symbol, bar.open)
            await self._act(bar.open, len(self.closes) - 1)
        # 2. the venue matches the bar.
        if self.paper is not None:
            self.paper.on_bar(bar)
            await self._settle_reports()
        # 3. the close.
        if replay and isinstance(self.clock, TestClock):
            self.clock.set_time(bar.ts_event + bar.spec.nanos)
        self._observe(bar)
        self.oms.update_price(self.symbol, bar.close)
        await self._check_daily_loss()
        await self._poll_control(bar)
        self.ctx.begin_bar(self.index, bar.close)
        self.strategy.on_bar(self.ctx, bar)
        self._recent.append((self.index, bar))
        if self.oms.kill_switch.state is not TradingState.HALTED:
            await self._send_queued()
            if not replay and self._wants_action():
                await self._act(bar.close, len(self.closes) - 1)
        if self.oms.may_have_unresolved:
            await self.oms.resolve_in_flight()
        self.summary.bars += 1
        self.summary.last_bar_ts = bar.ts_event
        self._save_cursor(bar.ts_event)

    def _observe(self, bar: Bar) -> None:
        self.closes.append(bar.close)
        keep = self.config.vol_lookback + 2
        if len(self.closes) > 4 * keep:
            del self.closes[: len(self.closes) - keep]
        self.last_close = bar.close

    def _wants_action(self) -> bool:
        return self.forced is not None or self.planner.wants_action(self.ctx.want, self.acted)

    async def _act(self, price: float, signal_index: int) -> None:
        """Send the planned orders that move the position to the strategy's target (or to a
        switch's forced target, which overrides it once)."""
        want = self.ctx.want if self.forced is None else self.forced
        if not self.feed.is_replay:
            price *= 1.0 + self.size_buffer
        account = await self.broker.account()
        self.ledger.cash = float(account.cash)
        sigma = math.nan
        if self.config.sizer == "vol_target":
            sigma = window_sigma(
                self.closes,
                signal_index,
                self.config.vol_lookback,
                self.config.periods_per_year,
            )
        orders, skips, acted = self.planner.plan(
            want=want,
            acted=self.acted if self.forced is None else math.nan,
            price=price,
            cash=self.ledger.cash,
            position=self.ledger.position,
            sigma=sigma,
        )
        for skip in skips:
            note = f"bar {self.index}: {skip.quantity:g} not sent ({skip.reason} rule)"
            self.ctx.notes.append(note)
        for planned in orders:
            qty = self.instrument.make_qty(planned.quantity, round_down=True).as_decimal()
            request = OrderRequest(
                client_order_id=f"{self.ctx.run_id}-{self.index}-{planned.role}",
                symbol=self.symbol,
                side=OrderSide.BUY if planned.side > 0 else OrderSide.SELL,
                order_type=OrderType.MARKET,
                quantity=qty,
                strategy=self.tag,
            )
            record = await self._submit(request)
            if self._closing is not None:
                self._closing.closing_orders.append(
                    {
                        "client_order_id": record.client_order_id,
                        "side": record.side.value,
                        "quantity": float(record.quantity),
                        "status": record.status.value,
                        "reason": record.reason,
                    }
                )
        self.acted = acted
        if self.forced is not None:
            self.forced = None
            if self._closing is not None:
                self._answer(self._closing, "applied")
                self._closing = None

    async def _send_queued(self) -> None:
        for item in self.ctx.queue:
            if isinstance(item, CancelRequest):
                await self.oms.cancel(item.client_order_id)
            else:
                await self._submit(item)
        self.ctx.queue = []

    async def _submit(self, request: OrderRequest) -> OrderRecord:
        record = await self.oms.submit(request)
        if record.status.value == "DENIED":
            self.summary.orders_denied += 1
            self.ctx.notes.append(f"order {record.client_order_id} denied: {record.reason}")
        else:
            self.summary.orders_sent += 1
        return record

    async def _check_daily_loss(self) -> None:
        equity = self.ledger.cash + self.ledger.position * self.last_close
        # Persisted with the bar's cursor (one commit, after the orders are out): a crash
        # loses at most this bar's observation, which the restarted runner re-observes.
        breach = self.loss.observe(equity, self.clock.timestamp_ns())
        if breach is not None and self.oms.kill_switch.state is not TradingState.HALTED:
            await self.oms.trip_kill_switch(
                f"daily loss limit breached by {breach:,.2f}",
                by="daily_loss_limit",
                flatten=self.flatten_on_kill,
            )
            await self._settle_reports()

    # -- control: strategy switches ---------------------------------------------------------------

    async def _poll_control(self, bar: Bar) -> None:
        """Apply a pending switch request (read at most every ``control_poll_s``)."""
        now = time.monotonic()
        if now - self._control_read < self.control_poll_s:
            return
        self._control_read = now
        request = read_switch(self.journal)
        if request is not None and request.status == "pending":
            await self._apply_switch(request, bar)

    async def _apply_switch(self, request: SwitchRequest, bar: Bar) -> None:
        from neural_trader.strategies import create_strategy

        current = self.strategy.name or type(self.strategy).__name__
        if request.from_strategy != current:
            self._answer(
                request,
                "refused",
                reason=f"the running strategy is {current!r}, not {request.from_strategy!r}",
            )
            return
        try:
            incoming = create_strategy(request.to_strategy, **request.params)
            check_runnable(incoming)
        except NeuralTraderError as exc:
            self._answer(request, "refused", reason=exc.message)
            return
        request.symbol = self.symbol
        request.position_before = self.ledger.position
        request.bar_ts = bar.ts_event
        request.cancelled_orders = await self._cancel_run_orders()
        self.strategy.on_stop(self.ctx)
        close = request.close_positions and self.ledger.position != 0.0
        self._install(incoming, want=0.0 if request.close_positions else self.acted)
        incoming.on_start(self.ctx)
        for index, old_bar in self._recent:
            self.ctx.begin_bar(index, old_bar.close)
            incoming.on_bar(self.ctx, old_bar)
        self.ctx.queue = []
        self._switched = True
        self.summary.switches.append(
            {
                "id": request.id,
                "from": request.from_strategy,
                "to": request.to_strategy,
                "params": dict(incoming.p.as_dict()),
                "bar_ts": bar.ts_event,
                "warmup_bars": len(self._recent),
                "close_positions": request.close_positions,
                "position_before": request.position_before,
            }
        )
        log.warning(
            "switched %s -> %s at bar %s (%s)",
            request.from_strategy,
            request.to_strategy,
            bar.ts_event,
            "closing the position" if close else "position taken over",
        )
        self._take_lock(refresh=True)
        if close:
            self.forced = 0.0
            self._closing = request
            request.status = "applied"
            request.applied_ns = self.clock.timestamp_ns()
            self._write_request(request, closing="pending")
        else:
            self._answer(request, "applied")

    async def _cancel_run_orders(self) -> list[str]:
        """Cancel this run's working orders: they belong to the outgoing strategy's logic."""
        prefix = self.ctx.run_id + "-"
        cancelled = []
        for record in self.journal.open_orders():
            ours = record.symbol == self.symbol and record.client_order_id.startswith(prefix)
            if ours and await self.oms.cancel(record.client_order_id):
                cancelled.append(record.client_order_id)
        await self._settle_reports()
        return cancelled

    def _answer(self, request: SwitchRequest, status: str, *, reason: str | None = None) -> None:
        request.status = "applied" if status == "applied" else "refused"
        request.reason = reason
        if request.applied_ns is None:
            request.applied_ns = self.clock.timestamp_ns()
        if status == "refused":
            log.warning("switch request %s refused: %s", request.id, reason)
        self._write_request(request, closing="done" if request.close_positions else "none")

    def _write_request(
        self, request: SwitchRequest, *, closing: Literal["none", "pending", "done"]
    ) -> None:
        """Answer only the request that was read: a newer one written meanwhile is kept."""
        current = read_switch(self.journal)
        if current is not None and current.id != request.id:
            return
        request.closing = closing
        write_switch(self.journal, request, ts_init=self.clock.timestamp_ns())

    def _resume_switch(self, cursor: dict[str, Any]) -> None:
        """A restart after a switch trades the switched-in strategy (and finishes its close)."""
        from neural_trader.strategies import create_strategy

        name = cursor.get("strategy")
        if isinstance(name, str):
            params = dict(cursor.get("params") or {})
            current = self.strategy.name or type(self.strategy).__name__
            if name != current or params != dict(self.strategy.p.as_dict()):
                incoming = create_strategy(name, **params)
                check_runnable(incoming)
                self._install(incoming, want=self.ctx.want)
                self._take_lock(refresh=True)
                self.summary.notes.append(f"resumed with {name}, switched in by a request")
            self._switched = True
        forced = cursor.get("forced")
        self.forced = None if forced is None else float(forced)
        if self.forced is not None:
            request = read_switch(self.journal)
            if request is not None and request.closing == "pending":
                self._closing = request

    # -- reports ----------------------------------------------------------------------------------

    def _on_fill(self, fill: FillReport) -> None:
        if fill.symbol != self.symbol:
            return
        side = 1 if fill.side is OrderSide.BUY else -1
        qty = float(fill.quantity)
        px = float(fill.price)
        fee = float(fill.commission)
        led = self.ledger
        led.cash = cash_after_fill(led.cash, side, qty, px, fee)
        led.position = led.position + qty if side > 0 else led.position - qty
        self.summary.fills += 1
        if self._wants_fills:
            self.strategy.on_fill(
                self.ctx,
                Fill(
                    fill.client_order_id,
                    self.index,
                    fill.ts_event,
                    side,
                    qty,
                    px,
                    fee,
                    "market",
                ),
            )

    async def _consume(self) -> None:
        """Apply the broker's report stream; on a drop, gap-fill and reconnect with backoff."""
        attempt = 0
        while True:
            try:
                async for report in self.broker.reports():
                    attempt = 0
                    self.oms.apply(report)
            except BrokerUnavailableError as exc:
                delay = _RECONNECT_DELAYS[min(attempt, len(_RECONNECT_DELAYS) - 1)]
                attempt += 1
                log.warning("report stream dropped (%s); gap-filling, retry in %ss", exc, delay)
                try:
                    await reconcile(self.oms, startup=False)
                except ReconciliationError as rec:
                    log.error("gap-fill after a stream drop failed: %s", rec)
                await asyncio.sleep(delay)

    async def _settle_reports(self) -> None:
        """Wait until the reports the paper broker produced so far have been applied."""
        if self.paper is not None:
            await self.paper.drained()

    # -- state ------------------------------------------------------------------------------------

    def _cursor_key(self) -> str:
        return f"run:{self.run_key}"

    def _load_cursor(self) -> dict[str, Any]:
        key = self._cursor_key()
        cursor = self.journal.get_state(key)
        if isinstance(cursor, dict) and not self.new_run:
            return cursor
        runs = int(self.journal.get_state("runs") or 0) + 1
        now = self.clock.timestamp_ns()
        self.journal.set_state("runs", runs, ts_init=now)
        fresh = {"run_id": f"{_short(self.tag)}{runs}", "last_ts": -1, "acted": 0.0}
        self.journal.set_state(key, fresh, ts_init=now)
        return fresh

    def _save_cursor(self, ts: int) -> None:
        cursor: dict[str, Any] = {"run_id": self.ctx.run_id, "last_ts": ts, "acted": self.acted}
        if self._switched:
            cursor["strategy"] = self.strategy.name
            cursor["params"] = dict(self.strategy.p.as_dict())
        if self.forced is not None:
            cursor["forced"] = self.forced
        self.journal.set_states(
            {self._cursor_key(): cursor, _DAILY_LOSS_KEY: self.loss.to_dict()},
            ts_init=self.clock.timestamp_ns(),
        )

    def _init_ledger(self) -> None:
        position = self.journal.position(self.symbol).quantity
        external = self.journal.get_state(EXTERNAL_POSITIONS_KEY) or {}
        self._external = float(Decimal(str(external.get(self.symbol, "0"))))
        if self._external:
            self.summary.notes.append(
                f"{self._external:g} {self.symbol} held outside this platform are not traded"
            )
        self.ledger.position = float(position) - self._external
        if self.paper is not None:
            self.ledger.cash = self.paper.cash

    def _take_lock(self, *, refresh: bool = False) -> None:
        """Hold the account (one runner per journal); the lock also tells the fronts what runs
        (``switch_active_strategy`` reads the strategy from it)."""
        state = self.journal.get_state(LOCK_KEY)
        holder = runner_lock_holder(state)
        if holder is not None and holder != os.getpid():
            raise InvalidArgumentError(
                f"another runner (pid {holder}) is trading this {self.broker.name} account",
                hint="stop it first (Ctrl-C or kill), or use another NT_HOME",
            )
        now = self.clock.timestamp_ns()
        # When this process took the account: wall time (a replay's clock is the data's).
        since = state.get("since") if refresh and isinstance(state, dict) else None
        since = since if isinstance(since, int) else time.time_ns()
        self.journal.set_state(
            LOCK_KEY,
            {
                "pid": os.getpid(),
                "since": since,
                "run": self.run_key,
                "strategy": self.strategy.name or type(self.strategy).__name__,
                "params": dict(self.strategy.p.as_dict()),
                "symbol": self.symbol,
            },
            ts_init=now,
        )

    def _install_signals(self) -> Callable[[], None]:
        """SIGINT/SIGTERM finish the current bar, persist, and stop (graceful shutdown)."""
        loop = asyncio.get_running_loop()
        installed: list[int] = []

        def request_stop() -> None:
            if not self.stop_requested:
                log.warning("stop requested: finishing the current bar, then stopping")
            self.stop()

        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, request_stop)
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass

        def restore() -> None:
            for sig in installed:
                loop.remove_signal_handler(sig)

        return restore


def _short(tag: str) -> str:
    letters = "".join(ch for ch in tag.upper() if ch.isalnum())
    return (letters[:6] or "RUN") + "-"


def _log_reconciliation(report: ReconciliationReport) -> None:
    if report.clean:
        return
    log.warning("start-up reconciliation: %s", report.to_dict())
