"""Fixed-point values: ``Price``, ``Quantity``, ``Money`` and the ``Currency`` registry.

Orders, fills and cash must add up to the cent. Binary floats cannot promise that (``0.1 + 0.2``
is not ``0.3``), so each value is an integer ``raw`` plus a decimal ``precision``: the value is
``raw * 10**-precision``, as in NautilusTrader (our ``raw`` is scaled by the value's own
precision, not by a global one). Sums and differences are integer arithmetic, hence exact.

Conversions that must round (from a float, or to a coarser precision) round half-to-even, the
IEEE and ``decimal`` default, which does not bias long sums up or down. Floats are read through
their shortest ``repr`` so ``from_float(0.1 + 0.2, 2)`` gives ``0.30``, not a binary artefact.

Values are immutable and hashable. Values of one type compare across precisions
(``Price("1.0") == Price("1.00")``); values of different types never compare equal, and Money of
different currencies cannot be added or ordered.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import ClassVar, Final, NoReturn, Self

from neural_trader.core.enums import CurrencyType
from neural_trader.core.errors import InvalidArgumentError

__all__ = [
    "AUD",
    "BTC",
    "CAD",
    "CHF",
    "DECIMAL_CONTEXT",
    "ETH",
    "EUR",
    "FIXED_PRECISION_MAX",
    "GBP",
    "JPY",
    "USD",
    "USDC",
    "USDT",
    "VALUE_MAX",
    "Currency",
    "Money",
    "Price",
    "Quantity",
]

FIXED_PRECISION_MAX: Final = 16
VALUE_MAX: Final = 10**16
"""Largest magnitude a value may hold: catches a nanosecond timestamp passed as a price."""

DECIMAL_CONTEXT: Final = Context(
    prec=100,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
"""A context wide enough that sums and products of in-range values never round."""

ValueSource = Decimal | int | float | str


def _fail_immutable(obj: object) -> NoReturn:
    raise AttributeError(f"{type(obj).__name__} is immutable")


def _to_decimal(value: object, what: str) -> Decimal:
    if isinstance(value, bool):
        raise InvalidArgumentError(f"{what} must be a number, got the boolean {value!r}")
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, float):
        d = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidArgumentError(f"{what} {value!r} is not a decimal number") from None
    else:
        raise InvalidArgumentError(
            f"{what} must be a Decimal, int, float or str, got {type(value).__name__}"
        )
    if not d.is_finite():
        raise InvalidArgumentError(f"{what} must be finite, got {value!r}")
    return d


def _check_precision(precision: object, what: str) -> int:
    if (
        not isinstance(precision, int)
        or isinstance(precision, bool)
        or not 0 <= precision <= FIXED_PRECISION_MAX
    ):
        raise InvalidArgumentError(
            f"{what} precision must be an integer from 0 to {FIXED_PRECISION_MAX}, "
            f"got {precision!r}"
        )
    return precision


def _places(d: Decimal) -> int:
    exponent = d.as_tuple().exponent
    assert isinstance(exponent, int)  # finite by construction
    return max(0, -exponent)


def _scale(d: Decimal, precision: int) -> int:
    """``d`` rounded half-even to ``precision`` places, as a raw integer."""
    scaled = d.scaleb(precision, context=DECIMAL_CONTEXT)
    return int(scaled.to_integral_value(rounding=ROUND_HALF_EVEN, context=DECIMAL_CONTEXT))


def _raw_to_decimal(raw: int, precision: int) -> Decimal:
    return Decimal(f"{raw}E-{precision}")


def _format(raw: int, precision: int) -> str:
    return f"{_raw_to_decimal(raw, precision):f}"


def _align(raw_a: int, prec_a: int, raw_b: int, prec_b: int) -> tuple[int, int, int]:
    """Both raws at the finer of the two precisions, and that precision."""
    p = max(prec_a, prec_b)
    return raw_a * 10 ** (p - prec_a), raw_b * 10 ** (p - prec_b), p


def _check_raw(raw: object, precision: int, what: str, *, signed: bool) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise InvalidArgumentError(f"{what} raw value must be an int, got {type(raw).__name__}")
    if abs(raw) > VALUE_MAX * 10**precision:
        raise InvalidArgumentError(
            f"{what} {_format(raw, precision)} is outside ±{VALUE_MAX:.0e}; "
            "is a timestamp or a raw value being passed as a decimal value?"
        )
    if not signed and raw < 0:
        raise InvalidArgumentError(f"{what} must not be negative, got {_format(raw, precision)}")
    return raw


class _FixedPoint:
    """Shared arithmetic of ``Price`` and ``Quantity``: same type in, same type out."""

    __slots__ = ("_precision", "_raw")
    _kind: ClassVar[str] = "value"
    _signed: ClassVar[bool] = True
    _raw: int
    _precision: int

    def __init__(self, value: ValueSource, precision: int) -> None:
        precision = _check_precision(precision, self._kind)
        self._set(_scale(_to_decimal(value, self._kind), precision), precision)

    def _set(self, raw: int, precision: int) -> None:
        _check_raw(raw, precision, self._kind, signed=self._signed)
        object.__setattr__(self, "_raw", raw)
        object.__setattr__(self, "_precision", precision)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        _fail_immutable(self)

    def __delattr__(self, name: str) -> NoReturn:
        _fail_immutable(self)

    @classmethod
    def from_raw(cls, raw: int, precision: int) -> Self:
        """The value ``raw * 10**-precision``: the exact inverse of ``.raw``/``.precision``."""
        precision = _check_precision(precision, cls._kind)
        obj = cls.__new__(cls)
        obj._set(raw, precision)
        return obj

    @classmethod
    def from_str(cls, value: str) -> Self:
        """Parse ``"1.2300"``; the precision is the number of decimals written (here 4)."""
        if not isinstance(value, str):
            raise InvalidArgumentError(f"{cls._kind} from_str needs a str, got {value!r}")
        d = _to_decimal(value, cls._kind)
        places = _places(d)
        if places > FIXED_PRECISION_MAX:
            raise InvalidArgumentError(
                f"{cls._kind} {value!r} has {places} decimals; at most {FIXED_PRECISION_MAX}"
            )
        return cls.from_raw(_scale(d, places), places)

    @classmethod
    def from_int(cls, value: int) -> Self:
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidArgumentError(f"{cls._kind} from_int needs an int, got {value!r}")
        return cls.from_raw(value, 0)

    @classmethod
    def from_float(cls, value: float, precision: int) -> Self:
        """Round ``value`` half-even to ``precision``: a float has no precision of its own."""
        return cls(value, precision)

    @classmethod
    def from_decimal(cls, value: Decimal, precision: int | None = None) -> Self:
        """``precision`` defaults to the decimal's own exponent, so nothing is rounded."""
        d = _to_decimal(value, cls._kind)
        if precision is None:
            precision = _places(d)
        return cls(d, precision)

    @property
    def raw(self) -> int:
        return self._raw

    @property
    def precision(self) -> int:
        return self._precision

    def as_decimal(self) -> Decimal:
        return _raw_to_decimal(self._raw, self._precision)

    def as_double(self) -> float:
        return float(self.as_decimal())

    def is_zero(self) -> bool:
        return self._raw == 0

    def is_positive(self) -> bool:
        return self._raw > 0

    def _cmp_raws(self, other: object) -> tuple[int, int] | None:
        if type(other) is not type(self):
            return None
        assert isinstance(other, _FixedPoint)
        a, b, _ = _align(self._raw, self._precision, other._raw, other._precision)
        return a, b

    def __eq__(self, other: object) -> bool:
        pair = self._cmp_raws(other)
        return pair is not None and pair[0] == pair[1]

    def __hash__(self) -> int:
        return hash(self.as_decimal())

    def __lt__(self, other: object) -> bool:
        pair = self._cmp_raws(other)
        if pair is None:
            return NotImplemented
        return pair[0] < pair[1]

    def __le__(self, other: object) -> bool:
        pair = self._cmp_raws(other)
        if pair is None:
            return NotImplemented
        return pair[0] <= pair[1]

    def __gt__(self, other: object) -> bool:
        pair = self._cmp_raws(other)
        if pair is None:
            return NotImplemented
        return pair[0] > pair[1]

    def __ge__(self, other: object) -> bool:
        pair = self._cmp_raws(other)
        if pair is None:
            return NotImplemented
        return pair[0] >= pair[1]

    def __add__(self, other: Self) -> Self:
        if type(other) is not type(self):
            return NotImplemented
        a, b, p = _align(self._raw, self._precision, other._raw, other._precision)
        return type(self).from_raw(a + b, p)

    def __sub__(self, other: Self) -> Self:
        if type(other) is not type(self):
            return NotImplemented
        a, b, p = _align(self._raw, self._precision, other._raw, other._precision)
        return type(self).from_raw(a - b, p)

    def __abs__(self) -> Self:
        return type(self).from_raw(abs(self._raw), self._precision)

    def __str__(self) -> str:
        return _format(self._raw, self._precision)

    def __repr__(self) -> str:
        return f"{type(self).__name__}('{self}')"

    def __reduce__(self) -> tuple[object, tuple[int, int]]:
        return (type(self).from_raw, (self._raw, self._precision))


