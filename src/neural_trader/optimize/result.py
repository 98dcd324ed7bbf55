"""The result models of a parameter search, shared by the service, the CLI and (later) MCP.

Scores and metrics that are undefined (a Sharpe ratio of a strategy that never traded) are
``None`` rather than NaN: the models are dumped to JSON, which has no spelling for NaN, and a
``None`` says "undefined" where a NaN would have been turned into ``null`` anyway.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = [
    "FoldResult",
    "OptimizationResult",
    "TopEntry",
    "WalkForwardResult",
    "finite_or_none",
]

Method = Literal["grid", "bayes"]
Backend = Literal["local", "ray"]
WalkMode = Literal["rolling", "anchored"]


def finite_or_none(value: float | None) -> float | None:
    """``None`` for NaN, infinities and ``None``; the float otherwise."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


class TopEntry(BaseModel):
    """One evaluated configuration: its parameters, its score and the headline numbers."""

    params: dict[str, Any]
    score: float | None = Field(description="the objective's value (None: undefined)")
    final_equity: float
    total_return: float
    trades: int = Field(description="closed round trips")
    sharpe: float | None
    max_drawdown: float | None = Field(description="negative fraction (-0.2 = a 20% fall)")


class FoldResult(BaseModel):
    """One walk-forward fold: the parameters chosen in-sample and how they did out-of-sample.

    Bar indices are positions in the loaded bars; ``*_end`` is exclusive. ``oos_warmup`` is
    the number of bars before ``test_start`` that the out-of-sample run read to warm its
    indicators up (held flat, never counted).
    """

    index: int
    train_start: int
    train_end: int
    test_start: int
    test_end: int
    train_first: str
    train_last: str
    test_first: str
    test_last: str
    oos_warmup: int
    params: dict[str, Any]
    evaluated: int
    dropped_invalid: int
    is_score: float | None
    oos_score: float | None
    is_metrics: dict[str, Any]
    oos_metrics: dict[str, Any]


class WalkForwardResult(BaseModel):
    """Every fold side by side, plus the out-of-sample curve they make when chained."""

    mode: WalkMode
    folds: list[FoldResult]
    train_bars: int = Field(description="in-sample bars of the first fold")
    test_bars: int
    oos_ts: list[int] = Field(description="ns UTC of each stitched out-of-sample bar")
    oos_equity: list[float] = Field(
        description="stitched OOS equity at each oos_ts bar, chained from the starting cash"
    )
    oos_score: float | None
    oos_metrics: dict[str, Any] = Field(description="summary of the stitched OOS curve")


class OptimizationResult(BaseModel):
    """What a search found. With walk-forward, ``best_params``/``top`` are the last fold's
    in-sample search: the parameters one would trade next; the folds are in ``walk_forward``.
    """

    strategy: str
    symbol: str = ""
    spec: str = ""
    bars: int = 0
    periods_per_year: float = 0.0
    metric: str
    method: Method
    backend: Backend
    seed: int | None = None
    combinations: int = Field(0, description="size of the search space before validation")
    evaluated: int
    dropped_invalid: int = Field(description="combinations the strategy refused (fast >= slow)")
    interrupted: bool
    best_params: dict[str, Any] | None
    best_score: float | None
    top: list[TopEntry]
    walk_forward: WalkForwardResult | None = None
    notes: list[str] = Field(default_factory=list)
