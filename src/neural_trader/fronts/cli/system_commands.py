"""``neural-trader doctor`` and ``neural-trader demo``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from neural_trader.fronts.cli.options import JsonOpt
from neural_trader.fronts.cli.output import console, err_console, run_command

if TYPE_CHECKING:
    from neural_trader.services.demo import DemoReport
    from neural_trader.services.system import DoctorReport

_STYLE = {"ok": "green", "warn": "yellow", "fail": "red"}


def doctor(as_json: JsonOpt = False) -> None:
    """Check the environment, optional extras, data folder and storage engine."""
    from neural_trader.services.system import run_doctor

    def render(r: DoctorReport) -> None:
        console.print(f"neural-trader {r.version} on Python {r.python} ({r.platform})")
        table = Table(show_header=True)
        for col in ("group", "check", "status", "detail"):
            table.add_column(col)
        for c in r.checks:
            table.add_row(
                c.group, escape(c.name), f"[{_STYLE[c.status]}]{c.status}[/]", escape(c.detail)
            )
        console.print(table)
        console.print(f"overall: [{_STYLE[r.status]}]{r.status}[/]")

    report = run_command(as_json, run_doctor, render)
    if report.status == "fail":
        raise typer.Exit(1)


def demo(as_json: JsonOpt = False) -> None:
    """Run the main job end to end on the embedded sample data, offline."""
    from neural_trader.services.demo import run_demo

    def progress(msg: str) -> None:
        if not as_json:
            err_console.print(f"[dim]- {msg}[/]")

    def render(r: DemoReport) -> None:
        table = Table(title=f"embedded sample, validated against {r.calendar}", box=box.SIMPLE_HEAD)
        for col in ("symbol", "bars", "from", "to", "close", "change", "issues"):
            table.add_column(
                col, no_wrap=True, justify="left" if col in ("symbol", "from", "to") else "right"
            )
        for s in r.series:
            problems = s.validation.errors + s.validation.warnings
            table.add_row(
                s.symbol,
                f"{s.rows:,}",
                s.first,
                s.last,
                f"{s.first_close:,.0f} -> {s.last_close:,.0f}",
                f"{s.change_pct:+.1f}%",
                str(problems),
            )
        console.print(table)
        for s in r.series:
            console.print(
                f"  {s.symbol}: {s.description}. Resampled to {s.weekly_bars:,} weekly bars."
            )
        if r.backtests:
            bt = Table(title=f"strategies: {r.backtest_settings}", box=box.SIMPLE_HEAD)
            for col in ("strategy", "final equity", "return", "CAGR", "Sharpe", "max DD", "trades"):
                bt.add_column(col, justify="left" if col == "strategy" else "right")
            for b in r.backtests:
                bt.add_row(
                    b.strategy,
                    f"{b.final_equity:,.0f}",
                    _pct(b.total_return),
                    _pct(b.cagr),
                    "n/a" if b.sharpe is None else f"{b.sharpe:.2f}",
                    _pct(b.max_drawdown),
                    f"{b.trades:,}",
                )
            console.print(bt)
        if r.paper is not None:
            from neural_trader.fronts.cli.trading_commands import orders_table, positions_table

            p = r.paper
            console.print(f"[bold]paper trading[/]: {r.paper_settings}")
            console.print(
                f"{p.bars} bars, {p.orders_sent} orders, {p.fills} fills; cash {p.cash:,.2f}, "
                f"equity {p.equity:,.2f}"
            )
            orders_table(p.orders[:8], title="paper orders (newest first)")
            positions_table(p.positions)
        if r.forecast is not None:
            from neural_trader.fronts.cli.forecast_commands import render_demo_forecast

            render_demo_forecast(r.forecast)
        elif r.forecast_skipped:
            console.print(f"[yellow]forecasting skipped:[/] {escape(r.forecast_skipped)}")
        console.print(f"catalog: {r.catalog}  ({r.seconds:.1f} s)")
        console.print(
            "next: neural-trader data show SPX | neural-trader backtest --strategy sma_cross "
            "--symbol SPX --report sma.html | neural-trader trade --strategy sma_cross "
            "--symbol SPX --replay FILE | neural-trader forecast train --model nhits --symbol SPX "
            "--target close --horizon 5 --input-size 60"
        )

    run_command(as_json, lambda: run_demo(progress=progress), render)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:+.1f}%"
