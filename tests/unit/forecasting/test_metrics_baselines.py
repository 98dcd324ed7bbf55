"""Metrics and baselines against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.forecasting.baselines import drift, naive, seasonal_naive
from neural_trader.forecasting.metrics import coverage, mae, mape, mase, rmse, smape

Y = np.array([[10.0, 12.0], [8.0, 0.0]])
F = np.array([[11.0, 9.0], [8.0, 2.0]])  # errors 1, -3, 0, 2


def test_point_metrics_by_hand() -> None:
    assert mae(Y, F) == pytest.approx((1 + 3 + 0 + 2) / 4)
    assert rmse(Y, F) == pytest.approx(math.sqrt((1 + 9 + 0 + 4) / 4))
    # MAPE skips y == 0: (1/10 + 3/12 + 0/8) / 3
    assert mape(Y, F) == pytest.approx(100 * (0.1 + 0.25 + 0.0) / 3)
    # sMAPE: 200 * mean(|e| / (|y| + |f|)) over all four
    assert smape(Y, F) == pytest.approx(200 * (1 / 21 + 3 / 21 + 0 / 16 + 2 / 2) / 4)


def test_mape_undefined_when_every_actual_is_zero() -> None:
    assert math.isnan(mape([0.0, 0.0], [1.0, 2.0]))
    assert smape([0.0], [0.0]) == 0.0


def test_mase_uses_each_windows_insample_seasonal_scale() -> None:
    inputs = np.array([[1.0, 2.0, 4.0, 7.0], [5.0, 5.0, 5.0, 5.0], [0.0, 2.0, 0.0, 2.0]])
    y = np.array([[8.0], [6.0], [0.0]])
    f = np.array([[10.0], [5.0], [1.0]])
    # window 1: scale mean(|1|,|2|,|3|) = 2, error 2 -> 1; window 2: scale 0 -> left out;
    # window 3: scale 2, error 1 -> 0.5
    assert mase(y, f, inputs, 1) == pytest.approx((1.0 + 0.5) / 2)
    # season 2: window 1 scale mean(|4-1|, |7-2|) = 4 -> 0.5; window 3 scale 0 -> left out
    assert mase(y, f, inputs, 2) == pytest.approx(0.5)
    with pytest.raises(InvalidArgumentError):
        mase(y, f, inputs, 4)


def test_coverage_counts_inclusive_bounds() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert coverage(y, y - 1, y + 1) == 1.0
    assert coverage(y, [1.0, 2.5, 0.0, 5.0], [1.0, 3.0, 2.0, 6.0]) == 0.25


def test_shapes_must_match() -> None:
    with pytest.raises(InvalidArgumentError):
        mae([1.0, 2.0], [1.0])


def test_baselines_by_hand() -> None:
    w = np.array([[1.0, 3.0, 2.0, 6.0, 5.0]])
    assert naive(w, 3).tolist() == [[5.0, 5.0, 5.0]]
    # season 2: steps repeat the last two values: 6, 5, 6, 5
    assert seasonal_naive(w, 4, 2).tolist() == [[6.0, 5.0, 6.0, 5.0]]
    # season 3: 2, 6, 5, 2
    assert seasonal_naive(w, 4, 3).tolist() == [[2.0, 6.0, 5.0, 2.0]]
    # drift: slope (5 - 1) / 4 = 1
    assert drift(w, 3).tolist() == [[6.0, 7.0, 8.0]]
    assert seasonal_naive(w, 2, 1).tolist() == naive(w, 2).tolist()
    with pytest.raises(InvalidArgumentError):
        seasonal_naive(w, 2, 6)


def test_baselines_are_vectorised_over_windows() -> None:
    w = np.arange(12.0).reshape(3, 4)
    assert naive(w, 2)[:, 0].tolist() == [3.0, 7.0, 11.0]
    assert drift(w, 1)[:, 0].tolist() == [4.0, 8.0, 12.0]
