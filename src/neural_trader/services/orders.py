"""Single orders, order previews, the portfolio and the journal's views of execution.

The CLI trades through a strategy runner (:func:`neural_trader.services.trading.trade`); an
agent also places one-off orders. These functions send them through the same order manager:
pre-trade risk checks and the kill switch first, the journal before the broker, the broker
last, so an agent's order obeys every limit a runner's does and survives a crash the same way.

Broker: the paper broker under ``NT_HOME`` unless ``live_trading`` is switched on in the
config, in which case Alpaca (the only live adapter). The paper venue is driven by bars: an
order it accepts rests there and fills when the venue sees the symbol's next bar (a
``neural-trader trade`` run on the account feeds it). Nothing here invents a fill.

Prices: an order's reference price (for the risk checks and the cost estimate) is the paper
venue's last price of the symbol when it has one, else the catalog's last close, stated with
its time so a stale price is visible.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from pydantic import BaseModel, Field

from neural_trader.config import Settings, load_settings
from neural_trader.core.errors import InvalidArgumentError, NeuralTraderError

if TYPE_CHECKING:
    import numpy as np

    from neural_trader.data.catalog import Catalog

__all__ = [
    "ExecutionAnalytics",
    "MultiOrderResult",
    "OrderIntent",
    "OrderPreview",
    "OrderResult",
    "PortfolioStatus",
    "StrategyPerformance",
    "execution_analytics",
    "place_order",
    "place_orders",
    "portfolio_status",
    "simulate_trade",
    "strategy_performance",
    "strategy_signal",
    "trading_broker",
]

CatalogLike: TypeAlias = "Catalog | str | Path | None"
Side = Literal["buy", "sell"]
Kind = Literal["market", "limit", "stop", "stop_limit"]
NS_PER_DAY = 86_400_000_000_000


def trading_broker(settings: Settings) -> str:
    """``alpaca`` when live trading is switched on in the config, else ``paper``."""
    return "alpaca" if settings.live_trading else "paper"


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """One order as a front describes it (plain values, validated here)."""

    symbol: str
    side: Side
    quantity: float
    order_type: Kind = "market"
    limit_price: float | None = None
    stop_price: float | None = None


class RiskOut(BaseModel):
    allowed: bool
    limit: str | None = Field(description="the limit that refused the order (None: allowed)")
    message: str


class OrderPreview(BaseModel):
    symbol: str
    side: Side
    quantity: float
    order_type: Kind
    limit_price: float | None
    stop_price: float | None
    broker: str
    reference_price: float | None
    reference_source: str
    estimated_price: float | None = Field(
        description="market: reference price moved by the paper slippage; limit/stop_limit: "
        "the limit; stop: the stop price moved by the slippage"
    )
    estimated_notional: float | None
    estimated_commission: float | None
    estimated_total: float | None = Field(
        description="cash out for a buy (notional + commission), cash in for a sell "
        "(notional - commission)"
    )
    fee_rate: float
    slippage: float
    risk: RiskOut


class OrderResult(BaseModel):
    preview: OrderPreview
    submitted: bool
    client_order_id: str | None
    status: str | None = Field(description="the journal's status after the send")
    reason: str | None
    order: dict[str, Any] | None
    notes: list[str]


class MultiOrderResult(BaseModel):
    strategy: str
    validate_only: bool
    risk_limit: float | None
    total_estimated_notional: float | None
    refused: str | None = Field(description="why the whole batch was refused (None: it was not)")
    results: list[OrderResult]
    submitted: int
    accepted: int
    denied: int
    rejected: int
    notes: list[str]


# -- wiring -------------------------------------------------------------------------------------


@dataclass
class _Session:
    settings: Settings
    broker_name: str
    journal: Any
    broker: Any
    oms: Any
    fee_rate: float
    fixed_fee: float
    slippage: float


@contextmanager
def _session(settings: Settings, *, refuse_running: str | None) -> Iterator[_Session]:
    from neural_trader.core.clock import LiveClock
    from neural_trader.services import trading as tr

    name = trading_broker(settings)
    journal = tr.open_journal(settings, name)
    try:
        if refuse_running is not None:
            tr._refuse_if_running(journal, refuse_running)
        clock = LiveClock()
        paper_cfg = tr._paper_config(settings, None, None, None) if name == "paper" else None
        brk = tr.open_broker(name, settings, clock=clock, paper_config=paper_cfg)
        try:
            oms = tr._oms(journal, brk, settings, clock)
            yield _Session(
                settings=settings,
                broker_name=name,
                journal=journal,
                broker=brk,
                oms=oms,
                fee_rate=paper_cfg.fee_rate if paper_cfg else 0.0,
                fixed_fee=paper_cfg.fixed_fee if paper_cfg else 0.0,
                slippage=paper_cfg.slippage if paper_cfg else 0.0,
            )
        finally:
            asyncio.run(brk.close())
    finally:
        journal.close()


def _catalog_close(symbol: str, catalog: CatalogLike) -> tuple[float, str] | None:
    """The last close of ``symbol`` in the catalog (finest spec held) and its time."""
    from neural_trader.services.data import _resolve_spec, open_catalog
    from neural_trader.services.formatting import ns_to_label

    cat = open_catalog(catalog)
    if symbol not in cat.symbols():
        return None
    spec = _resolve_spec(cat, symbol, None)
    entry = next(e for e in cat.entries() if e.symbol == symbol and e.spec == spec)
    frame = cat.read_bars(symbol, spec, start=entry.end_ns, end=entry.end_ns)
    if frame.empty:
        return None
    ts = int(frame["ts_event"].iloc[-1])
    return float(frame["close"].iloc[-1]), ns_to_label(ts, daily=not spec.is_intraday)


def _reference(s: _Session, symbol: str, catalog: CatalogLike) -> tuple[float | None, str]:
    last = s.broker.last_price(symbol) if hasattr(s.broker, "last_price") else math.nan
    if math.isfinite(last) and last > 0:
        return float(last), f"{s.broker_name} venue's last price"
    found = _catalog_close(symbol, catalog)
    if found is None:
        return None, f"none: {symbol} is neither priced by the venue nor in the catalog"
    return found[0], f"catalog close of {found[1]}"


def _request(intent: OrderIntent, strategy: str) -> Any:
    from neural_trader.core.enums import OrderSide, OrderType
    from neural_trader.execution.reports import OrderRequest

    if not (math.isfinite(intent.quantity) and intent.quantity > 0):
        raise InvalidArgumentError(f"quantity must be positive, got {intent.quantity}")
    kind = {
        "market": OrderType.MARKET,
        "limit": OrderType.LIMIT,
        "stop": OrderType.STOP,
        "stop_limit": OrderType.STOP_LIMIT,
    }[intent.order_type]

    def dec(v: float | None) -> Decimal | None:
        return None if v is None else Decimal(repr(float(v)))

    tag = "".join(ch for ch in strategy if ch.isalnum() or ch in "_-")[:24] or "manual"
    return OrderRequest(
        client_order_id=f"mcp-{tag}-{uuid.uuid4().hex[:12]}",
        symbol=intent.symbol,
        side=OrderSide.BUY if intent.side == "buy" else OrderSide.SELL,
        order_type=kind,
        quantity=Decimal(repr(float(intent.quantity))),
        limit_price=dec(intent.limit_price),
        stop_price=dec(intent.stop_price),
        strategy=strategy,
    )


def _preview(s: _Session, intent: OrderIntent, request: Any, catalog: CatalogLike) -> OrderPreview:
    ref, source = _reference(s, intent.symbol, catalog)
    if ref is not None:
        s.oms.update_price(intent.symbol, ref)
    for sym in list(s.oms.positions):  # the gross-exposure check prices every holding
        if sym not in s.oms.prices:
            other, _ = _reference(s, sym, catalog)
            if other is not None:
                s.oms.update_price(sym, other)
    decision = s.oms.check(request)
    sign = 1.0 if intent.side == "buy" else -1.0
    if intent.order_type in ("limit", "stop_limit"):
        est = intent.limit_price
    elif intent.order_type == "stop":
        est = None if intent.stop_price is None else intent.stop_price * (1 + sign * s.slippage)
    else:
        est = None if ref is None else ref * (1 + sign * s.slippage)
    notional = None if est is None else est * intent.quantity
    commission = None if notional is None else notional * s.fee_rate + s.fixed_fee
    total = None
    if notional is not None and commission is not None:
        total = notional + commission if intent.side == "buy" else notional - commission
    return OrderPreview(
        symbol=intent.symbol,
        side=intent.side,
        quantity=intent.quantity,
        order_type=intent.order_type,
        limit_price=intent.limit_price,
        stop_price=intent.stop_price,
        broker=s.broker_name,
        reference_price=ref,
        reference_source=source,
        estimated_price=est,
        estimated_notional=notional,
        estimated_commission=commission,
        estimated_total=total,
        fee_rate=s.fee_rate,
        slippage=s.slippage,
        risk=RiskOut(allowed=decision.allowed, limit=decision.limit, message=decision.message),
    )


_RESTING_NOTE = (
    "the paper venue is driven by bars: the order rests there and fills when the venue sees "
    "{symbol}'s next bar (a 'neural-trader trade' run on this account feeds it)"
)


def _send(s: _Session, request: Any, preview: OrderPreview) -> OrderResult:
    async def go() -> Any:
        await s.broker.connect()
        return await s.oms.submit(request)

    record = asyncio.run(go())
    notes = []
    status = record.status.value
    if status in ("ACCEPTED", "SUBMITTED") and s.broker_name == "paper":
        notes.append(_RESTING_NOTE.format(symbol=preview.symbol))
    return OrderResult(
        preview=preview,
        submitted=status not in ("DENIED",),
        client_order_id=record.client_order_id,
        status=status,
        reason=record.reason,
        order=record.to_dict(),
        notes=notes,
    )


def place_order(
    intent: OrderIntent,
    *,
    strategy: str,
    validate_only: bool = False,
    settings: Settings | None = None,
    catalog: CatalogLike = None,
) -> OrderResult:
    """Check one order against the risk limits and, unless ``validate_only``, send it."""
    settings = settings or load_settings()
    request = _request(intent, strategy)
    with _session(settings, refuse_running=None if validate_only else "an order by hand") as s:
        preview = _preview(s, intent, request, catalog)
        if validate_only:
            return OrderResult(
                preview=preview,
                submitted=False,
                client_order_id=None,
                status=None,
                reason=None if preview.risk.allowed else preview.risk.message,
                order=None,
                notes=["validate_only: checked and priced, nothing was sent or journaled"],
            )
        return _send(s, request, preview)


def place_orders(
    intents: Sequence[OrderIntent],
    *,
    strategy: str,
    risk_limit: float | None = None,
    validate_only: bool = False,
    settings: Settings | None = None,
    catalog: CatalogLike = None,
) -> MultiOrderResult:
    """Several orders through one order manager, in the given order.

    ``risk_limit`` caps the batch's total estimated notional: above it nothing is sent. Each
    order passes the risk checks on its own (positions change only on fills, so the checks
    see the positions from before the batch).
    """
    if not intents:
        raise InvalidArgumentError("give at least one trade")
    if risk_limit is not None and not (math.isfinite(risk_limit) and risk_limit > 0):
        raise InvalidArgumentError(f"risk_limit must be a positive amount, got {risk_limit}")
    settings = settings or load_settings()
    requests = [_request(i, strategy) for i in intents]
    notes: list[str] = ["orders are sent one after another through one order manager"]
    with _session(settings, refuse_running=None if validate_only else "orders by hand") as s:
        previews = [_preview(s, i, r, catalog) for i, r in zip(intents, requests, strict=True)]
        notionals = [p.estimated_notional for p in previews]
        total = (
            None if any(n is None for n in notionals) else float(sum(n or 0.0 for n in notionals))
        )
        refused = None
        if risk_limit is not None:
            if total is None:
                refused = "risk_limit: an order has no price to estimate its notional with"
            elif total > risk_limit:
                refused = (
                    f"risk_limit: the batch's estimated notional {total:,.2f} exceeds "
                    f"{risk_limit:,.2f}; nothing was sent"
                )
        results: list[OrderResult] = []
        for req, prev in zip(requests, previews, strict=True):
            if validate_only or refused is not None:
                results.append(
                    OrderResult(
                        preview=prev,
                        submitted=False,
                        client_order_id=None,
                        status=None,
                        reason=refused or (None if prev.risk.allowed else prev.risk.message),
                        order=None,
                        notes=[],
                    )
                )
            else:
                results.append(_send(s, req, prev))
    statuses = [r.status for r in results]
    return MultiOrderResult(
        strategy=strategy,
        validate_only=validate_only,
        risk_limit=risk_limit,
        total_estimated_notional=total,
        refused=refused,
        results=results,
        submitted=sum(1 for r in results if r.submitted),
        accepted=sum(1 for st in statuses if st in ("ACCEPTED", "SUBMITTED", "FILLED")),
        denied=sum(1 for st in statuses if st == "DENIED"),
        rejected=sum(1 for st in statuses if st == "REJECTED"),
        notes=notes,
    )


# -- portfolio ----------------------------------------------------------------------------------


class HoldingOut(BaseModel):
    symbol: str
    quantity: float
    avg_price: float
    price: float | None
    price_source: str
    market_value: float | None
    unrealized_pnl: float | None
    realized_pnl: float


class PortfolioAnalytics(BaseModel):
    var_95: float | None = Field(description="1-day historical VaR (money) of the holdings")
    cvar_95: float | None
    observations: int | None
    notes: list[str]


class PortfolioStatus(BaseModel):
    broker: str
    live_trading: bool
    account_id: str
    currency: str
    cash: float
    equity: float
    buying_power: float
    trading_state: str
    kill_reason: str | None
    positions: list[HoldingOut]
    open_orders: int
    analytics: PortfolioAnalytics | None


def portfolio_status(
    *,
    include_analytics: bool = True,
    settings: Settings | None = None,
    catalog: CatalogLike = None,
) -> PortfolioStatus:
    """The trading account now: cash, equity, holdings marked to their last price, open
    orders, kill-switch state and (optionally) the holdings' 1-day 95% VaR from the catalog."""
    from neural_trader.execution.oms import KILL_SWITCH_KEY
    from neural_trader.risk.killswitch import KillSwitch

    settings = settings or load_settings()
    with _session(settings, refuse_running=None) as s:
        acct = asyncio.run(s.broker.account())
        stored = s.journal.get_state(KILL_SWITCH_KEY)
        state = KillSwitch.active() if stored is None else KillSwitch.from_dict(stored)
        holdings: list[HoldingOut] = []
        for p in s.journal.positions():
            qty = float(p.quantity)
            px, source = _reference(s, p.symbol, catalog)
            holdings.append(
                HoldingOut(
                    symbol=p.symbol,
                    quantity=qty,
                    avg_price=float(p.avg_price),
                    price=px,
                    price_source=source,
                    market_value=None if px is None else qty * px,
                    unrealized_pnl=None if px is None else qty * (px - float(p.avg_price)),
                    realized_pnl=float(p.realized_pnl),
                )
            )
        open_orders = len(s.journal.open_orders())
        out = PortfolioStatus(
            broker=s.broker_name,
            live_trading=settings.live_trading,
            account_id=acct.account_id,
            currency=acct.currency,
            cash=float(acct.cash),
            equity=float(acct.equity),
            buying_power=float(acct.buying_power),
            trading_state=state.state.value,
            kill_reason=state.reason or None,
            positions=holdings,
            open_orders=open_orders,
            analytics=None,
        )
    if include_analytics:
        out.analytics = _holdings_var(holdings, catalog)
    return out


