from __future__ import annotations

from decimal import Decimal
from itertools import product
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neural_trader.core.clock import TestClock
from neural_trader.core.datetime import iso_to_ns
from neural_trader.core.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from neural_trader.core.errors import InvalidArgumentError, InvalidStateTrigger
from neural_trader.core.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderInitialized,
    OrderPendingCancel,
    OrderRejected,
    OrderSubmitted,
)
from neural_trader.core.identifiers import (
    ClientOrderId,
    StrategyId,
    TradeId,
    VenueOrderId,
)
from neural_trader.core.orders import (
    ORDER_TRANSITIONS,
    FiniteStateMachine,
    Order,
    OrderFactory,
)
from neural_trader.core.values import Price, Quantity
from neural_trader.testkit import TestEventStubs, TestIdStubs, TestInstrumentProvider

IID = TestInstrumentProvider.aapl_nasdaq().id
SID = StrategyId("SmaCross-001")
AID = TestIdStubs.account_id()
VID = VenueOrderId("V-1")
ALL_STATUSES = list(dict.fromkeys(OrderStatus))


def _order(
    qty: str = "10",
    *,
    order_type: OrderType = OrderType.LIMIT,
    price: str | None = "100.00",
    trigger: str | None = None,
    side: OrderSide = OrderSide.BUY,
    cid: str = "O-1",
) -> Order:
    return Order(
        OrderInitialized(
            strategy_id=SID,
            instrument_id=IID,
            client_order_id=ClientOrderId(cid),
            side=side,
            order_type=order_type,
            quantity=Quantity.from_str(qty),
            price=None if price is None else Price.from_str(price),
            trigger_price=None if trigger is None else Price.from_str(trigger),
            ts_event=1,
            ts_init=1,
        )
    )


def _common(order: Order, ts: int = 2) -> dict[str, Any]:
    return {
        "strategy_id": order.strategy_id,
        "instrument_id": order.instrument_id,
        "client_order_id": order.client_order_id,
        "ts_event": ts,
        "ts_init": ts,
    }


def _submitted(order: Order) -> OrderSubmitted:
    return OrderSubmitted(account_id=AID, **_common(order))


def _accepted(order: Order, vid: VenueOrderId = VID) -> OrderAccepted:
    return OrderAccepted(account_id=AID, venue_order_id=vid, **_common(order))


def _fill(order: Order, qty: str, px: str = "100.00", trade: str | None = None) -> OrderFilled:
    """A fill of ``order`` at venue order ``V-1`` with USD 1.00 commission; ``trade`` by default
    is a fresh trade id, so only a test that passes one twice sees a duplicate."""
    return TestEventStubs.order_filled_for(
        order, qty, px, trade_id=trade, venue_order_id=VID, ts=2, commission="1.00"
    )


def _pending_cancel(order: Order) -> OrderPendingCancel:
    return OrderPendingCancel(account_id=AID, venue_order_id=VID, **_common(order))


def _cancel_rejected(order: Order) -> OrderCancelRejected:
    return OrderCancelRejected(account_id=AID, reason="too late", **_common(order))


def _canceled(order: Order) -> OrderCanceled:
    return OrderCanceled(account_id=AID, venue_order_id=VID, **_common(order))


def _expired(order: Order) -> OrderExpired:
    return OrderExpired(account_id=AID, **_common(order))


def _rejected(order: Order) -> OrderRejected:
    return OrderRejected(account_id=AID, reason="no funds", **_common(order))


def _denied(order: Order) -> OrderDenied:
    return OrderDenied(reason="max notional", **_common(order))


def _working(order: Order) -> Order:
    order.apply(_submitted(order))
    order.apply(_accepted(order))
    return order


# -- the transition table -----------------------------------------------------------------------


@pytest.mark.parametrize(("key", "target"), list(ORDER_TRANSITIONS.items()), ids=str)
def test_fsm_every_legal_transition_moves_to_table_target(
    key: tuple[OrderStatus, OrderStatus], target: OrderStatus
) -> None:
    state, trigger = key
    fsm = FiniteStateMachine(ORDER_TRANSITIONS, state)
    assert fsm.trigger(trigger) is target
    assert fsm.state is target


_ILLEGAL = [k for k in product(ALL_STATUSES, ALL_STATUSES) if k not in ORDER_TRANSITIONS]


@pytest.mark.parametrize(("state", "trigger"), _ILLEGAL, ids=str)
def test_fsm_every_illegal_transition_raises_and_keeps_state(
    state: OrderStatus, trigger: OrderStatus
) -> None:
    fsm = FiniteStateMachine(ORDER_TRANSITIONS, state)
    with pytest.raises(InvalidStateTrigger, match=f"^{state} -> {trigger}"):
        fsm.trigger(trigger)
    assert fsm.state is state


