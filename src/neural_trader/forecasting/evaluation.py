"""Scoring a forecaster against the three baselines on the same windows; rolling-origin CV.

A model's MAE alone says nothing: 12.3 is excellent or useless depending on what tomorrow =
today achieves on the same windows. So every evaluation here computes the five point metrics
for the model *and* for the naive, seasonal-naive and drift forecasts of exactly the same
input windows, plus the coverage of the model's intervals when it has them.

Rolling-origin cross-validation: ``n_folds`` consecutive blocks of ``step`` origins at the end
of each series; for fold ``k`` the forecaster is fitted (when a ``fit`` function is given) on
rows before the block's first origin only, then scored on the block. Later folds train on
more data, as a model retrained over time would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.forecasting.baselines import BASELINES
from neural_trader.forecasting.datasets import WindowSet, split_windows
from neural_trader.forecasting.metrics import coverage, point_metrics
from neural_trader.forecasting.predictor import Forecast

if TYPE_CHECKING:
    from neural_trader.forecasting.configs import ModelConfig, TrainConfig

__all__ = [
    "CrossValidationResult",
    "EvaluationResult",
    "FoldResult",
    "evaluate_predictor",
    "evaluate_windows",
    "rolling_origin_cv",
    "trainer_fit",
]

FloatArray = npt.NDArray[np.float64]
PredictFn = Callable[[FloatArray, "npt.NDArray[np.float32] | None"], Forecast]
FitFn = Callable[[list[FloatArray], "list[npt.NDArray[np.float32]] | None"], PredictFn]


@dataclass(frozen=True)
class EvaluationResult:
    """Metrics of the model and of each baseline (same windows); coverage by level (%)."""

    n_windows: int
    horizon: int
    season_length: int
    model: dict[str, float]
    baselines: dict[str, dict[str, float]]
    coverage: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def table(self) -> dict[str, dict[str, float]]:
        """``{"model": {...}, "naive": {...}, "seasonal_naive": {...}, "drift": {...}}``."""
        return {"model": self.model, **self.baselines}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def effective_season(season_length: int, input_size: int) -> tuple[int, list[str]]:
    """The season the baselines can use: it must be shorter than the input window."""
    m = int(season_length)
    if m < 1:
        raise InvalidArgumentError(f"season_length must be >= 1, got {m}")
    if m >= input_size:
        return 1, [
            f"season length {m} does not fit the {input_size}-step input: seasonal naive "
            "and MASE use 1 (seasonal naive equals naive)"
        ]
    return m, []


def evaluate_windows(
    y_true: npt.ArrayLike,
    inputs: npt.ArrayLike,
    forecast: Forecast | npt.ArrayLike,
    season_length: int = 1,
) -> EvaluationResult:
    """Score forecasts ``[n, horizon]`` of windows ``inputs`` ``[n, input_size]``."""
    y = np.asarray(y_true, dtype=np.float64)
    x = np.asarray(inputs, dtype=np.float64)
    fc = forecast if isinstance(forecast, Forecast) else Forecast(point=np.asarray(forecast))
    if y.ndim != 2 or x.ndim != 2 or y.shape[0] != x.shape[0]:
        raise InvalidArgumentError(
            f"need [n, H] actuals and [n, L] inputs, got {y.shape}, {x.shape}"
        )
    if y.shape[0] == 0:
        raise InvalidArgumentError("no windows to evaluate")
    m, notes = effective_season(season_length, x.shape[1])
    horizon = y.shape[1]
    model = point_metrics(y, fc.point, x, m)
    cover = {_level_key(level): coverage(y, lo, hi) for level, (lo, hi) in fc.intervals.items()}
    for key, value in cover.items():
        model[f"coverage_{key}"] = value
    baselines = {name: point_metrics(y, fn(x, horizon, m), x, m) for name, fn in BASELINES.items()}
    return EvaluationResult(
        n_windows=int(y.shape[0]),
        horizon=horizon,
        season_length=m,
        model=model,
        baselines=baselines,
        coverage=cover,
        notes=notes,
    )


def evaluate_predictor(
    predict: PredictFn, windows: WindowSet, season_length: int = 1
) -> EvaluationResult:
    """Forecast every window of ``windows`` and score it against the baselines."""
    y_in, ex, y_out = windows.arrays()
    return evaluate_windows(y_out, y_in, predict(y_in, ex), season_length)


def _level_key(level: float) -> str:
    return f"{level:g}"


@dataclass(frozen=True)
class FoldResult:
    fold: int
    first_origin: int  # in the last (longest) series' rows
    train_rows: int
    evaluation: EvaluationResult


@dataclass(frozen=True)
class CrossValidationResult:
    folds: list[FoldResult]
    overall: EvaluationResult  # every fold's windows pooled

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def rolling_origin_cv(
    values: Sequence[npt.ArrayLike] | npt.ArrayLike,
    exog: Sequence[npt.ArrayLike] | None = None,
    *,
    input_size: int,
    horizon: int,
    n_folds: int = 3,
    step: int | None = None,
    season_length: int = 1,
    fit: FitFn | None = None,
    predict: PredictFn | None = None,
) -> CrossValidationResult:
    """Rolling-origin CV (module doc); give ``fit`` to refit per fold or ``predict`` to not.

    ``step`` defaults to ``horizon`` (non-overlapping targets between consecutive folds).
    """
    if (fit is None) == (predict is None):
        raise InvalidArgumentError("give exactly one of fit (refit per fold) or predict")
    series = _as_series_list(values)
    xs = None if exog is None else [np.asarray(x, dtype=np.float32) for x in exog]
    if n_folds < 1:
        raise InvalidArgumentError(f"n_folds must be >= 1, got {n_folds}")
    block = int(step or horizon)
    if block < 1:
        raise InvalidArgumentError(f"step must be >= 1, got {block}")
    folds: list[FoldResult] = []
    pooled: list[tuple[FloatArray, FloatArray, Forecast]] = []
    for k in range(n_folds):
        starts = [len(y) - horizon - (n_folds - k) * block + 1 for y in series]
        if min(s - input_size for s in starts) < 0:
            raise InvalidArgumentError(
                f"{n_folds} folds of {block} origins need more rows before the first fold "
                f"(input size {input_size})"
            )
        ranges = [(s, s + block + horizon - 1) for s in starts]
        test = WindowSet.from_ranges(
            series, xs, input_size=input_size, horizon=horizon, ranges=ranges
        )
        if fit is not None:
            train_vals = [y[:s] for y, s in zip(series, starts, strict=True)]
            train_ex = None if xs is None else [x[:s] for x, s in zip(xs, starts, strict=True)]
            fold_predict = fit(train_vals, train_ex)
        else:
            assert predict is not None
            fold_predict = predict
        y_in, ex, y_out = test.arrays()
        fc = fold_predict(y_in, ex)
        pooled.append((y_out, y_in, fc))
        folds.append(
            FoldResult(
                fold=k,
                first_origin=starts[-1],
                train_rows=int(sum(starts)),
                evaluation=evaluate_windows(y_out, y_in, fc, season_length),
            )
        )
    y_all = np.concatenate([p[0] for p in pooled])
    x_all = np.concatenate([p[1] for p in pooled])
    fc_all = _concat_forecasts([p[2] for p in pooled])
    return CrossValidationResult(
        folds=folds, overall=evaluate_windows(y_all, x_all, fc_all, season_length)
    )


def _concat_forecasts(parts: list[Forecast]) -> Forecast:
    levels = set(parts[0].intervals)
    for p in parts[1:]:
        levels &= set(p.intervals)
    return Forecast(
        point=np.concatenate([p.point for p in parts]),
        intervals={
            lv: (
                np.concatenate([p.intervals[lv][0] for p in parts]),
                np.concatenate([p.intervals[lv][1] for p in parts]),
            )
            for lv in sorted(levels)
        },
    )


def _as_series_list(values: Sequence[npt.ArrayLike] | npt.ArrayLike) -> list[FloatArray]:
    arr = values if isinstance(values, list | tuple) else [values]
    out = [np.asarray(v, dtype=np.float64) for v in arr]
    if any(v.ndim != 1 for v in out):
        raise InvalidArgumentError("each series must be 1-D")
    return out


def trainer_fit(
    config: ModelConfig, train_config: TrainConfig, *, val_fraction: float = 0.2
) -> FitFn:
    """A ``fit`` for :func:`rolling_origin_cv` that trains a fresh model per fold (seeded)."""
    from neural_trader.forecasting.models import build_model
    from neural_trader.forecasting.predictor import Forecaster
    from neural_trader.forecasting.training import Trainer

    def fit(values: list[FloatArray], exog: list[npt.NDArray[np.float32]] | None) -> PredictFn:
        splits = split_windows(
            values,
            exog,
            input_size=config.input_size,
            horizon=config.horizon,
            val_fraction=val_fraction,
        )
        model = build_model(config, seed=train_config.seed)
        Trainer(train_config).fit(model, splits.train, splits.val)
        return Forecaster(model, device=train_config.device).predict

    return fit
