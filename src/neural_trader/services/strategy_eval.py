"""Strategies side by side: benchmarks, comparisons, recommendations, timings.

Agents ask "which strategy, and is it better than holding the index?". Every answer here is a
backtest through :func:`neural_trader.services.research.run_backtest` on the catalog's bars,
so each number equals what ``neural-trader backtest`` prints for the same inputs:

* a **benchmark** is the ``buy_and_hold`` strategy on the benchmark symbol, same range, cash
  and costs (``sp500``/``nasdaq`` name the sample's ``SPX``/``IXIC`` or a common ticker);
* a **comparison** backtests each strategy and ranks them per metric;
* a **recommendation** ranks the single-symbol strategies by the original neural-trader's
  score ``w x Sharpe + (1 - w) x (1 - |max drawdown|)`` on *these* backtests (the original
  fed it invented numbers), ``w`` set by the risk tolerance;
* a **system benchmark** times the strategy's backtest on this machine.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from pydantic import BaseModel, Field

from neural_trader.core.errors import (
    CatalogError,
    InvalidArgumentError,
    NeuralTraderError,
    UnknownSymbolError,
)

if TYPE_CHECKING:
    from neural_trader.data.catalog import Catalog

__all__ = [
    "BENCHMARK_ALIASES",
    "BacktestVsBenchmark",
    "BenchmarkResult",
    "ComparisonReport",
    "PerformanceBenchmark",
    "Recommendation",
    "SystemBenchmark",
    "backtest_vs_benchmark",
    "benchmark_performance",
    "compare_strategies",
    "recent_range",
    "recommend_strategy",
    "resolve_benchmark",
    "run_benchmark_backtest",
    "single_symbol_strategies",
    "time_backtest",
    "trains_models",
]

CatalogLike: TypeAlias = "Catalog | str | Path | None"
RiskTolerance = Literal["low", "moderate", "high"]

BENCHMARK_ALIASES: dict[str, tuple[str, ...]] = {
    "sp500": ("SPX", "^GSPC", "GSPC", "SPY"),
    "s&p500": ("SPX", "^GSPC", "GSPC", "SPY"),
    "nasdaq": ("IXIC", "^IXIC", "QQQ"),
}
"""Benchmark names agents use, and the catalog symbols tried for each, in order."""

SHARPE_WEIGHT: dict[str, float] = {"low": 0.3, "moderate": 0.5, "high": 0.7}
"""The original's weight of the Sharpe term by risk tolerance (the rest weighs drawdown)."""

HIGHER_IS_BETTER = frozenset(
    {
        "sharpe",
        "sortino",
        "calmar",
        "omega",
        "total_return",
        "cagr",
        "max_drawdown",  # negative: the least negative is best
        "win_rate",
        "profit_factor",
        "expectancy",
        "payoff_ratio",
        "stability",
    }
)
LOWER_IS_BETTER = frozenset({"annual_volatility", "var", "cvar", "max_drawdown_duration"})


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def single_symbol_strategies(*, include_neural: bool = False) -> list[str]:
    """Registered strategies that trade one symbol without further inputs.

    ``include_neural=False`` leaves out the forecast-driven strategies: without a registered
    model they train forecasters walk-forward inside each backtest (tens of seconds each).
    """
    from neural_trader.strategies import get_strategy, strategy_names

    out = []
    for name in strategy_names():
        cls = get_strategy(name)
        if any(not r.optional for r in cls.requires):
            continue
        if not include_neural and trains_models(cls):
            continue
        out.append(name)
    return out


def trains_models(cls: type[Any]) -> bool:
    """Whether a strategy class forecasts with a neural model (and may train one)."""
    try:
        from neural_trader.strategies.builtin.neural_common import NeuralStrategy
    except ImportError:
        return False
    return issubclass(cls, NeuralStrategy)


