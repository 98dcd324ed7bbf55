"""Neural sentiment: the neural trend rules on a model that reads a sentiment series."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import numpy.typing as npt

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.strategies.base import DataRequirement, StrategyData
from neural_trader.strategies.builtin.neural_trend import NeuralTrend
from neural_trader.strategies.registry import register

__all__ = ["NeuralSentiment"]

FloatArray = npt.NDArray[np.float64]


@register
class NeuralSentiment(NeuralTrend):
    """:class:`NeuralTrend`'s rules on a model that also reads news sentiment.

    The forecasting model takes the ``sentiment`` series as a past exogenous input next to
    the closes: models trained here get it as their one feature, and a registry ``model``
    must have been trained with a ``sentiment`` feature (``forecast train --features
    sentiment``). Entries, exits, the interval-width gate and the walk-forward training are
    :class:`NeuralTrend`'s.

    Until a news feed exists, the sentiment comes from the data: ``neural-trader backtest
    --with sentiment=FILE.csv:column`` (a CSV of time and value, aligned to the bars by time)
    or ``StrategyData(..., feeds={"sentiment": values})``. A value holds until the next one
    (bars without news keep the last score; 0 before the first), so sparse news works. Without
    the series, or with no value in the first model's training bars, the strategy refuses to
    run and says how to supply it: a sentiment model fed zeros would be a worse trend model.
    """

    name: ClassVar[str] = "neural_sentiment"
    description: ClassVar[str] = (
        "Neural trend on a model that reads a sentiment series next to the closes"
    )
    requires: ClassVar[tuple[DataRequirement, ...]] = (
        DataRequirement(
            "sentiment",
            "series",
            "news sentiment per bar (e.g. in [-1, 1]); the model's exogenous input",
        ),
    )
    features: ClassVar[tuple[str, ...]] = ("sentiment",)

    def model_features(self) -> tuple[str, ...]:
        names = super().model_features()
        if self.p.model is not None and "sentiment" not in names:
            raise InvalidArgumentError(
                f"model {self.p.model} was trained without a 'sentiment' feature "
                f"(its features: {', '.join(names) or 'none'})",
                hint="train one with: neural-trader forecast train --features sentiment ...; "
                "or use neural_trend for a price-only model",
            )
        return names

    def forecast_returns(self, data: StrategyData) -> tuple[FloatArray, FloatArray]:
        # Refuse up front, even on data too short to trade: the series is never optional.
        if data.feed("sentiment") is None:
            raise self._missing_feed("sentiment", None)
        return super().forecast_returns(data)
