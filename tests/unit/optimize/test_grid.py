"""Grid search: scores equal a brute-force backtest of each configuration, for any workers."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from neural_trader.analytics import summarize
from neural_trader.backtest import BacktestConfig, run_vector
from neural_trader.data.providers.synthetic import generate_bars
from neural_trader.optimize import (
    evaluate_chunk,
    grid_search,
    parse_grid,
    rank_order,
    validate_combinations,
)
from neural_trader.optimize.grid import ChunkJob
from neural_trader.strategies import Strategy, StrategyData, get_strategy

PPY = 8760.0
CONFIG = BacktestConfig(cash=10_000.0, fee_rate=0.001)
GRID = ["fast=5:25:5", "slow=20:60:10"]


@pytest.fixture(scope="module")
def sma() -> type[Strategy]:
    return get_strategy("sma_cross")


@pytest.fixture(scope="module")
def data() -> StrategyData:
    return StrategyData.from_frame(generate_bars(3_000, "1h", seed=11), "SYN")


@pytest.fixture(scope="module")
def combos(sma: type[Strategy]) -> list[dict[str, Any]]:
    return validate_combinations(sma, parse_grid(sma, GRID)).combos


def brute_force(
    cls: type[Strategy], data: StrategyData, combos: list[dict[str, Any]], metric: str
) -> list[tuple[float, float, int]]:
    """The reference: run_vector + summarize per configuration, as the backtest command does."""
    out = []
    for params in combos:
        res = run_vector(cls(**params), data, CONFIG)
        equity = np.concatenate(([CONFIG.cash], res.equity))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "zero dispersion" for configs that never trade
            s = summarize(equity, periods_per_year=PPY, trades=res.trades)
        value = getattr(s, metric)
        out.append((math.nan if value is None else float(value), s.final_equity, s.trades))
    return out


@pytest.mark.parametrize(
    "metric",
    ["sharpe", "sortino", "total_return", "cagr", "calmar", "max_drawdown", "win_rate",
     "profit_factor"],
)  # fmt: skip
def test_scores_equal_a_brute_force_backtest_of_each_configuration(
    sma: type[Strategy], data: StrategyData, combos: list[dict[str, Any]], metric: str
) -> None:
    out = grid_search(
        sma, data, combos, config=CONFIG, metric=metric, periods_per_year=PPY, workers=1
    )
    ref = brute_force(sma, data, combos, metric)
    assert [e.params for e in out.evaluations] == combos
    for e, (score, final_equity, trades) in zip(out.evaluations, ref, strict=True):
        if math.isnan(score):
            assert math.isnan(e.score)
        else:
            assert e.score == pytest.approx(score, rel=1e-12, abs=1e-12)
        assert e.final_equity == pytest.approx(final_equity, rel=1e-12)
        assert e.trades == trades
    best_ref = rank_order([r[0] for r in ref])[0]
    assert out.best is not None
    assert out.best.params == combos[best_ref]
    assert not out.interrupted


def test_scores_differ_between_configurations(
    sma: type[Strategy], data: StrategyData, combos: list[dict[str, Any]]
) -> None:
    # Guards the brute-force test against a degenerate grid where every score is the same.
    out = grid_search(sma, data, combos, config=CONFIG, periods_per_year=PPY, workers=1)
    assert len({round(e.score, 9) for e in out.evaluations}) > len(combos) // 2


def test_parallel_and_chunked_runs_give_identical_results(
    sma: type[Strategy], data: StrategyData, combos: list[dict[str, Any]]
) -> None:
    one = grid_search(sma, data, combos, config=CONFIG, periods_per_year=PPY, workers=1)
    two = grid_search(
        sma, data, combos, config=CONFIG, periods_per_year=PPY, workers=2, chunk_size=3
    )
    default = grid_search(sma, data, combos, config=CONFIG, periods_per_year=PPY)
    assert two.evaluations == one.evaluations
    assert default.evaluations == one.evaluations
    assert two.ranked() == one.ranked()


def test_interrupt_returns_the_finished_chunks_flagged(
    sma: type[Strategy], data: StrategyData, combos: list[dict[str, Any]]
) -> None:
    full = grid_search(sma, data, combos, config=CONFIG, periods_per_year=PPY, workers=1)
    seen: list[int] = []

    def stop_after_first(done: int, total: int) -> None:
        seen.append(done)
        raise KeyboardInterrupt

    part = grid_search(
        sma, data, combos, config=CONFIG, periods_per_year=PPY, workers=1, chunk_size=4,
        on_chunk=stop_after_first,
    )  # fmt: skip
    assert part.interrupted
    assert seen == [4]
    assert part.evaluations == full.evaluations[:4]
    assert any("interrupted" in n for n in part.notes)


def test_interrupt_in_the_pool_keeps_what_finished(
    sma: type[Strategy], data: StrategyData, combos: list[dict[str, Any]]
) -> None:
    full = grid_search(sma, data, combos, config=CONFIG, periods_per_year=PPY, workers=1)
    calls = 0

    def stop(done: int, total: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt

    part = grid_search(
        sma, data, combos, config=CONFIG, periods_per_year=PPY, workers=2, chunk_size=2,
        on_chunk=stop,
    )  # fmt: skip
    assert part.interrupted
    assert 4 <= len(part.evaluations) < len(combos)
    by_params = {tuple(e.params.items()): e for e in full.evaluations}
    assert all(by_params[tuple(e.params.items())] == e for e in part.evaluations)


def test_nan_scores_rank_last_and_ties_keep_input_order() -> None:
    assert rank_order([0.5, math.nan, 2.0, 0.5, -1.0]) == [2, 0, 3, 4, 1]


def test_a_strategy_that_never_trades_scores_nan_not_an_error(data: StrategyData) -> None:
    class Flat(Strategy):
        name = "flat-test"

        def signals(self, d: StrategyData) -> Any:
            return np.zeros(len(d))

    job = ChunkJob(Flat, data, CONFIG, "sharpe", PPY)
    (e,) = evaluate_chunk(job, [{}])
    assert math.isnan(e.score)
    assert e.final_equity == CONFIG.cash
    assert e.trades == 0


def test_empty_grid_is_an_error(sma: type[Strategy], data: StrategyData) -> None:
    from neural_trader.core.errors import InvalidArgumentError

    with pytest.raises(InvalidArgumentError, match="no valid configuration"):
        grid_search(sma, data, [], config=CONFIG, periods_per_year=PPY)


def test_service_ranks_the_grid_and_counts_dropped(tmp_path: Path) -> None:
    from neural_trader.services.optimize import run_optimization

    frame = generate_bars(2_000, "1h", seed=5)
    path = tmp_path / "bars.csv"
    frame.to_csv(path, index=False)
    result = run_optimization(
        "sma_cross", data_file=path, grid=["fast=10:30:10", "slow=20:40:10"], workers=1, top=3
    )
    assert result.combinations == 9
    assert result.dropped_invalid == 3  # (20,20), (30,20), (30,30)
    assert result.evaluated == 6
    assert len(result.top) == 3
    scores = [t.score for t in result.top]
    assert scores == sorted(scores, key=lambda s: -math.inf if s is None else s, reverse=True)
    assert result.best_params == result.top[0].params
    # The reported Sharpe of the top entry is its score when the metric is sharpe.
    assert result.top[0].sharpe == pytest.approx(result.best_score, rel=1e-12)
