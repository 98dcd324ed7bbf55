"""The MCP tool groups; each module's ``register(tools)`` adds its tools to a server.

Modules import the engine and the services inside tool bodies only, so registering every
tool costs schema generation and nothing else.
"""

from __future__ import annotations

from neural_trader.fronts.mcp.runtime import ToolSet
from neural_trader.fronts.mcp.tools import analysis as analysis
from neural_trader.fronts.mcp.tools import control as control
from neural_trader.fronts.mcp.tools import core as core
from neural_trader.fronts.mcp.tools import data as data
from neural_trader.fronts.mcp.tools import neural as neural
from neural_trader.fronts.mcp.tools import risk as risk
from neural_trader.fronts.mcp.tools import system as system
from neural_trader.fronts.mcp.tools import trading as trading

__all__ = ["GROUPS", "register_all"]

GROUPS = {
    "core": core,
    "trading": trading,
    "risk": risk,
    "neural": neural,
    "data": data,
    "analysis": analysis,
    "control": control,
    "system": system,
}


def register_all(tools: ToolSet) -> None:
    for module in GROUPS.values():
        module.register(tools)
