"""The vectorized engine against hand computations of 0006's rules."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from neural_trader.backtest import (
    BacktestConfig,
    ExitReason,
    OrderReason,
    SkipReason,
    run_vector,
    run_vector_targets,
)
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.strategies.base import Strategy, StrategyData
from neural_trader.strategies.parameters import IntParam

NAN = math.nan


def bars(
    close: Sequence[float],
    open_: Sequence[float] | None = None,
    high: Sequence[float] | None = None,
    low: Sequence[float] | None = None,
) -> StrategyData:
    c = np.array(close, dtype=np.float64)
    o = np.array(open_, dtype=np.float64) if open_ is not None else c.copy()
    h = np.array(high, dtype=np.float64) if high is not None else np.maximum(o, c)
    lo = np.array(low, dtype=np.float64) if low is not None else np.minimum(o, c)
    ts = np.arange(len(c), dtype=np.int64) * 60_000_000_000
    return StrategyData("TEST", ts, o, h, lo, c, np.ones(len(c)))


def cfg(**kw: object) -> BacktestConfig:
    return BacktestConfig.model_validate({"cash": 1000.0, **kw})


def test_fill_open_target_on_bar_t_trades_at_next_open() -> None:
    data = bars([10, 11, 12, 13, 14], open_=[9.5, 10.5, 11.5, 12.5, 13.5])
    res = run_vector_targets([1, NAN, 0, NAN, NAN], data, cfg(fill="open"))
    assert res.orders["idx"].tolist() == [1, 3]
    assert res.orders["price"].tolist() == [10.5, 12.5]
    assert res.equity[0] == 1000.0
    assert res.final_equity == pytest.approx(1000.0 / 10.5 * 12.5)


def test_fill_close_target_on_bar_t_trades_at_its_close() -> None:
    data = bars([10, 11, 12, 13, 14], open_=[9.5, 10.5, 11.5, 12.5, 13.5])
    res = run_vector_targets([1, NAN, 0, NAN, NAN], data, cfg(fill="close"))
    assert res.orders["idx"].tolist() == [0, 2]
    assert res.orders["price"].tolist() == [10.0, 12.0]
    assert res.final_equity == pytest.approx(1000.0 / 10 * 12)


def test_fill_open_last_bar_target_never_trades() -> None:
    res = run_vector_targets([0, 0, 0, 1], bars([10, 11, 12, 13]), cfg(fill="open"))
    assert len(res.orders) == 0
    assert res.final_equity == 1000.0


def test_equity_is_cash_plus_position_times_close_every_bar() -> None:
    rng = np.random.default_rng(3)
    close = list(100 * np.exp(np.cumsum(rng.normal(0, 0.01, 60))))
    targets = rng.choice([NAN, 0.0, 1.0, -1.0, 0.5], 60)
    res = run_vector_targets(targets, bars(close), cfg(fee_rate=0.001, slippage=0.001))
    np.testing.assert_allclose(res.equity, res.cash + res.position * np.array(close), rtol=1e-15)


def test_all_in_with_fee_matches_hand_computation() -> None:
    res = run_vector_targets([1, 0, NAN], bars([10, 20, 20]), cfg(fill="close", fee_rate=0.01))
    q = 1000 / (10 * 1.01)
    cash = 1000 - (q * 10 + q * 10 * 0.01) + (q * 20 - q * 20 * 0.01)
    assert res.orders["quantity"][0] == pytest.approx(q, rel=1e-15)
    assert res.orders["fee"].tolist() == pytest.approx([q * 10 * 0.01, q * 20 * 0.01])
    assert res.final_equity == pytest.approx(cash, rel=1e-14)


def test_all_in_same_sign_other_magnitude_does_not_trade() -> None:
    res = run_vector_targets([1, 0.5, 1], bars([10, 11, 12]), cfg(fill="close"))
    assert len(res.orders) == 1


def test_fixed_sizer_trades_the_difference() -> None:
    res = run_vector_targets(
        [1, 0.5, -1], bars([10, 11, 12]), cfg(fill="close", sizer="fixed", quantity=4.0)
    )
    assert res.position.tolist() == [4.0, 2.0, -4.0]
    # 2 -> -4 crosses zero: close 2, then open 4 short
    assert res.orders["quantity"].tolist() == [4.0, 2.0, 2.0, 4.0]
    assert res.orders["side"].tolist() == [1, -1, -1, -1]


def test_target_weight_sizer_uses_equity_over_price() -> None:
    res = run_vector_targets(
        [0.5, NAN, 0.25], bars([10, 20, 20]), cfg(fill="close", sizer="target_weight")
    )
    assert res.position[0] == pytest.approx(50.0)
    # equity at bar 2: 500 + 50*20 = 1500 -> 0.25 * 1500 / 20 = 18.75
    assert res.position[2] == pytest.approx(18.75)


def test_target_weight_every_bar_rebalances_drift() -> None:
    data = bars([10, 20, 20])
    on_change = run_vector_targets([0.5, NAN, NAN], data, cfg(fill="close", sizer="target_weight"))
    every = run_vector_targets(
        [0.5, NAN, NAN], data, cfg(fill="close", sizer="target_weight", rebalance="every_bar")
    )
    assert on_change.position[1] == pytest.approx(50.0)
    assert every.position[1] == pytest.approx(0.5 * 1500 / 20)


def test_vol_target_sizer_matches_hand_weight() -> None:
    rng = np.random.default_rng(1)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 30)))
    targets = np.full(30, NAN)
    targets[25] = 1.0
    config = cfg(fill="close", sizer="vol_target", vol_lookback=10, vol_target=0.1)
    res = run_vector_targets(targets, bars(list(close)), config)
    r = np.diff(np.log(close))[25 - 10 : 25]
    sigma = np.std(r, ddof=1) * math.sqrt(252)
    weight = min(1.0, 0.1 / sigma)
    assert res.position[25] == pytest.approx(weight * 1000 / close[25], rel=1e-12)


def test_vol_target_warmup_gives_zero_weight_and_no_order() -> None:
    config = cfg(fill="close", sizer="vol_target", vol_lookback=10)
    res = run_vector_targets([1.0, NAN, NAN], bars([10, 11, 12]), config)
    assert res.position.tolist() == [0.0, 0.0, 0.0]
    assert len(res.orders) == 0


def test_slippage_buys_higher_and_sells_lower() -> None:
    res = run_vector_targets([1, 0], bars([100, 100]), cfg(fill="close", slippage=0.01))
    assert res.orders["price"].tolist() == pytest.approx([101.0, 99.0])
    assert res.final_equity < 1000.0


def test_lot_size_rounds_quantity_down() -> None:
    res = run_vector_targets([1], bars([30.0]), cfg(fill="close", lot_size=1.0))
    assert res.orders["quantity"].tolist() == [33.0]
    assert res.cash[0] == pytest.approx(1000 - 33 * 30)


def test_min_notional_skips_and_reports_with_bar_and_reason() -> None:
    res = run_vector_targets([0, 0, 0.001], bars([10, 10, 10]), cfg(fill="close", min_notional=5.0))
    assert len(res.orders) == 0
    assert res.skipped["idx"].tolist() == [2]
    assert res.skipped["reason"].tolist() == [SkipReason.MIN_NOTIONAL]
    assert res.skipped_frame()["reason"].tolist() == ["min_notional"]


def test_min_size_below_lot_reports_lot_size() -> None:
    res = run_vector_targets([1], bars([2000.0]), cfg(fill="close", lot_size=1.0))
    assert res.skipped["reason"].tolist() == [SkipReason.LOT_SIZE]


def test_long_short_flip_is_two_orders_and_two_trades() -> None:
    res = run_vector_targets([1, -1, 0], bars([10, 10, 10]), cfg(fill="close"))
    assert res.orders["side"].tolist() == [1, -1, -1, 1]
    assert res.orders["idx"].tolist() == [0, 1, 1, 2]
    assert res.trades["side"].tolist() == [1, -1]
    assert res.trades["exit_reason"].tolist() == [ExitReason.SIGNAL, ExitReason.SIGNAL]


def test_long_only_clips_negative_targets_to_flat() -> None:
    res = run_vector_targets([1, -1], bars([10, 10]), cfg(fill="close", long_only=True))
    assert res.position.tolist() == [100.0, 0.0]


def test_stop_gap_through_exits_at_open() -> None:
    data = bars([100, 100, 85], open_=[100, 100, 80], high=[100, 100, 90], low=[100, 100, 79])
    res = run_vector_targets([1, NAN, NAN], data, cfg(fill="close"), stop_loss=0.05)
    assert res.orders["price"].tolist() == [100.0, 80.0]
    assert res.orders["reason"].tolist() == [OrderReason.SIGNAL, OrderReason.STOP_LOSS]
    assert res.trades["exit_reason"].tolist() == [ExitReason.STOP_LOSS]


def test_stop_up_bar_hits_stop_before_take_profit() -> None:
    data = bars([100, 105], open_=[100, 100], high=[100, 112], low=[100, 94])
    res = run_vector_targets([1, NAN], data, cfg(fill="close"), stop_loss=0.05, take_profit=0.1)
    assert res.orders["reason"][-1] == OrderReason.STOP_LOSS
    assert res.orders["price"][-1] == pytest.approx(95.0)


def test_stop_down_bar_hits_take_profit_first() -> None:
    data = bars([100, 99], open_=[100, 100], high=[100, 112], low=[100, 94])
    res = run_vector_targets([1, NAN], data, cfg(fill="close"), stop_loss=0.05, take_profit=0.1)
    assert res.orders["reason"][-1] == OrderReason.TAKE_PROFIT
    assert res.orders["price"][-1] == pytest.approx(110.0)


def test_stop_fill_open_counts_rest_of_entry_bar() -> None:
    data = bars([100, 92, 92], open_=[100, 100, 92], high=[100, 100, 92], low=[100, 90, 92])
    res = run_vector_targets([1, NAN, NAN], data, cfg(fill="open"), stop_loss=0.05)
    assert res.orders["idx"].tolist() == [1, 1]
    assert res.orders["price"][1] == pytest.approx(95.0)


def test_stop_exit_waits_for_target_change_before_reentry() -> None:
    close = [100, 94, 100, 100, 100, 100]
    data = bars(close, low=[100, 94, 100, 100, 100, 100])
    targets = [1, NAN, 1, NAN, 0, 1]
    config = cfg(fill="close", sizer="target_weight", rebalance="every_bar")
    res = run_vector_targets(targets, data, config, stop_loss=0.05)
    assert res.orders["reason"][1] == OrderReason.STOP_LOSS
    assert res.position[1:5].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert res.position[5] > 0


def test_trades_pnl_net_of_fees_sums_to_equity_change() -> None:
    rng = np.random.default_rng(7)
    close = list(100 * np.exp(np.cumsum(rng.normal(0, 0.02, 200))))
    targets = rng.choice([NAN, NAN, NAN, 0.0, 1.0, -1.0], 200)
    res = run_vector_targets(targets, bars(close), cfg(fee_rate=0.002, fixed_fee=0.5))
    assert res.trades["pnl"].sum() == pytest.approx(res.final_equity - 1000.0, rel=1e-9)
    assert res.trades["fees"].sum() == pytest.approx(res.orders["fee"].sum(), rel=1e-12)
    assert (res.trades["exit_idx"] >= res.trades["entry_idx"]).all()
    assert res.n_trades + res.n_open_trades == len(res.trades)


def test_open_trade_at_end_is_marked_at_last_close() -> None:
    res = run_vector_targets([1, NAN, NAN], bars([10, 12, 15]), cfg(fill="close"))
    (trade,) = res.trades
    assert bool(trade["is_open"])
    assert trade["exit_reason"] == ExitReason.END
    assert trade["exit_price"] == 15.0
    assert trade["pnl"] == pytest.approx(500.0)
    assert res.n_trades == 0


def test_infinite_target_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="infinite at bar 1"):
        run_vector_targets([0, math.inf], bars([1, 2]))


def test_config_rejects_out_of_range_values_with_a_clear_message() -> None:
    with pytest.raises(ValidationError, match=r"fee_rate=1\.5 must be in"):
        BacktestConfig(fee_rate=1.5)
    with pytest.raises(ValidationError, match="finite"):
        BacktestConfig(cash=math.nan)


class Cross(Strategy):
    name = "cross-test"
    long_only: ClassVar[bool] = True
    fast = IntParam(2, low=1, high=100)
    slow = IntParam(4, low=2, high=400)

    def signals(self, data: StrategyData) -> npt.NDArray[np.float64]:
        c = data.close
        out = np.full(len(c), NAN)
        for t in range(self.p.slow, len(c)):
            f = c[t - self.p.fast + 1 : t + 1].mean()
            s = c[t - self.p.slow + 1 : t + 1].mean()
            out[t] = 1.0 if f > s else -1.0
        return out


def test_run_vector_uses_strategy_long_only_and_stops() -> None:
    rng = np.random.default_rng(5)
    close = list(100 * np.exp(np.cumsum(rng.normal(0, 0.02, 100))))
    data = bars(close)
    res = run_vector(Cross(stop_loss=0.02), data, cfg())
    assert (res.position >= 0).all()
    assert OrderReason.STOP_LOSS in res.orders["reason"]
    raw = run_vector_targets(Cross().signals(data), data, cfg(long_only=True), stop_loss=0.02)
    np.testing.assert_array_equal(res.equity, raw.equity)


def test_to_frame_indexes_by_utc_time() -> None:
    frame = run_vector_targets([1, 0], bars([10, 11])).to_frame()
    assert list(frame.columns) == ["target", "position", "cash", "equity"]
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert str(frame.index.tz) == "UTC"


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    cut=st.integers(1, 59),
    fill=st.sampled_from(["open", "close"]),
    sizer=st.sampled_from(["all_in", "fixed", "target_weight", "vol_target"]),
)
def test_truncated_data_gives_the_same_prefix_no_lookahead(
    seed: int, cut: int, fill: str, sizer: str
) -> None:
    rng = np.random.default_rng(seed)
    c = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 60)))
    o = c * np.exp(rng.normal(0, 0.005, 60))
    h = np.maximum(o, c) * 1.01
    lo = np.minimum(o, c) * 0.99
    data = bars(list(c), list(o), list(h), list(lo))
    targets = rng.choice([NAN, NAN, 0.0, 1.0, -1.0, 0.5], 60)
    config = cfg(fill=fill, sizer=sizer, fee_rate=0.001, vol_lookback=5, slippage=0.0005)
    full = run_vector_targets(targets, data, config, stop_loss=0.03, take_profit=0.05)
    part = run_vector_targets(
        targets[:cut], data.head(cut), config, stop_loss=0.03, take_profit=0.05
    )
    np.testing.assert_array_equal(part.equity, full.equity[:cut])
    np.testing.assert_array_equal(part.position, full.position[:cut])
    np.testing.assert_array_equal(part.orders, full.orders[full.orders["idx"] < cut])
