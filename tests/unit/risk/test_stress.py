"""Stress tests: historical episodes replayed from the packaged real index prices, coverage
reported per symbol (never filled in), proxies labelled, and user shocks through betas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neural_trader.core.errors import InvalidArgumentError, NotFoundError
from neural_trader.data.providers.sample import load_sample
from neural_trader.risk.stress import (
    HISTORICAL_SCENARIOS,
    estimate_betas,
    replay_scenario,
    shock_scenario,
)


def _history(name: str) -> pd.DataFrame:
    frame = load_sample(name)
    idx = pd.DatetimeIndex(pd.to_datetime(frame["ts_event"].to_numpy(), unit="ns"))
    return frame.set_index(idx)[["close", "low"]]


@pytest.fixture(scope="module")
def history() -> dict[str, pd.DataFrame]:
    spx = _history("SPX")
    return {"SPX": spx, "IXIC": _history("IXIC"), "LATE": spx.loc["2012":]}


def _close(frame: pd.DataFrame, day: str) -> float:
    return float(frame["close"].loc[day:day].to_numpy()[0])


def test_2008_crisis_replays_real_closes_from_the_session_before_labor_day(
    history: dict[str, pd.DataFrame],
) -> None:
    res = replay_scenario("2008_crisis", {"SPX": 1e6, "IXIC": -2e5}, history, value=8e5)
    spx, ixic = history["SPX"], history["IXIC"]
    # 2008-09-01 was Labor Day: the base is the close of Friday 2008-08-29.
    want_spx = _close(spx, "2009-03-09") / _close(spx, "2008-08-29") - 1.0
    want_ixic = _close(ixic, "2009-03-09") / _close(ixic, "2008-08-29") - 1.0
    assert res.positions[0].shock == pytest.approx(want_spx, rel=1e-12)
    assert res.positions[1].shock == pytest.approx(want_ixic, rel=1e-12)
    assert want_spx == pytest.approx(676.53 / 1282.83 - 1.0, rel=1e-5)  # the published closes
    assert res.pnl is not None
    assert res.pnl == pytest.approx(1e6 * want_spx - 2e5 * want_ixic, rel=1e-12)
    assert res.pnl_fraction == pytest.approx(res.pnl / 8e5)
    assert res.complete
    assert res.covered_exposure == 1.0
    assert "2008-08-29" in res.positions[0].detail
    assert res.positions[0].source == "history"
    # The worst point: the daily path of the book, recomputed here from the closes.
    window = slice("2008-08-30", "2009-03-09")
    path = 1e6 * (spx.loc[window, "close"] / _close(spx, "2008-08-29") - 1.0) - 2e5 * (
        ixic.loc[window, "close"] / _close(ixic, "2008-08-29") - 1.0
    )
    assert res.worst_pnl == pytest.approx(path.min(), rel=1e-12)
    assert res.worst_date == path.idxmin().date().isoformat()
    assert res.worst_pnl <= res.pnl  # type: ignore[operator]


def test_flash_crash_uses_the_intraday_low(history: dict[str, pd.DataFrame]) -> None:
    res = replay_scenario("flash_crash", {"SPX": 1e5}, history, value=1e5)
    spx = history["SPX"]
    want = float(spx["low"].loc["2010-05-06":"2010-05-06"].to_numpy()[0])
    want = want / _close(spx, "2010-05-05") - 1.0
    assert res.positions[0].shock == pytest.approx(want, rel=1e-12)
    assert want == pytest.approx(1065.79 / 1165.87 - 1.0, rel=1e-5)
    assert "low 1065.79 (2010-05-06)" in res.positions[0].detail


def test_uncovered_symbols_are_reported_not_invented(history: dict[str, pd.DataFrame]) -> None:
    covid = replay_scenario("covid_crash", {"SPX": 1e5}, history, value=1e5)
    assert covid.positions[0].shock is None
    assert covid.positions[0].pnl is None
    assert (
        covid.positions[0].detail == "history ends 2018-12-31, before the scenario end 2020-03-23"
    )
    assert covid.pnl is None
    assert not covid.complete
    assert covid.worst_pnl is None
    res = replay_scenario("2008_crisis", {"SPX": 3e5, "LATE": 1e5, "GONE": 1e5}, history, value=5e5)
    late, gone = res.positions[1], res.positions[2]
    assert late.source == "none"
    assert "history starts 2012-01-03, after" in late.detail
    assert gone.detail == "no daily bars in the catalog"
    assert not res.complete
    assert res.covered_exposure == pytest.approx(0.6)
    assert res.pnl == pytest.approx(res.positions[0].pnl)
    assert "2 of 3 position(s) not covered (LATE, GONE)" in res.notes[0]


def test_a_named_proxy_stands_in_and_is_labelled(history: dict[str, pd.DataFrame]) -> None:
    res = replay_scenario(
        "2008_crisis", {"LATE": 1e5}, history, value=1e5, proxies={"LATE": "IXIC"}
    )
    row = res.positions[0]
    ixic = history["IXIC"]
    assert row.source == "proxy:IXIC"
    assert row.shock == pytest.approx(
        _close(ixic, "2009-03-09") / _close(ixic, "2008-08-29") - 1.0, rel=1e-12
    )
    assert row.detail.startswith("LATE: history starts")
    assert res.complete


def test_a_gap_before_the_start_is_not_bridged(history: dict[str, pd.DataFrame]) -> None:
    spx = history["SPX"]
    gappy = spx.drop(spx.loc["2008-08-15":"2008-09-05"].index)
    res = replay_scenario("2008_crisis", {"G": 1.0}, {"G": gappy}, value=1.0)
    assert res.positions[0].shock is None
    assert "no close within 7 days before 2008-09-01" in res.positions[0].detail


def test_unknown_scenario_lists_the_known_ones(history: dict[str, pd.DataFrame]) -> None:
    with pytest.raises(NotFoundError) as info:
        replay_scenario("dotcom", {"SPX": 1.0}, history, value=1.0)
    assert set(HISTORICAL_SCENARIOS) <= set(str(info.value.hint).replace(",", "").split())


def test_betas_and_factor_shocks() -> None:
    rng = np.random.default_rng(3)
    f = rng.normal(0, 0.01, 800)
    assets = pd.DataFrame(
        {"A": 1.5 * f + rng.normal(0, 0.002, 800), "B": -0.5 * f + rng.normal(0, 0.002, 800)}
    )
    betas = estimate_betas(assets, pd.DataFrame({"MKT": f}))
    assert betas.loc["A", "MKT"] == pytest.approx(1.5, abs=0.03)
    assert betas.loc["B", "MKT"] == pytest.approx(-0.5, abs=0.03)
    res = shock_scenario(
        "down",
        {"A": 1000.0, "B": 500.0, "C": 100.0},
        value=1600.0,
        asset_shocks={"B": -0.3},
        factor_shocks={"MKT": -0.2},
        betas=betas,
    )
    a, b, c = res.positions
    assert a.source == "factor"
    assert a.shock == pytest.approx(float(betas.to_numpy()[0, 0]) * -0.2)
    assert b.source == "user"
    assert b.shock == -0.3
    assert c.source == "none"
    assert not res.complete
    assert res.pnl == pytest.approx(1000.0 * a.shock - 150.0)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"asset_shocks": {"A": -1.0}}, "above -100%"),
        ({"asset_shocks": {"Z": -0.1}}, "not in the portfolio"),
        ({"factor_shocks": {"MKT": -0.1}}, "need betas"),
        ({}, "at least one"),
    ],
)
def test_shock_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        shock_scenario("x", {"A": 1.0}, value=1.0, **kwargs)  # type: ignore[arg-type]


def test_betas_need_enough_common_history() -> None:
    a = pd.DataFrame({"A": np.arange(10.0)})
    with pytest.raises(InvalidArgumentError, match="at least 20"):
        estimate_betas(a, pd.DataFrame({"F": np.arange(10.0)}))
