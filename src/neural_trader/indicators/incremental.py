"""Incremental indicators: O(1) work per bar, for the event engine and live trading.

A strategy in the event path sees one bar at a time; recomputing ``talib.SMA`` over the whole
history on every bar is O(n) per bar and O(n^2) per backtest. These classes keep just enough
state (a ring buffer, running sums, a monotonic deque) to produce the next value in a few
hundred nanoseconds of plain Python: a numpy or numba call costs more than that in call
overhead alone for a single scalar.

Protocol (every class)::

    ind.update(...) -> float | NamedTuple   # feed one bar, get this bar's value
    ind.value       # the last value returned (NaN, or a NamedTuple of NaNs, until ready)
    ind.ready       # True once the warm-up is over (count > lookback)
    ind.count       # bars fed so far
    ind.lookback    # bars of warm-up: equals TA-Lib's lookback for the same parameters
    ind.reset()     # back to the freshly constructed state

Every class equals its batch twin to 1e-9 relative (the tests demand it on 20 years of ORCL and
on a 1M-bar random walk around 1e4): TA-Lib where TA-Lib has the indicator (including its
seeding: EMA starts from the SMA of the first ``period`` values, RSI and ATR from plain averages,
MACD starts its fast EMA where the slow one starts), otherwise our kernels in
:mod:`neural_trader.indicators.nb`, whose floating-point operations the classes here repeat in
the same order. Running sums that add and subtract would drift over millions of bars, so they
are rebuilt from the ring buffer each time it wraps (once per ``period`` bars, O(1) amortised).

Inputs must be numbers; a NaN raises :class:`~neural_trader.core.errors.InvalidArgumentError`
before any state changes, rather than silently poisoning every later value (TA-Lib's
recurrences carry a NaN forward forever). Plain Python floats are fastest; numpy scalars work.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.indicators.nb import REBUILD_RATIO

__all__ = [
    "ATR",
    "EMA",
    "MACD",
    "ROC",
    "RSI",
    "SMA",
    "VWAP",
    "WMA",
    "BandsValue",
    "BollingerBands",
    "HedgeRatio",
    "Highest",
    "IncrementalIndicator",
    "Lowest",
    "MACDValue",
    "Momentum",
    "RollingOLS",
    "RollingStd",
    "RollingZScore",
]

NAN = math.nan
V = TypeVar("V")


class MACDValue(NamedTuple):
    macd: float
    signal: float
    hist: float


class BandsValue(NamedTuple):
    upper: float
    middle: float
    lower: float


class HedgeRatio(NamedTuple):
    beta: float
    alpha: float


# ``tuple.__new__(Cls, (a, b))`` skips the NamedTuple's Python-level ``__new__``: ~85 ns less
# per multi-output update, a quarter of a Bollinger update.
_new = tuple.__new__

_NAN_MACD = MACDValue(NAN, NAN, NAN)
_NAN_BANDS = BandsValue(NAN, NAN, NAN)
_NAN_HEDGE = HedgeRatio(NAN, NAN)


def _check_period(owner: str, name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidArgumentError(
            f"{owner}: {name} must be an integer >= {minimum}, got {value!r}"
        )
    return value


def _nan_input(owner: object) -> InvalidArgumentError:
    return InvalidArgumentError(
        f"{type(owner).__name__}.update got NaN",
        hint="skip or fill missing bars before feeding an incremental indicator",
    )


class IncrementalIndicator(Generic[V]):
    """Shared state and properties; subclasses add ``update`` and their own ``reset``."""

    __slots__ = ("_count", "_empty", "_lookback", "_value")

    def __init__(self, lookback: int, empty: V) -> None:
        self._lookback = lookback
        self._empty = empty
        self._count = 0
        self._value = empty
        self.reset()

    @property
    def value(self) -> V:
        """The value of the last bar fed (NaN, or a tuple of NaNs, during the warm-up)."""
        return self._value

    @property
    def ready(self) -> bool:
        return self._count > self._lookback

    @property
    def count(self) -> int:
        return self._count

    @property
    def lookback(self) -> int:
        """Bars before the first value: the batch function's leading NaN count."""
        return self._lookback

    def reset(self) -> None:
        """Forget every bar fed so far."""
        self._count = 0
        self._value = self._empty

    def __repr__(self) -> str:
        return f"{type(self).__name__}(count={self._count}, value={self._value!r})"


