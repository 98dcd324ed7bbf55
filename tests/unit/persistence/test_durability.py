"""What a SQLite journal keeps when its process is killed with SIGKILL (no cleanup runs).

``synchronous=NORMAL`` in WAL mode writes each commit to the WAL before ``commit()`` returns,
so a killed process loses nothing it committed (power loss is another matter, see
docs/decisions/0013). The child writes, prints ``ok`` and kills itself at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from neural_trader.core.enums import OrderStatus
from neural_trader.execution.journal import Journal

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from decimal import Decimal
    from neural_trader.core.enums import OrderSide, OrderType
    from neural_trader.execution.journal import Journal
    from neural_trader.execution.reports import FillReport, OrderRequest

    url, n = sys.argv[1], int(sys.argv[2])
    journal = Journal.open(url, broker="paper")
    for i in range(n):
        journal.record_intent(
            OrderRequest(
                client_order_id=f"killed-{i}",
                symbol="AAPL",
                side=OrderSide.BUY,
                order_type=OrderType.MARKET,
                quantity=Decimal("2"),
            ),
            ts_init=i,
        )
    journal.apply_fill(
        FillReport(
            trade_id="t-0", client_order_id="killed-0", venue_order_id="v0", symbol="AAPL",
            side=OrderSide.BUY, quantity=Decimal("2"), price=Decimal("187.31"),
            ts_event=1, ts_init=1,
        ),
        ts_init=n,
    )
    journal.record_intent(
        OrderRequest(
            client_order_id="last",
            symbol="MSFT",
            side=OrderSide.SELL,
            order_type=OrderType.LIMIT,
            quantity=Decimal("1.5"),
            limit_price=Decimal("401.07"),
        ),
        ts_init=n + 1,
    )
    print("ok", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


@pytest.mark.parametrize("sync", ["normal", "full"])
def test_a_sigkilled_writer_loses_nothing_it_committed(tmp_path: Path, sync: str) -> None:
    url = f"sqlite:///{tmp_path / 'home' / 'trading.db'}"
    env = {**os.environ, "NT_JOURNAL_SYNC": sync}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, url, "50"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert proc.stdout.strip() == "ok", proc.stderr
    assert proc.returncode == -signal.SIGKILL
    # The WAL the killed process left behind is recovered on open.
    with Journal.open(url, broker="paper") as journal:
        last = journal.order("last")
        assert last is not None
        assert (last.status, last.submission) == (OrderStatus.INITIALIZED, "pending")
        assert (last.quantity, last.limit_price) == (Decimal("1.5"), Decimal("401.07"))
        assert len(journal.orders()) == 51
        assert [o.client_order_id for o in journal.unresolved()][:2] == ["killed-1", "killed-2"]
        first = journal.order("killed-0")
        assert first is not None
        assert first.status is OrderStatus.FILLED
        assert journal.position("AAPL").avg_price == Decimal("187.31")
