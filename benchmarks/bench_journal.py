"""Order-journal throughput and latency on SQLite and PostgreSQL (a plain script, not a test).

Run: ``.venv/bin/python benchmarks/bench_journal.py [N]``. Persists N orders (default 2000), each
as the live path does: ``record_intent`` (the write-ahead record the order manager waits for
before sending), ``apply_status`` (the broker's ack) and ``apply_fill`` (one fill, which also
moves the position): three committed transactions per order. Prints the p50/p99 latency of
each call and the orders persisted per second.

SQLite runs in a temporary folder with the store's defaults (WAL, ``synchronous=NORMAL``; set
``NT_JOURNAL_SYNC=full`` to measure an fsync per commit). PostgreSQL runs against
``NT_TEST_POSTGRES_URL`` when set (in a scratch schema, dropped afterwards), otherwise against a
server this script starts with scripts/pg_test_server.sh, with fsync on so that commits cost
what they would in production, and stops again. Target: ``record_intent`` well under 1 ms at
the median on SQLite (the bar-to-order budget is 1 ms at p99, journal write included).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from neural_trader.core.enums import OrderSide, OrderStatus, OrderType
from neural_trader.execution.journal import Journal
from neural_trader.execution.reports import FillReport, OrderRequest, OrderStatusReport

ROOT = Path(__file__).resolve().parents[1]
PG_SCRIPT = ROOT / "scripts" / "pg_test_server.sh"
SYMBOLS = ("AAPL", "MSFT", "NVDA", "SPY")


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def run(journal: Journal, n: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"record_intent": [], "apply_status": [], "apply_fill": []}
    clock = time.perf_counter
    for i in range(n):
        cid = f"bench-{i}"
        symbol = SYMBOLS[i % len(SYMBOLS)]
        side = OrderSide.BUY if i % 3 else OrderSide.SELL
        qty = Decimal(1 + i % 7)
        price = Decimal(100) + Decimal(i % 250) / 100
        request = OrderRequest(
            client_order_id=cid,
            symbol=symbol,
            side=side,
            order_type=OrderType.LIMIT,
            quantity=qty,
            limit_price=price,
            strategy="bench",
        )
        ack = OrderStatusReport(
            client_order_id=cid,
            venue_order_id=f"V{i}",
            symbol=symbol,
            side=side,
            order_type=OrderType.LIMIT,
            quantity=qty,
            filled_quantity=Decimal(0),
            status=OrderStatus.ACCEPTED,
            ts_event=2 * i,
            ts_init=2 * i,
            limit_price=price,
        )
        fill = FillReport(
            trade_id=f"T{i}",
            client_order_id=cid,
            venue_order_id=f"V{i}",
            symbol=symbol,
            side=side,
            quantity=qty,
            price=price,
            ts_event=2 * i + 1,
            ts_init=2 * i + 1,
            commission=Decimal("0.35"),
        )
        t0 = clock()
        journal.record_intent(request, ts_init=i)
        t1 = clock()
        journal.apply_status(ack, ts_init=i)
        t2 = clock()
        journal.apply_fill(fill, ts_init=i)
        t3 = clock()
        timings["record_intent"].append(t1 - t0)
        timings["apply_status"].append(t2 - t1)
        timings["apply_fill"].append(t3 - t2)
    return timings


def report(backend: str, timings: dict[str, list[float]], wall: float, n: int) -> None:
    print(f"-- {backend}: {n:,} orders, {n / wall:,.0f} orders/s ({3 * n / wall:,.0f} commits/s)")
    for name, values in timings.items():
        ordered = sorted(values)
        print(
            f"   {name:<14} p50 {percentile(ordered, 0.5) * 1e6:8.0f} us"
            f"   p99 {percentile(ordered, 0.99) * 1e6:8.0f} us"
            f"   max {ordered[-1] * 1e6:8.0f} us"
        )


def bench(backend: str, url: str, n: int) -> None:
    with Journal.open(url, broker="bench") as journal:
        run(journal, min(200, n))  # warm-up: statement caches, pool, file growth
        journal_n = Journal(journal.engine, broker="bench-measured")
        t = time.perf_counter()
        timings = run(journal_n, n)
        wall = time.perf_counter() - t
    report(backend, timings, wall, n)


@contextmanager
def postgres_url() -> Iterator[str | None]:
    """A PostgreSQL URL with a scratch schema, or None (with the reason printed)."""
    base = os.environ.get("NT_TEST_POSTGRES_URL", "").strip()
    with tempfile.TemporaryDirectory(prefix="nt-bench-pg-") as state:
        started = False
        if not base:
            env = {**os.environ, "NT_PGTEST_DIR": state, "NT_PGTEST_FSYNC": "on"}
            proc = subprocess.run(
                ["bash", str(PG_SCRIPT), "start"],
                capture_output=True,
                text=True,
                env=env,
                check=False,
            )
            base = proc.stdout.strip()
            started = bool(base)
            if not base:
                print(f"-- postgresql: skipped ({proc.stderr.strip() or 'no server'})")
        try:
            if not base:
                yield None
                return
            schema = f"bench_{uuid.uuid4().hex[:12]}"
            admin = create_engine(base, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            try:
                url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
                yield url.render_as_string(hide_password=False)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
                admin.dispose()
        finally:
            if started:
                env = {**os.environ, "NT_PGTEST_DIR": state}
                subprocess.run(["bash", str(PG_SCRIPT), "stop"], env=env, check=False)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    sync = os.environ.get("NT_JOURNAL_SYNC", "normal")
    with tempfile.TemporaryDirectory(prefix="nt-bench-journal-") as tmp:
        bench(f"sqlite (WAL, synchronous={sync})", f"sqlite:///{Path(tmp) / 'trading.db'}", n)
    with postgres_url() as url:
        if url is not None:
            bench("postgresql", url, n)


if __name__ == "__main__":
    main()
