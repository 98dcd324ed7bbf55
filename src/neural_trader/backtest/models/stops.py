"""Stop-loss / take-profit levels and the intra-bar path walk (0006), plain scalar Python.

A bar only tells us four prices, not their order. 0006 fixes the order: the open first, then the
extreme nearer the likelier direction (a bar that closed at or above its open went O-L-H-C,
otherwise O-H-L-C), then the close. Both engines walk the same path with this same function.
Levels are NaN when a stop is off, so the signature stays float-only for numba.
"""

from __future__ import annotations

import math

from neural_trader.backtest.records import REASON_STOP_LOSS, REASON_TAKE_PROFIT

__all__ = ["stop_prices", "walk_stops"]


def stop_prices(
    entry_price: float, side: int, stop_loss: float, take_profit: float
) -> tuple[float, float]:
    """(stop level, take-profit level) for a position of ``side``; NaN fractions give NaN."""
    if side > 0:
        return entry_price * (1.0 - stop_loss), entry_price * (1.0 + take_profit)
    return entry_price * (1.0 + stop_loss), entry_price * (1.0 - take_profit)


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
