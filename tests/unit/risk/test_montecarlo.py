"""The Monte Carlo engine: models fitted as documented, distributions as theory says, the same
numbers for the same seed whatever the threads, bounded memory, and torch agreeing with numpy
in distribution."""

from __future__ import annotations

import math
import sys
import tracemalloc
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from scipy import special
from scipy import stats as sps

from neural_trader.core.errors import InvalidArgumentError, MissingDependencyError
from neural_trader.risk.montecarlo import (
    GBM,
    FilteredBootstrap,
    StudentTCopula,
    factorize_covariance,
    fit_model,
    simulate,
)

COV = np.array([[1.0, 0.5, 0.2], [0.5, 2.0, -0.4], [0.2, -0.4, 1.5]]) * 1e-4
MU = np.array([3e-4, -1e-4, 2e-4])


def _a(x: npt.NDArray[Any] | None) -> npt.NDArray[Any]:
    """An output that the run was asked to keep (fails the test if it was not kept)."""
    assert x is not None
    return x


E = np.array([1e5, 5e4, -3e4])


@pytest.fixture(scope="module")
def gbm() -> GBM:
    return GBM.from_params(MU, COV, assets=["A", "B", "C"])


@pytest.fixture(scope="module")
def log_returns(sample_returns: pd.DataFrame) -> np.ndarray:
    return np.asarray(np.log1p(sample_returns.to_numpy()[-1500:]), dtype=np.float64)


# -- models -----------------------------------------------------------------------------------


def test_factorize_covariance_handles_singular_and_refuses_indefinite() -> None:
    low = factorize_covariance(COV)
    np.testing.assert_allclose(low, np.linalg.cholesky(COV))
    v = np.array([0.01, 0.02, 0.02])
    corr = np.array([[1.0, 0.3, 0.3], [0.3, 1.0, 1.0], [0.3, 1.0, 1.0]])  # B and C are clones
    singular = corr * np.outer(v, v)
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.cholesky(singular)
    low = factorize_covariance(singular)
    np.testing.assert_allclose(low @ low.T, singular, atol=1e-16)
    assert np.allclose(low, np.tril(low))
    assert (np.diag(low) >= 0).all()
    with pytest.raises(InvalidArgumentError, match="not positive semi-definite"):
        factorize_covariance(np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(InvalidArgumentError, match="symmetric"):
        factorize_covariance(np.array([[1.0, 0.1], [0.2, 1.0]]))


def test_gbm_fit_is_sample_mean_and_covariance(log_returns: np.ndarray) -> None:
    model = fit_model("gbm", log_returns, assets=["SPX", "IXIC"])
    assert isinstance(model, GBM)
    assert model.assets == ("SPX", "IXIC")
    np.testing.assert_allclose(model.mu, log_returns.mean(axis=0))
    np.testing.assert_allclose(model.cov, np.cov(log_returns, rowvar=False))


def test_t_copula_fit_recovers_correlation_and_dof() -> None:
    rng = np.random.default_rng(2)
    corr = np.array([[1.0, 0.6], [0.6, 1.0]])
    x = sps.multivariate_t(shape=corr, df=4.0).rvs(size=3000, random_state=rng)
    model = StudentTCopula.fit(np.column_stack([x[:, 0] * 0.01, np.exp(x[:, 1] / 4)]))
    assert model.corr[0, 1] == pytest.approx(0.6, abs=0.04)  # monotone marginals do not matter
    assert 3.0 <= model.dof <= 6.0
    np.testing.assert_array_equal(model.sorted_returns[:, 0], np.sort(x[:, 0] * 0.01))


def test_bootstrap_fit_standardises_by_the_ewma_forecast(log_returns: np.ndarray) -> None:
    from neural_trader.risk.var import ewma_volatility

    model = fit_model("bootstrap", log_returns, ewma_lambda=0.97)
    assert isinstance(model, FilteredBootstrap)
    assert model.lam == 0.97
    d = log_returns - log_returns.mean(axis=0)
    sig, nxt = ewma_volatility(d, 0.97)
    np.testing.assert_allclose(model.residuals, d / sig)
    np.testing.assert_allclose(model.sigma0, nxt)


def test_fit_model_errors(log_returns: np.ndarray) -> None:
    with pytest.raises(InvalidArgumentError, match="one of"):
        fit_model("garch", log_returns)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="at least 20"):
        fit_model("t_copula", log_returns[:10])
    with pytest.raises(InvalidArgumentError, match="NaN"):
        fit_model("gbm", np.array([[0.1], [math.nan], [0.2]]))


