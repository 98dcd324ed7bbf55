"""run_event_portfolio: multi-leg ``on_bar`` strategies from one cash account.

The event engine executes weights with the shared ``backtest.models.portfolio_step`` functions,
so on the weights a strategy sets it must give exactly what ``run_portfolio`` gives: the same
cash, positions and equity doubles and the same order/trade/skip records. ``pairs.on_bar``
must set exactly ``Pairs.signals_legs(data)`` (checked with a recorder, no engine).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pytest

from neural_trader.backtest import BacktestConfig, run_portfolio
from neural_trader.backtest.event import (
    PortfolioContext,
    PortfolioEventResult,
    run_event_portfolio,
)
from neural_trader.backtest.vector.result import PortfolioResult
from neural_trader.core.data import Bar, BarSpec
from neural_trader.core.errors import InvalidArgumentError, NotSupportedError
from neural_trader.strategies.base import DataRequirement, Strategy, StrategyContext, StrategyData
from neural_trader.strategies.builtin.pairs import Pairs
from neural_trader.strategies.testing import TargetRecorder

FloatArray = npt.NDArray[np.float64]
NAN = math.nan
DAY = 86_400_000_000_000
_SPEC = BarSpec.parse("1d")


# -- data -------------------------------------------------------------------------------------


def ohlc(
    symbol: str, close: FloatArray, rng: np.random.Generator, **feeds: FloatArray
) -> StrategyData:
    """Bars with opens that differ from the previous close (so fill="open" is its own test)."""
    n = len(close)
    open_ = np.concatenate(([close[0]], close[:-1])) * np.exp(rng.normal(0.0, 0.003, n))
    high = np.maximum(open_, close) * 1.001
    low = np.minimum(open_, close) * 0.999
    ts = np.arange(n, dtype=np.int64) * DAY
    return StrategyData(symbol, ts, open_, high, low, close, np.ones(n), feeds=feeds)


def make_pair(seed: int, cointegrated: bool = True, n: int = 1200) -> list[StrategyData]:
    """As the strategy tests' pairs: B a geometric walk, A = 10 + 1.5 B + AR(1) noise."""
    rng = np.random.default_rng(seed)
    b = 50.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    if cointegrated:
        noise = np.zeros(n)
        for i in range(1, n):
            noise[i] = 0.9 * noise[i - 1] + rng.normal(0.0, 0.5)
        a = 10.0 + 1.5 * b + noise
    else:
        a = 80.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    return [ohlc("A", a, rng, other=b), ohlc("B", b, rng)]


def walks(seed: int, n: int, m: int) -> list[StrategyData]:
    rng = np.random.default_rng(seed)
    closes = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, (n, m)), axis=0))
    return [ohlc(f"S{j}", np.ascontiguousarray(closes[:, j]), rng) for j in range(m)]


# -- helpers ----------------------------------------------------------------------------------


class LegsRecorder(TargetRecorder):
    """A recorder that also takes ``target_weights`` (one row per bar, NaN = nothing set)."""

    def __init__(self, data: StrategyData, m: int = 2) -> None:
        super().__init__(data)
        self.weights: FloatArray = np.full((len(data), m), NAN)

    def target_weights(self, weights: Sequence[float]) -> None:
        for j, w in enumerate(weights):
            if w == w:
                self.weights[self.bar_index, j] = w


def event_legs(strategy: Strategy, data: StrategyData) -> FloatArray:
    rec = LegsRecorder(data)
    strategy.on_start(rec)
    for t in range(len(data)):
        rec.advance(t)
        bar = Bar(
            data.symbol, _SPEC, int(data.ts_event[t]), float(data.open[t]), float(data.high[t]),
            float(data.low[t]), float(data.close[t]), float(data.volume[t]),
        )  # fmt: skip
        strategy.on_bar(rec, bar)
    strategy.on_stop(rec)
    return rec.weights


def assert_same_run(ev: PortfolioResult, vec: PortfolioResult) -> None:
    """Exactly equal arrays and records (field by field: record padding bytes may differ)."""
    np.testing.assert_array_equal(ev.cash, vec.cash)
    np.testing.assert_array_equal(ev.positions, vec.positions)
    np.testing.assert_array_equal(ev.equity, vec.equity)
    for name in ("orders", "trades", "skipped"):
        a, b = getattr(ev, name), getattr(vec, name)
        assert a.shape == b.shape, name
        for field in a.dtype.names or ():
            np.testing.assert_array_equal(a[field], b[field], err_msg=f"{name}.{field}")


class Scripted(Strategy):
    """Sets a given row of weights on each bar (NaN rows set nothing)."""

    name: ClassVar[str] = "scripted_weights"
    long_only: ClassVar[bool] = False

    def __init__(self, weights: FloatArray) -> None:
        super().__init__()
        self.rows = weights

    def on_bar(self, ctx: StrategyContext, bar: Bar, **kwargs: Any) -> None:
        row = self.rows[ctx.bar_index]
        if not np.isnan(row).all():
            ctx.target_weights(list(row))  # type: ignore[attr-defined]


