"""Core tools: ping, strategies, market analysis, backtests, optimisation, comparisons.

Names and parameter names are the original neural-trader's (``original-surface.md`` 1.1, 1.3
and the Rust-only tools of 1.11). Extra optional parameters (``params``, ``cash``, ``engine``
...) expose what the engine can do; none changes what an original call means.

GPU: the backtest and optimisation engines run on the CPU (numba kernels). ``use_gpu`` is
accepted so existing prompts work, and every result says ``gpu_used: false``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field

from neural_trader.fronts.mcp.models import (
    BacktestOut,
    BacktestResults,
    BenchmarkComparison,
    Costs,
    DateArg,
    OptimizeOut,
    Ping,
    Processing,
    RangeArg,
    StrategiesOut,
    StrategyArg,
    StrategyDetail,
    SymbolArg,
    UseGpuArg,
    date_str,
    refuse_values,
)
from neural_trader.fronts.mcp.models import processing as ran_on
from neural_trader.fronts.mcp.runtime import Progress, ToolSet, run_engine, run_light
from neural_trader.services.market import MarketSnapshot, MarketStatus
from neural_trader.services.orders import StrategyHealth, StrategyPerformance
from neural_trader.services.research_views import ParamSpec, StrategyInfo
from neural_trader.services.runners import AdaptiveSelection
from neural_trader.services.strategy_eval import (
    ComparisonReport,
    PerformanceBenchmark,
    Recommendation,
    SystemBenchmark,
)

if TYPE_CHECKING:
    from neural_trader.services.strategy_eval import BacktestVsBenchmark

__all__ = ["register"]

CPU_NOTE = "the backtest and optimisation engines run on the CPU (numba); no GPU path exists"

BenchmarkArg = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        description="benchmark: sp500, nasdaq, a catalog symbol, or 'none'; its buy-and-hold "
        "over the same dates and costs is the comparison",
    ),
]
ParamsArg = Annotated[
    dict[str, Any] | None,
    Field(description="strategy parameters (get_strategy_info); omitted ones keep defaults"),
]
CashArg = Annotated[float, Field(gt=0, le=1e12, description="starting cash")]
FeeArg = Annotated[
    float, Field(ge=0, lt=0.1, description="fee rate per side when costs are included")
]
MetricName = Literal[
    "sharpe_ratio",
    "sharpe",
    "sortino",
    "total_return",
    "cagr",
    "calmar",
    "max_drawdown",
    "profit_factor",
    "win_rate",
]
_METRIC = {"sharpe_ratio": "sharpe"}

RangesArg = Annotated[
    dict[str, RangeArg],
    Field(
        min_length=1,
        description="per parameter {min, max[, step]} or {values: [...]}; an integer "
        "parameter steps by its declared step when no step is given",
    ),
]


class QuickAnalysisOut(BaseModel):
    symbol: str
    analysis: MarketSnapshot
    processing: Processing


class PerformanceOut(StrategyPerformance):
    processing: Processing


BenchmarkType = Literal["performance", "system", "throughput", "latency"]
_SYSTEM_ALIASES = {
    "throughput": "throughput is the system benchmark's bars_per_second (bars backtested per "
    "second of wall time on this machine)",
    "latency": "latency is the system benchmark's median_seconds (wall time of one backtest "
    "on this machine; first_run_seconds includes loading)",
}
"""run_benchmark: the original v2's benchmark types that are measurements of the system
benchmark (its v1 had performance and system only)."""
_NO_BENCHMARK = {
    "accuracy": "a trading strategy has no accuracy to benchmark; its win rate and profit "
    "factor are in benchmark_type=performance (and run_backtest)",
}
_RISK_TOLERANCE: dict[str, Literal["low", "moderate", "high"]] = {
    "low": "low",
    "moderate": "moderate",
    "high": "high",
    "conservative": "low",
    "aggressive": "high",
}
"""recommend_strategy: ours and the original v1's risk tolerances, and the original v2
schema's conservative/aggressive."""


