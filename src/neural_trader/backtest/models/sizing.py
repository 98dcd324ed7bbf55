"""Sizers, lot rounding and order minimums (0006), as plain scalar Python.

Each function is compiled by the vector kernels with ``numba.njit`` and called as-is by the
event engine: one source, the same floating-point operations, bit-identical results. Only
floats, ints and bools (or an indexable of floats for :func:`window_sigma`) go in and out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from neural_trader.backtest.models._jit import jitable
from neural_trader.backtest.records import (
    SKIP_BAD_PRICE,
    SKIP_LOT_SIZE,
    SKIP_MIN_NOTIONAL,
    SKIP_MIN_SIZE,
    SKIP_NONE,
)

__all__ = [
    "LOT_EPSILON",
    "all_in_quantity",
    "fixed_position",
    "order_check",
    "round_to_lot",
    "sign",
    "target_weight_position",
    "vol_target_weight",
    "window_sigma",
]

LOT_EPSILON = 1e-9
"""Relative tolerance when counting lots: ``0.3 / 0.1`` is ``2.9999999999999996`` in binary
floating point, and truncating it would silently lose a whole lot."""


@jitable
def sign(value: float) -> int:
    """-1, 0 or 1 (NaN gives 0)."""
    if value > 0.0:
        return 1
    if value < 0.0:
        return -1
    return 0


@jitable
def all_in_quantity(
    cash: float, price: float, target: float, fraction: float, fee_rate: float
) -> float:
    """Unsigned quantity opened by ``all_in``: ``f * |target| * cash / (p * (1 + fee_rate))``.

    Dividing by ``1 + fee_rate`` leaves exactly enough cash for the proportional fee, so after
    the buy ``cash = (1 - f|target|) * cash_before`` up to rounding (the golden job relies on it).
    """
    return fraction * abs(target) * cash / (price * (1.0 + fee_rate))


@jitable
def fixed_position(target: float, quantity: float) -> float:
    """Desired signed position of the ``fixed`` sizer: ``target * Q``."""
    return target * quantity


@jitable
def target_weight_position(
    weight: float, equity: float, base: float, position: float, slippage: float
) -> float:
    """Desired signed position ``weight * equity / p`` (``target_weight``, ``vol_target``).

    ``p`` is the execution price, which depends on the trade's side, which depends on the
    desired position: the side is decided at the slippage-free ``base`` price first, then the
    desired position is recomputed at that side's execution price.
    """
    if base <= 0.0 or not math.isfinite(base):
        return position
    rough = weight * equity / base
    side = 1 if rough > position else -1
    p = base * (1.0 + slippage) if side > 0 else base * (1.0 - slippage)
    return weight * equity / p


@jitable
def vol_target_weight(target: float, sigma: float, vol_target: float, max_leverage: float) -> float:
    """``target * min(max_leverage, vol_target / sigma)``; NaN sigma (warm-up) gives 0.

    A zero sigma (a flat price window) would divide by zero: it means "no risk measured", and
    the weight is capped at ``max_leverage`` as the formula's limit implies.
    """
    if sigma != sigma:
        return 0.0
    if sigma <= 0.0:
        return target * max_leverage
    return target * min(max_leverage, vol_target / sigma)


@jitable
def window_sigma(
    close: Sequence[float], stop: int, lookback: int, periods_per_year: float
) -> float:
    """Annualised sample std (ddof=1) of the ``lookback`` log returns ending at bar ``stop``.

    ``close`` is any indexable of floats (a list in the event engine, an array in numba). The
    mean is computed first and the squared deviations summed second (two passes): more
    accurate than running sums and cheap for the short windows sizing uses. NaN until
    ``lookback`` returns exist.
    """
    if stop < lookback:
        return math.nan
    total = 0.0
    for i in range(stop - lookback + 1, stop + 1):
        total += math.log(close[i] / close[i - 1])
    mean = total / lookback
    ss = 0.0
    for i in range(stop - lookback + 1, stop + 1):
        d = math.log(close[i] / close[i - 1]) - mean
        ss += d * d
    return math.sqrt(ss / (lookback - 1)) * math.sqrt(periods_per_year)


@jitable
def round_to_lot(quantity: float, lot_size: float) -> float:
    """Round an unsigned quantity toward zero to a multiple of ``lot_size`` (0 = fractional)."""
    if lot_size <= 0.0:
        return quantity
    lots = math.floor(quantity / lot_size + LOT_EPSILON)
    return lots * lot_size


@jitable
def order_check(
    quantity: float, price: float, lot_size: float, min_size: float, min_notional: float
) -> int:
    """0 if an unsigned, lot-rounded order may be sent, else its skip reason code."""
    if not (price > 0.0) or not math.isfinite(price):
        return SKIP_BAD_PRICE
    if lot_size > 0.0 and quantity <= 0.0:
        return SKIP_LOT_SIZE
    if quantity < min_size or quantity <= 0.0:
        return SKIP_MIN_SIZE
    if quantity * price < min_notional:
        return SKIP_MIN_NOTIONAL
    return SKIP_NONE
