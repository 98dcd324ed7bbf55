from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from scipy import integrate
from scipy import stats as sps

from neural_trader.analytics import metrics as m
from neural_trader.core.errors import InvalidArgumentError

N = 252
RF = 0.04
RF_P = 1.04 ** (1 / 252) - 1
RTOL = 1e-10


def student_t(seed: int, n: int = 1512) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Fat-tailed strategy returns and a correlated benchmark (the reference's fixture shape)."""
    rng = np.random.default_rng(seed)
    bench = rng.standard_t(4, n) * 0.0095
    strat = 0.6 * bench + rng.standard_t(4, n) * 0.008 + 0.0004
    return strat, bench


# -- hand computations ------------------------------------------------------------------------


def test_per_period_rate_compounds_back_to_annual() -> None:
    p = m.per_period_rate(0.04, 252)
    assert (1 + p) ** 252 == pytest.approx(1.04, rel=1e-14)
    assert p < 0.04 / 252  # geometric, not arithmetic


def test_sharpe_hand_computed_example_matches() -> None:
    r = np.array([0.01, -0.02, 0.03, 0.005])
    expected = r.mean() / r.std(ddof=1) * math.sqrt(12)
    assert m.sharpe(r, periods_per_year=12) == pytest.approx(expected, rel=1e-14)


def test_sortino_uses_full_sample_downside_deviation() -> None:
    r = np.array([0.02, -0.01, 0.03, -0.02])
    dd = math.sqrt((0.01**2 + 0.02**2) / 4)  # all four observations in the mean
    expected = r.mean() * 12 / (dd * math.sqrt(12))
    assert m.sortino(r, periods_per_year=12) == pytest.approx(expected, rel=1e-14)
    assert m.downside_deviation(r, periods_per_year=12) == pytest.approx(dd * math.sqrt(12))


def test_max_drawdown_first_period_loss_counts_from_baseline() -> None:
    # The reference's edge case: true MDD of [-10%, -5%, +2%, +1%] is -14.5%.
    r = np.array([-0.10, -0.05, 0.02, 0.01])
    assert m.max_drawdown(r) == pytest.approx(-0.145, rel=1e-14)
    np.testing.assert_allclose(m.drawdown_series(r)[:2], [-0.10, 0.9 * 0.95 - 1])


def test_max_drawdown_duration_recovered_spell_reports_peak_trough_recovery() -> None:
    # wealth: 1, 1.1, 0.99, 1.089, 1.1979 (recovers at index 4), 1.0781, 1.1859
    r = np.array([0.10, -0.10, 0.10, 0.10, -0.10, 0.10])
    spell = m.max_drawdown_duration(r)
    assert (spell.peak_idx, spell.trough_idx, spell.recovery_idx) == (1, 2, 4)
    assert spell.periods == 3
    assert spell.recovered


def test_max_drawdown_duration_unrecovered_longer_spell_wins() -> None:
    r = np.array([0.05, -0.01, 0.02, -0.03, -0.01, 0.005, 0.001])
    spell = m.max_drawdown_duration(r)
    # peak at wealth index 3 (after +2%), never regained: 7 - 3 periods so far
    assert spell.peak_idx == 3
    assert spell.trough_idx == 5
    assert spell.recovery_idx is None
    assert spell.periods == 4
    assert not spell.recovered


def test_max_drawdown_duration_monotone_path_has_no_spell() -> None:
    spell = m.max_drawdown_duration(np.array([0.01, 0.0, 0.02]))
    assert spell.periods == 0
    assert spell.peak_idx is None


def test_omega_threshold_is_converted_per_period() -> None:
    r = np.array([0.01, -0.005, 0.002, -0.001, 0.0])
    t = 1.10 ** (1 / 252) - 1
    x = r - t
    expected = x[x > 0].sum() / -x[x < 0].sum()
    assert m.omega(r, periods_per_year=252, required_return=0.10) == pytest.approx(expected)


def test_skew_and_kurtosis_use_moment_estimators() -> None:
    r = np.array([0.01, -0.03, 0.02, 0.005, -0.002, 0.04])
    assert m.skew(r) == pytest.approx(sps.skew(r, bias=True), rel=1e-12)
    assert m.kurtosis(r) == pytest.approx(sps.kurtosis(r, fisher=True, bias=True), rel=1e-12)


def test_cornish_fisher_var_matches_hand_computation() -> None:
    r = np.array([0.012, -0.031, 0.004, 0.022, -0.008, 0.015, -0.002, 0.051, -0.017, 0.003])
    mu, sigma = r.mean(), r.std(ddof=1)
    d = r - mu
    s = np.mean(d**3) / np.mean(d**2) ** 1.5
    k = np.mean(d**4) / np.mean(d**2) ** 2 - 3
    z = -1.6448536269514722  # Phi^-1(0.05)
    z_cf = z + (z**2 - 1) * s / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * s**2 / 36
    got = m.value_at_risk(r, confidence=0.95, method="cornish_fisher")
    assert got.method == "cornish_fisher"
    assert got.value == pytest.approx(-(mu + z_cf * sigma), rel=1e-12)


def test_cornish_fisher_cvar_equals_quadrature_of_cf_quantile() -> None:
    r, _ = student_t(11, 500)
    mu, sigma = r.mean(), r.std(ddof=1)
    s, k = m.skew(r), m.kurtosis(r)

    def q(u: float) -> float:
        z = sps.norm.ppf(u)
        return float(
            mu
            + sigma
            * (z + (z**2 - 1) * s / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * s**2 / 36)
        )

    tail_mean, _ = integrate.quad(q, 0.0, 0.01, limit=200)
    got = m.conditional_value_at_risk(r, confidence=0.99, method="cornish_fisher")
    assert got.value == pytest.approx(-tail_mean / 0.01, rel=1e-7)


def test_gaussian_is_cornish_fisher_special_case_and_es_formula() -> None:
    r, _ = student_t(3, 300)
    mu, sigma = r.mean(), r.std(ddof=1)
    var = m.value_at_risk(r, confidence=0.99, method="gaussian")
    cvar = m.conditional_value_at_risk(r, confidence=0.99, method="gaussian")
    assert var.value == pytest.approx(-(mu + sps.norm.ppf(0.01) * sigma), rel=1e-12)
    assert cvar.value == pytest.approx(sigma * sps.norm.pdf(sps.norm.ppf(0.01)) / 0.01 - mu)
    assert cvar.value > var.value > 0


def test_var_result_names_method_and_confidence() -> None:
    r, _ = student_t(5, 200)
    for method in m.VAR_METHODS:
        risk = m.value_at_risk(r, confidence=0.975, method=method)
        assert (risk.method, risk.confidence) == (method, 0.975)
        assert risk.value > 0  # reported as a positive loss


def test_var_unknown_method_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="method"):
        m.value_at_risk([0.01, -0.02, 0.0], method="monte_carlo")  # type: ignore[arg-type]