# -- the engine -------------------------------------------------------------------------------


def test_same_seed_same_numbers_whatever_the_threads(gbm: GBM) -> None:
    kw: dict[str, Any] = {
        "n_paths": 30_000,
        "horizon": 5,
        "exposures": E,
        "path_stats": True,
        "chunk_size": 4_000,
    }
    one = simulate(gbm, seed=7, workers=1, **kw)
    two = simulate(gbm, seed=7, workers=2, **kw)
    other = simulate(gbm, seed=8, workers=2, **kw)
    assert one.pnl is not None
    assert two.pnl is not None
    assert other.pnl is not None
    np.testing.assert_array_equal(_a(one.pnl), _a(two.pnl))
    np.testing.assert_array_equal(_a(one.worst_pnl), _a(two.worst_pnl))
    np.testing.assert_array_equal(_a(one.asset_returns), _a(two.asset_returns))
    assert not np.array_equal(_a(one.pnl), _a(other.pnl))
    # A shorter run with the same chunk size is the longer run's prefix.
    short = simulate(gbm, seed=7, **{**kw, "n_paths": 10_000})
    np.testing.assert_array_equal(_a(short.pnl), _a(one.pnl)[:10_000])


@pytest.mark.parametrize("workers", [1, 2])
def test_on_chunk_reports_each_chunk_and_can_stop_the_run(gbm: GBM, workers: int) -> None:
    seen: list[tuple[int, int]] = []
    kw: dict[str, Any] = {"n_paths": 10_500, "horizon": 5, "seed": 1, "workers": workers}
    simulate(gbm, chunk_size=2_000, on_chunk=lambda d, t: seen.append((d, t)), **kw)
    assert seen == [(2_000 * k, 10_500) for k in range(1, 6)] + [(10_500, 10_500)]

    class Stop(KeyboardInterrupt):
        pass

    def stop_at_second(done: int, total: int) -> None:
        seen.append((done, total))
        if done >= 200:
            raise Stop

    seen.clear()
    with pytest.raises(Stop):
        simulate(gbm, chunk_size=100, on_chunk=stop_at_second, **kw)
    assert [d for d, _ in seen] == [100, 200]


def test_gbm_horizon_moments_match_theory_in_both_modes(gbm: GBM) -> None:
    h = 10
    for stats in (False, True):
        res = simulate(gbm, n_paths=200_000, horizon=h, seed=1, exposures=E, path_stats=stats)
        assert res.asset_returns is not None
        x = np.log1p(_a(res.asset_returns))
        np.testing.assert_allclose(x.mean(axis=0), h * MU, atol=4 * math.sqrt(2e-4 * h / 2e5))
        np.testing.assert_allclose(np.cov(x, rowvar=False), h * COV, rtol=0.02, atol=2e-6)
    term = simulate(gbm, n_paths=100_000, horizon=h, seed=2, exposures=E)
    path = simulate(gbm, n_paths=100_000, horizon=h, seed=3, exposures=E, path_stats=True)
    assert sps.ks_2samp(_a(term.pnl), _a(path.pnl)).pvalue > 1e-3


