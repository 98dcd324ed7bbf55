"""Health of a running installation: ``doctor`` plus the trading store and the optional engines.

A long-running front (the MCP server) is asked "can you work?" often; the answer must be
cheap. :func:`health_status` runs :func:`neural_trader.services.system.run_doctor` (config,
data folder, catalog, storage probe), reads the trading journal's kill switch, and reports
which optional engines are installed by looking them up (``importlib.util.find_spec``), not by
importing them: torch alone takes seconds to import.

It also holds the pure summaries of the MCP server's own call log (latency percentiles,
bottlenecks, token usage): the front measures, this module computes, so the rules are
testable without a server.
"""

from __future__ import annotations

import importlib.util
import math
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from neural_trader.services.system import Check, run_doctor

__all__ = [
    "MAX_TIMEFRAME_SECONDS",
    "OPTIONAL_ENGINES",
    "TIMEFRAME_PATTERN",
    "TOKEN_METHOD",
    "ApiLatencyOut",
    "HealthReport",
    "LatencyStats",
    "ProcessMetrics",
    "TokenUsageReport",
    "health_status",
    "latency_stats",
    "process_metrics",
    "timeframe_seconds",
    "token_usage",
]

# (module, extra, what it enables)
OPTIONAL_ENGINES: tuple[tuple[str, str, str], ...] = (
    ("torch", "forecast", "neural forecasting and the torch Monte Carlo backend"),
    ("optuna", "optimize", "Bayesian parameter search and forecaster tuning"),
    ("skfolio", "risk", "portfolio optimisation"),
    ("alpaca", "alpaca", "Alpaca market data and live trading"),
)


class HealthReport(BaseModel):
    status: Literal["healthy", "degraded", "unhealthy"]
    version: str
    home: str
    broker: str | None
    trading_state: str | None
    checks: list[Check]


def health_status() -> HealthReport:
    """``unhealthy`` when a check fails, ``degraded`` on warnings, else ``healthy``."""
    from neural_trader.config import load_settings
    from neural_trader.core.errors import NeuralTraderError

    doctor = run_doctor()
    checks = list(doctor.checks)
    broker = state = None
    try:
        from neural_trader.execution.oms import KILL_SWITCH_KEY
        from neural_trader.risk.killswitch import KillSwitch
        from neural_trader.services.orders import trading_broker
        from neural_trader.services.trading import open_journal

        settings = load_settings()
        broker = trading_broker(settings)
        with open_journal(settings, broker) as journal:
            stored = journal.get_state(KILL_SWITCH_KEY)
        state = (
            KillSwitch.active() if stored is None else KillSwitch.from_dict(stored)
        ).state.value
        checks.append(
            Check(
                group="trading",
                name="journal",
                status="ok" if state == "ACTIVE" else "warn",
                detail=f"{broker} journal readable; trading state {state}",
            )
        )
    except (NeuralTraderError, OSError) as exc:
        checks.append(Check(group="trading", name="journal", status="fail", detail=str(exc)))
    for module, extra, purpose in OPTIONAL_ENGINES:
        found = importlib.util.find_spec(module) is not None
        checks.append(
            Check(
                group="engines",
                name=f"[{extra}] {module}",
                status="ok" if found else "warn",
                detail=purpose if found else f"not installed: pip install 'neural-trader[{extra}]'",
            )
        )
    worst: Literal["healthy", "degraded", "unhealthy"] = "healthy"
    if any(c.status == "fail" for c in checks):
        worst = "unhealthy"
    elif any(c.status == "warn" for c in checks):
        worst = "degraded"
    return HealthReport(
        status=worst,
        version=doctor.version,
        home=doctor.home,
        broker=broker,
        trading_state=state,
        checks=checks,
    )


class ProcessMetrics(BaseModel):
    """This process and its host, read from the OS (stdlib only: no psutil dependency)."""

    cpu_count: int
    load_average: tuple[float, float, float] | None = Field(description="1, 5, 15 minutes")
    process_cpu_seconds: float = Field(description="user + system CPU time of this process")
    rss_bytes: int | None = Field(description="resident memory now (Linux /proc)")
    peak_rss_bytes: int
    memory_total_bytes: int | None
    memory_available_bytes: int | None
    threads: int


