"""The torch backend: the same models and outputs as the numpy backend, on CUDA when present.

Imported only when ``backend="torch"`` is asked for (torch is an optional, large dependency).
Each chunk runs inside ``torch.random.fork_rng`` seeded from the chunk's ``SeedSequence``
child, so a run is reproducible and leaves torch's global random state untouched. Torch's
generators are not numpy's, so the same seed gives a statistically equal, not an identical,
sample: the tests compare the two backends' distributions (Kolmogorov-Smirnov and moments).

Draws are made in the requested dtype; cumulative sums and the outputs are float64, as in the
numba kernels, so float32 trades random-number precision (ample for Monte Carlo) for speed
without rounding drift along the path.

Torch has no Student-t CDF, so the t copula maps its draws through a table of scipy's exact
CDF: ``F`` tabulated on ``2**16 + 1`` equally spaced points of ``x = t / sqrt(nu + t^2)``
(which maps the whole real line onto (-1, 1), where ``F`` is smooth up to the ends) and
interpolated linearly. The table's error is below 1e-6 in probability (tested), far inside the
Monte Carlo noise of any sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import torch
from scipy import special

from neural_trader.core.errors import NotSupportedError
from neural_trader.risk.montecarlo.models import GBM, FilteredBootstrap, Model, StudentTCopula
from neural_trader.risk.montecarlo.numpy_backend import ChunkOutput, ChunkSpec, terminal_only

__all__ = ["TorchRun", "resolve_device", "student_t_cdf_table"]

_TABLE_POINTS: Final = 2**16 + 1


def resolve_device(device: str) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cuda`` without a GPU is refused."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise NotSupportedError(
            "device 'cuda' was asked for but torch sees no CUDA GPU",
            hint="use --device auto (falls back to the CPU) or the numpy backend",
        )
    return dev


def student_t_cdf_table(dof: float, points: int = _TABLE_POINTS) -> np.ndarray:
    """Exact ``T_nu`` CDF at ``t = x sqrt(nu) / sqrt(1 - x^2)`` for ``x`` on ``[-1, 1]``."""
    x = np.linspace(-1.0, 1.0, points)
    with np.errstate(divide="ignore"):
        t = x * math.sqrt(dof) / np.sqrt(1.0 - x * x)
    table = np.asarray(special.stdtr(dof, t), dtype=np.float64)
    table[0], table[-1] = 0.0, 1.0
    return table


def _lerp_table(x: torch.Tensor, table: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    """Linear interpolation of ``table`` (equally spaced on ``[lo, hi]``) at ``x``."""
    last = table.shape[0] - 1
    pos = (x - lo) * (last / (hi - lo))
    k = pos.floor().clamp(0, last - 1)
    f = pos - k
    ki = k.long()
    return table[ki] + f * (table[ki + 1] - table[ki])


@dataclass
class TorchRun:
    """A model's parameters moved to one device once, then simulated chunk by chunk."""

    model: Model
    spec: ChunkSpec
    device: torch.device
    dtype: torch.dtype

    def __post_init__(self) -> None:
        f64 = torch.float64
        dev = self.device
        self._e = torch.as_tensor(self.spec.exposures, dtype=f64, device=dev)
        m = self.model
        if isinstance(m, GBM):
            self._mu = torch.as_tensor(m.mu, dtype=f64, device=dev)
            self._chol_t = torch.as_tensor(m.chol.T.copy(), dtype=self.dtype, device=dev)
        elif isinstance(m, StudentTCopula):
            self._chol_t = torch.as_tensor(m.chol.T.copy(), dtype=self.dtype, device=dev)
            self._table = torch.as_tensor(student_t_cdf_table(m.dof), dtype=f64, device=dev)
            self._sorted = torch.as_tensor(m.sorted_returns, dtype=f64, device=dev)
        elif isinstance(m, FilteredBootstrap):
            self._mu = torch.as_tensor(m.mu, dtype=f64, device=dev)
            self._resid = torch.as_tensor(m.residuals, dtype=f64, device=dev)
            self._var0 = torch.as_tensor(m.sigma0**2, dtype=f64, device=dev)

    def _finish(self, c: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """Worst cumulative P&L and price-relative paths from cumulative log returns ``c``."""
        worst = None
        paths = None
        if self.spec.want_worst:
            worst = (torch.expm1(c) @ self._e).min(dim=1).values
        if self.spec.want_paths:
            ones = torch.ones((c.shape[0], 1, c.shape[2]), dtype=c.dtype, device=c.device)
            paths = torch.cat([ones, torch.exp(c)], dim=1)
        return worst, paths

    def chunk(self, m: int, seed: np.random.SeedSequence) -> ChunkOutput:
        dev = self.device
        devices = [dev.index or 0] if dev.type == "cuda" else []
        state = int(seed.generate_state(1, np.uint64)[0] & np.uint64(2**63 - 1))
        with torch.random.fork_rng(devices=devices, device_type=dev.type):
            torch.manual_seed(state)
            log, worst, paths = self._simulate(m)
        np_paths = None
        if paths is not None:
            np_paths = paths.to(dtype=self.dtype).cpu().numpy()
        return ChunkOutput(
            log.cpu().numpy().astype(np.float64, copy=False),
            None if worst is None else worst.cpu().numpy().astype(np.float64, copy=False),
            np_paths,
        )

    def _simulate(self, m: int) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        model, h, dev, dt = self.model, self.spec.horizon, self.device, self.dtype
        n = model.n_assets
        f64 = torch.float64
        if isinstance(model, GBM):
            if terminal_only(model, self.spec):
                z = torch.randn((m, n), dtype=dt, device=dev)
                log = h * self._mu + math.sqrt(h) * (z @ self._chol_t).to(f64)
                return log, None, None
            z = torch.randn((m, h, n), dtype=dt, device=dev)
            c = torch.cumsum((z @ self._chol_t).to(f64) + self._mu, dim=1)
            return (c[:, -1, :], *self._finish(c))
        if isinstance(model, StudentTCopula):
            z = torch.randn((m, h, n), dtype=dt, device=dev)
            y = (z @ self._chol_t).to(f64)
            nu = torch.tensor(model.dof, dtype=f64, device=dev)
            w = torch.distributions.Chi2(nu).sample((m, h, 1))
            t = y * torch.sqrt(nu / w)
            u = _lerp_table(t / torch.sqrt(nu + t * t), self._table, -1.0, 1.0)
            last = self._sorted.shape[0] - 1
            pos = u * last
            k = pos.floor().clamp(0, max(last - 1, 0))
            f = pos - k
            flat = k.long() * n + torch.arange(n, device=dev)
            srt = self._sorted.reshape(-1)
            lo = srt[flat]
            hi = srt[torch.clamp(flat + n, max=srt.numel() - 1)]
            c = torch.cumsum(lo + f * (hi - lo), dim=1)
            return (c[:, -1, :], *self._finish(c))
        if isinstance(model, FilteredBootstrap):
            idx = torch.randint(0, self._resid.shape[0], (m, h), device=dev)
            var = self._var0.expand(m, n).clone()
            c = torch.zeros((m, n), dtype=f64, device=dev)
            want_steps = self.spec.want_worst or self.spec.want_paths
            steps = torch.empty((m, h, n), dtype=f64, device=dev) if want_steps else None
            lam = model.lam
            for s in range(h):
                d = torch.sqrt(var) * self._resid[idx[:, s]]
                c = c + self._mu + d
                var = lam * var + (1.0 - lam) * d * d
                if steps is not None:
                    steps[:, s, :] = c
            if steps is None:
                return c, None, None
            return (c, *self._finish(steps))
        raise TypeError(f"unknown model {type(model).__name__}")  # pragma: no cover
