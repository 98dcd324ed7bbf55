"""Grid-search timing: 1,000 SMA-cross configurations over 100,000 one-minute bars.

Run: ``.venv/bin/python benchmarks/bench_optimize.py``. Prints wall times (target: under 5 s
for the warm sweep); asserts nothing about speed (timings never go in tests). The first sweep
with ``workers > 1`` includes starting the worker pool (a fork server that imports the package,
then workers that load the compiled kernels); later sweeps in the same process reuse it.
"""

from __future__ import annotations

import os
import time

from neural_trader.backtest import BacktestConfig
from neural_trader.data.providers.synthetic import generate_bars
from neural_trader.optimize import grid_search, parse_grid, validate_combinations
from neural_trader.strategies import StrategyData, get_strategy

N_BARS = 100_000
# 25 fast x 40 slow = 1,000 combinations, every one valid (fast < slow throughout).
GRID = ["fast=4:100:4", "slow=110:500:10"]


def main() -> None:
    frame = generate_bars(N_BARS, "1m", seed=7)
    data = StrategyData.from_frame(frame, "SYN")
    cls = get_strategy("sma_cross")
    space = parse_grid(cls, GRID)
    valid = validate_combinations(cls, space)
    assert len(valid.combos) == 1_000, len(valid.combos)
    config = BacktestConfig(fee_rate=0.001)
    ppy = 525_600.0
    cores = os.cpu_count() or 1
    print(f"{len(valid.combos):,} configurations x {N_BARS:,} bars, {cores} core(s)")
    runs = [("workers=1 (first: JIT cache load)", 1), ("workers=1", 1)]
    if cores > 1:
        runs += [(f"workers={cores} (first: pool start)", cores), (f"workers={cores}", cores)]
    for label, workers in runs:
        t0 = time.perf_counter()
        out = grid_search(
            cls, data, valid.combos, config=config, periods_per_year=ppy, workers=workers
        )
        wall = time.perf_counter() - t0
        best = out.best
        assert best is not None
        print(f"{label:<40} {wall:8.3f} s   best {best.params} sharpe={best.score:.4f}")


if __name__ == "__main__":
    main()
