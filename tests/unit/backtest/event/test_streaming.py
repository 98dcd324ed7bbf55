"""Streaming: chunked and batched runs give exactly the result of one pass."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neural_trader.backtest.config import BacktestConfig
from neural_trader.backtest.event import EventResult, run_event, run_event_stream
from neural_trader.core.data import Bar, BarBatch
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.strategies.base import Strategy, StrategyContext, StrategyData


class Mixed(Strategy):
    """Targets from a momentum rule on the close and a feed; exercises state across chunks."""

    name = "mixed"
    long_only = False

    def on_start(self, ctx: StrategyContext, **kwargs: Any) -> None:
        self.prev = math.nan

    def on_bar(self, ctx: StrategyContext, bar: Bar, **kwargs: Any) -> None:
        c = bar.close
        if self.prev == self.prev:
            tilt = ctx.feed("tilt")
            ctx.target(1.0 if c > self.prev + tilt else -0.5 if c < self.prev else math.nan)
        self.prev = c


class Orders(Strategy):
    """Explicit limit and stop orders placed from the close, cancelled after a while."""

    name = "orders"
    long_only = False

    def on_start(self, ctx: StrategyContext, **kwargs: Any) -> None:
        self.sent: list[str] = []

    def on_bar(self, ctx: Any, bar: Bar, **kwargs: Any) -> None:
        i = ctx.bar_index
        if i % 7 == 0:
            self.sent.append(ctx.buy(1, limit=bar.close * 0.995))
        if i % 11 == 0:
            self.sent.append(ctx.sell(1, stop=bar.close * 0.99, tif="DAY"))
        if i % 13 == 0 and len(self.sent) > 3:
            cid = self.sent[-4]
            if ctx.orders[cid].is_open:
                ctx.cancel(cid)


T0 = 1_700_006_400_000_000_000  # 2023-11-15 00:00 UTC


def walk(n: int, seed: int) -> StrategyData:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.concatenate([[100.0], close[:-1]])
    high = np.maximum(open_, close) * 1.004
    low = np.minimum(open_, close) * 0.996
    ts = T0 + np.arange(n, dtype=np.int64) * 3_600_000_000_000  # hourly: DAY orders expire
    feeds = {"tilt": rng.normal(0, 0.2, n)}
    return StrategyData("RW", ts, open_, high, low, close, np.full(n, 1e6), feeds=feeds)


def batches(data: StrategyData, cuts: Sequence[int]) -> list[BarBatch]:
    edges = [0, *sorted(set(cuts)), len(data)]
    out = []
    for a, b in itertools.pairwise(edges):
        if a == b:
            continue
        cols = {
            "ts_event": data.ts_event[a:b],
            "open": data.open[a:b],
            "high": data.high[a:b],
            "low": data.low[a:b],
            "close": data.close[a:b],
            "volume": data.volume[a:b],
            "tilt": data.feeds["tilt"][a:b],
        }
        out.append(BarBatch.from_columns(data.symbol, "1h", cols))
    return out


def same(a: EventResult, b: EventResult) -> None:
    np.testing.assert_array_equal(a.ts, b.ts)
    np.testing.assert_array_equal(a.equity, b.equity)
    np.testing.assert_array_equal(a.cash, b.cash)
    np.testing.assert_array_equal(a.position, b.position)
    np.testing.assert_array_equal(a.orders, b.orders)
    np.testing.assert_array_equal(a.trades, b.trades)
    np.testing.assert_array_equal(a.skipped, b.skipped)


CONFIGS = [
    BacktestConfig(fill="open", sizer="vol_target", vol_lookback=5, fee_rate=0.001),
    BacktestConfig(fill="close", sizer="target_weight", slippage=0.001, min_notional=500),
]


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(1, 199), max_size=6),
    st.integers(1, 64),
    st.sampled_from(range(len(CONFIGS))),
)
def test_stream_in_batches_equals_one_pass(cuts: list[int], chunk: int, which: int) -> None:
    data = walk(200, 5)
    config = CONFIGS[which]
    whole = run_event(Mixed(stop_loss=0.02), data, config, spec="1h")
    streamed = run_event_stream(
        Mixed(stop_loss=0.02), batches(data, cuts), config, chunk_size=chunk
    )
    same(whole, streamed)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 50), st.sampled_from(["open", "close"]))
def test_explicit_orders_are_chunk_invariant(chunk: int, fill: str) -> None:
    data = walk(150, 9)
    config = BacktestConfig(fill=fill)
    whole = run_event(Orders(), data, config, spec="1h")
    chunked = run_event(Orders(), data, config, spec="1h", chunk_size=chunk)
    same(whole, chunked)
    assert len(whole.orders) > 5
    statuses = [o.status for o in whole.order_objects]
    assert statuses == [o.status for o in chunked.order_objects]


def test_stream_rejects_batches_out_of_order() -> None:
    data = walk(20, 1)
    parts = batches(data, [10])
    with pytest.raises(InvalidArgumentError):
        run_event_stream(Mixed(), [parts[1], parts[0]], BacktestConfig())


def test_stream_without_bars_raises() -> None:
    with pytest.raises(InvalidArgumentError):
        run_event_stream(Mixed(), [], BacktestConfig())


def test_result_arrays_are_compact_float64_of_one_value_per_bar() -> None:
    data = walk(3000, 2)
    result = run_event_stream(Mixed(), batches(data, [1000, 2000]), BacktestConfig())
    for arr in (result.equity, result.cash, result.position):
        assert arr.dtype == np.float64
        assert arr.shape == (3000,)
        assert arr.base is None  # its own buffer: the growth slack was released
