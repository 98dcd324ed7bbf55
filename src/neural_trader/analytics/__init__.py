"""Performance analytics: metrics, trade statistics, the run summary and its reports.

Conventions (decision 0008): simple per-period returns, explicit ``periods_per_year``, annual
rates converted geometrically, ddof=1, drawdowns from a 1.0 baseline and reported negative,
VaR/CVaR positive and tagged with their method, NaN (with a ``MetricWarning``) where a number is
undefined. Reports live in :mod:`neural_trader.analytics.reports` (optional ``report`` extra).
"""

from __future__ import annotations

from neural_trader.analytics.metrics import (
    VAR_METHODS,
    DrawdownSpell,
    MetricWarning,
    TailRisk,
    VarMethod,
    alpha_beta,
    annual_volatility,
    cagr,
    calmar,
    conditional_value_at_risk,
    downside_deviation,
    drawdown_series,
    kurtosis,
    max_drawdown,
    max_drawdown_duration,
    omega,
    per_period_rate,
    returns_from_equity,
    rolling_sharpe,
    sharpe,
    skew,
    sortino,
    stability,
    tail_ratio,
    total_return,
    value_at_risk,
)
from neural_trader.analytics.summary import PerformanceSummary, summarize
from neural_trader.analytics.trades import (
    TRADE_DTYPE,
    ExitReason,
    TradeStats,
    as_trade_array,
    exposure,
    trade_stats,
    traded_notional_from_trades,
    turnover,
)

__all__ = [
    "TRADE_DTYPE",
    "VAR_METHODS",
    "DrawdownSpell",
    "ExitReason",
    "MetricWarning",
    "PerformanceSummary",
    "TailRisk",
    "TradeStats",
    "VarMethod",
    "alpha_beta",
    "annual_volatility",
    "as_trade_array",
    "cagr",
    "calmar",
    "conditional_value_at_risk",
    "downside_deviation",
    "drawdown_series",
    "exposure",
    "kurtosis",
    "max_drawdown",
    "max_drawdown_duration",
    "omega",
    "per_period_rate",
    "returns_from_equity",
    "rolling_sharpe",
    "sharpe",
    "skew",
    "sortino",
    "stability",
    "summarize",
    "tail_ratio",
    "total_return",
    "trade_stats",
    "traded_notional_from_trades",
    "turnover",
    "value_at_risk",
]
