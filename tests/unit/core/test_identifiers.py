from __future__ import annotations

import pytest

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.core.identifiers import (
    AccountId,
    ClientOrderId,
    InstrumentId,
    StrategyId,
    Symbol,
    TradeId,
    Venue,
    VenueOrderId,
)


def test_instrument_id_from_str_splits_on_last_dot() -> None:
    iid = InstrumentId.from_str("RCI.B.TSX")
    assert iid.symbol == Symbol("RCI.B")
    assert iid.venue == Venue("TSX")
    assert str(iid) == "RCI.B.TSX"


def test_instrument_id_of_builds_same_as_from_str() -> None:
    assert InstrumentId.of("AAPL", "NASDAQ") == InstrumentId.from_str("AAPL.NASDAQ")


@pytest.mark.parametrize("bad", ["AAPL", ".NASDAQ", "AAPL.", ""])
def test_instrument_id_without_symbol_and_venue_raises(bad: str) -> None:
    with pytest.raises(InvalidArgumentError, match=r"SYMBOL\.VENUE"):
        InstrumentId.from_str(bad)


def test_venue_with_dot_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="must not contain"):
        Venue("NY.SE")


@pytest.mark.parametrize("bad", ["", "has space", "back\\slash", "tab\there"])
def test_identifier_with_empty_or_whitespace_value_raises(bad: str) -> None:
    with pytest.raises(InvalidArgumentError):
        ClientOrderId(bad)


def test_identifier_non_string_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="non-empty string"):
        TradeId(123)  # type: ignore[arg-type]


def test_identifiers_of_different_types_with_same_value_are_not_equal() -> None:
    assert TradeId("X-1") != VenueOrderId("X-1")  # type: ignore[comparison-overlap]


def test_identifier_from_str_and_str_round_trip() -> None:
    for cls in (AccountId, ClientOrderId, StrategyId, TradeId, VenueOrderId, Symbol, Venue):
        ident = cls.from_str("ABC-001")
        assert type(ident) is cls
        assert str(ident) == "ABC-001"


def test_identifiers_are_hashable_and_ordered() -> None:
    ids = {TradeId("b"), TradeId("a"), TradeId("a")}
    assert sorted(ids) == [TradeId("a"), TradeId("b")]


def test_identifier_is_immutable() -> None:
    ident = StrategyId("SmaCross-001")
    with pytest.raises(AttributeError):
        ident.value = "other"  # type: ignore[misc]


def test_identifier_error_message_names_the_kind() -> None:
    with pytest.raises(InvalidArgumentError, match="account id"):
        AccountId("")
