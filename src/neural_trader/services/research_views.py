"""Result models of the research services that light fronts return as they are.

Pure pydantic, no pandas: the MCP tools build their strategy descriptions from these without
importing :mod:`neural_trader.services.research` (which imports pandas) when the server is
built, and that module re-exports them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["ParamInfo", "ParamSpec", "StrategyBasics", "StrategyInfo"]


class ParamSpec(BaseModel):  # a parameter as its strategy declares it (the MCP tools' form)
    name: str
    kind: str
    default: Any
    description: str
    json_schema: dict[str, Any]


class ParamInfo(ParamSpec):
    grid: list[Any] = Field(description="default search grid (first 50 values)")


class StrategyBasics(BaseModel):  # a strategy less its parameters
    name: str
    description: str
    long_only: bool
    requires: list[dict[str, Any]]


class StrategyInfo(StrategyBasics):
    parameters: list[ParamInfo]
