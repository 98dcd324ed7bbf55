"""The shared execution model (``backtest.models.execution`` / ``tradebook``) on its own."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neural_trader.backtest import BacktestConfig, run_vector_targets
from neural_trader.backtest.event import run_event
from neural_trader.backtest.event.result import ExecutionBook
from neural_trader.backtest.models import bar_path, stop_prices, touch, walk_stops
from neural_trader.backtest.models.execution import execute_target, fill_order
from neural_trader.backtest.models.tradebook import (
    C_ORDERS,
    C_SKIPPED,
    C_TRADES,
    F_FEES,
    F_POS,
    F_QIN,
    I_SIDE,
    book_fill,
)
from neural_trader.backtest.records import (
    REASON_SIGNAL,
    REASON_STOP_LOSS,
    REASON_TAKE_PROFIT,
    SKIP_LOT_SIZE,
)
from neural_trader.core.data import Bar
from neural_trader.strategies.base import Strategy, StrategyContext, StrategyData

NAN = math.nan


class Replay(Strategy):
    name = "replay"

    def __init__(self, targets: np.ndarray, **params: Any) -> None:
        super().__init__(**params)
        self.targets = targets.tolist()

    def on_bar(self, ctx: StrategyContext, bar: Bar, **kwargs: Any) -> None:
        ctx.target(self.targets[ctx.bar_index])


def _walk_by_touch(
    o: float, h: float, lo: float, c: float, side: int, sl: float, tp: float
) -> tuple[bool, float, int]:
    """walk_stops expressed with the general path crossing: the earlier touch wins."""
    path = bar_path(o, h, lo, c)
    best = (math.inf, math.nan, 0)
    for level, reason in ((sl, REASON_STOP_LOSS), (tp, REASON_TAKE_PROFIT)):
        if level != level:
            continue
        below = (side > 0) == (reason == REASON_STOP_LOSS)
        s, px = touch(*path, 0.0, o, level, below)
        if s >= 0.0 and s < best[0]:
            best = (s, px, reason)
    if best[0] == math.inf:
        return False, math.nan, 0
    return True, best[1], best[2]


price = st.floats(50.0, 150.0)


@settings(max_examples=300, deadline=None)
@given(
    o=price,
    a=price,
    b=price,
    c=price,
    side=st.sampled_from([1, -1]),
    sl=st.sampled_from([math.nan, 0.01, 0.05, 0.2]),
    tp=st.sampled_from([math.nan, 0.02, 0.1, 0.3]),
)
def test_walk_stops_is_the_first_touch_of_either_level_on_the_bar_path(
    o: float, a: float, b: float, c: float, side: int, sl: float, tp: float
) -> None:
    """The exchange's general crossing and the engines' stop walk cannot drift apart."""
    h = max(o, a, b, c)
    lo = min(o, a, b, c)
    sl_price, tp_price = stop_prices(100.0, side, sl, tp)
    got = walk_stops(o, h, lo, c, side, sl_price, tp_price)
    want = _walk_by_touch(o, h, lo, c, side, sl_price, tp_price)
    assert got[0] == want[0]
    if got[0]:
        assert got[1:] == want[1:]


def test_touch_interpolates_the_crossing_time_and_gaps_fill_at_the_start_price() -> None:
    path = bar_path(100.0, 110.0, 90.0, 105.0)  # up bar: O L H C
    assert path == (100.0, 90.0, 110.0, 105.0)
    assert touch(*path, 0.0, 100.0, 95.0, True) == (0.5, 95.0)
    assert touch(*path, 0.0, 100.0, 108.0, False) == (1.0 + 18.0 / 20.0, 108.0)
    assert touch(*path, 0.0, 100.0, 101.0, True) == (0.0, 100.0)  # already below: gap
    assert touch(*path, 0.0, 100.0, 80.0, True) == (-1.0, 0.0)


def test_book_fill_crossing_zero_closes_one_trade_and_opens_the_next_splitting_the_fee() -> None:
    book = ExecutionBook(0.0)
    book_fill(book.fst, book.ist, book.trades, book.cnt, 0, 0, 10, 1, 10.0, 100.0, 1.0, 0, False)
    book_fill(book.fst, book.ist, book.trades, book.cnt, 0, 5, 50, -1, 15.0, 110.0, 3.0, 0, False)
    assert book.cnt[C_TRADES] == 1
    closed = book.trades[0]
    assert closed["quantity"] == 10.0
    assert closed["exit_price"] == 110.0
    assert closed["fees"] == pytest.approx(1.0 + 2.0)  # 10 of the 15 units carry 2 of the fee
    assert closed["pnl"] == pytest.approx(10.0 * 10.0 - 3.0)
    assert book.fst[0, F_POS] == -5.0
    assert book.ist[0, I_SIDE] == -1
    assert book.fst[0, F_QIN] == 5.0
    assert book.fst[0, F_FEES] == pytest.approx(1.0)


def test_fill_order_skips_sub_lot_orders_without_touching_cash_and_reports_them() -> None:
    book = ExecutionBook(1_000.0)
    args = (book.acct, book.fst, book.ist, book.cnt, book.orders, book.trades, book.skipped)
    ok = fill_order(
        *args, 0, 0, 3, 30, 1, 0.7, 100.0, REASON_SIGNAL, False, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0
    )
    assert ok is False
    assert book.acct[0] == 1_000.0
    assert book.cnt[C_ORDERS] == 0
    assert book.cnt[C_SKIPPED] == 1
    assert book.skipped[0]["reason"] == SKIP_LOT_SIZE
    assert book.skipped[0]["quantity"] == 0.7  # the wanted quantity, before rounding


def test_execute_target_ignores_an_unchanged_target_after_a_stop_exit() -> None:
    book = ExecutionBook(1_000.0)
    args = (book.acct, book.fst, book.ist, book.cnt, book.orders, book.trades, book.skipped)
    # all_in sizer, fraction 1, quantity 1, vol 0.15, leverage 1, no costs, no lots or minimums
    costs = (0, 1.0, 1.0, 0.15, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    acted, stopped = execute_target(
        *args, 0, 0, 1, 1, 1.0, 1.0, True, False, 10.0, math.nan, *costs
    )
    assert (acted, stopped) == (1.0, True)
    assert book.cnt[C_ORDERS] == 0
    acted, stopped = execute_target(
        *args, 0, 0, 2, 2, 0.5, 1.0, True, False, 10.0, math.nan, *costs
    )
    assert (acted, stopped) == (0.5, False)
    assert book.fst[0, F_POS] == pytest.approx(0.5 * 1_000.0 / 10.0)


def test_event_record_buffers_grow_past_their_first_capacity_without_losing_records() -> None:
    n = 3_000
    rng = np.random.default_rng(4)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    ts = np.arange(n, dtype=np.int64) * 86_400_000_000_000
    data = StrategyData("X", ts, close, close, close, close, np.ones(n))
    targets = np.full(n, math.nan)
    targets[5] = 0.8

    config = BacktestConfig(sizer="target_weight", rebalance="every_bar", fee_rate=0.001)
    ev = run_event(Replay(targets), data, config)
    vec = run_vector_targets(targets, data, config)
    assert len(ev.orders) > 2 * 1024
    for name in ev.orders.dtype.names or ():
        np.testing.assert_array_equal(ev.orders[name], vec.orders[name], err_msg=name)
    np.testing.assert_array_equal(ev.equity, vec.equity)
