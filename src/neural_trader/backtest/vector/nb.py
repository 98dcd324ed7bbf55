"""Numba kernels of the vectorized engine (numpy in, numpy out; no pandas, no Python objects).

Contract (vectorbt's ``nb.py`` convention): every function here is ``@njit(cache=True)`` and ends
in ``_nb``; inputs are float64/int64 arrays and scalars; records are structured arrays with the
dtypes of :mod:`neural_trader.backtest.records`. The per-order arithmetic is *not* written here:
it is the plain Python of :mod:`neural_trader.backtest.models`, compiled below with
``njit(cache=True)(func)``, so the event engine, which calls the same functions uncompiled,
performs the same IEEE operations in the same order (docs/decisions/0006).

Per bar ``t`` of one account:

* ``fill="open"``: the target in force after bar ``t-1`` executes at ``open[t]``; then the
  stop/take-profit walk covers the whole of bar ``t`` (the rest of an entry bar counts).
* ``fill="close"``: the stop walk covers bar ``t`` for a position held from before; then bar
  ``t``'s target executes at ``close[t]``.
* ``equity[t] = cash[t] + position[t] * close[t]`` after everything of bar ``t``.

A target is NaN (keep the previous one) or is clipped to [-1, 1] ([0, 1] when long-only); the
engine acts when it differs from the last target it acted on, or every bar with
``every_bar`` for the re-sizing sizers. A position that has to cross zero is closed by one
order and re-opened by another (two order records, two trade records). After a stop or
take-profit exit no order is sent until the target changes.

The per-bar execution logic is *not* written here either: acting on a target, fills, the stop
walk and the round-trip bookkeeping are :mod:`neural_trader.backtest.models.execution` and
:mod:`~neural_trader.backtest.models.tradebook`, registered with numba so the kernels below
compile them into their loops, while the event engine calls the very same functions as Python.
Their state is the small arrays ``acct``/``fst``/``ist``/``cnt`` (numba helpers cannot rebind
their caller's scalars) and preallocated record buffers, rerun with more room on overflow.

numba's on-disk cache is keyed on this file only: after editing ``backtest/models``, delete
``backtest/vector/__pycache__/nb.*`` (``make clean``) or the kernels keep the old arithmetic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

from neural_trader.backtest.models import sizing
from neural_trader.backtest.models.execution import (
    SIZER_ALL_IN,
    SIZER_CODES,
    SIZER_FIXED,
    SIZER_TARGET_WEIGHT,
    SIZER_VOL_TARGET,
    execute_target,
    move_to,
    stop_walk,
)
from neural_trader.backtest.models.sizing import target_weight_position
from neural_trader.backtest.models.tradebook import (
    C_ORDERS,
    C_OVERFLOW,
    C_SKIPPED,
    C_TRADES,
    F_POS,
    N_C,
    N_F,
    N_I,
    write_trade,
)
from neural_trader.backtest.records import (
    ORDER_DTYPE,
    REASON_END,
    SKIPPED_DTYPE,
    TRADE_DTYPE,
)

__all__ = [
    "SIZER_ALL_IN",
    "SIZER_CODES",
    "SIZER_FIXED",
    "SIZER_TARGET_WEIGHT",
    "SIZER_VOL_TARGET",
    "rolling_sigma_nb",
    "simulate_grid_nb",
    "simulate_nb",
    "simulate_portfolio_nb",
]

window_sigma_nb = njit(cache=True)(sizing.window_sigma)


@njit(cache=True)
def rolling_sigma_nb(close: Any, lookback: int, periods_per_year: float) -> Any:
    """Annualised sample std of the ``lookback`` log returns ending at each bar (NaN warm-up)."""
    n = close.shape[0]
    out = np.empty(n, dtype=np.float64)
    for t in range(n):
        out[t] = window_sigma_nb(close, t, lookback, periods_per_year)
    return out


@njit(cache=True)
def _clip_target_nb(raw: float, lo: float, prev: float) -> float:
    """The target in force after reading ``raw``: ``prev`` when NaN, else clipped to [lo, 1]."""
    if raw == raw:
        return min(1.0, max(lo, raw))
    return prev


@njit(cache=True)
def _mark_open_trade_nb(
    trades: Any, cnt: Any, fst: Any, ist: Any, j: int, t: int, ts_t: int, price: float
) -> None:
    """Write row ``j``'s round trip, if one is still open, marked at ``price`` (end of data)."""
    if fst[j, F_POS] != 0.0:
        write_trade(trades, cnt, fst, ist, j, t, ts_t, REASON_END, True, abs(fst[j, F_POS]), price)


