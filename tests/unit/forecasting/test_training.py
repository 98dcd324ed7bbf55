"""The training loop: it learns, it is reproducible, it stops early and keeps the best."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.forecasting.configs import TrainConfig, make_config
from neural_trader.forecasting.datasets import WindowBatch, WindowSet, split_windows

torch = pytest.importorskip("torch", reason="the optional extra 'forecast' (torch) is absent")

from neural_trader.forecasting.evaluation import evaluate_predictor  # noqa: E402
from neural_trader.forecasting.models import build_model  # noqa: E402
from neural_trader.forecasting.predictor import Forecaster  # noqa: E402
from neural_trader.forecasting.training import Trainer  # noqa: E402

SMALL: dict[str, dict[str, Any]] = {
    "nhits": {"mlp_units": 32},
    "lstm": {"hidden_size": 16, "num_layers": 1},
    "transformer": {"d_model": 16, "n_heads": 2, "n_layers": 1, "ff_size": 32, "patch_len": 4},
}


def _fit(kind: str, series: np.ndarray, steps: int, seed: int = 0, **train: Any) -> Any:
    cfg = make_config(kind, input_size=40, horizon=10, **SMALL[kind])
    splits = split_windows(
        [series], None, input_size=40, horizon=10, val_fraction=0.2, test_fraction=0.2
    )
    model = build_model(cfg, seed=seed)
    tc = TrainConfig(
        max_steps=steps,
        batch_size=32,
        learning_rate=3e-3,
        val_check_steps=50,
        seed=seed,
        progress=False,
        **train,
    )
    result = Trainer(tc).fit(model, splits.train, splits.val)
    return model, result, splits


@pytest.mark.parametrize("kind", list(SMALL))
def test_a_small_model_learns_a_sine_far_better_than_naive(kind: str, sine: np.ndarray) -> None:
    model, result, splits = _fit(kind, sine, steps=200)
    ev = evaluate_predictor(Forecaster(model).predict, splits.test, season_length=20)
    naive = ev.baselines["naive"]["mae"]
    # measured: NHITS 0.051, LSTM 0.059, Transformer 0.054 against naive 0.88 (noise sd 0.05)
    assert ev.model["mae"] < 0.15 * naive
    assert result.steps == 200
    assert result.best_val_loss is not None


def test_same_seed_same_weights_other_seed_other_weights(sine: np.ndarray) -> None:
    a, ra, splits = _fit("nhits", sine, steps=60, seed=4)
    b, rb, _ = _fit("nhits", sine, steps=60, seed=4)
    c, _, _ = _fit("nhits", sine, steps=60, seed=5)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)
    assert ra.history == rb.history
    y_in, _, _ = splits.test.arrays()
    assert np.array_equal(Forecaster(a).predict(y_in).point, Forecaster(b).predict(y_in).point)


def _noise_splits() -> tuple[WindowSet, WindowSet]:
    """Few windows of white noise: a large model can only memorise them, so the validation
    loss must rise after its first checks."""
    rng = np.random.default_rng(11)
    noise = 100.0 + rng.normal(size=400)
    train = WindowSet.from_ranges([noise], None, input_size=20, horizon=5, ranges=[(0, 60)])
    val = WindowSet.from_ranges([noise], None, input_size=20, horizon=5, ranges=[(60, 400)])
    return train, val


def test_early_stopping_restores_the_best_weights() -> None:
    train, val = _noise_splits()
    cfg = make_config("nhits", input_size=20, horizon=5, mlp_units=128)
    model = build_model(cfg, seed=0)
    trainer = Trainer(
        TrainConfig(
            max_steps=600,
            batch_size=16,
            learning_rate=3e-3,
            val_check_steps=10,
            patience=3,
            lr_decays=0,
            progress=False,
        )
    )
    result = trainer.fit(model, train, val)
    assert result.stopped_early
    assert result.best_step is not None
    assert result.best_step < result.steps
    val_losses = [h["val_loss"] for h in result.history]
    assert result.best_val_loss == min(val_losses)
    assert val_losses[-1] > result.best_val_loss
    # the model now holds the best check's weights, not the last step's
    assert trainer.evaluate_loss(model, val) == pytest.approx(result.best_val_loss, rel=1e-6)


class _Interrupting(WindowSet):
    """A training set whose ``stop_at``-th batch raises KeyboardInterrupt (Ctrl-C)."""

    stop_at = 45
    calls = 0

    def batch(self, idx: Any) -> WindowBatch:
        self.calls += 1
        if self.calls == self.stop_at:
            raise KeyboardInterrupt
        return super().batch(idx)


def test_ctrl_c_stops_cleanly_and_keeps_the_best_weights(sine: np.ndarray) -> None:
    train = _Interrupting.from_ranges([sine], None, input_size=40, horizon=10, ranges=[(0, 400)])
    val = WindowSet.from_ranges([sine], None, input_size=40, horizon=10, ranges=[(400, 600)])
    model = build_model(make_config("nhits", input_size=40, horizon=10, mlp_units=16), seed=0)
    trainer = Trainer(TrainConfig(max_steps=500, val_check_steps=10, progress=False))
    result = trainer.fit(model, train, val)
    assert result.interrupted
    assert result.steps == 45
    assert result.best_step is not None
    assert result.best_step <= 40
    assert trainer.evaluate_loss(model, val) == pytest.approx(result.best_val_loss, rel=1e-6)
    assert not model.training


def _stopping_at(step_to_stop: int, exc: BaseException, seen: list[tuple[int, int]]) -> Any:
    def on_step(step: int, max_steps: int) -> None:
        seen.append((step, max_steps))
        if step == step_to_stop:
            raise exc

    return on_step


def test_on_step_reports_every_step_and_ctrl_c_from_it_keeps_the_best(sine: np.ndarray) -> None:
    train = WindowSet.from_ranges([sine], None, input_size=40, horizon=10, ranges=[(0, 400)])
    val = WindowSet.from_ranges([sine], None, input_size=40, horizon=10, ranges=[(400, 600)])
    model = build_model(make_config("nhits", input_size=40, horizon=10, mlp_units=16), seed=0)
    seen: list[tuple[int, int]] = []
    cfg = TrainConfig(max_steps=500, val_check_steps=10, progress=False)
    trainer = Trainer(cfg, on_step=_stopping_at(25, KeyboardInterrupt(), seen))
    result = trainer.fit(model, train, val)
    assert seen == [(s, 500) for s in range(1, 26)]
    assert result.interrupted
    assert result.steps == 25
    assert result.best_step is not None
    assert trainer.evaluate_loss(model, val) == pytest.approx(result.best_val_loss, rel=1e-6)


def test_a_cancel_by_the_caller_propagates_out_of_fit(sine: np.ndarray) -> None:
    from neural_trader.core.cancel import CancelledByCaller

    train = WindowSet.from_ranges([sine], None, input_size=40, horizon=10, ranges=[(0, 400)])
    model = build_model(make_config("nhits", input_size=40, horizon=10, mlp_units=16), seed=0)
    seen: list[tuple[int, int]] = []
    cfg = TrainConfig(max_steps=500, val_check_steps=10, progress=False)
    trainer = Trainer(cfg, on_step=_stopping_at(5, CancelledByCaller("gone"), seen))
    with pytest.raises(CancelledByCaller):
        trainer.fit(model, train)
    assert len(seen) == 5


def test_time_limit_stops_after_a_last_validation_check(sine: np.ndarray) -> None:
    train = WindowSet.from_ranges([sine], None, input_size=40, horizon=10, ranges=[(0, 400)])
    val = WindowSet.from_ranges([sine], None, input_size=40, horizon=10, ranges=[(400, 600)])
    model = build_model(make_config("nhits", input_size=40, horizon=10, mlp_units=16), seed=0)
    # Any step outlasts a nanosecond: the run validates after step 1 and stops there.
    tc = TrainConfig(max_steps=500, val_check_steps=50, time_limit=1e-9, progress=False)
    result = Trainer(tc).fit(model, train, val)
    assert result.timed_out
    assert not result.stopped_early
    assert result.steps == 1
    assert result.best_step == 1
    assert len(result.history) == 1
    with pytest.raises(InvalidArgumentError, match="time_limit"):
        TrainConfig(time_limit=0.0)


def test_bf16_autocast_on_cpu_trains(sine: np.ndarray) -> None:
    _, result, _ = _fit("nhits", sine, steps=20, precision="bf16")
    assert result.precision == "bf16"
    assert np.isfinite(result.last_train_loss)
    with pytest.raises(InvalidArgumentError, match="fp16"):
        _fit("nhits", sine, steps=5, precision="fp16", device="cpu")


def test_many_series_train_in_one_model(sine: np.ndarray) -> None:
    """Two assets at very different price levels in one batch: per-window scaling lets one
    model serve both (its error relative to each level is similar)."""
    cheap, dear = sine, 1000.0 * sine
    splits = split_windows(
        [cheap, dear], None, input_size=40, horizon=10, val_fraction=0.2, test_fraction=0.2
    )
    assert splits.train.n_series == 2
    model = build_model(make_config("nhits", input_size=40, horizon=10, mlp_units=32), seed=0)
    Trainer(TrainConfig(max_steps=150, learning_rate=3e-3, progress=False)).fit(
        model, splits.train, splits.val
    )
    assert splits.test is not None
    y_in, _, y_out = splits.test.arrays()
    fc = Forecaster(model).predict(y_in)
    err = np.abs(fc.point - y_out).mean(axis=1) / y_in.mean(axis=1)
    first = splits.test.series_index == 0
    assert err[first].mean() == pytest.approx(err[~first].mean(), rel=0.05)
    assert err.mean() < 0.02


def test_trainer_refuses_mismatched_windows(sine: np.ndarray) -> None:
    model = build_model(make_config("nhits", input_size=30, horizon=10, mlp_units=8), seed=0)
    ws = WindowSet.from_ranges([sine], None, input_size=40, horizon=10, ranges=[(0, 600)])
    with pytest.raises(InvalidArgumentError, match="40 -> 10"):
        Trainer(TrainConfig(max_steps=1, progress=False)).fit(model, ws)


def test_rolling_origin_cv_refits_a_model_per_fold(sine: np.ndarray) -> None:
    from neural_trader.forecasting.evaluation import rolling_origin_cv, trainer_fit

    cfg = make_config("nhits", input_size=40, horizon=10, mlp_units=16)
    fit = trainer_fit(cfg, TrainConfig(max_steps=80, learning_rate=3e-3, progress=False))
    cv = rolling_origin_cv(
        sine, input_size=40, horizon=10, n_folds=2, step=20, fit=fit, season_length=20
    )
    assert [f.evaluation.n_windows for f in cv.folds] == [20, 20]
    assert cv.overall.model["mae"] < 0.3 * cv.overall.baselines["naive"]["mae"]
