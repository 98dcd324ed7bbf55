"""``neural-trader forecast ...`` on a small CSV, as scripts run it (``--json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

pytest.importorskip("torch", reason="the optional extra 'forecast' (torch) is absent")

from neural_trader.fronts.cli import forecast_commands

runner = CliRunner()


def _app() -> typer.Typer:
    """The registered app once 'forecast' is wired in, a local root until then."""
    from neural_trader.fronts.cli.app import app

    if any(g.name == "forecast" for g in app.registered_groups):
        return app
    root = typer.Typer()
    root.add_typer(forecast_commands.app, name="forecast")
    return root


def nt(*args: str) -> tuple[int, Any]:
    result = runner.invoke(_app(), ["forecast", *args])
    try:
        return result.exit_code, json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"not one JSON document: {result.stdout!r} {result.stderr!r}")


@pytest.fixture(scope="module")
def csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fc") / "load.csv"
    i = np.arange(360)
    t = pd.date_range("2024-01-01", periods=i.size, freq="h", tz="UTC")
    noise = np.random.default_rng(4).normal(0.0, 0.2, i.size)
    frame = pd.DataFrame(
        {
            "date": t.strftime("%Y-%m-%d %H:%M:%S"),
            "Load": 50.0 + 5.0 * np.sin(2.0 * np.pi * i / 24.0) + noise,
            "temp": 20.0 + np.cos(2.0 * np.pi * i / 24.0),
        }
    )
    frame.to_csv(path, index=False)
    return path


TRAIN = [
    "--target",
    "load",
    "--horizon",
    "6",
    "--input-size",
    "48",
    "--max-steps",
    "60",
    "--param",
    "mlp_units=16",
    "--json",
]


def test_train_predict_evaluate_list_show_delete(csv: Path, nt_home: Path) -> None:
    code, out = nt("train", "--data", str(csv), "--features", "temp,calendar", *TRAIN)
    assert code == 0, out
    model_id = out["model_id"]
    assert model_id.startswith("nhits-")
    assert out["features"][0] == "temp"
    assert "calendar:tod_sin" in out["features"]
    assert out["season_length"] == 24
    val = out["validation"]["metrics"]
    assert set(val) == {"model", "naive", "seasonal_naive", "drift"}
    assert out["intervals"] == "conformal"
    assert set(out["test"]["coverage"]) == {"80", "95"}
    assert (nt_home / "models" / model_id / "model.safetensors").is_file()

    code, pred = nt("predict", "--model", model_id, "--data", str(csv), "--json")
    assert code == 0, pred
    assert [p["step"] for p in pred["predictions"]] == [1, 2, 3, 4, 5, 6]
    assert pred["last_time"] == "2024-01-15T23:00:00Z"
    assert pred["predictions"][0]["time"] == "2024-01-16T00:00:00Z"
    first = pred["predictions"][0]
    assert first["lower"]["80"] < first["forecast"] < first["upper"]["80"]
    assert first["lower"]["95"] < first["lower"]["80"]

    code, ev = nt("evaluate", "--model", model_id, "--data", str(csv), "--json")
    assert code == 0, ev
    # every origin after the first input-size rows whose horizon fits: 360 - 48 - 6 + 1
    assert ev["evaluation"]["windows"] == 307
    table = ev["evaluation"]["metrics"]
    assert set(table) == {"model", "naive", "seasonal_naive", "drift"}
    # a learnt daily cycle beats tomorrow-equals-today by far on this series
    assert table["model"]["mae"] < 0.5 * table["naive"]["mae"]

    code, listed = nt("list", "--json")
    assert code == 0
    assert [m["model_id"] for m in listed["models"]] == [model_id]
    assert listed["models"][0]["val_mae"] == pytest.approx(val["model"]["mae"])

    code, shown = nt("show", model_id, "--json")
    assert code == 0
    assert shown["config"]["mlp_units"] == 16
    assert shown["data"]["sources"] == [str(csv)]

    code, refused = nt("delete", model_id, "--json")
    assert code == 2
    assert "--yes" in refused["message"]
    code, deleted = nt("delete", model_id, "--yes", "--json")
    assert code == 0
    assert deleted["deleted"] is True
    code, missing = nt("show", model_id, "--json")
    assert code == 6
    assert missing["error"] == "NotFoundError"


def test_quantile_model_and_other_architectures(csv: Path, nt_home: Path) -> None:
    code, out = nt(
        "train",
        "--data",
        str(csv),
        "--model",
        "lstm",
        "--loss",
        "mq",
        "--levels",
        "80",
        "--target",
        "Load",
        "--horizon",
        "6",
        "--input-size",
        "24",
        "--max-steps",
        "30",
        "--param",
        "hidden_size=8",
        "--json",
    )
    assert code == 0, out
    assert out["kind"] == "lstm"
    assert out["intervals"] == "quantile"
    assert set(out["test"]["coverage"]) == {"80"}
    code, out = nt(
        "train",
        "--data",
        str(csv),
        "--model",
        "transformer",
        "--target",
        "load",
        "--horizon",
        "6",
        "--input-size",
        "24",
        "--max-steps",
        "30",
        "--param",
        "d_model=8",
        "--param",
        "n_heads=2",
        "--param",
        "patch_len=4",
        "--json",
    )
    assert code == 0, out
    assert out["kind"] == "transformer"


def test_errors_are_clear(csv: Path, nt_home: Path, tmp_path: Path) -> None:
    code, out = nt("train", "--data", str(csv), *TRAIN[:-1], "--target", "nope", "--json")
    assert code == 2
    assert "no column 'nope'" in out["message"]
    code, out = nt(
        "train",
        "--data",
        str(csv),
        "--target",
        "load",
        "--horizon",
        "6",
        "--input-size",
        "300",
        "--json",
    )
    assert code == 2
    assert "not one training window" in out["message"]
    gappy = tmp_path / "gappy.csv"
    pd.read_csv(csv).assign(Load=lambda f: f["Load"].where(f.index != 7)).to_csv(gappy)
    code, out = nt("train", "--data", str(gappy), *TRAIN)
    assert code == 7
    assert "data rows 8" in out["message"]
    code, out = nt("predict", "--model", "nhits-none", "--data", str(csv), "--json")
    assert code == 6
    assert "forecast list" in out["hint"]
    code, out = nt("train", "--data", str(csv), *TRAIN[:-1], "--param", "bogus=1", "--json")
    assert code == 2
    assert "no parameter bogus" in out["message"]


def test_train_on_two_catalog_symbols_and_predict_one(nt_home: Path) -> None:
    from neural_trader.data.providers.synthetic import generate_bars
    from neural_trader.services.data import open_catalog

    cat = open_catalog()
    cat.write_bars("AAA", "1h", generate_bars(300, "1h", seed=1))
    cat.write_bars("BBB", "1h", generate_bars(300, "1h", seed=2))
    code, out = nt(
        "train",
        "--symbol",
        "AAA",
        "--symbol",
        "BBB",
        "--target",
        "close",
        "--features",
        "volume",
        "--horizon",
        "4",
        "--input-size",
        "32",
        "--max-steps",
        "20",
        "--param",
        "mlp_units=8",
        "--json",
    )
    assert code == 0, out
    assert out["sources"] == ["AAA", "BBB"]
    assert out["rows"] == 600
    assert out["train_windows"] == 2 * (210 - 32 - 4 + 1)
    code, pred = nt("predict", "--model", out["model_id"], "--symbol", "BBB", "--json")
    assert code == 0, pred
    assert len(pred["predictions"]) == 4
    code, err = nt("predict", "--model", out["model_id"], "--symbol", "CCC", "--json")
    assert code == 6
    assert err["error"] == "UnknownSymbolError"


def test_train_with_an_optuna_search(csv: Path, nt_home: Path) -> None:
    pytest.importorskip("optuna")
    code, out = nt(
        "train",
        "--data",
        str(csv),
        "--trials",
        "2",
        "--target",
        "load",
        "--horizon",
        "6",
        "--input-size",
        "24",
        "--max-steps",
        "20",
        "--json",
    )
    assert code == 0, out
    assert out["tuning"]["trials"] == 2
    assert set(out["tuning"]["best_params"]) == {"learning_rate", "dropout", "mlp_units"}
    code, shown = nt("show", out["model_id"], "--json")
    assert shown["config"]["mlp_units"] == out["tuning"]["best_params"]["mlp_units"]
