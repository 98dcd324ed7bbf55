"""Health of a running installation: ``doctor`` plus the trading store and the optional engines.

A long-running front (the MCP server) is asked "can you work?" often; the answer must be
cheap. :func:`health_status` runs :func:`neural_trader.services.system.run_doctor` (config,
data folder, catalog, storage probe), reads the trading journal's kill switch, and reports
which optional engines are installed by looking them up (``importlib.util.find_spec``), not by
importing them: torch alone takes seconds to import.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from neural_trader.services.system import Check, run_doctor

__all__ = [
    "OPTIONAL_ENGINES",
    "HealthReport",
    "ProcessMetrics",
    "health_status",
    "process_metrics",
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
    loads: list[ToolLoad] = []
    for tool, items in by_tool.items():
        ms = sorted(s * 1000.0 for s, _ in items)

        def pct(q: float, ms: list[float] = ms) -> float:
            return ms[min(len(ms) - 1, max(0, math.ceil(q / 100.0 * len(ms)) - 1))]

        spent = sum(s for s, _ in items)
        loads.append(
            ToolLoad(
                tool=tool, calls=len(items), errors=sum(1 for _, ok in items if not ok),
                total_seconds=spent, time_share=spent / total if total > 0 else 0.0,
                p50_ms=pct(50), p99_ms=pct(99),
            )
        )  # fmt: skip
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