@njit(cache=True)
def _simulate_column_nb(
    open_: Any,
    high: Any,
    low: Any,
    close: Any,
    ts: Any,
    targets: Any,
    sigma: Any,
    col: int,
    cash0: float,
    fee_rate: float,
    fixed_fee: float,
    slip: float,
    fill_open: bool,
    sizer: int,
    fraction: float,
    quantity: float,
    vol_target: float,
    max_leverage: float,
    lot_size: float,
    min_size: float,
    min_notional: float,
    long_only: bool,
    every_bar: bool,
    stop_loss: float,
    take_profit: float,
    cash_out: Any,
    pos_out: Any,
    eq_out: Any,
    record_series: bool,
    orders: Any,
    trades: Any,
    skipped: Any,
    cnt: Any,
) -> Any:
    """One account over one target column; see the module docstring for the bar timeline.

    Writes into the caller's record buffers and never reallocates them (rebinding arrays
    inside the bar loop costs numba reference counting on every bar: 20x slower); on
    overflow it sets ``cnt[C_OVERFLOW]`` and :func:`_run_column_nb` reruns with more room.
    Returns (final cash, final position, final equity).
    """
    n = close.shape[0]
    acct = np.empty(1, dtype=np.float64)
    acct[0] = cash0
    fst = np.zeros((1, N_F), dtype=np.float64)
    ist = np.zeros((1, N_I), dtype=np.int64)
    lo = 0.0 if long_only else -1.0
    has_stops = stop_loss == stop_loss or take_profit == take_profit
    resize = every_bar and sizer != SIZER_ALL_IN

    tgt = 0.0  # target in force (NaN-filled, clipped)
    acted = 0.0  # last target the engine acted on
    stopped = False  # after a stop exit: wait for the target to change

    for t in range(n):
        for phase in range(2):
            # phase 0: execution at the open (fill="open"); phase 1: at the close.
            if phase == 0:
                if not fill_open or t == 0:
                    continue
                base = open_[t]
                sig_t = t - 1
            else:
                # fill="close": the stop walk of this bar comes before the close execution.
                if not fill_open and has_stops and fst[0, F_POS] != 0.0:
                    stopped = stop_walk(
                        acct, fst, ist, cnt, orders, trades, skipped, 0, col, t, ts[t], open_[t],
                        high[t], low[t], close[t], stop_loss, take_profit, stopped, fee_rate,
                        fixed_fee, slip, min_size, min_notional,
                    )  # fmt: skip
                tgt = _clip_target_nb(targets[t], lo, tgt)
                if fill_open:
                    break
                base = close[t]
                sig_t = t
            if tgt == acted and not resize:
                continue  # the common bar: nothing to do (execute_target would return at once)
            acted, stopped = execute_target(
                acct, fst, ist, cnt, orders, trades, skipped, 0, col, t, ts[t], tgt, acted,
                stopped, resize, base, sigma[sig_t], sizer, fraction, quantity, vol_target,
                max_leverage, fee_rate, fixed_fee, slip, lot_size, min_size, min_notional,
            )  # fmt: skip
        if fill_open and has_stops and fst[0, F_POS] != 0.0:
            stopped = stop_walk(
                acct, fst, ist, cnt, orders, trades, skipped, 0, col, t, ts[t], open_[t], high[t],
                low[t], close[t], stop_loss, take_profit, stopped, fee_rate, fixed_fee, slip,
                min_size, min_notional,
            )  # fmt: skip
        if record_series:
            cash_out[t] = acct[0]
            pos_out[t] = fst[0, F_POS]
            eq_out[t] = acct[0] + fst[0, F_POS] * close[t]

    final_eq = acct[0]
    if n > 0:
        final_eq = acct[0] + fst[0, F_POS] * close[n - 1]
        _mark_open_trade_nb(trades, cnt, fst, ist, 0, n - 1, ts[n - 1], close[n - 1])
    return acct[0], fst[0, F_POS], final_eq


