"""Account state, record appends and round-trip bookkeeping (0006), shared by both engines.

Both engines keep one account in the same small numpy arrays and hand them to these functions:
the vector kernels compile them (``register_jitable``), the event engine calls them as Python
when something executes. Arrays rather than scalars because a numba function cannot rebind
its caller's scalars; the same arrays in Python mean one code path, not two that must agree.

State of an account (``m`` instruments sharing one cash balance, row ``j`` per instrument):

* ``acct`` float64 (1,): ``acct[0]`` is the cash;
* ``fst`` float64 (m, :data:`N_F`): position and the open round trip's running sums;
* ``ist`` int64 (m, :data:`N_I`): the open round trip's side, entry bar and entry timestamp;
* ``cnt`` int64 (:data:`N_C`,): records written to each buffer, and an overflow flag.

Record buffers are preallocated structured arrays of the :mod:`~neural_trader.backtest.records`
dtypes. An append never reallocates (a numba helper that rebinds arrays in the bar loop costs
reference counting on every bar); when a buffer is full it sets ``cnt[C_OVERFLOW]`` and drops
the record, and the caller either reruns with more room (vector) or makes room before each
execution so that it never happens (event).
"""

from __future__ import annotations

import math
from typing import Any

from neural_trader.backtest.models._jit import jitable

__all__ = [
    "C_ORDERS",
    "C_OVERFLOW",
    "C_SKIPPED",
    "C_TRADES",
    "F_FEES",
    "F_POS",
    "F_QIN",
    "F_QOUT",
    "F_VIN",
    "F_VOUT",
    "I_EIDX",
    "I_ETS",
    "I_SIDE",
    "N_C",
    "N_F",
    "N_I",
    "book_fill",
    "record_order",
    "record_skip",
    "write_trade",
]

# Columns of fst (numba freezes these module ints into the kernels as literals).
F_POS = 0  # signed position
F_QIN = 1  # quantity entered in the open trade
F_VIN = 2  # notional entered
F_QOUT = 3  # quantity exited so far
F_VOUT = 4  # notional exited so far
F_FEES = 5  # fees of the open trade
N_F = 6
# Columns of ist.
I_SIDE = 0  # side of the open trade (0 when flat)
I_EIDX = 1  # its entry bar
I_ETS = 2  # its entry timestamp
N_I = 3
# Slots of cnt.
C_ORDERS = 0
C_TRADES = 1
C_SKIPPED = 2
C_OVERFLOW = 3
N_C = 4


@jitable
def _claim(cnt: Any, slot: int, size: int) -> int:
    """Take the next record of the buffer counted by ``cnt[slot]`` (``size`` records long).

    Returns its index, or -1 when the buffer is full: the overflow is flagged and the caller
    drops the record.
    """
    k: int = cnt[slot]
    if k >= size:
        cnt[C_OVERFLOW] = 1
        return -1
    cnt[slot] = k + 1
    return k


@jitable
def _write_event(
    r: Any,
    idx: int,
    ts: int,
    side: int,
    quantity: float,
    price: float,
    reason: int,
    col: int,
) -> None:
    """The fields an order record and a skipped record share."""
    r["idx"] = idx
    r["ts"] = ts
    r["side"] = side
    r["quantity"] = quantity
    r["price"] = price
    r["reason"] = reason
    r["col"] = col


@jitable
def record_order(
    orders: Any,
    cnt: Any,
    idx: int,
    ts: int,
    side: int,
    quantity: float,
    price: float,
    fee: float,
    reason: int,
    col: int,
) -> None:
    """Append one fill to ``orders`` (or flag the overflow)."""
    k = _claim(cnt, C_ORDERS, orders.shape[0])
    if k < 0:
        return
    o = orders[k]
    _write_event(o, idx, ts, side, quantity, price, reason, col)
    o["fee"] = fee


@jitable
def record_skip(
    skipped: Any,
    cnt: Any,
    idx: int,
    ts: int,
    side: int,
    quantity: float,
    price: float,
    code: int,
    col: int,
) -> None:
    """Append one refused order (0006: skipped orders are reported, never silent)."""
    k = _claim(cnt, C_SKIPPED, skipped.shape[0])
    if k < 0:
        return
    _write_event(skipped[k], idx, ts, side, quantity, price, code, col)


