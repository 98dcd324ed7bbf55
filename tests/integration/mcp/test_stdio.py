"""The server over stdio in a real subprocess (``python -m neural_trader.fronts.mcp``), driven
by the SDK's own client: what Claude Desktop and Claude Code do."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters


def test_stdio_subprocess_serves_tools(sample_home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    env["NT_HOME"] = str(sample_home)
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "neural_trader.fronts.mcp"], env=env
    )

    async def go() -> dict[str, Any]:
        async with Client(params) as client:
            tools = await client.list_tools()
            ping = await client.call_tool("ping", {})
            snap = await client.call_tool("quick_analysis", {"symbol": "SPX"})
            bad = await client.call_tool("run_backtest", {"strategy": "sma_cross"})
            again = await client.call_tool("get_candles", {"symbol": "IXIC", "limit": 1})
            return {"tools": tools, "ping": ping, "snap": snap, "bad": bad, "again": again}

    out = anyio.run(go)
    assert len(out["tools"].tools) == 45
    assert out["ping"].structured_content["status"] == "ok"
    assert out["snap"].structured_content["symbol"] == "SPX"
    assert out["bad"].is_error
    assert "start_date" in out["bad"].content[0].text
    assert out["again"].structured_content["rows_shown"] == 1
