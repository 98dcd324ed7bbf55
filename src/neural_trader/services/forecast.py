"""Forecasting services: train, predict, evaluate, list, show, delete, export to ONNX, demo.

The CLI's ``forecast`` commands (and later the MCP tools) call these. Every number in their
results was computed by :mod:`neural_trader.forecasting`: a model's validation and test
metrics always come with the naive, seasonal-naive and drift baselines scored on the same
windows, so a reader can tell a useful model from a costly naive forecast.

Data: ``data_file`` is a CSV (or Parquet) with a timestamp column (``timestamp``, ``ts``,
``ts_event``, ``datetime``, ``date`` or ``time``, any case) and numeric columns; ``target``
and ``features`` name columns (case-insensitive). A file without such a column (a
``Date,Time,...`` bar export) is read by the catalog importer, whose canonical columns are
``open, high, low, close, volume``. ``symbol`` reads bars from the catalog. The feature
``calendar`` adds sine/cosine time-of-day, day-of-week and day-of-year features suited to the
data's frequency.

:class:`MetricsTable` and :class:`ModelInfo` live in :mod:`neural_trader.services.forecast_views`
(no numpy, so the MCP server can use them when it starts) and are re-exported here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel

from neural_trader.core.errors import (
    DataFormatError,
    DataValidationError,
    InvalidArgumentError,
)
from neural_trader.data.catalog import Catalog
from neural_trader.forecasting.configs import Loss, Precision
from neural_trader.forecasting.datasets import (
    CALENDAR_PREFIX,
    NS_PER_DAY,
    calendar_feature_names,
    calendar_features,
    infer_season_length,
    infer_step_ns,
)
from neural_trader.services.forecast_views import MetricsTable, ModelInfo, _finite
from neural_trader.services.formatting import ns_to_label

if TYPE_CHECKING:
    from neural_trader.forecasting.predictor import Forecast
    from neural_trader.forecasting.registry import ModelRecord, ModelRegistry

__all__ = [
    "DemoForecast",
    "EvaluateSummary",
    "ExportSummary",
    "ForecastPoint",
    "MetricsTable",
    "ModelDetails",
    "ModelInfo",
    "ModelList",
    "PredictSummary",
    "SeriesData",
    "TrainSummary",
    "delete_model",
    "demo_forecast",
    "evaluate_model",
    "export_model_onnx",
    "list_models",
    "predict",
    "read_series",
    "show_model",
    "train_model",
]

_TS_NAMES = ("timestamp", "ts_event", "ts", "datetime", "date", "time")
DEFAULT_LEVELS = (80.0, 95.0)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class SeriesData:
    """One series read for forecasting: timestamps (int64 ns UTC), target, features."""

    source: str
    ts: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]
    target: str
    features: tuple[str, ...]
    exog: npt.NDArray[np.float32] | None

    @property
    def rows(self) -> int:
        return int(self.values.size)

    @property
    def step_ns(self) -> int:
        return infer_step_ns(self.ts)

    def label(self, ns: int) -> str:
        return ns_to_label(ns, daily=self.step_ns >= NS_PER_DAY)


def _columns(frame: pd.DataFrame) -> dict[str, str]:
    return {str(c).strip().lower(): str(c) for c in frame.columns}


def _find_ts_column(frame: pd.DataFrame) -> str | None:
    cols = _columns(frame)
    if "date" in cols and "time" in cols:
        return None  # separate date and time columns: a bar export, the importer's job
    for name in _TS_NAMES:
        if name in cols:
            return cols[name]
    return None


def _parse_ts(col: pd.Series, source: str) -> npt.NDArray[np.int64]:
    """int64 ns UTC from date strings, ``yyyymmdd`` integers or epoch numbers (s/ms/us/ns)."""
    if pd.api.types.is_numeric_dtype(col):
        raw = col.to_numpy(dtype=np.float64)
        if not np.isfinite(raw).all():
            raise DataValidationError(f"{source}: the timestamp column has missing values")
        magnitude = float(np.abs(raw).max()) if raw.size else 0.0
        if 1e7 <= magnitude < 1e8:  # 20240131: a date written as a number
            index = pd.DatetimeIndex(
                pd.to_datetime(raw.astype(np.int64).astype(str), format="%Y%m%d", utc=True)
            )
        elif magnitude < 1e8:
            raise DataFormatError(
                f"{source}: the timestamp column holds small numbers (up to {magnitude:g}), "
                "not dates or epoch times",
                hint="use ISO dates (2024-01-31) or epoch seconds/milliseconds/nanoseconds",
            )
        else:
            unit: Literal["s", "ms", "us", "ns"] = "s"
            if magnitude > 1e17:
                unit = "ns"
            elif magnitude > 1e14:
                unit = "us"
            elif magnitude > 1e11:
                unit = "ms"
            index = pd.DatetimeIndex(pd.to_datetime(raw.astype(np.int64), unit=unit, utc=True))
    else:
        try:
            index = pd.DatetimeIndex(pd.to_datetime(col, utc=True, format="mixed"))
        except (ValueError, TypeError) as exc:
            raise DataFormatError(f"{source}: cannot parse timestamps ({exc})") from None
        if index.isna().any():
            first = int(np.flatnonzero(index.isna())[0])
            raise DataValidationError(f"{source}: missing timestamp at data row {first + 1}")
    return index.as_unit("ns").asi8.astype(np.int64)


def _numeric(frame: pd.DataFrame, name: str, source: str, role: str) -> npt.NDArray[np.float64]:
    cols = _columns(frame)
    key = name.strip().lower()
    if key not in cols:
        shown = ", ".join(str(c) for c in frame.columns)
        raise InvalidArgumentError(
            f"{source} has no column {name!r} (the {role}); its columns: {shown}"
        )
    values = pd.to_numeric(frame[cols[key]], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        rows = np.flatnonzero(bad)
        shown = ", ".join(str(int(r) + 1) for r in rows[:5])
        raise DataValidationError(
            f"{source}: column {name!r} has {rows.size} missing or non-numeric value(s) "
            f"(data rows {shown}{' ...' if rows.size > 5 else ''})",
            hint="fill or drop those rows first; forecasting never guesses missing values",
        )
    return values


def _frame_series(
    frame: pd.DataFrame,
    ts_col: str,
    target: str,
    features: Sequence[str],
    source: str,
) -> SeriesData:
    if frame.empty:
        raise DataValidationError(f"{source} has no rows")
    ts = _parse_ts(frame[ts_col], source)
    steps = np.diff(ts)
    if (steps <= 0).any():
        i = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise DataValidationError(
            f"{source}: timestamps must increase strictly; data row {i + 1} "
            f"({ns_to_label(int(ts[i]))}) is not after row {i}",
            hint="sort the file by time and drop duplicate rows",
        )
    values = _numeric(frame, target, source, "target")
    names: list[str] = []
    for feat in features:
        if feat.strip().lower() == "calendar":
            if len(ts) < 2:
                raise DataValidationError(f"{source}: calendar features need two rows or more")
            names += calendar_feature_names(ts)
        else:
            names.append(feat.strip())
    if len(set(names)) != len(names):
        raise InvalidArgumentError(f"a feature is named twice: {names}")
    cols = []
    for name in names:
        if name.startswith(CALENDAR_PREFIX):
            cols.append(calendar_features(ts, [name])[:, 0])
        else:
            cols.append(_numeric(frame, name, source, "feature").astype(np.float32))
    exog = np.stack(cols, axis=1).astype(np.float32) if cols else None
    return SeriesData(
        source=source,
        ts=ts,
        values=values,
        target=target,
        features=tuple(names),
        exog=exog,
    )


def read_series(
    *,
    data_file: str | Path | None = None,
    symbol: str | None = None,
    target: str,
    features: Sequence[str] = (),
    catalog: Catalog | str | Path | None = None,
) -> SeriesData:
    """One series from a file or the catalog (see the module doc for the file format)."""
    if (symbol is None) == (data_file is None):
        raise InvalidArgumentError("give exactly one of --symbol (from the catalog) or --data FILE")
    if data_file is not None:
        path = Path(data_file)
        if not path.is_file():
            raise InvalidArgumentError(f"no such file: {path}")
        source = str(path)
        try:
            if path.suffix.lower() in (".parquet", ".pq"):
                frame = pd.read_parquet(path)
            else:
                frame = pd.read_csv(path)
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            raise DataFormatError(f"cannot read {path}: {exc}") from None
        ts_col = _find_ts_column(frame)
        if ts_col is not None:
            return _frame_series(frame, ts_col, target, features, source)
    from neural_trader.data.schema import TS
    from neural_trader.services.research import load_bars

    try:
        name, _spec, bars = load_bars(symbol=symbol, data_file=data_file, catalog=catalog)
    except DataFormatError as exc:
        if data_file is None:
            raise
        raise DataFormatError(
            f"{data_file}: no timestamp column ({', '.join(_TS_NAMES)}, any case), and the bar "
            f"importer cannot read it either: {exc.message}",
            hint="add a timestamp column, or see 'neural-trader data validate' for bar files",
        ) from None
    return _frame_series(bars, TS, target, features, source=str(data_file or name))


# --------------------------------------------------------------------------- results


class TrainSummary(BaseModel):
    model_id: str
    kind: str
    target: str
    features: list[str]
    horizon: int
    input_size: int
    season_length: int
    sources: list[str]
    rows: int
    train_windows: int
    val_windows: int
    test_windows: int
    parameters: int
    steps: int
    best_step: int | None
    stopped_early: bool
    interrupted: bool
    seconds: float
    device: str
    intervals: str | None
    validation: MetricsTable | None
    test: MetricsTable | None
    tuning: dict[str, Any] | None
    notes: list[str]
    path: str


class ForecastPoint(BaseModel):
    step: int
    time: str
    forecast: float
    lower: dict[str, float]
    upper: dict[str, float]


class PredictSummary(BaseModel):
    model_id: str
    kind: str
    source: str
    target: str
    last_time: str
    last_value: float
    horizon: int
    interval_method: str | None
    predictions: list[ForecastPoint]


class EvaluateSummary(BaseModel):
    model_id: str
    kind: str
    source: str
    target: str
    horizon: int
    input_size: int
    first_origin: str
    last_origin: str
    evaluation: MetricsTable


class ModelList(BaseModel):
    root: str
    models: list[ModelInfo]
    problems: list[str]


class ModelDetails(BaseModel):
    info: ModelInfo
    path: str
    season_length: int
    frequency_ns: int | None
    config: dict[str, Any]
    data: dict[str, Any]
    metrics: dict[str, Any]
    training: dict[str, Any]
    conformal: dict[str, Any] | None


class DeleteSummary(BaseModel):
    model_id: str
    path: str
    deleted: bool


class ExportSummary(BaseModel):
    model_id: str
    path: str
    bytes: int
    check_windows: int
    max_abs_diff: float
    max_rel_diff: float


def _registry(registry: ModelRegistry | str | Path | None) -> ModelRegistry:
    from neural_trader.forecasting.registry import ModelRegistry

    return registry if isinstance(registry, ModelRegistry) else ModelRegistry(registry)


# --------------------------------------------------------------------------- train


def train_model(
    model: str = "nhits",
    *,
    data_files: Sequence[str | Path] = (),
    symbols: Sequence[str] = (),
    target: str,
    horizon: int,
    input_size: int,
    features: Sequence[str] = (),
    max_steps: int = 1000,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    val_fraction: float = 0.2,
    test_fraction: float = 0.1,
    levels: Sequence[float] = DEFAULT_LEVELS,
    loss: Loss = "mae",
    season_length: int | None = None,
    patience: int = 5,
    val_check_steps: int = 50,
    precision: Precision = "32",
    device: str = "auto",
    threads: int | None = None,
    seed: int = 0,
    trials: int = 0,
    model_params: Mapping[str, Any] | None = None,
    space: Mapping[str, tuple[Any, ...]] | None = None,
    progress: bool | None = None,
    registry: ModelRegistry | str | Path | None = None,
    catalog: Catalog | str | Path | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> TrainSummary:
    """Train a model on one or more series, score it, register it (see the module doc).

    Each series is split by time into train / validation / test (``val_fraction``,
    ``test_fraction``); all series train one model together. ``loss="mq"`` trains quantile
    outputs for ``levels``; a point loss gets split-conformal intervals for ``levels`` from
    the validation windows. ``trials > 0`` runs an Optuna search on the validation loss first
    and keeps the best trial's model; ``space`` replaces the model's default search space
    (``{name: ("log"|"float"|"int", low, high) | ("choice", [..])}``, see
    :mod:`neural_trader.forecasting.tuning`).

    ``on_progress(done, total)`` is called after every training step (with ``trials``: steps
    over all trials). It is the cancel point: a
    :class:`~neural_trader.core.cancel.CancelledByCaller` raised from it propagates before
    anything is registered, whereas Ctrl-C keeps and registers the best weights so far.
    """
    from neural_trader.forecasting.configs import (
        TrainConfig,
        make_config,
        quantiles_for_levels,
    )
    from neural_trader.forecasting.models import build_model
    from neural_trader.forecasting.registry import ModelMetadata
    from neural_trader.forecasting.training import Trainer

    sources: list[tuple[str | Path | None, str | None]] = [(f, None) for f in data_files]
    sources += [(None, s) for s in symbols]
    if not sources:
        raise InvalidArgumentError("give the training data: --data FILE or --symbol SYM")
    series: list[SeriesData] = []
    for f, s in sources:
        wanted = series[0].features if series else tuple(features)
        series.append(
            read_series(data_file=f, symbol=s, target=target, features=wanted, catalog=catalog)
        )
    step_ns = series[0].step_ns
    season = int(season_length) if season_length else infer_season_length(series[0].ts)
    quantiles = quantiles_for_levels(levels) if loss == "mq" else ()
    config = make_config(
        model,
        input_size=input_size,
        horizon=horizon,
        n_exog=len(series[0].features),
        loss=loss,
        quantiles=quantiles,
        **dict(model_params or {}),
    )
    from neural_trader.forecasting.datasets import split_windows

    values = [s.values for s in series]
    exog = None if series[0].exog is None else [s.exog for s in series if s.exog is not None]
    splits = split_windows(
        values,
        exog,
        input_size=input_size,
        horizon=horizon,
        val_fraction=val_fraction,
        test_fraction=test_fraction,
    )
    train_config = TrainConfig(
        max_steps=max_steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        val_check_steps=min(val_check_steps, max_steps),
        patience=patience if splits.val is not None else 0,
        precision=precision,
        device=device,
        threads=threads,
        seed=seed,
        progress=progress,
    )
    tuning: dict[str, Any] | None = None
    if trials > 0:
        if splits.val is None:
            raise InvalidArgumentError("tuning (--trials) needs a validation fraction > 0")
        from neural_trader.forecasting.tuning import tune

        found = tune(
            config,
            train_config,
            splits.train,
            splits.val,
            n_trials=trials,
            seed=seed,
            space=space,
            on_step=on_progress,
        )
        net, result, config, train_config = (
            found.model,
            found.train_result,
            found.config,
            found.train_config,
        )
        tuning = {
            "trials": len(found.trials),
            "best_params": found.best_params,
            "best_val_loss": found.best_value,
            "interrupted": found.interrupted,
        }
    else:
        net = build_model(config, seed=seed)
        result = Trainer(train_config, on_step=on_progress).fit(net, splits.train, splits.val)

    from neural_trader.forecasting.conformal import ConformalIntervals
    from neural_trader.forecasting.evaluation import evaluate_predictor, evaluate_windows
    from neural_trader.forecasting.predictor import Forecaster

    forecaster = Forecaster(net, device=train_config.device)
    notes: list[str] = []
    validation = test = None
    conformal = None
    if splits.val is not None and len(splits.val):
        v_in, v_ex, v_out = splits.val.arrays()
        v_fc = forecaster.predict(v_in, v_ex)
        validation = evaluate_windows(v_out, v_in, v_fc, season)
        if not config.quantiles:
            usable = [lv for lv in levels if _conformal_fits(len(splits.val), lv)]
            dropped = [lv for lv in levels if lv not in usable]
            if dropped:
                notes.append(
                    f"too few validation windows ({len(splits.val)}) for conformal "
                    f"level(s) {', '.join(f'{d:g}%' for d in dropped)}"
                )
            if usable:
                conformal = ConformalIntervals.fit(v_out, v_fc.point, v_in, usable)
                forecaster.conformal = conformal
    if splits.test is not None and len(splits.test):
        test = evaluate_predictor(forecaster.predict, splits.test, season)
    interval_method = "quantile" if config.quantiles else "conformal" if conformal else None
    first = series[0]
    metadata = ModelMetadata(
        target=target,
        features=first.features,
        season_length=season,
        frequency_ns=step_ns,
        data={
            "sources": [s.source for s in series],
            "rows": [s.rows for s in series],
            "first": [s.label(int(s.ts[0])) for s in series],
            "last": [s.label(int(s.ts[-1])) for s in series],
            "val_fraction": val_fraction,
            "test_fraction": test_fraction,
        },
        metrics={
            "validation": None
            if validation is None
            else MetricsTable.from_result(validation).model_dump(),
            "test": None if test is None else MetricsTable.from_result(test).model_dump(),
        },
        training={
            "config": train_config.to_dict(),
            "result": result.to_dict(),
            "tuning": tuning,
            "interval_method": interval_method,
        },
    )
    record = _registry(registry).save(net, metadata, conformal=conformal)
    if result.interrupted:
        notes.append(f"interrupted at step {result.steps}; the best weights so far were kept")
    return TrainSummary(
        model_id=record.model_id,
        kind=config.kind,
        target=target,
        features=list(first.features),
        horizon=horizon,
        input_size=input_size,
        season_length=season,
        sources=[s.source for s in series],
        rows=sum(s.rows for s in series),
        train_windows=len(splits.train),
        val_windows=0 if splits.val is None else len(splits.val),
        test_windows=0 if splits.test is None else len(splits.test),
        parameters=result.n_parameters,
        steps=result.steps,
        best_step=result.best_step,
        stopped_early=result.stopped_early,
        interrupted=result.interrupted,
        seconds=result.seconds,
        device=result.device,
        intervals=interval_method,
        validation=None if validation is None else MetricsTable.from_result(validation),
        test=None if test is None else MetricsTable.from_result(test),
        tuning=tuning,
        notes=notes,
        path=str(record.path),
    )


def _conformal_fits(n: int, level: float) -> bool:
    import math

    return math.ceil((n + 1) * level / 100.0) <= n


# --------------------------------------------------------------------------- predict


def _series_for(
    record: ModelRecord,
    data_file: str | Path | None,
    symbol: str | None,
    catalog: Catalog | str | Path | None,
) -> SeriesData:
    return read_series(
        data_file=data_file,
        symbol=symbol,
        target=record.target,
        features=record.features,
        catalog=catalog,
    )


def _future_times(
    s: SeriesData, step_ns: int | None, season: int, horizon: int, calendar: str | None = None
) -> list[int]:
    """Timestamps of the next ``horizon`` rows.

    Daily data: the exchange ``calendar``'s next sessions when one is named (holidays known),
    else the next weekdays for weekday-only data; anything else steps by the median spacing.
    """
    last = int(s.ts[-1])
    step = int(step_ns or s.step_ns)
    daily = NS_PER_DAY <= step < 2 * NS_PER_DAY
    tod = last % NS_PER_DAY
    if daily and calendar:
        from neural_trader.data.calendars import get_calendar

        day = pd.Timestamp(last - tod, unit="ns")
        end = day + pd.Timedelta(days=2 * horizon + 14)
        cal = get_calendar(calendar, day - pd.Timedelta(days=7), end)
        # The calendar ends at its last session on or before `end`; asking past it raises.
        stop = min(end, pd.Timestamp(cal.last_session).tz_localize(None))
        sessions = cal.sessions_in_range(day + pd.Timedelta(days=1), stop)[:horizon]
        return [int(pd.Timestamp(d).value) + tod for d in sessions]
    if daily and season == 5:
        first = np.datetime64(last // NS_PER_DAY, "D")
        offset = np.busday_offset(first, np.arange(1, horizon + 1), roll="forward")
        return [int(d.astype("datetime64[ns]").astype(np.int64)) + tod for d in offset]
    return [last + step * (k + 1) for k in range(horizon)]


def _points(fc: Forecast, row: int, times: Sequence[int], label: Any) -> list[ForecastPoint]:
    out = []
    for h, ns in enumerate(times):
        out.append(
            ForecastPoint(
                step=h + 1,
                time=label(ns),
                forecast=float(fc.point[row, h]),
                lower={f"{lv:g}": float(lo[row, h]) for lv, (lo, _) in fc.intervals.items()},
                upper={f"{lv:g}": float(hi[row, h]) for lv, (_, hi) in fc.intervals.items()},
            )
        )
    return out


def predict(
    model_id: str,
    *,
    data_file: str | Path | None = None,
    symbol: str | None = None,
    calendar: str | None = None,
    registry: ModelRegistry | str | Path | None = None,
    catalog: Catalog | str | Path | None = None,
) -> PredictSummary:
    """Forecast the next ``horizon`` values after the data's last row.

    ``calendar`` (an exchange code such as XNYS) dates daily forecasts on its sessions.
    """
    from neural_trader.forecasting.predictor import Forecaster

    reg = _registry(registry)
    forecaster = Forecaster.load(model_id, registry=reg)
    record = forecaster.record
    assert record is not None
    s = _series_for(record, data_file, symbol, catalog)
    size = record.input_size
    if s.rows < size:
        raise InvalidArgumentError(
            f"{s.source} has {s.rows} rows; model {model_id} needs the last {size} as input"
        )
    exog = None if s.exog is None else s.exog[-size:][None, :, :]
    fc = forecaster.predict(s.values[-size:][None, :], exog)
    times = _future_times(s, record.frequency_ns, record.season_length, record.horizon, calendar)
    return PredictSummary(
        model_id=model_id,
        kind=record.kind,
        source=s.source,
        target=record.target,
        last_time=s.label(int(s.ts[-1])),
        last_value=float(s.values[-1]),
        horizon=record.horizon,
        interval_method=fc.interval_method,
        predictions=_points(fc, 0, times, s.label),
    )


# --------------------------------------------------------------------------- evaluate


def evaluate_model(
    model_id: str,
    *,
    data_file: str | Path | None = None,
    symbol: str | None = None,
    step: int = 1,
    season_length: int | None = None,
    registry: ModelRegistry | str | Path | None = None,
    catalog: Catalog | str | Path | None = None,
) -> EvaluateSummary:
    """Score the model on every window of the data against the three baselines.

    The first ``input_size`` rows serve as context only; every ``step``-th origin after them
    whose horizon fits is a window.
    """
    from neural_trader.forecasting.datasets import exog_windows, make_windows, window_origins
    from neural_trader.forecasting.evaluation import evaluate_windows
    from neural_trader.forecasting.predictor import Forecaster

    reg = _registry(registry)
    forecaster = Forecaster.load(model_id, registry=reg)
    record = forecaster.record
    assert record is not None
    s = _series_for(record, data_file, symbol, catalog)
    size, horizon = record.input_size, record.horizon
    origins = window_origins(s.rows, size, horizon, step=step)
    if origins.size == 0:
        raise InvalidArgumentError(
            f"{s.source} has {s.rows} rows; evaluating model {model_id} needs at least "
            f"input size + horizon = {size + horizon}"
        )
    y_in, y_out = make_windows(s.values, size, horizon, origins)
    ex = None if s.exog is None else exog_windows(s.exog, size, origins)
    fc = forecaster.predict(y_in, ex)
    season = int(season_length) if season_length else record.season_length
    result = evaluate_windows(y_out, y_in, fc, season)
    return EvaluateSummary(
        model_id=model_id,
        kind=record.kind,
        source=s.source,
        target=record.target,
        horizon=horizon,
        input_size=size,
        first_origin=s.label(int(s.ts[origins[0]])),
        last_origin=s.label(int(s.ts[origins[-1]])),
        evaluation=MetricsTable.from_result(result),
    )


# --------------------------------------------------------------------------- registry


def _info(r: ModelRecord) -> ModelInfo:
    val = (r.metrics or {}).get("validation") or {}
    table = val.get("metrics") or {}
    return ModelInfo(
        model_id=r.model_id,
        kind=r.kind,
        created=r.created,
        target=r.target,
        features=list(r.features),
        horizon=r.horizon,
        input_size=r.input_size,
        sources=[str(x) for x in (r.data.get("sources") or [])],
        val_mae=_finite((table.get("model") or {}).get("mae")),
        val_naive_mae=_finite((table.get("naive") or {}).get("mae")),
        onnx=r.onnx_path is not None and r.onnx_path.is_file(),
    )


def list_models(registry: ModelRegistry | str | Path | None = None) -> ModelList:
    reg = _registry(registry)
    records, problems = reg.scan()
    return ModelList(root=str(reg.root), models=[_info(r) for r in records], problems=problems)


def show_model(model_id: str, registry: ModelRegistry | str | Path | None = None) -> ModelDetails:
    r = _registry(registry).get(model_id)
    return ModelDetails(
        info=_info(r),
        path=str(r.path),
        season_length=r.season_length,
        frequency_ns=r.frequency_ns,
        config=r.model_config,
        data=r.data,
        metrics=r.metrics,
        training=r.training,
        conformal=r.conformal,
    )


def delete_model(
    model_id: str, registry: ModelRegistry | str | Path | None = None
) -> DeleteSummary:
    r = _registry(registry).delete(model_id)
    return DeleteSummary(model_id=r.model_id, path=str(r.path), deleted=True)


def export_model_onnx(
    model_id: str,
    *,
    path: str | Path | None = None,
    registry: ModelRegistry | str | Path | None = None,
) -> ExportSummary:
    """Export to ONNX (default: into the model's folder) and check it against PyTorch.

    The check runs both on 64 random-walk windows (seeded) and reports the largest absolute
    and relative differences of the raw outputs.
    """
    from neural_trader.forecasting.onnx_export import OnnxPredictor, export_onnx
    from neural_trader.forecasting.registry import ONNX_FILE

    reg = _registry(registry)
    model, record = reg.load(model_id)
    target = Path(path) if path is not None else record.path / ONNX_FILE
    export_onnx(model, target, conformal=record.conformal_intervals(), model_id=model_id)
    if path is None:
        reg.set_onnx(model_id, ONNX_FILE)
    rng = np.random.default_rng(0)
    n = 64
    windows = 100.0 + rng.normal(size=(n, record.input_size)).cumsum(axis=1)
    exog = (
        rng.normal(size=(n, record.input_size, model.n_exog)).astype(np.float32)
        if model.n_exog
        else None
    )
    from neural_trader.forecasting.predictor import Forecaster

    ref = Forecaster(model).raw(windows, exog)
    got = OnnxPredictor(target).raw(windows, exog)
    diff = np.abs(ref - got)
    return ExportSummary(
        model_id=model_id,
        path=str(target),
        bytes=target.stat().st_size,
        check_windows=n,
        max_abs_diff=float(diff.max()),
        max_rel_diff=float((diff / np.maximum(np.abs(ref), 1e-12)).max()),
    )


# --------------------------------------------------------------------------- demo


class DemoForecast(BaseModel):
    symbol: str
    model: str
    settings: str
    train_windows: int
    test_windows: int
    steps: int
    seconds: float
    test: MetricsTable
    mae: float
    naive_mae: float
    last_time: str
    last_value: float
    forecast: list[ForecastPoint]


DEMO_SYMBOL = "SPX"
DEMO_CALENDAR = "XNYS"
DEMO_INPUT = 60
DEMO_HORIZON = 5


def demo_forecast(
    symbol: str = DEMO_SYMBOL, *, max_steps: int = 300, seed: int = 0
) -> DemoForecast:
    """A small NHITS on the embedded daily closes: test error vs the baselines, a forecast.

    The last 10% of the days are the test split (never seen in training), the 10% before them
    validate (early stopping, conformal intervals). Nothing is written to the registry.
    """
    from neural_trader.data.providers.sample import load_sample
    from neural_trader.forecasting.configs import NHITSConfig, TrainConfig
    from neural_trader.forecasting.conformal import ConformalIntervals
    from neural_trader.forecasting.datasets import split_windows
    from neural_trader.forecasting.evaluation import evaluate_predictor
    from neural_trader.forecasting.models import build_model
    from neural_trader.forecasting.predictor import Forecaster
    from neural_trader.forecasting.training import Trainer

    t0 = time.perf_counter()
    frame = load_sample(symbol)
    s = _frame_series(frame, "ts_event", "close", (), f"embedded sample {symbol}")
    config = NHITSConfig(input_size=DEMO_INPUT, horizon=DEMO_HORIZON, mlp_units=128)
    splits = split_windows(
        [s.values],
        None,
        input_size=DEMO_INPUT,
        horizon=DEMO_HORIZON,
        val_fraction=0.1,
        test_fraction=0.1,
    )
    assert splits.val is not None
    assert splits.test is not None
    net = build_model(config, seed=seed)
    tc = TrainConfig(
        max_steps=max_steps, batch_size=64, val_check_steps=50, seed=seed, progress=False
    )
    result = Trainer(tc).fit(net, splits.train, splits.val)
    forecaster = Forecaster(net)
    v_in, _, v_out = splits.val.arrays()
    forecaster.conformal = ConformalIntervals.fit(
        v_out, forecaster.predict(v_in).point, v_in, DEFAULT_LEVELS
    )
    season = infer_season_length(s.ts)
    test = evaluate_predictor(forecaster.predict, splits.test, season)
    fc = forecaster.predict(s.values[-DEMO_INPUT:])
    times = _future_times(s, s.step_ns, season, DEMO_HORIZON, DEMO_CALENDAR)
    table = MetricsTable.from_result(test)
    return DemoForecast(
        symbol=symbol,
        model="nhits",
        settings=(
            f"NHITS (3 stacks, 128 units) on {symbol} daily closes, {DEMO_INPUT} days in, "
            f"{DEMO_HORIZON} days out, {max_steps} steps max; test = last 10% of days"
        ),
        train_windows=len(splits.train),
        test_windows=len(splits.test),
        steps=result.steps,
        seconds=round(time.perf_counter() - t0, 3),
        test=table,
        mae=float(test.model["mae"]),
        naive_mae=float(test.baselines["naive"]["mae"]),
        last_time=s.label(int(s.ts[-1])),
        last_value=float(s.values[-1]),
        forecast=_points(fc, 0, times, s.label),
    )
