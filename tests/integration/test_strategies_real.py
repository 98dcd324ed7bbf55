"""Built-in strategies on 20 years of real daily ORCL bars (../shared/data/orcl-1995-2014.txt).

Structural truths only, no performance figures: the event path sets exactly the vectorized
targets, no strategy reads ahead, each runs through the vectorized engine with fees to a finite
equity (positive for long-only runs), the active ones trade, and buy-and-hold ends at the
closed-form value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pytest

from neural_trader.backtest import BacktestConfig, run_vector
from neural_trader.strategies import StrategyData, create_strategy
from neural_trader.strategies.lookahead import check_lookahead, effective_targets
from neural_trader.strategies.testing import event_targets

pytestmark = pytest.mark.shared_data

FEE = 0.001
CASH = 10_000.0

STRATEGIES: list[tuple[str, dict[str, Any]]] = [
    ("buy_and_hold", {}),
    ("sma_cross", {}),
    ("sma_cross", {"allow_short": True}),
    ("momentum", {}),
    ("momentum", {"allow_short": True}),
    ("mean_reversion", {}),
    ("mean_reversion", {"allow_short": True}),
    ("swing", {}),
    ("enhanced_momentum", {}),
]


@pytest.fixture(scope="module")
def orcl(shared_data: Path) -> StrategyData:
    frame = pd.read_csv(shared_data / "orcl-1995-2014.txt")
    ts = pd.to_datetime(frame["Date"], utc=True).astype("int64").to_numpy(np.int64)
    data = StrategyData.from_frame(
        pd.DataFrame(
            {
                "ts_event": ts,
                **{c.lower(): frame[c] for c in ("Open", "High", "Low", "Close", "Volume")},
            }
        ),
        "ORCL",
    )
    assert len(data) == 5036
    assert (np.diff(data.ts_event) > 0).all()
    return data


@pytest.mark.parametrize(("name", "params"), STRATEGIES)
def test_event_targets_equal_signals_on_orcl(
    orcl: StrategyData, name: str, params: dict[str, Any]
) -> None:
    strategy = create_strategy(name, **params)
    signals = strategy.signals(orcl)
    events = event_targets(strategy, orcl)
    np.testing.assert_array_equal(np.isnan(signals), np.isnan(events))
    both = ~np.isnan(signals)
    assert (signals[both] == events[both]).all()
    np.testing.assert_array_equal(effective_targets(signals), effective_targets(events))


@pytest.mark.parametrize(("name", "params"), STRATEGIES)
def test_no_lookahead_on_orcl(orcl: StrategyData, name: str, params: dict[str, Any]) -> None:
    report = check_lookahead(create_strategy(name, **params), orcl, points=6)
    assert report.ok, report.summary()


@pytest.mark.parametrize(("name", "params"), STRATEGIES)
def test_vector_backtest_on_orcl_is_structurally_sound(
    orcl: StrategyData, name: str, params: dict[str, Any]
) -> None:
    strategy = create_strategy(name, **params)
    res = run_vector(strategy, orcl, BacktestConfig(cash=CASH, fee_rate=FEE))
    assert np.isfinite(res.equity).all()
    if not params.get("allow_short"):
        # all-in long positions cannot lose more than they cost. Shorts can: fading ORCL's
        # 1999 run without a stop takes mean_reversion's account below zero, a real outcome.
        assert (res.equity > 0).all()
    held = res.targets[~np.isnan(res.targets)]
    low = -1.0 if params.get("allow_short") else 0.0
    assert ((held >= low) & (held <= 1.0)).all()
    assert (np.abs(res.position) > 0).any()
    if params.get("allow_short"):
        assert (res.position < 0).any()
    else:
        assert (res.position >= 0).all()
    if name != "buy_and_hold":
        assert res.n_trades > 0
        assert res.orders["fee"].sum() > 0


@pytest.mark.parametrize("fill", ["open", "close"])
def test_buy_and_hold_final_equity_is_closed_form(
    orcl: StrategyData, fill: Literal["open", "close"]
) -> None:
    res = run_vector(
        create_strategy("buy_and_hold"),
        orcl,
        BacktestConfig(cash=CASH, fee_rate=FEE, fill=fill),
    )
    entry = orcl.close[0] if fill == "close" else orcl.open[1]
    expected = CASH * orcl.close[-1] / entry / (1.0 + FEE)
    assert res.final_equity == pytest.approx(expected, rel=1e-12)
    assert len(res.orders) == 1
    assert res.n_trades == 0
    assert res.n_open_trades == 1
