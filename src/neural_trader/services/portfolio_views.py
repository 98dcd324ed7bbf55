"""Portfolios as agents describe them, and the summaries they ask of correlations and targets.

Agents pass a portfolio as a list of ``{symbol, quantity | value, entry_price}`` and targets as
``{symbol: weight}``; the risk services take ``SYM:QTY`` books and the catalog's prices. These
functions translate (a ``value`` becomes a quantity at the last catalog close) and summarise
the risk services' results the way the original neural-trader tools reported them, with the
numbers computed here rather than invented:

* correlation summaries: mean/median/min/max of the off-diagonal correlations, the pairs
  above a threshold with Fisher-z confidence intervals, ``diversification_score = 1 - mean
  correlation`` and the effective number of assets under equal correlation
  ``n / (1 + (n - 1) mean)``;
* rebalancing: the trades from the current book (given, or the trading account's) to the
  targets through :func:`neural_trader.risk.rebalance.rebalance_plan`, with each symbol's
  weight deviation and the tracking error ``sqrt(sum (target - current)^2)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from pydantic import BaseModel, Field

from neural_trader.core.errors import InvalidArgumentError

if TYPE_CHECKING:
    from neural_trader.config import Settings
    from neural_trader.data.catalog import Catalog

__all__ = [
    "CorrelationSummary",
    "PortfolioRisk",
    "RebalanceView",
    "correlation_summary",
    "portfolio_risk",
    "positions_text",
    "rebalance_targets",
]

CatalogLike: TypeAlias = "Catalog | str | Path | None"
_FORBIDDEN = set(":,@")


def _symbol(text: Any) -> str:
    sym = str(text).strip()
    if not sym or any(ch.isspace() or ch in _FORBIDDEN for ch in sym):
        raise InvalidArgumentError(f"symbol {text!r} is not valid (no spaces, ':', ',' or '@')")
    return sym


def positions_text(
    items: Sequence[Mapping[str, Any]], *, catalog: CatalogLike = None
) -> tuple[str, dict[str, float]]:
    """``[{symbol, quantity | value, entry_price}]`` -> (``"SYM:QTY,..."``, entry prices).

    A ``value`` (market value) becomes ``value / last close``; ``entry_price`` is kept for
    P&L only: risk is measured at today's price, not at the entry.
    """
    from neural_trader.services.risk import _last_closes

    if not items:
        raise InvalidArgumentError("the portfolio is empty; give at least one position")
    parts: list[str] = []
    entries: dict[str, float] = {}
    need_price: list[str] = []
    rows: list[tuple[str, float | None, float | None]] = []
    for item in items:
        sym = _symbol(item.get("symbol", ""))
        qty, value = item.get("quantity"), item.get("value")
        if (qty is None) == (value is None):
            raise InvalidArgumentError(f"position {sym}: give exactly one of quantity or value")
        if item.get("entry_price") is not None:
            entries[sym] = float(item["entry_price"])
        if value is not None:
            need_price.append(sym)
        rows.append(
            (sym, None if qty is None else float(qty), None if value is None else float(value))
        )
    closes: dict[str, float] = {}
    if need_price:
        from neural_trader.services.data import open_catalog

        closes = _last_closes(open_catalog(catalog), need_price, None)
    for sym, qty, value in rows:
        q = qty if qty is not None else (value or 0.0) / closes[sym]
        if not math.isfinite(q) or q == 0.0:
            raise InvalidArgumentError(f"position {sym}: quantity must be non-zero, got {q}")
        parts.append(f"{sym}:{q!r}")
    return ",".join(parts), entries


class PairCorrelation(BaseModel):
    pair: tuple[str, str]
    correlation: float
    ci_low: float | None = Field(description="95% Fisher-z interval (pearson only)")
    ci_high: float | None


class CorrelationSummary(BaseModel):
    method: str
    symbols: list[str]
    observations: int
    first: str
    last: str
    correlation_matrix: dict[str, dict[str, float]]
    mean_correlation: float
    median_correlation: float
    min_correlation: float
    max_correlation: float
    high_correlations: list[PairCorrelation] = Field(
        description="pairs with |correlation| above the threshold"
    )
    threshold: float
    diversification_score: float = Field(description="1 - mean off-diagonal correlation")
    effective_assets: float = Field(
        description="n / (1 + (n - 1) x mean correlation): independent assets under equal "
        "correlation"
    )
    effective_rank: float
    clusters: list[dict[str, Any]]


def correlation_summary(
    symbols: Sequence[str],
    *,
    lookback: int | None = 90,
    threshold: float = 0.7,
    method: str = "pearson",
    confidence_intervals: bool = True,
    catalog: CatalogLike = None,
) -> CorrelationSummary:
    """Correlations of the symbols' last ``lookback`` daily returns, summarised."""
    import numpy as np

    from neural_trader.services.risk import correlation_report

    if not 0.0 < threshold < 1.0:
        raise InvalidArgumentError(f"threshold must be in (0, 1), got {threshold}")
    rep = correlation_report(
        symbols=[_symbol(s) for s in symbols],
        method=method,  # type: ignore[arg-type]
        threshold=threshold,
        lookback=lookback,
        catalog=catalog,
    )
    m = np.asarray(rep.matrix, dtype=np.float64)
    n = len(rep.symbols)
    iu = np.triu_indices(n, k=1)
    off = m[iu]
    mean = float(off.mean())
    z95 = 1.959963984540054
    pairs: list[PairCorrelation] = []
    for i, j in zip(*iu, strict=True):
        r = float(m[i, j])
        if abs(r) <= threshold:
            continue
        lo = hi = None
        if confidence_intervals and method == "pearson" and rep.observations > 3 and abs(r) < 1:
            se = 1.0 / math.sqrt(rep.observations - 3)
            lo, hi = math.tanh(math.atanh(r) - z95 * se), math.tanh(math.atanh(r) + z95 * se)
        pairs.append(
            PairCorrelation(
                pair=(rep.symbols[int(i)], rep.symbols[int(j)]),
                correlation=r,
                ci_low=lo,
                ci_high=hi,
            )
        )
    pairs.sort(key=lambda p: -abs(p.correlation))
    return CorrelationSummary(
        method=rep.method,
        symbols=rep.symbols,
        observations=rep.observations,
        first=rep.first,
        last=rep.last,
        correlation_matrix={
            a: {b: float(m[i, j]) for j, b in enumerate(rep.symbols)}
            for i, a in enumerate(rep.symbols)
        },
        mean_correlation=mean,
        median_correlation=float(np.median(off)),
        min_correlation=float(off.min()),
        max_correlation=float(off.max()),
        high_correlations=pairs,
        threshold=threshold,
        diversification_score=1.0 - mean,
        effective_assets=n / (1.0 + (n - 1) * mean) if 1.0 + (n - 1) * mean > 0 else math.inf,
        effective_rank=rep.effective_rank,
        clusters=[c.model_dump() for c in rep.clusters],
    )