class Price(_FixedPoint):
    """A price; may be negative (spreads, and futures have settled below zero)."""

    __slots__ = ()
    _kind: ClassVar[str] = "price"
    _signed: ClassVar[bool] = True

    def __neg__(self) -> Price:
        return Price.from_raw(-self._raw, self._precision)


class Quantity(_FixedPoint):
    """An order or fill size; never negative (the side carries the direction)."""

    __slots__ = ()
    _kind: ClassVar[str] = "quantity"
    _signed: ClassVar[bool] = False


_CODE_RE = re.compile(r"^[A-Z0-9]{2,16}$")


@dataclass(frozen=True, slots=True)
class Currency:
    """A currency: its code and how many decimals its amounts carry.

    Equality is by code and precision; name, ISO number and type describe, they do not
    identify.
    """

    code: str
    precision: int
    currency_type: CurrencyType = field(default=CurrencyType.FIAT, compare=False)
    name: str = field(default="", compare=False)
    iso4217: int = field(default=0, compare=False)

    _registry: ClassVar[dict[str, Currency]] = {}

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not _CODE_RE.match(self.code):
            raise InvalidArgumentError(
                f"currency code {self.code!r} must be 2 to 16 upper-case letters or digits"
            )
        _check_precision(self.precision, f"currency {self.code}")

    @classmethod
    def from_str(cls, code: str) -> Currency:
        """The registered currency with this code (case-insensitive)."""
        key = code.strip().upper() if isinstance(code, str) else ""
        found = cls._registry.get(key)
        if found is None:
            close = difflib.get_close_matches(key, list(cls._registry), n=3, cutoff=0.6)
            hint = (
                "did you mean " + ", ".join(close) + "?"
                if close
                else "register it first: Currency.register(Currency(code, precision))"
            )
            raise InvalidArgumentError(f"unknown currency {code!r}", hint=hint)
        return found

    @classmethod
    def register(cls, currency: Currency, *, overwrite: bool = False) -> Currency:
        """Add a currency to the registry; refuses to silently change an existing one."""
        existing = cls._registry.get(currency.code)
        if existing is not None and existing != currency and not overwrite:
            raise InvalidArgumentError(
                f"currency {currency.code} is already registered with precision "
                f"{existing.precision}; pass overwrite=True to replace it"
            )
        cls._registry[currency.code] = currency
        return currency

    @classmethod
    def registered(cls) -> tuple[Currency, ...]:
        return tuple(cls._registry.values())

    def __str__(self) -> str:
        return self.code


