"""Exhaustive grid search through the vectorized engine, chunked and parallel.

The configurations are cut into chunks; each chunk is ONE :func:`run_grid` call (every column
an independent account) with equity recorded, and each column is scored from its own equity
(:mod:`~neural_trader.optimize.objectives`). Columns never interact, so a configuration's
score does not depend on which chunk, process or machine computed it: the result is the same
for any ``workers``, any chunk size and either backend, and the tests hold it to that.

Why chunks: memory (a chunk costs ``16 * n_bars`` bytes per configuration for targets and
equity, so 1,000 configurations over 100,000 bars would need 1.6 GB in one call), load balance
across processes, and a progress bar and Ctrl-C that respond between chunks.

Why processes: signals are computed and columns scored one configuration at a time in Python,
so a chunk is CPU-bound outside the kernel, and a pool of ``os.cpu_count()`` processes (each
kernel then on one thread) scales where threads would queue on the GIL. Workers import the
strategy's class by reference, so it must live in an importable module; a class defined in a
script's ``__main__`` is run in this process instead (with a note).

Ctrl-C (``KeyboardInterrupt``) stops the sweep between chunks: the chunks that finished are
returned with ``interrupted=True`` instead of being thrown away.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from neural_trader.backtest import BacktestConfig, run_grid, run_vector
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.optimize.objectives import get_objective, rank_order, score_equity, score_trades
from neural_trader.strategies.base import Strategy, StrategyData

__all__ = [
    "ChunkJob",
    "Evaluation",
    "SearchOutcome",
    "chunk_size_for",
    "describe",
    "evaluate_chunk",
    "grid_search",
    "progress_bar",
    "shutdown_pool",
    "split_chunks",
]

#: Bytes one chunk may hold in targets + recorded equity (two float64 arrays per column).
CHUNK_MEMORY_BYTES = 256 * 1024 * 1024
#: Chunks per worker: small enough to balance load and report progress, large enough that the
#: per-call overhead stays negligible.
CHUNKS_PER_WORKER = 4

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class Evaluation:
    """One configuration's score and headline numbers (``trades`` = closed round trips)."""

    params: dict[str, Any]
    score: float
    final_equity: float
    total_return: float
    trades: int


@dataclass(frozen=True)
class ChunkJob:
    """Everything a worker needs besides the chunk's parameter sets (picklable)."""

    strategy_cls: type[Strategy]
    data: StrategyData
    config: BacktestConfig
    metric: str
    periods_per_year: float


@dataclass
class SearchOutcome:
    """Evaluations in the order the configurations were given (finished ones only when
    ``interrupted``), plus the count of configurations the strategy refused."""

    evaluations: list[Evaluation]
    combinations: int
    dropped_invalid: int = 0
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)

    def ranked(self) -> list[Evaluation]:
        """Best first; NaN scores last; ties keep the input order (deterministic)."""
        order = rank_order([e.score for e in self.evaluations])
        return [self.evaluations[i] for i in order]

    @property
    def best(self) -> Evaluation | None:
        ranked = self.ranked()
        return ranked[0] if ranked else None


def evaluate_chunk(job: ChunkJob, params_list: Sequence[Mapping[str, Any]]) -> list[Evaluation]:
    """Score ``params_list`` with one :func:`run_grid` call (or, for the trade-based metrics,
    one :func:`run_vector` per configuration, since the grid kernel keeps no trade records)."""
    if not params_list:
        return []
    objective = get_objective(job.metric)
    cash = job.config.cash
    out: list[Evaluation] = []
    if objective.needs_trades:
        for params in params_list:
            res = run_vector(job.strategy_cls(**dict(params)), job.data, job.config)
            out.append(
                Evaluation(
                    params=dict(params),
                    score=score_trades(job.metric, res.trades),
                    final_equity=res.final_equity,
                    total_return=res.total_return,
                    trades=res.n_trades,
                )
            )
        return out
    grid = run_grid(job.strategy_cls, job.data, params_list, job.config, record_equity=True)
    assert grid.equity is not None
    baseline = np.array([cash])
    for c, params in enumerate(grid.params):
        equity = np.concatenate((baseline, grid.equity[:, c]))
        out.append(
            Evaluation(
                params=dict(params),
                score=score_equity(job.metric, equity, periods_per_year=job.periods_per_year),
                final_equity=float(grid.final_equity[c]),
                total_return=float(grid.total_return[c]),
                trades=int(grid.n_trades[c]),
            )
        )
    return out