@njit(cache=True)
def _capacity_nb(targets: Any, long_only: bool, resize: bool) -> int:
    """Record room that rarely overflows: each change of the in-force target acts once
    (at most two orders: close and open) and allows at most one stop exit after it; with
    per-bar re-sizing every bar may act."""
    n: int = targets.shape[0]
    if resize:
        return 3 * n + 4
    lo = 0.0 if long_only else -1.0
    tgt = 0.0
    changes = 0
    for t in range(n):
        new = _clip_target_nb(targets[t], lo, tgt)
        if new != tgt:
            changes += 1
            tgt = new
    return 3 * changes + 4


@njit(cache=True)
def _run_column_nb(
    open_: Any,
    high: Any,
    low: Any,
    close: Any,
    ts: Any,
    targets: Any,
    sigma: Any,
    col: int,
    cash0: float,
    fee_rate: float,
    fixed_fee: float,
    slip: float,
    fill_open: bool,
    sizer: int,
    fraction: float,
    quantity: float,
    vol_target: float,
    max_leverage: float,
    lot_size: float,
    min_size: float,
    min_notional: float,
    long_only: bool,
    every_bar: bool,
    stop_loss: float,
    take_profit: float,
    cash_out: Any,
    pos_out: Any,
    eq_out: Any,
    record_series: bool,
) -> Any:
    """Size the record buffers, simulate, and rerun with 4x the room on overflow (only a
    stop exit refused by the minimums bar after bar can exceed the first estimate)."""
    cap = _capacity_nb(targets, long_only, every_bar and sizer != SIZER_ALL_IN)
    while True:
        orders = np.empty(cap, dtype=ORDER_DTYPE)
        trades = np.empty(cap + 1, dtype=TRADE_DTYPE)
        skipped = np.empty(cap, dtype=SKIPPED_DTYPE)
        cnt = np.zeros(N_C, dtype=np.int64)
        fc, fp, fe = _simulate_column_nb(
            open_, high, low, close, ts, targets, sigma, col, cash0, fee_rate, fixed_fee, slip,
            fill_open, sizer, fraction, quantity, vol_target, max_leverage, lot_size, min_size,
            min_notional, long_only, every_bar, stop_loss, take_profit, cash_out, pos_out,
            eq_out, record_series, orders, trades, skipped, cnt,
        )  # fmt: skip
        if cnt[C_OVERFLOW] == 0:
            return (
                orders[: cnt[C_ORDERS]].copy(),
                trades[: cnt[C_TRADES]].copy(),
                skipped[: cnt[C_SKIPPED]].copy(),
                fc,
                fp,
                fe,
            )
        cap *= 4


@njit(cache=True)
def simulate_nb(
    open_: Any,
    high: Any,
    low: Any,
    close: Any,
    ts: Any,
    targets: Any,
    sigma: Any,
    cash: float,
    fee_rate: float,
    fixed_fee: float,
    slip: float,
    fill_open: bool,
    sizer: int,
    fraction: float,
    quantity: float,
    vol_target: float,
    max_leverage: float,
    lot_size: float,
    min_size: float,
    min_notional: float,
    long_only: bool,
    every_bar: bool,
    stop_loss: float,
    take_profit: float,
) -> Any:
    """One account, one target column: (cash, position, equity, orders, trades, skipped).

    ``sigma`` is the annualised volatility per bar (:func:`rolling_sigma_nb`), read only by
    the ``vol_target`` sizer (pass NaNs otherwise). ``stop_loss``/``take_profit`` are fractions
    of the entry price, NaN = off. ``sizer`` is a code of :data:`SIZER_CODES`.
    """
    n = close.shape[0]
    cash_out = np.empty(n, dtype=np.float64)
    pos_out = np.empty(n, dtype=np.float64)
    eq_out = np.empty(n, dtype=np.float64)
    orders, trades, skipped, _c, _p, _e = _run_column_nb(
        open_, high, low, close, ts, targets, sigma, 0, cash, fee_rate, fixed_fee, slip,
        fill_open, sizer, fraction, quantity, vol_target, max_leverage, lot_size, min_size,
        min_notional, long_only, every_bar, stop_loss, take_profit, cash_out, pos_out, eq_out,
        True,
    )  # fmt: skip
    return cash_out, pos_out, eq_out, orders, trades, skipped


