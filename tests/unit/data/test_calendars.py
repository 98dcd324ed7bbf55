"""Gaps against exchange calendars: closures are not gaps, missing sessions and bars are."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neural_trader.core.data import BarSpec
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.data.calendars import calendar_names, find_gaps

D1 = BarSpec.parse("1d")
M5 = BarSpec.parse("5m")


def days(*dates: str) -> np.ndarray:
    return np.array([pd.Timestamp(d).value for d in dates], dtype=np.int64)


def session_5m(day: str, open_utc: str = "14:30", bars: int = 78) -> np.ndarray:
    start = pd.Timestamp(f"{day} {open_utc}").value
    return start + np.arange(bars, dtype=np.int64) * M5.nanos


def test_calendar_names_include_xnys_and_aliases() -> None:
    names = calendar_names()
    assert "XNYS" in names
    assert "NYSE" in names


def test_find_gaps_unknown_calendar_lists_valid_codes() -> None:
    with pytest.raises(InvalidArgumentError, match=r"unknown exchange calendar 'XNYZ'.*XNYS"):
        find_gaps(days("2024-01-02"), D1, "XNYZ")


def test_find_gaps_daily_exchange_closure_is_not_a_gap() -> None:
    # The NYSE was closed 2001-09-11..14: the data has no bars then and none are expected.
    ts = days("2001-09-07", "2001-09-10", "2001-09-17", "2001-09-18")
    assert find_gaps(ts, D1, "XNYS") == []


def test_find_gaps_daily_missing_sessions_grouped_into_runs() -> None:
    ts = days("2024-01-02", "2024-01-05", "2024-01-08", "2024-01-10")
    gaps = find_gaps(ts, D1, "XNYS")
    assert [(g.missing_bars, g.description) for g in gaps] == [
        (2, "2024-01-03..2024-01-04: 2 XNYS sessions missing"),
        (1, "2024-01-09: 1 XNYS session missing"),
    ]
    assert gaps[0].start_ns == pd.Timestamp("2024-01-03").value
    assert gaps[0].end_ns == pd.Timestamp("2024-01-05").value


def test_find_gaps_daily_old_data_outside_default_calendar_bounds() -> None:
    ts = days("1995-01-03", "1995-01-05")
    gaps = find_gaps(ts, D1, "XNYS")
    assert [g.description for g in gaps] == ["1995-01-04: 1 XNYS session missing"]


def test_find_gaps_intraday_full_session_has_no_gaps() -> None:
    assert find_gaps(session_5m("2024-01-02"), M5, "XNYS") == []


def test_find_gaps_intraday_missing_bars_inside_session() -> None:
    ts = np.delete(session_5m("2024-01-02"), [10, 11, 12])
    (gap,) = find_gaps(ts, M5, "XNYS")
    assert gap.missing_bars == 3
    assert gap.start_ns == pd.Timestamp("2024-01-02 15:20").value
    assert gap.end_ns == pd.Timestamp("2024-01-02 15:35").value
    assert gap.description.startswith("2024-01-02 10:20..10:30 America/New_York: 3 5m bars")


def test_find_gaps_intraday_early_close_expects_fewer_bars() -> None:
    # 2024-11-29 (day after Thanksgiving) closes at 13:00 New York: 42 five-minute bars.
    assert find_gaps(session_5m("2024-11-29", bars=42), M5, "XNYS") == []


def test_find_gaps_intraday_missing_whole_session_between_data() -> None:
    ts = np.concatenate([session_5m("2024-01-02"), session_5m("2024-01-04")])
    gaps = find_gaps(ts, M5, "XNYS")
    assert [g.missing_bars for g in gaps] == [78]
    assert gaps[0].start_ns == pd.Timestamp("2024-01-03 14:30").value


def test_find_gaps_intraday_description_in_requested_tz() -> None:
    ts = np.delete(session_5m("2024-01-02"), [5])
    (gap,) = find_gaps(ts, M5, "XNYS", tz="UTC")
    assert gap.description.startswith("2024-01-02 14:55 UTC: 1 5m bar missing")


def test_find_gaps_weekly_missing_week() -> None:
    ts = days("2024-01-01", "2024-01-15")
    gaps = find_gaps(ts, BarSpec.parse("1w"), "XNYS")
    assert [g.missing_bars for g in gaps] == [1]
    assert gaps[0].description.startswith("2024-01-08")
