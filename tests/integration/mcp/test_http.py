"""The server over streamable HTTP (uvicorn on 127.0.0.1, a free port), with and without the
bearer token, through the SDK's own client."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from neural_trader.core.errors import ConfigError
from neural_trader.fronts.mcp.server import build_server, http_app

TOKEN = "integration-test-token-0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _serving(token: str | None) -> Iterator[str]:
    port = _free_port()
    app = http_app(build_server(), host="127.0.0.1", token=token)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server.should_exit = True
        thread.join(10)


def _call(url: str, headers: dict[str, str] | None, tool: str, args: dict[str, Any]) -> Any:
    async def go() -> Any:
        async with (
            httpx2.AsyncClient(headers=headers or {}, timeout=30) as http,
            Client(streamable_http_client(url, http_client=http)) as client,
        ):
            return await client.call_tool(tool, args)

    return anyio.run(go)


def test_http_with_token(sample_home: Path) -> None:
    with _serving(TOKEN) as url:
        # Without (or with a wrong) token: 401 before the MCP app sees the request.
        r = httpx2.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, timeout=10)
        assert r.status_code == 401
        assert r.headers["www-authenticate"].startswith("Bearer")
        wrong = httpx2.post(
            url, json={}, headers={"Authorization": "Bearer not-the-token-at-all"}, timeout=10
        )
        assert wrong.status_code == 401
        with pytest.raises(ExceptionGroup) as refused:
            _call(url, None, "ping", {})
        assert refused.group_contains(MCPError)
        # With the token: tools work.
        auth = {"Authorization": f"Bearer {TOKEN}"}
        ok = _call(url, auth, "ping", {})
        assert ok.structured_content["status"] == "ok"
        bt = _call(
            url,
            auth,
            "backtest_strategy",
            {"strategy": "sma_cross", "symbol": "SPX", "start_date": "2016-01-01",
             "end_date": "2018-12-31"},
        )  # fmt: skip
        assert not bt.is_error
        assert bt.structured_content["bars"] > 700


def test_http_on_loopback_without_token(sample_home: Path) -> None:
    with _serving(None) as url:
        ok = _call(url, None, "get_market_status", {})
        assert not ok.is_error
        assert ok.structured_content["calendar"] == "XNYS"


def test_no_token_beyond_loopback_is_refused(sample_home: Path) -> None:
    with pytest.raises(ConfigError, match="NT_MCP_TOKEN"):
        http_app(build_server(), host="0.0.0.0", token=None)
