"""NHITS: multi-rate input pooling, MLP blocks, hierarchical interpolation of the forecast.

Challu et al., "NHITS: Neural Hierarchical Interpolation for Time Series Forecasting"
(AAAI 2023), following the structure of neuralforecast's reference implementation: each block
max-pools the residual input with its stack's kernel, an MLP emits a backcast (subtracted from
the residual, so later blocks see what earlier ones did not explain) and ``horizon //
downsample`` forecast knots, linearly interpolated to the full horizon and summed over blocks.
The sum starts at the last input value (the "Naive1 level"; ``level_skip`` in the config).
Past exogenous features are flattened into every block's MLP input, as the reference does.

The interpolation is a product with a fixed ``knots x horizon`` matrix (``F.interpolate``
applied once to the identity, so the same numbers), not ``F.interpolate`` on every batch:
interpolate's backward on CUDA accumulates with atomic adds, which made two trainings with
the same seed differ on a GPU (measured on an H200: validation MAE 0.563 vs 0.557); a matrix
product's backward is deterministic, and exports to ONNX as a MatMul.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor, nn

from neural_trader.forecasting.configs import NHITSConfig
from neural_trader.forecasting.models.base import ForecastModel, mlp

__all__ = ["NHITS"]


class _Block(nn.Module):
    def __init__(self, config: NHITSConfig, kernel: int, downsample: int) -> None:
        super().__init__()
        length, horizon = config.input_size, config.horizon
        self.input_size = length
        self.horizon = horizon
        self.kernel = kernel
        self.n_outputs = config.n_outputs
        self.n_knots = max(horizon // downsample, 1)
        self.max_pool = config.pooling == "max"
        self.interpolation = config.interpolation
        pooled = math.ceil(length / kernel) if kernel > 1 else length
        sizes = [pooled + length * config.n_exog]
        sizes += [config.mlp_units] * config.mlp_layers
        sizes += [length + self.n_knots * self.n_outputs]
        self.mlp = mlp(sizes[:-1], config.dropout)
        self.act = nn.ReLU()
        self.drop = nn.Dropout(config.dropout) if config.dropout > 0.0 else nn.Identity()
        self.theta = nn.Linear(sizes[-2], sizes[-1])
        # Not persistent: saved weights stay as they were, the matrix is rebuilt on load.
        self.register_buffer(
            "interp", _interpolation_matrix(self.n_knots, horizon, self.interpolation), False
        )

    def forward(self, resid: Tensor, exog: Tensor | None) -> tuple[Tensor, Tensor]:
        x = resid.unsqueeze(1)
        if self.kernel > 1:
            if self.max_pool:
                x = F.max_pool1d(x, self.kernel, self.kernel, ceil_mode=True)
            else:
                x = F.avg_pool1d(
                    x, self.kernel, self.kernel, ceil_mode=True, count_include_pad=False
                )
        x = x.flatten(1)
        if exog is not None:
            x = torch.cat([x, exog.flatten(1)], dim=1)
        theta = self.theta(self.drop(self.act(self.mlp(x))))
        backcast = theta[:, : self.input_size]
        knots = theta[:, self.input_size :].reshape(-1, self.n_outputs, self.n_knots)
        if self.n_knots != self.horizon:
            knots = knots @ self.interp.to(knots.dtype)
        return backcast, knots.transpose(1, 2)


def _interpolation_matrix(n_knots: int, horizon: int, mode: str) -> Tensor:
    """Row ``i``: ``F.interpolate`` of the ``i``-th unit vector, so ``knots @ W`` equals
    ``F.interpolate(knots)`` (interpolation is linear in the knots)."""
    eye = torch.eye(n_knots, dtype=torch.float64).unsqueeze(0)
    return F.interpolate(eye, size=horizon, mode=mode).squeeze(0).to(torch.float32)


class NHITS(ForecastModel):
    kind = "nhits"

    def __init__(self, config: NHITSConfig) -> None:
        super().__init__(config)
        self.blocks = nn.ModuleList(
            _Block(config, k, d)
            for k, d in zip(config.pooling_kernels, config.downsample, strict=True)
            for _ in range(config.blocks_per_stack)
        )

    def core(self, z: Tensor, exog: Tensor | None) -> Tensor:
        resid = z
        total: Tensor | None = None
        for block in self.blocks:
            backcast, forecast = block(resid, exog)
            resid = resid - backcast
            total = forecast if total is None else total + forecast
        assert total is not None
        return total
