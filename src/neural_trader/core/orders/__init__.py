"""Orders: the transition table, the event-sourced ``Order`` and the ``OrderFactory``."""

from neural_trader.core.orders.factory import OrderFactory
from neural_trader.core.orders.fsm import ORDER_TRANSITIONS, FiniteStateMachine, order_state_machine
from neural_trader.core.orders.order import Order, validate_order_spec

__all__ = [
    "ORDER_TRANSITIONS",
    "FiniteStateMachine",
    "Order",
    "OrderFactory",
    "order_state_machine",
    "validate_order_spec",
]
