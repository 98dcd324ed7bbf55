"""Enumerations of the domain model.

Every enum is a ``StrEnum`` whose value is its upper-case name, so an enum member prints,
logs and serialises as the same word a person would type (``BUY``, ``GTC``, ``FILLED``), and
``OrderSide("BUY")`` parses it back.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

__all__ = [
    "AccountType",
    "AssetClass",
    "CurrencyType",
    "Exchange",
    "LiquiditySide",
    "OrderSide",
    "OrderStatus",
    "OrderType",
    "PositionSide",
    "TimeInForce",
]


class OrderSide(StrEnum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        """+1 for a buy, -1 for a sell: the sign a fill adds to a position's quantity."""
        return 1 if self is OrderSide.BUY else -1

    @property
    def opposite(self) -> OrderSide:
        return OrderSide.SELL if self is OrderSide.BUY else OrderSide.BUY


class OrderType(StrEnum):
    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"
    """A stop-market order: becomes a market order once the trigger price trades."""
    STOP_LIMIT = "STOP_LIMIT"


class TimeInForce(StrEnum):
    DAY = "DAY"
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class OrderStatus(StrEnum):
    """Where an order is in its life.

    ``NEW`` is an alias of ``INITIALIZED`` (``OrderStatus.NEW is OrderStatus.INITIALIZED``):
    brokers say "new" for an order that exists but has not been sent, and NautilusTrader, whose
    state table we follow, says "initialized". One member keeps the transition table single.
    """

    INITIALIZED = "INITIALIZED"
    NEW = "INITIALIZED"
    DENIED = "DENIED"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    PENDING_CANCEL = "PENDING_CANCEL"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"

    @property
    def is_closed(self) -> bool:
        """True once the venue will do nothing more with the order (a late fill aside)."""
        return self in _CLOSED_STATUSES

    @property
    def is_open(self) -> bool:
        """True while the order may still trade at the venue."""
        return self in _OPEN_STATUSES


_CLOSED_STATUSES: Final = frozenset(
    {
        OrderStatus.DENIED,
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.REJECTED,
        OrderStatus.EXPIRED,
    }
)
_OPEN_STATUSES: Final = frozenset(
    {
        OrderStatus.SUBMITTED,
        OrderStatus.ACCEPTED,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.PENDING_CANCEL,
    }
)


class PositionSide(StrEnum):
    FLAT = "FLAT"
    LONG = "LONG"
    SHORT = "SHORT"


class LiquiditySide(StrEnum):
    """Whether a fill added liquidity (maker) or took it (taker); venues price them apart."""

    MAKER = "MAKER"
    TAKER = "TAKER"
    NONE = "NONE"


class AssetClass(StrEnum):
    EQUITY = "EQUITY"
    FX = "FX"
    CRYPTO = "CRYPTO"
    COMMODITY = "COMMODITY"
    INDEX = "INDEX"
    DEBT = "DEBT"
    PREDICTION = "PREDICTION"
    SPORTS = "SPORTS"


class CurrencyType(StrEnum):
    FIAT = "FIAT"
    CRYPTO = "CRYPTO"
    COMMODITY = "COMMODITY"


class AccountType(StrEnum):
    """A cash account may never owe; a margin account may borrow (negative cash)."""

    CASH = "CASH"
    MARGIN = "MARGIN"


class Exchange(StrEnum):
    """Equity listing venues. The value doubles as the ``Venue`` of an ``InstrumentId``.

    ``NEO`` is Cboe Canada (formerly the NEO Exchange); ``CBOE_CANADA`` is an alias of it so both
    names a Canadian investor meets resolve to one venue.
    """

    NYSE = "NYSE"
    NASDAQ = "NASDAQ"
    AMEX = "AMEX"
    NYSE_ARCA = "ARCA"
    BATS = "BATS"
    TSX = "TSX"
    TSXV = "TSXV"
    CSE = "CSE"
    NEO = "NEO"
    CBOE_CANADA = "NEO"
    LSE = "LSE"
    XETRA = "XETRA"
    EURONEXT = "EURONEXT"
    ASX = "ASX"
    TSE = "TSE"
    HKEX = "HKEX"

    @property
    def country(self) -> str:
        """ISO 3166 alpha-2 country of the exchange."""
        return _EXCHANGE_COUNTRY[self]


_EXCHANGE_COUNTRY: Final = {
    Exchange.NYSE: "US",
    Exchange.NASDAQ: "US",
    Exchange.AMEX: "US",
    Exchange.NYSE_ARCA: "US",
    Exchange.BATS: "US",
    Exchange.TSX: "CA",
    Exchange.TSXV: "CA",
    Exchange.CSE: "CA",
    Exchange.NEO: "CA",
    Exchange.LSE: "GB",
    Exchange.XETRA: "DE",
    Exchange.EURONEXT: "EU",
    Exchange.ASX: "AU",
    Exchange.TSE: "JP",
    Exchange.HKEX: "HK",
}