class RequiredTrade(BaseModel):
    symbol: str
    action: str
    quantity: float
    price: float
    value: float
    current_weight: float
    target_weight: float
    deviation: float = Field(description="target weight - current weight")


class RebalanceView(BaseModel):
    source: str = Field(description="where the current book came from")
    value: float = Field(description="book value (positions + cash) before the trades")
    cash_before: float
    cash_after: float
    threshold: float
    required_trades: list[RequiredTrade]
    held_within_band: list[str]
    deviations: dict[str, float]
    tracking_error: float = Field(description="sqrt(sum over symbols of (target - current)^2)")
    final_weights: dict[str, float]
    turnover: float
    total_cost: float
    notes: list[str]


def rebalance_targets(
    targets: Mapping[str, float],
    *,
    current: Mapping[str, float] | None = None,
    cash: float | None = None,
    threshold: float = 0.05,
    cost_rate: float = 0.0,
    settings: Settings | None = None,
    catalog: CatalogLike = None,
) -> RebalanceView:
    """Trades from the current book to ``targets`` (weights of the book's value).

    ``current`` (``{symbol: quantity}``) and ``cash`` describe the book; without ``current``
    the trading account's positions and cash are used. Prices are the last catalog closes.
    """
    from neural_trader.risk.rebalance import rebalance_plan
    from neural_trader.services.data import open_catalog
    from neural_trader.services.risk import _last_closes

    if not targets:
        raise InvalidArgumentError("target_allocations is empty")
    tw = {_symbol(k): float(v) for k, v in targets.items()}
    notes: list[str] = []
    if current is None:
        from neural_trader.services.orders import portfolio_status

        status = portfolio_status(include_analytics=False, settings=settings, catalog=catalog)
        book = {p.symbol: p.quantity for p in status.positions}
        start_cash = status.cash if cash is None else float(cash)
        source = f"the {status.broker} trading account"
    else:
        book = {_symbol(k): float(v) for k, v in current.items() if float(v) != 0.0}
        start_cash = 0.0 if cash is None else float(cash)
        source = "current_portfolio"
        if cash is None:
            notes.append("no cash given: the book is the positions alone")
    cat = open_catalog(catalog)
    known = set(cat.symbols())
    wanted = list(dict.fromkeys([*book, *tw]))
    missing = [s for s in wanted if s not in known]
    if missing:
        from neural_trader.core.errors import UnknownSymbolError

        raise UnknownSymbolError(missing[0], known=sorted(known))
    prices = _last_closes(cat, wanted, None)
    plan = rebalance_plan(
        book, prices, tw, cash=start_cash, threshold=threshold, cost_rate=cost_rate
    )
    value = plan.value_before
    current_w = {s: book.get(s, 0.0) * prices[s] / value if value else 0.0 for s in wanted}
    deviations = {s: tw.get(s, 0.0) - current_w[s] for s in wanted}
    notes.extend(plan.notes)
    notes.append("prices are the last catalog closes")
    return RebalanceView(
        source=source,
        value=value,
        cash_before=plan.cash_before,
        cash_after=plan.cash_after,
        threshold=threshold,
        required_trades=[
            RequiredTrade(
                symbol=t.symbol,
                action=t.side,
                quantity=t.quantity,
                price=t.price,
                value=t.value,
                current_weight=t.current_weight,
                target_weight=t.target_weight,
                deviation=t.target_weight - t.current_weight,
            )
            for t in plan.trades
        ],
        held_within_band=list(plan.held_within_band),
        deviations=deviations,
        tracking_error=math.sqrt(sum(d * d for d in deviations.values())),
        final_weights=plan.final_weights,
        turnover=plan.turnover,
        total_cost=plan.total_cost,
        notes=notes,
    )


