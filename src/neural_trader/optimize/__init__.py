"""Parameter optimisation: grid and Bayesian search, walk-forward analysis, a Ray backend.

Every configuration is scored by running the vectorized engine and computing the metric with
:mod:`neural_trader.analytics` (docs/decisions/0011-optimisation.md). Optuna (``bayes``) and Ray
(``ray_backend``) are optional extras, imported only when a search uses them.
"""

from neural_trader.optimize.bayes import bayes_search
from neural_trader.optimize.grid import Evaluation, SearchOutcome, evaluate_chunk, grid_search
from neural_trader.optimize.objectives import (
    METRICS,
    MetricName,
    get_objective,
    rank_order,
    score_equity,
    score_trades,
)
from neural_trader.optimize.result import (
    FoldResult,
    OptimizationResult,
    TopEntry,
    WalkForwardResult,
)
from neural_trader.optimize.space import (
    Dimension,
    SearchSpace,
    ValidCombos,
    parse_grid,
    validate_combinations,
)
from neural_trader.optimize.walkforward import (
    Fold,
    WalkForward,
    make_folds,
    run_out_of_sample,
    stitch_equity,
    walk_forward,
)

__all__ = [
    "METRICS",
    "Dimension",
    "Evaluation",
    "Fold",
    "FoldResult",
    "MetricName",
    "OptimizationResult",
    "SearchOutcome",
    "SearchSpace",
    "TopEntry",
    "ValidCombos",
    "WalkForward",
    "WalkForwardResult",
    "bayes_search",
    "evaluate_chunk",
    "get_objective",
    "grid_search",
    "make_folds",
    "parse_grid",
    "rank_order",
    "run_out_of_sample",
    "score_equity",
    "score_trades",
    "stitch_equity",
    "validate_combinations",
    "walk_forward",
]
