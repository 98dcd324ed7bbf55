"""Batch inference: many series' windows in one forward pass, point + quantiles + intervals.

This is the API strategies use::

    fc = Forecaster.load("nhits-20250101120000-a1b2c3")
    out = fc.predict(windows)          # windows: [n_assets, input_size] raw prices
    out.point                          # [n_assets, horizon]
    out.intervals[80.0]                # (lower, upper), each [n_assets, horizon]

Inputs are raw values: per-window scaling happens inside the model. Intervals come from the
model's quantile outputs when it has them, otherwise from split-conformal radii calibrated on
the validation split at training time (:mod:`neural_trader.forecasting.conformal`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.forecasting.conformal import ConformalIntervals

if TYPE_CHECKING:
    from neural_trader.forecasting.models.base import ForecastModel
    from neural_trader.forecasting.registry import ModelRecord, ModelRegistry

__all__ = ["Forecast", "Forecaster", "build_forecast", "check_inputs"]

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Forecast:
    """Forecasts for ``n`` windows. ``intervals``: ``{level_percent: (lower, upper)}``."""

    point: FloatArray  # [n, horizon]
    quantile_levels: tuple[float, ...] = ()
    quantiles: FloatArray | None = None  # [n, horizon, n_quantiles]
    intervals: dict[float, tuple[FloatArray, FloatArray]] = field(default_factory=dict)
    interval_method: str | None = None  # "quantile", "conformal" or None

    def to_dict(self) -> dict[str, Any]:
        return {
            "point": self.point.tolist(),
            "quantile_levels": list(self.quantile_levels),
            "quantiles": None if self.quantiles is None else self.quantiles.tolist(),
            "intervals": {
                str(k): {"lower": lo.tolist(), "upper": hi.tolist()}
                for k, (lo, hi) in self.intervals.items()
            },
            "interval_method": self.interval_method,
        }


def check_inputs(
    windows: npt.ArrayLike,
    exog: npt.ArrayLike | None,
    input_size: int,
    n_exog: int,
) -> tuple[Float32Array, Float32Array | None]:
    """Validate and cast the caller's arrays; a single window may be 1-D."""
    y = np.asarray(windows, dtype=np.float64)
    if y.ndim == 1:
        y = y[None, :]
    if y.ndim != 2 or y.shape[1] != input_size:
        raise InvalidArgumentError(
            f"windows must be [n_series, {input_size}] (the model's input size), got {y.shape}"
        )
    if not np.isfinite(y).all():
        raise InvalidArgumentError("windows contain NaN or infinite values")
    x: Float32Array | None = None
    if n_exog:
        if exog is None:
            raise InvalidArgumentError(
                f"this model needs {n_exog} exogenous features per step: exog "
                f"[n_series, {input_size}, {n_exog}]"
            )
        x = np.asarray(exog, dtype=np.float32)
        if x.ndim == 2:
            x = x[None, :, :]
        if x.shape != (y.shape[0], input_size, n_exog):
            raise InvalidArgumentError(
                f"exog must be [{y.shape[0]}, {input_size}, {n_exog}], got {x.shape}"
            )
        if not np.isfinite(x).all():
            raise InvalidArgumentError("exog contains NaN or infinite values")
    elif exog is not None:
        raise InvalidArgumentError("this model was trained without exogenous features")
    return y.astype(np.float32), x


def build_forecast(
    raw: npt.ArrayLike,
    quantile_levels: tuple[float, ...],
    windows: npt.ArrayLike,
    conformal: ConformalIntervals | None,
) -> Forecast:
    """Point, quantiles and intervals from the model output ``[n, horizon, Q]``."""
    out = np.asarray(raw, dtype=np.float64)
    if not quantile_levels:
        point = out[..., 0]
        if conformal is None:
            return Forecast(point=point)
        return Forecast(
            point=point,
            intervals=conformal.intervals(point, windows),
            interval_method="conformal",
        )
    levels = list(quantile_levels)
    point = out[..., levels.index(0.5)]
    intervals: dict[float, tuple[FloatArray, FloatArray]] = {}
    for i, q in enumerate(levels):
        if q >= 0.5:
            continue
        upper = round(1.0 - q, 10)
        if upper in levels:
            level = round((1.0 - 2.0 * q) * 100.0, 8)
            intervals[level] = (out[..., i], out[..., levels.index(upper)])
    return Forecast(
        point=point,
        quantile_levels=tuple(levels),
        quantiles=out,
        intervals=dict(sorted(intervals.items())),
        interval_method="quantile" if intervals else None,
    )


class Forecaster:
    """A trained PyTorch model ready for inference (see the module doc)."""

    def __init__(
        self,
        model: ForecastModel,
        *,
        conformal: ConformalIntervals | None = None,
        record: ModelRecord | None = None,
        device: str = "cpu",
        batch_size: int = 8192,
    ) -> None:
        from neural_trader.forecasting.training import resolve_device

        self.device = resolve_device(device)
        self.model = model.to(self.device).eval()
        self.conformal = conformal
        self.record = record
        self.batch_size = int(batch_size)

    @classmethod
    def load(
        cls,
        model_id: str,
        *,
        registry: ModelRegistry | str | Path | None = None,
        device: str = "cpu",
    ) -> Forecaster:
        """The registered model ``model_id`` (see ``neural-trader forecast list``)."""
        from neural_trader.forecasting.registry import ModelRegistry

        reg = registry if isinstance(registry, ModelRegistry) else ModelRegistry(registry)
        model, record = reg.load(model_id)
        return cls(model, conformal=record.conformal_intervals(), record=record, device=device)

    @property
    def input_size(self) -> int:
        return self.model.input_size

    @property
    def horizon(self) -> int:
        return self.model.horizon

    @property
    def n_exog(self) -> int:
        return self.model.n_exog

    @property
    def quantile_levels(self) -> tuple[float, ...]:
        return self.model.config.quantiles

    def raw(self, windows: npt.ArrayLike, exog: npt.ArrayLike | None = None) -> FloatArray:
        """The model output ``[n, horizon, n_outputs]`` as float64."""
        import torch

        y, x = check_inputs(windows, exog, self.input_size, self.n_exog)
        outs = []
        with torch.no_grad():
            for s in range(0, y.shape[0], self.batch_size):
                yt = torch.from_numpy(y[s : s + self.batch_size]).to(self.device)
                xt = None if x is None else torch.from_numpy(x[s : s + self.batch_size])
                out = self.model(yt, None if xt is None else xt.to(self.device))
                outs.append(out.float().cpu().numpy())
        if not outs:
            return np.empty((0, self.horizon, self.model.n_outputs))
        return np.concatenate(outs, axis=0).astype(np.float64)

    def predict(self, windows: npt.ArrayLike, exog: npt.ArrayLike | None = None) -> Forecast:
        """Forecast every window in one pass (chunked only beyond ``batch_size`` windows)."""
        w = np.asarray(windows, dtype=np.float64)
        return build_forecast(
            self.raw(w, exog), self.quantile_levels, w.reshape(-1, self.input_size), self.conformal
        )
