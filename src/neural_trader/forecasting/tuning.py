"""Hyperparameter search with Optuna (TPE), chosen on the validation split only.

A small space per model (learning rate, width, dropout): the search is for a sensible
configuration on the user's data, not a leaderboard run, and each trial is a full training.
Every trial trains with the same seed on the same windows, and the sampler is seeded, so the
same call gives the same trials. The objective is the best validation loss the trainer saw;
the test split (if any) is not touched, so test metrics reported afterwards stay honest.
The best trial's trained model is kept in memory and returned (no retraining).

Optuna is the ``optimize`` extra, imported only here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from neural_trader.core.cancel import CancelledByCaller
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.forecasting.configs import ModelConfig, TrainConfig
from neural_trader.forecasting.datasets import WindowSet
from neural_trader.forecasting.models import ForecastModel, build_model
from neural_trader.forecasting.training import Trainer, TrainResult

__all__ = ["DEFAULT_SPACES", "TuneResult", "tune"]

# name -> ("log", low, high) | ("float", low, high) | ("int", low, high) | ("choice", [...])
Space = Mapping[str, tuple[Any, ...]]

_COMMON: dict[str, tuple[Any, ...]] = {
    "learning_rate": ("log", 1e-4, 3e-3),
    "dropout": ("choice", [0.0, 0.1, 0.2]),
}
DEFAULT_SPACES: dict[str, dict[str, tuple[Any, ...]]] = {
    "nhits": {**_COMMON, "mlp_units": ("choice", [128, 256, 512])},
    "lstm": {**_COMMON, "hidden_size": ("choice", [32, 64, 128])},
    "transformer": {**_COMMON, "d_model": ("choice", [32, 64, 128])},
}
_TRAIN_PARAMS = {"learning_rate", "batch_size", "weight_decay"}


@dataclass
class TuneResult:
    best_params: dict[str, Any]
    best_value: float
    config: ModelConfig
    train_config: TrainConfig
    model: ForecastModel
    train_result: TrainResult
    trials: list[dict[str, Any]] = field(default_factory=list)
    interrupted: bool = False


def _suggest(trial: Any, name: str, spec: tuple[Any, ...]) -> Any:
    kind = spec[0]
    if kind == "log":
        return trial.suggest_float(name, float(spec[1]), float(spec[2]), log=True)
    if kind == "float":
        return trial.suggest_float(name, float(spec[1]), float(spec[2]))
    if kind == "int":
        return trial.suggest_int(name, int(spec[1]), int(spec[2]))
    if kind == "choice":
        return trial.suggest_categorical(name, list(spec[1]))
    raise InvalidArgumentError(f"unknown search dimension {kind!r} for {name}")


def tune(
    config: ModelConfig,
    train_config: TrainConfig,
    train: WindowSet,
    val: WindowSet,
    *,
    n_trials: int = 20,
    seed: int = 0,
    space: Space | None = None,
    on_step: Callable[[int, int], None] | None = None,
) -> TuneResult:
    """Search ``space`` (default :data:`DEFAULT_SPACES` for the model) by validation loss.

    ``on_step(done, total)`` counts training steps over all trials (``total`` = trials x
    ``max_steps``, so it only increases); a
    :class:`~neural_trader.core.cancel.CancelledByCaller` raised from it ends the search and
    propagates, where Ctrl-C keeps the best trial so far.
    """
    from neural_trader.optimize.bayes import import_optuna

    optuna = import_optuna()
    if n_trials < 1:
        raise InvalidArgumentError(f"trials must be >= 1, got {n_trials}")
    if len(val) == 0:
        raise InvalidArgumentError("tuning needs validation windows (a validation fraction > 0)")
    dims = dict(space if space is not None else DEFAULT_SPACES[config.kind])
    best: dict[str, Any] = {}
    log: list[dict[str, Any]] = []
    interrupted = False

    def objective(trial: Any) -> float:
        nonlocal interrupted
        params = {name: _suggest(trial, name, spec) for name, spec in dims.items()}
        model_params = {k: v for k, v in params.items() if k not in _TRAIN_PARAMS}
        train_params = {k: v for k, v in params.items() if k in _TRAIN_PARAMS}
        try:
            cfg = config.replace(**model_params)
            tcfg = train_config.replace(**train_params)
        except (InvalidArgumentError, TypeError) as exc:
            raise optuna.TrialPruned(str(exc)) from None
        model = build_model(cfg, seed=tcfg.seed)
        step_cb = None
        if on_step is not None:
            report, per_trial = on_step, train_config.max_steps
            offset = trial.number * per_trial

            def step_cb(step: int, _max_steps: int) -> None:
                report(offset + min(step, per_trial), n_trials * per_trial)

        trainer = Trainer(tcfg, on_step=step_cb)
        result = trainer.fit(model, train, val)
        value = (
            result.best_val_loss
            if result.best_val_loss is not None
            else trainer.evaluate_loss(model, val)
        )
        log.append({"number": trial.number, "params": params, "value": value})
        if math.isfinite(value) and value < best.get("value", math.inf):
            best.update(
                value=value, params=params, config=cfg, tcfg=tcfg, model=model, result=result
            )
        if result.interrupted:
            interrupted = True
            trial.study.stop()
        return value

    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.create_study(
            direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed)
        )
        study.optimize(objective, n_trials=n_trials, catch=())
    except CancelledByCaller:
        raise
    except KeyboardInterrupt:
        interrupted = True
    finally:
        optuna.logging.set_verbosity(verbosity)
    if not best:
        raise InvalidArgumentError("no tuning trial finished")
    return TuneResult(
        best_params=best["params"],
        best_value=best["value"],
        config=best["config"],
        train_config=best["tcfg"],
        model=best["model"],
        train_result=best["result"],
        trials=log,
        interrupted=interrupted,
    )
