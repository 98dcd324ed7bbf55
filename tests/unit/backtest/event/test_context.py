"""The strategy context and the bar view."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from neural_trader.backtest.config import BacktestConfig
from neural_trader.backtest.event import BarView, run_event
from neural_trader.core.data import Bar
from neural_trader.strategies.base import Strategy, StrategyData
from neural_trader.testkit.bars import MINUTE, T0, bars, flat


class Probe(Strategy):
    """Records what the context and the bar say on every bar, and runs ``act``."""

    name = "probe"
    long_only = True

    def __init__(self, act: Any = None) -> None:
        super().__init__()
        self.act = act
        self.rows: list[tuple[Any, ...]] = []
        self.kept: list[Bar] = []
        self.views: list[Bar] = []

    def on_bar(self, ctx: Any, bar: Bar, **kwargs: Any) -> None:
        self.rows.append(
            (ctx.bar_index, ctx.symbol, bar.ts_event, bar.open, bar.high, bar.low, bar.close,
             bar.volume, ctx.feed("score"), ctx.feed("absent"), ctx.position, ctx.cash,
             ctx.equity)
        )  # fmt: skip
        assert isinstance(bar, BarView)
        self.kept.append(bar.copy())
        self.views.append(bar)
        if self.act is not None:
            self.act(ctx)


def test_bar_view_reads_each_bar_and_copy_is_a_frozen_bar() -> None:
    data = bars([(1, 2, 0.5, 1.5), (2, 3, 1.5, 2.5)], feeds={"score": [0.1, 0.2]})
    probe = Probe()
    run_event(probe, data, BacktestConfig(), chunk_size=1)
    assert [r[:8] for r in probe.rows] == [
        (0, "TEST", T0, 1.0, 2.0, 0.5, 1.5, 1e12),
        (1, "TEST", T0 + MINUTE, 2.0, 3.0, 1.5, 2.5, 1e12),
    ]
    assert isinstance(probe.views[0], BarView)
    assert isinstance(probe.views[0], Bar)
    assert type(probe.kept[0]) is Bar
    assert probe.kept[0].close == 1.5  # the copy keeps its bar; the view has moved on


def test_feed_reads_this_bar_and_unknown_feed_is_nan() -> None:
    data = flat([10, 11, 12], feeds={"score": [0.1, 0.2, 0.3]})
    probe = Probe()
    run_event(probe, data, BacktestConfig())
    assert [r[8] for r in probe.rows] == [0.1, 0.2, 0.3]
    assert all(math.isnan(r[9]) for r in probe.rows)


def test_position_cash_equity_reflect_fills_before_on_bar() -> None:
    data = flat([100, 110, 120])
    probe = Probe(lambda ctx: ctx.target(1.0))
    run_event(probe, data, BacktestConfig(fill="open"))
    # Bar 0: flat. Bar 1: bought 100 at its open (110) before on_bar. Bar 2: marked at 120.
    positions = [r[10] for r in probe.rows]
    assert positions == [0.0, 10_000 / 110, 10_000 / 110]
    assert probe.rows[2][12] == pytest.approx(10_000 / 110 * 120)
    assert probe.rows[0][11] == 10_000.0


def test_target_clips_to_long_only_range() -> None:
    data = flat([100, 100])
    probe = Probe(lambda ctx: ctx.target(-3.0))
    result = run_event(probe, data, BacktestConfig(fill="close"))
    assert len(result.orders) == 0  # clipped to 0: nothing to do


def test_target_above_one_is_clipped_to_one() -> None:
    data = flat([100, 100])
    probe = Probe(lambda ctx: ctx.target(5.0))
    result = run_event(probe, data, BacktestConfig(fill="close"))
    assert result.position[0] == 100.0


def test_explicit_order_quantity_rounds_down_to_instrument_grid_and_lot() -> None:
    data = flat([100, 100, 100])
    probe = Probe(lambda ctx: ctx.buy(2.9) if ctx.bar_index == 0 else None)
    result = run_event(probe, data, BacktestConfig(lot_size=1.0))
    assert result.position[-1] == 2.0


def test_order_ids_come_from_the_order_factory_with_bar_close_time() -> None:
    data = flat([100, 100])
    ids: list[str] = []
    probe = Probe(lambda ctx: ids.append(ctx.buy(1)) if ctx.bar_index == 0 else None)
    result = run_event(probe, data, BacktestConfig())
    assert ids == ["O-20231115-000100-001-1"]  # sent at 00:01, the close of the 00:00 bar
    assert result.order_objects[0].ts_init == T0 + MINUTE


def test_strategy_hooks_run_once_each() -> None:
    calls: list[str] = []

    class Hooks(Strategy):
        name = "hooks"

        def on_start(self, ctx: Any, **kwargs: Any) -> None:
            calls.append("start")

        def on_bar(self, ctx: Any, bar: Bar, **kwargs: Any) -> None:
            calls.append("bar")

        def on_stop(self, ctx: Any, **kwargs: Any) -> None:
            calls.append("stop")

    run_event(Hooks(), flat([1, 2, 3]), BacktestConfig(), chunk_size=2)
    assert calls == ["start", "bar", "bar", "bar", "stop"]


def test_equity_array_matches_numpy_layout() -> None:
    data = StrategyData(
        "X",
        np.arange(3, dtype=np.int64),
        np.ones(3),
        np.ones(3),
        np.ones(3),
        np.ones(3),
        np.ones(3),
    )
    result = run_event(Probe(), data, BacktestConfig())
    assert result.equity.tolist() == [10_000.0] * 3


def test_on_chunk_reports_progress_and_whatever_it_raises_stops_the_run() -> None:
    class StopError(Exception):
        pass

    seen: list[tuple[int, int]] = []
    calls: list[int] = []

    class Count(Strategy):
        name = "count"

        def on_bar(self, ctx: Any, bar: Any, **kwargs: Any) -> None:
            calls.append(ctx.bar_index)

    run_event(Count(), flat(list(range(1, 8))), BacktestConfig(), chunk_size=3,
              on_chunk=lambda d, t: seen.append((d, t)))  # fmt: skip
    assert seen == [(3, 7), (6, 7), (7, 7)]

    def stop_after_first(done: int, total: int) -> None:
        raise StopError

    calls.clear()
    with pytest.raises(StopError):
        run_event(Count(), flat(list(range(1, 8))), BacktestConfig(), chunk_size=3,
                  on_chunk=stop_after_first)  # fmt: skip
    assert calls == [0, 1, 2]  # the first chunk only
