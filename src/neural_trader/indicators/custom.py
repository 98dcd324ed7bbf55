"""Our own indicators, for what TA-Lib does not offer: VWAP, rolling z-score, rolling OLS.

This is the numpy-facing layer over :mod:`neural_trader.indicators.nb`: it validates arguments,
converts inputs to float64 (1-D, or 2-D with one column per symbol, like the TA-Lib wrappers)
and picks the 1-D or 2-D kernel. Everything TA-Lib computes (moving averages, RSI, standard
deviation, ...) stays in :mod:`neural_trader.indicators.talib_wrappers`; see decision 0007.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.indicators import nb
from neural_trader.indicators.talib_wrappers import FloatArray, IndicatorSpec, as_float_inputs

__all__ = [
    "CUSTOM_INDICATORS",
    "OLSResult",
    "rolling_ols_hedge_ratio",
    "rolling_zscore",
    "vwap",
]


class OLSResult(NamedTuple):
    """Hedge ratio ``beta`` and intercept ``alpha`` of y on x, one value per bar."""

    beta: FloatArray
    alpha: FloatArray


def _check_window(func: str, window: Any, minimum: int) -> int:
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < minimum:
        raise InvalidArgumentError(
            f"{func}: window must be an integer >= {minimum}, got {window!r}"
        )
    return int(window)


def vwap(
    high: Any,
    low: Any,
    close: Any,
    volume: Any,
    *,
    window: int | None = None,
    session_ids: Any = None,
) -> FloatArray:
    """Typical-price VWAP, cumulative (per session) or over a trailing window.

    ``tp = (high + low + close) / 3`` (TA-Lib's TYPPRICE); ``vwap = sum(tp * volume) /
    sum(volume)``. With neither option the sums run from the first bar. ``session_ids`` (one
    label per bar: a date, an int, a string) restarts the sums whenever the label changes, the
    usual intraday VWAP; it is 1-D of the bars' length (shared by every column) or the inputs'
    2-D shape. ``window`` gives a rolling VWAP over the last ``window`` bars (NaN for the first
    window-1). The two options are exclusive: a rolling window that also restarts at session
    boundaries has no single obvious warm-up rule, so we refuse to guess.
    """
    h, lo, c, v = as_float_inputs(
        "vwap", {"high": high, "low": low, "close": close, "volume": volume}
    )
    if window is not None and session_ids is not None:
        raise InvalidArgumentError(
            "vwap: pass window (rolling VWAP) or session_ids (cumulative per session), not both"
        )
    win = 0 if window is None else _check_window("vwap", window, 1)
    new_session = _session_starts(session_ids, h.shape)
    if h.ndim == 1:
        return nb.vwap_1d_nb(h, lo, c, v, win, new_session)
    return nb.vwap_nb(h, lo, c, v, win, new_session)


def _session_starts(session_ids: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Boolean array of ``shape``: True where a session label differs from the previous bar's."""
    starts = np.zeros(shape, dtype=np.bool_)
    if session_ids is None:
        return starts
    ids = np.asarray(session_ids)
    if ids.shape != shape and not (len(shape) == 2 and ids.shape == shape[:1]):
        raise InvalidArgumentError(
            f"vwap: session_ids has shape {ids.shape}, expected {shape[:1]}"
            + (f" or {shape}" if len(shape) == 2 else "")
        )
    if ids.shape[0] == 0:
        return starts
    changed = np.empty(ids.shape, dtype=np.bool_)
    changed[0] = True
    changed[1:] = ids[1:] != ids[:-1]
    if changed.ndim == 1 and len(shape) == 2:
        changed = np.repeat(changed[:, None], shape[1], axis=1)
    return np.asfortranarray(changed)


def rolling_zscore(x: Any, window: int = 20, ddof: int = 0) -> FloatArray:
    """``(x - rolling mean) / rolling std`` over the trailing ``window`` bars.

    ``ddof=0`` divides the squared deviations by ``window`` (population std, as TA-Lib's
    STDDEV and BBANDS), ``ddof=1`` by ``window - 1`` (sample std, as pandas' default). NaN for
    the first window-1 bars, while a NaN is in the window, and where the window is constant.
    Unlike pandas' rolling std (sums of squares: relative errors of 1e-6 on prices near 1e4),
    the kernel keeps deviations from the mean and stays within round-off of a two-pass result.
    """
    (arr,) = as_float_inputs("rolling_zscore", {"x": x})
    if ddof not in (0, 1) or isinstance(ddof, bool):
        raise InvalidArgumentError(f"rolling_zscore: ddof must be 0 or 1, got {ddof!r}")
    win = _check_window("rolling_zscore", window, 2)
    if arr.ndim == 1:
        return nb.rolling_zscore_1d_nb(arr, win, ddof)
    return nb.rolling_zscore_nb(arr, win, ddof)


def rolling_ols_hedge_ratio(
    y: Any, x: Any, window: int = 60, *, intercept: bool = True
) -> OLSResult:
    """Least-squares hedge ratio of ``y`` on ``x`` over each trailing ``window`` of bars.

    Returns ``OLSResult(beta, alpha)`` with ``y ~ alpha + beta * x`` (``intercept=False``:
    ``y ~ beta * x`` and alpha 0), the quantities a pairs trade needs: hold one unit of y
    against ``beta`` units of x, spread ``y - beta * x - alpha``. NaN for the first window-1
    bars, while a NaN is in the window, and where x does not vary over the window.
    """
    yy, xx = as_float_inputs("rolling_ols_hedge_ratio", {"y": y, "x": x})
    win = _check_window("rolling_ols_hedge_ratio", window, 2 if intercept else 1)
    if yy.ndim == 1:
        beta, alpha = nb.rolling_ols_1d_nb(yy, xx, win, bool(intercept))
    else:
        beta, alpha = nb.rolling_ols_nb(yy, xx, win, bool(intercept))
    return OLSResult(beta, alpha)


def _window_lookback(window: int | None = None, **_: Any) -> int:
    return 0 if window is None else max(int(window) - 1, 0)


def _zscore_lookback(window: int = 20, **_: Any) -> int:
    return int(window) - 1


def _ols_lookback(window: int = 60, **_: Any) -> int:
    return int(window) - 1


CUSTOM_INDICATORS: Mapping[str, IndicatorSpec] = MappingProxyType(
    {
        "vwap": IndicatorSpec(
            name="vwap",
            description="Volume Weighted Average Price (typical price; cumulative or rolling)",
            group="Volume Indicators",
            inputs=("high", "low", "close", "volume"),
            parameters=MappingProxyType({"window": None, "session_ids": None}),
            outputs=("vwap",),
            source="custom",
            func=vwap,
            lookback=_window_lookback,
        ),
        "rolling_zscore": IndicatorSpec(
            name="rolling_zscore",
            description="Rolling z-score (x - rolling mean) / rolling std",
            group="Statistic Functions",
            inputs=("close",),
            parameters=MappingProxyType({"window": 20, "ddof": 0}),
            outputs=("rolling_zscore",),
            source="custom",
            func=rolling_zscore,
            lookback=_zscore_lookback,
        ),
        "rolling_ols_hedge_ratio": IndicatorSpec(
            name="rolling_ols_hedge_ratio",
            description="Rolling least-squares hedge ratio (beta, alpha) of y on x",
            group="Statistic Functions",
            inputs=("y", "x"),
            parameters=MappingProxyType({"window": 60, "intercept": True}),
            outputs=("beta", "alpha"),
            source="custom",
            func=rolling_ols_hedge_ratio,
            lookback=_ols_lookback,
        ),
    }
)
"""Registry entries of our own kernels, merged into ``neural_trader.indicators.INDICATORS``."""
