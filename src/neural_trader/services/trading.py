"""Trading services: the live runner and the order, position and account views.

Every front (CLI now, MCP and REST later) calls these; they parse nothing and print nothing.
All state lives under ``NT_HOME``: the journal (``trading.db``, or ``NT_DATABASE_URL``) and the
paper broker's account (``paper/<account>.db``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from neural_trader.backtest.config import BacktestConfig
from neural_trader.config import Settings, load_settings
from neural_trader.core.clock import Clock, LiveClock, TestClock
from neural_trader.core.data import BarSpec
from neural_trader.core.errors import ConfigError, InvalidArgumentError, MissingDependencyError
from neural_trader.execution.broker import Broker
from neural_trader.execution.feeds import BarFeed
from neural_trader.execution.journal import Journal
from neural_trader.execution.oms import KILL_SWITCH_KEY, OrderManager
from neural_trader.execution.paper import PaperBroker, PaperConfig
from neural_trader.execution.reconciliation import reconcile
from neural_trader.execution.runner import LOCK_KEY, LiveRunner, runner_lock_holder
from neural_trader.risk.checks import PreTradeRisk
from neural_trader.risk.killswitch import KillSwitch

__all__ = [
    "BrokerName",
    "TradeResult",
    "account_view",
    "kill",
    "list_orders",
    "list_positions",
    "reconcile_now",
    "resume",
    "trade",
]

BrokerName = Literal["paper", "alpaca"]
_DEFAULT_PAPER_CASH = 100_000.0
_DEFAULT_PAPER_FEES = 0.001


class TradeResult(BaseModel):
    run_id: str
    strategy: str
    symbol: str
    broker: str
    bars: int
    warmup_bars: int
    rejected_bars: int
    orders_sent: int
    orders_denied: int
    fills: int
    resumed: bool
    halted: bool
    interrupted: bool
    position: float
    cash: float
    equity: float
    last_bar: int | None
    reconciliation: dict[str, Any]
    orders: list[dict[str, Any]] = Field(default_factory=list)
    positions: list[dict[str, Any]] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    switches: list[dict[str, Any]] = Field(
        default_factory=list, description="strategy switches applied during the run"
    )


_LIVE_SIZE_BUFFER = 0.005
"""Live orders are sized at the last close and fill at the next price: 0.5% of room."""


# -- wiring ---------------------------------------------------------------------------------------


def open_journal(settings: Settings, broker: str) -> Journal:
    return Journal.open(settings.trading_db_url, broker=broker)


def paper_path(settings: Settings, account: str = "default") -> Path:
    return settings.home / "paper" / f"{account}.db"


def open_broker(
    name: str,
    settings: Settings,
    *,
    clock: Clock,
    paper_config: PaperConfig | None = None,
) -> Broker:
    """The broker named ``name``; live endpoints need ``NT_LIVE_TRADING=true`` (the adapter
    refuses otherwise), so without it every path is paper."""
    if name == "paper":
        return PaperBroker(paper_path(settings), paper_config, clock=clock)
    if name == "alpaca":
        from neural_trader.adapters.alpaca.config import AlpacaConfig
        from neural_trader.adapters.alpaca.execution import AlpacaBroker

        return AlpacaBroker(AlpacaConfig.from_settings(settings), clock=clock)
    raise InvalidArgumentError(f"unknown broker {name!r}; choose paper or alpaca")


def _oms(journal: Journal, broker: Broker, settings: Settings, clock: Clock) -> OrderManager:
    risk = PreTradeRisk(settings.risk, clock=clock.timestamp_ns)
    return OrderManager(journal=journal, broker=broker, risk=risk, clock=clock)


# -- trade ----------------------------------------------------------------------------------------


def trade(
    strategy: str,
    *,
    symbol: str,
    params: Mapping[str, Any] | None = None,
    broker: str = "paper",
    replay: str | Path | None = None,
    speed: float | None = None,
    cash: float | None = None,
    fees: float | None = None,
    slippage: float | None = None,
    sizer: str = "all_in",
    lot_size: float = 0.0,
    warmup: int = 200,
    new_run: bool = False,
    bar: str | None = None,
    size_buffer: float | None = None,
    settings: Settings | None = None,
) -> TradeResult:
    """Run ``strategy`` on ``symbol`` until the data ends (a replay) or a signal stops it.

    Without ``replay`` the bars are Alpaca's live minute bars (its market-data stream, with
    ``warmup`` bars of history to warm the strategy up on), or ``bar`` bars built from them
    (``5m``, ``15m``, ...); the broker is still the paper broker unless ``broker="alpaca"``.
    ``size_buffer`` (live only; default 0.5%) sizes orders at the last close raised by that
    fraction, so a move up before the fill does not overdraw the cash.
    """
    from neural_trader.strategies import create_strategy

    settings = settings or load_settings()
    strat = create_strategy(strategy, **dict(params or {}))
    feed: BarFeed
    clock: Clock
    if replay is not None:
        if bar is not None:
            raise InvalidArgumentError(
                "--bar applies to live bars; a replay trades the file's own bars",
                hint="resample the file first (neural-trader data resample)",
            )
        if size_buffer is not None:
            raise InvalidArgumentError(
                "--size-buffer applies to live bars; a replay sizes at the open it fills at"
            )
        feed, clock = _replay_feed(replay, symbol, speed)
        source = str(Path(replay).resolve())
        run_key = _run_key(
            strategy, symbol, strat.p.as_dict(), Path(replay).name, source, sizer, lot_size
        )
    else:
        clock = LiveClock()
        feed = _live_feed(settings, symbol, warmup, clock, bar)
        source = "live" if str(feed.spec) == "1m" else f"live-{feed.spec}"
        run_key = _run_key(strategy, symbol, strat.p.as_dict(), source, source, sizer, lot_size)
    paper_cfg = None
    start_cash: float | None
    if broker == "paper":
        paper_cfg = _paper_config(settings, cash, fees, slippage)
        fee_rate, slip, start_cash = paper_cfg.fee_rate, paper_cfg.slippage, paper_cfg.cash
    else:
        # A broker's own fees and fills: the planner's cash comes from its account.
        fee_rate, slip, start_cash = fees or 0.0, slippage or 0.0, cash
        clock = LiveClock()
    config = BacktestConfig(
        cash=start_cash if start_cash is not None else _DEFAULT_PAPER_CASH,
        fee_rate=fee_rate,
        slippage=slip,
        sizer=sizer,
        lot_size=lot_size,
    )
    journal = open_journal(settings, broker)
    try:
        brk = open_broker(broker, settings, clock=clock, paper_config=paper_cfg)
        oms = _oms(journal, brk, settings, clock)
        runner = LiveRunner(
            strategy=strat,
            feed=feed,
            oms=oms,
            config=config,
            clock=clock,
            run_key=run_key,
            daily_loss_limit=settings.risk.daily_loss_limit,
            flatten_on_kill=settings.risk.flatten_on_kill,
            new_run=new_run,
            size_buffer=0.0
            if replay is not None
            else _LIVE_SIZE_BUFFER
            if size_buffer is None
            else size_buffer,
        )
        summary = asyncio.run(runner.run())
        orders = [
            r.to_dict()
            for r in journal.orders(symbol=symbol)
            if r.client_order_id.startswith(summary.run_id + "-")
        ]
        positions = [p.to_dict() for p in journal.positions()]
    finally:
        journal.close()
    data = asdict(summary)
    data["last_bar"] = data.pop("last_bar_ts")
    return TradeResult(**data, orders=orders, positions=positions)


def _replay_feed(replay: str | Path, symbol: str, speed: float | None) -> tuple[BarFeed, Clock]:
    """A bar file as the market, on a clock that follows the file's time."""
    from neural_trader.execution.feeds import ReplayFeed
    from neural_trader.services.research import load_bars

    _, spec_text, frame = load_bars(symbol=None, data_file=replay)
    if len(frame) < 2:
        raise InvalidArgumentError(f"{replay} holds {len(frame)} bar(s); a replay needs 2+")
    spec = BarSpec.parse(spec_text)
    clock = TestClock(int(frame["ts_event"].iloc[0]))
    return ReplayFeed(frame, symbol=symbol, spec=spec, speed=speed), clock