def test_rolling_sharpe_aligns_to_window_end_with_nan_warmup() -> None:
    r, _ = student_t(9, 40)
    out = m.rolling_sharpe(r, window=10, periods_per_year=252)
    assert out.shape == r.shape
    assert np.isnan(out[:9]).all()
    assert out[9] == pytest.approx(m.sharpe(r[:10], periods_per_year=252), rel=1e-12)
    assert out[-1] == pytest.approx(m.sharpe(r[-10:], periods_per_year=252), rel=1e-12)


# -- edge cases (reference 1.5) ---------------------------------------------------------------


def test_sharpe_constant_returns_nan_with_warning() -> None:
    r = np.full(50, 0.001)
    with pytest.warns(m.MetricWarning, match="zero dispersion"):
        assert math.isnan(m.sharpe(r, periods_per_year=252))
    assert m.annual_volatility(r, periods_per_year=252) == 0.0


def test_sortino_without_downside_nan_with_warning() -> None:
    with pytest.warns(m.MetricWarning, match="no return below"):
        assert math.isnan(m.sortino(np.full(20, 0.001), periods_per_year=252))


def test_nan_inputs_are_dropped_with_warning() -> None:
    r, _ = student_t(2, 100)
    holed = r.copy()
    holed[[5, 40, 77]] = np.nan
    with pytest.warns(m.MetricWarning, match="dropped 3 NaN"):
        got = m.sharpe(holed, periods_per_year=252)
    assert got == pytest.approx(m.sharpe(np.delete(r, [5, 40, 77]), periods_per_year=252))


