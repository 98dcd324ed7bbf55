"""Objectives: the number a search maximises, computed by :mod:`neural_trader.analytics`.

Every objective is maximised. ``max_drawdown`` is a negative fraction (decision 0008), so
maximising it picks the shallowest drawdown; note that a strategy that never trades has no
drawdown at all and wins that contest. Scores are computed by the very functions
:func:`~neural_trader.analytics.summarize` calls, on the same returns (the equity with the
starting cash prepended as the baseline), so a score equals the ``backtest`` command's number
for that configuration. Undefined scores are NaN and rank after every defined one.

``win_rate`` and ``profit_factor`` need the round-trip records, which the grid kernel does not
keep; configurations scored by them run one at a time through ``run_vector``
(:attr:`Objective.needs_trades`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt

from neural_trader.analytics import metrics as m
from neural_trader.analytics.trades import trade_stats
from neural_trader.core.errors import InvalidArgumentError

__all__ = [
    "METRICS",
    "MetricName",
    "Objective",
    "get_objective",
    "rank_order",
    "score_equity",
    "score_trades",
]

MetricName = Literal[
    "sharpe",
    "sortino",
    "total_return",
    "cagr",
    "calmar",
    "max_drawdown",
    "profit_factor",
    "win_rate",
]
METRICS: tuple[str, ...] = get_args(MetricName)

FloatArray = npt.NDArray[np.float64]
ReturnsMetric = Callable[[FloatArray, float], float]


def _max_drawdown(r: FloatArray, ppy: float) -> float:
    # summarize() reports 0.0 for an empty series; do the same so the numbers agree.
    return m.max_drawdown(r) if r.size else 0.0


_RETURNS: dict[str, ReturnsMetric] = {
    "sharpe": lambda r, ppy: m.sharpe(r, periods_per_year=ppy),
    "sortino": lambda r, ppy: m.sortino(r, periods_per_year=ppy),
    "total_return": lambda r, ppy: m.total_return(r),
    "cagr": lambda r, ppy: m.cagr(r, periods_per_year=ppy),
    "calmar": lambda r, ppy: m.calmar(r, periods_per_year=ppy),
    "max_drawdown": _max_drawdown,
}


@dataclass(frozen=True)
class Objective:
    """A metric by name; ``needs_trades`` says whether it reads round-trip records."""

    name: str
    needs_trades: bool


def get_objective(name: str) -> Objective:
    """The objective called ``name``; an error listing the valid names otherwise."""
    if name not in METRICS:
        raise InvalidArgumentError(
            f"unknown metric {name!r}; choose one of {', '.join(METRICS)}",
            hint="every metric is maximised (max_drawdown: the least negative wins)",
        )
    return Objective(name=name, needs_trades=name in ("profit_factor", "win_rate"))


def _nan_if_none(value: float | None) -> float:
    return math.nan if value is None or not math.isfinite(value) else float(value)


def score_equity(name: str, equity: npt.ArrayLike, *, periods_per_year: float) -> float:
    """The metric of an equity curve whose first value is the starting cash (the baseline).

    Metric warnings (zero dispersion...) are silenced: in a sweep they would repeat for every
    configuration that never trades, and the NaN score already says "undefined".
    """
    if name not in _RETURNS:
        raise InvalidArgumentError(f"metric {name!r} is computed from trades, not equity")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", m.MetricWarning)
        r = m.returns_from_equity(np.asarray(equity, dtype=np.float64))
        return _nan_if_none(_RETURNS[name](r, float(periods_per_year)))


def score_trades(name: str, trades: npt.NDArray[Any]) -> float:
    """``win_rate`` or ``profit_factor`` of the closed round trips (NaN when undefined)."""
    stats = trade_stats(trades)
    if name == "win_rate":
        return _nan_if_none(stats.win_rate)
    if name == "profit_factor":
        return _nan_if_none(stats.profit_factor)
    raise InvalidArgumentError(f"metric {name!r} is computed from equity, not trades")


def rank_order(scores: Sequence[float]) -> list[int]:
    """Indices of ``scores`` best first: higher is better, NaN last, ties in input order."""
    return sorted(
        range(len(scores)),
        key=lambda i: (math.isnan(scores[i]), -scores[i] if not math.isnan(scores[i]) else 0.0, i),
    )
