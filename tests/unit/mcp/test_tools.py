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


# The original neural-trader's parameters (original-surface.md 1.1, 1.3, 1.4 and the Rust-only
# tools of 1.11; checked against the vendored v1 server, the v2 tool schemas and the Rust
# signatures): tool -> {parameter: its default}. REQUIRED: the original required it (`*`, or
# a non-Option argument in Rust); UNSTATED: optional with no default stated (a Rust Option).
REQUIRED = "<required>"
UNSTATED = "<optional, no default stated>"
ORIGINAL_PARAMS: dict[str, dict[str, Any]] = {
    # 1.1 core, trading, analytics
    "ping": {},
    "list_strategies": {},
    "get_strategy_info": {"strategy": REQUIRED},
    "quick_analysis": {"symbol": REQUIRED, "use_gpu": False},
    "simulate_trade": {
        "strategy": REQUIRED, "symbol": REQUIRED, "action": REQUIRED, "use_gpu": False,
    },
    "get_portfolio_status": {"include_analytics": True},
    "run_backtest": {
        "strategy": REQUIRED, "symbol": REQUIRED, "start_date": REQUIRED, "end_date": REQUIRED,
        "use_gpu": True, "benchmark": "sp500", "include_costs": True,
    },
    "optimize_strategy": {
        "strategy": REQUIRED, "symbol": REQUIRED, "parameter_ranges": REQUIRED,
        "max_iterations": 1000, "use_gpu": True, "optimization_metric": "sharpe_ratio",
    },
    "risk_analysis": {
        "portfolio": REQUIRED, "var_confidence": 0.05, "time_horizon": 1,
        "use_monte_carlo": True, "use_gpu": True,
    },
    "execute_trade": {
        "strategy": REQUIRED, "symbol": REQUIRED, "action": REQUIRED, "quantity": REQUIRED,
        "order_type": "market", "limit_price": None,
    },
    "performance_report": {
        "strategy": REQUIRED, "period_days": 30, "include_benchmark": True, "use_gpu": False,
    },
    "correlation_analysis": {"symbols": REQUIRED, "period_days": 90, "use_gpu": True},
    "run_benchmark": {"strategy": REQUIRED, "benchmark_type": "performance", "use_gpu": True},
    "execute_multi_asset_trade": {
        "trades": REQUIRED, "strategy": REQUIRED, "risk_limit": None, "execute_parallel": True,
    },
    "portfolio_rebalance": {
        "target_allocations": REQUIRED, "current_portfolio": None, "rebalance_threshold": 0.05,
    },
    "cross_asset_correlation_matrix": {
        "assets": REQUIRED, "lookback_days": 90, "include_prediction_confidence": True,
    },
    # 1.3 strategy selection and monitoring
    "recommend_strategy": {
        "market_conditions": REQUIRED, "risk_tolerance": "moderate",
        "objectives": ["profit", "stability"],
    },
    "switch_active_strategy": {
        "from_strategy": REQUIRED, "to_strategy": REQUIRED, "close_positions": False,
    },
    "get_strategy_comparison": {
        "strategies": REQUIRED, "metrics": ["sharpe_ratio", "total_return", "max_drawdown"],
    },
    "adaptive_strategy_selection": {"symbol": REQUIRED, "auto_switch": False},
    "get_system_metrics": {
        "metrics": ["cpu", "memory", "latency", "throughput"], "include_history": False,
        "time_range_minutes": 60,
    },
    "monitor_strategy_health": {"strategy": REQUIRED},
    "get_execution_analytics": {"time_period": "1h"},
    # 1.4 neural forecasting (+ the Rust-only neural_predict)
    "neural_forecast": {
        "symbol": REQUIRED, "horizon": REQUIRED, "confidence_level": 0.95, "use_gpu": True,
        "model_id": None,
    },
    "neural_train": {
        "data_path": REQUIRED, "model_type": REQUIRED, "epochs": 100, "validation_split": 0.2,
        "batch_size": 32, "learning_rate": 0.001, "use_gpu": True,
    },
    "neural_evaluate": {
        "model_id": REQUIRED, "test_data": REQUIRED,
        "metrics": ["mae", "rmse", "mape", "r2_score"], "use_gpu": True,
    },
    "neural_backtest": {
        "model_id": REQUIRED, "start_date": REQUIRED, "end_date": REQUIRED,
        "benchmark": "sp500", "rebalance_frequency": "daily", "use_gpu": True,
    },
    "neural_model_status": {"model_id": None},
    "neural_optimize": {
        "model_id": REQUIRED, "parameter_ranges": REQUIRED, "trials": 100,
        "optimization_metric": "mae", "use_gpu": True,
    },
    "neural_predict": {"model_id": REQUIRED, "input": REQUIRED, "use_gpu": True},
    # 1.11 Rust-only market, backtest, Monte Carlo and system tools
    "get_market_analysis": {"symbol": REQUIRED},
    "get_market_status": {},
    "backtest_strategy": {
        "strategy": REQUIRED, "symbol": REQUIRED, "start_date": REQUIRED, "end_date": REQUIRED,
    },
    "optimize_parameters": {
        "strategy": REQUIRED, "symbol": REQUIRED, "parameter_ranges": REQUIRED,
    },
    "quick_backtest": {"strategy": REQUIRED, "symbol": REQUIRED, "days": 30},
    "monte_carlo_simulation": {
        "portfolio": REQUIRED, "simulations": 10_000, "time_horizon": 252,
    },
    "get_token_usage": {"operation": UNSTATED, "timeframe": "24h"},
    "analyze_bottlenecks": {"component": UNSTATED, "metrics": UNSTATED},
    "get_health_status": {},
    "get_api_latency": {"endpoint": UNSTATED, "time_window": UNSTATED},
}  # fmt: skip

