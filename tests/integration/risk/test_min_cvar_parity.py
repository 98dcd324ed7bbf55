"""Minimum-CVaR weights agree across skfolio (our wrapper) and PyPortfolioOpt on the 20 S&P 500
stocks that ship with skfolio.

The two state the same linear programme (Rockafellar-Uryasev): minimise the 95% CVaR of
historical LINEAR returns, long-only, fully invested, no return constraint. PyPortfolioOpt's
``EfficientCVaR`` is given zero expected returns (they only enter a return constraint, which
``min_cvar`` does not set) and the same returns matrix; both solve with CLARABEL at its
default tolerances. Measured agreement: ~2e-9 (2018-2022) and ~9e-10 (1990-2022).
"""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

from neural_trader.risk.optimize import optimize_weights

pytest.importorskip("skfolio")
pypfopt = pytest.importorskip("pypfopt")

TOL = 1e-6


@pytest.mark.parametrize("start", ["2018", "1990"])
def test_min_cvar_weights_match_pypfopt(start: str) -> None:
    datasets = importlib.import_module("skfolio.datasets")
    prices = datasets.load_sp500_dataset().loc[start:]
    assert prices.shape[1] == 20
    returns = (prices / prices.shift(1) - 1.0).iloc[1:]
    ours = optimize_weights(returns, "min_cvar", cvar_beta=0.95)
    ef = pypfopt.EfficientCVaR(
        pd.Series(0.0, index=returns.columns), returns, beta=0.95, weight_bounds=(0, 1)
    )
    theirs = ef.min_cvar()
    a = np.array([ours.weights[c] for c in returns.columns])
    b = np.array([theirs[c] for c in returns.columns])
    assert np.abs(a - b).max() < TOL
    assert a.sum() == pytest.approx(1.0, abs=1e-8)
