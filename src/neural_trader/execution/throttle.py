"""Request pacing and read retries shared by every broker adapter.

Brokers publish a request quota (Alpaca: 200 requests a minute per account) and answer HTTP 429
past it. Two tools keep an adapter inside the quota and polite when it is hit anyway:

* :class:`TokenBucket` paces requests *before* they leave, so a burst of reads from the order
  manager (reconciliation after a reconnect) does not earn a 429 in the first place.
* :func:`retry_read` retries a *read* after a temporary failure, waiting what the broker asked
  (``Retry-After``) or an exponential backoff with jitter. Order creation is never passed
  through it: a resent order can be a duplicate order (see docs/decisions/0014).

Both take their clock, sleep and random source as arguments so that tests assert the waits
requested without waiting them.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

from neural_trader.core.errors import BrokerUnavailableError, InvalidArgumentError

__all__ = ["ALPACA_RATE_PER_MINUTE", "TokenBucket", "backoff_delay", "retry_read"]

T = TypeVar("T")

ALPACA_RATE_PER_MINUTE: Final = 200
_WINDOW_S: Final = 60.0

Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """At most ``rate_per_minute`` grants in any 60-second window.

    A classic token bucket (capacity ``rate``, refilled continuously) lets ``2 * rate`` requests
    through a window that straddles a full bucket and a refill, which is exactly the burst a
    broker's fixed-window counter punishes with 429s. This one keeps the instants of the last
    ``rate`` grants and grants again only once the oldest is more than 60 s old, so the quota
    holds for *every* 60 s window, not only on average. Memory is ``rate`` floats.

    ``try_acquire`` is synchronous and thread-safe (adapters share one bucket per account, and a
    worker thread may ask too); ``acquire`` is the coroutine request paths await.
    """

    def __init__(
        self,
        rate_per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if isinstance(rate_per_minute, bool) or not isinstance(rate_per_minute, int):
            raise InvalidArgumentError(f"rate_per_minute must be an int, got {rate_per_minute!r}")
        if rate_per_minute <= 0:
            raise InvalidArgumentError(f"rate_per_minute must be positive, got {rate_per_minute}")
        self.rate_per_minute = rate_per_minute
        self._clock = clock
        self._sleep = sleep
        self._grants: deque[float] = deque()
        self._lock = threading.Lock()

    def try_acquire(self) -> float:
        """Take a token now and return 0.0, or take nothing and return the seconds to wait
        before one frees up."""
        with self._lock:
            now = self._clock()
            horizon = now - _WINDOW_S
            while self._grants and self._grants[0] <= horizon:
                self._grants.popleft()
            if len(self._grants) < self.rate_per_minute:
                self._grants.append(now)
                return 0.0
            # The oldest grant leaves the window at grants[0] + 60; strictly after, hence the
            # tiny epsilon so the retry does not land exactly on the boundary and wait again.
            return max(self._grants[0] + _WINDOW_S - now, 0.0) + 1e-6

    async def acquire(self) -> None:
        """Wait (``asyncio.sleep``) until a token is free, then take it."""
        while True:
            wait = self.try_acquire()
            if wait == 0.0:
                return
            await self._sleep(wait)

    @property
    def in_window(self) -> int:
        """Grants in the last 60 s (for tests and diagnostics)."""
        with self._lock:
            horizon = self._clock() - _WINDOW_S
            return sum(1 for t in self._grants if t > horizon)


def backoff_delay(
    attempt: int, *, base_delay: float, max_delay: float, rng: random.Random
) -> float:
    """The wait after failed attempt number ``attempt`` (1-based): ``base * 2**(attempt-1)``
    capped at ``max_delay``, scaled by a jitter factor in [0.5, 1.0).

    Jitter keeps many clients that failed together from retrying together ("equal jitter":
    never less than half the nominal wait, so backoff still backs off).
    """
    nominal = min(max_delay, base_delay * 2.0 ** (attempt - 1))
    return nominal * (0.5 + rng.random() / 2.0)


async def retry_read(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int = 4,
    base_delay: float = 0.5,
    max_delay: float = 30.0,
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
) -> T:
    """Await ``call()`` up to ``attempts`` times, retrying only on
    :class:`~neural_trader.core.errors.BrokerUnavailableError` (which includes
    :class:`~neural_trader.core.errors.RateLimitedError`).

    The wait before a retry is the error's ``retry_after`` when the broker gave one (waiting less
    only earns another 429), else :func:`backoff_delay`. Any other exception, and the last
    temporary one once ``attempts`` are spent, propagates unchanged.
    """
    if attempts < 1:
        raise InvalidArgumentError(f"attempts must be at least 1, got {attempts}")
    rand = rng if rng is not None else random.Random()
    attempt = 1
    while True:
        try:
            return await call()
        except BrokerUnavailableError as exc:
            if attempt >= attempts:
                raise
            retry_after = getattr(exc, "retry_after", None)
            if retry_after is not None and retry_after >= 0:
                delay = float(retry_after)
            else:
                delay = backoff_delay(attempt, base_delay=base_delay, max_delay=max_delay, rng=rand)
            await sleep(delay)
            attempt += 1
