"""One execution point of a target-weight portfolio (0006 rules, several assets, one cash).

The per-bar steps of ``run_portfolio``'s kernel as plain functions over the shared account
arrays of :mod:`~neural_trader.backtest.models.tradebook` (``fst``/``ist`` with one row per
asset): take a row of weights into the targets in force (:func:`take_weights`), decide whether
the book acts (:func:`weights_changed`), mark it (:func:`book_equity`) and rebalance it
(:func:`rebalance`: desired positions from one equity, every selling order before any buying
order, each through :func:`~neural_trader.backtest.models.execution.move_to`).

Registered with numba like the rest of ``backtest.models`` so that the vector kernel
(``vector/nb.py``'s ``_portfolio_core_nb``) can compile the very same functions; today only
the event engine's ``run_event_portfolio`` calls them, and they reproduce that kernel's
operations in its order (the parity tests check the arrays and records for equality).
"""

from __future__ import annotations

from typing import Any

from neural_trader.backtest.models._jit import jitable
from neural_trader.backtest.models.execution import move_to
from neural_trader.backtest.models.sizing import target_weight_position
from neural_trader.backtest.models.tradebook import F_POS

__all__ = ["book_equity", "gross_weight", "rebalance", "take_weights", "weights_changed"]


@jitable
def take_weights(tgt: Any, row: Any, lo: float) -> None:
    """Set ``tgt[j]`` to ``row[j]`` clipped to ``[lo, 1]``; a NaN keeps the weight in force."""
    for j in range(tgt.shape[0]):
        raw = row[j]
        if raw == raw:
            tgt[j] = min(1.0, max(lo, raw))


@jitable
def gross_weight(tgt: Any) -> float:
    """Sum of ``|tgt[j]|`` (the leverage a row of weights asks for)."""
    g = 0.0
    for j in range(tgt.shape[0]):
        g += abs(tgt[j])
    return g


@jitable
def weights_changed(tgt: Any, acted: Any) -> bool:
    """Whether any weight in force differs from the one the book last acted on."""
    changed = False
    for j in range(tgt.shape[0]):
        if tgt[j] != acted[j]:
            changed = True
    return changed


@jitable
def book_equity(acct: Any, fst: Any, prices: Any) -> float:
    """``cash + sum(position_j * price_j)``, summed in asset order."""
    equity: float = acct[0]
    for j in range(prices.shape[0]):
        equity += fst[j, F_POS] * prices[j]
    return equity


@jitable
def rebalance(
    acct: Any,
    fst: Any,
    ist: Any,
    cnt: Any,
    orders: Any,
    trades: Any,
    skipped: Any,
    idx: int,
    ts: int,
    tgt: Any,
    acted: Any,
    desired: Any,
    base_row: Any,
    fee_rate: float,
    fixed_fee: float,
    slip: float,
    lot_size: float,
    min_size: float,
    min_notional: float,
) -> None:
    """Move the whole book to the weights ``tgt`` at the prices ``base_row`` (0006 sizing).

    Desired positions ``w_j * equity / p_j`` come from one equity, ``cash + sum(pos_j *
    base_j)``, taken before any order; then every order that sells goes before any that buys,
    so the cash a sale frees is there before a purchase spends it. ``acted`` becomes ``tgt``;
    ``desired`` is scratch space of the same length. Records carry the asset index as ``col``.
    """
    m = tgt.shape[0]
    equity = book_equity(acct, fst, base_row)
    for j in range(m):
        acted[j] = tgt[j]
        desired[j] = target_weight_position(tgt[j], equity, base_row[j], fst[j, F_POS], slip)
    for buys in range(2):
        for j in range(m):
            pos = fst[j, F_POS]
            if (buys == 0 and desired[j] < pos) or (buys == 1 and desired[j] > pos):
                move_to(
                    acct, fst, ist, cnt, orders, trades, skipped, j, j, idx, ts, desired[j],
                    base_row[j], fee_rate, fixed_fee, slip, lot_size, min_size, min_notional,
                )  # fmt: skip
