"""The HTTP transport's bearer-token rules, checked on the ASGI middleware directly."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from neural_trader.core.errors import ConfigError
from neural_trader.fronts.mcp.auth import BearerTokenMiddleware, check_bind, is_loopback

TOKEN = "a-long-enough-test-token"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_no_token_beyond_loopback_refuses_to_start() -> None:
    check_bind("127.0.0.1", None)  # loopback without a token is allowed
    with pytest.raises(ConfigError, match="NT_MCP_TOKEN"):
        check_bind("0.0.0.0", None)
    with pytest.raises(ConfigError, match="NT_MCP_TOKEN"):
        check_bind("192.168.1.5", "")
    check_bind("0.0.0.0", TOKEN)
    with pytest.raises(ConfigError, match="at least 16"):
        check_bind("0.0.0.0", "short")


def _request(headers: list[tuple[bytes, bytes]]) -> tuple[int, list[Any]]:
    sent: list[Any] = []
    reached: list[bool] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        reached.append(True)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    mw = BearerTokenMiddleware(inner, TOKEN)
    scope = {"type": "http", "method": "POST", "path": "/mcp", "headers": headers}
    anyio.run(mw, scope, receive, send)
    return sent[0]["status"], reached


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ([], 401),
        ([(b"authorization", b"Bearer wrong-token-of-some-length")], 401),
        ([(b"authorization", b"Basic " + TOKEN.encode())], 401),
        ([(b"authorization", TOKEN.encode())], 401),
        ([(b"authorization", b"Bearer " + TOKEN.encode())], 200),
        ([(b"Authorization", b"bearer " + TOKEN.encode())], 200),
    ],
)
def test_middleware_requires_the_token(headers: list[tuple[bytes, bytes]], status: int) -> None:
    got, reached = _request(headers)
    assert got == status
    assert bool(reached) is (status == 200)


def test_lifespan_passes_through() -> None:
    seen: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    async def noop(*_: Any) -> Any:
        return {}

    anyio.run(BearerTokenMiddleware(inner, TOKEN), {"type": "lifespan"}, noop, noop)
    assert seen == ["lifespan"]
