"""Training losses: MAE, MSE and the multi-quantile (pinball) loss.

``pred`` is ``[B, H, Q]`` as the models return it, ``target`` ``[B, H]``. The MQ loss is the
pinball loss ``max(q (y - f), (q - 1)(y - f))`` averaged over windows, steps and quantiles
(neuralforecast's ``MQLoss``); its minimiser is the q-quantile of the conditional
distribution, which is what makes the quantile heads interval bounds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from neural_trader.forecasting._deps import require

require("torch", "forecast losses")

import torch  # noqa: E402
from torch import Tensor  # noqa: E402

from neural_trader.core.errors import InvalidArgumentError  # noqa: E402

__all__ = ["LossFn", "get_loss", "mae_loss", "mq_loss", "mse_loss"]

LossFn = Callable[[Tensor, Tensor], Tensor]


def _point(pred: Tensor) -> Tensor:
    return pred[..., 0] if pred.dim() == 3 else pred


def mae_loss(pred: Tensor, target: Tensor) -> Tensor:
    return (_point(pred) - target).abs().mean()


def mse_loss(pred: Tensor, target: Tensor) -> Tensor:
    return ((_point(pred) - target) ** 2).mean()


def mq_loss(pred: Tensor, target: Tensor, quantiles: Tensor) -> Tensor:
    """Mean pinball loss over ``quantiles`` (a 1-D tensor matching ``pred``'s last axis)."""
    err = target.unsqueeze(-1) - pred
    q = quantiles.to(dtype=pred.dtype, device=pred.device)
    return torch.maximum(q * err, (q - 1.0) * err).mean()


def get_loss(name: str, quantiles: Sequence[float] = ()) -> LossFn:
    if name == "mae":
        return mae_loss
    if name == "mse":
        return mse_loss
    if name == "mq":
        if not quantiles:
            raise InvalidArgumentError("the MQ loss needs quantiles")
        q = torch.tensor(list(quantiles), dtype=torch.float32)
        return lambda pred, target: mq_loss(pred, target, q)
    raise InvalidArgumentError(f"unknown loss {name!r}; choose mae, mse or mq")
