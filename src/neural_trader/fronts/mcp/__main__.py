"""``python -m neural_trader.fronts.mcp``: serve without the CLI (what MCP clients launch).

Kept to argparse so a stdio start imports nothing beyond the server itself.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neural_trader.fronts.mcp")
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    import importlib.util

    from neural_trader.core.errors import MissingDependencyError, NeuralTraderError

    if importlib.util.find_spec("mcp") is None:
        print(f"error: {MissingDependencyError('mcp', 'mcp', 'The MCP server')}", file=sys.stderr)
        return 3
    from neural_trader.fronts.mcp.server import serve

    try:
        serve(transport=args.transport, host=args.host, port=args.port)
    except NeuralTraderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