@njit(cache=True, parallel=True)
def simulate_grid_nb(
    open_: Any,
    high: Any,
    low: Any,
    close: Any,
    ts: Any,
    targets: Any,
    sigma: Any,
    cash: float,
    fee_rates: Any,
    fixed_fees: Any,
    slips: Any,
    fill_open: bool,
    sizer: int,
    fraction: float,
    quantity: float,
    vol_target: float,
    max_leverage: float,
    lot_size: float,
    min_size: float,
    min_notional: float,
    long_only: bool,
    every_bar: bool,
    stop_losses: Any,
    take_profits: Any,
    record_equity: bool,
) -> Any:
    """Many independent accounts over the same bars, one per row of ``targets`` (k, n).

    Columns run in parallel (``prange``); each has its own fee rate, fixed fee, slippage,
    stop-loss and take-profit (arrays of length k). Returns per column: final cash, final
    position, final equity, order count, closed-trade count, open-trade count, skipped count,
    and the equity curves (k, n) when ``record_equity`` (else shape (k, 0)): a 1,000 x 1M grid
    of curves would need 8 GB, so summaries are the default currency of a sweep.
    """
    k = targets.shape[0]
    n = close.shape[0]
    final_cash = np.empty(k, dtype=np.float64)
    final_pos = np.empty(k, dtype=np.float64)
    final_eq = np.empty(k, dtype=np.float64)
    n_orders = np.empty(k, dtype=np.int64)
    n_closed = np.empty(k, dtype=np.int64)
    n_open = np.empty(k, dtype=np.int64)
    n_skipped = np.empty(k, dtype=np.int64)
    width = n if record_equity else 0
    equity = np.empty((k, width), dtype=np.float64)
    for c in prange(k):
        cash_out = np.empty(width, dtype=np.float64)
        pos_out = np.empty(width, dtype=np.float64)
        orders, trades, skipped, fc, fp, fe = _run_column_nb(
            open_, high, low, close, ts, targets[c], sigma, c, cash, fee_rates[c], fixed_fees[c],
            slips[c], fill_open, sizer, fraction, quantity, vol_target, max_leverage, lot_size,
            min_size, min_notional, long_only, every_bar, stop_losses[c], take_profits[c],
            cash_out, pos_out, equity[c], record_equity,
        )  # fmt: skip
        final_cash[c] = fc
        final_pos[c] = fp
        final_eq[c] = fe
        n_orders[c] = orders.shape[0]
        still_open = 0
        for i in range(trades.shape[0]):
            if trades[i]["is_open"]:
                still_open += 1
        n_open[c] = still_open
        n_closed[c] = trades.shape[0] - still_open
        n_skipped[c] = skipped.shape[0]
    return final_cash, final_pos, final_eq, n_orders, n_closed, n_open, n_skipped, equity