class RunBenchmarkOut(BaseModel):
    benchmark_type: BenchmarkType
    performance: PerformanceBenchmark | None
    system: SystemBenchmark | None
    gpu_requested: bool
    gpu_used: bool
    note: str | None = None


def processing(t0: float, gpu_requested: bool, note: str | None = CPU_NOTE) -> Processing:
    return Processing(
        gpu_requested=gpu_requested,
        gpu_used=False,
        device="cpu",
        seconds=time.perf_counter() - t0,
        note=note if gpu_requested else None,
    )


def backtest_out(
    res: BacktestVsBenchmark, *, include_costs: bool, fee: float, t0: float, use_gpu: bool
) -> BacktestOut:
    bt = res.backtest
    bench = None
    if res.benchmark is not None:
        bench = BenchmarkComparison(**res.benchmark.model_dump(), excess_return=res.excess_return)
    return BacktestOut(
        strategy=bt.strategy,
        symbol=bt.symbol,
        spec=bt.spec,
        engine=bt.engine,
        params=bt.params,
        bars=bt.bars,
        first=bt.first,
        last=bt.last,
        results=BacktestResults(
            total_return=bt.total_return,
            sharpe=bt.sharpe,
            sortino=bt.sortino,
            max_drawdown=bt.max_drawdown,
            calmar=bt.metrics.get("calmar"),
            cagr=bt.cagr,
            win_rate=bt.win_rate,
            profit_factor=bt.profit_factor,
            trades=bt.trades,
            open_trades=bt.open_trades,
            exposure=bt.exposure,
            final_equity=bt.final_equity,
        ),
        metrics=bt.metrics,
        benchmark_comparison=bench,
        costs=Costs(include_costs=include_costs, fee_rate=fee, slippage=bt.slippage),
        processing=processing(t0, use_gpu),
        notes=[*bt.notes, *res.notes],
    )


