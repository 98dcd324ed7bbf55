"""Execution price with proportional slippage (0006), plain scalar Python (numba-compilable)."""

from __future__ import annotations

from neural_trader.backtest.models._jit import jitable

__all__ = ["execution_price"]


@jitable
def execution_price(base: float, side: int, slippage: float) -> float:
    """``base * (1 + s)`` for a buy, ``base * (1 - s)`` for a sell: slippage always hurts."""
    if side > 0:
        return base * (1.0 + slippage)
    return base * (1.0 - slippage)
