"""Thin entry points (CLI, later MCP and REST) over the typed services."""
