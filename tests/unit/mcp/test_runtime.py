"""Long tools report progress, honour cancellation, and never take the server down."""

from __future__ import annotations

import resource
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from neural_trader.fronts.mcp.runtime import Cancelled, Progress


def _progress_of(server: Any, tool: str, args: dict[str, Any]) -> tuple[Any, list[tuple]]:
    seen: list[tuple] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        seen.append((done, total, message))

    async def go() -> Any:
        async with Client(server) as client:
            return await client.call_tool(tool, args, progress_callback=on_progress)

    return anyio.run(go), seen


def test_backtest_reports_progress_from_start_to_done(server: Any, home: Path) -> None:
    result, seen = _progress_of(
        server,
        "run_backtest",
        {"strategy": "sma_cross", "symbol": "SPX", "start_date": "2010-01-01",
         "end_date": "2012-12-31"},
    )  # fmt: skip
    assert not result.is_error
    assert seen[0][0] == 0.0
    assert "started" in seen[0][2]
    assert "done" in seen[-1][2]
    assert seen[-1][0] == seen[-1][1]
    values = [s[0] for s in seen]
    assert values == sorted(values)


def test_optimisation_progress_counts_configurations(server: Any, home: Path) -> None:
    result, seen = _progress_of(
        server,
        "optimize_strategy",
        {"strategy": "sma_cross", "symbol": "SPX",
         "parameter_ranges": {"fast": {"min": 5, "max": 30, "step": 5}}},
    )  # fmt: skip
    assert not result.is_error
    counted = [s for s in seen if s[2] == "configurations"]
    assert counted
    assert counted[-1][:2] == (6.0, 6.0)


def _cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


@pytest.mark.slow
def test_cancelling_an_optimisation_returns_at_once_and_stops_the_engine(
    server: Any, home: Path
) -> None:
    pytest.importorskip("optuna")
    args = {
        "strategy": "sma_cross",
        "symbol": "SPX",
        # 19,600 combinations > 5,000: a Bayesian search of 5,000 trials (minutes).
        "parameter_ranges": {"fast": {"min": 2, "max": 50, "step": 1},
                             "slow": {"min": 51, "max": 450, "step": 1}},
        "max_iterations": 5000,
    }  # fmt: skip

    async def go() -> tuple[float, Any, float]:
        async with Client(server) as client:
            t0 = time.perf_counter()
            with anyio.move_on_after(1.5):
                await client.call_tool("optimize_strategy", args)
            returned = time.perf_counter() - t0
            await anyio.sleep(0.5)  # the trial in flight finishes, then the search stops
            cpu0 = _cpu()
            await anyio.sleep(1.0)
            busy = _cpu() - cpu0
            alive = await client.call_tool("ping", {})
            return returned, alive, busy

    returned, alive, busy = anyio.run(go)
    assert returned < 3.0
    assert not alive.is_error
    assert busy < 0.5, f"the search kept running after the cancel ({busy:.2f} s CPU in 1 s)"


