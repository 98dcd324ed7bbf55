"""The MCP tools return the engine's numbers: the same inputs through the tool and through the
service (what the CLI calls) give identical results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def test_run_backtest_equals_the_service_backtest(call: Any, home: Path) -> None:
    from neural_trader.services.research import run_backtest

    r = call(
        "run_backtest",
        {"strategy": "sma_cross", "symbol": "SPX", "start_date": "2005-01-01",
         "end_date": "2015-12-31", "params": {"fast": 20, "slow": 100}, "benchmark": "nasdaq",
         "fee_rate": 0.002, "cash": 50_000},
    ).structured_content  # fmt: skip
    s = run_backtest(
        "sma_cross", symbol="SPX", start="2005-01-01", end="2015-12-31",
        params={"fast": 20, "slow": 100}, cash=50_000, fees=0.002,
    )  # fmt: skip
    res = r["results"]
    assert res["total_return"] == s.total_return
    assert res["sharpe"] == s.sharpe
    assert res["max_drawdown"] == s.max_drawdown
    assert res["trades"] == s.trades
    assert res["final_equity"] == s.final_equity
    assert r["bars"] == s.bars
    assert r["metrics"] == s.model_dump(mode="json")["metrics"]
    # The benchmark is buy-and-hold of the NASDAQ index over the same dates and costs.
    b = run_backtest(
        "buy_and_hold", symbol="IXIC", start=s.first, end=s.last, cash=50_000, fees=0.002
    )
    bench = r["benchmark_comparison"]
    assert bench["symbol"] == "IXIC"
    assert bench["total_return"] == b.total_return
    assert bench["excess_return"] == pytest.approx(s.total_return - b.total_return, abs=0)


def test_run_backtest_equals_the_cli_backtest(call: Any, home: Path) -> None:
    """The same inputs through the MCP tool and through `neural-trader backtest --json`."""
    import json

    from typer.testing import CliRunner

    from neural_trader.fronts.cli.app import app

    r = call(
        "run_backtest",
        {"strategy": "momentum", "symbol": "IXIC", "start_date": "2003-01-01",
         "end_date": "2013-12-31", "params": {"period": 60}, "fee_rate": 0.0005,
         "cash": 25_000, "engine": "event"},
    ).structured_content  # fmt: skip
    out = CliRunner().invoke(
        app,
        ["backtest", "-s", "momentum", "--symbol", "IXIC", "--start", "2003-01-01",
         "--end", "2013-12-31", "-p", "period=60", "--fees", "0.0005", "--cash", "25000",
         "--engine", "event", "--json"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    cli = json.loads(out.stdout)
    assert cli["engine"] == "event"
    assert r["bars"] == cli["bars"] > 2000
    assert r["metrics"] == cli["metrics"]
    for key in ("total_return", "sharpe", "max_drawdown", "trades", "final_equity"):
        assert r["results"][key] == cli[key], key


def test_include_costs_false_means_no_fees(call: Any, home: Path) -> None:
    from neural_trader.services.research import run_backtest

    r = call(
        "run_backtest",
        {"strategy": "swing", "symbol": "IXIC", "start_date": "2010-01-01",
         "end_date": "2012-12-31", "include_costs": False},
    ).structured_content  # fmt: skip
    s = run_backtest("swing", symbol="IXIC", start="2010-01-01", end="2012-12-31", fees=0.0)
    assert r["costs"] == {"include_costs": False, "fee_rate": 0.0, "slippage": 0.0}
    assert r["results"]["total_return"] == s.total_return


@pytest.mark.parametrize("monte_carlo", [False, True])
def test_risk_analysis_var_equals_the_risk_service(
    call: Any, home: Path, monte_carlo: bool
) -> None:
    from neural_trader.services.risk import portfolio_var_report

    r = call(
        "risk_analysis",
        {"portfolio": [{"symbol": "SPX", "quantity": 3}, {"symbol": "IXIC", "quantity": -1}],
         "var_confidence": 0.01, "time_horizon": 5, "use_monte_carlo": monte_carlo,
         "use_gpu": False, "paths": 20_000, "seed": 7},
    ).structured_content  # fmt: skip
    s = portfolio_var_report(
        positions="SPX:3,IXIC:-1",
        method="monte_carlo" if monte_carlo else "historical",
        confidence=0.99,
        horizon=5,
        paths=20_000,
        seed=7,
    )
    m = r["risk_metrics"]
    assert m["value_at_risk"] == s.var
    assert m["expected_shortfall"] == s.cvar
    assert m["method"] == s.method
    assert [p["component_var"] for p in r["positions"]] == [p.component_var for p in s.positions]
    assert r["processing"]["gpu_used"] is False


def test_optimize_strategy_equals_the_optimisation_service(call: Any, home: Path) -> None:
    from neural_trader.services.optimize import run_optimization
    from neural_trader.services.research import run_backtest

    r = call(
        "optimize_strategy",
        {"strategy": "sma_cross", "symbol": "SPX",
         "parameter_ranges": {"fast": {"min": 5, "max": 25, "step": 10},
                              "slow": {"values": [60, 120]}}},
    ).structured_content  # fmt: skip
    s = run_optimization("sma_cross", symbol="SPX", grid=["fast=5:25:10", "slow=60,120"])
    assert r["method"] == "grid"
    assert r["iterations_completed"] == s.evaluated == 6
    assert r["optimized_parameters"] == s.best_params
    assert r["best_score"] == s.best_score
    # The default configuration is scored by the same engine, so improvement is comparable.
    d = run_backtest("sma_cross", symbol="SPX")
    assert r["default_score"] == d.sharpe
    assert r["improvement_percentage"] == pytest.approx(
        (s.best_score - d.sharpe) / abs(d.sharpe) * 100.0
    )


def test_significance_test_uses_the_backtest_sharpe(call: Any, home: Path) -> None:
    from neural_trader.services.research import run_backtest

    r = call(
        "significance_test",
        {"strategy": "mean_reversion", "symbol": "IXIC", "bootstrap_samples": 300},
    ).structured_content
    s = run_backtest("mean_reversion", symbol="IXIC")
    assert r["sharpe"] == pytest.approx(s.sharpe, rel=1e-12)
    assert r["observations"] == s.bars
    assert 0.0 < r["bootstrap_p_value"] <= 1.0
    assert r["deflated_sharpe"] == r["probabilistic_sharpe"]  # one trial: nothing to deflate


def test_correlation_matrix_equals_the_risk_service(call: Any, home: Path) -> None:
    from neural_trader.services.risk import correlation_report

    r = call(
        "cross_asset_correlation_matrix", {"assets": ["SPX", "IXIC"], "lookback_days": 250}
    ).structured_content
    s = correlation_report(symbols=["SPX", "IXIC"], lookback=250)
    assert r["correlation_matrix"]["SPX"]["IXIC"] == s.matrix[0][1]
    assert r["diversification_score"] == pytest.approx(1.0 - s.matrix[0][1])