def _holdings_var(holdings: Sequence[HoldingOut], catalog: CatalogLike) -> PortfolioAnalytics:
    from neural_trader.services.risk import portfolio_var_report

    if not holdings:
        return PortfolioAnalytics(
            var_95=None, cvar_95=None, observations=None, notes=["no positions: nothing at risk"]
        )
    priced = [h for h in holdings if h.price is not None]
    if len(priced) != len(holdings):
        return PortfolioAnalytics(
            var_95=None,
            cvar_95=None,
            observations=None,
            notes=["a holding has no price, so the book's VaR is not computed"],
        )
    text = ",".join(f"{h.symbol}:{h.quantity!r}@{h.price!r}" for h in priced)
    try:
        rep = portfolio_var_report(
            positions=text, method="historical", confidence=0.95, catalog=catalog
        )
    except NeuralTraderError as exc:
        return PortfolioAnalytics(var_95=None, cvar_95=None, observations=None, notes=[exc.message])
    return PortfolioAnalytics(
        var_95=rep.var, cvar_95=rep.cvar, observations=rep.observations, notes=rep.notes
    )


# -- execution analytics ------------------------------------------------------------------------


class ExecutionAnalytics(BaseModel):
    broker: str
    time_period: str
    since: str | None
    orders: int
    by_status: dict[str, int]
    fill_rate: float | None = Field(description="filled / orders that reached the broker")
    rejection_rate: float | None = Field(description="rejected / orders that reached the broker")
    denial_rate: float | None = Field(description="denied by our risk checks / all orders")
    fills: int
    filled_notional: float
    commission: float
    time_to_fill_seconds: dict[str, float | None] = Field(
        description="order creation to first fill by the journal's clock (replays: data time): "
        "mean, p50, p95, p99"
    )
    limit_improvement_bps: float | None = Field(
        description="mean of (limit - fill) / limit x 1e4 over limit buys (sells mirrored): "
        "how far inside their limits the fills came"
    )


