"""Bar-to-order latency: strategy decision -> planner -> risk checks -> journal -> paper broker.

Prints p50/p99 of the time from handing a target to the runner's order path until the
broker's acknowledgement is journaled (issue 4 target: p99 under 1 ms). Never asserts.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

from neural_trader.backtest.config import BacktestConfig
from neural_trader.core.clock import TestClock
from neural_trader.core.data import Bar, BarSpec
from neural_trader.core.enums import OrderSide, OrderType
from neural_trader.execution.journal import Journal
from neural_trader.execution.oms import OrderManager
from neural_trader.execution.paper import PaperBroker, PaperConfig
from neural_trader.execution.planner import TargetPlanner
from neural_trader.execution.reports import OrderRequest
from neural_trader.risk.checks import PreTradeRisk
from neural_trader.risk.limits import RiskLimits

N = 2000


async def measure(home: Path) -> np.ndarray:
    clock = TestClock(0)
    paper = PaperBroker(home / "paper.db", PaperConfig(cash=1e9), clock=clock)
    journal = Journal.open(f"sqlite:///{home / 'trading.db'}", broker="paper")
    limits = RiskLimits(max_order_notional=1e8, max_position=1e7, max_orders_per_minute=10**6)
    oms = OrderManager(
        journal=journal, broker=paper, risk=PreTradeRisk(limits, clock=clock.timestamp_ns),
        clock=clock,
    )  # fmt: skip
    planner = TargetPlanner(BacktestConfig(cash=1e9, sizer="fixed", quantity=10.0))
    spec = BarSpec.parse("1m")
    out = np.empty(N)
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
        out[i] = (time.perf_counter_ns() - t0) / 1e3
        position = sum(o.quantity * o.side for o in orders)
    journal.close()
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        lat = asyncio.run(measure(Path(tmp)))
    warm = lat[100:]
    print(
        f"bar-to-order (planner + risk + journal intent + paper submit + journal ack), "
        f"{len(warm)} decisions on SQLite: p50 {np.percentile(warm, 50):.0f} us, "
        f"p99 {np.percentile(warm, 99):.0f} us (target p99 < 1000 us)"
    )


if __name__ == "__main__":
    main()
