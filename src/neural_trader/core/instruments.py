"""Instruments: what can be traded, and the grid its prices and sizes must sit on.

An instrument is the one authority on valid prices and sizes: ``make_price`` / ``make_qty``
round a number onto the grid, ``validate_price`` / ``validate_qty`` refuse a value that is off it
with a message naming the nearest valid ones. Venues reject off-grid orders; catching it here
gives the error before the order leaves, in words a person can act on.

The grid may depend on the price: TSX and TSX Venture trade in $0.005 below $0.50 and $0.01 at or
above (UMIR 6.1), and the Betfair odds ladder widens with the odds. ``tick_size(price)`` says
which step applies; everything else goes through it.

``lot_size`` is the board lot, informative only: odd lots are legal, so it is not enforced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import ClassVar, Final

from neural_trader.core.enums import AssetClass, Exchange
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.core.identifiers import InstrumentId, Symbol, Venue
from neural_trader.core.values import CAD, DECIMAL_CONTEXT, USD, Currency, Price, Quantity

__all__ = [
    "BETFAIR_LADDER",
    "CryptoPair",
    "Equity",
    "Future",
    "FxPair",
    "Instrument",
    "PredictionOutcome",
    "SportsSelection",
    "tsx_tick_size",
]

Number = Decimal | float | int | str

_TSX_THRESHOLD: Final = Decimal("0.50")
_TSX_SUB_TICK: Final = Decimal("0.005")
_TSX_TICK: Final = Decimal("0.01")

BETFAIR_LADDER: Final[tuple[tuple[Decimal, Decimal, Decimal], ...]] = tuple(
    (Decimal(lo), Decimal(hi), Decimal(step))
    for lo, hi, step in (
        ("1.01", "2", "0.01"),
        ("2", "3", "0.02"),
        ("3", "4", "0.05"),
        ("4", "6", "0.1"),
        ("6", "10", "0.2"),
        ("10", "20", "0.5"),
        ("20", "30", "1"),
        ("30", "50", "2"),
        ("50", "100", "5"),
        ("100", "1000", "10"),
    )
)
"""Betfair price ladder: (from, to, step) in decimal odds; the step of a band applies from its
lower bound inclusive. Every band edge is a multiple of both neighbouring steps."""


def tsx_tick_size(price: Decimal) -> Decimal:
    """Minimum tick on TSX / TSX Venture: $0.005 below $0.50, else $0.01 (UMIR 6.1)."""
    return _TSX_SUB_TICK if price < _TSX_THRESHOLD else _TSX_TICK


def _to_decimal(value: Number | Price | Quantity, what: str) -> Decimal:
    if isinstance(value, Price | Quantity):
        return value.as_decimal()
    if isinstance(value, bool):
        raise InvalidArgumentError(f"{what} must be a number, got {value!r}")
    if isinstance(value, float):
        value = repr(value)
    try:
        d = Decimal(value)
    except ArithmeticError:
        raise InvalidArgumentError(f"{what} {value!r} is not a number") from None
    if not d.is_finite():
        raise InvalidArgumentError(f"{what} must be finite, got {value!r}")
    return d


def _round_to_step(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    units = DECIMAL_CONTEXT.divide(value, step)
    return DECIMAL_CONTEXT.multiply(
        units.to_integral_value(rounding=rounding, context=DECIMAL_CONTEXT), step
    )


def _is_multiple(value: Decimal, step: Decimal) -> bool:
    return value.remainder_near(step, context=DECIMAL_CONTEXT) == 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Instrument:
    """What every tradable thing has: identity, currency, and its price and size grid.

    ``multiplier`` turns price times quantity into money (100 for a US equity option, 50 for an
    E-mini); P&L in ``quote_currency`` is ``qty * price * multiplier``.
    """

    id: InstrumentId
    asset_class: AssetClass
    quote_currency: Currency
    price_precision: int
    price_increment: Price
    size_precision: int
    size_increment: Quantity
    multiplier: Decimal = Decimal(1)
    lot_size: Quantity | None = None
    min_quantity: Quantity | None = None
    max_quantity: Quantity | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    maker_fee: Decimal = Decimal(0)
    taker_fee: Decimal = Decimal(0)
    ts_event: int = 0
    ts_init: int = 0

    is_margined: ClassVar[bool] = False
    """True where a trade exchanges no notional, only P&L and margin (futures)."""

    def __post_init__(self) -> None:
        if not isinstance(self.id, InstrumentId):
            raise InvalidArgumentError(f"instrument id must be an InstrumentId, got {self.id!r}")
        name = str(self.id)
        if self.price_increment.precision != self.price_precision:
            raise InvalidArgumentError(
                f"{name}: price_increment {self.price_increment} has precision "
                f"{self.price_increment.precision}, but price_precision is {self.price_precision}"
            )
        if not self.price_increment.is_positive():
            raise InvalidArgumentError(f"{name}: price_increment must be positive")
        if self.size_increment.precision != self.size_precision:
            raise InvalidArgumentError(
                f"{name}: size_increment {self.size_increment} has precision "
                f"{self.size_increment.precision}, but size_precision is {self.size_precision}"
            )
        if not self.size_increment.is_positive():
            raise InvalidArgumentError(f"{name}: size_increment must be positive")
        if not isinstance(self.multiplier, Decimal) or self.multiplier <= 0:
            raise InvalidArgumentError(
                f"{name}: multiplier must be a positive Decimal, got {self.multiplier!r}"
            )
        if (
            self.min_quantity is not None
            and self.max_quantity is not None
            and self.min_quantity > self.max_quantity
        ):
            raise InvalidArgumentError(f"{name}: min_quantity is above max_quantity")
        if (
            self.min_price is not None
            and self.max_price is not None
            and self.min_price > self.max_price
        ):
            raise InvalidArgumentError(f"{name}: min_price is above max_price")

    @property
    def symbol(self) -> Symbol:
        return self.id.symbol

    @property
    def venue(self) -> Venue:
        return self.id.venue

    @property
    def base_currency(self) -> Currency | None:
        """The currency bought or sold, for spot pairs; ``None`` for everything else."""
        return None

    def tick_size(self, price: Decimal) -> Decimal:
        """The price step in force at ``price``."""
        return self.price_increment.as_decimal()

    def make_price(self, value: Number) -> Price:
        """``value`` rounded half-even to the nearest valid tick, at ``price_precision``."""
        d = _to_decimal(value, f"{self.id} price")
        rounded = _round_to_step(d, self.tick_size(d), ROUND_HALF_EVEN)
        price = Price(rounded, self.price_precision)
        self._check_price_bounds(price)
        return price

    def make_qty(self, value: Number, *, round_down: bool = False) -> Quantity:
        """``value`` rounded to the size increment (down with ``round_down``, so that sizing
        never spends more than it was given); a positive value that rounds to zero raises."""
        d = _to_decimal(value, f"{self.id} quantity")
        if d < 0:
            raise InvalidArgumentError(
                f"{self.id} quantity must not be negative, got {value}; the side carries direction"
            )
        step = self.size_increment.as_decimal()
        rounded = _round_to_step(d, step, ROUND_DOWN if round_down else ROUND_HALF_EVEN)
        if rounded == 0 and d > 0:
            raise InvalidArgumentError(
                f"{self.id} quantity {value} rounds to zero at the size increment {step}"
            )
        return Quantity(rounded, self.size_precision)

    def validate_price(self, price: Price) -> None:
        """Raise unless ``price`` is on this instrument's grid and within its bounds."""
        if not isinstance(price, Price):
            raise InvalidArgumentError(f"{self.id}: expected a Price, got {price!r}")
        self._check_price_bounds(price)
        d = price.as_decimal()
        step = self.tick_size(d)
        if not _is_multiple(d, step):
            below = _round_to_step(d, step, ROUND_FLOOR)
            raise InvalidArgumentError(
                f"price {price} is not a multiple of the tick size {step} for {self.id}; "
                f"nearest valid prices: {below} or {below + step}"
            )

    def validate_qty(self, qty: Quantity) -> None:
        """Raise unless ``qty`` is a positive multiple of the size increment within bounds."""
        if not isinstance(qty, Quantity):
            raise InvalidArgumentError(f"{self.id}: expected a Quantity, got {qty!r}")
        if not qty.is_positive():
            raise InvalidArgumentError(f"{self.id}: quantity must be positive, got {qty}")
        d = qty.as_decimal()
        step = self.size_increment.as_decimal()
        if not _is_multiple(d, step):
            below = _round_to_step(d, step, ROUND_DOWN)
            raise InvalidArgumentError(
                f"quantity {qty} is not a multiple of the size increment {step} for {self.id}; "
                f"nearest valid sizes: {below} or {below + step}"
            )
        if self.min_quantity is not None and qty < self.min_quantity:
            raise InvalidArgumentError(
                f"quantity {qty} is below the minimum {self.min_quantity} for {self.id}"
            )
        if self.max_quantity is not None and qty > self.max_quantity:
            raise InvalidArgumentError(
                f"quantity {qty} is above the maximum {self.max_quantity} for {self.id}"
            )

    def notional(self, qty: Quantity, price: Price) -> Decimal:
        """``qty * price * multiplier`` in the quote currency, exact."""
        traded = DECIMAL_CONTEXT.multiply(qty.as_decimal(), price.as_decimal())
        return DECIMAL_CONTEXT.multiply(traded, self.multiplier)

    def _check_price_bounds(self, price: Price) -> None:
        if self.min_price is not None and price < self.min_price:
            raise InvalidArgumentError(
                f"price {price} is below the minimum {self.min_price} for {self.id}"
            )
        if self.max_price is not None and price > self.max_price:
            raise InvalidArgumentError(
                f"price {price} is above the maximum {self.max_price} for {self.id}"
            )


