"""skfolio wrappers: each method's defining property holds on real prices (skfolio's S&P 500
sample), and a missing skfolio names the extra to install."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

from neural_trader.analytics import metrics
from neural_trader.core.errors import InvalidArgumentError, MissingDependencyError
from neural_trader.risk.optimize import optimize_weights

pytest.importorskip("skfolio")


@pytest.fixture(scope="module")
def returns() -> pd.DataFrame:
    datasets = importlib.import_module("skfolio.datasets")
    prices = datasets.load_sp500_dataset().loc[
        "2019":"2022", ["AAPL", "JNJ", "JPM", "KO", "MSFT", "XOM"]
    ]
    return pd.DataFrame((prices / prices.shift(1) - 1.0).iloc[1:])


def _w(res: object, cols: pd.Index) -> np.ndarray:
    return np.array([res.weights[c] for c in cols])  # type: ignore[attr-defined]


@pytest.mark.parametrize("method", ["mean_variance", "min_cvar", "hrp", "risk_parity"])
def test_weights_are_long_only_and_fully_invested(returns: pd.DataFrame, method: str) -> None:
    res = optimize_weights(returns, method)  # type: ignore[arg-type]
    w = _w(res, returns.columns)
    assert w.sum() == pytest.approx(1.0, abs=1e-6)
    assert (w >= -1e-8).all()
    assert res.observations == len(returns)
    assert set(res.in_sample) == {
        "annual_return",
        "annual_volatility",
        "sharpe",
        "max_drawdown",
        "cvar_95",
    }
    port = returns.to_numpy() @ w
    assert res.in_sample["sharpe"] == pytest.approx(metrics.sharpe(port, periods_per_year=252))


def test_min_risk_portfolios_beat_equal_weight_on_their_own_measure(returns: pd.DataFrame) -> None:
    x = returns.to_numpy()
    eq = np.full(x.shape[1], 1 / x.shape[1])
    mv = _w(optimize_weights(returns, "mean_variance"), returns.columns)
    cv = _w(optimize_weights(returns, "min_cvar", cvar_beta=0.95), returns.columns)
    assert np.var(x @ mv) < np.var(x @ eq)

    def cvar(w: np.ndarray) -> float:
        return metrics.conditional_value_at_risk(x @ w, confidence=0.95).value

    # skfolio's CVaR is the Rockafellar-Uryasev one; ours (empyrical's) differs by at most one
    # scenario's weight, far less than the gap to equal weights.
    assert cvar(cv) < cvar(eq)
    assert cvar(cv) <= cvar(mv) + 1e-4


def test_risk_parity_equalises_variance_contributions(returns: pd.DataFrame) -> None:
    res = optimize_weights(returns, "risk_parity")
    np.testing.assert_allclose(list(res.risk_contributions.values()), 1 / 6, atol=1e-4)
    assert sum(res.risk_contributions.values()) == pytest.approx(1.0)


def test_max_weight_and_objectives(returns: pd.DataFrame) -> None:
    res = optimize_weights(returns, "mean_variance", objective="max_ratio", max_weight=0.3)
    w = _w(res, returns.columns)
    assert w.max() <= 0.3 + 1e-6
    assert res.objective == "max_ratio"
    with pytest.raises(InvalidArgumentError, match="cannot hold"):
        optimize_weights(returns, "min_cvar", max_weight=0.1)


def test_black_litterman_tilts_toward_the_view(returns: pd.DataFrame) -> None:
    bull = optimize_weights(returns, "black_litterman", views=["XOM - KO == 0.002"])
    bear = optimize_weights(returns, "black_litterman", views=["XOM - KO == -0.002"])
    assert bull.weights["XOM"] > bear.weights["XOM"] + 0.05
    assert bull.weights["KO"] < bear.weights["KO"]
    assert bull.objective == "max_ratio"
    assert bull.params["views"] == ["XOM - KO == 0.002"]
    with pytest.raises(InvalidArgumentError, match="at least one view"):
        optimize_weights(returns, "black_litterman")


def test_input_errors(returns: pd.DataFrame) -> None:
    with pytest.raises(InvalidArgumentError, match="at least two assets"):
        optimize_weights(returns[["AAPL"]], "hrp")
    with pytest.raises(InvalidArgumentError, match="need at least 20"):
        optimize_weights(returns.iloc[:10], "hrp")
    with pytest.raises(InvalidArgumentError, match="linkage"):
        optimize_weights(returns, "hrp", linkage="nearest")


def test_missing_skfolio_names_the_risk_extra(
    returns: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.import_module

    def fake(name: str, package: str | None = None) -> object:
        if name.startswith("skfolio"):
            raise ImportError(f"No module named {name!r}")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", fake)
    with pytest.raises(MissingDependencyError) as info:
        optimize_weights(returns, "hrp")
    assert info.value.extra == "risk"
    assert "neural-trader[risk]" in str(info.value)