def process_metrics() -> ProcessMetrics:
    import os
    import resource
    import sys
    import threading

    usage = resource.getrusage(resource.RUSAGE_SELF)
    # ru_maxrss is KiB on Linux, bytes on macOS.
    peak = usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024
    rss = total = available = None
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            rss = int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        with open("/proc/meminfo", encoding="ascii") as fh:
            info = {k: int(v.split()[0]) * 1024 for k, v in (line.split(":", 1) for line in fh)}
        total, available = info.get("MemTotal"), info.get("MemAvailable")
    except (OSError, ValueError, IndexError):
        pass  # not Linux: the peak is still known
    try:
        load: tuple[float, float, float] | None = os.getloadavg()
    except OSError:
        load = None
    return ProcessMetrics(
        cpu_count=os.cpu_count() or 1,
        load_average=load,
        process_cpu_seconds=usage.ru_utime + usage.ru_stime,
        rss_bytes=rss,
        peak_rss_bytes=int(peak),
        memory_total_bytes=total,
        memory_available_bytes=available,
        threads=threading.active_count(),
    )


# -- latency -------------------------------------------------------------------------------------


class LatencyStats(BaseModel):
    calls: int
    errors: int
    mean_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None


class ApiLatencyOut(BaseModel):
    endpoint: str | None
    time_window_minutes: int
    overall: LatencyStats
    by_tool: dict[str, LatencyStats]
    note: str


def latency_stats(calls: Iterable[tuple[float, bool]]) -> LatencyStats:
    """Count, errors, mean and nearest-rank percentiles of ``(seconds, ok)`` calls, in ms.

    Nearest rank (the smallest value with at least q% of the calls at or below it) so every
    percentile is a duration that was actually measured, never an interpolation between two.
    """
    ms: list[float] = []
    errors = 0
    for seconds, ok in calls:
        ms.append(seconds * 1000.0)
        errors += not ok
    if not ms:
        return LatencyStats(
            calls=0, errors=0, mean_ms=None, p50_ms=None, p95_ms=None, p99_ms=None, max_ms=None
        )
    ms.sort()

    def rank(q: float) -> float:
        return ms[min(len(ms) - 1, max(0, math.ceil(q / 100.0 * len(ms)) - 1))]

    return LatencyStats(
        calls=len(ms),
        errors=errors,
        mean_ms=sum(ms) / len(ms),
        p50_ms=rank(50),
        p95_ms=rank(95),
        p99_ms=rank(99),
        max_ms=ms[-1],
    )


# -- bottlenecks ---------------------------------------------------------------------------------

BottleneckMetric = Literal["latency", "errors", "cpu", "memory"]


class ToolLoad(BaseModel):
    tool: str
    calls: int
    errors: int
    total_seconds: float
    time_share: float = Field(description="share of all tool time in the window (0-1)")
    p50_ms: float
    p99_ms: float


class BottleneckReport(BaseModel):
    component: str | None
    window_minutes: int
    calls: int
    busiest: list[ToolLoad] = Field(description="tools by total time, largest first")
    findings: list[str]
    host: ProcessMetrics | None


def _tool_load(tool: str, items: list[tuple[float, bool]], total: float) -> ToolLoad:
    stats = latency_stats(items)
    # Never None: a tool is listed only with calls, and latency_stats is None only without.
    assert stats.p50_ms is not None
    assert stats.p99_ms is not None
    spent = sum(s for s, _ in items)
    return ToolLoad(
        tool=tool,
        calls=stats.calls,
        errors=stats.errors,
        total_seconds=spent,
        time_share=spent / total if total > 0 else 0.0,
        p50_ms=stats.p50_ms,
        p99_ms=stats.p99_ms,
    )


