"""Trade sma_cross on Alpaca's live minute bars through the Alpaca broker, both pointed at a
fake Alpaca server, with a fault plan that can SIGKILL this process (a kill -9 subject).

Usage: python live_crash_runner.py HOME CONFIG_JSON [FAULT_PLAN_JSON]
SIGTERM stops it gracefully (exit 0).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from neural_trader.adapters.alpaca import AlpacaBroker, AlpacaConfig, alpaca_bar_feed
from neural_trader.backtest.config import BacktestConfig
from neural_trader.core.clock import LiveClock
from neural_trader.execution.journal import Journal
from neural_trader.execution.oms import OrderManager
from neural_trader.execution.runner import LiveRunner
from neural_trader.risk.checks import PreTradeRisk
from neural_trader.risk.limits import RiskLimits
from neural_trader.strategies import create_strategy
from neural_trader.testkit.faults import FaultPlan, FaultyBroker

WARMUP = 6


def main() -> None:
    import logging

    logging.basicConfig(level=logging.WARNING)
    home = Path(sys.argv[1])
    config = AlpacaConfig(**json.loads(sys.argv[2]))
    plan = FaultPlan.from_json(sys.argv[3]) if len(sys.argv) > 3 else FaultPlan()
    clock = LiveClock()
    journal = Journal.open(f"sqlite:///{home / 'trading.db'}", broker="alpaca")
    broker = FaultyBroker(AlpacaBroker(config, clock=clock), plan)
    oms = OrderManager(
        journal=journal, broker=broker, risk=PreTradeRisk(RiskLimits(), clock=clock.timestamp_ns),
        clock=clock,
    )  # fmt: skip
    runner = LiveRunner(
        strategy=create_strategy("sma_cross", fast=2, slow=4),
        feed=alpaca_bar_feed(
            config, "AAPL", clock=clock, warmup_bars=WARMUP, reconnect_delays=[0.05]
        ),
        oms=oms,
        config=BacktestConfig(cash=100_000.0, sizer="fixed", quantity=10.0, lot_size=1.0),
        clock=clock,
        run_key="live-crash",
    )
    summary = asyncio.run(runner.run())
    print(f"done {summary.bars} {summary.orders_sent} {summary.warmup_bars}", flush=True)


if __name__ == "__main__":
    main()
