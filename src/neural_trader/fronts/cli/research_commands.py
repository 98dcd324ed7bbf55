"""``neural-trader strategies`` and ``neural-trader backtest``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.fronts.cli.options import (
    CashOpt,
    DataOpt,
    EndOpt,
    FeesOpt,
    FillAt,
    FillOpt,
    JsonOpt,
    SlippageOpt,
    StartOpt,
    StrategyOpt,
    SymbolOpt,
    TradeSpecOpt,
)
from neural_trader.fronts.cli.output import console, run_command

if TYPE_CHECKING:
    from neural_trader.services.research import BacktestSummary, StrategyInfo


class EngineName(StrEnum):
    vector = "vector"
    event = "event"


class SizerName(StrEnum):
    all_in = "all_in"
    fixed = "fixed"
    target_weight = "target_weight"
    vol_target = "vol_target"


def parse_params(pairs: list[str] | None, flag: str = "--param") -> dict[str, str]:
    """``--param k=v`` pairs; values stay text and are parsed by the parameter declarations."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidArgumentError(
                f"{flag} {pair!r} is not name=value (e.g. {flag} name=value)"
            )
        out[key.strip()] = value.strip()
    return out


def strategies(as_json: JsonOpt = False) -> None:
    """List the strategies with their parameters (defaults and search ranges)."""
    from neural_trader.services.research import list_strategy_infos

    def render(items: list[StrategyInfo]) -> None:
        for s in items:
            console.print(f"[bold]{s.name}[/]  {escape(s.description)}")
            table = Table(box=box.SIMPLE, show_header=True, padding=(0, 1))
            for col in ("parameter", "type", "default", "range", "description"):
                table.add_column(col)
            for p in s.parameters:
                lo, hi = p.json_schema.get("minimum"), p.json_schema.get("maximum")
                rng = f"{lo} .. {hi}" if lo is not None or hi is not None else ""
                if "enum" in p.json_schema:
                    rng = " | ".join(map(str, p.json_schema["enum"]))
                table.add_row(p.name, p.kind, str(p.default), rng, escape(p.description))
            console.print(table)
            for r in s.requires:
                flag = "optional" if r["optional"] else "required"
                console.print(
                    f"  needs {r['name']} ({r['kind']}, {flag}): {escape(r['description'])}"
                )

    run_command(as_json, list_strategy_infos, render)


def backtest(
    strategy: StrategyOpt,
    symbol: SymbolOpt = None,
    data: DataOpt = None,
    spec: TradeSpecOpt = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Strategy parameter name=value, repeatable."),
    ] = None,
    cash: CashOpt = 10_000.0,
    fees: FeesOpt = 0.001,
    slippage: SlippageOpt = 0.0,
    fill: FillOpt = FillAt.open,
    engine: Annotated[
        EngineName, typer.Option("--engine", help="vector or event.")
    ] = EngineName.vector,
    sizer: Annotated[
        SizerName, typer.Option("--sizer", help="How targets become quantities.")
    ] = SizerName.all_in,
    start: StartOpt = None,
    end: EndOpt = None,
    periods_per_year: Annotated[
        float | None, typer.Option("--periods-per-year", help="Annualisation (default: inferred).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write an HTML tear sheet.")
    ] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a PNG picture.")] = None,
    inputs: Annotated[
        list[str] | None,
        typer.Option(
            "--with",
            help="A declared input, name=source: other=SYMBOL|FILE for a second leg's bars, "
            "sentiment=FILE.csv:column for a series. Repeatable.",
        ),
    ] = None,
    check_lookahead: Annotated[
        bool, typer.Option("--check-lookahead", help="Rerun on truncated data; report changes.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Backtest a strategy on a symbol from the catalog or on a file."""
    from neural_trader.services.research import run_backtest

    def render(r: BacktestSummary) -> None:
        console.print(
            f"[bold]{r.strategy}[/] on [bold]{r.symbol}[/] {r.spec}, {r.bars:,} bars "
            f"{r.first} .. {r.last}, {r.engine} engine, fill at {r.fill}"
        )
        table = Table(box=box.SIMPLE_HEAD, show_header=False)
        table.add_column("metric")
        table.add_column("value", justify="right")
        rows: list[tuple[str, Any, str]] = [
            ("final equity", r.final_equity, "money"),
            ("total return", r.total_return, "pct"),
            ("CAGR", r.cagr, "pct"),
            ("Sharpe", r.sharpe, "num"),
            ("Sortino", r.sortino, "num"),
            ("max drawdown", r.max_drawdown, "pct"),
            ("trades", r.trades, "int"),
            ("win rate", r.win_rate, "pct"),
            ("profit factor", r.profit_factor, "num"),
            ("exposure", r.exposure, "pct"),
        ]
        for label, value, kind in rows:
            table.add_row(label, _fmt(value, kind))
        console.print(table)
        for note in r.notes:
            console.print(f"[yellow]note:[/] {escape(note)}")
        if r.report:
            console.print(f"report: {r.report}")
        if r.plot:
            console.print(f"plot: {r.plot}")
        if r.lookahead is not None:
            if r.lookahead.ok:
                console.print(
                    "[green]look-ahead check passed[/] "
                    f"(truncated at {len(r.lookahead.points)} points)"
                )
            else:
                console.print(
                    f"[red]look-ahead check FAILED: {len(r.lookahead.differences)} difference(s)[/]"
                )

    result = run_command(
        as_json,
        lambda: run_backtest(
            strategy,
            symbol=symbol,
            data_file=data,
            spec=spec,
            params=parse_params(param),
            cash=cash,
            fees=fees,
            slippage=slippage,
            fill=fill.value,
            engine=engine.value,
            sizer=sizer.value,
            start=start,
            end=end,
            periods_per_year=periods_per_year,
            report=report,
            plot=plot,
            check_lookahead=check_lookahead,
            inputs=parse_params(inputs, flag="--with"),
        ),
        render,
        status=f"backtesting {strategy}",
    )
    if result.lookahead is not None and not result.lookahead.ok:
        raise typer.Exit(1)


def _fmt(value: Any, kind: str) -> str:
    if value is None:
        return "n/a"
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "pct":
        return f"{value * 100:,.2f}%"
    if kind == "int":
        return f"{value:,}"
    return f"{value:,.3f}"
