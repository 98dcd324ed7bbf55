"""One long stdio session, as Claude Desktop holds one: the server in a real subprocess
(``python -m neural_trader.fronts.mcp``), driven by the SDK's own client for about two hundred
calls that mix light tools, engine tools with progress notifications, refused arguments and
engine errors, and bursts of concurrent calls.

The server's own accounting is the consistency check: at the end ``get_token_usage`` must
count, per tool, exactly the calls this test made (errors and refused calls included) and the
request bytes it sent, and ``get_api_latency`` exactly the calls that reached a tool body.
The process must still be alive with no traceback on its stderr, and its resident memory
must not grow by more than ``RSS_GROWTH_BOUND`` between the middle and the end of the
session, whose second half repeats the first half's work (a leak check, generous on purpose:
allocator noise is a few MB).
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp_types import CallToolResult
from pydantic_core import to_json

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="reads the server process in /proc"
    ),
]

ROUNDS = 10
"""Rounds of CALLS_PER_ROUND calls; the RSS is read after ROUNDS // 2 and after ROUNDS."""
CALLS_PER_ROUND = 24
CONCURRENCY = 8
RSS_GROWTH_BOUND = 50 * 2**20
"""Most the server's RSS may grow over the second half of the session (bytes)."""
SESSION_TIMEOUT = 180.0
"""A hung server fails the test instead of hanging it."""

STRATEGIES = ["sma_cross", "buy_and_hold", "momentum", "mean_reversion", "swing"]
SYMBOLS = ["SPX", "IXIC"]


