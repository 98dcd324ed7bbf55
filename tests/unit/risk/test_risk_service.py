"""The risk services on a real catalog (the packaged S&P 500 and NASDAQ bars): prices and returns
come from the catalog as documented, and every report matches the library functions it wraps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from neural_trader.analytics import metrics as m
from neural_trader.core.errors import (
    CatalogError,
    InvalidArgumentError,
    NotSupportedError,
    UnknownSymbolError,
)
from neural_trader.risk.var import backtest_var
from neural_trader.services.risk import (
    correlation_report,
    kelly_sizing,
    load_returns,
    optimize_portfolio,
    parse_targets,
    portfolio_var_report,
    rebalance_portfolio,
    stress_test,
)

SPX_LAST = 2506.850098  # the sample's close on 2018-12-31


def test_var_of_one_position_is_the_metric_on_catalog_returns(risk_catalog: Path) -> None:
    rep = portfolio_var_report(
        positions="SPX:10", method="historical", confidence=0.99, catalog=risk_catalog
    )
    rets = load_returns(["SPX"], catalog=risk_catalog)["SPX"].to_numpy()
    assert rets.size == 5030
    want = m.value_at_risk(rets[-500:], confidence=0.99).value
    assert rep.var_fraction == pytest.approx(want, rel=1e-12)
    assert rep.positions[0].price == pytest.approx(SPX_LAST)
    assert rep.value == pytest.approx(10 * SPX_LAST)
    assert (rep.observations, rep.first, rep.last) == (500, "2017-01-05", "2018-12-31")
    every = portfolio_var_report(
        positions="SPX:10", method="historical", lookback=None, catalog=risk_catalog
    )
    assert every.observations == 5030
    assert every.var_fraction == pytest.approx(m.value_at_risk(rets).value, rel=1e-12)


def test_var_backtest_is_the_rolling_forecast_of_the_book(risk_catalog: Path) -> None:
    rep = portfolio_var_report(
        positions="SPX:10,IXIC:-5@7000",
        method="gaussian",
        confidence=0.99,
        backtest_window=250,
        catalog=risk_catalog,
    )
    assert rep.backtest is not None
    rets = load_returns(["SPX", "IXIC"], catalog=risk_catalog).to_numpy()
    e = np.array([10 * SPX_LAST, -35_000.0])
    pnl = rets @ e / (np.abs(e).sum())  # net value is negative here: gross is the base
    assert rep.value_base == "gross_exposure"
    want = backtest_var(pnl, window=250, confidence=0.99, method="gaussian").kupiec
    assert rep.backtest.exceedances == want.exceedances
    assert rep.backtest.p_value == pytest.approx(want.p_value, rel=1e-12)
    assert rep.backtest.first == "1999-12-31"


def test_monte_carlo_report_is_reproducible(risk_catalog: Path) -> None:
    kw = {
        "positions": "SPX:10,IXIC:5",
        "method": "monte_carlo",
        "paths": 20_000,
        "horizon": 5,
        "mc_model": "bootstrap",
        "catalog": risk_catalog,
    }
    a = portfolio_var_report(seed=1, **kw)  # type: ignore[arg-type]
    b = portfolio_var_report(seed=1, **kw)  # type: ignore[arg-type]
    c = portfolio_var_report(seed=2, **kw)  # type: ignore[arg-type]
    assert a.model_dump() == b.model_dump()
    assert a.var != c.var
    assert a.details["model"] == "bootstrap"
    assert a.details["seed"] == 1
    with pytest.raises(InvalidArgumentError, match="re-estimates the model"):
        portfolio_var_report(seed=1, backtest_window=250, **kw)  # type: ignore[arg-type]


def test_currency_needs_a_rate_and_then_scales_the_exposure(
    risk_catalog: Path, tmp_path: Path
) -> None:
    path = tmp_path / "book.json"
    path.write_text(json.dumps([{"symbol": "SPX", "quantity": 1, "currency": "CAD"}]))
    with pytest.raises(NotSupportedError, match="no CAD rate"):
        portfolio_var_report(portfolio_file=path, catalog=risk_catalog)
    rep = portfolio_var_report(portfolio_file=path, fx_rates={"CAD": 0.75}, catalog=risk_catalog)
    assert rep.positions[0].exposure == pytest.approx(0.75 * SPX_LAST)
    assert any("currency risk is not modelled" in n for n in rep.notes)


def test_catalog_errors(risk_catalog: Path) -> None:
    with pytest.raises(UnknownSymbolError) as info:
        portfolio_var_report(positions="SPY:1", catalog=risk_catalog)
    assert info.value.hint == "did you mean SPX?"
    with pytest.raises(CatalogError, match="risk needs daily bars") as cat_info:
        portfolio_var_report(positions="MINUTE:1", catalog=risk_catalog)
    assert "data resample MINUTE --from 1m --to 1d" in str(cat_info.value)
    with pytest.raises(InvalidArgumentError, match="exactly one"):
        portfolio_var_report(catalog=risk_catalog)
    with pytest.raises(InvalidArgumentError, match="only 18 daily return"):
        portfolio_var_report(positions="SPX:1", start="2018-12-01", catalog=risk_catalog)


def test_returns_are_aligned_on_common_dates(risk_catalog: Path) -> None:
    rets = load_returns(["SPX", "LATE"], catalog=risk_catalog)
    assert str(rets.index[0].date()) == "2012-01-04"
    np.testing.assert_array_equal(rets["SPX"].to_numpy(), rets["LATE"].to_numpy())
    assert list(load_returns(["SPX"], catalog=risk_catalog, lookback=30).shape) == [30, 1]


def test_stress_default_runs_every_named_scenario(risk_catalog: Path) -> None:
    rep = stress_test(positions="SPX:10,LATE:5", catalog=risk_catalog)
    assert [s.scenario for s in rep.scenarios] == ["2008_crisis", "covid_crash", "flash_crash"]
    crisis, covid, flash = rep.scenarios
    assert crisis.positions[0].shock == pytest.approx(676.53 / 1282.83 - 1, rel=1e-5)
    assert crisis.positions[1].source == "none"
    assert not crisis.complete
    assert covid.pnl is None
    assert all(p.shock is None for p in covid.positions)
    assert flash.positions[0].shock == pytest.approx(1065.79 / 1165.87 - 1, rel=1e-5)
    proxied = stress_test(
        positions="LATE:5", scenarios=["2008_crisis"], proxies={"LATE": "SPX"}, catalog=risk_catalog
    )
    assert proxied.scenarios[0].positions[0].source == "proxy:SPX"
    with pytest.raises(UnknownSymbolError):
        stress_test(positions="LATE:5", proxies={"LATE": "SPY"}, catalog=risk_catalog)


def test_stress_user_and_factor_shocks(risk_catalog: Path) -> None:
    rep = stress_test(
        positions="SPX:10,IXIC:2",
        shocks={"SPX": -0.1},
        factor_shocks={"SPX": -0.2},
        catalog=risk_catalog,
    )
    assert [s.scenario for s in rep.scenarios] == ["user_shock"]
    spx, ixic = rep.scenarios[0].positions
    assert spx.source == "user"
    assert spx.shock == -0.1
    rets = load_returns(["SPX", "IXIC"], catalog=risk_catalog, lookback=500).to_numpy()
    beta = np.polyfit(rets[:, 0], rets[:, 1], 1)[0]
    assert ixic.source == "factor"
    assert ixic.shock == pytest.approx(beta * -0.2, rel=1e-9)


def test_correlation_report(risk_catalog: Path) -> None:
    rep = correlation_report(symbols="SPX,IXIC", method="spearman", catalog=risk_catalog)
    assert rep.symbols == ["SPX", "IXIC"]
    assert rep.observations == 500
    assert rep.matrix[0][1] == rep.matrix[1][0]
    assert 0.8 < rep.matrix[0][1] < 1.0
    assert [c.members for c in rep.clusters] == [["SPX", "IXIC"]]
    assert rep.effective_number_of_bets is None
    pf = correlation_report(positions="SPX:10,IXIC:3", method="shrunk", catalog=risk_catalog)
    assert pf.shrinkage is not None
    assert 0.0 <= pf.shrinkage <= 1.0
    assert pf.effective_number_of_bets is not None
    assert 1.0 <= pf.effective_number_of_bets < 1.5
    with pytest.raises(InvalidArgumentError, match="at least two"):
        correlation_report(symbols="SPX", catalog=risk_catalog)


def test_optimize_report(risk_catalog: Path) -> None:
    pytest.importorskip("skfolio")
    rep = optimize_portfolio(symbols="SPX,IXIC", method="min_cvar", catalog=risk_catalog)
    assert sum(rep.weights.values()) == pytest.approx(1.0, abs=1e-6)
    assert rep.objective == "min_risk"
    assert rep.observations == 500


def test_kelly_reports(risk_catalog: Path) -> None:
    one = kelly_sizing(bets=[(0.6, 1.0, 1.0)])
    assert one.mode == "single"
    assert one.total_stake == pytest.approx(0.2)
    assert one.expected_log_growth == pytest.approx(0.6 * np.log(1.2) + 0.4 * np.log(0.8))
    neg = kelly_sizing(bets=[(0.4, 1.0, 1.0)])
    assert neg.total_stake == 0.0
    assert "negative edge" in neg.notes[0]
    two = kelly_sizing(bets=[(0.6, 1.0, 1.0), (0.6, 1.0, 1.0)], fraction=0.5)
    assert two.mode == "simultaneous"
    assert two.total_stake == pytest.approx(0.5 * 2 * 0.2 / (2 * 0.52), abs=1e-6)
    sym = kelly_sizing(symbol="SPX", catalog=risk_catalog)
    r = load_returns(["SPX"], catalog=risk_catalog, lookback=500)["SPX"].to_numpy()
    assert sym.leverage == pytest.approx(r.mean() / r.var(ddof=1), rel=1e-12)
    with pytest.raises(InvalidArgumentError, match="either bets"):
        kelly_sizing()


def test_rebalance_report(risk_catalog: Path, tmp_path: Path) -> None:
    targets = tmp_path / "targets.csv"
    targets.write_text("symbol,weight\nSPX,0.5\nIXIC,0.5\n")
    rep = rebalance_portfolio(
        positions="SPX:10", target_file=targets, cash=20_000.0, catalog=risk_catalog
    )
    ixic = next(t for t in rep.trades if t.symbol == "IXIC")
    assert ixic.side == "BUY"
    assert ixic.price == pytest.approx(6635.279785, rel=1e-9)
    assert any("priced at their last catalog close" in n for n in rep.notes)
    assert rep.value_before == pytest.approx(10 * SPX_LAST + 20_000.0)
    as_json = tmp_path / "targets.json"
    as_json.write_text('{"SPX": 0.5, "IXIC": 0.5}')
    again = rebalance_portfolio(
        positions="SPX:10", target_file=as_json, cash=20_000.0, catalog=risk_catalog
    )
    assert again.model_dump() == rep.model_dump()
    assert parse_targets("A=0.5, B=0.25") == {"A": 0.5, "B": 0.25}
    for bad in ("A", "A=x", ""):
        with pytest.raises(InvalidArgumentError):
            parse_targets(bad)
