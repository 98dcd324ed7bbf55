"""Fixtures for the Alpaca adapter tests: one fake Alpaca per test module, reset per test.

Everything talks to :class:`FakeAlpacaServer` on 127.0.0.1; nothing here reaches the internet.
Sleeps are injected (:class:`RecordedSleeps`) so retry tests assert the waits asked for without
waiting them.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from neural_trader.adapters.alpaca import AlpacaBroker
from neural_trader.execution.reports import ExecutionReport, FillReport
from neural_trader.testkit.mocks.alpaca_server import FakeAlpacaServer


class RecordedSleeps:
    """An ``asyncio.sleep`` stand-in that records the seconds asked and yields once."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeAlpacaServer]:
    with FakeAlpacaServer() as srv:
        yield srv


@pytest.fixture
def fake(server: FakeAlpacaServer) -> FakeAlpacaServer:
    server.reset()
    return server


@pytest.fixture
def sleeps() -> RecordedSleeps:
    return RecordedSleeps()


@pytest.fixture
def make_broker(fake: FakeAlpacaServer, sleeps: RecordedSleeps) -> Any:
    """``make_broker(**config_overrides)``: a broker on the fake with recorded sleeps."""

    def build(**overrides: Any) -> AlpacaBroker:
        return AlpacaBroker(fake.config(**overrides), sleep=sleeps, rng=random.Random(42))

    return build


async def _collect(
    stream: AsyncIterator[ExecutionReport], *, until_fills: int, timeout: float = 5.0
) -> list[ExecutionReport]:
    """Reports from ``stream`` until ``until_fills`` fill reports have arrived."""
    out: list[ExecutionReport] = []

    async def run() -> None:
        async for report in stream:
            out.append(report)
            if sum(isinstance(r, FillReport) for r in out) >= until_fills:
                return

    await asyncio.wait_for(run(), timeout)
    return out


@pytest.fixture
def collect() -> Any:
    """``await collect(broker.reports(), until_fills=n)``: reports up to the nth fill."""
    return _collect