def _server_pid(parent: int) -> int:
    """The pid of our ``neural_trader.fronts.mcp`` child (Linux ``/proc``)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"neural_trader.fronts.mcp" in cmdline:
            return int(entry.name)
    raise AssertionError("the server process was not found among this process's children")


def _alive(pid: int) -> bool:
    """Running (not exited, not a zombie waiting to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Session:
    """Calls through one client, counting per tool what the server should count."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.made: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()  # arguments refused before the tool body
        self.failed: Counter[str] = Counter()  # the tool body ran and raised an error
        self.request_bytes: Counter[str] = Counter()
        self.progress_runs = 0

    async def call(
        self,
        tool: str,
        args: dict[str, Any] | None = None,
        *,
        expect: str = "ok",
        error_text: str | None = None,
        progress: bool = False,
    ) -> CallToolResult:
        """One call; ``expect`` is ok, refused (invalid arguments) or failed (engine error)."""
        args = args or {}
        seen: list[float] = []

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            seen.append(done)

        result = await self.client.call_tool(
            tool, args, progress_callback=on_progress if progress else None
        )
        self.made[tool] += 1
        self.request_bytes[tool] += len(to_json(args))
        text = result.content[0].text if result.content else ""
        if expect == "ok":
            assert not result.is_error, f"{tool} {args}: {text}"
            assert result.structured_content is not None, tool
        else:
            assert result.is_error, f"{tool} {args} should fail: {text}"
            if error_text is not None:
                assert error_text in text, text
            (self.refused if expect == "refused" else self.failed)[tool] += 1
        if progress and expect == "ok":
            # Progress arrives before the result, never decreases, starts at 0 and ends done.
            assert len(seen) >= 3, (tool, seen)
            assert seen == sorted(seen), (tool, seen)
            assert seen[0] == 0.0, (tool, seen)
            assert seen[-1] > seen[0], (tool, seen)
            self.progress_runs += 1
        return result

    async def rss(self) -> int:
        out = await self.call("get_system_metrics", {"metrics": ["memory"]})
        rss = out.structured_content["current_metrics"]["memory"]["rss_bytes"]
        assert isinstance(rss, int)
        assert rss > 0
        return rss


async def _round(s: Session, i: int) -> None:
    """CALLS_PER_ROUND calls: light, engine (with progress), errors, then a concurrent burst."""
    strategy = STRATEGIES[i % len(STRATEGIES)]
    symbol = SYMBOLS[i % 2]
    await s.call("ping")
    listed = await s.call("list_strategies")
    assert strategy in listed.structured_content["strategies"]
    info = await s.call("get_strategy_info", {"strategy": strategy})
    assert info.structured_content["name"] == strategy
    bars = await s.call("get_candles", {"symbol": symbol, "limit": 5 + i})
    assert bars.structured_content["rows_shown"] == 5 + i
    await s.call(
        "compute_indicators",
        {"symbol": symbol, "indicators": [{"name": "rsi"}, {"name": "sma", "params":
         {"timeperiod": 20 + i}}], "limit": 3},
    )  # fmt: skip
    snap = await s.call("get_market_analysis", {"symbol": symbol})
    assert snap.structured_content["symbol"] == symbol

    quick = await s.call(
        "quick_backtest",
        {"strategy": "buy_and_hold", "symbol": symbol, "days": 200 + 30 * i},
        progress=True,
    )
    assert quick.structured_content["bars"] > 100
    full = await s.call(
        "run_backtest",
        {"strategy": "sma_cross", "symbol": symbol, "start_date": f"{2005 + i}-01-01",
         "end_date": f"{2009 + i}-12-31", "engine": "event" if i % 2 else "vector",
         "benchmark": "nasdaq" if i % 2 else "sp500"},
        progress=True,
    )  # fmt: skip
    assert full.structured_content["bars"] > 900

    # Errors, interleaved: refused arguments and engine errors. The server must carry on.
    await s.call("get_candles", {"symbol": symbol, "limit": 0}, expect="refused",
                 error_text="limit")  # fmt: skip
    await s.call("quick_analysis", {"symbol": f"NOPE{i}"}, expect="failed",
                 error_text=f"unknown symbol 'NOPE{i}'")  # fmt: skip
    await s.call("run_backtest", {"strategy": strategy, "symbol": symbol}, expect="refused",
                 error_text="start_date")  # fmt: skip
    await s.call("quick_backtest", {"strategy": "sma_cross", "symbol": symbol, "days": 5},
                 expect="failed", error_text="warm-up")  # fmt: skip
    await s.call("get_strategy_info", {"strategy": f"nope{i}"}, expect="failed",
                 error_text=f"nope{i}")  # fmt: skip
    await s.call("ping", {"bogus": i}, expect="refused", error_text="bogus")
    pairs = {"strategy": "pairs", "symbol": symbol, "start_date": "2010-01-01",
             "end_date": "2011-12-31"}  # fmt: skip
    await s.call("run_backtest", pairs, expect="failed", error_text="pairs")
    await s.call("get_market_analysis", {"symbol": ""}, expect="refused", error_text="symbol")

    # CONCURRENCY calls at once, an engine call with progress among them.
    burst: list[tuple[str, dict[str, Any], bool]] = [
        ("ping", {}, False),
        ("get_candles", {"symbol": SYMBOLS[1 - i % 2], "limit": 3}, False),
        ("get_market_analysis", {"symbol": SYMBOLS[1 - i % 2]}, False),
        ("list_strategies", {}, False),
        ("compute_indicators", {"symbol": symbol, "indicators": [{"name": "macd"}]}, False),
        ("get_strategy_info", {"strategy": STRATEGIES[(i + 1) % len(STRATEGIES)]}, False),
        ("quick_analysis", {"symbol": symbol}, False),
        ("quick_backtest", {"strategy": "momentum", "symbol": "SPX", "days": 730}, True),
    ]
    assert len(burst) == CONCURRENCY
    async with anyio.create_task_group() as tg:
        for tool, args, progress in burst:
            tg.start_soon(lambda t=tool, a=args, p=progress: s.call(t, a, progress=p))


async def _resources(client: Client) -> None:
    listed = await client.list_resources()
    uris = {str(r.uri) for r in listed.resources}
    assert {"strategies://available", "data://catalog", "portfolio://status"} <= uris
    templates = await client.list_resource_templates()
    assert "strategies://{name}" in {t.uri_template for t in templates.resource_templates}
    for uri in ("strategies://available", "data://catalog", "portfolio://status",
                "neural://models", "strategies://sma_cross", "runner://active"):  # fmt: skip
        res = await client.read_resource(uri)
        assert res.contents, uri
        assert res.contents[0].text, uri


def test_a_long_stdio_session_keeps_its_books_and_its_memory(sample_home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    env["NT_HOME"] = str(sample_home)
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "neural_trader.fronts.mcp"], env=env
    )
    stderr_path = sample_home.parent / "server-stderr.txt"

    async def go() -> dict[str, Any]:
        with stderr_path.open("w") as errlog, anyio.fail_after(SESSION_TIMEOUT):
            async with Client(stdio_client(params, errlog=errlog)) as client:
                pid = _server_pid(os.getpid())
                s = Session(client)
                tools = await client.list_tools()
                assert len(tools.tools) == 45
                await _resources(client)
                t0 = time.perf_counter()
                for i in range(ROUNDS // 2):
                    await _round(s, i)
                rss_mid = await s.rss()
                for i in range(ROUNDS // 2, ROUNDS):
                    await _round(s, i)
                await _resources(client)
                rss_end = await s.rss()
                latency = await s.call("get_api_latency", {"time_window": "1h"})
                usage = await s.call("get_token_usage", {"timeframe": "1h"})
                last = await client.call_tool("ping", {})
                return {
                    "session": s,
                    "pid": pid,
                    "alive": _alive(pid),
                    "seconds": time.perf_counter() - t0,
                    "rss_mid": rss_mid,
                    "rss_end": rss_end,
                    "latency": latency.structured_content,
                    "usage": usage.structured_content,
                    "last": last,
                }

    out = anyio.run(go)
    s: Session = out["session"]
    total = sum(s.made.values())
    assert total == ROUNDS * CALLS_PER_ROUND + 4  # + 2 RSS reads, latency, token usage
    assert 150 <= total <= 250, total
    assert s.progress_runs == 3 * ROUNDS
    assert not out["last"].is_error
    assert out["alive"], "the server process died during the session"

    # The server counted exactly the calls this test made. get_token_usage: every call,
    # refused ones included, and the bytes of the arguments as sent; the get_token_usage
    # call itself is logged after it answers.
    usage = out["usage"]
    assert usage["window"]["complete"] is False  # the server started within the hour
    made = s.made - Counter({"get_token_usage": 1})
    by_tool = usage["by_tool"]
    assert set(by_tool) == set(made)
    for tool, n in made.items():
        row = by_tool[tool]
        assert row["calls"] == n, (tool, row, n)
        assert row["refused"] == s.refused[tool], (tool, row)
        assert row["errors"] == s.refused[tool] + s.failed[tool], (tool, row)
        assert row["request"]["bytes_total"] == s.request_bytes[tool], (tool, row)
    assert usage["totals"]["calls"] == sum(made.values())
    # get_api_latency: the calls that reached a tool body (refused arguments never do), with
    # the engine errors as its errors; the get_api_latency call itself is not yet logged.
    reached = made - s.refused - Counter({"get_api_latency": 1})
    lat = out["latency"]["by_tool"]
    assert set(lat) == set(reached)
    for tool, n in reached.items():
        assert lat[tool]["calls"] == n, (tool, lat[tool], n)
        assert lat[tool]["errors"] == s.failed[tool], (tool, lat[tool])
    assert out["latency"]["overall"]["calls"] == sum(reached.values())

    # Nothing crashed: no traceback on stderr (engine errors are tool errors, not crashes).
    stderr = stderr_path.read_text()
    assert "Traceback" not in stderr, stderr[-4000:]

    growth = out["rss_end"] - out["rss_mid"]
    print(
        f"\n{total} calls in {out['seconds']:.1f} s; server RSS {out['rss_mid'] / 2**20:.1f} MB "
        f"at mid-session, {out['rss_end'] / 2**20:.1f} MB at the end "
        f"(growth {growth / 2**20:+.1f} MB, bound {RSS_GROWTH_BOUND / 2**20:.0f} MB)"
    )
    assert growth < RSS_GROWTH_BOUND, growth
