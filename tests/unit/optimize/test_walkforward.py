"""Walk-forward: no look-ahead into a fold's choice, warm-up before the test window, stitching."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest

from neural_trader.analytics.metrics import returns_from_equity
from neural_trader.backtest import BacktestConfig
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.data.providers.synthetic import generate_bars
from neural_trader.optimize import (
    grid_search,
    make_folds,
    parse_grid,
    run_out_of_sample,
    stitch_equity,
    validate_combinations,
    walk_forward,
)
from neural_trader.optimize.walkforward import WalkForward, slice_data
from neural_trader.strategies import Strategy, StrategyData, get_strategy

PPY = 8760.0
CONFIG = BacktestConfig(fee_rate=0.001)
GRID = ["fast=5:25:5", "slow=20:60:10"]


@pytest.fixture(scope="module")
def sma() -> type[Strategy]:
    return get_strategy("sma_cross")


@pytest.fixture(scope="module")
def data() -> StrategyData:
    return StrategyData.from_frame(generate_bars(3_000, "1h", seed=31), "SYN")


def _walk(cls: type[Strategy], data: StrategyData, **kw: Any) -> WalkForward:
    return walk_forward(
        cls, data, parse_grid(cls, GRID), folds=3, config=CONFIG, periods_per_year=PPY,
        workers=1, **kw,
    )  # fmt: skip


def test_rolling_folds_tile_the_end_with_fixed_training_windows() -> None:
    folds = make_folds(1_000, 4, mode="rolling", train_fraction=0.6)
    test = folds[0].test_end - folds[0].test_start
    train = folds[0].train_end - folds[0].train_start
    assert folds[-1].test_end == 1_000
    for a, b in itertools.pairwise(folds):
        assert b.test_start == a.test_end  # consecutive, no overlap, no gap
    for f in folds:
        assert f.train_end == f.test_start
        assert f.train_end - f.train_start == train
        assert f.test_end - f.test_start == test
    assert train / (train + test) == pytest.approx(0.6, abs=0.02)


def test_anchored_folds_grow_from_the_first_bar() -> None:
    folds = make_folds(1_000, 3, mode="anchored", train_bars=400, test_bars=200)
    assert [f.train_start for f in folds] == [0, 0, 0]
    assert [(f.test_start, f.test_end) for f in folds] == [(400, 600), (600, 800), (800, 1000)]


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"train_bars": 900, "test_bars": 100}, "cannot hold"),
        ({"train_fraction": 1.2}, "in \\(0, 1\\)"),
        ({"train_fraction": 0.5, "test_bars": 10}, "not both"),
    ],
)
def test_impossible_fold_plans_are_refused(kw: dict[str, float], match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        make_folds(1_000, 2, **kw)  # type: ignore[arg-type]


def test_fold_choice_is_the_in_sample_grid_winner(sma: type[Strategy], data: StrategyData) -> None:
    wf = _walk(sma, data)
    combos = validate_combinations(sma, parse_grid(sma, GRID)).combos
    for fold in wf.result.folds:
        is_data = slice_data(data, fold.train_start, fold.train_end)
        ref = grid_search(sma, is_data, combos, config=CONFIG, periods_per_year=PPY, workers=1)
        assert ref.best is not None
        assert fold.params == ref.best.params
        assert fold.is_score == pytest.approx(ref.best.score, rel=1e-12)
        assert fold.is_metrics["sharpe"] == pytest.approx(ref.best.score, rel=1e-12)


def test_bars_after_the_in_sample_window_do_not_change_the_choice(
    sma: type[Strategy], data: StrategyData
) -> None:
    base = _walk(sma, data).result
    cut = base.folds[0].train_end
    rng = np.random.default_rng(99)
    scale = np.ones(len(data))
    scale[cut:] = rng.uniform(0.7, 1.3, len(data) - cut)  # a different future
    changed = StrategyData(
        symbol=data.symbol,
        ts_event=data.ts_event,
        open=data.open * scale,
        high=data.high * scale,
        low=data.low * scale,
        close=data.close * scale,
        volume=data.volume,
    )
    other = _walk(sma, changed).result
    assert other.folds[0].params == base.folds[0].params
    assert other.folds[0].is_score == base.folds[0].is_score
    # ...while the out-of-sample result, which reads those bars, does change.
    assert other.folds[0].oos_metrics["final_equity"] != base.folds[0].oos_metrics["final_equity"]


def test_oos_run_warms_up_before_the_window_and_counts_from_its_start(
    sma: type[Strategy], data: StrategyData
) -> None:
    strategy = sma(fast=10, slow=50)
    oos = run_out_of_sample(strategy, data, 2_000, 2_500, CONFIG)
    assert oos.warmup == strategy.warmup == 50
    assert len(oos.equity) == 500
    # With its warm-up the window sees the same signals as a run over all the bars...
    full = strategy.signals(data)[2_000:2_500]
    np.testing.assert_array_equal(oos.result.targets[50:][~np.isnan(full)], full[~np.isnan(full)])
    # ...and the account enters the window flat, with the cash.
    assert (oos.result.position[:50] == 0).all()
    assert (oos.result.equity[:50] == CONFIG.cash).all()
    assert (oos.result.orders["idx"] >= 50).all()


def test_stitched_oos_equity_chains_the_per_fold_runs(
    sma: type[Strategy], data: StrategyData
) -> None:
    res = _walk(sma, data).result
    level = CONFIG.cash
    expected = []
    for fold in res.folds:
        run = run_out_of_sample(sma(**fold.params), data, fold.test_start, fold.test_end, CONFIG)
        expected.append(run.equity * (level / CONFIG.cash))
        level = float(expected[-1][-1])
        assert fold.oos_metrics["final_equity"] == pytest.approx(run.equity[-1], rel=1e-12)
    np.testing.assert_allclose(res.oos_equity, np.concatenate(expected), rtol=1e-12)
    assert res.oos_ts == [
        int(t) for f in res.folds for t in data.ts_event[f.test_start : f.test_end]
    ]
    total = res.oos_equity[-1] / CONFIG.cash - 1
    assert res.oos_metrics["total_return"] == pytest.approx(total, rel=1e-10)
    assert math.isfinite(res.oos_score)


def test_stitch_equity_compounds_returns() -> None:
    a = np.array([110.0, 121.0])
    b = np.array([90.0])
    out = stitch_equity([a, b], 100.0)
    np.testing.assert_allclose(out, [110.0, 121.0, 108.9])
    np.testing.assert_allclose(
        returns_from_equity(np.concatenate(([100.0], out))), [0.1, 0.1, -0.1]
    )


def test_bayes_walk_forward_runs_each_fold(sma: type[Strategy], data: StrategyData) -> None:
    pytest.importorskip("optuna", reason="the optional extra 'optimize' is not installed")
    wf = _walk(sma, data, method="bayes", trials=8, seed=5, mode="anchored")
    res = wf.result
    assert len(res.folds) == 3
    assert all(f.train_start == 0 for f in res.folds)
    again = _walk(sma, data, method="bayes", trials=8, seed=5, mode="anchored")
    assert [f.params for f in again.result.folds] == [f.params for f in res.folds]
