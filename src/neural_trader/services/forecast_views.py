"""Result models of the forecasting services that light fronts return as they are.

Pure pydantic, no numpy or torch: the MCP tools use them as their output models without
importing :mod:`neural_trader.services.forecast` (which imports pandas) when the server is
built, and that module re-exports them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from neural_trader.forecasting.evaluation import EvaluationResult

__all__ = ["MetricsTable", "ModelInfo"]


def _finite(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


class MetricsTable(BaseModel):
    """The model's metrics next to each baseline's, on the same windows."""

    windows: int
    season_length: int
    metrics: dict[str, dict[str, float | None]] = Field(
        description="model and baselines (naive, seasonal_naive, drift) on the same windows"
    )
    coverage: dict[str, float]
    notes: list[str]

    @classmethod
    def from_result(cls, r: EvaluationResult) -> MetricsTable:
        return cls(
            windows=r.n_windows,
            season_length=r.season_length,
            metrics={k: {m: _finite(v) for m, v in d.items()} for k, d in r.table().items()},
            coverage=dict(r.coverage),
            notes=list(r.notes),
        )


class ModelInfo(BaseModel):
    model_id: str
    kind: str
    created: str
    target: str
    features: list[str]
    horizon: int
    input_size: int
    sources: list[str]
    val_mae: float | None
    val_naive_mae: float | None
    onnx: bool
