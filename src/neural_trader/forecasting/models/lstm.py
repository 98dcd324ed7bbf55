"""Encoder-decoder LSTM forecaster (2 x 128 by default).

The encoder reads the scaled window (value plus exogenous features per step). Its final hidden
and cell states start a decoder LSTM that runs ``horizon`` steps in one pass; each decoder step
receives a learnt embedding of its position and the encoder's last output. A linear head maps
each decoder output to the quantiles (or the point). Nothing of the decoder's own forecast is
fed back, so training and inference run the same computation.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from neural_trader.forecasting.configs import LSTMConfig
from neural_trader.forecasting.models.base import ForecastModel

__all__ = ["LSTMForecaster"]


class LSTMForecaster(ForecastModel):
    kind = "lstm"

    def __init__(self, config: LSTMConfig) -> None:
        super().__init__(config)
        hidden, layers = config.hidden_size, config.num_layers
        inter = config.dropout if layers > 1 else 0.0
        self.encoder = nn.LSTM(1 + config.n_exog, hidden, layers, batch_first=True, dropout=inter)
        self.steps = nn.Parameter(torch.randn(config.horizon, config.step_embedding) * 0.1)
        self.decoder = nn.LSTM(
            hidden + config.step_embedding, hidden, layers, batch_first=True, dropout=inter
        )
        self.drop = nn.Dropout(config.dropout) if config.dropout > 0.0 else nn.Identity()
        self.head = nn.Linear(hidden, config.n_outputs)

    def core(self, z: Tensor, exog: Tensor | None) -> Tensor:
        x = z.unsqueeze(-1)
        if exog is not None:
            x = torch.cat([x, exog], dim=-1)
        enc_out, (h, c) = self.encoder(x)
        batch = z.shape[0]
        last = enc_out[:, -1:, :].expand(batch, self.horizon, enc_out.shape[-1])
        steps = self.steps.unsqueeze(0).expand(batch, self.horizon, self.steps.shape[-1])
        dec_out, _ = self.decoder(torch.cat([last, steps], dim=-1), (h, c))
        out: Tensor = self.head(self.drop(dec_out))
        return out
