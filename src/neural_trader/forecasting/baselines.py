"""The three baselines every model is scored against, vectorised over windows.

A neural forecast means little without them: on prices the naive forecast (tomorrow = today)
is notoriously hard to beat, and on seasonal data (hourly load, temperature) the seasonal naive
forecast is. Each function maps input windows ``[n, input_size]`` to forecasts
``[n, horizon]`` using only the window, exactly like a model, so both are scored on the same
windows with the same metrics (:mod:`neural_trader.forecasting.evaluation`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from neural_trader.core.errors import InvalidArgumentError

__all__ = ["BASELINES", "drift", "naive", "seasonal_naive"]

FloatArray = npt.NDArray[np.float64]


def _windows(windows: npt.ArrayLike, horizon: int) -> FloatArray:
    x = np.asarray(windows, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] < 1:
        raise InvalidArgumentError(f"windows must be [n, input_size], got shape {x.shape}")
    if horizon < 1:
        raise InvalidArgumentError(f"horizon must be >= 1, got {horizon}")
    return x


def naive(windows: npt.ArrayLike, horizon: int, season_length: int = 1) -> FloatArray:
    """Every step equals the last observed value."""
    x = _windows(windows, horizon)
    return np.repeat(x[:, -1:], horizon, axis=1)


def seasonal_naive(windows: npt.ArrayLike, horizon: int, season_length: int = 1) -> FloatArray:
    """Step h repeats the value one season earlier: x[T + h - m * ceil(h / m)]."""
    x = _windows(windows, horizon)
    m = int(season_length)
    if m < 1 or m > x.shape[1]:
        raise InvalidArgumentError(
            f"seasonal naive needs 1 <= season_length <= input size {x.shape[1]}, got {m}"
        )
    length = x.shape[1]
    steps = np.arange(horizon)
    cols = length - m + (steps % m)
    return x[:, cols]


def drift(windows: npt.ArrayLike, horizon: int, season_length: int = 1) -> FloatArray:
    """The line through the window's first and last values, extended: x_T + h (x_T - x_1)/(L-1).

    A one-value window has no slope and gives the naive forecast.
    """
    x = _windows(windows, horizon)
    length = x.shape[1]
    slope = (x[:, -1] - x[:, 0]) / (length - 1) if length > 1 else np.zeros(x.shape[0])
    steps = np.arange(1, horizon + 1, dtype=np.float64)
    return x[:, -1:] + slope[:, None] * steps[None, :]


Baseline = Callable[[npt.ArrayLike, int, int], FloatArray]

BASELINES: dict[str, Baseline] = {
    "naive": naive,
    "seasonal_naive": seasonal_naive,
    "drift": drift,
}
