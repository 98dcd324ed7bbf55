"""``neural-trader mcp``: serve the MCP server, list its tools, print client configuration.

``neural-trader mcp`` alone serves (stdio by default, what desktop clients launch); the
group's callback runs with ``invoke_without_command=True`` and returns early when a
subcommand (``tools``, ``config``) follows, so both forms live under one name.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from neural_trader.fronts.cli.options import JsonOpt
from neural_trader.fronts.cli.output import console, fail, print_json

__all__ = ["app"]

app = typer.Typer(
    help="Serve neural-trader to AI agents over MCP (stdio, or HTTP with a bearer token).",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _require_sdk(as_json: bool = False) -> None:
    """The ``mcp`` extra is optional: say how to install it instead of a traceback."""
    import importlib.util

    if importlib.util.find_spec("mcp") is None:
        from neural_trader.core.errors import MissingDependencyError

        fail(MissingDependencyError("mcp", "mcp", "The MCP server"), as_json)


class Transport(StrEnum):
    stdio = "stdio"
    http = "http"


@app.callback(invoke_without_command=True)
def serve(
    ctx: typer.Context,
    transport: Annotated[
        Transport,
        typer.Option(
            "--transport", help="stdio (desktop clients launch it) or http (streamable HTTP)."
        ),
    ] = Transport.stdio,
    host: Annotated[
        str,
        typer.Option(
            "--host", help="HTTP: interface to listen on; beyond loopback NT_MCP_TOKEN is required."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="HTTP: port.", min=1, max=65535)] = 8765,
) -> None:
    """Serve the MCP server until the client disconnects (stdio) or Ctrl-C (HTTP).

    Over HTTP the endpoint is http://HOST:PORT/mcp; with NT_MCP_TOKEN set every request must
    carry 'Authorization: Bearer <token>'.
    """
    if ctx.invoked_subcommand is not None:
        return
    _require_sdk()
    from neural_trader.core.errors import NeuralTraderError
    from neural_trader.fronts.mcp.server import serve as run

    try:
        run(transport=transport.value, host=host, port=port)
    except NeuralTraderError as exc:
        fail(exc, as_json=False)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def tool_listing() -> list[dict[str, Any]]:
    """Every tool as a client's ``tools/list`` sees it (name, schemas, annotations)."""
    import anyio

    from neural_trader.fronts.mcp.server import build_server

    server = build_server()
    tools = anyio.run(server.list_tools)
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]


@app.command("tools")
def tools(as_json: JsonOpt = False) -> None:
    """List every tool with its parameters (--json: the full input and output schemas)."""
    from rich.markup import escape
    from rich.table import Table

    from neural_trader.core.errors import NeuralTraderError

    _require_sdk(as_json)
    try:
        listing = tool_listing()
    except NeuralTraderError as exc:
        fail(exc, as_json)
    if as_json:
        print_json({"count": len(listing), "tools": listing})
        return
    table = Table(title=f"{len(listing)} MCP tools", show_lines=False)
    table.add_column("tool", no_wrap=True)
    table.add_column("parameters (* required)")
    table.add_column("description")
    for t in listing:
        schema = t.get("inputSchema", {})
        required = set(schema.get("required", []))
        params = ", ".join(
            f"{name}{'*' if name in required else ''}" for name in schema.get("properties", {})
        )
        first_line = (t.get("description") or "").strip().splitlines()[0:1]
        table.add_row(t["name"], escape(params), escape(first_line[0] if first_line else ""))
    console.print(table)


def client_config() -> dict[str, Any]:
    """The ``mcpServers`` entry that launches this installation's server over stdio."""
    from neural_trader.config import default_home

    return {
        "mcpServers": {
            "neural-trader": {
                "command": sys.executable,
                "args": ["-m", "neural_trader.fronts.mcp"],
                "env": {"NT_HOME": str(default_home())},
            }
        }
    }


@app.command("config")
def config(as_json: JsonOpt = False) -> None:
    """Print the configuration that connects Claude Desktop or Claude Code to this server."""
    snippet = client_config()
    if as_json:
        print_json(snippet)
        return
    entry = snippet["mcpServers"]["neural-trader"]
    console.print(
        "[bold]Claude Desktop[/]: add to claude_desktop_config.json "
        "(Settings > Developer > Edit Config):"
    )
    console.print_json(json.dumps(snippet))
    console.print("\n[bold]Claude Code[/]:")
    env = " ".join(f"--env {k}={v}" for k, v in entry["env"].items())
    console.print(
        f"claude mcp add neural-trader {env} -- {entry['command']} {' '.join(entry['args'])}",
        soft_wrap=True,
        markup=False,
    )
    console.print(
        "\n[bold]HTTP[/]: NT_MCP_TOKEN=SECRET neural-trader mcp --transport http "
        "--host 0.0.0.0 --port 8765, then connect to http://HOST:8765/mcp sending SECRET as a "
        "bearer token in the Authorization header.",
        soft_wrap=True,
    )
