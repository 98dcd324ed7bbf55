"""Windows, time splits without leakage, calendar features, season inference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.forecasting.datasets import (
    WindowSet,
    calendar_feature_names,
    calendar_features,
    infer_season_length,
    make_windows,
    split_windows,
    time_split,
    window_origins,
)


def test_make_windows_by_hand() -> None:
    x, y = make_windows(np.arange(10.0), 3, 2)
    assert x.shape == (6, 3)
    assert y.shape == (6, 2)
    assert x[0].tolist() == [0.0, 1.0, 2.0]
    assert y[0].tolist() == [3.0, 4.0]
    assert y[-1].tolist() == [8.0, 9.0]
    assert window_origins(10, 3, 2, start=5, stop=9).tolist() == [5, 6, 7]


def test_windowset_gathers_the_right_series() -> None:
    a, b = np.arange(10.0), 100.0 + np.arange(8.0)
    ws = WindowSet([a, b], None, input_size=3, horizon=2, series_index=[0, 1, 1], origins=[3, 3, 6])
    y_in, ex, y_out = ws.arrays()
    assert ex is None
    assert y_in.tolist() == [[0, 1, 2], [100, 101, 102], [103, 104, 105]]
    assert y_out.tolist() == [[3, 4], [103, 104], [106, 107]]
    batch = ws.batch([2])
    assert batch.y_in.dtype == np.float32
    with pytest.raises(InvalidArgumentError):
        WindowSet([a], None, input_size=3, horizon=2, series_index=[0], origins=[9])


def test_exogenous_windows_are_past_only() -> None:
    a = np.arange(10.0)
    feats = np.stack([np.arange(10.0), -np.arange(10.0)], axis=1)
    ws = WindowSet.from_ranges([a], [feats], input_size=3, horizon=2, ranges=[(0, 10)])
    _, ex, _ = ws.arrays([0])
    assert ex is not None
    assert ex.shape == (1, 3, 2)
    assert ex[0, :, 0].tolist() == [0.0, 1.0, 2.0]  # rows before the origin 3


@pytest.mark.parametrize("lengths", [[200], [200, 150, 90]])
def test_no_leakage_between_train_validation_and_test(lengths: list[int]) -> None:
    series = [np.arange(n, dtype=float) for n in lengths]
    splits = split_windows(
        series, None, input_size=12, horizon=5, val_fraction=0.2, test_fraction=0.2
    )
    assert splits.val is not None
    assert splits.test is not None
    for i, b in enumerate(splits.bounds):
        tr_in, tr_out = splits.train.row_indices()
        mine = splits.train.series_index == i
        assert tr_out[mine].max() < b.train_end  # training never reads val/test rows
        assert tr_in[mine].max() < b.train_end
        v_in, v_out = splits.val.row_indices()
        mine = splits.val.series_index == i
        assert v_out[mine].min() >= b.train_end  # no val target was a training target
        assert v_out[mine].max() < b.val_end
        assert v_in[mine].min() < b.train_end  # history before the cut is allowed as input
        _t_in, t_out = splits.test.row_indices()
        mine = splits.test.series_index == i
        assert t_out[mine].min() >= b.val_end
        assert t_out[mine].max() == b.n_rows - 1
        # every possible window of each part is there
        assert mine.sum() == b.n_rows - b.val_end - 5 + 1
    # the values gathered are the series' own rows (the gather uses the right offsets)
    _, _, y_out = splits.test.arrays()
    assert np.array_equal(y_out, splits.test.row_indices()[1].astype(float))


def test_time_split_refuses_parts_without_a_window() -> None:
    b = time_split(100, 10, 5, 0.2, 0.1)
    assert (b.train_end, b.val_end, b.n_rows) == (70, 90, 100)
    with pytest.raises(InvalidArgumentError, match="fewer than the horizon"):
        time_split(100, 10, 15, 0.1, 0.0)
    with pytest.raises(InvalidArgumentError, match="not one training window"):
        time_split(30, 25, 5, 0.2, 0.0)


def _ns(stamps: pd.DatetimeIndex) -> np.ndarray:
    return stamps.as_unit("ns").asi8


def test_calendar_features_by_hand() -> None:
    ts = _ns(pd.DatetimeIndex(["2024-01-01 00:00", "2024-01-01 06:00"], tz="UTC"))  # a Monday
    names = calendar_feature_names(ts)
    assert names[:2] == ("calendar:tod_sin", "calendar:tod_cos")
    feats = calendar_features(ts, names)
    col = {n.split(":")[1]: feats[:, i] for i, n in enumerate(names)}
    assert col["tod_sin"][1] == pytest.approx(1.0)  # 06:00 is a quarter of the day
    assert col["tod_cos"][0] == pytest.approx(1.0)
    assert col["dow_sin"][0] == pytest.approx(0.0, abs=1e-7)  # Monday = 0
    assert col["doy_sin"][0] == pytest.approx(0.0, abs=1e-7)  # 1 January
    daily = _ns(pd.date_range("2024-01-01", periods=10, freq="D", tz="UTC"))
    assert "calendar:tod_sin" not in calendar_feature_names(daily)


def test_season_length_follows_the_frequency() -> None:
    hourly = _ns(pd.date_range("2024-01-01", periods=24 * 10, freq="h", tz="UTC"))
    assert infer_season_length(hourly) == 24
    weekdays = _ns(pd.bdate_range("2024-01-01", periods=60, tz="UTC"))
    assert infer_season_length(weekdays) == 5
    every_day = _ns(pd.date_range("2024-01-01", periods=60, freq="D", tz="UTC"))
    assert infer_season_length(every_day) == 7
    session = pd.DatetimeIndex(
        [
            t
            for d in pd.bdate_range("2024-01-01", periods=5)
            for t in pd.date_range(d + pd.Timedelta("14h30min"), periods=78, freq="5min")
        ],
        tz="UTC",
    )
    assert infer_season_length(_ns(session)) == 78
