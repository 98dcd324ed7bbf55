"""The strategy registry: the ten built-ins, lookup errors, parameter schemas and validation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from neural_trader.core.errors import InvalidArgumentError, NotFoundError
from neural_trader.strategies import Strategy, create_strategy, get_strategy, strategy_names
from neural_trader.strategies.parameters import (
    BoolParam,
    ChoiceParam,
    FloatParam,
    IntParam,
    TextParam,
)

BUILTINS = [
    "buy_and_hold",
    "enhanced_momentum",
    "mean_reversion",
    "momentum",
    "neural_arbitrage",
    "neural_sentiment",
    "neural_trend",
    "pairs",
    "sma_cross",
    "swing",
]


NOT_SEARCHED = {
    "neural_": {"hidden", "max_steps", "learning_rate", "val_fraction", "seed"},
    "neural_arbitrage": {"fee_rate", "slippage"},
}
"""Model-training settings and trading costs: declared with bounds but no search range (a
sweep over seeds or learning rates tunes noise, and costs are the market's, not a choice)."""


def _not_searched(strategy: str) -> set[str]:
    out: set[str] = set()
    for prefix, names in NOT_SEARCHED.items():
        if strategy.startswith(prefix):
            out |= names
    return out


def test_strategy_names_lists_all_ten_builtins_sorted() -> None:
    assert strategy_names() == BUILTINS


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_class_attributes_are_complete(name: str) -> None:
    cls = get_strategy(name)
    assert cls.name == name
    assert cls.description
    assert "\n" not in cls.description
    assert cls.__doc__
    assert len(cls.__doc__) > 80
    strategy = cls()
    assert strategy.warmup >= 0


def test_get_strategy_unknown_name_raises_with_close_match_hint() -> None:
    with pytest.raises(NotFoundError) as err:
        get_strategy("sma_crross")
    assert err.value.hint is not None
    assert "sma_cross" in err.value.hint
    assert "available" in str(err.value)


@pytest.mark.parametrize("name", BUILTINS)
def test_parameter_schema_is_json_schema_like(name: str) -> None:
    cls = get_strategy(name)
    params = cls.parameters()
    assert {"stop_loss", "take_profit"} <= set(params)  # shared risk options kept
    properties = {k: p.schema() for k, p in params.items()}
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    json.dumps(schema)  # serialisable as is
    for key, param in params.items():
        prop = properties[key]
        assert prop["type"] in ("integer", "number", "boolean", "string", ["integer", "null"],
                                ["number", "null"], ["string", "null"])  # fmt: skip
        assert prop["description"], f"{name}.{key} has no description"
        assert param.parse(param.default) == param.default
        if isinstance(param, ChoiceParam):
            assert param.default in prop["enum"]
        if isinstance(param, TextParam):
            assert param.grid() == [param.default]
        skip = {"stop_loss", "take_profit"} | _not_searched(name)
        if isinstance(param, IntParam | FloatParam) and key in skip - {"stop_loss", "take_profit"}:
            assert param.grid() == [param.default], key  # no accidental sweep dimension
            assert prop["minimum"] <= (param.default or prop["minimum"]), key
            continue
        if isinstance(param, IntParam | FloatParam) and param.default is not None:
            assert prop["minimum"] <= param.default <= prop["maximum"], key
        if isinstance(param, IntParam | FloatParam) and key not in skip:
            assert param.step is not None, f"{name}.{key} has no search step"
            grid = param.grid()
            assert len(grid) > 1
            assert grid[0] == param.low
            assert max(grid) <= param.high
        if isinstance(param, BoolParam):
            assert prop["type"] == "boolean"


@pytest.mark.parametrize(
    ("name", "params", "named"),
    [
        ("sma_cross", {"fast": 50, "slow": 50}, "fast"),
        ("sma_cross", {"fast": 60, "slow": 20}, "fast"),
        ("momentum", {"period": 0}, "period"),
        ("momentum", {"exit_z": 2.5, "entry_z": 2.0}, "exit_z"),
        ("mean_reversion", {"period": 0}, "period"),
        ("mean_reversion", {"num_std": "wide"}, "num_std"),
        ("swing", {"lower": 45, "upper": 55.0, "rsi_period": 1}, "rsi_period"),
        ("swing", {"lower": 50, "upper": 50}, "lower"),
        ("pairs", {"exit_z": 3.0}, "exit_z"),
        ("pairs", {"pvalue": 0.9}, "pvalue"),
        ("enhanced_momentum", {"sentiment_weight": 0.7, "model_weight": 0.5}, "sentiment_weight"),
        ("buy_and_hold", {"period": 3}, "period"),
        ("momentum", {"speed": 3}, "speed"),
        ("sma_cross", {"stop_loss": 1.5}, "stop_loss"),
    ],
)
def test_invalid_params_raise_naming_the_parameter(
    name: str, params: dict[str, Any], named: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=named):
        create_strategy(name, **params)


def test_create_strategy_parses_cli_text_values() -> None:
    strategy = create_strategy("sma_cross", fast="5", slow="30", allow_short="yes")
    assert strategy.p.as_dict()["fast"] == 5
    assert strategy.p.slow == 30
    assert strategy.p.allow_short is True
    assert isinstance(strategy, Strategy)


def test_short_capable_strategies_are_not_long_only_classes() -> None:
    # run_vector clips to [0, 1] for long_only classes; allow_short must reach the engine.
    for name in ("sma_cross", "momentum", "mean_reversion", "enhanced_momentum", "pairs",
                 "neural_trend", "neural_sentiment", "neural_arbitrage"):  # fmt: skip
        assert get_strategy(name).long_only is False
    for name in ("buy_and_hold", "swing"):
        assert get_strategy(name).long_only is True


def test_the_original_v1_names_are_aliases_and_its_unbuilt_ones_say_why() -> None:
    from neural_trader.core.errors import NotSupportedError

    assert get_strategy("momentum_trading") is get_strategy("momentum")
    assert create_strategy("swing_trading").name == "swing"
    for name in ("mirror", "mirror_trading", "ensemble"):
        with pytest.raises(NotSupportedError, match=f"strategy '{name}' is not available"):
            get_strategy(name)
