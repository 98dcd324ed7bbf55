"""MCP resources: strategies, the running strategy, models, portfolio state and the catalog.

Resources are what an agent reads for context rather than calls for a result. Each returns
the JSON of the same service the matching tool uses, read at the time of the request.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from neural_trader.core.errors import NeuralTraderError, NotFoundError

__all__ = ["register_resources"]

JSON = "application/json"


def _json(produce: Callable[[], Any]) -> str:
    """The service's answer as JSON; engine errors become resource errors with their text."""
    from neural_trader.fronts.mcp.runtime import engine_message

    try:
        value = produce()
    except NotFoundError as exc:
        raise ResourceNotFoundError(engine_message(exc)) from exc
    except NeuralTraderError as exc:
        raise ResourceError(engine_message(exc)) from exc
    if hasattr(value, "model_dump"):
        value = value.model_dump(mode="json")
    elif isinstance(value, list):
        value = [v.model_dump(mode="json") if hasattr(v, "model_dump") else v for v in value]
    return json.dumps(value, indent=2, default=str)


def register_resources(server: MCPServer[Any]) -> None:
    @server.resource(
        "strategies://available",
        name="strategies",
        description="every registered strategy with its parameters",
        mime_type=JSON,
    )
    def strategies() -> str:
        from neural_trader.services.research import list_strategy_infos

        return _json(list_strategy_infos)

    @server.resource(
        "strategies://{name}",
        name="strategy",
        description="one strategy's description, data needs and parameters",
        mime_type=JSON,
    )
    def strategy(name: str) -> str:
        from neural_trader.services.research import list_strategy_infos
        from neural_trader.strategies import get_strategy

        def one() -> Any:
            get_strategy(name)
            return next(i for i in list_strategy_infos() if i.name == name)

        return _json(one)

    @server.resource(
        "runner://active",
        name="running strategy",
        description="the strategy a `trade` process is running on the account, and the last "
        "switch request (switch_active_strategy) with what became of it",
        mime_type=JSON,
    )
    def running() -> str:
        from neural_trader.services.runners import active_runner, switch_status

        def both() -> dict[str, Any]:
            runner, last = active_runner(), switch_status()
            return {
                "runner": None if runner is None else runner.model_dump(mode="json"),
                "last_switch": None if last is None else last.model_dump(mode="json"),
            }

        return _json(both)

    @server.resource(
        "neural://models",
        name="models",
        description="registered forecasting models",
        mime_type=JSON,
    )
    def models() -> str:
        from neural_trader.services.forecast import list_models

        return _json(list_models)

    @server.resource(
        "neural://models/{model_id}",
        name="model",
        description="one forecasting model's record: config, data, metrics, training",
        mime_type=JSON,
    )
    def model(model_id: str) -> str:
        from neural_trader.services.forecast import show_model

        return _json(lambda: show_model(model_id))

    @server.resource(
        "portfolio://status",
        name="portfolio",
        description="the trading account: cash, equity, positions, open orders, kill switch",
        mime_type=JSON,
    )
    def portfolio() -> str:
        from neural_trader.services.orders import portfolio_status

        return _json(lambda: portfolio_status(include_analytics=False))

    @server.resource(
        "data://catalog",
        name="catalog",
        description="every series in the data catalog",
        mime_type=JSON,
    )
    def catalog() -> str:
        from neural_trader.services.data import list_data

        return _json(list_data)
