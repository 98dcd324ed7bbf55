"""The grid sweep on a Ray cluster: the same chunks, dispatched as Ray tasks.

Each chunk runs :func:`~neural_trader.optimize.grid.evaluate_chunk`, the function the local
pool runs, on a copy of the same job; the bars travel once through the object store
(``ray.put``) rather than once per task. Results are reassembled in input order by the caller,
so a Ray sweep returns exactly what the local one does.

``address=None`` joins the cluster named by ``RAY_ADDRESS`` if set, and otherwise starts a
local instance (no dashboard); ``"auto"`` or ``"ray://host:10001"`` join an existing one. An
instance this module starts is left running for the next sweep of the process (a walk-forward
runs one per fold) and stops when the process exits. Workers must be able to import the
strategy's module: built-ins always can; a class defined in a script's ``__main__`` travels by
value (cloudpickle).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from neural_trader.core.errors import MissingDependencyError
from neural_trader.optimize.grid import ChunkJob, Evaluation, evaluate_chunk

__all__ = ["cluster_cpus", "ensure_ray", "iter_ray"]


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingDependencyError("ray", "distributed", "the Ray backend") from None
    return ray


def ensure_ray(address: str | None = None) -> Any:
    """The ``ray`` module, connected to a cluster (started locally when none is named)."""
    ray = _import_ray()
    if not ray.is_initialized():
        ray.init(
            address=address,
            include_dashboard=False,
            logging_level=logging.WARNING,
            log_to_driver=False,
            ignore_reinit_error=True,
        )
    return ray


def cluster_cpus(address: str | None = None) -> int:
    """CPUs the cluster offers (used to size the chunks)."""
    ray = ensure_ray(address)
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def _ray_chunk(job: ChunkJob, params_list: Sequence[Mapping[str, Any]]) -> list[Evaluation]:
    return evaluate_chunk(job, params_list)


def iter_ray(
    job: ChunkJob,
    chunks: Sequence[Sequence[Mapping[str, Any]]],
    *,
    address: str | None = None,
) -> Iterator[tuple[int, list[Evaluation]]]:
    """Yield (chunk index, evaluations) as the cluster finishes them; on Ctrl-C or close,
    cancel the tasks still queued or running."""
    ray = ensure_ray(address)
    remote = ray.remote(num_cpus=1)(_ray_chunk)
    job_ref = ray.put(job)
    pending: dict[Any, int] = {remote.remote(job_ref, list(c)): i for i, c in enumerate(chunks)}
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                i = pending.pop(ref)
                yield i, ray.get(ref)
    finally:
        for ref in pending:
            ray.cancel(ref)
