"""Training data a model cannot learn from is refused with a clear error, before any step."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neural_trader.core.errors import DataValidationError, InvalidArgumentError
from neural_trader.forecasting.datasets import split_windows
from neural_trader.services.forecast import train_model


def _csv(path: Path, values: list[float]) -> Path:
    dates = pd.date_range("2020-01-01", periods=len(values), freq="D")
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "value": values}).to_csv(path, index=False)
    return path


def test_a_constant_series_is_refused(tmp_path: Path) -> None:
    data = _csv(tmp_path / "flat.csv", [5.0] * 300)
    with pytest.raises(InvalidArgumentError, match="constant") as info:
        train_model(
            "nhits", data_files=[data], target="value", horizon=5, input_size=30, max_steps=5,
            registry=tmp_path / "models",
        )  # fmt: skip
    assert info.value.hint is not None
    assert "naive" in info.value.hint
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())


def test_one_varying_series_among_constant_ones_is_enough() -> None:
    flat = np.full(200, 3.0)
    moving = np.sin(np.arange(200) / 5.0)
    splits = split_windows([flat, moving], None, input_size=20, horizon=5, val_fraction=0.2)
    assert len(splits.train) > 0


def test_nan_in_the_target_is_refused_with_the_row(tmp_path: Path) -> None:
    values = [float(5 + i % 7) for i in range(300)]
    values[120] = float("nan")
    data = _csv(tmp_path / "gap.csv", values)
    with pytest.raises(DataValidationError, match="missing") as info:
        train_model(
            "nhits", data_files=[data], target="value", horizon=5, input_size=30, max_steps=5,
            registry=tmp_path / "models",
        )  # fmt: skip
    assert "121" in info.value.message  # the data row (1-based) that holds the NaN
