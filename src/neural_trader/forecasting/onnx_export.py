"""ONNX export and an onnxruntime predictor for serving without PyTorch.

The exported graph includes the per-window scaling and the quantile ordering, so it takes raw
windows (``y`` ``[batch, input_size]``, plus ``exog`` ``[batch, input_size, n_exog]`` when the
model has features) and returns ``forecast`` ``[batch, horizon, n_outputs]``; the batch
dimension is dynamic. The file's metadata carries the quantile levels and the conformal radii,
so an :class:`OnnxPredictor` built from the file alone returns the same :class:`Forecast` as
the PyTorch :class:`~neural_trader.forecasting.predictor.Forecaster` (to float32 rounding).

Export uses torch's ``torch.export``-based exporter (``dynamo=True``, needs ``onnxscript``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from neural_trader.core.errors import DataFormatError, NotFoundError
from neural_trader.forecasting._deps import require
from neural_trader.forecasting.conformal import ConformalIntervals
from neural_trader.forecasting.predictor import Forecast, build_forecast, check_inputs

if TYPE_CHECKING:
    from neural_trader.forecasting.models.base import ForecastModel
    from neural_trader.forecasting.registry import ModelRegistry

__all__ = ["OnnxPredictor", "export_onnx"]

FloatArray = npt.NDArray[np.float64]
_META = "neural_trader"


def export_onnx(
    model: ForecastModel,
    path: str | Path,
    *,
    conformal: ConformalIntervals | None = None,
    model_id: str | None = None,
) -> Path:
    """Write ``model`` to ``path`` as ONNX with a dynamic batch dimension; returns the path."""
    torch = require("torch", "ONNX export")
    require("onnxscript", "ONNX export")
    onnx = require("onnx", "ONNX export")
    import copy

    from torch import nn

    class _Graph(nn.Module):  # the export traces a fixed signature: y only
        def __init__(self, inner: ForecastModel) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, y: Any) -> Any:
            return self.inner(y, None)

    class _GraphExog(_Graph):  # ... or y and exog
        def forward(self, y: Any, exog: Any) -> Any:  # type: ignore[override]
            return self.inner(y, exog)

    inner = copy.deepcopy(model).cpu().eval()
    graph = (_GraphExog if model.n_exog else _Graph)(inner).eval()
    batch = 3
    gen = torch.Generator().manual_seed(0)
    y = torch.randn(batch, model.input_size, generator=gen).cumsum(1) + 10.0
    args: tuple[Any, ...] = (y,)
    names = ["y"]
    dim = torch.export.Dim("batch")
    shapes: list[dict[int, Any]] = [{0: dim}]
    if model.n_exog:
        args += (torch.randn(batch, model.input_size, model.n_exog, generator=gen),)
        names.append("exog")
        shapes.append({0: dim})
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    # The exporter prints progress on stdout (which belongs to --json documents) and logs
    # warnings about optional packages (torchvision) that do not concern us.
    with contextlib.redirect_stdout(sys.stderr), _quiet_exporter():
        program = torch.onnx.export(
            graph,
            args,
            dynamo=True,
            input_names=names,
            output_names=["forecast"],
            dynamic_shapes=tuple(shapes),
            verbose=False,
        )
        program.save(str(out))
    proto = onnx.load(str(out))
    meta = {
        "kind": model.config.kind,
        "model_id": model_id,
        "input_size": model.input_size,
        "horizon": model.horizon,
        "n_exog": model.n_exog,
        "quantiles": list(model.config.quantiles),
        "conformal": None if conformal is None else conformal.to_dict(),
    }
    entry = proto.metadata_props.add()
    entry.key, entry.value = _META, json.dumps(meta)
    onnx.save(proto, str(out))
    return out


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


class OnnxPredictor:
    """Forecasts with onnxruntime from an exported file (same API as ``Forecaster``)."""

    def __init__(self, path: str | Path, *, threads: int | None = None) -> None:
        ort = require("onnxruntime", "ONNX inference")
        self.path = Path(path)
        if not self.path.is_file():
            raise NotFoundError(f"no ONNX file at {self.path}")
        opts = ort.SessionOptions()
        if threads is not None:
            opts.intra_op_num_threads = int(threads)
            opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(self.path), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        raw_meta = self.session.get_modelmeta().custom_metadata_map.get(_META)
        if raw_meta is None:
            raise DataFormatError(f"{self.path} was not exported by neural-trader (no metadata)")
        meta = json.loads(raw_meta)
        self.model_id: str | None = meta.get("model_id")
        self.input_size = int(meta["input_size"])
        self.horizon = int(meta["horizon"])
        self.n_exog = int(meta["n_exog"])
        self.quantile_levels = tuple(float(q) for q in meta["quantiles"])
        conf = meta.get("conformal")
        self.conformal = None if conf is None else ConformalIntervals.from_dict(conf)

    @classmethod
    def load(
        cls, model_id: str, *, registry: ModelRegistry | str | Path | None = None
    ) -> OnnxPredictor:
        """The ONNX export of a registered model (``forecast export-onnx`` writes it)."""
        from neural_trader.forecasting.registry import ModelRegistry

        reg = registry if isinstance(registry, ModelRegistry) else ModelRegistry(registry)
        record = reg.get(model_id)
        if record.onnx_path is None or not record.onnx_path.is_file():
            raise NotFoundError(
                f"model {model_id} has no ONNX export",
                hint=f"neural-trader forecast export-onnx --model {model_id}",
            )
        return cls(record.onnx_path)

    def raw(self, windows: npt.ArrayLike, exog: npt.ArrayLike | None = None) -> FloatArray:
        y, x = check_inputs(windows, exog, self.input_size, self.n_exog)
        feeds: dict[str, Any] = {"y": y}
        if x is not None:
            feeds["exog"] = x
        out = self.session.run(["forecast"], feeds)[0]
        return np.asarray(out, dtype=np.float64)

    def predict(self, windows: npt.ArrayLike, exog: npt.ArrayLike | None = None) -> Forecast:
        w = np.asarray(windows, dtype=np.float64)
        return build_forecast(
            self.raw(w, exog), self.quantile_levels, w.reshape(-1, self.input_size), self.conformal
        )
