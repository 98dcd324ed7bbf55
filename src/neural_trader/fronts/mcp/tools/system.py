"""System tools: process and host metrics, health, and this server's own tool calls.

Latency, throughput and context cost are measured, not configured: every tool call of this
server process is timed and sized (``runtime.CallLog``) and these tools summarise those
records with the pure functions of :mod:`neural_trader.services.health`. CPU and memory come
from the operating system (:func:`neural_trader.services.health.process_metrics`).
"""

from __future__ import annotations

import difflib
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import AfterValidator, BaseModel, Field

from neural_trader.fronts.mcp.models import SystemMetricsOut
from neural_trader.fronts.mcp.runtime import CallRecord, ToolSet, run_light
from neural_trader.services.health import (
    TIMEFRAME_PATTERN,
    ApiLatencyOut,
    BottleneckMetric,
    BottleneckReport,
    HealthReport,
    LatencyStats,
    TokenUsageReport,
    latency_stats,
    timeframe_seconds,
    token_usage,
)

__all__ = ["register"]


def timed(calls: Iterable[CallRecord]) -> LatencyStats:
    """Latency of logged calls (the service's nearest-rank summary of (seconds, ok))."""
    return latency_stats((c.seconds, c.ok) for c in calls)


def _check_timeframe(value: str) -> str:
    timeframe_seconds(value)  # raises ValueError: the SDK reports it under the field's name
    return value


Timeframe = Annotated[
    str,
    Field(
        pattern=TIMEFRAME_PATTERN,
        description="window ending now: a number and m, h or d (15m, 1h, 24h, 7d); at most 7d",
    ),
    AfterValidator(_check_timeframe),
]


WindowArg = Annotated[
    Annotated[int, Field(ge=1, le=10_080)] | Timeframe,
    Field(
        description="window ending now: minutes (60), or a duration as the original took it "
        "(15m, 1h, 24h, 7d); at most 7 days"
    ),
]


def window_minutes(window: int | str) -> int:
    """A ``WindowArg`` in minutes (a duration string's units are whole minutes)."""
    return window if isinstance(window, int) else timeframe_seconds(window) // 60


def check_tool_name(name: str, names: list[str]) -> None:
    """A tool error naming the closest tool names unless a tool is called ``name``: a typo
    would otherwise report zero calls, indistinguishable from a tool nobody called."""
    if name in names:
        return
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else "see tools/list for the names"
    raise ToolError(f"operation: no tool named {name!r}; {hint}")


class HealthOut(BaseModel):
    status: Literal["healthy", "degraded", "unhealthy"]
    server: str
    version: str
    transport: str
    uptime_seconds: float
    tools: int
    report: HealthReport


MetricName = Literal["cpu", "memory", "latency", "throughput"]


