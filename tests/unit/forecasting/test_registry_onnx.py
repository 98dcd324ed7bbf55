"""The registry round trip, its schema check, and ONNX serving equal to PyTorch."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from neural_trader.core.errors import DataFormatError, InvalidArgumentError, NotFoundError
from neural_trader.forecasting.configs import TrainConfig, make_config, quantiles_for_levels
from neural_trader.forecasting.conformal import ConformalIntervals
from neural_trader.forecasting.datasets import WindowSet
from neural_trader.forecasting.registry import SCHEMA_VERSION, ModelMetadata, ModelRegistry

torch = pytest.importorskip("torch", reason="the optional extra 'forecast' (torch) is absent")
pytest.importorskip("safetensors")

from neural_trader.forecasting.models import ForecastModel, build_model  # noqa: E402
from neural_trader.forecasting.predictor import Forecaster  # noqa: E402
from neural_trader.forecasting.training import Trainer  # noqa: E402


def _trained(n_exog: int = 0, quantiles: bool = False) -> tuple[ForecastModel, WindowSet]:
    rng = np.random.default_rng(0)
    y = 100.0 + rng.normal(size=300).cumsum()
    ex = [rng.normal(size=(300, n_exog))] if n_exog else None
    ws = WindowSet.from_ranges([y], ex, input_size=24, horizon=6, ranges=[(0, 300)])
    cfg = make_config(
        "nhits",
        input_size=24,
        horizon=6,
        n_exog=n_exog,
        mlp_units=16,
        loss="mq" if quantiles else "mae",
        quantiles=quantiles_for_levels([80]) if quantiles else (),
    )
    model = build_model(cfg, seed=0)
    Trainer(TrainConfig(max_steps=20, progress=False)).fit(model, ws)
    return model, ws


def test_save_load_gives_identical_predictions(tmp_path: Path) -> None:
    model, ws = _trained()
    y_in, _, y_out = ws.arrays(np.arange(50))
    before = Forecaster(model).predict(y_in)
    conformal = ConformalIntervals.fit(y_out, before.point, y_in, [80.0])
    reg = ModelRegistry(tmp_path / "models")
    meta = ModelMetadata(target="close", season_length=5, metrics={"validation": {"mae": 1.5}})
    record = reg.save(model, meta, conformal=conformal)
    assert re.fullmatch(r"nhits-\d{14}-[0-9a-f]{6}", record.model_id)
    stored = json.loads((record.path / "config.json").read_text())
    assert stored["schema_version"] == SCHEMA_VERSION
    assert stored["created"].endswith("Z")
    assert stored["model_config"]["mlp_units"] == 16
    assert stored["training"]["weights_sha256"].startswith(record.model_id[-6:])

    loaded = Forecaster.load(record.model_id, registry=reg)
    after = loaded.predict(y_in)
    assert np.array_equal(after.point, before.point)
    assert after.interval_method == "conformal"
    lo, hi = after.intervals[80.0]
    assert np.all(lo < after.point)
    assert np.all(hi > after.point)
    assert [r.model_id for r in reg.list()] == [record.model_id]


def test_schema_version_is_checked(tmp_path: Path) -> None:
    model, _ = _trained()
    reg = ModelRegistry(tmp_path)
    record = reg.save(model, ModelMetadata(target="y"))
    cfg = record.path / "config.json"
    data = json.loads(cfg.read_text())
    data["schema_version"] = SCHEMA_VERSION + 1
    cfg.write_text(json.dumps(data))
    with pytest.raises(DataFormatError, match="schema_version"):
        reg.load(record.model_id)
    records, problems = reg.scan()
    assert records == []
    assert len(problems) == 1


def test_ids_are_unique_for_the_same_weights_in_the_same_second(tmp_path: Path) -> None:
    model, _ = _trained()
    reg = ModelRegistry(tmp_path)
    when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    a = reg.save(model, ModelMetadata(target="y"), created=when)
    b = reg.save(model, ModelMetadata(target="y"), created=when)
    assert a.model_id.startswith("nhits-20250102030405-")
    assert b.model_id == a.model_id + "-2"
    assert reg.get(b.model_id).created == "2025-01-02T03:04:05Z"


def test_unknown_ids_and_delete(tmp_path: Path) -> None:
    model, _ = _trained()
    reg = ModelRegistry(tmp_path)
    record = reg.save(model, ModelMetadata(target="y"))
    with pytest.raises(NotFoundError) as err:
        reg.get("nhits-nope")
    assert "forecast list" in str(err.value)
    with pytest.raises(NotFoundError, match="did you mean"):
        reg.get(record.model_id[:-1])
    with pytest.raises(InvalidArgumentError):
        reg.get("../etc")
    reg.delete(record.model_id)
    assert not record.path.exists()
    assert reg.list() == []


def test_registry_defaults_to_nt_home(nt_home: Path) -> None:
    assert ModelRegistry().root == nt_home / "models"


def test_forecaster_validates_its_inputs() -> None:
    model, _ = _trained(n_exog=2)
    fc = Forecaster(model)
    good = np.linspace(1.0, 2.0, 24)
    with pytest.raises(InvalidArgumentError, match="exogenous"):
        fc.predict(good)
    with pytest.raises(InvalidArgumentError, match=r"\[n_series, 24\]"):
        fc.predict(np.ones(23), np.ones((1, 23, 2)))
    bad = good.copy()
    bad[3] = np.nan
    with pytest.raises(InvalidArgumentError, match="NaN"):
        fc.predict(bad, np.ones((1, 24, 2)))
    # one window (1-D) and a batch of many give the same numbers for that window
    batch = np.stack([good, 2 * good, 3 * good])
    exog = np.random.default_rng(1).normal(size=(3, 24, 2))
    many = fc.predict(batch, exog).point
    one = fc.predict(good, exog[0]).point
    np.testing.assert_allclose(one[0], many[0], rtol=1e-6)


def test_onnx_export_serves_the_same_forecasts(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    from neural_trader.forecasting.onnx_export import OnnxPredictor
    from neural_trader.services.forecast import export_model_onnx

    model, ws = _trained(n_exog=2, quantiles=True)
    reg = ModelRegistry(tmp_path)
    record = reg.save(model, ModelMetadata(target="y"))
    summary = export_model_onnx(record.model_id, registry=reg)
    assert summary.max_rel_diff < 1e-5
    assert reg.get(record.model_id).onnx == "model.onnx"

    onnx_fc = OnnxPredictor.load(record.model_id, registry=reg)
    torch_fc = Forecaster.load(record.model_id, registry=reg)
    for idx in (np.arange(1), np.arange(7)):  # the batch dimension is dynamic
        y_in, ex, _ = ws.arrays(idx)
        a, b = onnx_fc.predict(y_in, ex), torch_fc.predict(y_in, ex)
        np.testing.assert_allclose(a.point, b.point, rtol=1e-5, atol=1e-5)
        assert a.quantiles is not None
        assert b.quantiles is not None
        np.testing.assert_allclose(a.quantiles, b.quantiles, rtol=1e-5, atol=1e-5)
        assert set(a.intervals) == {80.0}
    plain = reg.save(model, ModelMetadata(target="y"))
    with pytest.raises(NotFoundError, match="export-onnx"):
        OnnxPredictor.load(plain.model_id, registry=reg)
