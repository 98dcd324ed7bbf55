"""Catalog and resampling timings on synthetic 1-minute bars (a plain script, not a test).

Run: ``.venv/bin/python benchmarks/bench_catalog.py``. Writes 1M 1-minute bars of one symbol
(about 1.9 years, 24/7) and 10 symbols of 100k bars into a temporary catalog, then times reads
(whole range, one calendar year, one week, a 10-symbol ``read_many``), the same full read
through DuckDB (the catalog view, and a bare ``read_parquet``) for comparison, streaming with
``iter_batches``, and ``resample_bars``.
Each number is the best of a few runs, in milliseconds. Target: a full 1M-bar read well under
one second; resampling 1M bars to 5m well under one second.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from neural_trader.data.catalog import Catalog
from neural_trader.data.resample import resample_bars

MIN = 60_000_000_000
T0 = 1_262_304_000_000_000_000  # 2010-01-01T00:00Z


def synthetic(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 + np.cumsum(rng.normal(0, 0.05, n)).round(2)
    spread = rng.uniform(0, 0.1, n).round(2)
    return pd.DataFrame(
        {
            "ts_event": T0 + np.arange(n, dtype=np.int64) * MIN,
            "open": np.roll(close, 1),
            "high": close + spread,
            "low": close - spread,
            "close": close,
            "volume": rng.integers(1, 5000, n).astype(np.float64),
        }
    )


def best_ms(fn: Callable[[], object], repeat: int = 5) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best * 1000, out


def report(label: str, ms: float, rows: int) -> None:
    print(f"{label:<44} {ms:9.1f} ms  {rows:>9,} rows")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cat = Catalog(Path(tmp) / "catalog")
        big = synthetic(1_000_000, seed=0)
        t = time.perf_counter()
        cat.write_bars("BIG", "1m", big)
        report("write 1M bars (one file)", (time.perf_counter() - t) * 1000, len(big))
        entry = cat.entry("BIG", "1m")
        print(f"{'  on disk':<44} {entry.bytes / 1e6:9.1f} MB")
        for i in range(10):
            cat.write_bars(f"SYM{i}", "1m", synthetic(100_000, seed=i + 1))

        ms, df = best_ms(lambda: cat.read_bars("BIG", "1m"))
        report("read_bars whole range", ms, len(df))  # type: ignore[arg-type]
        ms, df = best_ms(lambda: cat.read_bars("BIG", "1m", start="2010-01-01", end="2010-12-31"))
        report("read_bars one year (2010)", ms, len(df))  # type: ignore[arg-type]
        ms, df = best_ms(lambda: cat.read_bars("BIG", "1m", start="2010-06-07", end="2010-06-13"))
        report("read_bars one week", ms, len(df))  # type: ignore[arg-type]
        ms, batch = best_ms(lambda: cat.read_batch("BIG", "1m"))
        report("read_batch whole range", ms, len(batch))  # type: ignore[arg-type]
        ms, n = best_ms(
            lambda: sum(len(b) for b in cat.iter_batches("BIG", "1m", chunk_rows=250_000))
        )
        report("iter_batches whole range (250k chunks)", ms, n)  # type: ignore[arg-type]
        symbols = [f"SYM{i}" for i in range(10)]
        ms, df = best_ms(lambda: cat.read_many(symbols, "1m"))
        report("read_many 10 symbols x 100k", ms, len(df))  # type: ignore[arg-type]
        ms, df = best_ms(
            lambda: cat.query("SELECT * FROM bars WHERE symbol = 'BIG' ORDER BY ts_event")
        )
        report("DuckDB query whole range (for comparison)", ms, len(df))  # type: ignore[arg-type]
        files = [str(f) for f in sorted((cat.root / "bars" / "BIG" / "1m").glob("*.parquet"))]
        con = duckdb.connect()
        sql = "SELECT * FROM read_parquet(?) WHERE ts_event BETWEEN ? AND ? ORDER BY ts_event"
        ms, df = best_ms(lambda: con.execute(sql, [files, T0, 2**62]).df())
        report("DuckDB read_parquet BETWEEN, no view", ms, len(df))  # type: ignore[arg-type]
        ms, df = best_ms(lambda: cat.entries(), repeat=3)
        report("entries() for 11 series", ms, len(df))  # type: ignore[arg-type]

        for tz in ("UTC", "Europe/Berlin"):
            for target in ("5m", "1h", "1d"):
                ms, out = best_ms(
                    lambda tz=tz, target=target: resample_bars(big, "1m", target, tz=tz)
                )
                report(f"resample 1M 1m -> {target} ({tz})", ms, len(out))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
