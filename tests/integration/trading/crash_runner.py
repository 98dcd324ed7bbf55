"""Run sma_cross on a bar file through a fault-injecting paper broker (a kill -9 subject).

Usage: python crash_runner.py HOME BARS_FILE [FAULT_PLAN_JSON [MAX_VOLUME_FRACTION]]
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from neural_trader.backtest.config import BacktestConfig
from neural_trader.core.clock import TestClock
from neural_trader.core.data import BarSpec
from neural_trader.execution.feeds import ReplayFeed
from neural_trader.execution.journal import Journal
from neural_trader.execution.oms import OrderManager
from neural_trader.execution.paper import PaperBroker, PaperConfig
from neural_trader.execution.runner import LiveRunner
from neural_trader.risk.checks import PreTradeRisk
from neural_trader.risk.limits import RiskLimits
from neural_trader.services.research import load_bars
from neural_trader.strategies import create_strategy
from neural_trader.testkit.faults import FaultPlan, FaultyBroker


def main() -> None:
    home, bars = Path(sys.argv[1]), Path(sys.argv[2])
    plan = FaultPlan.from_json(sys.argv[3]) if len(sys.argv) > 3 else FaultPlan()
    cap = float(sys.argv[4]) if len(sys.argv) > 4 else None
    _, spec, frame = load_bars(symbol=None, data_file=bars)
    clock = TestClock(int(frame["ts_event"].iloc[0]))
    paper = PaperBroker(
        home / "paper.db",
        PaperConfig(cash=10_000.0, fee_rate=0.001, max_volume_fraction=cap),
        clock=clock,
    )
    journal = Journal.open(f"sqlite:///{home / 'trading.db'}", broker="paper")
    broker = FaultyBroker(paper, plan)
    oms = OrderManager(
        journal=journal, broker=broker, risk=PreTradeRisk(RiskLimits(), clock=clock.timestamp_ns),
        clock=clock,
    )  # fmt: skip
    runner = LiveRunner(
        strategy=create_strategy("sma_cross", fast=3, slow=8),
        feed=ReplayFeed(frame, symbol="X", spec=BarSpec.parse(spec)),
        oms=oms,
        config=BacktestConfig(cash=10_000.0, fee_rate=0.001, lot_size=1.0),
        clock=clock,
        run_key="crash-test",
        paper=paper,  # the faulty wrapper hides the paper broker the runner feeds bars to
    )
    summary = asyncio.run(runner.run())
    print(f"done {summary.bars} {summary.orders_sent}")


if __name__ == "__main__":
    main()
