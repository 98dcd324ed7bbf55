"""Pairs trading: trade the z-score of a cointegrated spread, two legs through the portfolio."""

from __future__ import annotations

import math
import warnings
from collections import deque
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from neural_trader.core.data import Bar
from neural_trader.core.errors import InvalidArgumentError, NotSupportedError
from neural_trader.indicators import rolling_ols_hedge_ratio
from neural_trader.indicators.incremental import RollingOLS, RollingZScore
from neural_trader.strategies.base import (
    DataRequirement,
    Strategy,
    StrategyContext,
    StrategyData,
)
from neural_trader.strategies.builtin.momentum import HoldState, hold_state, trailing_zscore
from neural_trader.strategies.parameters import FloatParam, IntParam
from neural_trader.strategies.registry import register

__all__ = ["Pairs", "cointegration_pvalues", "window_pvalue"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def cointegration_pvalues(a: FloatArray, b: FloatArray, formation: int, retest: int) -> FloatArray:
    """Engle-Granger p-value of ``a`` on ``b`` over the trailing ``formation`` bars.

    Tested on bars ``formation - 1``, then every ``retest`` bars (the schedule depends on the
    bar index only, so a truncated series is tested on the same bars with the same windows);
    each result holds until the next test. NaN before the first test and for windows with a
    NaN or a constant leg (no regression possible).
    """
    n = len(a)
    out = np.full(n, math.nan)
    for t in range(formation - 1, n, retest):
        out[t : t + retest] = window_pvalue(
            a[t - formation + 1 : t + 1], b[t - formation + 1 : t + 1]
        )
    return out


def window_pvalue(wa: FloatArray, wb: FloatArray) -> float:
    """Engle-Granger p-value of ``wa`` on ``wb`` (one test window); NaN for a window with a NaN
    or a constant leg. Both the vectorized and the ``on_bar`` path call this on equal windows."""
    from statsmodels.tsa.stattools import coint

    if not (np.isfinite(wa).all() and np.isfinite(wb).all() and np.ptp(wa) > 0 and np.ptp(wb) > 0):
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # collinearity warnings on perfect fits
        return float(coint(wa, wb)[1])


@register
class Pairs(Strategy):
    """Statistical arbitrage on two legs: the primary symbol ``A`` and the ``other`` feed ``B``.

    Per bar ``t`` (nothing after ``t`` is read):

    - **Cointegration**: Engle-Granger test (``statsmodels.tsa.stattools.coint``, A on B) over
      the last ``formation`` bars, re-run every ``retest`` bars; the pair is *cointegrated*
      while the latest p-value is below ``pvalue``.
    - **Hedge ratio** ``beta``: least squares of A on B over the last ``window`` bars;
      spread ``A - beta * B``; ``z`` = its z-score over the last ``window`` spreads.
    - **Enter** when cointegrated and ``|z| > entry_z``: ``z < -entry_z`` buys the spread
      (long A, short ``beta`` B), ``z > entry_z`` sells it.
    - **Exit** when ``|z| < exit_z`` (the spread is back near its mean), and also when a
      re-test finds the pair no longer cointegrated (the spread has no mean to return to).

    Legs are weights with gross exposure 1: ``A: d / (1 + |beta|)``, ``B: -d * beta / (1 +
    |beta|)`` for direction ``d``, fixed at entry (NaN = keep until the exit sets both to 0).
    Run them with :meth:`signals_legs` and ``run_portfolio`` with
    ``BacktestConfig(sizer="target_weight", long_only=False)``, or bar by bar with
    ``run_event_portfolio(Pairs(), [a, b], config)``: :meth:`on_bar` is the incremental twin
    of :meth:`signals_legs` (the same weights exactly) and calls ``ctx.target_weights``.
    There is no one-leg version: :meth:`signals` raises ``NotSupportedError``, and so does
    :meth:`on_bar` under a single-asset context.
    """

    name: ClassVar[str] = "pairs"
    description: ClassVar[str] = (
        "Trade the z-score of a cointegrated spread between two symbols (two legs)"
    )
    long_only: ClassVar[bool] = False
    requires: ClassVar[tuple[DataRequirement, ...]] = (
        DataRequirement("other", "bars", "the second leg's bars"),
    )

    formation = IntParam(
        252, low=30, high=2520, step=21, description="bars in each cointegration test"
    )
    retest = IntParam(21, low=1, high=504, step=21, description="bars between cointegration tests")
    window = IntParam(
        60, low=10, high=500, step=10, description="bars for the hedge ratio and the z-score"
    )
    entry_z = FloatParam(2.0, low=0.25, high=5.0, step=0.25, description="|z| to enter")
    exit_z = FloatParam(0.5, low=0.0, high=4.0, step=0.25, description="|z| below which to exit")
    pvalue = FloatParam(
        0.05, low=0.01, high=0.5, step=0.01, description="cointegration test significance"
    )

    def check_params(self) -> None:
        if self.p.exit_z >= self.p.entry_z:
            raise InvalidArgumentError(
                f"parameter exit_z={self.p.exit_z} must be below entry_z={self.p.entry_z}"
            )

    @property
    def warmup(self) -> int:
        return int(max(self.p.formation - 1, 2 * (self.p.window - 1)))

    def _legs_input(self, data: StrategyData) -> tuple[FloatArray, FloatArray]:
        other = data.feed("other")
        if other is None:
            raise InvalidArgumentError(
                "pairs needs feed 'other': the second leg's closes aligned to the primary bars",
                hint="pass the second symbol (the CLI's --other) or "
                "StrategyData(..., feeds={'other': close_b})",
            )
        a = np.ascontiguousarray(data.close, dtype=np.float64)
        return a, np.ascontiguousarray(other, dtype=np.float64)

    def spread_zscore(self, data: StrategyData) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``(beta, z, pvalue)`` per bar: the hedge ratio, the spread's z-score and the latest
        cointegration p-value (for reports and plots)."""
        a, b = self._legs_input(data)
        p = self.p
        beta = rolling_ols_hedge_ratio(a, b, p.window).beta
        # The spread exists from bar window-1 (the first hedge ratio); its z-score starts there,
        # as the incremental RollingZScore of on_bar does (bit-equal: trailing_zscore).
        z = trailing_zscore(a - beta * b, p.window - 1, p.window)
        return beta, z, cointegration_pvalues(a, b, p.formation, p.retest)

    def signals_legs(self, data: StrategyData) -> FloatArray:
        """Weights ``(n_bars, 2)`` for ``[primary, other]``: NaN keeps, zeros close both legs."""
        p = self.p
        beta, z, pvalues = self.spread_zscore(data)
        cointegrated = pvalues < p.pvalue
        ok = cointegrated & np.isfinite(beta)
        long_spread = ok & (z < -p.entry_z)
        short_spread = ok & (z > p.entry_z)
        n = len(z)
        tested = np.zeros(n, dtype=np.bool_)
        tested[p.formation - 1 :: p.retest] = True
        decoupled = tested & ~cointegrated
        flat = (np.abs(z) < p.exit_z) | decoupled
        never = np.zeros(n, dtype=np.bool_)
        state = hold_state(long_spread, short_spread, flat, never, never)
        prev = np.concatenate(([0.0], state[:-1]))
        change = state != prev
        scale = np.where(change & (state != 0.0), 1.0 / (1.0 + np.abs(beta)), 0.0)
        legs = np.full((n, 2), math.nan)
        legs[change, 0] = state[change] * scale[change]
        legs[change, 1] = -state[change] * beta[change] * scale[change]
        legs[change & (state == 0.0)] = 0.0
        return legs

    def signals(self, data: StrategyData) -> FloatArray:
        raise NotSupportedError(
            "pairs trades two legs and has no single-asset targets; "
            "use Pairs.signals_legs(data) with run_portfolio (the vector portfolio engine)"
        )

    # -- event path (run_event_portfolio) -----------------------------------------------------
    def on_start(self, ctx: StrategyContext, **kwargs: Any) -> None:
        p = self.p
        self._a: deque[float] = deque(maxlen=p.formation)
        self._b: deque[float] = deque(maxlen=p.formation)
        self._ols = RollingOLS(p.window)
        self._z = RollingZScore(p.window)
        self._pvalue = math.nan
        self._state = HoldState()

    def on_bar(self, ctx: StrategyContext, bar: Bar, **kwargs: Any) -> None:
        """The incremental twin of :meth:`signals_legs`: sets ``ctx.target_weights([A, B])``.

        Needs a multi-leg context (``run_event_portfolio``) and NaN-free closes of both legs
        (the incremental indicators refuse NaN input).
        """
        set_weights = getattr(ctx, "target_weights", None)
        if set_weights is None:
            raise NotSupportedError(
                "pairs trades two legs: run it with run_event_portfolio (event engine) or "
                "Pairs.signals_legs with run_portfolio (vector engine)"
            )
        p = self.p
        t = ctx.bar_index
        a = float(bar.close)
        b = float(ctx.feed("other"))
        self._a.append(a)
        self._b.append(b)
        tested = t >= p.formation - 1 and (t - p.formation + 1) % p.retest == 0
        if tested:
            self._pvalue = window_pvalue(
                np.array(self._a, dtype=np.float64), np.array(self._b, dtype=np.float64)
            )
        beta = self._ols.update(a, b).beta
        z = math.nan
        if t >= p.window - 1:
            z = self._z.update(a - beta * b)
        cointegrated = self._pvalue < p.pvalue
        ok = cointegrated and math.isfinite(beta)
        flat = abs(z) < p.exit_z or (tested and not cointegrated)
        state = self._state.step(ok and z < -p.entry_z, ok and z > p.entry_z, flat, False, False)
        if state != state:
            return
        if state == 0.0:
            set_weights([0.0, 0.0])
            return
        scale = 1.0 / (1.0 + abs(beta))
        set_weights([state * scale, -state * beta * scale])
