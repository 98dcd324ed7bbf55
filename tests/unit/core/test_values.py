from __future__ import annotations

import pickle
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from neural_trader.core.enums import CurrencyType
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.core.values import (
    BTC,
    CAD,
    JPY,
    USD,
    USDT,
    Currency,
    Money,
    Price,
    Quantity,
)

# -- Price and Quantity ---------------------------------------------------------------------


def test_price_from_str_takes_precision_from_written_decimals() -> None:
    price = Price.from_str("1.2300")
    assert price.precision == 4
    assert price.raw == 12300
    assert str(price) == "1.2300"


def test_price_from_float_rounds_half_even_at_given_precision() -> None:
    assert str(Price.from_float(0.1 + 0.2, 2)) == "0.30"
    assert str(Price.from_float(2.675, 2)) == "2.68"  # repr is 2.675: the even neighbour
    assert str(Price.from_float(2.665, 2)) == "2.66"


def test_price_from_raw_and_from_int_round_trip() -> None:
    assert Price.from_raw(12345, 2) == Price.from_str("123.45")
    assert Price.from_int(7) == Price.from_str("7")
    assert Price.from_raw(Price.from_str("-0.5").raw, 1) == Price.from_str("-0.5")


def test_price_equal_across_precisions_and_hash_agrees() -> None:
    a, b = Price.from_str("1.0"), Price.from_str("1.00")
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1


def test_price_and_quantity_of_same_value_are_not_equal() -> None:
    assert Price.from_int(1) != Quantity.from_int(1)


def test_price_arithmetic_uses_finer_precision() -> None:
    total = Price.from_str("1.5") + Price.from_str("0.25")
    assert str(total) == "1.75"
    assert total.precision == 2
    assert str(Price.from_str("1") - Price.from_str("1.25")) == "-0.25"
    assert str(-Price.from_str("2.5")) == "-2.5"


def test_price_ordering_compares_values() -> None:
    assert Price.from_str("1.01") > Price.from_str("1.009")
    assert sorted([Price.from_str("3"), Price.from_str("1.5")])[0] == Price.from_str("1.5")


def test_price_compared_to_quantity_raises_type_error() -> None:
    with pytest.raises(TypeError):
        _ = Price.from_int(1) < Quantity.from_int(2)


def test_quantity_negative_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="must not be negative"):
        Quantity.from_str("-1")


def test_quantity_subtraction_below_zero_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="must not be negative"):
        _ = Quantity.from_int(1) - Quantity.from_int(2)


def test_value_precision_above_sixteen_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="precision"):
        Price(1, 17)
    with pytest.raises(InvalidArgumentError, match="17 decimals"):
        Price.from_str("0." + "1" * 17)


def test_value_beyond_bound_raises_with_timestamp_hint() -> None:
    with pytest.raises(InvalidArgumentError, match="timestamp"):
        Price.from_int(1_700_000_000_000_000_000)


@pytest.mark.parametrize("bad", ["abc", "nan", "inf", ""])
def test_price_from_bad_string_raises(bad: str) -> None:
    with pytest.raises(InvalidArgumentError):
        Price.from_str(bad)


def test_price_from_float_nan_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="finite"):
        Price.from_float(float("nan"), 2)


def test_values_are_immutable() -> None:
    price = Price.from_str("1.00")
    with pytest.raises(AttributeError):
        price._raw = 5
    money = Money.from_str("1.00 USD")
    with pytest.raises(AttributeError):
        money._raw = 5


def test_values_survive_pickle() -> None:
    for value in (Price.from_str("1.25"), Quantity.from_str("3.5"), Money.from_str("2.50 CAD")):
        assert pickle.loads(pickle.dumps(value)) == value


def test_as_decimal_is_exact_and_as_double_is_close() -> None:
    price = Price.from_str("123456789.123456")
    assert price.as_decimal() == Decimal("123456789.123456")
    assert price.as_double() == pytest.approx(123456789.123456)


def test_from_decimal_keeps_exponent_by_default() -> None:
    assert Quantity.from_decimal(Decimal("0.001")).precision == 3
    assert str(Quantity.from_decimal(Decimal("0.0015"), 3)) == "0.002"


# -- Currency ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "precision"), [("USD", 2), ("CAD", 2), ("JPY", 0), ("BTC", 8), ("USDT", 6)]
)
def test_currency_registry_has_expected_precision(code: str, precision: int) -> None:
    assert Currency.from_str(code).precision == precision


