from __future__ import annotations

from decimal import Decimal

import pytest

from neural_trader.core.enums import AssetClass, Exchange
from neural_trader.core.errors import InvalidArgumentError, NotSupportedError
from neural_trader.core.identifiers import AccountId, InstrumentId
from neural_trader.core.instruments import CryptoPair, Equity, tsx_tick_size
from neural_trader.core.position import Position
from neural_trader.core.values import BTC, CAD, EUR, GBP, JPY, USD, USDT, Price, Quantity
from neural_trader.testkit import TestInstrumentProvider

_fx = TestInstrumentProvider.fx_pair


def _btc_usdt() -> CryptoPair:
    """BTC/USDT with a venue minimum of 0.0001 BTC, for the minimum-quantity checks."""
    return TestInstrumentProvider.btcusdt_binance(min_quantity="0.00010")


# -- equities ---------------------------------------------------------------------------------


def test_equity_create_on_nasdaq_uses_cents_and_usd() -> None:
    aapl = Equity.create("AAPL", Exchange.NASDAQ, isin="US0378331005")
    assert str(aapl.id) == "AAPL.NASDAQ"
    assert aapl.quote_currency == USD
    assert aapl.make_price(189.1234) == Price.from_str("189.12")
    assert aapl.make_qty(10.4) == Quantity.from_int(10)


def test_equity_on_tsx_uses_half_cent_tick_below_fifty_cents() -> None:
    penny = Equity.create("XYZ", Exchange.TSXV)
    assert penny.quote_currency == CAD
    assert penny.make_price(0.3333) == Price.from_str("0.335")
    assert penny.make_price(0.7333) == Price.from_str("0.730")
    assert tsx_tick_size(Decimal("0.49")) == Decimal("0.005")
    assert tsx_tick_size(Decimal("0.50")) == Decimal("0.01")


def test_equity_on_tsx_validate_price_refuses_half_cent_above_threshold() -> None:
    shop = Equity.create("SHOP", Exchange.TSX)
    shop.validate_price(Price.from_str("0.495"))
    shop.validate_price(Price.from_str("101.23"))
    with pytest.raises(InvalidArgumentError, match=r"tick size 0\.01.*101\.23 or 101\.24"):
        shop.validate_price(Price.from_str("101.235"))


def test_equity_on_tsx_with_two_decimal_precision_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="price_precision 3"):
        Equity(
            id=InstrumentId.of("RY", "TSX"),
            asset_class=AssetClass.EQUITY,
            quote_currency=CAD,
            price_precision=2,
            price_increment=Price.from_str("0.01"),
            size_precision=0,
            size_increment=Quantity.from_int(1),
            exchange=Exchange.TSX,
        )


def test_equity_with_bad_isin_check_digit_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="ISIN"):
        Equity.create("AAPL", Exchange.NASDAQ, isin="US0378331006")


def test_equity_canadian_isin_is_accepted() -> None:
    ry = Equity.create("RY", Exchange.TSX, isin="CA7800871021")
    assert ry.isin == "CA7800871021"


def test_equity_on_lse_without_currency_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="quote_currency"):
        Equity.create("VOD", Exchange.LSE)
    assert Equity.create("VOD", Exchange.LSE, quote_currency=GBP).quote_currency == GBP


def test_exchange_cboe_canada_is_neo() -> None:
    assert Exchange.CBOE_CANADA is Exchange.NEO
    assert Exchange.NEO.country == "CA"
    assert Exchange("ARCA") is Exchange.NYSE_ARCA


def test_validate_qty_refuses_fraction_of_share_and_names_neighbours() -> None:
    aapl = Equity.create("AAPL", Exchange.NASDAQ)
    with pytest.raises(InvalidArgumentError, match=r"size increment 1.*10 or 11"):
        aapl.validate_qty(Quantity.from_str("10.5"))


def test_validate_qty_refuses_zero() -> None:
    with pytest.raises(InvalidArgumentError, match="positive"):
        Equity.create("AAPL", Exchange.NASDAQ).validate_qty(Quantity.from_int(0))


