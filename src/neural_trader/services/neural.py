"""Forecasting as agents ask for it: by symbol, by epochs, from raw values, by search ranges.

The original neural-trader's tools take a symbol and a horizon (not a model file), epochs
(not optimiser steps), a JSON array of values, and ``{min, max}`` ranges. These functions map
those requests onto :mod:`neural_trader.services.forecast`, which does the work; every number
in their results comes from a registered, trained model or from training one now.

* A model is chosen for a symbol as the newest registered model trained on that catalog
  symbol; none is an error that says how to train one (never a made-up forecast).
* Epochs become optimiser steps: ``epochs x ceil(training windows / batch size)``, the
  windows counted on the same split the trainer uses.
* Search ranges become the Optuna space of :func:`neural_trader.forecasting.tuning.tune`;
  the search minimises the model's own validation loss.
* A model is backtested by trading its forecasts with the ``neural_trend`` strategy (the
  registry model given, no walk-forward training), flagged in-sample when the range overlaps
  the model's training data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from pydantic import BaseModel, Field

from neural_trader.core.errors import InvalidArgumentError, NotFoundError, NotSupportedError

if TYPE_CHECKING:
    from neural_trader.data.catalog import Catalog

__all__ = [
    "MODEL_KINDS",
    "NeuralForecast",
    "OptimizeSummary",
    "ValuesForecast",
    "backtest_model",
    "forecast_symbol",
    "model_for_symbol",
    "optimize_model",
    "predict_values",
    "train_epochs",
]

CatalogLike: TypeAlias = "Catalog | str | Path | None"
MODEL_KINDS: dict[str, str] = {"lstm": "lstm", "transformer": "transformer", "nhits": "nhits"}
"""Model names agents may use (case-insensitive) and the registry's kind for each."""


def model_for_symbol(symbol: str, *, registry: Any = None) -> str:
    """The newest registered model trained on catalog symbol ``symbol``."""
    from neural_trader.services.forecast import list_models

    models = [m for m in list_models(registry).models if symbol in m.sources]
    if not models:
        raise NotFoundError(
            f"no registered model was trained on {symbol}",
            hint=f"train one: neural_train with data_path=<a {symbol} bar file>, or "
            f"neural-trader forecast train --symbol {symbol}",
        )
    return max(models, key=lambda m: m.created).model_id


class ForecastStep(BaseModel):
    day: int
    date: str
    predicted_price: float
    lower_bound: float | None
    upper_bound: float | None


class NeuralForecast(BaseModel):
    model_id: str
    kind: str
    symbol: str
    target: str
    current_price: float = Field(description="the last value of the target in the data")
    as_of: str
    horizon: int
    model_horizon: int
    confidence_level: float
    interval_method: str | None
    predictions: list[ForecastStep]
    overall_trend: Literal["up", "down", "flat"] = Field(
        description="sign of the last predicted value minus the current price"
    )
    expected_change_pct: float
    notes: list[str]


def forecast_symbol(
    symbol: str,
    *,
    horizon: int,
    confidence_level: float = 0.95,
    model_id: str | None = None,
    calendar: str | None = "XNYS",
    registry: Any = None,
    catalog: CatalogLike = None,
) -> NeuralForecast:
    """The next ``horizon`` values of ``symbol`` from a registered model, with the model's
    ``confidence_level`` interval (conformal or quantile) when it has one at that level."""
    from neural_trader.services.forecast import predict

    if horizon < 1:
        raise InvalidArgumentError(f"horizon must be >= 1, got {horizon}")
    mid = model_id or model_for_symbol(symbol, registry=registry)
    out = predict(mid, symbol=symbol, calendar=calendar, registry=registry, catalog=catalog)
    if horizon > out.horizon:
        raise InvalidArgumentError(
            f"horizon {horizon} exceeds model {mid}'s horizon of {out.horizon} steps",
            hint="ask for fewer steps or train a model with a longer horizon",
        )
    level = f"{confidence_level * 100:g}"
    notes: list[str] = []
    available = sorted(out.predictions[0].lower) if out.predictions else []
    if out.interval_method is None:
        notes.append(f"model {mid} has no prediction intervals: bounds are null")
    elif level not in available:
        raise InvalidArgumentError(
            f"model {mid} has intervals at {', '.join(a + '%' for a in available)}, not {level}%",
            hint="use one of those confidence levels",
        )
    steps = [
        ForecastStep(
            day=p.step,
            date=p.time,
            predicted_price=p.forecast,
            lower_bound=p.lower.get(level),
            upper_bound=p.upper.get(level),
        )
        for p in out.predictions[:horizon]
    ]
    last = steps[-1].predicted_price
    change = (last / out.last_value - 1.0) * 100.0 if out.last_value else math.nan
    return NeuralForecast(
        model_id=mid,
        kind=out.kind,
        symbol=symbol,
        target=out.target,
        current_price=out.last_value,
        as_of=out.last_time,
        horizon=horizon,
        model_horizon=out.horizon,
        confidence_level=confidence_level,
        interval_method=out.interval_method,
        predictions=steps,
        overall_trend="up"
        if last > out.last_value
        else "down"
        if last < out.last_value
        else "flat",
        expected_change_pct=change,
        notes=notes,
    )