def test_fsm_error_message_lists_what_may_follow() -> None:
    fsm = FiniteStateMachine(ORDER_TRANSITIONS, OrderStatus.ACCEPTED, lambda: "order O-9")
    with pytest.raises(InvalidStateTrigger) as info:
        fsm.trigger(OrderStatus.SUBMITTED)
    message = str(info.value)
    assert message.startswith("ACCEPTED -> SUBMITTED")
    assert "order O-9 is ACCEPTED" in message
    assert "PENDING_CANCEL" in message


def test_fsm_error_message_for_terminal_state_says_final() -> None:
    fsm = FiniteStateMachine(ORDER_TRANSITIONS, OrderStatus.FILLED)
    with pytest.raises(InvalidStateTrigger, match="final"):
        fsm.trigger(OrderStatus.CANCELED)


def test_table_has_no_row_leaving_filled_denied_or_rejected() -> None:
    terminal = {OrderStatus.FILLED, OrderStatus.DENIED, OrderStatus.REJECTED}
    assert not [k for k in ORDER_TRANSITIONS if k[0] in terminal]


def test_order_status_new_is_alias_of_initialized() -> None:
    assert OrderStatus.NEW is OrderStatus.INITIALIZED
    assert OrderStatus("INITIALIZED") is OrderStatus.NEW


# -- order validation ---------------------------------------------------------------------------


def test_limit_order_without_price_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="needs a limit price"):
        _order(price=None)


def test_market_order_with_price_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="takes no limit price"):
        _order(order_type=OrderType.MARKET, price="1.00")


def test_stop_order_without_trigger_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="needs a trigger price"):
        _order(order_type=OrderType.STOP, price=None)


def test_limit_order_with_trigger_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="takes no trigger price"):
        _order(trigger="99.00")


def test_stop_limit_order_with_both_prices_is_valid() -> None:
    order = _order(order_type=OrderType.STOP_LIMIT, price="101.00", trigger="100.50")
    assert order.price == Price.from_str("101.00")
    assert order.trigger_price == Price.from_str("100.50")


def test_order_with_zero_quantity_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="quantity must be positive"):
        _order("0")


# -- applying events ----------------------------------------------------------------------------


def test_new_order_is_initialized_with_nothing_filled() -> None:
    order = _order()
    assert order.status is OrderStatus.INITIALIZED
    assert order.filled_qty == Quantity.from_int(0)
    assert order.leaves_qty == Quantity.from_int(10)
    assert order.avg_px is None
    assert order.events == (order.init_event,)


def test_submit_and_accept_set_account_and_venue_ids() -> None:
    order = _working(_order())
    assert order.status is OrderStatus.ACCEPTED
    assert order.account_id == AID
    assert order.venue_order_id == VID
    assert order.is_open
    assert len(order.events) == 3


def test_partial_fills_update_quantities_and_weighted_average_price() -> None:
    order = _working(_order())
    order.apply(_fill(order, "3", "10.00", "T-1"))
    order.apply(_fill(order, "1", "10.40", "T-2"))
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert order.filled_qty == Quantity.from_int(4)
    assert order.leaves_qty == Quantity.from_int(6)
    assert order.avg_px == Decimal("10.10")
    order.apply(_fill(order, "6", "10.10", "T-3"))
    assert order.status is OrderStatus.FILLED
    assert order.leaves_qty == Quantity.from_int(0)
    assert order.avg_px == Decimal("10.10")
    assert order.trade_ids == (TradeId("T-1"), TradeId("T-2"), TradeId("T-3"))
    assert order.is_closed


def test_recurring_average_price_is_rounded_to_sixteen_places() -> None:
    order = _working(_order("3"))
    order.apply(_fill(order, "1", "1", "T-1"))
    order.apply(_fill(order, "2", "2", "T-2"))
    assert order.avg_px == Decimal("1.6666666666666667")


def test_duplicate_trade_id_raises_and_leaves_order_unchanged() -> None:
    order = _working(_order())
    order.apply(_fill(order, "2", trade="T-1"))
    with pytest.raises(InvalidArgumentError, match="already applied"):
        order.apply(_fill(order, "2", trade="T-1"))
    assert order.filled_qty == Quantity.from_int(2)
    assert len(order.events) == 4


def test_overfill_raises_and_leaves_order_unchanged() -> None:
    order = _working(_order())
    order.apply(_fill(order, "8", trade="T-1"))
    with pytest.raises(InvalidArgumentError, match="overfill"):
        order.apply(_fill(order, "3", trade="T-2"))
    assert order.filled_qty == Quantity.from_int(8)
    assert order.status is OrderStatus.PARTIALLY_FILLED


