"""Every tool through the SDK's in-process client: valid arguments give a structured result
(the client checks it against the tool's output schema), invalid ones a tool error naming
the field, engine errors a tool error with the engine's message; the server survives all."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from jsonschema import Draft202012Validator
from mcp import Client

BT = {
    "strategy": "sma_cross",
    "symbol": "SPX",
    "start_date": "2012-01-01",
    "end_date": "2016-12-31",
}
BOOK = [{"symbol": "SPX", "quantity": 2}, {"symbol": "IXIC", "value": 10_000}]

# Tools that need the forecast extra and a trained model are in test_neural_tools.py.
NEURAL = {
    "neural_backtest",
    "neural_forecast",
    "neural_train",
    "neural_evaluate",
    "neural_optimize",
    "neural_predict",
}
# Needs a running `trade` process: tests/integration/mcp/test_switch_strategy.py (and below).
RUNNER = {"switch_active_strategy"}

VALID: dict[str, dict[str, Any]] = {
    "ping": {},
    "list_strategies": {},
    "get_strategy_info": {"strategy": "sma_cross"},
    "quick_analysis": {"symbol": "SPX"},
    "get_market_analysis": {"symbol": "IXIC"},
    "get_market_status": {"calendar": "XNYS"},
    "run_backtest": {**BT, "use_gpu": True, "benchmark": "sp500", "include_costs": True},
    "backtest_strategy": BT,
    "quick_backtest": {"strategy": "buy_and_hold", "symbol": "SPX", "days": 365},
    "optimize_strategy": {
        "strategy": "sma_cross",
        "symbol": "SPX",
        "parameter_ranges": {"fast": {"min": 5, "max": 15, "step": 5}},
        "max_iterations": 100,
        "optimization_metric": "total_return",
    },
    "optimize_parameters": {
        "strategy": "momentum",
        "symbol": "SPX",
        "parameter_ranges": {"period": {"values": [20, 60]}},
    },
    "performance_report": {"strategy": "sma_cross", "period_days": 30},
    "monitor_strategy_health": {"strategy": "sma_cross"},
    "analyze_bottlenecks": {"metrics": ["latency", "errors"]},
    "run_benchmark": {"strategy": "sma_cross", "benchmark_type": "performance"},
    "recommend_strategy": {
        "symbol": "SPX",
        "market_conditions": {"trend": "bullish", "volatility": "low"},
        "risk_tolerance": "low",
        "start_date": "2010-01-01",
    },
    "get_strategy_comparison": {
        "strategies": ["sma_cross", "buy_and_hold", "pairs"],
        "symbol": "SPX",
        "metrics": ["sharpe_ratio", "total_return", "max_drawdown", "annual_volatility"],
    },
    "adaptive_strategy_selection": {"symbol": "IXIC"},
    "simulate_trade": {"strategy": "sma_cross", "symbol": "SPX", "action": "buy"},
    "execute_trade": {
        "strategy": "manual",
        "symbol": "SPX",
        "action": "buy",
        "quantity": 3,
        "order_type": "limit",
        "limit_price": 2400.0,
    },
    "execute_multi_asset_trade": {
        "trades": [
            {"symbol": "SPX", "action": "buy", "quantity": 1},
            {"symbol": "IXIC", "action": "buy", "quantity": 1, "price": 6500.0},
        ],
        "strategy": "manual",
        "validate_only": True,
    },
    "get_portfolio_status": {"include_analytics": True},
    "portfolio_rebalance": {
        "target_allocations": {"SPX": 0.5, "IXIC": 0.4},
        "current_portfolio": {"SPX": 10},
        "cash": 20_000,
    },
    "get_execution_analytics": {"time_period": "all"},
    "risk_analysis": {"portfolio": BOOK, "use_monte_carlo": False, "use_gpu": False},
    "correlation_analysis": {"symbols": ["SPX", "IXIC"], "period_days": 120},
    "cross_asset_correlation_matrix": {"assets": ["SPX", "IXIC"], "method": "spearman"},
    "monte_carlo_simulation": {"portfolio": BOOK, "simulations": 500, "time_horizon": 21},
    "neural_model_status": {},
    "get_candles": {"symbol": "SPX", "start_date": "2018-01-01", "limit": 5},
    "compute_indicators": {
        "symbol": "SPX",
        "indicators": [
            {"name": "rsi"},
            {"name": "macd"},
            {"name": "sma", "params": {"timeperiod": 50}},
        ],
        "limit": 3,
    },
    "import_data": {},  # filled in by the test: needs a file
    "list_data": {},
    "significance_test": {"strategy": "sma_cross", "symbol": "SPX", "bootstrap_samples": 200},
    "get_system_metrics": {"include_history": True},
    "get_health_status": {},
    "get_api_latency": {"time_window": 5},
    "get_token_usage": {"operation": "ping", "timeframe": "15m"},
}

# (tool, arguments with one bad value, the name the error must mention)
INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("ping", {"bogus": 1}, "bogus"),
    ("list_strategies", {"verbose": True}, "verbose"),
    ("get_strategy_info", {}, "strategy"),
    ("monitor_strategy_health", {"strategy": "sma_cross", "period_days": 0}, "period_days"),
    ("analyze_bottlenecks", {"metrics": ["gpu"]}, "metrics"),
    ("quick_analysis", {"symbol": "S P X"}, "symbol"),
    ("get_market_analysis", {"symbol": ""}, "symbol"),
    ("get_market_status", {"calendar": 7}, "calendar"),
    ("run_backtest", {**BT, "start_date": "2012-13-45"}, "start_date"),
    ("backtest_strategy", {"strategy": "sma_cross", "symbol": "SPX"}, "start_date"),
    ("quick_backtest", {"strategy": "sma_cross", "symbol": "SPX", "days": 0}, "days"),
    (
        "optimize_strategy",
        {
            "strategy": "sma_cross",
            "symbol": "SPX",
            "parameter_ranges": {"fast": {"min": 5}},
            "max_iterations": 20_000,
        },
        "max_iterations",
    ),
    ("optimize_parameters", {"strategy": "sma_cross", "symbol": "SPX"}, "parameter_ranges"),
    ("performance_report", {"strategy": "sma_cross", "period_days": -3}, "period_days"),
    ("run_benchmark", {"strategy": "sma_cross", "benchmark_type": "gpu"}, "benchmark_type"),
    ("recommend_strategy", {"symbol": "SPX", "risk_tolerance": "extreme"}, "risk_tolerance"),
    ("get_strategy_comparison", {"strategies": [], "symbol": "SPX"}, "strategies"),
    ("adaptive_strategy_selection", {"symbol": "SPX", "auto_switch": "maybe"}, "auto_switch"),
    ("simulate_trade", {"strategy": "sma_cross", "symbol": "SPX", "action": "hold"}, "action"),
    (
        "execute_trade",
        {"strategy": "m", "symbol": "SPX", "action": "buy", "quantity": -1},
        "quantity",
    ),
    (
        "execute_multi_asset_trade",
        {"trades": [{"symbol": "SPX", "action": "buy"}], "strategy": "m"},
        "quantity",
    ),
    ("get_portfolio_status", {"include_analytics": "yes please"}, "include_analytics"),
    ("portfolio_rebalance", {"target_allocations": {"SPX": 1.5}}, "target_allocations"),
    ("get_execution_analytics", {"time_period": "5y"}, "time_period"),
    ("risk_analysis", {"portfolio": BOOK, "var_confidence": 0.5}, "var_confidence"),
    ("correlation_analysis", {"symbols": ["SPX"]}, "symbols"),
    ("cross_asset_correlation_matrix", {"assets": ["SPX", "IXIC"], "method": "kendall"}, "method"),
    ("monte_carlo_simulation", {"portfolio": BOOK, "simulations": 10}, "simulations"),
    ("neural_forecast", {"symbol": "SPX", "horizon": 0}, "horizon"),
    ("neural_train", {"data_path": "x.csv", "model_type": "GRU"}, "model_type"),
    ("neural_evaluate", {"model_id": "m"}, "test_data"),
    (
        "neural_backtest",
        {
            "model_id": "m",
            "start_date": "2018-01-01",
            "end_date": "2018-12-31",
            "rebalance_frequency": "hourly",
        },
        "rebalance_frequency",
    ),
    ("neural_model_status", {"model": "m"}, "model"),
    ("neural_optimize", {"model_id": "m", "parameter_ranges": {}}, "parameter_ranges"),
    ("neural_predict", {"model_id": "m", "input": ["a"]}, "input"),
    ("get_candles", {"symbol": "SPX", "limit": 0}, "limit"),
    ("compute_indicators", {"symbol": "SPX", "indicators": [{"params": {}}]}, "name"),
    ("import_data", {"symbol": "X"}, "path"),
    ("list_data", {"symbol": "SPX"}, "symbol"),
    ("significance_test", {"returns": [0.01] * 20, "confidence": 1.5}, "confidence"),
    ("get_system_metrics", {"metrics": ["gpu"]}, "metrics"),
    ("get_health_status", {"deep": True}, "deep"),
    ("get_api_latency", {"time_window": 0}, "time_window"),
    ("get_token_usage", {"timeframe": "8d"}, "timeframe"),
    (
        "switch_active_strategy",
        {"from_strategy": "sma_cross", "to_strategy": "buy and hold"},
        "to_strategy",
    ),
]


def _tools(server: Any) -> list[Any]:
    return list(anyio.run(server.list_tools))


def test_every_tool_has_valid_and_invalid_cases(server: Any) -> None:
    names = {t.name for t in _tools(server)}
    assert names == set(VALID) | NEURAL | RUNNER
    assert names == {t for t, _, _ in INVALID}


def test_tools_list_schemas_are_valid_json_schema(server: Any) -> None:
    tools = _tools(server)
    assert len(tools) == 45
    for t in tools:
        Draft202012Validator.check_schema(t.input_schema)
        assert t.input_schema["type"] == "object"
        assert t.input_schema.get("additionalProperties") is False, t.name
        assert t.output_schema is not None, f"{t.name} has no structured output"
        Draft202012Validator.check_schema(t.output_schema)
        assert t.description
        assert t.annotations is not None
    # Absent until their own issues: news, sports betting, syndicates, prediction markets.
    assert not {t.name for t in tools} & {"analyze_news", "get_news_sentiment", "get_sports_events"}


# The original neural-trader's parameter names (original-surface.md 1.1-1.4, 1.11).
ORIGINAL_PARAMS = {
    "quick_analysis": {"symbol", "use_gpu"},
    "simulate_trade": {"strategy", "symbol", "action", "use_gpu"},
    "get_portfolio_status": {"include_analytics"},
    "run_backtest": {
        "strategy", "symbol", "start_date", "end_date", "use_gpu", "benchmark", "include_costs",
    },
    "optimize_strategy": {
        "strategy", "symbol", "parameter_ranges", "max_iterations", "use_gpu",
        "optimization_metric",
    },
    "risk_analysis": {"portfolio", "var_confidence", "time_horizon", "use_monte_carlo", "use_gpu"},
    "execute_trade": {"strategy", "symbol", "action", "quantity", "order_type", "limit_price"},
    "performance_report": {"strategy", "period_days", "include_benchmark", "use_gpu"},
    "monitor_strategy_health": {"strategy"},
    "analyze_bottlenecks": {"component", "metrics"},
    "correlation_analysis": {"symbols", "period_days", "use_gpu"},
    "run_benchmark": {"strategy", "benchmark_type", "use_gpu"},
    "execute_multi_asset_trade": {"trades", "strategy", "risk_limit", "execute_parallel"},
    "portfolio_rebalance": {"target_allocations", "current_portfolio", "rebalance_threshold"},
    "cross_asset_correlation_matrix": {"assets", "lookback_days", "include_prediction_confidence"},
    "recommend_strategy": {"market_conditions", "risk_tolerance", "objectives"},
    "get_strategy_comparison": {"strategies", "metrics"},
    "adaptive_strategy_selection": {"symbol", "auto_switch"},
    "get_system_metrics": {"metrics", "include_history", "time_range_minutes"},
    "get_execution_analytics": {"time_period"},
    "neural_forecast": {"symbol", "horizon", "confidence_level", "use_gpu", "model_id"},
    "neural_train": {
        "data_path", "model_type", "epochs", "validation_split", "batch_size", "learning_rate",
        "use_gpu",
    },
    "neural_evaluate": {"model_id", "test_data", "metrics", "use_gpu"},
    "neural_model_status": {"model_id"},
    "neural_backtest": {
        "model_id", "start_date", "end_date", "benchmark", "rebalance_frequency", "use_gpu",
    },
    "neural_optimize": {
        "model_id", "parameter_ranges", "trials", "optimization_metric", "use_gpu",
    },
    "neural_predict": {"model_id", "input", "use_gpu"},
    "get_market_analysis": {"symbol"},
    "backtest_strategy": {"strategy", "symbol", "start_date", "end_date"},
    "optimize_parameters": {"strategy", "symbol", "parameter_ranges"},
    "quick_backtest": {"strategy", "symbol", "days"},
    "monte_carlo_simulation": {"portfolio", "simulations", "time_horizon"},
    "get_api_latency": {"endpoint", "time_window"},
    "get_token_usage": {"operation", "timeframe"},
    "switch_active_strategy": {"from_strategy", "to_strategy", "close_positions"},
}  # fmt: skip


def test_original_parameter_names_are_kept(server: Any) -> None:
    schemas = {t.name: t.input_schema for t in _tools(server)}
    for tool, params in ORIGINAL_PARAMS.items():
        assert params <= set(schemas[tool]["properties"]), tool


def _checks() -> dict[str, Callable[[dict[str, Any]], None]]:
    def backtest(r: dict[str, Any]) -> None:
        assert r["bars"] > 1000
        assert r["benchmark_comparison"]["symbol"] == "SPX"
        assert r["processing"]["gpu_used"] is False

    return {
        "ping": lambda r: r["status"] == "ok" or pytest.fail("not ok"),
        "list_strategies": lambda r: r["count"] == len(r["strategies"]) >= 7 or pytest.fail(str(r)),
        "run_backtest": backtest,
        "optimize_strategy": lambda r: r["iterations_completed"] == 3 or pytest.fail(str(r)),
        "get_strategy_comparison": lambda r: (
            [s["strategy"] for s in r["skipped"]] == ["pairs"] or pytest.fail(str(r))
        ),
        "execute_trade": lambda r: r["status"] == "ACCEPTED" or pytest.fail(str(r)),
        "execute_multi_asset_trade": lambda r: r["submitted"] == 0 or pytest.fail(str(r)),
        "monte_carlo_simulation": lambda r: r["paths"] == 500 or pytest.fail(str(r)),
        "compute_indicators": lambda r: len(r["columns"]) == 5 or pytest.fail(str(r)),
    }


@pytest.mark.parametrize("tool", sorted(VALID))
def test_tool_with_valid_arguments(tool: str, call: Any, home: Path, sample_catalog: Path) -> None:
    args = dict(VALID[tool])
    if tool == "import_data":
        from neural_trader.data.catalog import Catalog
        from neural_trader.data.export import write_bars_csv

        path = home / "ixic.csv"
        write_bars_csv(Catalog(sample_catalog).read_bars("IXIC", "1d").iloc[-300:], path)
        args = {"path": str(path), "symbol": "IXIC2", "calendar": "XNYS"}
    result = call(tool, args)
    text = result.content[0].text if result.content else ""
    assert not result.is_error, text
    assert result.structured_content is not None
    assert json.loads(text) == result.structured_content
    check = _checks().get(tool)
    if check is not None:
        check(result.structured_content)


@pytest.mark.parametrize(("tool", "args", "field"), INVALID, ids=[t for t, _, _ in INVALID])
def test_tool_with_invalid_arguments_names_the_field(
    tool: str, args: dict[str, Any], field: str, server: Any, home: Path
) -> None:
    async def go() -> tuple[Any, Any]:
        async with Client(server) as client:
            bad = await client.call_tool(tool, args)
            alive = await client.call_tool("ping", {})
            return bad, alive

    bad, alive = anyio.run(go)
    assert bad.is_error
    text = bad.content[0].text
    assert field in text, text
    assert not alive.is_error


@pytest.mark.parametrize(
    ("tool", "args", "message"),
    [
        ("quick_analysis", {"symbol": "NOPE"}, "unknown symbol 'NOPE'"),
        ("get_strategy_info", {"strategy": "nope"}, "unknown strategy 'nope'"),
        ("quick_backtest", {"strategy": "sma_cross", "symbol": "SPX"}, "warm-up"),
        (
            "execute_trade",
            {"strategy": "m", "symbol": "SPX", "action": "buy", "quantity": 1,
             "order_type": "limit"},
            "limit_price",
        ),
        ("neural_model_status", {"model_id": "missing"}, "missing"),
        ("import_data", {"path": "/nonexistent/file.csv", "symbol": "X"}, "file.csv"),
        ("significance_test", {"strategy": "sma_cross"}, "symbol"),
        ("significance_test", {"returns": [0.001] * 30, "n_trials": 5}, "trial_sharpes"),
        ("get_market_status", {"calendar": "XXXX"}, "calendar"),
    ],
)  # fmt: skip
def test_engine_errors_are_tool_errors_with_the_engine_message(
    tool: str, args: dict[str, Any], message: str, call: Any
) -> None:
    result = call(tool, args)
    assert result.is_error
    assert message in result.content[0].text
    assert not call("ping").is_error


def test_resources(server: Any, home: Path) -> None:
    async def go() -> dict[str, Any]:
        async with Client(server) as client:
            listed = await client.list_resources()
            templates = await client.list_resource_templates()
            out: dict[str, Any] = {
                "uris": {str(r.uri) for r in listed.resources},
                "templates": {t.uri_template for t in templates.resource_templates},
            }
            for uri in ("strategies://available", "data://catalog", "portfolio://status",
                        "neural://models", "strategies://sma_cross",
                        "runner://active"):  # fmt: skip
                res = await client.read_resource(uri)
                out[uri] = json.loads(res.contents[0].text)
            try:
                await client.read_resource("strategies://nope")
                out["missing"] = None
            except Exception as exc:  # the SDK raises the server's resource error
                out["missing"] = str(exc)
            return out

    out = anyio.run(go)
    assert {
        "strategies://available",
        "data://catalog",
        "portfolio://status",
        "neural://models",
    } <= out["uris"]
    assert {"strategies://{name}", "neural://models/{model_id}"} <= out["templates"]
    assert {e["symbol"] for e in out["data://catalog"]} == {"SPX", "IXIC"}
    assert out["portfolio://status"]["broker"] == "paper"
    assert out["strategies://sma_cross"]["name"] == "sma_cross"
    assert out["runner://active"] == {"runner": None, "last_switch": None}
    assert "nope" in out["missing"]


def test_auto_switch_without_a_running_strategy_selects_and_says_why_nothing_switched(
    call: Any,
) -> None:
    out = call("adaptive_strategy_selection", {"symbol": "SPX", "auto_switch": True})
    assert not out.is_error, out.content
    r = out.structured_content
    assert r["selected_strategy"] == r["recommendation"] == r["strategy_rankings"][0]["strategy"]
    assert r["switch_result"] is None
    assert r["switch_note"] == "no strategy is running on the account; nothing switched"


def test_switch_without_a_running_strategy_says_so(call: Any) -> None:
    result = call(
        "switch_active_strategy", {"from_strategy": "sma_cross", "to_strategy": "buy_and_hold"}
    )
    assert result.is_error
    assert "no strategy is running on the paper account" in result.content[0].text
    status = call("get_health_status")  # the server carries on
    assert not status.is_error


def test_use_gpu_is_answered_honestly(call: Any) -> None:
    qa = call("quick_analysis", {"symbol": "SPX", "use_gpu": True}).structured_content
    assert qa["processing"] == {**qa["processing"], "gpu_requested": True, "gpu_used": False}
    assert qa["analysis"]["symbol"] == "SPX"
    system = call(
        "run_benchmark", {"strategy": "buy_and_hold", "benchmark_type": "system"}
    ).structured_content
    assert system["gpu_used"] is False
    timing = system["system"]
    assert timing["symbol"] == "SPX"
    assert timing["device"] == "cpu"
    assert timing["median_seconds"] > 0
    assert timing["bars_per_second"] == pytest.approx(timing["bars"] / timing["median_seconds"])


def test_an_original_prompt_without_a_symbol_ranks_on_the_sp500(
    call: Any, sample_catalog: Path
) -> None:
    """The original recommend_strategy took market conditions only; ours backtests, and
    defaults to the catalog's S&P 500 series (named in the result)."""
    result = call(
        "recommend_strategy",
        {
            "market_conditions": {"volatility": "high", "trend": "neutral"},
            "start_date": "2015-01-01",
        },
    )
    assert not result.is_error, result.content[0].text
    assert result.structured_content["symbol"] == "SPX"
    compared = call("get_strategy_comparison", {"strategies": ["sma_cross", "buy_and_hold"]})
    assert not compared.is_error, compared.content[0].text
    assert compared.structured_content["symbol"] == "SPX"


def test_analyze_bottlenecks_ranks_the_server_s_own_calls(call: Any, sample_catalog: Path) -> None:
    for _ in range(3):
        assert not call("get_candles", {"symbol": "SPX", "limit": 50}).is_error
    assert not call("ping", {}).is_error
    report = call("analyze_bottlenecks", {}).structured_content
    tools = [t["tool"] for t in report["busiest"]]
    assert "get_candles" in tools
    assert "ping" in tools
    candles = next(t for t in report["busiest"] if t["tool"] == "get_candles")
    assert candles["calls"] >= 3  # the server may be shared with earlier tests
    assert report["calls"] >= 4
    assert abs(sum(t["time_share"] for t in report["busiest"]) - 1.0) < 1e-9
