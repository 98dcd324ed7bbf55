"""Portfolio VaR/CVaR: agreement with the single-series metrics and empyrical, Euler components
that sum and match derivatives, horizon and volatility scaling, and Kupiec's test."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from neural_trader.analytics import metrics as m
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.risk.var import (
    backtest_var,
    ewma_volatility,
    horizon_returns,
    kupiec_pof,
    portfolio_var,
    rolling_var,
    scenario_risk,
    vol_scaled_returns,
)

METHODS = ("historical", "gaussian", "cornish_fisher")


@pytest.fixture(scope="module")
def rets(sample_returns: pd.DataFrame) -> np.ndarray:
    return sample_returns.to_numpy()[-1000:]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("confidence", [0.95, 0.99])
def test_one_position_matches_the_single_series_metrics(
    rets: np.ndarray, method: str, confidence: float
) -> None:
    r = rets[:, :1]
    res = portfolio_var(r, [250_000.0], method=method, confidence=confidence)  # type: ignore[arg-type]
    want_var = m.value_at_risk(r[:, 0], confidence=confidence, method=method).value  # type: ignore[arg-type]
    want_cvar = m.conditional_value_at_risk(r[:, 0], confidence=confidence, method=method).value  # type: ignore[arg-type]
    assert res.var_fraction == pytest.approx(want_var, rel=1e-12)
    assert res.cvar_fraction == pytest.approx(want_cvar, rel=1e-12)
    assert res.var == pytest.approx(250_000.0 * want_var, rel=1e-12)
    assert res.method == method
    assert res.value_base == "net_value"
    assert res.positions[0].component_var == pytest.approx(res.var, rel=1e-7)


@pytest.mark.parametrize("confidence", [0.95, 0.99])
def test_historical_matches_empyrical_on_real_prices(rets: np.ndarray, confidence: float) -> None:
    ep = pytest.importorskip("empyrical")
    r = rets[:, 1]
    res = portfolio_var(r, [1e6], method="historical", confidence=confidence)
    assert res.var == pytest.approx(-1e6 * ep.value_at_risk(r, cutoff=1 - confidence), rel=1e-10)
    assert res.cvar == pytest.approx(
        -1e6 * ep.conditional_value_at_risk(r, cutoff=1 - confidence), rel=1e-10
    )


@pytest.mark.parametrize("method", [*METHODS, "monte_carlo"])
@pytest.mark.parametrize("horizon", [1, 10])
def test_components_sum_to_var_and_cvar(rets: np.ndarray, method: str, horizon: int) -> None:
    e = np.array([600_000.0, -200_000.0])
    res = portfolio_var(
        rets,
        e,
        method=method,  # type: ignore[arg-type]
        confidence=0.99,
        horizon=horizon,
        value=400_000.0,
        seed=3,
        n_paths=20_000,
        symbols=["SPX", "IXIC"],
    )
    comp = sum(p.component_var for p in res.positions)
    comp_c = sum(p.component_cvar for p in res.positions)
    tol = 1e-6 if method == "cornish_fisher" else 1e-10
    assert comp == pytest.approx(res.var, rel=tol)
    assert comp_c == pytest.approx(res.cvar, rel=tol)
    assert res.var_fraction == pytest.approx(res.var / 400_000.0)
    for p, exp in zip(res.positions, e, strict=True):
        assert p.marginal_var == pytest.approx(p.component_var / exp)
    assert res.cvar >= res.var > 0.0


@pytest.mark.parametrize("method", ["gaussian", "cornish_fisher"])
def test_marginal_var_is_the_derivative_of_var(rets: np.ndarray, method: str) -> None:
    """An independent check: bump one exposure and recompute the whole VaR."""
    e = np.array([300_000.0, 100_000.0])
    base = portfolio_var(rets, e, method=method, confidence=0.99, horizon=5)  # type: ignore[arg-type]
    for i in range(2):
        step = np.zeros(2)
        step[i] = 10.0
        up = portfolio_var(rets, e + step, method=method, confidence=0.99, horizon=5).var  # type: ignore[arg-type]
        down = portfolio_var(rets, e - step, method=method, confidence=0.99, horizon=5).var  # type: ignore[arg-type]
        assert (up - down) / 20.0 == pytest.approx(base.positions[i].marginal_var, rel=1e-6)


def test_gaussian_is_the_closed_form_with_sqrt_time(rets: np.ndarray) -> None:
    e = np.array([2e5, 1e5])
    pnl = rets @ e
    mu, sigma = pnl.mean(), pnl.std(ddof=1)
    z = sps.norm.ppf(0.01)
    for h in (1, 4, 10):
        res = portfolio_var(rets, e, method="gaussian", confidence=0.99, horizon=h)
        assert res.var == pytest.approx(-(mu * h + z * sigma * math.sqrt(h)), rel=1e-12)
        cvar = sigma * math.sqrt(h) * sps.norm.pdf(z) / 0.01 - mu * h
        assert res.cvar == pytest.approx(cvar, rel=1e-12)


def test_historical_components_approach_the_gaussian_euler_allocation() -> None:
    """On 400k iid normal scenarios the simulation estimator converges to the closed form."""
    rng = np.random.default_rng(11)
    cov = np.array([[1.0, 0.6, 0.2], [0.6, 1.5, -0.3], [0.2, -0.3, 0.8]]) * 1e-4
    x = rng.multivariate_normal(np.zeros(3), cov, size=400_000)
    x = np.maximum(x, -0.5)
    e = np.array([1e6, 5e5, -3e5])
    hist = portfolio_var(x, e, method="historical", confidence=0.99)
    gauss = portfolio_var(x, e, method="gaussian", confidence=0.99)
    assert hist.var == pytest.approx(gauss.var, rel=0.01)
    for h, g in zip(hist.positions, gauss.positions, strict=True):
        assert h.component_var == pytest.approx(g.component_var, rel=0.03, abs=0.01 * gauss.var)
        assert h.component_cvar == pytest.approx(g.component_cvar, rel=0.03, abs=0.01 * gauss.var)


def test_horizon_returns_compound_overlapping_windows(rets: np.ndarray) -> None:
    r = rets[:50]
    got = horizon_returns(r, 7)
    want = np.array([np.prod(1.0 + r[t : t + 7], axis=0) - 1.0 for t in range(44)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(horizon_returns(r, 1), r)
    res = portfolio_var(r, [1.0, 1.0], method="historical", horizon=7, value=2.0)
    assert res.scenarios == 44
    assert any("overlapping" in n for n in res.notes)


def test_ewma_volatility_is_the_riskmetrics_recursion(rets: np.ndarray) -> None:
    r = rets[:300, 0]
    sig, nxt = ewma_volatility(r, 0.94)
    var = np.mean(r[:20] ** 2)
    want = []
    for x in r:
        want.append(math.sqrt(var))
        var = 0.94 * var + 0.06 * x * x
    np.testing.assert_allclose(sig[:, 0], want, rtol=1e-12)
    assert nxt[0] == pytest.approx(math.sqrt(var), rel=1e-12)
    scaled = vol_scaled_returns(r, 0.94)
    np.testing.assert_allclose(scaled[:, 0], r * math.sqrt(var) / np.array(want), rtol=1e-12)


def test_vol_scaling_raises_var_when_volatility_has_risen() -> None:
    rng = np.random.default_rng(5)
    r = np.concatenate([rng.normal(0, 0.01, 450), rng.normal(0, 0.03, 50)])[:, None]
    plain = portfolio_var(r, [1.0], method="historical", confidence=0.99)
    scaled = portfolio_var(r, [1.0], method="historical", confidence=0.99, vol_scaling=True)
    assert scaled.var > 1.5 * plain.var
    assert scaled.details["vol_scaling"] is True
    with pytest.raises(InvalidArgumentError, match="historical method only"):
        portfolio_var(r, [1.0], method="gaussian", vol_scaling=True)


def test_monte_carlo_gbm_agrees_with_the_lognormal_and_is_reproducible(rets: np.ndarray) -> None:
    e = np.array([2e5, 1e5])
    a = portfolio_var(rets, e, method="monte_carlo", confidence=0.99, seed=9, n_paths=200_000)
    b = portfolio_var(rets, e, method="monte_carlo", confidence=0.99, seed=9, n_paths=200_000)
    assert (a.var, a.cvar) == (b.var, b.cvar)
    assert a.details["paths"] == 200_000
    assert a.details["seed"] == 9
    # The model is normal in LOG returns, the Gaussian VaR normal in simple returns: at one
    # day the two differ by the convexity between them, well under 2%, plus Monte Carlo error.
    g = portfolio_var(rets, e, method="gaussian", confidence=0.99)
    assert a.var == pytest.approx(g.var, rel=0.02)
    with pytest.raises(InvalidArgumentError, match="needs a seed"):
        portfolio_var(rets, e, method="monte_carlo")


def test_scenario_risk_handles_ties_and_small_samples() -> None:
    pnl = np.array([[-5.0], [-5.0], [-5.0], [1.0], [2.0]])
    var, cvar, cv, cc = scenario_risk(pnl, confidence=0.8)
    assert var == pytest.approx(5.0)
    assert cvar == pytest.approx(5.0)
    assert cv[0] == pytest.approx(5.0)
    assert cc[0] == pytest.approx(5.0)
    with pytest.raises(InvalidArgumentError, match="at least 2 scenarios"):
        scenario_risk(np.array([[1.0]]), confidence=0.9)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"returns": [[0.01, math.nan]] * 5}, "NaN"),
        ({"returns": [[-1.0]] * 5, "exposures": [1.0]}, "-100%"),
        ({"exposures": [1.0]}, "1 exposures for 2"),
        ({"horizon": 0}, "horizon"),
        ({"method": "parametric"}, "one of"),
        ({"value": -5.0}, "value must be positive"),
        ({"confidence": 1.0}, "confidence"),
    ],
)
def test_portfolio_var_argument_errors(
    rets: np.ndarray, kwargs: dict[str, object], match: str
) -> None:
    args: dict[str, object] = {
        "returns": rets[:100],
        "exposures": [1.0, 1.0],
        "method": "historical",
    }
    args.update(kwargs)
    with pytest.raises(InvalidArgumentError, match=match):
        portfolio_var(**args)  # type: ignore[arg-type]


# -- Kupiec and the rolling back-test ---------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "confidence", "lo", "hi"),
    # Jorion, Value at Risk (3rd ed.), table 6-3: non-rejection regions at the 95% level.
    [(510, 0.99, 2, 10), (1000, 0.99, 5, 16), (255, 0.95, 7, 20)],
)
def test_kupiec_matches_jorions_nonrejection_regions(
    n: int, confidence: float, lo: int, hi: int
) -> None:
    for x in range(0, hi + 5):
        res = kupiec_pof(np.arange(n) < x, confidence=confidence)
        assert res.reject == (not lo <= x <= hi), x
        assert res.exceedances == x
        assert res.observations == n


def test_kupiec_statistic_closed_forms() -> None:
    none = kupiec_pof(np.zeros(255, dtype=bool), confidence=0.99)
    assert none.lr_statistic == pytest.approx(-2 * 255 * math.log(0.99), rel=1e-12)
    exact = kupiec_pof(np.arange(1000) < 10, confidence=0.99)
    assert exact.lr_statistic == pytest.approx(0.0, abs=1e-9)
    assert exact.p_value == pytest.approx(1.0)
    res = kupiec_pof(np.arange(500) < 12, confidence=0.99)
    ll0 = 488 * math.log(0.99) + 12 * math.log(0.01)
    ll1 = 488 * math.log(488 / 500) + 12 * math.log(12 / 500)
    assert res.lr_statistic == pytest.approx(-2 * (ll0 - ll1), rel=1e-12)
    assert res.p_value == pytest.approx(sps.chi2.sf(res.lr_statistic, 1), rel=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_rolling_var_uses_only_the_past_window(rets: np.ndarray, method: str) -> None:
    r = rets[:400, 0]
    f = rolling_var(r, window=100, confidence=0.95, method=method)  # type: ignore[arg-type]
    assert f.size == 300
    for t in (100, 217, 399):
        want = m.value_at_risk(r[t - 100 : t], confidence=0.95, method=method).value  # type: ignore[arg-type]
        assert f[t - 100] == pytest.approx(want, rel=1e-10)


def test_rolling_vol_scaled_var_is_sigma_times_residual_quantile(rets: np.ndarray) -> None:
    r = rets[:400, 0]
    f = rolling_var(r, window=100, confidence=0.99, vol_scaling=True)
    sig = ewma_volatility(r)[0][:, 0]
    z = r / sig
    for t in (100, 321):
        want = -np.percentile(z[t - 100 : t], 1.0) * sig[t]
        assert f[t - 100] == pytest.approx(want, rel=1e-12)


def test_backtest_rejects_a_bad_model_and_reports_a_good_one(sample_returns: pd.DataFrame) -> None:
    r = sample_returns["SPX"].to_numpy()
    good = backtest_var(r, window=250, confidence=0.95, vol_scaling=True)
    assert good.exceedances.sum() == good.kupiec.exceedances
    assert np.array_equal(good.exceedances, good.realized < -good.forecasts)
    assert not good.kupiec.reject
    # A deliberately bad model: the 95% VaR of the calmest year in the sample used forever.
    calm = min(
        m.value_at_risk(r[i : i + 250], confidence=0.95).value for i in range(0, r.size - 250, 250)
    )
    hits = r[250:] < -calm
    bad = kupiec_pof(hits, confidence=0.95)
    assert bad.reject
    assert bad.p_value < 1e-10
    assert bad.observed_rate > 0.08
