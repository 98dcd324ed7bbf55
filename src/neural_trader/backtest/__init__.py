"""Backtesting: shared semantics (docs/decisions/0006), cost/sizing models and the engines."""

from neural_trader.backtest.config import BacktestConfig
from neural_trader.backtest.records import (
    ORDER_DTYPE,
    SKIPPED_DTYPE,
    TRADE_DTYPE,
    ExitReason,
    OrderReason,
    SkipReason,
)
from neural_trader.backtest.vector import (
    GridResult,
    PortfolioResult,
    VectorResult,
    run_grid,
    run_portfolio,
    run_vector,
    run_vector_targets,
)

__all__ = [
    "ORDER_DTYPE",
    "SKIPPED_DTYPE",
    "TRADE_DTYPE",
    "BacktestConfig",
    "ExitReason",
    "GridResult",
    "OrderReason",
    "PortfolioResult",
    "SkipReason",
    "VectorResult",
    "run_grid",
    "run_portfolio",
    "run_vector",
    "run_vector_targets",
]