def test_make_qty_round_down_never_exceeds_value() -> None:
    pair = _btc_usdt()
    assert pair.make_qty(0.123459, round_down=True) == Quantity.from_str("0.12345")
    assert pair.make_qty(0.123459) == Quantity.from_str("0.12346")


def test_make_qty_rounding_to_zero_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="rounds to zero"):
        _btc_usdt().make_qty(0.000001)


def test_make_qty_negative_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="side carries direction"):
        _btc_usdt().make_qty(-1)


def test_validate_qty_below_minimum_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="below the minimum"):
        _btc_usdt().validate_qty(Quantity.from_str("0.00005"))


def test_instrument_with_increment_precision_mismatch_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="price_precision"):
        CryptoPair(
            id=InstrumentId.of("ETH/USDT", "BINANCE"),
            asset_class=AssetClass.CRYPTO,
            base=BTC,
            quote_currency=USDT,
            price_precision=3,
            price_increment=Price.from_str("0.01"),
            size_precision=0,
            size_increment=Quantity.from_int(1),
        )


def test_crypto_pair_base_currency_is_exposed() -> None:
    assert _btc_usdt().base_currency == BTC


# -- fx, futures ------------------------------------------------------------------------------


def test_fx_pip_size_is_hundredth_for_yen_quotes() -> None:
    assert _fx("USD", "JPY", precision=3).pip_size == Price.from_str("0.01")
    assert TestInstrumentProvider.eurusd().pip_size == Price.from_str("0.0001")


def test_fx_pair_with_same_base_and_quote_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="both"):
        _fx("USD", "USD", precision=5)


def test_future_notional_uses_multiplier_and_expiry_is_checked() -> None:
    es = TestInstrumentProvider.es_future(expiry_ns=2_000, activation_ns=1_000)
    assert es.notional(Quantity.from_int(2), Price.from_str("5000.25")) == Decimal("500025.00")
    assert es.make_price(5000.30) == Price.from_str("5000.25")
    assert es.is_expired(2_000)
    assert not es.is_expired(1_999)
    assert es.is_margined


def test_future_expiring_before_activation_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="expiry"):
        TestInstrumentProvider.es_future(expiry_ns=1, activation_ns=5)


# -- prediction and sports --------------------------------------------------------------------


def test_prediction_outcome_price_is_bounded_to_zero_one() -> None:
    outcome = TestInstrumentProvider.polymarket_outcome()
    assert outcome.make_price(0.634) == Price.from_str("0.63")
    with pytest.raises(InvalidArgumentError, match="above the maximum"):
        outcome.make_price(1.2)
    with pytest.raises(InvalidArgumentError, match="below the minimum"):
        outcome.validate_price(Price.from_str("-0.01"))


def test_sports_selection_follows_betfair_ladder() -> None:
    sel = TestInstrumentProvider.betfair_selection()
    assert sel.make_price(2.51) == Price.from_str("2.52")
    assert sel.make_price(7.1) == Price.from_str("7.20")
    assert sel.make_price(1.999) == Price.from_str("2.00")
    sel.validate_price(Price.from_str("34"))
    with pytest.raises(InvalidArgumentError, match=r"tick size 2"):
        sel.validate_price(Price.from_str("35"))


def test_sports_selection_odds_of_one_or_less_raise() -> None:
    with pytest.raises(InvalidArgumentError, match="above 1"):
        TestInstrumentProvider.betfair_selection().validate_price(Price.from_str("1.00"))


def test_sports_selection_cannot_be_a_netting_position() -> None:
    with pytest.raises(NotSupportedError, match="outcome"):
        Position(TestInstrumentProvider.betfair_selection(), AccountId("BETFAIR-1"))


def test_instrument_quote_currencies_are_as_given() -> None:
    assert _fx("EUR", "GBP", precision=5).quote_currency == GBP
    assert _fx("EUR", "JPY", precision=3).quote_currency == JPY
    assert _fx("EUR", "JPY", precision=3).base_currency == EUR
