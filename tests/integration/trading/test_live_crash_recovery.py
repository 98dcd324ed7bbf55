"""kill -9 of a *live* runner (Alpaca bars and broker, a fake Alpaca on loopback): on restart
no order is lost or sent twice and the journal's positions equal the broker's.

The runner is a real subprocess; this process hosts the fake server, pushes one minute bar at
a time (the price the fake fills market orders at moves with it) and waits until the runner
has finished each bar. The kill points: before the n-th submit reaches Alpaca, after it
reached Alpaca but before the answer was read, and after a partial fill was journaled.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from neural_trader.adapters.alpaca.parsing import format_rfc3339
from neural_trader.execution.journal import Journal
from neural_trader.testkit.faults import Fault, FaultPlan
from neural_trader.testkit.mocks.alpaca_server import FakeAlpacaServer

SCRIPT = Path(__file__).with_name("live_crash_runner.py")
MIN = 60_000_000_000
HISTORY = [100.0, 99.0, 98.0, 97.0, 96.0, 95.0]  # falling: flat during the warm-up
LIVE = [101.0, 104.0, 108.0, 103.0, 97.0, 92.0, 98.0, 106.0, 110.0, 100.0, 95.0, 99.0, 104.0]
# sma_cross(2, 4) over HISTORY + LIVE, fixed 10 shares: in at live bar 0, out at 3, in at 6,
# out at 9, in at 12: five orders, ending long 10.

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


class Runner:
    """One runner subprocess on ``home``; restarted after a kill."""

    def __init__(self, home: Path, fake: FakeAlpacaServer) -> None:
        self.home = home
        self.fake = fake
        cfg = fake.config().model_dump()
        cfg["api_key_id"] = fake.key_id
        cfg["api_secret_key"] = fake.secret_key
        self.config = json.dumps(cfg)
        self.proc: subprocess.Popen[str] | None = None
        self.kills = 0

    def start(self, plan: FaultPlan | None = None) -> None:
        args = [sys.executable, str(SCRIPT), str(self.home), self.config]
        if plan is not None:
            args.append(plan.to_json())
        self.proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.fake.wait_for_data_subscribers(1, timeout=60, exactly=True)

    def cursor(self) -> int:
        db = self.home / "trading.db"
        if not db.exists():
            return -1
        with Journal.open(f"sqlite:///{db}", broker="alpaca") as journal:
            state = journal.get_state("run:live-crash")
        return int(state["last_ts"]) if isinstance(state, dict) else -1

    def wait_bar(self, ts: int, close: float) -> None:
        """Until the runner finished bar ``ts``, then publish the bar in Alpaca's REST history
        (a completed bar appears there after it was streamed). A killed runner is restarted
        once the bar is in the history: the restarted runner learns from it, resolves what was
        in flight, and trades from the next bar on."""
        assert self.proc is not None
        deadline = time.monotonic() + 60
        while self.cursor() < ts:
            if self.proc.poll() is not None:
                assert self.proc.returncode == -signal.SIGKILL, self.proc.stderr.read()  # type: ignore[union-attr]
                self.kills += 1
                self.fake.add_bars("AAPL", "1Min", [rest_bar(ts, close)])
                self.fake.wait_for_data_subscribers(0, exactly=True)
                self.start()
                return
            assert time.monotonic() < deadline, "the runner did not finish the bar"
            time.sleep(0.02)
        self.fake.add_bars("AAPL", "1Min", [rest_bar(ts, close)])

    def stop(self) -> str:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=60)
        assert self.proc.returncode == 0, err
        return out


def rest_bar(ts: int, close: float) -> dict[str, Any]:
    return {"t": format_rfc3339(ts), "o": close, "h": close + 1, "l": close - 1, "c": close,
            "v": 5000}  # fmt: skip


def trade(fake: FakeAlpacaServer, home: Path, plan: FaultPlan | None) -> Runner:
    t0 = (fake.now_ns() // MIN - 60) * MIN
    fake.add_bars("AAPL", "1Min", [rest_bar(t0 + k * MIN, c) for k, c in enumerate(HISTORY)])
    fake.set_price("AAPL", HISTORY[-1])
    runner = Runner(home, fake)
    runner.start(plan)
    for k, close in enumerate(LIVE, start=len(HISTORY)):
        ts = t0 + k * MIN
        fake.set_price("AAPL", close)
        fake.push_bar("AAPL", close, close + 1, close - 1, close, 5000, ts_ns=ts, record=False)
        runner.wait_bar(ts, close)
    assert "done" in runner.stop()
    return runner


@pytest.fixture
def fake() -> Any:
    with FakeAlpacaServer() as srv:
        yield srv


def check_consistent(fake: FakeAlpacaServer, home: Path) -> dict[str, Decimal]:
    at_broker = [o.client_order_id for o in fake.orders.values()]
    assert len(at_broker) == len(set(at_broker))
    # at most one live order per planned leg: a resend (.rN) only when the original never
    # reached Alpaca
    legs = Counter(cid.split(".r")[0] for cid in at_broker)
    assert max(legs.values()) == 1, legs
    with Journal.open(f"sqlite:///{home / 'trading.db'}", broker="alpaca") as journal:
        for cid in at_broker:
            record = journal.order(cid)
            assert record is not None, f"Alpaca order {cid} unknown to the journal"
            assert record.status.value == "FILLED", (cid, record.status)
        assert journal.unresolved() == []
        ours = {p.symbol: p.quantity for p in journal.positions() if p.quantity}
    theirs = {s: q for s, (q, _avg) in fake.positions.items() if q}
    assert ours == theirs
    return ours


def test_an_uninterrupted_live_run(fake: FakeAlpacaServer, tmp_path: Path) -> None:
    trade(fake, tmp_path, None)
    assert check_consistent(fake, tmp_path) == {"AAPL": Decimal(10)}
    assert len(fake.orders) == 5


@pytest.mark.parametrize(
    ("action", "nth"),
    [("kill_before", 1), ("kill_after", 1), ("kill_before", 3), ("kill_after", 3)],
)
def test_a_live_runner_killed_around_a_submit_recovers(
    fake: FakeAlpacaServer, tmp_path: Path, action: str, nth: int
) -> None:
    plan = FaultPlan(faults=[Fault(method="submit_order", action=action, nth=nth)])  # type: ignore[arg-type]
    runner = trade(fake, tmp_path, plan)
    assert runner.kills == 1
    assert check_consistent(fake, tmp_path) == {"AAPL": Decimal(10)}


def test_a_live_runner_killed_after_a_partial_fill_recovers(
    fake: FakeAlpacaServer, tmp_path: Path
) -> None:
    fake.script_partial_fills("AAPL", ["4"])  # the first order fills 4 of 10, then rests
    kill = Fault(method="stream", action="kill_after_fills", nth=1, count=1)
    runner = trade(fake, tmp_path, FaultPlan(faults=[kill]))
    assert runner.kills == 1
    assert check_consistent(fake, tmp_path) == {"AAPL": Decimal(10)}
