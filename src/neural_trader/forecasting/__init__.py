"""Neural forecasting: NHITS, LSTM and Transformer models, training, evaluation, registry.

Layout (docs/decisions/0016-neural-forecasting.md):

* :mod:`.configs` model and training configs (no torch)
* :mod:`.datasets` sliding windows, leakage-free time splits, calendar features (numpy)
* :mod:`.metrics`, :mod:`.baselines`, :mod:`.conformal`, :mod:`.evaluation` (numpy)
* :mod:`.models` the PyTorch modules; :mod:`.losses`; :mod:`.training` the training loop
* :mod:`.registry` safetensors + JSON under ``$NT_HOME/models``
* :mod:`.predictor` ``Forecaster.load(model_id).predict(windows)``: batch inference
* :mod:`.onnx_export` ONNX export and an onnxruntime predictor; :mod:`.tuning` Optuna search

Importing this package does not import torch (the MCP server and ``forecast list`` must start
fast); names that need it load on first access. Without torch, using them raises
:class:`~neural_trader.core.errors.MissingDependencyError` naming the ``forecast`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from neural_trader._lazy import lazy_exports

if TYPE_CHECKING:
    from neural_trader.forecasting.configs import (
        LSTMConfig,
        ModelConfig,
        NHITSConfig,
        TrainConfig,
        TransformerConfig,
        make_config,
    )
    from neural_trader.forecasting.conformal import ConformalIntervals
    from neural_trader.forecasting.datasets import WindowSet, split_windows
    from neural_trader.forecasting.evaluation import (
        EvaluationResult,
        evaluate_windows,
        rolling_origin_cv,
    )
    from neural_trader.forecasting.models import ForecastModel, build_model
    from neural_trader.forecasting.onnx_export import OnnxPredictor, export_onnx
    from neural_trader.forecasting.predictor import Forecast, Forecaster
    from neural_trader.forecasting.registry import ModelMetadata, ModelRecord, ModelRegistry
    from neural_trader.forecasting.training import Trainer, TrainResult
    from neural_trader.forecasting.tuning import tune

__all__ = [
    "ConformalIntervals",
    "EvaluationResult",
    "Forecast",
    "ForecastModel",
    "Forecaster",
    "LSTMConfig",
    "ModelConfig",
    "ModelMetadata",
    "ModelRecord",
    "ModelRegistry",
    "NHITSConfig",
    "OnnxPredictor",
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "TransformerConfig",
    "WindowSet",
    "build_model",
    "evaluate_windows",
    "export_onnx",
    "make_config",
    "rolling_origin_cv",
    "split_windows",
    "tune",
]

_WHERE = {
    "ConformalIntervals": "conformal",
    "EvaluationResult": "evaluation",
    "Forecast": "predictor",
    "ForecastModel": "models",
    "Forecaster": "predictor",
    "LSTMConfig": "configs",
    "ModelConfig": "configs",
    "ModelMetadata": "registry",
    "ModelRecord": "registry",
    "ModelRegistry": "registry",
    "NHITSConfig": "configs",
    "OnnxPredictor": "onnx_export",
    "TrainConfig": "configs",
    "TrainResult": "training",
    "Trainer": "training",
    "TransformerConfig": "configs",
    "WindowSet": "datasets",
    "build_model": "models",
    "evaluate_windows": "evaluation",
    "export_onnx": "onnx_export",
    "make_config": "configs",
    "rolling_origin_cv": "evaluation",
    "split_windows": "datasets",
    "tune": "tuning",
}


__getattr__ = lazy_exports(__name__, _WHERE, globals())
