"""get_token_usage reports what each tool call cost the agent's context, measured on what the
client actually sent and received.

Sizes are recomputed here from the client's side with the definition the tool states: a
request is its arguments as compact JSON (pydantic-core, like the SDK's transports); a
response is the text of its content blocks plus ``structuredContent`` as compact JSON (for a
failed call: the error text). Each test uses a server of its own so the counts are exact.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp_types import CallToolResult, TextContent
from pydantic_core import to_json

from neural_trader.services.health import latency_stats, timeframe_seconds, token_usage

CANDLES = {"symbol": "SPX", "start_date": "2018-01-02", "limit": 4}


@pytest.fixture
def fresh(home: Path) -> Any:
    """A server with an empty call log."""
    from neural_trader.fronts.mcp.server import build_server

    return build_server()


def run_calls(server: Any, calls: list[tuple[str, dict[str, Any]]]) -> list[CallToolResult]:
    """Call the tools in order over one in-process client session."""

    async def go() -> list[CallToolResult]:
        async with Client(server) as client:
            return [await client.call_tool(name, args) for name, args in calls]

    return anyio.run(go)


def sent(args: dict[str, Any]) -> tuple[int, int]:
    """(UTF-8 bytes, chars) of the arguments as compact JSON."""
    text = to_json(args).decode()
    return len(text.encode()), len(text)


def received(result: CallToolResult) -> tuple[int, int]:
    """(UTF-8 bytes, chars) of what the client got: content text + structuredContent JSON."""
    text = "".join(b.text for b in result.content if isinstance(b, TextContent))
    assert len(text) > 0
    if result.structured_content is not None:
        text += to_json(result.structured_content).decode()
    return len(text.encode()), len(text)


def usage(server: Any, args: dict[str, Any] | None = None) -> dict[str, Any]:
    (result,) = run_calls(server, [("get_token_usage", args or {})])
    assert not result.is_error, result.content[0].text
    assert result.structured_content is not None
    return result.structured_content


def test_sizes_are_those_the_client_sent_and_received(fresh: Any) -> None:
    calls = [("ping", {}), ("get_candles", CANDLES), ("get_candles", {**CANDLES, "limit": 9})]
    results = run_calls(fresh, calls)
    assert not any(r.is_error for r in results)
    report = usage(fresh)

    ping, candles = report["by_tool"]["ping"], report["by_tool"]["get_candles"]
    assert set(report["by_tool"]) == {"ping", "get_candles"}  # its own call is not logged yet
    assert (ping["calls"], candles["calls"]) == (1, 2)
    assert ping["request"]["bytes_total"] == sent({})[0] == 2
    requests = [sent(args) for _, args in calls[1:]]
    responses = [received(r) for r in results[1:]]
    assert candles["request"]["bytes_total"] == sum(b for b, _ in requests)
    assert candles["request"]["bytes_max"] == max(b for b, _ in requests)
    assert candles["response"]["chars_total"] == sum(c for _, c in responses)
    assert candles["response"]["bytes_total"] == sum(b for b, _ in responses)
    assert candles["response"]["chars_max"] == max(c for _, c in responses)
    assert candles["response"]["chars_mean"] == pytest.approx(sum(c for _, c in responses) / 2)
    assert ping["response"]["chars_total"] == received(results[0])[1]
    for part in ("request", "response"):
        chars = report["totals"][part]["chars_total"]
        assert chars == ping[part]["chars_total"] + candles[part]["chars_total"]
        assert report["totals"][part]["estimated_tokens"] == math.ceil(chars / 4)
        assert candles[part]["estimated_tokens"] == math.ceil(candles[part]["chars_total"] / 4)
    assert report["totals"]["calls"] == 3
    assert report["totals"]["errors"] == 0
    assert [t["tool"] for t in report["largest_responses"]] == ["get_candles", "ping"]
    assert sum(t["share"] for t in report["largest_responses"]) == pytest.approx(1.0)
    assert "ceil(chars / 4)" in report["token_method"]
    assert "tokenizer" in report["token_method"]


def test_a_usage_report_is_itself_counted_at_its_sent_size(fresh: Any) -> None:
    first, second = run_calls(fresh, [("get_token_usage", {"timeframe": "1h"})] * 2)
    own = second.structured_content["by_tool"]["get_token_usage"]
    assert own["calls"] == 1
    assert own["request"]["chars_total"] == sent({"timeframe": "1h"})[1]
    assert own["response"]["chars_total"] == received(first)[1]


def test_the_operation_filter_keeps_one_tool(fresh: Any) -> None:
    run_calls(fresh, [("ping", {}), ("ping", {}), ("get_candles", CANDLES)])
    report = usage(fresh, {"operation": "ping", "timeframe": "15m"})
    assert report["operation"] == "ping"
    assert list(report["by_tool"]) == ["ping"]
    assert report["totals"] == report["by_tool"]["ping"]
    assert report["totals"]["calls"] == 2


def test_no_calls_in_the_window_gives_zeros(fresh: Any) -> None:
    report = usage(fresh, {"operation": "get_candles"})
    assert report["by_tool"] == {}
    assert report["largest_responses"] == []
    totals = report["totals"]
    assert (totals["calls"], totals["errors"], totals["refused"]) == (0, 0, 0)
    assert set(totals["request"].values()) == set(totals["response"].values()) == {0}
    # The server started a moment ago: a 24 h window is not covered by its log.
    assert report["window"]["seconds"] == 86_400
    assert report["window"]["complete"] is False


def test_failed_calls_are_errors_sized_by_their_error_text(fresh: Any) -> None:
    calls = [
        ("get_candles", {"symbol": "NOPE"}),  # the engine refuses it: a tool error
        ("ping", {"bogus": 1}),  # the SDK refuses the arguments before the tool runs
        ("get_token_usage", {"operation": "pïng"}),  # non-ASCII: bytes != chars
    ]
    results = run_calls(fresh, calls)
    assert all(r.is_error and r.structured_content is None for r in results)
    report = usage(fresh)
    by_tool = report["by_tool"]
    for (tool, args), result in zip(calls, results, strict=True):
        row = by_tool[tool]
        assert (row["calls"], row["errors"]) == (1, 1), tool
        text = result.content[0].text
        assert row["response"]["chars_total"] == len(text), tool
        assert row["response"]["bytes_total"] == len(text.encode()), tool
        assert row["request"]["bytes_total"] == sent(args)[0], tool
    assert by_tool["ping"]["refused"] == 1
    assert by_tool["get_candles"]["refused"] == 0
    usage_row = by_tool["get_token_usage"]
    assert usage_row["request"]["bytes_total"] == usage_row["request"]["chars_total"] + 1
    assert report["totals"]["errors"] == 3
    # Refused calls cost context but have no tool-body duration: latency leaves them out.
    (latency,) = run_calls(fresh, [("get_api_latency", {})])
    assert "ping" not in latency.structured_content["by_tool"]
    assert latency.structured_content["by_tool"]["get_candles"]["errors"] == 1


@pytest.mark.parametrize("timeframe", ["3w", "0h", "8d", "24", "1.5h", "h"])
def test_an_invalid_timeframe_names_the_field(fresh: Any, timeframe: str) -> None:
    (result,) = run_calls(fresh, [("get_token_usage", {"timeframe": timeframe})])
    assert result.is_error
    assert "timeframe" in result.content[0].text


def test_an_unknown_operation_suggests_close_tool_names(fresh: Any) -> None:
    (result,) = run_calls(fresh, [("get_token_usage", {"operation": "get_candle"})])
    assert result.is_error
    text = result.content[0].text
    assert "operation" in text
    assert "get_candles" in text


def test_timeframes_and_their_bound() -> None:
    assert timeframe_seconds("15m") == 900
    assert timeframe_seconds("24h") == 86_400
    assert timeframe_seconds("7d") == timeframe_seconds("168h") == 604_800
    for bad in ("169h", "10081m", "1w", "-1h", ""):
        with pytest.raises(ValueError, match=r"7d|m, h or d"):
            timeframe_seconds(bad)


def test_latency_stats_uses_nearest_rank() -> None:
    stats = latency_stats([(ms / 1000.0, ms % 10 != 0) for ms in range(100, 0, -1)])
    assert stats.calls == 100
    assert stats.errors == 10
    assert (stats.p50_ms, stats.p95_ms, stats.p99_ms, stats.max_ms) == pytest.approx(
        (50.0, 95.0, 99.0, 100.0)
    )
    assert stats.mean_ms == pytest.approx(50.5)
    assert latency_stats([(0.002, True)]).p99_ms == pytest.approx(2.0)
    assert latency_stats([]).p50_ms is None


def test_the_window_is_incomplete_when_the_log_dropped_calls() -> None:
    report = token_usage(
        [], operation=None, timeframe="1h", now=10_000.0, started=0.0, log_complete=False
    )
    assert report.window.complete is False
    full = token_usage([], operation=None, timeframe="1h", now=10_000.0, started=0.0)
    assert full.window.complete is True
    assert full.window.start == "1970-01-01T01:46:40+00:00"
