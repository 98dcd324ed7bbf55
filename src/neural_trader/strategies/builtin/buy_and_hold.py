"""Buy and hold: the benchmark every other strategy has to beat after costs."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from neural_trader.core.data import Bar
from neural_trader.strategies.base import Strategy, StrategyContext, StrategyData
from neural_trader.strategies.registry import register

__all__ = ["BuyAndHold"]

FloatArray = npt.NDArray[np.float64]


@register
class BuyAndHold(Strategy):
    """Target 1 on the first bar, then keep it (NaN) to the end.

    Setting the target once, rather than on every bar, leaves the engine's rules intact: after
    a ``stop_loss`` or ``take_profit`` exit it waits for a *new* target, so the benchmark with a
    stop stays out instead of buying back on the next bar.
    """

    name: ClassVar[str] = "buy_and_hold"
    description: ClassVar[str] = "Fully long from the first bar to the last"
    long_only: ClassVar[bool] = True

    def signals(self, data: StrategyData) -> FloatArray:
        out = np.full(len(data), math.nan)
        if len(out):
            out[0] = 1.0
        return out

    def on_start(self, ctx: StrategyContext, **kwargs: Any) -> None:
        self._started = False

    def on_bar(self, ctx: StrategyContext, bar: Bar, **kwargs: Any) -> None:
        if not self._started:
            self._started = True
            ctx.target(1.0)
