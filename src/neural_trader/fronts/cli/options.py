"""Options shared by several commands, declared once (freqtrade's ``AVAILABLE_CLI_OPTIONS``)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

__all__ = [
    "CashOpt",
    "DataOpt",
    "EndOpt",
    "FeesOpt",
    "FillAt",
    "FillOpt",
    "JsonOpt",
    "SlippageOpt",
    "StartOpt",
    "StrategyOpt",
    "SymbolOpt",
    "TradeSpecOpt",
]


class FillAt(StrEnum):
    open = "open"
    close = "close"


JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
StrategyOpt = Annotated[
    str, typer.Option("--strategy", "-s", help="Strategy name (see 'strategies').")
]
SymbolOpt = Annotated[str | None, typer.Option("--symbol", help="Symbol in the catalog.")]
DataOpt = Annotated[
    Path | None, typer.Option("--data", help="Bar file to read directly (not stored).")
]
TradeSpecOpt = Annotated[
    str | None, typer.Option("--spec", help="Bar spec (default: the stored one).")
]
StartOpt = Annotated[str | None, typer.Option("--start", help="First date (inclusive).")]
EndOpt = Annotated[str | None, typer.Option("--end", help="Last date (inclusive).")]
CashOpt = Annotated[float, typer.Option("--cash", help="Starting cash.")]
FeesOpt = Annotated[float, typer.Option("--fees", help="Fee rate per side (0.001 = 0.1%).")]
SlippageOpt = Annotated[float, typer.Option("--slippage", help="Slippage rate per fill.")]
FillOpt = Annotated[
    FillAt,
    typer.Option("--fill", help="open: next bar's open (default); close: this bar's close."),
]
