"""Risk tools: VaR/CVaR, correlation, cross-asset correlation, Monte Carlo of a portfolio.

Prices are the catalog's daily closes (adjusted for returns); a position given by ``value``
becomes a quantity at the last close. The numbers are those of :mod:`neural_trader.services.risk`
(the ``risk`` CLI commands) on the same book.
"""

from __future__ import annotations

import time
from typing import Annotated, Literal

from mcp.server.mcpserver import Context
from pydantic import Field

from neural_trader.fronts.mcp.models import (
    PositionArg,
    PositionRisk,
    Processing,
    RiskMetrics,
    RiskOut,
    SymbolArg,
    UseGpuArg,
    processing,
)
from neural_trader.fronts.mcp.runtime import Progress, ToolSet, run_engine, run_light
from neural_trader.services.portfolio_views import CorrelationSummary
from neural_trader.services.simulation import MonteCarloReport

__all__ = ["register"]

PortfolioArg = Annotated[
    list[PositionArg],
    Field(min_length=1, max_length=500, description="positions: {symbol, quantity | value}"),
]
SymbolsArg = Annotated[list[SymbolArg], Field(min_length=2, max_length=200)]


class CorrelationOut(CorrelationSummary):
    processing: Processing


def register(tools: ToolSet) -> None:
    state = tools.state

    @tools.tool(title="Portfolio risk analysis")
    async def risk_analysis(
        portfolio: PortfolioArg,
        var_confidence: Annotated[
            float,
            Field(ge=0.01, le=0.1, description="tail probability: 0.05 = 95% VaR"),
        ] = 0.05,
        time_horizon: Annotated[int, Field(ge=1, le=252, description="days")] = 1,
        use_monte_carlo: Annotated[
            bool, Field(description="Monte Carlo (GBM, seeded) instead of historical VaR")
        ] = True,
        use_gpu: UseGpuArg = True,
        seed: Annotated[int, Field(ge=0, description="Monte Carlo seed")] = 42,
        paths: Annotated[int, Field(ge=1000, le=1_000_000, description="Monte Carlo paths")] = (
            100_000
        ),
        lookback: Annotated[int, Field(ge=20, le=10_000, description="daily returns used")] = 500,
        ctx: Context | None = None,
    ) -> RiskOut:
        """VaR and expected shortfall (CVaR) of a portfolio over time_horizon days at today's
        catalog prices, per-position component VaR, P&L against entry prices, and the
        correlation matrix. Equals 'neural-trader risk var' on the same book."""
        from neural_trader.services.portfolio_views import PortfolioRisk, portfolio_risk

        t0 = time.perf_counter()
        items = [p.model_dump() for p in portfolio]

        def work(progress: Progress) -> PortfolioRisk:
            return portfolio_risk(
                items,
                confidence=1.0 - var_confidence,
                horizon=time_horizon,
                monte_carlo=use_monte_carlo,
                use_gpu=use_gpu,
                paths=paths,
                seed=seed,
                lookback=lookback,
                on_progress=(
                    (lambda done, total: progress(done, total, "paths simulated"))
                    if use_monte_carlo
                    else None
                ),
            )

        res = await run_engine(ctx, state, work, label="portfolio VaR")
        rep = res.var
        mc = None
        if use_monte_carlo:
            mc = {k: rep.details.get(k) for k in ("model", "paths", "seed", "backend", "device")}
        return RiskOut(
            risk_metrics=RiskMetrics(
                value_at_risk=rep.var,
                expected_shortfall=rep.cvar,
                var_fraction=rep.var_fraction,
                cvar_fraction=rep.cvar_fraction,
                confidence=rep.confidence,
                horizon_days=rep.horizon,
                method=rep.method,
                portfolio_value=rep.value,
                observations=rep.observations,
                first=rep.first,
                last=rep.last,
            ),
            positions=[
                PositionRisk(
                    symbol=p.symbol,
                    quantity=p.quantity,
                    price=p.price,
                    exposure=p.exposure,
                    weight=p.weight,
                    marginal_var=p.marginal_var,
                    component_var=p.component_var,
                    component_cvar=p.component_cvar,
                    entry_price=res.entry_prices.get(p.symbol),
                    unrealized_pnl=res.unrealized_pnl.get(p.symbol),
                )
                for p in rep.positions
            ],
            correlations=res.correlations,
            monte_carlo=mc,
            processing=Processing(
                gpu_requested=use_gpu,
                gpu_used=res.gpu_used,
                device=res.device,
                seconds=time.perf_counter() - t0,
            ),
            notes=[*rep.notes, *res.notes],
        )

    @tools.tool(title="Correlation analysis")
    async def correlation_analysis(
        symbols: SymbolsArg,
        period_days: Annotated[
            int, Field(ge=20, le=10_000, description="most recent daily returns used")
        ] = 90,
        use_gpu: UseGpuArg = True,
    ) -> CorrelationOut:
        """Pearson correlations of the symbols' daily returns, summary statistics, highly
        correlated pairs (> 0.7, with 95% intervals), diversification score (1 - mean
        correlation) and effective number of assets. Computed on the CPU."""
        from neural_trader.services.portfolio_views import correlation_summary

        t0 = time.perf_counter()
        out = await run_light(state, lambda: correlation_summary(symbols, lookback=period_days))
        return CorrelationOut(**out.model_dump(), processing=processing(t0, use_gpu))

    @tools.tool(title="Cross-asset correlation matrix")
    async def cross_asset_correlation_matrix(
        assets: SymbolsArg,
        lookback_days: Annotated[
            int, Field(ge=20, le=10_000, description="most recent daily returns used")
        ] = 90,
        include_prediction_confidence: Annotated[
            bool,
            Field(description="add 95% Fisher-z confidence intervals to the high correlations"),
        ] = True,
        method: Annotated[
            Literal["pearson", "spearman", "shrunk"],
            Field(description="pearson, spearman (ranks) or shrunk (Ledoit-Wolf)"),
        ] = "pearson",
    ) -> CorrelationSummary:
        """The correlation matrix of several assets, the pairs with |correlation| > 0.7 and
        the diversification score (1 - mean off-diagonal correlation)."""
        from neural_trader.services.portfolio_views import correlation_summary

        return await run_light(
            state,
            lambda: correlation_summary(
                assets,
                lookback=lookback_days,
                method=method,
                confidence_intervals=include_prediction_confidence,
            ),
        )

    @tools.tool(title="Monte Carlo simulation")
    async def monte_carlo_simulation(
        portfolio: PortfolioArg,
        simulations: Annotated[int, Field(ge=100, le=1_000_000, description="paths")] = 10_000,
        time_horizon: Annotated[int, Field(ge=1, le=2520, description="trading days")] = 252,
        model: Annotated[
            Literal["gbm", "t_copula", "bootstrap"],
            Field(description="GBM, Student-t copula or filtered historical bootstrap"),
        ] = "gbm",
        seed: Annotated[int, Field(ge=0)] = 42,
        confidence: Annotated[float, Field(gt=0.5, lt=1.0)] = 0.95,
        use_gpu: UseGpuArg = False,
        ctx: Context | None = None,
    ) -> MonteCarloReport:
        """Simulate the portfolio's value over time_horizon days (model fitted to the last
        500 daily returns): P&L percentiles, probability of a loss, VaR/CVaR and the median
        worst drawdown along the paths. Seeded; on CUDA when use_gpu and a GPU exist."""
        from neural_trader.services.portfolio_views import positions_text
        from neural_trader.services.simulation import simulate_portfolio

        items = [p.model_dump() for p in portfolio]

        def work(progress: Progress) -> MonteCarloReport:
            text, _ = positions_text(items)
            progress(0, simulations, "simulating")
            out = simulate_portfolio(
                positions=text,
                paths=simulations,
                horizon=time_horizon,
                model=model,
                seed=seed,
                confidence=confidence,
                use_gpu=use_gpu,
                on_progress=lambda done, total: progress(done, total, "paths simulated"),
            )
            progress(simulations, simulations, "simulated")
            return out

        return await run_engine(ctx, state, work, label="Monte Carlo")
