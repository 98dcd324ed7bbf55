"""A small catalogue of realistic instruments, each defined once.

Tests across the core (accounts, positions, portfolios, orders) need the same handful of
instruments, each exercising a different cash-flow rule: an equity pays notional in its quote
currency, a spot crypto pair moves two balances, a future moves only P&L through its multiplier,
a TSX listing has the half-cent tick. Spelling each out in every test module let the copies drift
(one ``BTC/USDT`` had a minimum quantity, another did not) and buried the test's point under
twelve lines of constructor; here each is one call whose name says what it is.

Every method returns a fresh, frozen instrument; instruments compare by value, so two calls give
equal objects.
"""

from __future__ import annotations

from decimal import Decimal

from neural_trader.core.datetime import iso_to_ns
from neural_trader.core.enums import AssetClass, Exchange
from neural_trader.core.identifiers import InstrumentId
from neural_trader.core.instruments import (
    CryptoPair,
    Equity,
    Future,
    FxPair,
    PredictionOutcome,
    SportsSelection,
)
from neural_trader.core.values import BTC, GBP, USD, USDC, USDT, Currency, Price, Quantity

__all__ = ["TestInstrumentProvider"]

_ESZ4_EXPIRY_NS = iso_to_ns("2024-12-20T14:30:00Z")
"""When ESZ4 really stopped trading: the third Friday of December 2024, 09:30 New York time."""


class TestInstrumentProvider:
    """Factory methods for the instruments the tests share (after NautilusTrader's)."""

    __test__ = False  # tell pytest this is not a test class

    @staticmethod
    def aapl_nasdaq() -> Equity:
        """``AAPL.NASDAQ``: a US equity in USD, cent ticks, whole shares."""
        return Equity.create("AAPL", Exchange.NASDAQ)

    @staticmethod
    def ry_tsx() -> Equity:
        """``RY.TSX``: a Canadian equity in CAD, under the TSX half-cent rule (precision 3)."""
        return Equity.create("RY", Exchange.TSX)

    @staticmethod
    def btcusdt_binance(*, min_quantity: str | None = None) -> CryptoPair:
        """``BTC/USDT.BINANCE``: a spot pair, prices to the cent, sizes to 0.00001 BTC.

        ``min_quantity`` (a decimal string, for example ``"0.00010"``) sets the venue minimum
        for tests of that check; by default there is none.
        """
        return CryptoPair(
            id=InstrumentId.of("BTC/USDT", "BINANCE"),
            asset_class=AssetClass.CRYPTO,
            base=BTC,
            quote_currency=USDT,
            price_precision=2,
            price_increment=Price.from_str("0.01"),
            size_precision=5,
            size_increment=Quantity.from_str("0.00001"),
            min_quantity=None if min_quantity is None else Quantity.from_str(min_quantity),
        )

    @staticmethod
    def es_future(*, expiry_ns: int = _ESZ4_EXPIRY_NS, activation_ns: int = 0) -> Future:
        """``ESZ4.CME``: the E-mini S&P 500 future, multiplier 50, quarter-point ticks, in USD.

        By default it expires when the real contract did (2024-12-20); nothing in the core
        refuses a fill on an expired future, so fills stamped with small test timestamps work.
        Pass ``expiry_ns`` / ``activation_ns`` to test expiry itself.
        """
        return Future(
            id=InstrumentId.of("ESZ4", "CME"),
            asset_class=AssetClass.INDEX,
            quote_currency=USD,
            price_precision=2,
            price_increment=Price.from_str("0.25"),
            size_precision=0,
            size_increment=Quantity.from_int(1),
            multiplier=Decimal(50),
            underlying="ES",
            expiry_ns=expiry_ns,
            activation_ns=activation_ns,
        )

    @staticmethod
    def fx_pair(base: str, quote: str, *, precision: int = 5, venue: str = "IDEALPRO") -> FxPair:
        """Spot ``BASE/QUOTE`` quoted to ``precision`` decimals (5 for most, 3 for yen quotes).

        No check is added here: ``fx_pair("USD", "USD")`` reaches :class:`FxPair`'s own
        validation, so tests of that validation can use it too.
        """
        return FxPair(
            id=InstrumentId.of(f"{base}/{quote}", venue),
            asset_class=AssetClass.FX,
            base=Currency.from_str(base),
            quote_currency=Currency.from_str(quote),
            price_precision=precision,
            price_increment=Price.from_raw(1, precision),
            size_precision=0,
            size_increment=Quantity.from_int(1),
        )

    @staticmethod
    def eurusd() -> FxPair:
        """``EUR/USD.IDEALPRO`` quoted to five decimals (tenths of a pip)."""
        return TestInstrumentProvider.fx_pair("EUR", "USD", precision=5)

    @staticmethod
    def polymarket_outcome() -> PredictionOutcome:
        """``ELECTION-YES.POLYMARKET``: a binary outcome in USDC, priced 0 to 1 in cents."""
        return PredictionOutcome(
            id=InstrumentId.of("ELECTION-YES", "POLYMARKET"),
            asset_class=AssetClass.PREDICTION,
            quote_currency=USDC,
            price_precision=2,
            price_increment=Price.from_str("0.01"),
            size_precision=2,
            size_increment=Quantity.from_str("0.01"),
            market_id="0xabc",
            outcome="Yes",
        )

    @staticmethod
    def betfair_selection() -> SportsSelection:
        """A Betfair match-odds selection in GBP on the Betfair odds ladder."""
        return SportsSelection(
            id=InstrumentId.of("1.2345-47972", "BETFAIR"),
            asset_class=AssetClass.SPORTS,
            quote_currency=GBP,
            price_precision=2,
            price_increment=Price.from_str("0.01"),
            size_precision=2,
            size_increment=Quantity.from_str("0.01"),
            event_id="32000000",
            market="MATCH_ODDS",
            selection="Arsenal",
            betfair_ladder=True,
        )
