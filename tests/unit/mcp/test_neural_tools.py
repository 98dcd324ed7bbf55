"""The neural tools end to end on a tiny model: train through MCP, then forecast, evaluate,
predict, inspect and optimise it; the numbers equal the forecasting services'."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")


@pytest.fixture
def bars_file(home: Path, sample_catalog: Path) -> Path:
    from neural_trader.data.catalog import Catalog
    from neural_trader.data.export import write_bars_csv

    path = home / "spx_tail.csv"
    write_bars_csv(Catalog(sample_catalog).read_bars("SPX", "1d").iloc[-300:], path)
    return path


@pytest.mark.slow
@pytest.mark.usefixtures("one_torch_thread")
def test_train_then_forecast_evaluate_predict_optimise(call: Any, bars_file: Path) -> None:
    from neural_trader.services.forecast import evaluate_model, predict

    trained = call(
        "neural_train",
        {"data_path": str(bars_file), "model_type": "LSTM", "epochs": 2, "batch_size": 64,
         "input_size": 10, "horizon": 3, "use_gpu": False},
    )  # fmt: skip
    assert not trained.is_error, trained.content[0].text
    t = trained.structured_content
    assert t["kind"] == "lstm"
    # 2 epochs over the training windows, in batches of 64.
    assert t["steps"] == 2 * -(-t["train_windows"] // 64)
    assert set(t["performance"]) >= {"mae", "rmse"}
    assert t["processing"]["gpu_used"] is False
    model_id = t["model_id"]

    fc = call(
        "neural_forecast",
        {"symbol": "SPX", "horizon": 2, "model_id": model_id, "confidence_level": 0.8},
    ).structured_content  # fmt: skip
    direct = predict(model_id, symbol="SPX", calendar="XNYS")
    assert [p["predicted_price"] for p in fc["predictions"]] == [
        p.forecast for p in direct.predictions[:2]
    ]
    assert fc["predictions"][0]["lower_bound"] == direct.predictions[0].lower["80"]
    assert fc["current_price"] == direct.last_value

    too_far = call("neural_forecast", {"symbol": "SPX", "horizon": 9, "model_id": model_id})
    assert too_far.is_error
    assert "horizon" in too_far.content[0].text

    ev = call(
        "neural_evaluate",
        {"model_id": model_id, "test_data": str(bars_file), "metrics": ["mae", "mse", "r2_score"]},
    ).structured_content  # fmt: skip
    table = evaluate_model(model_id, data_file=bars_file).evaluation.metrics
    assert ev["results"]["mae"] == table["model"]["mae"]
    assert ev["results"]["mse"] == pytest.approx(table["model"]["rmse"] ** 2)
    assert "r2_score" in ev["unavailable"]
    assert set(ev["baselines"]) == {"naive", "seasonal_naive", "drift"}

    bt = call(
        "neural_backtest",
        {"model_id": model_id, "start_date": "2017-06-01", "end_date": "2018-12-31",
         "symbol": "SPX"},
    )  # fmt: skip
    assert not bt.is_error, bt.content[0].text
    b = bt.structured_content
    assert b["strategy"] == "neural_trend"
    assert b["params"]["model"] == model_id
    assert b["in_sample"] is True  # the model trained on the last 300 bars of 2018
    assert b["benchmark_comparison"]["symbol"] == "SPX"
    weekly = call(
        "neural_backtest",
        {"model_id": model_id, "start_date": "2017-06-01", "end_date": "2018-12-31",
         "symbol": "SPX", "rebalance_frequency": "weekly"},
    )  # fmt: skip
    assert weekly.is_error
    assert "rebalance_frequency" in weekly.content[0].text

    values = [float(x) for x in range(100, 112)]
    pred = call("neural_predict", {"model_id": model_id, "input": values}).structured_content
    assert pred["used_values"] == 10
    assert len(pred["predictions"]) == 3

    status = call("neural_model_status", {"model_id": model_id}).structured_content
    assert status["count"] == 1
    assert status["model"]["info"]["model_id"] == model_id

    opt = call(
        "neural_optimize",
        {"model_id": model_id, "parameter_ranges": {"dropout": {"choices": [0.0, 0.1]}},
         "trials": 2, "optimization_metric": "loss", "use_gpu": False},
    )  # fmt: skip
    assert not opt.is_error, opt.content[0].text
    o = opt.structured_content
    assert o["base_model_id"] == model_id
    assert o["model_id"] != model_id
    assert o["trials"] == 2
    assert set(o["optimized_parameters"]) == {"dropout"}
    assert call("neural_model_status").structured_content["count"] == 2


def test_forecast_without_a_model_says_how_to_train_one(call: Any) -> None:
    r = call("neural_forecast", {"symbol": "SPX", "horizon": 3})
    assert r.is_error
    assert "no registered model was trained on SPX" in r.content[0].text
