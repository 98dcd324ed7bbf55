"""Walk-forward analysis: optimise in-sample, trade the winner out-of-sample, repeat.

The bars are cut into ``folds`` consecutive test windows of equal length, each preceded by its
training (in-sample, IS) window: of fixed length and sliding with the tests (``rolling``), or
always starting at the first bar and growing (``anchored``). For each fold the search (grid or
TPE) sees ONLY the IS bars ``[train_start, train_end)``, so nothing after the IS window can
influence the parameters chosen for it; the tests change bars after a window and check that
its choice does not move.

The winner is then run out-of-sample (OOS) on its test window ``[test_start, test_end)``. An
indicator needs history: a 50-bar average started at ``test_start`` would give no signal for
50 bars and the fold would measure mostly a flat account. The OOS run therefore starts
``warmup`` bars earlier (the strategy's own :attr:`~Strategy.warmup`, clipped at bar 0) on
``data[test_start - warmup : test_end]``, but its targets over those warm-up bars are forced
to 0: the account enters the test window flat, with the starting cash, and only bars from
``test_start`` on are counted. Reading bars before ``test_start`` is not look-ahead; they are
the past of the test window (and part of the IS window).

Each fold's OOS account starts from the same cash; the stitched OOS curve chains the folds'
returns (``cash * prod(1 + r)`` over every OOS bar in order), i.e. what compounding the whole
walk would have earned. Its summary is the honest estimate of the method's performance; the
IS numbers beside it show how much of the in-sample score was fitting noise.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from neural_trader.analytics import summarize
from neural_trader.analytics.metrics import MetricWarning, returns_from_equity
from neural_trader.backtest import BacktestConfig, VectorResult, run_vector, run_vector_targets
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.optimize.grid import SearchOutcome, grid_search
from neural_trader.optimize.objectives import get_objective, score_equity, score_trades
from neural_trader.optimize.result import (
    FoldResult,
    WalkForwardResult,
    WalkMode,
    finite_or_none,
)
from neural_trader.optimize.space import SearchSpace, validate_combinations
from neural_trader.strategies.base import Strategy, StrategyData

__all__ = [
    "DEFAULT_TRAIN_FRACTION",
    "Fold",
    "OutOfSampleRun",
    "WalkForward",
    "make_folds",
    "run_out_of_sample",
    "shift_trades",
    "slice_data",
    "stitch_equity",
    "walk_forward",
]

DEFAULT_TRAIN_FRACTION = 0.7
FloatArray = npt.NDArray[np.float64]
_METRIC_KEYS = (
    "final_equity",
    "total_return",
    "cagr",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown",
    "trades",
    "win_rate",
    "profit_factor",
    "exposure",
)


@dataclass(frozen=True)
class Fold:
    """Bar indices of one fold; ends are exclusive."""

    index: int
    train_start: int
    train_end: int
    test_start: int
    test_end: int


def make_folds(
    n_bars: int,
    folds: int,
    *,
    mode: WalkMode = "rolling",
    train_fraction: float | None = None,
    train_bars: int | None = None,
    test_bars: int | None = None,
) -> list[Fold]:
    """Split ``n_bars`` into ``folds`` IS/OOS pairs whose test windows tile the end of the data.

    With bar counts: ``train_bars`` and/or ``test_bars`` (a missing one takes the rest). With
    ``train_fraction`` f (default 0.7): every window pair has f of its bars in-sample, so
    ``train = f / (1 - f) * test`` and ``train + folds * test = n_bars``. Bars left over by
    rounding are dropped from the start (the most recent bars are always tested).
    """
    if folds < 1:
        raise InvalidArgumentError(f"walk-forward needs at least 1 fold, got {folds}")
    if mode not in ("rolling", "anchored"):
        raise InvalidArgumentError(f"walk mode must be rolling or anchored, got {mode!r}")
    if train_bars is None and test_bars is None:
        f = DEFAULT_TRAIN_FRACTION if train_fraction is None else float(train_fraction)
        if not 0 < f < 1:
            raise InvalidArgumentError(f"train_fraction={f} must be in (0, 1)")
        test = math.floor(n_bars * (1 - f) / (folds * (1 - f) + f))
        train = n_bars - folds * test
    elif train_fraction is not None:
        raise InvalidArgumentError("give train_fraction or train/test bar counts, not both")
    else:
        if test_bars is None:
            assert train_bars is not None
            test = (n_bars - train_bars) // folds
            train = train_bars
        elif train_bars is None:
            test = test_bars
            train = n_bars - folds * test_bars
        else:
            train, test = train_bars, test_bars
    if train < 2 or test < 2 or train + folds * test > n_bars:
        raise InvalidArgumentError(
            f"{n_bars} bars cannot hold {folds} fold(s) of train={train}, test={test} bars "
            "(each needs at least 2)",
            hint="use fewer folds, a longer range, or smaller windows",
        )
    offset = n_bars - (train + folds * test)
    out = []
    for i in range(folds):
        test_start = offset + train + i * test
        train_start = offset + i * test if mode == "rolling" else 0
        out.append(Fold(i, train_start, test_start, test_start, test_start + test))
    return out


def slice_data(data: StrategyData, start: int, stop: int) -> StrategyData:
    """Bars ``[start, stop)`` (views) with their feeds."""
    return StrategyData(
        symbol=data.symbol,
        ts_event=data.ts_event[start:stop],
        open=data.open[start:stop],
        high=data.high[start:stop],
        low=data.low[start:stop],
        close=data.close[start:stop],
        volume=data.volume[start:stop],
        feeds={k: v[start:stop] for k, v in data.feeds.items()},
    )


@dataclass(frozen=True, eq=False)
class OutOfSampleRun:
    """An OOS run and the counted part of it: ``equity``/``position`` from ``test_start``."""

    result: VectorResult
    warmup: int
    equity: FloatArray
    position: FloatArray


def _config_for(strategy: Strategy, config: BacktestConfig) -> BacktestConfig:
    if config.long_only is None:
        return config.model_copy(update={"long_only": type(strategy).long_only})
    return config


def run_out_of_sample(
    strategy: Strategy,
    data: StrategyData,
    test_start: int,
    test_end: int,
    config: BacktestConfig,
) -> OutOfSampleRun:
    """Run ``strategy`` on ``[test_start, test_end)`` with ``strategy.warmup`` bars of history
    before it, held flat (targets 0) so that the counted part starts flat at the cash."""
    if not 0 <= test_start < test_end <= len(data):
        raise InvalidArgumentError(f"bad test window [{test_start}, {test_end})")
    warmup = min(max(0, strategy.warmup), test_start)
    window = slice_data(data, test_start - warmup, test_end)
    targets = np.array(strategy.signals(window), dtype=np.float64)
    targets[:warmup] = 0.0
    values = strategy.p.as_dict()
    result = run_vector_targets(
        targets,
        window,
        _config_for(strategy, config),
        stop_loss=values.get("stop_loss"),
        take_profit=values.get("take_profit"),
    )
    return OutOfSampleRun(
        result=result,
        warmup=warmup,
        equity=np.asarray(result.equity[warmup:], dtype=np.float64),
        position=np.asarray(result.position[warmup:], dtype=np.float64),
    )


def stitch_equity(curves: Sequence[FloatArray], cash: float) -> FloatArray:
    """Chain fold curves that each start from ``cash``: ``cash * cumprod(1 + r)``."""
    if not curves:
        return np.empty(0, dtype=np.float64)
    returns = np.concatenate([returns_from_equity(np.concatenate(([cash], c))) for c in curves])
    return np.asarray(cash * np.cumprod(1.0 + returns), dtype=np.float64)


def shift_trades(trades: npt.NDArray[Any], by: int) -> npt.NDArray[Any]:
    """Trade records with their bar indices moved by ``by`` (a copy).

    An OOS run's indices count from its first warm-up bar; the summaries index bars from the
    baseline (index 0 is the cash before the first counted bar), so a counted bar ``j`` is
    equity index ``j + 1``.
    """
    out = trades.copy()
    out["entry_idx"] += by
    out["exit_idx"] += by
    return out


def _metrics(
    equity: FloatArray, trades: Any, position: FloatArray, cash: float, ppy: float
) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetricWarning)
        summary = summarize(
            np.concatenate(([cash], equity)),
            periods_per_year=ppy,
            trades=trades,
            positions=np.concatenate(([0.0], position)),
        ).to_dict()
    return {k: summary[k] for k in _METRIC_KEYS}


def _score(metric: str, equity: FloatArray, trades: Any, cash: float, ppy: float) -> float:
    if get_objective(metric).needs_trades:
        return score_trades(metric, trades)
    return score_equity(metric, np.concatenate(([cash], equity)), periods_per_year=ppy)


@dataclass(frozen=True)
class WalkForward:
    """The report plus each fold's full in-sample search (for the top-N of the last fold)."""

    result: WalkForwardResult
    outcomes: list[SearchOutcome]
    interrupted: bool


