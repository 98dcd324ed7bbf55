"""One call that turns an equity curve (and optionally trades) into every reported number.

The CLI's JSON, the HTML tear sheet and the PNG all read a :class:`PerformanceSummary`, so a
number means the same thing wherever it is shown. Undefined values are NaN in the object and
``None`` in :meth:`PerformanceSummary.to_dict`, which keeps ``json.dumps`` output valid JSON
(``NaN`` is not JSON). Why a value is undefined is recorded in ``notes`` (the
:class:`~neural_trader.analytics.metrics.MetricWarning` messages raised while computing).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from neural_trader.analytics import metrics as m
from neural_trader.analytics.trades import (
    exposure,
    trade_stats,
    traded_notional_from_trades,
    turnover,
)
from neural_trader.core.errors import InvalidArgumentError

__all__ = ["PerformanceSummary", "summarize"]


@dataclass(frozen=True, slots=True)
class PerformanceSummary:
    """Every headline number of a run. Fractions are fractions (0.12 = 12%), not percents.

    ``max_drawdown`` is NEGATIVE (empyrical's sign); ``var``/``cvar`` are POSITIVE loss
    fractions made by ``var_method`` at ``var_confidence``. Trade fields are NaN/0 and
    ``alpha``/``beta`` NaN when the corresponding inputs were not given.
    """

    periods_per_year: float
    n_periods: int
    start_equity: float
    final_equity: float
    total_return: float
    cagr: float
    annual_volatility: float
    sharpe: float
    sortino: float
    calmar: float
    max_drawdown: float
    max_drawdown_duration: int
    drawdown_peak_idx: int | None
    drawdown_trough_idx: int | None
    drawdown_recovery_idx: int | None
    omega: float
    tail_ratio: float
    stability: float
    skew: float
    kurtosis: float
    var: float
    cvar: float
    var_method: m.VarMethod
    var_confidence: float
    risk_free: float
    trades: int
    open_trades: int
    win_rate: float
    profit_factor: float | None
    avg_win: float
    avg_loss: float
    payoff_ratio: float
    expectancy: float
    largest_win: float
    largest_loss: float
    avg_holding_bars: float
    exposure: float
    turnover: float
    alpha: float
    beta: float
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict: NaN and inf become ``None``, ``notes`` a list."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out


def summarize(
    equity: npt.ArrayLike,
    *,
    periods_per_year: float,
    trades: npt.NDArray[Any] | pd.DataFrame | None = None,
    positions: npt.ArrayLike | None = None,
    traded_notional: npt.ArrayLike | None = None,
    benchmark_returns: npt.ArrayLike | None = None,
    risk_free: float = 0.0,
    var_confidence: float = 0.95,
    var_method: m.VarMethod = "historical",
) -> PerformanceSummary:
    """Compute a :class:`PerformanceSummary` from an equity curve.

    ``equity[0]`` is the starting capital: it is the 1.0 wealth baseline, so a loss on the
    first bar counts as a drawdown. ``benchmark_returns`` are aligned with the equity
    *returns* (length ``len(equity) - 1``). ``positions`` and ``traded_notional`` are per
    equity bar; without ``traded_notional`` the turnover is rebuilt from ``trades`` if given.
    ``risk_free`` is annual. Sortino and omega use the risk-free rate as their threshold, so
    all three ratios answer "better than cash?".
    """
    eq = np.asarray(equity, dtype=np.float64)
    if eq.ndim != 1 or eq.size < 1:
        raise InvalidArgumentError(f"equity must be a non-empty 1-D array, got shape {eq.shape}")
    if not (math.isfinite(eq[0]) and eq[0] > 0):
        raise InvalidArgumentError(f"equity[0] is the starting capital and must be > 0: {eq[0]}")
    ppy = float(periods_per_year)
    n_bars = eq.size
    for name, arr in (("positions", positions), ("traded_notional", traded_notional)):
        if arr is not None and np.shape(arr) != (n_bars,):
            raise InvalidArgumentError(
                f"{name} must have one value per equity bar ({n_bars}), got {np.shape(arr)}"
            )

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", m.MetricWarning)
        r = m.returns_from_equity(eq)
        spell = m.max_drawdown_duration(r)
        var = m.value_at_risk(r, confidence=var_confidence, method=var_method)
        cvar = m.conditional_value_at_risk(r, confidence=var_confidence, method=var_method)
        alpha = beta = math.nan
        if benchmark_returns is not None:
            bench = np.asarray(benchmark_returns, dtype=np.float64)
            if bench.shape != r.shape:
                raise InvalidArgumentError(
                    f"benchmark_returns must align with the equity returns ({r.size} values, "
                    f"one fewer than equity), got {bench.shape}"
                )
            alpha, beta = m.alpha_beta(r, bench, periods_per_year=ppy, risk_free=risk_free)
        values: dict[str, Any] = {
            "total_return": m.total_return(r),
            "cagr": m.cagr(r, periods_per_year=ppy),
            "annual_volatility": m.annual_volatility(r, periods_per_year=ppy),
            "sharpe": m.sharpe(r, periods_per_year=ppy, risk_free=risk_free),
            "sortino": m.sortino(r, periods_per_year=ppy, required_return=risk_free),
            "calmar": m.calmar(r, periods_per_year=ppy),
            "max_drawdown": m.max_drawdown(r) if r.size else 0.0,
            "omega": m.omega(r, periods_per_year=ppy, required_return=risk_free),
            "tail_ratio": m.tail_ratio(r),
            "stability": m.stability(r),
            "skew": m.skew(r),
            "kurtosis": m.kurtosis(r),
        }
    notes = tuple(dict.fromkeys(str(w.message) for w in caught if w.category is m.MetricWarning))
    for w in caught:  # pass on anything that is not ours (e.g. numpy's) unchanged
        if w.category is not m.MetricWarning:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

    ts = trade_stats(trades) if trades is not None else None
    if traded_notional is not None:
        to = turnover(traded_notional, eq, periods_per_year=ppy)
    elif trades is not None:
        to = turnover(traded_notional_from_trades(trades, n_bars), eq, periods_per_year=ppy)
    else:
        to = math.nan

    return PerformanceSummary(
        periods_per_year=ppy,
        n_periods=int(r.size),
        start_equity=float(eq[0]),
        final_equity=float(eq[-1]),
        max_drawdown_duration=spell.periods,
        drawdown_peak_idx=spell.peak_idx,
        drawdown_trough_idx=spell.trough_idx,
        drawdown_recovery_idx=spell.recovery_idx,
        var=var.value,
        cvar=cvar.value,
        var_method=var.method,
        var_confidence=var.confidence,
        risk_free=float(risk_free),
        trades=ts.trades if ts else 0,
        open_trades=ts.open_trades if ts else 0,
        win_rate=ts.win_rate if ts else math.nan,
        profit_factor=ts.profit_factor if ts else None,
        avg_win=ts.avg_win if ts else math.nan,
        avg_loss=ts.avg_loss if ts else math.nan,
        payoff_ratio=ts.payoff_ratio if ts else math.nan,
        expectancy=ts.expectancy if ts else math.nan,
        largest_win=ts.largest_win if ts else math.nan,
        largest_loss=ts.largest_loss if ts else math.nan,
        avg_holding_bars=ts.avg_holding_bars if ts else math.nan,
        exposure=exposure(positions) if positions is not None else math.nan,
        turnover=to,
        alpha=alpha,
        beta=beta,
        notes=notes,
        **values,
    )
