"""The vectorized backtest engine: numba kernels (``nb``) behind a numpy/pandas API."""

from neural_trader.backtest.vector.engine import (
    run_grid,
    run_portfolio,
    run_vector,
    run_vector_targets,
)
from neural_trader.backtest.vector.result import GridResult, PortfolioResult, VectorResult

__all__ = [
    "GridResult",
    "PortfolioResult",
    "VectorResult",
    "run_grid",
    "run_portfolio",
    "run_vector",
    "run_vector_targets",
]