def test_currency_from_str_is_case_insensitive() -> None:
    assert Currency.from_str("usd") is USD
    assert Currency.from_str("btc").currency_type is CurrencyType.CRYPTO


def test_currency_unknown_code_suggests_close_match() -> None:
    with pytest.raises(InvalidArgumentError, match="unknown currency") as info:
        Currency.from_str("USDD")
    assert info.value.hint is not None
    assert "USD" in info.value.hint


def test_currency_register_refuses_silent_redefinition() -> None:
    with pytest.raises(InvalidArgumentError, match="already registered"):
        Currency.register(Currency("USD", 4))


def test_currency_register_adds_new_code() -> None:
    token = Currency.register(Currency("ZZTEST", 5, CurrencyType.CRYPTO))
    assert Currency.from_str("zztest") is token


def test_currency_invalid_code_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="upper-case"):
        Currency("usd", 2)


# -- Money ------------------------------------------------------------------------------------


def test_money_rounds_to_currency_precision_half_even() -> None:
    assert str(Money("1.005", USD)) == "1.00 USD"
    assert str(Money("1.015", USD)) == "1.02 USD"
    assert str(Money(1234.5, JPY)) == "1234 JPY"


def test_money_from_str_round_trips() -> None:
    assert str(Money.from_str("100.25 USD")) == "100.25 USD"
    assert Money.from_str("0.00000001 BTC").raw == 1


def test_money_from_str_with_too_many_decimals_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="more decimals"):
        Money.from_str("1.001 USD")


def test_money_from_str_without_currency_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="AMOUNT CODE"):
        Money.from_str("100")


def test_money_addition_is_exact() -> None:
    total = Money.zero(USD)
    for _ in range(10):
        total = total + Money("0.10", USD)
    assert total == Money("1.00", USD)


def test_money_of_different_currencies_cannot_be_added_or_ordered() -> None:
    with pytest.raises(InvalidArgumentError, match="currencies differ"):
        _ = Money("1", USD) + Money("1", CAD)
    with pytest.raises(InvalidArgumentError, match="currencies differ"):
        _ = Money("1", USD) < Money("1", CAD)


def test_money_of_different_currencies_are_unequal() -> None:
    assert Money("1", USD) != Money("1", CAD)


def test_money_negation_and_abs() -> None:
    assert -Money("2.50", USD) == Money("-2.50", USD)
    assert abs(Money("-2.50", USD)) == Money("2.50", USD)


# -- properties ---------------------------------------------------------------------------------

_MONEY_CURRENCIES = st.sampled_from([USD, JPY, BTC, USDT])
_RAWS = st.integers(min_value=-(10**14), max_value=10**14)


@st.composite
def _money_triples(draw: st.DrawFn) -> tuple[Money, Money, Money]:
    currency = draw(_MONEY_CURRENCIES)
    return (
        Money.from_raw(draw(_RAWS), currency),
        Money.from_raw(draw(_RAWS), currency),
        Money.from_raw(draw(_RAWS), currency),
    )


@given(_money_triples())
def test_money_addition_is_associative_and_commutative_exactly(
    triple: tuple[Money, Money, Money],
) -> None:
    a, b, c = triple
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a
    assert (a + b - b) == a
    assert (a + b).as_decimal() == a.as_decimal() + b.as_decimal()


@given(_RAWS, _RAWS)
def test_money_with_mismatched_currency_always_raises(x: int, y: int) -> None:
    with pytest.raises(InvalidArgumentError):
        _ = Money.from_raw(x, USD) + Money.from_raw(y, CAD)
    with pytest.raises(InvalidArgumentError):
        _ = Money.from_raw(x, BTC) - Money.from_raw(y, USDT)


@given(_MONEY_CURRENCIES, _RAWS)
def test_money_str_round_trips_through_from_str(currency: Currency, raw: int) -> None:
    money = Money.from_raw(raw, currency)
    assert Money.from_str(str(money)) == money


@given(st.integers(min_value=0, max_value=16), st.integers(-(10**16), 10**16))
def test_price_str_round_trips_through_from_str(precision: int, raw: int) -> None:
    price = Price.from_raw(raw, precision)
    back = Price.from_str(str(price))
    assert back == price
    assert back.precision == precision