class ValuesForecast(BaseModel):
    model_id: str
    kind: str
    input_size: int
    horizon: int
    used_values: int
    predictions: list[float]
    intervals: dict[str, dict[str, list[float]]] = Field(
        description="per level: lower and upper bounds per step"
    )
    interval_method: str | None


def predict_values(
    model_id: str, values: Sequence[float], *, device: str = "cpu", registry: Any = None
) -> ValuesForecast:
    """Forecast from the caller's own values (the last ``input_size`` are used)."""
    import numpy as np

    from neural_trader.forecasting.predictor import Forecaster

    arr = np.asarray(list(values), dtype=np.float64)
    if arr.ndim != 1 or not np.isfinite(arr).all():
        raise InvalidArgumentError("input must be a flat array of finite numbers")
    fc = Forecaster.load(model_id, registry=registry, device=device)
    if fc.n_exog:
        raise NotSupportedError(
            f"model {model_id} also reads {fc.n_exog} feature column(s); a bare value array "
            "cannot feed them",
            hint="use neural_forecast with a catalog symbol instead",
        )
    if arr.size < fc.input_size:
        raise InvalidArgumentError(
            f"model {model_id} needs the last {fc.input_size} values as input; got {arr.size}"
        )
    out = fc.predict(arr[-fc.input_size :][None, :])
    assert fc.record is not None
    return ValuesForecast(
        model_id=model_id,
        kind=fc.record.kind,
        input_size=fc.input_size,
        horizon=fc.horizon,
        used_values=fc.input_size,
        predictions=[float(v) for v in out.point[0]],
        intervals={
            f"{lv:g}": {"lower": [float(x) for x in lo[0]], "upper": [float(x) for x in hi[0]]}
            for lv, (lo, hi) in out.intervals.items()
        },
        interval_method=out.interval_method,
    )


def steps_for_epochs(
    *,
    data_file: str | Path | None,
    symbol: str | None,
    target: str,
    input_size: int,
    horizon: int,
    val_fraction: float,
    test_fraction: float,
    epochs: int,
    batch_size: int,
    catalog: CatalogLike = None,
) -> tuple[int, int]:
    """``(steps, training windows)`` for ``epochs`` passes over the training windows."""
    from neural_trader.forecasting.datasets import split_windows
    from neural_trader.services.forecast import read_series

    s = read_series(data_file=data_file, symbol=symbol, target=target, catalog=catalog)
    splits = split_windows(
        [s.values],
        None,
        input_size=input_size,
        horizon=horizon,
        val_fraction=val_fraction,
        test_fraction=test_fraction,
    )
    windows = len(splits.train)
    if windows < 1:
        raise InvalidArgumentError(
            f"{s.source} has {s.rows} rows: no training window of {input_size} + {horizon}"
        )
    return epochs * math.ceil(windows / batch_size), windows


