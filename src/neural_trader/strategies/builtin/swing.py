"""Swing: buy the turn out of oversold, sell the turn out of overbought (RSI bands)."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from neural_trader.core.data import Bar
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.indicators import rsi
from neural_trader.indicators.incremental import RSI
from neural_trader.strategies.base import Strategy, StrategyContext, StrategyData
from neural_trader.strategies.builtin.momentum import HoldState, hold_state, on_change
from neural_trader.strategies.parameters import FloatParam, IntParam
from neural_trader.strategies.registry import register

__all__ = ["Swing"]

FloatArray = npt.NDArray[np.float64]


@register
class Swing(Strategy):
    """Long-only RSI swing trading.

    - **Enter long** when RSI crosses *up* through ``lower``: the previous bar's RSI was below
      ``lower`` and this bar's is at or above it (the turn out of oversold, not the oversold
      reading itself, so a still-falling market is not bought).
    - **Exit** when RSI crosses *down* through ``upper``: the previous bar's RSI was above
      ``upper`` and this bar's is at or below it. Merely reaching ``upper`` does not exit: a
      strong swing is ridden for as long as RSI stays overbought.

    Targets are 1 / 0, set only on the bar the wanted position changes.
    """

    name: ClassVar[str] = "swing"
    description: ClassVar[str] = (
        "Long when RSI crosses up through the lower band, out when it crosses down "
        "through the upper"
    )
    long_only: ClassVar[bool] = True

    rsi_period = IntParam(14, low=2, high=100, step=2, description="RSI lookback in bars")
    lower = FloatParam(30.0, low=5.0, high=50.0, step=5.0, description="oversold RSI level")
    upper = FloatParam(70.0, low=50.0, high=95.0, step=5.0, description="overbought RSI level")

    def check_params(self) -> None:
        if self.p.lower >= self.p.upper:
            raise InvalidArgumentError(
                f"parameter lower={self.p.lower} must be below upper={self.p.upper}"
            )

    @property
    def warmup(self) -> int:
        return int(self.p.rsi_period) + 1

    def signals(self, data: StrategyData) -> FloatArray:
        p = self.p
        r = rsi(np.ascontiguousarray(data.close, dtype=np.float64), timeperiod=p.rsi_period)
        prev = np.concatenate(([math.nan], r[:-1]))
        enter = (prev < p.lower) & (r >= p.lower)
        leave = (prev > p.upper) & (r <= p.upper)
        never = np.zeros(len(r), dtype=np.bool_)
        return on_change(hold_state(enter, never, never, leave, never))

    def on_start(self, ctx: StrategyContext, **kwargs: Any) -> None:
        self._rsi = RSI(self.p.rsi_period)
        self._prev = math.nan
        self._state = HoldState()

    def on_bar(self, ctx: StrategyContext, bar: Bar, **kwargs: Any) -> None:
        p = self.p
        r = self._rsi.update(bar.close)
        prev = self._prev
        self._prev = r
        enter = prev < p.lower <= r
        leave = prev > p.upper >= r
        target = self._state.step(enter, False, False, leave, False)
        if target == target:
            ctx.target(target)
