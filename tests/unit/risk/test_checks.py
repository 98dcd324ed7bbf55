"""Pre-trade risk rules: each allows at its boundary, denies just past it with the exact
message, and the rules report in their documented order."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from neural_trader.core.clock import TestClock
from neural_trader.core.enums import OrderSide, OrderType
from neural_trader.core.errors import OrderDeniedError, TradingHaltedError
from neural_trader.execution.reports import OrderRequest
from neural_trader.risk.checks import PreTradeRisk, RiskDecision
from neural_trader.risk.killswitch import TradingState
from neural_trader.risk.limits import RiskLimits

SECOND = 1_000_000_000
ACTIVE = TradingState.ACTIVE
REDUCING = TradingState.REDUCING
HALTED = TradingState.HALTED


def order(
    side: str = "BUY",
    qty: str | int = 10,
    *,
    symbol: str = "AAPL",
    order_type: OrderType = OrderType.MARKET,
    limit: str | None = None,
    stop: str | None = None,
) -> OrderRequest:
    return OrderRequest(
        client_order_id="O-1",
        symbol=symbol,
        side=OrderSide(side),
        order_type=order_type,
        quantity=Decimal(str(qty)),
        limit_price=None if limit is None else Decimal(limit),
        stop_price=None if stop is None else Decimal(stop),
    )


def risk(clock: TestClock | None = None, **limits: float | int) -> PreTradeRisk:
    clock = clock or TestClock()
    return PreTradeRisk(RiskLimits(**limits), clock=clock.timestamp_ns)


def check(
    r: PreTradeRisk,
    request: OrderRequest,
    *,
    last: float | None = 100.0,
    positions: dict[str, float] | None = None,
    prices: dict[str, float] | None = None,
    state: TradingState = ACTIVE,
    reducing_allowed: bool = False,
) -> RiskDecision:
    return r.check(
        request,
        last_price=last,
        positions=positions or {},
        prices=prices or {},
        state=state,
        reducing_allowed=reducing_allowed,
    )


def assert_denied(decision: RiskDecision, limit: str, message: str) -> None:
    assert (decision.allowed, decision.limit, decision.message) == (False, limit, message)


# --- RiskDecision ---------------------------------------------------------------------------


def test_ok_is_one_shared_allow_and_the_allow_path_returns_it() -> None:
    assert RiskDecision.ok() is RiskDecision.ok()
    assert (RiskDecision.ok().allowed, RiskDecision.ok().limit) == (True, None)
    assert check(risk(max_order_quantity=100), order()) is RiskDecision.ok()


def test_raise_if_denied_maps_kill_switch_to_halted_and_limits_to_denied() -> None:
    RiskDecision.ok().raise_if_denied()
    with pytest.raises(TradingHaltedError, match="trading is HALTED") as halted:
        RiskDecision.deny("kill_switch", "kill_switch: trading is HALTED").raise_if_denied()
    assert halted.value.hint is not None
    assert "resume" in halted.value.hint
    with pytest.raises(OrderDeniedError) as denied:
        RiskDecision.deny("max_position", "max_position: too big").raise_if_denied()
    assert (denied.value.limit, denied.value.message) == ("max_position", "max_position: too big")


def test_no_limits_allow_any_priced_order() -> None:
    assert check(risk(), order(qty=1_000_000)).allowed


# --- 1. kill switch -------------------------------------------------------------------------


def test_halted_denies_a_new_order_and_says_cancels_still_work() -> None:
    assert_denied(
        check(risk(), order(qty=5), state=HALTED),
        "kill_switch",
        "kill_switch: trading is HALTED; new orders are refused until it is resumed "
        "(cancels are still allowed), and this order would increase the AAPL position "
        "from 0 to 5",
    )


def test_halted_denies_even_a_reducing_order_that_is_not_the_switchs_own() -> None:
    assert_denied(
        check(risk(), order("SELL", 5), positions={"AAPL": 10}, state=HALTED),
        "kill_switch",
        "kill_switch: trading is HALTED; new orders are refused until it is resumed "
        "(cancels are still allowed), so this order for 5 AAPL is not sent",
    )


@pytest.mark.parametrize(
    ("side", "qty", "pos"), [("SELL", 10, 10), ("SELL", 4, 10), ("BUY", 3, -3)]
)
def test_halted_allows_the_switchs_flatten_orders_down_to_flat(
    side: str, qty: int, pos: float
) -> None:
    decision = check(
        risk(), order(side, qty), positions={"AAPL": pos}, state=HALTED, reducing_allowed=True
    )
    assert decision.allowed


def test_halted_flatten_orders_may_not_flip_or_grow() -> None:
    flip = check(
        risk(), order("SELL", 15), positions={"AAPL": 10}, state=HALTED, reducing_allowed=True
    )
    assert_denied(
        flip,
        "kill_switch",
        "kill_switch: trading is HALTED; only orders that reduce a position are sent and "
        "this order would flip the AAPL position from 10 to -5",
    )
    grow = check(
        risk(), order("BUY", 1), positions={"AAPL": 10}, state=HALTED, reducing_allowed=True
    )
    assert not grow.allowed
    assert grow.message.endswith("would increase the AAPL position from 10 to 11")


def test_reducing_denies_an_increase_with_the_documented_message() -> None:
    assert_denied(
        check(risk(), order("BUY", 5), positions={"AAPL": 10}, state=REDUCING),
        "kill_switch",
        "kill_switch: trading is REDUCING; this order would increase the AAPL position "
        "from 10 to 15",
    )


def test_reducing_counts_crossing_zero_as_increasing() -> None:
    assert_denied(
        check(risk(), order("SELL", 15), positions={"AAPL": 10}, state=REDUCING),
        "kill_switch",
        "kill_switch: trading is REDUCING; this order would flip the AAPL position from 10 to -5",
    )
    short_flip = check(risk(), order("BUY", 8), positions={"AAPL": -3}, state=REDUCING)
    assert short_flip.message.endswith("would flip the AAPL position from -3 to 5")


def test_reducing_denies_opening_from_flat_and_growing_a_short() -> None:
    flat = check(risk(), order("SELL", 2), state=REDUCING)
    assert flat.message.endswith("would increase the AAPL position from 0 to -2")
    short = check(risk(), order("SELL", 2), positions={"AAPL": -3}, state=REDUCING)
    assert short.message.endswith("would increase the AAPL position from -3 to -5")


@pytest.mark.parametrize(
    ("side", "qty", "pos"), [("SELL", 4, 10), ("SELL", 10, 10), ("BUY", 3, -3), ("BUY", 1, -3)]
)
def test_reducing_allows_orders_that_shrink_a_position(side: str, qty: int, pos: float) -> None:
    assert check(risk(), order(side, qty), positions={"AAPL": pos}, state=REDUCING).allowed


def test_reducing_orders_still_meet_the_order_size_limits() -> None:
    decision = check(
        risk(max_order_quantity=5), order("SELL", 10), positions={"AAPL": 10}, state=REDUCING
    )
    assert decision.limit == "max_order_quantity"


def test_fractional_positions_print_without_float_noise() -> None:
    decision = check(risk(), order("BUY", "0.2"), positions={"AAPL": 0.1}, state=REDUCING)
    assert decision.message.endswith("from 0.1 to 0.3")


# --- 2. price sanity ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last", "shown"),
    [(None, "None"), (math.nan, "nan"), (math.inf, "inf"), (0.0, "0.0"), (-1.0, "-1.0")],
)
def test_a_market_order_without_a_usable_last_price_is_denied(
    last: float | None, shown: str
) -> None:
    assert_denied(
        check(risk(), order(), last=last),
        "price",
        f"price: no usable last price for AAPL (got {shown}); "
        "a MARKET order without a limit price cannot be checked",
    )


def test_a_stop_market_order_without_a_last_price_is_denied() -> None:
    decision = check(risk(), order(order_type=OrderType.STOP, stop="90"), last=None)
    assert decision.limit == "price"


def test_a_limit_order_without_a_last_price_is_checked_at_its_limit_price() -> None:
    r = risk(max_order_notional=1_000, price_collar=0.01)
    assert check(r, order(qty=10, order_type=OrderType.LIMIT, limit="100"), last=None).allowed
    assert_denied(
        check(r, order(qty=10, order_type=OrderType.LIMIT, limit="100.01"), last=math.nan),
        "max_order_notional",
        "max_order_notional: order notional 1,000.10 exceeds the limit 1,000.00 by 0.10",
    )


# --- 3. order quantity ----------------------------------------------------------------------


def test_max_order_quantity_allows_the_limit_and_denies_past_it() -> None:
    r = risk(max_order_quantity=100)
    assert check(r, order(qty=100)).allowed
    assert_denied(
        check(r, order(qty="100.5")),
        "max_order_quantity",
        "max_order_quantity: order quantity 100.5 exceeds the limit 100 by 0.5",
    )
    assert_denied(
        check(r, order(qty=12_000)),
        "max_order_quantity",
        "max_order_quantity: order quantity 12,000 exceeds the limit 100 by 11,900",
    )


# --- 4. order notional ----------------------------------------------------------------------


def test_max_order_notional_allows_the_limit_and_denies_past_it() -> None:
    r = risk(max_order_notional=10_000)
    assert check(r, order(qty=100), last=100.0).allowed
    assert_denied(
        check(r, order(qty="123.45"), last=100.0),
        "max_order_notional",
        "max_order_notional: order notional 12,345.00 exceeds the limit 10,000.00 by 2,345.00",
    )


def test_max_order_notional_uses_the_limit_price_over_the_last_price() -> None:
    r = risk(max_order_notional=10_000)
    below = order(qty=100, order_type=OrderType.LIMIT, limit="99")
    above = order(qty=100, order_type=OrderType.LIMIT, limit="101")
    assert check(r, below, last=200.0).allowed
    assert_denied(
        check(r, above, last=50.0),
        "max_order_notional",
        "max_order_notional: order notional 10,100.00 exceeds the limit 10,000.00 by 100.00",
    )


# --- 5. price collar ------------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["105", "95"])
def test_price_collar_allows_a_limit_price_at_the_collar(limit: str) -> None:
    r = risk(price_collar=0.05)
    assert check(r, order(order_type=OrderType.LIMIT, limit=limit)).allowed


def test_price_collar_denies_a_limit_price_just_past_it() -> None:
    r = risk(price_collar=0.05)
    assert_denied(
        check(r, order(order_type=OrderType.LIMIT, limit="105.01")),
        "price_collar",
        "price_collar: limit price 105.01 is 5.01% from the last price 100.00, "
        "beyond the collar 5.00% by 0.01%",
    )


def test_price_collar_checks_stop_prices_too() -> None:
    r = risk(price_collar=0.05)
    assert check(r, order("SELL", order_type=OrderType.STOP, stop="95")).allowed
    assert_denied(
        check(r, order("SELL", order_type=OrderType.STOP, stop="80")),
        "price_collar",
        "price_collar: stop price 80.00 is 20.00% from the last price 100.00, "
        "beyond the collar 5.00% by 15.00%",
    )
    stop_limit = order(order_type=OrderType.STOP_LIMIT, limit="101", stop="110")
    decision = check(r, stop_limit)
    assert decision.limit == "price_collar"
    assert decision.message.startswith("price_collar: stop price 110.00 is 10.00%")


def test_price_collar_ignores_market_orders() -> None:
    assert check(risk(price_collar=0.0001), order()).allowed


# --- 6. position ----------------------------------------------------------------------------


def test_max_position_allows_the_limit_and_denies_past_it_on_both_sides() -> None:
    r = risk(max_position=100)
    assert check(r, order("BUY", 10), positions={"AAPL": 90}).allowed
    assert check(r, order("SELL", 10), positions={"AAPL": -90}).allowed
    assert_denied(
        check(r, order("BUY", 11), positions={"AAPL": 90}),
        "max_position",
        "max_position: the AAPL position after this order would be 101, beyond the limit 100 by 1",
    )
    short = check(r, order("SELL", 11), positions={"AAPL": -90})
    assert short.message == (
        "max_position: the AAPL position after this order would be 101, beyond the limit 100 by 1"
    )


def test_max_position_lets_an_over_limit_position_shrink_but_not_flip_past_it() -> None:
    r = risk(max_position=100)
    assert check(r, order("SELL", 10), positions={"AAPL": 150}).allowed
    flipped = check(r, order("SELL", 260), positions={"AAPL": 150})
    assert flipped.message == (
        "max_position: the AAPL position after this order would be 110, beyond the limit 100 by 10"
    )


def test_max_position_is_per_symbol() -> None:
    r = risk(max_position=100)
    assert check(r, order("BUY", 100), positions={"MSFT": 100}, prices={"MSFT": 1.0}).allowed


# --- 7. gross exposure ----------------------------------------------------------------------


def test_max_gross_exposure_sums_absolute_exposure_over_symbols() -> None:
    r = risk(max_gross_exposure=100_000)
    positions = {"AAPL": 100.0, "MSFT": -200.0}
    prices = {"AAPL": 100.0, "MSFT": 400.0}
    assert check(r, order("BUY", 100), positions=positions, prices=prices).allowed
    assert_denied(
        check(r, order("BUY", 101), positions=positions, prices=prices),
        "max_gross_exposure",
        "max_gross_exposure: gross exposure after this order would be 100,100.00, "
        "beyond the limit 100,000.00 by 100.00",
    )


def test_max_gross_exposure_lets_reducing_orders_through_when_over() -> None:
    r = risk(max_gross_exposure=1_000)
    positions = {"AAPL": 100.0, "MSFT": 50.0}
    prices = {"AAPL": 100.0, "MSFT": 100.0}
    assert check(r, order("SELL", 10), positions=positions, prices=prices).allowed
    assert not check(r, order("SELL", 101), positions=positions, prices=prices).allowed


def test_max_gross_exposure_fails_closed_without_a_price_for_a_holding() -> None:
    r = risk(max_gross_exposure=1_000_000)
    assert_denied(
        check(r, order(), positions={"MSFT": 5.0, "IBM": 0.0}, prices={"MSFT": math.nan}),
        "price",
        "price: no usable last price for the MSFT position (got nan); "
        "max_gross_exposure cannot be checked without it",
    )
    # A flat holding needs no price.
    assert check(r, order(), positions={"IBM": 0.0}).allowed


# --- 8. order rate --------------------------------------------------------------------------


def test_rate_window_slides_with_the_clock() -> None:
    clock = TestClock()
    r = risk(clock, max_orders_per_minute=3)
    for at in (0, 10, 20):
        clock.advance_to(at * SECOND)
        assert check(r, order()).allowed
        r.record_sent()
    assert_denied(
        check(r, order()),
        "max_orders_per_minute",
        "max_orders_per_minute: 3 orders in the last 60 s, the limit is 3; next slot in 40.0 s",
    )
    clock.advance_to(47_500_000_000)
    assert check(r, order()).message.endswith("next slot in 12.5 s")
    clock.advance_to(60 * SECOND - 1)
    assert check(r, order()).message.endswith("next slot in 0.1 s")
    clock.advance_to(60 * SECOND)  # the send at 0 s leaves the window exactly now
    assert check(r, order()).allowed
    assert r.orders_in_window() == 2
    r.record_sent()
    assert check(r, order()).message.endswith("next slot in 10.0 s")


def test_denied_orders_do_not_use_up_the_rate_window() -> None:
    clock = TestClock()
    r = risk(clock, max_orders_per_minute=2, max_order_quantity=5)
    for _ in range(10):
        assert check(r, order(qty=6)).limit == "max_order_quantity"
    assert r.orders_in_window() == 0
    r.record_sent(clock.timestamp_ns())
    assert check(r, order(qty=1)).allowed


def test_record_sent_without_a_rate_limit_keeps_nothing() -> None:
    r = risk()
    r.record_sent(5)
    assert r.orders_in_window() == 0


# --- rule order -----------------------------------------------------------------------------


def test_halted_reports_the_kill_switch_before_anything_else() -> None:
    clock = TestClock()
    r = risk(
        clock, max_order_quantity=1, max_order_notional=1, max_position=1, max_orders_per_minute=1
    )
    r.record_sent(0)
    decision = check(r, order(qty=50), last=None, state=HALTED)
    assert decision.limit == "kill_switch"


def test_each_rule_reports_before_the_ones_after_it() -> None:
    clock = TestClock()
    r = risk(
        clock,
        max_order_quantity=10,
        max_order_notional=1_000,
        price_collar=0.05,
        max_position=20,
        max_gross_exposure=3_000,
        max_orders_per_minute=1,
    )
    r.record_sent(0)
    pos = {"AAPL": 15.0, "MSFT": 100.0}
    px = {"MSFT": 100.0}
    # Each request breaks its rule and every later one; the earliest broken rule answers.
    cases = [
        (order(qty=50), None, "price"),
        (order(qty=50), 100.0, "max_order_quantity"),
        (order(qty=10, order_type=OrderType.LIMIT, limit="150"), 100.0, "max_order_notional"),
        (order(qty=6, order_type=OrderType.LIMIT, limit="90"), 100.0, "price_collar"),
        (order(qty=6), 100.0, "max_position"),
        (order(qty=5), 100.0, "max_gross_exposure"),
        (order("SELL", 1), 100.0, "max_orders_per_minute"),
    ]
    for request, last, limit in cases:
        assert check(r, request, last=last, positions=pos, prices=px).limit == limit


# --- property -------------------------------------------------------------------------------

_quantities = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(400), places=2)
_positions = st.decimals(min_value=Decimal(-300), max_value=Decimal(300), places=2)


@given(
    pos=_positions,
    qty=_quantities,
    side=st.sampled_from(["BUY", "SELL"]),
    state=st.sampled_from(list(TradingState)),
    reducing_allowed=st.booleans(),
)
def test_an_allowed_order_never_leaves_a_position_above_max_position(
    pos: Decimal, qty: Decimal, side: str, state: TradingState, reducing_allowed: bool
) -> None:
    r = risk(max_position=100)
    request = order(side, str(qty))
    decision = check(
        r, request, positions={"AAPL": float(pos)}, state=state, reducing_allowed=reducing_allowed
    )
    after = pos + (qty if side == "BUY" else -qty)
    shrinks = abs(after) < abs(pos) and (after == 0 or (after > 0) == (pos > 0))
    if decision.allowed:
        # Within the limit, or (a limit lowered under an open position) shrinking toward zero.
        assert abs(after) <= 100 or shrinks
        if state is not TradingState.ACTIVE:
            assert shrinks
    else:
        assert decision.limit in ("max_position", "kill_switch")
        if decision.limit == "max_position":
            assert abs(after) > 100