def test_full_paths_are_consistent_with_horizon_and_worst(gbm: GBM) -> None:
    res = simulate(
        gbm, n_paths=2_000, horizon=15, seed=4, exposures=E, path_stats=True, full_paths=True
    )
    assert res.paths is not None
    assert _a(res.paths).shape == (2_000, 16, 3)
    np.testing.assert_array_equal(_a(res.paths)[:, 0, :], 1.0)
    np.testing.assert_allclose(_a(res.paths)[:, -1, :] - 1.0, _a(res.asset_returns), atol=1e-14)
    pnl_path = (_a(res.paths)[:, 1:, :] - 1.0) @ E
    np.testing.assert_allclose(_a(res.worst_pnl), pnl_path.min(axis=1), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(_a(res.pnl), pnl_path[:, -1], rtol=1e-12, atol=1e-9)
    assert (_a(res.worst_pnl) <= _a(res.pnl) + 1e-9).all()


def test_single_asset_worst_shortcut_equals_the_stepwise_minimum() -> None:
    one = GBM.from_params([1e-4], [[2e-4]])
    for e in (1e6, -1e6):
        fast = simulate(one, n_paths=3_000, horizon=40, seed=5, exposures=[e], path_stats=True)
        full = simulate(
            one, n_paths=3_000, horizon=40, seed=5, exposures=[e], path_stats=True, full_paths=True
        )
        assert full.paths is not None
        np.testing.assert_allclose(
            _a(fast.worst_pnl),
            ((_a(full.paths)[:, 1:, 0] - 1.0) * e).min(axis=1),
            rtol=1e-12,
            atol=1e-6,  # exp(c) - 1 in the full paths loses digits that expm1 keeps
        )


def test_working_memory_does_not_grow_with_the_path_count(gbm: GBM) -> None:
    def peak(n: int) -> float:
        tracemalloc.start()
        try:
            simulate(
                gbm,
                n_paths=n,
                horizon=20,
                seed=1,
                exposures=E,
                path_stats=True,
                keep_asset_returns=False,
                workers=1,
            )
            return tracemalloc.get_traced_memory()[1] / 2**20
        finally:
            tracemalloc.stop()

    small, large = peak(100_000), peak(400_000)
    # The kept outputs are 2 x 8 bytes per path (4.6 MB more for 300k paths); everything else
    # is one chunk. A full (400k, 20, 3) float64 array alone would be 183 MB.
    assert large - small < 8.0
    assert large < 60.0


def test_float32_matches_float64_in_distribution(gbm: GBM) -> None:
    a = simulate(gbm, n_paths=50_000, horizon=10, seed=1, exposures=E, path_stats=True)
    b = simulate(
        gbm, n_paths=50_000, horizon=10, seed=2, exposures=E, path_stats=True, dtype="float32"
    )
    assert b.asset_returns is not None
    assert _a(b.asset_returns).dtype == np.float32
    assert b.pnl is not None
    assert _a(b.pnl).dtype == np.float64
    assert sps.ks_2samp(_a(a.pnl), _a(b.pnl)).pvalue > 1e-3


def test_t_copula_draws_stay_inside_history_and_keep_marginals(log_returns: np.ndarray) -> None:
    model = fit_model("t_copula", log_returns, dof=4.0)
    assert isinstance(model, StudentTCopula)
    res = simulate(model, n_paths=50_000, horizon=1, seed=3)
    assert res.asset_returns is not None
    x = np.log1p(_a(res.asset_returns).astype(np.float64))
    lo, hi = log_returns.min(axis=0), log_returns.max(axis=0)
    assert (x >= lo - 1e-12).all()
    assert (x <= hi + 1e-12).all()
    for i in range(2):
        assert sps.ks_2samp(x[:, i], log_returns[:, i]).pvalue > 1e-3
    # Dependence: Kendall's tau of the draws is the fitted one (sin(pi tau / 2) = rho).
    tau = sps.kendalltau(x[:5000, 0], x[:5000, 1]).statistic
    assert math.sin(math.pi * tau / 2) == pytest.approx(model.corr[0, 1], abs=0.03)


def test_bootstrap_one_day_draws_are_rescaled_historical_residuals(log_returns: np.ndarray) -> None:
    model = fit_model("bootstrap", log_returns)
    assert isinstance(model, FilteredBootstrap)
    res = simulate(model, n_paths=5_000, horizon=1, seed=9)
    x = np.log1p(_a(res.asset_returns))
    support = model.mu + model.sigma0 * model.residuals  # every possible one-day draw
    for row in x[:200]:
        assert np.isclose(support, row, rtol=1e-10, atol=1e-14).all(axis=1).any()


def test_bootstrap_var_follows_todays_volatility() -> None:
    rng = np.random.default_rng(4)
    calm_end = np.concatenate([rng.normal(0, 0.03, 300), rng.normal(0, 0.01, 200)])[:, None]
    wild_end = np.concatenate([rng.normal(0, 0.01, 300), rng.normal(0, 0.03, 200)])[:, None]
    var = []
    for x in (calm_end, wild_end):
        sim = simulate(
            fit_model("bootstrap", x), n_paths=20_000, horizon=5, seed=1, exposures=[1.0]
        )
        var.append(sim.var_cvar(0.99)[0])
    assert var[1] > 2.0 * var[0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"path_stats": True}, "needs exposures"),
        ({"n_paths": 0}, "n_paths"),
        ({"seed": -1}, "seed"),
        ({"dtype": "float16"}, "float32 or float64"),
        ({"backend": "jax"}, "backend"),
        ({"exposures": [1.0]}, "need 3 finite exposures"),
        ({"full_paths": True, "n_paths": 10_000_000}, "small requests"),
    ],
)
def test_simulate_argument_errors(gbm: GBM, kwargs: dict[str, object], match: str) -> None:
    args: dict[str, Any] = {"n_paths": 10, "horizon": 2, "seed": 1}
    args.update(kwargs)
    with pytest.raises(InvalidArgumentError, match=match):
        simulate(gbm, **args)