def test_fewer_than_two_observations_give_nan() -> None:
    one = np.array([0.01])
    assert math.isnan(m.sharpe(one, periods_per_year=252))
    assert math.isnan(m.cagr(one, periods_per_year=252))
    assert math.isnan(m.value_at_risk(one, confidence=0.95, method="historical").value)
    assert math.isnan(m.alpha_beta(one, one, periods_per_year=252)[0])


def test_periods_per_year_must_be_positive() -> None:
    with pytest.raises(InvalidArgumentError, match="periods_per_year"):
        m.sharpe([0.01, 0.02], periods_per_year=0)


def test_returns_from_equity_nonpositive_base_is_nan() -> None:
    r = m.returns_from_equity([100.0, 110.0, 0.0, 5.0])
    np.testing.assert_allclose(r[:2], [0.10, -1.0])
    assert np.isnan(r[2])


# -- parity with empyrical-reloaded on seeded Student-t fixtures -----------------------------


@pytest.mark.parametrize("seed", [7, 42, 2024])
def test_metrics_student_t_fixture_match_empyrical(seed: int) -> None:
    ep = pytest.importorskip("empyrical")
    r, b = student_t(seed)
    pairs = {
        "sharpe": (m.sharpe(r, periods_per_year=N, risk_free=RF), ep.sharpe_ratio(r, RF_P)),
        "sortino": (
            m.sortino(r, periods_per_year=N, required_return=RF),
            ep.sortino_ratio(r, required_return=RF_P),
        ),
        "vol": (m.annual_volatility(r, periods_per_year=N), ep.annual_volatility(r)),
        "mdd": (m.max_drawdown(r), ep.max_drawdown(r)),
        "cagr": (m.cagr(r, periods_per_year=N), ep.cagr(r)),
        "calmar": (m.calmar(r, periods_per_year=N), ep.calmar_ratio(r)),
        "omega": (
            m.omega(r, periods_per_year=N, required_return=0.05),
            ep.omega_ratio(r, required_return=0.05),
        ),
        "tail": (m.tail_ratio(r), ep.tail_ratio(r)),
        "stability": (m.stability(r), ep.stability_of_timeseries(r)),
        "var": (
            m.value_at_risk(r, confidence=0.95, method="historical").value,
            -ep.value_at_risk(r),
        ),
        "cvar": (
            m.conditional_value_at_risk(r, confidence=0.95, method="historical").value,
            -ep.conditional_value_at_risk(r),
        ),
    }
    alpha, beta = m.alpha_beta(r, b, periods_per_year=N, risk_free=RF)
    ep_alpha, ep_beta = ep.alpha_beta(r, b, risk_free=RF_P)
    pairs["alpha"], pairs["beta"] = (alpha, ep_alpha), (beta, ep_beta)
    for name, (ours, theirs) in pairs.items():
        assert ours == pytest.approx(theirs, rel=RTOL), name
    np.testing.assert_allclose(m.drawdown_series(r), ep.stats.drawdown_series(r), rtol=RTOL)
    roll = m.rolling_sharpe(r, window=126, periods_per_year=N, risk_free=RF)
    np.testing.assert_allclose(
        roll[125:], ep.roll_sharpe_ratio(r, 126, risk_free=RF_P), rtol=RTOL, atol=1e-12
    )


def test_max_drawdown_duration_price_back_at_peak_counts_as_recovered() -> None:
    px = np.array([100.0, 110.0, 99.0, 110.0, 110.0, 121.0])
    spell = m.max_drawdown_duration(px[1:] / px[:-1] - 1)
    # compounding the returns reaches 1.1 again only to rounding; it is still a recovery
    assert (spell.peak_idx, spell.trough_idx, spell.recovery_idx, spell.periods) == (1, 2, 3, 2)
