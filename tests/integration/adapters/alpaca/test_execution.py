"""AlpacaBroker REST paths against the fake Alpaca: what goes on the wire and what comes back."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from neural_trader.adapters.alpaca import AlpacaBroker
from neural_trader.adapters.alpaca.parsing import (
    format_rfc3339,
    map_order_status,
    parse_rfc3339_ns,
)
from neural_trader.core.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from neural_trader.core.errors import BrokerError, OrderRejectedError
from neural_trader.execution.reports import OrderRequest
from neural_trader.testkit.mocks.alpaca_server import FakeAlpacaServer


def _ns(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp()) * 1_000_000_000


def order(cid: str, symbol: str = "AAPL", **kw: Any) -> OrderRequest:
    kw.setdefault("side", OrderSide.BUY)
    kw.setdefault("order_type", OrderType.MARKET)
    kw.setdefault("quantity", Decimal(10))
    return OrderRequest(client_order_id=cid, symbol=symbol, **kw)


def posted_bodies(fake: FakeAlpacaServer) -> list[Any]:
    return [r.body for r in fake.requests if r.method == "POST" and r.path == "/v2/orders"]


def test_account_sends_the_keys_as_headers_and_parses_balances(
    fake: FakeAlpacaServer, make_broker: Any
) -> None:
    broker: AlpacaBroker = make_broker()
    report = asyncio.run(broker.account())
    assert report.account_id == fake.account_id
    assert report.cash == Decimal("100000")
    assert report.equity == Decimal("100000")
    assert report.currency == "USD"
    assert report.extra["status"] == "ACTIVE"
    (req,) = fake.requests
    assert (req.method, req.path) == ("GET", "/v2/account")
    assert req.headers["APCA-API-KEY-ID"] == fake.key_id
    assert req.headers["APCA-API-SECRET-KEY"] == fake.secret_key


def test_positions_are_signed_by_side(fake: FakeAlpacaServer, make_broker: Any) -> None:
    broker: AlpacaBroker = make_broker()
    fake.set_price("AAPL", "100")
    fake.set_price("MSFT", "50")

    async def go() -> list[Any]:
        await broker.submit_order(order("p1", "AAPL", quantity=Decimal(10)))
        await broker.submit_order(order("p2", "MSFT", side=OrderSide.SELL, quantity=Decimal(4)))
        return await broker.positions()

    positions = {p.symbol: p for p in asyncio.run(go())}
    assert positions["AAPL"].quantity == Decimal(10)
    assert positions["AAPL"].avg_price == Decimal(100)
    assert positions["MSFT"].quantity == Decimal(-4)
    assert positions["MSFT"].avg_price == Decimal(50)


@pytest.mark.parametrize(
    ("kw", "wire"),
    [
        (
            {"order_type": OrderType.MARKET, "quantity": Decimal("0.125")},
            {"type": "market", "qty": "0.125", "time_in_force": "gtc"},
        ),
        (
            {
                "order_type": OrderType.LIMIT,
                "limit_price": Decimal("101.25"),
                "time_in_force": TimeInForce.DAY,
            },
            {"type": "limit", "qty": "10", "limit_price": "101.25", "time_in_force": "day"},
        ),
        (
            {
                "order_type": OrderType.STOP,
                "stop_price": Decimal("120"),
                "time_in_force": TimeInForce.IOC,
            },
            {"type": "stop", "qty": "10", "stop_price": "120", "time_in_force": "ioc"},
        ),
        (
            {
                "order_type": OrderType.STOP_LIMIT,
                "stop_price": Decimal("120"),
                "limit_price": Decimal("121.5"),
                "time_in_force": TimeInForce.FOK,
            },
            {
                "type": "stop_limit",
                "qty": "10",
                "stop_price": "120",
                "limit_price": "121.5",
                "time_in_force": "fok",
            },
        ),
    ],
    ids=["market-fractional", "limit-day", "stop-ioc", "stop-limit-fok"],
)
def test_each_order_type_reaches_alpaca_as_documented_json(
    fake: FakeAlpacaServer, make_broker: Any, kw: dict[str, Any], wire: dict[str, Any]
) -> None:
    broker: AlpacaBroker = make_broker()
    report = asyncio.run(broker.submit_order(order("t-1", **kw)))
    (body,) = posted_bodies(fake)
    assert body == {"symbol": "AAPL", "side": "buy", "client_order_id": "t-1", **wire}
    assert report.client_order_id == "t-1"
    assert report.order_type == kw["order_type"]
    assert report.status is OrderStatus.ACCEPTED
    assert report.venue_order_id in fake.orders


def test_bracket_order_body_and_its_legs_lifecycle(
    fake: FakeAlpacaServer, make_broker: Any
) -> None:
    broker: AlpacaBroker = make_broker()
    fake.set_price("AAPL", "100")
    request = order(
        "br-1",
        order_type=OrderType.LIMIT,
        limit_price=Decimal("100"),
        take_profit=Decimal("110"),
        stop_loss=Decimal("95"),
    )

    async def go() -> tuple[Any, Any]:
        await broker.submit_order(request)
        filled = await broker.get_order("br-1")
        fake.set_price("AAPL", "111")
        return filled, await broker.positions()

    parent, positions = asyncio.run(go())
    (body,) = posted_bodies(fake)
    assert body["order_class"] == "bracket"
    assert body["take_profit"] == {"limit_price": "110"}
    assert body["stop_loss"] == {"stop_price": "95"}
    assert parent.status is OrderStatus.FILLED
    legs = [o for o in fake.orders.values() if o.parent == parent.venue_order_id]
    assert sorted((leg.type, leg.status) for leg in legs) == [
        ("limit", "filled"),
        ("stop", "canceled"),
    ]
    assert positions == []  # the take-profit closed the position


def test_a_single_exit_is_sent_as_oto(fake: FakeAlpacaServer, make_broker: Any) -> None:
    broker: AlpacaBroker = make_broker()
    asyncio.run(broker.submit_order(order("oto-1", stop_loss=Decimal("90"))))
    (body,) = posted_bodies(fake)
    assert body["order_class"] == "oto"
    assert body["stop_loss"] == {"stop_price": "90"}
    assert "take_profit" not in body


def test_cancel_by_client_id_resolves_the_venue_id_first(
    fake: FakeAlpacaServer, make_broker: Any
) -> None:
    limit = order("c-1", order_type=OrderType.LIMIT, limit_price=Decimal("50"))
    asyncio.run(make_broker().submit_order(limit))
    fresh: AlpacaBroker = make_broker()  # knows no venue ids yet

    async def go() -> Any:
        await fresh.cancel_order("c-1")
        return await fresh.get_order("c-1")

    after = asyncio.run(go())
    assert after.status is OrderStatus.CANCELED
    paths = [(r.method, r.path) for r in fake.requests]
    lookup = paths.index(("GET", "/v2/orders:by_client_order_id"))
    delete = paths.index(("DELETE", f"/v2/orders/{after.venue_order_id}"))
    assert lookup < delete


def test_cancel_of_a_filled_order_is_refused_with_alpacas_reason(
    fake: FakeAlpacaServer, make_broker: Any
) -> None:
    broker: AlpacaBroker = make_broker()
    fake.set_price("AAPL", "10")

    async def go() -> None:
        report = await broker.submit_order(order("c-2"))
        await broker.cancel_order("c-2", report.venue_order_id)

    with pytest.raises(OrderRejectedError) as info:
        asyncio.run(go())
    assert info.value.reason == "order is not cancelable"


def test_get_order_by_client_id_found_and_missing(fake: FakeAlpacaServer, make_broker: Any) -> None:
    broker: AlpacaBroker = make_broker()

    async def go() -> tuple[Any, Any]:
        await broker.submit_order(order("g-1", quantity=Decimal("3")))
        return await broker.get_order("g-1"), await broker.get_order("never-sent")

    found, missing = asyncio.run(go())
    assert found.client_order_id == "g-1"
    assert found.quantity == Decimal(3)
    assert found.status is OrderStatus.ACCEPTED  # no price set: the market order rests
    assert missing is None
    assert fake.calls("GET", "/v2/orders:by_client_order_id") == 2


def test_open_orders_lists_only_working_orders(fake: FakeAlpacaServer, make_broker: Any) -> None:
    broker: AlpacaBroker = make_broker()
    fake.set_price("AAPL", "100")

    async def go() -> list[Any]:
        await broker.submit_order(order("o-1", order_type=OrderType.LIMIT, limit_price=Decimal(90)))
        await broker.submit_order(order("o-2", side=OrderSide.SELL, quantity=Decimal(1)))
        await broker.submit_order(order("o-3", order_type=OrderType.LIMIT, limit_price=Decimal(80)))
        return await broker.open_orders()

    opened = asyncio.run(go())
    assert sorted(r.client_order_id for r in opened) == ["o-1", "o-3"]
    assert all(r.status is OrderStatus.ACCEPTED for r in opened)
    (req,) = [r for r in fake.requests if r.method == "GET" and r.path == "/v2/orders"]
    assert req.query["status"] == "open"


def test_fills_walk_every_page_with_page_token(fake: FakeAlpacaServer, make_broker: Any) -> None:
    broker: AlpacaBroker = make_broker()
    fake.set_price("AAPL", "20")
    fake.script_partial_fills("AAPL", [1] * 205)

    async def go() -> list[Any]:
        await broker.submit_order(order("f-1", quantity=Decimal(205)))
        return await broker.fills()

    fills = asyncio.run(go())
    assert len(fills) == 205
    assert len({f.trade_id for f in fills}) == 205
    assert all(f.client_order_id == "f-1" and f.quantity == 1 for f in fills)
    assert [f.ts_event for f in fills] == sorted(f.ts_event for f in fills)
    pages = [r for r in fake.requests if r.path == "/v2/account/activities/FILL"]
    assert len(pages) == 3
    assert "page_token" not in pages[0].query
    ids = [a["id"] for a in fake.activities]
    assert pages[1].query["page_token"] == ids[99]
    assert pages[2].query["page_token"] == ids[199]
    # The trade id is the execution id inside the activity id, as the stream names it.
    assert {f.trade_id for f in fills} == {i.split("::")[1] for i in ids}


def test_fills_since_skip_older_executions_and_name_unknown_orders(
    fake: FakeAlpacaServer, make_broker: Any
) -> None:
    fake.set_price("AAPL", "20")
    asyncio.run(make_broker().submit_order(order("s-1", quantity=Decimal(1))))
    fake.clock_offset_s = 30.0  # the next fill happens "30 s later" on Alpaca's clock
    asyncio.run(make_broker().submit_order(order("s-2", quantity=Decimal(2))))
    fresh: AlpacaBroker = make_broker()  # must look the client ids up

    async def go() -> tuple[list[Any], list[Any]]:
        every = await fresh.fills()
        return every, await fresh.fills(since_ns=every[-1].ts_event)

    every, recent = asyncio.run(go())
    assert [f.client_order_id for f in every] == ["s-1", "s-2"]
    assert [f.client_order_id for f in recent] == ["s-2"]
    assert fake.calls("GET", "/v2/orders/*") == 2  # one lookup per unknown order, cached


def test_clock_and_calendar_parse_new_york_times(fake: FakeAlpacaServer, make_broker: Any) -> None:
    broker: AlpacaBroker = make_broker()
    fake.next_open = "2024-03-11T09:30:00-04:00"
    fake.next_close = "2024-03-08T16:00:00.5-05:00"
    fake.calendar = [
        {"date": "2024-03-07", "open": "09:30", "close": "16:00"},
        {"date": "2024-03-08", "open": "09:30", "close": "16:00"},
        {"date": "2024-03-11", "open": "09:30", "close": "13:00"},
    ]

    async def go() -> tuple[Any, Any]:
        return await broker.clock(), await broker.calendar(date(2024, 3, 8), date(2024, 3, 11))

    clock, sessions = asyncio.run(go())
    assert clock.is_open is True
    assert clock.next_open_ns == _ns("2024-03-11T13:30:00+00:00")
    assert clock.next_close_ns == _ns("2024-03-08T21:00:00+00:00") + 500_000_000
    assert abs(clock.timestamp_ns - datetime.now(UTC).timestamp() * 1e9) < 5e9
    assert [s.date for s in sessions] == [date(2024, 3, 8), date(2024, 3, 11)]
    assert sessions[0].open_ns == _ns("2024-03-08T14:30:00+00:00")  # EST
    assert sessions[1].open_ns == _ns("2024-03-11T13:30:00+00:00")  # EDT, after the switch
    assert sessions[1].close_ns == _ns("2024-03-11T17:00:00+00:00")
    (req,) = [r for r in fake.requests if r.path == "/v2/calendar"]
    assert req.query == {"start": "2024-03-08", "end": "2024-03-11"}


def test_insufficient_buying_power_is_a_definitive_rejection(
    fake: FakeAlpacaServer, make_broker: Any
) -> None:
    broker: AlpacaBroker = make_broker()
    fake.set_price("AAPL", "1000")
    with pytest.raises(OrderRejectedError) as info:
        asyncio.run(broker.submit_order(order("bp-1", quantity=Decimal(1000))))
    assert info.value.reason == "insufficient buying power"
    assert fake.calls("POST", "/v2/orders") == 1
    assert fake.orders == {}


def test_a_reused_client_id_returns_the_same_order_but_refuses_a_different_one(
    fake: FakeAlpacaServer, make_broker: Any
) -> None:
    broker: AlpacaBroker = make_broker()

    async def go() -> tuple[Any, Any]:
        first = await broker.submit_order(order("dup-1"))
        again = await broker.submit_order(order("dup-1"))
        return first, again

    first, again = asyncio.run(go())
    assert again.venue_order_id == first.venue_order_id
    assert len(fake.orders) == 1
    with pytest.raises(OrderRejectedError, match="different order") as info:
        asyncio.run(broker.submit_order(order("dup-1", symbol="MSFT")))
    assert "client_order_id must be unique" in info.value.reason


# --------------------------------------------------------------------------- wire parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-02T14:30:00Z", 1_704_205_800_000_000_000),
        ("2024-01-02T14:30:00.1Z", 1_704_205_800_100_000_000),
        ("2025-09-23T14:00:00.4519828Z", 1_758_636_000_451_982_800),
        ("2024-01-02T09:30:00.123456789-05:00", 1_704_205_800_123_456_789),
        ("2024-07-01T09:30:00+0530", 1_719_806_400_000_000_000),
        ("2024-01-02T14:30:00", 1_704_205_800_000_000_000),  # naive = UTC, as alpaca-py sends
    ],
)
def test_rfc3339_timestamps_parse_to_exact_utc_nanoseconds(text: str, expected: int) -> None:
    assert parse_rfc3339_ns(text) == expected
    assert parse_rfc3339_ns(format_rfc3339(expected)) == expected


def test_a_malformed_timestamp_is_a_broker_error() -> None:
    with pytest.raises(BrokerError, match="not RFC 3339"):
        parse_rfc3339_ns("yesterday")


@pytest.mark.parametrize(
    ("status", "filled", "expected"),
    [
        ("new", "0", OrderStatus.ACCEPTED),
        ("accepted", "0", OrderStatus.ACCEPTED),
        ("pending_new", "0", OrderStatus.SUBMITTED),
        ("accepted_for_bidding", "0", OrderStatus.ACCEPTED),
        ("partially_filled", "4", OrderStatus.PARTIALLY_FILLED),
        ("filled", "10", OrderStatus.FILLED),
        ("done_for_day", "4", OrderStatus.PARTIALLY_FILLED),
        ("done_for_day", "0", OrderStatus.ACCEPTED),
        ("canceled", "0", OrderStatus.CANCELED),
        ("expired", "0", OrderStatus.EXPIRED),
        ("replaced", "0", OrderStatus.CANCELED),
        ("pending_cancel", "0", OrderStatus.PENDING_CANCEL),
        ("pending_replace", "4", OrderStatus.PARTIALLY_FILLED),
        ("stopped", "0", OrderStatus.ACCEPTED),
        ("rejected", "0", OrderStatus.REJECTED),
        ("suspended", "0", OrderStatus.ACCEPTED),
        ("calculated", "10", OrderStatus.FILLED),
        ("calculated", "4", OrderStatus.PARTIALLY_FILLED),
        ("held", "0", OrderStatus.ACCEPTED),
        ("some_future_status", "0", OrderStatus.ACCEPTED),
    ],
)
def test_every_alpaca_order_status_maps_to_ours(
    status: str, filled: str, expected: OrderStatus
) -> None:
    assert map_order_status(status, Decimal(10), Decimal(filled)) is expected
