"""What every strategy context shares about explicit orders.

The event backtester sends a strategy's ``buy``/``sell`` to its simulated exchange; the live
runner queues them for the order manager. The surface a strategy sees, the rule that a
quantity is a positive number (the side carries the direction), the order type a
``limit``/``stop`` pair means, and the one-style-per-run rule must be the same in both, or a
strategy that backtested would behave differently live. They live here, once.
"""

from __future__ import annotations

import math

from neural_trader.core.enums import OrderSide, OrderType, TimeInForce
from neural_trader.core.errors import InvalidArgumentError, NotSupportedError

__all__ = ["ExplicitOrders", "checked_quantity", "order_type_for"]


def checked_quantity(quantity: float) -> float:
    """``quantity`` when it is a finite positive number; a clear error otherwise."""
    if not (quantity > 0.0) or not math.isfinite(quantity):
        raise InvalidArgumentError(
            f"order quantity must be a positive number, got {quantity!r}; "
            "the side (buy or sell) carries the direction"
        )
    return quantity


def order_type_for(limit: float | None, stop: float | None) -> OrderType:
    """Market without prices, limit with ``limit``, stop with ``stop``, stop-limit with both."""
    if limit is None:
        return OrderType.MARKET if stop is None else OrderType.STOP
    return OrderType.LIMIT if stop is None else OrderType.STOP_LIMIT


class ExplicitOrders:
    """``buy``/``sell`` and the targets-or-orders rule; a context implements ``_send``."""

    # The event engine's context is slotted (its hot path); the mixin holds the one slot it
    # writes, so subclasses keep theirs.
    __slots__ = ("_mode",)

    _mode: str
    _mode_hint = "express the whole strategy one way"

    def buy(
        self,
        quantity: float,
        *,
        limit: float | None = None,
        stop: float | None = None,
        tif: TimeInForce | str = TimeInForce.GTC,
    ) -> str:
        """Send a buy: market, limit (``limit``), stop (``stop``) or stop-limit (both).
        Returns the client order id."""
        return self._send(OrderSide.BUY, quantity, limit, stop, tif)

    def sell(
        self,
        quantity: float,
        *,
        limit: float | None = None,
        stop: float | None = None,
        tif: TimeInForce | str = TimeInForce.GTC,
    ) -> str:
        """Send a sell (a short when flat); the order types are those of :meth:`buy`."""
        return self._send(OrderSide.SELL, quantity, limit, stop, tif)

    def _send(
        self,
        side: OrderSide,
        quantity: float,
        limit: float | None,
        stop: float | None,
        tif: TimeInForce | str,
    ) -> str:
        raise NotImplementedError

    def _set_mode(self, mode: str) -> None:
        if self._mode and self._mode != mode:
            raise NotSupportedError(
                "a strategy sets targets (ctx.target) or sends orders (ctx.buy/sell) in one "
                "run, not both: the sizer and the strategy would both own the position",
                hint=self._mode_hint,
            )
        self._mode = mode
