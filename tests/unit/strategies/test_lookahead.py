"""The look-ahead check: shipped strategies pass it, cheating ones are caught with details."""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from neural_trader.backtest import BacktestConfig, run_vector
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.data.providers.synthetic import generate_bars
from neural_trader.strategies import Strategy, StrategyData, create_strategy
from neural_trader.strategies.builtin.pairs import Pairs
from neural_trader.strategies.lookahead import (
    LookaheadReport,
    check_lookahead,
    effective_targets,
)

FloatArray = npt.NDArray[np.float64]
NAN = math.nan


class PeekNextClose(Strategy):
    """Cheats: exposure sized by tomorrow's return (``np.roll(close, -1)``).

    A continuous target, so the truncated run (whose last bar wraps round to bar 0) differs at
    every cut; a 0/1 cheat shows only at the cuts where the wrapped answer happens to flip.
    """

    name: ClassVar[str] = "peek_next_close"

    def signals(self, data: StrategyData) -> FloatArray:
        close = data.close
        tomorrow = np.roll(close, -1)
        out: FloatArray = np.clip((tomorrow / close - 1.0) * 100.0, -1.0, 1.0)
        return out


class CentredMean(Strategy):
    """Cheats subtly: a centred 21-bar mean reads 10 bars ahead of each bar."""

    name: ClassVar[str] = "centred_mean"

    def signals(self, data: StrategyData) -> FloatArray:
        mean = pd.Series(data.close).rolling(21, center=True).mean().to_numpy()
        out: FloatArray = np.where(data.close > mean, 1.0, np.where(data.close < mean, 0.0, NAN))
        return out


class Honest(Strategy):
    """Long above a trailing 21-bar mean: the same idea without the peek."""

    name: ClassVar[str] = "honest_mean"

    def signals(self, data: StrategyData) -> FloatArray:
        mean = pd.Series(data.close).rolling(21).mean().to_numpy()
        out: FloatArray = np.where(data.close > mean, 1.0, np.where(data.close < mean, 0.0, NAN))
        return out


@pytest.fixture(scope="module")
def bars() -> StrategyData:
    return StrategyData.from_frame(generate_bars(3000, "1h", seed=21), "SYN")


SHIPPED: list[tuple[str, dict[str, Any]]] = [
    ("buy_and_hold", {}),
    ("sma_cross", {"allow_short": True}),
    ("momentum", {"allow_short": True}),
    ("mean_reversion", {"allow_short": True}),
    ("swing", {}),
    ("enhanced_momentum", {"allow_short": True}),
]


@pytest.mark.parametrize(("name", "params"), SHIPPED)
def test_shipped_strategies_pass_lookahead_check(
    bars: StrategyData, name: str, params: dict[str, Any]
) -> None:
    report = check_lookahead(create_strategy(name, **params), bars, points=8)
    assert report.ok, report.summary()
    assert len(report.points) >= 8
    assert report.points[-1] == len(bars) - 1
    assert "no look-ahead" in report.summary()


def test_enhanced_momentum_with_feeds_passes_lookahead_check(bars: StrategyData) -> None:
    rng = np.random.default_rng(2)
    n = len(bars)
    data = StrategyData(
        bars.symbol, bars.ts_event, bars.open, bars.high, bars.low, bars.close, bars.volume,
        feeds={"sentiment": rng.uniform(-1, 1, n), "model_score": rng.uniform(0, 1, n)},
    )  # fmt: skip
    strategy = create_strategy("enhanced_momentum", allow_short=True, scale_by_confidence=True)
    assert check_lookahead(strategy, data).ok


def test_pairs_legs_pass_lookahead_check() -> None:
    rng = np.random.default_rng(0)
    n = 700
    b = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    noise = np.zeros(n)
    for i in range(1, n):
        noise[i] = 0.9 * noise[i - 1] + rng.normal(0.0, 0.5)
    a = 10.0 + 1.5 * b + noise
    ts = np.arange(n, dtype=np.int64)
    data = StrategyData("A", ts, a, a, a, a, np.ones(n), feeds={"other": b})
    strategy = Pairs(formation=120, retest=10, window=30)
    legs = strategy.signals_legs(data)
    assert np.count_nonzero(~np.isnan(legs[:, 0])) >= 4  # something to check
    report = check_lookahead(strategy, data, points=5)
    assert report.ok, report.summary()


