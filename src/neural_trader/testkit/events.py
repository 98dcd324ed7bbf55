"""Builders for the events tests feed to orders, positions, accounts and portfolios.

A fill carries fourteen fields, of which a test usually cares about three: side, quantity and
price. Every core test module used to define its own ``_fill`` helper that filled in the other
eleven, each slightly differently (a fixed trade id here, a counter there, a commission in USD or
in the quote currency). :class:`TestEventStubs` is the one builder: the three that matter are
positional, the rest are keywords with defaults chosen so that a bare call gives a valid,
unremarkable fill.

Ids that a test does not pass are generated from one counter (``T-stub-1``, ``T-stub-2``, ...),
so two fills never collide on a trade id by accident: an account or position refuses a repeated
trade id, and a test that wants that refusal passes the same ``trade_id`` twice, which says so.
The ``stub`` infix keeps generated ids apart from hand-written ones like ``T-1``. The sequence
is deterministic for a given order of calls; :meth:`TestEventStubs.reset_ids` restarts it for a
test that asserts on generated ids.
"""

from __future__ import annotations

import itertools
from typing import ClassVar, TypeVar

from neural_trader.core.enums import LiquiditySide, OrderSide, OrderType
from neural_trader.core.events import OrderFilled
from neural_trader.core.identifiers import (
    AccountId,
    ClientOrderId,
    InstrumentId,
    StrategyId,
    TradeId,
    VenueOrderId,
)
from neural_trader.core.instruments import Instrument
from neural_trader.core.orders import Order
from neural_trader.core.values import USD, Currency, Money, Price, Quantity
from neural_trader.testkit.identifiers import TestIdStubs
from neural_trader.testkit.instruments import TestInstrumentProvider

__all__ = ["TestEventStubs"]

DEFAULT_TS = 1
"""The default event time: a valid timestamp (non-negative) that reads as 'early'."""


class TestEventStubs:
    """Builds core events with sensible defaults (after NautilusTrader's ``TestEventStubs``)."""

    __test__ = False  # tell pytest this is not a test class

    _ids: ClassVar[itertools.count[int]] = itertools.count(1)

    @classmethod
    def reset_ids(cls) -> None:
        """Restart the generated ids at 1 (``T-stub-1``, ``O-stub-1``, ``V-stub-1``)."""
        cls._ids = itertools.count(1)

    @classmethod
    def _next_id(cls) -> int:
        return next(cls._ids)

    @staticmethod
    def order_filled(
        side: OrderSide,
        qty: str | Quantity,
        px: str | Price,
        *,
        instrument: Instrument | None = None,
        trade_id: str | TradeId | None = None,
        client_order_id: str | ClientOrderId | None = None,
        venue_order_id: str | VenueOrderId | None = None,
        ts: int = DEFAULT_TS,
        commission: Money | str | None = None,
        account_id: AccountId | None = None,
        strategy_id: StrategyId | None = None,
        order_type: OrderType = OrderType.MARKET,
        liquidity_side: LiquiditySide = LiquiditySide.NONE,
    ) -> OrderFilled:
        """A fill of ``qty`` at ``px`` on ``side`` in ``instrument`` (default ``AAPL.NASDAQ``).

        ``commission`` is a :class:`Money`, or a decimal string read in the instrument's quote
        currency; by default the fill is free, so a test about cash or P&L sees only the trade
        unless it asks for a fee. ``ts`` stamps both ``ts_event`` and ``ts_init``. Ids not
        passed are generated (see the module notes); the account is
        :meth:`TestIdStubs.account_id` and the strategy :meth:`TestIdStubs.strategy_id`.
        """
        instrument = TestInstrumentProvider.aapl_nasdaq() if instrument is None else instrument
        return _fill(
            instrument_id=instrument.id,
            currency=instrument.quote_currency,
            side=side,
            order_type=order_type,
            qty=qty,
            px=px,
            trade_id=trade_id,
            client_order_id=client_order_id,
            venue_order_id=venue_order_id,
            ts=ts,
            commission=commission,
            account_id=account_id,
            strategy_id=strategy_id,
            liquidity_side=liquidity_side,
        )

    @staticmethod
    def order_filled_for(
        order: Order,
        qty: str | Quantity,
        px: str | Price,
        *,
        currency: Currency = USD,
        trade_id: str | TradeId | None = None,
        venue_order_id: str | VenueOrderId | None = None,
        ts: int = DEFAULT_TS,
        commission: Money | str | None = None,
        account_id: AccountId | None = None,
        liquidity_side: LiquiditySide = LiquiditySide.NONE,
    ) -> OrderFilled:
        """A fill of ``order``: its strategy, instrument, client order id, side and type.

        For tests of the order itself, which know the order but not its instrument object, so
        ``currency`` (that of ``px``) is passed rather than read from an instrument. The other
        parameters mean what they mean for :meth:`order_filled`.
        """
        return _fill(
            instrument_id=order.instrument_id,
            currency=currency,
            side=order.side,
            order_type=order.order_type,
            qty=qty,
            px=px,
            trade_id=trade_id,
            client_order_id=order.client_order_id,
            venue_order_id=venue_order_id,
            ts=ts,
            commission=commission,
            account_id=account_id,
            strategy_id=order.strategy_id,
            liquidity_side=liquidity_side,
        )


def _fill(
    *,
    instrument_id: InstrumentId,
    currency: Currency,
    side: OrderSide,
    order_type: OrderType,
    qty: str | Quantity,
    px: str | Price,
    trade_id: str | TradeId | None,
    client_order_id: str | ClientOrderId | None,
    venue_order_id: str | VenueOrderId | None,
    ts: int,
    commission: Money | str | None,
    account_id: AccountId | None,
    strategy_id: StrategyId | None,
    liquidity_side: LiquiditySide,
) -> OrderFilled:
    """The one place an :class:`OrderFilled` is assembled from the builders' defaults."""
    n = TestEventStubs._next_id()
    if commission is None:
        commission = Money(0, currency)
    elif isinstance(commission, str):
        commission = Money(commission, currency)
    return OrderFilled(
        strategy_id=TestIdStubs.strategy_id() if strategy_id is None else strategy_id,
        instrument_id=instrument_id,
        client_order_id=_id(ClientOrderId, client_order_id, f"O-stub-{n}"),
        account_id=TestIdStubs.account_id() if account_id is None else account_id,
        venue_order_id=_id(VenueOrderId, venue_order_id, f"V-stub-{n}"),
        trade_id=_id(TradeId, trade_id, f"T-stub-{n}"),
        order_side=side,
        order_type=order_type,
        last_qty=Quantity.from_str(qty) if isinstance(qty, str) else qty,
        last_px=Price.from_str(px) if isinstance(px, str) else px,
        currency=currency,
        commission=commission,
        liquidity_side=liquidity_side,
        ts_event=ts,
        ts_init=ts,
    )


_IdT = TypeVar("_IdT", ClientOrderId, VenueOrderId, TradeId)


def _id(kind: type[_IdT], value: str | _IdT | None, generated: str) -> _IdT:
    if value is None:
        return kind(generated)
    return kind(value) if isinstance(value, str) else value
