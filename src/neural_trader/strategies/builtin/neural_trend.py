"""Neural trend: trade a model's forecast return over the horizon, gated by its interval width."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from neural_trader.core.data import Bar
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.strategies.base import StrategyContext, StrategyData
from neural_trader.strategies.builtin.momentum import HoldState, hold_state, on_change
from neural_trader.strategies.builtin.neural_common import (
    NeuralStrategy,
    Predictor64,
    gate,
    horizon_move,
)
from neural_trader.strategies.parameters import BoolParam, FloatParam
from neural_trader.strategies.registry import register

__all__ = ["NeuralTrend"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
NAN = math.nan


@register
class NeuralTrend(NeuralStrategy):
    """Go with the return a forecasting model expects over its horizon.

    After bar ``t`` closes, the model forecasts the next ``horizon`` closes from the
    ``input_size`` closes ending at ``t``; the expected return is
    ``r = forecast[t + horizon] / close[t] - 1`` (``horizon_stat="end"``, the return of a
    position held over the horizon; ``"mean"`` uses the mean forecast over the horizon).

    - **Enter long** when ``r > threshold``; **short** when ``r < -threshold`` and
      ``allow_short``. A long **exits** when ``r < exit_threshold``, a short when
      ``r > -exit_threshold`` (by default as soon as the model stops expecting a gain).
    - **Confidence** (``max_width``): the model's ``level``% interval at the same point,
      divided by the expected move ``|forecast - close|``; an entry whose band is wider than
      ``max_width`` times the move is skipped, or entered at ``trim_size`` when given.
      Intervals are the model's quantiles or its split-conformal radii (0016).

    The model is ``model`` (a registry id: ``neural-trader forecast train``, ``forecast
    list``) or, without one, trained here walk-forward on the closes before each fold:
    bars ``[0, train_bars)`` train the first model and are never traded, and with
    ``retrain_every`` each later fold trades with a model trained on every bar before its
    start (see :mod:`~neural_trader.strategies.builtin.neural_common`). ``seed`` fixes the
    training, so the same seed gives the same trades on the same machine and torch threads.
    Both backtest engines give the same targets: ``signals`` forecasts all windows of a fold
    in a few forward passes, ``on_bar`` one window per bar, both in float64.

    A registry model trained with calendar or bar-column features is given them; one trained
    with a ``sentiment`` column belongs to ``neural_sentiment``. Needs the ``forecast`` extra.
    """

    name: ClassVar[str] = "neural_trend"
    description: ClassVar[str] = (
        "Trade a neural forecast's expected return over the horizon, gated by interval width"
    )

    threshold = FloatParam(
        0.002,
        low=0.0,
        high=0.1,
        step=0.001,
        description="expected return over the horizon needed to enter (0.002 = 0.2%)",
    )
    exit_threshold = FloatParam(
        0.0,
        low=-0.05,
        high=0.05,
        step=0.001,
        description="a long exits below this expected return (a short above its negative)",
    )
    allow_short = BoolParam(False, description="also go short on forecasts of a fall")

    def check_params(self) -> None:
        super().check_params()
        if self.p.exit_threshold > self.p.threshold:
            raise InvalidArgumentError(
                f"parameter exit_threshold={self.p.exit_threshold} must not exceed "
                f"threshold={self.p.threshold} (a new entry would exit at once)"
            )

    # -- shared decision ---------------------------------------------------------------------
    def conditions(
        self, r: FloatArray, ratio: FloatArray
    ) -> tuple[BoolArray, BoolArray, BoolArray, BoolArray, BoolArray, FloatArray]:
        """Entry/exit conditions and entry sizes per bar (NaN ``r``: nothing happens)."""
        p = self.p
        ok = np.isfinite(r)
        allowed, size = gate(ratio, p.max_width, p.trim_size)
        le = ok & (r > p.threshold) & allowed
        se = ok & (r < -p.threshold) & allowed & bool(p.allow_short)
        lx = ok & (r < p.exit_threshold)
        sx = ok & (r > -p.exit_threshold)
        flat = np.zeros(r.shape[0], dtype=np.bool_)
        return le, se, flat, lx, sx, size

    def expected(
        self, pred: Predictor64, windows: FloatArray, exog: npt.NDArray[np.float32] | None
    ) -> tuple[FloatArray, FloatArray]:
        """Expected return and width ratio of each window (its last value is the close)."""
        point, lo, hi = pred.forecast(windows, exog, self.interval_level)
        last = windows[:, -1]
        move, ratio = horizon_move(point, lo, hi, last, self.p.horizon_stat)
        r: FloatArray = move / last
        return r, ratio

    # -- vectorized ----------------------------------------------------------------------------
    def forecast_returns(self, data: StrategyData) -> tuple[FloatArray, FloatArray]:
        """``(r, ratio)`` per bar, NaN before the first trade (for reports and tests)."""
        n = len(data)
        close = np.ascontiguousarray(data.close, dtype=np.float64)
        r = np.full(n, NAN)
        ratio = np.full(n, NAN)
        folds = self.folds(n)
        if not folds:
            return r, ratio
        exog = self.exog_matrix(data)
        lag = np.arange(-self.window + 1, 1, dtype=np.int64)
        for start, stop in folds:
            pred = self.predictor(
                start, close[:start], None if exog is None else exog[:start], data.ts_event
            )
            rows = np.arange(start, stop, dtype=np.int64)[:, None] + lag[None, :]
            r[start:stop], ratio[start:stop] = self.expected(
                pred, close[rows], None if exog is None else exog[rows]
            )
        return r, ratio

    def signals(self, data: StrategyData) -> FloatArray:
        r, ratio = self.forecast_returns(data)
        le, se, flat, lx, sx, size = self.conditions(r, ratio)
        return on_change(hold_state(le, se, flat, lx, sx, size, size))

    # -- event path ----------------------------------------------------------------------------
    def on_start(self, ctx: StrategyContext, **kwargs: Any) -> None:
        self._closes: list[float] = []
        self._ts: list[int] = []
        self._state = HoldState()
        self._fold = -1
        self._pred: Predictor64 | None = None
        self.on_start_features()

    def on_bar(self, ctx: StrategyContext, bar: Bar, **kwargs: Any) -> None:
        t = ctx.bar_index
        self._closes.append(float(bar.close))
        self._ts.append(int(bar.ts_event))
        self.exog_row(ctx, bar)
        if t < self.first_bar:
            return
        start = self.fold_of(t)
        if start != self._fold or self._pred is None:
            if self._fold < 0:
                self.check_event_feeds()
            self._pred = self.predictor(
                start,
                np.asarray(self._closes[:start], dtype=np.float64),
                self.exog_array(stop=start),
                np.asarray(self._ts, dtype=np.int64),
            )
            self._fold = start
        window = np.asarray(self._closes[-self.window :], dtype=np.float64)[None, :]
        ex = self.exog_array(last=self.window)
        r, ratio = self.expected(self._pred, window, None if ex is None else ex[None, :, :])
        le, se, flat, lx, sx, size = self.conditions(r, ratio)
        target = self._state.step(
            bool(le[0]),
            bool(se[0]),
            bool(flat[0]),
            bool(lx[0]),
            bool(sx[0]),
            float(size[0]),
            float(size[0]),
        )
        if target == target:
            ctx.target(target)
