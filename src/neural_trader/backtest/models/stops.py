"""Stop-loss / take-profit levels and the intra-bar path walk (0006), plain scalar Python.

A bar only tells us four prices, not their order. 0006 fixes the order: the open first, then the
extreme nearer the likelier direction (a bar that closed at or above its open went O-L-H-C,
otherwise O-H-L-C), then the close. Both engines walk the same path with this same function.
Levels are NaN when a stop is off, so the signature stays float-only for numba.
"""

from __future__ import annotations

import math

from neural_trader.backtest.models._jit import jitable
from neural_trader.backtest.records import REASON_STOP_LOSS, REASON_TAKE_PROFIT

__all__ = ["bar_path", "stop_prices", "touch", "walk_stops"]


@jitable
def stop_prices(
    entry_price: float, side: int, stop_loss: float, take_profit: float
) -> tuple[float, float]:
    """(stop level, take-profit level) for a position of ``side``; NaN fractions give NaN."""
    if side > 0:
        return entry_price * (1.0 - stop_loss), entry_price * (1.0 + take_profit)
    return entry_price * (1.0 + stop_loss), entry_price * (1.0 - take_profit)


@jitable
def walk_stops(
    open_: float,
    high: float,
    low: float,
    close: float,
    side: int,
    stop_price: float,
    take_price: float,
) -> tuple[bool, float, int]:
    """Walk one bar for a position of ``side``: (hit, level or open, reason code).

    A gap through a level exits at the open (the level was never tradable); otherwise at the
    level itself. The caller applies slippage to the returned price like for any order.
    """
    has_sl = stop_price == stop_price
    has_tp = take_price == take_price
    up_bar = close >= open_
    if side > 0:
        if has_sl and open_ <= stop_price:
            return True, open_, REASON_STOP_LOSS
        if has_tp and open_ >= take_price:
            return True, open_, REASON_TAKE_PROFIT
        if up_bar:  # O -> L -> H -> C: the low (stop side) comes first
            if has_sl and low <= stop_price:
                return True, stop_price, REASON_STOP_LOSS
            if has_tp and high >= take_price:
                return True, take_price, REASON_TAKE_PROFIT
        else:  # O -> H -> L -> C
            if has_tp and high >= take_price:
                return True, take_price, REASON_TAKE_PROFIT
            if has_sl and low <= stop_price:
                return True, stop_price, REASON_STOP_LOSS
        return False, math.nan, 0
    if has_sl and open_ >= stop_price:
        return True, open_, REASON_STOP_LOSS
    if has_tp and open_ <= take_price:
        return True, open_, REASON_TAKE_PROFIT
    if up_bar:  # O -> L -> H -> C: the low (take-profit side of a short) comes first
        if has_tp and low <= take_price:
            return True, take_price, REASON_TAKE_PROFIT
        if has_sl and high >= stop_price:
            return True, stop_price, REASON_STOP_LOSS
    else:
        if has_sl and high >= stop_price:
            return True, stop_price, REASON_STOP_LOSS
        if has_tp and low <= take_price:
            return True, take_price, REASON_TAKE_PROFIT
    return False, math.nan, 0


@jitable
def touch(
    p0: float,
    p1: float,
    p2: float,
    p3: float,
    s0: float,
    px0: float,
    level: float,
    below: bool,
) -> tuple[float, float]:
    """First path time at or after ``s0`` where the price is ``<= level`` (``below``) or
    ``>= level``, and the price there; ``(-1.0, 0.0)`` when the rest of the bar never gets there.

    The path is the four points ``p0..p3`` (open, first extreme, second extreme, close; see
    :func:`bar_path`) joined by straight lines, path time ``k`` being point ``k``. ``px0`` is
    the price at ``s0``: when the condition already holds there (a gap) the answer is ``px0``,
    the better price actually available, else the level itself. This is the general form of
    :func:`walk_stops` (a stop is the first touch of one of two levels from the open), used by
    the event engine's exchange for limit, stop and stop-limit orders that may start mid-bar.
    """
    if (px0 <= level) if below else (px0 >= level):
        return s0, px0
    a = px0
    start = s0
    k = int(s0) + 1
    while k <= 3:
        b = p1 if k == 1 else p2 if k == 2 else p3
        if (b <= level) if below else (b >= level):
            # a is on the wrong side, b on the right one: the straight line crosses between.
            return start + (k - start) * (a - level) / (a - b), level
        a = b
        start = float(k)
        k += 1
    return -1.0, 0.0


@jitable
def bar_path(
    open_: float, high: float, low: float, close: float
) -> tuple[float, float, float, float]:
    """The bar's assumed path (0006): ``O, L, H, C`` when it closed at or above its open,
    else ``O, H, L, C``."""
    if close >= open_:
        return open_, low, high, close
    return open_, high, low, close