def test_fill_on_wrong_side_raises() -> None:
    order = _working(_order())
    fill = _fill(order, "1")
    wrong = OrderFilled(
        **{**{f: getattr(fill, f) for f in fill.__dataclass_fields__}, "order_side": OrderSide.SELL}
    )
    with pytest.raises(InvalidArgumentError, match="is a SELL"):
        order.apply(wrong)


def test_event_for_another_order_raises() -> None:
    order = _order()
    other = _order(cid="O-2")
    with pytest.raises(InvalidArgumentError, match="O-2 was applied to order O-1"):
        order.apply(_submitted(other))
    assert order.status is OrderStatus.INITIALIZED


def test_event_with_different_venue_order_id_raises() -> None:
    order = _working(_order())
    with pytest.raises(InvalidArgumentError, match="venue knows the order as V-1"):
        order.apply(
            OrderCanceled(account_id=AID, venue_order_id=VenueOrderId("V-2"), **_common(order))
        )


def test_illegal_event_raises_invalid_state_trigger_and_is_not_recorded() -> None:
    order = _working(_order())
    with pytest.raises(InvalidStateTrigger, match="ACCEPTED -> SUBMITTED"):
        order.apply(_submitted(order))
    assert len(order.events) == 3
    assert order.status is OrderStatus.ACCEPTED


def test_reapplying_initialized_raises() -> None:
    order = _order()
    with pytest.raises(InvalidStateTrigger, match="already exists"):
        order.apply(order.init_event)


def test_denied_order_is_closed_with_nothing_left() -> None:
    order = _order()
    order.apply(_denied(order))
    assert order.status is OrderStatus.DENIED
    assert order.is_closed
    assert order.leaves_qty.is_zero()


def test_cancel_rejected_returns_to_accepted_when_nothing_filled() -> None:
    order = _working(_order())
    order.apply(_pending_cancel(order))
    assert order.status is OrderStatus.PENDING_CANCEL
    order.apply(_cancel_rejected(order))
    assert order.status is OrderStatus.ACCEPTED


def test_cancel_rejected_returns_to_partially_filled_after_a_fill() -> None:
    order = _working(_order())
    order.apply(_fill(order, "4"))
    order.apply(_pending_cancel(order))
    order.apply(_cancel_rejected(order))
    assert order.status is OrderStatus.PARTIALLY_FILLED


def test_cancel_rejected_after_fill_is_recorded_without_status_change() -> None:
    order = _working(_order())
    order.apply(_fill(order, "10"))
    order.apply(_cancel_rejected(order))
    assert order.status is OrderStatus.FILLED
    assert isinstance(order.last_event, OrderCancelRejected)


def test_cancel_rejected_for_unsent_order_raises() -> None:
    order = _order()
    with pytest.raises(InvalidStateTrigger, match="never sent"):
        order.apply(_cancel_rejected(order))


def test_canceled_order_has_no_leaves_and_late_partial_fill_keeps_it_canceled() -> None:
    order = _working(_order())
    order.apply(_canceled(order))
    assert order.leaves_qty.is_zero()
    order.apply(_fill(order, "4", trade="T-late"))
    assert order.status is OrderStatus.CANCELED
    assert order.filled_qty == Quantity.from_int(4)


def test_late_fill_completing_canceled_order_marks_it_filled() -> None:
    order = _working(_order())
    order.apply(_canceled(order))
    order.apply(_fill(order, "10", trade="T-late"))
    assert order.status is OrderStatus.FILLED


def test_fill_reported_before_acknowledgement_is_accepted() -> None:
    order = _order()
    order.apply(_submitted(order))
    order.apply(_fill(order, "10"))
    assert order.status is OrderStatus.FILLED
    assert order.venue_order_id == VID


def test_rejected_after_submit_is_terminal() -> None:
    order = _order()
    order.apply(_submitted(order))
    order.apply(_rejected(order))
    with pytest.raises(InvalidStateTrigger, match="REJECTED -> ACCEPTED"):
        order.apply(_accepted(order))


def test_expired_day_order_keeps_fills() -> None:
    order = _working(_order())
    order.apply(_fill(order, "5"))
    order.apply(_expired(order))
    assert order.status is OrderStatus.EXPIRED
    assert order.filled_qty == Quantity.from_int(5)
    assert order.leaves_qty.is_zero()


