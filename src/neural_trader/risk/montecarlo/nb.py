"""Numba kernels of the numpy backend: one chunk of paths in one pass, no temporaries.

Random numbers are drawn by numpy's ``Generator`` outside these kernels (seeded per chunk, so a
run is reproducible whatever the thread count); each kernel then walks every path once,
turning draws into daily log returns, accumulating them, and computing what was asked:

* ``out_log[p, i]``: asset i's log return over the whole horizon (always);
* ``out_worst[p]``: the lowest cumulative P&L ``sum_i e_i * (exp(c_i,t) - 1)`` over the
  steps of the path, when ``want_worst`` (the path-dependent figure that needs daily steps);
* ``out_paths[p, t, i]``: the price relative ``exp(c_i,t)`` with ``t = 0`` the start, when
  ``out_paths`` has rows (a ``(0, 0, 0)`` array means "not wanted").

Accumulators are float64 whatever the draws' dtype, so float32 saves random-number time and
memory without adding rounding drift along 252 steps. ``nogil=True`` lets chunks run in
parallel threads; ``cache=True`` keeps the compiled code between processes.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["bootstrap_chunk_nb", "gbm_chunk_nb", "quantile_chunk_nb"]


# The steps every kernel shares, one path at a time. Small njit functions called from njit
# code are inlined by LLVM; keep the ``want_worst``/``want_paths`` tests in the kernels: a
# helper that carried them (even with ``inline="always"``) made the GBM kernel 10-25% slower.


@njit(nogil=True, cache=True)
def _start_path(c: np.ndarray, p: int, want_paths: bool, out_paths: np.ndarray) -> None:
    """Cumulative log returns back to 0; price relatives of path ``p`` at step 0 to 1."""
    for i in range(c.shape[0]):
        c[i] = 0.0
        if want_paths:
            out_paths[p, 0, i] = 1.0


@njit(nogil=True, cache=True)
def _pnl(c: np.ndarray, exposures: np.ndarray) -> float:
    """The portfolio's cumulative P&L ``sum_i e_i * (exp(c_i) - 1)``."""
    v = 0.0
    for i in range(c.shape[0]):
        v += exposures[i] * math.expm1(c[i])
    return v


@njit(nogil=True, cache=True)
def _store_relatives(c: np.ndarray, out_paths: np.ndarray, p: int, t: int) -> None:
    """Price relatives ``exp(c_i)`` of path ``p`` at step ``t``."""
    for i in range(c.shape[0]):
        out_paths[p, t, i] = math.exp(c[i])


@njit(nogil=True, cache=True)
def _end_path(
    c: np.ndarray, p: int, worst: float, out_log: np.ndarray, out_worst: np.ndarray
) -> None:
    """Path ``p``'s horizon log returns and worst P&L into the outputs."""
    for i in range(c.shape[0]):
        out_log[p, i] = c[i]
    out_worst[p] = worst


@njit(nogil=True, cache=True)
def gbm_chunk_nb(
    z: np.ndarray,
    mu: np.ndarray,
    chol: np.ndarray,
    exposures: np.ndarray,
    want_worst: bool,
    out_log: np.ndarray,
    out_worst: np.ndarray,
    out_paths: np.ndarray,
) -> None:
    """Correlated GBM: ``x_t = mu + L z_t`` with ``L`` lower triangular.

    One asset without full paths takes a shortcut that changes no number: its P&L
    ``e * expm1(c_t)`` is monotone in ``c_t``, so the worst P&L is ``e * expm1`` of the lowest
    (long) or highest (short) cumulative log return, one ``expm1`` per path instead of one
    per step.
    """
    m, steps, n = z.shape
    want_paths = out_paths.shape[0] > 0
    if n == 1 and not want_paths:
        mu0 = mu[0]
        l00 = chol[0, 0]
        e0 = exposures[0]
        for p in range(m):
            c0 = 0.0
            lo = np.inf
            hi = -np.inf
            for s in range(steps):
                c0 += mu0 + l00 * z[p, s, 0]
                lo = min(lo, c0)
                hi = max(hi, c0)
            out_log[p, 0] = c0
            if want_worst:
                out_worst[p] = e0 * math.expm1(lo if e0 >= 0.0 else hi)
        return
    c = np.zeros(n)
    for p in range(m):
        _start_path(c, p, want_paths, out_paths)
        worst = np.inf
        for s in range(steps):
            for i in range(n):
                acc = mu[i]
                for j in range(i + 1):
                    acc += chol[i, j] * z[p, s, j]
                c[i] += acc
            if want_worst:
                worst = min(worst, _pnl(c, exposures))
            if want_paths:
                _store_relatives(c, out_paths, p, s + 1)
        _end_path(c, p, worst, out_log, out_worst)


@njit(nogil=True, cache=True)
def quantile_chunk_nb(
    u: np.ndarray,
    sorted_returns: np.ndarray,
    exposures: np.ndarray,
    want_worst: bool,
    out_log: np.ndarray,
    out_worst: np.ndarray,
    out_paths: np.ndarray,
) -> None:
    """Copula draws ``u`` in (0, 1) through each asset's empirical quantile function.

    ``Q(u) = s[k] + f (s[k+1] - s[k])`` at ``u (T - 1) = k + f`` (numpy's linear percentile).
    """
    m, steps, n = u.shape
    last = sorted_returns.shape[0] - 1
    want_paths = out_paths.shape[0] > 0
    c = np.zeros(n)
    for p in range(m):
        _start_path(c, p, want_paths, out_paths)
        worst = np.inf
        for s in range(steps):
            for i in range(n):
                pos = u[p, s, i] * last
                k = min(int(pos), last - 1) if last > 0 else 0
                f = pos - k
                lo = sorted_returns[k, i]
                hi = sorted_returns[min(k + 1, last), i]
                c[i] += lo + f * (hi - lo)
            if want_worst:
                worst = min(worst, _pnl(c, exposures))
            if want_paths:
                _store_relatives(c, out_paths, p, s + 1)
        _end_path(c, p, worst, out_log, out_worst)


@njit(nogil=True, cache=True)
def bootstrap_chunk_nb(
    idx: np.ndarray,
    residuals: np.ndarray,
    mu: np.ndarray,
    sigma0: np.ndarray,
    lam: float,
    exposures: np.ndarray,
    want_worst: bool,
    out_log: np.ndarray,
    out_worst: np.ndarray,
    out_paths: np.ndarray,
) -> None:
    """Filtered historical simulation: ``x = mu + sigma * z[idx]``, then the EWMA update
    ``sigma^2 <- lam sigma^2 + (1 - lam) (x - mu)^2`` along each path."""
    m, steps = idx.shape
    n = residuals.shape[1]
    want_paths = out_paths.shape[0] > 0
    c = np.zeros(n)
    var = np.zeros(n)
    for p in range(m):
        _start_path(c, p, want_paths, out_paths)
        for i in range(n):
            var[i] = sigma0[i] * sigma0[i]
        worst = np.inf
        for s in range(steps):
            row = idx[p, s]
            for i in range(n):
                d = math.sqrt(var[i]) * residuals[row, i]
                c[i] += mu[i] + d
                var[i] = lam * var[i] + (1.0 - lam) * d * d
            if want_worst:
                worst = min(worst, _pnl(c, exposures))
            if want_paths:
                _store_relatives(c, out_paths, p, s + 1)
        _end_path(c, p, worst, out_log, out_worst)