def describe(job: ChunkJob, evaluations: Sequence[Evaluation]) -> list[dict[str, float]]:
    """Sharpe and max drawdown of a few evaluations (the reported top), in one grid call.

    Kept out of the sweep: scoring 1,000 columns by one metric is cheap, by three is not.
    """
    if not evaluations:
        return []
    grid = run_grid(
        job.strategy_cls, job.data, [e.params for e in evaluations], job.config, record_equity=True
    )
    assert grid.equity is not None
    rows = []
    for c in range(len(evaluations)):
        equity = np.concatenate(([job.config.cash], grid.equity[:, c]))
        rows.append(
            {
                name: score_equity(name, equity, periods_per_year=job.periods_per_year)
                for name in ("sharpe", "max_drawdown")
            }
        )
    return rows


def chunk_size_for(n_configs: int, n_bars: int, workers: int) -> int:
    """Configurations per chunk: ~``CHUNKS_PER_WORKER`` chunks per worker, within the memory
    budget, at least 1."""
    by_memory = max(1, CHUNK_MEMORY_BYTES // max(1, 16 * n_bars))
    by_balance = max(1, math.ceil(n_configs / (max(1, workers) * CHUNKS_PER_WORKER)))
    return max(1, min(by_memory, by_balance))


def split_chunks(combos: Sequence[Mapping[str, Any]], size: int) -> list[list[Mapping[str, Any]]]:
    if size < 1:
        raise InvalidArgumentError(f"chunk_size must be >= 1, got {size}")
    return [list(combos[i : i + size]) for i in range(0, len(combos), size)]


# -- local execution ----------------------------------------------------------------------------


def _init_worker() -> None:
    """Pool initializer: one numba thread per worker (the pool already fills the cores), and
    Ctrl-C left to the parent, which owns the cleanup."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import numba

    numba.set_num_threads(1)


def _iter_serial(
    job: ChunkJob, chunks: Sequence[Sequence[Mapping[str, Any]]]
) -> Iterator[tuple[int, list[Evaluation]]]:
    for i, chunk in enumerate(chunks):
        yield i, evaluate_chunk(job, chunk)


def _mp_context() -> Any:
    """``forkserver`` where available, else ``spawn``; never a plain ``fork``.

    The grid kernel is a numba ``parallel=True`` function and numba's OpenMP layer makes a
    process that has run it unsafe to fork (GNU OpenMP aborts the child). The fork server is a
    fresh process that has imported this module but never run a kernel, so forking workers
    from it is safe and cheaper than spawning each from scratch.
    """
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["neural_trader.optimize.grid"])
        return ctx
    return multiprocessing.get_context("spawn")


_POOL: tuple[int, ProcessPoolExecutor] | None = None


def _pool(workers: int) -> ProcessPoolExecutor:
    """A process pool kept for the life of this process (per worker count).

    Starting workers and loading the compiled kernels into them costs about a second; a
    walk-forward runs one sweep per fold and a session may run many, so the pool is reused.
    """
    global _POOL
    if _POOL is not None and _POOL[0] == workers:
        return _POOL[1]
    shutdown_pool()
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=_mp_context(), initializer=_init_worker
    )
    _POOL = (workers, pool)
    return pool


def shutdown_pool() -> None:
    """Stop the kept worker processes (they also stop when this process exits)."""
    global _POOL
    if _POOL is not None:
        _POOL[1].shutdown(wait=True, cancel_futures=True)
        _POOL = None


def _iter_pool(
    job: ChunkJob, chunks: Sequence[Sequence[Mapping[str, Any]]], workers: int
) -> Iterator[tuple[int, list[Evaluation]]]:
    pool = _pool(workers)
    pending: dict[Future[list[Evaluation]], int] = {}
    try:
        pending = {pool.submit(evaluate_chunk, job, chunk): i for i, chunk in enumerate(chunks)}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                i = pending.pop(fut)
                yield i, fut.result()
    except BrokenProcessPool:
        shutdown_pool()  # a worker died: do not hand the broken pool to the next sweep
        raise
    finally:
        # On Ctrl-C or an error: drop the queued chunks, let the running ones finish.
        for fut in pending:
            fut.cancel()
        wait(pending)


def progress_bar(total: int, label: str) -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task(label, total=total)
    return bar, task


def run_chunks(
    job: ChunkJob,
    combos: Sequence[Mapping[str, Any]],
    source: Iterator[tuple[int, list[Evaluation]]],
    chunks: Sequence[Sequence[Mapping[str, Any]]],
    *,
    progress: bool = False,
    on_chunk: ProgressCallback | None = None,
) -> tuple[list[Evaluation], bool]:
    """Drain ``source`` (chunk index, evaluations), reassembling results in input order.

    Returns the evaluations of the finished chunks and whether Ctrl-C stopped the drain.
    """
    done: dict[int, list[Evaluation]] = {}
    finished = 0
    interrupted = False
    bar, task = progress_bar(len(combos), job.strategy_cls.name) if progress else (None, None)
    try:
        if bar is not None:
            bar.start()
        for i, evaluations in source:
            done[i] = evaluations
            finished += len(chunks[i])
            if bar is not None:
                bar.update(task, completed=finished)
            if on_chunk is not None:
                on_chunk(finished, len(combos))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()  # runs the source's cleanup (pool shutdown, Ray cancel)
        if bar is not None:
            bar.stop()
    return [e for i in sorted(done) for e in done[i]], interrupted


def grid_search(
    strategy_cls: type[Strategy],
    data: StrategyData,
    combos: Sequence[Mapping[str, Any]],
    *,
    config: BacktestConfig,
    metric: str = "sharpe",
    periods_per_year: float,
    workers: int | None = None,
    chunk_size: int | None = None,
    backend: Literal["local", "ray"] = "local",
    address: str | None = None,
    progress: bool = False,
    on_chunk: ProgressCallback | None = None,
    dropped_invalid: int = 0,
) -> SearchOutcome:
    """Evaluate every configuration in ``combos`` (already validated) and score it by ``metric``.

    ``workers=None`` uses every core (``os.cpu_count()``), ``1`` runs in this process.
    ``backend="ray"`` sends the chunks to a Ray cluster instead (``address=None``: start or
    join a local one). ``on_chunk(done, total)`` is called after each chunk, in this process.
    """
    get_objective(metric)
    if not combos:
        raise InvalidArgumentError(
            "no valid configuration to evaluate",
            hint="widen the grid; every combination was refused by the strategy",
        )
    if workers is not None and workers < 1:
        raise InvalidArgumentError(f"workers must be >= 1, got {workers}")
    job = ChunkJob(strategy_cls, data, config, metric, float(periods_per_year))
    source: Iterator[tuple[int, list[Evaluation]]]
    notes: list[str] = []
    if backend == "ray":
        from neural_trader.optimize import ray_backend

        size = chunk_size or chunk_size_for(
            len(combos), len(data), ray_backend.cluster_cpus(address)
        )
        chunks = split_chunks(combos, size)
        source = ray_backend.iter_ray(job, chunks, address=address)
    elif backend == "local":
        n_workers = workers or os.cpu_count() or 1
        size = chunk_size or chunk_size_for(len(combos), len(data), n_workers)
        chunks = split_chunks(combos, size)
        n_workers = min(n_workers, len(chunks))
        if n_workers > 1 and strategy_cls.__module__ == "__main__":
            notes.append(
                f"{strategy_cls.__qualname__} is defined in __main__, which worker processes "
                "cannot import; evaluated in this process"
            )
            n_workers = 1
        source = _iter_serial(job, chunks) if n_workers == 1 else _iter_pool(job, chunks, n_workers)
    else:
        raise InvalidArgumentError(f"backend must be local or ray, got {backend!r}")
    evaluations, interrupted = run_chunks(
        job, combos, source, chunks, progress=progress, on_chunk=on_chunk
    )
    if interrupted:
        notes.append(
            f"interrupted: {len(evaluations)} of {len(combos)} configurations were evaluated"
        )
    return SearchOutcome(
        evaluations=evaluations,
        combinations=len(combos) + dropped_invalid,
        dropped_invalid=dropped_invalid,
        interrupted=interrupted,
        notes=notes,
    )
