"""The fault-injecting broker does exactly what its plan says, and the same plan and seed do
it again: each action, when it fires, whether the inner broker was reached."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from neural_trader.core.enums import OrderSide, OrderStatus, OrderType
from neural_trader.core.errors import (
    BrokerUnavailableError,
    InvalidArgumentError,
    OrderRejectedError,
    RateLimitedError,
    SendOutcomeUnknown,
)
from neural_trader.execution.broker import Broker
from neural_trader.execution.reports import (
    AccountReport,
    ExecutionReport,
    FillReport,
    OrderRequest,
    OrderStatusReport,
    PositionReport,
)
from neural_trader.testkit.faults import Fault, FaultPlan, FaultyBroker

# --- a small in-memory broker -----------------------------------------------------------------


def request(cid: str = "O-1") -> OrderRequest:
    return OrderRequest(
        client_order_id=cid,
        symbol="AAPL",
        side=OrderSide.BUY,
        order_type=OrderType.MARKET,
        quantity=Decimal(10),
    )


def status(cid: str, ts: int = 1) -> OrderStatusReport:
    return OrderStatusReport(
        client_order_id=cid,
        venue_order_id=f"V-{cid}",
        symbol="AAPL",
        side=OrderSide.BUY,
        order_type=OrderType.MARKET,
        quantity=Decimal(10),
        filled_quantity=Decimal(0),
        status=OrderStatus.ACCEPTED,
        ts_event=ts,
        ts_init=ts,
    )


def fill(trade_id: str, ts: int) -> FillReport:
    return FillReport(
        trade_id=trade_id,
        client_order_id="O-1",
        venue_order_id="V-O-1",
        symbol="AAPL",
        side=OrderSide.BUY,
        quantity=Decimal(1),
        price=Decimal(100),
        ts_event=ts,
        ts_init=ts,
    )


class FakeBroker(Broker):
    """Keeps submitted orders; streams ``stream_reports`` then ends (or drops, if asked)."""

    name = "fake"

    def __init__(self, stream_reports: list[ExecutionReport] | None = None) -> None:
        self.orders: dict[str, OrderStatusReport] = {}
        self.cancelled: list[str] = []
        self.stream_reports = stream_reports or []
        self.stream_error: Exception | None = None
        self.lifecycle: list[str] = []

    async def connect(self) -> None:
        self.lifecycle.append("connect")

    async def close(self) -> None:
        self.lifecycle.append("close")

    async def submit_order(self, request: OrderRequest) -> OrderStatusReport:
        report = status(request.client_order_id)
        self.orders[request.client_order_id] = report
        return report

    async def cancel_order(self, client_order_id: str, venue_order_id: str | None = None) -> None:
        self.cancelled.append(client_order_id)

    async def get_order(self, client_order_id: str) -> OrderStatusReport | None:
        return self.orders.get(client_order_id)

    async def open_orders(self) -> list[OrderStatusReport]:
        return list(self.orders.values())

    async def fills(self, since_ns: int = 0) -> list[FillReport]:
        return [fill("T-1", 5)] if since_ns <= 5 else []

    async def positions(self) -> list[PositionReport]:
        return [PositionReport(symbol="AAPL", quantity=Decimal(1), avg_price=Decimal(100))]

    async def account(self) -> AccountReport:
        return AccountReport(
            account_id="A-1",
            currency="USD",
            cash=Decimal(1000),
            equity=Decimal(1000),
            buying_power=Decimal(1000),
            ts_event=1,
        )

    async def reports(self) -> AsyncIterator[ExecutionReport]:
        for report in self.stream_reports:
            yield report
        if self.stream_error is not None:
            raise self.stream_error


def faulty(*faults: Fault, seed: int = 0, inner: FakeBroker | None = None) -> FaultyBroker:
    return FaultyBroker(inner or FakeBroker(), FaultPlan(faults=list(faults), seed=seed))


def run(awaitable: Awaitable[Any]) -> Any:
    async def main() -> Any:
        return await awaitable

    return asyncio.run(main())


def collect(stream: AsyncIterator[ExecutionReport]) -> list[ExecutionReport]:
    async def main() -> list[ExecutionReport]:
        return [report async for report in stream]

    return asyncio.run(main())


def collect_until_error(
    stream: AsyncIterator[ExecutionReport],
) -> tuple[list[ExecutionReport], Exception | None]:
    got: list[ExecutionReport] = []

    async def main() -> None:
        async for report in stream:
            got.append(report)

    try:
        asyncio.run(main())
    except Exception as exc:
        return got, exc
    return got, None


# Each read method, called through the wrapper with fixed arguments.
READS: dict[str, Callable[[FaultyBroker], Awaitable[Any]]] = {
    "get_order": lambda b: b.get_order("O-1"),
    "open_orders": lambda b: b.open_orders(),
    "fills": lambda b: b.fills(0),
    "positions": lambda b: b.positions(),
    "account": lambda b: b.account(),
}


# --- pass-through ---------------------------------------------------------------------------


def test_without_faults_everything_reaches_the_inner_broker() -> None:
    inner = FakeBroker(stream_reports=[status("O-1")])
    broker = faulty(inner=inner)
    assert broker.name == "fake"
    assert broker.is_live is False
    run(broker.connect())
    assert inner.lifecycle == ["connect"]
    assert run(broker.submit_order(request())) == status("O-1")
    run(broker.cancel_order("O-1"))
    assert run(broker.get_order("O-1")) == status("O-1")
    assert run(broker.open_orders()) == [status("O-1")]
    assert run(broker.fills(3)) == [fill("T-1", 5)]
    assert len(run(broker.positions())) == 1
    assert run(broker.account()).account_id == "A-1"
    assert collect(broker.reports()) == [status("O-1")]
    run(broker.close())
    assert inner.lifecycle == ["connect", "close"]
    assert inner.cancelled == ["O-1"]
    assert broker.log == [
        ("submit_order", "O-1"),
        ("cancel_order", "O-1"),
        ("get_order", "O-1"),
        ("open_orders", ""),
        ("fills", "3"),
        ("positions", ""),
        ("account", ""),
        ("stream", "1"),
    ]
    assert broker.calls == {
        "submit_order": 1,
        "cancel_order": 1,
        "get_order": 1,
        "open_orders": 1,
        "fills": 1,
        "positions": 1,
        "account": 1,
        "stream": 1,
    }
    assert broker.injected == []


# --- lost answers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "text"), [("timeout_before", "timed out"), ("error_5xx_before", "HTTP 503")]
)
def test_a_submit_lost_before_the_broker_is_unknown_and_creates_nothing(
    action: Any, text: str
) -> None:
    inner = FakeBroker()
    broker = faulty(Fault(method="submit_order", action=action, nth=1), inner=inner)
    with pytest.raises(SendOutcomeUnknown, match=text) as info:
        run(broker.submit_order(request()))
    assert "submit_order call 1 (O-1)" in info.value.message
    assert inner.orders == {}
    assert broker.log == []
    assert broker.calls == {"submit_order": 1}
    assert broker.injected == [("submit_order", 1, action)]


@pytest.mark.parametrize(
    ("action", "text"), [("timeout_after", "timed out"), ("error_5xx_after", "HTTP 503")]
)
def test_a_submit_lost_after_the_broker_is_unknown_but_the_order_exists(
    action: Any, text: str
) -> None:
    inner = FakeBroker()
    broker = faulty(Fault(method="submit_order", action=action, nth=1), inner=inner)
    with pytest.raises(SendOutcomeUnknown, match=text):
        run(broker.submit_order(request()))
    assert list(inner.orders) == ["O-1"]
    assert broker.log == [("submit_order", "O-1")]
    # A poll by client order id (no fault on it) resolves the unknown outcome.
    assert run(broker.get_order("O-1")) == status("O-1")


def test_a_lost_cancel_is_unknown_and_after_means_it_was_cancelled() -> None:
    inner = FakeBroker()
    broker = faulty(
        Fault(method="cancel_order", action="timeout_before", nth=1),
        Fault(method="cancel_order", action="timeout_after", nth=2),
        inner=inner,
    )
    with pytest.raises(SendOutcomeUnknown):
        run(broker.cancel_order("O-1"))
    assert inner.cancelled == []
    with pytest.raises(SendOutcomeUnknown):
        run(broker.cancel_order("O-2"))
    assert inner.cancelled == ["O-2"]


@pytest.mark.parametrize("method", list(READS))
@pytest.mark.parametrize("action", ["timeout_before", "timeout_after", "error_5xx_before"])
def test_a_lost_read_is_retryable_not_unknown(method: Any, action: Any) -> None:
    broker = faulty(Fault(method=method, action=action, nth=1))
    with pytest.raises(BrokerUnavailableError) as info:
        run(READS[method](broker))
    assert not isinstance(info.value, RateLimitedError)
    reached = action.endswith("_after")
    assert [m for m, _ in broker.log] == ([method] if reached else [])
    run(READS[method](broker))  # the retry gets through
    assert broker.calls[method] == 2


# --- definitive answers ---------------------------------------------------------------------


def test_rate_limit_carries_retry_after_and_does_not_reach_the_broker() -> None:
    broker = faulty(Fault(method="positions", action="rate_limit", nth=1, retry_after=2.5))
    with pytest.raises(RateLimitedError, match="HTTP 429") as info:
        run(broker.positions())
    assert info.value.retry_after == 2.5
    assert isinstance(info.value, BrokerUnavailableError)
    assert broker.log == []


def test_reject_is_definitive_with_its_reason_and_creates_nothing() -> None:
    inner = FakeBroker()
    broker = faulty(
        Fault(method="submit_order", action="reject", nth=1, reason="insufficient buying power"),
        inner=inner,
    )
    with pytest.raises(OrderRejectedError, match="insufficient buying power") as info:
        run(broker.submit_order(request()))
    assert info.value.reason == "insufficient buying power"
    assert inner.orders == {}
    assert broker.log == []


# --- when faults fire -----------------------------------------------------------------------


def test_nth_counts_calls_of_its_own_method_only() -> None:
    broker = faulty(Fault(method="submit_order", action="timeout_before", nth=2))
    run(broker.get_order("X"))  # other methods do not advance the submit count
    run(broker.submit_order(request("O-1")))
    with pytest.raises(SendOutcomeUnknown, match="submit_order call 2 \\(O-2\\)"):
        run(broker.submit_order(request("O-2")))
    run(broker.submit_order(request("O-3")))
    assert broker.calls == {"get_order": 1, "submit_order": 3}
    assert [d for m, d in broker.log if m == "submit_order"] == ["O-1", "O-3"]
    assert broker.injected == [("submit_order", 2, "timeout_before")]


def test_the_first_listed_fault_wins_when_two_fire_on_one_call() -> None:
    broker = faulty(
        Fault(method="submit_order", action="reject", nth=1),
        Fault(method="submit_order", action="timeout_after", probability=1.0),
    )
    with pytest.raises(OrderRejectedError):
        run(broker.submit_order(request("O-1")))
    with pytest.raises(SendOutcomeUnknown):
        run(broker.submit_order(request("O-2")))
    assert broker.injected == [("submit_order", 1, "reject"), ("submit_order", 2, "timeout_after")]


def _soak(seed: int, calls: int = 400) -> FaultyBroker:
    broker = faulty(
        Fault(method="get_order", action="timeout_before", probability=0.3),
        Fault(method="get_order", action="rate_limit", probability=0.2, retry_after=1.0),
        Fault(method="positions", action="error_5xx_after", probability=0.5),
        seed=seed,
    )

    async def main() -> None:
        for i in range(calls):
            with contextlib.suppress(BrokerUnavailableError):
                await (broker.get_order(f"O-{i}") if i % 3 else broker.positions())

    asyncio.run(main())
    return broker


def test_the_same_seed_and_plan_inject_the_same_faults() -> None:
    first, second = _soak(seed=7), _soak(seed=7)
    assert first.injected == second.injected
    assert first.log == second.log
    assert _soak(seed=8).injected != first.injected


def test_probability_sets_the_share_of_calls_that_fail() -> None:
    broker = _soak(seed=11, calls=3000)
    positions_faults = sum(1 for m, _, _ in broker.injected if m == "positions")
    assert 0.45 < positions_faults / broker.calls["positions"] < 0.55
    get_faults = [a for m, _, a in broker.injected if m == "get_order"]
    # timeout at 0.3; rate_limit only shows where the timeout did not fire: 0.7 * 0.2 = 0.14
    assert 0.25 < get_faults.count("timeout_before") / broker.calls["get_order"] < 0.35
    assert 0.10 < get_faults.count("rate_limit") / broker.calls["get_order"] < 0.18


def test_probability_zero_never_fires_and_one_always_does() -> None:
    never = faulty(Fault(method="account", action="timeout_before", probability=0.0))
    always = faulty(Fault(method="account", action="timeout_before", probability=1.0))
    for _ in range(50):
        run(never.account())
        with pytest.raises(BrokerUnavailableError):
            run(always.account())
    assert never.injected == []
    assert len(always.injected) == 50


# --- stream faults --------------------------------------------------------------------------

STREAM: list[ExecutionReport] = [
    status("O-1", 1),
    fill("T-1", 2),
    fill("T-2", 3),
    status("O-2", 4),
    fill("T-3", 5),
]


def stream_broker(*faults: Fault) -> FaultyBroker:
    return faulty(*faults, inner=FakeBroker(stream_reports=list(STREAM)))


def test_duplicate_yields_every_report_twice() -> None:
    broker = stream_broker(Fault(method="stream", action="duplicate", nth=1))
    assert collect(broker.reports()) == [r for r in STREAM for _ in range(2)]


def test_reorder_swaps_each_pair_and_keeps_the_odd_one() -> None:
    broker = stream_broker(Fault(method="stream", action="reorder", nth=1))
    a, b, c, d, e = STREAM
    assert collect(broker.reports()) == [b, a, d, c, e]


def test_reorder_flushes_a_held_report_before_the_stream_drops() -> None:
    inner = FakeBroker(stream_reports=list(STREAM[:3]))
    inner.stream_error = BrokerUnavailableError("connection reset")
    broker = faulty(Fault(method="stream", action="reorder", nth=1), inner=inner)
    got, error = collect_until_error(broker.reports())
    assert got == [STREAM[1], STREAM[0], STREAM[2]]
    assert isinstance(error, BrokerUnavailableError)
    assert error.message == "connection reset"


def test_drop_after_raises_unavailable_after_count_reports() -> None:
    broker = stream_broker(Fault(method="stream", action="drop_after", nth=1, count=2))
    got, error = collect_until_error(broker.reports())
    assert got == STREAM[:2]
    assert isinstance(error, BrokerUnavailableError)
    assert "dropped after 2 report(s)" in error.message


def test_drop_after_zero_drops_before_the_first_report() -> None:
    broker = stream_broker(Fault(method="stream", action="drop_after", nth=1, count=0))
    got, error = collect_until_error(broker.reports())
    assert got == []
    assert isinstance(error, BrokerUnavailableError)


def test_skew_shifts_ts_event_only() -> None:
    broker = stream_broker(Fault(method="stream", action="skew", nth=1, skew_ns=-5_000_000_000))
    got = collect(broker.reports())
    assert [r.ts_event for r in got] == [r.ts_event - 5_000_000_000 for r in STREAM]
    assert [r.ts_init for r in got] == [r.ts_init for r in STREAM]
    assert [type(r) for r in got] == [type(r) for r in STREAM]


def test_stream_faults_compose_in_plan_order_and_count_openings() -> None:
    broker = stream_broker(
        Fault(method="stream", action="skew", nth=2, skew_ns=100),
        Fault(method="stream", action="duplicate", nth=2),
    )
    assert collect(broker.reports()) == STREAM  # the first opening is clean
    second = collect(broker.reports())
    assert [r.ts_event for r in second] == [r.ts_event + 100 for r in STREAM for _ in range(2)]
    assert broker.calls == {"stream": 2}
    assert broker.log == [("stream", "1"), ("stream", "2")]
    assert broker.injected == [("stream", 2, "skew"), ("stream", 2, "duplicate")]


# --- plan validation and JSON ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"method": "submit_order", "action": "duplicate", "nth": 1}, "does not apply"),
        ({"method": "stream", "action": "timeout_before", "nth": 1}, "does not apply"),
        ({"method": "positions", "action": "reject", "nth": 1}, "'reject' applies"),
        ({"method": "account", "action": "timeout_before"}, "exactly one of nth"),
        (
            {"method": "account", "action": "timeout_before", "nth": 1, "probability": 0.5},
            "exactly one of nth",
        ),
        ({"method": "account", "action": "timeout_before", "nth": 0}, "1-based"),
        ({"method": "account", "action": "timeout_before", "probability": 1.5}, r"\[0, 1\]"),
        ({"method": "modify_order", "action": "timeout_before", "nth": 1}, "fault method"),
        ({"method": "account", "action": "explode", "nth": 1}, "fault action"),
        ({"method": "stream", "action": "drop_after", "nth": 1, "count": -1}, "count"),
    ],
)
def test_a_nonsense_fault_is_refused(fields: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        Fault(**fields)


def test_a_plan_survives_a_json_round_trip() -> None:
    plan = FaultPlan(
        faults=[
            Fault(method="submit_order", action="kill_after", nth=3),
            Fault(method="positions", action="rate_limit", probability=0.25, retry_after=1.5),
            Fault(method="submit_order", action="reject", nth=1, reason="market closed"),
            Fault(method="stream", action="skew", probability=1.0, skew_ns=-7),
            Fault(method="stream", action="drop_after", nth=2, count=4),
        ],
        seed=1234,
    )
    text = plan.to_json()
    assert "\n" not in text
    assert FaultPlan.from_json(text) == plan
    assert FaultPlan.from_json(text).to_json() == text


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"seed": 1}',
        '{"seed": "x", "faults": []}',
        '{"seed": 1, "faults": [{"method": "account", "action": "skew", "nth": 1}]}',
        '{"seed": 1, "faults": [{"method": "account", "action": "reject", "when": 1}]}',
    ],
)
def test_a_broken_plan_is_refused(text: str) -> None:
    with pytest.raises(InvalidArgumentError):
        FaultPlan.from_json(text)


# --- kill -9 in a subprocess ----------------------------------------------------------------

_KILL_SCRIPT = textwrap.dedent(
    """
    import asyncio, os
    from decimal import Decimal
    from pathlib import Path

    from neural_trader.core.enums import OrderSide, OrderStatus, OrderType
    from neural_trader.execution.broker import Broker
    from neural_trader.execution.reports import AccountReport, OrderRequest, OrderStatusReport
    from neural_trader.testkit.faults import FaultPlan, FaultyBroker

    MARKER = Path(os.environ["NT_TEST_MARKER"])

    class MarkerBroker(Broker):
        name = "marker"

        async def submit_order(self, request):
            MARKER.write_text(request.client_order_id)
            return OrderStatusReport(
                client_order_id=request.client_order_id, venue_order_id="V-1",
                symbol=request.symbol, side=request.side, order_type=request.order_type,
                quantity=request.quantity, filled_quantity=Decimal(0),
                status=OrderStatus.ACCEPTED, ts_event=1, ts_init=1,
            )

        async def cancel_order(self, client_order_id, venue_order_id=None):
            return None

        async def get_order(self, client_order_id):
            return None

        async def open_orders(self):
            return []

        async def fills(self, since_ns=0):
            return []

        async def positions(self):
            return []

        async def account(self):
            return AccountReport(account_id="A", currency="USD", cash=Decimal(0),
                                 equity=Decimal(0), buying_power=Decimal(0), ts_event=0)

        async def reports(self):
            return
            yield

    plan = FaultPlan.from_json(os.environ["NT_FAULT_PLAN"])
    broker = FaultyBroker(MarkerBroker(), plan)
    request = OrderRequest(client_order_id="O-1", symbol="AAPL", side=OrderSide.BUY,
                           order_type=OrderType.MARKET, quantity=Decimal(1))
    asyncio.run(broker.submit_order(request))
    print("survived", flush=True)
    """
)


def _run_killed(tmp_path: Path, plan: FaultPlan) -> tuple[subprocess.CompletedProcess[str], Path]:
    marker = tmp_path / "reached-broker"
    env = dict(os.environ, NT_FAULT_PLAN=plan.to_json(), NT_TEST_MARKER=str(marker))
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return proc, marker


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX-only")
def test_the_harness_runs_to_the_end_without_a_kill(tmp_path: Path) -> None:
    proc, marker = _run_killed(tmp_path, FaultPlan())
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "survived"
    assert marker.read_text() == "O-1"


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX-only")
def test_kill_after_dies_by_sigkill_once_the_broker_has_the_order(tmp_path: Path) -> None:
    plan = FaultPlan(faults=[Fault(method="submit_order", action="kill_after", nth=1)])
    proc, marker = _run_killed(tmp_path, plan)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "survived" not in proc.stdout
    assert marker.read_text() == "O-1"


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX-only")
def test_kill_before_dies_by_sigkill_before_the_broker_sees_anything(tmp_path: Path) -> None:
    plan = FaultPlan(faults=[Fault(method="submit_order", action="kill_before", nth=1)])
    proc, marker = _run_killed(tmp_path, plan)
    assert proc.returncode == -9, proc.stderr
    assert "survived" not in proc.stdout
    assert not marker.exists()
