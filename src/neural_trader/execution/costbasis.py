"""Average-cost position arithmetic in exact ``Decimal``: the one rule for every book we keep.

Brokers report a net quantity and an average entry price (Alpaca's ``avg_entry_price``), so
the journal and the paper broker keep positions the same way: adding on the same side
re-averages, reducing realises ``(price - avg) * closed`` in the position's direction and
keeps the average, crossing zero closes everything and opens the rest at the fill price.
Commissions stay with the fills; they are not folded into the average.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final, NamedTuple

from neural_trader.core.values import DECIMAL_CONTEXT

__all__ = ["PositionState", "apply_fill"]

_ZERO: Final = Decimal(0)
_AVG_QUANTUM: Final = Decimal(1).scaleb(-12)


class PositionState(NamedTuple):
    quantity: Decimal
    avg_price: Decimal
    realized_pnl: Decimal


def apply_fill(state: PositionState, side: int, quantity: Decimal, price: Decimal) -> PositionState:
    """The position after a fill of unsigned ``quantity`` at ``price``; ``side`` is +1 or -1."""
    ctx = DECIMAL_CONTEXT
    q, avg, realized = state
    delta = quantity if side > 0 else -quantity
    if q == 0 or (q > 0) == (delta > 0):
        new_q = q + delta
        cost = ctx.add(ctx.multiply(abs(q), avg), ctx.multiply(quantity, price))
        return PositionState(new_q, _average(cost, abs(new_q)), realized)
    closed = min(abs(q), quantity)
    direction = 1 if q > 0 else -1
    realized = ctx.add(realized, ctx.multiply(ctx.subtract(price, avg), closed * direction))
    new_q = q + delta
    if new_q == 0:
        return PositionState(_ZERO, _ZERO, realized)
    if (new_q > 0) == (q > 0):
        return PositionState(new_q, avg, realized)
    return PositionState(new_q, price, realized)  # crossed zero: the rest opens at the fill


def _average(cost: Decimal, quantity: Decimal) -> Decimal:
    avg = DECIMAL_CONTEXT.divide(cost, quantity)
    exponent = avg.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > 12:
        avg = avg.quantize(_AVG_QUANTUM, context=DECIMAL_CONTEXT)
    return avg
