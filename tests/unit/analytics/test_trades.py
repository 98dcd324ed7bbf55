from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from neural_trader.analytics.trades import (
    TRADE_DTYPE,
    ExitReason,
    as_trade_array,
    exposure,
    trade_stats,
    traded_notional_from_trades,
    turnover,
)
from neural_trader.core.errors import InvalidArgumentError


def make_trades(pnls: list[float], open_last: bool = False) -> npt.NDArray[np.void]:
    rec = np.zeros(len(pnls), dtype=TRADE_DTYPE)
    rec["entry_idx"] = np.arange(len(pnls)) * 10
    rec["exit_idx"] = rec["entry_idx"] + np.arange(1, len(pnls) + 1)
    rec["side"] = 1
    rec["quantity"] = 10.0
    rec["entry_price"] = 100.0
    rec["exit_price"] = 100.0 + np.asarray(pnls) / 10.0
    rec["pnl"] = pnls
    rec["return"] = np.asarray(pnls) / 1000.0
    rec["exit_reason"] = int(ExitReason.SIGNAL)
    if open_last:
        rec["is_open"][-1] = True
        rec["exit_reason"][-1] = int(ExitReason.END)
    return rec


def test_trade_stats_mixed_trades_hand_computed() -> None:
    stats = trade_stats(make_trades([100.0, -50.0, 30.0, 0.0, -10.0, 999.0], open_last=True))
    # closed: 100, -50, 30, 0, -10; the open +999 is excluded from every statistic
    assert (stats.trades, stats.open_trades) == (5, 1)
    assert stats.win_rate == pytest.approx(2 / 5)  # break-even counts, is not a win
    assert stats.profit_factor == pytest.approx(130 / 60)
    assert stats.avg_win == pytest.approx(65.0)
    assert stats.avg_loss == pytest.approx(-30.0)
    assert stats.payoff_ratio == pytest.approx(65 / 30)
    assert stats.expectancy == pytest.approx(70 / 5)
    assert (stats.largest_win, stats.largest_loss) == (100.0, -50.0)
    assert stats.avg_holding_bars == pytest.approx(3.0)  # holds of 1..5 bars


def test_trade_stats_no_losses_profit_factor_none() -> None:
    stats = trade_stats(make_trades([10.0, 20.0]))
    assert stats.profit_factor is None
    assert math.isnan(stats.avg_loss)
    assert math.isnan(stats.payoff_ratio)


def test_trade_stats_only_losses_profit_factor_zero() -> None:
    assert trade_stats(make_trades([-10.0, -5.0])).profit_factor == 0.0


def test_trade_stats_empty_gives_zero_count_and_nan_rates() -> None:
    stats = trade_stats(np.zeros(0, dtype=TRADE_DTYPE))
    assert stats.trades == 0
    assert math.isnan(stats.win_rate)
    assert stats.profit_factor is None


def test_as_trade_array_dataframe_with_reason_names_converts() -> None:
    frame = pd.DataFrame(
        {
            "entry_idx": [0, 5],
            "exit_idx": [3, 9],
            "side": [1, -1],
            "quantity": [2.0, 1.0],
            "entry_price": [10.0, 12.0],
            "exit_price": [11.0, 12.5],
            "pnl": [1.9, -0.6],
            "return": [0.095, -0.05],
            "fees": [0.1, 0.1],
            "exit_reason": ["take_profit", "end"],
        }
    )
    rec = as_trade_array(frame)
    assert rec.dtype == TRADE_DTYPE
    assert rec["exit_reason"].tolist() == [ExitReason.TAKE_PROFIT, ExitReason.END]
    assert rec["is_open"].tolist() == [False, True]  # derived from reason "end"
    assert (rec["entry_ts"] == np.iinfo(np.int64).min).all()


def test_as_trade_array_missing_field_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="pnl"):
        as_trade_array(pd.DataFrame({"entry_idx": [0]}))


def test_as_trade_array_bad_reason_raises() -> None:
    frame = pd.DataFrame(make_trades([1.0]))
    frame["exit_reason"] = ["margin_call"]
    with pytest.raises(InvalidArgumentError, match="margin_call"):
        as_trade_array(frame)


def test_exposure_counts_nonzero_bars_long_and_short() -> None:
    assert exposure([0.0, 1.5, -2.0, 0.0, np.nan, 3.0, 0.0, 0.0]) == pytest.approx(3 / 8)


def test_turnover_round_trip_is_two_sided_and_annualised() -> None:
    equity = np.full(126, 1000.0)  # half a year of daily bars
    notional = np.zeros(126)
    notional[[10, 60]] = 1000.0  # all-in, then all-out
    # 2000 traded / 1000 average equity over 0.5 year = 4 per year
    assert turnover(notional, equity, periods_per_year=252) == pytest.approx(4.0)


def test_traded_notional_from_trades_counts_entries_and_closed_exits() -> None:
    rec = make_trades([10.0, 5.0], open_last=True)
    notional = traded_notional_from_trades(rec, 20)
    assert notional[0] == pytest.approx(1000.0)  # entry 10 @ 100
    assert notional[1] == pytest.approx(10 * 101.0)  # exit 10 @ 101
    assert notional[10] == pytest.approx(1000.0)  # open trade: entry only
    assert notional.sum() == pytest.approx(3010.0)
