"""Vector engine timings: the golden job (engines.md section 3) and a 1,000-configuration grid.

Run: ``.venv/bin/python benchmarks/bench_vector.py``. Prints wall times; asserts nothing about
speed (timings never go in tests). First-call numbers include numba compilation or, when the
on-disk cache is warm, loading it.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import ClassVar

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "acceptance"))

from test_golden_job import GOLDEN, as_data, crossover_targets, golden_close, sma

from neural_trader.backtest import run_grid, run_vector_targets
from neural_trader.strategies.base import Strategy, StrategyData
from neural_trader.strategies.parameters import IntParam


class SmaCross(Strategy):
    name = "bench-sma-cross"
    long_only: ClassVar[bool] = True
    fast = IntParam(10, low=1, high=1000)
    slow = IntParam(50, low=2, high=5000)

    def signals(self, data: StrategyData) -> npt.NDArray[np.float64]:
        d = sma(data.close, self.p.fast) - sma(data.close, self.p.slow)
        return np.where(np.isnan(d), math.nan, np.where(d > 0, 1.0, 0.0))


def timed(label: str, fn: object, repeat: int = 1) -> float:
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - t0)
    print(f"{label:<58} {best:9.4f} s")
    return best


def main() -> None:
    close = golden_close()
    data = as_data(close)
    cfg = GOLDEN.model_copy(update={"fee_rate": 0.001})
    targets = crossover_targets(close)
    timed(
        "golden job, first call (JIT or cache load)", lambda: run_vector_targets(targets, data, cfg)
    )
    timed("golden job warm, simulation only", lambda: run_vector_targets(targets, data, cfg), 5)
    timed(
        "golden job warm, signals included",
        lambda: run_vector_targets(crossover_targets(close), data, cfg),
        5,
    )
    res = run_vector_targets(targets, data, cfg)
    print(f"  final equity {res.final_equity:.10g}, trades {len(res.trades)}")

    grid_data = as_data(golden_close(100_000))
    fasts = range(2, 42)
    slows = range(50, 300, 10)
    grid = [{"fast": f, "slow": s} for f in fasts for s in slows]
    print(f"grid: {len(grid)} configurations x {len(grid_data)} bars")
    timed("grid, first call", lambda: run_grid(SmaCross, grid_data, grid, cfg))
    timed(
        "grid warm (signals + one parallel kernel call)",
        lambda: run_grid(SmaCross, grid_data, grid, cfg),
        3,
    )


if __name__ == "__main__":
    main()