_PERIODS = {"1h": 3600, "24h": 86_400, "1d": 86_400, "7d": 7 * 86_400, "30d": 30 * 86_400}


def execution_analytics(
    time_period: str = "1h", *, settings: Settings | None = None
) -> ExecutionAnalytics:
    """Order and fill statistics of the trading journal over the last ``time_period``
    (``1h``, ``24h``, ``7d``, ``30d`` or ``all``), by order creation time."""
    import numpy as np
    import pandas as pd

    from neural_trader.services import trading as tr

    if time_period != "all" and time_period not in _PERIODS:
        raise InvalidArgumentError(
            f"time_period must be one of {', '.join([*_PERIODS, 'all'])}, got {time_period!r}"
        )
    settings = settings or load_settings()
    name = trading_broker(settings)
    since = None if time_period == "all" else time.time_ns() - _PERIODS[time_period] * 10**9
    with tr.open_journal(settings, name) as journal:
        orders = [o for o in journal.orders() if since is None or o.ts_created >= since]
        ids = {o.client_order_id for o in orders}
        fills = [f for f in journal.fills() if f.client_order_id in ids]
    by_status: dict[str, int] = {}
    for o in orders:
        by_status[o.status.value] = by_status.get(o.status.value, 0) + 1
    denied = by_status.get("DENIED", 0)
    sent = len(orders) - denied
    filled = sum(1 for o in orders if o.filled_quantity > 0)
    first_fill: dict[str, int] = {}
    for f in fills:
        first_fill[f.client_order_id] = min(first_fill.get(f.client_order_id, f.ts_init), f.ts_init)
    waits = np.array(
        [
            (first_fill[o.client_order_id] - o.ts_created) / 1e9
            for o in orders
            if o.client_order_id in first_fill
        ],
        dtype=np.float64,
    )
    stats: dict[str, float | None] = {"mean": None, "p50": None, "p95": None, "p99": None}
    if waits.size:
        stats = {
            "mean": float(waits.mean()),
            "p50": float(np.percentile(waits, 50)),
            "p95": float(np.percentile(waits, 95)),
            "p99": float(np.percentile(waits, 99)),
        }
    improvements = [
        float((o.limit_price - o.avg_fill_price) / o.limit_price * 10_000 * o.side.sign)
        for o in orders
        if o.limit_price is not None and o.avg_fill_price is not None and o.limit_price > 0
    ]
    return ExecutionAnalytics(
        broker=name,
        time_period=time_period,
        since=None if since is None else pd.Timestamp(since, unit="ns", tz="UTC").isoformat(),
        orders=len(orders),
        by_status=by_status,
        fill_rate=filled / sent if sent else None,
        rejection_rate=by_status.get("REJECTED", 0) / sent if sent else None,
        denial_rate=denied / len(orders) if orders else None,
        fills=len(fills),
        filled_notional=float(sum(float(f.quantity * f.price) for f in fills)),
        commission=float(sum(float(f.commission) for f in fills)),
        time_to_fill_seconds=stats,
        limit_improvement_bps=float(np.mean(improvements)) if improvements else None,
    )