def train_epochs(
    *,
    data_path: str | Path,
    model_type: str,
    epochs: int,
    validation_split: float = 0.2,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    use_gpu: bool = False,
    target: str = "close",
    horizon: int = 5,
    input_size: int = 60,
    test_fraction: float = 0.1,
    seed: int = 0,
    threads: int | None = None,
    registry: Any = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Any:
    """Train ``model_type`` on a bar or series file for ``epochs`` (see the module doc) and
    register it; returns the :class:`~neural_trader.services.forecast.TrainSummary`.

    ``on_progress(step, max_steps)``: see :func:`~neural_trader.services.forecast.train_model`
    (a cancel raised from it registers nothing)."""
    from neural_trader.services.forecast import train_model

    kind = MODEL_KINDS.get(model_type.strip().lower())
    if kind is None:
        raise NotSupportedError(
            f"model type {model_type!r} is not available; choose one of "
            f"{', '.join(sorted(MODEL_KINDS))}"
        )
    if epochs < 1:
        raise InvalidArgumentError(f"epochs must be >= 1, got {epochs}")
    path = Path(data_path)
    if not path.is_file():
        raise InvalidArgumentError(f"data_path {path} is not a file")
    steps, _ = steps_for_epochs(
        data_file=path,
        symbol=None,
        target=target,
        input_size=input_size,
        horizon=horizon,
        val_fraction=validation_split,
        test_fraction=test_fraction,
        epochs=epochs,
        batch_size=batch_size,
    )
    return train_model(
        kind,
        data_files=[path],
        target=target,
        horizon=horizon,
        input_size=input_size,
        max_steps=steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        val_fraction=validation_split,
        test_fraction=test_fraction,
        device="auto" if use_gpu else "cpu",
        threads=threads,
        seed=seed,
        progress=False,
        registry=registry,
        on_progress=on_progress,
    )


class OptimizeSummary(BaseModel):
    base_model_id: str
    model_id: str = Field(description="the new model, trained with the best trial's settings")
    trials: int
    space: dict[str, list[Any]]
    optimized_parameters: dict[str, Any]
    metric: str
    before: float | None = Field(description="the base model's validation value of `metric`")
    after: float | None
    performance_improvement_pct: float | None = Field(
        description="(before - after) / before x 100 for errors (higher is better for r2)"
    )
    device: str = Field(description="where the trials trained")
    notes: list[str]


_TRAIN_KEYS = {"learning_rate", "batch_size", "weight_decay"}
_LOWER_BETTER = {"mae", "rmse", "mape", "smape", "mase", "loss"}


def _space(ranges: Mapping[str, Mapping[str, Any]], known: set[str]) -> dict[str, tuple[Any, ...]]:
    out: dict[str, tuple[Any, ...]] = {}
    for name, rng in ranges.items():
        if name not in known:
            raise InvalidArgumentError(
                f"parameter_ranges: {name!r} is not a setting of this model; "
                f"tunable: {', '.join(sorted(known))}"
            )
        choices = rng.get("choices", rng.get("values"))
        if choices is not None:
            if not isinstance(choices, list | tuple) or not choices:
                raise InvalidArgumentError(f"parameter_ranges.{name}.choices must be a list")
            out[name] = ("choice", list(choices))
            continue
        if "min" not in rng or "max" not in rng:
            raise InvalidArgumentError(f"parameter_ranges.{name} needs min and max, or choices")
        lo, hi = rng["min"], rng["max"]
        if not (isinstance(lo, int | float) and isinstance(hi, int | float)) or lo > hi:
            raise InvalidArgumentError(f"parameter_ranges.{name}: need numbers with min <= max")
        if isinstance(lo, int) and isinstance(hi, int) and not isinstance(lo, bool):
            out[name] = ("int", lo, hi)
        elif rng.get("log") or (name == "learning_rate" and lo > 0):
            out[name] = ("log", float(lo), float(hi))
        else:
            out[name] = ("float", float(lo), float(hi))
    if not out:
        raise InvalidArgumentError("parameter_ranges is empty")
    return out


def optimize_model(
    model_id: str,
    *,
    parameter_ranges: Mapping[str, Mapping[str, Any]],
    trials: int = 20,
    metric: str = "loss",
    threads: int | None = None,
    use_gpu: bool = False,
    registry: Any = None,
    catalog: CatalogLike = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> OptimizeSummary:
    """Re-train ``model_id``'s configuration on its own data with an Optuna search over
    ``parameter_ranges`` and register the best trial's model as a new one.

    ``on_progress(steps, total)`` counts training steps over all trials; a cancel raised from
    it ends the search and registers nothing."""
    import dataclasses

    from neural_trader.forecasting.configs import config_from_dict
    from neural_trader.services.forecast import _registry, train_model

    if trials < 1:
        raise InvalidArgumentError(f"trials must be >= 1, got {trials}")
    record = _registry(registry).get(model_id)
    config = config_from_dict(record.model_config)
    loss = str(record.model_config.get("loss", "mae"))
    if metric not in ("loss", loss):
        raise InvalidArgumentError(
            f"the search minimises the model's validation loss ({loss}); ask for "
            f"optimization_metric 'loss' or {loss!r}, not {metric!r}"
        )
    fixed = {"kind", "input_size", "horizon", "n_exog", "loss", "quantiles"}
    known = {f.name for f in dataclasses.fields(config) if f.name not in fixed} | _TRAIN_KEYS
    space = _space(parameter_ranges, known)
    sources = [str(s) for s in record.data.get("sources") or []]
    files = [s for s in sources if Path(s).is_file()]
    symbols = [s for s in sources if not Path(s).is_file()]
    params = {k: v for k, v in record.model_config.items() if k not in fixed}
    train_cfg = (record.training or {}).get("config") or {}
    summary = train_model(
        record.kind,
        data_files=files,
        symbols=symbols,
        target=record.target,
        horizon=record.horizon,
        input_size=record.input_size,
        features=list(record.features),
        max_steps=int(train_cfg.get("max_steps", 1000)),
        batch_size=int(train_cfg.get("batch_size", 32)),
        learning_rate=float(train_cfg.get("learning_rate", 1e-3)),
        val_fraction=float(record.data.get("val_fraction", 0.2)),
        test_fraction=float(record.data.get("test_fraction", 0.1)),
        loss=loss,  # type: ignore[arg-type]
        season_length=record.season_length,
        device="auto" if use_gpu else "cpu",
        threads=threads,
        seed=int(train_cfg.get("seed", 0)),
        trials=trials,
        model_params=params,
        space=space,
        progress=False,
        registry=registry,
        catalog=catalog,
        on_progress=on_progress,
    )
    key = loss if metric == "loss" else metric
    before = _val_metric(record.metrics, key)
    after = None if summary.validation is None else summary.validation.metrics["model"].get(key)
    improvement = None
    if before is not None and after is not None and before != 0.0:
        sign = 1.0 if key in _LOWER_BETTER else -1.0
        improvement = sign * (before - after) / abs(before) * 100.0
    tuning = summary.tuning or {}
    return OptimizeSummary(
        base_model_id=model_id,
        model_id=summary.model_id,
        trials=int(tuning.get("trials", trials)),
        space={k: list(v) for k, v in space.items()},
        optimized_parameters=dict(tuning.get("best_params") or {}),
        metric=key,
        before=before,
        after=after,
        performance_improvement_pct=improvement,
        device=summary.device,
        notes=list(summary.notes),
    )


def _val_metric(metrics: Mapping[str, Any], key: str) -> float | None:
    table = ((metrics or {}).get("validation") or {}).get("metrics") or {}
    value = (table.get("model") or {}).get(key)
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def backtest_model(
    model_id: str,
    *,
    start: str,
    end: str,
    symbol: str | None = None,
    benchmark: str | None = "sp500",
    rebalance_frequency: str = "daily",
    registry: Any = None,
    catalog: CatalogLike = None,
) -> tuple[Any, bool | None]:
    """Trade ``model_id``'s forecasts with the ``neural_trend`` strategy over ``start..end``.

    ``symbol`` defaults to the catalog symbol the model was trained on. Returns the
    :class:`~neural_trader.services.strategy_eval.BacktestVsBenchmark` and whether the range
    overlaps the model's training data (an in-sample result flatters the model; None when
    unknown).
    """
    import pandas as pd

    from neural_trader.services.forecast import _registry
    from neural_trader.services.strategy_eval import backtest_vs_benchmark

    record = _registry(registry).get(model_id)
    sources = [str(s) for s in record.data.get("sources") or []]
    if symbol is None:
        symbols = [s for s in sources if not Path(s).is_file()]
        if not symbols:
            raise InvalidArgumentError(
                f"model {model_id} was trained on a file ({', '.join(sources)}); name the "
                "catalog symbol to backtest on"
            )
        symbol = symbols[0]
    if rebalance_frequency != "daily":
        raise NotSupportedError(
            f"rebalance_frequency={rebalance_frequency!r}: the strategy decides on every bar "
            "of the data, so rebalancing follows the bars",
            hint="for weekly decisions resample to weekly bars (neural-trader data resample) "
            "and train a model on them",
        )
    bt = backtest_vs_benchmark(
        "neural_trend",
        symbol=symbol,
        start=start,
        end=end,
        benchmark=benchmark,
        params={"model": model_id, "train_bars": 0},
        catalog=catalog,
    )
    lasts = record.data.get("last") or []
    in_sample = None
    if lasts:
        trained_to = max(pd.Timestamp(str(x)[:10]) for x in lasts)
        in_sample = pd.Timestamp(bt.backtest.first[:10]) <= trained_to
        if in_sample:
            bt.notes.append(
                f"the range starts on or before {trained_to.date()}, the end of the model's "
                "training data: an in-sample result"
            )
    return bt, in_sample
