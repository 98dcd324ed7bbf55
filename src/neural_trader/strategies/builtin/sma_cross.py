"""Moving-average crossover: the textbook trend follower and the golden benchmark's rule."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from neural_trader.core.data import Bar
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.indicators import sma
from neural_trader.indicators.incremental import SMA
from neural_trader.strategies.base import Strategy, StrategyContext, StrategyData
from neural_trader.strategies.parameters import BoolParam, IntParam
from neural_trader.strategies.registry import register

__all__ = ["SMACross"]

FloatArray = npt.NDArray[np.float64]


@register
class SMACross(Strategy):
    """Long after the fast SMA crosses above the slow one; out (or short) after it crosses below.

    A cross is a change of sign of ``fast - slow``. A tie (difference exactly 0) is not a sign:
    the previous sign is carried through it, so touching and parting again is no cross
    (backtrader's ``CrossOver``, vectorbt's ``crossed_above``). Targets: 1 on a cross above;
    on a cross below 0, or -1 with ``allow_short``; NaN (keep) on every other bar. The first
    sign after the warm-up is no cross either: the strategy waits for a real one. These are
    the golden benchmark job's targets (``tests/acceptance/test_golden_job.py``).
    """

    name: ClassVar[str] = "sma_cross"
    description: ClassVar[str] = "Long when the fast SMA crosses above the slow SMA, out below"
    long_only: ClassVar[bool] = False

    fast = IntParam(10, low=2, high=200, step=5, description="fast SMA length in bars")
    slow = IntParam(50, low=3, high=500, step=10, description="slow SMA length in bars")
    allow_short = BoolParam(False, description="go short (-1) on a cross below instead of flat")

    def check_params(self) -> None:
        if self.p.fast >= self.p.slow:
            raise InvalidArgumentError(
                f"parameter fast={self.p.fast} must be below slow={self.p.slow}"
            )

    @property
    def warmup(self) -> int:
        return int(self.p.slow)

    def signals(self, data: StrategyData) -> FloatArray:
        close = np.ascontiguousarray(data.close, dtype=np.float64)
        n = len(close)
        diff = sma(close, timeperiod=self.p.fast) - sma(close, timeperiod=self.p.slow)
        sign = np.sign(diff)
        sign[sign == 0.0] = math.nan  # a tie carries the previous sign
        idx = np.maximum.accumulate(np.where(np.isnan(sign), 0, np.arange(n)))
        sign = sign[idx]
        prev = np.concatenate(([math.nan], sign[:-1]))
        out = np.full(n, math.nan)
        out[(prev < 0.0) & (sign > 0.0)] = 1.0
        out[(prev > 0.0) & (sign < 0.0)] = -1.0 if self.p.allow_short else 0.0
        return out

    def on_start(self, ctx: StrategyContext, **kwargs: Any) -> None:
        self._fast = SMA(self.p.fast)
        self._slow = SMA(self.p.slow)
        self._sign = 0.0

    def on_bar(self, ctx: StrategyContext, bar: Bar, **kwargs: Any) -> None:
        diff = self._fast.update(bar.close) - self._slow.update(bar.close)
        if diff != diff or diff == 0.0:
            return
        sign = 1.0 if diff > 0.0 else -1.0
        prev = self._sign
        self._sign = sign
        if prev < 0.0 < sign:
            ctx.target(1.0)
        elif sign < 0.0 < prev:
            ctx.target(-1.0 if self.p.allow_short else 0.0)
