"""Parameter optimisation: grid and Bayesian search, walk-forward analysis, a Ray backend.

Every configuration is scored by running the vectorized engine and computing the metric with
:mod:`neural_trader.analytics` (docs/decisions/0011-optimisation.md). Optuna (``bayes``) and Ray
(``ray_backend``) are optional extras, imported only when a search uses them.

Names are imported on first use (PEP 562): ``neural_trader.optimize.result`` holds light
pydantic models that the MCP server imports at start-up, and importing the package must not
load the engines (pandas, numba) for that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from neural_trader._lazy import lazy_exports

_WHERE = {
    "bayes_search": "bayes",
    "Evaluation": "grid",
    "SearchOutcome": "grid",
    "evaluate_chunk": "grid",
    "grid_search": "grid",
    "METRICS": "objectives",
    "MetricName": "objectives",
    "get_objective": "objectives",
    "rank_order": "objectives",
    "score_equity": "objectives",
    "score_trades": "objectives",
    "FoldResult": "result",
    "OptimizationResult": "result",
    "TopEntry": "result",
    "WalkForwardResult": "result",
    "Dimension": "space",
    "SearchSpace": "space",
    "ValidCombos": "space",
    "parse_grid": "space",
    "validate_combinations": "space",
    "Fold": "walkforward",
    "WalkForward": "walkforward",
    "make_folds": "walkforward",
    "run_out_of_sample": "walkforward",
    "stitch_equity": "walkforward",
    "walk_forward": "walkforward",
}

if TYPE_CHECKING:
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


__getattr__ = lazy_exports(__name__, _WHERE, globals())
