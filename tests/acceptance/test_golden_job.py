"""The golden benchmark job (shared/reference/engines.md section 3) reproduced exactly.

Generator that reproduces the published numbers (found by trying the candidates):
``np.round(1000 * np.exp(np.cumsum(np.random.default_rng(42).normal(0, 0.001, n))), 6)``:
log-normal steps from the new-style generator, no leading 1000 bar, prices rounded to 6
decimals (without the rounding the zero-fee equity is 6205.3599228, 3e-8 off).
``13,832`` counts entries: 13,831 closed round trips plus the one still open at the end.
The fee case confirms 0006's all-in rule ``qty = cash / (p * (1 + fee_rate))``.

Both engines reproduce the published numbers: the vector engine from whole target arrays, the
event engine from a strategy that computes the same crossover bar by bar with the incremental
``SMA`` indicators, and the two agree bit for bit on every bar (docs/decisions/0006).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from neural_trader.backtest import BacktestConfig, run_vector_targets
from neural_trader.backtest.event import run_event
from neural_trader.core.data import Bar
from neural_trader.indicators.incremental import SMA
from neural_trader.strategies.base import Strategy, StrategyContext, StrategyData

FloatArray = npt.NDArray[np.float64]
N = 1_000_000


def golden_close(n: int = N) -> FloatArray:
    returns = np.random.default_rng(42).normal(0.0, 0.001, n)
    return np.round(1000.0 * np.exp(np.cumsum(returns)), 6)


def sma(x: FloatArray, w: int) -> FloatArray:
    c = np.cumsum(np.concatenate(([0.0], x)))
    out = np.full(len(x), math.nan)
    out[w - 1 :] = (c[w:] - c[:-w]) / w
    return out


def crossover_targets(close: FloatArray) -> FloatArray:
    """1 after fast crosses above slow, 0 after it crosses below, NaN (keep) otherwise.

    The sign of (fast - slow) is carried forward through ties, so a touch is no cross
    (backtrader ``CrossOver``, vectorbt ``crossed_above``)."""
    diff = sma(close, 10) - sma(close, 50)
    s = np.sign(diff)
    s[s == 0] = math.nan
    idx = np.where(np.isnan(s), 0, np.arange(len(s)))
    np.maximum.accumulate(idx, out=idx)
    s = s[idx]
    prev = np.concatenate(([math.nan], s[:-1]))
    targets = np.full(len(close), math.nan)
    targets[(prev < 0) & (s > 0)] = 1.0
    targets[(prev > 0) & (s < 0)] = 0.0
    return targets


def as_data(close: FloatArray) -> StrategyData:
    ts = np.arange(len(close), dtype=np.int64) * 60_000_000_000
    return StrategyData("GOLD", ts, close, close, close, close, np.ones(len(close)))


def reference_all_in(close: FloatArray, targets: FloatArray, fee: float, cash: float) -> float:
    """Independent plain-Python all-in/all-out at the signal bar's close (no engine code)."""
    position = 0.0
    for t in range(len(close)):
        target = targets[t]
        p = float(close[t])
        if target == 1.0 and position == 0.0:
            position = cash / (p * (1.0 + fee))
            cash -= position * p + position * p * fee
        elif target == 0.0 and position > 0.0:
            cash += position * p - position * p * fee
            position = 0.0
    return cash + position * float(close[-1])


class GoldenCross(Strategy):
    """:func:`crossover_targets` bar by bar: incremental SMA(10)/SMA(50), the sign of their
    difference carried through ties, 1 on a cross above and 0 on a cross below."""

    name = "golden_cross"

    def on_start(self, ctx: StrategyContext, **kwargs: Any) -> None:
        self.fast = SMA(10)
        self.slow = SMA(50)
        self.sign = 0.0

    def on_bar(self, ctx: StrategyContext, bar: Bar, **kwargs: Any) -> None:
        diff = self.fast.update(bar.close) - self.slow.update(bar.close)
        if diff != diff or diff == 0.0:
            return
        sign = 1.0 if diff > 0.0 else -1.0
        prev = self.sign
        self.sign = sign
        if prev < 0.0 < sign:
            ctx.target(1.0)
        elif sign < 0.0 < prev:
            ctx.target(0.0)


GOLDEN = BacktestConfig(cash=10_000.0, fill="close", long_only=True)


@pytest.fixture(scope="module")
def golden() -> tuple[FloatArray, FloatArray]:
    close = golden_close()
    return close, crossover_targets(close)


def test_golden_job_zero_fee_matches_published_equity_and_trades(
    golden: tuple[FloatArray, FloatArray],
) -> None:
    close, targets = golden
    res = run_vector_targets(targets, as_data(close), GOLDEN)
    assert res.final_equity == pytest.approx(6205.3601201, rel=1e-9)
    assert len(res.trades) == 13_832
    assert res.n_trades == 13_831
    assert res.n_open_trades == 1


def test_golden_job_with_fee_matches_published_equity(
    golden: tuple[FloatArray, FloatArray],
) -> None:
    close, targets = golden
    config = GOLDEN.model_copy(update={"fee_rate": 0.001})
    res = run_vector_targets(targets, as_data(close), config)
    assert res.final_equity == pytest.approx(6.0100066e-09, rel=1e-6)
    assert len(res.trades) == 13_832


@pytest.mark.parametrize("fee", [0.0, 0.001])
def test_engine_equals_plain_reference_loop_on_sample(fee: float) -> None:
    close = golden_close(50_000)
    targets = crossover_targets(close)
    res = run_vector_targets(targets, as_data(close), GOLDEN.model_copy(update={"fee_rate": fee}))
    expected = reference_all_in(close, targets, fee, 10_000.0)
    assert res.final_equity == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("fee", "equity", "rel"), [(0.0, 6205.3601201, 1e-9), (0.001, 6.0100066e-09, 1e-6)]
)
def test_event_engine_reproduces_golden_job_and_equals_vector_engine(
    golden: tuple[FloatArray, FloatArray], fee: float, equity: float, rel: float
) -> None:
    close, targets = golden
    data = as_data(close)
    config = GOLDEN.model_copy(update={"fee_rate": fee})
    ev = run_event(GoldenCross(), data, config)
    assert ev.final_equity == pytest.approx(equity, rel=rel)
    assert len(ev.trades) == 13_832
    assert ev.trade_count == 13_831
    assert ev.open_trades == 1
    vec = run_vector_targets(targets, data, config)
    np.testing.assert_array_equal(ev.equity, vec.equity)
    np.testing.assert_array_equal(ev.position, vec.position)
    for name in ev.orders.dtype.names or ():
        np.testing.assert_array_equal(ev.orders[name], vec.orders[name], err_msg=name)
    for name in ev.trades.dtype.names or ():
        np.testing.assert_array_equal(ev.trades[name], vec.trades[name], err_msg=name)