def _live_feed(
    settings: Settings, symbol: str, warmup: int, clock: Clock, bar: str | None = None
) -> BarFeed:
    """Alpaca's live minute bars of ``symbol`` (the market-data source for live runs), or
    ``bar`` bars aggregated from them (``warmup`` counts those)."""
    from neural_trader.execution.feeds import AggregatingFeed

    if warmup < 0:
        raise InvalidArgumentError(f"--warmup must be >= 0 bars, got {warmup}")
    spec = BarSpec.parse(bar or "1m")
    minutes = spec.nanos // BarSpec.parse("1m").nanos
    if str(spec) != "1m":
        AggregatingFeed.check_spec(spec)
    try:
        from neural_trader.adapters.alpaca import AlpacaConfig, alpaca_bar_feed
    except MissingDependencyError as exc:
        raise ConfigError(
            "live bars come from Alpaca's market-data stream, and the alpaca extra is missing",
            hint="pip install 'neural-trader[alpaca]', or replay a file with --replay FILE",
        ) from exc
    minute_feed = alpaca_bar_feed(
        AlpacaConfig.from_settings(settings), symbol, clock=clock, warmup_bars=warmup * minutes
    )
    return minute_feed if str(spec) == "1m" else AggregatingFeed(minute_feed, spec)


