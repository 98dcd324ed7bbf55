"""Declared strategy parameters: type, default, bounds and search range in one place.

A parameter is a class attribute of a strategy (freqtrade's ``IntParameter`` idea), so the
registry, the CLI (``--param k=v``), the optimisers (``--grid k=lo:hi:step``, Optuna) and the
MCP schema all read the same declaration. Values are validated when a strategy is built.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from neural_trader.core.errors import InvalidArgumentError

__all__ = ["BoolParam", "ChoiceParam", "FloatParam", "IntParam", "Param", "TextParam"]


@dataclass(frozen=True)
class Param:
    """Base of every parameter declaration."""

    default: Any
    description: str = ""
    name: str = field(default="", compare=False)

    kind = "any"

    def __set_name__(self, owner: type, name: str) -> None:
        object.__setattr__(self, "name", name)

    def parse(self, value: Any) -> Any:
        """Validate (and convert from text, for the CLI) one value of this parameter."""
        return value

    def grid(self) -> list[Any]:
        """The default search grid, for optimisers when the user gives none."""
        return [self.default]

    def schema(self) -> dict[str, Any]:
        """A JSON-schema fragment (for MCP and the registry listing)."""
        return {"description": self.description, "default": self.default}

    def _bad(self, value: Any, why: str) -> InvalidArgumentError:
        return InvalidArgumentError(f"parameter {self.name}={value!r}: {why}")


@dataclass(frozen=True)
class IntParam(Param):
    default: int | None = 0
    low: int | None = None
    high: int | None = None
    step: int = 1
    optional: bool = False

    kind = "int"

    def parse(self, value: Any) -> int | None:
        if value is None or (isinstance(value, str) and value.lower() in ("none", "off")):
            if self.optional:
                return None
            raise self._bad(value, "a value is required")
        if isinstance(value, bool):
            raise self._bad(value, "expected an integer, got a boolean")
        if isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise self._bad(value, "expected an integer") from None
        if isinstance(value, float):
            if not value.is_integer():
                raise self._bad(value, "expected an integer")
            value = int(value)
        if not isinstance(value, int):
            raise self._bad(value, "expected an integer")
        if self.low is not None and value < self.low:
            raise self._bad(value, f"must be >= {self.low}")
        if self.high is not None and value > self.high:
            raise self._bad(value, f"must be <= {self.high}")
        return value

    def grid(self) -> list[Any]:
        if self.low is None or self.high is None:
            return [self.default]
        return list(range(self.low, self.high + 1, self.step))

    def schema(self) -> dict[str, Any]:
        out = super().schema() | {"type": ["integer", "null"] if self.optional else "integer"}
        if self.low is not None:
            out["minimum"] = self.low
        if self.high is not None:
            out["maximum"] = self.high
        return out


@dataclass(frozen=True)
class FloatParam(Param):
    default: float | None = 0.0
    low: float | None = None
    high: float | None = None
    step: float | None = None
    optional: bool = False

    kind = "float"

    def parse(self, value: Any) -> float | None:
        if value is None or (isinstance(value, str) and value.lower() in ("none", "off")):
            if self.optional:
                return None
            raise self._bad(value, "a value is required")
        if isinstance(value, bool):
            raise self._bad(value, "expected a number, got a boolean")
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise self._bad(value, "expected a number") from None
        if not isinstance(value, int | float):
            raise self._bad(value, "expected a number")
        number = float(value)
        if not math.isfinite(number):
            raise self._bad(value, "must be finite")
        if self.low is not None and number < self.low:
            raise self._bad(value, f"must be >= {self.low}")
        if self.high is not None and number > self.high:
            raise self._bad(value, f"must be <= {self.high}")
        return number

    def grid(self) -> list[Any]:
        if self.low is None or self.high is None or self.step is None:
            return [self.default]
        n = math.floor((self.high - self.low) / self.step + 1e-9)
        return [round(self.low + i * self.step, 12) for i in range(n + 1)]

    def schema(self) -> dict[str, Any]:
        out = super().schema() | {"type": ["number", "null"] if self.optional else "number"}
        if self.low is not None:
            out["minimum"] = self.low
        if self.high is not None:
            out["maximum"] = self.high
        return out


@dataclass(frozen=True)
class BoolParam(Param):
    default: bool = False

    kind = "bool"

    def parse(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
            return True
        if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off"):
            return False
        raise self._bad(value, "expected true or false")

    def grid(self) -> list[Any]:
        return [False, True]

    def schema(self) -> dict[str, Any]:
        return super().schema() | {"type": "boolean"}


@dataclass(frozen=True)
class ChoiceParam(Param):
    default: str = ""
    choices: Sequence[str] = ()

    kind = "choice"

    def parse(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.choices:
            raise self._bad(value, f"must be one of {', '.join(self.choices)}")
        return value

    def grid(self) -> list[Any]:
        return list(self.choices)

    def schema(self) -> dict[str, Any]:
        return super().schema() | {"type": "string", "enum": list(self.choices)}


@dataclass(frozen=True)
class TextParam(Param):
    """Free text, such as a model id from the forecasting registry (``-p model=nhits-...``).

    Optional text parameters read ``none``, ``off`` or an empty string as "not given", as the
    optional numbers do. There is no search grid beyond the default: text is not a dimension
    an optimiser can step along (give the values with ``--grid name=a,b``).
    """

    default: str | None = None
    optional: bool = True

    kind = "text"

    def parse(self, value: Any) -> str | None:
        if value is None or (
            isinstance(value, str) and value.strip().lower() in ("", "none", "off")
        ):
            if self.optional:
                return None
            raise self._bad(value, "a value is required")
        if not isinstance(value, str):
            raise self._bad(value, "expected text")
        return value.strip()

    def schema(self) -> dict[str, Any]:
        return super().schema() | {"type": ["string", "null"] if self.optional else "string"}
