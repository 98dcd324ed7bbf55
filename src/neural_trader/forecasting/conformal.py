"""Split conformal prediction intervals, calibrated per horizon step on validation windows.

Why conformal: a point model (MAE loss) says nothing about its uncertainty, and Gaussian bands
around a price forecast are routinely wrong. Split conformal needs only that calibration and
future windows are exchangeable: take the absolute errors of the model on held-out windows,
and the ``ceil((n + 1) level)``-th smallest of ``n`` is a radius that covers a new error with
probability at least ``level``. Each horizon step gets its own radius (step 24 errs more than
step 1).

Errors are divided by the input window's standard deviation before ranking (normalised
scores) and multiplied back per window: one model serves assets of different prices and
volatility regimes, and a radius in dollars learnt on a calm period would be too narrow in a
turbulent one. This keeps the guarantee (the score is still a fixed function of the window).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from neural_trader.core.errors import InvalidArgumentError

__all__ = ["ConformalIntervals", "window_scale"]

FloatArray = npt.NDArray[np.float64]


def window_scale(windows: npt.ArrayLike) -> FloatArray:
    """Per-window standard deviation with a floor relative to the level (never 0)."""
    x = np.asarray(windows, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    std = x.std(axis=1)
    floor = 1e-5 * np.abs(x).mean(axis=1) + 1e-12
    out: FloatArray = np.maximum(std, floor)
    return out


@dataclass(frozen=True)
class ConformalIntervals:
    """Per-level, per-step radii; ``levels`` in percent (80 = an 80% interval)."""

    levels: tuple[float, ...]
    radii: FloatArray  # [n_levels, horizon]
    n_calibration: int
    normalized: bool = True

    @classmethod
    def fit(
        cls,
        y_true: npt.ArrayLike,
        y_pred: npt.ArrayLike,
        windows: npt.ArrayLike,
        levels: Sequence[float] = (80.0, 95.0),
        *,
        normalized: bool = True,
    ) -> ConformalIntervals:
        y = np.asarray(y_true, dtype=np.float64)
        f = np.asarray(y_pred, dtype=np.float64)
        if y.ndim != 2 or y.shape != f.shape:
            raise InvalidArgumentError(f"need [n, horizon] actuals and forecasts, got {y.shape}")
        n = y.shape[0]
        scores = np.abs(y - f)
        if normalized:
            scores = scores / window_scale(windows)[:, None]
        scores.sort(axis=0)
        radii = []
        for level in levels:
            if not 0.0 < level < 100.0:
                raise InvalidArgumentError(f"interval level must be in (0, 100), got {level}")
            k = math.ceil((n + 1) * level / 100.0)
            if k > n:
                need = math.ceil(level / (100.0 - level))
                raise InvalidArgumentError(
                    f"a {level:g}% conformal interval needs at least {need} calibration "
                    f"windows, got {n}",
                    hint="use a larger validation fraction or a lower level",
                )
            radii.append(scores[k - 1])
        return cls(
            levels=tuple(float(v) for v in levels),
            radii=np.asarray(radii, dtype=np.float64).reshape(len(levels), y.shape[1]),
            n_calibration=n,
            normalized=normalized,
        )

    @property
    def horizon(self) -> int:
        return int(self.radii.shape[1])

    def intervals(
        self, point: npt.ArrayLike, windows: npt.ArrayLike
    ) -> dict[float, tuple[FloatArray, FloatArray]]:
        """``{level: (lower, upper)}`` around ``point`` ``[n, horizon]``."""
        p = np.asarray(point, dtype=np.float64)
        if p.ndim != 2 or p.shape[1] != self.horizon:
            raise InvalidArgumentError(
                f"forecasts must be [n, {self.horizon}] for these intervals, got {p.shape}"
            )
        scale = window_scale(windows)[:, None] if self.normalized else np.ones((p.shape[0], 1))
        out: dict[float, tuple[FloatArray, FloatArray]] = {}
        for level, r in zip(self.levels, self.radii, strict=True):
            half = scale * r[None, :]
            out[level] = (p - half, p + half)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "split_conformal",
            "levels": list(self.levels),
            "radii": self.radii.tolist(),
            "n_calibration": self.n_calibration,
            "normalized": self.normalized,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConformalIntervals:
        return cls(
            levels=tuple(float(v) for v in data["levels"]),
            radii=np.asarray(data["radii"], dtype=np.float64),
            n_calibration=int(data["n_calibration"]),
            normalized=bool(data.get("normalized", True)),
        )
