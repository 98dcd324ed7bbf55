"""Record dtypes and reason codes shared by both backtest engines.

Orders, trades and skipped orders are numpy structured arrays (vectorbt's records), not Python
objects: a 1,000-configuration sweep produces millions of them, and numba kernels write them
directly. Codes are small ints inside kernels; the enums below map them to names at the edge.

``TRADE_DTYPE`` is defined here so the engines need not wait for analytics:
``neural_trader.analytics.trades`` must declare exactly the same fields, in the same order and
with the same types (or import this one), so trade records flow between them without copies.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

__all__ = [
    "ORDER_DTYPE",
    "SKIPPED_DTYPE",
    "TRADE_DTYPE",
    "ExitReason",
    "OrderReason",
    "SkipReason",
]

# Plain int constants: numba freezes module globals into the kernels as literals.
REASON_SIGNAL = 0
REASON_STOP_LOSS = 1
REASON_TAKE_PROFIT = 2
REASON_END = 3

SKIP_NONE = 0
SKIP_LOT_SIZE = 1
SKIP_MIN_SIZE = 2
SKIP_MIN_NOTIONAL = 3
SKIP_BAD_PRICE = 4

SIDE_BUY = 1
SIDE_SELL = -1


class OrderReason(IntEnum):
    """Why an order was sent (``reason`` field of ``ORDER_DTYPE``)."""

    SIGNAL = REASON_SIGNAL
    STOP_LOSS = REASON_STOP_LOSS
    TAKE_PROFIT = REASON_TAKE_PROFIT


class ExitReason(IntEnum):
    """Why a round trip ended (``exit_reason`` of ``TRADE_DTYPE``); ``END``: still open."""

    SIGNAL = REASON_SIGNAL
    STOP_LOSS = REASON_STOP_LOSS
    TAKE_PROFIT = REASON_TAKE_PROFIT
    END = REASON_END


class SkipReason(IntEnum):
    """Why a wanted order was not sent (0006: skipped orders are reported, never silent)."""

    LOT_SIZE = SKIP_LOT_SIZE
    MIN_SIZE = SKIP_MIN_SIZE
    MIN_NOTIONAL = SKIP_MIN_NOTIONAL
    BAD_PRICE = SKIP_BAD_PRICE


ORDER_DTYPE = np.dtype(
    [
        ("idx", np.int64),
        ("ts", np.int64),
        ("side", np.int8),
        ("quantity", np.float64),
        ("price", np.float64),
        ("fee", np.float64),
        ("reason", np.int8),
        ("col", np.int64),
    ],
    align=True,
)
"""One fill: bar index, timestamp (ns), side (+1 buy, -1 sell), unsigned quantity, execution
price (slippage included), fee paid, :class:`OrderReason` code, column (configuration/asset)."""

# Keep identical to neural_trader.analytics.trades.TRADE_DTYPE (same fields, order, types and
# packed layout, 83 bytes): records then pass between the packages without a copy.
TRADE_DTYPE = np.dtype(
    [
        ("entry_idx", np.int64),
        ("exit_idx", np.int64),
        ("entry_ts", np.int64),
        ("exit_ts", np.int64),
        ("side", np.int8),
        ("quantity", np.float64),
        ("entry_price", np.float64),
        ("exit_price", np.float64),
        ("fees", np.float64),
        ("pnl", np.float64),
        ("return", np.float64),
        ("exit_reason", np.int8),
        ("is_open", np.bool_),
    ]
)
"""One round trip (0006): from the position leaving 0 to its return to 0. Prices are
quantity-weighted averages; ``pnl`` is net of every fee of the trade; ``return`` is ``pnl``
over the entry value. An open trade is marked at the last close with reason ``END``."""

SKIPPED_DTYPE = np.dtype(
    [
        ("idx", np.int64),
        ("ts", np.int64),
        ("side", np.int8),
        ("quantity", np.float64),
        ("price", np.float64),
        ("reason", np.int8),
        ("col", np.int64),
    ],
    align=True,
)
"""An order the engine wanted but did not send: the wanted quantity (before lot rounding) and
price, and the :class:`SkipReason` code."""