# -- torch ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["gbm", "t_copula", "bootstrap"])
def test_torch_agrees_with_numpy_in_distribution(log_returns: np.ndarray, kind: str) -> None:
    torch = pytest.importorskip("torch")
    model = fit_model(kind, log_returns, dof=5.0)  # type: ignore[arg-type]
    e = np.array([6e5, 4e5])
    kw: dict[str, Any] = {"n_paths": 40_000, "horizon": 10, "exposures": e, "path_stats": True}
    ref = simulate(model, seed=11, **kw)
    state = torch.get_rng_state()
    tor = simulate(model, seed=11, backend="torch", device="cpu", **kw)
    again = simulate(model, seed=11, backend="torch", device="cpu", **kw)
    assert torch.equal(state, torch.get_rng_state())  # the global generator is untouched
    assert tor.backend == "torch"
    assert tor.device == "cpu"
    np.testing.assert_array_equal(_a(tor.pnl), _a(again.pnl))
    assert not np.array_equal(_a(tor.pnl), _a(ref.pnl))
    for a, b in ((_a(ref.pnl), _a(tor.pnl)), (_a(ref.worst_pnl), _a(tor.worst_pnl))):
        assert a is not None
        assert b is not None
        assert sps.ks_2samp(a, b).pvalue > 1e-3
        assert b.mean() == pytest.approx(a.mean(), abs=4 * a.std() / math.sqrt(a.size) * 1.5)
        assert b.std() == pytest.approx(a.std(), rel=0.03)
    var_np, var_t = ref.var_cvar(0.99)[0], tor.var_cvar(0.99)[0]
    assert var_t == pytest.approx(var_np, rel=0.06)


def test_torch_full_paths_and_float32() -> None:
    pytest.importorskip("torch")
    model = GBM.from_params(MU, COV)
    res = simulate(
        model,
        n_paths=500,
        horizon=6,
        seed=1,
        exposures=E,
        path_stats=True,
        full_paths=True,
        backend="torch",
        device="cpu",
        dtype="float32",
    )
    assert res.paths is not None
    assert _a(res.paths).shape == (500, 7, 3)
    assert _a(res.paths).dtype == np.float32
    pnl_path = (_a(res.paths)[:, 1:, :].astype(np.float64) - 1.0) @ E
    # Stored float32 price relatives carry ~1e-7 relative rounding: 0.02 on these exposures.
    np.testing.assert_allclose(_a(res.worst_pnl), pnl_path.min(axis=1), rtol=1e-5, atol=0.05)


def test_torch_student_t_table_is_accurate() -> None:
    pytest.importorskip("torch")
    from neural_trader.risk.montecarlo.torch_backend import student_t_cdf_table

    for dof in (2.5, 4.0, 30.0):
        table = student_t_cdf_table(dof)
        t = np.concatenate([np.linspace(-40, 40, 20_001), [-1e4, 1e4]])
        x = t / np.sqrt(dof + t * t)
        approx = np.interp(x, np.linspace(-1, 1, table.size), table)
        assert np.abs(approx - special.stdtr(dof, t)).max() < 1e-6


def test_torch_cuda_request_without_gpu_is_refused() -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is present: the refusal cannot happen here")
    from neural_trader.core.errors import NotSupportedError

    with pytest.raises(NotSupportedError, match="no CUDA GPU"):
        simulate(
            GBM.from_params(MU, COV), n_paths=10, horizon=1, seed=1, backend="torch", device="cuda"
        )


def test_missing_torch_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.delitem(sys.modules, "neural_trader.risk.montecarlo.torch_backend", raising=False)
    with pytest.raises(MissingDependencyError, match="torch") as info:
        simulate(GBM.from_params(MU, COV), n_paths=10, horizon=1, seed=1, backend="torch")
    assert "neural-trader[forecast]" in str(info.value)  # where torch is pinned
