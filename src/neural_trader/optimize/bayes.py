"""Bayesian search: Optuna's TPE sampler proposes configurations, the engine scores them.

For spaces too large to enumerate, TPE concentrates trials where past scores were good. The
sampler takes a seed, so the same seed, space and data give the same trials in the same
order. Numeric ranges are given to Optuna as ordered int/float distributions on the range's
step (so TPE can exploit "near 20 was good"), lists as categorical choices.

Each trial is one configuration scored exactly like a grid column
(:func:`~neural_trader.optimize.grid.evaluate_chunk`). A configuration the strategy refuses
(``fast >= slow``) is pruned and counted in ``dropped_invalid``; a configuration TPE proposes
again is answered from a cache, not re-run, and counted once in ``evaluated``. Undefined
scores (NaN) are reported as NaN but told to Optuna as ``-inf`` so that TPE treats them as the
worst outcome instead of discarding the trial as failed.

Optuna is the optional extra ``optimize``; it is imported only here, when a Bayesian search
runs, and its INFO logging (one line per trial) is silenced for the duration.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from neural_trader.backtest import BacktestConfig
from neural_trader.core.errors import InvalidArgumentError, MissingDependencyError
from neural_trader.optimize.grid import (
    ChunkJob,
    Evaluation,
    SearchOutcome,
    evaluate_chunk,
    progress_bar,
)
from neural_trader.optimize.objectives import get_objective
from neural_trader.optimize.space import Dimension, SearchSpace
from neural_trader.strategies.base import Strategy, StrategyData

__all__ = ["bayes_search", "import_optuna"]


def import_optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise MissingDependencyError("optuna", "optimize", "Bayesian search") from None
    return optuna


def _suggest(trial: Any, strategy_cls: type[Strategy], dim: Dimension) -> Any:
    param = strategy_cls.parameters()[dim.name]
    if len(dim.values) == 1:
        return dim.values[0]
    low, high, step = dim.low, dim.high, dim.step
    if low is None or high is None or step is None:
        return trial.suggest_categorical(dim.name, list(dim.values))
    if dim.kind == "int":
        return trial.suggest_int(dim.name, int(low), int(high), step=int(step))
    if dim.kind == "float":
        value = trial.suggest_float(dim.name, low, high, step=step)
        # Optuna's stepped floats carry binary residue (0.30000000000000004); snap like the grid.
        return param.parse(round(value, 12))
    return trial.suggest_categorical(dim.name, list(dim.values))


def bayes_search(
    strategy_cls: type[Strategy],
    data: StrategyData,
    space: SearchSpace,
    *,
    config: BacktestConfig,
    metric: str = "sharpe",
    periods_per_year: float,
    trials: int = 100,
    seed: int = 42,
    progress: bool = False,
    on_trial: Callable[[int, int], None] | None = None,
) -> SearchOutcome:
    """Run ``trials`` TPE trials over ``space``; evaluations come back in trial order.

    ``on_trial(done, total)`` is called after each trial. Ctrl-C ends the study early and
    returns the trials that finished with ``interrupted=True``.
    """
    optuna = import_optuna()
    get_objective(metric)
    if trials < 1:
        raise InvalidArgumentError(f"trials must be >= 1, got {trials}")
    job = ChunkJob(strategy_cls, data, config, metric, float(periods_per_year))
    cache: dict[tuple[tuple[str, Any], ...], Evaluation | None] = {}
    evaluations: list[Evaluation] = []
    dropped = 0

    def objective(trial: Any) -> float:
        nonlocal dropped
        params = {dim.name: _suggest(trial, strategy_cls, dim) for dim in space.dimensions}
        key = tuple(params.items())
        if key not in cache:
            try:
                strategy_cls(**params)
            except InvalidArgumentError:
                cache[key] = None
            else:
                result = evaluate_chunk(job, [params])[0]
                cache[key] = result
                evaluations.append(result)
        found = cache[key]
        if found is None:
            dropped += 1
            raise optuna.TrialPruned(f"the strategy refuses {params}")
        return found.score if not math.isnan(found.score) else -math.inf

    bar, task = progress_bar(trials, f"{strategy_cls.name} (TPE)") if progress else (None, None)

    def after_trial(study: Any, trial: Any) -> None:
        done = len(study.trials)
        if bar is not None:
            bar.update(task, completed=done)
        if on_trial is not None:
            on_trial(done, trials)

    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    interrupted = False
    try:
        if bar is not None:
            bar.start()
        study = optuna.create_study(
            direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed)
        )
        study.optimize(objective, n_trials=trials, callbacks=[after_trial], catch=())
    except KeyboardInterrupt:
        interrupted = True
    finally:
        optuna.logging.set_verbosity(verbosity)
        if bar is not None:
            bar.stop()
    notes = []
    if interrupted:
        notes.append(f"interrupted after {len(evaluations)} evaluated configuration(s)")
    return SearchOutcome(
        evaluations=evaluations,
        combinations=space.size,
        dropped_invalid=dropped,
        interrupted=interrupted,
        notes=notes,
    )