def test_orders_are_equal_by_client_order_id() -> None:
    a, b = _order(cid="O-7"), _order("5", cid="O-7")
    assert a == b
    assert hash(a) == hash(b)
    assert a != _order(cid="O-8")


# -- factory ------------------------------------------------------------------------------------


def test_factory_ids_are_deterministic_with_test_clock() -> None:
    clock = TestClock(iso_to_ns("2024-03-01T14:30:05Z"))
    factory = OrderFactory(SID, clock)
    first = factory.market(IID, OrderSide.BUY, Quantity.from_int(1))
    second = factory.limit(IID, OrderSide.SELL, Quantity.from_int(1), Price.from_str("1.00"))
    assert first.client_order_id == ClientOrderId("O-20240301-143005-001-1")
    assert second.client_order_id == ClientOrderId("O-20240301-143005-001-2")
    assert first.ts_init == clock.timestamp_ns()
    assert first.strategy_id == SID


def test_factory_continues_from_initial_count_and_uses_whole_id_without_dash() -> None:
    factory = OrderFactory(StrategyId("Momentum"), TestClock(0), initial_count=41)
    order = factory.market(IID, OrderSide.BUY, Quantity.from_int(1))
    assert order.client_order_id.value == "O-19700101-000000-Momentum-42"
    assert factory.count == 42


def test_factory_builds_each_order_type() -> None:
    factory = OrderFactory(SID, TestClock(0))
    qty = Quantity.from_int(1)
    stop = factory.stop_market(IID, OrderSide.SELL, qty, Price.from_str("95.00"))
    stop_limit = factory.stop_limit(
        IID,
        OrderSide.SELL,
        qty,
        Price.from_str("94.50"),
        Price.from_str("95.00"),
        time_in_force=TimeInForce.DAY,
    )
    assert stop.order_type is OrderType.STOP
    assert stop_limit.order_type is OrderType.STOP_LIMIT
    assert stop_limit.time_in_force is TimeInForce.DAY
    assert len({stop.client_order_id, stop_limit.client_order_id}) == 2


# -- properties ---------------------------------------------------------------------------------

_ACTIONS = st.lists(
    st.one_of(
        st.sampled_from(
            ["deny", "submit", "accept", "reject", "pending", "cancel_reject", "cancel", "expire"]
        ),
        st.tuples(st.just("fill"), st.integers(min_value=1, max_value=6)),
        st.just(("dup_fill", 1)),
    ),
    max_size=14,
)
_OUTPUTS = {OrderStatus.INITIALIZED, *ORDER_TRANSITIONS.values()}


def _event_for(order: Order, action: object, n: int) -> OrderEvent:
    if isinstance(action, tuple):
        kind, qty = action
        if kind == "dup_fill" and order.trade_ids:
            return _fill(order, "1", trade=order.trade_ids[0].value)
        return _fill(order, str(qty), px=str(100 + n), trade=f"T-{n}")
    builders = {
        "deny": _denied,
        "submit": _submitted,
        "accept": _accepted,
        "reject": _rejected,
        "pending": _pending_cancel,
        "cancel_reject": _cancel_rejected,
        "cancel": _canceled,
        "expire": _expired,
    }
    return builders[str(action)](order)


@settings(max_examples=300, deadline=None)
@given(_ACTIONS)
def test_random_event_sequences_respect_table_and_quantities(actions: list[object]) -> None:
    order = _order("10")
    reached_filled = False
    accepted_fill_qty = 0
    for n, action in enumerate(actions):
        before = (order.status, order.filled_qty, len(order.events))
        event = _event_for(order, action, n)
        try:
            order.apply(event)
        except (InvalidStateTrigger, InvalidArgumentError):
            assert (order.status, order.filled_qty, len(order.events)) == before
            continue
        prev = before[0]
        assert order.status in _OUTPUTS
        legal_moves = {t for (s, _), t in ORDER_TRANSITIONS.items() if s is prev}
        record_only = isinstance(event, OrderCancelRejected) and order.status is prev
        assert order.status in legal_moves or record_only
        if reached_filled:
            assert order.status is OrderStatus.FILLED
        reached_filled = reached_filled or order.status is OrderStatus.FILLED
        if isinstance(event, OrderFilled):
            accepted_fill_qty += int(event.last_qty.as_decimal())
        assert order.filled_qty <= order.quantity
        assert order.filled_qty == Quantity.from_int(accepted_fill_qty)
        assert order.events[-1] is event
        if order.status in {OrderStatus.FILLED, OrderStatus.ACCEPTED, OrderStatus.SUBMITTED}:
            assert order.filled_qty + order.leaves_qty == order.quantity
    assert len(order.trade_ids) == len(set(order.trade_ids))
