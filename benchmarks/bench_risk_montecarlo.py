"""Monte Carlo engine throughput against a plain numpy implementation, in the same run.

Run: ``.venv/bin/python benchmarks/bench_risk_montecarlo.py``. A plain script, not a test:
it prints times and ratios and never fails.

Two cases from issue 6, both correlated GBM in daily steps computing, per path, the horizon
P&L of a portfolio AND its worst P&L along the path (the path-dependent figure that needs
every step, so neither side can take the horizon-only shortcut):

1. 1,000,000 paths x 10 days x 10 correlated assets. Target: under 2 s on the 2-core machine.
2. 1,000,000 paths x 252 days x 1 asset. Target: within 1.5x of the numpy reference's time,
   with bounded memory (a full 1M x 252 float64 array would be 2 GB).

The reference is what a careful numpy user writes: the same chunking (so it is not penalised
for a 2 GB array), ``standard_normal`` + matmul + ``cumsum`` + ``expm1`` + matmul + ``min``,
one thread. Ours is :func:`neural_trader.risk.montecarlo.simulate` with its defaults
(PCG64 draws per chunk, a numba kernel that walks each path once, chunks on a thread pool).
Both use the same model, so their VaR and mean worst P&L must agree to Monte Carlo error;
that is printed too. Peak traced memory (``tracemalloc``, which sees numpy's allocations) is
measured in separate, untimed runs. Each time is the best of ``REPEAT`` runs.

The horizon-only VaR path (GBM sampled at the horizon directly, what ``risk var --method
monte_carlo`` uses) is timed as well, for information.
"""

from __future__ import annotations

import gc
import math
import os
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from neural_trader.risk.montecarlo import GBM, default_chunk_size, simulate
from neural_trader.risk.var import scenario_risk

REPEAT = 2
PATHS = 1_000_000
SEED = 2024


def best(fn: Callable[[], Any]) -> tuple[float, Any]:
    elapsed, out = math.inf, None
    for _ in range(REPEAT):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        elapsed = min(elapsed, time.perf_counter() - t)
    return elapsed, out


def peak_mb(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def numpy_reference(
    mu: np.ndarray, chol: np.ndarray, e: np.ndarray, n_paths: int, steps: int, chunk: int
) -> tuple[np.ndarray, np.ndarray]:
    """Plain numpy, chunked, one thread: horizon P&L and worst P&L along each path."""
    rng = np.random.default_rng(SEED)
    n = mu.size
    pnl = np.empty(n_paths)
    worst = np.empty(n_paths)
    for lo in range(0, n_paths, chunk):
        m = min(chunk, n_paths - lo)
        z = rng.standard_normal((m, steps, n))
        c = np.cumsum(mu + z @ chol.T, axis=1)
        v = np.expm1(c) @ e
        worst[lo : lo + m] = v.min(axis=1)
        pnl[lo : lo + m] = v[:, -1]
    return pnl, worst


def model(n: int) -> GBM:
    """Daily log returns with 1-2% volatility and correlations around 0.3-0.6 (seeded)."""
    rng = np.random.default_rng(7)
    vol = rng.uniform(0.01, 0.02, n)
    a = rng.normal(size=(n, n))
    corr = np.corrcoef(a @ a.T + n * np.eye(n)) if n > 1 else np.ones((1, 1))
    cov = corr * np.outer(vol, vol)
    return GBM.from_params(np.full(n, 2e-4), cov)


def case(title: str, n_assets: int, steps: int, target: str) -> None:
    m = model(n_assets)
    e = np.full(n_assets, 1e6 / n_assets)
    chunk = default_chunk_size(steps, n_assets)
    # Compile (or load the cached) numba kernels outside the timings, for both dtypes.
    for dt in ("float64", "float32"):
        simulate(m, n_paths=1000, horizon=steps, seed=1, exposures=e, path_stats=True, dtype=dt)

    def ours(dtype: str, workers: int | None = None) -> Callable[[], Any]:
        return lambda: simulate(
            m,
            n_paths=PATHS,
            horizon=steps,
            seed=SEED,
            exposures=e,
            path_stats=True,
            keep_asset_returns=False,
            dtype=dtype,  # type: ignore[arg-type]
            workers=workers,
        )

    def ref() -> tuple[np.ndarray, np.ndarray]:
        return numpy_reference(m.mu, m.chol, e, PATHS, steps, chunk)

    t_ref, (ref_pnl, ref_worst) = best(ref)
    t64, r64 = best(ours("float64"))
    t32, r32 = best(ours("float32"))
    t_one, _ = best(ours("float64", workers=1))
    t_term, term = best(
        lambda: simulate(
            m, n_paths=PATHS, horizon=steps, seed=SEED, exposures=e, keep_asset_returns=False
        )
    )
    mem_ours = peak_mb(ours("float64"))
    mem_ref = peak_mb(ref)
    var_ref = scenario_risk(ref_pnl, confidence=0.99)[0]
    print(f"\n{title}  ({PATHS:,} paths, chunk {chunk:,} paths, {os.cpu_count()} CPUs)")
    print(f"  numpy reference (1 thread, f64)     {t_ref:7.3f} s   peak {mem_ref:7.1f} MB")
    print(
        f"  ours float64                        {t64:7.3f} s   peak {mem_ours:7.1f} MB   "
        f"ratio ours/ref {t64 / t_ref:5.2f}"
    )
    print(f"  ours float32                        {t32:7.3f} s   ratio ours/ref {t32 / t_ref:5.2f}")
    print(f"  ours float64, one thread            {t_one:7.3f} s   ", end="")
    print(f"ratio ours/ref {t_one / t_ref:5.2f}")
    print(f"  ours horizon-only (no path stats)   {t_term:7.3f} s")
    print(f"  target: {target}")
    for name, res in (("float64", r64), ("float32", r32), ("horizon-only", term)):
        var = scenario_risk(res.pnl, confidence=0.99)[0]
        line = f"  VaR99 {name:<13} {var:12,.0f} vs reference {var_ref:12,.0f}"
        line += f" ({var / var_ref - 1:+.2%})"
        if res.worst_pnl is not None:
            line += f"; mean worst P&L {res.worst_pnl.mean():10,.0f} vs {ref_worst.mean():10,.0f}"
        print(line)


def main() -> None:
    case(
        "Case 1: 10 days x 10 correlated assets",
        10,
        10,
        "ours under 2 s on the 2-core machine",
    )
    case(
        "Case 2: 252 days x 1 asset",
        1,
        252,
        "ours within 1.5x of the numpy reference, bounded memory",
    )


if __name__ == "__main__":
    main()
