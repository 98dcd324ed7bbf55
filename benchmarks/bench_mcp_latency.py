"""MCP ``tools/call`` latency of a light tool, in process and over stdio, and start-up time.

Prints p50/p99 of ``ping`` (and of ``get_market_status``, which also reads the exchange
calendar in a worker thread) through the SDK's own client: in process (the in-memory
dispatcher, no JSON-RPC framing) and over stdio to a ``python -m neural_trader.fronts.mcp``
subprocess (JSON-RPC over pipes, what desktop clients do). Start-up: the wall time of
``build_server()`` in a fresh interpreter (imports included) and of a stdio server from spawn
to its first answer. Issue 7's targets: in-process p99 under 5 ms; start-up under 1.5 s.
Never asserts.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import anyio
import numpy as np
from mcp import Client, StdioServerParameters

WARMUP = 50
N = 1000
N_STDIO = 300


def _pcts(samples: list[float]) -> str:
    a = np.asarray(samples) * 1e3
    return (
        f"p50 {np.percentile(a, 50):7.3f} ms  p99 {np.percentile(a, 99):7.3f} ms  "
        f"mean {a.mean():7.3f} ms  (n={a.size})"
    )


async def _latency(client: Client, tool: str, args: dict[str, Any], n: int) -> list[float]:
    for _ in range(WARMUP):
        await client.call_tool(tool, args)
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        result = await client.call_tool(tool, args)
        out.append(time.perf_counter() - t0)
        if result.is_error:
            raise RuntimeError(result.content[0].text)
    return out


def in_process() -> None:
    from neural_trader.fronts.mcp.server import build_server

    server = build_server()

    async def go() -> None:
        async with Client(server) as client:
            for tool, args in (("ping", {}), ("get_market_status", {})):
                print(f"  in process  {tool:18s} {_pcts(await _latency(client, tool, args, N))}")

    anyio.run(go)


def over_stdio(home: str) -> None:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env["NT_HOME"] = home
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "neural_trader.fronts.mcp"], env=env
    )

    async def go() -> float:
        t0 = time.perf_counter()
        async with Client(params) as client:
            await client.call_tool("ping", {})
            first = time.perf_counter() - t0
            for tool, args in (("ping", {}), ("get_market_status", {})):
                samples = await _latency(client, tool, args, N_STDIO)
                print(f"  stdio       {tool:18s} {_pcts(samples)}")
        return first

    first = anyio.run(go)
    print(f"  stdio start: spawn to first ping answered {first:6.3f} s (includes the handshake)")


PROBE = """
import time
t0 = time.perf_counter()
from neural_trader.fronts.mcp.server import build_server
build_server()
print(time.perf_counter() - t0)
"""


def startup(home: str, runs: int = 5) -> None:
    env = {**os.environ, "NT_HOME": home}
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, env=env
        )
        times.append(float(out.stdout.strip().splitlines()[-1]))
    print(
        f"  build_server() in a fresh interpreter, imports included: median "
        f"{statistics.median(times):.3f} s, min {min(times):.3f} s (n={runs})"
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="nt-bench-mcp-") as home:
        os.environ["NT_HOME"] = home
        print(f"MCP tools/call latency (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
        in_process()
        over_stdio(home)
        print("start-up")
        startup(home)
        print(json.dumps({"targets": {"in_process_p99_ms": 5, "startup_s": 1.5}}))


if __name__ == "__main__":
    main()
