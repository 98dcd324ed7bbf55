"""N-minute live bars from a minute feed: buckets, completion, partial first bucket, gaps,
tradability, bad minutes, and equality with the catalog's resampling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pandas as pd
import pytest

from neural_trader.core.data import Bar, BarSpec
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.execution.feeds import AggregatingFeed

M1 = BarSpec.parse("1m")
MIN = 60_000_000_000
T0 = pd.Timestamp("2023-11-14 15:00", tz="UTC").value  # 10:00 New York, an NYSE session


class Minutes:
    """A minute feed over scripted bars; ``learn_until`` marks history (not tradable)."""

    is_replay = False
    paced = True
    symbol = "AAA"
    spec = M1

    def __init__(self, bars: list[Bar], learn_until: int = -1) -> None:
        self.bars = bars
        self.learn_until = learn_until

    def tradable(self, bar: Bar) -> bool:
        return bar.ts_event > self.learn_until

    async def __aiter__(self) -> AsyncIterator[Bar]:
        for b in self.bars:
            yield b


def minute(k: int, price: float, volume: float = 10.0) -> Bar:
    return Bar("AAA", M1, T0 + k * MIN, price, price + 1, price - 1, price + 0.5, volume)


def collect(feed: AggregatingFeed) -> list[tuple[Bar, bool]]:
    async def go() -> list[tuple[Bar, bool]]:
        return [(b, feed.tradable(b)) async for b in feed]

    return asyncio.run(go())


def test_buckets_complete_on_their_last_minute_with_ohlcv() -> None:
    bars = [minute(k, 100.0 + k) for k in range(10)]
    out = collect(AggregatingFeed(Minutes(bars), BarSpec.parse("5m")))
    assert [b.ts_event for b, _ in out] == [T0, T0 + 5 * MIN]
    first = out[0][0]
    assert (first.open, first.high, first.low, first.close, first.volume) == (
        100.0, 105.0, 99.0, 104.5, 50.0,
    )  # fmt: skip
    assert first.spec == BarSpec.parse("5m")


def test_a_bucket_whose_last_minute_had_no_trades_closes_on_the_next_bucket() -> None:
    bars = [minute(k, 100.0) for k in (0, 1, 2, 3, 5, 6)]  # minute 4 missing
    out = collect(AggregatingFeed(Minutes(bars), BarSpec.parse("5m")))
    assert [b.ts_event for b, _ in out] == [T0]  # the second bucket is not complete yet
    assert out[0][0].volume == 40.0


def test_a_feed_starting_inside_a_bucket_drops_that_partial_bucket() -> None:
    bars = [minute(k, 100.0) for k in range(2, 10)]
    out = collect(AggregatingFeed(Minutes(bars), BarSpec.parse("5m")))
    assert [b.ts_event for b, _ in out] == [T0 + 5 * MIN]


def test_tradable_follows_the_newest_minute_and_bad_minutes_are_left_out() -> None:
    bars = [minute(k, 100.0) for k in range(15)]
    bad = Bar("AAA", M1, T0 + 7 * MIN, float("nan"), 1.0, 1.0, 1.0, 1.0)
    bars[7] = bad
    out = collect(AggregatingFeed(Minutes(bars, learn_until=T0 + 4 * MIN), BarSpec.parse("5m")))
    assert [(b.ts_event, ok) for b, ok in out] == [
        (T0, False),  # history
        (T0 + 5 * MIN, True),
        (T0 + 10 * MIN, True),
    ]
    assert out[1][0].volume == 40.0  # minute 7 left out


def test_equals_the_catalog_resampling_of_the_same_minutes() -> None:
    from neural_trader.data.resample import resample_bars

    bars = [minute(k, 100.0 + (k * 7) % 5, 10.0 + k) for k in range(60)]
    frame = pd.DataFrame(
        {
            "ts_event": [b.ts_event for b in bars],
            "open": [b.open for b in bars],
            "high": [b.high for b in bars],
            "low": [b.low for b in bars],
            "close": [b.close for b in bars],
            "volume": [b.volume for b in bars],
        }
    )
    want = resample_bars(frame, "1m", "15m", calendar="XNYS")  # anchored at the 09:30 open
    out = collect(AggregatingFeed(Minutes(bars), BarSpec.parse("15m")))
    got = [(b.ts_event, b.open, b.high, b.low, b.close, b.volume) for b, _ in out]
    assert len(got) == 4
    assert got == [tuple(r) for r in want[["ts_event", "open", "high", "low", "close", "volume"]]
                   .itertuples(index=False)]  # fmt: skip


@pytest.mark.parametrize("spec", ["1h", "7m", "45m", "1d"])
def test_sizes_whose_buckets_are_not_the_session_ones_are_refused(spec: str) -> None:
    with pytest.raises(InvalidArgumentError, match="not supported"):
        AggregatingFeed(Minutes([]), BarSpec.parse(spec))
