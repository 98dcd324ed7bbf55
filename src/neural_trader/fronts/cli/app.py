"""``neural-trader``: the root command.

Sub-commands live in one module per group and import the engine inside each handler, so
``neural-trader --version`` and ``--help`` stay fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from neural_trader import __version__
from neural_trader.fronts.cli import (
    data_commands,
    forecast_commands,
    mcp_commands,
    optimize_commands,
    research_commands,
    risk_commands,
    system_commands,
    trading_commands,
)

app = typer.Typer(
    name="neural-trader",
    help="Research, backtest, forecast, risk-manage and trade: every number computed for real.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(data_commands.app, name="data")
app.add_typer(forecast_commands.app, name="forecast")
app.add_typer(risk_commands.app, name="risk")
app.add_typer(mcp_commands.app, name="mcp")
app.command("doctor")(system_commands.doctor)
app.command("demo")(system_commands.demo)
app.command("strategies")(research_commands.strategies)
app.command("backtest")(research_commands.backtest)
app.command("optimize")(optimize_commands.optimize)
app.command("trade")(trading_commands.trade)
app.command("switch")(trading_commands.switch)
app.command("runner")(trading_commands.runner)
app.command("orders")(trading_commands.orders)
app.command("positions")(trading_commands.positions)
app.command("account")(trading_commands.account)
app.command("reconcile")(trading_commands.reconcile)
app.command("kill")(trading_commands.kill)
app.command("resume")(trading_commands.resume)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"neural-trader {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """neural-trader: research, backtest, forecast, risk-manage and trade."""


def main() -> None:
    app()


if __name__ == "__main__":
    main()