# -- strategy performance from the journal ------------------------------------------------------


class StrategyPerformance(BaseModel):
    strategy: str
    broker: str
    period_days: int
    window_start: str | None
    window_end: str | None = Field(description="the strategy's last fill (replays: data time)")
    orders: int
    fills: int
    round_trip_closes: int = Field(description="fills that reduced a position")
    win_rate: float | None = Field(description="share of reducing fills with a realised gain")
    realized_pnl: float
    commission: float
    open_positions: dict[str, float]
    unrealized_pnl: float | None
    daily_pnl_days: int | None
    total_pnl: float | None = Field(description="mark-to-market P&L over the window (money)")
    sharpe: float | None = Field(description="annualised Sharpe of the daily P&L (scale-free)")
    max_drawdown: float | None = Field(description="largest fall of cumulative P&L (money, < 0)")
    benchmark: dict[str, Any] | None
    notes: list[str]


def strategy_performance(
    strategy: str,
    *,
    period_days: int = 30,
    include_benchmark: bool = True,
    benchmark: str = "sp500",
    settings: Settings | None = None,
    catalog: CatalogLike = None,
) -> StrategyPerformance:
    """What ``strategy`` did on the trading account, from the journal's fills.

    The window is the last ``period_days`` days up to the strategy's last fill (so replayed
    paper runs, stamped with the data's time, are covered). Realised P&L uses average cost,
    commissions included; the daily mark-to-market P&L (and its Sharpe and drawdown) needs
    daily closes of every traded symbol in the catalog.
    """
    import pandas as pd

    from neural_trader.services import trading as tr

    if period_days < 1:
        raise InvalidArgumentError(f"period_days must be >= 1, got {period_days}")
    settings = settings or load_settings()
    name = trading_broker(settings)
    with tr.open_journal(settings, name) as journal:
        orders = {o.client_order_id: o for o in journal.orders() if o.strategy == strategy}
        fills = sorted(
            (f for f in journal.fills() if f.client_order_id in orders),
            key=lambda f: (f.ts_event, f.trade_id),
        )
    notes: list[str] = []
    if not fills:
        return StrategyPerformance(
            strategy=strategy,
            broker=name,
            period_days=period_days,
            window_start=None,
            window_end=None,
            orders=len(orders),
            fills=0,
            round_trip_closes=0,
            win_rate=None,
            realized_pnl=0.0,
            commission=0.0,
            open_positions={},
            unrealized_pnl=None,
            daily_pnl_days=None,
            total_pnl=None,
            sharpe=None,
            max_drawdown=None,
            benchmark=None,
            notes=[f"no fills of {strategy} in the {name} journal"],
        )
    end_ns = fills[-1].ts_event
    start_ns = end_ns - period_days * NS_PER_DAY
    pos: dict[str, float] = {}
    avg: dict[str, float] = {}
    realized = commission = 0.0
    closes = wins = 0
    for f in fills:
        q = float(f.quantity) * f.side.sign
        px, fee = float(f.price), float(f.commission)
        p0 = pos.get(f.symbol, 0.0)
        in_window = f.ts_event >= start_ns
        gain = -fee
        if p0 != 0.0 and (p0 > 0) != (q > 0):  # reduces (and maybe flips)
            closed = min(abs(q), abs(p0))
            gain += closed * (px - avg[f.symbol]) * (1.0 if p0 > 0 else -1.0)
            if in_window:
                closes += 1
                wins += gain > 0
        p1 = p0 + q
        if p1 == 0.0:
            avg.pop(f.symbol, None)
        elif p0 == 0.0 or (p0 > 0) != (p1 > 0):
            avg[f.symbol] = px
        elif (p0 > 0) == (q > 0):
            avg[f.symbol] = (avg[f.symbol] * abs(p0) + px * abs(q)) / abs(p1)
        pos[f.symbol] = p1
        if in_window:
            realized += gain
            commission += fee
    open_pos = {s: q for s, q in pos.items() if q != 0.0}
    unrealized: float | None = 0.0
    for sym, q in open_pos.items():
        found = _catalog_close(sym, catalog)
        if found is None:
            unrealized = None
            notes.append(f"{sym} has no catalog price: unrealised P&L not computed")
            break
        assert unrealized is not None
        unrealized += q * (found[0] - avg[sym])
    daily = _daily_pnl(fills, start_ns, end_ns, catalog, notes)
    bench = None
    if include_benchmark:
        from neural_trader.services.strategy_eval import run_benchmark_backtest

        first = pd.Timestamp(start_ns, unit="ns").date().isoformat()
        last = pd.Timestamp(end_ns, unit="ns").date().isoformat()
        try:
            b = run_benchmark_backtest(benchmark, start=first, end=last, catalog=catalog)
        except NeuralTraderError as exc:
            b = None
            notes.append(f"benchmark {benchmark}: {exc.message}")
        if b is None:
            notes.append(f"benchmark {benchmark} is not in the catalog")
        else:
            bench = b.model_dump()
    return StrategyPerformance(
        strategy=strategy,
        broker=name,
        period_days=period_days,
        window_start=pd.Timestamp(start_ns, unit="ns", tz="UTC").isoformat(),
        window_end=pd.Timestamp(end_ns, unit="ns", tz="UTC").isoformat(),
        orders=sum(1 for o in orders.values() if o.ts_created >= start_ns),
        fills=sum(1 for f in fills if f.ts_event >= start_ns),
        round_trip_closes=closes,
        win_rate=wins / closes if closes else None,
        realized_pnl=realized,
        commission=commission,
        open_positions=open_pos,
        unrealized_pnl=unrealized,
        daily_pnl_days=None if daily is None else int(daily.size),
        total_pnl=None if daily is None else float(daily.sum()),
        sharpe=None if daily is None else _pnl_sharpe(daily),
        max_drawdown=None if daily is None else _pnl_drawdown(daily),
        benchmark=bench,
        notes=notes,
    )


