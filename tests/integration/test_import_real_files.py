"""The three real files in ../shared/data: values identical to a plain csv-module read."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neural_trader.core.data import BarSpec
from neural_trader.data.adjust import adjust_ohlc
from neural_trader.data.calendars import find_gaps
from neural_trader.data.importers import import_bars, read_bars_file

pytestmark = pytest.mark.shared_data

MINUTE_FILE = "2006-01-02-volume-min-001.txt"
FIVE_MIN_FILE = "2006-min-005.txt"
ORCL_FILE = "orcl-1995-2014.txt"


def plain_rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[1:]


def expected_ns(date: str, time: str | None = None) -> int:
    return int(pd.Timestamp(f"{date} {time}" if time else date, tz="UTC").value)


def test_minute_file_header_row_mismatch_is_recognised(shared_data: Path) -> None:
    raw = read_bars_file(shared_data / MINUTE_FILE)
    first = raw.frame.iloc[0]
    assert first["ts_event"] == expected_ns("2006-01-02", "09:01:00")
    assert [first[c] for c in ("open", "high", "low", "close", "volume")] == [
        3602.0,
        3603.0,
        3597.0,
        3599.0,
        5699.0,
    ]
    assert raw.layout == "datetime"
    assert raw.spec_guess == BarSpec.parse("1m")
    assert "CRLF line endings" in raw.notes
    assert any("header names 7 columns" in n and "rows have 8" in n for n in raw.notes)
    assert raw.row_numbers[0] == 2


@pytest.mark.parametrize("name", [MINUTE_FILE, FIVE_MIN_FILE])
def test_intraday_files_values_identical_to_plain_read(shared_data: Path, name: str) -> None:
    path = shared_data / name
    rows = plain_rows(path)
    raw = read_bars_file(path)
    assert len(raw.frame) == len(rows)
    ts = np.array([expected_ns(r[0], r[1]) for r in rows], dtype=np.int64)
    np.testing.assert_array_equal(raw.frame["ts_event"].to_numpy(), ts)
    for k, col in enumerate(("open", "high", "low", "close", "volume", "open_interest"), start=2):
        want = np.array([float(r[k]) for r in rows])
        np.testing.assert_array_equal(raw.frame[col].to_numpy(), want)
    np.testing.assert_array_equal(raw.row_numbers, np.arange(2, len(rows) + 2))


def test_orcl_values_identical_to_plain_read(shared_data: Path) -> None:
    path = shared_data / ORCL_FILE
    rows = plain_rows(path)
    raw = read_bars_file(path)
    assert len(raw.frame) == len(rows) == 5036
    ts = np.array([expected_ns(r[0]) for r in rows], dtype=np.int64)
    np.testing.assert_array_equal(raw.frame["ts_event"].to_numpy(), ts)
    cols = ("open", "high", "low", "close", "adj_close", "volume")
    for k, col in enumerate(cols, start=1):
        want = np.array([float(r[k]) for r in rows])
        np.testing.assert_array_equal(raw.frame[col].to_numpy(), want)
    assert raw.spec_guess == BarSpec.parse("1d")


def test_five_minute_file_row_count(shared_data: Path) -> None:
    assert len(read_bars_file(shared_data / FIVE_MIN_FILE).frame) == 2142


@pytest.mark.parametrize("name", [MINUTE_FILE, FIVE_MIN_FILE, ORCL_FILE])
def test_real_files_pass_validation(shared_data: Path, name: str) -> None:
    result = import_bars(shared_data / name)
    assert result.report.ok
    assert result.report.issues == []


def test_orcl_against_xnys_has_no_gaps(shared_data: Path) -> None:
    # Checked: the file holds exactly the 5,036 XNYS sessions of 1995-01-03..2014-12-31, so
    # the closures (2001-09-11..14, 2012-10-29..30, funerals of Reagan and Ford) are absent
    # from both and nothing is missing.
    result = import_bars(shared_data / ORCL_FILE, calendar="XNYS")
    assert result.report.warnings == []
    ts = result.frame["ts_event"].to_numpy()
    assert find_gaps(ts, BarSpec.parse("1d"), "XNYS") == []
    assert expected_ns("2001-09-11") not in set(ts.tolist())
    assert expected_ns("2012-10-29") not in set(ts.tolist())


def test_orcl_removing_a_session_shows_exactly_that_gap(shared_data: Path) -> None:
    frame = read_bars_file(shared_data / ORCL_FILE).frame
    ts = frame["ts_event"].to_numpy()
    cut = ts[ts != expected_ns("2001-09-17")]
    gaps = find_gaps(cut, BarSpec.parse("1d"), "XNYS")
    assert [g.description for g in gaps] == ["2001-09-17: 1 XNYS session missing"]


def test_five_minute_file_is_close_labelled_berlin_time_matching_xetr(shared_data: Path) -> None:
    # Bars run 09:05..17:30 Berlin: Xetra's 09:00..17:30 session labelled by bar close.
    path = shared_data / FIVE_MIN_FILE
    labelled = import_bars(path, tz="Europe/Berlin", bar_label="close", calendar="XETR")
    assert labelled.report.warnings == []
    assert labelled.frame["ts_event"].iloc[0] == expected_ns("2006-01-02", "08:00:00")
    as_open = import_bars(path, tz="Europe/Berlin", calendar="XETR")
    gaps = as_open.report.warnings
    assert len(gaps) == 21  # one per session: the 09:00 bar seems missing when misread
    assert all("09:00 Europe/Berlin: 1 5m bar missing" in g.message for g in gaps)


def test_orcl_adjusted_close_equals_adj_close(shared_data: Path) -> None:
    frame = read_bars_file(shared_data / ORCL_FILE).frame
    adjusted = adjust_ohlc(frame)
    np.testing.assert_allclose(adjusted["close"], frame["adj_close"], rtol=1e-12)
    assert (adjusted["high"] >= adjusted["low"]).all()
    np.testing.assert_array_equal(adjusted["volume"], frame["volume"])
