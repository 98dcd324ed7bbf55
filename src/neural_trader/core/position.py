"""A netting position: one signed quantity per instrument and account, built from fills.

The position keeps its **cost basis** (the signed sum of ``qty * price * multiplier`` of what
is still open) rather than an average price. A reduction removes the matching share of the
cost, and realised P&L is what the reduction brought in minus that share. Whatever rounding
the share needs (a third of a cost rarely terminates) is absorbed by realised P&L, so for any
sequence of fills, exactly, in ``Decimal``::

    realised + unrealised(p) == sum(-side * qty * px * m for each fill) + position * p * m

A fill that crosses zero (a flip) closes the whole position at the fill price and opens the
remainder on the other side at that same price.

Realised P&L here is *trading* P&L: gross of commissions, which are accumulated per currency
beside it (a commission may be charged in another currency, BNB say, and subtracting would mix
currencies). Realised P&L accumulates over the position's whole life, across closes and
reopens, because the netting position is the instrument's account of P&L.

A fill whose trade id was already applied raises ``InvalidArgumentError`` (refused, not ignored):
the execution engine deduplicates venue reports before they get here, so a duplicate is a replay
or routing bug upstream, and ignoring it would hide that bug.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final, NamedTuple, TypedDict

from neural_trader.core.enums import PositionSide
from neural_trader.core.errors import InvalidArgumentError, NotSupportedError
from neural_trader.core.events import (
    OrderFilled,
    PositionChanged,
    PositionClosed,
    PositionEvent,
    PositionOpened,
)
from neural_trader.core.identifiers import AccountId, InstrumentId, PositionId, TradeId
from neural_trader.core.instruments import Instrument, SportsSelection
from neural_trader.core.values import (
    DECIMAL_CONTEXT,
    FIXED_PRECISION_MAX,
    Currency,
    Money,
    Price,
    Quantity,
)

__all__ = ["Position"]

_CTX: Final = DECIMAL_CONTEXT
_COST_QUANTUM: Final = Decimal(1).scaleb(-2 * FIXED_PRECISION_MAX)
_AVG_QUANTUM: Final = Decimal(1).scaleb(-FIXED_PRECISION_MAX)
_ZERO: Final = Decimal(0)


class _Snapshot(TypedDict):
    position_id: PositionId
    instrument_id: InstrumentId
    account_id: AccountId
    side: PositionSide
    signed_qty: Decimal
    avg_px_open: Decimal
    realized_pnl: Money
    last_trade_id: TradeId
    ts_opened: int
    ts_event: int
    ts_init: int


class _State(NamedTuple):
    qty: Decimal
    cost: Decimal
    realized: Decimal


def _sign(d: Decimal) -> int:
    return (d > 0) - (d < 0)


def _signed(d: Decimal, direction: int) -> Decimal:
    """``d * direction`` for direction ±1, without the context rounding ``-d`` would apply."""
    return d if direction > 0 else d.copy_negate()


def _tidy(d: Decimal) -> Decimal:
    """``d`` as is if it has at most 16 decimals, else rounded to 16 (a recurring average)."""
    exponent = d.as_tuple().exponent
    assert isinstance(exponent, int)
    return d.quantize(_AVG_QUANTUM, context=_CTX) if -exponent > FIXED_PRECISION_MAX else d


class Position:
    """The net position in one instrument for one account."""

    __slots__ = (
        "_account_id",
        "_commissions",
        "_cost",
        "_fills",
        "_id",
        "_instrument",
        "_last_avg_open",
        "_qty",
        "_realized",
        "_trade_ids",
        "_ts_closed",
        "_ts_opened",
    )

    def __init__(
        self,
        instrument: Instrument,
        account_id: AccountId,
        *,
        position_id: PositionId | None = None,
    ) -> None:
        if isinstance(instrument, SportsSelection):
            raise NotSupportedError(
                f"{instrument.id}: a bet settles on the outcome, not on a price, so it is not a "
                "netting position; sports stakes are handled by the sports markets package"
            )
        self._instrument = instrument
        self._account_id = account_id
        self._id = position_id or PositionId(f"{instrument.id}-{account_id}")
        self._qty = _ZERO
        self._cost = _ZERO
        self._realized = _ZERO
        self._last_avg_open = _ZERO
        self._commissions: dict[Currency, Money] = {}
        self._trade_ids: set[TradeId] = set()
        self._fills: list[OrderFilled] = []
        self._ts_opened: int | None = None
        self._ts_closed: int | None = None

    # -- what it is -------------------------------------------------------------------------

    @property
    def id(self) -> PositionId:
        return self._id

    @property
    def instrument(self) -> Instrument:
        return self._instrument

    @property
    def instrument_id(self) -> InstrumentId:
        return self._instrument.id

    @property
    def account_id(self) -> AccountId:
        return self._account_id

    @property
    def currency(self) -> Currency:
        """P&L currency: the instrument's quote currency (linear instruments only)."""
        return self._instrument.quote_currency

    @property
    def signed_qty(self) -> Decimal:
        return self._qty

    @property
    def quantity(self) -> Quantity:
        return Quantity.from_decimal(self._qty.copy_abs())

    @property
    def side(self) -> PositionSide:
        if self._qty > 0:
            return PositionSide.LONG
        if self._qty < 0:
            return PositionSide.SHORT
        return PositionSide.FLAT

    @property
    def is_open(self) -> bool:
        return self._qty != 0

    @property
    def is_closed(self) -> bool:
        """Flat after at least one fill."""
        return self._qty == 0 and bool(self._fills)

    @property
    def cost_basis(self) -> Decimal:
        """Signed ``qty * price * multiplier`` of the open part, in the quote currency."""
        return self._cost

    @property
    def avg_px_open(self) -> Decimal | None:
        """Average price of the open part; ``None`` when flat."""
        if self._qty == 0:
            return None
        return self._avg_open(self._qty, self._cost)

    @property
    def ts_opened(self) -> int | None:
        return self._ts_opened

    @property
    def ts_closed(self) -> int | None:
        return self._ts_closed

    @property
    def fills(self) -> tuple[OrderFilled, ...]:
        return tuple(self._fills)

    @property
    def trade_ids(self) -> frozenset[TradeId]:
        return frozenset(self._trade_ids)

    # -- P&L --------------------------------------------------------------------------------

    @property
    def realized_pnl_exact(self) -> Decimal:
        return self._realized

    @property
    def realized_pnl(self) -> Money:
        """Realised trading P&L, rounded half-even to the currency (gross of commissions)."""
        return Money(self._realized, self.currency)

    def unrealized_pnl_exact(self, price: Price | Decimal) -> Decimal:
        """What closing everything at ``price`` would realise, exactly."""
        return _CTX.subtract(self.market_value_exact(price), self._cost)

    def unrealized_pnl(self, price: Price | Decimal) -> Money:
        return Money(self.unrealized_pnl_exact(price), self.currency)

    def total_pnl(self, price: Price | Decimal) -> Money:
        """Realised plus unrealised, summed exactly and rounded once."""
        return Money(_CTX.add(self._realized, self.unrealized_pnl_exact(price)), self.currency)

    def market_value_exact(self, price: Price | Decimal) -> Decimal:
        """Signed ``qty * price * multiplier``: what the open part is worth at ``price``."""
        px = price.as_decimal() if isinstance(price, Price) else price
        return _CTX.multiply(_CTX.multiply(self._qty, px), self._instrument.multiplier)

    def commissions(self) -> tuple[Money, ...]:
        """Commissions paid, one Money per currency they were charged in."""
        return tuple(self._commissions.values())

    # -- fills ------------------------------------------------------------------------------

    def validate_fill(self, fill: OrderFilled) -> None:
        """Raise if :meth:`apply` would refuse ``fill``; changes nothing."""
        if fill.instrument_id != self._instrument.id:
            raise InvalidArgumentError(
                f"fill {fill.trade_id} is for {fill.instrument_id}, "
                f"not for position {self._id} in {self._instrument.id}"
            )
        if fill.account_id != self._account_id:
            raise InvalidArgumentError(
                f"fill {fill.trade_id} is for account {fill.account_id}, "
                f"but position {self._id} belongs to {self._account_id}"
            )
        if fill.trade_id in self._trade_ids:
            raise InvalidArgumentError(
                f"fill {fill.trade_id} was already applied to position {self._id}; "
                "each trade id is applied exactly once"
            )

    def realized_change(self, fill: OrderFilled) -> Decimal:
        """The realised P&L ``fill`` would add, exactly, without applying it."""
        self.validate_fill(fill)
        return _CTX.subtract(self._next(fill).realized, self._realized)

    def apply(self, fill: OrderFilled) -> PositionEvent:
        """Apply one fill and return the event describing the position after it."""
        self.validate_fill(fill)
        was_flat = self._qty == 0
        old_sign = _sign(self._qty)
        state = self._next(fill)
        self._qty, self._cost, self._realized = state
        self._trade_ids.add(fill.trade_id)
        self._fills.append(fill)
        fee = fill.commission
        prior = self._commissions.get(fee.currency)
        self._commissions[fee.currency] = fee if prior is None else prior + fee
        flipped = old_sign != 0 and _sign(self._qty) == -old_sign
        if was_flat or flipped:
            self._ts_opened = fill.ts_event
            self._ts_closed = None
        if self._qty != 0:
            self._last_avg_open = self._avg_open(self._qty, self._cost)
        ts_opened = self._ts_opened if self._ts_opened is not None else fill.ts_event
        if self._qty == 0:
            self._ts_closed = fill.ts_event
            return PositionClosed(ts_closed=fill.ts_event, **self._snapshot(fill, ts_opened))
        if was_flat:
            return PositionOpened(**self._snapshot(fill, ts_opened))
        return PositionChanged(**self._snapshot(fill, ts_opened))

    def _snapshot(self, fill: OrderFilled, ts_opened: int) -> _Snapshot:
        return {
            "position_id": self._id,
            "instrument_id": self._instrument.id,
            "account_id": self._account_id,
            "side": self.side,
            "signed_qty": self._qty,
            "avg_px_open": self._last_avg_open,
            "realized_pnl": self.realized_pnl,
            "last_trade_id": fill.trade_id,
            "ts_opened": ts_opened,
            "ts_event": fill.ts_event,
            "ts_init": fill.ts_init,
        }

    def _next(self, fill: OrderFilled) -> _State:
        m = self._instrument.multiplier
        px = fill.last_px.as_decimal()
        direction = fill.order_side.sign
        size = fill.last_qty.as_decimal()
        qty, cost, realized = self._qty, self._cost, self._realized
        if qty == 0 or _sign(qty) == direction:
            signed_size = _signed(size, direction)
            traded = _CTX.multiply(_CTX.multiply(signed_size, px), m)
            return _State(_CTX.add(qty, signed_size), _CTX.add(cost, traded), realized)
        held = qty.copy_abs()
        closing = min(size, held)
        if closing == held:
            removed = cost
        else:
            share = _CTX.divide(_CTX.multiply(cost, closing), held)
            removed = share.quantize(_COST_QUANTUM, context=_CTX)
        proceeds = _CTX.multiply(_CTX.multiply(_signed(closing, -direction), px), m)
        realized = _CTX.add(realized, _CTX.subtract(proceeds, removed))
        cost = _CTX.subtract(cost, removed)
        qty = _CTX.add(qty, _signed(closing, direction))
        rest = _CTX.subtract(size, closing)
        if rest > 0:  # flip: reopen the remainder on the other side at the fill price
            qty = _signed(rest, direction)
            cost = _CTX.multiply(_CTX.multiply(qty, px), m)
        return _State(qty, cost, realized)

    def _avg_open(self, qty: Decimal, cost: Decimal) -> Decimal:
        return _tidy(_CTX.divide(cost, _CTX.multiply(qty, self._instrument.multiplier)))

    def __repr__(self) -> str:
        return (
            f"Position({self._id}, {self.side} {self._qty.copy_abs()} {self._instrument.id}, "
            f"avg {self.avg_px_open}, realised {self.realized_pnl})"
        )