class SMA(IncrementalIndicator[float]):
    """Simple moving average (``talib.SMA``, lookback ``period - 1``)."""

    __slots__ = ("_buf", "_idx", "_period", "_sum")

    def __init__(self, period: int) -> None:
        self._period = _check_period("SMA", "period", period, 1)
        super().__init__(period - 1, NAN)

    def reset(self) -> None:
        super().reset()
        self._buf = [0.0] * self._period
        self._idx = 0
        self._sum = 0.0

    def update(self, x: float) -> float:
        if x != x:
            raise _nan_input(self)
        buf = self._buf
        i = self._idx
        s = self._sum - buf[i] + x
        buf[i] = x
        i += 1
        if i == self._period:  # ring wrapped: rebuild the sum exactly so it cannot drift
            i = 0
            s = math.fsum(buf)
        self._idx = i
        self._sum = s
        n = self._count + 1
        self._count = n
        v = s / self._period if n >= self._period else NAN
        self._value = v
        return v


class EMA(IncrementalIndicator[float]):
    """Exponential moving average, ``k = 2 / (period + 1)``, seeded like ``talib.EMA``.

    The first value (bar ``period``) is the SMA of the first ``period`` inputs, summed in order
    as TA-Lib does; afterwards ``ema = (x - ema) * k + ema``.
    """

    __slots__ = ("_k", "_period", "_sum")

    def __init__(self, period: int) -> None:
        self._period = _check_period("EMA", "period", period, 1)
        self._k = 2.0 / (period + 1)
        super().__init__(period - 1, NAN)

    def reset(self) -> None:
        super().reset()
        self._sum = 0.0

    def update(self, x: float) -> float:
        if x != x:
            raise _nan_input(self)
        n = self._count + 1
        self._count = n
        p = self._period
        if n > p:
            prev = self._value
            v = (x - prev) * self._k + prev
        else:
            self._sum += x
            v = self._sum / p if n == p else NAN
        self._value = v
        return v


