"""Historical bars and the asset list against the fake Alpaca."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from neural_trader.adapters.alpaca import AlpacaBarsClient, AlpacaInstrumentProvider
from neural_trader.core.data import BarSpec
from neural_trader.core.enums import Exchange
from neural_trader.core.errors import InvalidArgumentError, TemporaryProviderError
from neural_trader.core.values import Quantity
from neural_trader.data.providers.base import HistoricalProvider
from neural_trader.data.schema import BAR_COLUMNS
from neural_trader.testkit.mocks.alpaca_server import FakeAlpacaServer, Fault

NS = 1_000_000_000


def ns(dt: datetime) -> int:
    return int(dt.timestamp()) * NS


def minute_bars(start: datetime, n: int) -> list[dict[str, Any]]:
    return [
        {
            "t": (start + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "o": 100.0 + i,
            "h": 101.0 + i,
            "l": 99.0 + i,
            "c": 100.5 + i,
            "v": 1000 + i,
            "n": 10,
            "vw": 100.2 + i,
        }
        for i in range(n)
    ]


def bars_client(fake: FakeAlpacaServer, sleeps: Any) -> AlpacaBarsClient:
    return AlpacaBarsClient(fake.config(), sleep=sleeps, rng=random.Random(1))


def test_minute_bars_are_paged_into_one_canonical_frame(
    fake: FakeAlpacaServer, sleeps: Any
) -> None:
    start = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
    fake.add_bars("AAPL", "1Min", minute_bars(start, 25))
    fake.bar_page_size = 10
    client = bars_client(fake, sleeps)
    first, last = ns(start + timedelta(minutes=2)), ns(start + timedelta(minutes=22))
    frame = asyncio.run(client.fetch_bars_async("AAPL", BarSpec.parse("1m"), first, last))
    assert list(frame.columns) == list(BAR_COLUMNS)
    assert frame["ts_event"].dtype == np.int64
    assert len(frame) == 21  # both ends inclusive
    assert frame["ts_event"].iloc[0] == first
    assert frame["ts_event"].iloc[-1] == last
    assert frame["open"].iloc[0] == 102.0
    assert frame["volume"].iloc[-1] == 1022.0
    pages = [r for r in fake.requests if r.path == "/v2/stocks/bars"]
    assert len(pages) == 3
    assert pages[0].query["timeframe"] == "1Min"
    assert pages[0].query["symbols"] == "AAPL"
    assert pages[0].query["feed"] == "iex"
    assert "page_token" not in pages[0].query
    assert pages[1].query["page_token"]
    assert pages[2].query["page_token"]


def test_daily_bars_are_labelled_midnight_utc_of_the_new_york_date(
    fake: FakeAlpacaServer, sleeps: Any
) -> None:
    fake.add_bars(
        "SPY",
        "1Day",
        [
            {"t": "2024-01-02T05:00:00Z", "o": 1, "h": 2, "l": 0.5, "c": 1.5, "v": 10},  # EST
            {"t": "2024-07-01T04:00:00Z", "o": 3, "h": 4, "l": 2.5, "c": 3.5, "v": 20},  # EDT
        ],
    )
    client = bars_client(fake, sleeps)
    start, end = ns(datetime(2024, 1, 2, tzinfo=UTC)), ns(datetime(2024, 7, 1, tzinfo=UTC))
    batch = asyncio.run(client.fetch_batch_async("SPY", "1d", start, end))
    assert batch.ts_event.tolist() == [start, end]  # the end label is included
    assert batch.close.tolist() == [1.5, 3.5]
    assert batch.spec == BarSpec.parse("1d")


def test_the_sync_provider_interface_and_unsupported_specs(
    fake: FakeAlpacaServer, sleeps: Any
) -> None:
    start = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
    fake.add_bars("MSFT", "5Min", minute_bars(start, 3))
    client = bars_client(fake, sleeps)
    assert isinstance(client, HistoricalProvider)
    frame = client.fetch_bars("MSFT", BarSpec.parse("5m"), ns(start), ns(start) + 3600 * NS)
    assert len(frame) == 3
    empty = client.fetch_bars("NONE", BarSpec.parse("5m"), ns(start), ns(start) + 3600 * NS)
    assert empty.empty
    with pytest.raises(InvalidArgumentError, match="no 2d bars"):
        client.fetch_bars("MSFT", BarSpec.parse("2d"), 0, 1)


def test_a_429_on_a_bars_page_retries_that_page(fake: FakeAlpacaServer, sleeps: Any) -> None:
    start = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
    fake.add_bars("AMD", "1Min", minute_bars(start, 6))
    fake.bar_page_size = 3
    fake.add_fault(Fault("GET", "/v2/stocks/bars", nth=2, status=429, retry_after=0.75))
    client = bars_client(fake, sleeps)
    frame = asyncio.run(
        client.fetch_bars_async("AMD", BarSpec.parse("1m"), ns(start), ns(start) + 3600 * NS)
    )
    assert len(frame) == 6
    assert sleeps.asked == [0.75]
    pages = [r for r in fake.requests if r.path == "/v2/stocks/bars"]
    assert len(pages) == 3
    assert pages[1].query == pages[2].query  # the same page asked again


def test_a_persistent_5xx_on_bars_is_a_temporary_provider_error(
    fake: FakeAlpacaServer, sleeps: Any
) -> None:
    fake.add_fault(Fault("GET", "/v2/stocks/bars", status=503, times=100))
    with pytest.raises(TemporaryProviderError, match="503"):
        bars_client(fake, sleeps).fetch_bars("AAPL", BarSpec.parse("1m"), 0, NS)
    assert fake.calls("GET", "/v2/stocks/bars") == 4


def test_assets_become_equities_with_alpacas_size_grid(fake: FakeAlpacaServer, sleeps: Any) -> None:
    fake.assets.clear()
    fake.add_asset("AAPL", exchange="NASDAQ", fractionable=True)
    fake.add_asset("BRK.B", exchange="NYSE", fractionable=False)
    fake.add_asset("SPY", exchange="ARCA", fractionable=True)
    fake.add_asset("GBTC", exchange="OTC")  # venue not modelled
    fake.add_asset("HALT", exchange="NASDAQ", tradable=False)
    fake.add_asset("BTC/USD", exchange="CRYPTO", asset_class="crypto")
    provider = AlpacaInstrumentProvider(fake.config(), sleep=sleeps)

    async def go() -> tuple[list[Any], Any, Any]:
        loaded = await provider.load_all()
        return loaded, await provider.load("BRK.B"), await provider.load("NOPE")

    equities, brk, missing = asyncio.run(go())
    by_symbol = {str(e.symbol): e for e in equities}
    assert sorted(by_symbol) == ["AAPL", "BRK.B", "SPY"]
    assert by_symbol["AAPL"].size_increment == Quantity.from_str("0.000000001")
    assert by_symbol["AAPL"].exchange is Exchange.NASDAQ
    assert by_symbol["SPY"].exchange is Exchange.NYSE_ARCA
    assert brk is not None
    assert brk.size_increment == Quantity.from_int(1)
    assert str(brk.id) == "BRK.B.NYSE"
    assert brk.make_price(Decimal("412.3456")).as_decimal() == Decimal("412.35")
    assert missing is None
    assert provider.assets()["GBTC"].fractionable is True
    (listing,) = [r for r in fake.requests if r.path == "/v2/assets"]
    assert listing.query == {"status": "active", "asset_class": "us_equity"}
