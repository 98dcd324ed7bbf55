"""Failure handling against scripted faults: retries, unknown outcomes, credentials, the live
guard and clock skew."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from neural_trader.adapters.alpaca import AlpacaBroker, AlpacaConfig
from neural_trader.config import Settings
from neural_trader.core.enums import OrderSide, OrderStatus, OrderType
from neural_trader.core.errors import (
    BrokerError,
    BrokerUnavailableError,
    ConfigError,
    OrderRejectedError,
    RateLimitedError,
    SendOutcomeUnknown,
)
from neural_trader.execution.reports import FillReport, OrderRequest
from neural_trader.testkit.mocks.alpaca_server import FakeAlpacaServer, Fault


def market(cid: str, qty: str = "5", symbol: str = "AAPL") -> OrderRequest:
    return OrderRequest(
        client_order_id=cid,
        symbol=symbol,
        side=OrderSide.BUY,
        order_type=OrderType.MARKET,
        quantity=Decimal(qty),
    )


def posted_client_ids(fake: FakeAlpacaServer) -> list[str]:
    return [
        r.body["client_order_id"]
        for r in fake.requests
        if r.method == "POST" and r.path == "/v2/orders"
    ]


# --------------------------------------------------------------------------- reads


def test_a_429_on_a_read_waits_retry_after_then_succeeds(
    fake: FakeAlpacaServer, make_broker: Any, sleeps: Any
) -> None:
    fake.add_fault(Fault("GET", "/v2/account", status=429, retry_after=1.5, times=2))
    report = asyncio.run(make_broker().account())
    assert report.cash == Decimal("100000")
    assert fake.calls("GET", "/v2/account") == 3
    assert sleeps.asked == [1.5, 1.5]


def test_read_retries_are_bounded(fake: FakeAlpacaServer, make_broker: Any, sleeps: Any) -> None:
    fake.add_fault(Fault("GET", "/v2/positions", status=429, retry_after=2, times=100))
    with pytest.raises(RateLimitedError) as info:
        asyncio.run(make_broker().positions())
    assert info.value.retry_after == 2
    assert fake.calls("GET", "/v2/positions") == 4
    assert sleeps.asked == [2, 2, 2]


def test_a_5xx_on_a_read_is_retried_with_jittered_backoff(
    fake: FakeAlpacaServer, make_broker: Any, sleeps: Any
) -> None:
    fake.add_fault(Fault("GET", "/v2/positions", status=503, times=2))
    assert asyncio.run(make_broker().positions()) == []
    assert fake.calls("GET", "/v2/positions") == 3
    first, second = sleeps.asked
    assert 0.25 <= first < 0.5
    assert 0.5 <= second < 1.0


def test_a_read_timeout_is_retried(fake: FakeAlpacaServer, make_broker: Any) -> None:
    fake.add_fault(Fault("GET", "/v2/account", delay_s=1.0))
    broker: AlpacaBroker = make_broker(timeout_s=0.3)
    assert asyncio.run(broker.account()).cash == Decimal("100000")
    assert fake.calls("GET", "/v2/account") == 2


# --------------------------------------------------------------------------- submit


def test_sdk_internal_retries_are_off(make_broker: Any) -> None:
    broker: AlpacaBroker = make_broker()
    client = broker.rest.client
    assert client._retry == 0
    assert client._retry_codes == []


def test_a_429_on_submit_is_resent_with_the_same_client_id(
    fake: FakeAlpacaServer, make_broker: Any, sleeps: Any
) -> None:
    fake.add_fault(Fault("POST", "/v2/orders", status=429, retry_after=0.2, times=2))
    report = asyncio.run(make_broker().submit_order(market("rl-1")))
    assert report.client_order_id == "rl-1"
    assert posted_client_ids(fake) == ["rl-1", "rl-1", "rl-1"]
    assert len(fake.orders) == 1
    assert sleeps.asked == [0.2, 0.2]


def test_a_resend_that_meets_the_duplicate_id_returns_the_existing_order(
    fake: FakeAlpacaServer, make_broker: Any
) -> None:
    # The first send was created but answered 429: the resend gets Alpaca's 422 duplicate.
    fake.add_fault(Fault("POST", "/v2/orders", status=429, retry_after=0, apply_first=True))
    report = asyncio.run(make_broker().submit_order(market("rl-2")))
    assert posted_client_ids(fake) == ["rl-2", "rl-2"]
    assert len(fake.orders) == 1
    assert report.venue_order_id in fake.orders


def test_submit_gives_up_after_three_resends_on_429(
    fake: FakeAlpacaServer, make_broker: Any, sleeps: Any
) -> None:
    fake.add_fault(Fault("POST", "/v2/orders", status=429, times=100))
    with pytest.raises(OrderRejectedError, match="rate-limited") as info:
        asyncio.run(make_broker().submit_order(market("rl-3")))
    assert "429" in info.value.reason
    assert fake.calls("POST", "/v2/orders") == 4
    assert len(sleeps.asked) == 3  # no Retry-After: backoff
    assert fake.orders == {}


@pytest.mark.parametrize("status", [500, 503, 504])
def test_a_5xx_after_the_order_was_created_is_an_unknown_outcome_sent_once(
    fake: FakeAlpacaServer, make_broker: Any, status: int
) -> None:
    fake.add_fault(Fault("POST", "/v2/orders", status=status, apply_first=True))
    broker: AlpacaBroker = make_broker()
    with pytest.raises(SendOutcomeUnknown, match=f"HTTP {status}"):
        asyncio.run(broker.submit_order(market("u-1")))
    assert fake.calls("POST", "/v2/orders") == 1  # 504 included: alpaca-py's retry is off
    found = asyncio.run(broker.get_order("u-1"))
    assert found is not None
    assert found.client_order_id == "u-1"


def test_a_5xx_before_the_order_was_created_is_also_unknown_and_never_resent(
    fake: FakeAlpacaServer, make_broker: Any
) -> None:
    fake.add_fault(Fault("POST", "/v2/orders", status=500))
    broker: AlpacaBroker = make_broker()
    with pytest.raises(SendOutcomeUnknown):
        asyncio.run(broker.submit_order(market("u-2")))
    assert fake.calls("POST", "/v2/orders") == 1
    assert asyncio.run(broker.get_order("u-2")) is None  # the query settles it: never arrived


def test_a_submit_timeout_is_an_unknown_outcome(fake: FakeAlpacaServer, make_broker: Any) -> None:
    fake.add_fault(Fault("POST", "/v2/orders", delay_s=1.0, apply_first=True))
    broker: AlpacaBroker = make_broker(timeout_s=0.3)
    started = time.monotonic()
    with pytest.raises(SendOutcomeUnknown, match="ReadTimeout"):
        asyncio.run(broker.submit_order(market("u-3")))
    assert time.monotonic() - started < 1.0
    assert fake.calls("POST", "/v2/orders") == 1


def test_an_unreachable_broker_means_not_sent_for_submit_and_retry_for_reads(
    fake: FakeAlpacaServer, sleeps: Any
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    broker = AlpacaBroker(fake.config(trading_url=dead), sleep=sleeps)
    with pytest.raises(OrderRejectedError) as info:
        asyncio.run(broker.submit_order(market("n-1")))
    assert info.value.reason == "not sent: broker unreachable"
    with pytest.raises(BrokerUnavailableError):
        asyncio.run(broker.account())
    assert len(sleeps.asked) == 3


def test_a_5xx_on_cancel_is_unknown(fake: FakeAlpacaServer, make_broker: Any) -> None:
    broker: AlpacaBroker = make_broker()
    report = asyncio.run(broker.submit_order(market("cx-1")))
    fake.add_fault(Fault("DELETE", "/v2/orders/*", status=504, apply_first=True))
    with pytest.raises(SendOutcomeUnknown):
        asyncio.run(broker.cancel_order("cx-1", report.venue_order_id))
    assert fake.calls("DELETE", "/v2/orders/*") == 1
    assert fake.orders[report.venue_order_id].status == "canceled"


# --------------------------------------------------------------------------- credentials


def test_bad_keys_are_a_broker_error_that_never_shows_the_secret(
    fake: FakeAlpacaServer, sleeps: Any, caplog: pytest.LogCaptureFixture
) -> None:
    wrong_secret = "wrong-secret-abcdef123456"
    cfg = fake.config(api_secret_key=wrong_secret)
    broker = AlpacaBroker(cfg, sleep=sleeps)
    with caplog.at_level(logging.DEBUG), pytest.raises(BrokerError) as info:
        asyncio.run(broker.account())
    assert not isinstance(info.value, BrokerUnavailableError)  # definitive, not retried
    assert "401" in str(info.value)
    assert fake.calls("GET", "/v2/account") == 1
    assert sleeps.asked == []
    for text in (str(info.value), repr(info.value), caplog.text, str(info.value.to_dict())):
        assert wrong_secret not in text
        assert fake.key_id not in text
    with pytest.raises(BrokerError, match="refused the trade-updates stream credentials"):
        asyncio.run(broker.reports().__anext__())


def test_no_log_line_or_error_carries_the_keys(
    fake: FakeAlpacaServer, make_broker: Any, caplog: pytest.LogCaptureFixture
) -> None:
    fake.add_fault(Fault("POST", "/v2/orders", status=429, retry_after=0))
    fake.add_fault(Fault("POST", "/v2/orders", nth=3, status=504))
    broker: AlpacaBroker = make_broker()
    errors: list[str] = []
    with caplog.at_level(logging.DEBUG):
        asyncio.run(broker.submit_order(market("k-1")))
        try:
            asyncio.run(broker.submit_order(market("k-2")))
        except SendOutcomeUnknown as exc:
            errors.append(str(exc))
    assert errors
    assert "429" in caplog.text  # the resend was logged...
    for text in [caplog.text, *errors]:
        assert fake.secret_key not in text  # ...without the keys
        assert fake.key_id not in text


# --------------------------------------------------------------------------- config guard


def test_live_endpoints_are_refused_without_live_trading() -> None:
    with pytest.raises(ConfigError, match="live trading is off: set NT_LIVE_TRADING=true"):
        AlpacaConfig(api_key_id="PKLIVE1234", api_secret_key="livesecret1234", paper=False)
    cfg = AlpacaConfig(
        api_key_id="PKLIVE1234", api_secret_key="livesecret1234", paper=False, live_trading=True
    )
    assert cfg.is_live
    assert cfg.trading_base_url == "https://api.alpaca.markets"


def test_a_paper_flag_cannot_hide_a_live_url() -> None:
    with pytest.raises(ConfigError, match="live trading is off"):
        AlpacaConfig(
            api_key_id="PKLIVE1234",
            api_secret_key="livesecret1234",
            trading_url="https://api.alpaca.markets",
        )


def test_paper_false_against_a_local_fake_is_not_live(fake: FakeAlpacaServer) -> None:
    cfg = fake.config(paper=False)
    assert not cfg.is_live
    with pytest.raises(ConfigError):  # the stream would still reach the live host
        fake.config(paper=False, stream_url=None)


def test_from_settings_reads_keys_and_applies_the_guard(
    nt_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("APCA_API_KEY_ID", raising=False)
    monkeypatch.delenv("APCA_API_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="APCA_API_KEY_ID, APCA_API_SECRET_KEY") as info:
        AlpacaConfig.from_settings(Settings())
    assert "Hint" in str(info.value)

    monkeypatch.setenv("APCA_API_KEY_ID", "PKENV12345")
    monkeypatch.setenv("APCA_API_SECRET_KEY", "envsecret12345")
    cfg = AlpacaConfig.from_settings(Settings(alpaca_feed="sip"))
    assert cfg.key_pair() == ("PKENV12345", "envsecret12345")
    assert cfg.feed == "sip"
    assert "envsecret12345" not in repr(cfg)

    with pytest.raises(ConfigError, match="live trading is off"):
        AlpacaConfig.from_settings(Settings(alpaca_paper=False))
    live = AlpacaConfig.from_settings(Settings(alpaca_paper=False, live_trading=True))
    assert live.is_live

    with pytest.raises(ConfigError, match="feed"):
        AlpacaConfig.from_settings(Settings(alpaca_feed="nasdaq"))


# --------------------------------------------------------------------------- clock skew


@pytest.mark.parametrize("skew_s", [-5.0, 5.0])
def test_clock_skew_does_not_change_parsing(
    fake: FakeAlpacaServer, make_broker: Any, collect: Any, skew_s: float
) -> None:
    fake.clock_offset_s = skew_s
    fake.set_price("AAPL", "42")
    broker: AlpacaBroker = make_broker()

    async def go() -> tuple[list[Any], list[Any], Any]:
        await broker.connect()
        await broker.submit_order(market("sk-1", qty="3"))
        reports = await collect(broker.reports(), until_fills=1)
        stream_fill = next(r for r in reports if isinstance(r, FillReport))
        rest = await broker.fills(since_ns=stream_fill.ts_event)
        clock = await broker.clock()
        await broker.close()
        return reports, rest, clock

    reports, rest, clock = asyncio.run(go())
    stream_fill = next(r for r in reports if isinstance(r, FillReport))
    (activity,) = fake.activities
    # ts_event is Alpaca's clock, ts_init ours: they differ by the skew, and neither moved.
    lag = stream_fill.ts_init - stream_fill.ts_event
    assert abs(lag + skew_s * 1e9) < 0.5e9
    assert [f.trade_id for f in rest] == [stream_fill.trade_id]
    assert rest[0].ts_event // 1_000_000 == stream_fill.ts_event // 1_000_000  # ms vs µs
    assert activity["id"].endswith(stream_fill.trade_id)
    assert abs(clock.timestamp_ns - (time.time_ns() + skew_s * 1e9)) < 1e9
    assert reports[-2].status is OrderStatus.FILLED
