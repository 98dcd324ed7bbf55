"""Layout detection from headers, and the one header/row mismatch we can explain."""

from __future__ import annotations

import pytest

from neural_trader.core.errors import DataFormatError, InvalidArgumentError
from neural_trader.data.importers.layouts import (
    detect_layout,
    normalize_name,
    recognise_missing_time,
)

HEADER7 = ["Date", "Open", "High", "Low", "Close", "Volume", "OpenInterest"]


@pytest.mark.parametrize("name", ["Adj Close", "adj close", "Adj_Close", " ADJ-CLOSE ", "adjclose"])
def test_normalize_name_case_space_and_separator_variants_agree(name: str) -> None:
    assert normalize_name(name) == "adjclose"


def test_detect_layout_yahoo_header_maps_adj_close() -> None:
    lay = detect_layout(["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"])
    assert lay.name == "yahoo"
    assert lay.ts_column == "Date"
    assert lay.columns["adj_close"] == "Adj Close"


def test_detect_layout_date_and_time_columns_is_datetime_layout() -> None:
    lay = detect_layout(["date", "time", "open", "high", "low", "close", "volume", "oi"])
    assert (lay.name, lay.date_column, lay.time_column) == ("datetime", "date", "time")
    assert lay.columns["open_interest"] == "oi"


def test_detect_layout_timestamp_column_is_generic() -> None:
    lay = detect_layout(["timestamp", "o", "h", "l", "c", "v"])
    assert (lay.name, lay.ts_column) == ("generic", "timestamp")


def test_detect_layout_explicit_layout_that_does_not_fit_lists_expected() -> None:
    with pytest.raises(DataFormatError, match=r"layout 'datetime' expects columns Date,Time"):
        detect_layout(["Date", "Open", "High", "Low", "Close", "Volume"], layout="datetime")


def test_detect_layout_no_timestamp_column_lists_found() -> None:
    with pytest.raises(DataFormatError, match=r"no date or timestamp column.*found a,b"):
        detect_layout(["a", "b"])


def test_detect_layout_two_columns_with_one_role_is_refused() -> None:
    with pytest.raises(DataFormatError, match="both read as close"):
        detect_layout(["Date", "Open", "High", "Low", "Close", "close", "Volume"])


def test_detect_layout_column_map_unknown_key_is_invalid_argument() -> None:
    with pytest.raises(InvalidArgumentError, match="price"):
        detect_layout(["x"], column_map={"price": "x"})


def test_detect_layout_column_map_without_timestamp_says_what_is_missing() -> None:
    cmap = {"open": "a", "high": "b", "low": "c", "close": "d", "volume": "e"}
    with pytest.raises(DataFormatError, match=r"does not say where to find ts_event"):
        detect_layout(["a", "b", "c", "d", "e"], column_map=cmap)


def test_recognise_missing_time_real_pattern_is_accepted() -> None:
    rows = [["2006-01-02", "09:01:00", "3602.00", "3603.00", "3597.00", "3599.00", "5699", "0"]]
    assert recognise_missing_time(HEADER7, rows)


def test_recognise_missing_time_second_field_not_a_time_is_rejected() -> None:
    rows = [["2006-01-02", "3602.00", "3602.00", "3603.00", "3597.00", "3599.00", "5699", "0"]]
    assert not recognise_missing_time(HEADER7, rows)


def test_recognise_missing_time_text_in_value_fields_is_rejected() -> None:
    rows = [["2006-01-02", "09:01:00", "3602.00", "abc", "3597.00", "3599.00", "5699", "0"]]
    assert not recognise_missing_time(HEADER7, rows)


def test_recognise_missing_time_header_with_time_is_rejected() -> None:
    header = ["Date", "Time", "Open", "High", "Low", "Close", "Volume"]
    rows = [["2006-01-02", "09:01:00", "09:01:00", "1", "1", "1", "1", "1"]]
    assert not recognise_missing_time(header, rows)


def test_recognise_missing_time_one_row_with_other_width_is_rejected() -> None:
    good = ["2006-01-02", "09:01:00", "1", "1", "1", "1", "1", "0"]
    assert not recognise_missing_time(HEADER7, [good, good[:7]])