@dataclass(frozen=True)
class PortfolioRisk:
    """A VaR report of an agent's portfolio, with what the original tool also reported."""

    var: Any
    """The :class:`~neural_trader.services.risk.VarReport`."""
    entry_prices: dict[str, float]
    unrealized_pnl: dict[str, float]
    correlations: dict[str, dict[str, float]] | None
    gpu_used: bool
    device: str
    notes: list[str]


def portfolio_risk(
    items: Sequence[Mapping[str, Any]],
    *,
    confidence: float = 0.95,
    horizon: int = 1,
    monte_carlo: bool = True,
    use_gpu: bool = False,
    paths: int = 100_000,
    seed: int = 42,
    lookback: int | None = 500,
    catalog: CatalogLike = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> PortfolioRisk:
    """VaR/CVaR of ``items`` (Monte Carlo GBM or historical) at today's prices, the position
    P&L against the entry prices given, and the assets' correlation matrix.

    ``on_progress(paths done, paths)``: Monte Carlo only, per simulated chunk (a cancel raised
    from it stops the simulation)."""
    from neural_trader.services.risk import portfolio_var_report
    from neural_trader.services.simulation import cuda_available

    text, entries = positions_text(items, catalog=catalog)
    notes: list[str] = []
    backend: Literal["numpy", "torch"] = "numpy"
    if monte_carlo and use_gpu:
        if cuda_available():
            backend = "torch"
        else:
            notes.append("use_gpu: no CUDA GPU is available here; simulated on the CPU (numpy)")
    elif use_gpu:
        notes.append("use_gpu: the historical method has no GPU path; computed on the CPU")
    rep = portfolio_var_report(
        positions=text,
        method="monte_carlo" if monte_carlo else "historical",
        confidence=confidence,
        horizon=horizon,
        paths=paths,
        seed=seed,
        backend=backend,
        lookback=lookback,
        catalog=catalog,
        on_progress=on_progress,
    )
    pnl = {
        p.symbol: p.quantity * (p.price - entries[p.symbol])
        for p in rep.positions
        if p.symbol in entries
    }
    corr = None
    if len(rep.positions) > 1:
        summary = correlation_summary(
            [p.symbol for p in rep.positions], lookback=lookback, catalog=catalog
        )
        corr = summary.correlation_matrix
    device = str(rep.details.get("device", "cpu"))
    return PortfolioRisk(
        var=rep,
        entry_prices=entries,
        unrealized_pnl=pnl,
        correlations=corr,
        gpu_used=device.startswith("cuda"),
        device=device,
        notes=notes,
    )
