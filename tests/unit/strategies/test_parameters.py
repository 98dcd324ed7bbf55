"""Parameter declarations: parsing (CLI text and Python values), default grids, JSON schema."""

from __future__ import annotations

import math
from typing import Any

import pytest

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.strategies.parameters import (
    BoolParam,
    ChoiceParam,
    FloatParam,
    IntParam,
    TextParam,
)


class Holder:
    """Owner class so ``__set_name__`` gives each declaration its name, as on a strategy."""

    period = IntParam(20, low=2, high=30, step=4, description="lookback")
    maybe = IntParam(None, optional=True, low=1)
    z = FloatParam(2.0, low=0.5, high=1.5, step=0.25)
    free = FloatParam(1.0)
    stop = FloatParam(None, optional=True, low=1e-4, high=0.99)
    flag = BoolParam(False)
    mode = ChoiceParam("a", choices=("a", "b"))
    model = TextParam(None, description="a model id")
    label = TextParam("x", optional=False)


def test_int_param_set_name_records_attribute_name() -> None:
    assert Holder.period.name == "period"


@pytest.mark.parametrize(("raw", "want"), [("7", 7), (" 12 ", 12), (9, 9), (10.0, 10)])
def test_int_param_parse_text_and_numbers_returns_int(raw: Any, want: int) -> None:
    got = Holder.period.parse(raw)
    assert got == want
    assert type(got) is int


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (True, "boolean"),
        ("seven", "expected an integer"),
        (2.5, "expected an integer"),
        (1, ">= 2"),
        (31, "<= 30"),
        (None, "required"),
        ([3], "expected an integer"),
    ],
)
def test_int_param_parse_invalid_raises_naming_parameter(raw: Any, why: str) -> None:
    with pytest.raises(InvalidArgumentError, match="period") as err:
        Holder.period.parse(raw)
    assert why in str(err.value)


@pytest.mark.parametrize("raw", [None, "none", "OFF"])
def test_optional_param_parse_none_words_returns_none(raw: Any) -> None:
    assert Holder.maybe.parse(raw) is None
    assert Holder.stop.parse(raw) is None


def test_float_param_parse_text_and_int_returns_float() -> None:
    assert Holder.z.parse("1.25") == 1.25
    got = Holder.free.parse(3)
    assert got == 3.0
    assert type(got) is float


@pytest.mark.parametrize(
    ("raw", "why"),
    [(math.nan, "finite"), ("inf", "finite"), (False, "boolean"), ("x", "number"), (0.1, ">=")],
)
def test_float_param_parse_invalid_raises(raw: Any, why: str) -> None:
    with pytest.raises(InvalidArgumentError, match=why):
        Holder.z.parse(raw)


@pytest.mark.parametrize(
    ("raw", "want"), [("yes", True), ("0", False), ("On", True), (False, False)]
)
def test_bool_param_parse_words_returns_bool(raw: Any, want: bool) -> None:
    assert Holder.flag.parse(raw) is want


def test_bool_param_parse_number_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="flag"):
        Holder.flag.parse(1)


def test_choice_param_parse_outside_choices_raises_listing_them() -> None:
    assert Holder.mode.parse("b") == "b"
    with pytest.raises(InvalidArgumentError, match="one of a, b"):
        Holder.mode.parse("c")


def test_grids_with_range_follow_low_high_step() -> None:
    assert Holder.period.grid() == [2, 6, 10, 14, 18, 22, 26, 30]
    assert Holder.z.grid() == [0.5, 0.75, 1.0, 1.25, 1.5]
    assert Holder.flag.grid() == [False, True]
    assert Holder.mode.grid() == ["a", "b"]


def test_grids_without_range_return_default_only() -> None:
    assert Holder.free.grid() == [1.0]
    assert Holder.maybe.grid() == [None]


def test_schema_carries_type_bounds_default_and_description() -> None:
    assert Holder.period.schema() == {
        "description": "lookback",
        "default": 20,
        "type": "integer",
        "minimum": 2,
        "maximum": 30,
    }
    assert Holder.stop.schema()["type"] == ["number", "null"]
    assert Holder.flag.schema()["type"] == "boolean"
    assert Holder.mode.schema()["enum"] == ["a", "b"]
    assert "minimum" not in Holder.free.schema()


def test_text_param_parses_text_and_reads_none_as_not_given() -> None:
    assert Holder.model.parse(" nhits-20250101120000-a1b2c3 ") == "nhits-20250101120000-a1b2c3"
    for raw in (None, "", "none", "OFF"):
        assert Holder.model.parse(raw) is None
    with pytest.raises(InvalidArgumentError, match="label"):
        Holder.label.parse("none")
    with pytest.raises(InvalidArgumentError, match="expected text"):
        Holder.model.parse(3)
    assert Holder.model.grid() == [None]
    assert Holder.model.schema()["type"] == ["string", "null"]
    assert Holder.label.schema()["type"] == "string"
