"""Conformal intervals, scoring against baselines, rolling-origin cross-validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.forecasting.baselines import naive, seasonal_naive
from neural_trader.forecasting.conformal import ConformalIntervals
from neural_trader.forecasting.datasets import make_windows
from neural_trader.forecasting.evaluation import evaluate_windows, rolling_origin_cv
from neural_trader.forecasting.metrics import mae
from neural_trader.forecasting.predictor import Forecast


def _ar1(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = np.empty(n)
    y[0] = 0.0
    for t in range(1, n):
        y[t] = 0.8 * y[t - 1] + rng.normal()
    return 50.0 + y


@pytest.mark.parametrize("normalized", [True, False])
def test_conformal_coverage_on_held_out_windows_is_near_nominal(normalized: bool) -> None:
    y = _ar1(8_000, seed=3)
    x, target = make_windows(y, 30, 5)
    point = naive(x, 5)
    half = len(x) // 2
    cal = ConformalIntervals.fit(
        target[:half], point[:half], x[:half], (80.0, 90.0), normalized=normalized
    )
    bands = cal.intervals(point[half:], x[half:])
    for level, (lo, hi) in bands.items():
        covered = np.mean((target[half:] >= lo) & (target[half:] <= hi))
        assert covered == pytest.approx(level / 100.0, abs=0.03)
    # radii grow with the horizon step (step 5 is harder than step 1)
    assert (np.diff(cal.radii, axis=1) > 0).all()
    assert ConformalIntervals.from_dict(cal.to_dict()).radii.tolist() == cal.radii.tolist()


def test_conformal_quantile_with_the_finite_sample_correction() -> None:
    # 9 windows, one step: errors 1..9; level 80 -> ceil(10 * 0.8) = 8th smallest = 8
    y = np.arange(1.0, 10.0)[:, None]
    cal = ConformalIntervals.fit(y, np.zeros_like(y), np.ones((9, 3)), [80.0], normalized=False)
    assert cal.radii[0, 0] == 8.0
    with pytest.raises(InvalidArgumentError, match="at least 19"):
        ConformalIntervals.fit(y, np.zeros_like(y), np.ones((9, 3)), [95.0])


def test_evaluate_windows_scores_model_and_baselines_on_the_same_windows() -> None:
    t = np.arange(300)
    y = 20.0 + np.sin(2 * np.pi * t / 12)
    x, target = make_windows(y, 24, 6)
    perfect = Forecast(point=target.copy(), intervals={90.0: (target - 1, target + 1)})
    ev = evaluate_windows(target, x, perfect, season_length=12)
    assert ev.model["mae"] == 0.0
    assert ev.coverage == {"90": 1.0}
    assert ev.baselines["naive"]["mae"] == pytest.approx(mae(target, naive(x, 6)))
    # a pure period-12 sine: the seasonal naive forecast is exact
    assert ev.baselines["seasonal_naive"]["mae"] == pytest.approx(0.0, abs=1e-12)
    assert set(ev.table()) == {"model", "naive", "seasonal_naive", "drift"}
    # a season longer than the input falls back to 1, and says so
    ev2 = evaluate_windows(target, x, perfect, season_length=48)
    assert ev2.season_length == 1
    assert ev2.notes


def _naive_predict(x: np.ndarray, ex: object) -> Forecast:
    return Forecast(point=naive(x, 4))


def test_rolling_origin_cv_folds_and_refits_on_the_past_only() -> None:
    y = np.cumsum(np.random.default_rng(2).normal(size=200)) + 100.0
    seen: list[int] = []

    def fit(values: list[np.ndarray], exog: object) -> object:
        seen.append(len(values[0]))
        return _naive_predict

    cv = rolling_origin_cv(y, input_size=16, horizon=4, n_folds=3, step=10, fit=fit)
    # fold k's first origin: 200 - 4 - (3 - k) * 10 + 1
    assert [f.first_origin for f in cv.folds] == [167, 177, 187]
    assert seen == [167, 177, 187]  # each fit saw rows before its first origin only
    assert all(f.evaluation.n_windows == 10 for f in cv.folds)
    assert cv.overall.n_windows == 30
    # the model is the naive forecast, so it scores exactly like the naive baseline
    assert cv.overall.model["mae"] == pytest.approx(cv.overall.baselines["naive"]["mae"])
    # without refitting
    cv2 = rolling_origin_cv(y, input_size=16, horizon=4, n_folds=3, step=10, predict=_naive_predict)
    assert cv2.overall.model == cv.overall.model
    with pytest.raises(InvalidArgumentError):
        rolling_origin_cv(y, input_size=16, horizon=4, fit=fit, predict=_naive_predict)


def test_seasonal_naive_as_a_model_matches_its_baseline() -> None:
    y = _ar1(500, seed=1)
    x, target = make_windows(y, 30, 5)
    ev = evaluate_windows(target, x, seasonal_naive(x, 5, 7), season_length=7)
    assert ev.model["mae"] == ev.baselines["seasonal_naive"]["mae"]
    assert not math.isnan(ev.model["mase"])