def tw(**update: Any) -> BacktestConfig:
    base = {"sizer": "target_weight", "long_only": False, "fee_rate": 0.001}
    return BacktestConfig(**(base | update))


# -- pairs.on_bar == signals_legs -----------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "cointegrated", "params"),
    [
        (0, True, {}),
        (1, True, {}),
        (3, True, {"formation": 120, "retest": 10, "window": 30, "entry_z": 1.5}),
        (0, False, {"formation": 120, "retest": 7, "window": 20, "pvalue": 0.2}),
    ],
)
def test_pairs_on_bar_sets_exactly_signals_legs(
    seed: int, cointegrated: bool, params: dict[str, Any]
) -> None:
    data = make_pair(seed, cointegrated)[0]
    legs = Pairs(**params).signals_legs(data)
    assert np.count_nonzero(~np.isnan(legs[:, 0])) >= 2  # something to compare
    np.testing.assert_array_equal(event_legs(Pairs(**params), data), legs)


def test_pairs_on_bar_without_portfolio_context_raises() -> None:
    data = make_pair(0, n=50)[0]
    strategy = Pairs()
    strategy.on_start(TargetRecorder(data))
    bar = Bar("A", _SPEC, 0, 1.0, 1.0, 1.0, 1.0, 1.0)
    with pytest.raises(NotSupportedError, match="run_event_portfolio"):
        strategy.on_bar(TargetRecorder(data), bar)


# -- engine parity: pairs -------------------------------------------------------------------


@pytest.mark.parametrize("fill", ["open", "close"])
@pytest.mark.parametrize(
    "costs",
    [
        {"fee_rate": 0.0},
        {"fee_rate": 0.001, "fixed_fee": 1.0, "slippage": 0.0005},
        {"fee_rate": 0.002, "lot_size": 1.0, "min_notional": 500.0},
    ],
)
def test_pairs_event_run_equals_run_portfolio_of_signals_legs(
    fill: str, costs: dict[str, float]
) -> None:
    datas = make_pair(0)
    config = tw(fill=fill, **costs)
    ev = run_event_portfolio(Pairs(), datas, config)
    legs = Pairs().signals_legs(datas[0])
    np.testing.assert_array_equal(ev.weights, legs)
    vec = run_portfolio(legs, datas, config)
    assert len(ev.trades) >= 10
    assert_same_run(ev, vec)
    assert ev.final_equity == vec.final_equity


def test_pairs_event_run_parity_with_every_bar_rebalancing_and_other_params() -> None:
    datas = make_pair(3)
    strategy = {"formation": 120, "retest": 10, "window": 30, "entry_z": 1.5}
    config = tw(fill="open", rebalance="every_bar", slippage=0.001)
    ev = run_event_portfolio(Pairs(**strategy), datas, config)
    vec = run_portfolio(Pairs(**strategy).signals_legs(datas[0]), datas, config)
    assert len(ev.orders) > 100  # re-sized every bar while a spread is held
    assert_same_run(ev, vec)


def test_independent_walks_trade_nothing() -> None:
    datas = make_pair(2, cointegrated=False)
    ev = run_event_portfolio(Pairs(), datas, tw())
    assert ev.orders.size == 0
    assert (ev.equity == 10_000.0).all()


# -- engine parity: hand-built weights --------------------------------------------------------


@pytest.mark.parametrize("fill", ["open", "close"])
@pytest.mark.parametrize("long_only", [True, False])
def test_scripted_weights_three_assets_equal_run_portfolio(fill: str, long_only: bool) -> None:
    rng = np.random.default_rng(7)
    n, m = 300, 3
    datas = walks(7, n, m)
    w = rng.uniform(-0.6, 0.6, (n, m)) / 1.9  # gross <= 0.95; negatives clip when long-only
    w[rng.random(n) < 0.8] = NAN  # most rows keep
    w[rng.random((n, m)) < 0.2] = NAN  # some legs keep within a changed row
    w[50] = 0.0
    config = tw(fill=fill, long_only=long_only, fixed_fee=0.5, slippage=0.0002)
    ev = run_event_portfolio(Scripted(w), datas, config)
    vec = run_portfolio(w, datas, config)
    np.testing.assert_array_equal(ev.weights, w)
    assert len(ev.orders) > 50
    assert_same_run(ev, vec)


def test_scripted_weights_minimums_skip_and_report_like_run_portfolio() -> None:
    datas = walks(11, 120, 2)
    w = np.full((120, 2), NAN)
    w[5] = [0.5, -0.4]
    w[6] = [0.5005, -0.4]  # a tiny change: its orders fall below min_notional, reported
    w[40] = [-0.3, 0.6]  # flips both legs
    w[80] = [0.0, 0.0]
    config = tw(fill="close", min_notional=300.0, lot_size=0.5)
    ev = run_event_portfolio(Scripted(w), datas, config)
    vec = run_portfolio(w, datas, config)
    assert ev.skipped.size > 0
    assert set(ev.skipped["col"].tolist()) <= {0, 1}
    assert_same_run(ev, vec)
    assert (ev.positions[-1] == 0.0).all()


