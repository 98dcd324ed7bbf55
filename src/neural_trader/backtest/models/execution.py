"""The execution model (0006): sized target orders, fills, stop exits; one source, two engines.

Everything that happens when an engine *acts* lives here: deciding whether a target is acted
on, sizing it, splitting a flip into a close and an open, lot rounding and the minimums,
slippage, fees, cash, the order/skip records and the round-trip bookkeeping of
:mod:`~neural_trader.backtest.models.tradebook`, and the stop/take-profit exit of a bar. The
vector kernels compile these functions into their bar loop; the event engine calls the same
functions as Python only when something executes (a changed target, a stop walk), and keeps its
per-bar fast path in plain floats. One copy of the control flow means the engines cannot drift:
the parity tests check the arrays and records bit for bit.

State and record buffers are those of :mod:`~neural_trader.backtest.models.tradebook`
(``acct``, ``fst``, ``ist``, ``cnt``, ``orders``, ``trades``, ``skipped``; row ``j``, record
column ``col``).
"""

from __future__ import annotations

from typing import Any

from neural_trader.backtest.models._jit import jitable
from neural_trader.backtest.models.fees import cash_after_fill, order_fee
from neural_trader.backtest.models.sizing import (
    all_in_quantity,
    fixed_position,
    order_check,
    round_to_lot,
    sign,
    target_weight_position,
    vol_target_weight,
)
from neural_trader.backtest.models.slippage import execution_price
from neural_trader.backtest.models.stops import stop_prices, walk_stops
from neural_trader.backtest.models.tradebook import (
    F_POS,
    F_QIN,
    F_VIN,
    I_SIDE,
    book_fill,
    record_order,
    record_skip,
)
from neural_trader.backtest.records import REASON_SIGNAL

__all__ = [
    "SIZER_ALL_IN",
    "SIZER_CODES",
    "SIZER_FIXED",
    "SIZER_TARGET_WEIGHT",
    "SIZER_VOL_TARGET",
    "execute_target",
    "fill_order",
    "move_to",
    "stop_walk",
]

SIZER_ALL_IN = 0
SIZER_FIXED = 1
SIZER_TARGET_WEIGHT = 2
SIZER_VOL_TARGET = 3
SIZER_CODES = {
    "all_in": SIZER_ALL_IN,
    "fixed": SIZER_FIXED,
    "target_weight": SIZER_TARGET_WEIGHT,
    "vol_target": SIZER_VOL_TARGET,
}
"""Sizer names of :class:`~neural_trader.backtest.config.BacktestConfig` to kernel codes."""


@jitable
def fill_order(
    acct: Any,
    fst: Any,
    ist: Any,
    cnt: Any,
    orders: Any,
    trades: Any,
    skipped: Any,
    j: int,
    col: int,
    idx: int,
    ts: int,
    side: int,
    wanted: float,
    base: float,
    reason: int,
    close_all: bool,
    fee_rate: float,
    fixed_fee: float,
    slip: float,
    lot_size: float,
    min_size: float,
    min_notional: float,
) -> bool:
    """Send one order that never crosses zero (callers split flips); report it if skipped.

    A full close is not lot-rounded (the position already is a number of lots, and rounding
    it could leave dust) but still faces the minimums. A skipped order is reported once and
    not retried: the engine acts again only when the target changes (or every bar with
    ``rebalance="every_bar"``). Returns whether the order was filled.
    """
    p = execution_price(base, side, slip)
    q = wanted if close_all else round_to_lot(wanted, lot_size)
    code = order_check(q, p, 0.0 if close_all else lot_size, min_size, min_notional)
    if code != 0:
        record_skip(skipped, cnt, idx, ts, side, wanted, p, code, col)
        return False
    fee = order_fee(q, p, fee_rate, fixed_fee)
    acct[0] = cash_after_fill(acct[0], side, q, p, fee)
    record_order(orders, cnt, idx, ts, side, q, p, fee, reason, col)
    book_fill(fst, ist, trades, cnt, j, idx, ts, side, q, p, fee, reason, close_all)
    return True


@jitable
def move_to(
    acct: Any,
    fst: Any,
    ist: Any,
    cnt: Any,
    orders: Any,
    trades: Any,
    skipped: Any,
    j: int,
    col: int,
    idx: int,
    ts: int,
    desired: float,
    base: float,
    fee_rate: float,
    fixed_fee: float,
    slip: float,
    lot_size: float,
    min_size: float,
    min_notional: float,
) -> None:
    """Trade row ``j`` toward the signed position ``desired``.

    Crossing zero is a full close plus an open (two orders, two round trips); when the close
    is refused by the minimums the open is not attempted (the account never holds both sides).
    """
    pos = fst[j, F_POS]
    if desired == pos or desired != desired:
        return
    if pos != 0.0 and sign(desired) != sign(pos):
        ok = fill_order(
            acct, fst, ist, cnt, orders, trades, skipped, j, col, idx, ts, -sign(pos), abs(pos),
            base, REASON_SIGNAL, True, fee_rate, fixed_fee, slip, lot_size, min_size,
            min_notional,
        )  # fmt: skip
        if not ok or desired == 0.0:
            return
        pos = 0.0
    delta = desired - pos
    fill_order(
        acct, fst, ist, cnt, orders, trades, skipped, j, col, idx, ts, sign(delta), abs(delta),
        base, REASON_SIGNAL, False, fee_rate, fixed_fee, slip, lot_size, min_size, min_notional,
    )  # fmt: skip