def analyze_bottlenecks(
    calls: Sequence[tuple[str, float, bool]],
    *,
    component: str | None = None,
    window_minutes: int = 60,
    metrics: Sequence[BottleneckMetric] = ("latency", "errors", "cpu", "memory"),
    process: ProcessMetrics | None = None,
) -> BottleneckReport:
    """Where the time goes, from measured ``(tool, seconds, ok)`` calls and the host's state.

    Findings are fixed rules over those measurements, each stating its numbers: a tool taking
    half or more of all tool time; a tail (p99 over 10x p50, 20+ calls); an error rate over
    10% (5+ calls); a CPU load average above the core count; under 10% of memory available.
    Nothing is inferred beyond what was measured (the original's findings were invented).
    """
    wanted = set(metrics)
    rows = [c for c in calls if component is None or c[0] == component]
    by_tool: dict[str, list[tuple[float, bool]]] = {}
    for tool, seconds, ok in rows:
        by_tool.setdefault(tool, []).append((seconds, ok))
    total = sum(s for _, s, _ in rows)
    loads = [_tool_load(tool, items, total) for tool, items in by_tool.items()]
    loads.sort(key=lambda t: t.total_seconds, reverse=True)
    findings: list[str] = []
    if not rows:
        findings.append(f"no tool calls in the last {window_minutes} minutes: nothing to rank")
    if "latency" in wanted:
        for t in loads:
            if t.time_share >= 0.5 and len(loads) > 1:
                findings.append(
                    f"{t.tool} takes {t.time_share:.0%} of the tool time ({t.calls} calls, "
                    f"{t.total_seconds:.2f} s)"
                )
            if t.calls >= 20 and t.p50_ms > 0 and t.p99_ms > 10 * t.p50_ms:
                findings.append(
                    f"{t.tool} has a latency tail: p99 {t.p99_ms:.1f} ms vs p50 {t.p50_ms:.1f} ms"
                )
    if "errors" in wanted:
        for t in loads:
            if t.calls >= 5 and t.errors / t.calls > 0.1:
                findings.append(f"{t.tool} failed {t.errors} of {t.calls} calls")
    host = None
    if wanted & {"cpu", "memory"}:
        host = process or process_metrics()
        if "cpu" in wanted and host.load_average is not None:
            load1 = host.load_average[0]
            if load1 > host.cpu_count:
                findings.append(
                    f"CPU saturated: 1-minute load {load1:.2f} on {host.cpu_count} cores"
                )
        if "memory" in wanted and host.memory_total_bytes and host.memory_available_bytes:
            free = host.memory_available_bytes / host.memory_total_bytes
            if free < 0.1:
                findings.append(f"memory short: {free:.0%} of {host.memory_total_bytes:,} B free")
    if rows and not findings:
        findings.append("no rule fired: no single tool dominates, no tail, errors or host pressure")
    return BottleneckReport(
        component=component,
        window_minutes=window_minutes,
        calls=len(rows),
        busiest=loads,
        findings=findings,
        host=host,
    )


# -- token usage ---------------------------------------------------------------------------------

TOKEN_METHOD = (
    "estimated, not counted: estimated_tokens = ceil(chars / 4) over the summed characters, "
    "the usual rule of thumb for BPE tokenizers on English and JSON text. Exact counts depend "
    "on the client model's tokenizer, which this server never sees. chars and bytes (UTF-8) "
    "are measured: a request is its arguments as received, as compact JSON; a response is "
    "what the server sent: the text of its content blocks plus structuredContent as compact "
    "JSON (a client may show its model one or both), or the error text of a failed call."
)
MAX_TIMEFRAME_SECONDS = 7 * 86_400
"""The longest window: a week, like the other system tools' ``time_window`` (10,080 min)."""
TOP_CONTEXT_COSTS = 5

TIMEFRAME_PATTERN = r"^([1-9][0-9]{0,5})([mhd])$"
_TIMEFRAME = re.compile(TIMEFRAME_PATTERN)
_UNIT_SECONDS = {"m": 60, "h": 3_600, "d": 86_400}


def timeframe_seconds(timeframe: str) -> int:
    """``15m``, ``1h``, ``24h``, ``7d`` -> seconds; ``ValueError`` saying what is allowed.

    The original's ``timeframe`` was free text; a pattern with a bound lets an agent's typo
    fail loudly instead of silently summarising some other window.
    """
    match = _TIMEFRAME.match(timeframe)
    if match is None:
        raise ValueError(f"{timeframe!r} is not a number followed by m, h or d (e.g. 15m, 24h)")
    seconds = int(match[1]) * _UNIT_SECONDS[match[2]]
    if seconds > MAX_TIMEFRAME_SECONDS:
        raise ValueError(f"{timeframe!r} is longer than 7d, the longest window")
    return seconds