@jitable
def write_trade(
    trades: Any,
    cnt: Any,
    fst: Any,
    ist: Any,
    j: int,
    exit_idx: int,
    exit_ts: int,
    reason: int,
    is_open: bool,
    open_qty: float,
    mark: float,
) -> None:
    """Append the round trip of row ``j``; an open one adds ``open_qty`` marked at ``mark``.

    Prices are quantity-weighted averages (notional over quantity), ``pnl`` is net of every
    fee of the trade and ``return`` is ``pnl`` over the entry notional.
    """
    k = _claim(cnt, C_TRADES, trades.shape[0])
    if k < 0:
        return
    qin = fst[j, F_QIN]
    vin = fst[j, F_VIN]
    qout = fst[j, F_QOUT] + open_qty
    vout = fst[j, F_VOUT] + open_qty * mark
    paid = fst[j, F_FEES]
    side = ist[j, I_SIDE]
    pnl = vout - vin - paid if side > 0 else vin - vout - paid
    r = trades[k]
    r["entry_idx"] = ist[j, I_EIDX]
    r["exit_idx"] = exit_idx
    r["entry_ts"] = ist[j, I_ETS]
    r["exit_ts"] = exit_ts
    r["side"] = side
    r["quantity"] = qin
    r["entry_price"] = vin / qin
    r["exit_price"] = vout / qout if qout > 0.0 else math.nan
    r["pnl"] = pnl
    r["return"] = pnl / vin
    r["fees"] = paid
    r["exit_reason"] = reason
    r["is_open"] = is_open


@jitable
def _open_trade(
    fst: Any, ist: Any, j: int, idx: int, ts: int, side: int, qty: float, price: float, fee: float
) -> None:
    ist[j, I_SIDE] = side
    ist[j, I_EIDX] = idx
    ist[j, I_ETS] = ts
    fst[j, F_QIN] = qty
    fst[j, F_VIN] = qty * price
    fst[j, F_QOUT] = 0.0
    fst[j, F_VOUT] = 0.0
    fst[j, F_FEES] = fee


@jitable
def book_fill(
    fst: Any,
    ist: Any,
    trades: Any,
    cnt: Any,
    j: int,
    idx: int,
    ts: int,
    side: int,
    qty: float,
    price: float,
    fee: float,
    reason: int,
    close_all: bool,
) -> None:
    """Move row ``j``'s position by one fill and keep its round trip (0006 *Trades*).

    The position becomes 0 (``close_all``: a full close is exact, never ``pos - qty`` dust) or
    ``pos + side * qty``. A trade opens when the position leaves 0 and is written when it
    returns there. The engine's own orders never cross zero (a flip is two orders), but an
    explicit order in the event engine may: its fill closes the trade with the quantity that
    was held and opens the next with the rest, the fee split between them by quantity.
    """
    pos = fst[j, F_POS]
    new_pos = 0.0 if close_all else pos + side * qty
    if pos == 0.0:
        _open_trade(fst, ist, j, idx, ts, side, qty, price, fee)
    elif side == ist[j, I_SIDE]:
        fst[j, F_QIN] += qty
        fst[j, F_VIN] += qty * price
        fst[j, F_FEES] += fee
    else:
        held = abs(pos)
        if qty < held and new_pos != 0.0:  # a partial exit
            fst[j, F_QOUT] += qty
            fst[j, F_VOUT] += qty * price
            fst[j, F_FEES] += fee
        else:
            closing = held if qty > held else qty
            rest = qty - closing
            share = fee if rest <= 0.0 else fee * (closing / qty)
            fst[j, F_QOUT] += closing
            fst[j, F_VOUT] += closing * price
            fst[j, F_FEES] += share
            write_trade(trades, cnt, fst, ist, j, idx, ts, reason, False, 0.0, 0.0)
            ist[j, I_SIDE] = 0
            if rest > 0.0 and new_pos != 0.0:
                _open_trade(fst, ist, j, idx, ts, side, rest, price, fee - share)
    fst[j, F_POS] = new_pos