_ISIN_RE = re.compile(r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$")
_TSX_RULE_EXCHANGES: Final = frozenset({Exchange.TSX, Exchange.TSXV})
_DEFAULT_EQUITY_CURRENCY: Final = {
    "US": USD,
    "CA": CAD,
}


def _isin_is_valid(isin: str) -> bool:
    """ISO 6166 check digit: letters become 10..35, then the Luhn sum must end in 0."""
    if not _ISIN_RE.match(isin):
        return False
    digits = "".join(str(int(c, 36)) for c in isin)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Equity(Instrument):
    """A share or ETF listed on ``exchange``.

    On TSX and TSX Venture the sub-$0.50 tick is $0.005, so such an equity needs
    ``price_precision`` of at least 3; :meth:`create` sets that up.
    """

    exchange: Exchange
    is_etf: bool = False
    isin: str | None = None

    def __post_init__(self) -> None:
        Instrument.__post_init__(self)
        if self.isin is not None and not _isin_is_valid(self.isin):
            raise InvalidArgumentError(
                f"{self.id}: ISIN {self.isin!r} is not valid (12 characters, check digit last)"
            )
        if self.exchange in _TSX_RULE_EXCHANGES and self.price_precision < 3:
            raise InvalidArgumentError(
                f"{self.id}: {self.exchange} trades in $0.005 below $0.50, which needs "
                f"price_precision 3, not {self.price_precision}"
            )

    @classmethod
    def create(
        cls,
        symbol: str,
        exchange: Exchange,
        *,
        quote_currency: Currency | None = None,
        is_etf: bool = False,
        isin: str | None = None,
        lot_size: int | None = 100,
    ) -> Equity:
        """An equity with the exchange's usual grid: $0.01 ticks (TSX/TSXV: $0.005 below
        $0.50), whole shares, and the exchange's home currency where it has one."""
        currency = quote_currency or _DEFAULT_EQUITY_CURRENCY.get(exchange.country)
        if currency is None:
            raise InvalidArgumentError(
                f"{exchange} has no default quote currency here (LSE lines may quote in pence); "
                "pass quote_currency"
            )
        tsx = exchange in _TSX_RULE_EXCHANGES
        increment = Price.from_str("0.010" if tsx else "0.01")
        return cls(
            id=InstrumentId(Symbol(symbol), Venue(exchange.value)),
            asset_class=AssetClass.EQUITY,
            quote_currency=currency,
            price_precision=increment.precision,
            price_increment=increment,
            size_precision=0,
            size_increment=Quantity.from_int(1),
            lot_size=None if lot_size is None else Quantity.from_int(lot_size),
            min_price=Price.from_raw(0, increment.precision),
            exchange=exchange,
            is_etf=is_etf,
            isin=isin,
        )

    def tick_size(self, price: Decimal) -> Decimal:
        if self.exchange in _TSX_RULE_EXCHANGES:
            return tsx_tick_size(price)
        return self.price_increment.as_decimal()


@dataclass(frozen=True, slots=True, kw_only=True)
class _SpotPair(Instrument):
    """What every spot pair has: a ``base`` bought or sold against the quote currency.

    Shared by :class:`FxPair` and :class:`CryptoPair`, whose cash-flow rule (receive the base,
    pay the quote) and validation are the same; private so it adds no public type.
    """

    base: Currency

    def __post_init__(self) -> None:
        Instrument.__post_init__(self)
        if self.base == self.quote_currency:
            raise InvalidArgumentError(f"{self.id}: base and quote currency are both {self.base}")

    @property
    def base_currency(self) -> Currency:
        return self.base


@dataclass(frozen=True, slots=True, kw_only=True)
class FxPair(_SpotPair):
    """A spot currency pair: buying ``EUR/USD`` receives EUR and pays USD.

    ``pip_size`` follows the market convention: 0.01 when JPY is the quote currency, else
    0.0001, whatever fractional-pip precision the venue quotes in.
    """

    @property
    def pip_size(self) -> Price:
        return Price.from_str("0.01" if self.quote_currency.code == "JPY" else "0.0001")


@dataclass(frozen=True, slots=True, kw_only=True)
class CryptoPair(_SpotPair):
    """A spot crypto pair on one venue (``BTC/USDT.BINANCE``): buying receives the base asset."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Future(Instrument):
    """A dated future: trading it moves P&L and margin, not the notional."""

    underlying: str
    expiry_ns: int
    activation_ns: int = 0

    is_margined: ClassVar[bool] = True

    def __post_init__(self) -> None:
        Instrument.__post_init__(self)
        if not self.underlying:
            raise InvalidArgumentError(f"{self.id}: a future needs an underlying")
        if self.expiry_ns <= self.activation_ns:
            raise InvalidArgumentError(f"{self.id}: expiry must come after activation")

    def is_expired(self, ts_ns: int) -> bool:
        return ts_ns >= self.expiry_ns


_ZERO_PRICE: Final = Decimal(0)
_ONE_PRICE: Final = Decimal(1)


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictionOutcome(Instrument):
    """One outcome of a binary-outcome market; a share pays 1 if the outcome happens, else 0.

    Its price is therefore a probability, bounded to [0, 1] whatever bounds are passed.
    """

    market_id: str
    outcome: str

    def __post_init__(self) -> None:
        Instrument.__post_init__(self)
        if not self.market_id or not self.outcome:
            raise InvalidArgumentError(f"{self.id}: market_id and outcome must be non-empty")
        low = Price(_ZERO_PRICE, self.price_precision)
        high = Price(_ONE_PRICE, self.price_precision)
        if self.min_price is None or self.min_price < low:
            object.__setattr__(self, "min_price", low)
        if self.max_price is None or self.max_price > high:
            object.__setattr__(self, "max_price", high)


_MIN_ODDS: Final = Decimal(1)


@dataclass(frozen=True, slots=True, kw_only=True)
class SportsSelection(Instrument):
    """A selection in a sports betting market, priced in decimal odds (> 1).

    Quantity is the stake. With ``betfair_ladder`` the odds must sit on the Betfair ladder
    (1.01 to 1000, steps widening with the odds); otherwise on ``price_increment``.
    """

    event_id: str
    market: str
    selection: str
    betfair_ladder: bool = False

    def __post_init__(self) -> None:
        Instrument.__post_init__(self)
        if not self.event_id or not self.market or not self.selection:
            raise InvalidArgumentError(
                f"{self.id}: event_id, market and selection must be non-empty"
            )
        if self.betfair_ladder:
            if self.price_precision < 2:
                raise InvalidArgumentError(
                    f"{self.id}: the Betfair ladder needs price_precision 2 or more"
                )
            object.__setattr__(self, "min_price", Price(BETFAIR_LADDER[0][0], self.price_precision))
            object.__setattr__(
                self, "max_price", Price(BETFAIR_LADDER[-1][1], self.price_precision)
            )

    def tick_size(self, price: Decimal) -> Decimal:
        if not self.betfair_ladder:
            return self.price_increment.as_decimal()
        for low, high, step in BETFAIR_LADDER:
            if price < high:
                return step if price >= low else BETFAIR_LADDER[0][2]
        return BETFAIR_LADDER[-1][2]

    def _check_price_bounds(self, price: Price) -> None:
        if price.as_decimal() <= _MIN_ODDS:
            raise InvalidArgumentError(
                f"odds {price} for {self.id} must be above 1 (decimal odds include the stake)"
            )
        Instrument._check_price_bounds(self, price)
