"""What every forecasting model shares: per-window scaling, ordered quantile heads.

Per-window scaling (RevIN-style, without the learnt affine): each input window is standardised
by its own location and scale, the network works on unit-free numbers, and its output is
mapped back with the same two numbers. This is why one model can be trained on many assets at
once and applied to a price it never saw, and why multiplying an input window by a positive
constant multiplies the forecast by the same constant (a test holds this). The scaling runs
inside ``forward``, so the exported ONNX graph does it too and a caller passes raw prices.

Quantile outputs are ordered by construction: the head's median is free and every further
quantile adds (or, below the median, subtracts) a softplus increment to its neighbour, so a
0.9 quantile can never fall below the 0.1 quantile, even early in training.
"""

from __future__ import annotations

import itertools
from typing import ClassVar

import torch
import torch.nn.functional as F  # noqa: N812 - the universal alias
from torch import Tensor, nn

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.forecasting.configs import ModelConfig

__all__ = ["ForecastModel", "mlp", "order_quantiles", "window_location_scale"]

_REL_FLOOR = 1e-5
_ABS_FLOOR = 1e-12


def window_location_scale(y: Tensor, method: str) -> tuple[Tensor, Tensor]:
    """Location and scale of each row of ``y`` ``[B, L]`` (both ``[B, 1]``).

    ``standard``: mean and population standard deviation; ``robust``: median and mean absolute
    deviation from it (a sort, not ``torch.median``, so the ONNX exporter can follow it);
    ``none``: 0 and 1. The scale has a floor of 1e-5 x the mean absolute level, so a constant
    window divides by a small number, not by zero, and the floor scales with the data (the
    scaling invariance stays exact).
    """
    if method == "none":
        return torch.zeros_like(y[:, :1]), torch.ones_like(y[:, :1])
    if method == "standard":
        loc = y.mean(dim=1, keepdim=True)
        scale = ((y - loc) ** 2).mean(dim=1, keepdim=True).sqrt()
    elif method == "robust":
        n = y.shape[1]
        srt = torch.sort(y, dim=1).values
        lo, hi = (n - 1) // 2, n // 2
        loc = 0.5 * (srt[:, lo : lo + 1] + srt[:, hi : hi + 1])
        scale = (y - loc).abs().mean(dim=1, keepdim=True)
    else:
        raise InvalidArgumentError(f"unknown scaler {method!r}")
    floor = _REL_FLOOR * y.abs().mean(dim=1, keepdim=True) + _ABS_FLOOR
    return loc, torch.maximum(scale, floor)


def order_quantiles(raw: Tensor, median_index: int) -> Tensor:
    """Monotone quantiles from free outputs ``[..., Q]`` (see the module doc)."""
    q = raw.shape[-1]
    if q == 1:
        return raw
    m = median_index
    center = raw[..., m : m + 1]
    parts = []
    if m > 0:
        below = torch.cumsum(F.softplus(raw[..., :m].flip(-1)), dim=-1).flip(-1)
        parts.append(center - below)
    parts.append(center)
    if m < q - 1:
        parts.append(center + torch.cumsum(F.softplus(raw[..., m + 1 :]), dim=-1))
    return torch.cat(parts, dim=-1)


class ForecastModel(nn.Module):
    """Base class: ``forward(y [B, L], exog [B, L, F] | None) -> [B, horizon, n_outputs]``.

    Subclasses implement :meth:`core`, which sees scaled inputs and returns unordered raw
    outputs in scaled units.
    """

    kind: ClassVar[str] = ""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if config.kind != self.kind:
            raise InvalidArgumentError(f"{type(self).__name__} needs a {self.kind} config")
        self.config = config
        self.input_size = config.input_size
        self.horizon = config.horizon
        self.n_exog = config.n_exog
        self.n_outputs = config.n_outputs

    def core(self, z: Tensor, exog: Tensor | None) -> Tensor:
        raise NotImplementedError

    def compute_dtype(self) -> torch.dtype:
        """float32, or float64 for a model converted with ``.double()``.

        Training and serving run in float32. The neural strategies run inference in float64:
        they forecast one window per bar in the event path and many per call in the vectorized
        path, and float32 matrix products that differ in batch size differ in the last bits
        (about 1e-7), enough to flip a threshold decision now and then; in float64 the gap is
        about 1e-16. Any other parameter dtype (bf16 under autocast) computes in float32.
        """
        for param in self.parameters():
            return torch.float64 if param.dtype == torch.float64 else torch.float32
        return torch.float32

    def forward_scaled(
        self, y: Tensor, exog: Tensor | None = None
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Forecast in scaled units plus the window location and scale (``[B, 1]`` each).

        The trainer computes its loss here, in each window's own units, so that an asset
        priced in thousands does not outweigh one priced in cents in a joint batch.
        """
        if y.dim() != 2 or y.shape[1] != self.input_size:
            raise InvalidArgumentError(
                f"expected input windows [batch, {self.input_size}], got {tuple(y.shape)}"
            )
        dtype = self.compute_dtype()
        y = y.to(dtype)
        loc, scale = window_location_scale(y, self.config.scaler)
        z = (y - loc) / scale
        ex: Tensor | None = None
        if self.n_exog:
            if exog is None or exog.dim() != 3 or exog.shape[2] != self.n_exog:
                raise InvalidArgumentError(
                    f"this model needs exogenous inputs [batch, {self.input_size}, {self.n_exog}]"
                )
            ex = exog.to(dtype)
            x_loc = ex.mean(dim=1, keepdim=True)
            x_scale = ((ex - x_loc) ** 2).mean(dim=1, keepdim=True).sqrt()
            x_floor = _REL_FLOOR * ex.abs().mean(dim=1, keepdim=True) + 1e-8
            ex = (ex - x_loc) / torch.maximum(x_scale, x_floor)
        out = order_quantiles(self.core(z, ex).to(dtype), self.config.median_index)
        if self.config.level_skip:
            out = out + z[:, -1:, None]
        return out, loc, scale

    def forward(self, y: Tensor, exog: Tensor | None = None) -> Tensor:
        out, loc, scale = self.forward_scaled(y, exog)
        return out * scale[:, :, None] + loc[:, :, None]

    def n_parameters(self) -> int:
        return sum(int(p.numel()) for p in self.parameters())


def mlp(sizes: list[int], dropout: float) -> nn.Sequential:
    """Linear + ReLU (+ dropout) layers through ``sizes``; no activation after the last."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
            if dropout > 0.0:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)
