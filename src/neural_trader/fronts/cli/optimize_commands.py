"""``neural-trader optimize``: parameter search, printed as a table or one JSON document.

The command only parses options, calls :func:`neural_trader.services.optimize.run_optimization`
and renders its :class:`~neural_trader.optimize.result.OptimizationResult`. Without ``--json``
a progress bar runs on stderr; Ctrl-C stops the search and prints what finished, marked
"interrupted".
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

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
    from neural_trader.optimize.result import OptimizationResult

__all__ = ["optimize"]


class MethodName(StrEnum):
    grid = "grid"
    bayes = "bayes"


class WalkModeName(StrEnum):
    rolling = "rolling"
    anchored = "anchored"


class BackendName(StrEnum):
    local = "local"
    ray = "ray"


class MetricChoice(StrEnum):
    sharpe = "sharpe"
    sortino = "sortino"
    total_return = "total_return"
    cagr = "cagr"
    calmar = "calmar"
    max_drawdown = "max_drawdown"
    profit_factor = "profit_factor"
    win_rate = "win_rate"


def optimize(
    strategy: StrategyOpt,
    symbol: SymbolOpt = None,
    data: DataOpt = None,
    spec: TradeSpecOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    grid: Annotated[
        list[str] | None,
        typer.Option(
            "--grid",
            "-g",
            help="Search range, repeatable: name=low:high:step or name=a,b,c "
            "(default: each parameter's declared grid).",
        ),
    ] = None,
    method: Annotated[
        MethodName, typer.Option("--method", help="grid (every combination) or bayes (TPE).")
    ] = MethodName.grid,
    trials: Annotated[int, typer.Option("--trials", help="Trials of --method bayes.")] = 100,
    walk_forward: Annotated[
        int | None, typer.Option("--walk-forward", help="Walk-forward analysis with N folds.")
    ] = None,
    walk_mode: Annotated[
        WalkModeName,
        typer.Option("--walk-mode", help="rolling (fixed train window) or anchored (growing)."),
    ] = WalkModeName.rolling,
    metric: Annotated[
        MetricChoice,
        typer.Option("--metric", help="Objective, maximised (max_drawdown: least negative)."),
    ] = MetricChoice.sharpe,
    backend: Annotated[
        BackendName, typer.Option("--backend", help="local processes or a Ray cluster.")
    ] = BackendName.local,
    address: Annotated[
        str | None, typer.Option("--address", help="Ray cluster address (default: local).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Processes (default: every core).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the Bayesian sampler.")] = 42,
    cash: CashOpt = 10_000.0,
    fees: FeesOpt = 0.001,
    slippage: SlippageOpt = 0.0,
    fill: FillOpt = FillAt.open,
    top: Annotated[int, typer.Option("--top", help="Configurations to show.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Search a strategy's parameters (grid or Bayesian, optionally walk-forward)."""
    from neural_trader.services.optimize import run_optimization

    run_command(
        as_json,
        lambda: run_optimization(
            strategy,
            symbol=symbol,
            data_file=data,
            spec=spec,
            start=start,
            end=end,
            grid=grid,
            method=method.value,
            trials=trials,
            walk_forward=walk_forward,
            walk_mode=walk_mode.value,
            metric=metric.value,
            backend=backend.value,
            address=address,
            workers=workers,
            seed=seed,
            cash=cash,
            fees=fees,
            slippage=slippage,
            fill=fill.value,
            top=top,
            progress=not as_json,
        ),
        _render,
    )


def _fmt(value: Any, kind: str = "num") -> str:
    if value is None:
        return "n/a"
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "pct":
        return f"{value * 100:,.2f}%"
    if kind == "int":
        return f"{value:,}"
    return f"{value:,.3f}"


def _render(r: OptimizationResult) -> None:
    console.print(
        f"[bold]{r.strategy}[/] on [bold]{r.symbol}[/] {r.spec}, {r.bars:,} bars: "
        f"{r.method} search by {r.metric} ({r.backend}); {r.evaluated:,} evaluated, "
        f"{r.dropped_invalid:,} invalid combination(s) dropped"
    )
    if r.interrupted:
        console.print("[yellow]interrupted: partial results[/]")
    names = list(r.top[0].params) if r.top else []
    table = Table(box=box.SIMPLE_HEAD)
    table.add_column("#", justify="right")
    for name in names:
        table.add_column(name, justify="right")
    for col in (r.metric, "final equity", "return", "trades", "Sharpe", "max DD"):
        table.add_column(col, justify="right")
    for i, e in enumerate(r.top, 1):
        table.add_row(
            str(i),
            *(escape(str(e.params.get(n))) for n in names),
            _fmt(e.score),
            _fmt(e.final_equity, "money"),
            _fmt(e.total_return, "pct"),
            _fmt(e.trades, "int"),
            _fmt(e.sharpe),
            _fmt(e.max_drawdown, "pct"),
        )
    console.print(table)
    wf = r.walk_forward
    if wf is not None:
        console.print(
            f"[bold]walk-forward[/] ({wf.mode}, {len(wf.folds)} fold(s), "
            f"train {wf.train_bars:,} / test {wf.test_bars:,} bars)"
        )
        folds = Table(box=box.SIMPLE_HEAD)
        for col in ("fold", "test window", "params", f"IS {r.metric}", f"OOS {r.metric}"):
            folds.add_column(col)
        for col in ("IS return", "OOS return", "OOS trades"):
            folds.add_column(col, justify="right")
        for f in wf.folds:
            folds.add_row(
                str(f.index),
                f"{f.test_first[:10]} .. {f.test_last[:10]}",
                escape(", ".join(f"{k}={v}" for k, v in f.params.items())),
                _fmt(f.is_score),
                _fmt(f.oos_score),
                _fmt(f.is_metrics.get("total_return"), "pct"),
                _fmt(f.oos_metrics.get("total_return"), "pct"),
                _fmt(f.oos_metrics.get("trades"), "int"),
            )
        console.print(folds)
        m = wf.oos_metrics
        console.print(
            f"stitched out-of-sample: {r.metric} {_fmt(wf.oos_score)}, "
            f"return {_fmt(m.get('total_return'), 'pct')}, "
            f"Sharpe {_fmt(m.get('sharpe'))}, max DD {_fmt(m.get('max_drawdown'), 'pct')}"
        )
    for note in r.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")
