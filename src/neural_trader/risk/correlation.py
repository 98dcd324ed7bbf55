"""Correlation and diversification: how many independent bets a portfolio really holds.

* Correlation matrices: ``pearson`` (linear), ``spearman`` (ranks: robust to outliers and to
  monotone non-linearity) and ``shrunk`` (Ledoit-Wolf 2004: the sample covariance pulled
  toward a scaled identity by the optimal amount, then turned into a correlation). The sample
  matrix of n assets over T days is noisy when T is not much larger than n, and shrinkage is
  the standard cure; the formula is scikit-learn's ``ledoit_wolf`` (tested equal to 1e-12),
  written out because scikit-learn is not a core dependency.
* Effective numbers: ``effective_number_of_assets`` (``1 / sum w^2``, holdings only),
  ``effective_rank`` (exponential entropy of the correlation eigenvalues: how many
  independent directions the assets span) and Meucci's (2009) ``effective_number_of_bets``
  (the same entropy on the portfolio's variance split across principal components), plus the
  ``diversification_ratio`` (weighted average volatility over portfolio volatility).
* Clusters of highly correlated holdings: complete-linkage hierarchical clustering on the
  distance ``sqrt((1 - rho) / 2)`` cut at the distance of ``threshold``. Complete linkage
  merges two groups only if their FARTHEST pair is within the cut, so every pair inside a
  reported cluster has a correlation of at least ``threshold``: the guarantee a reader
  expects from "these move together" (average or single linkage would not give it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

from neural_trader.core.errors import InvalidArgumentError

__all__ = [
    "CORRELATION_METHODS",
    "CorrelatedCluster",
    "CorrelationMethod",
    "correlated_clusters",
    "correlation_matrix",
    "diversification_ratio",
    "effective_number_of_assets",
    "effective_number_of_bets",
    "effective_rank",
    "ledoit_wolf",
]

FloatArray = npt.NDArray[np.float64]
CorrelationMethod = Literal["pearson", "spearman", "shrunk"]
CORRELATION_METHODS: Final[tuple[CorrelationMethod, ...]] = ("pearson", "spearman", "shrunk")


def _matrix(returns: npt.ArrayLike) -> FloatArray:
    x = np.asarray(returns, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 3 or x.shape[1] < 1:
        raise InvalidArgumentError(f"need a (days >= 3, assets >= 1) matrix, got {x.shape}")
    if not np.isfinite(x).all():
        raise InvalidArgumentError("returns contain NaN or infinite values")
    return x


def ledoit_wolf(returns: npt.ArrayLike) -> tuple[FloatArray, float]:
    """Ledoit-Wolf shrunk covariance (ddof=0, centred) and the shrinkage intensity in [0, 1]."""
    x = _matrix(returns)
    t, n = x.shape
    x = x - x.mean(axis=0)
    emp = x.T @ x / t
    x2 = x * x
    trace = x2.sum(axis=0) / t
    mu = float(trace.sum()) / n
    beta_ = float(np.sum(x2.T @ x2))
    delta_ = float(np.sum((x.T @ x) ** 2)) / t**2
    beta = (beta_ / t - delta_) / (n * t)
    delta = (delta_ - 2.0 * mu * float(trace.sum()) + n * mu * mu) / n
    beta = min(beta, delta)
    shrink = 0.0 if beta == 0.0 else beta / delta
    shrunk = (1.0 - shrink) * emp
    shrunk.flat[:: n + 1] += shrink * mu
    return shrunk, shrink


def _cov_to_corr(cov: FloatArray) -> FloatArray:
    d = np.sqrt(np.diag(cov))
    if (d <= 0.0).any():
        raise InvalidArgumentError("an asset has zero variance; its correlation is undefined")
    corr = cov / np.outer(d, d)
    np.fill_diagonal(corr, 1.0)
    return np.asarray(np.clip(corr, -1.0, 1.0), dtype=np.float64)


def correlation_matrix(
    returns: pd.DataFrame, method: CorrelationMethod = "pearson"
) -> pd.DataFrame:
    """Correlation of the columns of ``returns`` (aligned, no missing values)."""
    if method not in CORRELATION_METHODS:
        raise InvalidArgumentError(
            f"correlation method must be one of {CORRELATION_METHODS}, got {method!r}"
        )
    x = _matrix(returns.to_numpy(dtype=np.float64))
    if (x.max(axis=0) == x.min(axis=0)).any():
        flat = [
            str(c)
            for c, f in zip(returns.columns, x.max(axis=0) == x.min(axis=0), strict=True)
            if f
        ]
        raise InvalidArgumentError(
            f"constant returns for {', '.join(flat)}: correlation is undefined"
        )
    if method == "spearman":
        from scipy.stats import rankdata

        x = rankdata(x, axis=0)
    if method == "shrunk":
        corr = _cov_to_corr(ledoit_wolf(x)[0])
    else:
        corr = _cov_to_corr(np.atleast_2d(np.cov(x, rowvar=False)))
    return pd.DataFrame(corr, index=returns.columns, columns=returns.columns)


def _entropy_count(p: FloatArray) -> float:
    p = p[p > 0.0]
    return float(math.exp(-float(np.sum(p * np.log(p)))))


def effective_rank(corr: npt.ArrayLike) -> float:
    """``exp(entropy)`` of the normalised eigenvalues: n for uncorrelated assets, 1 for clones."""
    c = np.asarray(corr, dtype=np.float64)
    lam = np.clip(np.linalg.eigvalsh(c), 0.0, None)
    return _entropy_count(lam / lam.sum())


def effective_number_of_assets(weights: npt.ArrayLike) -> float:
    """``1 / sum(w^2)`` with weights normalised by their gross sum (shorts count by size)."""
    w = np.abs(np.asarray(weights, dtype=np.float64).reshape(-1))
    if w.sum() <= 0.0:
        raise InvalidArgumentError("weights are all zero")
    w = w / w.sum()
    return float(1.0 / np.sum(w * w))


def effective_number_of_bets(weights: npt.ArrayLike, cov: npt.ArrayLike) -> float:
    """Meucci's effective number of uncorrelated bets on principal components.

    With ``cov = E diag(lam) E'`` and ``v = E' w``, component k carries the share
    ``p_k = v_k^2 lam_k / w' cov w`` of the variance; the count is ``exp(-sum p_k ln p_k)``.
    """
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    c = np.asarray(cov, dtype=np.float64)
    if c.shape != (w.size, w.size):
        raise InvalidArgumentError(f"{w.size} weights for a {c.shape} covariance")
    lam, vec = np.linalg.eigh(c)
    v = vec.T @ w
    contrib = v * v * np.clip(lam, 0.0, None)
    total = contrib.sum()
    if total <= 0.0:
        raise InvalidArgumentError("the portfolio has zero variance")
    return _entropy_count(contrib / total)


def diversification_ratio(weights: npt.ArrayLike, cov: npt.ArrayLike) -> float:
    """``sum |w_i| sigma_i / sigma_p``: 1 with no diversification, larger with more."""
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    c = np.asarray(cov, dtype=np.float64)
    var = float(w @ c @ w)
    if var <= 0.0:
        raise InvalidArgumentError("the portfolio has zero variance")
    return float(np.abs(w) @ np.sqrt(np.diag(c)) / math.sqrt(var))


@dataclass(frozen=True, slots=True)
class CorrelatedCluster:
    """Holdings whose every pairwise correlation is at least the threshold."""

    members: tuple[str, ...]
    min_correlation: float
    mean_correlation: float


def correlated_clusters(corr: pd.DataFrame, threshold: float = 0.8) -> list[CorrelatedCluster]:
    """Groups of two or more assets with pairwise correlation >= ``threshold``, largest first."""
    if not -1.0 <= threshold <= 1.0:
        raise InvalidArgumentError(f"threshold must lie in [-1, 1], got {threshold}")
    names = [str(c) for c in corr.columns]
    c = corr.to_numpy(dtype=np.float64)
    if len(names) < 2:
        return []
    dist = np.sqrt(np.clip((1.0 - c) / 2.0, 0.0, None))
    np.fill_diagonal(dist, 0.0)
    tree = hierarchy.linkage(squareform(dist, checks=False), method="complete")
    cut = math.sqrt((1.0 - threshold) / 2.0)
    labels = hierarchy.fcluster(tree, t=cut, criterion="distance")
    out = []
    for lab in np.unique(labels):
        idx = np.flatnonzero(labels == lab)
        if idx.size < 2:
            continue
        sub = c[np.ix_(idx, idx)]
        pairs = sub[np.triu_indices(idx.size, k=1)]
        out.append(
            CorrelatedCluster(
                members=tuple(names[i] for i in idx),
                min_correlation=float(pairs.min()),
                mean_correlation=float(pairs.mean()),
            )
        )
    out.sort(key=lambda cl: (-len(cl.members), -cl.mean_correlation))
    return out
