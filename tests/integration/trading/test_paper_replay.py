"""A replay through the paper broker gives the event backtester's fills; a rerun resumes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from neural_trader.backtest.config import BacktestConfig
from neural_trader.backtest.event import run_event
from neural_trader.config import load_settings
from neural_trader.execution.journal import Journal
from neural_trader.services.research import load_bars
from neural_trader.services.trading import trade
from neural_trader.strategies import StrategyData, create_strategy

ORCL = "orcl-1995-2014.txt"


@pytest.mark.shared_data
@pytest.mark.slow
def test_orcl_replay_through_paper_equals_the_event_backtester(
    shared_data: Path, nt_home: Path
) -> None:
    path = shared_data / ORCL
    _, spec, frame = load_bars(symbol=None, data_file=path)
    data = StrategyData.from_frame(frame, "ORCL")
    config = BacktestConfig(cash=10_000.0, fee_rate=0.001, lot_size=1.0)
    expected = run_event(create_strategy("sma_cross"), data, config, spec=spec).orders

    result = trade(
        "sma_cross", symbol="ORCL", replay=path, cash=10_000.0, fees=0.001, slippage=0.0,
        lot_size=1.0,
    )  # fmt: skip
    assert result.fills == len(expected) > 50
    with Journal.open(load_settings().trading_db_url, broker="paper") as journal:
        fills = journal.fills()
    got = np.array(
        [
            (f.ts_event, 1 if f.side.value == "BUY" else -1, float(f.quantity), float(f.price),
             float(f.commission))
            for f in fills
        ]
    )  # fmt: skip
    want = np.array([(r["ts"], r["side"], r["quantity"], r["price"], r["fee"]) for r in expected])
    np.testing.assert_array_equal(got, want)  # exact: the same model, the same floats
    assert result.position == float(np.sum(expected["side"] * expected["quantity"]))

    again = trade(
        "sma_cross", symbol="ORCL", replay=path, cash=10_000.0, fees=0.001, slippage=0.0,
        lot_size=1.0,
    )  # fmt: skip
    assert again.resumed
    assert again.bars == 0
    assert again.warmup_bars == len(frame)
    assert again.orders_sent == 0
    assert again.run_id == result.run_id