def recent_range(symbol: str, days: int, *, catalog: CatalogLike = None) -> tuple[str, str]:
    """``(start, end)`` dates covering the last ``days`` calendar days of ``symbol``'s bars."""
    import pandas as pd

    from neural_trader.services.data import open_catalog

    if days < 1:
        raise InvalidArgumentError(f"days must be >= 1, got {days}")
    cat = open_catalog(catalog)
    entries = [e for e in cat.entries() if e.symbol == symbol]
    if not entries:
        raise UnknownSymbolError(symbol, known=cat.symbols())
    last = pd.Timestamp(max(e.end_ns for e in entries), unit="ns")
    first = last - pd.Timedelta(days=days)
    return first.date().isoformat(), last.date().isoformat()


# -- benchmarks ---------------------------------------------------------------------------------


class BenchmarkResult(BaseModel):
    name: str
    symbol: str
    total_return: float | None
    cagr: float | None
    sharpe: float | None
    max_drawdown: float | None
    first: str
    last: str


def resolve_benchmark(name: str, *, catalog: CatalogLike = None) -> str | None:
    """The catalog symbol a benchmark name stands for; None when the catalog holds none."""
    from neural_trader.services.data import open_catalog

    known = set(open_catalog(catalog).symbols())
    for candidate in (*BENCHMARK_ALIASES.get(name.lower(), ()), name, name.upper()):
        if candidate in known:
            return candidate
    return None


def run_benchmark_backtest(
    name: str,
    *,
    start: str | None = None,
    end: str | None = None,
    cash: float = 10_000.0,
    fees: float = 0.001,
    catalog: CatalogLike = None,
) -> BenchmarkResult | None:
    """Buy-and-hold of the benchmark over ``start..end``; None when it is not in the catalog."""
    from neural_trader.services.research import run_backtest

    symbol = resolve_benchmark(name, catalog=catalog)
    if symbol is None:
        return None
    r = run_backtest(
        "buy_and_hold", symbol=symbol, start=start, end=end, cash=cash, fees=fees, catalog=catalog
    )
    return BenchmarkResult(
        name=name,
        symbol=symbol,
        total_return=r.total_return,
        cagr=r.cagr,
        sharpe=r.sharpe,
        max_drawdown=r.max_drawdown,
        first=r.first,
        last=r.last,
    )


# -- comparison ---------------------------------------------------------------------------------


class ComparisonRow(BaseModel):
    strategy: str
    params: dict[str, Any]
    metrics: dict[str, float | None]
    risk_adjusted_return: float | None = Field(
        description="total return / |max drawdown| (None without a drawdown)"
    )


class Skipped(BaseModel):
    strategy: str
    reason: str


class ComparisonReport(BaseModel):
    symbol: str
    first: str | None
    last: str | None
    metrics: list[str]
    comparison: list[ComparisonRow]
    best_by_metric: dict[str, str | None]
    skipped: list[Skipped]
    settings: str


def _risk_adjusted(total: float | None, dd: float | None) -> float | None:
    if total is None or dd is None or dd == 0.0:
        return None
    return total / abs(dd)


def default_symbol(symbol: str | None, *, catalog: CatalogLike = None) -> str:
    """``symbol``, or the catalog's S&P 500 series when none is given.

    The original ``recommend_strategy`` / ``get_strategy_comparison`` took no symbol (they
    scored invented numbers); ours backtest, so they need one. Prompts written for the
    original still work: they get the broad-market benchmark, and the result names it.
    """
    if symbol:
        return symbol
    found = resolve_benchmark("sp500", catalog=catalog)
    if found is None:
        from neural_trader.services.data import open_catalog

        raise InvalidArgumentError(
            "symbol is required: strategies are ranked on a symbol's backtests, and the "
            "catalog holds no S&P 500 series to default to",
            hint=f"pass symbol=...; the catalog holds {', '.join(open_catalog(catalog).symbols())}",
        )
    return found


