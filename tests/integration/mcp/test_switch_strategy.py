"""``switch_active_strategy`` end to end: a real ``neural-trader trade`` process replaying bars
in (paced) real time, switched by the MCP tool through the SDK's client, then read back with
``neural-trader runner`` and the run's own summary."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from neural_trader.execution.journal import Journal

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

# Down 10 bars, up 40, down 10: sma_cross(3, 8) buys at bar 13 and would sell near bar 53.
PRICES = (
    [110.0 - k for k in range(10)]
    + [101.0 + k for k in range(1, 41)]
    + [141.0 - 2.0 * k for k in range(1, 11)]
)
SECONDS_PER_BAR = 0.12


def cli() -> list[str]:
    exe = shutil.which("neural-trader", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "neural_trader.fronts.cli.app"]


def write_bars(path: Path) -> None:
    day0 = dt.date(2024, 1, 1)
    lines = ["date,open,high,low,close,volume"]
    for k, p in enumerate(PRICES):
        lines.append(f"{day0 + dt.timedelta(days=k)},{p},{p + 0.5},{p - 0.5},{p},100000")
    path.write_text("\n".join(lines) + "\n")


def fills(home: Path) -> int:
    db = home / "trading.db"
    if not db.exists():
        return 0
    with Journal.open(f"sqlite:///{db}", broker="paper") as journal:
        return len(journal.fills())


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_switch_a_running_strategy_from_an_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from neural_trader.fronts.mcp.server import build_server
    from neural_trader.services import runners, trading  # noqa: F401 - warm the imports

    home = tmp_path / "home"
    home.mkdir()
    bars = tmp_path / "aaa.csv"
    write_bars(bars)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NT_")}
    env["NT_HOME"] = str(home)
    monkeypatch.setenv("NT_HOME", str(home))
    monkeypatch.delenv("NT_LIVE_TRADING", raising=False)
    speed = 86_400 / SECONDS_PER_BAR
    proc = subprocess.Popen(
        [*cli(), "trade", "--strategy", "sma_cross", "-p", "fast=3", "-p", "slow=8",
         "--symbol", "AAA", "--replay", str(bars), "--speed", str(speed), "--cash", "10000",
         "--fees", "0", "--slippage", "0", "--lot-size", "1", "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: fills(home) >= 1, 60, "sma_cross's first fill")
        server = build_server()

        async def switch() -> Any:
            async with Client(server) as client:
                return await client.call_tool(
                    "switch_active_strategy",
                    {
                        "from_strategy": "sma_cross",
                        "to_strategy": "buy_and_hold",
                        "close_positions": True,
                        "wait_seconds": 10,
                    },
                )

        result = anyio.run(switch)
        assert not result.is_error, result.content
        out = result.structured_content
        assert out is not None
        out = out.get("result", out)
        assert out["switch_status"] == "applied", out
        assert out["closing"] == "done", out
        assert out["runner"]["strategy"] == "buy_and_hold"
        [held] = out["positions_affected"]
        assert held["symbol"] == "AAA"
        assert held["quantity"] > 0
        [closing] = out["closed_positions"]
        assert closing["side"] == "SELL"
        assert closing["quantity"] == held["quantity"]

        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    summary = json.loads(stdout)
    assert summary["strategy"] == "buy_and_hold"
    assert [s["to"] for s in summary["switches"]] == ["buy_and_hold"]
    orders = sorted(summary["orders"], key=lambda o: o["ts_created"])
    assert [(o["side"], o["strategy"]) for o in orders] == [
        ("BUY", "sma_cross"),
        ("SELL", "buy_and_hold"),
        ("BUY", "buy_and_hold"),
    ]
    assert summary["position"] > 0  # buy_and_hold held through the fall sma_cross would sell

    after = subprocess.run(
        [*cli(), "runner", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert after.returncode == 0, after.stderr
    status = json.loads(after.stdout)
    assert status["runner"] is None
    assert status["last_switch"]["request_id"] == out["request_id"]
    assert status["last_switch"]["switch_status"] == "applied"
    # the closing order's status as it is now, not as it was when the runner sent it
    assert [o["status"] for o in status["last_switch"]["closed_positions"]] == ["FILLED"]

    refused = subprocess.run(
        [*cli(), "switch", "--from", "buy_and_hold", "--to", "sma_cross", "--json"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "no strategy is running" in refused.stdout + refused.stderr