class SizedCall(Protocol):
    """What :func:`token_usage` reads from a logged call (the MCP front's ``CallRecord``)."""

    @property
    def tool(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def reached_body(self) -> bool: ...
    @property
    def request(self) -> tuple[int, int]:
        """(UTF-8 bytes, characters)."""
        ...

    @property
    def response(self) -> tuple[int, int]:
        """(UTF-8 bytes, characters)."""
        ...


class PayloadStats(BaseModel):
    """Sizes of one direction (requests or responses) over a set of calls."""

    bytes_total: int
    bytes_mean: float
    bytes_max: int
    chars_total: int
    chars_mean: float
    chars_max: int
    estimated_tokens: int = Field(description="ceil(chars_total / 4): see token_method")


class CallSizes(BaseModel):
    calls: int
    errors: int = Field(description="calls the client got an error for (refused ones included)")
    refused: int = Field(description="calls whose arguments the server refused before running")
    request: PayloadStats
    response: PayloadStats


class ContextCost(BaseModel):
    tool: str
    calls: int
    response_chars: int
    response_estimated_tokens: int
    share: float = Field(description="share of all response characters in the window (0-1)")


class UsageWindow(BaseModel):
    timeframe: str
    seconds: int
    start: str
    end: str
    complete: bool = Field(
        description="false when the server started after the window began, or its bounded "
        "call log has already dropped calls of the window: earlier calls are then not counted"
    )


class TokenUsageReport(BaseModel):
    operation: str | None
    window: UsageWindow
    token_method: str
    totals: CallSizes
    by_tool: dict[str, CallSizes] = Field(description="tools with calls in the window, by name")
    largest_responses: list[ContextCost] = Field(
        description=f"the {TOP_CONTEXT_COSTS} tools whose results took the most context "
        "(response characters), largest first"
    )


def estimated_tokens(chars: int) -> int:
    """The ``TOKEN_METHOD`` rule: about four characters per token."""
    return math.ceil(chars / 4)


def _payload_stats(sizes: Sequence[tuple[int, int]]) -> PayloadStats:
    n = len(sizes)
    total_bytes = sum(b for b, _ in sizes)
    total_chars = sum(c for _, c in sizes)
    return PayloadStats(
        bytes_total=total_bytes,
        bytes_mean=total_bytes / n if n else 0.0,
        bytes_max=max((b for b, _ in sizes), default=0),
        chars_total=total_chars,
        chars_mean=total_chars / n if n else 0.0,
        chars_max=max((c for _, c in sizes), default=0),
        estimated_tokens=estimated_tokens(total_chars),
    )


def _call_sizes(calls: Sequence[SizedCall]) -> CallSizes:
    return CallSizes(
        calls=len(calls),
        errors=sum(1 for c in calls if not c.ok),
        refused=sum(1 for c in calls if not c.reached_body),
        request=_payload_stats([c.request for c in calls]),
        response=_payload_stats([c.response for c in calls]),
    )


def _largest_responses(tools: dict[str, CallSizes], all_chars: int) -> list[ContextCost]:
    ranked = sorted(tools.items(), key=lambda kv: (-kv[1].response.chars_total, kv[0]))
    return [
        ContextCost(
            tool=name,
            calls=t.calls,
            response_chars=t.response.chars_total,
            response_estimated_tokens=t.response.estimated_tokens,
            share=t.response.chars_total / all_chars if all_chars else 0.0,
        )
        for name, t in ranked[:TOP_CONTEXT_COSTS]
    ]


def token_usage(
    calls: Sequence[SizedCall],
    *,
    operation: str | None,
    timeframe: str,
    now: float,
    started: float,
    log_complete: bool = True,
) -> TokenUsageReport:
    """What the logged calls cost an agent's context, overall and per tool.

    ``calls`` are those of the window already (the caller filters its log); ``now`` and
    ``started`` (the server's start, epoch seconds) place the window and say whether the log
    can cover it. Sizes are measured; tokens are estimated (``TOKEN_METHOD``) because the
    server never sees the client model's tokenizer. No calls give zeros, not an error.
    """
    seconds = timeframe_seconds(timeframe)
    by_name: dict[str, list[SizedCall]] = {}
    for c in calls:
        by_name.setdefault(c.tool, []).append(c)
    tools = {name: _call_sizes(items) for name, items in sorted(by_name.items())}
    totals = _call_sizes(calls)
    return TokenUsageReport(
        operation=operation,
        window=UsageWindow(
            timeframe=timeframe,
            seconds=seconds,
            start=datetime.fromtimestamp(now - seconds, UTC).isoformat(),
            end=datetime.fromtimestamp(now, UTC).isoformat(),
            complete=log_complete and started <= now - seconds,
        ),
        token_method=TOKEN_METHOD,
        totals=totals,
        by_tool=tools,
        largest_responses=_largest_responses(tools, totals.response.chars_total),
    )
