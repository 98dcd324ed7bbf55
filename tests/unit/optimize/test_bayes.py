"""Bayesian search: reproducible from its seed, scored exactly like the grid."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from neural_trader.backtest import BacktestConfig
from neural_trader.core.errors import MissingDependencyError
from neural_trader.data.providers.synthetic import generate_bars
from neural_trader.optimize import bayes_search, grid_search, parse_grid, validate_combinations
from neural_trader.strategies import Strategy, StrategyData, get_strategy

pytest.importorskip("optuna", reason="the optional extra 'optimize' (optuna) is not installed")

PPY = 8760.0
CONFIG = BacktestConfig(fee_rate=0.001)
GRID = ["fast=5:30:5", "slow=20:80:10"]


@pytest.fixture(scope="module")
def sma() -> type[Strategy]:
    return get_strategy("sma_cross")


@pytest.fixture(scope="module")
def data() -> StrategyData:
    return StrategyData.from_frame(generate_bars(2_000, "1h", seed=21), "SYN")


def _trials(sma: type[Strategy], data: StrategyData, seed: int) -> list[dict[str, Any]]:
    out = bayes_search(
        sma, data, parse_grid(sma, GRID), config=CONFIG, periods_per_year=PPY, trials=15, seed=seed
    )
    return [e.params for e in out.evaluations]


def test_same_seed_gives_the_same_trials(sma: type[Strategy], data: StrategyData) -> None:
    first = _trials(sma, data, seed=3)
    assert first == _trials(sma, data, seed=3)
    assert first != _trials(sma, data, seed=4)


def test_trials_are_scored_exactly_like_grid_columns(
    sma: type[Strategy], data: StrategyData
) -> None:
    space = parse_grid(sma, GRID)
    out = bayes_search(sma, data, space, config=CONFIG, periods_per_year=PPY, trials=20, seed=1)
    grid = grid_search(
        sma, data, validate_combinations(sma, space).combos, config=CONFIG,
        periods_per_year=PPY, workers=1,
    )  # fmt: skip
    by_params = {tuple(e.params.items()): e for e in grid.evaluations}
    assert out.evaluations
    for e in out.evaluations:
        assert e == by_params[tuple(e.params.items())]
        assert e.params["fast"] in range(5, 31, 5)
        assert e.params["slow"] in range(20, 81, 10)
    assert out.best is not None
    assert grid.best is not None
    assert out.best.score <= grid.best.score
    # Each configuration is evaluated once, however often TPE proposes it again.
    assert len({tuple(e.params.items()) for e in out.evaluations}) == len(out.evaluations)


def test_invalid_proposals_are_pruned_and_counted(sma: type[Strategy], data: StrategyData) -> None:
    # fast and slow overlap on 20..30: about a third of this space is refused by the strategy.
    space = parse_grid(sma, ["fast=20:40:5", "slow=20:40:5"])
    out = bayes_search(sma, data, space, config=CONFIG, periods_per_year=PPY, trials=25, seed=0)
    assert out.dropped_invalid > 0
    assert all(e.params["fast"] < e.params["slow"] for e in out.evaluations)


def test_interrupt_returns_finished_trials(sma: type[Strategy], data: StrategyData) -> None:
    def stop(done: int, total: int) -> None:
        if done == 5:
            raise KeyboardInterrupt

    out = bayes_search(
        sma, data, parse_grid(sma, GRID), config=CONFIG, periods_per_year=PPY, trials=30,
        seed=2, on_trial=stop,
    )  # fmt: skip
    assert out.interrupted
    assert 1 <= len(out.evaluations) <= 5


def test_missing_optuna_names_the_extra(
    sma: type[Strategy], data: StrategyData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(MissingDependencyError) as info:
        bayes_search(
            sma, data, parse_grid(sma, GRID), config=CONFIG, periods_per_year=PPY, trials=2
        )
    assert info.value.extra == "optimize"
    assert "neural-trader[optimize]" in (info.value.hint or "")