def _fiat(code: str, precision: int, name: str, iso: int) -> Currency:
    return Currency.register(Currency(code, precision, CurrencyType.FIAT, name, iso))


def _crypto(code: str, precision: int, name: str) -> Currency:
    return Currency.register(Currency(code, precision, CurrencyType.CRYPTO, name))


USD: Final = _fiat("USD", 2, "US dollar", 840)
CAD: Final = _fiat("CAD", 2, "Canadian dollar", 124)
EUR: Final = _fiat("EUR", 2, "Euro", 978)
GBP: Final = _fiat("GBP", 2, "Pound sterling", 826)
JPY: Final = _fiat("JPY", 0, "Japanese yen", 392)
CHF: Final = _fiat("CHF", 2, "Swiss franc", 756)
AUD: Final = _fiat("AUD", 2, "Australian dollar", 36)
_fiat("NZD", 2, "New Zealand dollar", 554)
_fiat("HKD", 2, "Hong Kong dollar", 344)
_fiat("SGD", 2, "Singapore dollar", 702)
_fiat("CNY", 2, "Chinese yuan", 156)
_fiat("CNH", 2, "Chinese yuan (offshore)", 0)
_fiat("SEK", 2, "Swedish krona", 752)
_fiat("NOK", 2, "Norwegian krone", 578)
_fiat("DKK", 2, "Danish krone", 208)
_fiat("MXN", 2, "Mexican peso", 484)
_fiat("INR", 2, "Indian rupee", 356)
_fiat("KRW", 0, "South Korean won", 410)
_fiat("BRL", 2, "Brazilian real", 986)
_fiat("ZAR", 2, "South African rand", 710)
_fiat("TRY", 2, "Turkish lira", 949)
_fiat("PLN", 2, "Polish zloty", 985)
Currency.register(Currency("XAU", 2, CurrencyType.COMMODITY, "Gold (troy ounce)", 959))
Currency.register(Currency("XAG", 2, CurrencyType.COMMODITY, "Silver (troy ounce)", 961))
BTC: Final = _crypto("BTC", 8, "Bitcoin")
ETH: Final = _crypto("ETH", 8, "Ether")
USDT: Final = _crypto("USDT", 6, "Tether")
USDC: Final = _crypto("USDC", 6, "USD Coin")
_crypto("SOL", 9, "Solana")
_crypto("BNB", 8, "BNB")
_crypto("XRP", 6, "XRP")
_crypto("ADA", 6, "Cardano")
_crypto("DOGE", 8, "Dogecoin")
_crypto("LTC", 8, "Litecoin")
_crypto("DOT", 10, "Polkadot")
_crypto("AVAX", 9, "Avalanche")
_crypto("DAI", 8, "Dai")


