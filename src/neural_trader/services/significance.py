"""Is a strategy's Sharpe ratio distinguishable from luck? (the agents' ``significance_test``)

Agents search strategies and parameters quickly, and the best of many backtests looks good by
construction. This service answers with three numbers computed by
:mod:`neural_trader.analytics.significance`: the probabilistic Sharpe ratio (the chance the
true Sharpe is above zero, given the sample's length, skew and fat tails), the deflated Sharpe
ratio (the same against the Sharpe the best of ``n_trials`` unskilled configurations would
reach by chance) and a stationary-bootstrap p-value and confidence interval.

The returns are a backtest's bar returns (the vectorized engine, the ``backtest`` command's
defaults and costs, so the Sharpe here is the one that command reports) or returns the caller
passes in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from neural_trader.core.errors import (
    DataValidationError,
    InvalidArgumentError,
    NotSupportedError,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from neural_trader.data.catalog import Catalog

__all__ = ["SignificanceReport", "sharpe_significance", "strategy_returns"]


class SignificanceReport(BaseModel):
    source: str = Field(description="what the returns are: a backtest or the caller's series")
    observations: int
    periods_per_year: float
    sharpe: float = Field(description="annualised Sharpe ratio (mean/std x sqrt(periods/year))")
    sharpe_per_period: float
    skewness: float
    kurtosis: float = Field(description="non-excess kurtosis (3 for normal returns)")
    probabilistic_sharpe: float | None = Field(
        description="P(true Sharpe > 0) given length, skew and kurtosis (Bailey & Lopez de Prado)"
    )
    n_trials: int
    deflated_sharpe: float | None = Field(
        description="P(true Sharpe > the best of n_trials lucky trials); equals the "
        "probabilistic Sharpe for one trial"
    )
    luck_threshold_sharpe: float | None = Field(
        description="annualised Sharpe the best of n_trials skill-less trials reaches by chance"
    )
    bootstrap_samples: int
    bootstrap_block_length: float
    bootstrap_p_value: float = Field(
        description="share of no-edge (demeaned) stationary-bootstrap resamples with a Sharpe "
        ">= the observed one"
    )
    bootstrap_ci: tuple[float, float] = Field(description="annualised Sharpe confidence interval")
    confidence: float
    significant: bool = Field(
        description="deflated Sharpe >= confidence and bootstrap p-value <= 1 - confidence"
    )
    verdict: str
    notes: list[str]


def strategy_returns(
    strategy: str,
    *,
    symbol: str,
    start: str | None = None,
    end: str | None = None,
    params: Mapping[str, Any] | None = None,
    cash: float = 10_000.0,
    fees: float = 0.001,
    slippage: float = 0.0,
    catalog: Catalog | str | Path | None = None,
) -> tuple[npt.NDArray[np.float64], float]:
    """Bar returns of a single-asset backtest (vectorized engine) and the bars per year.

    The equity curve starts from ``cash`` (the wealth before bar 0), as in
    :func:`neural_trader.services.research.run_backtest`, so the Sharpe of these returns is
    that function's ``sharpe``.
    """
    import numpy as np

    from neural_trader.backtest import BacktestConfig, run_vector
    from neural_trader.data.frequency import infer_periods_per_year
    from neural_trader.services.research import load_bars
    from neural_trader.strategies import StrategyData, create_strategy

    strat = create_strategy(strategy, **dict(params or {}))
    if any(not r.optional for r in strat.requires):
        names = ", ".join(r.name for r in strat.requires if not r.optional)
        raise NotSupportedError(
            f"{strategy} needs more inputs than one symbol ({names}); test its returns by "
            "passing them as 'returns'"
        )
    name, spec, frame = load_bars(
        symbol=symbol, data_file=None, start=start, end=end, catalog=catalog
    )
    if len(frame) <= max(2, strat.warmup):
        raise DataValidationError(
            f"{len(frame)} bar(s) of {name} in the range; {strategy} needs more than "
            f"{max(2, strat.warmup)}"
        )
    data = StrategyData.from_frame(frame, name)
    config = BacktestConfig(cash=cash, fee_rate=fees, slippage=slippage)
    result = run_vector(strat, data, config)
    equity = np.concatenate(([cash], np.asarray(result.equity, dtype=np.float64)))
    returns = equity[1:] / equity[:-1] - 1.0
    return returns, infer_periods_per_year(data.ts_event, spec)


def sharpe_significance(
    returns: npt.ArrayLike,
    *,
    periods_per_year: float,
    n_trials: int = 1,
    trial_sharpes: Sequence[float] | None = None,
    samples: int = 2000,
    confidence: float = 0.95,
    seed: int = 42,
    source: str = "returns",
) -> SignificanceReport:
    """Test the Sharpe ratio of ``returns`` (see the module doc).

    ``trial_sharpes``: the *annualised* Sharpe ratios of every configuration tried (an
    optimisation's), whose variance sets the luck threshold; ``n_trials`` defaults to their
    count. Without them ``n_trials`` must be 1: the threshold depends on how different the
    trials were, which a count alone does not say.
    """
    import numpy as np

    from neural_trader.analytics.significance import (
        deflated_sharpe_ratio,
        probabilistic_sharpe_ratio,
        sharpe_moments,
        stationary_bootstrap_sharpe,
    )

    if not (math.isfinite(periods_per_year) and periods_per_year > 0):
        raise InvalidArgumentError(f"periods_per_year must be > 0, got {periods_per_year}")
    scale = math.sqrt(periods_per_year)
    notes: list[str] = []
    variance = 0.0
    if trial_sharpes is not None:
        ts = np.asarray(list(trial_sharpes), dtype=np.float64)
        ts = ts[np.isfinite(ts)]
        if ts.size < 2:
            raise InvalidArgumentError("trial_sharpes needs at least two finite Sharpe ratios")
        if n_trials == 1:
            n_trials = int(ts.size)
        variance = float(np.var(ts / scale, ddof=1))
    elif n_trials > 1:
        raise InvalidArgumentError(
            f"n_trials={n_trials} needs trial_sharpes (the annualised Sharpe of every "
            "configuration tried): the luck threshold depends on their spread",
            hint="pass the Sharpe ratios of an optimisation's evaluated configurations",
        )
    m = sharpe_moments(returns)
    psr = probabilistic_sharpe_ratio(m, 0.0)
    dsr, threshold = deflated_sharpe_ratio(m, n_trials, variance)
    boot = stationary_bootstrap_sharpe(returns, samples=samples, confidence=confidence, seed=seed)
    finite_dsr = dsr if math.isfinite(dsr) else None
    significant = (
        finite_dsr is not None and finite_dsr >= confidence and boot.p_value <= 1.0 - confidence
    )
    level = f"{confidence:.0%}"
    if finite_dsr is None:
        verdict = "undetermined: the returns' skew and kurtosis leave the PSR undefined"
        notes.append("probabilistic/deflated Sharpe undefined (non-positive variance term)")
    elif significant:
        verdict = f"distinguishable from luck at {level}"
    else:
        verdict = f"not distinguishable from luck at {level}"
    if m.observations < 252 and periods_per_year <= 366:
        notes.append(f"only {m.observations} returns: under a year of daily data")
    return SignificanceReport(
        source=source,
        observations=m.observations,
        periods_per_year=periods_per_year,
        sharpe=m.sharpe * scale,
        sharpe_per_period=m.sharpe,
        skewness=m.skewness,
        kurtosis=m.kurtosis,
        probabilistic_sharpe=psr if math.isfinite(psr) else None,
        n_trials=n_trials,
        deflated_sharpe=finite_dsr,
        luck_threshold_sharpe=threshold * scale,
        bootstrap_samples=boot.samples,
        bootstrap_block_length=boot.block_length,
        bootstrap_p_value=boot.p_value,
        bootstrap_ci=(boot.ci_low * scale, boot.ci_high * scale),
        confidence=confidence,
        significant=significant,
        verdict=verdict,
        notes=notes,
    )
