"""Transformer encoder forecaster over patches of the input window.

The scaled window (value plus exogenous features per step) is cut into patches of
``patch_len`` steps (padded at the start by repeating the first step when the length does not
divide), each patch is embedded linearly with a learnt position, ``n_layers`` pre-norm encoder
blocks mix them, and a linear head maps all tokens to ``horizon x n_outputs`` values.

Attention is written out (softmax of scaled dot products) rather than taken from
``nn.MultiheadAttention``, whose inference fast path has no ONNX translation and whose
results may differ between the fast and slow paths; here training, inference and the exported
graph run one computation.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from neural_trader.forecasting.configs import TransformerConfig
from neural_trader.forecasting.models.base import ForecastModel

__all__ = ["TransformerForecaster"]


class _EncoderBlock(nn.Module):
    def __init__(self, d_model: int, n_heads: int, ff_size: int, dropout: float) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.head_dim = d_model // n_heads
        self.norm1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.ff = nn.Sequential(
            nn.Linear(d_model, ff_size),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(ff_size, d_model),
        )
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        tokens, width = x.shape[1], x.shape[2]
        q, k, v = self.qkv(self.norm1(x)).chunk(3, dim=-1)
        q = q.reshape(-1, tokens, self.n_heads, self.head_dim).transpose(1, 2)
        k = k.reshape(-1, tokens, self.n_heads, self.head_dim).transpose(1, 2)
        v = v.reshape(-1, tokens, self.n_heads, self.head_dim).transpose(1, 2)
        att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(self.head_dim), dim=-1)
        att = self.drop(att)
        mixed = (att @ v).transpose(1, 2).reshape(-1, tokens, width)
        x = x + self.drop(self.proj(mixed))
        out: Tensor = x + self.drop(self.ff(self.norm2(x)))
        return out


class TransformerForecaster(ForecastModel):
    kind = "transformer"

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__(config)
        self.patch_len = config.patch_len
        self.n_tokens = math.ceil(config.input_size / config.patch_len)
        self.pad = self.n_tokens * config.patch_len - config.input_size
        self.channels = 1 + config.n_exog
        self.embed = nn.Linear(config.patch_len * self.channels, config.d_model)
        self.position = nn.Parameter(torch.randn(self.n_tokens, config.d_model) * 0.02)
        self.blocks = nn.ModuleList(
            _EncoderBlock(config.d_model, config.n_heads, config.ff_size, config.dropout)
            for _ in range(config.n_layers)
        )
        self.norm = nn.LayerNorm(config.d_model)
        self.head = nn.Linear(self.n_tokens * config.d_model, config.horizon * config.n_outputs)

    def core(self, z: Tensor, exog: Tensor | None) -> Tensor:
        x = z.unsqueeze(-1)
        if exog is not None:
            x = torch.cat([x, exog], dim=-1)
        if self.pad:
            x = torch.cat([x[:, :1, :].expand(-1, self.pad, -1), x], dim=1)
        h = self.embed(x.reshape(-1, self.n_tokens, self.patch_len * self.channels))
        h = h + self.position
        for block in self.blocks:
            h = block(h)
        h = self.norm(h)
        out: Tensor = self.head(h.flatten(1)).reshape(-1, self.horizon, self.n_outputs)
        return out
