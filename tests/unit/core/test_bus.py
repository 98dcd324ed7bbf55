from __future__ import annotations

import logging

import pytest

from neural_trader.core.bus import MessageBus
from neural_trader.core.errors import InvalidArgumentError, NotFoundError


def test_publish_reaches_exact_and_wildcard_subscribers_in_subscription_order() -> None:
    bus = MessageBus()
    calls: list[str] = []
    bus.subscribe("events.order.*", lambda m: calls.append(f"wild:{m}"))
    bus.subscribe("events.order.S-1", lambda m: calls.append(f"exact:{m}"))
    bus.subscribe("events.position.*", lambda m: calls.append(f"pos:{m}"))
    delivered = bus.publish("events.order.S-1", "filled")
    assert delivered == 2
    assert calls == ["wild:filled", "exact:filled"]


def test_question_mark_matches_one_character() -> None:
    bus = MessageBus()
    got: list[object] = []
    bus.subscribe("data.bar.?m", got.append)
    bus.publish("data.bar.1m", 1)
    bus.publish("data.bar.15m", 2)
    assert got == [1]


def test_star_matches_across_dots_and_literal_characters_are_escaped() -> None:
    bus = MessageBus()
    got: list[object] = []
    bus.subscribe("data.*", got.append)
    bus.subscribe("a+b", got.append)
    bus.publish("data.bar.AAPL.NASDAQ", "x")
    bus.publish("aab", "no")
    bus.publish("a+b", "y")
    assert got == ["x", "y"]


def test_unsubscribe_stops_delivery_and_unknown_unsubscribe_raises() -> None:
    bus = MessageBus()
    got: list[object] = []
    bus.subscribe("t", got.append)
    bus.publish("t", 1)
    bus.unsubscribe("t", got.append)
    bus.publish("t", 2)
    assert got == [1]
    with pytest.raises(NotFoundError):
        bus.unsubscribe("t", got.append)


def test_duplicate_subscription_delivers_once() -> None:
    bus = MessageBus()
    got: list[object] = []
    bus.subscribe("t", got.append)
    bus.subscribe("t", got.append)
    bus.publish("t", 1)
    assert got == [1]


def test_handler_exception_reaches_publisher_by_default() -> None:
    bus = MessageBus()
    got: list[object] = []

    def boom(message: object) -> None:
        raise RuntimeError("handler failed")

    bus.subscribe("t", boom)
    bus.subscribe("t", got.append)
    with pytest.raises(RuntimeError, match="handler failed"):
        bus.publish("t", 1)
    assert got == []


def test_isolated_bus_logs_handler_exception_and_continues(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = MessageBus(isolate_errors=True)
    got: list[object] = []

    def boom(message: object) -> None:
        raise RuntimeError("handler failed")

    bus.subscribe("t", boom)
    bus.subscribe("t", got.append)
    with caplog.at_level(logging.ERROR, logger="neural_trader.core.bus"):
        assert bus.publish("t", 1) == 2
    assert got == [1]
    assert "handler failed" in caplog.text


def test_publish_to_wildcard_topic_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="concrete topic"):
        MessageBus().publish("events.*", 1)


def test_subscribe_with_non_callable_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="not callable"):
        MessageBus().subscribe("t", "nope")  # type: ignore[arg-type]


def test_request_returns_endpoint_answer_and_unknown_endpoint_raises() -> None:
    bus = MessageBus()
    bus.register_endpoint("risk.check", lambda m: f"ok:{m}")
    assert bus.request("risk.check", "O-1") == "ok:O-1"
    with pytest.raises(InvalidArgumentError, match="already registered"):
        bus.register_endpoint("risk.check", lambda m: None)
    bus.deregister_endpoint("risk.check")
    with pytest.raises(NotFoundError, match="no endpoint"):
        bus.request("risk.check", "O-2")


def test_subscription_made_after_publish_sees_later_messages() -> None:
    bus = MessageBus()
    first: list[object] = []
    second: list[object] = []
    bus.subscribe("t", first.append)
    bus.publish("t", 1)
    bus.subscribe("t*", second.append)
    bus.publish("t", 2)
    assert first == [1, 2]
    assert second == [2]
    assert bus.has_subscribers("t")
    assert not bus.has_subscribers("u")
    assert [s.pattern for s in bus.subscriptions("t")] == ["t", "t*"]
