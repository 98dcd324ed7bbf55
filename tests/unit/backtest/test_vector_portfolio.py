"""run_portfolio: target weights over assets sharing one cash account (hand-computed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neural_trader.backtest import BacktestConfig, run_portfolio
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.strategies.base import StrategyData

NAN = math.nan
TW = BacktestConfig(cash=1000.0, sizer="target_weight", fill="close")


def asset(symbol: str, close: list[float]) -> StrategyData:
    c = np.array(close, dtype=np.float64)
    ts = np.arange(len(c), dtype=np.int64)
    return StrategyData(symbol, ts, c, c, c, c, np.ones(len(c)))


def test_two_assets_shared_cash_matches_hand_computation() -> None:
    a = asset("A", [10.0, 20.0, 20.0])
    b = asset("B", [50.0, 50.0, 25.0])
    weights = np.array([[0.5, 0.5], [NAN, NAN], [0.0, 1.0]])
    res = run_portfolio(weights, [a, b], TW)
    # bar 0: 500 in A (50 units), 500 in B (10 units), cash 0
    assert res.positions[0].tolist() == pytest.approx([50.0, 10.0])
    assert res.cash[0] == pytest.approx(0.0, abs=1e-9)
    # bar 1: A doubles -> equity 1000 + 500 = 1500
    assert res.equity[1] == pytest.approx(1500.0)
    # bar 2: equity = 50*20 + 10*25 = 1250 -> all in B at 25: 50 units
    assert res.equity[2] == pytest.approx(1250.0)
    assert res.positions[2].tolist() == pytest.approx([0.0, 50.0])


def test_rebalance_sends_sells_before_buys() -> None:
    a = asset("A", [10.0, 10.0])
    b = asset("B", [10.0, 10.0])
    weights = np.array([[0.0, 1.0], [1.0, 0.0]])
    res = run_portfolio(weights, [a, b], TW.model_copy(update={"fee_rate": 0.001}))
    bar1 = res.orders[res.orders["idx"] == 1]
    assert bar1["side"].tolist() == [-1, 1]
    assert bar1["col"].tolist() == [1, 0]
    assert res.orders_frame()["col"].tolist()[-2:] == ["B", "A"]


def test_portfolio_trades_pnl_sums_to_equity_change() -> None:
    rng = np.random.default_rng(2)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, (80, 3)), axis=0))
    datas = [asset(s, list(closes[:, j])) for j, s in enumerate("XYZ")]
    w = rng.dirichlet(np.ones(3), 80) * 0.9
    w[rng.random(80) < 0.7] = NAN
    res = run_portfolio(w, datas, TW.model_copy(update={"fee_rate": 0.001, "fill": "open"}))
    assert res.trades["pnl"].sum() == pytest.approx(res.final_equity - 1000.0, rel=1e-9)
    np.testing.assert_allclose(
        res.equity, res.cash + (res.positions * closes).sum(axis=1), rtol=1e-12
    )


def test_portfolio_refuses_gross_weight_above_leverage_and_wrong_sizer() -> None:
    a, b = asset("A", [1.0, 1.0]), asset("B", [1.0, 1.0])
    with pytest.raises(InvalidArgumentError, match="exceeds max_leverage"):
        run_portfolio(np.array([[0.7, 0.7], [NAN, NAN]]), [a, b], TW)
    with pytest.raises(InvalidArgumentError, match="target_weight"):
        run_portfolio(np.zeros((2, 2)), [a, b], BacktestConfig())
