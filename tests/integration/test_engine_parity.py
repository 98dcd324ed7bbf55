"""The vector and the event engine agree bit for bit on targets (docs/decisions/0006, 0009).

Both engines run the one execution model of ``backtest.models.execution`` (compiled by numba in
the vector kernels, plain Python in the event loop), so the same targets on the same bars must
give identical equity, cash and position arrays and identical order, trade and skip records:
the comparisons below are exact, not approximate. The configurations cover every sizer, both
fill timings, fees, fixed fees and slippage, lot sizes and minimums that skip orders, long-only
and long/short with flips, stop-loss and take-profit, on seeded synthetic bars (with and
without gaps at the open) and on real ORCL daily bars.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neural_trader.backtest import BacktestConfig, run_vector, run_vector_targets
from neural_trader.backtest.event import EventResult, run_event
from neural_trader.backtest.records import (
    REASON_SIGNAL,
    REASON_STOP_LOSS,
    REASON_TAKE_PROFIT,
    SKIP_LOT_SIZE,
    SKIP_MIN_NOTIONAL,
)
from neural_trader.backtest.vector import VectorResult
from neural_trader.core.data import Bar
from neural_trader.data.importers import read_bars_file
from neural_trader.data.providers.synthetic import generate_bars
from neural_trader.strategies.base import Strategy, StrategyContext, StrategyData

FloatArray = npt.NDArray[np.float64]
SIZERS = ["all_in", "fixed", "target_weight", "vol_target"]
ORCL_FILE = "orcl-1995-2014.txt"


class Replay(Strategy):
    """Sets ``targets[i]`` on bar ``i`` through ``ctx.target`` (NaN keeps the last one)."""

    name: ClassVar[str] = "replay"
    long_only: ClassVar[bool] = False

    def __init__(self, targets: FloatArray, **params: Any) -> None:
        super().__init__(**params)
        self.targets = targets.tolist()

    def on_bar(self, ctx: StrategyContext, bar: Bar, **kwargs: Any) -> None:
        ctx.target(self.targets[ctx.bar_index])


def synthetic(n: int, seed: int, *, gaps: bool) -> StrategyData:
    """Daily bars from the synthetic provider; ``gaps`` moves each open off the last close
    (and widens the range to keep it a valid bar) so stops also meet gap exits."""
    frame = generate_bars(n, "1d", seed=seed, start_price=100.0)
    data = StrategyData.from_frame(frame, "SYN")
    if not gaps:
        return data
    rng = np.random.default_rng(seed + 1)
    open_ = data.open * np.exp(rng.normal(0.0, 0.01, n))
    high = np.maximum(data.high, np.maximum(open_, data.close))
    low = np.minimum(data.low, np.minimum(open_, data.close))
    return StrategyData("SYN", data.ts_event, open_, high, low, data.close, data.volume)


def random_targets(n: int, seed: int, long_only: bool) -> FloatArray:
    rng = np.random.default_rng(seed)
    values = [-1.0, -0.5, 0.0, 0.3, 0.5, 1.0, math.nan]
    targets = rng.choice(values, n, p=[0.03, 0.03, 0.04, 0.03, 0.03, 0.05, 0.79])
    return np.abs(targets) if long_only else targets


def make_config(sizer: str, fill: str, long_only: bool, **extra: Any) -> BacktestConfig:
    """Costs and rules that make every branch of the execution model happen."""
    values: dict[str, Any] = {
        "fill": fill,
        "sizer": sizer,
        "long_only": long_only,
        "fee_rate": 0.001,
        "fixed_fee": 0.25,
        "slippage": 0.0005,
        "quantity": 37.0,
        "vol_lookback": 10,
        "max_leverage": 2.0,
        "lot_size": 1.0,
        "min_notional": 150.0,
    }
    values.update(extra)
    return BacktestConfig(**values)


def both(
    targets: FloatArray,
    data: StrategyData,
    config: BacktestConfig,
    stop_loss: float | None = None,
    take_profit: float | None = None,
) -> tuple[EventResult, VectorResult]:
    vec = run_vector_targets(targets, data, config, stop_loss=stop_loss, take_profit=take_profit)
    params = {k: v for k, v in (("stop_loss", stop_loss), ("take_profit", take_profit)) if v}
    ev = run_event(Replay(targets, **params), data, config)
    return ev, vec


def assert_same(ev: EventResult, vec: VectorResult) -> None:
    """Arrays and records identical (exact equality: the engines share every operation)."""
    np.testing.assert_array_equal(ev.ts, vec.ts)
    np.testing.assert_array_equal(ev.equity, vec.equity)
    np.testing.assert_array_equal(ev.cash, vec.cash)
    np.testing.assert_array_equal(ev.position, vec.position)
    for what, mine, theirs in (
        ("orders", ev.orders, vec.orders),
        ("trades", ev.trades, vec.trades),
        ("skipped", ev.skipped, vec.skipped),
    ):
        assert mine.dtype.names is not None
        assert mine.dtype.names == theirs.dtype.names, what
        assert len(mine) == len(theirs), what
        for name in mine.dtype.names:
            np.testing.assert_array_equal(mine[name], theirs[name], err_msg=f"{what}.{name}")


# -- the configuration grid -----------------------------------------------------------------------


@pytest.mark.parametrize("sizer", SIZERS)
@pytest.mark.parametrize("fill", ["open", "close"])
@pytest.mark.parametrize("long_only", [True, False])
@pytest.mark.parametrize("stops", [(None, None), (0.03, 0.05)])
@pytest.mark.parametrize("gaps", [False, True])
def test_targets_agree_exactly_on_synthetic_bars(
    sizer: str, fill: str, long_only: bool, stops: tuple[float | None, float | None], gaps: bool
) -> None:
    data = synthetic(600, 3, gaps=gaps)
    targets = random_targets(600, 5, long_only)
    ev, vec = both(targets, data, make_config(sizer, fill, long_only), *stops)
    assert len(vec.orders) > 10
    assert_same(ev, vec)


@pytest.mark.parametrize("sizer", ["target_weight", "vol_target"])
@pytest.mark.parametrize("fill", ["open", "close"])
def test_every_bar_rebalancing_agrees_and_skips_sub_lot_adjustments(sizer: str, fill: str) -> None:
    data = synthetic(400, 8, gaps=True)
    targets = random_targets(400, 9, long_only=False)
    config = make_config(sizer, fill, False, rebalance="every_bar", lot_size=5.0)
    ev, vec = both(targets, data, config, 0.04, None)
    assert set(vec.skipped["reason"].tolist()) & {SKIP_LOT_SIZE, SKIP_MIN_NOTIONAL}
    assert_same(ev, vec)


def test_grid_exercises_flips_skips_and_both_exit_kinds() -> None:
    """The configurations above are only evidence if the rules they claim actually fire."""
    data = synthetic(600, 3, gaps=True)
    targets = random_targets(600, 5, long_only=False)
    config = make_config("fixed", "open", False, min_notional=2_000.0)
    ev, vec = both(targets, data, config, 0.03, 0.05)
    assert_same(ev, vec)
    reasons = set(vec.orders["reason"].tolist())
    assert {REASON_SIGNAL, REASON_STOP_LOSS, REASON_TAKE_PROFIT} <= reasons
    assert (vec.trades["side"] == -1).any()
    assert (vec.trades["side"] == 1).any()
    # a flip: a round trip closed by a signal and the opposite one opened on the same bar
    tr = vec.trades
    flips = (
        (tr["exit_idx"][:-1] == tr["entry_idx"][1:])
        & (tr["side"][:-1] == -tr["side"][1:])
        & (tr["exit_reason"][:-1] == REASON_SIGNAL)
    )
    assert flips.any()
    assert SKIP_MIN_NOTIONAL in set(vec.skipped["reason"].tolist())
    # a stop exit that gapped: filled at the open (slippage applied), not at the level
    stop_rows = vec.orders[vec.orders["reason"] == REASON_STOP_LOSS]
    opens = data.open[stop_rows["idx"]]
    gapped = np.isclose(stop_rows["price"], opens * (1 - 0.0005)) | np.isclose(
        stop_rows["price"], opens * (1 + 0.0005)
    )
    assert gapped.any()


# -- random target sequences ----------------------------------------------------------------------

_BARS = synthetic(160, 21, gaps=True)
_values = st.sampled_from([-1.0, -0.6, -0.2, 0.0, 0.2, 0.6, 1.0, math.nan, math.nan, math.nan])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    targets=st.lists(_values, min_size=160, max_size=160),
    sizer=st.sampled_from(SIZERS),
    fill=st.sampled_from(["open", "close"]),
    long_only=st.booleans(),
    stop_loss=st.sampled_from([None, 0.01, 0.05]),
    take_profit=st.sampled_from([None, 0.02, 0.1]),
    lot_size=st.sampled_from([0.0, 1.0, 3.0]),
    rebalance=st.sampled_from(["on_change", "every_bar"]),
)
def test_random_target_sequences_agree_exactly(
    targets: list[float],
    sizer: str,
    fill: str,
    long_only: bool,
    stop_loss: float | None,
    take_profit: float | None,
    lot_size: float,
    rebalance: str,
) -> None:
    config = make_config(sizer, fill, long_only, lot_size=lot_size, rebalance=rebalance)
    ev, vec = both(np.array(targets), _BARS, config, stop_loss, take_profit)
    assert_same(ev, vec)


# -- the shipped strategy: signals() in one engine, on_bar() in the other -------------------------


def _sma_cross() -> type[Strategy]:
    module = pytest.importorskip("neural_trader.strategies.builtin.sma_cross")
    cls: type[Strategy] = module.SMACross
    return cls


@pytest.mark.parametrize("allow_short", [False, True])
@pytest.mark.parametrize("fill", ["open", "close"])
@pytest.mark.parametrize("sizer", SIZERS)
def test_sma_cross_signals_and_on_bar_agree_on_synthetic_bars(
    allow_short: bool, fill: str, sizer: str
) -> None:
    cls = _sma_cross()
    data = synthetic(1_500, 13, gaps=True)
    params = {"fast": 5, "slow": 20, "allow_short": allow_short, "stop_loss": 0.04}
    config = make_config(sizer, fill, not allow_short)
    vec = run_vector(cls(**params), data, config)
    ev = run_event(cls(**params), data, config)
    assert len(vec.trades) > 20
    assert_same(ev, vec)


# -- real data ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def orcl(shared_data: Path) -> StrategyData:
    return StrategyData.from_frame(read_bars_file(shared_data / ORCL_FILE).frame, "ORCL")


@pytest.mark.shared_data
@pytest.mark.parametrize("sizer", SIZERS)
@pytest.mark.parametrize("fill", ["open", "close"])
@pytest.mark.parametrize("long_only", [True, False])
def test_targets_agree_exactly_on_orcl_daily(
    orcl: StrategyData, sizer: str, fill: str, long_only: bool
) -> None:
    targets = random_targets(len(orcl), 17, long_only)
    config = make_config(sizer, fill, long_only, lot_size=10.0, min_notional=500.0)
    ev, vec = both(targets, orcl, config, 0.05, 0.15)
    assert len(vec.orders) > 100
    assert_same(ev, vec)


@pytest.mark.shared_data
@pytest.mark.parametrize("allow_short", [False, True])
@pytest.mark.parametrize("fill", ["open", "close"])
def test_sma_cross_agrees_on_orcl_daily(orcl: StrategyData, allow_short: bool, fill: str) -> None:
    cls = _sma_cross()
    params = {"fast": 10, "slow": 50, "allow_short": allow_short, "take_profit": 0.3}
    config = BacktestConfig(fill=fill, fee_rate=0.001, slippage=0.0005)
    vec = run_vector(cls(**params), orcl, config)
    ev = run_event(cls(**params), orcl, config)
    assert len(vec.trades) > 20
    assert_same(ev, vec)