def test_weights_on_last_bar_never_execute_with_fill_open() -> None:
    datas = walks(1, 10, 2)
    w = np.full((10, 2), NAN)
    w[9] = [0.5, 0.5]
    ev = run_event_portfolio(Scripted(w), datas, tw(fill="open"))
    assert ev.orders.size == 0
    assert_same_run(ev, run_portfolio(w, datas, tw(fill="open")))


def test_open_round_trips_are_reported_at_the_end_per_leg() -> None:
    datas = walks(4, 30, 2)
    w = np.full((30, 2), NAN)
    w[3] = [0.4, -0.4]
    ev = run_event_portfolio(Scripted(w), datas, tw(fill="close"))
    assert ev.trades["is_open"].tolist() == [True, True]
    assert ev.trades["entry_idx"].tolist() == [3, 3]
    assert_same_run(ev, run_portfolio(w, datas, tw(fill="close")))


# -- refusals and the context ---------------------------------------------------------------


def test_gross_weight_above_max_leverage_is_refused() -> None:
    datas = walks(0, 20, 2)
    w = np.full((20, 2), NAN)
    w[4] = [0.8, 0.7]
    with pytest.raises(InvalidArgumentError, match="max_leverage"):
        run_portfolio(w, datas, tw())
    with pytest.raises(InvalidArgumentError, match="at bar 4 exceeds max_leverage"):
        run_event_portfolio(Scripted(w), datas, tw())
    ev = run_event_portfolio(Scripted(w), datas, tw(max_leverage=2.0))
    assert_same_run(ev, run_portfolio(w, datas, tw(max_leverage=2.0)))


def test_bad_inputs_are_refused() -> None:
    datas = walks(0, 20, 2)
    w = np.full((20, 2), NAN)
    with pytest.raises(InvalidArgumentError, match="target weight"):
        run_event_portfolio(Scripted(w), datas, BacktestConfig(sizer="all_in"))
    with pytest.raises(InvalidArgumentError, match="at least one"):
        run_event_portfolio(Scripted(w), [], tw())
    short = walks(0, 19, 1)[0]
    with pytest.raises(InvalidArgumentError, match="different timestamps"):
        run_event_portfolio(Scripted(w), [datas[0], short], tw())
    a, b = make_pair(0, n=100)
    wrong = StrategyData(
        "A", a.ts_event, a.open, a.high, a.low, a.close, a.volume, feeds={"other": b.close * 2}
    )
    with pytest.raises(InvalidArgumentError, match="differs from the closes"):
        run_event_portfolio(Pairs(), [wrong, b], tw())


class Probe(Strategy):
    """Reads the context and sets the primary weight alone with ``target``."""

    name: ClassVar[str] = "probe_portfolio"
    long_only: ClassVar[bool] = False
    requires: ClassVar[tuple[DataRequirement, ...]] = (DataRequirement("other", "bars", "leg"),)

    def on_start(self, ctx: StrategyContext, **kwargs: Any) -> None:
        self.seen: list[tuple[int, float, float, float, float, float]] = []

    def on_bar(self, ctx: StrategyContext, bar: Bar, **kwargs: Any) -> None:
        assert isinstance(ctx, PortfolioContext)
        t = ctx.bar_index
        other = ctx.leg_bar("other")
        self.seen.append((t, bar.close, ctx.feed("other"), other.open, ctx.cash, ctx.equity))
        assert ctx.leg_bar(1) == other
        assert ctx.feed("missing") != ctx.feed("missing")  # NaN
        if t == 2:
            ctx.target(0.5)
            with pytest.raises(NotSupportedError, match="target_weights"):
                ctx.buy(1.0)
        if t == 5:
            ctx.target_weights([NAN, -0.25])
            assert ctx.position_of("other") == 0.0
        if t == 6:
            assert ctx.position > 0.0
            assert ctx.position_of(1) < 0.0


def test_context_reads_legs_and_target_sets_the_primary_weight() -> None:
    datas = walks(5, 10, 2)
    probe = Probe()
    ev = run_event_portfolio(probe, datas, tw(fill="close"))
    assert isinstance(ev, PortfolioEventResult)
    for t, close_a, feed_b, open_b, cash, equity in probe.seen:
        assert close_a == datas[0].close[t]
        assert feed_b == datas[1].close[t]
        assert open_b == datas[1].open[t]
        if t > 0:
            assert cash == ev.cash[t - 1]
            assert equity == pytest.approx(
                ev.cash[t - 1] + (ev.positions[t - 1] * [d.close[t] for d in datas]).sum()
            )
    expected = np.full((10, 2), NAN)
    expected[2, 0] = 0.5
    expected[5, 1] = -0.25
    np.testing.assert_array_equal(ev.weights, expected)
    assert_same_run(ev, run_portfolio(expected, datas, tw(fill="close")))
    assert list(ev.to_frame().columns) == ["cash", "equity", "position_S0", "position_S1"]
