"""Reading series for forecasting, the demo step, and the lazy torch import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neural_trader.core.errors import DataFormatError, DataValidationError, InvalidArgumentError
from neural_trader.services.forecast import read_series


def _write(tmp_path: Path, frame: pd.DataFrame, name: str = "s.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def test_read_series_columns_are_case_insensitive(tmp_path: Path) -> None:
    f = pd.DataFrame({"Date": ["2024-01-02", "2024-01-03", "2024-01-04"], "Close": [1, 2, 3.5]})
    s = read_series(data_file=_write(tmp_path, f), target="close")
    assert s.values.tolist() == [1.0, 2.0, 3.5]
    assert s.label(int(s.ts[0])) == "2024-01-02"
    assert s.exog is None


def test_read_series_parses_numeric_dates_and_epochs(tmp_path: Path) -> None:
    f = pd.DataFrame({"date": [20240102, 20240103], "y": [1.0, 2.0]})
    s = read_series(data_file=_write(tmp_path, f), target="y")
    assert s.label(int(s.ts[1])) == "2024-01-03"
    epoch = pd.DataFrame({"ts": [1_704_153_600, 1_704_157_200], "y": [1.0, 2.0]})
    s = read_series(data_file=_write(tmp_path, epoch, "e.csv"), target="y")
    assert s.step_ns == 3_600_000_000_000
    rows = pd.DataFrame({"ts": [1, 2], "y": [1.0, 2.0]})
    with pytest.raises(DataFormatError, match="small numbers"):
        read_series(data_file=_write(tmp_path, rows, "r.csv"), target="y")


def test_a_file_without_timestamps_says_so(tmp_path: Path) -> None:
    f = pd.DataFrame({"when": ["2024-01-02", "2024-01-03"], "y": [1.0, 2.0]})
    with pytest.raises(DataFormatError, match="no timestamp column"):
        read_series(data_file=_write(tmp_path, f), target="y")


def test_read_series_refuses_bad_rows(tmp_path: Path) -> None:
    f = pd.DataFrame({"date": ["2024-01-02", "2024-01-02"], "y": [1.0, 2.0]})
    with pytest.raises(DataValidationError, match="increase strictly"):
        read_series(data_file=_write(tmp_path, f), target="y")
    f = pd.DataFrame({"date": ["2024-01-02", "2024-01-03"], "y": [1.0, "x"]})
    with pytest.raises(DataValidationError, match="non-numeric"):
        read_series(data_file=_write(tmp_path, f), target="y")
    with pytest.raises(InvalidArgumentError, match="exactly one"):
        read_series(target="y")


def test_read_series_reads_a_date_time_bar_file_through_the_importer(
    shared_data: Path,
) -> None:
    s = read_series(data_file=shared_data / "2006-min-005.txt", target="close", features=["volume"])
    assert s.rows == 2_142
    assert s.features == ("volume",)
    assert s.exog is not None
    assert s.step_ns == 300_000_000_000


def test_demo_forecast_reports_the_model_next_to_naive() -> None:
    pytest.importorskip("torch")
    from neural_trader.services.forecast import demo_forecast

    d = demo_forecast(max_steps=40)
    assert d.naive_mae == d.test.metrics["naive"]["mae"]
    assert d.mae == d.test.metrics["model"]["mae"]
    assert d.test_windows == 499
    assert d.last_time == "2018-12-31"
    # NYSE sessions after Monday 31 December 2018: New Year's Day is skipped
    assert [p.time for p in d.forecast] == [
        "2019-01-02",
        "2019-01-03",
        "2019-01-04",
        "2019-01-07",
        "2019-01-08",
    ]
    assert all(p.lower["95"] < p.forecast < p.upper["95"] for p in d.forecast)
    assert np.isfinite(d.mae)


def test_importing_forecasting_does_not_import_torch() -> None:
    code = (
        "import sys, neural_trader.forecasting as f, neural_trader.services.forecast;"
        "from neural_trader.forecasting import ModelRegistry, make_config, WindowSet;"
        "from neural_trader.forecasting.onnx_export import OnnxPredictor;"
        "import neural_trader.fronts.cli.forecast_commands;"
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_torch_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from neural_trader.core.errors import MissingDependencyError\n"
        "try:\n"
        "    import neural_trader.forecasting.models\n"
        "except MissingDependencyError as e:\n"
        "    assert e.extra == 'forecast' and 'neural-trader[forecast]' in str(e), str(e)\n"
        "else:\n"
        "    raise SystemExit('no error')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
