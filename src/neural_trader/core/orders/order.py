"""The order: event-sourced, so its state is exactly the events it accepted.

An :class:`Order` is built from an :class:`OrderInitialized` and changes only through
:meth:`Order.apply`. ``apply`` checks everything first (the event is for this order, this
instrument, this venue order; a fill's trade id is new and it does not overfill), then fires the
state machine, then updates the fill arithmetic and records the event. A refused event leaves
the order untouched, so replaying a journal reproduces the order exactly.

A duplicate trade id raises rather than being ignored: the execution engine deduplicates venue
reports before they reach the order, so a duplicate here means a replay or routing bug, and
silence would hide it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

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
    AccountId,
    ClientOrderId,
    InstrumentId,
    StrategyId,
    TradeId,
    VenueOrderId,
)
from neural_trader.core.orders.fsm import order_state_machine
from neural_trader.core.values import DECIMAL_CONTEXT, FIXED_PRECISION_MAX, Price, Quantity

__all__ = ["Order", "validate_order_spec"]

_SIMPLE_TRIGGERS: Final[dict[type[OrderEvent], OrderStatus]] = {
    OrderDenied: OrderStatus.DENIED,
    OrderSubmitted: OrderStatus.SUBMITTED,
    OrderAccepted: OrderStatus.ACCEPTED,
    OrderRejected: OrderStatus.REJECTED,
    OrderPendingCancel: OrderStatus.PENDING_CANCEL,
    OrderCanceled: OrderStatus.CANCELED,
    OrderExpired: OrderStatus.EXPIRED,
}
_NO_LEAVES: Final = frozenset(
    {OrderStatus.DENIED, OrderStatus.REJECTED, OrderStatus.CANCELED, OrderStatus.EXPIRED}
)
_AVG_PX_QUANTUM: Final = Decimal(1).scaleb(-FIXED_PRECISION_MAX)


def validate_order_spec(init: OrderInitialized) -> None:
    """Raise unless the order's type, prices and quantity make a coherent order."""
    cid = init.client_order_id
    if not init.quantity.is_positive():
        raise InvalidArgumentError(f"order {cid}: quantity must be positive, got {init.quantity}")
    needs_price = init.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
    needs_trigger = init.order_type in (OrderType.STOP, OrderType.STOP_LIMIT)
    if needs_price and init.price is None:
        raise InvalidArgumentError(f"order {cid}: a {init.order_type} order needs a limit price")
    if not needs_price and init.price is not None:
        raise InvalidArgumentError(
            f"order {cid}: a {init.order_type} order takes no limit price (got {init.price}); "
            "use LIMIT or STOP_LIMIT to set one"
        )
    if needs_trigger and init.trigger_price is None:
        raise InvalidArgumentError(f"order {cid}: a {init.order_type} order needs a trigger price")
    if not needs_trigger and init.trigger_price is not None:
        raise InvalidArgumentError(
            f"order {cid}: a {init.order_type} order takes no trigger price "
            f"(got {init.trigger_price}); use STOP or STOP_LIMIT"
        )
    if not isinstance(init.time_in_force, TimeInForce):
        raise InvalidArgumentError(f"order {cid}: unknown time in force {init.time_in_force!r}")