# Tools the original lacked (ours; not in ORIGINAL_PARAMS).
NEW_TOOLS = {"get_candles", "compute_indicators", "import_data", "list_data", "significance_test"}

# Where we deliberately differ from an original default or required parameter, the field's
# description must say why: (tool, parameter) -> words the description must contain.
DELIBERATE = {
    ("recommend_strategy", "market_conditions"): "the original required it",
    ("neural_forecast", "model_id"): "transformer_forecaster",
}

# Values the original accepted: accepted here (None), or refused with the reason (a phrase of
# the error). v1 = the Python server, v2 = the npm schemas.
ORIGINAL_VALUES: list[tuple[str, str, Any, str | None]] = [
    *[("simulate_trade", "action", a, None) for a in ("buy", "sell")],
    *[("execute_trade", "action", a, None) for a in ("buy", "sell")],
    *[("execute_trade", "order_type", t, None)
      for t in ("market", "limit", "stop_loss", "stop_limit")],
    *[("optimize_strategy", "optimization_metric", m, None)
      for m in ("sharpe_ratio", "total_return", "profit_factor")],
    *[("run_benchmark", "benchmark_type", t, None)
      for t in ("performance", "system", "throughput", "latency")],
    ("run_benchmark", "benchmark_type", "accuracy", "a trading strategy has no accuracy"),
    *[("recommend_strategy", "risk_tolerance", r, None)
      for r in ("low", "moderate", "high", "conservative", "aggressive")],
    ("recommend_strategy", "objectives", ["profit", "stability"], None),
    *[("get_execution_analytics", "time_period", p, None)
      for p in ("1h", "1d", "1w", "24h", "7d", "30d")],
    *[("neural_train", "model_type", m, None) for m in ("LSTM", "Transformer", "lstm",
                                                        "transformer")],
    *[("neural_train", "model_type", m, "model is implemented here")
      for m in ("GRU", "CNN_LSTM", "GRU_Ensemble", "gru", "cnn_lstm")],
    *[("neural_evaluate", "metrics", [m], None)
      for m in ("mae", "rmse", "mape", "r2_score", "mse", "accuracy", "precision", "recall")],
    *[("neural_backtest", "rebalance_frequency", f, None)
      for f in ("daily", "weekly", "monthly")],
    *[("neural_optimize", "optimization_metric", m, None)
      for m in ("mae", "rmse", "mape", "r2_score", "loss")],
    *[("get_system_metrics", "metrics", [m], None)
      for m in ("cpu", "memory", "latency", "throughput")],
    *[("get_api_latency", "time_window", w, None) for w in ("1h", "24h", "15m", 60)],
    *[("analyze_bottlenecks", "time_window", w, None) for w in ("1h", 30)],
    *[("get_token_usage", "timeframe", t, None) for t in ("24h", "1h", "7d")],
]  # fmt: skip


def _arg_models(server: Any) -> dict[str, Any]:
    return {t.name: t.fn_metadata.arg_model for t in server.toolset.tools}


def test_every_original_tool_is_covered(server: Any) -> None:
    names = {t.name for t in _tools(server)}
    assert set(ORIGINAL_PARAMS) == names - NEW_TOOLS
    assert len(ORIGINAL_PARAMS) == 40


def test_original_parameter_names_are_kept(server: Any) -> None:
    schemas = {t.name: t.input_schema for t in _tools(server)}
    for tool, params in ORIGINAL_PARAMS.items():
        missing = set(params) - set(schemas[tool].get("properties", {}))
        assert not missing, f"{tool} lost {sorted(missing)}"


def test_we_never_require_what_the_original_did_not(server: Any) -> None:
    """The original's required set contains ours: every parameter we added is optional, and
    no original optional parameter became required."""
    schemas = {t.name: t.input_schema for t in _tools(server)}
    for tool, params in ORIGINAL_PARAMS.items():
        ours = set(schemas[tool].get("required", []))
        original = {p for p, d in params.items() if d is REQUIRED}
        assert ours <= original, f"{tool} requires {sorted(ours - original)}"