@jitable
def execute_target(
    acct: Any,
    fst: Any,
    ist: Any,
    cnt: Any,
    orders: Any,
    trades: Any,
    skipped: Any,
    j: int,
    col: int,
    idx: int,
    ts: int,
    tgt: float,
    acted: float,
    stopped: bool,
    resize: bool,
    base: float,
    sigma: float,
    sizer: int,
    fraction: float,
    quantity: float,
    vol_target: float,
    max_leverage: float,
    fee_rate: float,
    fixed_fee: float,
    slip: float,
    lot_size: float,
    min_size: float,
    min_notional: float,
) -> tuple[float, bool]:
    """Act on the clipped target ``tgt`` at ``base`` (the open or the close); 0006 *Sizers*.

    ``acted`` is the last target acted on and ``stopped`` whether a stop exit happened since;
    returns their new values. The engine acts when the target differs from ``acted`` (or every
    bar with ``resize``, the ``every_bar`` re-sizing of the weight sizers); after a stop exit
    only a changed target acts. ``sigma`` is the annualised volatility at the signal bar, read
    by ``vol_target`` only (callers may pass NaN otherwise).
    """
    changed = tgt != acted
    if stopped:
        if not changed:
            return acted, stopped
        stopped = False
    if not changed and not resize:
        return acted, stopped
    acted = tgt
    pos = fst[j, F_POS]
    if sizer == SIZER_ALL_IN:
        if pos != 0.0 and sign(tgt) != sign(pos):
            fill_order(
                acct, fst, ist, cnt, orders, trades, skipped, j, col, idx, ts, -sign(pos),
                abs(pos), base, REASON_SIGNAL, True, fee_rate, fixed_fee, slip, lot_size,
                min_size, min_notional,
            )  # fmt: skip
        if tgt != 0.0 and fst[j, F_POS] == 0.0:
            side = sign(tgt)
            p = execution_price(base, side, slip)
            q = all_in_quantity(acct[0], p, tgt, fraction, fee_rate)
            fill_order(
                acct, fst, ist, cnt, orders, trades, skipped, j, col, idx, ts, side, q, base,
                REASON_SIGNAL, False, fee_rate, fixed_fee, slip, lot_size, min_size,
                min_notional,
            )  # fmt: skip
        return acted, stopped
    if sizer == SIZER_FIXED:
        desired = fixed_position(tgt, quantity)
    else:
        w = tgt
        if sizer == SIZER_VOL_TARGET:
            w = vol_target_weight(tgt, sigma, vol_target, max_leverage)
        equity = acct[0] + pos * base
        desired = target_weight_position(w, equity, base, pos, slip)
    move_to(
        acct, fst, ist, cnt, orders, trades, skipped, j, col, idx, ts, desired, base, fee_rate,
        fixed_fee, slip, lot_size, min_size, min_notional,
    )  # fmt: skip
    return acted, stopped


@jitable
def stop_walk(
    acct: Any,
    fst: Any,
    ist: Any,
    cnt: Any,
    orders: Any,
    trades: Any,
    skipped: Any,
    j: int,
    col: int,
    idx: int,
    ts: int,
    open_: float,
    high: float,
    low: float,
    close: float,
    stop_loss: float,
    take_profit: float,
    stopped: bool,
    fee_rate: float,
    fixed_fee: float,
    slip: float,
    min_size: float,
    min_notional: float,
) -> bool:
    """Walk bar ``idx`` for row ``j``'s open position; returns the new ``stopped`` flag.

    Levels are measured from the open trade's average entry price; the exit is a full close at
    the level (or the open on a gap), with slippage, facing the minimums like any order. Only
    a filled exit sets ``stopped``; a refused one leaves the position to be walked again.
    """
    side = ist[j, I_SIDE]
    entry = fst[j, F_VIN] / fst[j, F_QIN]
    sl_price, tp_price = stop_prices(entry, side, stop_loss, take_profit)
    hit, level, reason = walk_stops(open_, high, low, close, side, sl_price, tp_price)
    if hit:
        ok = fill_order(
            acct, fst, ist, cnt, orders, trades, skipped, j, col, idx, ts, -side,
            abs(fst[j, F_POS]), level, reason, True, fee_rate, fixed_fee, slip, 0.0, min_size,
            min_notional,
        )  # fmt: skip
        if ok:
            stopped = True
    return stopped
