"""Portfolio optimisation through skfolio (the optional ``neural-trader[risk]`` extra).

We write no solver: skfolio formulates each problem for cvxpy (CLARABEL by default) or, for
the hierarchical methods, runs its own clustering, and its results are the ones reported. This
module chooses the estimator, translates our arguments, and reports the weights together with
in-sample statistics computed by :mod:`neural_trader.analytics.metrics` (our conventions, not
skfolio's: its annualised Sharpe mixes per-period and annual risk-free rates, skfolio#288).

Methods (all long-only and fully invested unless the weight bounds say otherwise):

* ``mean_variance``: ``MeanRisk`` on variance; ``objective`` min_risk (default),
  max_ratio (Sharpe), max_utility (``mean - risk_aversion * variance``) or max_return.
* ``min_cvar``: ``MeanRisk`` minimising the historical CVaR at ``cvar_beta`` (the
  Rockafellar-Uryasev linear programme), the same problem as PyPortfolioOpt's
  ``EfficientCVaR.min_cvar`` (tested equal to 1e-6 on skfolio's 20 S&P 500 stocks).
* ``hrp``: ``HierarchicalRiskParity`` (Lopez de Prado) on variance, ``linkage`` method.
* ``risk_parity``: ``RiskBudgeting`` with equal variance budgets (equal risk contributions).
* ``black_litterman``: ``MeanRisk`` on the Black-Litterman posterior from ``views`` in
  skfolio's syntax (``"AAPL == 0.0005"``, ``"AAPL - MSFT == 0.0002"``: per-period returns);
  objective max_ratio by default, since with min_risk the views would barely matter.

Inputs are per-period SIMPLE returns (skfolio's "linear returns"), one column per asset.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from neural_trader.analytics import metrics
from neural_trader.core.errors import InvalidArgumentError, MissingDependencyError

__all__ = [
    "OBJECTIVES",
    "OPTIMIZE_METHODS",
    "Objective",
    "OptimizationResult",
    "OptimizeMethod",
    "optimize_weights",
]

OptimizeMethod = Literal["mean_variance", "min_cvar", "hrp", "risk_parity", "black_litterman"]
OPTIMIZE_METHODS: Final[tuple[OptimizeMethod, ...]] = (
    "mean_variance",
    "min_cvar",
    "hrp",
    "risk_parity",
    "black_litterman",
)
Objective = Literal["min_risk", "max_ratio", "max_utility", "max_return"]
OBJECTIVES: Final[tuple[Objective, ...]] = ("min_risk", "max_ratio", "max_utility", "max_return")
_OBJECTIVE_NAMES: Final = {
    "min_risk": "MINIMIZE_RISK",
    "max_ratio": "MAXIMIZE_RATIO",
    "max_utility": "MAXIMIZE_UTILITY",
    "max_return": "MAXIMIZE_RETURN",
}
_LINKAGES: Final = ("single", "complete", "average", "weighted", "centroid", "median", "ward")


@dataclass(frozen=True, slots=True)
class OptimizationResult:
    """Target weights and what they did in the sample they were fitted on."""

    method: OptimizeMethod
    objective: str | None
    weights: dict[str, float]
    risk_contributions: dict[str, float]
    """Each asset's share of the portfolio VARIANCE, ``w_i (Sigma w)_i / w' Sigma w``."""
    in_sample: dict[str, float]
    """Annualised mean and volatility, Sharpe (rf 0), max drawdown, 95% CVaR (per period)."""
    observations: int
    params: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _skfolio() -> tuple[Any, Any, Any, Any]:
    """skfolio's optimisation, prior, cluster and measures modules, imported on first use."""
    try:
        return (
            importlib.import_module("skfolio.optimization"),
            importlib.import_module("skfolio.prior"),
            importlib.import_module("skfolio.cluster"),
            importlib.import_module("skfolio"),
        )
    except ImportError:
        raise MissingDependencyError("skfolio", "risk", "Portfolio optimisation") from None