def test_original_defaults_are_kept_or_their_difference_explained(server: Any) -> None:
    schemas = {t.name: t.input_schema for t in _tools(server)}
    for tool, params in ORIGINAL_PARAMS.items():
        props = schemas[tool].get("properties", {})
        for name, default in params.items():
            reason = DELIBERATE.get((tool, name))
            if reason is not None:
                assert reason in props[name].get("description", ""), (tool, name)
            elif default is not REQUIRED and default is not UNSTATED:
                assert props[name].get("default") == default, (tool, name)
    assert {t for t, _ in DELIBERATE} <= set(ORIGINAL_PARAMS)


@pytest.mark.parametrize(
    ("tool", "param", "value", "refusal"),
    ORIGINAL_VALUES,
    ids=[f"{t}-{p}-{v}" for t, p, v, _ in ORIGINAL_VALUES],
)
def test_original_values_are_accepted_or_refused_with_a_reason(
    tool: str, param: str, value: Any, refusal: str | None, server: Any
) -> None:
    """Validation only (the SDK's own argument model of the tool): no engine runs."""
    from pydantic import ValidationError

    model = _arg_models(server)[tool]
    required = {p: VALID_REQUIRED[p] for p, d in ORIGINAL_PARAMS[tool].items() if d is REQUIRED}
    args = {**required, param: value}
    if refusal is None:
        model.model_validate(args)
    else:
        with pytest.raises(ValidationError) as err:
            model.model_validate(args)
        assert param in str(err.value)
        assert refusal in str(err.value)


# A valid value for each required parameter of ORIGINAL_VALUES' tools.
VALID_REQUIRED: dict[str, Any] = {
    "strategy": "sma_cross",
    "symbol": "SPX",
    "action": "buy",
    "quantity": 1,
    "parameter_ranges": {"fast": {"min": 5, "max": 15}},
    "data_path": "bars.csv",
    "model_type": "LSTM",
    "model_id": "m",
    "test_data": "SPX",
    "start_date": "2018-01-01",
    "end_date": "2018-12-31",
    "market_conditions": {},
}


def test_original_aliases_run_the_real_computation(call: Any, sample_catalog: Path) -> None:
    """The original's names we accept map to a real computation, and the result says which."""
    week = call("get_execution_analytics", {"time_period": "1w"})
    assert not week.is_error, week.content[0].text
    assert week.structured_content["time_period"] == "7d"
    assert not call("ping").is_error
    latency = call("get_api_latency", {"time_window": "1h", "endpoint": "ping"})
    assert not latency.is_error, latency.content[0].text
    assert latency.structured_content["time_window_minutes"] == 60
    assert latency.structured_content["overall"]["calls"] >= 1
    bottlenecks = call("analyze_bottlenecks", {"time_window": "2h"})
    assert not bottlenecks.is_error, bottlenecks.content[0].text
    speed = call("run_benchmark", {"strategy": "buy_and_hold", "benchmark_type": "throughput"})
    assert not speed.is_error, speed.content[0].text
    r = speed.structured_content
    assert r["benchmark_type"] == "throughput"
    assert r["system"]["bars_per_second"] > 0
    assert "bars_per_second" in r["note"]
    accuracy = call("run_benchmark", {"strategy": "buy_and_hold", "benchmark_type": "accuracy"})
    assert accuracy.is_error
    assert "no accuracy" in accuracy.content[0].text


def test_v2_risk_tolerance_names_rank_like_ours(call: Any, sample_catalog: Path) -> None:
    args = {"symbol": "SPX", "start_date": "2014-01-01", "end_date": "2018-12-31"}
    ours = call("recommend_strategy", {**args, "risk_tolerance": "high"}).structured_content
    v2 = call("recommend_strategy", {**args, "risk_tolerance": "aggressive"})
    assert not v2.is_error, v2.content[0].text
    theirs = v2.structured_content
    assert theirs["risk_tolerance"] == "high"
    assert theirs["sharpe_weight"] == ours["sharpe_weight"] == 0.7
    assert theirs["strategy_rankings"] == ours["strategy_rankings"]
    assert "risk_tolerance 'aggressive' is 'high' here" in theirs["notes"]


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
        ("get_strategy_info", {"strategy": "mirror_trading"}, "13F filings"),
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


def test_the_original_v1_strategy_names_still_run(call: Any) -> None:
    r = call(
        "quick_backtest", {"strategy": "momentum_trading", "symbol": "SPX", "days": 2000}
    ).structured_content
    s = call("quick_backtest", {"strategy": "momentum", "symbol": "SPX", "days": 2000})
    assert r is not None
    assert r["results"] == s.structured_content["results"]


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