def compare_strategies(
    strategies: Sequence[str],
    *,
    symbol: str | None,
    metrics: Sequence[str] = ("sharpe", "total_return", "max_drawdown"),
    start: str | None = None,
    end: str | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    cash: float = 10_000.0,
    fees: float = 0.001,
    catalog: CatalogLike = None,
) -> ComparisonReport:
    """Backtest each strategy on ``symbol`` and name the best per metric.

    A strategy that cannot run here (unknown, needs another input, a missing extra) is listed
    in ``skipped`` with the engine's message rather than failing the whole comparison.
    """
    from neural_trader.services.research import run_backtest

    if not strategies:
        raise InvalidArgumentError("give at least one strategy to compare")
    symbol = default_symbol(symbol, catalog=catalog)
    rows: list[ComparisonRow] = []
    skipped: list[Skipped] = []
    first = last = None
    for name in dict.fromkeys(strategies):
        try:
            r = run_backtest(
                name,
                symbol=symbol,
                start=start,
                end=end,
                params=(params or {}).get(name),
                cash=cash,
                fees=fees,
                catalog=catalog,
            )
        except (UnknownSymbolError, CatalogError):
            raise  # the symbol is wrong for every strategy: not a per-strategy skip
        except NeuralTraderError as exc:
            skipped.append(Skipped(strategy=name, reason=exc.message))
            continue
        first, last = r.first, r.last
        values = {m: _num(r.metrics.get(m)) for m in metrics}
        rows.append(
            ComparisonRow(
                strategy=name,
                params=r.params,
                metrics=values,
                risk_adjusted_return=_risk_adjusted(r.total_return, r.max_drawdown),
            )
        )
    best: dict[str, str | None] = {}
    for m in [*metrics, "risk_adjusted_return"]:
        if m != "risk_adjusted_return" and m not in HIGHER_IS_BETTER | LOWER_IS_BETTER:
            continue
        scored = [
            (
                row.strategy,
                row.risk_adjusted_return if m == "risk_adjusted_return" else row.metrics[m],
            )
            for row in rows
        ]
        valid = [(s, v) for s, v in scored if v is not None]
        if not valid:
            best[m] = None
            continue
        pick = min if m in LOWER_IS_BETTER else max
        best[m] = pick(valid, key=lambda sv: sv[1])[0]
    return ComparisonReport(
        symbol=symbol,
        first=first,
        last=last,
        metrics=list(metrics),
        comparison=rows,
        best_by_metric=best,
        skipped=skipped,
        settings=f"vectorized engine, {cash:,.0f} cash, {fees:.2%} fee per side, next-open fills",
    )


# -- recommendation -----------------------------------------------------------------------------


class RankedStrategy(BaseModel):
    strategy: str
    score: float
    sharpe: float | None
    max_drawdown: float | None
    total_return: float | None


class Recommendation(BaseModel):
    symbol: str
    first: str | None
    last: str | None
    recommendation: str | None
    risk_tolerance: RiskTolerance
    sharpe_weight: float = Field(description="w in w x Sharpe + (1 - w) x (1 - |max drawdown|)")
    objectives: list[str]
    strategy_rankings: list[RankedStrategy]
    measured_conditions: dict[str, Any] = Field(
        description="trend and volatility of the symbol's last bars (market_snapshot)"
    )
    stated_conditions: dict[str, Any]
    skipped: list[Skipped]
    notes: list[str]


