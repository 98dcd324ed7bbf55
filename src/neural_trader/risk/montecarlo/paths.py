"""The Monte Carlo engine's entry point: simulate a fitted model's paths in bounded memory.

Memory: paths are simulated in chunks (by default about 4M random numbers, 32 MB in float64,
per chunk and thread; at most 100,000 paths), so the working set does not grow with the path
count. What grows is only what was asked to be kept: ``n_paths`` P&L values (8 bytes each),
``n_paths x n_assets`` horizon returns when ``keep_asset_returns``, and full paths, which are
refused above 50 million numbers (400 MB in float64): full paths are for small requests such
as plots; VaR needs only the horizon.

Reproducibility: the seed makes a ``SeedSequence``, chunk k draws from its k-th child. The same
seed, model, path count, horizon, outputs, dtype, backend and chunk size give the same
numbers, whatever the number of threads; with the same ``chunk_size`` a run's chunks are also
the first chunks of any longer run (the default chunk size depends on the horizon, the asset
count and, for torch, the device). Two outputs change the random stream of a GBM run: without
``path_stats`` and ``full_paths`` it samples the horizon directly instead of daily steps (the
same distribution).

Parallelism: chunks of the numpy backend run on a thread pool (numpy's generators, scipy's
ufuncs and the nogil numba kernels release the GIL). The torch backend runs chunks one after
another and leaves the parallelism to torch (its CPU threads or the GPU).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from neural_trader.core.errors import InvalidArgumentError, MissingDependencyError
from neural_trader.risk.montecarlo.models import Model
from neural_trader.risk.montecarlo.numpy_backend import (
    ChunkOutput,
    ChunkSpec,
    scratch_size,
    simulate_chunk,
    terminal_only,
)

__all__ = [
    "BACKENDS",
    "Backend",
    "DType",
    "SimulationResult",
    "default_chunk_size",
    "simulate",
]

FloatArray = npt.NDArray[np.float64]
Backend = Literal["numpy", "torch"]
DType = Literal["float32", "float64"]
BACKENDS: Final[tuple[Backend, ...]] = ("numpy", "torch")

MAX_CHUNK_PATHS: Final = 100_000
CHUNK_NUMBERS: Final = 1 << 22
MAX_FULL_PATH_NUMBERS: Final = 50_000_000
_DTYPES: Final[dict[str, type[np.floating[Any]]]] = {"float32": np.float32, "float64": np.float64}


@dataclass(frozen=True, eq=False, slots=True)
class SimulationResult:
    """What one simulation kept. Returns are SIMPLE returns over the horizon; P&L is money."""

    model: str
    assets: tuple[str, ...]
    n_paths: int
    horizon: int
    seed: int
    backend: str
    device: str
    dtype: str
    chunk_size: int
    asset_returns: npt.NDArray[np.floating] | None
    """``(n_paths, n_assets)`` ``exp(sum of log returns) - 1`` (``keep_asset_returns``)."""
    pnl: FloatArray | None
    """``(n_paths,)`` ``sum_i e_i * R_i`` at the horizon (when exposures were given)."""
    worst_pnl: FloatArray | None
    """``(n_paths,)`` lowest cumulative P&L at any daily step of the path (``path_stats``)."""
    paths: npt.NDArray[np.floating] | None
    """``(n_paths, horizon + 1, n_assets)`` price relatives, 1.0 at step 0 (``full_paths``)."""

    def var_cvar(self, confidence: float) -> tuple[float, float]:
        """VaR and CVaR (positive money losses) of the horizon P&L, historical conventions."""
        from neural_trader.risk.var import scenario_risk

        if self.pnl is None:
            raise InvalidArgumentError("VaR needs a simulation run with exposures")
        var, cvar, _, _ = scenario_risk(self.pnl, confidence=confidence)
        return var, cvar


def default_chunk_size(steps: int, n_assets: int, *, numbers: int = CHUNK_NUMBERS) -> int:
    """Paths per chunk: about ``numbers`` random numbers, capped at 100,000 paths."""
    return int(max(1, min(MAX_CHUNK_PATHS, numbers // max(1, steps * n_assets))))


def _positive_int(value: int, name: str) -> int:
    if int(value) != value or value < 1:
        raise InvalidArgumentError(f"{name} must be a positive integer, got {value}")
    return int(value)


def simulate(
    model: Model,
    *,
    n_paths: int,
    horizon: int,
    seed: int,
    exposures: npt.ArrayLike | None = None,
    path_stats: bool = False,
    full_paths: bool = False,
    keep_asset_returns: bool = True,
    backend: Backend = "numpy",
    dtype: DType = "float64",
    chunk_size: int | None = None,
    workers: int | None = None,
    device: str = "auto",
    on_chunk: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Simulate ``n_paths`` paths of ``horizon`` daily steps of a fitted ``model``.

    ``exposures`` (money per asset) adds the portfolio P&L per path; ``path_stats`` adds the
    worst P&L along each path (needs exposures). ``workers`` is the numpy backend's thread
    count (default: CPU count); ``device`` is the torch backend's (``auto``, ``cpu``,
    ``cuda``, ``cuda:1``...).

    ``on_chunk(done_paths, n_paths)`` is called after each chunk, in chunk order, from the
    calling thread. It is the call's progress report and cancel point: whatever it raises
    propagates, and chunks not yet started are dropped, so a cancelled request stops after at
    most the chunks already running instead of simulating every path.
    """
    n_paths = _positive_int(n_paths, "n_paths")
    horizon = _positive_int(horizon, "horizon")
    if int(seed) != seed or seed < 0:
        raise InvalidArgumentError(f"seed must be a non-negative integer, got {seed}")
    if backend not in BACKENDS:
        raise InvalidArgumentError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if dtype not in _DTYPES:
        raise InvalidArgumentError(f"dtype must be float32 or float64, got {dtype!r}")
    n = model.n_assets
    if exposures is None:
        if path_stats:
            raise InvalidArgumentError("path_stats (worst P&L along a path) needs exposures")
        e = np.zeros(n)
    else:
        e = np.asarray(exposures, dtype=np.float64).reshape(-1)
        if e.size != n or not np.isfinite(e).all():
            raise InvalidArgumentError(f"need {n} finite exposures, got {e.size}")
    if full_paths and n_paths * (horizon + 1) * n > MAX_FULL_PATH_NUMBERS:
        raise InvalidArgumentError(
            f"full paths of {n_paths:,} x {horizon + 1} x {n} numbers exceed "
            f"{MAX_FULL_PATH_NUMBERS:,}; keep full paths for small requests (VaR needs only "
            "the horizon)"
        )
    np_dtype = _DTYPES[dtype]
    spec = ChunkSpec(horizon, e, path_stats, full_paths, np_dtype)
    steps = 1 if terminal_only(model, spec) else horizon

    device_name = "cpu"
    run_chunk: Callable[[int, np.random.SeedSequence], ChunkOutput]
    parallel = 1
    if backend == "torch":
        try:
            import torch

            from neural_trader.risk.montecarlo.torch_backend import TorchRun, resolve_device
        except ImportError:
            raise MissingDependencyError(
                "torch", "forecast", "the torch Monte Carlo backend"
            ) from None
        dev = resolve_device(device)
        device_name = str(dev)
        torch_dtype = torch.float32 if dtype == "float32" else torch.float64
        runner = TorchRun(model, spec, dev, torch_dtype)
        run_chunk = runner.chunk
        numbers = CHUNK_NUMBERS * (16 if dev.type == "cuda" else 1)
        default = default_chunk_size(steps, n, numbers=numbers)
        if dev.type == "cuda":
            default = max(default, min(n_paths, numbers // max(1, steps * n)))
    else:
        local = threading.local()

        def run_chunk(m: int, ss: np.random.SeedSequence) -> ChunkOutput:
            # One draw buffer per thread for this call only: reused across its chunks, freed
            # with the call.
            need = scratch_size(model, m, spec)
            buf = getattr(local, "buf", None)
            if need and (buf is None or buf.size < need):
                buf = local.buf = np.empty(need, dtype=np_dtype)
            return simulate_chunk(model, m, ss, spec, buf)

        default = default_chunk_size(steps, n)
        parallel = max(1, int(workers) if workers is not None else os.cpu_count() or 1)
    size = default if chunk_size is None else _positive_int(chunk_size, "chunk_size")
    size = min(size, n_paths)
    n_chunks = math.ceil(n_paths / size)
    children = np.random.SeedSequence(int(seed)).spawn(n_chunks)

    asset_returns = np.empty((n_paths, n), dtype=np_dtype) if keep_asset_returns else None
    pnl = np.empty(n_paths, dtype=np.float64) if exposures is not None else None
    worst = np.empty(n_paths, dtype=np.float64) if path_stats else None
    paths = np.empty((n_paths, horizon + 1, n), dtype=np_dtype) if full_paths else None

    def work(k: int) -> None:
        lo = k * size
        m = min(size, n_paths - lo)
        out = run_chunk(m, children[k])
        sl = slice(lo, lo + m)
        simple = np.expm1(out.log_returns)
        if asset_returns is not None:
            asset_returns[sl] = simple
        if pnl is not None:
            pnl[sl] = simple @ e
        if worst is not None and out.worst is not None:
            worst[sl] = out.worst
        if paths is not None and out.paths is not None:
            paths[sl] = out.paths

    def chunk_done(k: int) -> None:
        if on_chunk is not None:
            on_chunk(min((k + 1) * size, n_paths), n_paths)

    threads = min(parallel, n_chunks)
    if threads <= 1:
        for k in range(n_chunks):
            work(k)
            chunk_done(k)
    else:
        pool = ThreadPoolExecutor(max_workers=threads)
        try:
            for k, _ in enumerate(pool.map(work, range(n_chunks))):
                chunk_done(k)
        finally:
            # On an error or a cancel, drop the chunks not started yet (the default waits
            # for all of them).
            pool.shutdown(wait=True, cancel_futures=True)
    return SimulationResult(
        model=model.kind,
        assets=model.assets,
        n_paths=n_paths,
        horizon=horizon,
        seed=int(seed),
        backend=backend,
        device=device_name,
        dtype=dtype,
        chunk_size=size,
        asset_returns=asset_returns,
        pnl=pnl,
        worst_pnl=worst,
        paths=paths,
    )
