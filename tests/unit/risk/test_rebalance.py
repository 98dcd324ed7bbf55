"""Rebalance plans land on their targets net of costs, respect the band and the lots, and never
leave cash negative."""

from __future__ import annotations

import pytest

from neural_trader.core.errors import InvalidArgumentError, NotSupportedError
from neural_trader.risk.rebalance import rebalance_plan

PRICES = {"A": 100.0, "B": 50.0, "C": 20.0}


def test_fractional_without_costs_hits_the_targets_exactly() -> None:
    plan = rebalance_plan(
        {"A": 60.0, "B": 40.0}, PRICES, {"A": 0.4, "B": 0.4, "C": 0.1}, cash=2000.0, lot_size=0.0
    )
    assert plan.value_before == pytest.approx(10_000.0)
    for s, w in {"A": 0.4, "B": 0.4, "C": 0.1}.items():
        assert plan.final_weights[s] == pytest.approx(w, abs=1e-12)
    assert plan.cash_after == pytest.approx(1000.0)  # the 10% left as cash
    assert [t.side for t in plan.trades] == ["SELL", "BUY", "BUY"]  # sells fund the buys
    assert plan.turnover == pytest.approx((2000 + 2000 + 1000) / 10_000)


def test_costs_are_paid_and_targets_hold_on_the_value_after_costs() -> None:
    plan = rebalance_plan(
        {"A": 100.0},
        PRICES,
        {"A": 0.5, "B": 0.5},
        lot_size=0.0,
        cost_rate=0.002,
        fixed_cost=1.0,
    )
    traded = sum(t.value for t in plan.trades)
    assert plan.total_cost == pytest.approx(0.002 * traded + 2.0, rel=1e-9)
    assert plan.value_after == pytest.approx(plan.value_before - plan.total_cost)
    assert plan.final_weights["A"] == pytest.approx(0.5, abs=1e-9)
    assert plan.final_weights["B"] == pytest.approx(0.5, abs=1e-9)
    assert plan.cash_after == pytest.approx(0.0, abs=1e-6)
    assert sum(t.cost for t in plan.trades) == pytest.approx(plan.total_cost)


def test_no_trade_band_and_exits() -> None:
    plan = rebalance_plan(
        {"A": 50.0, "B": 80.0, "C": 10.0},
        PRICES,
        {"A": 0.52, "B": 0.42},  # A (50%) and B (40%) within 3 points; C is not wanted any more
        cash=800.0,
        threshold=0.03,
    )
    assert plan.held_within_band == ("A", "B")
    assert [(t.symbol, t.side, t.quantity) for t in plan.trades] == [("C", "SELL", 10.0)]


def test_lots_round_toward_zero_and_small_trades_are_dropped() -> None:
    plan = rebalance_plan({}, PRICES, {"A": 0.333, "C": 0.5}, cash=10_000.0, lot_size=5.0)
    qty = {t.symbol: t.quantity for t in plan.trades}
    assert qty == {"A": 30.0, "C": 250.0}  # 33.3 -> 30, 250 exactly
    small = rebalance_plan({}, PRICES, {"A": 0.005, "C": 0.5}, cash=10_000.0, min_trade_value=100.0)
    assert [t.symbol for t in small.trades] == ["C"]
    assert "no trade for A" in small.notes[0]


def test_buys_are_scaled_down_rather_than_overdrawing_cash() -> None:
    # A stays (inside the band) at 50%, so selling B raises only half of what the 55% C
    # target asks for.
    plan = rebalance_plan(
        {"A": 50.0, "B": 100.0}, PRICES, {"A": 0.45, "C": 0.55}, threshold=0.06, lot_size=0.0
    )
    assert plan.held_within_band == ("A",)
    assert plan.cash_after >= -1e-6
    c = next(t for t in plan.trades if t.symbol == "C")
    assert c.value == pytest.approx(5000.0, rel=1e-6)
    assert any("scaled down" in n for n in plan.notes)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"targets": {"A": -0.1}}, NotSupportedError, "long-only"),
        ({"quantities": {"A": -5.0}}, NotSupportedError, "held short"),
        ({"targets": {"A": 0.7, "B": 0.5}}, InvalidArgumentError, "sum to 1.2"),
        ({"targets": {"D": 0.5}}, InvalidArgumentError, "no usable price for D"),
        ({"cost_rate": 0.6}, InvalidArgumentError, "is a fraction"),
        ({"threshold": -0.1}, InvalidArgumentError, "non-negative"),
    ],
)
def test_errors(kwargs: dict[str, object], error: type[Exception], match: str) -> None:
    args: dict[str, object] = {
        "quantities": {"A": 1.0},
        "prices": PRICES,
        "targets": {"A": 0.5},
    }
    args.update(kwargs)
    extra = {k: v for k, v in args.items() if k not in ("quantities", "prices", "targets")}
    with pytest.raises(error, match=match):
        rebalance_plan(args["quantities"], args["prices"], args["targets"], **extra)  # type: ignore[arg-type]
