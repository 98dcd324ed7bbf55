"""The shared scalar models of 0006, in plain Python and compiled by numba (bit-identical)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from neural_trader.backtest import models
from neural_trader.backtest.records import (
    REASON_STOP_LOSS,
    REASON_TAKE_PROFIT,
    SKIP_BAD_PRICE,
    SKIP_LOT_SIZE,
    SKIP_MIN_NOTIONAL,
    SKIP_MIN_SIZE,
    SKIP_NONE,
)

NAN = math.nan


def test_order_fee_proportional_plus_fixed_matches_hand_value() -> None:
    assert models.order_fee(-2.0, 50.0, 0.001, 1.5) == pytest.approx(2 * 50 * 0.001 + 1.5)


def test_cash_after_fill_buy_pays_and_sell_receives_net_of_fee() -> None:
    assert models.cash_after_fill(1000.0, 1, 2.0, 100.0, 1.0) == 1000.0 - 201.0
    assert models.cash_after_fill(1000.0, -1, 2.0, 100.0, 1.0) == 1000.0 + 199.0


def test_execution_price_slippage_always_hurts_the_trader() -> None:
    assert models.execution_price(100.0, 1, 0.01) == pytest.approx(101.0)
    assert models.execution_price(100.0, -1, 0.01) == pytest.approx(99.0)


def test_all_in_quantity_leaves_exactly_the_fee_in_cash() -> None:
    cash, price, fee_rate = 10_000.0, 123.0, 0.001
    q = models.all_in_quantity(cash, price, 1.0, 1.0, fee_rate)
    after = models.cash_after_fill(cash, 1, q, price, models.order_fee(q, price, fee_rate, 0.0))
    assert abs(after) < 1e-9


def test_all_in_quantity_fraction_and_target_scale_linearly() -> None:
    assert models.all_in_quantity(1000.0, 10.0, -0.5, 0.8, 0.0) == pytest.approx(40.0)


def test_fixed_and_target_weight_positions_match_hand_values() -> None:
    assert models.fixed_position(-0.5, 10.0) == -5.0
    assert models.target_weight_position(0.5, 1000.0, 10.0, 0.0, 0.0) == 50.0
    # buying with 1% slippage: the desired position is sized at the buy price 10.1
    assert models.target_weight_position(0.5, 1000.0, 10.0, 0.0, 0.01) == pytest.approx(
        500.0 / 10.1
    )
    # reducing from 80 to ~50 sells at 9.9
    assert models.target_weight_position(0.5, 1000.0, 10.0, 80.0, 0.01) == pytest.approx(
        500.0 / 9.9
    )


def test_vol_target_weight_caps_at_max_leverage_and_nan_sigma_gives_zero() -> None:
    assert models.vol_target_weight(1.0, 0.30, 0.15, 1.0) == pytest.approx(0.5)
    assert models.vol_target_weight(1.0, 0.05, 0.15, 2.0) == 2.0
    assert models.vol_target_weight(-1.0, 0.05, 0.15, 2.0) == -2.0
    assert models.vol_target_weight(1.0, NAN, 0.15, 1.0) == 0.0
    assert models.vol_target_weight(1.0, 0.0, 0.15, 1.5) == 1.5


def test_window_sigma_equals_numpy_sample_std_of_log_returns() -> None:
    close = [100.0, 101.0, 99.5, 102.0, 103.5, 101.0]
    got = models.window_sigma(close, 5, 4, 252.0)
    r = np.diff(np.log(np.array(close)))[-4:]
    assert got == pytest.approx(np.std(r, ddof=1) * math.sqrt(252.0), rel=1e-12)
    assert math.isnan(models.window_sigma(close, 3, 4, 252.0))


@pytest.mark.parametrize(
    ("qty", "lot", "expected"),
    [(0.3, 0.1, 0.3), (0.39, 0.1, 0.3), (7.9, 1.0, 7.0), (0.5, 1.0, 0.0), (1.23, 0.0, 1.23)],
)
def test_round_to_lot_rounds_toward_zero(qty: float, lot: float, expected: float) -> None:
    assert models.round_to_lot(qty, lot) == pytest.approx(expected, abs=1e-12)


def test_order_check_reports_each_reason() -> None:
    assert models.order_check(1.0, 10.0, 0.0, 0.0, 0.0) == SKIP_NONE
    assert models.order_check(0.0, 10.0, 1.0, 0.0, 0.0) == SKIP_LOT_SIZE
    assert models.order_check(0.5, 10.0, 0.0, 1.0, 0.0) == SKIP_MIN_SIZE
    assert models.order_check(1.0, 10.0, 0.0, 0.0, 11.0) == SKIP_MIN_NOTIONAL
    assert models.order_check(1.0, NAN, 0.0, 0.0, 0.0) == SKIP_BAD_PRICE


def test_walk_stops_gap_through_stop_exits_at_open() -> None:
    sl, tp = models.stop_prices(100.0, 1, 0.05, 0.10)
    assert models.walk_stops(90.0, 92.0, 89.0, 91.0, 1, sl, tp) == (True, 90.0, REASON_STOP_LOSS)


def test_walk_stops_up_bar_visits_low_before_high() -> None:
    sl, tp = models.stop_prices(100.0, 1, 0.05, 0.10)  # 95, 110
    hit, price, reason = models.walk_stops(100.0, 111.0, 94.0, 105.0, 1, sl, tp)
    assert (hit, reason) == (True, REASON_STOP_LOSS)
    assert price == pytest.approx(95.0)


def test_walk_stops_down_bar_visits_high_before_low() -> None:
    sl, tp = models.stop_prices(100.0, 1, 0.05, 0.10)
    hit, price, reason = models.walk_stops(100.0, 111.0, 94.0, 99.0, 1, sl, tp)
    assert (hit, reason) == (True, REASON_TAKE_PROFIT)
    assert price == pytest.approx(110.0)


def test_walk_stops_short_mirrors_long() -> None:
    sl, tp = models.stop_prices(100.0, -1, 0.05, 0.10)  # 105, 90
    assert sl == pytest.approx(105.0)
    assert tp == pytest.approx(90.0)
    # up bar: low first -> take profit of the short
    assert models.walk_stops(100.0, 106.0, 89.0, 101.0, -1, sl, tp)[2] == REASON_TAKE_PROFIT
    # down bar: high first -> stop loss of the short
    assert models.walk_stops(100.0, 106.0, 89.0, 99.0, -1, sl, tp)[2] == REASON_STOP_LOSS
    assert models.walk_stops(100.0, 104.0, 91.0, 99.0, -1, sl, tp)[0] is False


def test_walk_stops_off_levels_never_hit() -> None:
    assert models.walk_stops(100.0, 200.0, 1.0, 150.0, 1, NAN, NAN)[0] is False


# The models compiled as the vector kernels compile them (module level: compiled once).
all_in_quantity_nb = njit(models.all_in_quantity)
target_weight_position_nb = njit(models.target_weight_position)
execution_price_nb = njit(models.execution_price)
order_fee_nb = njit(models.order_fee)
round_to_lot_nb = njit(models.round_to_lot)
walk_stops_nb = njit(models.walk_stops)

finite = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(cash=finite, price=finite, target=st.floats(-1, 1), fee=st.floats(0, 0.05), slip=finite)
def test_compiled_models_equal_python_models_bit_for_bit(
    cash: float, price: float, target: float, fee: float, slip: float
) -> None:
    s = slip / 2e6  # a slippage in [0, 0.5)
    assert all_in_quantity_nb(cash, price, target, 1.0, fee) == models.all_in_quantity(
        cash, price, target, 1.0, fee
    )
    assert target_weight_position_nb(target, cash, price, 1.0, s) == (
        models.target_weight_position(target, cash, price, 1.0, s)
    )
    assert execution_price_nb(price, -1, s) == models.execution_price(price, -1, s)
    assert order_fee_nb(cash, price, fee, 1.0) == models.order_fee(cash, price, fee, 1.0)
    assert round_to_lot_nb(cash, 0.1) == models.round_to_lot(cash, 0.1)
    lvl = models.stop_prices(price, 1, 0.02, 0.03)
    bar = (price, price * 1.04, price * 0.97, price * (1 + target / 100))
    assert walk_stops_nb(*bar, 1, *lvl) == models.walk_stops(*bar, 1, *lvl)
