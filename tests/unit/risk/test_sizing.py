"""Sizing: Kelly against closed forms, the simultaneous optimum against the two-bet closed form,
and de-risking that the pre-trade checks actually enforce."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from neural_trader.core.clock import TestClock
from neural_trader.core.enums import OrderSide, OrderType
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.execution.reports import OrderRequest
from neural_trader.risk.checks import PreTradeRisk
from neural_trader.risk.killswitch import TradingState
from neural_trader.risk.limits import RiskLimits
from neural_trader.risk.sizing import (
    Bet,
    DrawdownDeRisking,
    atr_stop,
    current_drawdown,
    derisk_limits,
    fixed_fractional_size,
    kelly_continuous,
    kelly_fraction,
    kelly_simultaneous,
    volatility_target_leverage,
)


@pytest.mark.parametrize(
    ("p", "b", "a", "want"),
    [(0.6, 1.0, 1.0, 0.2), (0.5, 2.0, 1.0, 0.25), (0.55, 1.0, 1.0, 0.1), (0.6, 1.0, 0.5, 0.8)],
)
def test_single_bet_kelly_closed_form(p: float, b: float, a: float, want: float) -> None:
    f = kelly_fraction(p, b, loss=a)
    assert f == pytest.approx(want, rel=1e-12)
    # It is the maximiser: the derivative of p ln(1 + b f) + q ln(1 - a f) vanishes there.
    assert p * b / (1 + b * f) - (1 - p) * a / (1 - a * f) == pytest.approx(0.0, abs=1e-12)
    assert kelly_fraction(p, b, loss=a, fraction=0.5) == pytest.approx(want / 2)


def test_negative_edge_gives_a_negative_fraction() -> None:
    assert kelly_fraction(0.4, 1.0) == pytest.approx(-0.2)
    assert Bet(0.4, 1.0).edge == pytest.approx(-0.2)


def test_simultaneous_single_bet_equals_the_closed_form() -> None:
    alloc = kelly_simultaneous([Bet(0.55, 1.5)])
    assert alloc.fractions[0] == pytest.approx(kelly_fraction(0.55, 1.5), abs=1e-7)
    assert alloc.converged


@pytest.mark.parametrize("p", [0.55, 0.6, 0.7])
def test_two_independent_even_money_bets_match_the_closed_form(p: float) -> None:
    # Maximising p^2 ln(1 + 2f) + q^2 ln(1 - 2f) gives f = (2p - 1) / (2 (p^2 + q^2)).
    q = 1 - p
    want = (2 * p - 1) / (2 * (p * p + q * q))
    alloc = kelly_simultaneous([Bet(p, 1.0), Bet(p, 1.0)])
    np.testing.assert_allclose(alloc.fractions, [want, want], atol=1e-7)
    growth = p * p * math.log(1 + 2 * want) + q * q * math.log(1 - 2 * want)
    assert alloc.expected_log_growth == pytest.approx(growth, abs=1e-12)
    # Less than twice the single-bet stake: the bets share one bankroll.
    assert 2 * want < 2 * (2 * p - 1)


def test_simultaneous_drops_negative_edges_and_respects_the_cap() -> None:
    alloc = kelly_simultaneous([Bet(0.6, 1.0), Bet(0.3, 1.0)])
    assert alloc.fractions[1] == pytest.approx(0.0, abs=1e-9)
    assert alloc.fractions[0] == pytest.approx(0.2, abs=1e-6)
    strong = kelly_simultaneous([Bet(0.9, 1.0)] * 4, max_total=0.5)
    assert strong.total == pytest.approx(0.5, rel=1e-6)
    half = kelly_simultaneous([Bet(0.6, 1.0), Bet(0.6, 1.0)], fraction=0.5)
    np.testing.assert_allclose(half.fractions, np.array(half.full_kelly) / 2)
    with pytest.raises(InvalidArgumentError, match="at most 16"):
        kelly_simultaneous([Bet(0.6, 1.0)] * 17)
    with pytest.raises(InvalidArgumentError):
        Bet(1.0, 1.0)


def test_continuous_kelly() -> None:
    assert kelly_continuous(0.0004, 1e-4) == pytest.approx(4.0)
    assert kelly_continuous(0.0004, 1e-4, fraction=0.25) == pytest.approx(1.0)
    with pytest.raises(InvalidArgumentError):
        kelly_continuous(0.01, 0.0)


def test_fixed_fractional_never_exceeds_the_risk() -> None:
    assert fixed_fractional_size(100_000, 0.01, 50.0, 48.0) == 500
    assert fixed_fractional_size(100_000, 0.01, 50.0, 48.0, lot_size=300) == 300
    assert fixed_fractional_size(100_000, 0.01, 48.0, 50.0) == 500  # a short's stop above
    qty = fixed_fractional_size(12_345, 0.02, 37.3, 35.1)
    assert qty * (37.3 - 35.1) <= 12_345 * 0.02 < (qty + 1) * (37.3 - 35.1)
    with pytest.raises(InvalidArgumentError):
        fixed_fractional_size(1000, 0.01, 50.0, 50.0)


def test_volatility_target_leverage(sample_returns: object) -> None:
    r = np.tile([0.01, -0.01], 50)
    vol = np.std(r, ddof=1) * math.sqrt(252)
    assert volatility_target_leverage(r, target_volatility=0.1, periods_per_year=252) == (
        pytest.approx(0.1 / vol)
    )
    assert volatility_target_leverage(
        r * 0.01, target_volatility=0.1, periods_per_year=252
    ) == pytest.approx(3.0)
    assert volatility_target_leverage(
        np.zeros(10), target_volatility=0.1, periods_per_year=252, max_leverage=2.0
    ) == pytest.approx(2.0)
    long = np.concatenate([np.tile([0.05, -0.05], 100), r])
    assert volatility_target_leverage(
        long, target_volatility=0.1, periods_per_year=252, window=100
    ) == pytest.approx(0.1 / vol)


def test_atr_stop_uses_talib_atr() -> None:
    talib = pytest.importorskip("talib")
    rng = np.random.default_rng(1)
    close = 100 + np.cumsum(rng.normal(0, 1, 60))
    high, low = close + rng.uniform(0, 2, 60), close - rng.uniform(0, 2, 60)
    want = float(talib.ATR(high, low, close, 14)[-1])
    stop = atr_stop(high, low, close, multiple=2.5)
    assert stop.atr == pytest.approx(want, rel=1e-12)
    assert stop.stop_price == pytest.approx(close[-1] - 2.5 * want)
    short = atr_stop(high, low, close, multiple=2.0, side="short", entry_price=101.0)
    assert short.stop_price == pytest.approx(101.0 + 2 * want)
    with pytest.raises(InvalidArgumentError):
        atr_stop(high[:10], low[:10], close[:10])


def test_drawdown_multiplier_is_piecewise_linear() -> None:
    rule = DrawdownDeRisking(start=0.05, full=0.25, floor=0.2)
    assert rule.multiplier(0.0) == 1.0
    assert rule.multiplier(0.05) == 1.0
    assert rule.multiplier(0.15) == pytest.approx(0.6)
    assert rule.multiplier(0.25) == pytest.approx(0.2)
    assert rule.multiplier(0.9) == pytest.approx(0.2)
    np.testing.assert_allclose(rule.multiplier([0.0, 0.15, 0.3]), [1.0, 0.6, 0.2])
    assert current_drawdown([100, 120, 90]) == pytest.approx(0.25)
    assert rule.for_equity([100, 120, 102]) == pytest.approx(1.0 - 0.1 / 0.2 * 0.8)
    with pytest.raises(InvalidArgumentError):
        DrawdownDeRisking(start=0.2, full=0.1)
    with pytest.raises(InvalidArgumentError):
        rule.multiplier(-0.1)


def test_derisked_limits_are_enforced_by_the_pretrade_checks() -> None:
    limits = RiskLimits(max_order_notional=10_000.0, max_position=200.0, max_orders_per_minute=5)
    order = OrderRequest(
        client_order_id="O-1",
        symbol="AAPL",
        side=OrderSide.BUY,
        order_type=OrderType.MARKET,
        quantity=Decimal(60),
    )

    def decide(lim: RiskLimits) -> str | None:
        risk = PreTradeRisk(lim, clock=TestClock().timestamp_ns)
        d = risk.check(order, last_price=100.0, positions={}, prices={}, state=TradingState.ACTIVE)
        return d.limit

    assert decide(limits) is None
    multiplier = DrawdownDeRisking(start=0.05, full=0.25, floor=0.25).for_equity([100, 80])
    cut = derisk_limits(limits, multiplier)
    assert cut.max_order_notional == pytest.approx(10_000.0 * multiplier)
    assert cut.max_gross_exposure is None
    assert cut.max_orders_per_minute == 5
    assert decide(cut) == "max_order_notional"  # 6,000 > 10,000 * 0.4375 (20% down)
    with_base = derisk_limits(limits, 0.5, gross_exposure_base=40_000.0)
    assert with_base.max_gross_exposure == pytest.approx(20_000.0)
    with pytest.raises(InvalidArgumentError, match="REDUCING"):
        derisk_limits(limits, 0.0)