def _pnl_sharpe(pnl: np.ndarray) -> float | None:
    import numpy as np

    if pnl.size < 2:
        return None
    sd = float(np.std(pnl, ddof=1))
    return float(pnl.mean() / sd * math.sqrt(252.0)) if sd > 0 else None


def _pnl_drawdown(pnl: np.ndarray) -> float:
    import numpy as np

    cum = np.concatenate(([0.0], np.cumsum(pnl)))
    return float(np.min(cum - np.maximum.accumulate(cum)))


def _daily_pnl(
    fills: Sequence[Any], start_ns: int, end_ns: int, catalog: CatalogLike, notes: list[str]
) -> np.ndarray | None:
    """Daily mark-to-market P&L in the window: equity = cash flows + positions x close."""
    import numpy as np
    import pandas as pd

    from neural_trader.services.data import open_catalog
    from neural_trader.services.risk import DAILY

    cat = open_catalog(catalog)
    symbols = sorted({f.symbol for f in fills})
    closes = {}
    for sym in symbols:
        if sym not in cat.symbols() or DAILY not in cat.specs(sym):
            notes.append(
                f"{sym} has no daily bars in the catalog: no daily P&L, Sharpe or drawdown"
            )
            return None
        frame = cat.read_bars(sym, DAILY, end=end_ns + NS_PER_DAY)
        closes[sym] = pd.Series(
            frame["close"].to_numpy(dtype=np.float64),
            index=pd.to_datetime(frame["ts_event"].to_numpy(), unit="ns").normalize(),
        )
    px = pd.concat(closes, axis=1).sort_index().ffill()
    rows = pd.DataFrame(
        {
            "date": pd.to_datetime([f.ts_event for f in fills], unit="ns").normalize(),
            "symbol": [f.symbol for f in fills],
            "qty": [float(f.quantity) * f.side.sign for f in fills],
            "cash": [
                -float(f.quantity) * f.side.sign * float(f.price) - float(f.commission)
                for f in fills
            ],
        }
    )
    dates = px.index
    qty = rows.pivot_table(index="date", columns="symbol", values="qty", aggfunc="sum")
    qty = qty.reindex(columns=symbols, fill_value=0.0).fillna(0.0).cumsum()
    cash = rows.groupby("date")["cash"].sum().cumsum()
    pos = qty.reindex(dates.union(qty.index)).ffill().fillna(0.0).reindex(dates)
    cash_d = cash.reindex(dates.union(cash.index)).ffill().fillna(0.0).reindex(dates)
    equity = cash_d + (pos * px[symbols]).sum(axis=1)
    lo = pd.Timestamp(start_ns, unit="ns").normalize()
    hi = pd.Timestamp(end_ns, unit="ns").normalize()
    diff = equity.diff().fillna(equity)
    window = diff[(diff.index > lo) & (diff.index <= hi)]
    return np.asarray(window.to_numpy(), dtype=np.float64) if len(window) else None


