"""Fixtures for the portfolio-risk tests: real index prices from the packaged samples.

``risk_home`` is one ``NT_HOME`` per session whose catalog holds the S&P 500 and NASDAQ
Composite daily bars shipped with the package (1999-2018), plus two derived series a test
needs: ``LATE`` (the S&P 500 bars from 2012 on only, a symbol whose history starts after the
2008 crisis) and ``MINUTE`` (a few one-minute bars only, a symbol with no daily bars).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neural_trader.data.catalog import Catalog
from neural_trader.data.providers.sample import load_sample


def _dates(frame: pd.DataFrame) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(frame["ts_event"].to_numpy(), unit="ns"))


@pytest.fixture(scope="session")
def sample_closes() -> pd.DataFrame:
    """Closes of SPX and IXIC on their (identical) sessions, indexed by date."""
    spx, ixic = load_sample("SPX"), load_sample("IXIC")
    return pd.DataFrame(
        {"SPX": spx["close"].to_numpy(), "IXIC": ixic["close"].to_numpy()}, index=_dates(spx)
    )


@pytest.fixture(scope="session")
def sample_returns(sample_closes: pd.DataFrame) -> pd.DataFrame:
    return (sample_closes / sample_closes.shift(1) - 1.0).iloc[1:]


@pytest.fixture(scope="session")
def risk_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("risk_home")
    cat = Catalog(home / "catalog")
    spx = load_sample("SPX")
    cat.write_bars("SPX", "1d", spx)
    cat.write_bars("IXIC", "1d", load_sample("IXIC"))
    late = spx.loc[_dates(spx) >= pd.Timestamp("2012-01-01")].reset_index(drop=True)
    cat.write_bars("LATE", "1d", late)
    t0 = int(pd.Timestamp("2018-06-01 14:30").value)
    px = 100.0 + np.arange(30, dtype=np.float64)
    minute = pd.DataFrame(
        {
            "ts_event": t0 + np.arange(30, dtype=np.int64) * 60_000_000_000,
            "open": px,
            "high": px + 0.5,
            "low": px - 0.5,
            "close": px,
            "volume": np.full(30, 100.0),
        }
    )
    cat.write_bars("MINUTE", "1m", minute)
    return home


@pytest.fixture
def risk_catalog(risk_home: Path) -> Path:
    return risk_home / "catalog"


@pytest.fixture
def use_risk_home(risk_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``NT_HOME`` at the shared risk home (for CLI tests)."""
    monkeypatch.setenv("NT_HOME", str(risk_home))
    for var in ("NT_CATALOG_DIR", "NT_LOG_LEVEL", "NT_DEFAULT_CALENDAR"):
        monkeypatch.delenv(var, raising=False)
    return risk_home
