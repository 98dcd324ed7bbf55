"""The order factory: the one place strategies get orders from.

It stamps each order with the clock's time and a ``ClientOrderId`` that is unique and readable:
``O-<yyyymmdd>-<hhmmss>-<strategy tag>-<count>``, for example ``O-20240301-143000-001-7``. The
time part keeps ids unique across restarts (the count restarts at ``initial_count``, pass the
last count to continue it); the tag tells at a glance which strategy sent the order. With a
:class:`~neural_trader.core.clock.TestClock` the ids are deterministic, so backtests replay.
"""

from __future__ import annotations

from neural_trader.core.clock import Clock
from neural_trader.core.datetime import ns_to_dt
from neural_trader.core.enums import OrderSide, OrderType, TimeInForce
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.core.events import OrderInitialized
from neural_trader.core.identifiers import ClientOrderId, InstrumentId, StrategyId
from neural_trader.core.orders.order import Order
from neural_trader.core.values import Price, Quantity

__all__ = ["OrderFactory"]


class OrderFactory:
    """Makes orders for one strategy, each with a fresh ``ClientOrderId``."""

    __slots__ = ("_clock", "_count", "_strategy_id", "_tag")

    def __init__(self, strategy_id: StrategyId, clock: Clock, *, initial_count: int = 0) -> None:
        if not isinstance(strategy_id, StrategyId):
            raise InvalidArgumentError(f"strategy_id must be a StrategyId, got {strategy_id!r}")
        if initial_count < 0:
            raise InvalidArgumentError(f"initial_count must be >= 0, got {initial_count}")
        self._strategy_id = strategy_id
        self._clock = clock
        self._count = initial_count
        _, _, tag = strategy_id.value.rpartition("-")
        self._tag = tag or strategy_id.value

    @property
    def strategy_id(self) -> StrategyId:
        return self._strategy_id

    @property
    def count(self) -> int:
        """How many ids this factory has issued (plus ``initial_count``)."""
        return self._count

    def generate_client_order_id(self) -> ClientOrderId:
        self._count += 1
        stamp = ns_to_dt(self._clock.timestamp_ns())
        return ClientOrderId(f"O-{stamp:%Y%m%d-%H%M%S}-{self._tag}-{self._count}")

    def market(
        self,
        instrument_id: InstrumentId,
        side: OrderSide,
        quantity: Quantity,
        *,
        time_in_force: TimeInForce = TimeInForce.GTC,
        reduce_only: bool = False,
    ) -> Order:
        return self._make(
            OrderType.MARKET, instrument_id, side, quantity, time_in_force, reduce_only
        )

    def limit(
        self,
        instrument_id: InstrumentId,
        side: OrderSide,
        quantity: Quantity,
        price: Price,
        *,
        time_in_force: TimeInForce = TimeInForce.GTC,
        reduce_only: bool = False,
    ) -> Order:
        return self._make(
            OrderType.LIMIT, instrument_id, side, quantity, time_in_force, reduce_only, price=price
        )

    def stop_market(
        self,
        instrument_id: InstrumentId,
        side: OrderSide,
        quantity: Quantity,
        trigger_price: Price,
        *,
        time_in_force: TimeInForce = TimeInForce.GTC,
        reduce_only: bool = False,
    ) -> Order:
        return self._make(
            OrderType.STOP,
            instrument_id,
            side,
            quantity,
            time_in_force,
            reduce_only,
            trigger_price=trigger_price,
        )

    def stop_limit(
        self,
        instrument_id: InstrumentId,
        side: OrderSide,
        quantity: Quantity,
        price: Price,
        trigger_price: Price,
        *,
        time_in_force: TimeInForce = TimeInForce.GTC,
        reduce_only: bool = False,
    ) -> Order:
        return self._make(
            OrderType.STOP_LIMIT,
            instrument_id,
            side,
            quantity,
            time_in_force,
            reduce_only,
            price=price,
            trigger_price=trigger_price,
        )

    def _make(
        self,
        order_type: OrderType,
        instrument_id: InstrumentId,
        side: OrderSide,
        quantity: Quantity,
        time_in_force: TimeInForce,
        reduce_only: bool,
        *,
        price: Price | None = None,
        trigger_price: Price | None = None,
    ) -> Order:
        """Stamp and build one order; the public builders differ only in type and prices.

        The prices are keyword-only so a builder cannot pass a limit price where the trigger
        goes: the two are the same type and a positional slip would type-check.
        """
        now = self._clock.timestamp_ns()
        init = OrderInitialized(
            strategy_id=self._strategy_id,
            instrument_id=instrument_id,
            client_order_id=self.generate_client_order_id(),
            side=side,
            order_type=order_type,
            quantity=quantity,
            time_in_force=time_in_force,
            price=price,
            trigger_price=trigger_price,
            reduce_only=reduce_only,
            ts_event=now,
            ts_init=now,
        )
        return Order(init)