# -- simulated trade (a priced dry run with the strategy's view) --------------------------------


class StrategySignal(BaseModel):
    target: float = Field(description="the strategy's target exposure at the last bar, -1..1")
    time: str
    stance: Literal["long", "short", "flat"]
    agrees: bool = Field(description="whether the requested action moves toward the target")


class SimulatedTrade(BaseModel):
    strategy: str
    symbol: str
    action: Side
    quantity: float
    quantity_source: str
    signal: StrategySignal | None
    preview: OrderPreview
    notes: list[str]


def strategy_signal(
    strategy: str, symbol: str, action: Side, *, catalog: CatalogLike = None
) -> StrategySignal:
    """The strategy's target at ``symbol``'s last catalog bar (default parameters)."""
    import numpy as np

    from neural_trader.services.formatting import ns_to_label
    from neural_trader.services.research import load_bars
    from neural_trader.strategies import StrategyData, create_strategy

    strat = create_strategy(strategy)
    if any(not r.optional for r in strat.requires):
        raise InvalidArgumentError(f"{strategy} needs inputs beyond {symbol}'s bars")
    name, spec, frame = load_bars(symbol=symbol, data_file=None, catalog=catalog)
    targets = np.asarray(strat.signals(StrategyData.from_frame(frame, name)), dtype=np.float64)
    finite = np.flatnonzero(np.isfinite(targets))
    target = float(targets[finite[-1]]) if finite.size else 0.0
    ts = int(frame["ts_event"].iloc[-1])
    stance: Literal["long", "short", "flat"] = (
        "long" if target > 0 else "short" if target < 0 else "flat"
    )
    return StrategySignal(
        target=target,
        time=ns_to_label(ts, daily=spec.endswith(("d", "w"))),
        stance=stance,
        agrees=(action == "buy" and target > 0) or (action == "sell" and target <= 0),
    )


