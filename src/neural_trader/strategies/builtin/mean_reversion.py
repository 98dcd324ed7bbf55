"""Mean reversion: fade closes outside the Bollinger bands when RSI agrees they are stretched."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from neural_trader.core.data import Bar
from neural_trader.indicators import bbands, rsi
from neural_trader.indicators.incremental import RSI, BollingerBands
from neural_trader.strategies.base import Strategy, StrategyContext, StrategyData
from neural_trader.strategies.builtin.momentum import (
    RSI_OVERBOUGHT,
    RSI_OVERSOLD,
    HoldState,
    hold_state,
    on_change,
)
from neural_trader.strategies.parameters import BoolParam, FloatParam, IntParam
from neural_trader.strategies.registry import register

__all__ = ["MeanReversion"]

FloatArray = npt.NDArray[np.float64]


@register
class MeanReversion(Strategy):
    """Buy oversold dips below the lower band, sell back at the mean.

    Per bar ``t``: Bollinger bands over the last ``period`` closes (SMA middle, ``num_std``
    population standard deviations, as TA-Lib's BBANDS) and RSI(``rsi_period``).

    - **Long** when ``close < lower`` and ``RSI < 30``.
    - **Short** (only with ``allow_short``) when ``close > upper`` and ``RSI > 70``.
    - **Exit** when the close is back at the middle band: a long on ``close >= middle``, a
      short on ``close <= middle``. There is no other exit (use ``stop_loss`` for a bound on
      the loss of a dip that keeps falling).

    Targets are +1 / -1 / 0, set only on the bar the wanted position changes.
    """

    name: ClassVar[str] = "mean_reversion"
    description: ClassVar[str] = (
        "Long below the lower Bollinger band with RSI < 30 (short above the upper), "
        "out at the middle band"
    )
    long_only: ClassVar[bool] = False

    period = IntParam(20, low=5, high=250, step=5, description="Bollinger lookback in bars")
    num_std = FloatParam(
        2.0, low=0.5, high=4.0, step=0.25, description="band width in standard deviations"
    )
    rsi_period = IntParam(14, low=2, high=100, step=2, description="RSI lookback in bars")
    allow_short = BoolParam(False, description="also short closes above the upper band")

    @property
    def warmup(self) -> int:
        return int(max(self.p.period - 1, self.p.rsi_period))

    def signals(self, data: StrategyData) -> FloatArray:
        p = self.p
        close = np.ascontiguousarray(data.close, dtype=np.float64)
        bands = bbands(close, timeperiod=p.period, nbdevup=p.num_std, nbdevdn=p.num_std)
        r = rsi(close, timeperiod=p.rsi_period)
        long_entry = (close < bands.lower) & (r < RSI_OVERSOLD)
        short_entry = (close > bands.upper) & (r > RSI_OVERBOUGHT)
        if not p.allow_short:
            short_entry[:] = False
        flat = np.zeros(len(close), dtype=np.bool_)
        long_exit = close >= bands.middle
        short_exit = close <= bands.middle
        return on_change(hold_state(long_entry, short_entry, flat, long_exit, short_exit))

    def on_start(self, ctx: StrategyContext, **kwargs: Any) -> None:
        self._bands = BollingerBands(self.p.period, self.p.num_std)
        self._rsi = RSI(self.p.rsi_period)
        self._state = HoldState()

    def on_bar(self, ctx: StrategyContext, bar: Bar, **kwargs: Any) -> None:
        close = bar.close
        upper, middle, lower = self._bands.update(close)
        r = self._rsi.update(close)
        long_entry = close < lower and r < RSI_OVERSOLD
        short_entry = self.p.allow_short and close > upper and r > RSI_OVERBOUGHT
        target = self._state.step(long_entry, short_entry, False, close >= middle, close <= middle)
        if target == target:
            ctx.target(target)