_MONEY_RE = re.compile(r"^\s*(\S+)\s+([A-Za-z0-9]{2,16})\s*$")


class Money:
    """An amount in a currency, held at the currency's precision.

    Building Money rounds half-even to that precision (``Money("1.005", USD)`` is ``1.00``);
    everything after that is integer arithmetic, exact. Money of different currencies cannot be
    added, subtracted or ordered: doing so raises, because a silent mix is a wrong number.
    """

    __slots__ = ("_currency", "_raw")
    _currency: Currency
    _raw: int

    def __init__(self, amount: ValueSource, currency: Currency) -> None:
        if not isinstance(currency, Currency):
            raise InvalidArgumentError(f"money needs a Currency, got {currency!r}")
        d = _to_decimal(amount, "money amount")
        self._set(_scale(d, currency.precision), currency)

    def _set(self, raw: int, currency: Currency) -> None:
        _check_raw(raw, currency.precision, f"money ({currency.code})", signed=True)
        object.__setattr__(self, "_raw", raw)
        object.__setattr__(self, "_currency", currency)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        _fail_immutable(self)

    def __delattr__(self, name: str) -> NoReturn:
        _fail_immutable(self)

    @classmethod
    def from_raw(cls, raw: int, currency: Currency) -> Money:
        obj = cls.__new__(cls)
        obj._set(raw, currency)
        return obj

    @classmethod
    def from_str(cls, value: str) -> Money:
        """Parse ``"100.25 USD"``; refuses more decimals than the currency carries."""
        m = _MONEY_RE.match(value) if isinstance(value, str) else None
        if m is None:
            raise InvalidArgumentError(
                f"money {value!r} is not of the form 'AMOUNT CODE' (for example '100.25 USD')"
            )
        currency = Currency.from_str(m.group(2))
        d = _to_decimal(m.group(1), "money amount")
        if _places(d) > currency.precision:
            raise InvalidArgumentError(
                f"money {value!r} has more decimals than {currency.code} carries "
                f"({currency.precision})"
            )
        return cls.from_raw(_scale(d, currency.precision), currency)

    @classmethod
    def zero(cls, currency: Currency) -> Money:
        return cls.from_raw(0, currency)

    @property
    def raw(self) -> int:
        return self._raw

    @property
    def currency(self) -> Currency:
        return self._currency

    @property
    def precision(self) -> int:
        return self._currency.precision

    @property
    def amount(self) -> Decimal:
        return self.as_decimal()

    def as_decimal(self) -> Decimal:
        return _raw_to_decimal(self._raw, self._currency.precision)

    def as_double(self) -> float:
        return float(self.as_decimal())

    def is_zero(self) -> bool:
        return self._raw == 0

    def _same_currency(self, other: Money, op: str) -> None:
        if other._currency != self._currency:
            raise InvalidArgumentError(
                f"cannot {op} {other} and {self}: the currencies differ; convert one first"
            )

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "add")
        return Money.from_raw(self._raw + other._raw, self._currency)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "subtract")
        return Money.from_raw(self._raw - other._raw, self._currency)

    def __neg__(self) -> Money:
        return Money.from_raw(-self._raw, self._currency)

    def __abs__(self) -> Money:
        return Money.from_raw(abs(self._raw), self._currency)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return False
        return self._currency == other._currency and self._raw == other._raw

    def __hash__(self) -> int:
        return hash((self._currency.code, self._raw))

    def __lt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "compare")
        return self._raw < other._raw

    def __le__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "compare")
        return self._raw <= other._raw

    def __gt__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "compare")
        return self._raw > other._raw

    def __ge__(self, other: Money) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "compare")
        return self._raw >= other._raw

    def __str__(self) -> str:
        return f"{_format(self._raw, self._currency.precision)} {self._currency.code}"

    def __repr__(self) -> str:
        return f"Money('{self}')"

    def __reduce__(self) -> tuple[object, tuple[int, Currency]]:
        return (Money.from_raw, (self._raw, self._currency))
