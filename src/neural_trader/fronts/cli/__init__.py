"""The neural-trader command line (typer + rich)."""