def recommend_strategy(
    symbol: str | None,
    *,
    risk_tolerance: RiskTolerance = "moderate",
    objectives: Sequence[str] = ("profit", "stability"),
    market_conditions: Mapping[str, Any] | None = None,
    start: str | None = None,
    end: str | None = None,
    cash: float = 10_000.0,
    fees: float = 0.001,
    catalog: CatalogLike = None,
) -> Recommendation:
    """Rank the single-symbol strategies on ``symbol`` (see the module doc).

    ``objectives``: ``profit`` keeps the Sharpe term, ``stability`` the drawdown term; with
    both (the default) the risk tolerance weighs them, with one that term alone counts.
    """
    from neural_trader.services.market import market_snapshot

    symbol = default_symbol(symbol, catalog=catalog)
    if risk_tolerance not in SHARPE_WEIGHT:
        raise InvalidArgumentError(
            f"risk_tolerance must be low, moderate or high: {risk_tolerance!r}"
        )
    wanted = {o.strip().lower() for o in objectives}
    unknown = wanted - {"profit", "stability"}
    if unknown:
        raise InvalidArgumentError(
            f"unknown objective(s) {', '.join(sorted(unknown))}; use profit and/or stability"
        )
    if not wanted:
        raise InvalidArgumentError("give at least one objective: profit and/or stability")
    w = SHARPE_WEIGHT[risk_tolerance]
    if wanted == {"profit"}:
        w = 1.0
    elif wanted == {"stability"}:
        w = 0.0
    report = compare_strategies(
        single_symbol_strategies(),
        symbol=symbol,
        metrics=("sharpe", "max_drawdown", "total_return"),
        start=start,
        end=end,
        cash=cash,
        fees=fees,
        catalog=catalog,
    )
    ranked: list[RankedStrategy] = []
    for row in report.comparison:
        sharpe, dd = row.metrics["sharpe"], row.metrics["max_drawdown"]
        if sharpe is None or dd is None:
            report.skipped.append(
                Skipped(strategy=row.strategy, reason="Sharpe undefined (no trades)")
            )
            continue
        ranked.append(
            RankedStrategy(
                strategy=row.strategy,
                score=w * sharpe + (1.0 - w) * (1.0 - abs(dd)),
                sharpe=sharpe,
                max_drawdown=dd,
                total_return=row.metrics["total_return"],
            )
        )
    ranked.sort(key=lambda r: r.score, reverse=True)
    snap = market_snapshot(symbol, end=end, catalog=catalog)
    measured = {"trend": snap.trend, "volatility": snap.volatility, "as_of": snap.time}
    notes = [
        "scores come from backtests of each strategy's default parameters over the range; "
        "past performance, not a forecast",
        "forecast-driven strategies are left out (each backtest trains models); compare them "
        "explicitly with get_strategy_comparison",
    ]
    stated = dict(market_conditions or {})
    said = str(stated.get("trend", "")).lower()
    if said in ("bullish", "up", "bearish", "down") and (
        ("up" if said in ("bullish", "up") else "down") != snap.trend
    ):
        notes.append(f"the stated trend ({said}) differs from the measured one ({snap.trend})")
    return Recommendation(
        symbol=symbol,
        first=report.first,
        last=report.last,
        recommendation=ranked[0].strategy if ranked else None,
        risk_tolerance=risk_tolerance,
        sharpe_weight=w,
        objectives=sorted(wanted),
        strategy_rankings=ranked,
        measured_conditions=measured,
        stated_conditions=stated,
        skipped=report.skipped,
        notes=notes,
    )


# -- run_benchmark ------------------------------------------------------------------------------


class BenchmarkRow(BaseModel):
    symbol: str
    strategy_return: float | None
    strategy_sharpe: float | None
    strategy_max_drawdown: float | None
    benchmark_return: float | None
    benchmark_sharpe: float | None
    benchmark_max_drawdown: float | None
    excess_return: float | None
    first: str
    last: str


class PerformanceBenchmark(BaseModel):
    strategy: str
    rows: list[BenchmarkRow]
    missing: list[str] = Field(description="benchmarks the catalog does not hold")
    settings: str


def benchmark_performance(
    strategy: str,
    *,
    benchmarks: Sequence[str] = ("sp500", "nasdaq"),
    start: str | None = None,
    end: str | None = None,
    cash: float = 10_000.0,
    fees: float = 0.001,
    catalog: CatalogLike = None,
) -> PerformanceBenchmark:
    """The strategy on each benchmark index against buy-and-hold of that index."""
    from neural_trader.services.research import run_backtest

    rows: list[BenchmarkRow] = []
    missing: list[str] = []
    for name in benchmarks:
        symbol = resolve_benchmark(name, catalog=catalog)
        if symbol is None:
            missing.append(name)
            continue
        s = run_backtest(
            strategy, symbol=symbol, start=start, end=end, cash=cash, fees=fees, catalog=catalog
        )
        b = run_benchmark_backtest(
            symbol, start=start, end=end, cash=cash, fees=fees, catalog=catalog
        )
        assert b is not None
        excess = (
            None
            if s.total_return is None or b.total_return is None
            else s.total_return - b.total_return
        )
        rows.append(
            BenchmarkRow(
                symbol=symbol,
                strategy_return=s.total_return,
                strategy_sharpe=s.sharpe,
                strategy_max_drawdown=s.max_drawdown,
                benchmark_return=b.total_return,
                benchmark_sharpe=b.sharpe,
                benchmark_max_drawdown=b.max_drawdown,
                excess_return=excess,
                first=s.first,
                last=s.last,
            )
        )
    if not rows:
        raise InvalidArgumentError(
            f"none of the benchmarks {', '.join(benchmarks)} is in the catalog",
            hint="import index data (neural-trader demo stores SPX and IXIC)",
        )
    return PerformanceBenchmark(
        strategy=strategy,
        rows=rows,
        missing=missing,
        settings=f"vectorized engine, {cash:,.0f} cash, {fees:.2%} fee per side; benchmark = "
        "buy_and_hold of the index with the same costs",
    )


