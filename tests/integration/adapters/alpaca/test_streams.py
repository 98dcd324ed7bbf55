"""The trade-updates stream (JSON in binary frames) and the market-data stream (MessagePack)
against the fake Alpaca."""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from websockets.asyncio.client import connect

from neural_trader.adapters.alpaca import AlpacaBroker, AlpacaMarketStream
from neural_trader.core.data import Bar, BarSpec, QuoteTick
from neural_trader.core.enums import OrderSide, OrderStatus, OrderType
from neural_trader.core.errors import (
    BrokerUnavailableError,
    ProviderError,
    TemporaryProviderError,
)
from neural_trader.execution.reports import FillReport, OrderRequest, OrderStatusReport
from neural_trader.testkit.mocks.alpaca_server import FakeAlpacaServer


def market(cid: str, qty: str = "10", **kw: Any) -> OrderRequest:
    kw.setdefault("side", OrderSide.BUY)
    kw.setdefault("order_type", OrderType.MARKET)
    return OrderRequest(client_order_id=cid, symbol="AAPL", quantity=Decimal(qty), **kw)


def statuses(reports: list[Any]) -> list[OrderStatus]:
    return [r.status for r in reports if isinstance(r, OrderStatusReport)]


def fills(reports: list[Any]) -> list[FillReport]:
    return [r for r in reports if isinstance(r, FillReport)]


async def drain(stream: AsyncIterator[Any], into: list[Any]) -> None:
    """Append everything ``stream`` yields to ``into`` until it ends or raises."""
    async for item in stream:
        into.append(item)


async def _run_orders(broker: AlpacaBroker, collect: Any, n_fills: int, *requests: Any) -> Any:
    await broker.connect()
    for request in requests:
        await broker.submit_order(request)
    try:
        return await collect(broker.reports(), until_fills=n_fills)
    finally:
        await broker.close()


# --------------------------------------------------------------------------- trade updates


def test_new_and_fill_events_become_status_and_fill_reports(
    fake: FakeAlpacaServer, make_broker: Any, collect: Any
) -> None:
    fake.set_price("AAPL", "187.25")
    reports = asyncio.run(_run_orders(make_broker(), collect, 1, market("s-1")))
    assert statuses(reports) == [OrderStatus.ACCEPTED, OrderStatus.FILLED]
    (fill,) = fills(reports)
    assert (fill.quantity, fill.price, fill.side) == (Decimal(10), Decimal("187.25"), OrderSide.BUY)
    assert fill.client_order_id == "s-1"
    (activity,) = fake.activities
    assert activity["id"].split("::")[1] == fill.trade_id  # same identity as the REST fill
    filled = reports[-2]
    assert filled.filled_quantity == Decimal(10)
    assert filled.avg_fill_price == Decimal("187.25")


def test_partial_fills_report_each_execution(
    fake: FakeAlpacaServer, make_broker: Any, collect: Any
) -> None:
    fake.set_price("AAPL", "50")
    fake.script_partial_fills("AAPL", ["3", "7"])
    reports = asyncio.run(_run_orders(make_broker(), collect, 2, market("s-2")))
    assert statuses(reports) == [
        OrderStatus.ACCEPTED,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.FILLED,
    ]
    assert [f.quantity for f in fills(reports)] == [Decimal(3), Decimal(7)]
    assert len({f.trade_id for f in fills(reports)}) == 2


def test_cancel_arrives_as_a_canceled_report(fake: FakeAlpacaServer, make_broker: Any) -> None:
    broker: AlpacaBroker = make_broker()
    limit = market("s-3", order_type=OrderType.LIMIT, limit_price=Decimal("10"))

    async def go() -> list[Any]:
        await broker.connect()
        stream = broker.reports()
        report = await broker.submit_order(limit)
        await broker.cancel_order("s-3", report.venue_order_id)
        out = [await asyncio.wait_for(stream.__anext__(), 5) for _ in range(2)]
        await broker.close()
        return out

    reports = asyncio.run(go())
    assert statuses(reports) == [OrderStatus.ACCEPTED, OrderStatus.CANCELED]


