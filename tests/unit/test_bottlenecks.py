"""The bottleneck rules over measured calls: each finding states the numbers it rests on."""

from __future__ import annotations

from neural_trader.services.health import ProcessMetrics, analyze_bottlenecks


def _host(load: float, available: int) -> ProcessMetrics:
    return ProcessMetrics(
        cpu_count=2, load_average=(load, load, load), process_cpu_seconds=1.0, rss_bytes=1,
        peak_rss_bytes=1, memory_total_bytes=1000, memory_available_bytes=available, threads=4,
    )  # fmt: skip


def test_a_dominant_tool_a_tail_and_errors_are_found() -> None:
    calls = [("run_backtest", 2.0, True)] * 3 + [("ping", 0.001, True)] * 19
    calls += [("ping", 0.5, True)]  # one slow ping: a tail (p99 > 10 x p50 over 20 calls)
    calls += [("import_data", 0.01, False)] * 3 + [("import_data", 0.01, True)] * 2
    report = analyze_bottlenecks(calls, process=_host(0.5, 900))
    assert report.busiest[0].tool == "run_backtest"
    share = report.busiest[0].time_share
    assert abs(share - 6.0 / (6.0 + 19 * 0.001 + 0.5 + 0.05)) < 1e-12
    text = " | ".join(report.findings)
    assert "run_backtest takes" in text
    assert "ping has a latency tail" in text
    assert "import_data failed 3 of 5 calls" in text
    assert "CPU" not in text


def test_host_pressure_and_the_component_filter() -> None:
    calls = [("a", 1.0, True), ("b", 1.0, True)]
    report = analyze_bottlenecks(calls, component="a", process=_host(3.5, 50))
    assert [t.tool for t in report.busiest] == ["a"]
    assert report.busiest[0].time_share == 1.0
    text = " | ".join(report.findings)
    assert "CPU saturated: 1-minute load 3.50 on 2 cores" in text
    assert "memory short: 5%" in text


def test_no_calls_means_nothing_to_rank() -> None:
    report = analyze_bottlenecks([], metrics=["latency"])
    assert report.calls == 0
    assert report.host is None
    assert report.findings == ["no tool calls in the last 60 minutes: nothing to rank"]