def _label(ns: int) -> str:
    import pandas as pd

    return pd.Timestamp(int(ns), unit="ns", tz="UTC").isoformat()


def walk_forward(
    strategy_cls: type[Strategy],
    data: StrategyData,
    space: SearchSpace,
    *,
    folds: int,
    config: BacktestConfig,
    periods_per_year: float,
    metric: str = "sharpe",
    mode: WalkMode = "rolling",
    train_fraction: float | None = None,
    train_bars: int | None = None,
    test_bars: int | None = None,
    method: Literal["grid", "bayes"] = "grid",
    trials: int = 100,
    seed: int = 42,
    workers: int | None = None,
    backend: Literal["local", "ray"] = "local",
    address: str | None = None,
    progress: bool = False,
) -> WalkForward:
    """Optimise each fold in-sample, evaluate its winner out-of-sample, stitch the OOS curve.

    Ctrl-C during a fold's search stops the walk: the folds completed before it are reported
    with ``interrupted=True`` (a winner of a half-done search is not reported as a fold).
    """
    get_objective(metric)
    plan = make_folds(
        len(data),
        folds,
        mode=mode,
        train_fraction=train_fraction,
        train_bars=train_bars,
        test_bars=test_bars,
    )
    cash = config.cash
    valid = validate_combinations(strategy_cls, space) if method == "grid" else None
    fold_results: list[FoldResult] = []
    outcomes: list[SearchOutcome] = []
    oos_curves: list[FloatArray] = []
    oos_positions: list[FloatArray] = []
    oos_trades: list[Any] = []
    interrupted = False
    for fold in plan:
        is_data = slice_data(data, fold.train_start, fold.train_end)
        if valid is not None:
            outcome = grid_search(
                strategy_cls,
                is_data,
                valid.combos,
                config=config,
                metric=metric,
                periods_per_year=periods_per_year,
                workers=workers,
                backend=backend,
                address=address,
                progress=progress,
                dropped_invalid=valid.dropped,
            )
        else:
            from neural_trader.optimize.bayes import bayes_search

            outcome = bayes_search(
                strategy_cls,
                is_data,
                space,
                config=config,
                metric=metric,
                periods_per_year=periods_per_year,
                trials=trials,
                seed=seed,
                progress=progress,
            )
        best = outcome.best
        if outcome.interrupted or best is None:
            interrupted = outcome.interrupted
            if best is None and not interrupted:
                raise InvalidArgumentError(
                    f"fold {fold.index}: no valid configuration was evaluated in-sample"
                )
            break
        outcomes.append(outcome)
        strategy = strategy_cls(**best.params)
        # The IS numbers re-run the winner on the IS bars exactly as the search scored it.
        is_res = run_vector(strategy, is_data, config)
        oos = run_out_of_sample(strategy, data, fold.test_start, fold.test_end, config)
        oos_trades_fold = shift_trades(oos.result.trades, 1 - oos.warmup)
        oos_trades.append(shift_trades(oos_trades_fold, sum(len(c) for c in oos_curves)))
        oos_curves.append(oos.equity)
        oos_positions.append(oos.position)
        ts = data.ts_event
        fold_results.append(
            FoldResult(
                index=fold.index,
                train_start=fold.train_start,
                train_end=fold.train_end,
                test_start=fold.test_start,
                test_end=fold.test_end,
                train_first=_label(ts[fold.train_start]),
                train_last=_label(ts[fold.train_end - 1]),
                test_first=_label(ts[fold.test_start]),
                test_last=_label(ts[fold.test_end - 1]),
                oos_warmup=oos.warmup,
                params=dict(best.params),
                evaluated=len(outcome.evaluations),
                dropped_invalid=outcome.dropped_invalid,
                is_score=finite_or_none(best.score),
                oos_score=finite_or_none(
                    _score(metric, oos.equity, oos_trades_fold, cash, periods_per_year)
                ),
                is_metrics=_metrics(
                    is_res.equity,
                    shift_trades(is_res.trades, 1),
                    is_res.position,
                    cash,
                    periods_per_year,
                ),
                oos_metrics=_metrics(
                    oos.equity, oos_trades_fold, oos.position, cash, periods_per_year
                ),
            )
        )
    stitched = stitch_equity(oos_curves, cash)
    n_oos = len(stitched)
    oos_ts = (
        np.concatenate([data.ts_event[f.test_start : f.test_end] for f in plan[: len(oos_curves)]])
        if oos_curves
        else np.empty(0, dtype=np.int64)
    )
    trades_all = np.concatenate(oos_trades) if oos_trades else None
    positions_all = np.concatenate(oos_positions) if oos_positions else np.empty(0)
    if n_oos:
        oos_metrics = _metrics(stitched, trades_all, positions_all, cash, periods_per_year)
        oos_score = finite_or_none(_score(metric, stitched, trades_all, cash, periods_per_year))
    else:
        oos_metrics, oos_score = {}, None
    first = plan[0]
    report = WalkForwardResult(
        mode=mode,
        folds=fold_results,
        train_bars=first.train_end - first.train_start,
        test_bars=first.test_end - first.test_start,
        oos_ts=[int(t) for t in oos_ts],
        oos_equity=[float(v) for v in stitched],
        oos_score=oos_score,
        oos_metrics=oos_metrics,
    )
    return WalkForward(result=report, outcomes=outcomes, interrupted=interrupted)
