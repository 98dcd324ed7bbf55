"""Bar-to-order latency: strategy decision -> planner -> risk checks -> journal -> paper broker.

Prints p50/p99 of two spans starting when the runner's order path gets a new target:
**bar-to-order**, until the order reaches the broker (the intent is durably journaled first:
that write is inside the span), and **bar-to-ack**, until the broker's acknowledgement is
journaled too. Issue 4's target: bar-to-order p99 under 1 ms. Never asserts.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from neural_trader.backtest.config import BacktestConfig
from neural_trader.core.clock import LiveClock, TestClock
from neural_trader.core.data import Bar, BarSpec
from neural_trader.core.enums import OrderSide, OrderType
from neural_trader.execution.feeds import ReplayFeed
from neural_trader.execution.journal import Journal
from neural_trader.execution.oms import OrderManager
from neural_trader.execution.paper import PaperBroker, PaperConfig
from neural_trader.execution.planner import TargetPlanner
from neural_trader.execution.reports import OrderRequest, OrderStatusReport
from neural_trader.execution.runner import LiveRunner
from neural_trader.risk.checks import PreTradeRisk
from neural_trader.risk.limits import RiskLimits
from neural_trader.strategies import create_strategy

N = 2000


class Stopwatch(PaperBroker):
    """The paper broker, noting when each order arrives (the end of bar-to-order)."""

    arrived: int = 0

    async def submit_order(self, request: OrderRequest) -> OrderStatusReport:
        self.arrived = time.perf_counter_ns()
        return self.submit(request)


async def measure(home: Path) -> tuple[np.ndarray, np.ndarray]:
    clock = TestClock(0)
    paper = Stopwatch(home / "paper.db", PaperConfig(cash=1e9), clock=clock)
    journal = Journal.open(f"sqlite:///{home / 'trading.db'}", broker="paper")
    limits = RiskLimits(max_order_notional=1e8, max_position=1e7, max_orders_per_minute=10**6)
    oms = OrderManager(
        journal=journal, broker=paper, risk=PreTradeRisk(limits, clock=clock.timestamp_ns),
        clock=clock,
    )  # fmt: skip
    planner = TargetPlanner(BacktestConfig(cash=1e9, sizer="fixed", quantity=10.0))
    spec = BarSpec.parse("1m")
    to_order = np.empty(N)
    to_ack = np.empty(N)
    position = 0.0
    for i in range(N):
        clock.set_time((i + 1) * 60_000_000_000)
        paper.on_bar(Bar("X", spec, i * 60_000_000_000, 100.0, 100.5, 99.5, 100.0, 1e6))
        oms.update_price("X", 100.0)
        want = 1.0 if i % 2 == 0 else 0.0  # one order per decision: open, then close
        t0 = time.perf_counter_ns()
        orders, _, _ = planner.plan(
            want=want, acted=1.0 - want, price=100.0, cash=paper.cash, position=position,
            sigma=math.nan,
        )  # fmt: skip
        assert len(orders) == 1
        for k, planned in enumerate(orders):
            await oms.submit(
                OrderRequest(
                    client_order_id=f"B-{i}-{k}",
                    symbol="X",
                    side=OrderSide.BUY if planned.side > 0 else OrderSide.SELL,
                    order_type=OrderType.MARKET,
                    quantity=Decimal(repr(planned.quantity)),
                )
            )
        to_ack[i] = (time.perf_counter_ns() - t0) / 1e3
        to_order[i] = (paper.arrived - t0) / 1e3
        position += sum(o.quantity * o.side for o in orders)
    journal.close()
    return to_order, to_ack


class StampedFeed:
    """Bars of a frame, stamping the moment each bar is handed to the runner. As a replay
    (``replay=True``) the runner acts at the bar's open, before the paper venue matches it;
    as a live feed it first lets the venue match the bar (fills of the previous orders
    settle), then runs the strategy and acts at once."""

    paced = False

    def __init__(self, frame: pd.DataFrame, spec: BarSpec, *, replay: bool) -> None:
        self.is_replay = replay
        self.symbol = "X"
        self.spec = spec
        self.inner = ReplayFeed(frame, symbol="X", spec=spec)
        self.stamp = 0

    def tradable(self, bar: Bar) -> bool:
        return True

    async def __aiter__(self) -> AsyncIterator[Bar]:
        async for bar in self.inner:
            self.stamp = time.perf_counter_ns()
            yield bar


async def measure_runner(home: Path, *, replay: bool, n: int = 3000) -> np.ndarray:
    """The whole runner path from a bar's arrival to an order at the broker, on bars that
    zigzag so that sma_cross acts often (see :class:`StampedFeed` for the two orders)."""
    spec = BarSpec.parse("1m")
    close = 100.0 + np.where(np.arange(n) % 4 < 2, 0.0, 2.0)
    frame = pd.DataFrame(
        {
            "ts_event": np.arange(n, dtype=np.int64) * spec.nanos,
            "open": close, "high": close + 0.5, "low": close - 0.5, "close": close,
            "volume": 1e6,
        }
    )  # fmt: skip
    clock = LiveClock()
    paper = Stopwatch(home / "paper.db", PaperConfig(cash=1e9), clock=clock)
    feed = StampedFeed(frame, spec, replay=replay)
    lat: list[float] = []
    orig = paper.submit_order

    async def timed(request: OrderRequest) -> OrderStatusReport:
        lat.append((time.perf_counter_ns() - feed.stamp) / 1e3)
        return await orig(request)

    paper.submit_order = timed  # type: ignore[method-assign]
    journal = Journal.open(f"sqlite:///{home / 'trading.db'}", broker="paper")
    limits = RiskLimits(max_order_notional=1e8, max_position=1e7, max_orders_per_minute=10**6)
    oms = OrderManager(
        journal=journal, broker=paper, risk=PreTradeRisk(limits, clock=clock.timestamp_ns),
        clock=clock,
    )  # fmt: skip
    runner = LiveRunner(
        strategy=create_strategy("sma_cross", fast=2, slow=3),
        feed=feed,
        oms=oms,
        config=BacktestConfig(cash=1e9, sizer="fixed", quantity=10.0),
        clock=clock,
        run_key="bench",
    )
    await runner.run()
    journal.close()
    return np.array(lat)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        to_order, to_ack = asyncio.run(measure(Path(tmp)))
    n = len(to_order) - 100
    for name, lat, what in (
        ("bar-to-order", to_order[100:], "planner + risk + journal intent, until the broker"),
        ("bar-to-ack", to_ack[100:], "... + paper submit + journal ack"),
    ):
        print(
            f"{name} ({what}), {n} decisions on SQLite: p50 {np.percentile(lat, 50):.0f} us, "
            f"p99 {np.percentile(lat, 99):.0f} us"
            + (" (target p99 < 1000 us)" if name == "bar-to-order" else "")
        )
    for replay, what in (
        (True, "replay: bar in, kill-switch check, planner, risk, journal intent"),
        (False, "live: bar in, paper venue matches and settles fills, sma_cross, planner, risk, "
         "journal intent"),
    ):  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            whole = asyncio.run(measure_runner(Path(tmp), replay=replay))[50:]
        print(
            f"bar-to-order through the runner ({what}; until the broker), {len(whole)} orders: "
            f"p50 {np.percentile(whole, 50):.0f} us, p99 {np.percentile(whole, 99):.0f} us"
        )


if __name__ == "__main__":
    main()
