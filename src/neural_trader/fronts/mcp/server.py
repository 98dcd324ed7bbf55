"""Build and serve the neural-trader MCP server.

:func:`build_server` registers every tool group (:mod:`.tools`) and the resources
(:mod:`.resources`) on an SDK :class:`~mcp.server.mcpserver.MCPServer`. It imports no engine:
tool bodies import the services they call, so the server starts in about a second and torch
or the numba kernels load only when a tool first needs them.

:func:`serve` runs it over stdio (what desktop clients launch) or streamable HTTP, the latter
behind the bearer-token rules of :mod:`.auth`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Literal

from mcp.server.mcpserver import MCPServer

from neural_trader.fronts.mcp.runtime import ServerState, ToolSet

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from neural_trader.config import Settings

__all__ = ["SERVER_NAME", "NeuralTraderMCP", "build_server", "http_app", "serve"]

SERVER_NAME = "neural-trader"
INSTRUCTIONS = """\
neural-trader: research, backtest, forecast, risk-manage and trade; every number is computed \
by the engine from the data catalog (list_data, get_candles, import_data).
- Strategies: list_strategies, get_strategy_info, run_backtest, optimize_strategy, \
get_strategy_comparison, recommend_strategy, significance_test (is the Sharpe luck?).
- Risk: risk_analysis (VaR/CVaR), correlation_analysis, monte_carlo_simulation.
- Trading: simulate_trade and execute_trade(validate_only=true) change nothing; execute_trade \
sends an order to the paper broker (live only if the operator enabled live trading) after the \
pre-trade risk checks and kill switch.
- Forecasting: neural_train, neural_forecast, neural_evaluate, neural_model_status.
Errors name the argument or carry the engine's message and a hint."""


class NeuralTraderMCP(MCPServer[Any]):
    """The SDK server plus what our tools share (:class:`~.runtime.ServerState`)."""

    def __init__(self, state: ServerState, tools: ToolSet, **kwargs: Any) -> None:
        super().__init__(tools=tools.tools, **kwargs)
        self.state = state
        self.toolset = tools


def build_server(settings: Settings | None = None) -> NeuralTraderMCP:
    """A server with every tool and resource registered.

    ``settings`` (default: read now from ``NT_*`` and ``$NT_HOME/config.toml``) is checked at
    build time so a broken configuration fails the start, not the first call; tools read the
    configuration again at each call, as the CLI does, so they see the same values.
    """
    from neural_trader import __version__
    from neural_trader.config import load_settings
    from neural_trader.fronts.mcp.resources import register_resources
    from neural_trader.fronts.mcp.tools import register_all

    settings = settings or load_settings()
    state = ServerState(name=SERVER_NAME, version=__version__)
    tools = ToolSet(state)
    register_all(tools)
    server = NeuralTraderMCP(
        state,
        tools,
        name=SERVER_NAME,
        title="neural-trader",
        description="Backtest, optimise, forecast, risk-manage and paper-trade with real numbers.",
        instructions=INSTRUCTIONS,
        version=__version__,
        log_level="DEBUG" if settings.log_level == "DEBUG" else "WARNING",
    )
    register_resources(server)
    return server


def http_app(
    server: NeuralTraderMCP,
    *,
    host: str = "127.0.0.1",
    token: str | None = None,
    path: str = "/mcp",
) -> ASGIApp:
    """The streamable HTTP app, behind the bearer token when one is set (see :mod:`.auth`).

    Refuses (``ConfigError``) a non-loopback ``host`` without a token. On loopback the SDK
    also checks ``Host``/``Origin`` headers against DNS rebinding.
    """
    from neural_trader.fronts.mcp.auth import BearerTokenMiddleware, check_bind

    check_bind(host, token)
    server.state.transport = "streamable-http"
    app: ASGIApp = server.streamable_http_app(streamable_http_path=path, host=host)
    if token:
        app = BearerTokenMiddleware(app, token)
    return app


def serve(
    *,
    transport: Literal["stdio", "http"] = "stdio",
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
) -> None:
    """Serve until the client disconnects (stdio) or the process is stopped (HTTP).

    ``token`` defaults to ``NT_MCP_TOKEN``.
    """
    from neural_trader.fronts.mcp.auth import TOKEN_ENV, check_bind

    if transport == "stdio":
        server = build_server()
        server.state.transport = "stdio"
        server.run("stdio")
        return
    token = token if token is not None else os.environ.get(TOKEN_ENV) or None
    check_bind(host, token)  # before building anything: a refused start should be quick
    import uvicorn

    app = http_app(build_server(), host=host, token=token)
    uvicorn.run(app, host=host, port=port, log_level="warning")
