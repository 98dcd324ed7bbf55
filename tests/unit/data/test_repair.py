"""repair_bars and import_bars(repair=True): every change reported with its row, result valid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from neural_trader.data.importers import import_bars
from neural_trader.data.validation import repair_bars, validate_bars

DAY = 86_400 * 1_000_000_000
T0 = int(pd.Timestamp("2024-01-02").value)


def frame(n: int = 5, **overrides: list[float]) -> pd.DataFrame:
    data: dict[str, object] = {
        "ts_event": np.arange(n, dtype=np.int64) * DAY + T0,
        "open": [10.0 + i for i in range(n)],
        "high": [11.0 + i for i in range(n)],
        "low": [9.0 + i for i in range(n)],
        "close": [10.5 + i for i in range(n)],
        "volume": [100.0] * n,
    }
    data.update(overrides)
    return pd.DataFrame(data)


def repaired(df: pd.DataFrame, rows: list[int] | None = None) -> tuple[pd.DataFrame, list[tuple]]:
    nums = np.asarray(rows) if rows is not None else None
    out, report = repair_bars(df, validate_bars(df, row_numbers=nums), row_numbers=nums)
    assert validate_bars(out).ok
    return out, [(r.action, r.row, r.column) for r in report.repairs]


def test_repair_bars_nan_price_forward_filled_from_same_column_with_source() -> None:
    df = frame(high=[11.0, np.nan, 13.0, 14.0, 15.0], close=[10.5, 10.5, 12.5, 13.5, 14.5])
    df["open"] = [10.0, 10.0, 12.0, 13.0, 14.0]
    out, actions = repaired(df, rows=[2, 3, 4, 5, 6])
    assert actions == [("forward_filled", 3, "high")]
    assert out["high"].tolist() == [11.0, 11.0, 13.0, 14.0, 15.0]


def test_repair_bars_fill_detail_names_value_and_source_line() -> None:
    df = frame(close=[10.5, np.nan, 12.5, 13.5, 14.5], high=[11.0, 12.0, 13.0, 14.0, 15.0])
    _, report = repair_bars(df, validate_bars(df), row_numbers=np.arange(2, 7))
    assert report.repairs[0].detail == "line 3: close was missing, filled with 10.5 from line 2"


def test_repair_bars_leading_nan_rows_are_dropped() -> None:
    out, actions = repaired(frame(open=[np.nan, 11.0, 12.0, 13.0, 14.0]))
    assert actions == [("dropped_row", 0, None)]
    assert len(out) == 4


def test_repair_bars_missing_volume_becomes_zero_and_is_reported() -> None:
    out, actions = repaired(frame(volume=[1.0, np.nan, 1.0, 1.0, 1.0]))
    assert actions == [("zero_filled", 1, "volume")]
    assert out["volume"].iloc[1] == 0.0


def test_repair_bars_non_positive_and_inconsistent_rows_dropped() -> None:
    df = frame(low=[9.0, -1.0, 11.0, 12.0, 13.0], high=[11.0, 12.0, 10.0, 14.0, 15.0])
    out, actions = repaired(df)
    assert actions == [("dropped_row", 1, "low"), ("dropped_row", 2, "high")]
    assert out["ts_event"].tolist() == [T0, T0 + 3 * DAY, T0 + 4 * DAY]


def test_repair_bars_fill_that_makes_bar_inconsistent_drops_it() -> None:
    # Row 1's high is missing; carrying 11 forward would put it below its close of 11.5.
    df = frame(high=[11.0, np.nan, 13.0, 14.0, 15.0], low=[9.0, 10.8, 11.0, 12.0, 13.0])
    out, report = repair_bars(df, validate_bars(df))
    assert [(r.action, r.row, r.column) for r in report.repairs] == [("dropped_row", 1, "close")]
    assert report.repairs[0].detail.endswith("after forward fill")
    assert len(out) == 4
    assert validate_bars(out).ok


def test_repair_bars_duplicates_keep_first_and_say_when_values_differ() -> None:
    df = frame()
    df.loc[2, "ts_event"] = df.loc[1, "ts_event"]
    df.loc[3, "ts_event"] = df.loc[1, "ts_event"]
    df.loc[3, ["open", "high", "low", "close"]] = [11.0, 12.0, 10.0, 11.5]
    out, report = repair_bars(df, validate_bars(df))
    dups = [r for r in report.repairs if r.action == "dropped_duplicate"]
    assert [r.row for r in dups] == [2, 3]
    assert "values differ: open 12 vs kept 11" in dups[0].detail
    assert "identical values" in dups[1].detail
    assert out["open"].tolist() == [10.0, 11.0, 14.0]


def test_repair_bars_sorts_and_reports_once() -> None:
    df = frame().iloc[[0, 2, 1, 3, 4]].reset_index(drop=True)
    out, actions = repaired(df)
    assert actions == [("sorted", None, "ts_event")]
    assert out["ts_event"].is_monotonic_increasing


def test_repair_bars_clean_frame_is_unchanged_with_no_repairs() -> None:
    df = frame()
    out, report = repair_bars(df, validate_bars(df))
    pd.testing.assert_frame_equal(out, df)
    assert report.repairs == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 8),
            st.sampled_from(["open", "high", "low", "close", "volume"]),
            st.sampled_from([np.nan, 0.0, -5.0, 1e6, np.inf]),
        ),
        max_size=8,
    ),
    st.permutations(range(9)),
    st.integers(0, 3),
)
def test_repair_bars_any_corruption_yields_valid_frame(
    corruptions: list[tuple[int, str, float]], order: list[int], dups: int
) -> None:
    df = frame(9)
    for row, col, value in corruptions:
        df.loc[row, col] = value
    for k in range(dups):
        df.loc[k + 1, "ts_event"] = df.loc[0, "ts_event"]
    df = df.iloc[list(order)].reset_index(drop=True)
    out, report = repair_bars(df, validate_bars(df))
    assert validate_bars(out).ok
    dropped = sum(r.action in ("dropped_row", "dropped_duplicate") for r in report.repairs)
    assert len(out) + dropped == len(df)


def test_import_bars_repair_reports_source_lines_and_passes(tmp_path: Path) -> None:
    path = tmp_path / "messy.csv"
    path.write_text(
        "Date,Open,High,Low,Close,Volume\n"
        "2024-01-03,10,11,9,10.5,100\n"
        "2024-01-02,10,11,9,10.5,100\n"
        "2024-01-04,10,11,9,,100\n"
        "2024-01-05,10,11,9,abc,100\n"
        "2024-01-08,10,11,9,10.5\n"
        "2024-01-09,-1,11,9,10.5,100\n"
    )
    result = import_bars(path, repair=True, calendar="XNYS")
    actions = [(r.action, r.row) for r in result.report.repairs]
    assert ("sorted", None) in actions
    assert ("forward_filled", 4) in actions
    assert ("dropped_row", 5) in actions  # unparseable 'abc'
    assert ("dropped_row", 6) in actions  # 5 fields
    assert ("dropped_row", 7) in actions  # negative open
    assert result.report.ok
    assert result.report.rows_checked == 6
    assert len(result.frame) == 3
    assert validate_bars(result.frame).ok
