"""Momentum: trade strong n-bar moves, confirmed by RSI and MACD.

Also home of the position state machine shared by the entry/exit strategies (mean reversion,
swing, enhanced momentum, pairs), in two forms held equal by the parity tests:
:func:`hold_state` (vectorized, for ``signals``) and :class:`HoldState` (one bar at a time, for
``on_bar``). Strategies describe *conditions* per bar; the machine turns them into the position
they want, and :func:`on_change` into targets set only where that position changes (NaN = keep).
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from neural_trader.core.data import Bar
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.indicators import macd, rolling_zscore, rsi
from neural_trader.indicators.incremental import MACD, RSI, RollingZScore
from neural_trader.strategies.base import Strategy, StrategyContext, StrategyData
from neural_trader.strategies.parameters import BoolParam, FloatParam, IntParam
from neural_trader.strategies.registry import register

__all__ = ["HoldState", "Momentum", "hold_state", "on_change"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

NAN = math.nan
RSI_OVERBOUGHT = 70.0
RSI_OVERSOLD = 30.0
MACD_FAST, MACD_SLOW, MACD_SIGNAL = 12, 26, 9


# -- the position state machine -------------------------------------------------------------


def hold_state(
    long_entry: BoolArray,
    short_entry: BoolArray,
    flat: BoolArray,
    long_exit: BoolArray,
    short_exit: BoolArray,
    long_value: FloatArray | float = 1.0,
    short_value: FloatArray | float = 1.0,
) -> FloatArray:
    """The position wanted after each bar, from per-bar conditions, without a Python loop.

    Rules per bar, first match wins (the same as :meth:`HoldState.step`):

    1. ``long_entry``: hold ``+long_value``; 2. ``short_entry``: hold ``-short_value``;
    3. ``flat``: hold 0; 4. ``long_exit`` while long, or ``short_exit`` while short: hold 0;
    5. otherwise keep the previous position (0 before the first entry).

    Vectorized by bookkeeping of "last bar that did X": the position at ``t`` is the one opened
    at the last entry ``e <= t`` unless a flat bar, or an exit for that side, came after ``e``.
    """
    n = len(long_entry)
    idx = np.arange(n)
    entry = long_entry | short_entry
    not_entry = ~entry
    last_entry = np.maximum.accumulate(np.where(entry, idx, -1))
    last_flat = np.maximum.accumulate(np.where(flat & not_entry, idx, -1))
    last_lx = np.maximum.accumulate(np.where(long_exit & not_entry, idx, -1))
    last_sx = np.maximum.accumulate(np.where(short_exit & not_entry, idx, -1))
    lv = np.broadcast_to(np.asarray(long_value, dtype=np.float64), (n,))
    sv = np.broadcast_to(np.asarray(short_value, dtype=np.float64), (n,))
    value = np.where(long_entry, lv, np.where(short_entry, -sv, 0.0))
    side = np.where(long_entry, 1, np.where(short_entry, -1, 0))
    e = np.maximum(last_entry, 0)
    held_side = side[e]
    alive = (
        (last_entry >= 0)
        & (last_flat < last_entry)
        & np.where(held_side > 0, last_lx < last_entry, last_sx < last_entry)
    )
    state: FloatArray = np.where(alive, value[e], 0.0)
    return state


def on_change(state: FloatArray) -> FloatArray:
    """Targets from a position series: the new position where it changes, NaN (keep) elsewhere.

    The position before the first bar is 0 (the engines start flat), so a strategy that is
    flat from the start sets no target at all.
    """
    prev = np.concatenate(([0.0], state[:-1]))
    out: FloatArray = np.where(state != prev, state, NAN)
    return out


class HoldState:
    """The incremental twin of :func:`hold_state` + :func:`on_change`.

    ``step`` takes one bar's conditions and returns the target to set (NaN: keep). State is
    the strategy's *wanted* position, not the account's: an engine's stop-loss exit does not
    change it, exactly as the vectorized path cannot see stops.
    """

    __slots__ = ("side", "value")

    def __init__(self) -> None:
        self.side = 0
        self.value = 0.0

    def reset(self) -> None:
        self.side = 0
        self.value = 0.0

    def step(
        self,
        long_entry: bool,
        short_entry: bool,
        flat: bool,
        long_exit: bool,
        short_exit: bool,
        long_value: float = 1.0,
        short_value: float = 1.0,
    ) -> float:
        before = self.value
        if long_entry:
            self.side, self.value = 1, long_value
        elif short_entry:
            self.side, self.value = -1, -short_value
        elif flat or (long_exit and self.side > 0) or (short_exit and self.side < 0):
            self.side, self.value = 0, 0.0
        return self.value if self.value != before else NAN


def lagged_return(close: FloatArray, period: int) -> FloatArray:
    """``(P_t - P_{t-n}) / P_{t-n}``, NaN for the first ``period`` bars."""
    out = np.full(len(close), NAN)
    if len(close) > period:
        out[period:] = (close[period:] - close[:-period]) / close[:-period]
    return out


def trailing_zscore(values: FloatArray, start: int, window: int) -> FloatArray:
    """:func:`rolling_zscore` of ``values[start:]`` placed back at ``start``.

    Starting the kernel where the input starts (after its warm-up NaNs) makes it do the same
    operations, in the same order, as an incremental ``RollingZScore`` fed from that bar: the
    two are equal bit for bit, which the signals/on_bar parity needs at threshold crossings.
    """
    out = np.full(len(values), NAN)
    if len(values) > start:
        out[start:] = rolling_zscore(values[start:], window, 0)
    return out


# -- the strategy -----------------------------------------------------------------------------


@register
class Momentum(Strategy):
    """Trend following on the z-score of n-bar momentum.

    Per bar ``t`` (nothing after ``t`` is read):

    - ``mom = (P_t - P_{t-period}) / P_{t-period}``; ``z`` = z-score of ``mom`` against its own
      last ``zscore_window`` values (population std); RSI(``rsi_period``); MACD line
      ``EMA12 - EMA26`` (TA-Lib's MACD 12/26/9, which starts once its signal line exists).
    - **Long** when ``z > entry_z`` and ``RSI < 70`` and ``MACD > 0``: an unusually strong rise
      that is not yet overbought and agrees with the trend.
    - **Short** (only with ``allow_short``) when ``z < -entry_z`` and ``RSI > 30`` and
      ``MACD < 0``.
    - **Flat** when ``|z| < exit_z`` (the move has faded), or when RSI leaves 30..70 against the
      position: a long exits on ``RSI > 70``, a short on ``RSI < 30`` (exhaustion).
    - An entry signal wins over an exit on the same bar; otherwise the position is kept.

    Targets are +1 / -1 / 0, set only on the bar the wanted position changes.
    """

    name: ClassVar[str] = "momentum"
    description: ClassVar[str] = (
        "Long (short) on an extreme n-bar momentum z-score confirmed by RSI and MACD"
    )
    long_only: ClassVar[bool] = False

    period = IntParam(20, low=5, high=250, step=5, description="momentum lookback in bars")
    zscore_window = IntParam(
        60, low=10, high=500, step=10, description="bars of momentum history for its z-score"
    )
    entry_z = FloatParam(2.0, low=0.25, high=5.0, step=0.25, description="z-score to enter")
    exit_z = FloatParam(
        0.5, low=0.0, high=4.0, step=0.25, description="exit when |z| falls below this"
    )
    rsi_period = IntParam(14, low=2, high=100, step=2, description="RSI lookback in bars")
    allow_short = BoolParam(False, description="take short positions on negative momentum")

    def check_params(self) -> None:
        if self.p.exit_z >= self.p.entry_z:
            raise InvalidArgumentError(
                f"parameter exit_z={self.p.exit_z} must be below entry_z={self.p.entry_z}: "
                "otherwise every entry is also an exit"
            )

    @property
    def warmup(self) -> int:
        p = self.p
        macd_lookback = MACD_SLOW - 1 + MACD_SIGNAL - 1
        return int(max(p.period + p.zscore_window - 1, p.rsi_period, macd_lookback))

    # -- vectorized ---------------------------------------------------------------------------
    def _conditions(
        self, data: StrategyData
    ) -> tuple[FloatArray, BoolArray, BoolArray, BoolArray, BoolArray, BoolArray]:
        """``(z, long_entry, short_entry, flat, long_exit, short_exit)`` for every bar."""
        p = self.p
        close = np.ascontiguousarray(data.close, dtype=np.float64)
        z = trailing_zscore(lagged_return(close, p.period), p.period, p.zscore_window)
        r = rsi(close, timeperiod=p.rsi_period)
        line = macd(close, MACD_FAST, MACD_SLOW, MACD_SIGNAL).macd
        long_entry = (z > p.entry_z) & (r < RSI_OVERBOUGHT) & (line > 0.0)
        short_entry = (z < -p.entry_z) & (r > RSI_OVERSOLD) & (line < 0.0)
        if not p.allow_short:
            short_entry[:] = False
        flat = np.abs(z) < p.exit_z
        return z, long_entry, short_entry, flat, r > RSI_OVERBOUGHT, r < RSI_OVERSOLD

    def signals(self, data: StrategyData) -> FloatArray:
        _, le, se, flat, lx, sx = self._conditions(data)
        return on_change(hold_state(le, se, flat, lx, sx))

    # -- event path ---------------------------------------------------------------------------
    def on_start(self, ctx: StrategyContext, **kwargs: Any) -> None:
        p = self.p
        self._closes: deque[float] = deque(maxlen=p.period + 1)
        self._z = RollingZScore(p.zscore_window)
        self._rsi = RSI(p.rsi_period)
        self._macd = MACD(MACD_FAST, MACD_SLOW, MACD_SIGNAL)
        self._state = HoldState()

    def _bar_conditions(self, close: float) -> tuple[float, bool, bool, bool, bool, bool]:
        """The incremental twin of :meth:`_conditions` for one bar."""
        p = self.p
        closes = self._closes
        closes.append(close)
        z = NAN
        if len(closes) > p.period:
            old = closes[0]
            z = self._z.update((close - old) / old)
        r = self._rsi.update(close)
        line = self._macd.update(close).macd
        long_entry = z > p.entry_z and r < RSI_OVERBOUGHT and line > 0.0
        short_entry = p.allow_short and z < -p.entry_z and r > RSI_OVERSOLD and line < 0.0
        return z, long_entry, short_entry, abs(z) < p.exit_z, r > RSI_OVERBOUGHT, r < RSI_OVERSOLD

    def on_bar(self, ctx: StrategyContext, bar: Bar, **kwargs: Any) -> None:
        _, le, se, flat, lx, sx = self._bar_conditions(bar.close)
        target = self._state.step(le, se, flat, lx, sx)
        if target == target:
            ctx.target(target)