def _check_returns(returns: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(returns, pd.DataFrame) or returns.shape[1] < 2:
        raise InvalidArgumentError("optimisation needs a DataFrame of at least two assets")
    if returns.shape[0] < 20:
        raise InvalidArgumentError(f"only {returns.shape[0]} returns; need at least 20")
    if not np.isfinite(returns.to_numpy(dtype=np.float64)).all():
        raise InvalidArgumentError("returns contain NaN or infinite values; align them first")
    return returns


def optimize_weights(
    returns: pd.DataFrame,
    method: OptimizeMethod,
    *,
    objective: Objective | None = None,
    risk_aversion: float = 1.0,
    cvar_beta: float = 0.95,
    min_weight: float = 0.0,
    max_weight: float = 1.0,
    views: Sequence[str] = (),
    tau: float = 0.05,
    linkage: str = "ward",
    solver: str = "CLARABEL",
    solver_params: dict[str, Any] | None = None,
    periods_per_year: float = 252.0,
) -> OptimizationResult:
    """Fit skfolio's estimator for ``method`` on ``returns`` and report the weights."""
    r = _check_returns(returns)
    if method not in OPTIMIZE_METHODS:
        raise InvalidArgumentError(f"method must be one of {OPTIMIZE_METHODS}, got {method!r}")
    if objective is not None and objective not in OBJECTIVES:
        raise InvalidArgumentError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    n = r.shape[1]
    if not (0.0 <= min_weight <= max_weight <= 1.0) or min_weight * n > 1.0 or max_weight * n < 1.0:
        raise InvalidArgumentError(
            f"weight bounds [{min_weight}, {max_weight}] cannot hold {n} long-only weights "
            "summing to 1"
        )
    if not 0.0 < cvar_beta < 1.0:
        raise InvalidArgumentError(f"cvar_beta must lie in (0, 1), got {cvar_beta}")
    if linkage not in _LINKAGES:
        raise InvalidArgumentError(f"linkage must be one of {_LINKAGES}, got {linkage!r}")
    opt, prior, cluster, sk = _skfolio()
    measure = sk.RiskMeasure
    common: dict[str, Any] = {"min_weights": min_weight, "max_weights": max_weight}
    convex: dict[str, Any] = {**common, "solver": solver, "solver_params": solver_params}
    params: dict[str, Any] = {"min_weight": min_weight, "max_weight": max_weight}
    used_objective: str | None = None
    notes: list[str] = []

    def objective_fn(default: Objective) -> Any:
        nonlocal used_objective
        used_objective = objective or default
        return getattr(opt.ObjectiveFunction, _OBJECTIVE_NAMES[used_objective])

    if method == "mean_variance":
        est = opt.MeanRisk(
            risk_measure=measure.VARIANCE,
            objective_function=objective_fn("min_risk"),
            risk_aversion=risk_aversion,
            **convex,
        )
        params["risk_aversion"] = risk_aversion
    elif method == "min_cvar":
        est = opt.MeanRisk(
            risk_measure=measure.CVAR,
            objective_function=objective_fn("min_risk"),
            cvar_beta=cvar_beta,
            risk_aversion=risk_aversion,
            **convex,
        )
        params["cvar_beta"] = cvar_beta
    elif method == "hrp":
        seriation = importlib.import_module("skfolio.seriation")
        est = opt.HierarchicalRiskParity(
            risk_measure=measure.VARIANCE,
            seriation_estimator=seriation.HierarchicalSeriation(
                hierarchical_clustering_estimator=cluster.HierarchicalClustering(
                    linkage_method=getattr(cluster.LinkageMethod, linkage.upper())
                )
            ),
            **common,
        )
        params["linkage"] = linkage
    elif method == "risk_parity":
        est = opt.RiskBudgeting(risk_measure=measure.VARIANCE, **convex)
    else:
        if not views:
            raise InvalidArgumentError(
                'black_litterman needs at least one view, e.g. "AAPL == 0.0005" '
                '(per-period return) or "AAPL - MSFT == 0.0002"'
            )
        est = opt.MeanRisk(
            risk_measure=measure.VARIANCE,
            objective_function=objective_fn("max_ratio"),
            risk_aversion=risk_aversion,
            prior_estimator=prior.BlackLitterman(views=list(views), tau=tau),
            **convex,
        )
        params.update({"views": list(views), "tau": tau})
    try:
        est.fit(r)
    except (ValueError, KeyError) as exc:
        raise InvalidArgumentError(f"skfolio could not fit {method}: {exc}") from None
    except Exception as exc:  # solver failures come as various cvxpy/skfolio classes
        if type(exc).__module__.split(".")[0] not in ("cvxpy", "skfolio"):
            raise
        raise InvalidArgumentError(f"the {method} problem could not be solved: {exc}") from None
    w = np.asarray(est.weights_, dtype=np.float64)
    if not np.isfinite(w).all():
        raise InvalidArgumentError(f"skfolio returned non-finite weights for {method}")
    names = [str(c) for c in r.columns]
    x = r.to_numpy(dtype=np.float64)
    cov = np.cov(x, rowvar=False)
    var_p = float(w @ cov @ w)
    contrib = w * (cov @ w) / var_p if var_p > 0 else np.full(n, math.nan)
    port = x @ w
    in_sample = {
        "annual_return": float(port.mean() * periods_per_year),
        "annual_volatility": metrics.annual_volatility(port, periods_per_year=periods_per_year),
        "sharpe": metrics.sharpe(port, periods_per_year=periods_per_year),
        "max_drawdown": metrics.max_drawdown(port),
        "cvar_95": metrics.conditional_value_at_risk(port, confidence=0.95).value,
    }
    if abs(float(w.sum()) - 1.0) > 1e-6:
        notes.append(f"weights sum to {w.sum():.6f}")
    return OptimizationResult(
        method=method,
        objective=used_objective,
        weights=dict(zip(names, (float(v) for v in w), strict=True)),
        risk_contributions=dict(zip(names, (float(v) for v in contrib), strict=True)),
        in_sample=in_sample,
        observations=int(r.shape[0]),
        params=params,
        notes=tuple(notes),
    )
