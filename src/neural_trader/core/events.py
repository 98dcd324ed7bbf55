"""Events: facts that happened, named in the past tense, immutable.

An order or position is the sum of its events (it is rebuilt by replaying them), so every
event carries what its consumer needs and two timestamps in int UNIX nanoseconds: ``ts_event``
when it happened (at the venue, for venue events) and ``ts_init`` when we created the object.
The gap between them is the latency a backtest must model.

All fields are keyword-only so adding one never silently shifts another.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from neural_trader.core.enums import (
    AccountType,
    LiquiditySide,
    OrderSide,
    OrderType,
    PositionSide,
    TimeInForce,
)
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.core.identifiers import (
    AccountId,
    ClientOrderId,
    InstrumentId,
    PositionId,
    StrategyId,
    TradeId,
    VenueOrderId,
)
from neural_trader.core.values import Currency, Money, Price, Quantity

__all__ = [
    "AccountStateChanged",
    "Event",
    "OrderAccepted",
    "OrderCancelRejected",
    "OrderCanceled",
    "OrderDenied",
    "OrderEvent",
    "OrderExpired",
    "OrderFilled",
    "OrderInitialized",
    "OrderPendingCancel",
    "OrderRejected",
    "OrderSubmitted",
    "PositionChanged",
    "PositionClosed",
    "PositionEvent",
    "PositionOpened",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    ts_event: int
    ts_init: int

    def __post_init__(self) -> None:
        for name in ("ts_event", "ts_init"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidArgumentError(
                    f"{type(self).__name__}.{name} must be non-negative int nanoseconds, "
                    f"got {value!r}"
                )


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderEvent(Event):
    """Something that happened to one order, identified by its ``client_order_id``."""

    strategy_id: StrategyId
    instrument_id: InstrumentId
    client_order_id: ClientOrderId

    @property
    def venue_order_id_or_none(self) -> VenueOrderId | None:
        """The venue's id if this event carries one (not every event does)."""
        value = getattr(self, "venue_order_id", None)
        return value if isinstance(value, VenueOrderId) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderInitialized(OrderEvent):
    """The order exists, locally, with everything that defines it."""

    side: OrderSide
    order_type: OrderType
    quantity: Quantity
    time_in_force: TimeInForce = TimeInForce.GTC
    price: Price | None = None
    trigger_price: Price | None = None
    reduce_only: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderDenied(OrderEvent):
    """Our own risk checks refused it; it never left the process."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderSubmitted(OrderEvent):
    account_id: AccountId


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderAccepted(OrderEvent):
    account_id: AccountId
    venue_order_id: VenueOrderId


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRejected(OrderEvent):
    account_id: AccountId
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderPendingCancel(OrderEvent):
    """We asked the venue to cancel; the order may still trade until it confirms."""

    account_id: AccountId
    venue_order_id: VenueOrderId | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCancelRejected(OrderEvent):
    """The venue refused the cancel (often: already filled); the order lives on."""

    account_id: AccountId
    reason: str
    venue_order_id: VenueOrderId | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCanceled(OrderEvent):
    account_id: AccountId | None = None
    venue_order_id: VenueOrderId | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderExpired(OrderEvent):
    account_id: AccountId | None = None
    venue_order_id: VenueOrderId | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderFilled(OrderEvent):
    """One execution: ``last_qty`` traded at ``last_px``; ``trade_id`` makes it unique."""

    account_id: AccountId
    venue_order_id: VenueOrderId
    trade_id: TradeId
    order_side: OrderSide
    order_type: OrderType
    last_qty: Quantity
    last_px: Price
    currency: Currency
    commission: Money
    liquidity_side: LiquiditySide = LiquiditySide.NONE
    position_id: PositionId | None = None

    def __post_init__(self) -> None:
        Event.__post_init__(self)
        if not self.last_qty.is_positive():
            raise InvalidArgumentError(
                f"fill {self.trade_id} of {self.client_order_id} has quantity {self.last_qty}; "
                "a fill must trade something"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionEvent(Event):
    """A snapshot of a position just after a fill changed it."""

    position_id: PositionId
    instrument_id: InstrumentId
    account_id: AccountId
    side: PositionSide
    signed_qty: Decimal
    avg_px_open: Decimal
    realized_pnl: Money
    last_trade_id: TradeId
    ts_opened: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionOpened(PositionEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionChanged(PositionEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionClosed(PositionEvent):
    ts_closed: int

    @property
    def duration_ns(self) -> int:
        return self.ts_closed - self.ts_opened


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountStateChanged(Event):
    """The account's balances at one instant (a snapshot, also published after each change)."""

    account_id: AccountId
    account_type: AccountType
    balances: tuple[Money, ...]
