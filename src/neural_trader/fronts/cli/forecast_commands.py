"""``neural-trader forecast ...``: train, predict, evaluate, list, show, delete, export-onnx.

Each command parses options, calls :mod:`neural_trader.services.forecast` and renders the
result (or prints it as one JSON document with ``--json``). torch is imported by the service
only when a command needs it, so ``forecast list`` and ``--help`` stay fast.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.fronts.cli.options import JsonOpt
from neural_trader.fronts.cli.output import console, err_console, fail, run_command

if TYPE_CHECKING:
    from neural_trader.services.forecast import (
        DeleteSummary,
        DemoForecast,
        EvaluateSummary,
        ExportSummary,
        ForecastPoint,
        MetricsTable,
        ModelDetails,
        ModelList,
        PredictSummary,
        TrainSummary,
    )

__all__ = ["app", "metrics_table", "parse_model_params", "render_demo_forecast"]

app = typer.Typer(
    help="Neural forecasting: train NHITS/LSTM/Transformer models, predict, evaluate against "
    "baselines, manage the model registry.",
    no_args_is_help=True,
)


class ModelKind(StrEnum):
    nhits = "nhits"
    lstm = "lstm"
    transformer = "transformer"


class LossName(StrEnum):
    mae = "mae"
    mse = "mse"
    mq = "mq"


class PrecisionName(StrEnum):
    full = "32"
    bf16 = "bf16"
    fp16 = "fp16"


ModelIdOpt = Annotated[str, typer.Option("--model", "-m", help="Model id (see 'forecast list').")]
ModelIdArg = Annotated[str, typer.Argument(help="Model id (see 'forecast list').")]
FileOpt = Annotated[
    Path | None,
    typer.Option("--data", help="CSV/Parquet with a timestamp column, or a bar file."),
]
SymbolOpt = Annotated[str | None, typer.Option("--symbol", help="Symbol in the catalog.")]
SeasonOpt = Annotated[
    int | None,
    typer.Option("--season-length", help="Season of the seasonal-naive baseline and MASE."),
]


def _scalar(text: str) -> Any:
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text.strip()


def parse_model_params(pairs: list[str] | None) -> dict[str, Any]:
    """``--param name=value``; ``a,b,c`` is a tuple (``pooling_kernels=4,2,1``)."""
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidArgumentError(f"--param {pair!r} is not name=value (e.g. mlp_units=256)")
        parts = [p for p in value.split(",") if p.strip()]
        out[key.strip()] = tuple(_scalar(p) for p in parts) if "," in value else _scalar(value)
    return out


def _split_list(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


def _num(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}g}" if abs(value) < 1e4 else f"{value:,.1f}"


def metrics_table(table: MetricsTable, title: str) -> Table:
    """Rows = model then the baselines; columns = metrics (coverage only for the model)."""
    out = Table(title=title, box=box.SIMPLE_HEAD)
    names = {"mae": "MAE", "rmse": "RMSE", "mape": "MAPE %", "smape": "sMAPE %", "mase": "MASE"}
    out.add_column("forecast")
    for header in names.values():
        out.add_column(header, justify="right")
    for level in table.coverage:
        out.add_column(f"in {level}% band", justify="right")
    for who, values in table.metrics.items():
        row = [("[bold]" + who + "[/]") if who == "model" else who]
        row += [_num(values.get(n)) for n in names]
        for level in table.coverage:
            cover = values.get(f"coverage_{level}")
            row.append(f"{cover:.1%}" if who == "model" and cover is not None else "")
        out.add_row(*row)
    return out


def _forecast_table(points: list[ForecastPoint], title: str) -> Table:
    out = Table(title=title, box=box.SIMPLE_HEAD)
    out.add_column("step", justify="right")
    out.add_column("time")
    out.add_column("forecast", justify="right")
    levels = list(points[0].lower) if points else []
    for lv in levels:
        out.add_column(f"{lv}% interval", justify="right")
    for p in points:
        row = [str(p.step), p.time, _num(p.forecast, 6)]
        row += [f"{_num(p.lower[lv], 6)} .. {_num(p.upper[lv], 6)}" for lv in levels]
        out.add_row(*row)
    return out


def render_demo_forecast(d: DemoForecast) -> None:
    """The demo's forecasting step: test error next to the baselines, then the forecast."""
    console.print(f"[bold]forecasting[/]: {escape(d.settings)}")
    console.print(
        f"{d.steps} training steps on {d.train_windows:,} windows in {d.seconds:.1f} s; "
        f"test MAE {d.mae:,.2f} vs naive {d.naive_mae:,.2f} ({d.test_windows} windows)"
    )
    console.print(metrics_table(d.test, f"{d.symbol} test windows"))
    console.print(
        _forecast_table(
            d.forecast,
            f"{d.symbol} after {d.last_time} (close {d.last_value:,.2f}), conformal intervals",
        )
    )


