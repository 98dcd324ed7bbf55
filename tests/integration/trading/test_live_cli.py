"""``neural-trader trade`` without ``--replay``: Alpaca's live minute bars (from a fake Alpaca
on loopback) through the paper broker, stopped by SIGINT, then ``orders`` / ``positions``."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from neural_trader.adapters.alpaca.parsing import format_rfc3339
from neural_trader.execution.journal import Journal
from neural_trader.testkit.mocks.alpaca_server import FakeAlpacaServer

MIN = 60_000_000_000
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


def cli() -> list[str]:
    exe = shutil.which("neural-trader", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "neural_trader.fronts.cli.app"]


@pytest.fixture
def fake() -> Iterator[FakeAlpacaServer]:
    with FakeAlpacaServer() as srv:
        yield srv


def env_for(fake: FakeAlpacaServer, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NT_", "APCA_"))}
    env.update(
        NT_HOME=str(home),
        APCA_API_KEY_ID=fake.key_id,
        APCA_API_SECRET_KEY=fake.secret_key,
        NT_ALPACA_TRADING_URL=fake.http_url,
        NT_ALPACA_DATA_URL=fake.http_url,
        NT_ALPACA_STREAM_URL=fake.trading_stream_url,
        NT_ALPACA_DATA_STREAM_URL=fake.ws_url,
    )
    return env


def test_trade_on_live_bars_until_sigint(fake: FakeAlpacaServer, tmp_path: Path) -> None:
    t0 = (fake.now_ns() // MIN - 60) * MIN
    history = [100.0, 99.0, 98.0, 97.0, 96.0, 95.0]
    fake.add_bars(
        "AAPL", "1Min",
        [{"t": format_rfc3339(t0 + k * MIN), "o": c, "h": c + 1, "l": c - 1, "c": c, "v": 5000}
         for k, c in enumerate(history)],
    )  # fmt: skip
    env = env_for(fake, tmp_path)
    args = [*cli(), "trade", "--strategy", "sma_cross", "--symbol", "AAPL", "-p", "fast=2",
            "-p", "slow=4", "--warmup", "6", "--lot-size", "1", "--cash", "10000",
            "--json"]  # fmt: skip
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        fake.wait_for_data_subscribers(1, timeout=60)
        live = [101.0, 104.0, 108.0]
        for k, close in enumerate(live, start=len(history)):
            fake.push_bar("AAPL", close, close + 1, close - 1, close, 5000, ts_ns=t0 + k * MIN,
                          record=False)  # fmt: skip
            deadline = time.monotonic() + 30
            while _cursor(tmp_path) < t0 + k * MIN:
                assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
                assert time.monotonic() < deadline
                time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    result: dict[str, Any] = json.loads(out)
    assert result["interrupted"] is True
    assert (result["warmup_bars"], result["bars"]) == (6, 3)
    # in on the first live bar (sized at 101), filled at the next bar's open by the paper venue
    assert [(o["side"], o["status"], o["avg_fill_price"]) for o in result["orders"]] == [
        ("BUY", "FILLED", 104.0)
    ]
    held = subprocess.run([*cli(), "positions", "--json"], env=env, capture_output=True,
                          text=True, check=True)  # fmt: skip
    # 10,000 all in at 101 with the default 0.1% paper fee: 98 whole shares
    assert [(p["symbol"], p["quantity"]) for p in json.loads(held.stdout)] == [("AAPL", 98.0)]


def test_trade_on_live_five_minute_bars_built_from_minutes(
    fake: FakeAlpacaServer, tmp_path: Path
) -> None:
    t0 = (fake.now_ns() // (30 * MIN) - 4) * 30 * MIN  # a half-hour boundary, 2 h ago
    closes = [100.0 + (k % 7) for k in range(30)]
    fake.add_bars(
        "AAPL", "1Min",
        [{"t": format_rfc3339(t0 + k * MIN), "o": c, "h": c + 1, "l": c - 1, "c": c, "v": 100}
         for k, c in enumerate(closes)],
    )  # fmt: skip
    env = env_for(fake, tmp_path)
    args = [*cli(), "trade", "--strategy", "sma_cross", "--symbol", "AAPL", "-p", "fast=2",
            "-p", "slow=3", "--warmup", "4", "--bar", "5m", "--json"]  # fmt: skip
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        fake.wait_for_data_subscribers(1, timeout=60)
        for k in range(30, 40):  # two live 5-minute buckets, minute by minute
            c = 110.0 + k
            fake.push_bar("AAPL", c, c + 1, c - 1, c, 100, ts_ns=t0 + k * MIN, record=False)
        deadline = time.monotonic() + 30
        while _cursor(tmp_path) < t0 + 35 * MIN:
            assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
            assert time.monotonic() < deadline
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    result: dict[str, Any] = json.loads(out)
    # 20 history minutes = 4 buckets learned from; 10 live minutes = 2 buckets traded on
    assert (result["warmup_bars"], result["bars"]) == (4, 2)
    assert result["last_bar"] == t0 + 35 * MIN


def test_bar_is_refused_for_a_replay_and_for_sizes_off_the_session_grid(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NT_", "APCA_"))}
    env["NT_HOME"] = str(tmp_path)
    bars = tmp_path / "x.csv"
    bars.write_text("date,open,high,low,close,volume\n2024-01-02,1,1,1,1,1\n2024-01-03,1,1,1,1,1\n")
    for extra, message in ((["--replay", str(bars), "--bar", "5m"], "--bar applies to live"),
                           (["--replay", str(bars), "--size-buffer", "0.01"],
                            "--size-buffer applies to live"),
                           (["--bar", "1h"], "not supported")):  # fmt: skip
        done = subprocess.run([*cli(), "trade", "--strategy", "sma_cross", "--symbol", "X",
                               *extra], env=env, capture_output=True, text=True)  # fmt: skip
        assert done.returncode != 0
        assert message in done.stdout + done.stderr


def test_trade_without_replay_needs_alpaca_keys(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NT_", "APCA_"))}
    env["NT_HOME"] = str(tmp_path)
    done = subprocess.run([*cli(), "trade", "--strategy", "sma_cross", "--symbol", "AAPL"],
                          env=env, capture_output=True, text=True)  # fmt: skip
    assert done.returncode != 0
    assert "APCA_API_KEY_ID" in done.stderr


def _cursor(home: Path) -> int:
    """The runner's last finished bar (its cursor key embeds a digest of the command)."""
    db = home / "trading.db"
    if not db.exists():
        return -1
    with Journal.open(f"sqlite:///{db}", broker="paper") as journal:
        cursors = journal.states("run:").values()
    return max((int(c["last_ts"]) for c in cursors if isinstance(c, dict)), default=-1)
