"""Is a Sharpe ratio distinguishable from luck? Probabilistic and deflated Sharpe, bootstrap.

A backtest's Sharpe ratio is an estimate from a finite, usually fat-tailed and skewed sample,
and the best of many tried configurations is biased upwards by the search itself. Three
answers, each on the per-period (not annualised) Sharpe ``SR = mean / std`` (ddof=1):

* **Probabilistic Sharpe ratio** (Bailey & López de Prado, 2012): the probability that the
  true Sharpe exceeds a benchmark ``SR*`` given the sample's length, skewness and kurtosis::

      PSR(SR*) = Phi( (SR - SR*) sqrt(n - 1) / sqrt(1 - g3 SR + (g4 - 1) / 4 SR^2) )

  with ``g3`` the skewness and ``g4`` the (non-excess) kurtosis, 3 for a normal sample.
* **Deflated Sharpe ratio** (Bailey & López de Prado, 2014): the PSR against the Sharpe the
  best of ``N`` unskilled trials would reach by chance, from the variance ``V`` of the trials'
  Sharpe ratios::

      SR*_0 = sqrt(V) ((1 - gamma) Phi^-1(1 - 1/N) + gamma Phi^-1(1 - 1/(N e)))

  (``gamma`` = Euler-Mascheroni). One trial (N = 1) has nothing to deflate: DSR = PSR(0).
* **Stationary bootstrap** (Politis & Romano, 1994): resample the returns in blocks of
  geometric length (mean ``n^(1/3)``, keeping short-range dependence such as volatility
  clustering) to get a confidence interval of the Sharpe, and resample the *demeaned* returns
  to get the distribution of the Sharpe under "no edge"; the p-value is the share of those at
  or above the observed one. Seeded, so the same call gives the same numbers.

Every function takes simple per-period returns; NaNs are dropped first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from neural_trader.core.errors import InvalidArgumentError

__all__ = [
    "BootstrapSharpe",
    "SharpeMoments",
    "deflated_sharpe_ratio",
    "expected_max_sharpe",
    "probabilistic_sharpe_ratio",
    "sharpe_moments",
    "stationary_bootstrap_sharpe",
]

EULER_GAMMA = 0.5772156649015329
MIN_OBSERVATIONS = 10
_CHUNK_NUMBERS = 4_000_000


@dataclass(frozen=True, slots=True)
class SharpeMoments:
    """The sample statistics the probabilistic Sharpe needs."""

    observations: int
    sharpe: float
    """Per-period Sharpe ratio, mean / std with ddof=1."""
    skewness: float
    kurtosis: float
    """Non-excess kurtosis (3.0 for a normal sample)."""


def _clean(returns: npt.ArrayLike) -> npt.NDArray[np.float64]:
    r = np.asarray(returns, dtype=np.float64).reshape(-1)
    r = r[np.isfinite(r)]
    if r.size < MIN_OBSERVATIONS:
        raise InvalidArgumentError(
            f"a significance test needs at least {MIN_OBSERVATIONS} returns, got {r.size}"
        )
    return r


def sharpe_moments(returns: npt.ArrayLike) -> SharpeMoments:
    r = _clean(returns)
    sd = float(r.std(ddof=1))
    if not sd > 0.0:
        raise InvalidArgumentError(
            "the returns are constant (a strategy that never traded?): the Sharpe ratio is "
            "undefined, so there is nothing to test"
        )
    z = (r - r.mean()) / r.std(ddof=0)
    return SharpeMoments(
        observations=int(r.size),
        sharpe=float(r.mean()) / sd,
        skewness=float(np.mean(z**3)),
        kurtosis=float(np.mean(z**4)),
    )


def _normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _normal_ppf(p: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(p))


def probabilistic_sharpe_ratio(m: SharpeMoments, benchmark: float = 0.0) -> float:
    """P(true per-period Sharpe > ``benchmark``) given the sample moments ``m``."""
    var = 1.0 - m.skewness * m.sharpe + (m.kurtosis - 1.0) / 4.0 * m.sharpe**2
    if not var > 0.0:
        # Extreme skew/kurtosis make the delta-method variance non-positive: no answer.
        return math.nan
    return _normal_cdf((m.sharpe - benchmark) * math.sqrt(m.observations - 1) / math.sqrt(var))


def expected_max_sharpe(n_trials: int, sharpe_variance: float) -> float:
    """The per-period Sharpe the best of ``n_trials`` skill-less trials reaches by chance."""
    if n_trials < 1:
        raise InvalidArgumentError(f"n_trials must be >= 1, got {n_trials}")
    if n_trials == 1:
        return 0.0
    if not (math.isfinite(sharpe_variance) and sharpe_variance >= 0.0):
        raise InvalidArgumentError(
            f"the variance of the trials' Sharpe ratios must be >= 0, got {sharpe_variance}"
        )
    a = _normal_ppf(1.0 - 1.0 / n_trials)
    b = _normal_ppf(1.0 - 1.0 / (n_trials * math.e))
    return math.sqrt(sharpe_variance) * ((1.0 - EULER_GAMMA) * a + EULER_GAMMA * b)


def deflated_sharpe_ratio(
    m: SharpeMoments, n_trials: int, sharpe_variance: float
) -> tuple[float, float]:
    """``(DSR, SR*_0)``: the PSR against the expected best of ``n_trials`` lucky trials.

    ``sharpe_variance`` is the variance of the trials' *per-period* Sharpe ratios.
    """
    threshold = expected_max_sharpe(n_trials, sharpe_variance)
    return probabilistic_sharpe_ratio(m, threshold), threshold


@dataclass(frozen=True, slots=True)
class BootstrapSharpe:
    samples: int
    block_length: float
    ci_low: float
    ci_high: float
    p_value: float
    """Share of no-edge (demeaned) resamples whose Sharpe is >= the observed one."""


def _stationary_indices(
    rng: np.random.Generator, n: int, count: int, block: float
) -> npt.NDArray[np.int64]:
    """``count`` rows of ``n`` stationary-bootstrap indices (blocks of mean length ``block``)."""
    p = 1.0 / block
    starts = rng.integers(0, n, size=(count, n))
    new_block = rng.random((count, n)) < p
    new_block[:, 0] = True
    # Within a block the index advances by one (wrapping); a new block jumps to its start.
    first_pos = np.maximum.accumulate(np.where(new_block, np.arange(n)[None, :], 0), axis=1)
    block_start = np.take_along_axis(np.where(new_block, starts, 0), first_pos, axis=1)
    offset = np.arange(n)[None, :] - first_pos
    return np.asarray((block_start + offset) % n, dtype=np.int64)


def _sharpes(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    sd = x.std(axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(sd > 0.0, x.mean(axis=1) / sd, np.nan)
    return np.asarray(out, dtype=np.float64)


def stationary_bootstrap_sharpe(
    returns: npt.ArrayLike,
    *,
    samples: int = 2000,
    confidence: float = 0.95,
    seed: int = 42,
    block_length: float | None = None,
) -> BootstrapSharpe:
    """Bootstrap confidence interval and no-edge p-value of the per-period Sharpe ratio."""
    r = _clean(returns)
    if samples < 100:
        raise InvalidArgumentError(f"samples must be >= 100, got {samples}")
    if not 0.5 < confidence < 1.0:
        raise InvalidArgumentError(f"confidence must be in (0.5, 1), got {confidence}")
    n = r.size
    block = float(block_length) if block_length is not None else max(1.0, n ** (1.0 / 3.0))
    if not block >= 1.0:
        raise InvalidArgumentError(f"block_length must be >= 1, got {block}")
    observed = sharpe_moments(r).sharpe
    centred = r - r.mean()
    rng = np.random.default_rng(seed)
    boot = np.empty(samples)
    null = np.empty(samples)
    step = max(1, _CHUNK_NUMBERS // n)
    for lo in range(0, samples, step):
        k = min(step, samples - lo)
        idx = _stationary_indices(rng, n, k, block)
        boot[lo : lo + k] = _sharpes(r[idx])
        null[lo : lo + k] = _sharpes(centred[idx])
    a = (1.0 - confidence) / 2.0
    finite = boot[np.isfinite(boot)]
    lo_q, hi_q = np.quantile(finite, [a, 1.0 - a]) if finite.size else (math.nan, math.nan)
    null_ok = null[np.isfinite(null)]
    # (count + 1) / (N + 1): a resampling p-value is never exactly 0.
    p = (np.count_nonzero(null_ok >= observed) + 1.0) / (null_ok.size + 1.0)
    return BootstrapSharpe(
        samples=samples,
        block_length=block,
        ci_low=float(lo_q),
        ci_high=float(hi_q),
        p_value=float(p),
    )
