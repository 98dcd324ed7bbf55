"""Portfolio risk on real prices (ORCL daily 1995-2014 from ../shared/data) through the whole
stack: file import -> catalog -> services -> numbers, checked against empyrical-reloaded, plus
the back-test of the VaR model itself (Kupiec) and a stress replay of real closes.

Kupiec results on ORCL (printed with ``-s``; the issue asks for them to be reported): the
plain 250-day historical VaR and its volatility-scaled (filtered) version at 95% and 99%.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neural_trader.risk.var import backtest_var, kupiec_pof, portfolio_var
from neural_trader.services.data import import_file
from neural_trader.services.risk import portfolio_var_report, stress_test

pytestmark = pytest.mark.shared_data

ORCL_FILE = "orcl-1995-2014.txt"
RTOL = 1e-10


@pytest.fixture(scope="module")
def orcl(shared_data: Path) -> pd.DataFrame:
    frame = pd.read_csv(shared_data / ORCL_FILE, parse_dates=["Date"])
    return frame.sort_values("Date").reset_index(drop=True)


@pytest.fixture(scope="module")
def orcl_returns(orcl: pd.DataFrame) -> np.ndarray:
    px = orcl["Adj Close"].to_numpy(dtype=np.float64)
    return np.asarray(px[1:] / px[:-1] - 1.0, dtype=np.float64)


@pytest.fixture(scope="module")
def catalog(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("orcl_catalog")
    import_file(shared_data / ORCL_FILE, "ORCL", layout="yahoo", catalog=root)
    return root


@pytest.mark.parametrize("confidence", [0.95, 0.99])
def test_historical_var_cvar_match_empyrical_through_the_catalog(
    catalog: Path, orcl: pd.DataFrame, orcl_returns: np.ndarray, confidence: float
) -> None:
    ep = pytest.importorskip("empyrical")
    rep = portfolio_var_report(
        positions="ORCL:100",
        method="historical",
        confidence=confidence,
        lookback=None,
        catalog=catalog,
    )
    assert rep.observations == orcl_returns.size == 5035
    cut = 1.0 - confidence
    assert rep.var_fraction == pytest.approx(-ep.value_at_risk(orcl_returns, cutoff=cut), rel=RTOL)
    assert rep.cvar_fraction == pytest.approx(
        -ep.conditional_value_at_risk(orcl_returns, cutoff=cut), rel=RTOL
    )
    # Valued at the last RAW close, while the returns come from adjusted closes.
    last = float(orcl["Close"].iloc[-1])
    assert rep.value == pytest.approx(100 * last, rel=1e-12)
    assert rep.var == pytest.approx(
        -100 * last * ep.value_at_risk(orcl_returns, cutoff=cut), rel=RTOL
    )


def test_library_parity_on_windows(orcl_returns: np.ndarray) -> None:
    ep = pytest.importorskip("empyrical")
    for n in (20, 21, 250, 1000, 5035):
        r = orcl_returns[-n:]
        res = portfolio_var(r, [1.0], method="historical", confidence=0.95)
        assert res.var == pytest.approx(-ep.value_at_risk(r, cutoff=0.05), rel=RTOL), n
        assert res.cvar == pytest.approx(-ep.conditional_value_at_risk(r, cutoff=0.05), rel=RTOL), n


def test_kupiec_backtest_of_the_var_model_on_orcl(orcl_returns: np.ndarray) -> None:
    rows = []
    for conf in (0.95, 0.99):
        for scaled in (False, True):
            bt = backtest_var(orcl_returns, window=250, confidence=conf, vol_scaling=scaled)
            k = bt.kupiec
            assert k.observations == orcl_returns.size - 250
            assert k.exceedances == int(np.sum(orcl_returns[250:] < -bt.forecasts))
            rows.append(
                f"ORCL historical VaR {conf:.0%} window 250 vol_scaling={scaled}: "
                f"{k.exceedances}/{k.observations} exceedances ({k.observed_rate:.3%} vs "
                f"{k.expected_rate:.0%}), LR {k.lr_statistic:.3f}, p {k.p_value:.4g}, "
                f"{'rejected' if k.reject else 'not rejected'}"
            )
    print("\n" + "\n".join(rows))
    # A deliberately bad model: a fixed 1% VaR at 99% on a stock whose daily moves are 2-3%.
    bad = kupiec_pof(orcl_returns[250:] < -0.01, confidence=0.99)
    assert bad.reject
    assert bad.p_value < 1e-50
    assert bad.observed_rate > 0.1


def test_2008_crisis_replays_orcl_adjusted_closes(catalog: Path, orcl: pd.DataFrame) -> None:
    rep = stress_test(positions="ORCL:100", scenarios=["2008_crisis"], catalog=catalog)
    adj = orcl.set_index("Date")["Adj Close"]
    want = float(adj.loc["2009-03-09"] / adj.loc["2008-08-29"] - 1.0)
    row = rep.scenarios[0].positions[0]
    assert row.shock == pytest.approx(want, rel=1e-12)
    assert rep.scenarios[0].complete
