"""validate_bars and import_bars reject mode: each problem with its source line and column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neural_trader.core.data import BarSpec
from neural_trader.core.errors import DataValidationError, InvalidArgumentError
from neural_trader.data.importers import import_bars
from neural_trader.data.validation import Issue, ValidationReport, validate_bars

DAY = 86_400 * 1_000_000_000
T0 = int(pd.Timestamp("2024-01-02").value)


def frame(n: int = 4, **overrides: list[float]) -> pd.DataFrame:
    data: dict[str, object] = {
        "ts_event": np.arange(n, dtype=np.int64) * DAY + T0,
        "open": [10.0] * n,
        "high": [11.0] * n,
        "low": [9.0] * n,
        "close": [10.5] * n,
        "volume": [100.0] * n,
    }
    data.update(overrides)
    return pd.DataFrame(data)


def codes(report: ValidationReport) -> list[tuple[str, int | None, str | None]]:
    return [(i.code, i.row, i.column) for i in report.issues]


def test_validate_bars_clean_frame_is_ok() -> None:
    report = validate_bars(frame())
    assert report.ok
    assert report.issues == []
    assert report.rows_checked == 4


def test_validate_bars_reports_source_lines_from_row_numbers() -> None:
    df = frame(close=[10.5, np.nan, 10.5, 10.5])
    report = validate_bars(df, row_numbers=np.array([2, 5, 6, 7]))
    assert codes(report) == [("nan", 5, "close")]
    assert report.issues[0].message.startswith("line 5, close:")


def test_validate_bars_without_row_numbers_reports_positions() -> None:
    report = validate_bars(frame(volume=[1.0, 1.0, -1.0, 1.0]))
    assert codes(report) == [("negative_volume", 2, "volume")]
    assert report.issues[0].message.startswith("row 2, volume")


def test_validate_bars_non_positive_prices_each_flagged() -> None:
    report = validate_bars(frame(open=[10.0, 0.0, 10.0, 10.0], low=[9.0, 9.0, -1.0, 9.0]))
    assert ("non_positive_price", 1, "open") in codes(report)
    assert ("non_positive_price", 2, "low") in codes(report)
    assert not report.ok


def test_validate_bars_high_below_low_not_also_reported_as_range() -> None:
    report = validate_bars(frame(high=[11.0, 8.0, 11.0, 11.0]))
    assert codes(report) == [("high_below_low", 1, "high")]


def test_validate_bars_open_and_close_outside_range() -> None:
    report = validate_bars(frame(open=[12.0, 10, 10, 10], close=[10.5, 10.5, 8.0, 10.5]))
    assert codes(report) == [("open_outside_range", 0, "open"), ("close_outside_range", 2, "close")]


def test_validate_bars_float_noise_within_tolerance_is_accepted() -> None:
    report = validate_bars(frame(close=[11.0 * (1 + 1e-12), 10.5, 10.5, 9.0 * (1 - 1e-12)]))
    assert report.ok


def test_validate_bars_relative_error_above_tolerance_is_flagged() -> None:
    report = validate_bars(frame(close=[11.0 * (1 + 1e-6), 10.5, 10.5, 10.5]))
    assert codes(report) == [("close_outside_range", 0, "close")]


def test_validate_bars_duplicate_names_first_occurrence() -> None:
    df = frame()
    df.loc[2, "ts_event"] = df.loc[1, "ts_event"]
    report = validate_bars(df, row_numbers=np.array([2, 3, 4, 5]))
    dup = [i for i in report.issues if i.code == "duplicate_timestamp"]
    assert [(i.row, i.column) for i in dup] == [(4, "ts_event")]
    assert "repeats line 3" in dup[0].message


def test_validate_bars_unsorted_flags_the_row_that_goes_back() -> None:
    df = frame()
    df["ts_event"] = df["ts_event"].to_numpy()[[0, 2, 1, 3]]
    report = validate_bars(df)
    assert codes(report) == [("unsorted", 2, "ts_event")]


def test_validate_bars_infinite_value_is_an_error() -> None:
    report = validate_bars(frame(volume=[np.inf, 1.0, 1.0, 1.0]))
    assert codes(report) == [("infinite", 0, "volume")]


def test_validate_bars_calendar_without_spec_is_invalid_argument() -> None:
    with pytest.raises(InvalidArgumentError, match="need the bar spec"):
        validate_bars(frame(), calendar="XNYS")


def test_validate_bars_calendar_gaps_are_warnings_and_ok_stays_true() -> None:
    # 2024-01-02..05 are sessions; drop 01-04.
    df = frame().drop(index=2).reset_index(drop=True)
    report = validate_bars(df, spec=BarSpec.parse("1d"), calendar="XNYS")
    assert report.ok
    assert [(i.code, i.severity, i.row) for i in report.issues] == [("gap", "warning", 2)]
    assert "2024-01-04: 1 XNYS session missing" in report.issues[0].message


def test_validation_report_summary_limits_and_counts() -> None:
    issues = [Issue("nan", "error", f"line {i}: x", row=i) for i in range(15)]
    report = ValidationReport(rows_checked=20, issues=issues)
    text = report.summary(limit=3)
    assert text.splitlines()[0] == "15 error(s), 0 warning(s) in 20 rows"
    assert len(text.splitlines()) == 5
    assert "and 12 more (nan: 15)" in text
    as_dict = report.to_dict(limit=2)
    assert as_dict["counts"] == {"nan": 15}
    assert len(as_dict["issues"]) == 2
    assert as_dict["ok"] is False


# --------------------------------------------------------------------------- via files

HEADER = "Date,Open,High,Low,Close,Volume\n"


def _file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + body)
    return path


@pytest.mark.parametrize("token", ["", "nan", "null", "NaN", "NULL"])
def test_import_bars_nan_tokens_reject_with_line_and_column(tmp_path: Path, token: str) -> None:
    body = f"2024-01-02,10,11,9,10.5,100\n2024-01-03,10,11,9,{token},100\n"
    with pytest.raises(DataValidationError, match=r"line 3, close: value is missing") as err:
        import_bars(_file(tmp_path, body))
    assert [(i.code, i.row, i.column) for i in err.value.report.errors] == [("nan", 3, "close")]


def test_import_bars_negative_and_zero_prices_reject(tmp_path: Path) -> None:
    body = "2024-01-02,-10,11,9,10.5,100\n2024-01-03,10,11,0,10.5,100\n"
    with pytest.raises(DataValidationError) as err:
        import_bars(_file(tmp_path, body))
    found = {(i.code, i.row, i.column) for i in err.value.report.errors}
    assert ("non_positive_price", 2, "open") in found
    assert ("non_positive_price", 3, "low") in found


def test_import_bars_duplicate_timestamps_reject(tmp_path: Path) -> None:
    body = "2024-01-02,10,11,9,10.5,100\n2024-01-02,10,11,9,10.5,100\n"
    with pytest.raises(
        DataValidationError, match=r"line 3, ts_event: timestamp 2024-01-02 repeats"
    ):
        import_bars(_file(tmp_path, body))


def test_import_bars_unsorted_timestamps_reject(tmp_path: Path) -> None:
    body = "2024-01-03,10,11,9,10.5,100\n2024-01-02,10,11,9,10.5,100\n"
    with pytest.raises(DataValidationError, match=r"line 3, ts_event: .* earlier"):
        import_bars(_file(tmp_path, body))


def test_import_bars_error_message_lists_first_ten_and_hint(tmp_path: Path) -> None:
    body = "".join(f"2024-01-{d:02d},10,11,9,,100\n" for d in range(1, 26))
    with pytest.raises(DataValidationError) as err:
        import_bars(_file(tmp_path, body))
    text = str(err.value)
    assert "25 error(s)" in text
    assert "line 11, close" in text
    assert "line 12, close" not in text
    assert "repair=True" in text
    assert len(err.value.report.errors) == 25


def test_import_bars_gap_warnings_do_not_reject(tmp_path: Path) -> None:
    body = "2024-01-02,10,11,9,10.5,100\n2024-01-04,10,11,9,10.5,100\n"
    result = import_bars(_file(tmp_path, body), calendar="XNYS")
    assert len(result.frame) == 2
    assert [(w.code, w.row) for w in result.report.warnings] == [("gap", 3)]