def test_text_frames_parse_like_binary_ones(
    fake: FakeAlpacaServer, make_broker: Any, collect: Any
) -> None:
    fake.text_frames = True
    fake.set_price("AAPL", "20")
    reports = asyncio.run(_run_orders(make_broker(), collect, 1, market("s-4")))
    assert statuses(reports)[-1] is OrderStatus.FILLED


def test_a_duplicated_fill_frame_repeats_the_same_trade_id(
    fake: FakeAlpacaServer, make_broker: Any, collect: Any
) -> None:
    fake.duplicate_fill_frames = True
    fake.set_price("AAPL", "20")
    reports = asyncio.run(_run_orders(make_broker(), collect, 2, market("s-5")))
    first, second = fills(reports)
    assert first.trade_id == second.trade_id  # the journal's dedupe drops the second


def test_a_fill_before_its_new_event_passes_through_in_arrival_order(
    fake: FakeAlpacaServer, make_broker: Any
) -> None:
    fake.fill_before_new = True
    fake.set_price("AAPL", "20")
    broker: AlpacaBroker = make_broker()

    async def go() -> list[Any]:
        await broker.connect()
        await broker.submit_order(market("s-6"))
        stream = broker.reports()
        out = [await asyncio.wait_for(stream.__anext__(), 5) for _ in range(3)]
        await broker.close()
        return out

    reports = asyncio.run(go())
    assert isinstance(reports[0], OrderStatusReport)
    assert reports[0].status is OrderStatus.FILLED
    assert isinstance(reports[1], FillReport)
    assert reports[2].status is OrderStatus.ACCEPTED  # the late "new": ordering is ours to fix


def test_a_dropped_stream_raises_and_the_gap_fills_through_rest(
    fake: FakeAlpacaServer, make_broker: Any
) -> None:
    fake.drop_trading_after = 2  # "new" and "fill" are sent, then the socket dies
    fake.set_price("AAPL", "30")
    broker: AlpacaBroker = make_broker()

    async def go() -> tuple[list[Any], list[FillReport], list[Any]]:
        await broker.connect()
        await broker.submit_order(market("s-7"))
        seen: list[Any] = []
        with pytest.raises(BrokerUnavailableError, match="gap-fill"):
            await drain(broker.reports(), seen)
        fake.drop_trading_after = None
        await broker.connect()  # reopen first, then gap-fill: nothing falls in between
        gap = await broker.fills()
        await broker.submit_order(market("s-8", qty="1"))
        again = broker.reports()
        more = [await asyncio.wait_for(again.__anext__(), 5) for _ in range(3)]
        await broker.close()
        return seen, gap, more

    seen, gap, more = asyncio.run(go())
    assert len(fills(seen)) == 1
    assert [f.trade_id for f in gap] == [fills(seen)[0].trade_id]
    assert isinstance(more[2], FillReport)
    assert more[2].client_order_id == "s-8"


def test_the_fake_accepts_alpaca_py_style_authentication(fake: FakeAlpacaServer) -> None:
    async def go() -> tuple[Any, Any]:
        async with connect(fake.trading_stream_url) as ws:
            await ws.send(
                json.dumps(
                    {
                        "action": "authenticate",
                        "data": {"key_id": fake.key_id, "secret_key": fake.secret_key},
                    }
                )
            )
            auth = json.loads(await ws.recv())
            await ws.send(json.dumps({"action": "listen", "data": {"streams": ["trade_updates"]}}))
            return auth, json.loads(await ws.recv())

    auth, listening = asyncio.run(go())
    assert auth == {
        "stream": "authorization",
        "data": {"action": "authenticate", "status": "authorized"},
    }
    assert listening == {"stream": "listening", "data": {"streams": ["trade_updates"]}}


