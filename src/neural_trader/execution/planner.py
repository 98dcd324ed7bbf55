"""Targets to orders: the backtester's own execution model decides what a live runner sends.

A strategy sets a target exposure; the backtester turns it into fills with
:func:`~neural_trader.backtest.models.execution.execute_target` (sizing, the close-then-open
split of a flip, lot rounding, minimum size and notional). The live runner must send exactly
those orders, so instead of re-deriving the rules it *runs* ``execute_target`` on a scratch
book holding the live cash and position, and reads the orders the model recorded: side and
quantity become market orders, the model's skips become log lines. With the paper broker the
fills then equal the backtester's bit for bit (the ORCL replay test checks it); with a real
broker the second leg of a flip is sized from the model's expected cash, which is what any
planner must assume before the first leg fills.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

from neural_trader.backtest.config import BacktestConfig
from neural_trader.backtest.event.result import ExecutionBook
from neural_trader.backtest.models.execution import SIZER_CODES, execute_target
from neural_trader.backtest.models.tradebook import (
    C_ORDERS,
    C_SKIPPED,
    F_POS,
    F_QIN,
    F_VIN,
    I_SIDE,
)
from neural_trader.backtest.records import SkipReason

__all__ = ["PlannedOrder", "PlannedSkip", "TargetPlanner"]

_ROLES: Final = ("close", "open")


@dataclass(frozen=True, slots=True)
class PlannedOrder:
    """One market order the model would fill: ``side`` +1/-1, unsigned ``quantity``.

    ``role`` is ``close`` for an order that only reduces the position and ``open`` otherwise;
    the runner puts it in the client order id, so a re-planned bar after a restart maps each
    leg to the same id (a flip interrupted between its legs resends only the missing one).
    """

    side: int
    quantity: float
    role: str


@dataclass(frozen=True, slots=True)
class PlannedSkip:
    side: int
    quantity: float
    reason: str


class TargetPlanner:
    """Plans the orders that move a live position toward a target, with 0006's rules."""

    def __init__(self, config: BacktestConfig) -> None:
        self.config = config
        self._sizer = SIZER_CODES[config.sizer]
        self._book = ExecutionBook(config.cash)
        self.resize = config.rebalance == "every_bar" and config.sizer != "all_in"

    def wants_action(self, want: float, acted: float) -> bool:
        return self.resize or want != acted

    def plan(
        self, *, want: float, acted: float, price: float, cash: float, position: float, sigma: float
    ) -> tuple[list[PlannedOrder], list[PlannedSkip], float]:
        """Orders for target ``want`` at reference ``price``; returns (orders, skips, acted)."""
        cfg = self.config
        book = self._book
        book.cnt[:] = 0
        book.fst[0, :] = 0.0
        book.ist[0, :] = 0
        book.acct[0] = cash
        book.fst[0, F_POS] = position
        if position != 0.0:
            # The open round trip's sums only feed the backtester's trade records, which the
            # planner discards; they are set so that closing arithmetic stays finite.
            book.fst[0, F_QIN] = abs(position)
            book.fst[0, F_VIN] = abs(position) * price
            book.ist[0, I_SIDE] = 1 if position > 0 else -1
        book.reserve(4)
        acted, _ = execute_target(
            book.acct, book.fst, book.ist, book.cnt, book.orders, book.trades, book.skipped, 0,
            0, 0, 0, want, acted, False, self.resize, price, sigma, self._sizer, cfg.fraction,
            cfg.quantity, cfg.vol_target, cfg.max_leverage, cfg.fee_rate, cfg.fixed_fee,
            cfg.slippage, cfg.lot_size, cfg.min_size, cfg.min_notional,
        )  # fmt: skip
        orders: list[PlannedOrder] = []
        pos = position
        for k in range(int(book.cnt[C_ORDERS])):
            rec = book.orders[k]
            side = int(rec["side"])
            qty = float(rec["quantity"])
            reduces = pos != 0.0 and (side > 0) != (pos > 0) and qty <= abs(pos)
            orders.append(PlannedOrder(side, qty, _ROLES[0] if reduces else _ROLES[1]))
            pos = pos + qty if side > 0 else pos - qty
        skips = [
            PlannedSkip(
                int(book.skipped[k]["side"]),
                float(book.skipped[k]["quantity"]),
                SkipReason(int(book.skipped[k]["reason"])).name.lower(),
            )
            for k in range(int(book.cnt[C_SKIPPED]))
        ]
        return orders, skips, acted


def finite_positive(value: float) -> bool:
    return math.isfinite(value) and value > 0.0
