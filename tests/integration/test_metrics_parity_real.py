"""Parity of our metrics with empyrical-reloaded on real prices (ORCL daily 1995-2014).

Reference 1.5 policy: rtol 1e-10; our annual rates are passed to empyrical as the geometric
per-period value; our VaR/CVaR are positive losses, empyrical's negative returns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neural_trader.analytics import metrics as m

pytestmark = pytest.mark.shared_data

N = 252
RTOL = 1e-10


@pytest.fixture(scope="module")
def orcl(shared_data: Path) -> pd.DataFrame:
    frame = pd.read_csv(shared_data / "orcl-1995-2014.txt", parse_dates=["Date"])
    return frame.sort_values("Date").reset_index(drop=True)


@pytest.mark.parametrize("rf", [0.0, 0.04])
def test_orcl_adj_close_metrics_match_empyrical(orcl: pd.DataFrame, rf: float) -> None:
    ep = pytest.importorskip("empyrical")
    px = orcl["Adj Close"].to_numpy(dtype=np.float64)
    r = px[1:] / px[:-1] - 1
    # A second real series for alpha/beta: unadjusted closes (split days are large outliers,
    # which makes it a demanding case for the regression rather than a gentle one).
    close = orcl["Close"].to_numpy(dtype=np.float64)
    bench = close[1:] / close[:-1] - 1
    rf_p = (1 + rf) ** (1 / N) - 1
    assert r.size == 5035

    pairs = {
        "sharpe": (m.sharpe(r, periods_per_year=N, risk_free=rf), ep.sharpe_ratio(r, rf_p)),
        "sortino": (
            m.sortino(r, periods_per_year=N, required_return=rf),
            ep.sortino_ratio(r, required_return=rf_p),
        ),
        "vol": (m.annual_volatility(r, periods_per_year=N), ep.annual_volatility(r)),
        "max_drawdown": (m.max_drawdown(r), ep.max_drawdown(r)),
        "cagr": (m.cagr(r, periods_per_year=N), ep.cagr(r)),
        "calmar": (m.calmar(r, periods_per_year=N), ep.calmar_ratio(r)),
        "omega": (
            m.omega(r, periods_per_year=N, required_return=rf),
            ep.omega_ratio(r, required_return=rf),
        ),
        "tail_ratio": (m.tail_ratio(r), ep.tail_ratio(r)),
        "stability": (m.stability(r), ep.stability_of_timeseries(r)),
    }
    for conf in (0.95, 0.99):
        cut = 1 - conf
        pairs[f"var{conf}"] = (
            m.value_at_risk(r, confidence=conf, method="historical").value,
            -ep.value_at_risk(r, cutoff=cut),
        )
        pairs[f"cvar{conf}"] = (
            m.conditional_value_at_risk(r, confidence=conf, method="historical").value,
            -ep.conditional_value_at_risk(r, cutoff=cut),
        )
    alpha, beta = m.alpha_beta(r, bench, periods_per_year=N, risk_free=rf)
    ep_alpha, ep_beta = ep.alpha_beta(r, bench, risk_free=rf_p)
    pairs["alpha"], pairs["beta"] = (alpha, ep_alpha), (beta, ep_beta)

    for name, (ours, theirs) in pairs.items():
        assert np.isfinite(theirs), name
        assert ours == pytest.approx(theirs, rel=RTOL), name

    # atol: at a re-reached high both sides hold rounding residue (~2e-16), not a drawdown
    np.testing.assert_allclose(
        m.drawdown_series(r), ep.stats.drawdown_series(r), rtol=RTOL, atol=1e-14
    )
    roll = m.rolling_sharpe(r, window=126, periods_per_year=N, risk_free=rf)
    np.testing.assert_allclose(
        roll[125:], ep.roll_sharpe_ratio(r, 126, risk_free=rf_p), rtol=RTOL, atol=1e-12
    )
