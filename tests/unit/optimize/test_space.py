"""``--grid`` parsing and validation against declared parameters."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import numpy.typing as npt
import pytest

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.optimize import parse_grid, validate_combinations
from neural_trader.strategies import (
    BoolParam,
    ChoiceParam,
    FloatParam,
    IntParam,
    Strategy,
    StrategyData,
)


class Toy(Strategy):
    name: ClassVar[str] = "toy-space"
    fast = IntParam(10, low=2, high=100, step=10)
    slow = IntParam(50, low=3, high=200, step=50)
    band = FloatParam(0.5, low=0.0, high=1.0)
    mode = ChoiceParam("a", choices=("a", "b", "c"))
    flip = BoolParam(False)

    def check_params(self) -> None:
        if self.p.fast >= self.p.slow:
            raise InvalidArgumentError(f"fast={self.p.fast} must be below slow={self.p.slow}")

    def signals(self, data: StrategyData) -> npt.NDArray[np.float64]:
        return np.zeros(len(data))


def test_int_range_is_inclusive_and_parsed() -> None:
    space = parse_grid(Toy, ["fast=5:20:5"])
    (dim,) = space.dimensions
    assert dim.values == (5, 10, 15, 20)
    assert (dim.low, dim.high, dim.step) == (5, 20, 5)
    assert all(isinstance(v, int) for v in dim.values)


def test_int_range_without_step_uses_the_declared_step() -> None:
    assert parse_grid(Toy, ["slow=50:200"]).dimensions[0].values == (50, 100, 150, 200)


def test_float_range_reaches_its_end_despite_rounding() -> None:
    (dim,) = parse_grid(Toy, ["band=0.1:0.3:0.1"]).dimensions
    assert dim.values == (0.1, 0.2, 0.3)


def test_float_range_needs_a_step_when_none_is_declared() -> None:
    with pytest.raises(InvalidArgumentError, match="give a step"):
        parse_grid(Toy, ["band=0.1:0.3"])


def test_lists_choices_and_booleans() -> None:
    space = parse_grid(Toy, ["mode=a,c", "flip=true,false", "fast=7"])
    assert [d.name for d in space.dimensions] == ["fast", "mode", "flip"]  # declaration order
    assert space.dimensions[1].values == ("a", "c")
    assert space.dimensions[2].values == (True, False)
    assert space.size == 4


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("fats=5:10", "no parameter 'fats'"),
        ("fast=1:10:1", "must be >= 2"),
        ("fast=5:500", "must be <= 100"),
        ("fast=20:5", "20 > 5"),
        ("fast=5:10:0", "step must be > 0"),
        ("mode=a:c", "takes a list"),
        ("mode=a,z", "must be one of"),
        ("fast", "not name="),
        ("fast=5:10:2:1", "low:high"),
        ("fast=x", "expected an integer"),
    ],
)
def test_bad_specs_are_refused_before_anything_runs(spec: str, match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        parse_grid(Toy, [spec])


def test_a_parameter_given_twice_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="given twice"):
        parse_grid(Toy, ["fast=5", "fast=6"])


def test_default_space_is_the_declared_grids_without_the_shared_stops() -> None:
    space = parse_grid(Toy, None)
    assert space.names == ["fast", "slow", "band", "mode", "flip"]
    assert space.dimensions[0].values == tuple(range(2, 101, 10))
    assert space.dimensions[2].values == (0.5,)  # no step declared: its default only
    assert "stop_loss" not in space.names


def test_cartesian_product_order_and_size() -> None:
    space = parse_grid(Toy, ["fast=5,6", "slow=50,100,150"])
    combos = list(space.combinations())
    assert space.size == len(combos) == 6
    assert combos[:2] == [{"fast": 5, "slow": 50}, {"fast": 5, "slow": 100}]


def test_cross_field_invalid_combinations_are_dropped_and_counted() -> None:
    space = parse_grid(Toy, ["fast=10:50:10", "slow=30:50:10"])
    valid = validate_combinations(Toy, space)
    expected = [
        {"fast": f, "slow": s} for f in range(10, 51, 10) for s in range(30, 51, 10) if f < s
    ]
    assert valid.combos == expected
    assert valid.dropped == space.size - len(expected) == 6
    assert valid.example is not None
    assert "must be below" in valid.example


def test_other_exceptions_from_a_strategy_are_not_counted_as_invalid() -> None:
    class Broken(Toy):
        name: ClassVar[str] = "toy-broken"

        def check_params(self) -> None:
            raise RuntimeError("bug")

    with pytest.raises(RuntimeError, match="bug"):
        validate_combinations(Broken, [{"fast": 5, "slow": 50}])
