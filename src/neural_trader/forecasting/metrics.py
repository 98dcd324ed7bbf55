"""Forecast accuracy metrics over windows, in plain numpy.

Every function takes arrays of shape ``[n_windows, horizon]`` (a 1-D array is one window) and
averages over all entries, so a score is comparable between a model and a baseline evaluated on
the same windows. Definitions (percentages are in percent, as people quote them):

* ``mae``  mean |y - f|;  ``rmse`` sqrt(mean (y - f)^2)
* ``mape`` 100 mean |y - f| / |y| over entries with y != 0 (NaN when every y is 0): MAPE is
  undefined at zero, and silently dropping those entries is what every library does, so the
  count of dropped entries is not hidden but the score is still a mean of defined terms.
* ``smape`` 200 mean |y - f| / (|y| + |f|), an entry with y = f = 0 counting 0 (M4 definition).
* ``mase`` per window, MAE divided by the in-sample MAE of the seasonal-naive forecast on that
  window's *input* (mean |x_t - x_{t-m}|), then averaged over windows. The input window is the
  history the forecaster saw, so the scale is known at forecast time and differs per asset and
  regime, which makes MASE comparable across series of different price levels. Windows whose
  input is constant (scale 0) are left out; NaN when all are.
* ``coverage`` share of y inside [lower, upper] (bounds inclusive).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from neural_trader.core.errors import InvalidArgumentError

__all__ = ["coverage", "mae", "mape", "mase", "point_metrics", "rmse", "smape"]

FloatArray = npt.NDArray[np.float64]


def _pair(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    y = np.asarray(y_true, dtype=np.float64)
    f = np.asarray(y_pred, dtype=np.float64)
    if y.shape != f.shape:
        raise InvalidArgumentError(f"actual {y.shape} and forecast {f.shape} differ in shape")
    if y.size == 0:
        raise InvalidArgumentError("no forecasts to score")
    return y, f


def mae(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    y, f = _pair(y_true, y_pred)
    return float(np.mean(np.abs(y - f)))


def rmse(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    y, f = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((y - f) ** 2)))


def mape(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    y, f = _pair(y_true, y_pred)
    ok = y != 0.0
    if not ok.any():
        return float("nan")
    return float(100.0 * np.mean(np.abs(y[ok] - f[ok]) / np.abs(y[ok])))


def smape(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    y, f = _pair(y_true, y_pred)
    den = np.abs(y) + np.abs(f)
    err = np.abs(y - f)
    terms = np.divide(err, den, out=np.zeros_like(err), where=den > 0.0)
    return float(200.0 * np.mean(terms))


def mase(
    y_true: npt.ArrayLike,
    y_pred: npt.ArrayLike,
    insample: npt.ArrayLike,
    season_length: int = 1,
) -> float:
    """MASE with each window's own in-sample seasonal-naive scale (see module doc).

    ``insample`` is ``[n_windows, input_size]``: the input window of each forecast.
    """
    y, f = _pair(y_true, y_pred)
    x = np.asarray(insample, dtype=np.float64)
    if y.ndim == 1:
        y, f = y[None, :], f[None, :]
    if x.ndim == 1:
        x = x[None, :]
    if x.shape[0] != y.shape[0]:
        raise InvalidArgumentError(f"{x.shape[0]} input windows for {y.shape[0]} forecasts")
    m = int(season_length)
    if m < 1 or m >= x.shape[1]:
        raise InvalidArgumentError(
            f"season_length {m} needs 1 <= m < input size {x.shape[1]} for the MASE scale"
        )
    scale = np.mean(np.abs(x[:, m:] - x[:, :-m]), axis=1)
    ok = scale > 0.0
    if not ok.any():
        return float("nan")
    per_window = np.mean(np.abs(y - f), axis=1)[ok] / scale[ok]
    return float(np.mean(per_window))


def coverage(y_true: npt.ArrayLike, lower: npt.ArrayLike, upper: npt.ArrayLike) -> float:
    y, lo = _pair(y_true, lower)
    _, hi = _pair(y_true, upper)
    return float(np.mean((y >= lo) & (y <= hi)))


def point_metrics(
    y_true: npt.ArrayLike,
    y_pred: npt.ArrayLike,
    insample: npt.ArrayLike,
    season_length: int = 1,
) -> dict[str, float]:
    """The five point metrics, by name, as the evaluation tables show them."""
    return {
        "mae": mae(y_true, y_pred),
        "rmse": rmse(y_true, y_pred),
        "mape": mape(y_true, y_pred),
        "smape": smape(y_true, y_pred),
        "mase": mase(y_true, y_pred, insample, season_length),
    }
