"""kill -9 of the runner at points of an order's life: nothing lost, nothing sent twice.

A real subprocess trades through a paper broker (its own durable store, so the "venue"
outlives the runner) wrapped in a fault plan that SIGKILLs the process before or after the
n-th submit reaches the broker. The restarted runner must end with exactly the fills of an
uninterrupted run, every broker order known to the journal once, and equal positions.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from neural_trader.core.clock import TestClock
from neural_trader.execution.journal import Journal
from neural_trader.execution.paper import PaperBroker
from neural_trader.testkit.faults import Fault, FaultPlan

SCRIPT = Path(__file__).with_name("crash_runner.py")


def _bars(path: Path) -> None:
    rng = np.random.default_rng(7)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.03, 160)))
    opens = close * np.exp(rng.normal(0, 0.005, 160))
    frame = pd.DataFrame(
        {
            "Date": pd.date_range("2020-01-01", periods=160, freq="D").strftime("%Y-%m-%d"),
            "Open": opens,
            "High": np.maximum(opens, close) * 1.01,
            "Low": np.minimum(opens, close) * 0.99,
            "Close": close,
            "Volume": 1e6,
        }
    )
    frame.to_csv(path, index=False, float_format="%.4f")


def _run(
    home: Path, bars: Path, plan: FaultPlan | None = None, cap: float | None = None
) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, str(SCRIPT), str(home), str(bars), (plan or FaultPlan()).to_json()]
    if cap is not None:
        args.append(str(cap))
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def _fills(home: Path) -> list[tuple[int, str, Decimal, Decimal]]:
    with Journal.open(f"sqlite:///{home / 'trading.db'}", broker="paper") as journal:
        return [(f.ts_event, f.side.value, f.quantity, f.price) for f in journal.fills()]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[object]]:
    root = tmp_path_factory.mktemp("crash")
    bars = root / "bars.csv"
    _bars(bars)
    home = root / "clean"
    home.mkdir()
    done = _run(home, bars)
    assert done.returncode == 0, done.stderr
    fills = _fills(home)
    assert len(fills) >= 6
    return bars, list(fills)


def _check_recovered(home: Path, clean_fills: list[object]) -> None:
    assert _fills(home) == clean_fills  # nothing lost, nothing doubled
    paper = PaperBroker(home / "paper.db", None, clock=TestClock(0))
    engine = sa.create_engine(f"sqlite:///{home / 'paper.db'}")
    with engine.connect() as conn:
        at_broker = [
            r[0] for r in conn.execute(sa.text("select client_order_id from paper_orders"))
        ]
    engine.dispose()
    with Journal.open(f"sqlite:///{home / 'trading.db'}", broker="paper") as journal:
        for cid in at_broker:
            record = journal.order(cid)
            assert record is not None, f"broker order {cid} unknown to the journal"
            assert record.status.value in ("FILLED", "CANCELED")
        ours = {p.symbol: p.quantity for p in journal.positions()}
    theirs = {p.symbol: p.quantity for p in asyncio.run(paper.positions())}
    asyncio.run(paper.close())
    assert ours == theirs


@pytest.mark.slow
@pytest.mark.parametrize("action", ["kill_before", "kill_after"])
@pytest.mark.parametrize("nth", [1, 4])
def test_a_killed_runner_resumes_without_losing_or_repeating_orders(
    reference: tuple[Path, list[object]], tmp_path: Path, action: str, nth: int
) -> None:
    bars, clean_fills = reference
    plan = FaultPlan(faults=[Fault(method="submit_order", action=action, nth=nth)], seed=1)  # type: ignore[arg-type]
    killed = _run(tmp_path, bars, plan)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    resumed = _run(tmp_path, bars)
    assert resumed.returncode == 0, resumed.stderr
    _check_recovered(tmp_path, clean_fills)


CAP = 0.00015
"""150 of a bar's 1e6 shares: the ~200-share orders of this run fill over two bars."""


@pytest.mark.slow
@pytest.mark.parametrize("nth_fill", [1, 3])
def test_a_runner_killed_after_a_partial_fill_resumes_exactly(
    reference: tuple[Path, list[object]], tmp_path: Path, nth_fill: int
) -> None:
    bars, _ = reference
    clean = tmp_path / "clean"
    clean.mkdir()
    assert _run(clean, bars, cap=CAP).returncode == 0
    clean_fills = _fills(clean)
    with Journal.open(f"sqlite:///{clean / 'trading.db'}", broker="paper") as journal:
        per_order = [
            len(journal.fills(client_order_id=o.client_order_id)) for o in journal.orders()
        ]
    assert max(per_order) >= 2, "the cap must split orders into partial fills"

    home = tmp_path / "killed"
    home.mkdir()
    kill = Fault(method="stream", action="kill_after_fills", nth=1, count=nth_fill)
    plan = FaultPlan(faults=[kill])
    killed = _run(home, bars, plan, cap=CAP)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with Journal.open(f"sqlite:///{home / 'trading.db'}", broker="paper") as journal:
        cut = journal.fills()
        assert len(cut) == nth_fill
        order = journal.order(cut[-1].client_order_id)
        assert order is not None
        assert order.status.value == "PARTIALLY_FILLED"  # killed mid-order
    resumed = _run(home, bars, cap=CAP)
    assert resumed.returncode == 0, resumed.stderr
    _check_recovered(home, clean_fills)
