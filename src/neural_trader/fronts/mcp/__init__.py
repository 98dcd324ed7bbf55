"""The MCP front: neural-trader's engine as tools and resources for AI agents.

``build_server()`` (in :mod:`.server`) returns an :class:`mcp.server.mcpserver.MCPServer`
with every tool group registered; ``neural-trader mcp`` (or ``python -m
neural_trader.fronts.mcp``) serves it over stdio or streamable HTTP. Like the CLI, the front
only parses arguments, calls :mod:`neural_trader.services` and shapes the result: see
docs/decisions/0017-mcp-server.md.
"""
