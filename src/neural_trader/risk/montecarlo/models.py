"""The three return models the Monte Carlo engine simulates, and how each is fitted.

All three describe DAILY LOG returns ``x = log(p[t] / p[t-1])`` of ``n`` assets, because log
returns add over days (a path is a cumulative sum) and ``exp`` of any sum is a valid price.

* :class:`GBM`: ``x ~ N(mu, Sigma)`` iid, the discrete-time correlated geometric Brownian
  motion. ``Sigma = L L'`` with ``L`` lower triangular; a singular ``Sigma`` (two assets that
  move identically) is accepted and factorised through its eigen-decomposition and a QR step,
  because Cholesky refuses it while the model is still well defined.
* :class:`StudentTCopula`: the dependence of a Student-t copula (correlation ``R``, degrees of
  freedom ``nu``: joint crashes are more likely than under a Gaussian copula) with each asset's
  EMPIRICAL marginal (the quantile function of its historical log returns, linearly
  interpolated). ``R`` comes from Kendall's tau, ``R = sin(pi tau / 2)``, the rank-based
  estimator that is consistent for every elliptical copula and insensitive to the marginals;
  ``nu`` by maximum likelihood over a grid. Simulated daily returns never exceed the
  historical extremes (the empirical marginals do not extrapolate); the fat left tail comes
  from crashes happening together.
* :class:`FilteredBootstrap`: filtered historical simulation (Barone-Adesi et al. 1999).
  Demeaned log returns are divided by their EWMA volatility forecast to give standardised
  residual VECTORS (one per day, so the cross-section's dependence is kept); a path draws
  days with replacement and rescales each residual by the volatility its own path has
  reached, updating that volatility with the EWMA recursion. Volatility clustering
  therefore continues into the simulation, starting from today's level.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Final, Literal

import numpy as np
import numpy.typing as npt
from scipy import stats as sps

from neural_trader.core.errors import InvalidArgumentError

__all__ = [
    "GBM",
    "MODEL_KINDS",
    "FilteredBootstrap",
    "Model",
    "ModelKind",
    "StudentTCopula",
    "factorize_covariance",
    "fit_model",
]

FloatArray = npt.NDArray[np.float64]
ModelKind = Literal["gbm", "t_copula", "bootstrap"]
MODEL_KINDS: Final[tuple[ModelKind, ...]] = ("gbm", "t_copula", "bootstrap")
_DOF_GRID: Final = (2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 20.0, 30.0, 50.0, 100.0)
_PSD_TOL: Final = 1e-10


def _names(assets: Sequence[str] | None, n: int) -> tuple[str, ...]:
    names = tuple(assets) if assets is not None else tuple(f"asset{i}" for i in range(n))
    if len(names) != n:
        raise InvalidArgumentError(f"{len(names)} asset names for {n} return columns")
    return names


def _log_matrix(log_returns: npt.ArrayLike, minimum: int) -> FloatArray:
    x = np.asarray(log_returns, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise InvalidArgumentError(f"log returns must be 1-D or 2-D, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise InvalidArgumentError("log returns contain NaN or infinite values")
    if x.shape[0] < minimum:
        raise InvalidArgumentError(
            f"fitting needs at least {minimum} daily returns, got {x.shape[0]}"
        )
    return x


def factorize_covariance(cov: npt.ArrayLike) -> FloatArray:
    """A lower-triangular ``L`` with ``L @ L.T == cov`` for any positive SEMI-definite ``cov``.

    Cholesky first (fast, exact); when it refuses a singular matrix, ``A = V sqrt(max(lam, 0))``
    from the eigen-decomposition and ``L = R.T`` from ``QR(A.T)``, since ``A A' = R' Q' Q R``.
    A matrix with a clearly negative eigenvalue is not a covariance and is refused.
    """
    c = np.asarray(cov, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise InvalidArgumentError(f"a covariance must be square, got shape {c.shape}")
    if not np.isfinite(c).all() or not np.allclose(c, c.T, rtol=1e-10, atol=1e-14):
        raise InvalidArgumentError("a covariance must be finite and symmetric")
    try:
        return np.asarray(np.linalg.cholesky(c), dtype=np.float64)
    except np.linalg.LinAlgError:
        pass
    lam, vec = np.linalg.eigh((c + c.T) / 2.0)
    scale = max(float(np.max(np.abs(lam))), 1e-300)
    if lam.min() < -_PSD_TOL * scale:
        raise InvalidArgumentError(
            f"the covariance is not positive semi-definite (eigenvalue {lam.min():.3g})"
        )
    a = vec * np.sqrt(np.clip(lam, 0.0, None))[None, :]
    low = np.asarray(np.linalg.qr(a.T).R.T, dtype=np.float64)
    # QR fixes signs only up to a flip per column; make the diagonal non-negative.
    signs = np.where(np.diag(low) < 0.0, -1.0, 1.0)
    return np.asarray(low * signs[None, :], dtype=np.float64)


@dataclass(frozen=True, eq=False, slots=True)
class GBM:
    """Correlated geometric Brownian motion in daily steps: ``x ~ N(mu, cov)``."""

    assets: tuple[str, ...]
    mu: FloatArray
    cov: FloatArray
    chol: FloatArray

    kind: ClassVar[ModelKind] = "gbm"

    @classmethod
    def from_params(
        cls, mu: npt.ArrayLike, cov: npt.ArrayLike, *, assets: Sequence[str] | None = None
    ) -> GBM:
        m = np.asarray(mu, dtype=np.float64).reshape(-1)
        c = np.atleast_2d(np.asarray(cov, dtype=np.float64))
        if c.shape != (m.size, m.size) or not np.isfinite(m).all():
            raise InvalidArgumentError(f"mu {m.shape} and cov {c.shape} do not match")
        return cls(_names(assets, m.size), m, c, factorize_covariance(c))

    @classmethod
    def fit(cls, log_returns: npt.ArrayLike, *, assets: Sequence[str] | None = None) -> GBM:
        """Sample mean and covariance (ddof=1) of daily log returns."""
        x = _log_matrix(log_returns, 3)
        return cls.from_params(
            x.mean(axis=0), np.atleast_2d(np.cov(x, rowvar=False, ddof=1)), assets=assets
        )

    @property
    def n_assets(self) -> int:
        return int(self.mu.size)


def _kendall_correlation(x: FloatArray) -> FloatArray:
    n = x.shape[1]
    corr = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            tau = float(sps.kendalltau(x[:, i], x[:, j]).statistic)
            corr[i, j] = corr[j, i] = math.sin(math.pi * tau / 2.0) if math.isfinite(tau) else 0.0
    return _nearest_correlation(corr)


def _nearest_correlation(corr: FloatArray) -> FloatArray:
    """Clip negative eigenvalues and restore the unit diagonal (pairwise tau can give an
    indefinite matrix; this is the simple spectral repair, enough for a sampling model)."""
    lam, vec = np.linalg.eigh(corr)
    if lam.min() >= 0.0:
        return corr
    fixed = (vec * np.clip(lam, 1e-8, None)) @ vec.T
    d = np.sqrt(np.diag(fixed))
    return np.asarray(fixed / np.outer(d, d), dtype=np.float64)


def _fit_dof(x: FloatArray, corr: FloatArray) -> float:
    """Grid maximum likelihood of the t copula's ``nu`` on the pseudo-observations."""
    t_obs = x.shape[0]
    u = (sps.rankdata(x, axis=0) / (t_obs + 1)).astype(np.float64)
    best, best_ll = _DOF_GRID[-1], -math.inf
    for nu in _DOF_GRID:
        q = sps.t.ppf(u, nu)
        ll = float(
            np.sum(sps.multivariate_t.logpdf(q, shape=corr, df=nu)) - np.sum(sps.t.logpdf(q, nu))
        )
        if ll > best_ll:
            best, best_ll = nu, ll
    return best