def _paper_config(
    settings: Settings, cash: float | None, fees: float | None, slippage: float | None
) -> PaperConfig:
    """The paper account's settings: the stored ones when it exists (unless changed here)."""
    path = paper_path(settings)
    stored: dict[str, Any] = {}
    if path.exists():
        probe = PaperBroker(path, None, clock=TestClock(0))
        stored = asdict(probe.config)
        asyncio.run(probe.close())
    base = (
        PaperConfig(**stored)
        if stored
        else PaperConfig(cash=_DEFAULT_PAPER_CASH, fee_rate=_DEFAULT_PAPER_FEES)
    )
    return PaperConfig(
        cash=base.cash if cash is None else cash,
        currency=base.currency,
        fee_rate=base.fee_rate if fees is None else fees,
        fixed_fee=base.fixed_fee,
        slippage=base.slippage if slippage is None else slippage,
        latency_ns=base.latency_ns,
        account_id=base.account_id,
        max_volume_fraction=base.max_volume_fraction,
    )


def _run_key(
    strategy: str,
    symbol: str,
    params: dict[str, Any],
    source_name: str,
    source: str,
    sizer: str,
    lot: float,
) -> str:
    """One run per (strategy, parameters, symbol, data source, sizing): resuming the same
    command continues it; changing any of them starts another."""
    blob = json.dumps([params, sizer, lot, source], sort_keys=True, default=str)
    digest = hashlib.sha1(blob.encode()).hexdigest()[:10]
    return f"{strategy}:{symbol}:{source_name}:{digest}"


# -- views ----------------------------------------------------------------------------------------


