"""Switching the running strategy through the journal's control channel.

The request is written by "another process" (the feed writes it into the journal between two
bars, as ``switch_active_strategy`` would) and the runner applies it at the next bar's close.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from neural_trader.backtest.config import BacktestConfig
from neural_trader.core.clock import TestClock
from neural_trader.core.data import Bar, BarSpec
from neural_trader.core.errors import InvalidArgumentError, NotFoundError
from neural_trader.execution.control import SwitchRequest, read_switch, write_switch
from neural_trader.execution.journal import Journal, OrderRecord
from neural_trader.execution.oms import OrderManager
from neural_trader.execution.paper import PaperBroker, PaperConfig
from neural_trader.execution.runner import LOCK_KEY, LiveRunner, RunSummary
from neural_trader.risk.checks import PreTradeRisk
from neural_trader.risk.limits import RiskLimits
from neural_trader.strategies import create_strategy

DAY = BarSpec.parse("1d")
NS_DAY = 86_400_000_000_000
# Down, up, down: sma_cross(3, 8) crosses up at bar 12 (buys at 13's open) and down at bar 27.
PRICES = (
    [110.0 - k for k in range(10)]
    + [101.0 + 1.5 * k for k in range(1, 15)]
    + [122.0 - 1.5 * k for k in range(1, 21)]
)
SWITCH_AT = 18  # sma_cross is long here


class ScriptedFeed:
    """Replays bars; just before bar ``at`` it runs ``before`` (another process's write)."""

    is_replay = True
    paced = False
    symbol = "AAA"
    spec = DAY

    def __init__(self, prices: list[float], at: int | None, before: Callable[[], None]) -> None:
        self.prices = prices
        self.at = at
        self.before = before

    def tradable(self, bar: Bar) -> bool:
        return True

    async def __aiter__(self) -> AsyncIterator[Bar]:
        for i, p in enumerate(self.prices):
            if i == self.at:
                self.before()
            yield Bar("AAA", DAY, (i + 1) * NS_DAY, p, p + 0.5, p - 0.5, p, 1e6)


def run(
    root: Path,
    *,
    prices: list[float] = PRICES,
    request: SwitchRequest | None = None,
    at: int | None = SWITCH_AT,
    strategy: str = "sma_cross",
) -> tuple[RunSummary, list[OrderRecord], SwitchRequest | None]:
    clock = TestClock(NS_DAY)
    paper = PaperBroker(root / "paper.db", PaperConfig(cash=10_000.0), clock=clock)
    journal = Journal.open(f"sqlite:///{root / 'trading.db'}", broker="paper")

    def write() -> None:
        if request is not None:
            write_switch(journal, request, ts_init=clock.timestamp_ns())

    oms = OrderManager(
        journal=journal,
        broker=paper,
        risk=PreTradeRisk(RiskLimits(), clock=clock.timestamp_ns),
        clock=clock,
    )
    runner = LiveRunner(
        strategy=create_strategy(strategy, fast=3, slow=8)
        if strategy == "sma_cross"
        else create_strategy(strategy),
        feed=ScriptedFeed(prices, at, write),
        oms=oms,
        config=BacktestConfig(cash=10_000.0, lot_size=1.0),
        clock=clock,
        run_key="switch-test",
        control_poll_s=0.0,
    )
    try:
        summary = asyncio.run(runner.run())
        orders = sorted(journal.orders(), key=lambda r: r.ts_created)
        return summary, orders, read_switch(journal)
    finally:
        journal.close()


def bar_of(order: OrderRecord) -> int:
    return int(order.client_order_id.split("-")[-2])


def test_take_over_keeps_the_position_and_the_new_strategy_decides(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    _base, base_orders, _ = run(tmp_path / "a", at=None)
    assert [o.side.value for o in base_orders] == ["BUY", "SELL"]
    assert bar_of(base_orders[1]) > SWITCH_AT  # without a switch, sma_cross sells later

    (tmp_path / "b").mkdir()
    req = SwitchRequest(from_strategy="sma_cross", to_strategy="buy_and_hold")
    summary, orders, answer = run(tmp_path / "b", request=req)
    # buy_and_hold wants 1, the position already is: nothing more is traded.
    assert [o.side.value for o in orders] == ["BUY"]
    assert orders[0].strategy == "sma_cross"
    assert summary.strategy == "buy_and_hold"
    assert summary.position == base_orders[0].quantity
    assert answer is not None
    assert answer.status == "applied"
    assert answer.closing == "none"
    assert answer.position_before == float(base_orders[0].quantity)
    assert answer.bar_ts == (SWITCH_AT + 1) * NS_DAY
    assert summary.switches[0]["warmup_bars"] == SWITCH_AT


def test_close_positions_flattens_at_the_next_open_then_the_new_strategy_trades(
    tmp_path: Path,
) -> None:
    req = SwitchRequest(from_strategy="sma_cross", to_strategy="buy_and_hold", close_positions=True)
    summary, orders, answer = run(tmp_path, request=req)
    sides = [(o.side.value, bar_of(o), o.strategy) for o in orders]
    assert sides[0][0] == "BUY"
    assert sides[0][2] == "sma_cross"
    # the close at the next bar's open, the new strategy's entry one bar later
    assert sides[1] == ("SELL", SWITCH_AT + 1, "buy_and_hold")
    assert sides[2] == ("BUY", SWITCH_AT + 2, "buy_and_hold")
    assert len(sides) == 3
    assert orders[1].quantity == orders[0].quantity
    assert float(orders[1].avg_fill_price or 0) == PRICES[SWITCH_AT + 1]  # the open of t+1
    assert answer is not None
    assert answer.status == "applied"
    assert answer.closing == "done"
    assert [o["client_order_id"] for o in answer.closing_orders] == [orders[1].client_order_id]
    assert summary.position > 0


def test_a_mismatched_request_is_refused_and_trading_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    _, base_orders, _ = run(tmp_path / "a", at=None)
    (tmp_path / "b").mkdir()
    req = SwitchRequest(from_strategy="momentum", to_strategy="buy_and_hold")
    summary, orders, answer = run(tmp_path / "b", request=req)
    assert answer is not None
    assert answer.status == "refused"
    assert "running strategy is 'sma_cross'" in (answer.reason or "")
    assert summary.strategy == "sma_cross"
    assert [(o.side, o.quantity, o.client_order_id) for o in orders] == [
        (o.side, o.quantity, o.client_order_id) for o in base_orders
    ]


def test_invalid_parameters_in_a_request_are_refused_by_the_runner(tmp_path: Path) -> None:
    req = SwitchRequest(
        from_strategy="sma_cross", to_strategy="sma_cross", params={"fast": 9, "slow": 3}
    )
    summary, _, answer = run(tmp_path, request=req)
    assert answer is not None
    assert answer.status == "refused"
    assert answer.reason
    assert summary.switches == []


def test_a_restart_resumes_with_the_switched_in_strategy(tmp_path: Path) -> None:
    req = SwitchRequest(from_strategy="sma_cross", to_strategy="buy_and_hold")
    first, _, _ = run(tmp_path, prices=PRICES[: SWITCH_AT + 3], request=req)
    assert first.strategy == "buy_and_hold"
    # The same command again (it names sma_cross) over the whole file: the run resumes, and
    # the journal says buy_and_hold is what runs, so the fall does not make it sell.
    again, orders, _ = run(tmp_path, at=None)
    assert again.resumed
    assert again.strategy == "buy_and_hold"
    assert any("resumed with buy_and_hold" in n for n in again.notes)
    assert [o.side.value for o in orders] == ["BUY"]


# -- the service: validation before anything is written ----------------------------------------


@pytest.fixture
def running(nt_home: Path) -> Callable[..., None]:
    """Pretend this process is a runner of ``strategy`` on the paper account."""
    import os

    from neural_trader.config import load_settings

    def start(strategy: str = "sma_cross", params: dict[str, Any] | None = None) -> None:
        settings = load_settings()
        settings.home.mkdir(parents=True, exist_ok=True)
        with Journal.open(settings.trading_db_url, broker="paper") as journal:
            journal.set_state(
                LOCK_KEY,
                {
                    "pid": os.getpid(),
                    "since": 0,
                    "run": f"{strategy}:AAA:x",
                    "strategy": strategy,
                    "params": params or dict(create_strategy(strategy).p.as_dict()),
                    "symbol": "AAA",
                },
                ts_init=0,
            )

    return start


def test_service_refuses_when_nothing_runs(nt_home: Path) -> None:
    from neural_trader.services.runners import switch_strategy

    with pytest.raises(NotFoundError, match="no strategy is running"):
        switch_strategy("sma_cross", "buy_and_hold", wait_seconds=0)


def test_service_validates_before_writing(running: Callable[..., None]) -> None:
    from neural_trader.services.runners import switch_status, switch_strategy

    running()
    with pytest.raises(InvalidArgumentError, match="running strategy is 'sma_cross'"):
        switch_strategy("momentum", "buy_and_hold", wait_seconds=0)
    with pytest.raises(NotFoundError, match="buy_and_hodl"):
        switch_strategy("sma_cross", "buy_and_hodl", wait_seconds=0)
    with pytest.raises(InvalidArgumentError, match="no parameter"):
        switch_strategy("sma_cross", "momentum", parameters={"nope": 1}, wait_seconds=0)
    with pytest.raises(InvalidArgumentError, match="already running"):
        switch_strategy("sma_cross", "sma_cross", wait_seconds=0)
    assert switch_status() is None  # nothing was written

    out = switch_strategy("sma_cross", "sma_cross", parameters={"fast": 5}, wait_seconds=0.1)
    assert out.switch_status == "pending"
    assert out.parameters["fast"] == 5
    assert out.runner is not None
    assert out.runner.strategy == "sma_cross"
    with pytest.raises(InvalidArgumentError, match="still pending"):
        switch_strategy("sma_cross", "buy_and_hold", wait_seconds=0)
    status = switch_status()
    assert status is not None
    assert status.request_id == out.request_id


def test_adaptive_selection_switches_the_runner_of_the_symbol(
    running: Callable[..., None], tmp_path: Path
) -> None:
    from neural_trader.data.catalog import Catalog
    from neural_trader.data.providers.sample import load_sample
    from neural_trader.services.runners import adaptive_selection

    catalog = Catalog(tmp_path / "catalog")
    catalog.write_bars("AAA", "1d", load_sample("SPX").iloc[-1500:], mode="overwrite")
    running("sma_cross")
    out = adaptive_selection("AAA", auto_switch=True, wait_seconds=0.1, catalog=catalog)
    assert out.selected_strategy == out.strategy_rankings[0].strategy
    if out.selected_strategy == "sma_cross":
        assert out.switch_result is None
        assert "already running" in (out.switch_note or "")
    else:
        assert out.switch_note is None
        assert out.switch_result is not None
        assert out.switch_result.switch_status == "pending"  # no real runner answers here
        assert out.switch_result.to_strategy == out.selected_strategy
        assert out.switch_result.from_strategy == "sma_cross"


def test_a_close_pending_at_a_crash_is_done_by_the_restarted_runner(tmp_path: Path) -> None:
    req = SwitchRequest(from_strategy="sma_cross", to_strategy="buy_and_hold", close_positions=True)
    # The run ends (as a crash would) right after the switch bar: the close is still due.
    _, before, answer = run(tmp_path, prices=PRICES[: SWITCH_AT + 1], request=req)
    assert [o.side.value for o in before] == ["BUY"]
    assert answer is not None
    assert answer.status == "applied"
    assert answer.closing == "pending"
    again, orders, done = run(tmp_path, at=None)
    assert again.strategy == "buy_and_hold"
    sides = [(o.side.value, bar_of(o), o.strategy) for o in orders]
    assert sides == [
        ("BUY", sides[0][1], "sma_cross"),
        ("SELL", SWITCH_AT + 1, "buy_and_hold"),
        ("BUY", SWITCH_AT + 2, "buy_and_hold"),
    ]
    assert done is not None
    assert done.closing == "done"
    assert [o["client_order_id"] for o in done.closing_orders] == [orders[1].client_order_id]
