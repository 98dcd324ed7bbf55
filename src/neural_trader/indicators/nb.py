"""Numba kernels for the indicators TA-Lib does not have (VWAP, rolling z-score, rolling OLS).

Contract (as in vectorbt's ``nb`` modules): NumPy arrays and scalars in and out, nothing from
pandas, no validation (``custom.py`` validates and shapes arguments). Functions ending ``_1d_nb``
take one series; the others take 2-D arrays (bars x columns) and loop over columns.

Numerical stability is the point of these kernels. Rolling moments are updated in O(1) per bar
with Welford-style add / remove / replace steps on *deviations from the running mean*, never with
sums of squares, so prices around 1e4 with a spread of 1 do not cancel catastrophically. Such
updates still accumulate round-off over millions of bars, so every ``window`` bars the moments
are recomputed exactly from the window (two passes): drift is bounded by one window's worth of
updates at O(1) amortised cost. They are also recomputed when the moment has shrunk far below
the changes applied to it (``REBUILD_RATIO``): after a burst of large values leaves the window,
what remains is otherwise dominated by their round-off.

NaN inputs: a bar with a NaN input contributes nothing; a rolling output is NaN while a NaN sits
inside its window. ``neural_trader.indicators.incremental`` performs the same floating-point
operations in the same order on NaN-free data, so the incremental twins agree with these kernels
to round-off (in practice bit for bit).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "REBUILD_RATIO",
    "rolling_ols_1d_nb",
    "rolling_ols_nb",
    "rolling_zscore_1d_nb",
    "rolling_zscore_nb",
    "vwap_1d_nb",
    "vwap_nb",
]

REBUILD_RATIO = 1e-4
"""Rebuild the moments when the sum of squared deviations falls below this fraction of the
changes applied to it since the last rebuild. Round-off in ``m2`` is about machine epsilon
times those changes, so the relative error stays near 1e-12 even when a window of large values
is followed by a nearly constant one (where plain sliding updates lose every digit); ordinary
series almost never trigger it."""


@njit(cache=True)
def rolling_zscore_1d_nb(x: np.ndarray, window: int, ddof: int) -> np.ndarray:
    """``(x[t] - mean) / std`` over the trailing ``window`` bars; NaN for the first window-1.

    ``std`` uses ``ddof`` (0: population, 1: sample). A window whose deviations are all zero
    gives NaN (0/0), as pandas does.
    """
    n = x.shape[0]
    out = np.full(n, np.nan)
    cnt = 0
    nan_in = 0
    mean = 0.0
    m2 = 0.0
    mag = 0.0  # sum of |changes| to m2 since the last rebuild: the scale its round-off has
    for i in range(n):
        xi = x[i]
        in_ok = not np.isnan(xi)
        leaving = i >= window
        xo = x[i - window] if leaving else np.nan
        out_ok = leaving and not np.isnan(xo)
        if in_ok and out_ok and cnt == window:
            # Replace the oldest value by the newest in one step (the common path).
            d = xi - xo
            new_mean = mean + d / window
            inc = d * (xi - new_mean + xo - mean)
            m2 += inc
            mag += abs(inc)
            mean = new_mean
        else:
            if in_ok:
                cnt += 1
                d = xi - mean
                mean += d / cnt
                inc = d * (xi - mean)
                m2 += inc
                mag += inc
            else:
                nan_in += 1
            if leaving:
                if out_ok:
                    cnt -= 1
                    if cnt == 0:
                        mean = 0.0
                        m2 = 0.0
                    else:
                        d = xo - mean
                        mean -= d / cnt
                        inc = d * (xo - mean)
                        m2 -= inc
                        mag += abs(inc)
                else:
                    nan_in -= 1
        if cnt > 0 and ((i + 1) % window == 0 or m2 < REBUILD_RATIO * mag):
            start = i + 1 - window if i + 1 >= window else 0
            mean, m2 = _window_moments_nb(x, start, i + 1, cnt)
            mag = m2
        if i >= window - 1 and nan_in == 0:
            var = m2 / (window - ddof) if m2 > 0.0 else 0.0
            std = np.sqrt(var)
            if std > 0.0:
                out[i] = (xi - mean) / std
    return out


@njit(cache=True)
def _window_moments_nb(x: np.ndarray, start: int, stop: int, cnt: int) -> tuple[float, float]:
    """Exact (two-pass) mean and sum of squared deviations of the non-NaN x[start:stop]."""
    s = 0.0
    for j in range(start, stop):
        if not np.isnan(x[j]):
            s += x[j]
    mean = s / cnt
    m2 = 0.0
    for j in range(start, stop):
        if not np.isnan(x[j]):
            d = x[j] - mean
            m2 += d * d
    return mean, m2


@njit(cache=True)
def rolling_zscore_nb(x: np.ndarray, window: int, ddof: int) -> np.ndarray:
    """:func:`rolling_zscore_1d_nb` per column of a 2-D array."""
    out = np.empty_like(x, dtype=np.float64)
    for j in range(x.shape[1]):
        out[:, j] = rolling_zscore_1d_nb(np.ascontiguousarray(x[:, j]), window, ddof)
    return out


@njit(cache=True)
def rolling_ols_1d_nb(
    y: np.ndarray, x: np.ndarray, window: int, intercept: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(beta, alpha) of the least-squares fit ``y = alpha + beta * x`` over each trailing window.

    With ``intercept=False`` the fit is ``y = beta * x`` and alpha is 0. Co-moments are kept as
    deviations from the running means (add, then remove the bar leaving the window); the
    no-intercept sums are rebuilt from them (``sum(x*x) = Sxx + n * mean_x**2``), which adds
    only positive terms. beta is NaN when x does not vary over the window (or is all zero
    without intercept), and both are NaN while a NaN sits in the window.
    """
    n = y.shape[0]
    beta = np.full(n, np.nan)
    alpha = np.full(n, np.nan)
    cnt = 0
    nan_in = 0
    mx = 0.0
    my = 0.0
    sxx = 0.0
    sxy = 0.0
    mag = 0.0  # as in rolling_zscore_1d_nb, for sxx (the denominator of beta)
    for i in range(n):
        xi = x[i]
        yi = y[i]
        if np.isnan(xi) or np.isnan(yi):
            nan_in += 1
        else:
            cnt += 1
            dx = xi - mx
            mx += dx / cnt
            my += (yi - my) / cnt
            inc = dx * (xi - mx)
            sxx += inc
            mag += inc
            sxy += dx * (yi - my)
        if i >= window:
            xo = x[i - window]
            yo = y[i - window]
            if np.isnan(xo) or np.isnan(yo):
                nan_in -= 1
            else:
                cnt -= 1
                if cnt == 0:
                    mx = 0.0
                    my = 0.0
                    sxx = 0.0
                    sxy = 0.0
                else:
                    dx = xo - mx
                    mx -= dx / cnt
                    my -= (yo - my) / cnt
                    inc = dx * (xo - mx)
                    sxx -= inc
                    mag += abs(inc)
                    sxy -= dx * (yo - my)
        if cnt > 0 and ((i + 1) % window == 0 or sxx < REBUILD_RATIO * mag):
            start = i + 1 - window if i + 1 >= window else 0
            mx, my, sxx, sxy = _window_comoments_nb(y, x, start, i + 1, cnt)
            mag = sxx
        if i >= window - 1 and nan_in == 0:
            if intercept:
                if sxx > 0.0:
                    b = sxy / sxx
                    beta[i] = b
                    alpha[i] = my - b * mx
            else:
                sxx0 = sxx + cnt * mx * mx
                if sxx0 > 0.0:
                    beta[i] = (sxy + cnt * mx * my) / sxx0
                    alpha[i] = 0.0
    return beta, alpha


