"""Portfolio Value at Risk and expected shortfall, their split by position, and their back-test.

Conventions (decision 0015; single-series conventions from decision 0008 / risk reference 1.5):

* Inputs are per-period SIMPLE returns of each asset (``p[t] / p[t-1] - 1`` of adjusted
  closes), one column per position, and the positions' signed market values (``exposures``)
  in the base currency. A position's P&L over a scenario is ``exposure * R``: exact for the
  asset's simple return ``R`` over that scenario, whatever its size.
* VaR and CVaR are POSITIVE losses in money, also reported as a fraction of the portfolio's
  value, always with the method that made them. ``confidence`` c gives the tail ``a = 1 - c``.
* ``historical``: the empirical distribution of the portfolio's P&L over past scenarios. VaR is
  ``-percentile(P&L, 100 a)`` with numpy's linear interpolation and CVaR minus the mean of the
  ``floor((n - 1) a) + 1`` worst scenarios: empyrical's two conventions exactly, so a
  one-position portfolio reproduces ``empyrical.value_at_risk`` / ``conditional_value_at_risk``
  times its value (tested to 1e-10).
* Horizon ``h`` days, historical: OVERLAPPING ``h``-day compounded returns
  ``prod(1 + r[t..t+h-1]) - 1``. Chosen over square-root-of-time scaling because it keeps
  whatever autocorrelation, volatility clustering and fat tails the data has instead of
  assuming iid normal returns; the price is fewer independent scenarios (they overlap), which
  a note reports when the tail holds fewer than 10 of them.
* ``vol_scaling`` (historical only): filtered historical simulation after Hull & White (1998).
  Each asset's return on day t is multiplied by ``sigma_next / sigma_t`` where ``sigma_t`` is
  the RiskMetrics EWMA volatility forecast for day t (lambda 0.94, zero mean, seeded with the
  mean square of the first 20 returns) and ``sigma_next`` the forecast for tomorrow, so old
  scenarios are replayed at today's volatility.
* ``gaussian`` and ``cornish_fisher``: moments of the portfolio's one-day P&L (mean, std with
  ddof=1, moment skew S and excess kurtosis K, as in :mod:`neural_trader.analytics.metrics`)
  aggregated to ``h`` days as the cumulants of a sum of ``h`` iid days: mean * h,
  std * sqrt(h), S / sqrt(h), K / h. Then the closed forms of ``metrics.value_at_risk`` and
  ``metrics.conditional_value_at_risk``.
* ``monte_carlo``: P&L of paths simulated by :mod:`neural_trader.risk.montecarlo` from a model
  fitted to the daily LOG returns (``log1p`` of the simple returns); VaR/CVaR of the simulated
  P&L with the historical conventions.

Component and marginal VaR follow Euler's allocation: VaR is homogeneous of degree one in the
exposures, so ``VaR = sum_i e_i * dVaR/de_i``; ``marginal_var`` is ``dVaR/de_i`` (the VaR added
per unit of money added to position i) and ``component_var`` is ``e_i * marginal_var``. They are
exact closed forms for ``gaussian``, central finite differences for ``cornish_fisher``, and for
the simulation methods (``historical``, ``monte_carlo``) the estimator of Gourieroux, Laurent and
Scaillet (2000), ``dVaR/de_i = -E[x_i | P&L = -VaR]``: the positions' mean P&L over the
scenarios whose rank lies within ``sqrt(a * n)`` of the VaR's rank, rescaled so the components
sum to the VaR exactly (one scenario alone would be too noisy to be useful; the window narrows
as n grows). Component CVaR of a simulation method is exact: each position's mean P&L over the
very scenarios the CVaR averages.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
from scipy import signal
from scipy import stats as sps
from scipy.special import xlogy

from neural_trader.analytics.metrics import (
    _check_confidence,
    _cornish_fisher_z,
    _normal_moments_below,
)
from neural_trader.core.errors import InvalidArgumentError

__all__ = [
    "PORTFOLIO_VAR_METHODS",
    "KupiecResult",
    "PortfolioRisk",
    "PortfolioVarMethod",
    "PositionRisk",
    "VarBacktest",
    "backtest_var",
    "ewma_volatility",
    "historical_scenarios",
    "horizon_returns",
    "kupiec_pof",
    "parametric_risk",
    "portfolio_var",
    "rolling_var",
    "scenario_risk",
    "vol_scaled_returns",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
PortfolioVarMethod = Literal["historical", "gaussian", "cornish_fisher", "monte_carlo"]
PORTFOLIO_VAR_METHODS: Final[tuple[PortfolioVarMethod, ...]] = (
    "historical",
    "gaussian",
    "cornish_fisher",
    "monte_carlo",
)
RollingMethod = Literal["historical", "gaussian", "cornish_fisher"]

_EWMA_SEED: Final = 20
_MIN_TAIL: Final = 10
_BLOCK: Final = 4096
_MAX_KEPT: Final = 50_000_000


@dataclass(frozen=True, slots=True)
class PositionRisk:
    """One position's share of the portfolio's VaR and CVaR (money, base currency)."""

    symbol: str
    exposure: float
    weight: float
    """``exposure / value``: the position's size as a fraction of the portfolio's value."""
    marginal_var: float
    """``dVaR / d exposure``: VaR added per unit of money added to this position."""
    component_var: float
    """Euler share of the VaR; the components sum to the portfolio VaR."""
    component_cvar: float
    """Euler share of the CVaR; the components sum to the portfolio CVaR."""


@dataclass(frozen=True, slots=True)
class PortfolioRisk:
    """VaR and CVaR of a portfolio: money and fraction of value, positive = loss."""

    method: PortfolioVarMethod
    confidence: float
    horizon: int
    value: float
    """The denominator of the fractions (see ``value_base``)."""
    value_base: str
    """``net_value`` (positions plus cash) or ``gross_exposure`` (net value not positive)."""
    var: float
    cvar: float
    var_fraction: float
    cvar_fraction: float
    scenarios: int
    """Historical windows, simulated paths, or observations behind the parametric moments."""
    positions: tuple[PositionRisk, ...]
    details: dict[str, object] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


# -- inputs -----------------------------------------------------------------------------------


def _returns_matrix(returns: npt.ArrayLike) -> FloatArray:
    arr = np.asarray(returns, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise InvalidArgumentError(f"returns must be 1-D or 2-D, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise InvalidArgumentError(
            "returns contain NaN or infinite values; align the series on common dates first"
        )
    if (arr <= -1.0).any():
        raise InvalidArgumentError("a simple return of -100% or less is not a price change")
    return arr


def _exposures(exposures: npt.ArrayLike, n: int) -> FloatArray:
    e = np.asarray(exposures, dtype=np.float64).reshape(-1)
    if e.size != n:
        raise InvalidArgumentError(f"{e.size} exposures for {n} return columns")
    if not np.isfinite(e).all():
        raise InvalidArgumentError("exposures must be finite")
    return e


def _check_horizon(horizon: int) -> int:
    if int(horizon) != horizon or horizon < 1:
        raise InvalidArgumentError(f"horizon must be a whole number of periods >= 1, got {horizon}")
    return int(horizon)


# -- scenarios --------------------------------------------------------------------------------


def horizon_returns(returns: npt.ArrayLike, horizon: int) -> FloatArray:
    """Overlapping compounded ``horizon``-period simple returns, ``(T - h + 1, n)``.

    Computed from cumulative log growth (``cumsum(log1p r)``) so the cost does not grow with
    the horizon; exact up to rounding (~1e-15 relative).
    """
    r = _returns_matrix(returns)
    h = _check_horizon(horizon)
    if h == 1:
        return r.copy()
    if r.shape[0] < h:
        raise InvalidArgumentError(f"{r.shape[0]} returns cannot make one {h}-period window")
    growth = np.vstack([np.zeros((1, r.shape[1])), np.cumsum(np.log1p(r), axis=0)])
    return np.asarray(np.expm1(growth[h:] - growth[:-h]), dtype=np.float64)


def ewma_volatility(returns: npt.ArrayLike, lam: float = 0.94) -> tuple[FloatArray, FloatArray]:
    """RiskMetrics EWMA volatility: ``(sigma_t per day, sigma for the next day)``.

    ``sigma_t**2 = lam * sigma_(t-1)**2 + (1 - lam) * r_(t-1)**2`` (zero mean: the daily mean
    is noise next to the daily volatility), seeded with the mean square of the first 20
    returns. ``sigma_t`` uses returns before day t only, so it is a true forecast. One
    recursive filter pass per column (``scipy.signal.lfilter``), no Python loop over days.
    """
    r = _returns_matrix(returns)
    if not 0.0 < lam < 1.0:
        raise InvalidArgumentError(f"EWMA lambda must lie in (0, 1), got {lam}")
    seed = np.mean(r[:_EWMA_SEED] ** 2, axis=0)
    zi = (lam * seed)[None, :]
    filtered = signal.lfilter([1.0 - lam], [1.0, -lam], r * r, axis=0, zi=zi)[0]
    var_t = np.vstack([seed[None, :], filtered[:-1]])
    return np.sqrt(var_t), np.sqrt(filtered[-1])


def vol_scaled_returns(returns: npt.ArrayLike, lam: float = 0.94) -> FloatArray:
    """Hull-White filtered returns ``r_t * sigma_next / sigma_t`` (see the module notes)."""
    r = _returns_matrix(returns)
    sigma_t, sigma_next = ewma_volatility(r, lam)
    if (sigma_t <= 0.0).any():
        raise InvalidArgumentError(
            "volatility scaling needs a non-zero EWMA volatility on every day; a series "
            "starts with 20 unchanged prices"
        )
    return np.asarray(r * (sigma_next[None, :] / sigma_t), dtype=np.float64)


def historical_scenarios(
    returns: npt.ArrayLike,
    exposures: npt.ArrayLike,
    *,
    horizon: int = 1,
    vol_scaling: bool = False,
    ewma_lambda: float = 0.94,
) -> FloatArray:
    """Per-position P&L of every historical scenario, ``(scenarios, positions)``."""
    r = _returns_matrix(returns)
    e = _exposures(exposures, r.shape[1])
    if vol_scaling:
        r = vol_scaled_returns(r, ewma_lambda)
        # Scaling can push an old -60% day below -100% at today's higher volatility.
        r = np.maximum(r, -1.0 + 1e-12)
    return horizon_returns(r, horizon) * e[None, :]


def scenario_risk(
    pnl: npt.ArrayLike, *, confidence: float
) -> tuple[float, float, FloatArray, FloatArray]:
    """VaR, CVaR and their Euler components from per-position scenario P&L ``(S, n)``.

    See the module notes for the estimators. The VaR and CVaR are empyrical's conventions
    applied to the total P&L; O(S) selections (``argpartition``), no full sort.
    """
    p = np.asarray(pnl, dtype=np.float64)
    if p.ndim == 1:
        p = p[:, None]
    s = p.shape[0]
    if s < 2:
        raise InvalidArgumentError(f"need at least 2 scenarios, got {s}")
    total = p.sum(axis=1)
    a = 1.0 - _check_confidence(confidence)
    var = -float(np.percentile(total, 100.0 * a))
    cut = int((s - 1) * a)
    tail = np.argpartition(total, cut)[: cut + 1]
    cvar = -float(total[tail].mean())
    comp_cvar = -p[tail].mean(axis=0)

    q = (s - 1) * a
    half = max(1, math.isqrt(int(a * s)))
    lo = max(0, math.floor(q) - half)
    hi = min(s - 1, math.ceil(q) + half)
    order = np.argpartition(total, [lo, hi])
    band = order[lo : hi + 1]
    mean_pos = p[band].mean(axis=0)
    mean_total = float(mean_pos.sum())
    # mean_total is about -var; the ratio rescales the band's average onto the VaR exactly.
    comp_var = np.full(p.shape[1], math.nan) if mean_total == 0.0 else mean_pos * (var / mean_total)
    return var, cvar, np.asarray(comp_var, dtype=np.float64), np.asarray(comp_cvar)


# -- parametric -------------------------------------------------------------------------------


def _col_moments(x: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Column-wise mean, std (ddof=1), moment skew and excess kurtosis (metrics' estimators)."""
    mu = x.mean(axis=0)
    d = x - mu
    m2 = np.mean(d * d, axis=0)
    sigma = np.sqrt(m2 * x.shape[0] / (x.shape[0] - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        skew = np.mean(d**3, axis=0) / m2**1.5
        kurt = np.mean(d**4, axis=0) / m2**2 - 3.0
    return mu, sigma, skew, kurt


def _cf_var_cvar(
    mu: FloatArray, sigma: FloatArray, skew: FloatArray, kurt: FloatArray, a: float, h: int
) -> tuple[FloatArray, FloatArray]:
    """Cornish-Fisher VaR and CVaR (money) of columns of one-day P&L moments at horizon h."""
    mu_h, sig_h = mu * h, sigma * math.sqrt(h)
    s, k = skew / math.sqrt(h), kurt / h
    z = float(sps.norm.ppf(a))
    zcf = _cornish_fisher_z(z, s, k)  # type: ignore[arg-type]
    var = -(mu_h + zcf * sig_h)
    m0, m1, m2, m3 = _normal_moments_below(z, 3)
    integral = (
        m1 + (m2 - m0) * s / 6.0 + (m3 - 3.0 * m1) * k / 24.0 - (2.0 * m3 - 5.0 * m1) * s * s / 36.0
    )
    cvar = -(mu_h + sig_h * integral / a)
    return np.asarray(var, dtype=np.float64), np.asarray(cvar, dtype=np.float64)


def parametric_risk(
    returns: npt.ArrayLike,
    exposures: npt.ArrayLike,
    *,
    confidence: float,
    horizon: int = 1,
    method: Literal["gaussian", "cornish_fisher"] = "gaussian",
) -> tuple[float, float, FloatArray, FloatArray]:
    """Gaussian or Cornish-Fisher VaR, CVaR and Euler components (money).

    Gaussian components are closed forms: with ``s = Sigma e / sigma_p``,
    ``dVaR/de = -h mu - z sqrt(h) s`` and ``dCVaR/de = -h mu + sqrt(h) s phi(z) / a``.
    Cornish-Fisher components come from central differences of the same formula (relative
    step 1e-6, all positions at once as one matrix), which is why they sum to the VaR only to
    about 1e-8 rather than exactly.
    """
    c = _check_confidence(confidence)
    h = _check_horizon(horizon)
    r = _returns_matrix(returns)
    e = _exposures(exposures, r.shape[1])
    if r.shape[0] < 3:
        raise InvalidArgumentError(f"a parametric VaR needs at least 3 returns, got {r.shape[0]}")
    a = 1.0 - c
    pnl = r @ e
    if pnl.max() == pnl.min():
        raise InvalidArgumentError(
            f"the portfolio's P&L has zero dispersion; a {method} VaR is undefined"
        )
    if method == "gaussian":
        mu_i = r.mean(axis=0)
        cov = np.atleast_2d(np.cov(r, rowvar=False, ddof=1))
        sig_p = math.sqrt(float(e @ cov @ e))
        mu_p = float(mu_i @ e)
        z = float(sps.norm.ppf(a))
        tail = float(sps.norm.pdf(z)) / a
        var = -(mu_p * h + z * sig_p * math.sqrt(h))
        cvar = sig_p * math.sqrt(h) * tail - mu_p * h
        s = (cov @ e) / sig_p
        comp_var = e * (-h * mu_i - z * math.sqrt(h) * s)
        comp_cvar = e * (-h * mu_i + math.sqrt(h) * s * tail)
        return var, cvar, comp_var, comp_cvar
    if method != "cornish_fisher":
        raise InvalidArgumentError(
            f"parametric method must be gaussian or cornish_fisher: {method}"
        )
    # Column 0: the portfolio; columns 1..n: e + step_i * u_i; n+1..2n: e - step_i * u_i.
    n = e.size
    step = 1e-6 * np.where(e != 0.0, np.abs(e), 1.0)
    bumps = r * step[None, :]
    cols = np.hstack([pnl[:, None], pnl[:, None] + bumps, pnl[:, None] - bumps])
    var_all, cvar_all = _cf_var_cvar(*_col_moments(cols), a, h)
    grad_var = (var_all[1 : n + 1] - var_all[n + 1 :]) / (2.0 * step)
    grad_cvar = (cvar_all[1 : n + 1] - cvar_all[n + 1 :]) / (2.0 * step)
    return float(var_all[0]), float(cvar_all[0]), e * grad_var, e * grad_cvar


# -- the portfolio entry point ----------------------------------------------------------------


def portfolio_var(
    returns: npt.ArrayLike,
    exposures: npt.ArrayLike,
    *,
    method: PortfolioVarMethod,
    confidence: float = 0.95,
    horizon: int = 1,
    symbols: Sequence[str] | None = None,
    value: float | None = None,
    value_base: str = "net_value",
    vol_scaling: bool = False,
    ewma_lambda: float = 0.94,
    mc_model: str = "gbm",
    n_paths: int = 100_000,
    seed: int | None = None,
    backend: str = "numpy",
    dtype: str = "float64",
    on_progress: Callable[[int, int], None] | None = None,
) -> PortfolioRisk:
    """VaR and CVaR of positions with ``exposures`` given the assets' daily simple ``returns``.

    ``method`` has no default on purpose: the four methods give different numbers for the same
    book, so the caller must choose. ``value`` (default: the sum of exposures) is the
    denominator of the fractions. ``mc_model``, ``n_paths``, ``seed``, ``backend`` and
    ``dtype`` apply to ``monte_carlo`` only, which requires a ``seed``; ``on_progress(paths
    done, n_paths)`` is the simulation's per-chunk report and cancel point (see
    :func:`~neural_trader.risk.montecarlo.simulate`).
    """
    c = _check_confidence(confidence)
    h = _check_horizon(horizon)
    r = _returns_matrix(returns)
    e = _exposures(exposures, r.shape[1])
    names = list(symbols) if symbols is not None else [f"asset{i}" for i in range(e.size)]
    if len(names) != e.size:
        raise InvalidArgumentError(f"{len(names)} symbols for {e.size} exposures")
    if method not in PORTFOLIO_VAR_METHODS:
        raise InvalidArgumentError(f"VaR method must be one of {PORTFOLIO_VAR_METHODS}: {method!r}")
    if vol_scaling and method != "historical":
        raise InvalidArgumentError("vol_scaling applies to the historical method only")
    denom = float(e.sum()) if value is None else float(value)
    if not math.isfinite(denom) or denom <= 0.0:
        raise InvalidArgumentError(f"the portfolio value must be positive, got {denom}")
    a = 1.0 - c
    notes: list[str] = []
    details: dict[str, object] = {"observations": int(r.shape[0])}

    if method in ("historical", "monte_carlo"):
        if method == "historical":
            pnl = historical_scenarios(
                r, e, horizon=h, vol_scaling=vol_scaling, ewma_lambda=ewma_lambda
            )
            details["vol_scaling"] = vol_scaling
            if vol_scaling:
                details["ewma_lambda"] = ewma_lambda
            if h > 1:
                details["horizon_returns"] = "overlapping"
        else:
            if seed is None:
                raise InvalidArgumentError("the monte_carlo method needs a seed (reproducibility)")
            if n_paths * e.size > _MAX_KEPT:
                # The per-position split keeps every path's per-position P&L in memory.
                raise InvalidArgumentError(
                    f"{n_paths:,} paths x {e.size} positions exceed {_MAX_KEPT:,} kept numbers "
                    "for the per-position split; use fewer paths (or simulate() directly for "
                    "the portfolio P&L alone)"
                )
            from neural_trader.risk.montecarlo import fit_model, simulate

            model = fit_model(mc_model, np.log1p(r), assets=names)  # type: ignore[arg-type]
            sim = simulate(
                model,
                n_paths=n_paths,
                horizon=h,
                seed=seed,
                keep_asset_returns=True,
                backend=backend,  # type: ignore[arg-type]
                dtype=dtype,  # type: ignore[arg-type]
                on_chunk=on_progress,
            )
            assert sim.asset_returns is not None
            pnl = sim.asset_returns.astype(np.float64) * e[None, :]
            details.update(
                {"model": mc_model, "paths": n_paths, "seed": seed, "backend": sim.backend}
            )
            details["device"] = sim.device
            details["dtype"] = dtype
        var, cvar, comp_var, comp_cvar = scenario_risk(pnl, confidence=c)
        scenarios = pnl.shape[0]
        if int((scenarios - 1) * a) + 1 < _MIN_TAIL:
            notes.append(
                f"the {c:.1%} tail holds only {int((scenarios - 1) * a) + 1} scenario(s): "
                "the estimate is rough; use a longer history or a lower confidence"
            )
        if method == "historical" and h > 1:
            notes.append(
                f"{scenarios} overlapping {h}-period windows (about {r.shape[0] // h} "
                "independent ones)"
            )
    else:
        pm: Literal["gaussian", "cornish_fisher"] = (
            "gaussian" if method == "gaussian" else "cornish_fisher"
        )
        var, cvar, comp_var, comp_cvar = parametric_risk(r, e, confidence=c, horizon=h, method=pm)
        scenarios = r.shape[0]
        if method == "cornish_fisher":
            _, _, skew, kurt = _col_moments((r @ e)[:, None])
            details["skew"], details["excess_kurtosis"] = float(skew[0]), float(kurt[0])
            if abs(skew[0]) > 1.0 or kurt[0] > 7.0:
                notes.append(
                    "large skew/kurtosis: the Cornish-Fisher expansion may not be monotone "
                    "here; compare with the historical method"
                )
    with np.errstate(divide="ignore", invalid="ignore"):
        marginal = comp_var / e
    positions = tuple(
        PositionRisk(
            symbol=names[i],
            exposure=float(e[i]),
            weight=float(e[i] / denom),
            marginal_var=float(marginal[i]),
            component_var=float(comp_var[i]),
            component_cvar=float(comp_cvar[i]),
        )
        for i in range(e.size)
    )
    return PortfolioRisk(
        method=method,
        confidence=c,
        horizon=h,
        value=denom,
        value_base=value_base,
        var=var,
        cvar=cvar,
        var_fraction=var / denom,
        cvar_fraction=cvar / denom,
        scenarios=int(scenarios),
        positions=positions,
        details=details,
        notes=tuple(notes),
    )


# -- back-testing -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KupiecResult:
    """Kupiec's (1995) proportion-of-failures test of a VaR model's exceedance rate.

    H0: exceedances occur with probability ``expected_rate = 1 - confidence``. The likelihood
    ratio ``-2 ln[(1-p)^(N-x) p^x / ((1-x/N)^(N-x) (x/N)^x)]`` is chi-squared with one degree
    of freedom under H0; ``reject`` when ``p_value < significance``. It tests the count only,
    not whether exceedances cluster (Christoffersen's test would).
    """

    observations: int
    exceedances: int
    expected_rate: float
    observed_rate: float
    lr_statistic: float
    p_value: float
    significance: float
    reject: bool


def kupiec_pof(
    exceedances: npt.ArrayLike, *, confidence: float, significance: float = 0.05
) -> KupiecResult:
    """Kupiec's test on a boolean series of VaR exceedances (True = the loss beat the VaR)."""
    c = _check_confidence(confidence)
    if not 0.0 < significance < 1.0:
        raise InvalidArgumentError(f"significance must lie in (0, 1), got {significance}")
    hits = np.asarray(exceedances, dtype=bool).reshape(-1)
    n = int(hits.size)
    if n == 0:
        raise InvalidArgumentError("the Kupiec test needs at least one forecast")
    x = int(hits.sum())
    p = 1.0 - c
    pi = x / n
    log_h0 = float(xlogy(n - x, 1.0 - p) + xlogy(x, p))
    log_h1 = float(xlogy(n - x, 1.0 - pi) + xlogy(x, pi))
    lr = max(0.0, -2.0 * (log_h0 - log_h1))
    pval = float(sps.chi2.sf(lr, 1))
    return KupiecResult(
        observations=n,
        exceedances=x,
        expected_rate=p,
        observed_rate=pi,
        lr_statistic=lr,
        p_value=pval,
        significance=significance,
        reject=pval < significance,
    )


def rolling_var(
    returns: npt.ArrayLike,
    *,
    window: int,
    confidence: float,
    method: RollingMethod = "historical",
    vol_scaling: bool = False,
    ewma_lambda: float = 0.94,
) -> FloatArray:
    """One-period VaR forecasts (positive loss fractions) for periods ``window .. T-1``.

    The forecast for period t uses returns ``t - window .. t - 1`` only (no look-ahead), with
    the single-series conventions of ``metrics.value_at_risk``. Windows are processed in blocks
    of a strided view, so the cost is one vectorised pass and memory stays bounded.

    ``vol_scaling`` (historical only) is the rolling form of the Hull-White scaling: the
    window's returns divided by their own EWMA forecasts, the quantile taken, and the result
    multiplied by the forecast for period t, ``sigma_t * VaR(r_j / sigma_j)``. Every
    ``sigma`` is a forecast from earlier returns, except that the EWMA seed (the mean square of
    the first 20 returns) touches the first 20 residuals.
    """
    c = _check_confidence(confidence)
    r = np.asarray(returns, dtype=np.float64).reshape(-1)
    if not np.isfinite(r).all():
        raise InvalidArgumentError("returns contain NaN or infinite values")
    if int(window) != window or window < 3:
        raise InvalidArgumentError(f"window must be an integer >= 3, got {window}")
    if r.size <= window:
        raise InvalidArgumentError(f"{r.size} returns leave nothing to forecast after {window}")
    if vol_scaling and method != "historical":
        raise InvalidArgumentError("vol_scaling applies to the historical method only")
    a = 1.0 - c
    scale = None
    if vol_scaling:
        sigma_t, _ = ewma_volatility(r, ewma_lambda)
        sigma = sigma_t[:, 0]
        if (sigma <= 0.0).any():
            raise InvalidArgumentError("volatility scaling needs a non-zero EWMA volatility")
        scale = sigma[window:]
        r = r / sigma
    views = np.lib.stride_tricks.sliding_window_view(r[:-1], window)
    out = np.empty(views.shape[0], dtype=np.float64)
    z = float(sps.norm.ppf(a))
    for lo in range(0, views.shape[0], _BLOCK):
        block = views[lo : lo + _BLOCK]
        if method == "historical":
            out[lo : lo + block.shape[0]] = -np.percentile(block, 100.0 * a, axis=1)
            continue
        mu, sigma, skew, kurt = _col_moments(block.T)
        if method == "gaussian":
            out[lo : lo + block.shape[0]] = -(mu + z * sigma)
        elif method == "cornish_fisher":
            out[lo : lo + block.shape[0]] = _cf_var_cvar(mu, sigma, skew, kurt, a, 1)[0]
        else:
            raise InvalidArgumentError(f"rolling VaR method must be one of {RollingMethod}")
    return out if scale is None else out * scale


@dataclass(frozen=True, slots=True)
class VarBacktest:
    """A rolling VaR forecast compared with what happened, and Kupiec's verdict on it."""

    method: str
    confidence: float
    window: int
    vol_scaling: bool
    forecasts: FloatArray
    """VaR forecast (positive loss fraction) for each tested period."""
    realized: FloatArray
    """The return that followed each forecast."""
    exceedances: BoolArray
    """``realized < -forecast``: the loss was larger than the VaR."""
    kupiec: KupiecResult


def backtest_var(
    returns: npt.ArrayLike,
    *,
    window: int = 250,
    confidence: float = 0.99,
    method: RollingMethod = "historical",
    significance: float = 0.05,
    vol_scaling: bool = False,
    ewma_lambda: float = 0.94,
) -> VarBacktest:
    """Forecast VaR one period ahead over a rolling window and test the exceedance rate."""
    r = np.asarray(returns, dtype=np.float64).reshape(-1)
    forecasts = rolling_var(
        r,
        window=window,
        confidence=confidence,
        method=method,
        vol_scaling=vol_scaling,
        ewma_lambda=ewma_lambda,
    )
    realized = r[window:]
    hits = realized < -forecasts
    return VarBacktest(
        method=method,
        confidence=confidence,
        window=int(window),
        vol_scaling=vol_scaling,
        forecasts=forecasts,
        realized=realized,
        exceedances=hits,
        kupiec=kupiec_pof(hits, confidence=confidence, significance=significance),
    )
