"""Correlation estimators against their references, effective numbers on cases with known
answers, and the clustering guarantee (every pair in a cluster above the threshold)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.risk.correlation import (
    correlated_clusters,
    correlation_matrix,
    diversification_ratio,
    effective_number_of_assets,
    effective_number_of_bets,
    effective_rank,
    ledoit_wolf,
)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(8)
    base = rng.standard_t(4, size=(300, 1))
    x = 0.7 * base + rng.standard_t(4, size=(300, 5))
    return pd.DataFrame(x * 0.01, columns=list("ABCDE"))


def test_ledoit_wolf_equals_scikit_learn(frame: pd.DataFrame) -> None:
    skcov = pytest.importorskip("sklearn.covariance")
    for cols in (["A", "B"], list("ABCDE")):
        x = frame[cols].to_numpy()
        cov, shrink = ledoit_wolf(x)
        want_cov, want_shrink = skcov.ledoit_wolf(x)
        np.testing.assert_allclose(cov, want_cov, rtol=1e-12, atol=1e-18)
        assert shrink == pytest.approx(want_shrink, rel=1e-12)


def test_pearson_and_spearman_match_numpy_and_scipy(frame: pd.DataFrame) -> None:
    np.testing.assert_allclose(
        correlation_matrix(frame, "pearson").to_numpy(),
        np.corrcoef(frame.to_numpy(), rowvar=False),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        correlation_matrix(frame, "spearman").to_numpy(),
        sps.spearmanr(frame.to_numpy()).statistic,
        rtol=1e-12,
    )


def test_shrunk_correlation_is_pulled_toward_zero(frame: pd.DataFrame) -> None:
    p = correlation_matrix(frame, "pearson").to_numpy()
    s = correlation_matrix(frame, "shrunk").to_numpy()
    np.testing.assert_allclose(np.diag(s), 1.0)
    off = ~np.eye(5, dtype=bool)
    assert (np.abs(s[off]) < np.abs(p[off])).all()
    assert list(correlation_matrix(frame, "shrunk").columns) == list("ABCDE")


def test_correlation_errors(frame: pd.DataFrame) -> None:
    with pytest.raises(InvalidArgumentError, match="one of"):
        correlation_matrix(frame, "kendall")  # type: ignore[arg-type]
    flat = frame.assign(F=0.01)
    with pytest.raises(InvalidArgumentError, match="constant returns for F"):
        correlation_matrix(flat)
    with pytest.raises(InvalidArgumentError, match="NaN"):
        correlation_matrix(frame.assign(A=np.nan))


def test_effective_numbers_on_known_cases() -> None:
    n = 6
    assert effective_rank(np.eye(n)) == pytest.approx(n)
    assert effective_rank(np.ones((n, n))) == pytest.approx(1.0)
    w = np.full(n, 1.0 / n)
    assert effective_number_of_assets(w) == pytest.approx(n)
    assert effective_number_of_assets([1.0, 0, 0]) == pytest.approx(1.0)
    assert effective_number_of_assets([0.5, -0.5]) == pytest.approx(2.0)  # shorts count by size
    cov = np.eye(n) * 4e-4
    assert effective_number_of_bets(w, cov) == pytest.approx(n)
    assert effective_number_of_bets([1.0, 0, 0, 0, 0, 0], cov) == pytest.approx(1.0)
    clones = np.full((n, n), 4e-4)
    assert effective_number_of_bets(w, clones) == pytest.approx(1.0)
    assert diversification_ratio(w, cov) == pytest.approx(math.sqrt(n))
    assert diversification_ratio(w, clones) == pytest.approx(1.0)


def test_effective_number_of_bets_is_the_entropy_of_pc_variance_shares() -> None:
    cov = np.array([[4.0, 1.0], [1.0, 2.0]]) * 1e-4
    w = np.array([0.3, 0.7])
    lam, vec = np.linalg.eigh(cov)
    share = (vec.T @ w) ** 2 * lam / (w @ cov @ w)
    want = math.exp(-float(np.sum(share * np.log(share))))
    assert effective_number_of_bets(w, cov) == pytest.approx(want, rel=1e-12)


def test_clusters_hold_only_pairs_above_the_threshold() -> None:
    names = list("ABCDEF")
    c = np.eye(6)
    pairs = {("A", "B"): 0.9, ("A", "C"): 0.85, ("B", "C"): 0.88, ("D", "E"): 0.82}
    pairs |= {("C", "D"): 0.85, ("E", "F"): 0.3}  # C-D alone is high: a chain, not a group
    for (x, y), v in pairs.items():
        i, j = names.index(x), names.index(y)
        c[i, j] = c[j, i] = v
    corr = pd.DataFrame(c, index=names, columns=names)
    out = correlated_clusters(corr, 0.8)
    assert [cl.members for cl in out] == [("A", "B", "C"), ("D", "E")]
    assert out[0].min_correlation == pytest.approx(0.85)
    assert out[0].mean_correlation == pytest.approx((0.9 + 0.85 + 0.88) / 3)
    for cl in out:
        idx = [names.index(m) for m in cl.members]
        assert (c[np.ix_(idx, idx)] >= 0.8).all()
    assert correlated_clusters(corr, 0.95) == []
    with pytest.raises(InvalidArgumentError):
        correlated_clusters(corr, 1.5)
