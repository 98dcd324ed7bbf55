"""Fees and the cash movement of a fill (0006), as plain scalar Python.

The vector kernels compile these very functions with ``numba.njit`` and the event engine calls
them directly, so both engines perform the same IEEE operations in the same order and agree bit
for bit. Keep them free of numpy objects and of Python features numba cannot compile.
"""

from __future__ import annotations

from neural_trader.backtest.models._jit import jitable

__all__ = ["cash_after_fill", "order_fee"]


@jitable
def order_fee(quantity: float, price: float, fee_rate: float, fixed_fee: float) -> float:
    """``|qty| * p * fee_rate + fixed_fee``: proportional part on the executed notional."""
    return abs(quantity) * price * fee_rate + fixed_fee


@jitable
def cash_after_fill(cash: float, side: int, quantity: float, price: float, fee: float) -> float:
    """Cash after a fill of unsigned ``quantity``: buys pay ``qty*p + fee``, sells receive
    ``qty*p - fee`` (short proceeds go to cash). The grouping is part of the contract: the
    notional and the fee are combined first, then applied to cash once."""
    if side > 0:
        return cash - (quantity * price + fee)
    return cash + (quantity * price - fee)
