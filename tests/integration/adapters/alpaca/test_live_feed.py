"""The live bar feed on Alpaca's market-data stream: warm-up history, reconnect and gap-fill
after a drop, duplicate and out-of-order bars, impossible ticks, a skewed broker clock, and the
live runner trading on it through the paper broker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from neural_trader.adapters.alpaca import alpaca_bar_feed
from neural_trader.backtest.config import BacktestConfig
from neural_trader.core.clock import LiveClock
from neural_trader.core.data import Bar
from neural_trader.core.errors import ProviderError
from neural_trader.execution.feeds import LiveBarFeed
from neural_trader.execution.journal import Journal
from neural_trader.execution.oms import OrderManager
from neural_trader.execution.paper import PaperBroker, PaperConfig
from neural_trader.execution.runner import LiveRunner
from neural_trader.risk.checks import PreTradeRisk
from neural_trader.risk.limits import RiskLimits
from neural_trader.strategies import create_strategy
from neural_trader.testkit.mocks.alpaca_server import FakeAlpacaServer

MIN = 60_000_000_000
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def minute(k: int, fake: FakeAlpacaServer) -> int:
    """The k-th minute before (negative) or after a fixed start an hour before server time."""
    base = (fake.now_ns() // MIN - 60) * MIN
    return base + k * MIN


def rest_bar(ts: int, close: float) -> dict[str, Any]:
    from neural_trader.adapters.alpaca.parsing import format_rfc3339

    return {"t": format_rfc3339(ts), "o": close, "h": close + 0.5, "l": close - 0.5, "c": close,
            "v": 1000}  # fmt: skip


def push(fake: FakeAlpacaServer, ts: int, close: float, **kw: Any) -> None:
    fake.push_bar("AAPL", close, close + 0.5, close - 0.5, close, 1000, ts_ns=ts, **kw)


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait (polling the loop) until ``predicate`` holds; fail the test after ``timeout``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


async def subscribed(fake: FakeAlpacaServer) -> None:
    await asyncio.to_thread(fake.wait_for_data_subscribers, 1, exactly=True)


async def stop(task: asyncio.Task[Any]) -> None:
    """Cancel a feed's task and wait for it: its stream closes inside the loop, so the fake
    server sees a clean close instead of a socket dropped at the loop's shutdown."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest.fixture(autouse=True)
def no_stale_subscribers(fake: FakeAlpacaServer) -> None:
    """A previous test's closed connection may still be registered for a moment (longer on a
    loaded CI machine)."""
    fake.wait_for_data_subscribers(0, timeout=30.0, exactly=True)


def make_feed(fake: FakeAlpacaServer, warmup: int = 0, **kw: Any) -> LiveBarFeed:
    return alpaca_bar_feed(
        fake.config(), "AAPL", clock=LiveClock(), warmup_bars=warmup,
        reconnect_delays=[0.05], **kw,
    )  # fmt: skip


async def collect(feed: LiveBarFeed, into: list[tuple[Bar, bool]]) -> None:
    async for bar in feed:
        into.append((bar, feed.tradable(bar)))


def test_history_warms_up_then_live_bars_are_tradable(fake: FakeAlpacaServer) -> None:
    t0 = minute(0, fake)
    fake.add_bars("AAPL", "1Min", [rest_bar(t0 + k * MIN, 100 + k) for k in range(8)])

    async def go() -> list[tuple[Bar, bool]]:
        feed = make_feed(fake, warmup=5)
        got: list[tuple[Bar, bool]] = []
        task = asyncio.create_task(collect(feed, got))
        await subscribed(fake)
        await until(lambda: len(got) == 5)
        push(fake, t0 + 8 * MIN, 108)
        await until(lambda: len(got) == 6)
        await stop(task)
        return got

    got = asyncio.run(go())
    # the newest five history bars, learned from but not traded; then the live bar
    assert [b.close for b, _ in got] == [103, 104, 105, 106, 107, 108]
    assert [t for _, t in got] == [False] * 5 + [True]


def test_a_drop_is_gap_filled_and_duplicates_and_stale_bars_are_dropped(
    fake: FakeAlpacaServer,
) -> None:
    t0 = minute(0, fake)
    # Bars 3..5 complete while the stream is down: Alpaca's history has them, the socket not.
    fake.add_bars("AAPL", "1Min", [rest_bar(t0 + k * MIN, 100 + k) for k in (3, 4, 5)])
    fake.drop_data_after = 2

    async def go() -> tuple[LiveBarFeed, list[tuple[Bar, bool]]]:
        feed = make_feed(fake)
        got: list[tuple[Bar, bool]] = []
        task = asyncio.create_task(collect(feed, got))
        await subscribed(fake)
        push(fake, t0 + 1 * MIN, 101, record=False)
        push(fake, t0 + 2 * MIN, 102, record=False)  # the server aborts after this frame
        await until(lambda: len(got) == 2)
        fake.drop_data_after = None
        await until(lambda: len(got) == 5)  # reconnected and gap-filled 3, 4, 5
        await subscribed(fake)
        push(fake, t0 + 5 * MIN, 105.5)  # a repeat of bar 5: dropped
        push(fake, t0 + 2 * MIN, 99)  # out of order: dropped
        push(fake, t0 + 6 * MIN, 106)
        await until(lambda: len(got) == 6)
        await stop(task)
        return feed, got

    feed, got = asyncio.run(go())
    assert [b.ts_event for b, _ in got] == [t0 + k * MIN for k in range(1, 7)]
    assert [b.close for b, _ in got] == [101, 102, 103, 104, 105, 106]
    # every missed bar is learned from, only the newest of them (and live ones) traded on
    assert [t for _, t in got] == [True, True, False, False, True, True]
    assert (feed.reconnects, feed.gap_filled, feed.duplicates) == (1, 3, 2)


