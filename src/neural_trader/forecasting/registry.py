"""The model registry: one folder per model under ``$NT_HOME/models``.

::

    $NT_HOME/models/nhits-20250101120000-a1b2c3/
        model.safetensors   weights (safetensors: no pickle, so loading runs no code)
        config.json         schema_version, kind, model config, metadata
        model.onnx          after ``forecast export-onnx``

An id is ``<kind>-<UTC yyyymmddHHMMSS>-<first 6 hex of the weights' SHA-256>``: readable,
sortable by creation, and derived from the content rather than a random draw. ``config.json``
carries a ``schema_version``; a file written by a future layout is refused with a clear
message instead of being half-read. Listing and showing read JSON only (no torch import), so
``forecast list`` stays fast.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from neural_trader.core.errors import (
    DataFormatError,
    InvalidArgumentError,
    NotFoundError,
)
from neural_trader.forecasting._deps import require
from neural_trader.forecasting.configs import ModelConfig, config_from_dict
from neural_trader.forecasting.conformal import ConformalIntervals

if TYPE_CHECKING:
    from neural_trader.forecasting.models.base import ForecastModel

__all__ = [
    "ONNX_FILE",
    "SCHEMA_VERSION",
    "ModelMetadata",
    "ModelRecord",
    "ModelRegistry",
    "default_root",
]

SCHEMA_VERSION = 1
WEIGHTS = "model.safetensors"
CONFIG = "config.json"
ONNX_FILE = "model.onnx"
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def default_root() -> Path:
    """``$NT_HOME/models`` (``~/.neural-trader/models`` by default)."""
    from neural_trader.config import load_settings

    return load_settings().home / "models"


@dataclass(frozen=True)
class ModelMetadata:
    """What the trainer knows about a model beyond its weights and config."""

    target: str
    features: tuple[str, ...] = ()
    season_length: int = 1
    frequency_ns: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelRecord:
    """One registry entry as stored in ``config.json`` (plus where it lives)."""

    model_id: str
    kind: str
    created: str
    schema_version: int
    model_config: dict[str, Any]
    target: str
    features: tuple[str, ...]
    horizon: int
    input_size: int
    season_length: int
    frequency_ns: int | None
    data: dict[str, Any]
    metrics: dict[str, Any]
    training: dict[str, Any]
    conformal: dict[str, Any] | None
    onnx: str | None
    path: Path

    def config(self) -> ModelConfig:
        return config_from_dict(self.model_config)

    def conformal_intervals(self) -> ConformalIntervals | None:
        return None if self.conformal is None else ConformalIntervals.from_dict(self.conformal)

    @property
    def onnx_path(self) -> Path | None:
        return None if self.onnx is None else self.path / self.onnx

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "model_id": self.model_id,
            "kind": self.kind,
            "created": self.created,
            "model_config": self.model_config,
            "target": self.target,
            "features": list(self.features),
            "horizon": self.horizon,
            "input_size": self.input_size,
            "season_length": self.season_length,
            "frequency_ns": self.frequency_ns,
            "data": self.data,
            "metrics": self.metrics,
            "training": self.training,
            "conformal": self.conformal,
            "onnx": self.onnx,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: Path) -> ModelRecord:
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise DataFormatError(
                f"model {path.name}: config.json has schema_version {version!r}; this "
                f"neural-trader reads version {SCHEMA_VERSION}",
                hint="retrain the model with this version, or use the neural-trader that wrote it",
            )
        try:
            return cls(
                model_id=str(data["model_id"]),
                kind=str(data["kind"]),
                created=str(data["created"]),
                schema_version=int(version),
                model_config=dict(data["model_config"]),
                target=str(data["target"]),
                features=tuple(str(f) for f in data.get("features", ())),
                horizon=int(data["horizon"]),
                input_size=int(data["input_size"]),
                season_length=int(data.get("season_length", 1)),
                frequency_ns=None
                if data.get("frequency_ns") is None
                else int(data["frequency_ns"]),
                data=dict(data.get("data") or {}),
                metrics=dict(data.get("metrics") or {}),
                training=dict(data.get("training") or {}),
                conformal=None if data.get("conformal") is None else dict(data["conformal"]),
                onnx=None if data.get("onnx") is None else str(data["onnx"]),
                path=path,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataFormatError(f"model {path.name}: config.json is malformed ({exc})") from None


class ModelRegistry:
    """Save, list, show, load and delete models under ``root`` (default ``$NT_HOME/models``)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_root()

    # ------------------------------------------------------------------ write
    def save(
        self,
        model: ForecastModel,
        metadata: ModelMetadata,
        *,
        conformal: ConformalIntervals | None = None,
        created: datetime | None = None,
    ) -> ModelRecord:
        """Write weights and config atomically (a temporary folder renamed into place)."""
        st = require("safetensors", "the model registry", module="safetensors.torch")
        when = (created or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        blob: bytes = st.save(tensors, metadata={"schema_version": str(SCHEMA_VERSION)})
        digest = hashlib.sha256(blob).hexdigest()
        config = model.config
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = when.strftime("%Y%m%d%H%M%S")
        model_id = f"{config.kind}-{stamp}-{digest[:6]}"
        n = 2
        while (self.root / model_id).exists():
            model_id = f"{config.kind}-{stamp}-{digest[:6]}-{n}"
            n += 1
        final = self.root / model_id
        record = ModelRecord(
            model_id=model_id,
            kind=config.kind,
            created=when.isoformat().replace("+00:00", "Z"),
            schema_version=SCHEMA_VERSION,
            model_config=config.to_dict(),
            target=metadata.target,
            features=tuple(metadata.features),
            horizon=config.horizon,
            input_size=config.input_size,
            season_length=int(metadata.season_length),
            frequency_ns=metadata.frequency_ns,
            data=dict(metadata.data),
            metrics=dict(metadata.metrics),
            training={**metadata.training, "weights_sha256": digest},
            conformal=None if conformal is None else conformal.to_dict(),
            onnx=None,
            path=final,
        )
        tmp = self.root / f".tmp-{model_id}"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        try:
            (tmp / WEIGHTS).write_bytes(blob)
            _write_json(tmp / CONFIG, record.to_dict())
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return record

    def set_onnx(self, model_id: str, filename: str = ONNX_FILE) -> ModelRecord:
        """Record that ``filename`` in the model's folder holds its ONNX export."""
        record = self.get(model_id)
        data = record.to_dict()
        data["onnx"] = filename
        _write_json(record.path / CONFIG, data)
        return self.get(model_id)

    def delete(self, model_id: str) -> ModelRecord:
        record = self.get(model_id)
        shutil.rmtree(record.path)
        return record

    # ------------------------------------------------------------------ read
    def path(self, model_id: str) -> Path:
        if not _SAFE_ID.match(model_id) or ".." in model_id:
            raise InvalidArgumentError(f"{model_id!r} is not a model id")
        return self.root / model_id

    def get(self, model_id: str) -> ModelRecord:
        """The entry's metadata (no weights read, no torch needed)."""
        folder = self.path(model_id)
        cfg = folder / CONFIG
        if not cfg.is_file():
            known = self.ids()
            close = difflib.get_close_matches(model_id, known, n=3, cutoff=0.6)
            hint = (
                "did you mean " + ", ".join(close) + "?"
                if close
                else "see the model ids with: neural-trader forecast list"
            )
            raise NotFoundError(f"no model {model_id!r} in {self.root}", hint=hint)
        try:
            data = json.loads(cfg.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise DataFormatError(f"model {model_id}: cannot read config.json ({exc})") from None
        if not isinstance(data, dict):
            raise DataFormatError(f"model {model_id}: config.json is not a JSON object")
        return ModelRecord.from_dict(data, folder)

    def ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and (p / CONFIG).is_file())

    def scan(self) -> tuple[list[ModelRecord], list[str]]:
        """Every readable entry (oldest first) and a message per unreadable one."""
        records, problems = [], []
        for model_id in self.ids():
            try:
                records.append(self.get(model_id))
            except (DataFormatError, InvalidArgumentError) as exc:
                problems.append(exc.message)
        records.sort(key=lambda r: (r.created, r.model_id))
        return records, problems

    def list(self) -> list[ModelRecord]:
        return self.scan()[0]

    def load(self, model_id: str) -> tuple[ForecastModel, ModelRecord]:
        """The model with its weights (eval mode, CPU) and its record."""
        record = self.get(model_id)
        st = require("safetensors", "the model registry", module="safetensors.torch")
        from neural_trader.forecasting.models import build_model

        weights = record.path / WEIGHTS
        if not weights.is_file():
            raise DataFormatError(f"model {model_id}: {WEIGHTS} is missing from {record.path}")
        model = build_model(record.config(), seed=0)
        state = st.load_file(str(weights))
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            raise DataFormatError(
                f"model {model_id}: the weights do not fit its config ({exc})"
            ) from None
        return model.eval(), record


def _finite(value: Any) -> Any:
    """JSON has no NaN: an undefined metric (MAPE of zeros) is stored as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".json.tmp")
    text = json.dumps(_finite(data), indent=2, allow_nan=False)
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)
