"""Performance and risk metrics as pure functions on numpy arrays of simple returns.

The conventions are those of ``docs/decisions/0008-analytics-conventions.md`` (which follows
the risk reference, section 1.5), chosen so that every number can be checked against
empyrical-reloaded to 1e-10:

* ``returns`` are simple per-period returns (``p[t] / p[t-1] - 1``); ``periods_per_year`` is a
  required keyword wherever a number is annualised, because guessing 252 for crypto (365) or
  weekly data (52) silently rescales every ratio.
* Rates given by the caller (``risk_free``, ``required_return``) are ANNUAL and are converted
  geometrically, ``(1 + r) ** (1 / N) - 1``: the per-period rate that compounds to ``r``.
* Standard deviations use ``ddof=1``.
* Drawdowns start from a wealth of 1.0 *before* the first return, so a loss on the first
  period counts. ``max_drawdown`` is reported as a NEGATIVE fraction, like empyrical.
* VaR and CVaR are reported as POSITIVE loss fractions and always carry the method that made
  them (:class:`TailRisk`).

Undefined values are NaN, never ``inf`` or a floating-point residue such as 1e16: zero
dispersion, no losses (omega), no downside (Sortino) and fewer than two observations all give
NaN, and the first two also emit a :class:`MetricWarning` so a caller can tell *why*. NaN
inputs are dropped (with a warning) because one missing bar should not erase a whole series'
statistics; series-valued functions keep their length and treat a NaN return as a flat period.
Path facts (total return, drawdowns) are defined from one observation; every estimate
(volatility, ratios, moments, regressions, tail quantiles, CAGR) needs at least two.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from neural_trader.core.errors import InvalidArgumentError

__all__ = [
    "VAR_METHODS",
    "DrawdownSpell",
    "MetricWarning",
    "TailRisk",
    "VarMethod",
    "alpha_beta",
    "annual_volatility",
    "cagr",
    "calmar",
    "conditional_value_at_risk",
    "downside_deviation",
    "drawdown_series",
    "kurtosis",
    "max_drawdown",
    "max_drawdown_duration",
    "omega",
    "per_period_rate",
    "returns_from_equity",
    "rolling_sharpe",
    "sharpe",
    "skew",
    "sortino",
    "stability",
    "tail_ratio",
    "total_return",
    "value_at_risk",
]

FloatArray = npt.NDArray[np.float64]
VarMethod = Literal["historical", "gaussian", "cornish_fisher"]
VAR_METHODS: Final[tuple[VarMethod, ...]] = ("historical", "gaussian", "cornish_fisher")

# Windows are processed in blocks so that a rolling statistic over millions of bars never
# materialises an (n x window) matrix at once.
_ROLL_BLOCK: Final = 65_536
# A wealth path rebuilt by compounding returns re-reaches an old high only to rounding (a price
# that returns exactly to its peak gives a drawdown of about -2e-16). Spells shallower than this
# are "at the peak", or rounding would split one recovery into spurious long spells.
_AT_PEAK_TOL: Final = 1e-12


class MetricWarning(UserWarning):
    """A metric was undefined (returned NaN) or its input was altered (NaNs dropped).

    A warning rather than an exception: a report with one undefined ratio is still useful, but
    the reader must be able to learn why the cell is empty. ``summarize`` records these
    messages in ``PerformanceSummary.notes``.
    """


@dataclass(frozen=True, slots=True)
class TailRisk:
    """A VaR or CVaR estimate that names how it was made.

    ``value`` is a positive loss fraction (0.02 = a 2% loss per period); a negative value means
    even the tail is a gain. Three methods give three different numbers for the same data
    (4-6% apart on fat-tailed returns), so a bare float would invite comparing unlike things.
    """

    value: float
    method: VarMethod
    confidence: float


@dataclass(frozen=True, slots=True)
class DrawdownSpell:
    """The longest underwater spell of a wealth path.

    Indices refer to the wealth path ``[1.0, w_1, ..., w_n]`` whose element 0 is the baseline
    before the first return; for returns made by :func:`returns_from_equity` these are exactly
    the equity bar indices. ``periods`` is ``recovery_idx - peak_idx`` when recovered, else the
    periods elapsed from the peak to the last observation (``n - peak_idx``). With no drawdown
    at all ``periods`` is 0 and the indices are ``None``.
    """

    periods: int
    peak_idx: int | None
    trough_idx: int | None
    recovery_idx: int | None

    @property
    def recovered(self) -> bool:
        return self.recovery_idx is not None


# -- input handling ---------------------------------------------------------------------------


def _warn(message: str) -> None:
    warnings.warn(message, MetricWarning, stacklevel=3)


def _as_1d(values: npt.ArrayLike, name: str = "returns") -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise InvalidArgumentError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _clean(returns: npt.ArrayLike, name: str = "returns") -> FloatArray:
    """Drop NaNs (saying so): one missing bar must not turn every statistic into NaN."""
    arr = _as_1d(returns, name)
    mask = np.isnan(arr)
    if mask.any():
        _warn(f"{name}: dropped {int(mask.sum())} NaN value(s) of {arr.size}")
        arr = arr[~mask]
    if np.isinf(arr).any():
        raise InvalidArgumentError(f"{name} contains infinite values; check the equity input")
    return arr


def _check_ppy(periods_per_year: float) -> float:
    ppy = float(periods_per_year)
    if not math.isfinite(ppy) or ppy <= 0:
        raise InvalidArgumentError(f"periods_per_year must be positive, got {periods_per_year}")
    return ppy


def _check_confidence(confidence: float) -> float:
    c = float(confidence)
    if not 0.0 < c < 1.0:
        raise InvalidArgumentError(f"confidence must lie in (0, 1), got {confidence}")
    return c


def _is_constant(arr: FloatArray) -> bool:
    """Exact test, because a float std of identical values can be ~1e-18 instead of 0."""
    return bool(arr.max() == arr.min())


def per_period_rate(annual_rate: float, periods_per_year: float) -> float:
    """The per-period rate that compounds to ``annual_rate`` over ``periods_per_year`` periods.

    Geometric, not ``annual_rate / N``: at 4%/yr the two Sharpe ratios differ by ~0.005, and
    quantstats and ffn use the geometric form.
    """
    ppy = _check_ppy(periods_per_year)
    if annual_rate <= -1.0:
        raise InvalidArgumentError(f"an annual rate must exceed -100%, got {annual_rate}")
    return float((1.0 + annual_rate) ** (1.0 / ppy) - 1.0)


def returns_from_equity(equity: npt.ArrayLike) -> FloatArray:
    """Simple returns ``e[t] / e[t-1] - 1`` (length ``len(equity) - 1``).

    A return whose starting equity is not positive is undefined and comes back as NaN, which
    the metrics then drop with a warning; a wiped-out account should not raise mid-report.
    """
    eq = _as_1d(equity, "equity")
    if eq.size == 0:
        return np.empty(0, dtype=np.float64)
    prev = eq[:-1]
    out = np.full(eq.size - 1, np.nan)
    ok = prev > 0
    np.divide(eq[1:], prev, out=out, where=ok)
    out[ok] -= 1.0
    return out


# -- level and growth -------------------------------------------------------------------------


def total_return(returns: npt.ArrayLike) -> float:
    """Compounded return over the whole sample, ``prod(1 + r) - 1``."""
    r = _clean(returns)
    if r.size < 1:
        return math.nan
    return float(np.prod(1.0 + r) - 1.0)


def cagr(returns: npt.ArrayLike, *, periods_per_year: float) -> float:
    """Compound annual growth rate over trading periods: ``W ** (N / n) - 1``.

    Years are counted as ``n / periods_per_year`` (empyrical, quantstats), not calendar time
    (ffn), so the value does not depend on timestamps. A final wealth <= 0 has no real root:
    NaN with a warning.
    """
    ppy = _check_ppy(periods_per_year)
    r = _clean(returns)
    if r.size < 2:
        return math.nan
    wealth = float(np.prod(1.0 + r))
    if wealth <= 0.0:
        _warn("cagr: final wealth is not positive; growth rate undefined")
        return math.nan
    return float(wealth ** (ppy / r.size) - 1.0)


# -- dispersion and ratios --------------------------------------------------------------------


def annual_volatility(returns: npt.ArrayLike, *, periods_per_year: float) -> float:
    """Sample standard deviation (ddof=1) scaled by ``sqrt(periods_per_year)``.

    Zero for constant returns: that is the true value, unlike a ratio that divides by it.
    """
    ppy = _check_ppy(periods_per_year)
    r = _clean(returns)
    if r.size < 2:
        return math.nan
    if _is_constant(r):
        return 0.0
    return float(np.std(r, ddof=1) * math.sqrt(ppy))


def sharpe(returns: npt.ArrayLike, *, periods_per_year: float, risk_free: float = 0.0) -> float:
    """Annualised Sharpe ratio ``mean(r - rf_p) / std(r - rf_p, ddof=1) * sqrt(N)``.

    ``risk_free`` is annual and converted with :func:`per_period_rate`. Zero dispersion gives
    NaN and a warning (empyrical gives inf, quantstats ~1e16; neither is a usable number).
    """
    ppy = _check_ppy(periods_per_year)
    r = _clean(returns)
    if r.size < 2:
        return math.nan
    excess = r - per_period_rate(risk_free, ppy)
    if _is_constant(excess):
        _warn("sharpe: returns have zero dispersion; the ratio is undefined")
        return math.nan
    return float(np.mean(excess) / np.std(excess, ddof=1) * math.sqrt(ppy))


def downside_deviation(
    returns: npt.ArrayLike, *, periods_per_year: float, required_return: float = 0.0
) -> float:
    """Annualised downside deviation ``sqrt(mean(min(r - MAR, 0) ** 2)) * sqrt(N)``.

    The mean runs over ALL observations (periods above the MAR contribute zero), the definition
    every reference library agrees on. ``required_return`` (the MAR) is annual.
    """
    ppy = _check_ppy(periods_per_year)
    r = _clean(returns)
    if r.size < 2:
        return math.nan
    below = np.minimum(r - per_period_rate(required_return, ppy), 0.0)
    return float(math.sqrt(float(np.mean(below * below))) * math.sqrt(ppy))


def sortino(
    returns: npt.ArrayLike, *, periods_per_year: float, required_return: float = 0.0
) -> float:
    """Annualised Sortino ratio: ``mean(r - MAR) * N / downside_deviation``.

    No period below the MAR means no downside risk to divide by: NaN with a warning.
    """
    ppy = _check_ppy(periods_per_year)
    r = _clean(returns)
    if r.size < 2:
        return math.nan
    mar = per_period_rate(required_return, ppy)
    below = np.minimum(r - mar, 0.0)
    dd = math.sqrt(float(np.mean(below * below))) * math.sqrt(ppy)
    if dd == 0.0:
        _warn("sortino: no return below the required return; the ratio is undefined")
        return math.nan
    return float(np.mean(r - mar) * ppy / dd)


# -- drawdowns --------------------------------------------------------------------------------


def _wealth(returns: npt.ArrayLike) -> FloatArray:
    """Wealth path ``[1.0, w_1, ..., w_n]``; a NaN return is a flat period (index kept)."""
    r = _as_1d(returns)
    nan = np.isnan(r)
    if nan.any():
        _warn(f"returns: {int(nan.sum())} NaN value(s) treated as flat periods")
        r = np.where(nan, 0.0, r)
    w = np.empty(r.size + 1, dtype=np.float64)
    w[0] = 1.0
    np.cumprod(1.0 + r, out=w[1:])
    return w


def _drawdown_with_baseline(wealth: FloatArray) -> FloatArray:
    peak = np.maximum.accumulate(wealth)
    return np.asarray((wealth - peak) / peak, dtype=np.float64)


def drawdown_series(returns: npt.ArrayLike) -> FloatArray:
    """Drawdown after each return (length ``n``, values <= 0) from a 1.0 baseline.

    The baseline before the first return is part of the running peak, so a first-period loss
    shows as a drawdown (the bug quantstats #438 and pyfolio #179 had).
    """
    return _drawdown_with_baseline(_wealth(returns))[1:]


def max_drawdown(returns: npt.ArrayLike) -> float:
    """Deepest drawdown as a NEGATIVE fraction (-0.25 = a 25% fall from the peak), 0 if none.

    Negative, like empyrical, so the value compares to the oracle without a sign flip and
    reads as a return.
    """
    r = _as_1d(returns)
    if r.size < 1 or np.isnan(r).all():
        return math.nan
    return float(np.min(drawdown_series(r)))


def max_drawdown_duration(returns: npt.ArrayLike) -> DrawdownSpell:
    """Longest spell below a previous peak (the first one on ties), in periods.

    Vectorised run detection on the underwater mask of the wealth path: run starts and ends
    come from the mask's edges, troughs from ``np.argmin``; no loop over bars. A drawdown
    shallower than 1e-12 counts as being at the peak (compounding rounding, see above).
    """
    wealth = _wealth(returns)
    dd = _drawdown_with_baseline(wealth)
    under = dd < -_AT_PEAK_TOL
    if not under.any():
        return DrawdownSpell(periods=0, peak_idx=None, trough_idx=None, recovery_idx=None)
    edges = np.diff(np.concatenate(([False], under, [False])).astype(np.int8))
    starts = np.flatnonzero(edges == 1)  # first underwater index of each run
    ends = np.flatnonzero(edges == -1)  # first index after the run (== len when unrecovered)
    last = wealth.size - 1
    recovered = ends <= last
    periods = np.where(recovered, ends - (starts - 1), last - (starts - 1))
    k = int(np.argmax(periods))
    s, e = int(starts[k]), int(ends[k])
    trough = s + int(np.argmin(dd[s:e]))
    return DrawdownSpell(
        periods=int(periods[k]),
        peak_idx=s - 1,
        trough_idx=trough,
        recovery_idx=e if bool(recovered[k]) else None,
    )


def calmar(returns: npt.ArrayLike, *, periods_per_year: float) -> float:
    """CAGR divided by ``abs(max_drawdown)``; NaN (with a warning) when there is no drawdown."""
    ppy = _check_ppy(periods_per_year)
    r = _clean(returns)
    if r.size < 2:
        return math.nan
    mdd = max_drawdown(r)
    if not mdd < 0.0:
        _warn("calmar: no drawdown; the ratio is undefined")
        return math.nan
    return cagr(r, periods_per_year=ppy) / abs(mdd)


# -- distribution shape -----------------------------------------------------------------------


def omega(
    returns: npt.ArrayLike, *, periods_per_year: float, required_return: float = 0.0
) -> float:
    """Omega ratio: sum of gains over sum of losses around a threshold.

    ``required_return`` is annual and becomes ``(1 + req) ** (1 / N) - 1`` per period, as in
    empyrical. No loss below the threshold: NaN with a warning.
    """
    ppy = _check_ppy(periods_per_year)
    r = _clean(returns)
    if r.size < 2:
        return math.nan
    x = r - per_period_rate(required_return, ppy)
    gains = float(np.sum(x[x > 0.0]))
    losses = -float(np.sum(x[x < 0.0]))
    if losses <= 0.0:
        _warn("omega: no return below the threshold; the ratio is undefined")
        return math.nan
    return gains / losses


def tail_ratio(returns: npt.ArrayLike) -> float:
    """``|95th percentile| / |5th percentile|`` (numpy linear interpolation)."""
    r = _clean(returns)
    if r.size < 2:
        return math.nan
    hi, lo = np.percentile(r, [95.0, 5.0])
    if lo == 0.0:
        _warn("tail_ratio: the 5th percentile is zero; the ratio is undefined")
        return math.nan
    return float(abs(hi) / abs(lo))


def skew(returns: npt.ArrayLike) -> float:
    """Sample skewness with the moment (biased) estimator ``m3 / m2 ** 1.5``.

    The estimator of scipy's default, pyfolio and R PerformanceAnalytics (``method="moment"``);
    it is also the S that enters the Cornish-Fisher VaR.
    """
    r = _clean(returns)
    if r.size < 2:
        return math.nan
    if _is_constant(r):
        _warn("skew: returns have zero dispersion; skewness is undefined")
        return math.nan
    d = r - r.mean()
    m2 = float(np.mean(d**2))
    return float(np.mean(d**3) / m2**1.5)


def kurtosis(returns: npt.ArrayLike) -> float:
    """EXCESS kurtosis with the moment estimator ``m4 / m2 ** 2 - 3`` (0 for a normal)."""
    r = _clean(returns)
    if r.size < 2:
        return math.nan
    if _is_constant(r):
        _warn("kurtosis: returns have zero dispersion; kurtosis is undefined")
        return math.nan
    d = r - r.mean()
    m2 = float(np.mean(d**2))
    return float(np.mean(d**4) / m2**2 - 3.0)


def stability(returns: npt.ArrayLike) -> float:
    """R-squared of a straight line fitted to cumulative log returns (empyrical's stability).

    A flat path (every return zero) has no variance to explain: NaN with a warning.
    """
    r = _clean(returns)
    if r.size < 2:
        return math.nan
    y = np.cumsum(np.log1p(r))
    if _is_constant(y):
        _warn("stability: the cumulative log return is flat; R-squared is undefined")
        return math.nan
    x = np.arange(y.size, dtype=np.float64)
    dx = x - x.mean()
    dy = y - y.mean()
    rho = float(np.sum(dx * dy) / math.sqrt(float(np.sum(dx * dx)) * float(np.sum(dy * dy))))
    return rho * rho


# -- benchmark-relative -----------------------------------------------------------------------


def alpha_beta(
    returns: npt.ArrayLike,
    benchmark: npt.ArrayLike,
    *,
    periods_per_year: float,
    risk_free: float = 0.0,
) -> tuple[float, float]:
    """Annualised alpha and beta against a benchmark's returns (same length, same periods).

    ``beta = cov(r, b) / var(b)`` over the pairs where both are present (the ddof cancels in the
    ratio). ``alpha = (1 + mean((r - rf) - beta * (b - rf))) ** N - 1``: empyrical's
    compounded alpha, not quantstats' simple ``x N`` (1.5% apart on the reference fixture).
    A benchmark with (numerically) no variance gives NaN for both, with a warning.
    """
    ppy = _check_ppy(periods_per_year)
    r = _as_1d(returns)
    b = _as_1d(benchmark, "benchmark")
    if r.shape != b.shape:
        raise InvalidArgumentError(
            f"returns and benchmark must be aligned: lengths {r.size} and {b.size}"
        )
    keep = ~(np.isnan(r) | np.isnan(b))
    if not keep.all():
        _warn(f"alpha_beta: dropped {int((~keep).sum())} period(s) with a NaN on either side")
        r, b = r[keep], b[keep]
    if r.size < 2:
        return math.nan, math.nan
    b_res = b - b.mean()
    var_b = float(np.mean(b_res * b_res))
    if var_b < 1e-30:
        _warn("alpha_beta: the benchmark has zero variance; alpha and beta are undefined")
        return math.nan, math.nan
    beta = float(np.mean(b_res * r)) / var_b
    rf = per_period_rate(risk_free, ppy)
    alpha = float((1.0 + np.mean((r - rf) - beta * (b - rf))) ** ppy - 1.0)
    return alpha, beta


# -- tail risk --------------------------------------------------------------------------------


def _normal_moments_below(c: float, kmax: int) -> list[float]:
    """``M_k = integral of x**k * phi(x) dx over (-inf, c]`` for k = 0..kmax.

    Recurrence ``M_k = -c**(k-1) * phi(c) + (k - 1) * M_(k-2)`` (integration by parts), exact.
    """
    phi = float(sps.norm.pdf(c))
    m = [float(sps.norm.cdf(c)), -phi]
    for k in range(2, kmax + 1):
        m.append(-(c ** (k - 1)) * phi + (k - 1) * m[k - 2])
    return m


def _cornish_fisher_z(z: float, s: float, k: float) -> float:
    return (
        z
        + (z * z - 1.0) * s / 6.0
        + (z**3 - 3.0 * z) * k / 24.0
        - (2.0 * z**3 - 5.0 * z) * s * s / 36.0
    )


def _moments(r: FloatArray) -> tuple[float, float, float, float]:
    """Mean, std (ddof=1), skew and excess kurtosis (moment estimators)."""
    mu = float(r.mean())
    sigma = float(np.std(r, ddof=1))
    d = r - mu
    m2 = float(np.mean(d**2))
    s = float(np.mean(d**3) / m2**1.5)
    k = float(np.mean(d**4) / m2**2 - 3.0)
    return mu, sigma, s, k


def value_at_risk(
    returns: npt.ArrayLike, *, confidence: float = 0.95, method: VarMethod = "historical"
) -> TailRisk:
    """One-period Value at Risk as a POSITIVE loss fraction, with the method recorded.

    * ``historical``: ``-percentile(r, 100 * (1 - c))`` with numpy's linear interpolation (the
      negative of empyrical's ``value_at_risk``).
    * ``gaussian``: ``-(mu + z * sigma)``, ``z = Phi^-1(1 - c)``, sigma with ddof=1.
    * ``cornish_fisher``: the same with ``z`` replaced by
      ``z + (z^2-1)S/6 + (z^3-3z)K/24 - (2z^3-5z)S^2/36`` (S skew, K excess kurtosis, moment
      estimators). No library ships it (R PerformanceAnalytics does); with S = K = 0 it is the
      Gaussian VaR.
    """
    c = _check_confidence(confidence)
    r = _clean(returns)
    if method not in VAR_METHODS:
        raise InvalidArgumentError(f"VaR method must be one of {VAR_METHODS}, got {method!r}")
    if r.size < 2:
        return TailRisk(math.nan, method, c)
    alpha = 1.0 - c
    if method == "historical":
        return TailRisk(-float(np.percentile(r, 100.0 * alpha)), method, c)
    if _is_constant(r):
        _warn(f"value_at_risk ({method}): zero dispersion; a parametric VaR is undefined")
        return TailRisk(math.nan, method, c)
    mu, sigma, s, k = _moments(r)
    z = float(sps.norm.ppf(alpha))
    if method == "cornish_fisher":
        z = _cornish_fisher_z(z, s, k)
    return TailRisk(-(mu + z * sigma), method, c)


def conditional_value_at_risk(
    returns: npt.ArrayLike, *, confidence: float = 0.95, method: VarMethod = "historical"
) -> TailRisk:
    """Expected loss beyond the VaR (expected shortfall), a POSITIVE loss fraction.

    * ``historical``: minus the mean of the lowest ``floor((n - 1) * (1 - c)) + 1`` returns
      (empyrical's definition, equal to quantstats' historical CVaR on every size tried).
    * ``gaussian``: ``sigma * phi(z) / (1 - c) - mu``.
    * ``cornish_fisher``: minus the average of the Cornish-Fisher quantile function over the
      tail, ``mu + sigma / a * integral_{-inf}^{z_a} z_cf(x) phi(x) dx``. ``z_cf`` is a cubic,
      so the integral is a combination of truncated normal moments and is computed exactly.
      This is the tail mean of the distribution whose quantiles the CF VaR uses (consistent with
      it, and Gaussian ES when S = K = 0); it is not Boudt et al.'s Edgeworth-density "modified
      ES", and like every CF number it is only meaningful while ``z_cf`` is monotone (moderate
      skew and kurtosis).
    """
    c = _check_confidence(confidence)
    r = _clean(returns)
    if method not in VAR_METHODS:
        raise InvalidArgumentError(f"CVaR method must be one of {VAR_METHODS}, got {method!r}")
    if r.size < 2:
        return TailRisk(math.nan, method, c)
    alpha = 1.0 - c
    if method == "historical":
        cut = int((r.size - 1) * alpha)
        return TailRisk(-float(np.mean(np.partition(r, cut)[: cut + 1])), method, c)
    if _is_constant(r):
        _warn(f"conditional_value_at_risk ({method}): zero dispersion; undefined")
        return TailRisk(math.nan, method, c)
    mu, sigma, s, k = _moments(r)
    z = float(sps.norm.ppf(alpha))
    if method == "gaussian":
        return TailRisk(sigma * float(sps.norm.pdf(z)) / alpha - mu, method, c)
    m0, m1, m2, m3 = _normal_moments_below(z, 3)
    tail_integral = (
        m1 + (m2 - m0) * s / 6.0 + (m3 - 3.0 * m1) * k / 24.0 - (2.0 * m3 - 5.0 * m1) * s * s / 36.0
    )
    return TailRisk(-(mu + sigma * tail_integral / alpha), method, c)


# -- rolling ----------------------------------------------------------------------------------


def rolling_sharpe(
    returns: npt.ArrayLike, *, window: int, periods_per_year: float, risk_free: float = 0.0
) -> FloatArray:
    """Sharpe ratio over each trailing ``window`` of returns, aligned to the window's end.

    Same length as ``returns``; the first ``window - 1`` values are NaN (not enough history),
    and so is any window with fewer than two present values or with zero dispersion (one
    warning for all of them). NaNs inside a window are skipped, as in empyrical's rolling
    functions. Computed per window (not by cumulative sums, whose cancellation would cost
    digits) in blocks of windows to bound memory.
    """
    ppy = _check_ppy(periods_per_year)
    if int(window) != window or window < 2:
        raise InvalidArgumentError(f"window must be an integer >= 2, got {window}")
    r = _as_1d(returns) - per_period_rate(risk_free, ppy)
    out = np.full(r.size, np.nan)
    if r.size < window:
        return out
    views = np.lib.stride_tricks.sliding_window_view(r, window)
    n_undefined = 0
    for lo in range(0, views.shape[0], _ROLL_BLOCK):
        block = views[lo : lo + _ROLL_BLOCK]
        count = np.sum(~np.isnan(block), axis=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN or 1-value windows
            mean = np.nanmean(block, axis=1)
            std = np.nanstd(block, axis=1, ddof=1)
            constant = np.nanmax(block, axis=1) == np.nanmin(block, axis=1)
        bad = (count < 2) | constant
        n_undefined += int(np.sum(bad & (count >= 2)))
        ratio = np.where(bad, np.nan, mean / np.where(bad, 1.0, std)) * math.sqrt(ppy)
        out[window - 1 + lo : window - 1 + lo + block.shape[0]] = ratio
    if n_undefined:
        _warn(f"rolling_sharpe: {n_undefined} window(s) with zero dispersion set to NaN")
    return out