def test_peek_at_next_close_is_caught_at_the_cut(bars: StrategyData) -> None:
    report = check_lookahead(PeekNextClose(), bars, points=8)
    assert not report.ok
    assert {v.truncation for v in report.violations} == set(report.points)
    for violation in report.violations:
        assert violation.kind == "target"
        assert violation.bar < violation.truncation
        assert violation.full != violation.truncated
    # the roll wraps bar t-1 of the truncated data around to bar 0: the last bar is where it
    # shows, the bar before each cut.
    assert {v.bar for v in report.violations} <= {t - 1 for t in report.points}
    assert "depend on later bars" in report.summary()


def test_centred_rolling_mean_is_caught_within_half_window(bars: StrategyData) -> None:
    report = check_lookahead(CentredMean(), bars, points=8)
    assert not report.ok
    assert all(v.truncation - 11 <= v.bar < v.truncation for v in report.violations)
    assert check_lookahead(Honest(), bars, points=8).ok


def test_explicit_points_are_used_and_validated(bars: StrategyData) -> None:
    report = check_lookahead(PeekNextClose(), bars, points=[500, 100])
    assert report.points == (100, 500)
    assert {v.truncation for v in report.violations} == {100, 500}
    with pytest.raises(InvalidArgumentError, match="outside"):
        check_lookahead(Honest(), bars, points=[len(bars)])
    with pytest.raises(InvalidArgumentError, match="at least one"):
        check_lookahead(Honest(), bars, points=0)


def test_effective_targets_forward_fill_keeps_leading_nan() -> None:
    got = effective_targets(np.array([NAN, 1.0, NAN, 0.0, NAN]))
    np.testing.assert_array_equal(got, [NAN, 1.0, 1.0, 0.0, 0.0])
    legs = effective_targets(np.array([[NAN, 1.0], [0.5, NAN], [NAN, -1.0]]))
    np.testing.assert_array_equal(legs, [[NAN, 1.0], [0.5, 1.0], [0.5, -1.0]])


def vector_orders(strategy: Strategy, config: BacktestConfig) -> Any:
    def run(data: StrategyData) -> tuple[Any, Any]:
        orders = run_vector(strategy, data, config).orders
        return orders["idx"], orders["quantity"]

    return run


@pytest.mark.parametrize("fill", ["open", "close"])
def test_engine_check_passes_for_honest_strategy_through_vector_engine(
    bars: StrategyData, fill: Literal["open", "close"]
) -> None:
    strategy = create_strategy("sma_cross", fast=5, slow=20)
    config = BacktestConfig(fee_rate=0.001, fill=fill)
    report = check_lookahead(strategy, bars, engine_check=vector_orders(strategy, config))
    assert report.orders_checked
    assert report.ok, report.summary()


def test_engine_check_catches_an_engine_that_reads_ahead(bars: StrategyData) -> None:
    """An 'engine' that sizes each order with the last close of the whole run."""
    strategy = create_strategy("sma_cross", fast=5, slow=20)
    honest = vector_orders(strategy, BacktestConfig())

    def cheating(data: StrategyData) -> tuple[Any, Any]:
        idx, qty = honest(data)
        return idx, np.asarray(qty) * data.close[-1]

    report = check_lookahead(Honest(), bars, engine_check=cheating)
    orders = [v for v in report.violations if v.kind == "order"]
    assert not report.ok
    assert orders
    assert all(v.bar < v.truncation and v.full != v.truncated for v in orders)
    assert report.to_dict()["violations"][0]["kind"] == "order"


def test_report_to_dict_is_json_ready(bars: StrategyData) -> None:
    import json

    report = check_lookahead(PeekNextClose(), bars, points=2)
    assert isinstance(report, LookaheadReport)
    payload = json.loads(json.dumps(report.to_dict()))
    assert payload["ok"] is False
    assert payload["strategy"] == "peek_next_close"
    assert payload["n_violations"] == report.n_violations