class SystemBenchmark(BaseModel):
    strategy: str
    symbol: str
    bars: int
    runs: int
    first_run_seconds: float = Field(description="includes loading and any kernel compilation")
    median_seconds: float
    min_seconds: float
    bars_per_second: float
    device: str
    gpu_used: bool
    notes: list[str]


def time_backtest(
    strategy: str,
    *,
    symbol: str,
    runs: int = 5,
    catalog: CatalogLike = None,
) -> SystemBenchmark:
    """Wall time of the strategy's vectorized backtest on ``symbol`` (all its bars), measured
    here and now; the backtest engines run on the CPU (numba), so no GPU is involved."""
    from neural_trader.services.research import run_backtest

    if runs < 1 or runs > 50:
        raise InvalidArgumentError(f"runs must be in 1..50, got {runs}")
    t0 = time.perf_counter()
    r = run_backtest(strategy, symbol=symbol, catalog=catalog)
    first = time.perf_counter() - t0
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        run_backtest(strategy, symbol=symbol, catalog=catalog)
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    return SystemBenchmark(
        strategy=strategy,
        symbol=symbol,
        bars=r.bars,
        runs=runs,
        first_run_seconds=first,
        median_seconds=med,
        min_seconds=min(times),
        bars_per_second=r.bars / med if med > 0 else math.inf,
        device="cpu",
        gpu_used=False,
        notes=["each run loads the bars from the catalog and runs the vectorized engine"],
    )


@dataclass(frozen=True)
class BacktestVsBenchmark:
    """A backtest and, over the same dates, its benchmark's buy-and-hold."""

    backtest: Any
    """The :class:`~neural_trader.services.research.BacktestSummary`."""
    benchmark: BenchmarkResult | None
    excess_return: float | None
    notes: list[str]


def backtest_vs_benchmark(
    strategy: str,
    *,
    symbol: str,
    start: str | None = None,
    end: str | None = None,
    benchmark: str | None = "sp500",
    params: Mapping[str, Any] | None = None,
    cash: float = 10_000.0,
    fees: float = 0.001,
    engine: Literal["vector", "event"] = "vector",
    catalog: CatalogLike = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> BacktestVsBenchmark:
    """``run_backtest`` plus the benchmark over the backtest's own first..last bar dates.

    ``on_chunk(done, total)``: the event engine's per-chunk progress and cancel point, also
    called once between the backtest and the benchmark (``done == total``).
    """
    from neural_trader.services.research import run_backtest

    bt = run_backtest(
        strategy,
        symbol=symbol,
        start=start,
        end=end,
        params=params,
        cash=cash,
        fees=fees,
        engine=engine,
        catalog=catalog,
        on_chunk=on_chunk,
    )
    if on_chunk is not None:
        on_chunk(bt.bars, bt.bars)
    notes: list[str] = []
    bench = None
    if benchmark and benchmark.lower() != "none":
        bench = run_benchmark_backtest(
            benchmark, start=bt.first[:10], end=bt.last[:10], cash=cash, fees=fees, catalog=catalog
        )
        if bench is None:
            notes.append(
                f"benchmark {benchmark!r} is not in the catalog (tried "
                f"{', '.join(BENCHMARK_ALIASES.get(benchmark.lower(), (benchmark,)))}); "
                "no comparison"
            )
    excess = None
    if bench is not None and bt.total_return is not None and bench.total_return is not None:
        excess = bt.total_return - bench.total_return
    return BacktestVsBenchmark(backtest=bt, benchmark=bench, excess_return=excess, notes=notes)
