"""The portfolio input model: validation messages name the position, files load, FX is never
guessed."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from neural_trader.core.errors import (
    DataFormatError,
    InvalidArgumentError,
    NotFoundError,
    NotSupportedError,
    UnknownSymbolError,
)
from neural_trader.risk.portfolio import (
    build_portfolio,
    check_symbols,
    load_portfolio_file,
    parse_positions,
)


def test_exposures_are_quantity_times_price_times_fx() -> None:
    pf = build_portfolio(
        [
            {"symbol": "AAPL", "quantity": 10, "price": 150.0},
            {"symbol": "SAP", "quantity": -4, "price": 120.0, "currency": "eur"},
        ],
        cash=500.0,
        fx_rates={"EUR": 1.1},
    )
    np.testing.assert_allclose(pf.exposures(), [1500.0, -4 * 120.0 * 1.1])
    assert pf.positions[1].currency == "EUR"
    assert pf.net_value() == pytest.approx(1500.0 - 528.0 + 500.0)
    assert pf.gross_exposure() == pytest.approx(2028.0)
    value, base = pf.value_base()
    assert value == pytest.approx(1472.0)
    assert base == "net_value"


def test_value_base_falls_back_to_gross_for_a_net_short_book() -> None:
    pf = build_portfolio(
        [
            {"symbol": "A", "quantity": 1, "price": 100.0},
            {"symbol": "B", "quantity": -2, "price": 60.0},
        ]
    )
    assert pf.net_value() == pytest.approx(-20.0)
    value, base = pf.value_base()
    assert value == pytest.approx(220.0)
    assert base == "gross_exposure"


def test_position_in_a_currency_without_rate_is_refused_not_guessed() -> None:
    pf = build_portfolio([{"symbol": "SAP", "quantity": 1, "price": 100.0, "currency": "EUR"}])
    with pytest.raises(NotSupportedError, match="no EUR rate was given") as info:
        pf.exposures()
    assert "--fx EUR=" in str(info.value)


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ({"symbol": "AAPL", "quantity": 0, "price": 1.0}, "row 1 (AAPL) quantity: quantity must"),
        ({"symbol": "AAPL", "quantity": 1, "price": math.nan}, "price must be a positive finite"),
        ({"symbol": "AAPL", "quantity": 1, "price": -3.0}, "price must be a positive finite"),
        ({"symbol": "AAPL", "quantity": 1, "price": 0.0}, "price must be a positive finite"),
        ({"symbol": "  ", "quantity": 1}, "symbol must not be empty"),
        ({"symbol": "X", "quantity": math.inf}, "quantity must be finite"),
        ({"symbol": "X", "quantity": 1, "currency": "EURO"}, "3-letter ISO code"),
    ],
)
def test_invalid_positions_raise_one_readable_error(row: dict[str, object], fragment: str) -> None:
    with pytest.raises(InvalidArgumentError, match="invalid test") as info:
        build_portfolio([row], source="test")
    assert fragment in str(info.value)
    assert "pydantic" not in str(info.value)


def test_all_problems_are_reported_at_once_and_duplicates_refused() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        build_portfolio(
            [{"symbol": "A", "quantity": 0}, {"symbol": "B", "quantity": 1, "price": -1.0}],
            source="book.csv",
        )
    text = str(info.value)
    assert "book.csv row 1 (A)" in text
    assert "book.csv row 2 (B)" in text
    with pytest.raises(InvalidArgumentError, match="more than once: A"):
        build_portfolio([{"symbol": "A", "quantity": 1}, {"symbol": "A", "quantity": 2}])
    with pytest.raises(InvalidArgumentError, match="at least one position"):
        build_portfolio([])


def test_unknown_symbol_suggests_close_matches() -> None:
    pf = build_portfolio([{"symbol": "SPY", "quantity": 1}])
    with pytest.raises(UnknownSymbolError) as info:
        check_symbols(pf, ["SPX", "IXIC"])
    assert info.value.hint == "did you mean SPX?"
    check_symbols(build_portfolio([{"symbol": "SPX", "quantity": 1}]), ["SPX"])


def test_with_prices_fills_only_missing_prices_and_validates_them() -> None:
    pf = build_portfolio(
        [{"symbol": "A", "quantity": 1, "price": 5.0}, {"symbol": "B", "quantity": 2}]
    )
    assert pf.missing_prices() == ["B"]
    with pytest.raises(InvalidArgumentError, match="no price for B"):
        pf.exposures()
    filled = pf.with_prices({"A": 99.0, "B": 7.0})
    np.testing.assert_allclose(filled.prices(), [5.0, 7.0])
    with pytest.raises(InvalidArgumentError, match="positive finite"):
        pf.with_prices({"B": math.nan})


def test_parse_positions() -> None:
    assert parse_positions("AAPL:10, MSFT:-5@310.5,") == [
        {"symbol": "AAPL", "quantity": 10.0},
        {"symbol": "MSFT", "quantity": -5.0, "price": 310.5},
    ]
    for bad in ("AAPL", "AAPL:", ":5", "AAPL:ten", "AAPL:1@x", ""):
        with pytest.raises(InvalidArgumentError):
            parse_positions(bad)


def test_csv_file_with_aliases_blank_prices_and_currency(tmp_path: Path) -> None:
    path = tmp_path / "book.csv"
    path.write_text("Symbol,Shares,Price,Currency\nAAPL,10,150,USD\nSAP,5,,EUR\n\n")
    pf = load_portfolio_file(path, fx_rates={"EUR": 1.2}, cash=100.0)
    assert pf.symbols == ["AAPL", "SAP"]
    assert pf.positions[1].price is None
    assert pf.positions[1].currency == "EUR"
    assert pf.cash == 100.0
    assert pf.fx_rates == {"EUR": 1.2}


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("ticker,quantity\nA,1\n", "needs a header with 'symbol'"),
        ("symbol,quantity,weight\nA,1,0.5\n", "unknown column"),
        ("symbol,price\nA,1\n", "exactly one quantity column"),
    ],
)
def test_csv_layout_errors(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "book.csv"
    path.write_text(text)
    with pytest.raises(DataFormatError, match=match):
        load_portfolio_file(path)


def test_csv_bad_number_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "book.csv"
    path.write_text("symbol,quantity\nA,1\nB,lots\n")
    with pytest.raises(InvalidArgumentError, match="line 3: quantity 'lots' is not a number"):
        load_portfolio_file(path)


def test_json_list_and_object_forms(tmp_path: Path) -> None:
    a = tmp_path / "a.json"
    a.write_text(json.dumps([{"symbol": "A", "quantity": 2, "price": 10}]))
    assert load_portfolio_file(a).exposures().tolist() == [20.0]
    b = tmp_path / "b.json"
    b.write_text(
        json.dumps(
            {
                "positions": [{"symbol": "A", "quantity": 2, "price": 10, "currency": "CAD"}],
                "cash": 5,
                "base_currency": "USD",
                "fx_rates": {"CAD": 0.5},
            }
        )
    )
    pf = load_portfolio_file(b)
    assert pf.exposures().tolist() == [10.0]
    assert pf.cash == 5.0
    # command-line values override or extend the file's
    assert load_portfolio_file(b, fx_rates={"CAD": 0.75}).exposures().tolist() == [15.0]


@pytest.mark.parametrize(
    ("name", "text", "error", "match"),
    [
        ("x.json", "{not json", DataFormatError, "not valid JSON"),
        ("x.json", '{"positions": [], "risk": 1}', DataFormatError, "unknown key"),
        ("x.json", '{"holdings": []}', DataFormatError, "expected a list"),
        ("x.json", "[1, 2]", DataFormatError, "must be an object"),
        (
            "x.json",
            '[{"symbol": "A", "quantity": 1, "colour": "red"}]',
            InvalidArgumentError,
            "colour",
        ),
        ("x.xlsx", "", DataFormatError, ".csv or .json"),
    ],
)
def test_json_and_extension_errors(
    tmp_path: Path, name: str, text: str, error: type[Exception], match: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(error, match=match):
        load_portfolio_file(path)


def test_missing_file() -> None:
    with pytest.raises(NotFoundError, match="does not exist"):
        load_portfolio_file("/nonexistent/book.csv")
