"""write_bars_csv: files read_bars_file reads back to equal values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.data.export import write_bars_csv
from neural_trader.data.importers import read_bars_file

MIN = 60 * 10**9


def daily() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ts_event": pd.DatetimeIndex(["2024-01-02", "2024-01-03"]).as_unit("ns").asi8,
            "open": [1.1, 2.2],
            "high": [1.3, 2.3000000000000003],
            "low": [0.1 + 0.2, 2.0],
            "close": [1.2, 2.1],
            "volume": [100.0, 250.5],
            "adj_close": [1.15, 2.05],
        }
    )


def intraday(start: str = "2024-03-01 14:30") -> pd.DataFrame:
    ts = pd.Timestamp(start, tz="UTC").value + np.arange(4, dtype=np.int64) * MIN
    return pd.DataFrame(
        {
            "ts_event": ts,
            "open": [1.0, 2.0, 3.0, 4.0],
            "high": [1.5, 2.5, 3.5, 4.5],
            "low": [0.5, 1.5, 2.5, 3.5],
            "close": [1.25, 2.25, 3.25, 4.25],
            "volume": [10.0, 20.0, 30.0, 40.0],
            "open_interest": [5.0, 5.0, 6.0, 6.0],
        }
    )


def test_write_bars_csv_daily_yahoo_round_trips_exactly(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    write_bars_csv(daily(), path)
    assert path.read_text().splitlines()[0] == "Date,Open,High,Low,Close,Adj Close,Volume"
    pd.testing.assert_frame_equal(read_bars_file(path).frame, daily())


def test_write_bars_csv_daily_dates_not_shifted_by_tz(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    write_bars_csv(daily(), path, tz="Asia/Tokyo")
    assert path.read_text().splitlines()[1].startswith("2024-01-02,")


@pytest.mark.parametrize("tz", ["UTC", "America/New_York"])
def test_write_bars_csv_intraday_yahoo_offsets_round_trip(tmp_path: Path, tz: str) -> None:
    path = tmp_path / "i.csv"
    write_bars_csv(intraday(), path, tz=tz)
    pd.testing.assert_frame_equal(read_bars_file(path).frame, intraday())


@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin"])
def test_write_bars_csv_datetime_layout_round_trips_with_same_tz(tmp_path: Path, tz: str) -> None:
    path = tmp_path / "i.csv"
    write_bars_csv(intraday(), path, layout="datetime", tz=tz)
    lines = path.read_text().splitlines()
    assert lines[0] == "Date,Time,Open,High,Low,Close,Volume,OpenInterest"
    assert lines[1].split(",")[1] == ("14:30:00" if tz == "UTC" else "15:30:00")
    assert lines[1].endswith(",10,5")
    pd.testing.assert_frame_equal(read_bars_file(path, tz=tz).frame, intraday())


def test_write_bars_csv_datetime_layout_refuses_ambiguous_wall_clock(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="DST fall-back"):
        write_bars_csv(
            intraday("2024-10-27 00:30"), tmp_path / "x.csv", layout="datetime", tz="Europe/Berlin"
        )


def test_write_bars_csv_unknown_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="symbol"):
        write_bars_csv(daily().assign(symbol="X"), tmp_path / "x.csv")