class _Probe:
    """What an engine did in its worker thread: units of work done and how it ended."""

    def __init__(self) -> None:
        self.done = 0
        self.total = 0
        self.ended = threading.Event()
        self.error: BaseException | None = None

    def wrap(self, on: Callable[[int, int], None] | None) -> Callable[[int, int], None]:
        def counted(done: int, total: int) -> None:
            self.done, self.total = done, total
            if on is not None:
                on(done, total)

        return counted

    def run(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except BaseException as exc:
            self.error = exc
            raise
        finally:
            self.ended.set()


def _cancel_once_started(server: Any, tool: str, args: dict[str, Any], probe: _Probe) -> Any:
    """Call ``tool``, cancel it once the engine reported its first unit; then ping."""

    async def go() -> tuple[bool, Any]:
        finished = False
        async with Client(server) as client:
            async with anyio.create_task_group() as tg:

                async def cancel_when_started() -> None:
                    with anyio.fail_after(60):
                        while probe.done == 0:
                            await anyio.sleep(0.02)
                    tg.cancel_scope.cancel()

                tg.start_soon(cancel_when_started)
                await client.call_tool(tool, args)
                finished = True
                tg.cancel_scope.cancel()
            return finished, await client.call_tool("ping", {})

    finished, alive = anyio.run(go)
    assert not finished, "the call ended before it was cancelled"
    assert not alive.is_error
    assert probe.ended.wait(20), "the engine kept running after the cancel"
    assert isinstance(probe.error, Cancelled)
    assert 0 < probe.done < probe.total
    return probe


@pytest.mark.usefixtures("one_torch_thread")
def test_cancelling_a_training_stops_it_and_registers_nothing(
    server: Any, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("torch")
    from neural_trader.data.catalog import Catalog
    from neural_trader.data.export import write_bars_csv
    from neural_trader.forecasting.registry import ModelRegistry
    from neural_trader.forecasting.training import Trainer

    bars = home / "spx_tail.csv"
    write_bars_csv(Catalog(home / "catalog").read_bars("SPX", "1d").iloc[-300:], bars)
    probe = _Probe()
    init, fit = Trainer.__init__, Trainer.fit

    def probed_init(self: Trainer, config: Any = None, *, on_step: Any = None) -> None:
        init(self, config, on_step=probe.wrap(on_step))

    monkeypatch.setattr(Trainer, "__init__", probed_init)
    monkeypatch.setattr(Trainer, "fit", lambda self, *a: probe.run(lambda: fit(self, *a)))
    args = {"data_path": str(bars), "model_type": "NHITS", "epochs": 10_000, "batch_size": 32,
            "input_size": 10, "horizon": 3, "use_gpu": False}  # fmt: skip
    _cancel_once_started(server, "neural_train", args, probe)
    assert probe.total > 10_000  # tens of thousands of steps, stopped after a few
    assert ModelRegistry().ids() == []


def test_cancelling_a_monte_carlo_simulation_stops_between_chunks(
    server: Any, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import neural_trader.risk.montecarlo as mc

    probe = _Probe()
    simulate = mc.simulate

    def probed(*args: Any, on_chunk: Any = None, **kwargs: Any) -> Any:
        return probe.run(lambda: simulate(*args, on_chunk=probe.wrap(on_chunk), **kwargs))

    monkeypatch.setattr(mc, "simulate", probed)
    # 1,000,000 paths x 100 days x 2 assets (GBM stepped daily for the worst P&L): about 50
    # chunks, seconds of work.
    args = {"portfolio": [{"symbol": "SPX", "quantity": 2}, {"symbol": "IXIC", "value": 10_000}],
            "simulations": 1_000_000, "time_horizon": 100, "model": "gbm"}  # fmt: skip
    _cancel_once_started(server, "monte_carlo_simulation", args, probe)


def test_progress_relay_raises_once_cancelled() -> None:
    p = Progress()
    p(1, 10, "a")
    p(0.5, 10, "back in time is dropped")
    p(2, 10, "b")
    assert [x[0] for x in p.drain()] == [1.0, 2.0]
    p.cancel()
    with pytest.raises(Cancelled):
        p(3, 10)
    assert issubclass(Cancelled, KeyboardInterrupt)  # what the engines stop on


def test_optimisation_service_stops_on_a_progress_interrupt(home: Path) -> None:
    from neural_trader.services.optimize import run_optimization

    calls = []

    def stop_after_first(done: int, total: int) -> None:
        calls.append(done)
        raise Cancelled("client went away")

    res = run_optimization(
        "sma_cross",
        symbol="SPX",
        grid=["fast=2:40:1"],
        workers=1,
        on_progress=stop_after_first,
    )
    assert res.interrupted
    assert len(calls) == 1


def test_unexpected_exceptions_are_tool_errors_and_the_server_lives(
    server: Any, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import neural_trader.services.market as market

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(market, "market_snapshot", boom)

    async def go() -> tuple[Any, Any]:
        async with Client(server) as client:
            return await client.call_tool("quick_analysis", {"symbol": "SPX"}), (
                await client.call_tool("ping", {})
            )

    bad, alive = anyio.run(go)
    assert bad.is_error
    assert "secret internals" not in bad.content[0].text  # crashes do not leak their text
    assert not alive.is_error


def test_calls_are_timed_for_the_latency_tools(call: Any) -> None:
    for _ in range(3):
        call("ping")
    r = call("get_api_latency", {"endpoint": "ping", "time_window": 1}).structured_content
    assert r["overall"]["calls"] >= 3
    assert r["by_tool"]["ping"]["p50_ms"] >= 0.0


def test_cancelling_an_event_backtest_stops_between_chunks(
    server: Any, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import neural_trader.backtest.event as ev

    probe = _Probe()
    run_event = ev.run_event

    def probed(*args: Any, on_chunk: Any = None, **kwargs: Any) -> Any:
        relay = probe.wrap(on_chunk)

        def paced(done: int, total: int) -> None:
            time.sleep(0.002)  # the sample is one default chunk: small, paced chunks instead
            relay(done, total)

        kwargs["chunk_size"] = 16
        return probe.run(lambda: run_event(*args, on_chunk=paced, **kwargs))

    monkeypatch.setattr(ev, "run_event", probed)
    args = {"strategy": "sma_cross", "symbol": "SPX", "engine": "event",
            "start_date": "1999-01-01", "end_date": "2018-12-31"}  # fmt: skip
    _cancel_once_started(server, "run_backtest", args, probe)
