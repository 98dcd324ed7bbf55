"""Optuna search: seeded, chosen on validation, the best trial's model returned."""

from __future__ import annotations

import numpy as np
import pytest

from neural_trader.forecasting.configs import TrainConfig, make_config
from neural_trader.forecasting.datasets import split_windows

pytest.importorskip("torch", reason="the optional extra 'forecast' (torch) is absent")
pytest.importorskip("optuna", reason="the optional extra 'optimize' (optuna) is absent")

from neural_trader.forecasting.training import Trainer
from neural_trader.forecasting.tuning import tune


def test_tune_is_seeded_and_returns_the_best_trials_model(sine: np.ndarray) -> None:
    splits = split_windows([sine], None, input_size=40, horizon=10, val_fraction=0.2)
    assert splits.val is not None
    cfg = make_config("nhits", input_size=40, horizon=10)
    tc = TrainConfig(max_steps=30, val_check_steps=10, progress=False)
    space = {"learning_rate": ("log", 1e-4, 1e-2), "mlp_units": ("choice", [8, 16])}
    a = tune(cfg, tc, splits.train, splits.val, n_trials=3, seed=1, space=space)
    b = tune(cfg, tc, splits.train, splits.val, n_trials=3, seed=1, space=space)
    assert [t["params"] for t in a.trials] == [t["params"] for t in b.trials]
    assert a.best_value == min(t["value"] for t in a.trials)
    assert a.config.mlp_units == a.best_params["mlp_units"]  # type: ignore[attr-defined]
    assert a.train_config.learning_rate == a.best_params["learning_rate"]
    # the returned model is the best trial's, restored to its best validation weights
    assert Trainer(tc).evaluate_loss(a.model, splits.val) == pytest.approx(a.best_value)