def register(tools: ToolSet) -> None:
    state = tools.state

    @tools.tool(title="System metrics")
    async def get_system_metrics(
        metrics: Annotated[
            list[MetricName], Field(min_length=1, description="which groups to report")
        ] = ["cpu", "memory", "latency", "throughput"],  # noqa: B006
        include_history: Annotated[
            bool, Field(description="add per-minute call counts and p95 latency")
        ] = False,
        time_range_minutes: Annotated[int, Field(ge=1, le=10_080)] = 60,
    ) -> SystemMetricsOut:
        """CPU and memory of this server process and its host, and the latency and throughput
        of this server's tool calls over the last time_range_minutes."""
        from neural_trader.services.health import process_metrics

        pm = await run_light(state, process_metrics)
        uptime = time.time() - state.started
        window = time_range_minutes * 60.0
        calls = state.calls.since(window)
        current: dict[str, object] = {}
        notes: list[str] = []
        if "cpu" in metrics:
            current["cpu"] = {
                "count": pm.cpu_count,
                "load_average": pm.load_average,
                "process_cpu_seconds": pm.process_cpu_seconds,
                "process_cpu_percent_since_start": 100.0 * pm.process_cpu_seconds / uptime
                if uptime > 0
                else None,
                "threads": pm.threads,
            }
        if "memory" in metrics:
            current["memory"] = {
                "rss_bytes": pm.rss_bytes,
                "peak_rss_bytes": pm.peak_rss_bytes,
                "host_total_bytes": pm.memory_total_bytes,
                "host_available_bytes": pm.memory_available_bytes,
            }
        if "latency" in metrics:
            current["latency"] = timed(calls).model_dump()
        if "throughput" in metrics:
            span = min(window, uptime)
            current["throughput"] = {
                "calls": len(calls),
                "calls_per_minute": len(calls) / (span / 60.0) if span > 0 else None,
                "window_minutes": span / 60.0,
            }
        history = None
        if include_history:
            buckets: dict[int, list[CallRecord]] = defaultdict(list)
            for c in calls:
                buckets[int(c.ended // 60)].append(c)
            history = [
                {
                    "minute": datetime.fromtimestamp(m * 60, UTC).isoformat(),
                    "calls": len(cs),
                    "p95_ms": timed(cs).p95_ms,
                }
                for m, cs in sorted(buckets.items())
            ]
        degraded = pm.load_average is not None and pm.load_average[0] > 2.0 * pm.cpu_count
        if degraded:
            notes.append("the 1-minute load average exceeds twice the CPU count")
        return SystemMetricsOut(
            timestamp=datetime.now(UTC).isoformat(),
            uptime_seconds=uptime,
            current_metrics=current,
            history=history,
            system_health="degraded" if degraded else "healthy",
            notes=notes,
        )

    @tools.tool(title="Health status")
    async def get_health_status() -> HealthOut:
        """Configuration, data folder, catalog, storage engine, trading journal and kill
        switch, optional engines (looked up, not imported), and this server's uptime."""
        from neural_trader.services.health import health_status

        report = await run_light(state, health_status)
        return HealthOut(
            status=report.status,
            server=state.name,
            version=state.version,
            transport=state.transport,
            uptime_seconds=time.time() - state.started,
            tools=len(tools.tools),
            report=report,
        )

    @tools.tool(title="Analyze bottlenecks")
    async def analyze_bottlenecks(
        component: Annotated[
            str | None, Field(max_length=80, description="a tool name; default: every tool")
        ] = None,
        metrics: Annotated[
            list[BottleneckMetric],
            Field(min_length=1, description="which rules to apply: latency, errors, cpu, memory"),
        ] = ["latency", "errors", "cpu", "memory"],  # noqa: B006 - pydantic copies defaults
        time_window: WindowArg = 60,
    ) -> BottleneckReport:
        """Where this server's time goes: tools ranked by total time over the window (share,
        p50, p99, errors) and findings from fixed rules over those measurements and the
        host's load and memory. Timings are the server's own tool bodies (see
        get_api_latency)."""
        from neural_trader.services.health import analyze_bottlenecks as analyze

        minutes = window_minutes(time_window)
        calls = [(c.tool, c.seconds, c.ok) for c in state.calls.since(minutes * 60.0)]
        return await run_light(
            state,
            lambda: analyze(calls, component=component, window_minutes=minutes, metrics=metrics),
        )

    @tools.tool(title="API latency")
    async def get_api_latency(
        endpoint: Annotated[
            str | None, Field(description="a tool name; default: every tool")
        ] = None,
        time_window: WindowArg = 60,
    ) -> ApiLatencyOut:
        """Measured duration of this server's tool calls (server side: the tool body, after
        argument validation) over the last time_window, overall and per tool."""
        minutes = window_minutes(time_window)
        calls = state.calls.since(minutes * 60.0, endpoint)
        by_tool: dict[str, list[CallRecord]] = defaultdict(list)
        for c in calls:
            by_tool[c.tool].append(c)
        return ApiLatencyOut(
            endpoint=endpoint,
            time_window_minutes=minutes,
            overall=timed(calls),
            by_tool={k: timed(v) for k, v in sorted(by_tool.items())},
            note="tool bodies timed inside this server process; argument validation and "
            "transport are not included",
        )

    @tools.tool(title="Token usage")
    async def get_token_usage(
        operation: Annotated[
            str | None, Field(max_length=80, description="a tool name; default: every tool")
        ] = None,
        timeframe: Timeframe = "24h",
    ) -> TokenUsageReport:
        """What this server's tool calls cost the agent's context over the timeframe: measured
        UTF-8 bytes and characters of each call's arguments and of the result sent back
        (content text + structuredContent, or the error text), overall and per tool, with the
        tools whose results took the most. Tokens are estimated as ceil(chars / 4): the server
        never sees the client model's tokenizer (see token_method)."""
        if operation is not None:
            check_tool_name(operation, [t.name for t in tools.tools])
        seconds = timeframe_seconds(timeframe)
        calls = state.calls.since(seconds, operation, refused=True)
        complete = state.calls.complete_since(seconds)
        now = time.time()
        return await run_light(
            state,
            lambda: token_usage(
                calls,
                operation=operation,
                timeframe=timeframe,
                now=now,
                started=state.started,
                log_complete=complete,
            ),
        )