@app.command("train")
def train(
    target: Annotated[str, typer.Option("--target", "-t", help="Column to forecast.")],
    horizon: Annotated[int, typer.Option("--horizon", help="Steps to forecast.")],
    input_size: Annotated[int, typer.Option("--input-size", help="Past steps the model reads.")],
    model: Annotated[ModelKind, typer.Option("--model", "-m", help="Architecture.")] = (
        ModelKind.nhits
    ),
    data: Annotated[
        list[Path] | None,
        typer.Option("--data", help="Training file (CSV/Parquet/bars); repeat for more series."),
    ] = None,
    symbol: Annotated[
        list[str] | None,
        typer.Option("--symbol", help="Catalog symbol; repeat for more series."),
    ] = None,
    features: Annotated[
        list[str] | None,
        typer.Option(
            "--features",
            "-f",
            help="Past exogenous columns (comma-separated or repeated); 'calendar' adds "
            "time-of-day/day-of-week/day-of-year features.",
        ),
    ] = None,
    max_steps: Annotated[int, typer.Option("--max-steps", help="Training steps (max).")] = 1000,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Windows per step.")] = 32,
    learning_rate: Annotated[float, typer.Option("--learning-rate", help="Adam's rate.")] = 1e-3,
    val_fraction: Annotated[
        float, typer.Option("--val-fraction", help="Share of rows for validation.")
    ] = 0.2,
    test_fraction: Annotated[
        float, typer.Option("--test-fraction", help="Share of rows for the test.")
    ] = 0.1,
    levels: Annotated[
        str, typer.Option("--levels", help="Interval levels in percent, e.g. 80,95.")
    ] = "80,95",
    loss: Annotated[
        LossName, typer.Option("--loss", help="mae/mse: point + conformal; mq: quantiles.")
    ] = LossName.mae,
    season_length: SeasonOpt = None,
    patience: Annotated[
        int, typer.Option("--patience", help="Validation checks without gain (0 = off).")
    ] = 5,
    val_check_steps: Annotated[
        int, typer.Option("--val-check-steps", help="Steps between validation checks.")
    ] = 50,
    precision: Annotated[
        PrecisionName, typer.Option("--precision", help="32, bf16 (CPU/GPU) or fp16 (GPU).")
    ] = PrecisionName.full,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
    threads: Annotated[int | None, typer.Option("--threads", help="CPU threads for torch.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the whole run.")] = 0,
    trials: Annotated[
        int, typer.Option("--trials", help="Optuna trials on the validation loss first.")
    ] = 0,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Model hyperparameter name=value, repeatable."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Train a model, score it against the baselines, and register it."""
    from neural_trader.services.forecast import train_model

    try:
        level_values = [float(v) for v in _split_list([levels])]
        params = parse_model_params(param)
    except (ValueError, InvalidArgumentError) as exc:
        error = exc if isinstance(exc, InvalidArgumentError) else InvalidArgumentError(str(exc))
        fail(error, as_json)

    def render(r: TrainSummary) -> None:
        console.print(
            f"[bold]{r.model_id}[/]  {r.kind}, {r.input_size} -> {r.horizon} steps of "
            f"{escape(r.target)}, {r.parameters:,} parameters"
        )
        console.print(
            f"{r.steps} steps in {r.seconds:.1f} s on {r.device}, best at step {r.best_step}"
            f"{' (stopped early)' if r.stopped_early else ''}; windows train {r.train_windows:,}"
            f" / val {r.val_windows:,} / test {r.test_windows:,}"
        )
        if r.validation is not None:
            console.print(metrics_table(r.validation, "validation"))
        if r.test is not None:
            console.print(metrics_table(r.test, "test"))
        for note in r.notes:
            console.print(f"[yellow]note:[/] {escape(note)}")
        console.print(f"saved in {r.path}")

    run_command(
        as_json,
        lambda: train_model(
            model.value,
            data_files=list(data or []),
            symbols=list(symbol or []),
            target=target,
            horizon=horizon,
            input_size=input_size,
            features=_split_list(features),
            max_steps=max_steps,
            batch_size=batch_size,
            learning_rate=learning_rate,
            val_fraction=val_fraction,
            test_fraction=test_fraction,
            levels=level_values,
            loss=loss.value,
            season_length=season_length,
            patience=patience,
            val_check_steps=val_check_steps,
            precision=precision.value,
            device=device,
            threads=threads,
            seed=seed,
            trials=trials,
            model_params=params,
            progress=None if not as_json else False,
        ),
        render,
    )


@app.command("predict")
def predict(
    model_id: ModelIdOpt,
    data: FileOpt = None,
    symbol: SymbolOpt = None,
    calendar: Annotated[
        str | None,
        typer.Option("--calendar", help="Exchange calendar (XNYS...) to date daily forecasts."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Forecast the steps after the data's last row."""
    from neural_trader.services.forecast import predict as predict_service

    def render(r: PredictSummary) -> None:
        console.print(
            f"[bold]{r.model_id}[/] on {escape(r.source)}: last {escape(r.target)} "
            f"{_num(r.last_value, 6)} at {r.last_time}"
        )
        method = f" ({r.interval_method} intervals)" if r.interval_method else ""
        console.print(_forecast_table(r.predictions, f"forecast{method}"))

    run_command(
        as_json,
        lambda: predict_service(model_id, data_file=data, symbol=symbol, calendar=calendar),
        render,
        status=None if as_json else "forecasting",
    )


@app.command("evaluate")
def evaluate(
    model_id: ModelIdOpt,
    data: FileOpt = None,
    symbol: SymbolOpt = None,
    step: Annotated[int, typer.Option("--step", help="Origins between windows.")] = 1,
    season_length: SeasonOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Score the model on every window of the data next to naive, seasonal-naive, drift."""
    from neural_trader.services.forecast import evaluate_model

    def render(r: EvaluateSummary) -> None:
        console.print(
            f"[bold]{r.model_id}[/] on {escape(r.source)}: {r.evaluation.windows:,} windows, "
            f"origins {r.first_origin} .. {r.last_origin}, season {r.evaluation.season_length}"
        )
        console.print(metrics_table(r.evaluation, f"{r.input_size} -> {r.horizon} steps"))
        for note in r.evaluation.notes:
            console.print(f"[yellow]note:[/] {escape(note)}")

    run_command(
        as_json,
        lambda: evaluate_model(
            model_id, data_file=data, symbol=symbol, step=step, season_length=season_length
        ),
        render,
        status=None if as_json else "evaluating",
    )


@app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """List the registered models."""
    from neural_trader.services.forecast import list_models

    def render(r: ModelList) -> None:
        if not r.models:
            console.print(f"no models in {r.root}: train one with 'neural-trader forecast train'")
        else:
            table = Table(title=f"models in {r.root}", box=box.SIMPLE_HEAD)
            for col in ("id", "target", "in -> out", "val MAE", "naive MAE", "onnx", "created"):
                table.add_column(col, justify="right" if "MAE" in col else "left")
            for m in r.models:
                table.add_row(
                    m.model_id,
                    escape(m.target),
                    f"{m.input_size} -> {m.horizon}",
                    _num(m.val_mae),
                    _num(m.val_naive_mae),
                    "yes" if m.onnx else "",
                    m.created,
                )
            console.print(table)
        for p in r.problems:
            err_console.print(f"[yellow]unreadable:[/] {escape(p)}")

    run_command(as_json, list_models, render)


@app.command("show")
def show(model_id: ModelIdArg, as_json: JsonOpt = False) -> None:
    """Show a model's configuration, data, training and metrics."""
    from neural_trader.services.forecast import MetricsTable, show_model

    def render(r: ModelDetails) -> None:
        i = r.info
        console.print(f"[bold]{i.model_id}[/]  {i.kind}, created {i.created}")
        console.print(f"  target {escape(i.target)}, features {', '.join(i.features) or 'none'}")
        console.print(f"  {i.input_size} -> {i.horizon} steps, season {r.season_length}")
        console.print(f"  data {escape(', '.join(i.sources))}")
        cfg = ", ".join(f"{k}={v}" for k, v in r.config.items() if k != "kind")
        console.print(f"  config {escape(cfg)}")
        for part in ("validation", "test"):
            table = r.metrics.get(part)
            if table:
                console.print(metrics_table(MetricsTable.model_validate(table), part))
        console.print(f"  folder {r.path}")

    run_command(as_json, lambda: show_model(model_id), render)


@app.command("delete")
def delete(
    model_id: ModelIdArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete a model from the registry."""
    from neural_trader.services.forecast import delete_model

    if not yes and not as_json:
        if not typer.confirm(f"delete model {model_id}?"):
            err_console.print("nothing deleted")
            raise typer.Exit(1)
    elif not yes:
        fail(InvalidArgumentError("--json needs --yes for a delete"), as_json)

    def render(r: DeleteSummary) -> None:
        console.print(f"deleted {r.model_id} ({r.path})")

    run_command(as_json, lambda: delete_model(model_id), render)


@app.command("export-onnx")
def export_onnx(
    model_id: ModelIdArg,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="ONNX file (default: in the model's folder)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Export a model to ONNX and check its outputs against PyTorch."""
    from neural_trader.services.forecast import export_model_onnx

    def render(r: ExportSummary) -> None:
        console.print(f"wrote {r.path} ({r.bytes / 1024:,.0f} KiB)")
        console.print(
            f"onnxruntime vs PyTorch on {r.check_windows} windows: max difference "
            f"{r.max_abs_diff:.3g} (relative {r.max_rel_diff:.3g})"
        )

    run_command(
        as_json,
        lambda: export_model_onnx(model_id, path=output),
        render,
        status=None if as_json else "exporting",
    )
