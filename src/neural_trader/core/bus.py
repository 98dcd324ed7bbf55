"""A small synchronous message bus: publish/subscribe on topics, and named endpoints.

Topics are dotted strings (``events.order.SmaCross-001``); a subscription pattern may use
``*`` (any run of characters, dots included) and ``?`` (one character). Handlers run in the order
they subscribed, on the publisher's call stack, so a backtest is deterministic and a handler sees
the world exactly as the publisher left it.

A handler that raises stops the publish and the exception reaches the publisher (the default):
a swallowed error in a fill handler would leave positions and orders silently disagreeing.
``MessageBus(isolate_errors=True)`` instead logs the exception and carries on with the next
handler, for places where one failing observer (a dashboard) must not stop the rest.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from neural_trader.core.errors import InvalidArgumentError, NotFoundError

__all__ = ["Handler", "MessageBus", "Subscription"]

Handler = Callable[[Any], None]

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Subscription:
    pattern: str
    handler: Handler
    sequence: int

    def matches(self, topic: str) -> bool:
        return _compile(self.pattern).fullmatch(topic) is not None


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _compile(pattern: str) -> re.Pattern[str]:
    compiled = _PATTERNS.get(pattern)
    if compiled is None:
        body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
        compiled = _PATTERNS[pattern] = re.compile(body, re.DOTALL)
    return compiled


class MessageBus:
    """Topic publish/subscribe plus point-to-point endpoints, all synchronous."""

    def __init__(self, *, isolate_errors: bool = False) -> None:
        self._isolate_errors = isolate_errors
        self._subscriptions: list[Subscription] = []
        self._sequence = 0
        self._resolved: dict[str, tuple[Handler, ...]] = {}
        self._endpoints: dict[str, Callable[[Any], Any]] = {}
        self.published_count = 0

    def subscribe(self, pattern: str, handler: Handler) -> None:
        """Call ``handler(message)`` for each message published on a topic matching ``pattern``.

        Subscribing the same handler to the same pattern twice is a no-op, so a component that
        re-subscribes on restart does not receive every message twice.
        """
        if not isinstance(pattern, str) or not pattern:
            raise InvalidArgumentError(f"subscription pattern must be a non-empty str: {pattern!r}")
        if not callable(handler):
            raise InvalidArgumentError(f"handler for {pattern!r} is not callable: {handler!r}")
        if any(s.pattern == pattern and s.handler == handler for s in self._subscriptions):
            return
        self._sequence += 1
        self._subscriptions.append(Subscription(pattern, handler, self._sequence))
        self._resolved.clear()

    def unsubscribe(self, pattern: str, handler: Handler) -> None:
        before = len(self._subscriptions)
        self._subscriptions = [
            s for s in self._subscriptions if not (s.pattern == pattern and s.handler == handler)
        ]
        if len(self._subscriptions) == before:
            raise NotFoundError(f"{handler!r} is not subscribed to {pattern!r}")
        self._resolved.clear()

    def subscriptions(self, topic: str | None = None) -> tuple[Subscription, ...]:
        """All subscriptions, or those a message on ``topic`` would reach, in call order."""
        if topic is None:
            return tuple(self._subscriptions)
        return tuple(s for s in self._subscriptions if s.matches(topic))

    def has_subscribers(self, topic: str) -> bool:
        return bool(self._handlers_for(topic))

    def publish(self, topic: str, message: object) -> int:
        """Deliver ``message`` to every matching handler; returns how many were called."""
        if not isinstance(topic, str) or not topic or "*" in topic or "?" in topic:
            raise InvalidArgumentError(
                f"publish needs a concrete topic (no wildcards), got {topic!r}"
            )
        self.published_count += 1
        handlers = self._handlers_for(topic)
        for handler in handlers:
            if not self._isolate_errors:
                handler(message)
                continue
            try:
                handler(message)
            except Exception:
                _log.exception("handler %r failed on topic %s", handler, topic)
        return len(handlers)

    def register_endpoint(self, name: str, handler: Callable[[Any], Any]) -> None:
        """Make ``handler`` answer :meth:`request` calls to ``name``; one handler per name."""
        if name in self._endpoints:
            raise InvalidArgumentError(f"endpoint {name!r} is already registered")
        self._endpoints[name] = handler

    def deregister_endpoint(self, name: str) -> None:
        if self._endpoints.pop(name, None) is None:
            raise NotFoundError(f"no endpoint named {name!r}")

    def request(self, endpoint: str, message: object) -> Any:
        """Send ``message`` to one endpoint and return its answer."""
        handler = self._endpoints.get(endpoint)
        if handler is None:
            known = ", ".join(sorted(self._endpoints)) or "none"
            raise NotFoundError(f"no endpoint named {endpoint!r}", hint=f"registered: {known}")
        return handler(message)

    def _handlers_for(self, topic: str) -> tuple[Handler, ...]:
        handlers = self._resolved.get(topic)
        if handlers is None:
            handlers = tuple(s.handler for s in self._subscriptions if s.matches(topic))
            self._resolved[topic] = handlers
        return handlers
