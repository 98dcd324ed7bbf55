"""The shared request pacer and read-retry policy (no network; a fake clock and sleep)."""

from __future__ import annotations

import asyncio
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neural_trader.core.errors import (
    BrokerError,
    BrokerUnavailableError,
    InvalidArgumentError,
    RateLimitedError,
)
from neural_trader.execution.throttle import TokenBucket, backoff_delay, retry_read


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_bucket_grants_the_quota_then_asks_to_wait_until_the_oldest_leaves_the_window() -> None:
    t = FakeTime()
    bucket = TokenBucket(3, clock=t.clock)
    assert [bucket.try_acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    t.now += 10
    wait = bucket.try_acquire()
    assert wait == pytest.approx(50.0, abs=1e-3)  # the first grant leaves at +60 s
    t.now += wait
    assert bucket.try_acquire() == 0.0


def test_acquire_sleeps_rather_than_exceeding_the_quota() -> None:
    t = FakeTime()
    bucket = TokenBucket(200, clock=t.clock, sleep=t.sleep)

    async def go() -> list[float]:
        grants = []
        for _ in range(450):
            await bucket.acquire()
            grants.append(t.now)
        return grants

    grants = asyncio.run(go())
    assert len(t.sleeps) >= 2
    # No 60 s window holds more than 200 grants.
    for i, start in enumerate(grants):
        in_window = sum(1 for g in grants[i:] if g < start + 60.0)
        assert in_window <= 200


@settings(max_examples=60, deadline=None)
@given(
    rate=st.integers(min_value=1, max_value=20),
    gaps=st.lists(st.floats(min_value=0.0, max_value=40.0), min_size=1, max_size=120),
)
def test_no_sixty_second_window_ever_exceeds_the_rate(rate: int, gaps: list[float]) -> None:
    t = FakeTime()
    bucket = TokenBucket(rate, clock=t.clock)
    grants: list[float] = []
    for gap in gaps:
        t.now += gap
        if bucket.try_acquire() == 0.0:
            grants.append(t.now)
    for i, start in enumerate(grants):
        assert sum(1 for g in grants[i:] if g < start + 60.0) <= rate


def test_bucket_refuses_a_non_positive_rate() -> None:
    with pytest.raises(InvalidArgumentError):
        TokenBucket(0)


def test_retry_read_honours_retry_after_and_counts_calls() -> None:
    t = FakeTime()
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise RateLimitedError("429", retry_after=2.5)
        return "ok"

    out = asyncio.run(retry_read(flaky, sleep=t.sleep, rng=random.Random(1)))
    assert out == "ok"
    assert calls == 3
    assert t.sleeps == [2.5, 2.5]


def test_retry_read_backs_off_exponentially_with_seeded_jitter_then_reraises() -> None:
    t = FakeTime()
    calls = 0

    async def down() -> None:
        nonlocal calls
        calls += 1
        raise BrokerUnavailableError("503")

    with pytest.raises(BrokerUnavailableError, match="503"):
        asyncio.run(
            retry_read(
                down, attempts=4, base_delay=0.5, max_delay=30, sleep=t.sleep, rng=random.Random(7)
            )
        )
    assert calls == 4
    expected_rng = random.Random(7)
    expected = [backoff_delay(i, base_delay=0.5, max_delay=30, rng=expected_rng) for i in (1, 2, 3)]
    assert t.sleeps == expected
    for i, slept in enumerate(t.sleeps, start=1):
        nominal = 0.5 * 2 ** (i - 1)
        assert nominal / 2 <= slept < nominal


def test_backoff_is_capped_at_max_delay() -> None:
    rng = random.Random(3)
    assert all(backoff_delay(20, base_delay=0.5, max_delay=4.0, rng=rng) < 4.0 for _ in range(50))


def test_retry_read_does_not_retry_a_definitive_error() -> None:
    t = FakeTime()
    calls = 0

    async def forbidden() -> None:
        nonlocal calls
        calls += 1
        raise BrokerError("403 forbidden")

    with pytest.raises(BrokerError, match="403"):
        asyncio.run(retry_read(forbidden, sleep=t.sleep, rng=random.Random(0)))
    assert calls == 1
    assert t.sleeps == []
