"""Typed services: the one API that every front (CLI, MCP, REST) calls.

Fronts parse input and format output; every decision lives here or below. Each service takes
plain values and returns pydantic models, so JSON output is the model's own serialisation.
"""
