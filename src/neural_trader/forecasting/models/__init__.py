"""The PyTorch forecasting models: NHITS, an encoder-decoder LSTM, a Transformer encoder.

Importing this package imports torch; without it the import raises
:class:`~neural_trader.core.errors.MissingDependencyError` naming the ``forecast`` extra.
"""

from __future__ import annotations

from neural_trader.forecasting._deps import require

require("torch", "neural forecasting")

from neural_trader.forecasting.configs import (  # noqa: E402
    LSTMConfig,
    ModelConfig,
    NHITSConfig,
    TransformerConfig,
)
from neural_trader.forecasting.models.base import ForecastModel  # noqa: E402
from neural_trader.forecasting.models.lstm import LSTMForecaster  # noqa: E402
from neural_trader.forecasting.models.nhits import NHITS  # noqa: E402
from neural_trader.forecasting.models.transformer import TransformerForecaster  # noqa: E402

__all__ = [
    "MODEL_CLASSES",
    "NHITS",
    "ForecastModel",
    "LSTMConfig",
    "LSTMForecaster",
    "NHITSConfig",
    "TransformerConfig",
    "TransformerForecaster",
    "build_model",
]

MODEL_CLASSES: dict[str, type[ForecastModel]] = {
    "nhits": NHITS,
    "lstm": LSTMForecaster,
    "transformer": TransformerForecaster,
}


def build_model(config: ModelConfig, seed: int | None = 0) -> ForecastModel:
    """A freshly initialised model; ``seed`` fixes its initial weights (None: torch's state).

    The seed is applied inside :func:`torch.random.fork_rng`, so building a model does not
    change the global random state other code relies on.
    """
    import torch

    cls = MODEL_CLASSES[config.kind]
    if seed is None:
        return cls(config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return cls(config)
