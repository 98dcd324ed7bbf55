"""Live orders are sized at the last close and fill at the next price: the size buffer keeps an
all-in buy affordable when the price gaps up before the fill."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from neural_trader.backtest.config import BacktestConfig
from neural_trader.core.clock import TestClock
from neural_trader.core.data import Bar, BarSpec
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.execution.journal import Journal
from neural_trader.execution.oms import OrderManager
from neural_trader.execution.paper import PaperBroker, PaperConfig
from neural_trader.execution.runner import LiveRunner
from neural_trader.risk.checks import PreTradeRisk
from neural_trader.risk.limits import RiskLimits
from neural_trader.strategies import create_strategy

M1 = BarSpec.parse("1m")
MIN = 60_000_000_000


class LiveBars:
    """Bars as a live feed delivers them: not a replay, so the runner acts at each close."""

    is_replay = False
    paced = False
    symbol = "AAA"
    spec = M1

    def tradable(self, bar: Bar) -> bool:
        return True

    async def __aiter__(self) -> AsyncIterator[Bar]:
        # the second bar opens 0.3% above the first's close, where the buy was sized
        for k, (o, c) in enumerate([(100.0, 100.0), (100.3, 100.4), (100.4, 100.4)]):
            yield Bar("AAA", M1, (k + 1) * MIN, o, max(o, c), min(o, c), c, 1e6)


def cash_after(root: Path, buffer: float) -> tuple[float, float]:
    clock = TestClock(MIN)
    paper = PaperBroker(root / "paper.db", PaperConfig(cash=10_000.0, fee_rate=0.001), clock=clock)
    journal = Journal.open(f"sqlite:///{root / 'trading.db'}", broker="paper")
    oms = OrderManager(
        journal=journal,
        broker=paper,
        risk=PreTradeRisk(RiskLimits(), clock=clock.timestamp_ns),
        clock=clock,
    )
    runner = LiveRunner(
        strategy=create_strategy("buy_and_hold"),
        feed=LiveBars(),
        oms=oms,
        config=BacktestConfig(cash=10_000.0, fee_rate=0.001),
        clock=clock,
        run_key="sizing",
        size_buffer=buffer,
    )
    try:
        summary = asyncio.run(runner.run())
    finally:
        journal.close()
    return summary.cash, summary.position


def test_without_a_buffer_a_gap_up_overdraws_and_with_one_it_does_not(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    cash, held = cash_after(tmp_path / "a", 0.0)
    assert cash < 0  # sized at 100, filled at 100.3: the account went negative
    cash_b, held_b = cash_after(tmp_path / "b", 0.005)
    assert cash_b >= 0
    assert held_b == pytest.approx(10_000.0 / (100.0 * 1.005 * 1.001), rel=1e-6)
    assert held_b < held


def test_the_buffer_is_bounded(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="size buffer"):
        cash_after(tmp_path, 0.5)
