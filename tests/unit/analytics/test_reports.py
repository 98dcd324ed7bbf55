from __future__ import annotations

import re
import struct
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neural_trader.analytics.reports import (
    format_value,
    metric_rows,
    monthly_returns,
    write_html_report,
    write_png_report,
)
from neural_trader.analytics.summary import PerformanceSummary, summarize
from neural_trader.analytics.trades import TRADE_DTYPE, ExitReason
from neural_trader.core.errors import InvalidArgumentError, MissingDependencyError


def ns(*dates: str) -> np.ndarray:
    return pd.to_datetime(list(dates), utc=True).as_unit("ns").asi8


def test_monthly_returns_hand_computed_from_month_end_equity() -> None:
    ts = ns("2024-01-30", "2024-01-31", "2024-02-01", "2024-02-29", "2024-03-01", "2024-03-04")
    eq = np.array([100.0, 102.0, 101.0, 105.0, 104.0, 110.0])
    table = monthly_returns(eq, ts)
    assert table.index.tolist() == [2024]
    assert np.asarray(table.columns).tolist() == list(range(1, 13))
    # Jan from the starting capital (100), then each month from the previous month's last value
    np.testing.assert_allclose(table.loc[2024, [1, 2, 3]], [0.02, 105 / 102 - 1, 110 / 105 - 1])
    assert table.loc[2024, 4:].isna().all()


def test_monthly_returns_gap_month_nan_and_next_month_spans_gap() -> None:
    ts = ns("2023-12-29", "2024-01-31", "2024-03-28")
    table = monthly_returns(np.array([50.0, 55.0, 66.0]), ts)
    assert table.index.tolist() == [2023, 2024]
    assert table.loc[2023, 12] == 0.0
    assert table.loc[2024, 1] == pytest.approx(0.10)
    assert np.isnan(table.to_numpy(dtype=np.float64)[1, 1])  # 2024-02
    assert table.loc[2024, 3] == pytest.approx(0.20)


def test_monthly_returns_unsorted_timestamps_raise() -> None:
    with pytest.raises(InvalidArgumentError, match="increasing"):
        monthly_returns([1.0, 2.0], ns("2024-02-01", "2024-01-01"))


def fixture_run() -> tuple[np.ndarray, np.ndarray, PerformanceSummary, np.ndarray]:
    rng = np.random.default_rng(4)
    n = 300
    ts = pd.bdate_range("2021-01-04", periods=n, tz="UTC").as_unit("ns").asi8
    eq = 1000.0 * np.r_[1.0, np.cumprod(1 + rng.normal(0.0005, 0.01, n - 1))]
    trades = np.zeros(3, dtype=TRADE_DTYPE)
    trades["entry_idx"], trades["exit_idx"] = [5, 50, 200], [40, 120, 299]
    trades["entry_ts"], trades["exit_ts"] = ts[trades["entry_idx"]], ts[trades["exit_idx"]]
    trades["side"], trades["quantity"] = [1, -1, 1], 2.0
    trades["entry_price"], trades["exit_price"] = [100.0, 110.0, 105.0], [108.0, 112.0, 111.0]
    trades["pnl"] = [15.8, -4.2, 11.9]
    trades["exit_reason"] = [ExitReason.SIGNAL, ExitReason.STOP_LOSS, ExitReason.END]
    trades["is_open"] = [False, False, True]
    summary = summarize(eq, periods_per_year=252, trades=trades)
    return eq, ts, summary, trades


def test_write_html_report_is_self_contained_with_metrics_and_months(tmp_path: Path) -> None:
    eq, ts, summary, trades = fixture_run()
    out = write_html_report(
        tmp_path / "report.html", equity=eq, ts_event=ts, summary=summary, trades=trades,
        benchmark=eq[::-1].copy(), title="Fixture <run>", max_trades=2,
    )  # fmt: skip
    text = out.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\bsrc\s*=", text)
    assert '<script src="http' not in text
    assert "Plotly" in text  # the library itself is inlined
    assert "Fixture &lt;run&gt;" in text
    # metric values as formatted in the table, checked against hand-formatted numbers
    assert f"<td>Sharpe</td><td>{summary.sharpe:.2f}</td>" in text
    assert f"<td>Max drawdown</td><td>{summary.max_drawdown * 100:.2f}%</td>" in text
    assert "<td>Profit factor</td><td>3.76</td>" in text  # 15.8 / 4.2
    # monthly returns computed independently from month-end equity
    dates = pd.to_datetime(ts, utc=True)
    month_end = pd.Series(eq, index=dates).groupby([dates.year, dates.month]).last()
    rets = month_end / np.r_[eq[0], month_end.to_numpy()[:-1]] - 1
    for value in rets:
        assert f"<td>{value * 100:.2f}%</td>" in text
    assert "Showing the first 2 of 3 trades." in text
    assert "Rolling Sharpe (126 periods)" in text


def test_metric_rows_formats_nan_as_na_and_names_var_method() -> None:
    _, _, summary, _ = fixture_run()
    rows = dict(metric_rows(summary))
    assert rows["Alpha"] == "n/a"  # no benchmark given
    assert rows["VaR 95% (historical)"] == f"{summary.var * 100:.2f}%"
    assert format_value(1234.5, "money") == "1,234.50"


def test_write_png_report_valid_png_of_requested_size(tmp_path: Path) -> None:
    eq, ts, summary, _ = fixture_run()
    out = write_png_report(
        tmp_path / "r.png", equity=eq, ts_event=ts, summary=summary, width_px=900, height_px=600
    )
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (900, 600)


def test_write_html_report_without_plotly_raises_missing_dependency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    eq, ts, summary, _ = fixture_run()
    monkeypatch.setitem(sys.modules, "plotly", None)
    monkeypatch.setitem(sys.modules, "plotly.graph_objects", None)
    with pytest.raises(MissingDependencyError, match="plotly") as info:
        write_html_report(tmp_path / "x.html", equity=eq, ts_event=ts, summary=summary)
    assert info.value.extra == "report"
    assert not (tmp_path / "x.html").exists()


def test_write_png_report_without_matplotlib_raises_missing_dependency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(MissingDependencyError, match="matplotlib"):
        write_png_report(tmp_path / "x.png", equity=np.array([1.0, 2.0]))
