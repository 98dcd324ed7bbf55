"""Targets through the event engine: 0006 sizing and timing, stops, trades, vector parity."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neural_trader.backtest.config import BacktestConfig
from neural_trader.backtest.event import EventResult, run_event
from neural_trader.backtest.records import (
    REASON_SIGNAL,
    REASON_STOP_LOSS,
    REASON_TAKE_PROFIT,
    SKIP_MIN_NOTIONAL,
    SKIP_MIN_SIZE,
)
from neural_trader.core.data import Bar
from neural_trader.strategies.base import Strategy, StrategyContext, StrategyData
from neural_trader.testkit.bars import MINUTE, T0, bars, flat


class Targets(Strategy):
    """Sets ``targets[i]`` on bar ``i``; counts ``on_fill`` calls."""

    name = "targets"
    long_only = False

    def __init__(self, targets: Sequence[float], **params: Any) -> None:
        super().__init__(**params)
        self.targets = list(targets)
        self.fill_count = 0

    def on_bar(self, ctx: StrategyContext, bar: Bar, **kwargs: Any) -> None:
        i = ctx.bar_index
        if i < len(self.targets):
            ctx.target(self.targets[i])

    def on_fill(self, ctx: StrategyContext, fill: Any, **kwargs: Any) -> None:
        self.fill_count += 1


def run(data: StrategyData, targets: Sequence[float], **kw: Any) -> EventResult:
    params = {k: kw.pop(k) for k in ("stop_loss", "take_profit") if k in kw}
    return run_event(Targets(targets, **params), data, BacktestConfig(**kw))


def walk(n: int, seed: int) -> StrategyData:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.concatenate([[100.0], close[:-1]]) * np.exp(rng.normal(0, 0.003, n))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.005, n)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.005, n)))
    ts = T0 + np.arange(n, dtype=np.int64) * MINUTE
    return StrategyData("RW", ts, open_, high, low, close, np.full(n, 1e6))


# -- timing ---------------------------------------------------------------------------------------


def test_all_in_fill_close_buys_at_this_close_leaving_no_cash() -> None:
    data = flat([100, 110, 120])
    result = run(data, [1, 1, 1], fill="close", fee_rate=0.001)
    qty = 10_000 / (100 * 1.001)
    assert result.position[0] == qty
    assert result.cash[0] == pytest.approx(0.0, abs=1e-9)
    assert result.equity[2] == pytest.approx(qty * 120, rel=1e-12)


def test_fill_open_executes_at_next_open_and_last_bar_target_never_executes() -> None:
    data = bars([(100, 100, 100, 100), (105, 106, 104, 106), (107, 107, 107, 107)])
    result = run(data, [1, 0, 1], fill="open")
    assert list(result.orders["idx"]) == [1, 2]
    assert list(result.orders["price"]) == [105.0, 107.0]
    assert result.position[0] == 0.0
    assert result.position[2] == 0.0  # the target of the last bar (1) never executed


def test_trades_only_on_change_of_target() -> None:
    data = flat([100, 101, 102, 103, 104, 105])
    result = run(data, [1, 1, 1, 0, 0, 1], fill="close")
    assert list(result.orders["idx"]) == [0, 3, 5]


def test_nan_target_keeps_previous_and_long_only_clips_shorts() -> None:
    data = flat([100, 101, 102, 103])
    result = run(data, [1, math.nan, -1, math.nan], fill="close", long_only=True)
    assert list(result.orders["idx"]) == [0, 2]
    assert list(result.orders["side"]) == [1, -1]
    assert result.position[3] == 0.0  # -1 clipped to 0: flat, never short


# -- sizers ---------------------------------------------------------------------------------------


def test_all_in_half_target_spends_half_cash_and_same_sign_change_does_not_trade() -> None:
    data = flat([100, 100, 100])
    result = run(data, [0.5, 0.8, 0.8], fill="close", fee_rate=0.01)
    assert len(result.orders) == 1
    assert result.cash[0] == pytest.approx(5_000.0, rel=1e-12)
    assert result.orders["quantity"][0] == 0.5 * 10_000 / (100 * 1.01)


def test_all_in_sign_flip_closes_then_opens() -> None:
    data = flat([100, 100, 100])
    result = run(data, [1, -1, -1], fill="close")
    assert list(result.orders["side"]) == [1, -1, -1]
    assert result.position[1] == -100.0
    assert result.trade_count == 1


def test_fixed_sizer_trades_the_difference_to_target_times_quantity() -> None:
    data = flat([10, 11, 12, 13])
    result = run(data, [0.5, 1.0, -1.0, -1.0], fill="close", sizer="fixed", quantity=4)
    assert list(result.position) == [2.0, 4.0, -4.0, -4.0]
    # crossing zero is a close plus an open
    assert [(r["side"], r["quantity"]) for r in result.orders] == [
        (1, 2.0),
        (1, 2.0),
        (-1, 4.0),
        (-1, 4.0),
    ]


def test_target_weight_sizes_on_equity_at_execution_price() -> None:
    data = flat([100, 200, 200])
    result = run(data, [0.5, 0.5, 0.25], fill="close", sizer="target_weight", slippage=0.01)
    q0 = 0.5 * 10_000 / (100 * 1.01)
    assert result.position[0] == q0
    cash0 = 10_000 - q0 * 101.0
    equity2 = cash0 + q0 * 200
    q2 = 0.25 * equity2 / (200 * 0.99)
    assert result.position[2] == pytest.approx(q2, rel=1e-12)


def test_target_weight_every_bar_rebalances_as_price_moves() -> None:
    data = flat([100, 200, 200])
    on_change = run(data, [0.5] * 3, fill="close", sizer="target_weight")
    every = run(data, [0.5] * 3, fill="close", sizer="target_weight", rebalance="every_bar")
    assert len(on_change.orders) == 1
    assert len(every.orders) == 2  # bar 1 doubles the value: sell back to 50%; bar 2 no change
    assert every.orders["side"][1] == -1


def test_vol_target_weight_uses_sample_std_of_log_returns_to_signal_bar() -> None:
    closes = [100, 101, 99, 102, 100, 103, 104]
    data = flat(closes)
    result = run(
        data,
        [0, 0, 0, 0, 1, 1, 1],
        fill="close",
        sizer="vol_target",
        vol_lookback=3,
        vol_target=0.1,
        periods_per_year=252,
        max_leverage=5,
    )
    sigma = np.std(np.diff(np.log(closes))[1:4], ddof=1) * math.sqrt(252)
    weight = min(5.0, 0.1 / float(sigma))
    assert result.orders["idx"][0] == 4
    assert result.position[4] == pytest.approx(weight * 10_000 / 100, rel=1e-12)


def test_lot_size_rounds_down_and_min_rules_skip_and_report() -> None:
    data = flat([100, 100, 100])
    lots = run(data, [0.5, 0.5, 0.5], fill="close", sizer="target_weight", lot_size=7)
    assert lots.position[0] == 49.0
    small = run(data, [0.5, 0.5, 0.5], fill="close", sizer="target_weight", min_size=100)
    assert len(small.orders) == 0
    assert list(small.skipped["reason"]) == [SKIP_MIN_SIZE]
    notional = run(data, [0.5, 0.5, 0.5], fill="close", sizer="fixed", min_notional=1000)
    assert list(notional.skipped["reason"]) == [SKIP_MIN_NOTIONAL]


# -- stops ----------------------------------------------------------------------------------


def test_stop_loss_exits_at_level_on_path_with_slippage() -> None:
    data = bars([(100, 100, 100, 100), (100, 100.5, 94, 99), (99, 99, 99, 99)])
    result = run(data, [1, 1, 1], fill="close", stop_loss=0.05, slippage=0.001)
    entry = 100 * 1.001
    level = entry * 0.95
    assert list(result.orders["reason"]) == [REASON_SIGNAL, REASON_STOP_LOSS]
    assert result.orders["price"][1] == level * 0.999
    assert result.trades["exit_reason"][0] == REASON_STOP_LOSS


def test_stop_loss_gap_exits_at_open() -> None:
    data = bars([(100, 100, 100, 100), (90, 91, 89, 90.5)])
    result = run(data, [1, 1], fill="close", stop_loss=0.05)
    assert result.orders["price"][1] == 90.0


def test_take_profit_before_stop_on_down_bar_path() -> None:
    # Down bar: O -> H -> L -> C: the high (take profit) comes before the low (stop).
    data = bars([(100, 100, 100, 100), (100, 111, 89, 95)])
    result = run(data, [1, 1], fill="close", stop_loss=0.05, take_profit=0.1)
    assert result.orders["reason"][1] == REASON_TAKE_PROFIT
    assert result.orders["price"][1] == pytest.approx(110.0)


def test_fill_open_entry_bar_counts_for_stops() -> None:
    data = bars([(100, 100, 100, 100), (100, 100, 90, 99)])
    result = run(data, [1, 1], fill="open", stop_loss=0.05)
    assert list(result.orders["idx"]) == [1, 1]
    assert result.orders["reason"][1] == REASON_STOP_LOSS


def test_no_reentry_after_stop_until_target_changes() -> None:
    data = bars(
        [(100, 100, 100, 100), (100, 100, 90, 95), (95, 95, 95, 95), (95, 95, 95, 95),
         (95, 95, 95, 95), (96, 96, 96, 96)]
    )  # fmt: skip
    result = run(data, [1, 1, 1, 0, 0, 1], fill="close", stop_loss=0.05)
    assert list(result.orders["idx"]) == [0, 1, 5]


# -- records and callbacks ----------------------------------------------------------------


def test_trades_record_round_trips_and_open_trade_marked_at_end() -> None:
    data = flat([100, 110, 110, 120, 130])
    result = run(data, [1, 0, 0, 1, 1], fill="close")
    assert result.trade_count == 1
    assert result.open_trades == 1
    closed, still_open = result.trades
    assert closed["pnl"] == pytest.approx(1_000.0)
    assert closed["return"] == pytest.approx(0.1)
    assert still_open["exit_price"] == 130.0
    assert still_open["is_open"]


def test_on_fill_called_once_per_target_fill() -> None:
    strategy = Targets([1, -1, 0, 1])
    result = run_event(strategy, flat([100, 101, 102, 103]), BacktestConfig(fill="close"))
    assert strategy.fill_count == len(result.orders) == 5  # the flip is two orders


def test_equity_is_cash_plus_position_times_close_every_bar() -> None:
    data = walk(300, 1)
    rng = np.random.default_rng(2)
    result = run(data, rng.choice([-1.0, 0.0, 0.5, 1.0], 300).tolist(), fee_rate=0.001)
    np.testing.assert_array_equal(result.equity, result.cash + result.position * data.close)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 120), st.sampled_from(["open", "close"]), st.integers(0, 10_000))
def test_truncated_run_equals_prefix_of_full_run(t: int, fill: str, seed: int) -> None:
    data = walk(120, seed)
    rng = np.random.default_rng(seed)
    targets = rng.choice([-1.0, 0.0, 0.5, 1.0, math.nan], 120).tolist()
    cfg = dict(fill=fill, fee_rate=0.001, sizer="target_weight", stop_loss=0.02)
    full = run(data, targets, **cfg)
    part = run(data.head(t), targets, **cfg)
    np.testing.assert_array_equal(part.equity, full.equity[:t])
    np.testing.assert_array_equal(part.position, full.position[:t])
    np.testing.assert_array_equal(part.orders, full.orders[full.orders["idx"] < t])


# -- parity with the vector engine ----------------------------------------------------------------

SIZERS = ["all_in", "fixed", "target_weight", "vol_target"]


@pytest.mark.parametrize("sizer", SIZERS)
@pytest.mark.parametrize("fill", ["open", "close"])
@pytest.mark.parametrize("stops", [(None, None), (0.01, 0.02)])
def test_targets_match_vector_engine_bit_for_bit(
    sizer: str, fill: str, stops: tuple[float | None, float | None]
) -> None:
    vector = pytest.importorskip("neural_trader.backtest.vector")
    data = walk(400, 7)
    rng = np.random.default_rng(11)
    targets = rng.choice(
        [-1.0, -0.5, 0.0, 0.5, 1.0, math.nan], 400, p=[0.02, 0.02, 0.03, 0.03, 0.05, 0.85]
    )
    config = BacktestConfig(
        fill=fill,
        sizer=sizer,
        fee_rate=0.001,
        fixed_fee=0.5,
        slippage=0.0005,
        quantity=7,
        lot_size=0.1 if sizer != "all_in" else 0.0,
        vol_lookback=10,
        periods_per_year=98_280,
        max_leverage=2.0,
        min_notional=50.0,
    )
    sl, tp = stops
    vec = vector.run_vector_targets(targets, data, config, stop_loss=sl, take_profit=tp)
    params = {k: v for k, v in (("stop_loss", sl), ("take_profit", tp)) if v is not None}
    ev = run_event(Targets(list(targets), **params), data, config)
    assert len(vec.orders) > 5
    np.testing.assert_array_equal(ev.equity, vec.equity)
    np.testing.assert_array_equal(ev.cash, vec.cash)
    np.testing.assert_array_equal(ev.position, vec.position)
    for mine, theirs in (
        (ev.orders, vec.orders),
        (ev.trades, vec.trades),
        (ev.skipped, vec.skipped),
    ):
        assert mine.dtype.names is not None
        assert set(mine.dtype.names) == set(theirs.dtype.names or ())
        for name in mine.dtype.names:  # by field: the layouts may differ, the values may not
            np.testing.assert_array_equal(mine[name], theirs[name], err_msg=name)