def test_impossible_ticks_are_rejected_and_the_feed_goes_on(
    fake: FakeAlpacaServer, caplog: pytest.LogCaptureFixture
) -> None:
    t0 = minute(0, fake)

    async def go() -> list[tuple[Bar, bool]]:
        feed = make_feed(fake)
        got: list[tuple[Bar, bool]] = []
        task = asyncio.create_task(collect(feed, got))
        await subscribed(fake)
        fake.push_bar("AAPL", 100, 101, 99, float("nan"), 10, ts_ns=t0, record=False)
        fake.push_bar("AAPL", -1, 101, -2, 100, 10, ts_ns=t0 + MIN, record=False)
        push(fake, t0 + 2 * MIN, 100)
        await until(lambda: len(got) == 1)
        await stop(task)
        return got

    with caplog.at_level(logging.WARNING):
        got = asyncio.run(go())
    assert [b.close for b, _ in got] == [100]
    rejected = [r.getMessage() for r in caplog.records if "rejected bar" in r.getMessage()]
    assert len(rejected) == 2
    assert "not a finite number" in rejected[0]
    assert "negative" in rejected[1]


def test_a_broker_clock_ahead_of_ours_hides_no_bar(fake: FakeAlpacaServer) -> None:
    """Alpaca's clock 10 minutes ahead: its bars are 'in our future', and still all arrive."""
    fake.clock_offset_s = 600.0
    t0 = minute(0, fake)  # server time
    fake.add_bars("AAPL", "1Min", [rest_bar(t0 + k * MIN, 100 + k) for k in range(58, 61)])

    async def go() -> list[tuple[Bar, bool]]:
        feed = make_feed(fake, warmup=3)
        got: list[tuple[Bar, bool]] = []
        task = asyncio.create_task(collect(feed, got))
        await subscribed(fake)
        await until(lambda: len(got) == 3)
        push(fake, t0 + 61 * MIN, 161)
        await until(lambda: len(got) == 4)
        await stop(task)
        return got

    got = asyncio.run(go())
    assert [b.close for b, _ in got] == [158, 159, 160, 161]
    assert [t for _, t in got] == [False, False, False, True]


def test_a_refused_login_is_fatal_not_retried(fake: FakeAlpacaServer) -> None:
    feed = alpaca_bar_feed(
        fake.config(api_secret_key="wrong-secret-000000"), "AAPL", clock=LiveClock(),
        reconnect_delays=[0.01],
    )  # fmt: skip

    async def go() -> None:
        async for _ in feed:
            pass

    with pytest.raises(ProviderError, match="auth"):
        asyncio.run(go())


def test_runner_trades_live_bars_through_the_paper_broker(
    fake: FakeAlpacaServer, tmp_path: Path
) -> None:
    """Warm-up on history sends nothing; live bars trade; a NaN bar is skipped; stop() ends it."""
    t0 = minute(0, fake)
    closes = [100, 99, 98, 97, 96, 95]  # falling: sma_cross wants flat during warm-up
    fake.add_bars("AAPL", "1Min", [rest_bar(t0 + k * MIN, c) for k, c in enumerate(closes)])
    clock = LiveClock()
    paper = PaperBroker(tmp_path / "paper.db", PaperConfig(cash=10_000.0), clock=clock)
    journal = Journal.open(f"sqlite:///{tmp_path / 'trading.db'}", broker="paper")
    oms = OrderManager(
        journal=journal, broker=paper, risk=PreTradeRisk(RiskLimits(), clock=clock.timestamp_ns),
        clock=clock,
    )  # fmt: skip
    runner = LiveRunner(
        strategy=create_strategy("sma_cross", fast=2, slow=4),
        feed=make_feed(fake, warmup=6),
        oms=oms,
        config=BacktestConfig(cash=10_000.0, lot_size=1.0),
        clock=clock,
        run_key="live-test",
    )
    live = [101.0, 104.0, float("nan"), 108.0, 109.0]

    async def go() -> Any:
        task = asyncio.create_task(runner.run())
        await subscribed(fake)
        await until(lambda: runner.summary.warmup_bars == 6)
        assert journal.orders() == []  # nothing traded on history
        for k, close in enumerate(live, start=6):
            ts = t0 + k * MIN
            if close != close:  # NaN: the stream refuses it before the runner sees it
                fake.push_bar("AAPL", 104, 105, 103, close, 10, ts_ns=ts, record=False)
                continue
            push(fake, ts, close)
            await until(lambda ts=ts: runner.summary.last_bar_ts == ts)
        runner.stop()
        return await asyncio.wait_for(task, 5)

    try:
        summary = asyncio.run(go())
        orders = journal.orders()
        positions = {p.symbol: p.quantity for p in journal.positions()}
    finally:
        journal.close()
    assert summary.interrupted
    assert summary.warmup_bars == 6
    assert summary.bars == 4
    # fast (98) crosses above slow (97.25) on the first live bar: one buy, sized at its close
    # (101), filled by the paper venue at the next bar's open (104)
    assert [(o.side.value, o.status.value) for o in orders] == [("BUY", "FILLED")]
    assert orders[0].client_order_id.endswith("-6-open")
    assert orders[0].avg_fill_price == 104
    assert orders[0].filled_quantity == 10_000 // 101
    assert positions == {"AAPL": orders[0].filled_quantity}


def test_feed_validates_its_settings(fake: FakeAlpacaServer) -> None:
    from neural_trader.core.errors import InvalidArgumentError

    with pytest.raises(InvalidArgumentError, match="warm-up"):
        make_feed(fake, warmup=-1)
