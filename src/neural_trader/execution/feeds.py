"""Bar sources for the live runner: a replayed file (or catalog range) and live streams.

A feed yields core :class:`~neural_trader.core.data.Bar` objects in time order. The replay
feed paces bars at ``speed`` times real time (``None``: as fast as the loop runs); pacing is a
replay setting, the bars and every number computed from them are the file's.

The live feed (:class:`LiveBarFeed`) turns a venue's market-data stream into the same bars and
owns what makes a stream tradable: the history a strategy warms up on, reconnecting after a
drop, gap-filling the bars the drop hid from the venue's REST history, and dropping duplicate
or out-of-order bars. Bars the runner must only *learn* from (history, and every gap bar but
the newest) are reported by :meth:`LiveBarFeed.tradable`, so a reconnect never fires a burst of
orders on stale prices.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Final, Protocol

import numpy as np
import pandas as pd

from neural_trader.core.clock import Clock
from neural_trader.core.data import Bar, BarSpec, QuoteTick
from neural_trader.core.errors import InvalidArgumentError, TemporaryProviderError

__all__ = [
    "AggregatingFeed",
    "BarFeed",
    "HistoryFetch",
    "LiveBarFeed",
    "MarketStream",
    "ReplayFeed",
    "bar_problem",
    "frame_bars",
]

log = logging.getLogger(__name__)

_DAY_NS: Final = 86_400 * 1_000_000_000
_RECONNECT_DELAYS: Final = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class BarFeed(Protocol):
    symbol: str
    spec: BarSpec
    is_replay: bool
    paced: bool
    """True when waiting for the next bar can take a while (live data, a paced replay): the
    runner then races each wait against a stop request instead of checking between bars."""

    def __aiter__(self) -> AsyncIterator[Bar]: ...

    def tradable(self, bar: Bar) -> bool:
        """False for a bar the strategy should learn from but not trade on (history)."""
        ...


class MarketStream(Protocol):
    """A venue's live market data: connected once subscribed; iteration ends a drop with
    :class:`TemporaryProviderError`."""

    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    def __aiter__(self) -> AsyncIterator[Bar | QuoteTick]: ...


HistoryFetch = Callable[[int, int], Awaitable[pd.DataFrame]]
"""``(start_ns, end_ns)``, both inclusive, to a canonical bar frame of completed bars."""


def frame_bars(frame: pd.DataFrame, symbol: str, spec: BarSpec) -> list[Bar]:
    """The rows of a canonical bar frame as core bars, in order."""
    ts = np.ascontiguousarray(frame["ts_event"].to_numpy(), dtype=np.int64).tolist()
    o, h, lo, c, v = (
        np.ascontiguousarray(frame[col].to_numpy(), dtype=np.float64).tolist()
        for col in ("open", "high", "low", "close", "volume")
    )
    return [Bar(symbol, spec, t, o[i], h[i], lo[i], c[i], v[i]) for i, t in enumerate(ts)]


class ReplayFeed:
    """Bars of a canonical frame (``neural_trader.data.schema``), replayed in order."""

    is_replay = True

    def __init__(
        self, frame: pd.DataFrame, *, symbol: str, spec: BarSpec, speed: float | None = None
    ) -> None:
        if speed is not None and (not math.isfinite(speed) or speed <= 0):
            raise InvalidArgumentError(f"--speed must be 'max' or a positive number, got {speed}")
        self.symbol = symbol
        self.spec = spec
        self.speed = speed
        self.paced = speed is not None
        self._ts = np.ascontiguousarray(frame["ts_event"].to_numpy(), dtype=np.int64).tolist()
        self._cols = [
            np.ascontiguousarray(frame[c].to_numpy(), dtype=np.float64).tolist()
            for c in ("open", "high", "low", "close", "volume")
        ]

    def __len__(self) -> int:
        return len(self._ts)

    def tradable(self, bar: Bar) -> bool:
        return True

    async def __aiter__(self) -> AsyncIterator[Bar]:
        o, h, lo, c, v = self._cols
        pause = None if self.speed is None else self.spec.nanos / 1e9 / self.speed
        for i, ts in enumerate(self._ts):
            yield Bar(self.symbol, self.spec, ts, o[i], h[i], lo[i], c[i], v[i])
            if pause is not None:
                await asyncio.sleep(pause)


class LiveBarFeed:
    """Live bars of ``symbol`` from ``open_stream()``, warmed up and gap-filled from history.

    On (re)connect the feed first subscribes, then downloads the bars it has not seen, then
    reads the stream: subscribing first means a bar completed during the download arrives on
    the stream instead of falling between the two (it is then dropped as a duplicate if the
    download already had it). The first connect downloads up to ``warmup_bars`` of history;
    later ones everything after the last bar yielded. Timestamps are the venue's, never the
    local clock's, so a skewed local clock can neither hide a bar nor make one look stale; the
    local clock only picks how far back history starts (``history_lookback_ns``, generous) and
    the download's end (a day ahead of local time, so a local clock behind the venue's still
    asks for everything).

    ``max_reconnects`` (None: keep trying) bounds consecutive failed attempts; the counters
    (``reconnects``, ``gap_filled``, ``duplicates``) say what the stream did.
    """

    is_replay = False
    paced = True

    def __init__(
        self,
        *,
        symbol: str,
        spec: BarSpec,
        open_stream: Callable[[], MarketStream],
        fetch_history: HistoryFetch,
        clock: Clock,
        warmup_bars: int = 0,
        history_lookback_ns: int | None = None,
        reconnect_delays: Sequence[float] = _RECONNECT_DELAYS,
        max_reconnects: int | None = None,
    ) -> None:
        if warmup_bars < 0:
            raise InvalidArgumentError(f"warm-up bars must be >= 0, got {warmup_bars}")
        if not reconnect_delays or any(d < 0 for d in reconnect_delays):
            raise InvalidArgumentError("reconnect delays must be a non-empty list of seconds >= 0")
        self.symbol = symbol
        self.spec = spec
        self.open_stream = open_stream
        self.fetch_history = fetch_history
        self.clock = clock
        self.warmup_bars = warmup_bars
        # Markets close overnight and at weekends: look back 3x the bars' span and at least
        # five days, then keep the newest ``warmup_bars``.
        self.history_lookback_ns = history_lookback_ns or max(
            3 * warmup_bars * spec.nanos, 5 * _DAY_NS
        )
        self.reconnect_delays = tuple(reconnect_delays)
        self.max_reconnects = max_reconnects
        self.last_ts = -1
        self.catch_up_until = -1
        self._started_ns: int | None = None
        self.reconnects = 0
        self.gap_filled = 0
        self.duplicates = 0

    def tradable(self, bar: Bar) -> bool:
        return bar.ts_event > self.catch_up_until

    async def __aiter__(self) -> AsyncIterator[Bar]:
        failures = 0
        first = True
        while True:
            stream = self.open_stream()
            try:
                await stream.connect()
                backlog = await self._backlog(first)
                failures = 0
                for bar in backlog:
                    self.last_ts = bar.ts_event
                    yield bar
                first = False
                async for event in stream:
                    if not isinstance(event, Bar) or event.symbol != self.symbol:
                        continue
                    if event.ts_event <= self.last_ts:
                        self.duplicates += 1
                        log.info(
                            "%s: bar %s dropped (already have up to %s)",
                            self.symbol,
                            event.ts_event,
                            self.last_ts,
                        )
                        continue
                    self.last_ts = event.ts_event
                    yield event
                raise TemporaryProviderError(f"{self.symbol}: the market-data stream ended")
            except TemporaryProviderError as exc:
                failures += 1
                self.reconnects += 1
                if self.max_reconnects is not None and failures > self.max_reconnects:
                    raise
                delay = self.reconnect_delays[min(failures, len(self.reconnect_delays)) - 1]
                log.warning("%s: %s; reconnecting in %ss", self.symbol, exc.message, delay)
                await asyncio.sleep(delay)
            finally:
                await stream.close()

    async def _backlog(self, first: bool) -> list[Bar]:
        """History to warm up on (first connect) or the bars a drop hid (later ones)."""
        now = self.clock.timestamp_ns()
        if self._started_ns is None:
            self._started_ns = now
        if first and self.warmup_bars == 0:
            return []
        if self.last_ts >= 0:
            start = self.last_ts + 1
        elif first:
            start = now - self.history_lookback_ns
        else:  # dropped before the first bar: only what the drop hid is missing
            start = self._started_ns - self.spec.nanos
        frame = await self.fetch_history(start, now + _DAY_NS)
        bars = [b for b in frame_bars(frame, self.symbol, self.spec) if b.ts_event > self.last_ts]
        if first:
            bars = bars[-self.warmup_bars :]
            if bars:
                self.catch_up_until = bars[-1].ts_event
        else:
            self.gap_filled += len(bars)
            if len(bars) > 1:
                # Learn from every missed bar, trade only on the newest.
                self.catch_up_until = bars[-2].ts_event
            if bars:
                log.warning("%s: %d bar(s) gap-filled after a reconnect", self.symbol, len(bars))
        return bars


class AggregatingFeed:
    """N-minute bars built from a live feed's minute bars (``trade --bar 5m``).

    A bucket is ``[k * N, (k + 1) * N)`` minutes since the epoch, labelled by its start (as every
    bar here is), aggregated first/max/min/last/sum. It is emitted as soon as it is complete:
    when its last minute arrives, or, when that minute had no trades (venues send no bar for
    it), when the first bar of a later bucket arrives. Only divisors of 30 minutes are offered:
    their epoch buckets are the session-anchored buckets of the catalog's resampling on every
    exchange that opens on the hour or half hour, so live bars equal the bars a strategy was
    backtested on; hourly bars would need the exchange calendar's session opens.

    A bucket is tradable when its newest minute was (history and gap-filled minutes are
    learned from only), and bad minute bars (:func:`bar_problem`) are left out of buckets with
    a log line, as the runner does with bars it receives. The first bucket is dropped when the
    feed starts inside it (its open would not be the bucket's).
    """

    is_replay = False
    paced = True

    def __init__(self, inner: BarFeed, spec: BarSpec) -> None:
        if inner.spec != BarSpec.parse("1m"):
            raise InvalidArgumentError(f"aggregation needs a 1m feed, got {inner.spec}")
        self.check_spec(spec)
        self.inner = inner
        self.symbol = inner.symbol
        self.spec = spec
        self._tradable: dict[int, bool] = {}
        self._first = True

    @staticmethod
    def check_spec(spec: BarSpec) -> None:
        """Refuse bar sizes whose epoch buckets are not the session-anchored ones."""
        if spec.unit != BarSpec.parse("1m").unit or 30 % spec.step != 0:
            raise InvalidArgumentError(
                f"live bars of {spec} are not supported: choose 1m, 2m, 3m, 5m, 6m, 10m, 15m "
                "or 30m (their buckets match the session-anchored resampling of the catalog)"
            )

    def tradable(self, bar: Bar) -> bool:
        return self._tradable.get(bar.ts_event, True)

    async def __aiter__(self) -> AsyncIterator[Bar]:
        size = self.spec.nanos
        minute = self.inner.spec.nanos
        start = -1
        parts: list[Bar] = []
        last_ok = True
        async for bar in self.inner:
            problem = bar_problem(bar)
            if problem is not None:
                log.warning("%s: minute bar %s left out: %s", self.symbol, bar.ts_event, problem)
                continue
            bucket = bar.ts_event - bar.ts_event % size
            if parts and bucket != start:
                done = self._close(start, parts, last_ok)
                parts = []
                if done is not None:
                    yield done
            start = bucket
            parts.append(bar)
            last_ok = self.inner.tradable(bar)
            if bar.ts_event + minute >= bucket + size:
                done = self._close(start, parts, last_ok)
                parts = []
                if done is not None:
                    yield done

    def _close(self, start: int, parts: list[Bar], tradable: bool) -> Bar | None:
        if self._first:
            self._first = False
            if parts[0].ts_event != start:
                log.info("%s: first %s bar %s dropped (partial)", self.symbol, self.spec, start)
                return None
        self._tradable[start] = tradable
        if len(self._tradable) > 64:  # the runner asks about the newest bars only
            del self._tradable[next(iter(self._tradable))]
        return Bar(
            self.symbol,
            self.spec,
            start,
            parts[0].open,
            max(b.high for b in parts),
            min(b.low for b in parts),
            parts[-1].close,
            sum(b.volume for b in parts),
        )


def bar_problem(bar: Bar) -> str | None:
    """Why ``bar`` must not be traded on (None when it is good).

    Bad ticks are quarantined rather than fatal: the runner logs them, keeps the last good
    price, and goes on with the next bar (NautilusTrader's "data integrity beats
    availability", applied per tick).
    """
    prices = (bar.open, bar.high, bar.low, bar.close)
    for name, value in zip(("open", "high", "low", "close"), prices, strict=True):
        if not math.isfinite(value):
            return f"{name} is {value}"
        if value <= 0:
            return f"{name} is {value} (prices must be positive)"
    if not math.isfinite(bar.volume) or bar.volume < 0:
        return f"volume is {bar.volume}"
    if bar.high < max(bar.open, bar.close, bar.low) or bar.low > min(bar.open, bar.close):
        return f"high {bar.high} / low {bar.low} do not bracket open {bar.open} / close {bar.close}"
    return None
