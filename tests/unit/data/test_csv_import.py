"""CSV and Parquet parsing: layouts, timestamps and time zones, and refusal of bad input."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from neural_trader.core.data import BarSpec
from neural_trader.core.errors import (
    DataFormatError,
    DataValidationError,
    InvalidArgumentError,
    NotFoundError,
)
from neural_trader.data.importers import import_bars, read_bars_file

NS = 1_000_000_000


def ns(text: str) -> int:
    return int(pd.Timestamp(text, tz="UTC").value)


def write(tmp_path: Path, text: str, name: str = "bars.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


YAHOO = (
    "Date,Open,High,Low,Close,Adj Close,Volume\n"
    "2024-01-02,10.0,11.0,9.5,10.5,10.25,1000\n"
    "2024-01-03,10.5,12.0,10.0,11.5,11.25,2000\n"
    "2024-01-04,11.5,11.75,11.0,11.25,11.0,1500\n"
)

DATETIME = (
    "Date,Time,Open,High,Low,Close,Volume,OpenInterest\n"
    "2024-03-01,09:00:00,100,101,99,100.5,10,7\n"
    "2024-03-01,09:05:00,100.5,102,100,101.5,20,7\n"
    "2024-03-01,09:10:00,101.5,103,101,102.5,30,8\n"
)


def test_read_bars_file_yahoo_layout_reads_dates_as_midnight_utc_and_adj_close(
    tmp_path: Path,
) -> None:
    raw = read_bars_file(write(tmp_path, YAHOO))
    assert raw.layout == "yahoo"
    assert raw.spec_guess == BarSpec.parse("1d")
    assert raw.frame["ts_event"].tolist() == [ns("2024-01-02"), ns("2024-01-03"), ns("2024-01-04")]
    assert raw.frame["adj_close"].tolist() == [10.25, 11.25, 11.0]
    assert raw.frame["volume"].dtype == np.float64
    assert raw.row_numbers.tolist() == [2, 3, 4]


@pytest.mark.parametrize("adj", ["adj close", "Adj_Close", "ADJ-CLOSE", " AdjClose "])
def test_read_bars_file_adj_close_header_variants_map_to_adj_close(
    tmp_path: Path, adj: str
) -> None:
    text = YAHOO.replace("Adj Close", adj).replace("Open", "open").replace("Volume", "VOLUME")
    raw = read_bars_file(write(tmp_path, text))
    assert "adj_close" in raw.frame.columns
    assert raw.frame["adj_close"].iloc[0] == 10.25


def test_read_bars_file_daily_dates_ignore_tz_because_they_label_sessions(
    tmp_path: Path,
) -> None:
    raw = read_bars_file(write(tmp_path, YAHOO), tz="America/New_York")
    assert raw.frame["ts_event"].iloc[0] == ns("2024-01-02")
    assert any("midnight UTC" in n for n in raw.notes)


def test_read_bars_file_date_time_layout_in_berlin_converts_to_utc_and_says_so(
    tmp_path: Path,
) -> None:
    raw = read_bars_file(write(tmp_path, DATETIME), tz="Europe/Berlin")
    assert raw.layout == "datetime"
    assert raw.spec_guess == BarSpec.parse("5m")
    assert raw.frame["ts_event"].iloc[0] == ns("2024-03-01 08:00")
    assert raw.frame["open_interest"].tolist() == [7.0, 7.0, 8.0]
    assert any("Europe/Berlin and converted to UTC" in n for n in raw.notes)


def test_read_bars_file_naive_intraday_default_is_utc_and_noted(tmp_path: Path) -> None:
    raw = read_bars_file(write(tmp_path, DATETIME))
    assert raw.frame["ts_event"].iloc[0] == ns("2024-03-01 09:00")
    assert any("read as UTC" in n for n in raw.notes)


def test_read_bars_file_offsets_are_converted_and_tz_is_not_applied(tmp_path: Path) -> None:
    text = (
        "Datetime,Open,High,Low,Close,Volume\n"
        "2024-03-08 09:30:00-05:00,1,2,0.5,1.5,10\n"
        "2024-03-11 09:30:00-04:00,1,2,0.5,1.5,10\n"
    )
    raw = read_bars_file(write(tmp_path, text), tz="Asia/Tokyo")
    assert raw.frame["ts_event"].tolist() == [ns("2024-03-08 14:30"), ns("2024-03-11 13:30")]
    assert any("UTC offsets" in n for n in raw.notes)


def test_read_bars_file_local_midnights_with_offsets_are_session_dates(tmp_path: Path) -> None:
    text = (
        "Date,Open,High,Low,Close,Volume\n"
        "2024-01-02 00:00:00-05:00,1,2,0.5,1.5,10\n"
        "2024-01-03 00:00:00-05:00,1,2,0.5,1.5,10\n"
    )
    raw = read_bars_file(write(tmp_path, text))
    assert raw.frame["ts_event"].tolist() == [ns("2024-01-02"), ns("2024-01-03")]
    assert raw.spec_guess == BarSpec.parse("1d")


@pytest.mark.parametrize(
    ("scale", "unit"),
    [(1, "seconds"), (1_000, "milliseconds"), (1_000_000, "microseconds"), (NS, "nanoseconds")],
)
def test_read_bars_file_epoch_unit_is_detected_by_magnitude(
    tmp_path: Path, scale: int, unit: str
) -> None:
    t0 = ns("2024-05-01 12:00") // NS
    rows = "\n".join(f"{(t0 + 60 * i) * scale},1,2,0.5,1.5,3" for i in range(3))
    raw = read_bars_file(write(tmp_path, "timestamp,open,high,low,close,volume\n" + rows + "\n"))
    assert raw.layout == "generic"
    assert raw.frame["ts_event"].iloc[0] == ns("2024-05-01 12:00")
    assert raw.spec_guess == BarSpec.parse("1m")
    assert any(f"epoch {unit}" in n for n in raw.notes)


def test_read_bars_file_column_map_with_date_and_time_pair(tmp_path: Path) -> None:
    text = "day,clock,o,hi,lo,c,qty,ignored\n20240301,0930,1,2,0.5,1.5,7,x\n"
    cmap = {
        "date": "day",
        "time": "clock",
        "open": "o",
        "high": "hi",
        "low": "lo",
        "close": "c",
        "volume": "qty",
    }
    raw = read_bars_file(write(tmp_path, text), column_map=cmap, spec="1m")
    assert raw.layout == "generic"
    assert raw.frame["ts_event"].iloc[0] == ns("2024-03-01 09:30")
    assert raw.frame.iloc[0, 1:].tolist() == [1.0, 2.0, 0.5, 1.5, 7.0]
    assert any("ignored" in n for n in raw.notes)


def test_read_bars_file_column_map_iso_timestamps(tmp_path: Path) -> None:
    text = (
        "when,a,b,c,d,e\n2024-03-01T09:30:00Z,1,2,0.5,1.5,7\n2024-03-01T09:31:00Z,1,2,0.5,1.5,7\n"
    )
    cmap = {"ts_event": "when", "open": "a", "high": "b", "low": "c", "close": "d", "volume": "e"}
    raw = read_bars_file(write(tmp_path, text), column_map=cmap)
    assert raw.frame["ts_event"].tolist() == [ns("2024-03-01 09:30"), ns("2024-03-01 09:31")]


def test_read_bars_file_column_map_naming_absent_column_lists_found(tmp_path: Path) -> None:
    cmap = {"ts_event": "when", "open": "o", "high": "h", "low": "l", "close": "c", "volume": "v"}
    with pytest.raises(DataFormatError, match=r"no column 'when'.*Found columns: Date,Open"):
        read_bars_file(write(tmp_path, YAHOO), column_map=cmap)


def test_read_bars_file_bar_label_close_moves_bars_back_one_spec(tmp_path: Path) -> None:
    raw = read_bars_file(write(tmp_path, DATETIME), bar_label="close")
    assert raw.frame["ts_event"].iloc[0] == ns("2024-03-01 08:55")
    assert any("moved back 5m" in n for n in raw.notes)


def test_read_bars_file_bar_label_close_uses_given_spec(tmp_path: Path) -> None:
    raw = read_bars_file(write(tmp_path, DATETIME), bar_label="close", spec="1m")
    assert raw.frame["ts_event"].iloc[0] == ns("2024-03-01 08:59")


def test_read_bars_file_nonexistent_local_time_raises_with_line(tmp_path: Path) -> None:
    text = DATETIME.replace("2024-03-01,09:05:00", "2024-03-31,02:30:00")
    with pytest.raises(DataFormatError, match=r"line 3: 2024-03-31 02:30:00 does not exist"):
        read_bars_file(write(tmp_path, text), tz="Europe/Berlin")


def test_read_bars_file_ambiguous_local_time_raises_with_line(tmp_path: Path) -> None:
    text = DATETIME.replace("2024-03-01,09:10:00", "2024-10-27,02:30:00")
    with pytest.raises(DataFormatError, match=r"line 4: 2024-10-27 02:30:00 occurs twice"):
        read_bars_file(write(tmp_path, text), tz="Europe/Berlin")


def test_read_bars_file_unknown_tz_is_invalid_argument(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="unknown time zone 'Mars/Base'"):
        read_bars_file(write(tmp_path, DATETIME), tz="Mars/Base")


def test_read_bars_file_crlf_and_bom_are_noted(tmp_path: Path) -> None:
    path = tmp_path / "crlf.csv"
    path.write_bytes(b"\xef\xbb\xbf" + YAHOO.replace("\n", "\r\n").encode())
    raw = read_bars_file(path)
    assert len(raw.frame) == 3
    assert "CRLF line endings" in raw.notes
    assert any("byte-order mark" in n for n in raw.notes)


def test_read_bars_file_blank_lines_keep_source_line_numbers(tmp_path: Path) -> None:
    text = YAHOO.replace("\n2024-01-03", "\n\n2024-01-03")
    raw = read_bars_file(write(tmp_path, text))
    assert raw.row_numbers.tolist() == [2, 4, 5]


def test_read_bars_file_semicolon_delimiter(tmp_path: Path) -> None:
    raw = read_bars_file(write(tmp_path, YAHOO.replace(",", ";")))
    assert raw.frame["close"].tolist() == [10.5, 11.5, 11.25]
    assert "delimiter ';'" in raw.notes


def test_read_bars_file_gz_is_decompressed(tmp_path: Path) -> None:
    path = tmp_path / "bars.csv.gz"
    path.write_bytes(gzip.compress(YAHOO.encode()))
    assert len(read_bars_file(path).frame) == 3


def test_read_bars_file_ambiguous_slash_dates_need_date_format(tmp_path: Path) -> None:
    text = "Date,Open,High,Low,Close,Volume\n01/02/2024,1,2,0.5,1.5,1\n01/03/2024,1,2,0.5,1.5,1\n"
    path = write(tmp_path, text)
    with pytest.raises(DataFormatError, match="month/day or day/month"):
        read_bars_file(path)
    raw = read_bars_file(path, date_format="%d/%m/%Y")
    assert raw.frame["ts_event"].iloc[1] == ns("2024-03-01")


# --------------------------------------------------------------------------- bad input


def test_read_bars_file_unexplained_column_count_mismatch_raises(tmp_path: Path) -> None:
    text = "Date,Open,High,Low,Close,Volume\n2024-01-02,x,10,11,9,10.5,100\n"
    with pytest.raises(DataFormatError, match=r"header names 6 columns, rows have 7 \(line 2\)"):
        read_bars_file(write(tmp_path, text))


def test_read_bars_file_extra_numeric_column_is_not_taken_for_time(tmp_path: Path) -> None:
    text = "Date,Open,High,Low,Close,Volume\n2024-01-02,10,10,11,9,10.5,100\n"
    with pytest.raises(DataFormatError, match="header names 6 columns, rows have 7"):
        read_bars_file(write(tmp_path, text))


def test_read_bars_file_short_line_is_named_not_padded(tmp_path: Path) -> None:
    text = YAHOO.replace("2024-01-03,10.5,12.0,10.0,11.5,11.25,2000", "2024-01-03,10.5,12.0")
    with pytest.raises(DataFormatError, match=r"line 3: 3 fields, expected 7"):
        read_bars_file(write(tmp_path, text))


def test_import_bars_malformed_line_rejects_naming_line(tmp_path: Path) -> None:
    text = YAHOO.replace("2024-01-03,10.5,12.0,10.0,11.5,11.25,2000", "2024-01-03,10.5,12.0,1,2")
    with pytest.raises(DataValidationError, match=r"line 3: 5 fields, expected 7") as err:
        import_bars(write(tmp_path, text))
    assert err.value.report.counts() == {"malformed_row": 1}


def test_import_bars_malformed_line_repair_drops_and_reports(tmp_path: Path) -> None:
    text = YAHOO.replace("2024-01-03,10.5,12.0,10.0,11.5,11.25,2000", "2024-01-03,10.5,12.0,1,2")
    result = import_bars(write(tmp_path, text), repair=True)
    assert len(result.frame) == 2
    assert [(r.action, r.row) for r in result.report.repairs] == [("dropped_row", 3)]
    assert result.report.rows_checked == 3


def test_read_bars_file_empty_file_raises(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=r"empty \(0 bytes\)"):
        read_bars_file(write(tmp_path, ""))


def test_read_bars_file_header_only_raises(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="no data rows"):
        read_bars_file(write(tmp_path, "Date,Open,High,Low,Close,Volume\n"))


@pytest.mark.parametrize(
    ("payload", "what"),
    [
        (b"abc\x00\x01\x02def", "NUL bytes"),
        (gzip.compress(b"Date,Open\n", mtime=0), "gzip"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG"),
    ],
    ids=["nul", "gzip", "png"],
)
def test_read_bars_file_binary_input_is_not_a_text_csv(
    tmp_path: Path, payload: bytes, what: str
) -> None:
    path = tmp_path / "bars.csv"
    path.write_bytes(payload)
    with pytest.raises(DataFormatError, match=f"not a text CSV.*{what}"):
        read_bars_file(path)


def test_read_bars_file_unparseable_number_names_line_and_column(tmp_path: Path) -> None:
    text = YAHOO.replace("11.5,11.25,2000", "abc,11.25,2000")
    with pytest.raises(DataFormatError, match=r"line 3, close: 'abc' is not a number"):
        read_bars_file(write(tmp_path, text))


def test_import_bars_unparseable_number_in_report_with_column(tmp_path: Path) -> None:
    text = YAHOO.replace("11.5,11.25,2000", "abc,11.25,2000")
    with pytest.raises(DataValidationError) as err:
        import_bars(write(tmp_path, text))
    (issue,) = err.value.report.errors
    assert (issue.code, issue.row, issue.column) == ("unparseable", 3, "close")


def test_read_bars_file_unparseable_date_names_line(tmp_path: Path) -> None:
    text = YAHOO.replace("2024-01-04", "2024-13-45")
    with pytest.raises(DataFormatError, match=r"line 4, Date: '2024-13-45' is not a date"):
        read_bars_file(write(tmp_path, text))


def test_read_bars_file_missing_column_lists_expected_and_found(tmp_path: Path) -> None:
    text = "Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,1.5\n"
    with pytest.raises(
        DataFormatError,
        match=r"missing column\(s\) volume: expected Date,Open,High,Low,Close\[,Adj Close\],"
        r"Volume; found Date,Open,High,Low,Close",
    ):
        read_bars_file(write(tmp_path, text))


def test_read_bars_file_unknown_column_is_refused_not_dropped(tmp_path: Path) -> None:
    text = "Date,Open,High,Low,Close,Volume,Dividends\n2024-01-02,1,2,0.5,1.5,10,0.1\n"
    with pytest.raises(DataFormatError, match=r"unknown column.*Dividends"):
        read_bars_file(write(tmp_path, text))


def test_read_bars_file_headerless_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="looks like data"):
        read_bars_file(write(tmp_path, YAHOO.split("\n", 1)[1]))


def test_read_bars_file_missing_path_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        read_bars_file(tmp_path / "nope.csv")


# --------------------------------------------------------------------------- parquet


def test_read_bars_file_parquet_tz_aware_timestamps_and_row_numbers(tmp_path: Path) -> None:
    idx = pd.date_range("2024-03-01 09:30", periods=3, freq="5min", tz="America/New_York")
    table = pa.table(
        {
            "time": pa.array(idx),
            "o": [1.0, 2.0, 3.0],
            "h": [2.0, 3.0, 4.0],
            "l": [0.5, 1.5, 2.5],
            "c": [1.5, 2.5, 3.5],
            "v": [1, 2, 3],
        }
    )
    path = tmp_path / "bars.parquet"
    pq.write_table(table, path)
    raw = read_bars_file(path)
    assert raw.layout == "parquet"
    assert raw.frame["ts_event"].iloc[0] == ns("2024-03-01 14:30")
    assert raw.row_numbers.tolist() == [1, 2, 3]
    assert raw.spec_guess == BarSpec.parse("5m")


def test_read_bars_file_parquet_column_map_with_date32_and_strings(tmp_path: Path) -> None:
    table = pa.table(
        {
            "d": pa.array([pd.Timestamp("2024-01-02").date(), pd.Timestamp("2024-01-03").date()]),
            "px_open": ["1.0", "2.0"],
            "px_high": [2.0, 3.0],
            "px_low": [0.5, 1.5],
            "px_close": [1.5, 2.5],
            "qty": [10.0, 20.0],
        }
    )
    path = tmp_path / "x.parquet"
    pq.write_table(table, path)
    cmap = {
        "ts_event": "d",
        "open": "px_open",
        "high": "px_high",
        "low": "px_low",
        "close": "px_close",
        "volume": "qty",
    }
    raw = read_bars_file(path, column_map=cmap)
    assert raw.frame["ts_event"].tolist() == [ns("2024-01-02"), ns("2024-01-03")]
    assert raw.frame["open"].tolist() == [1.0, 2.0]


def test_read_bars_file_parquet_unparseable_string_names_row(tmp_path: Path) -> None:
    table = pa.table(
        {
            "timestamp": [ns("2024-01-02") // NS, ns("2024-01-03") // NS],
            "open": ["1.0", "oops"],
            "high": [2.0, 3.0],
            "low": [0.5, 1.5],
            "close": [1.5, 2.5],
            "volume": [10.0, 20.0],
        }
    )
    path = tmp_path / "x.parquet"
    pq.write_table(table, path)
    with pytest.raises(DataFormatError, match=r"row 2, open: 'oops' is not a number"):
        read_bars_file(path)
