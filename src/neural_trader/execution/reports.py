"""What brokers tell us, in one broker-neutral shape: requests out, reports back.

Every adapter (paper, Alpaca, later IBKR, OANDA...) translates its venue's wire format into
these types at its edge, once; everything behind the edge (order manager, journal,
reconciliation) sees only these. Quantities and prices are ``Decimal`` so nothing is rounded on
the way through; timestamps are int UNIX nanoseconds, ``ts_event`` from the broker's clock and
``ts_init`` from ours (the two are never compared for ordering: clocks skew).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from neural_trader.core.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from neural_trader.core.errors import InvalidArgumentError

__all__ = [
    "AccountReport",
    "ExecutionReport",
    "FillReport",
    "OrderRequest",
    "OrderStatusReport",
    "PositionReport",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRequest:
    """An order as sent to a broker. ``client_order_id`` is ours and is the order's identity at
    the broker too (brokers that dedupe it make a resend safe; we still never blindly resend).

    ``take_profit`` / ``stop_loss`` make a bracket (Alpaca ``order_class=bracket``): the parent
    plus two exit legs that the broker manages.
    """

    client_order_id: str
    symbol: str
    side: OrderSide
    order_type: OrderType
    quantity: Decimal
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    strategy: str = ""

    def __post_init__(self) -> None:
        cid = self.client_order_id
        if not cid:
            raise InvalidArgumentError("an order request needs a client order id")
        if not self.quantity.is_finite() or self.quantity <= 0:
            raise InvalidArgumentError(
                f"order {cid}: quantity must be positive, got {self.quantity}"
            )
        needs_limit = self.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT)
        needs_stop = self.order_type in (OrderType.STOP, OrderType.STOP_LIMIT)
        if needs_limit != (self.limit_price is not None):
            raise InvalidArgumentError(
                f"order {cid}: a {self.order_type} order "
                + ("needs a limit price" if needs_limit else "takes no limit price")
            )
        if needs_stop != (self.stop_price is not None):
            raise InvalidArgumentError(
                f"order {cid}: a {self.order_type} order "
                + ("needs a stop price" if needs_stop else "takes no stop price")
            )
        for name in ("limit_price", "stop_price", "take_profit", "stop_loss"):
            value = getattr(self, name)
            if value is not None and (not value.is_finite() or value <= 0):
                raise InvalidArgumentError(f"order {cid}: {name} must be positive, got {value}")

    @property
    def is_bracket(self) -> bool:
        return self.take_profit is not None or self.stop_loss is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderStatusReport:
    """The broker's view of one order at ``ts_event``.

    ``filled_quantity`` and ``avg_fill_price`` are the broker's cumulative totals; the journal
    counts fills from :class:`FillReport` (by trade id) and uses these only to notice fills it
    has not seen (reconciliation fetches them).
    """

    client_order_id: str
    venue_order_id: str
    symbol: str
    side: OrderSide
    order_type: OrderType
    quantity: Decimal
    filled_quantity: Decimal
    status: OrderStatus
    ts_event: int
    ts_init: int
    avg_fill_price: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FillReport:
    """One execution. ``trade_id`` is the broker's execution id: unique, the dedupe key."""

    trade_id: str
    client_order_id: str
    venue_order_id: str
    symbol: str
    side: OrderSide
    quantity: Decimal
    price: Decimal
    ts_event: int
    ts_init: int
    commission: Decimal = Decimal(0)
    currency: str = "USD"

    def __post_init__(self) -> None:
        if not self.quantity.is_finite() or self.quantity <= 0:
            raise InvalidArgumentError(
                f"fill {self.trade_id}: quantity must be positive, got {self.quantity}"
            )
        if not self.price.is_finite() or self.price <= 0:
            raise InvalidArgumentError(
                f"fill {self.trade_id}: price must be positive, got {self.price}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionReport:
    """A net position: ``quantity`` signed (negative = short), ``avg_price`` its entry price."""

    symbol: str
    quantity: Decimal
    avg_price: Decimal
    ts_event: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountReport:
    """Balances in the account's currency at ``ts_event``."""

    account_id: str
    currency: str
    cash: Decimal
    equity: Decimal
    buying_power: Decimal
    ts_event: int
    extra: dict[str, str] = field(default_factory=dict)


ExecutionReport = OrderStatusReport | FillReport
"""What a broker's execution-report stream yields."""
