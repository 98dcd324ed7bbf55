"""The CPU backend: numpy's ``Generator`` draws, numba kernels walk the paths.

One call simulates one chunk of paths from its own ``SeedSequence`` child, so chunks are
independent units of work: :mod:`.paths` runs them on a thread pool (the random draws, the
scipy CDF and the nogil kernels all release the GIL) and the numbers do not depend on how many
threads ran them.

GBM without path statistics or full paths is sampled at the horizon directly,
``x_h = h mu + sqrt(h) L z``, which is exactly the distribution of the sum of ``h`` daily
steps at ``1/h`` of the cost; everything else simulates daily steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

from neural_trader.risk.montecarlo.models import GBM, FilteredBootstrap, Model, StudentTCopula
from neural_trader.risk.montecarlo.nb import bootstrap_chunk_nb, gbm_chunk_nb, quantile_chunk_nb

__all__ = ["ChunkOutput", "ChunkSpec", "scratch_size", "simulate_chunk", "terminal_only"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ChunkSpec:
    """What every chunk of one run computes (shared by all chunks)."""

    horizon: int
    exposures: FloatArray
    want_worst: bool
    want_paths: bool
    dtype: type[np.floating]


@dataclass(frozen=True, slots=True)
class ChunkOutput:
    log_returns: FloatArray
    """``(m, n)`` float64: each asset's log return over the horizon."""
    worst: FloatArray | None
    paths: npt.NDArray[np.floating] | None


def terminal_only(model: Model, spec: ChunkSpec) -> bool:
    """Whether a GBM run can be sampled at the horizon without daily steps."""
    return isinstance(model, GBM) and not spec.want_worst and not spec.want_paths


def _normals(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    dtype: type[np.floating[Any]],
    scratch: npt.NDArray[np.floating[Any]] | None,
) -> npt.NDArray[np.floating[Any]]:
    """Standard normals of ``shape``, written into ``scratch`` when it is large enough.

    Re-using one buffer per thread matters: a fresh 32 MB array costs its page faults on
    every chunk, about a third of the time of drawing the numbers into it.
    """
    size = math.prod(shape)
    if scratch is None or scratch.size < size or scratch.dtype != dtype:
        return rng.standard_normal(shape, dtype=dtype)
    out = scratch[:size].reshape(shape)
    rng.standard_normal(dtype=dtype, out=out)
    return out


def scratch_size(model: Model, m: int, spec: ChunkSpec) -> int:
    """Numbers in the normal draws of one chunk (the size of a re-usable buffer)."""
    steps = 1 if terminal_only(model, spec) else spec.horizon
    return m * steps * model.n_assets if not isinstance(model, FilteredBootstrap) else 0


def simulate_chunk(
    model: Model,
    m: int,
    seed: np.random.SeedSequence,
    spec: ChunkSpec,
    scratch: npt.NDArray[np.floating[Any]] | None = None,
) -> ChunkOutput:
    """Simulate ``m`` paths of ``model`` from ``seed`` (``scratch``: a buffer to draw into)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    n = model.n_assets
    h = spec.horizon
    if terminal_only(model, spec):
        assert isinstance(model, GBM)
        z = _normals(rng, (m, n), spec.dtype, scratch)
        log = h * model.mu + math.sqrt(h) * (z.astype(np.float64) @ model.chol.T)
        return ChunkOutput(np.asarray(log, dtype=np.float64), None, None)
    out_log = np.empty((m, n), dtype=np.float64)
    out_worst = np.empty(m, dtype=np.float64)
    out_paths = (
        np.empty((m, h + 1, n), dtype=spec.dtype)
        if spec.want_paths
        else np.empty((0, 0, 0), dtype=spec.dtype)
    )
    e = spec.exposures
    if isinstance(model, GBM):
        z = _normals(rng, (m, h, n), spec.dtype, scratch)
        gbm_chunk_nb(z, model.mu, model.chol, e, spec.want_worst, out_log, out_worst, out_paths)
    elif isinstance(model, StudentTCopula):
        z = _normals(rng, (m, h, n), spec.dtype, scratch)
        y = z @ model.chol.T.astype(spec.dtype)
        w = rng.chisquare(model.dof, size=(m, h, 1))
        t = y * np.sqrt(model.dof / w)
        u = special.stdtr(model.dof, t)
        quantile_chunk_nb(
            u, model.sorted_returns, e, spec.want_worst, out_log, out_worst, out_paths
        )
    elif isinstance(model, FilteredBootstrap):
        idx = rng.integers(0, model.residuals.shape[0], size=(m, h))
        bootstrap_chunk_nb(
            idx,
            model.residuals,
            model.mu,
            model.sigma0,
            model.lam,
            e,
            spec.want_worst,
            out_log,
            out_worst,
            out_paths,
        )
    else:  # pragma: no cover - Model is a closed union
        raise TypeError(f"unknown model {type(model).__name__}")
    return ChunkOutput(
        out_log,
        out_worst if spec.want_worst else None,
        out_paths if spec.want_paths else None,
    )