def simulate_trade(
    strategy: str,
    symbol: str,
    action: Side,
    *,
    quantity: float | None = None,
    settings: Settings | None = None,
    catalog: CatalogLike = None,
) -> SimulatedTrade:
    """Price and risk-check an order without sending it, next to the strategy's own view.

    Without ``quantity``: a buy takes as many whole units as the account's cash pays for at
    the estimated price and fee (the ``all_in`` sizer's rule); a sell closes the position.
    """
    settings = settings or load_settings()
    notes: list[str] = []
    signal = None
    try:
        signal = strategy_signal(strategy, symbol, action, catalog=catalog)
    except NeuralTraderError as exc:
        notes.append(f"no strategy signal: {exc.message}")
    with _session(settings, refuse_running=None) as s:
        source = "given"
        if quantity is None:
            if action == "buy":
                ref, _ = _reference(s, symbol, catalog)
                if ref is None:
                    raise InvalidArgumentError(f"{symbol} has no price to size a buy with")
                acct = asyncio.run(s.broker.account())
                unit = ref * (1 + s.slippage) * (1 + s.fee_rate)
                quantity = float(math.floor((float(acct.cash) - s.fixed_fee) / unit))
                source = f"all the cash ({float(acct.cash):,.2f}) at the estimated price and fee"
            else:
                quantity = float(s.oms.positions.get(symbol, 0.0))
                source = "the whole position"
            if quantity <= 0:
                raise InvalidArgumentError(
                    f"nothing to {action}: "
                    + ("the cash buys no whole unit" if action == "buy" else f"no {symbol} held")
                    + "; pass quantity"
                )
        intent = OrderIntent(symbol=symbol, side=action, quantity=quantity)
        preview = _preview(s, intent, _request(intent, strategy), catalog)
    notes.append("simulated: priced and risk-checked, nothing was sent or journaled")
    return SimulatedTrade(
        strategy=strategy,
        symbol=symbol,
        action=action,
        quantity=quantity,
        quantity_source=source,
        signal=signal,
        preview=preview,
        notes=notes,
    )


# -- strategy health -----------------------------------------------------------------------------


class HealthCheck(BaseModel):
    """One rule of :func:`strategy_health`: what was measured, the threshold, the penalty."""

    name: str
    value: float | str | None
    threshold: str
    penalty: int
    passed: bool
    detail: str


class StrategyHealth(BaseModel):
    strategy: str
    broker: str
    period_days: int
    health_score: int | None = Field(
        description="100 minus the penalties of the failed checks (floor 0); null when the "
        "journal holds no order of the strategy (nothing to judge)"
    )
    checks: list[HealthCheck]
    issues: list[str]
    recommendations: list[str]
    performance: StrategyPerformance


# (name, penalty): the score is 100 minus the penalties of the checks that fail. The rules and
# their weights are ours and fixed (the original's score was a random number); every check
# reports the value it measured, so an agent can weigh them differently.
_HEALTH_RULES: dict[str, int] = {
    "kill_switch": 40,
    "unresolved_orders": 20,
    "rejection_rate": 20,
    "denial_rate": 15,
    "sharpe": 15,
    "total_pnl": 10,
    "win_rate": 10,
}
_RATE_LIMIT = 0.05
_MIN_CLOSES_FOR_WIN_RATE = 10


