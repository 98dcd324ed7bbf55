"""run_grid: many configurations in one parallel kernel call equal single runs."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import pytest

from neural_trader.backtest import BacktestConfig, run_grid, run_vector
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.strategies.base import Strategy, StrategyData
from neural_trader.strategies.parameters import IntParam


def sma(x: npt.NDArray[np.float64], w: int) -> npt.NDArray[np.float64]:
    c = np.cumsum(np.concatenate(([0.0], x)))
    out = np.full(len(x), math.nan)
    out[w - 1 :] = (c[w:] - c[:-w]) / w
    return out


class SmaCross(Strategy):
    name = "sma-cross-grid-test"
    long_only: ClassVar[bool] = False
    fast = IntParam(5, low=1, high=500)
    slow = IntParam(20, low=2, high=1000)

    def signals(self, data: StrategyData) -> npt.NDArray[np.float64]:
        d = sma(data.close, self.p.fast) - sma(data.close, self.p.slow)
        return np.where(np.isnan(d), math.nan, np.sign(d))


@pytest.fixture(scope="module")
def data() -> StrategyData:
    rng = np.random.default_rng(11)
    c = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 2000)))
    o = np.concatenate(([100.0], c[:-1]))
    ts = np.arange(len(c), dtype=np.int64)
    return StrategyData(
        "G", ts, o, np.maximum(o, c) * 1.002, np.minimum(o, c) * 0.998, c, np.ones(len(c))
    )


GRID = [
    {"fast": f, "slow": s, "stop_loss": sl}
    for f in (3, 5, 8)
    for s in (20, 50)
    for sl in (None, 0.02)
]


def test_grid_columns_equal_single_runs(data: StrategyData) -> None:
    config = BacktestConfig(fee_rate=0.001, slippage=0.0002)
    grid = run_grid(SmaCross, data, GRID, config, record_equity=True)
    assert grid.equity is not None
    assert grid.equity.shape == (len(data), len(GRID))
    for c, params in enumerate(GRID):
        single = run_vector(SmaCross(**params), data, config)
        np.testing.assert_array_equal(grid.equity[:, c], single.equity)
        assert grid.final_equity[c] == single.final_equity
        assert grid.n_orders[c] == len(single.orders)
        assert grid.n_trades[c] == single.n_trades
        assert grid.n_open_trades[c] == single.n_open_trades


def test_grid_per_column_fees_match_single_runs_with_that_fee(data: StrategyData) -> None:
    params = [{"fast": 5, "slow": 20}] * 3
    fees = [0.0, 0.001, 0.01]
    grid = run_grid(SmaCross, data, params, BacktestConfig(), fee_rates=fees)
    for c, fee in enumerate(fees):
        single = run_vector(SmaCross(fast=5, slow=20), data, BacktestConfig(fee_rate=fee))
        assert grid.final_equity[c] == single.final_equity
    assert grid.final_equity[0] > grid.final_equity[1] > grid.final_equity[2]


def test_grid_frame_has_one_row_per_configuration(data: StrategyData) -> None:
    grid = run_grid(SmaCross, data, GRID[:4])
    frame = grid.to_frame()
    assert len(frame) == 4
    assert {"fast", "slow", "final_equity", "total_return", "trades"} <= set(frame.columns)
    assert grid.equity is None
    np.testing.assert_allclose(frame["total_return"], grid.final_equity / 10_000.0 - 1)
    assert grid.best() == GRID[int(np.argmax(grid.final_equity))]


def test_grid_refuses_empty_grid_and_bad_fee_vector(data: StrategyData) -> None:
    with pytest.raises(InvalidArgumentError, match="empty"):
        run_grid(SmaCross, data, [])
    with pytest.raises(InvalidArgumentError, match="2 values for 1"):
        run_grid(SmaCross, data, [{"fast": 3}], fee_rates=[0.0, 0.1])