class Order:
    """One order, whatever its type; the type decides which prices it carries.

    Two orders are equal when their ``client_order_id`` is: the id is the order's identity.
    """

    __slots__ = (
        "_account_id",
        "_events",
        "_filled_qty",
        "_fsm",
        "_init",
        "_notional",
        "_trade_ids",
        "_venue_order_id",
    )

    def __init__(self, init: OrderInitialized) -> None:
        if not isinstance(init, OrderInitialized):
            raise InvalidArgumentError(
                f"an order is built from OrderInitialized, got {type(init).__name__}"
            )
        validate_order_spec(init)
        self._init = init
        self._fsm = order_state_machine(lambda: f"order {init.client_order_id.value}")
        self._events: list[OrderEvent] = [init]
        self._venue_order_id: VenueOrderId | None = None
        self._account_id: AccountId | None = None
        self._filled_qty = Quantity.from_raw(0, init.quantity.precision)
        self._notional = Decimal(0)
        self._trade_ids: dict[TradeId, None] = {}

    # -- identity and specification -------------------------------------------------------

    @property
    def client_order_id(self) -> ClientOrderId:
        return self._init.client_order_id

    @property
    def strategy_id(self) -> StrategyId:
        return self._init.strategy_id

    @property
    def instrument_id(self) -> InstrumentId:
        return self._init.instrument_id

    @property
    def venue_order_id(self) -> VenueOrderId | None:
        return self._venue_order_id

    @property
    def account_id(self) -> AccountId | None:
        return self._account_id

    @property
    def side(self) -> OrderSide:
        return self._init.side

    @property
    def order_type(self) -> OrderType:
        return self._init.order_type

    @property
    def quantity(self) -> Quantity:
        return self._init.quantity

    @property
    def price(self) -> Price | None:
        return self._init.price

    @property
    def trigger_price(self) -> Price | None:
        return self._init.trigger_price

    @property
    def time_in_force(self) -> TimeInForce:
        return self._init.time_in_force

    @property
    def reduce_only(self) -> bool:
        return self._init.reduce_only

    @property
    def init_event(self) -> OrderInitialized:
        return self._init

    @property
    def ts_init(self) -> int:
        return self._init.ts_init

    # -- state ----------------------------------------------------------------------------

    @property
    def status(self) -> OrderStatus:
        return self._fsm.state

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    @property
    def is_closed(self) -> bool:
        return self.status.is_closed

    @property
    def filled_qty(self) -> Quantity:
        return self._filled_qty

    @property
    def leaves_qty(self) -> Quantity:
        """What may still trade: zero once the order is cancelled, expired or refused."""
        if self.status in _NO_LEAVES:
            return Quantity.from_raw(0, self._filled_qty.precision)
        return self.quantity - self._filled_qty

    @property
    def avg_px(self) -> Decimal | None:
        """Quantity-weighted average fill price; exact, or to 16 places when it recurs."""
        if not self._filled_qty.is_positive():
            return None
        avg = DECIMAL_CONTEXT.divide(self._notional, self._filled_qty.as_decimal())
        exponent = avg.as_tuple().exponent
        assert isinstance(exponent, int)
        if -exponent > FIXED_PRECISION_MAX:
            avg = avg.quantize(_AVG_PX_QUANTUM, context=DECIMAL_CONTEXT)
        return avg

    @property
    def events(self) -> tuple[OrderEvent, ...]:
        return tuple(self._events)

    @property
    def last_event(self) -> OrderEvent:
        return self._events[-1]

    @property
    def ts_last(self) -> int:
        return self._events[-1].ts_event

    @property
    def trade_ids(self) -> tuple[TradeId, ...]:
        return tuple(self._trade_ids)

    # -- the one way to change an order ---------------------------------------------------

    def apply(self, event: OrderEvent) -> None:
        """Apply ``event``: validate, move the state machine, update, record (in that order).

        Raises ``InvalidArgumentError`` for an event that is not this order's, a duplicate trade
        id or an overfill, and ``InvalidStateTrigger`` for a move the table does not allow; the
        order is unchanged in either case.
        """
        if isinstance(event, OrderInitialized):
            raise InvalidStateTrigger(
                f"{self.status} -> INITIALIZED: order {self.client_order_id} already exists; "
                "an order is initialized once, by its constructor"
            )
        if not isinstance(event, OrderEvent):
            raise InvalidArgumentError(f"an order applies OrderEvents, got {event!r}")
        self._check_identity(event)
        trigger = self._trigger_for(event)
        if trigger is not None:
            self._fsm.trigger(trigger)
        self._update(event)
        self._events.append(event)

    def _check_identity(self, event: OrderEvent) -> None:
        name = type(event).__name__
        if event.client_order_id != self.client_order_id:
            raise InvalidArgumentError(
                f"{name} for order {event.client_order_id} was applied to order "
                f"{self.client_order_id}"
            )
        if event.instrument_id != self.instrument_id:
            raise InvalidArgumentError(
                f"{name} for order {self.client_order_id} names instrument "
                f"{event.instrument_id}, but the order is for {self.instrument_id}"
            )
        if event.strategy_id != self.strategy_id:
            raise InvalidArgumentError(
                f"{name} for order {self.client_order_id} names strategy {event.strategy_id}, "
                f"but the order belongs to {self.strategy_id}"
            )
        venue_id = event.venue_order_id_or_none
        if (
            venue_id is not None
            and self._venue_order_id is not None
            and venue_id != self._venue_order_id
        ):
            raise InvalidArgumentError(
                f"{name} for order {self.client_order_id} carries venue order id {venue_id}, "
                f"but the venue knows the order as {self._venue_order_id}"
            )

    def _trigger_for(self, event: OrderEvent) -> OrderStatus | None:
        simple = _SIMPLE_TRIGGERS.get(type(event))
        if simple is not None:
            return simple
        if isinstance(event, OrderFilled):
            return self._fill_trigger(event)
        if isinstance(event, OrderCancelRejected):
            if self.status is OrderStatus.PENDING_CANCEL:
                # Back to where the order was before the cancel request.
                if self._filled_qty.is_positive():
                    return OrderStatus.PARTIALLY_FILLED
                return OrderStatus.ACCEPTED
            if self.status in (OrderStatus.INITIALIZED, OrderStatus.DENIED):
                raise InvalidStateTrigger(
                    f"{self.status} -> CANCEL_REJECTED: order {self.client_order_id} was never "
                    "sent, so no venue can have rejected a cancel of it"
                )
            # A cancel that raced a fill or expiry: record the rejection, keep the status.
            return None
        raise InvalidArgumentError(f"order events of type {type(event).__name__} are not known")

    def _fill_trigger(self, fill: OrderFilled) -> OrderStatus:
        if fill.trade_id in self._trade_ids:
            raise InvalidArgumentError(
                f"fill {fill.trade_id} was already applied to order {self.client_order_id}; "
                "each trade id is applied exactly once"
            )
        if fill.order_side is not self.side:
            raise InvalidArgumentError(
                f"fill {fill.trade_id} is a {fill.order_side}, but order "
                f"{self.client_order_id} is a {self.side}"
            )
        total = self._filled_qty + fill.last_qty
        if total > self.quantity:
            raise InvalidArgumentError(
                f"fill {fill.trade_id} of {fill.last_qty} would overfill order "
                f"{self.client_order_id}: {self._filled_qty} of {self.quantity} already filled"
            )
        return OrderStatus.FILLED if total == self.quantity else OrderStatus.PARTIALLY_FILLED

    def _update(self, event: OrderEvent) -> None:
        if isinstance(event, OrderSubmitted | OrderAccepted | OrderFilled):
            self._account_id = event.account_id
        venue_id = event.venue_order_id_or_none
        if venue_id is not None:
            self._venue_order_id = venue_id
        if isinstance(event, OrderFilled):
            self._trade_ids[event.trade_id] = None
            self._filled_qty = self._filled_qty + event.last_qty
            traded = DECIMAL_CONTEXT.multiply(
                event.last_qty.as_decimal(), event.last_px.as_decimal()
            )
            self._notional = DECIMAL_CONTEXT.add(self._notional, traded)

    # -- identity ---------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Order):
            return NotImplemented
        return self.client_order_id == other.client_order_id

    def __hash__(self) -> int:
        return hash(self.client_order_id)

    def __repr__(self) -> str:
        px = f" @ {self.price}" if self.price is not None else ""
        trig = f" trigger {self.trigger_price}" if self.trigger_price is not None else ""
        return (
            f"Order({self.client_order_id}, {self.side} {self.quantity} {self.instrument_id} "
            f"{self.order_type}{px}{trig} {self.time_in_force}, {self.status}, "
            f"filled {self._filled_qty})"
        )
