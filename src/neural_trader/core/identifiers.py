"""Typed identifiers.

Each identifier is its own type so that a ``ClientOrderId`` can never be passed where an
``InstrumentId`` is expected, and each parses from and prints to one canonical string.
Identifiers are immutable, hashable and compare by value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Self

from neural_trader.core.errors import InvalidArgumentError

__all__ = [
    "AccountId",
    "ClientOrderId",
    "Identifier",
    "InstrumentId",
    "PositionId",
    "StrategyId",
    "Symbol",
    "TradeId",
    "Venue",
    "VenueOrderId",
]

# Printable, no whitespace, no path separators that could escape a folder.
_VALUE_RE = re.compile(r"^[^\s\\]+$")


@dataclass(frozen=True, slots=True, order=True)
class Identifier:
    """A non-empty string without whitespace."""

    value: str
    kind: ClassVar[str] = "identifier"

    def __post_init__(self) -> None:
        if not isinstance(self.value, str) or not self.value:
            raise InvalidArgumentError(
                f"{self.kind} must be a non-empty string, got {self.value!r}"
            )
        if not _VALUE_RE.match(self.value):
            raise InvalidArgumentError(
                f"{self.kind} {self.value!r} contains whitespace or a backslash"
            )

    @classmethod
    def from_str(cls, value: str) -> Self:
        return cls(value)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True, order=True)
class Symbol(Identifier):
    """A ticker as the venue writes it: ``AAPL``, ``RCI.B``, ``BTC/USDT``, ``EUR/USD``."""

    kind: ClassVar[str] = "symbol"


@dataclass(frozen=True, slots=True, order=True)
class Venue(Identifier):
    """Where an instrument trades: an exchange (``NYSE``, ``TSX``), a broker or a bookmaker."""

    kind: ClassVar[str] = "venue"

    def __post_init__(self) -> None:
        Identifier.__post_init__(self)
        if "." in self.value:
            raise InvalidArgumentError(f"venue {self.value!r} must not contain '.'")


@dataclass(frozen=True, slots=True, order=True)
class InstrumentId:
    """``SYMBOL.VENUE``; the symbol may itself contain dots (``RCI.B.TSX``), the venue may not."""

    symbol: Symbol
    venue: Venue

    @classmethod
    def from_str(cls, value: str) -> InstrumentId:
        symbol, sep, venue = value.rpartition(".")
        if not sep or not symbol or not venue:
            raise InvalidArgumentError(
                f"instrument id {value!r} is not of the form SYMBOL.VENUE (for example AAPL.NASDAQ)"
            )
        return cls(Symbol(symbol), Venue(venue))

    @classmethod
    def of(cls, symbol: str, venue: str) -> InstrumentId:
        return cls(Symbol(symbol), Venue(venue))

    @property
    def value(self) -> str:
        return f"{self.symbol.value}.{self.venue.value}"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True, order=True)
class ClientOrderId(Identifier):
    """Our id for an order, unique for the life of the account, assigned before it is sent."""

    kind: ClassVar[str] = "client order id"


@dataclass(frozen=True, slots=True, order=True)
class VenueOrderId(Identifier):
    """The venue's id for an order, known once the venue accepted it."""

    kind: ClassVar[str] = "venue order id"


@dataclass(frozen=True, slots=True, order=True)
class TradeId(Identifier):
    """The venue's id for one execution; used to apply each fill exactly once."""

    kind: ClassVar[str] = "trade id"


@dataclass(frozen=True, slots=True, order=True)
class PositionId(Identifier):
    kind: ClassVar[str] = "position id"


@dataclass(frozen=True, slots=True, order=True)
class AccountId(Identifier):
    """``BROKER-NUMBER``, for example ``PAPER-001`` or ``ALPACA-PA1234``."""

    kind: ClassVar[str] = "account id"


@dataclass(frozen=True, slots=True, order=True)
class StrategyId(Identifier):
    """``Name-tag``, for example ``SmaCross-001``."""

    kind: ClassVar[str] = "strategy id"
