"""Every shipped single-asset strategy gives the same backtest in both engines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neural_trader.backtest import BacktestConfig, run_vector
from neural_trader.backtest.event import run_event
from neural_trader.data.providers.synthetic import generate_bars
from neural_trader.strategies import StrategyData, create_strategy

STRATEGIES = (
    "buy_and_hold",
    "sma_cross",
    "momentum",
    "mean_reversion",
    "swing",
    "enhanced_momentum",
)
CONFIGS = {
    "open-fees": BacktestConfig(fee_rate=0.001, slippage=0.0005, fill="open"),
    "close-stops": BacktestConfig(fee_rate=0.001, fill="close"),
}


def _assert_same(
    strategy_name: str, data: StrategyData, config: BacktestConfig, **params: object
) -> None:
    vec = run_vector(create_strategy(strategy_name, **params), data, config)
    evt = run_event(create_strategy(strategy_name, **params), data, config)
    np.testing.assert_allclose(evt.equity, vec.equity, rtol=1e-9, atol=0)
    np.testing.assert_allclose(evt.position, vec.position, rtol=1e-9, atol=1e-12)
    assert len(evt.trades) == len(vec.trades)
    np.testing.assert_array_equal(evt.orders["idx"], vec.orders["idx"])


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("name", STRATEGIES)
def test_strategy_engines_agree_on_synthetic_bars(name: str, config: str) -> None:
    frame = generate_bars(3000, "1d", seed=5, start="2005-01-01")
    data = StrategyData.from_frame(frame, "SYN")
    extra = {"stop_loss": 0.05, "take_profit": 0.1} if config == "close-stops" else {}
    _assert_same(name, data, CONFIGS[config], **extra)


@pytest.mark.shared_data
@pytest.mark.parametrize("name", STRATEGIES)
def test_strategy_engines_agree_on_orcl(name: str, shared_data: Path) -> None:
    raw = pd.read_csv(shared_data / "orcl-1995-2014.txt")
    ts = pd.to_datetime(raw["Date"], utc=True).dt.as_unit("ns").astype("int64")
    frame = pd.DataFrame(
        {
            "ts_event": ts,
            "open": raw["Open"],
            "high": raw["High"],
            "low": raw["Low"],
            "close": raw["Close"],
            "volume": raw["Volume"],
        }
    )
    data = StrategyData.from_frame(frame.astype({"volume": float}), "ORCL")
    _assert_same(name, data, CONFIGS["open-fees"])
