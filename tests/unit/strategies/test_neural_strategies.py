"""The neural strategies: both engines agree, no look-ahead, costs, feeds, registry models.

Tiny models (16 units, 16-bar windows, 40 steps) on a few hundred synthetic bars, one torch
thread: the point is the plumbing (walk-forward folds, batch vs per-bar forecasts, parity),
not forecasting skill.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from neural_trader.backtest import BacktestConfig, run_portfolio, run_vector  # noqa: E402
from neural_trader.backtest.event import run_event, run_event_portfolio  # noqa: E402
from neural_trader.core.errors import InvalidArgumentError, NotFoundError  # noqa: E402
from neural_trader.data.export import write_bars_csv  # noqa: E402
from neural_trader.data.providers.synthetic import generate_bars  # noqa: E402
from neural_trader.strategies import StrategyData, create_strategy  # noqa: E402
from neural_trader.strategies.builtin.neural_arbitrage import (  # noqa: E402
    NeuralArbitrage,
    hedge_ratio,
)
from neural_trader.strategies.builtin.neural_common import (  # noqa: E402
    clear_model_cache,
    fold_start_of,
    fold_starts,
)
from neural_trader.strategies.builtin.neural_trend import NeuralTrend  # noqa: E402
from neural_trader.strategies.lookahead import check_lookahead  # noqa: E402
from neural_trader.strategies.testing import event_targets  # noqa: E402

N_BARS = 330
TINY: dict[str, Any] = {
    "hidden": 16,
    "input_size": 16,
    "horizon": 3,
    "max_steps": 40,
    "train_bars": 150,
    "retrain_every": 90,
}
CONFIG = BacktestConfig(fee_rate=0.001, slippage=0.0005, fill="open")


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture(scope="module")
def bars() -> pd.DataFrame:
    return generate_bars(N_BARS, "1d", seed=7, start="2010-01-01")


@pytest.fixture(scope="module")
def trend_data(bars: pd.DataFrame) -> StrategyData:
    return StrategyData.from_frame(bars, "SYN")


def _sentiment(n: int) -> np.ndarray:
    """Sparse scores (a third of the bars have news), NaN elsewhere."""
    rng = np.random.default_rng(3)
    values = np.tanh(rng.normal(size=n))
    values[rng.random(n) < 0.66] = math.nan
    return values


def _other_leg(bars: pd.DataFrame) -> pd.DataFrame:
    """A second leg cointegrated with the first: 0.8 of its log price plus an AR(1) spread."""
    rng = np.random.default_rng(11)
    n = len(bars)
    spread = np.zeros(n)
    for i in range(1, n):
        spread[i] = 0.85 * spread[i - 1] + rng.normal(0.0, 0.01)
    close = np.exp(0.8 * np.log(bars["close"].to_numpy()) + 1.0 + spread)
    out = bars.copy()
    out["open"] = np.concatenate(([close[0]], close[:-1]))
    out["close"] = close
    out["high"] = np.maximum(out["open"], close) * 1.002
    out["low"] = np.minimum(out["open"], close) * 0.998
    return out


@pytest.fixture(scope="module")
def legs(bars: pd.DataFrame) -> tuple[StrategyData, StrategyData]:
    other = _other_leg(bars)
    a = StrategyData.from_frame(bars, "AAA", feeds={"other": other["close"].to_numpy()})
    return a, StrategyData.from_frame(other, "other")


PCONFIG = BacktestConfig(fee_rate=0.001, slippage=0.0005, sizer="target_weight", long_only=False)


def _arb(**params: Any) -> NeuralArbitrage:
    return NeuralArbitrage(**(TINY | {"fee_rate": 0.001, "slippage": 0.0005} | params))


# -- schedule and helpers ---------------------------------------------------------------------


def test_fold_schedule_depends_on_bar_indices_only() -> None:
    assert fold_starts(100, 150, 90) == []
    assert fold_starts(330, 150, None) == [150]
    assert fold_starts(330, 150, 90) == [150, 240]
    assert [fold_start_of(t, 150, 90) for t in (150, 239, 240, 329)] == [150, 150, 240, 240]


def test_hedge_ratio_recovers_a_known_relation() -> None:
    b = np.linspace(1.0, 2.0, 50)
    alpha, beta = hedge_ratio(0.5 + 0.8 * b, b)
    assert alpha == pytest.approx(0.5, abs=1e-12)
    assert beta == pytest.approx(0.8, abs=1e-12)


@pytest.mark.parametrize(
    ("name", "params", "named"),
    [
        ("neural_trend", {"threshold": 0.001, "exit_threshold": 0.01}, "exit_threshold"),
        ("neural_trend", {"trim_size": 0.5}, "trim_size"),
        ("neural_trend", {"model_kind": "gru"}, "model_kind"),
        ("neural_arbitrage", {"min_profit": -1.0}, "min_profit"),
    ],
)
def test_invalid_parameters_are_refused(name: str, params: dict[str, Any], named: str) -> None:
    with pytest.raises(InvalidArgumentError, match=named):
        create_strategy(name, **params)


# -- both engines, one answer -------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["nhits", "transformer"])
def test_trend_trades_identically_in_both_engines(trend_data: StrategyData, kind: str) -> None:
    params = TINY | {"threshold": 0.0, "allow_short": True, "model_kind": kind}
    strat = create_strategy("neural_trend", **params)
    targets = strat.signals(trend_data)
    assert np.isnan(targets[: TINY["train_bars"]]).all()  # nothing before the first fold
    np.testing.assert_array_equal(event_targets(strat, trend_data), targets)
    vec = run_vector(create_strategy("neural_trend", **params), trend_data, CONFIG)
    evt = run_event(create_strategy("neural_trend", **params), trend_data, CONFIG)
    assert len(vec.trades) > 0
    np.testing.assert_array_equal(evt.equity, vec.equity)
    np.testing.assert_array_equal(evt.orders["idx"], vec.orders["idx"])
    np.testing.assert_array_equal(evt.orders["quantity"], vec.orders["quantity"])


def test_sentiment_trades_identically_in_both_engines(trend_data: StrategyData) -> None:
    data = StrategyData.from_frame(
        pd.DataFrame(
            {
                "ts_event": trend_data.ts_event,
                "open": trend_data.open,
                "high": trend_data.high,
                "low": trend_data.low,
                "close": trend_data.close,
                "volume": trend_data.volume,
            }
        ),
        "SYN",
        feeds={"sentiment": _sentiment(len(trend_data))},
    )
    params = TINY | {"threshold": 0.0}
    strat = create_strategy("neural_sentiment", **params)
    targets = strat.signals(data)
    np.testing.assert_array_equal(event_targets(strat, data), targets)
    vec = run_vector(strat, data, CONFIG)
    evt = run_event(create_strategy("neural_sentiment", **params), data, CONFIG)
    assert len(vec.trades) > 0
    np.testing.assert_array_equal(evt.equity, vec.equity)
    np.testing.assert_array_equal(evt.orders["quantity"], vec.orders["quantity"])


def test_arbitrage_trades_identically_in_both_engines(
    legs: tuple[StrategyData, StrategyData],
) -> None:
    a, b = legs
    weights = _arb().signals_legs(a)
    vec = run_portfolio(weights, [a, b], PCONFIG)
    evt = run_event_portfolio(_arb(), [a, b], PCONFIG)
    assert len(vec.trades) > 0
    np.testing.assert_array_equal(evt.weights, weights)
    np.testing.assert_array_equal(evt.equity, vec.equity)
    np.testing.assert_array_equal(evt.orders["quantity"], vec.orders["quantity"])


# -- look-ahead ---------------------------------------------------------------------------------


def test_trend_passes_the_lookahead_check_with_retraining(trend_data: StrategyData) -> None:
    strat = create_strategy("neural_trend", **(TINY | {"threshold": 0.0}))

    def run(d: StrategyData) -> tuple[np.ndarray, np.ndarray]:
        res = run_event(strat, d, CONFIG)
        return res.orders["idx"], res.orders["quantity"]

    # Cuts inside the first fold, at the retraining bar and after it.
    report = check_lookahead(strat, trend_data, points=[140, 200, 240, 241, 300], engine_check=run)
    assert report.ok, report.summary()


def test_arbitrage_passes_the_lookahead_check(legs: tuple[StrategyData, StrategyData]) -> None:
    a, b = legs
    strat = _arb()

    def run(d: StrategyData) -> tuple[np.ndarray, np.ndarray]:
        res = run_portfolio(strat.signals_legs(d), [d, b.head(len(d))], PCONFIG)
        return res.orders["idx"], res.orders["quantity"]

    report = check_lookahead(strat, a, points=[200, 260, 320], engine_check=run)
    assert report.ok, report.summary()


# -- feeds and costs ---------------------------------------------------------------------------


def test_sentiment_without_a_sentiment_series_says_how_to_supply_one(
    trend_data: StrategyData,
) -> None:
    strat = create_strategy("neural_sentiment", **TINY)
    with pytest.raises(InvalidArgumentError, match="sentiment") as err:
        strat.signals(trend_data)
    assert "--with sentiment=" in str(err.value.hint)
    with pytest.raises(InvalidArgumentError, match="sentiment") as err:
        event_targets(create_strategy("neural_sentiment", **TINY), trend_data)
    assert "--with sentiment=" in str(err.value.hint)


def test_arbitrage_does_not_trade_when_costs_exceed_the_expected_profit(
    legs: tuple[StrategyData, StrategyData],
) -> None:
    a, b = legs
    costly = _arb(fee_rate=0.2, slippage=0.1)
    weights = costly.signals_legs(a)
    assert np.isnan(weights).all()
    res = run_event_portfolio(_arb(fee_rate=0.2, slippage=0.1), [a, b], PCONFIG)
    assert len(res.orders) == 0
    cheap = _arb(fee_rate=0.0, slippage=0.0).signals_legs(a)
    assert np.isfinite(cheap).any()
    # No forecast move pays a 60% round trip; costs decide entries, never the forecasts.
    beta, _, move, _ = _arb().spread_forecasts(a)
    assert np.nanmax(np.abs(move) / (1.0 + np.abs(beta))) < 2 * (0.2 + 0.1)


def test_arbitrage_needs_costs_and_the_other_leg(legs: tuple[StrategyData, StrategyData]) -> None:
    a, _ = legs
    no_costs = NeuralArbitrage(**TINY)
    with pytest.raises(InvalidArgumentError, match="fee_rate"):
        no_costs.signals_legs(a)
    alone = StrategyData.from_frame(generate_bars(N_BARS, "1d", seed=7, start="2010-01-01"), "AAA")
    with pytest.raises(InvalidArgumentError, match="other"):
        _arb().signals_legs(alone)


def test_width_gate_skips_or_trims_entries(trend_data: StrategyData) -> None:
    base = TINY | {"threshold": 0.0, "retrain_every": None}
    free = create_strategy("neural_trend", **base).signals(trend_data)
    assert np.nanmax(np.abs(free)) == 1.0
    _, ratio = NeuralTrend(**base, max_width=1.0).forecast_returns(trend_data)
    assert np.isfinite(ratio[150:]).all()
    assert (ratio[150:] > 0).all()
    # With max_width below every bar's band-to-move ratio every forecast is too wide: nothing
    # enters, or with trim_size every entry is at that size.
    below = float(np.nanmin(ratio)) * 0.5
    skipped = create_strategy("neural_trend", **base, max_width=below).signals(trend_data)
    assert np.isnan(skipped).all()
    trimmed = create_strategy("neural_trend", **base, max_width=below, trim_size=0.25).signals(
        trend_data
    )
    assert set(np.unique(trimmed[np.isfinite(trimmed)])) <= {0.0, 0.25}
    assert np.nanmax(trimmed) == 0.25


# -- determinism ---------------------------------------------------------------------------------


def test_same_seed_same_trades_other_seed_other_forecasts(trend_data: StrategyData) -> None:
    params = TINY | {"threshold": 0.0, "retrain_every": None}
    clear_model_cache()
    first = NeuralTrend(**params).forecast_returns(trend_data)[0]
    clear_model_cache()  # train again from scratch
    second = NeuralTrend(**params).forecast_returns(trend_data)[0]
    np.testing.assert_array_equal(first, second)
    other = NeuralTrend(**params, seed=1).forecast_returns(trend_data)[0]
    assert not np.array_equal(first[150:], other[150:])


# -- registry models -------------------------------------------------------------------------


def _register_tiny_model(close: np.ndarray, features: tuple[str, ...] = ()) -> str:
    """Train and register a small NHITS through the forecasting API (in $NT_HOME/models)."""
    from neural_trader.forecasting import (
        ConformalIntervals,
        ModelMetadata,
        ModelRegistry,
        NHITSConfig,
        TrainConfig,
        Trainer,
        build_model,
        split_windows,
    )
    from neural_trader.forecasting.predictor import Forecaster

    splits = split_windows([close], None, input_size=16, horizon=3, val_fraction=0.2)
    assert splits.val is not None
    net = build_model(NHITSConfig(input_size=16, horizon=3, mlp_units=16), seed=0)
    Trainer(TrainConfig(max_steps=40, seed=0, progress=False, device="cpu")).fit(
        net, splits.train, splits.val
    )
    v_in, _, v_out = splits.val.arrays()
    conformal = ConformalIntervals.fit(v_out, Forecaster(net).predict(v_in).point, v_in, [80.0])
    record = ModelRegistry().save(
        net, ModelMetadata(target="close", features=features), conformal=conformal
    )
    return record.model_id


def test_a_registry_model_trades_in_both_engines(nt_home: Path, trend_data: StrategyData) -> None:
    model_id = _register_tiny_model(trend_data.close[:150])
    params = {"model": model_id, "train_bars": 150, "threshold": 0.0, "max_width": 50.0}
    strat = NeuralTrend(**params)
    assert strat.warmup == 150
    targets = strat.signals(trend_data)
    assert np.isfinite(targets).any()
    np.testing.assert_array_equal(event_targets(strat, trend_data), targets)
    # The float64 twin forecasts what the float32 serving path does, to float32 rounding.
    from neural_trader.forecasting import Forecaster

    windows = np.stack([trend_data.close[t - 15 : t + 1] for t in range(150, 160)])
    served = Forecaster.load(model_id).predict(windows).point[:, -1] / windows[:, -1] - 1.0
    r, _ = strat.forecast_returns(trend_data)
    np.testing.assert_allclose(r[150:160], served, rtol=1e-4, atol=1e-6)


def test_registry_model_mismatches_are_refused(nt_home: Path, trend_data: StrategyData) -> None:
    model_id = _register_tiny_model(trend_data.close[:150])
    with pytest.raises(InvalidArgumentError, match="horizon"):
        create_strategy("neural_trend", model=model_id, horizon=7).signals(trend_data)
    data = StrategyData.from_frame(
        pd.DataFrame({k: getattr(trend_data, k) for k in ("open", "high", "low", "close",
                                                         "volume")} |
                     {"ts_event": trend_data.ts_event}),
        "SYN",
        feeds={"sentiment": _sentiment(len(trend_data))},
    )  # fmt: skip
    with pytest.raises(InvalidArgumentError, match="without a 'sentiment' feature"):
        create_strategy("neural_sentiment", model=model_id, train_bars=150).signals(data)
    with pytest.raises(NotFoundError):
        create_strategy("neural_trend", model="nhits-19700101000000-000000").signals(trend_data)


# -- through the service (what the CLI runs) -----------------------------------------------------


def test_backtest_service_runs_checks_and_passes_costs(
    nt_home: Path, bars: pd.DataFrame, tmp_path: Path
) -> None:
    from neural_trader.services.research import run_backtest

    primary = tmp_path / "aaa.csv"
    other = tmp_path / "bbb.csv"
    write_bars_csv(bars, primary, layout="yahoo")
    write_bars_csv(_other_leg(bars), other, layout="yahoo")
    params = {k: str(v) for k, v in TINY.items()}
    out = run_backtest(
        "neural_arbitrage",
        data_file=primary,
        params=params,
        inputs={"other": str(other)},
        fees=0.0005,
        slippage=0.0002,
        engine="event",
        check_lookahead=True,
    )
    assert out.params["fee_rate"] == 0.0005
    assert out.params["slippage"] == 0.0002
    assert out.lookahead is not None
    assert out.lookahead.ok
    assert out.trades + out.open_trades > 0
    vec = run_backtest(
        "neural_arbitrage",
        data_file=primary,
        params=params,
        inputs={"other": str(other)},
        fees=0.0005,
        slippage=0.0002,
    )
    assert vec.final_equity == out.final_equity
    trend = run_backtest("neural_trend", data_file=primary, params=params | {"threshold": "0"})
    assert trend.bars == N_BARS
    assert any("walk-forward" in note for note in trend.notes)
