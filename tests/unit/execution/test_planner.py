"""The target planner sends exactly what the backtester's execution model would fill."""

from __future__ import annotations

import math

import pytest

from neural_trader.backtest.config import BacktestConfig
from neural_trader.backtest.models import all_in_quantity, cash_after_fill, order_fee
from neural_trader.execution.planner import PlannedOrder, TargetPlanner


def test_flat_to_long_all_in_is_one_open_order_sized_like_the_backtest() -> None:
    planner = TargetPlanner(BacktestConfig(fee_rate=0.001))
    orders, skips, acted = planner.plan(
        want=1.0, acted=0.0, price=100.0, cash=10_000.0, position=0.0, sigma=math.nan
    )
    assert orders == [PlannedOrder(1, all_in_quantity(10_000.0, 100.0, 1.0, 1.0, 0.001), "open")]
    assert skips == []
    assert acted == 1.0


def test_a_flip_is_a_close_then_an_open_sized_from_the_cash_after_the_close() -> None:
    cfg = BacktestConfig(fee_rate=0.001, long_only=False)
    planner = TargetPlanner(cfg)
    orders, _, acted = planner.plan(
        want=-1.0, acted=1.0, price=100.0, cash=500.0, position=50.0, sigma=math.nan
    )
    cash_after = cash_after_fill(500.0, -1, 50.0, 100.0, order_fee(50.0, 100.0, 0.001, 0.0))
    assert orders == [
        PlannedOrder(-1, 50.0, "close"),
        PlannedOrder(-1, all_in_quantity(cash_after, 100.0, -1.0, 1.0, 0.001), "open"),
    ]
    assert acted == -1.0


def test_an_unchanged_target_plans_nothing_and_a_too_small_order_is_a_skip() -> None:
    planner = TargetPlanner(BacktestConfig(lot_size=10.0))
    assert (
        planner.plan(want=1.0, acted=1.0, price=10.0, cash=1e6, position=0.0, sigma=math.nan)[0]
        == []
    )
    orders, skips, _ = planner.plan(
        want=1.0, acted=0.0, price=10_000.0, cash=50_000.0, position=0.0, sigma=math.nan
    )
    assert orders == []
    assert [(s.side, s.reason) for s in skips] == [(1, "lot_size")]


@pytest.mark.parametrize("position", [0.0, 30.0, 120.0])
def test_target_weight_moves_to_the_weight_of_equity(position: float) -> None:
    planner = TargetPlanner(BacktestConfig(sizer="target_weight", lot_size=1.0))
    cash = 10_000.0 - position * 50.0
    orders, _, _ = planner.plan(
        want=0.5, acted=0.0, price=50.0, cash=cash, position=position, sigma=math.nan
    )
    final = position + sum(o.quantity * o.side for o in orders)
    assert final == 100.0  # half of 10,000 at 50
    for o in orders:
        assert o.role == ("close" if o.side < 0 else "open")
