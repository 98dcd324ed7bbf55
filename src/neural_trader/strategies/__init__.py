"""Strategies: one contract for both backtest engines and live trading (see ``base``)."""

from neural_trader.strategies.base import (
    DataRequirement,
    Params,
    Strategy,
    StrategyContext,
    StrategyData,
)
from neural_trader.strategies.parameters import (
    BoolParam,
    ChoiceParam,
    FloatParam,
    IntParam,
    Param,
    TextParam,
)
from neural_trader.strategies.registry import (
    create_strategy,
    get_strategy,
    register,
    strategy_names,
)

__all__ = [
    "BoolParam",
    "ChoiceParam",
    "DataRequirement",
    "FloatParam",
    "IntParam",
    "Param",
    "Params",
    "Strategy",
    "StrategyContext",
    "StrategyData",
    "TextParam",
    "create_strategy",
    "get_strategy",
    "register",
    "strategy_names",
]