# --------------------------------------------------------------------------- market data


def test_market_stream_yields_bars_and_quotes_from_msgpack(fake: FakeAlpacaServer) -> None:
    ts = 1_704_205_800_000_000_000  # 2024-01-02 14:30:00 UTC

    async def go() -> list[Any]:
        async with AlpacaMarketStream(fake.config(), bars=["AAPL"], quotes=["AAPL"]) as stream:
            fake.push_bar("AAPL", 185.0, 186.5, 184.75, 186.0, 12_345, ts_ns=ts)
            fake.push_quote("AAPL", 185.99, 186.01, bid_size=3, ask_size=4, ts_ns=ts + 123_456_789)
            fake.push_quote("MSFT", 400.0, 400.1)  # not subscribed: never sent
            iterator = stream.__aiter__()
            return [await asyncio.wait_for(iterator.__anext__(), 5) for _ in range(2)]

    bar, quote = asyncio.run(go())
    assert bar == Bar("AAPL", BarSpec.parse("1m"), ts, 185.0, 186.5, 184.75, 186.0, 12_345.0)
    assert quote == QuoteTick("AAPL", ts + 123_456_789, 185.99, 186.01, 3.0, 4.0)


def test_impossible_ticks_are_rejected_with_a_reason_and_the_stream_goes_on(
    fake: FakeAlpacaServer, caplog: pytest.LogCaptureFixture
) -> None:
    async def go() -> tuple[list[Any], int]:
        async with AlpacaMarketStream(fake.config(), bars=["AAPL"], quotes=["AAPL"]) as stream:
            fake.push_bar("AAPL", math.nan, 2, 1, 1.5, 10)
            fake.push_bar("AAPL", -1.0, 2, -1, 1.5, 10)
            fake.push_bar("AAPL", 1.0, 0.5, 0.9, 1.0, 10)  # high below low
            fake.push_quote("AAPL", 101.0, 100.0)  # crossed
            fake.push_quote("AAPL", 0.0, 100.0)
            fake.push_bar("AAPL", 1.0, 2.0, 0.5, 1.5, 10)
            fake.push_quote("AAPL", 99.5, 100.0)
            iterator = stream.__aiter__()
            out = [await asyncio.wait_for(iterator.__anext__(), 5) for _ in range(2)]
            return out, stream.rejected

    with caplog.at_level(logging.WARNING, logger="neural_trader.adapters.alpaca"):
        (bar, quote), rejected = asyncio.run(go())
    assert isinstance(bar, Bar)
    assert bar.close == 1.5
    assert isinstance(quote, QuoteTick)
    assert quote.bid == 99.5
    assert rejected == 5
    assert "not a finite number" in caplog.text
    assert "zero or negative" in caplog.text
    assert "crossed: bid 101.0 above ask 100.0" in caplog.text
    assert "do not contain" in caplog.text


def test_market_stream_drop_raises_temporary_error(fake: FakeAlpacaServer) -> None:
    fake.drop_data_after = 1

    async def go() -> list[Any]:
        seen: list[Any] = []
        async with AlpacaMarketStream(fake.config(), bars=["AAPL"]) as stream:
            fake.push_bar("AAPL", 1.0, 2.0, 0.5, 1.5, 10)
            with pytest.raises(TemporaryProviderError, match="closed"):
                await drain(stream, seen)
        return seen

    assert len(asyncio.run(go())) == 1


def test_market_stream_bad_keys_is_a_provider_error(fake: FakeAlpacaServer) -> None:
    cfg = fake.config(api_secret_key="not-the-secret-999")

    async def go() -> None:
        async with AlpacaMarketStream(cfg, bars=["AAPL"]):
            pass

    with pytest.raises(ProviderError, match="auth failed") as info:
        asyncio.run(go())
    assert "not-the-secret-999" not in str(info.value)