@njit(cache=True)
def _window_comoments_nb(
    y: np.ndarray, x: np.ndarray, start: int, stop: int, cnt: int
) -> tuple[float, float, float, float]:
    """Exact (two-pass) means and co-moments of the pairs in [start, stop) without a NaN."""
    sx = 0.0
    sy = 0.0
    for j in range(start, stop):
        if not (np.isnan(x[j]) or np.isnan(y[j])):
            sx += x[j]
            sy += y[j]
    mx = sx / cnt
    my = sy / cnt
    sxx = 0.0
    sxy = 0.0
    for j in range(start, stop):
        if not (np.isnan(x[j]) or np.isnan(y[j])):
            dx = x[j] - mx
            sxx += dx * dx
            sxy += dx * (y[j] - my)
    return mx, my, sxx, sxy


@njit(cache=True)
def rolling_ols_nb(
    y: np.ndarray, x: np.ndarray, window: int, intercept: bool
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`rolling_ols_1d_nb` per column of 2-D ``y`` and ``x`` of one shape."""
    beta = np.empty_like(y, dtype=np.float64)
    alpha = np.empty_like(y, dtype=np.float64)
    for j in range(y.shape[1]):
        b, a = rolling_ols_1d_nb(
            np.ascontiguousarray(y[:, j]), np.ascontiguousarray(x[:, j]), window, intercept
        )
        beta[:, j] = b
        alpha[:, j] = a
    return beta, alpha


@njit(cache=True)
def vwap_1d_nb(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    window: int,
    new_session: np.ndarray,
) -> np.ndarray:
    """Typical-price VWAP: ``sum(tp * volume) / sum(volume)``, ``tp = (high + low + close) / 3``.

    ``window == 0``: cumulative, restarted on every bar where ``new_session`` is True (pass an
    all-False array for one session). ``window > 0``: over the trailing ``window`` bars (NaN for
    the first window-1), running sums recomputed every ``window`` bars so they cannot drift. A
    bar with a NaN input is left out of the sums (its own cumulative output is NaN); zero total
    volume gives NaN.
    """
    n = high.shape[0]
    out = np.full(n, np.nan)
    spv = 0.0
    sv = 0.0
    nan_in = 0
    for i in range(n):
        tp = (high[i] + low[i] + close[i]) / 3.0
        v = volume[i]
        ok = not (np.isnan(tp) or np.isnan(v))
        if window == 0:
            if new_session[i]:
                spv = 0.0
                sv = 0.0
            if ok:
                spv += tp * v
                sv += v
                if sv != 0.0:
                    out[i] = spv / sv
            continue
        if ok:
            spv += tp * v
            sv += v
        else:
            nan_in += 1
        if i >= window:
            k = i - window
            tpo = (high[k] + low[k] + close[k]) / 3.0
            vo = volume[k]
            if np.isnan(tpo) or np.isnan(vo):
                nan_in -= 1
            else:
                spv -= tpo * vo
                sv -= vo
        if (i + 1) % window == 0:
            spv = 0.0
            sv = 0.0
            for k in range(i + 1 - window, i + 1):
                tpk = (high[k] + low[k] + close[k]) / 3.0
                vk = volume[k]
                if not (np.isnan(tpk) or np.isnan(vk)):
                    spv += tpk * vk
                    sv += vk
        if i >= window - 1 and nan_in == 0 and sv != 0.0:
            out[i] = spv / sv
    return out


@njit(cache=True)
def vwap_nb(
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    window: int,
    new_session: np.ndarray,
) -> np.ndarray:
    """:func:`vwap_1d_nb` per column; ``new_session`` is 2-D of the same shape."""
    out = np.empty_like(high, dtype=np.float64)
    for j in range(high.shape[1]):
        out[:, j] = vwap_1d_nb(
            np.ascontiguousarray(high[:, j]),
            np.ascontiguousarray(low[:, j]),
            np.ascontiguousarray(close[:, j]),
            np.ascontiguousarray(volume[:, j]),
            window,
            np.ascontiguousarray(new_session[:, j]),
        )
    return out