def strategy_health(
    strategy: str,
    *,
    period_days: int = 30,
    settings: Settings | None = None,
    catalog: CatalogLike = None,
) -> StrategyHealth:
    """Rule-based health of ``strategy`` on the trading account, from facts in the journal.

    Checks: the kill switch is off; none of its orders has an unanswered send; at most 5% of
    its orders that reached the broker were rejected and at most 5% of all were denied by our
    risk limits; over the window (see :func:`strategy_performance`) its daily P&L Sharpe is
    not negative, its mark-to-market P&L not negative, and with 10+ closing fills its win rate
    at least 30%. A check without data passes and says so.
    """
    from neural_trader.core.enums import OrderStatus
    from neural_trader.execution.oms import KILL_SWITCH_KEY
    from neural_trader.risk.killswitch import KillSwitch, TradingState
    from neural_trader.services import trading as tr
    from neural_trader.strategies import get_strategy

    get_strategy(strategy)  # an unknown name is an error that lists the known ones
    settings = settings or load_settings()
    perf = strategy_performance(
        strategy, period_days=period_days, include_benchmark=False, settings=settings,
        catalog=catalog,
    )  # fmt: skip
    name = trading_broker(settings)
    with tr.open_journal(settings, name) as journal:
        orders = [o for o in journal.orders() if o.strategy == strategy]
        unresolved = [o for o in journal.unresolved() if o.strategy == strategy]
        stored = journal.get_state(KILL_SWITCH_KEY)
    ks = KillSwitch.active() if stored is None else KillSwitch.from_dict(stored)
    denied = sum(o.status is OrderStatus.DENIED for o in orders)
    sent = [o for o in orders if o.status is not OrderStatus.DENIED]
    rejected = sum(o.status is OrderStatus.REJECTED for o in sent)
    rej_rate = rejected / len(sent) if sent else None
    den_rate = denied / len(orders) if orders else None

    checks: list[HealthCheck] = []

    def check(key: str, value: float | str | None, threshold: str, ok: bool, detail: str) -> None:
        checks.append(
            HealthCheck(
                name=key, value=value, threshold=threshold,
                penalty=0 if ok else _HEALTH_RULES[key], passed=ok, detail=detail,
            )
        )  # fmt: skip

    halted = ks.state is TradingState.HALTED
    check("kill_switch", ks.state.value, "not HALTED", not halted,
          f"tripped by {ks.tripped_by}: {ks.reason}" if halted else "trading allowed")  # fmt: skip
    check("unresolved_orders", len(unresolved), "0", not unresolved,
          "orders whose send outcome is unknown: run `neural-trader reconcile`"
          if unresolved else "every send answered")  # fmt: skip
    check("rejection_rate", rej_rate, f"<= {_RATE_LIMIT:.0%}",
          rej_rate is None or rej_rate <= _RATE_LIMIT,
          f"{rejected} of {len(sent)} sent orders rejected by the broker")  # fmt: skip
    check("denial_rate", den_rate, f"<= {_RATE_LIMIT:.0%}",
          den_rate is None or den_rate <= _RATE_LIMIT,
          f"{denied} of {len(orders)} orders denied by the risk limits")  # fmt: skip
    check("sharpe", perf.sharpe, ">= 0", perf.sharpe is None or perf.sharpe >= 0.0,
          "annualised Sharpe of the daily P&L" if perf.sharpe is not None
          else "no daily P&L (needs fills and catalog closes)")  # fmt: skip
    check("total_pnl", perf.total_pnl, ">= 0", perf.total_pnl is None or perf.total_pnl >= 0.0,
          "mark-to-market P&L over the window")  # fmt: skip
    enough = perf.win_rate is not None and perf.round_trip_closes >= _MIN_CLOSES_FOR_WIN_RATE
    check("win_rate", perf.win_rate, f">= 30% over {_MIN_CLOSES_FOR_WIN_RATE}+ closes",
          not enough or (perf.win_rate or 0.0) >= 0.3,
          f"{perf.round_trip_closes} closing fills")  # fmt: skip

    advice = {
        "kill_switch": "find why it tripped; `neural-trader resume` once fixed",
        "unresolved_orders": "reconcile with the broker before trading on",
        "rejection_rate": "read the rejection reasons (`neural-trader orders --json`)",
        "denial_rate": "orders exceed the risk limits: resize the strategy or review the limits",
        "sharpe": "the strategy loses on a risk-adjusted basis: re-check it out of sample",
        "total_pnl": "losing over the window: compare with its backtest on the same dates",
        "win_rate": "few winning closes: review exits and costs",
    }
    failed = [c for c in checks if not c.passed]
    score = None if not orders else max(0, 100 - sum(c.penalty for c in failed))
    issues = [f"{c.name}: {c.value} (want {c.threshold}); {c.detail}" for c in failed]
    if not orders:
        issues.append(f"no orders of {strategy} in the {name} journal: nothing to judge")
    return StrategyHealth(
        strategy=strategy,
        broker=name,
        period_days=period_days,
        health_score=score,
        checks=checks,
        issues=issues,
        recommendations=[advice[c.name] for c in failed],
        performance=perf,
    )
