"""Neural forecasting tools: forecast, train, evaluate, model status, optimise, predict.

Backed by :mod:`neural_trader.services.forecast` (the ``forecast`` CLI) through
:mod:`neural_trader.services.neural`. Needs the ``forecast`` extra (torch); without it each
tool answers with the ``pip install`` line. Training runs in a worker thread and reports
progress after every step (``neural_optimize``: steps over all trials); a cancelled training
returns at once and stops at the trainer's next step, registering nothing.

``neural_backtest`` trades a registered model's forecasts with the ``neural_trend`` strategy
(:func:`neural_trader.services.neural.backtest_model`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from pydantic import Field

from neural_trader.fronts.mcp.models import (
    DateArg,
    EvaluateOut,
    ModelIdArg,
    ModelStatusOut,
    NeuralBacktestOut,
    Processing,
    RangeArg,
    SymbolArg,
    TrainOut,
    UseGpuArg,
    date_str,
    processing,
    refuse_values,
)
from neural_trader.fronts.mcp.runtime import Progress, ToolSet, run_engine, run_light
from neural_trader.services.neural import NeuralForecast, OptimizeSummary, ValuesForecast

__all__ = ["register"]

EVAL_METRICS = ("mae", "rmse", "mape", "smape", "mase", "mse")
_NOT_COMPUTED = {
    "r2_score": "not computed by the evaluator (point metrics: mae, rmse, mape, smape, mase)",
    "accuracy": "a classification metric; the models forecast values",
    "precision": "a classification metric; the models forecast values",
    "recall": "a classification metric; the models forecast values",
}


_NOT_BUILT = "no {} model is implemented here; choose LSTM, Transformer or NHITS"
_NO_SUCH_MODEL = {
    name: _NOT_BUILT.format(kind)
    for name, kind in (
        ("GRU", "GRU"),
        ("CNN_LSTM", "CNN-LSTM"),
        ("GRU_Ensemble", "GRU ensemble"),
    )
}
"""The original's model types (v1 GRU/CNN_LSTM/GRU_Ensemble, v2 gru/cnn_lstm) that the
forecaster lacks: refused by name with the reason (matching ignores case)."""


def _gpu(use_gpu: bool, t0: float, device: str = "cpu") -> Processing:
    return processing(t0, use_gpu, device)


class NeuralForecastOut(NeuralForecast):
    processing: Processing


class NeuralOptimizeOut(OptimizeSummary):
    processing: Processing


class PredictOut(ValuesForecast):
    processing: Processing


def _pick(table: dict[str, float | None], name: str) -> float | None:
    if name == "mse":
        rmse = table.get("rmse")
        return None if rmse is None else rmse * rmse
    return table.get(name)


def register(tools: ToolSet) -> None:
    state = tools.state

    @tools.tool(title="Neural forecast")
    async def neural_forecast(
        symbol: SymbolArg,
        horizon: Annotated[int, Field(ge=1, le=1000, description="steps (days for daily data)")],
        confidence_level: Annotated[
            float, Field(gt=0, lt=1, description="interval level; the model must have it")
        ] = 0.95,
        use_gpu: UseGpuArg = True,
        model_id: Annotated[
            str | None,
            Field(
                description="default: the newest registered model trained on this symbol. "
                "(The original defaulted to its built-in 'transformer_forecaster', a demo entry "
                "with invented metrics; no built-in model exists here, so the default is one "
                "you trained whose validation errors were measured on this series.)"
            ),
        ] = None,
        ctx: Context | None = None,
    ) -> NeuralForecastOut:
        """Forecast the next `horizon` values of a symbol with a registered model, with its
        conformal or quantile interval at confidence_level. Inference runs on the CPU."""
        from neural_trader.services.neural import forecast_symbol

        t0 = time.perf_counter()

        def work(progress: Progress) -> NeuralForecast:
            return forecast_symbol(
                symbol, horizon=horizon, confidence_level=confidence_level, model_id=model_id
            )

        out = await run_engine(ctx, state, work, label=f"forecast {symbol}")
        return NeuralForecastOut(**out.model_dump(), processing=_gpu(use_gpu, t0))

    @tools.tool(title="Train a neural model", read_only=False, idempotent=False)
    async def neural_train(
        data_path: Annotated[
            str,
            Field(min_length=1, description="CSV or Parquet: bars, or a timestamp + values"),
        ],
        model_type: Annotated[
            Literal["LSTM", "Transformer", "NHITS", "lstm", "transformer", "nhits"],
            Field(
                description="model architecture. The original's GRU, CNN_LSTM and GRU_Ensemble "
                "(gru, cnn_lstm in its v2) are refused by name: no such model is implemented "
                "here, and training another architecture under their name would fake it"
            ),
            refuse_values(_NO_SUCH_MODEL),
        ],
        epochs: Annotated[int, Field(ge=1, le=10_000)] = 100,
        validation_split: Annotated[float, Field(ge=0.0, lt=0.9)] = 0.2,
        batch_size: Annotated[int, Field(ge=1, le=65_536)] = 32,
        learning_rate: Annotated[float, Field(gt=0, lt=1)] = 0.001,
        use_gpu: UseGpuArg = True,
        target: Annotated[str, Field(min_length=1, description="column to forecast")] = "close",
        horizon: Annotated[int, Field(ge=1, le=1000, description="steps to forecast")] = 5,
        input_size: Annotated[int, Field(ge=2, le=10_000, description="steps of input")] = 60,
        ctx: Context | None = None,
    ) -> TrainOut:
        """Train a forecaster on a file for `epochs` passes over its training windows, score
        it against naive baselines, and register it (model_id in the result)."""
        from neural_trader.services.neural import train_epochs

        t0 = time.perf_counter()

        def work(progress: Progress) -> Any:
            return train_epochs(
                data_path=data_path,
                model_type=model_type,
                epochs=epochs,
                validation_split=validation_split,
                batch_size=batch_size,
                learning_rate=learning_rate,
                use_gpu=use_gpu,
                target=target,
                horizon=horizon,
                input_size=input_size,
                on_progress=progress.every("training steps"),
            )

        s = await run_engine(ctx, state, work, label=f"train {model_type}")
        table = s.test if s.test is not None else s.validation
        perf = {} if table is None else dict(table.metrics.get("model", {}))
        return TrainOut(
            model_id=s.model_id,
            kind=s.kind,
            target=s.target,
            horizon=s.horizon,
            input_size=s.input_size,
            rows=s.rows,
            train_windows=s.train_windows,
            val_windows=s.val_windows,
            test_windows=s.test_windows,
            epochs=epochs,
            steps=s.steps,
            best_step=s.best_step,
            stopped_early=s.stopped_early,
            seconds=s.seconds,
            parameters=s.parameters,
            performance=perf,
            validation=s.validation,
            test=s.test,
            intervals=s.intervals,
            path=s.path,
            processing=_gpu(use_gpu, t0, s.device),
            notes=s.notes,
        )

    @tools.tool(title="Evaluate a neural model")
    async def neural_evaluate(
        model_id: ModelIdArg,
        test_data: Annotated[
            str, Field(min_length=1, description="a data file path, or a catalog symbol")
        ],
        metrics: Annotated[
            list[str],
            Field(min_length=1, description=f"any of {', '.join(EVAL_METRICS)}"),
        ] = ["mae", "rmse", "mape", "r2_score"],  # noqa: B006
        use_gpu: UseGpuArg = True,
        ctx: Context | None = None,
    ) -> EvaluateOut:
        """Score a model on every window of the data against naive, seasonal-naive and drift
        forecasts on the same windows."""
        from neural_trader.services.forecast import evaluate_model

        t0 = time.perf_counter()
        is_file = Path(test_data).is_file()

        def work(progress: Progress) -> Any:
            return evaluate_model(
                model_id,
                data_file=test_data if is_file else None,
                symbol=None if is_file else test_data,
            )

        ev = await run_engine(ctx, state, work, label=f"evaluate {model_id}")
        table = ev.evaluation
        wanted = [m for m in dict.fromkeys(metrics) if m in EVAL_METRICS]
        unavailable = {
            m: _NOT_COMPUTED.get(m, "unknown metric") for m in metrics if m not in EVAL_METRICS
        }
        return EvaluateOut(
            model_id=ev.model_id,
            kind=ev.kind,
            source=ev.source,
            horizon=ev.horizon,
            input_size=ev.input_size,
            first_origin=ev.first_origin,
            last_origin=ev.last_origin,
            results={m: _pick(table.metrics["model"], m) for m in wanted},
            baselines={
                name: {m: _pick(row, m) for m in wanted}
                for name, row in table.metrics.items()
                if name != "model"
            },
            unavailable=unavailable,
            evaluation=table,
            processing=_gpu(use_gpu, t0),
        )

    @tools.tool(title="Backtest a neural model")
    async def neural_backtest(
        model_id: ModelIdArg,
        start_date: DateArg,
        end_date: DateArg,
        benchmark: Annotated[
            str, Field(min_length=1, description="sp500, nasdaq, a catalog symbol or 'none'")
        ] = "sp500",
        rebalance_frequency: Annotated[
            Literal["daily", "weekly", "monthly"],
            Field(description="decisions follow the bars: only daily on daily data"),
        ] = "daily",
        use_gpu: UseGpuArg = True,
        symbol: Annotated[
            str | None, Field(description="default: the catalog symbol the model trained on")
        ] = None,
        ctx: Context | None = None,
    ) -> NeuralBacktestOut:
        """Trade a registered model's forecasts (neural_trend: long when the forecast return
        over the horizon is positive, gated by its interval) between two dates, against the
        benchmark's buy-and-hold; flags a range that overlaps the model's training data."""
        from neural_trader.fronts.mcp.tools.core import backtest_out
        from neural_trader.services.neural import backtest_model

        t0 = time.perf_counter()

        def work(progress: Progress) -> Any:
            return backtest_model(
                model_id,
                start=str(date_str(start_date)),
                end=str(date_str(end_date)),
                symbol=symbol,
                benchmark=benchmark,
                rebalance_frequency=rebalance_frequency,
            )

        res, in_sample = await run_engine(ctx, state, work, label=f"backtest {model_id}")
        out = backtest_out(res, include_costs=True, fee=0.001, t0=t0, use_gpu=use_gpu)
        out.processing.note = "forecasts ran on the CPU" if use_gpu else None
        return NeuralBacktestOut(
            **out.model_dump(),
            model_id=model_id,
            rebalance_frequency=rebalance_frequency,
            in_sample=in_sample,
        )

    @tools.tool(title="Neural model status")
    async def neural_model_status(
        model_id: Annotated[str | None, Field(description="one model's details")] = None,
    ) -> ModelStatusOut:
        """The registered models (kind, target, horizon, validation MAE vs the naive MAE), or
        one model's full record."""
        from neural_trader.services.forecast import list_models, show_model

        def work() -> ModelStatusOut:
            listing = list_models()
            detail = None if model_id is None else show_model(model_id).model_dump(mode="json")
            return ModelStatusOut(
                registry=listing.root,
                count=len(listing.models),
                models=listing.models,
                model=detail,
                problems=listing.problems,
            )

        return await run_light(state, work)

    @tools.tool(title="Optimise a neural model", read_only=False, idempotent=False)
    async def neural_optimize(
        model_id: ModelIdArg,
        parameter_ranges: Annotated[
            dict[str, RangeArg],
            Field(
                min_length=1,
                description="{min, max} (ints: integer range; learning_rate: log scale) or "
                "{choices: [...]} per model or training setting (dropout, hidden_size, "
                "learning_rate, batch_size ...)",
            ),
        ],
        trials: Annotated[int, Field(ge=1, le=1000, description="each trial trains a model")] = (
            100
        ),
        optimization_metric: Annotated[
            Literal["mae", "rmse", "mape", "r2_score", "loss"],
            Field(description="the search minimises the model's validation loss"),
        ] = "mae",
        use_gpu: UseGpuArg = True,
        ctx: Context | None = None,
    ) -> NeuralOptimizeOut:
        """Re-train a model's configuration on its own data with an Optuna search over the
        ranges; the best trial is registered as a new model and compared with the original on
        the validation windows."""
        from neural_trader.services.neural import optimize_model

        ranges = {k: v.as_dict() for k, v in parameter_ranges.items()}
        t0 = time.perf_counter()

        def work(progress: Progress) -> OptimizeSummary:
            return optimize_model(
                model_id,
                parameter_ranges=ranges,
                trials=trials,
                metric=optimization_metric,
                use_gpu=use_gpu,
                on_progress=progress.every("training steps"),
            )

        out = await run_engine(ctx, state, work, label=f"optimise {model_id}")
        return NeuralOptimizeOut(**out.model_dump(), processing=_gpu(use_gpu, t0, out.device))

    @tools.tool(title="Predict from values")
    async def neural_predict(
        model_id: ModelIdArg,
        input: Annotated[
            list[float],
            Field(min_length=1, max_length=100_000, description="recent values, oldest first"),
        ],
        use_gpu: UseGpuArg = True,
        ctx: Context | None = None,
    ) -> PredictOut:
        """Forecast from your own values: the last input_size of them feed the model."""
        from neural_trader.services.neural import predict_values

        t0 = time.perf_counter()
        out = await run_engine(
            ctx, state, lambda p: predict_values(model_id, input), label=f"predict {model_id}"
        )
        return PredictOut(**out.model_dump(), processing=_gpu(use_gpu, t0))