class WMA(IncrementalIndicator[float]):
    """Linearly weighted moving average (``talib.WMA``): weights 1..period, newest heaviest.

    Keeps the plain window sum ``S`` and the weighted sum ``W``; a new bar shifts every weight
    down by one, ``W' = W - S + period * x``, so the update is O(1).
    """

    __slots__ = ("_buf", "_divider", "_idx", "_period", "_ssum", "_weights", "_wsum")

    def __init__(self, period: int) -> None:
        self._period = _check_period("WMA", "period", period, 1)
        self._divider = float(period * (period + 1) // 2)
        self._weights = [float(k) for k in range(1, period + 1)]
        super().__init__(period - 1, NAN)

    def reset(self) -> None:
        super().reset()
        self._buf = [0.0] * self._period
        self._idx = 0
        self._ssum = 0.0
        self._wsum = 0.0

    def update(self, x: float) -> float:
        if x != x:
            raise _nan_input(self)
        buf = self._buf
        i = self._idx
        p = self._period
        s = self._ssum
        w = self._wsum - s + p * x
        s = s - buf[i] + x
        buf[i] = x
        i += 1
        if i == p:  # ring wrapped: buf is oldest..newest, rebuild both sums exactly
            i = 0
            s = math.fsum(buf)
            w = math.fsum([a * b for a, b in zip(self._weights, buf, strict=True)])
        self._idx = i
        self._ssum = s
        self._wsum = w
        n = self._count + 1
        self._count = n
        v = w / self._divider if n >= p else NAN
        self._value = v
        return v


class RSI(IncrementalIndicator[float]):
    """Wilder's RSI exactly as ``talib.RSI`` computes it (lookback ``period``).

    Seed: plain averages of the first ``period`` gains and losses; then Wilder smoothing
    ``avg = (avg * (period - 1) + new) / period``. RSI is 0 when both averages are exactly
    zero (a flat series), as TA-Lib 0.6 returns; it applies no tolerance, so neither do we.
    """

    __slots__ = ("_gain", "_loss", "_period", "_prev")

    def __init__(self, period: int) -> None:
        self._period = _check_period("RSI", "period", period, 2)
        super().__init__(period, NAN)

    def reset(self) -> None:
        super().reset()
        self._gain = 0.0
        self._loss = 0.0
        self._prev = 0.0

    def update(self, x: float) -> float:
        if x != x:
            raise _nan_input(self)
        n = self._count + 1
        self._count = n
        d = x - self._prev
        self._prev = x
        p = self._period
        if n > p + 1:
            gain = self._gain * (p - 1)
            loss = self._loss * (p - 1)
            if d < 0.0:
                loss -= d
            else:
                gain += d
            gain /= p
            loss /= p
        elif n == 1:
            self._value = NAN
            return NAN
        else:
            gain = self._gain
            loss = self._loss
            if d < 0.0:
                loss -= d
            else:
                gain += d
            if n <= p:
                self._gain = gain
                self._loss = loss
                self._value = NAN
                return NAN
            gain /= p
            loss /= p
        self._gain = gain
        self._loss = loss
        total = gain + loss
        v = 100.0 * (gain / total) if total != 0.0 else 0.0
        self._value = v
        return v


class MACD(IncrementalIndicator[MACDValue]):
    """``talib.MACD``: returns ``MACDValue(macd, signal, hist)``; lookback slow-1 + signal-1.

    TA-Lib starts both EMAs on the same bar (``slowperiod``): the slow one from the SMA of the
    first ``slowperiod`` inputs, the fast one from the SMA of the ``fastperiod`` inputs *ending
    there*, not of the first ``fastperiod``. The signal line is an EMA of the MACD line seeded
    the same way, and nothing is reported before it exists. Like TA-Lib, a slow period shorter
    than the fast one is swapped.
    """

    __slots__ = (
        "_fast",
        "_fast_ema",
        "_fast_sum",
        "_k_fast",
        "_k_signal",
        "_k_slow",
        "_signal",
        "_signal_ema",
        "_signal_sum",
        "_slow",
        "_slow_ema",
        "_slow_sum",
    )

    def __init__(self, fastperiod: int = 12, slowperiod: int = 26, signalperiod: int = 9) -> None:
        fast = _check_period("MACD", "fastperiod", fastperiod, 2)
        slow = _check_period("MACD", "slowperiod", slowperiod, 2)
        self._signal = _check_period("MACD", "signalperiod", signalperiod, 1)
        if slow < fast:
            fast, slow = slow, fast
        self._fast, self._slow = fast, slow
        self._k_fast = 2.0 / (fast + 1)
        self._k_slow = 2.0 / (slow + 1)
        self._k_signal = 2.0 / (self._signal + 1)
        super().__init__(slow - 1 + self._signal - 1, _NAN_MACD)

    def reset(self) -> None:
        super().reset()
        self._fast_sum = self._slow_sum = self._signal_sum = 0.0
        self._fast_ema = self._slow_ema = self._signal_ema = NAN

    def update(self, x: float) -> MACDValue:
        if x != x:
            raise _nan_input(self)
        n = self._count + 1
        self._count = n
        slow = self._slow
        if n > slow:
            fast_ema = (x - self._fast_ema) * self._k_fast + self._fast_ema
            slow_ema = (x - self._slow_ema) * self._k_slow + self._slow_ema
        else:
            self._slow_sum += x
            if n > slow - self._fast:
                self._fast_sum += x
            if n < slow:
                return _NAN_MACD
            fast_ema = self._fast_sum / self._fast
            slow_ema = self._slow_sum / slow
        self._fast_ema = fast_ema
        self._slow_ema = slow_ema
        line = fast_ema - slow_ema
        m = n - slow + 1  # MACD-line values so far
        sig_p = self._signal
        if m > sig_p:
            sig = (line - self._signal_ema) * self._k_signal + self._signal_ema
        else:
            self._signal_sum += line
            if m < sig_p:
                return _NAN_MACD
            sig = self._signal_sum / sig_p
        self._signal_ema = sig
        v = _new(MACDValue, (line, sig, line - sig))
        self._value = v
        return v


class _RollingMoments(IncrementalIndicator[V]):
    """Mean and sum of squared deviations over a ring buffer, as ``nb.rolling_zscore_1d_nb``.

    Welford add while the window fills, then one-step replace of the oldest value; the moments
    are rebuilt by two passes when the ring wraps (every ``period`` bars) and when ``m2`` has
    shrunk below ``REBUILD_RATIO`` of the changes applied to it: the kernel's schedule and
    operations, so the two agree bit for bit on NaN-free input.
    """

    __slots__ = ("_buf", "_idx", "_m2", "_mag", "_mean", "_period")
    _period: int

    def reset(self) -> None:
        super().reset()
        self._buf = [0.0] * self._period
        self._idx = 0
        self._mean = 0.0
        self._m2 = 0.0
        self._mag = 0.0

    def _push(self, x: float) -> int:
        buf = self._buf
        i = self._idx
        p = self._period
        n = self._count + 1
        self._count = n
        mean = self._mean
        if n > p:
            old = buf[i]
            d = x - old
            new_mean = mean + d / p
            inc = d * (x - new_mean + old - mean)
            m2 = self._m2 + inc
            mag = self._mag + abs(inc)
            mean = new_mean
        else:
            d = x - mean
            mean += d / n
            inc = d * (x - mean)
            m2 = self._m2 + inc
            mag = self._mag + inc
        buf[i] = x
        i += 1
        if i == p:
            i = 0
            mean, m2 = _two_pass(buf, p)
            mag = m2
        elif m2 < REBUILD_RATIO * mag and n > p:
            mean, m2 = _two_pass(buf[i:] + buf[:i], p)
            mag = m2
        self._idx = i
        self._mean = mean
        self._m2 = m2
        self._mag = mag
        return n


def _two_pass(values: list[float], n: int) -> tuple[float, float]:
    """Mean and sum of squared deviations, summed in order as ``nb._window_moments_nb``."""
    s = 0.0
    for v in values:
        s += v
    mean = s / n
    m2 = 0.0
    for v in values:
        d = v - mean
        m2 += d * d
    return mean, m2


class _RollingDeviation(_RollingMoments[float]):
    """Rolling moments with a ``ddof`` divisor, for the std-based scalar indicators."""

    __slots__ = ("_div",)

    def __init__(self, period: int, ddof: int = 0) -> None:
        owner = type(self).__name__
        self._period = _check_period(owner, "period", period, 2)
        if ddof not in (0, 1) or isinstance(ddof, bool):
            raise InvalidArgumentError(f"{owner}: ddof must be 0 or 1, got {ddof!r}")
        self._div = float(period - ddof)
        super().__init__(period - 1, NAN)

    def _std(self) -> float:
        """The window's standard deviation (0 when ``m2`` has rounded to zero or below)."""
        m2 = self._m2
        return math.sqrt(m2 / self._div if m2 > 0.0 else 0.0)


class RollingStd(_RollingDeviation):
    """Rolling standard deviation; ``ddof=0`` equals ``talib.STDDEV`` (nbdev 1)."""

    __slots__ = ()

    def update(self, x: float) -> float:
        if x != x:
            raise _nan_input(self)
        if self._push(x) < self._period:
            return NAN
        v = self._std()
        self._value = v
        return v


class RollingZScore(_RollingDeviation):
    """``(x - mean) / std`` over the last ``period`` bars; equals ``custom.rolling_zscore``."""

    __slots__ = ()

    def update(self, x: float) -> float:
        if x != x:
            raise _nan_input(self)
        if self._push(x) < self._period:
            return NAN
        std = self._std()
        v = (x - self._mean) / std if std > 0.0 else NAN
        self._value = v
        return v


class BollingerBands(_RollingMoments[BandsValue]):
    """``talib.BBANDS`` with SMA middle and population std: ``BandsValue(upper, middle,
    lower)``, bands at ``middle +/- nbdev * std``; lookback ``period - 1``."""

    __slots__ = ("_nbdev",)

    def __init__(self, period: int = 20, nbdev: float = 2.0) -> None:
        self._period = _check_period("BollingerBands", "period", period, 2)
        if isinstance(nbdev, bool) or not isinstance(nbdev, int | float):
            raise InvalidArgumentError(f"BollingerBands: nbdev must be a number, got {nbdev!r}")
        self._nbdev = float(nbdev)
        super().__init__(period - 1, _NAN_BANDS)

    def update(self, x: float) -> BandsValue:
        if x != x:
            raise _nan_input(self)
        p = self._period
        if self._push(x) < p:
            return _NAN_BANDS
        m2 = self._m2
        width = math.sqrt(m2 / p if m2 > 0.0 else 0.0) * self._nbdev
        mid = self._mean
        v = _new(BandsValue, (mid + width, mid, mid - width))
        self._value = v
        return v


class ATR(IncrementalIndicator[float]):
    """Average true range as ``talib.ATR`` (lookback ``period``).

    The first true range needs a previous close, so bar 1 has none; the first ATR (bar
    ``period + 1``) is the plain mean of ``period`` true ranges, then Wilder smoothing.
    """

    __slots__ = ("_period", "_prev_close", "_tr_sum")

    def __init__(self, period: int) -> None:
        self._period = _check_period("ATR", "period", period, 1)
        super().__init__(period, NAN)

    def reset(self) -> None:
        super().reset()
        self._prev_close = NAN
        self._tr_sum = 0.0

    def update(self, high: float, low: float, close: float) -> float:
        if high != high or low != low or close != close:
            raise _nan_input(self)
        n = self._count + 1
        self._count = n
        pc = self._prev_close
        self._prev_close = close
        if n == 1:
            return NAN
        tr = high - low  # TA-Lib's TRANGE, same comparisons in the same order
        d = abs(pc - high)
        if d > tr:
            tr = d
        d = abs(pc - low)
        if d > tr:
            tr = d
        p = self._period
        if n > p + 1:
            v = (self._value * (p - 1) + tr) / p
        else:
            self._tr_sum += tr
            if n <= p:
                return NAN
            v = self._tr_sum / p
        self._value = v
        return v


class _Lagged(IncrementalIndicator[float]):
    """Ring of the last ``period`` inputs, for indicators comparing x with x ``period`` ago."""

    __slots__ = ("_buf", "_idx", "_period")

    def __init__(self, period: int) -> None:
        self._period = _check_period(type(self).__name__, "period", period, 1)
        super().__init__(period, NAN)

    def reset(self) -> None:
        super().reset()
        self._buf = [0.0] * self._period
        self._idx = 0

    def _shift(self, x: float) -> tuple[float, int]:
        """Store ``x`` over the value of ``period`` bars ago; return that value and the count."""
        buf = self._buf
        i = self._idx
        old = buf[i]
        buf[i] = x
        i += 1
        self._idx = 0 if i == self._period else i
        n = self._count + 1
        self._count = n
        return old, n


class Momentum(_Lagged):
    """``x - x[period bars ago]`` (``talib.MOM``, lookback ``period``)."""

    __slots__ = ()

    def update(self, x: float) -> float:
        if x != x:
            raise _nan_input(self)
        old, n = self._shift(x)
        v = x - old if n > self._period else NAN
        self._value = v
        return v


class ROC(_Lagged):
    """Rate of change in percent, ``(x / x[period ago] - 1) * 100`` (``talib.ROC``); 0 where
    the old value is 0, as TA-Lib."""

    __slots__ = ()

    def update(self, x: float) -> float:
        if x != x:
            raise _nan_input(self)
        old, n = self._shift(x)
        if n <= self._period:
            v = NAN
        elif old != 0.0:
            v = ((x / old) - 1.0) * 100.0
        else:
            v = 0.0
        self._value = v
        return v


class _Extreme(IncrementalIndicator[float]):
    """Monotonic deque of (bar index, value) candidates: each bar enters and leaves once, so
    the window extreme costs O(1) amortised instead of O(period)."""

    __slots__ = ("_idx", "_period", "_vals")

    def __init__(self, period: int) -> None:
        self._period = _check_period(type(self).__name__, "period", period, 2)
        super().__init__(period - 1, NAN)

    def reset(self) -> None:
        super().reset()
        self._idx: deque[int] = deque()
        self._vals: deque[float] = deque()

    # Set by each subclass: True tracks the maximum, False the minimum.
    _keep_max: ClassVar[bool]

    def update(self, x: float) -> float:
        if x != x:
            raise _nan_input(self)
        vals = self._vals
        idx = self._idx
        n = self._count
        # A new x makes an older candidate useless: it can never be the window's extreme again.
        keep_max = self._keep_max
        while vals and (vals[-1] <= x if keep_max else vals[-1] >= x):
            vals.pop()
            idx.pop()
        vals.append(x)
        idx.append(n)
        if idx[0] <= n - self._period:
            idx.popleft()
            vals.popleft()
        n += 1
        self._count = n
        v = vals[0] if n >= self._period else NAN
        self._value = v
        return v


class Highest(_Extreme):
    """Maximum of the last ``period`` inputs (``talib.MAX``, lookback ``period - 1``)."""

    __slots__ = ()

    _keep_max = True


class Lowest(_Extreme):
    """Minimum of the last ``period`` inputs (``talib.MIN``, lookback ``period - 1``)."""

    __slots__ = ()

    _keep_max = False


class RollingOLS(IncrementalIndicator[HedgeRatio]):
    """Hedge ratio of y on x over the last ``period`` bars: ``update(y, x) -> HedgeRatio(beta,
    alpha)``; equals ``custom.rolling_ols_hedge_ratio`` (same co-moment updates and rebuild
    schedule as its kernel). ``intercept=False`` fits ``y = beta * x`` (alpha 0)."""

    __slots__ = (
        "_bx",
        "_by",
        "_idx",
        "_intercept",
        "_mag",
        "_mx",
        "_my",
        "_period",
        "_sxx",
        "_sxy",
    )

    def __init__(self, period: int, intercept: bool = True) -> None:
        self._period = _check_period("RollingOLS", "period", period, 2 if intercept else 1)
        self._intercept = bool(intercept)
        super().__init__(period - 1, _NAN_HEDGE)

    def reset(self) -> None:
        super().reset()
        self._bx = [0.0] * self._period
        self._by = [0.0] * self._period
        self._idx = 0
        self._mx = self._my = self._sxx = self._sxy = self._mag = 0.0

    def update(self, y: float, x: float) -> HedgeRatio:
        if x != x or y != y:
            raise _nan_input(self)
        p = self._period
        n = self._count + 1
        self._count = n
        c = n if n <= p else p + 1
        mx = self._mx
        my = self._my
        dx = x - mx
        mx += dx / c
        my += (y - my) / c
        inc = dx * (x - mx)
        sxx = self._sxx + inc
        mag = self._mag + inc
        sxy = self._sxy + dx * (y - my)
        bx = self._bx
        by = self._by
        i = self._idx
        if n > p:
            xo = bx[i]
            yo = by[i]
            c = p
            dx = xo - mx
            mx -= dx / c
            my -= (yo - my) / c
            inc = dx * (xo - mx)
            sxx -= inc
            mag += abs(inc)
            sxy -= dx * (yo - my)
        bx[i] = x
        by[i] = y
        i += 1
        if i == p:  # rebuild exactly, as the kernel's two-pass step
            i = 0
            mx, my, sxx, sxy = _two_pass_pairs(bx, by, c)
            mag = sxx
        elif sxx < REBUILD_RATIO * mag and n > p:
            mx, my, sxx, sxy = _two_pass_pairs(bx[i:] + bx[:i], by[i:] + by[:i], c)
            mag = sxx
        self._idx = i
        self._mx, self._my, self._sxx, self._sxy, self._mag = mx, my, sxx, sxy, mag
        if n < p:
            return _NAN_HEDGE
        if self._intercept:
            if sxx > 0.0:
                b = sxy / sxx
                v = _new(HedgeRatio, (b, my - b * mx))
            else:
                v = _NAN_HEDGE
        else:
            sxx0 = sxx + c * mx * mx
            v = _new(HedgeRatio, ((sxy + c * mx * my) / sxx0, 0.0)) if sxx0 > 0.0 else _NAN_HEDGE
        self._value = v
        return v


def _two_pass_pairs(xs: list[float], ys: list[float], n: int) -> tuple[float, float, float, float]:
    """Means and co-moments summed in order, as ``nb._window_comoments_nb``."""
    sx = 0.0
    sy = 0.0
    for k in range(n):
        sx += xs[k]
        sy += ys[k]
    mx = sx / n
    my = sy / n
    sxx = 0.0
    sxy = 0.0
    for k in range(n):
        dx = xs[k] - mx
        sxx += dx * dx
        sxy += dx * (ys[k] - my)
    return mx, my, sxx, sxy


class VWAP(IncrementalIndicator[float]):
    """Typical-price VWAP; equals ``custom.vwap`` with the same options.

    ``VWAP()`` is cumulative; pass ``session_id`` to ``update`` (a date, say) and the sums
    restart whenever it changes, like ``vwap(..., session_ids=...)``. ``VWAP(window)`` is the
    rolling form (lookback ``window - 1``); it takes no session ids, as the batch function.
    Zero total volume gives NaN.
    """

    __slots__ = ("_bpv", "_bv", "_idx", "_session", "_spv", "_sv", "_window")

    def __init__(self, window: int | None = None) -> None:
        if window is not None:
            _check_period("VWAP", "window", window, 1)
        self._window = 0 if window is None else window
        super().__init__(max(self._window - 1, 0), NAN)

    def reset(self) -> None:
        super().reset()
        self._bpv = [0.0] * self._window
        self._bv = [0.0] * self._window
        self._idx = 0
        self._spv = 0.0
        self._sv = 0.0
        self._session: Hashable = None

    def update(
        self,
        high: float,
        low: float,
        close: float,
        volume: float,
        session_id: Hashable = None,
    ) -> float:
        if high != high or low != low or close != close or volume != volume:
            raise _nan_input(self)
        w = self._window
        pv = (high + low + close) / 3.0 * volume
        if w == 0:
            if session_id is not None and session_id != self._session:
                self._session = session_id
                self._spv = 0.0
                self._sv = 0.0
            spv = self._spv + pv
            sv = self._sv + volume
            self._spv = spv
            self._sv = sv
            self._count += 1
            v = spv / sv if sv != 0.0 else NAN
            self._value = v
            return v
        if session_id is not None:
            raise InvalidArgumentError("VWAP: a rolling VWAP (window set) takes no session_id")
        spv = self._spv + pv
        sv = self._sv + volume
        n = self._count + 1
        self._count = n
        i = self._idx
        bpv = self._bpv
        bv = self._bv
        if n > w:
            spv -= bpv[i]
            sv -= bv[i]
        bpv[i] = pv
        bv[i] = volume
        i += 1
        if i == w:  # rebuild the sums exactly, as the kernel does
            i = 0
            spv = 0.0
            sv = 0.0
            for k in range(w):
                spv += bpv[k]
                sv += bv[k]
        self._idx = i
        self._spv = spv
        self._sv = sv
        v = spv / sv if n >= w and sv != 0.0 else NAN
        self._value = v
        return v