def list_orders(
    *, broker: str = "paper", open_only: bool = False, symbol: str | None = None,
    limit: int | None = None, settings: Settings | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    settings = settings or load_settings()
    with open_journal(settings, broker) as journal:
        return [
            r.to_dict() for r in journal.orders(open_only=open_only, symbol=symbol, limit=limit)
        ]


def list_positions(
    *, broker: str = "paper", settings: Settings | None = None
) -> list[dict[str, Any]]:
    settings = settings or load_settings()
    with open_journal(settings, broker) as journal:
        return [p.to_dict() for p in journal.positions()]


def account_view(*, broker: str = "paper", settings: Settings | None = None) -> dict[str, Any]:
    """The broker's account now (paper: read from its store) and the kill switch state."""
    settings = settings or load_settings()
    clock = LiveClock()
    with open_journal(settings, broker) as journal:
        brk = open_broker(broker, settings, clock=clock)

        async def fetch() -> Any:
            try:
                return await brk.account()
            finally:
                await brk.close()

        acct = asyncio.run(fetch())
        journal.record_account(acct, ts_init=clock.timestamp_ns())
        ks = journal.get_state(KILL_SWITCH_KEY)
        state = KillSwitch.active() if ks is None else KillSwitch.from_dict(ks)
        return {
            "broker": broker,
            "account_id": acct.account_id,
            "currency": acct.currency,
            "cash": float(acct.cash),
            "equity": float(acct.equity),
            "buying_power": float(acct.buying_power),
            "trading_state": state.state.value,
            "kill_reason": state.reason or None,
            "positions": [p.to_dict() for p in journal.positions()],
        }


def reconcile_now(*, broker: str = "paper", settings: Settings | None = None) -> dict[str, Any]:
    settings = settings or load_settings()
    with open_journal(settings, broker) as journal:
        _refuse_if_running(journal, "reconcile")
        clock = LiveClock()
        brk = open_broker(broker, settings, clock=clock)
        oms = _oms(journal, brk, settings, clock)

        async def go() -> dict[str, Any]:
            await brk.connect()
            try:
                return (await reconcile(oms, startup=True)).to_dict()
            finally:
                await brk.close()

        return asyncio.run(go())


def kill(
    *, broker: str = "paper", flatten: bool | None = None, reason: str = "manual kill",
    settings: Settings | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Trip the kill switch. A running runner enforces it at its next bar; otherwise the open
    orders are cancelled (and positions flattened) here and now."""
    settings = settings or load_settings()
    do_flatten = settings.risk.flatten_on_kill if flatten is None else flatten
    with open_journal(settings, broker) as journal:
        clock = LiveClock()
        holder = runner_lock_holder(journal.get_state(LOCK_KEY))
        if holder is not None:
            ks = KillSwitch.active().trip(
                reason, ts_ns=clock.timestamp_ns(), flatten=do_flatten, by="user"
            )
            journal.set_state(KILL_SWITCH_KEY, ks.to_dict(), ts_init=clock.timestamp_ns())
            return {
                "trading_state": ks.state.value,
                "reason": reason,
                "flatten": do_flatten,
                "enforced_by": f"runner pid {holder} (at its next bar)",
                "cancelled": None,
            }
        brk = open_broker(broker, settings, clock=clock)
        oms = _oms(journal, brk, settings, clock)

        async def go() -> int:
            await brk.connect()
            try:
                before = len(journal.open_orders())
                await oms.trip_kill_switch(reason, by="user", flatten=do_flatten)
                return before
            finally:
                await brk.close()

        cancelled = asyncio.run(go())
        return {
            "trading_state": oms.kill_switch.state.value,
            "reason": reason,
            "flatten": do_flatten,
            "enforced_by": "this command",
            "cancelled": cancelled,
        }


def resume(*, broker: str = "paper", settings: Settings | None = None) -> dict[str, Any]:
    """Lift the kill switch. The daily-loss baseline restarts from the current equity, or the
    same loss would trip the switch again on the next bar."""
    settings = settings or load_settings()
    with open_journal(settings, broker) as journal:
        clock = LiveClock()
        stored = journal.get_state(KILL_SWITCH_KEY)
        before = KillSwitch.active() if stored is None else KillSwitch.from_dict(stored)
        after = before.resume(ts_ns=clock.timestamp_ns())
        journal.set_state(KILL_SWITCH_KEY, after.to_dict(), ts_init=clock.timestamp_ns())
        journal.set_state("daily_loss", None, ts_init=clock.timestamp_ns())
        return {"trading_state": after.state.value, "was": before.state.value}


def _refuse_if_running(journal: Journal, what: str) -> None:
    holder = runner_lock_holder(journal.get_state(LOCK_KEY))
    if holder is not None:
        raise InvalidArgumentError(
            f"a runner (pid {holder}) is trading this account; it reconciles on its own",
            hint=f"stop it before running {what} by hand",
        )