@dataclass(frozen=True, eq=False, slots=True)
class StudentTCopula:
    """Student-t copula (``corr``, ``dof``) with empirical marginals (``sorted_returns``)."""

    assets: tuple[str, ...]
    corr: FloatArray
    chol: FloatArray
    dof: float
    sorted_returns: FloatArray
    """Each column sorted ascending: the empirical quantile function of that asset."""

    kind: ClassVar[ModelKind] = "t_copula"

    @classmethod
    def fit(
        cls,
        log_returns: npt.ArrayLike,
        *,
        dof: float | None = None,
        assets: Sequence[str] | None = None,
    ) -> StudentTCopula:
        """Kendall-tau correlation, ``dof`` given or fitted on the grid 2.5 .. 100."""
        x = _log_matrix(log_returns, 20)
        corr = _kendall_correlation(x)
        # One asset has no dependence to fit; nu then only shapes nothing (marginals rule).
        fitted = _fit_dof(x, corr) if x.shape[1] > 1 else 5.0
        nu = fitted if dof is None else float(dof)
        if not math.isfinite(nu) or nu <= 0.0:
            raise InvalidArgumentError(f"degrees of freedom must be positive, got {dof}")
        return cls(
            _names(assets, x.shape[1]),
            corr,
            factorize_covariance(corr),
            nu,
            np.sort(x, axis=0),
        )

    @property
    def n_assets(self) -> int:
        return int(self.corr.shape[0])


@dataclass(frozen=True, eq=False, slots=True)
class FilteredBootstrap:
    """Filtered historical simulation: EWMA-standardised residual vectors, resampled."""

    assets: tuple[str, ...]
    residuals: FloatArray
    """``(days, n)``: ``(x_t - mu) / sigma_t``."""
    mu: FloatArray
    sigma0: FloatArray
    """Today's EWMA volatility forecast per asset: where every path starts."""
    lam: float

    kind: ClassVar[ModelKind] = "bootstrap"

    @classmethod
    def fit(
        cls, log_returns: npt.ArrayLike, *, lam: float = 0.94, assets: Sequence[str] | None = None
    ) -> FilteredBootstrap:
        from neural_trader.risk.var import ewma_volatility

        x = _log_matrix(log_returns, 30)
        mu = x.mean(axis=0)
        sigma_t, sigma_next = ewma_volatility(x - mu, lam)
        if (sigma_t <= 0.0).any():
            raise InvalidArgumentError(
                "the bootstrap needs a non-zero EWMA volatility on every day"
            )
        return cls(
            _names(assets, x.shape[1]),
            np.asarray((x - mu) / sigma_t, dtype=np.float64),
            mu,
            np.asarray(sigma_next, dtype=np.float64),
            float(lam),
        )

    @property
    def n_assets(self) -> int:
        return int(self.mu.size)


Model = GBM | StudentTCopula | FilteredBootstrap


def fit_model(
    kind: ModelKind,
    log_returns: npt.ArrayLike,
    *,
    assets: Sequence[str] | None = None,
    dof: float | None = None,
    ewma_lambda: float = 0.94,
) -> Model:
    """Fit the model named ``kind`` to daily log returns ``(days, assets)``."""
    if kind == "gbm":
        return GBM.fit(log_returns, assets=assets)
    if kind == "t_copula":
        return StudentTCopula.fit(log_returns, dof=dof, assets=assets)
    if kind == "bootstrap":
        return FilteredBootstrap.fit(log_returns, lam=ewma_lambda, assets=assets)
    raise InvalidArgumentError(f"Monte Carlo model must be one of {MODEL_KINDS}, got {kind!r}")