def register(tools: ToolSet) -> None:
    state = tools.state

    @tools.tool(title="Ping")
    async def ping() -> Ping:
        """Check the server is alive; returns its version and the time."""
        return Ping(
            status="ok",
            timestamp=datetime.now(UTC).isoformat(),
            version=state.version,
            server=state.name,
        )

    @tools.tool(title="List strategies")
    async def list_strategies() -> StrategiesOut:
        """Every registered trading strategy with its description, data needs and parameters
        (name, kind, default, JSON schema)."""

        def work() -> StrategiesOut:
            from neural_trader.services.research import list_strategy_infos

            infos = list_strategy_infos()
            return StrategiesOut(
                strategies=[i.name for i in infos],
                count=len(infos),
                details={i.name: _detail(i) for i in infos},
            )

        return await run_light(state, work)

    @tools.tool(title="Strategy details")
    async def get_strategy_info(strategy: StrategyArg) -> StrategyDetail:
        """One strategy's description, data requirements and parameters. Unknown names are
        an error listing close matches."""

        def work() -> StrategyDetail:
            from neural_trader.services.research import list_strategy_infos
            from neural_trader.strategies import get_strategy

            get_strategy(strategy)  # the registry's own "unknown strategy" error
            return next(_detail(i) for i in list_strategy_infos() if i.name == strategy)

        return await run_light(state, work)

    @tools.tool(title="Quick market analysis")
    async def quick_analysis(symbol: SymbolArg, use_gpu: UseGpuArg = False) -> QuickAnalysisOut:
        """Price, trend (SMA50/SMA200), volatility, RSI(14), MACD(12,26,9), Bollinger position,
        support/resistance and a three-vote buy/sell/hold rule from the catalog's bars. The
        indicators run on the CPU (processing says so)."""
        from neural_trader.services.market import market_snapshot

        t0 = time.perf_counter()
        snap = await run_light(state, lambda: market_snapshot(symbol))
        return QuickAnalysisOut(symbol=snap.symbol, analysis=snap, processing=ran_on(t0, use_gpu))

    @tools.tool(title="Market analysis")
    async def get_market_analysis(symbol: SymbolArg) -> MarketSnapshot:
        """Price, trend and support/resistance (lowest low / highest high of the last 20 bars,
        floor pivot, R1, S1) of a symbol, with RSI, MACD and Bollinger values."""
        from neural_trader.services.market import market_snapshot

        return await run_light(state, lambda: market_snapshot(symbol))

    @tools.tool(title="Market status")
    async def get_market_status(
        calendar: Annotated[
            str,
            Field(min_length=2, max_length=20, description="exchange calendar code, e.g. XNYS"),
        ] = "XNYS",
    ) -> MarketStatus:
        """Whether the exchange is open now and its next open and close (holidays and half
        days from exchange_calendars)."""
        from neural_trader.services.market import market_status

        return await run_light(state, lambda: market_status(calendar))

    async def _run_backtest(
        ctx: Context | None,
        strategy: str,
        symbol: str,
        start: str | None,
        end: str | None,
        use_gpu: bool,
        benchmark: str,
        include_costs: bool,
        params: dict[str, Any] | None,
        cash: float,
        fee: float,
        engine: Literal["vector", "event"],
    ) -> BacktestOut:
        from neural_trader.services.strategy_eval import backtest_vs_benchmark

        t0 = time.perf_counter()
        fees = fee if include_costs else 0.0

        def work(progress: Progress) -> BacktestVsBenchmark:
            progress(0, 2, "backtesting")

            def chunk(done: int, total: int) -> None:  # the event engine's cancel point
                progress(done / max(total, 1), 2, "backtesting")

            res = backtest_vs_benchmark(
                strategy,
                symbol=symbol,
                start=start,
                end=end,
                benchmark=benchmark,
                params=params,
                cash=cash,
                fees=fees,
                engine=engine,
                on_chunk=chunk,
            )
            progress(2, 2, "backtest and benchmark done")
            return res

        res = await run_engine(ctx, state, work, label=f"backtest {strategy} on {symbol}")
        return backtest_out(res, include_costs=include_costs, fee=fees, t0=t0, use_gpu=use_gpu)

    @tools.tool(title="Run a backtest")
    async def run_backtest(
        strategy: StrategyArg,
        symbol: SymbolArg,
        start_date: DateArg,
        end_date: DateArg,
        use_gpu: UseGpuArg = True,
        benchmark: BenchmarkArg = "sp500",
        include_costs: Annotated[
            bool, Field(description="charge fee_rate per side (false: no costs)")
        ] = True,
        params: ParamsArg = None,
        cash: CashArg = 10_000.0,
        fee_rate: FeeArg = 0.001,
        engine: Annotated[
            Literal["vector", "event"],
            Field(description="vector (fast) or event (bar by bar, explicit orders)"),
        ] = "vector",
        ctx: Context | None = None,
    ) -> BacktestOut:
        """Backtest a strategy on a catalog symbol between two dates (inclusive), next-open
        fills, and compare it with the benchmark's buy-and-hold over the same dates. The
        numbers equal 'neural-trader backtest' on the same inputs."""
        return await _run_backtest(
            ctx, strategy, symbol, date_str(start_date), date_str(end_date), use_gpu,
            benchmark, include_costs, params, cash, fee_rate, engine,
        )  # fmt: skip

    @tools.tool(title="Backtest a strategy")
    async def backtest_strategy(
        strategy: StrategyArg,
        symbol: SymbolArg,
        start_date: DateArg,
        end_date: DateArg,
        ctx: Context | None = None,
    ) -> BacktestOut:
        """run_backtest with its defaults (costs included, S&P 500 benchmark)."""
        return await _run_backtest(
            ctx, strategy, symbol, date_str(start_date), date_str(end_date), False,
            "sp500", True, None, 10_000.0, 0.001, "vector",
        )  # fmt: skip

    @tools.tool(title="Quick backtest")
    async def quick_backtest(
        strategy: StrategyArg,
        symbol: SymbolArg,
        days: Annotated[
            int,
            Field(
                ge=1,
                le=36_500,
                description="calendar days up to the symbol's last bar; the strategy's warm-up "
                "must fit in them",
            ),
        ] = 30,
        ctx: Context | None = None,
    ) -> BacktestOut:
        """Backtest over the last `days` calendar days of the symbol's data."""
        from neural_trader.services.strategy_eval import recent_range

        start, end = await run_light(state, lambda: recent_range(symbol, days))
        return await _run_backtest(
            ctx, strategy, symbol, start, end, False, "sp500", True, None, 10_000.0, 0.001,
            "vector",
        )  # fmt: skip

    async def _optimize(
        ctx: Context | None,
        strategy: str,
        symbol: str,
        parameter_ranges: dict[str, RangeArg],
        max_iterations: int,
        use_gpu: bool,
        metric: str,
        start: str | None,
        end: str | None,
    ) -> OptimizeOut:
        from neural_trader.services.optimize import search_ranges

        t0 = time.perf_counter()
        ranges = {k: v.as_dict() for k, v in parameter_ranges.items()}

        def work(progress: Progress) -> Any:
            return search_ranges(
                strategy,
                symbol=symbol,
                ranges=ranges,
                max_evaluations=max_iterations,
                metric=_METRIC.get(metric, metric),
                start=start,
                end=end,
                on_progress=lambda done, total: progress(done, total, "configurations"),
            )

        rs = await run_engine(ctx, state, work, label=f"optimise {strategy} on {symbol}")
        r = rs.result
        return OptimizeOut(
            strategy=r.strategy,
            symbol=r.symbol,
            metric=r.metric,
            method=r.method,
            optimized_parameters=r.best_params,
            best_score=r.best_score,
            iterations_completed=r.evaluated,
            combinations=rs.combinations,
            max_iterations=rs.budget,
            default_parameters=rs.default_params,
            default_score=rs.default_score,
            improvement_percentage=rs.improvement_pct,
            top=list(r.top),
            grid=rs.grid,
            interrupted=r.interrupted,
            bars=r.bars,
            processing=processing(t0, use_gpu),
            notes=r.notes,
        )

    @tools.tool(title="Optimise strategy parameters")
    async def optimize_strategy(
        strategy: StrategyArg,
        symbol: SymbolArg,
        parameter_ranges: RangesArg,
        max_iterations: Annotated[
            int,
            Field(
                ge=1,
                le=10_000,
                description="most backtests to run: a grid that fits is searched exhaustively, "
                "a larger one by that many Bayesian (TPE) trials",
            ),
        ] = 1000,
        use_gpu: UseGpuArg = True,
        optimization_metric: Annotated[
            MetricName, Field(description="what to maximise (max_drawdown: least negative)")
        ] = "sharpe_ratio",
        start_date: DateArg | None = None,
        end_date: DateArg | None = None,
        ctx: Context | None = None,
    ) -> OptimizeOut:
        """Search a strategy's parameters on a symbol (vectorized engine, 0.1% fees, next-open
        fills) and compare the best with the default parameters. Reports progress; a
        cancelled search stops between chunks."""
        return await _optimize(
            ctx, strategy, symbol, parameter_ranges, max_iterations, use_gpu,
            optimization_metric, date_str(start_date), date_str(end_date),
        )  # fmt: skip

    @tools.tool(title="Optimise parameters")
    async def optimize_parameters(
        strategy: StrategyArg,
        symbol: SymbolArg,
        parameter_ranges: RangesArg,
        ctx: Context | None = None,
    ) -> OptimizeOut:
        """optimize_strategy with its defaults (1000 evaluations, Sharpe ratio)."""
        return await _optimize(
            ctx, strategy, symbol, parameter_ranges, 1000, False, "sharpe", None, None
        )

    @tools.tool(title="Strategy performance report")
    async def performance_report(
        strategy: StrategyArg,
        period_days: Annotated[
            int, Field(ge=1, le=36_500, description="days up to the strategy's last fill")
        ] = 30,
        include_benchmark: Annotated[
            bool, Field(description="add the S&P 500's buy-and-hold over the window")
        ] = True,
        use_gpu: UseGpuArg = False,
    ) -> PerformanceOut:
        """What a strategy actually did on the trading account (paper unless live trading is
        on), from the journal's fills: realised and mark-to-market P&L, win rate, Sharpe and
        drawdown of the daily P&L, and the benchmark over the same window."""
        from neural_trader.services.orders import strategy_performance

        t0 = time.perf_counter()
        perf = await run_light(
            state,
            lambda: strategy_performance(
                strategy, period_days=period_days, include_benchmark=include_benchmark
            ),
        )
        return PerformanceOut(**perf.model_dump(), processing=ran_on(t0, use_gpu))

    @tools.tool(title="Strategy health")
    async def monitor_strategy_health(
        strategy: StrategyArg,
        period_days: Annotated[
            int, Field(ge=1, le=36_500, description="days up to the strategy's last fill")
        ] = 30,
    ) -> StrategyHealth:
        """A 0-100 health score of a strategy on the trading account from facts in the
        journal: kill switch, unanswered sends, rejection and risk-denial rates, and the
        Sharpe, P&L and win rate of its fills. Every check reports its measured value, its
        threshold and its penalty (100 minus the penalties of failed checks)."""
        from neural_trader.services.orders import strategy_health

        return await run_light(state, lambda: strategy_health(strategy, period_days=period_days))

    @tools.tool(title="Benchmark a strategy")
    async def run_benchmark(
        strategy: StrategyArg,
        benchmark_type: Annotated[
            BenchmarkType,
            Field(
                description="performance: the strategy on the S&P 500 and NASDAQ indices vs "
                "holding them; system: wall time of its backtest on this machine. The "
                "original v2's throughput and latency run the system benchmark (bars per "
                "second, median seconds); its accuracy is refused (a strategy has none)"
            ),
            refuse_values(_NO_BENCHMARK),
        ] = "performance",
        use_gpu: UseGpuArg = True,
        symbol: Annotated[
            str | None,
            Field(description="system benchmark: the symbol to time on (default: sp500's)"),
        ] = None,
        ctx: Context | None = None,
    ) -> RunBenchmarkOut:
        """Benchmark a strategy: against the indices (performance) or in wall time (system).
        Everything runs on the CPU; the result says so."""
        from neural_trader.services.strategy_eval import (
            benchmark_performance,
            resolve_benchmark,
            time_backtest,
        )

        def work(progress: Progress) -> PerformanceBenchmark | SystemBenchmark:
            if benchmark_type == "performance":
                return benchmark_performance(strategy)
            sym = symbol or resolve_benchmark("sp500")
            if sym is None:
                from neural_trader.core.errors import InvalidArgumentError

                raise InvalidArgumentError("no symbol given and no S&P 500 data in the catalog")
            return time_backtest(strategy, symbol=sym)

        result = await run_engine(ctx, state, work, label=f"{benchmark_type} benchmark")
        return RunBenchmarkOut(
            benchmark_type=benchmark_type,
            performance=result if isinstance(result, PerformanceBenchmark) else None,
            system=result if isinstance(result, SystemBenchmark) else None,
            gpu_requested=use_gpu,
            gpu_used=False,
            note=_SYSTEM_ALIASES.get(benchmark_type),
        )

    @tools.tool(title="Recommend a strategy")
    async def recommend_strategy(
        market_conditions: Annotated[
            dict[str, Any] | None,
            Field(
                description="your view, e.g. {'trend': 'bullish', 'volatility': 'high'}; "
                "reported next to the measured conditions, not used in the score. Optional "
                "here though the original required it: the ranking is computed from real "
                "backtests and the symbol's measured conditions, which a stated view cannot "
                "replace"
            ),
        ] = None,
        risk_tolerance: Annotated[
            Literal["low", "moderate", "high", "conservative", "aggressive"],
            Field(
                description="weight of Sharpe vs drawdown: low 0.3, moderate 0.5, high 0.7 "
                "(conservative = low, aggressive = high: the original v2's names)"
            ),
        ] = "moderate",
        objectives: Annotated[
            list[Literal["profit", "stability"]],
            Field(
                min_length=1,
                description="profit: Sharpe term; stability: drawdown term. The score has "
                "only these two terms, so other objectives are refused rather than ignored",
            ),
        ] = ["profit", "stability"],  # noqa: B006 - pydantic copies defaults
        symbol: Annotated[
            SymbolArg | None,
            Field(
                description="symbol whose backtests rank the strategies (default: the "
                "catalog's S&P 500 series, as the original scored the broad market)"
            ),
        ] = None,
        start_date: DateArg | None = None,
        end_date: DateArg | None = None,
        ctx: Context | None = None,
    ) -> Recommendation:
        """Rank the single-symbol strategies on a symbol by w x Sharpe + (1 - w) x
        (1 - |max drawdown|) of their backtests (the original's score, on real backtests)."""
        from neural_trader.services.strategy_eval import recommend_strategy as rec

        tolerance = _RISK_TOLERANCE[risk_tolerance]

        def work(progress: Progress) -> Recommendation:
            out = rec(
                symbol,
                risk_tolerance=tolerance,
                objectives=objectives,
                market_conditions=market_conditions,
                start=date_str(start_date),
                end=date_str(end_date),
            )
            if tolerance != risk_tolerance:
                out.notes.append(f"risk_tolerance {risk_tolerance!r} is {tolerance!r} here")
            return out

        return await run_engine(ctx, state, work, label=f"rank strategies on {symbol or 'SPX'}")

    @tools.tool(title="Compare strategies")
    async def get_strategy_comparison(
        strategies: Annotated[list[StrategyArg], Field(min_length=1, max_length=50)],
        symbol: Annotated[
            SymbolArg | None,
            Field(description="symbol to backtest on (default: the catalog's S&P 500 series)"),
        ] = None,
        metrics: Annotated[
            list[str],
            Field(
                min_length=1,
                description="summary metrics (sharpe_ratio/sharpe, total_return, max_drawdown, "
                "cagr, sortino, calmar, annual_volatility, win_rate, profit_factor, ...)",
            ),
        ] = ["sharpe_ratio", "total_return", "max_drawdown"],  # noqa: B006
        start_date: DateArg | None = None,
        end_date: DateArg | None = None,
        ctx: Context | None = None,
    ) -> ComparisonReport:
        """Backtest several strategies on one symbol; each row adds risk_adjusted_return =
        total return / |max drawdown|; best_by_metric names the winner of each metric."""
        from neural_trader.services.strategy_eval import compare_strategies

        names = [_METRIC.get(m, m) for m in metrics]

        def work(progress: Progress) -> ComparisonReport:
            return compare_strategies(
                strategies,
                symbol=symbol,
                metrics=names,
                start=date_str(start_date),
                end=date_str(end_date),
            )

        return await run_engine(ctx, state, work, label=f"compare on {symbol or 'SPX'}")

    @tools.tool(title="Adaptive strategy selection", read_only=False, idempotent=False)
    async def adaptive_strategy_selection(
        symbol: SymbolArg,
        auto_switch: Annotated[
            bool,
            Field(
                description="switch the strategy running on this symbol (a `trade` process) to "
                "the selected one, taking its position over (see switch_active_strategy)"
            ),
        ] = False,
        ctx: Context | None = None,
    ) -> AdaptiveSelection:
        """Measure the symbol's conditions and rank the strategies on it (recommend_strategy
        with moderate risk tolerance); with auto_switch, hand the running strategy over to the
        winner and report the switch."""
        from neural_trader.services.runners import adaptive_selection

        return await run_engine(
            ctx,
            state,
            lambda p: adaptive_selection(symbol, auto_switch=auto_switch, check=p.check),
            label=f"select on {symbol}",
        )


def _detail(info: StrategyInfo) -> StrategyDetail:
    return StrategyDetail(
        **info.model_dump(exclude={"parameters"}),
        parameters=[ParamSpec.model_validate(p.model_dump()) for p in info.parameters],
    )
