"""The optimisation service: load bars, build the search space, run the search, report.

The CLI's ``optimize`` command (and, later, the MCP tool) calls :func:`run_optimization`;
every score in its result was computed by the vectorized engine and the analytics package
(:mod:`neural_trader.optimize`). Bars are loaded exactly as the ``backtest`` command loads
them (:func:`neural_trader.services.research.load_bars`), so a configuration's score here
equals that command's number for the same range, costs and fill.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from neural_trader.core.errors import (
    DataValidationError,
    InvalidArgumentError,
    NotSupportedError,
)
from neural_trader.data.catalog import Catalog
from neural_trader.optimize.result import OptimizationResult, finite_or_none

__all__ = ["RangeSearch", "ranges_to_grid", "run_optimization", "search_ranges"]

Method = Literal["grid", "bayes"]
Backend = Literal["local", "ray"]
WalkMode = Literal["rolling", "anchored"]
Fill = Literal["open", "close"]


def run_optimization(
    strategy: str,
    *,
    symbol: str | None = None,
    data_file: str | Path | None = None,
    spec: str | None = None,
    start: str | int | None = None,
    end: str | int | None = None,
    grid: list[str] | None = None,
    method: Method = "grid",
    trials: int = 100,
    walk_forward: int | None = None,
    walk_mode: WalkMode = "rolling",
    metric: str = "sharpe",
    backend: Backend = "local",
    address: str | None = None,
    workers: int | None = None,
    seed: int = 42,
    cash: float = 10_000.0,
    fees: float = 0.001,
    slippage: float = 0.0,
    fill: Fill = "open",
    top: int = 10,
    progress: bool = False,
    periods_per_year: float | None = None,
    catalog: Catalog | str | Path | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> OptimizationResult:
    """Search ``strategy``'s parameters on one symbol and rank the configurations by ``metric``.

    ``grid``: ``--grid`` specs (``fast=5:50:5``, ``mode=a,b``); none means each declared
    parameter's default grid. ``method="bayes"`` runs ``trials`` TPE trials (seeded by
    ``seed``) over the same space. ``walk_forward=N`` runs N walk-forward folds
    (``walk_mode``); the top-level ``best_params`` and ``top`` are then those of the last
    fold's in-sample search and the folds are in ``walk_forward``; ``evaluated`` and
    ``dropped_invalid`` then add up every fold's search. ``backend="ray"`` sends the grid's
    chunks to a Ray cluster (``address``); the Bayesian search refuses it (its trials run one
    after another, each depending on the previous ones).

    ``on_progress(done, total)`` is called after each grid chunk or Bayesian trial (not per
    walk-forward fold), in the calling thread, so a front can report progress; a
    ``KeyboardInterrupt`` raised from it stops the search the way Ctrl-C does (the finished
    part is returned with ``interrupted=True``).
    """
    from neural_trader.backtest import BacktestConfig
    from neural_trader.data.frequency import infer_periods_per_year
    from neural_trader.optimize import (
        SearchOutcome,
        get_objective,
        grid_search,
        parse_grid,
        validate_combinations,
    )
    from neural_trader.optimize.grid import ChunkJob, describe
    from neural_trader.optimize.result import TopEntry, finite_or_none
    from neural_trader.optimize.space import MAX_COMBINATIONS
    from neural_trader.services.research import load_bars
    from neural_trader.strategies import StrategyData, get_strategy

    get_objective(metric)
    if method not in ("grid", "bayes"):
        raise InvalidArgumentError(f"method must be grid or bayes, got {method!r}")
    if backend not in ("local", "ray"):
        raise InvalidArgumentError(f"backend must be local or ray, got {backend!r}")
    if method == "bayes" and backend == "ray":
        raise NotSupportedError(
            "the Bayesian search runs trial after trial in this process (each trial depends on "
            "the ones before); --backend ray distributes grid searches only",
            hint="use --method grid with --backend ray, or --method bayes locally",
        )
    if top < 1:
        raise InvalidArgumentError(f"top must be >= 1, got {top}")
    if seed < 0:
        raise InvalidArgumentError(f"seed must be >= 0, got {seed}")
    strategy_cls = get_strategy(strategy)
    # Bayesian search samples the dimensions and never enumerates their product.
    space = parse_grid(
        strategy_cls, grid, max_combinations=None if method == "bayes" else MAX_COMBINATIONS
    )
    name, spec_str, frame = load_bars(
        symbol=symbol, data_file=data_file, spec=spec, start=start, end=end, catalog=catalog
    )
    if len(frame) < 2:
        raise DataValidationError(
            f"{len(frame)} bar(s) of {name} in the requested range; a search needs at least 2",
            hint="widen --start/--end or import more data",
        )
    data = StrategyData.from_frame(frame, name)
    ppy = periods_per_year or infer_periods_per_year(data.ts_event, spec_str)
    config = BacktestConfig(cash=cash, fee_rate=fees, slippage=slippage, fill=fill)
    notes: list[str] = []
    walk = None
    if walk_forward is not None:
        from neural_trader.optimize import walk_forward as run_walk_forward

        wf = run_walk_forward(
            strategy_cls,
            data,
            space,
            folds=walk_forward,
            config=config,
            periods_per_year=ppy,
            metric=metric,
            mode=walk_mode,
            method=method,
            trials=trials,
            seed=seed,
            workers=workers,
            backend=backend,
            address=address,
            progress=progress,
        )
        walk = wf.result
        outcomes = wf.outcomes
        interrupted = wf.interrupted
        if not outcomes:
            raise InvalidArgumentError("the walk-forward was interrupted before its first fold")
        last = outcomes[-1]
        # The last fold's IS window: the bars the reported top-N were scored on.
        last_fold = walk.folds[-1]
        scored_on = StrategyData.from_frame(
            frame.iloc[last_fold.train_start : last_fold.train_end], name
        )
        evaluated = sum(len(o.evaluations) for o in outcomes)
        dropped = sum(o.dropped_invalid for o in outcomes)
        if interrupted:
            notes.append(
                f"interrupted: {len(walk.folds)} of {walk_forward} fold(s) completed; "
                "the interrupted fold is not reported"
            )
    else:
        if method == "grid":
            valid = validate_combinations(strategy_cls, space)
            last = grid_search(
                strategy_cls,
                data,
                valid.combos,
                config=config,
                metric=metric,
                periods_per_year=ppy,
                workers=workers,
                backend=backend,
                address=address,
                progress=progress,
                on_chunk=on_progress,
                dropped_invalid=valid.dropped,
            )
            if valid.example is not None:
                notes.append(
                    f"{valid.dropped} of {space.size} combination(s) refused by the strategy, "
                    f"e.g. {valid.example}"
                )
        else:
            from neural_trader.optimize import bayes_search

            last = bayes_search(
                strategy_cls,
                data,
                space,
                config=config,
                metric=metric,
                periods_per_year=ppy,
                trials=trials,
                seed=seed,
                progress=progress,
                on_trial=on_progress,
            )
        scored_on = data
        evaluated = len(last.evaluations)
        dropped = last.dropped_invalid
        interrupted = last.interrupted
        notes.extend(last.notes)
    assert isinstance(last, SearchOutcome)
    ranked = last.ranked()[:top]
    job = ChunkJob(strategy_cls, scored_on, config, metric, ppy)
    details = describe(job, ranked)
    entries = [
        TopEntry(
            params=e.params,
            score=finite_or_none(e.score),
            final_equity=e.final_equity,
            total_return=e.total_return,
            trades=e.trades,
            sharpe=finite_or_none(d["sharpe"]),
            max_drawdown=finite_or_none(d["max_drawdown"]),
        )
        for e, d in zip(ranked, details, strict=True)
    ]
    best = ranked[0] if ranked else None
    return OptimizationResult(
        strategy=strategy,
        symbol=name,
        spec=spec_str,
        bars=len(data),
        periods_per_year=ppy,
        metric=metric,
        method=method,
        backend=backend,
        seed=seed if method == "bayes" else None,
        combinations=space.size,
        evaluated=evaluated,
        dropped_invalid=dropped,
        interrupted=interrupted,
        best_params=dict(best.params) if best else None,
        best_score=finite_or_none(best.score) if best else None,
        top=entries,
        walk_forward=walk,
        notes=notes,
    )


# -- search within an evaluation budget (agents' optimize_strategy) ---------------------------


class RangeSearch(BaseModel):
    """A search over ``{name: {min, max[, step]} | {values: [...]}}`` ranges within a budget.

    ``method`` is ``grid`` when every combination fits in the budget (the search is then
    exhaustive), else ``bayes`` with the budget as its trial count. ``default_score`` is the
    objective of the strategy's default parameters on the same bars, costs and fill, so
    ``improvement_pct`` compares two numbers computed the same way.
    """

    result: OptimizationResult
    grid: list[str] = Field(description="the ranges as grid specs (name=low:high:step, a,b,c)")
    combinations: int
    budget: int
    default_params: dict[str, Any]
    default_score: float | None
    improvement_pct: float | None = Field(
        description="(best - default) / |default| x 100; None when either is undefined or the "
        "default scores 0"
    )


def ranges_to_grid(strategy: str, ranges: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """``{"fast": {"min": 5, "max": 50, "step": 5}}`` -> ``["fast=5:50:5"]``.

    Without ``step`` an integer parameter steps by its declared step; a float parameter needs
    one unless it declares its own. ``{"values": [..]}`` (or ``choices``) lists the values.
    """
    from neural_trader.strategies import get_strategy

    declared = get_strategy(strategy).parameters()
    specs: list[str] = []
    for name, rng in ranges.items():
        if name not in declared:
            raise InvalidArgumentError(
                f"parameter_ranges: {strategy} has no parameter {name!r}; "
                f"its parameters are {', '.join(declared)}"
            )
        values = rng.get("values", rng.get("choices"))
        if values is not None:
            if not isinstance(values, list | tuple) or not values:
                raise InvalidArgumentError(f"parameter_ranges.{name}.values must be a list")
            specs.append(f"{name}={','.join(str(v) for v in values)}")
            continue
        if "min" not in rng or "max" not in rng:
            raise InvalidArgumentError(
                f"parameter_ranges.{name} needs min and max (and optionally step), or values"
            )
        parts = [str(rng["min"]), str(rng["max"])]
        if rng.get("step") is not None:
            parts.append(str(rng["step"]))
        specs.append(f"{name}={':'.join(parts)}")
    if not specs:
        raise InvalidArgumentError("parameter_ranges is empty; give at least one parameter")
    return specs


def search_ranges(
    strategy: str,
    *,
    symbol: str,
    ranges: Mapping[str, Mapping[str, Any]],
    max_evaluations: int = 1000,
    metric: str = "sharpe",
    start: str | None = None,
    end: str | None = None,
    cash: float = 10_000.0,
    fees: float = 0.001,
    seed: int = 42,
    top: int = 10,
    catalog: Catalog | str | Path | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> RangeSearch:
    """Optimise ``strategy`` on ``symbol`` over ``ranges`` with at most ``max_evaluations``
    backtests (see :class:`RangeSearch`). Runs in this process (``workers=1``): callers such
    as the MCP server run it in a worker thread and must not fork from there."""
    from neural_trader.optimize import parse_grid
    from neural_trader.services.research import run_backtest
    from neural_trader.strategies import get_strategy

    if max_evaluations < 1:
        raise InvalidArgumentError(f"max_evaluations must be >= 1, got {max_evaluations}")
    grid = ranges_to_grid(strategy, ranges)
    size = parse_grid(get_strategy(strategy), grid, max_combinations=None).size
    method: Method = "grid" if size <= max_evaluations else "bayes"
    result = run_optimization(
        strategy,
        symbol=symbol,
        start=start,
        end=end,
        grid=grid,
        method=method,
        trials=max_evaluations,
        metric=metric,
        workers=1,
        seed=seed,
        cash=cash,
        fees=fees,
        top=top,
        catalog=catalog,
        on_progress=on_progress,
    )
    default = run_backtest(
        strategy, symbol=symbol, start=start, end=end, cash=cash, fees=fees, catalog=catalog
    )
    raw = default.metrics.get(metric)
    default_score = finite_or_none(float(raw)) if isinstance(raw, int | float) else None
    best = result.best_score
    improvement = None
    if best is not None and default_score is not None and default_score != 0.0:
        improvement = (best - default_score) / abs(default_score) * 100.0
    return RangeSearch(
        result=result,
        grid=grid,
        combinations=size,
        budget=max_evaluations,
        default_params=default.params,
        default_score=default_score,
        improvement_pct=improvement,
    )