@njit(cache=True)
def _portfolio_core_nb(
    open_: Any,
    close: Any,
    ts: Any,
    weights: Any,
    cash: float,
    fee_rate: float,
    fixed_fee: float,
    slip: float,
    fill_open: bool,
    lot_size: float,
    min_size: float,
    min_notional: float,
    long_only: bool,
    every_bar: bool,
    orders: Any,
    trades: Any,
    skipped: Any,
    cnt: Any,
    cash_out: Any,
    pos_out: Any,
    eq_out: Any,
) -> None:
    """Several assets sharing one cash account, sized by target weight.

    ``open_``, ``close`` and ``weights`` are (n, m). A weight row is NaN-filled per asset and
    clipped like a target. When any asset's weight changes (or every bar with ``every_bar``)
    the whole book is rebalanced at the execution point: desired positions
    ``w_j * equity / p_j`` are computed once from ``equity = cash + sum(pos_j * base_j)``,
    then every order that sells is sent before any order that buys, so the cash a sale frees
    is there before a purchase spends it (fees may still leave cash slightly below zero when
    the weights sum to 1). No stops here (weights have no stop options). Writes into the
    caller's buffers; sets ``cnt[C_OVERFLOW]`` when they are too small.
    """
    n = close.shape[0]
    m = close.shape[1]
    acct = np.empty(1, dtype=np.float64)
    acct[0] = cash
    fst = np.zeros((m, N_F), dtype=np.float64)
    ist = np.zeros((m, N_I), dtype=np.int64)
    lo = 0.0 if long_only else -1.0
    tgt = np.zeros(m, dtype=np.float64)
    acted = np.zeros(m, dtype=np.float64)
    desired = np.empty(m, dtype=np.float64)

    for t in range(n):
        for phase in range(2):
            if phase == 0:
                if not fill_open or t == 0:
                    continue
                base_row = open_[t]
            else:
                for j in range(m):
                    tgt[j] = _clip_target_nb(weights[t, j], lo, tgt[j])
                if fill_open:
                    break
                base_row = close[t]
            changed = False
            for j in range(m):
                if tgt[j] != acted[j]:
                    changed = True
            if not changed and not every_bar:
                continue
            equity = acct[0]
            for j in range(m):
                equity += fst[j, F_POS] * base_row[j]
            for j in range(m):
                acted[j] = tgt[j]
                desired[j] = target_weight_position(
                    tgt[j], equity, base_row[j], fst[j, F_POS], slip
                )
            for buys in range(2):
                for j in range(m):
                    pos = fst[j, F_POS]
                    if (buys == 0 and desired[j] < pos) or (buys == 1 and desired[j] > pos):
                        move_to(
                            acct, fst, ist, cnt, orders, trades, skipped, j, j, t, ts[t],
                            desired[j], base_row[j], fee_rate, fixed_fee, slip, lot_size,
                            min_size, min_notional,
                        )  # fmt: skip
        cash_out[t] = acct[0]
        eq = acct[0]
        for j in range(m):
            pos_out[t, j] = fst[j, F_POS]
            eq += fst[j, F_POS] * close[t, j]
        eq_out[t] = eq

    if n > 0:
        for j in range(m):
            _mark_open_trade_nb(trades, cnt, fst, ist, j, n - 1, ts[n - 1], close[n - 1, j])


@njit(cache=True)
def simulate_portfolio_nb(
    open_: Any,
    close: Any,
    ts: Any,
    weights: Any,
    cash: float,
    fee_rate: float,
    fixed_fee: float,
    slip: float,
    fill_open: bool,
    lot_size: float,
    min_size: float,
    min_notional: float,
    long_only: bool,
    every_bar: bool,
) -> Any:
    """Several assets sharing one cash account, sized by target weight.

    Returns (cash (n), positions (n, m), equity (n), orders, trades, skipped); records carry
    the asset index in ``col``. See :func:`_portfolio_core_nb` for the rebalancing rules.
    """
    n = close.shape[0]
    m = close.shape[1]
    rows = 0
    if every_bar:
        rows = n
    else:
        prev = np.zeros(m, dtype=np.float64)
        lo = 0.0 if long_only else -1.0
        for t in range(n):
            hit = False
            for j in range(m):
                new = _clip_target_nb(weights[t, j], lo, prev[j])
                if new != prev[j]:
                    hit = True
                    prev[j] = new
            if hit:
                rows += 1
    cap = 2 * m * rows + m + 4
    cash_out = np.empty(n, dtype=np.float64)
    pos_out = np.empty((n, m), dtype=np.float64)
    eq_out = np.empty(n, dtype=np.float64)
    while True:
        orders = np.empty(cap, dtype=ORDER_DTYPE)
        trades = np.empty(cap + m, dtype=TRADE_DTYPE)
        skipped = np.empty(cap, dtype=SKIPPED_DTYPE)
        cnt = np.zeros(N_C, dtype=np.int64)
        _portfolio_core_nb(
            open_, close, ts, weights, cash, fee_rate, fixed_fee, slip, fill_open, lot_size,
            min_size, min_notional, long_only, every_bar, orders, trades, skipped, cnt, cash_out,
            pos_out, eq_out,
        )  # fmt: skip
        if cnt[C_OVERFLOW] == 0:
            return (
                cash_out,
                pos_out,
                eq_out,
                orders[: cnt[C_ORDERS]].copy(),
                trades[: cnt[C_TRADES]].copy(),
                skipped[: cnt[C_SKIPPED]].copy(),
            )
        cap *= 4
