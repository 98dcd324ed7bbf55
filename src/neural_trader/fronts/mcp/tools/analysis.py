"""Analysis tools the original lacked: is a strategy's Sharpe ratio distinguishable from luck?

Backed by :mod:`neural_trader.services.significance` (probabilistic and deflated Sharpe,
stationary bootstrap). Either a strategy is backtested on a symbol (the ``backtest``
command's engine and costs) or the caller passes its own returns.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from neural_trader.fronts.mcp.models import DateArg, StrategyArg, SymbolArg, date_str
from neural_trader.fronts.mcp.runtime import Progress, ToolSet, run_engine
from neural_trader.services.significance import SignificanceReport

__all__ = ["register"]


def register(tools: ToolSet) -> None:
    state = tools.state

    @tools.tool(title="Significance test of a Sharpe ratio")
    async def significance_test(
        strategy: StrategyArg | None = None,
        symbol: SymbolArg | None = None,
        start_date: DateArg | None = None,
        end_date: DateArg | None = None,
        params: Annotated[dict[str, Any] | None, Field(description="strategy parameters")] = None,
        returns: Annotated[
            list[float] | None,
            Field(
                min_length=10,
                max_length=1_000_000,
                description="your own per-period simple returns instead of a backtest",
            ),
        ] = None,
        periods_per_year: Annotated[
            float | None,
            Field(gt=0, description="with returns: periods per year (default 252)"),
        ] = None,
        n_trials: Annotated[
            int,
            Field(ge=1, description="configurations tried before this one (deflated Sharpe)"),
        ] = 1,
        trial_sharpes: Annotated[
            list[float] | None,
            Field(
                min_length=2,
                description="annualised Sharpe of every configuration tried; sets the luck "
                "threshold (n_trials defaults to their count)",
            ),
        ] = None,
        bootstrap_samples: Annotated[int, Field(ge=100, le=100_000)] = 2000,
        confidence: Annotated[float, Field(gt=0.5, lt=1.0)] = 0.95,
        seed: Annotated[int, Field(ge=0)] = 42,
        ctx: Context | None = None,
    ) -> SignificanceReport:
        """Is the Sharpe ratio distinguishable from luck? Probabilistic Sharpe (length, skew,
        fat tails), deflated Sharpe (against the best of n_trials lucky configurations) and a
        stationary-bootstrap p-value and interval. Give strategy + symbol (backtested with
        0.1% fees) or returns."""
        from neural_trader.core.errors import InvalidArgumentError
        from neural_trader.services.significance import sharpe_significance, strategy_returns

        if (returns is None) == (strategy is None):
            raise InvalidArgumentError(
                "strategy/returns: give either strategy and symbol (a backtest) or returns"
            )
        if strategy is not None and symbol is None:
            raise InvalidArgumentError("symbol: a strategy is backtested on a catalog symbol")

        def work(progress: Progress) -> SignificanceReport:
            if returns is not None:
                rets: Any = returns
                ppy = periods_per_year or 252.0
                source = f"{len(returns)} returns given"
            else:
                assert strategy is not None
                assert symbol is not None
                rets, ppy = strategy_returns(
                    strategy,
                    symbol=symbol,
                    start=date_str(start_date),
                    end=date_str(end_date),
                    params=params,
                )
                source = f"backtest of {strategy} on {symbol} (vectorized engine, 0.1% fees)"
            progress(1, 2, "returns ready; testing")
            return sharpe_significance(
                rets,
                periods_per_year=ppy,
                n_trials=n_trials,
                trial_sharpes=trial_sharpes,
                samples=bootstrap_samples,
                confidence=confidence,
                seed=seed,
                source=source,
            )

        return await run_engine(ctx, state, work, label="significance test")
