"""The order manager over a paper venue with scripted faults: journal before send, unknown
outcomes resolved by query (never a blind resend), idempotent reports, risk denials, and the
kill switch persisted across order managers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from neural_trader.core.clock import TestClock
from neural_trader.core.data import Bar, BarSpec
from neural_trader.core.enums import OrderSide, OrderStatus, OrderType
from neural_trader.core.errors import BrokerUnavailableError
from neural_trader.execution.broker import Broker
from neural_trader.execution.journal import Journal
from neural_trader.execution.oms import NEVER_SENT, OrderManager
from neural_trader.execution.paper import PaperBroker, PaperConfig
from neural_trader.execution.reconciliation import reconcile
from neural_trader.execution.reports import OrderRequest, OrderStatusReport
from neural_trader.risk.checks import PreTradeRisk
from neural_trader.risk.killswitch import TradingState
from neural_trader.risk.limits import RiskLimits
from neural_trader.testkit.faults import Fault, FaultPlan, FaultyBroker

DAY = BarSpec.parse("1d")
NS_DAY = 86_400_000_000_000


def bar(i: int, price: float) -> Bar:
    return Bar("AAA", DAY, i * NS_DAY, price, price + 1, price - 1, price, 1e6)


def buy(cid: str, qty: str = "10", **kw: Any) -> OrderRequest:
    kw.setdefault("order_type", OrderType.MARKET)
    return OrderRequest(
        client_order_id=cid, symbol="AAA", side=OrderSide.BUY, quantity=Decimal(qty), **kw
    )


class Desk:
    """A paper venue, a fault plan around it, a journal and an order manager on one clock."""

    def __init__(self, root: Path, faults: list[Fault] | None = None, **limits: Any) -> None:
        self.root = root
        self.clock = TestClock(NS_DAY)
        self.paper = PaperBroker(root / "paper.db", PaperConfig(cash=100_000.0), clock=self.clock)
        self.broker = FaultyBroker(self.paper, FaultPlan(faults=faults or []))
        self.journal = Journal.open(f"sqlite:///{root / 'trading.db'}", broker="paper")
        self.limits = RiskLimits(**limits)
        self.oms = self.manager(self.broker)
        self.paper.on_bar(bar(0, 100.0))

    def manager(self, broker: Broker) -> OrderManager:
        risk = PreTradeRisk(self.limits, clock=self.clock.timestamp_ns)
        oms = OrderManager(journal=self.journal, broker=broker, risk=risk, clock=self.clock)
        oms.update_price("AAA", 100.0)
        return oms

    def submit(self, request: OrderRequest) -> Any:
        return asyncio.run(self.oms.submit(request))

    def next_bar(self, i: int, price: float) -> None:
        """The venue trades bar ``i``; its reports go through the order manager."""
        self.clock.set_time(i * NS_DAY)
        self.paper.on_bar(bar(i, price))
        self.pump()

    def pump(self) -> None:
        """Apply every queued venue report."""

        async def go() -> None:
            it = self.paper.reports()
            try:
                while self.paper.pending_reports():
                    self.oms.apply(await it.__anext__())
            finally:
                await it.aclose()

        asyncio.run(go())

    def pump_faulty(self, quiet_s: float = 0.3) -> list[object]:
        """Apply what the faulty stream delivers until it has been quiet for ``quiet_s``
        (a reordering stream may hold a report back), then gap-fill as the runner does."""
        seen: list[object] = []

        async def go() -> None:
            it = self.broker.reports()
            try:
                while True:
                    try:
                        report = await asyncio.wait_for(it.__anext__(), quiet_s)
                    except (TimeoutError, BrokerUnavailableError):
                        break
                    seen.append(report)
                    self.oms.apply(report)
            finally:
                await it.aclose()
            await reconcile(self.oms, startup=False)

        asyncio.run(go())
        return seen

    def submits_at_broker(self) -> list[str]:
        return [d for m, d in self.broker.log if m == "submit_order"]


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    d = Desk(tmp_path)
    yield d
    d.journal.close()


def test_the_order_is_journaled_before_it_is_sent(tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    class Spy(FaultyBroker):
        async def submit_order(self, request: OrderRequest) -> OrderStatusReport:
            record = desk.journal.order(request.client_order_id)
            seen["status"] = None if record is None else (record.status, record.submission)
            return await super().submit_order(request)

    desk = Desk(tmp_path)
    desk.oms = desk.manager(Spy(desk.paper, FaultPlan()))
    record = desk.submit(buy("A-1"))
    assert seen["status"] == (OrderStatus.INITIALIZED, "pending")
    assert record.status is OrderStatus.ACCEPTED
    desk.journal.close()


@pytest.mark.parametrize("action", ["timeout_after", "error_5xx_after"])
def test_a_lost_answer_is_unknown_then_resolved_by_query_without_a_resend(
    tmp_path: Path, action: str
) -> None:
    desk = Desk(tmp_path, [Fault(method="submit_order", action=action, nth=1)])  # type: ignore[arg-type]
    record = desk.submit(buy("A-1"))
    assert record.submission == "unknown"
    assert [r.client_order_id for r in desk.journal.unresolved()] == ["A-1"]
    changed = asyncio.run(desk.oms.resolve_in_flight())
    assert changed == ["A-1"]
    assert desk.journal.order("A-1").status is OrderStatus.ACCEPTED  # type: ignore[union-attr]
    # the same idempotency key again (a re-planned bar) is not sent again
    again = desk.submit(buy("A-1"))
    assert again.client_order_id == "A-1"
    assert desk.submits_at_broker() == ["A-1"]
    desk.next_bar(1, 101.0)
    assert desk.journal.position("AAA").quantity == 10
    desk.journal.close()


def test_a_send_lost_before_the_broker_times_out_in_flight_and_is_never_resent(
    tmp_path: Path,
) -> None:
    desk = Desk(tmp_path, [Fault(method="submit_order", action="timeout_before", nth=1)])
    desk.submit(buy("A-1"))
    for _ in range(2):
        asyncio.run(desk.oms.resolve_in_flight())
        assert desk.journal.order("A-1").submission == "unknown"  # type: ignore[union-attr]
    asyncio.run(desk.oms.resolve_in_flight())  # the third empty answer
    record = desk.journal.order("A-1")
    assert record is not None
    assert record.status is OrderStatus.REJECTED
    assert "INFLIGHT_TIMEOUT" in (record.reason or "")
    assert desk.submits_at_broker() == []
    desk.journal.close()


def test_after_a_restart_a_never_sent_order_is_resent_under_a_new_id(tmp_path: Path) -> None:
    desk = Desk(tmp_path, [Fault(method="submit_order", action="timeout_before", nth=1)])
    desk.submit(buy("A-1"))
    asyncio.run(desk.oms.resolve_in_flight(process_restarted=True))
    record = desk.journal.order("A-1")
    assert record is not None
    assert (record.reason or "").startswith(NEVER_SENT)
    resent = desk.submit(buy("A-1"))
    assert resent.client_order_id == "A-1.r1"
    assert desk.submits_at_broker() == ["A-1.r1"]
    desk.journal.close()


def test_a_broker_rejection_is_final_and_keeps_the_reason(tmp_path: Path) -> None:
    fault = Fault(method="submit_order", action="reject", nth=1, reason="insufficient buying power")
    desk = Desk(tmp_path, [fault])
    record = desk.submit(buy("A-1"))
    assert record.status is OrderStatus.REJECTED
    assert record.reason == "insufficient buying power"
    assert desk.journal.unresolved() == []
    desk.journal.close()


@pytest.mark.parametrize(
    ("limits", "request_kw", "limit_name"),
    [
        ({"max_order_quantity": 5}, {}, "max_order_quantity"),
        ({"max_order_notional": 500}, {}, "max_order_notional"),
        ({"max_position": 8}, {}, "max_position"),
        (
            {"price_collar": 0.05},
            {"order_type": OrderType.LIMIT, "limit_price": Decimal("90")},
            "price_collar",
        ),
    ],
)
def test_a_risk_denial_never_reaches_the_broker_and_names_the_limit(
    tmp_path: Path, limits: dict[str, Any], request_kw: dict[str, Any], limit_name: str
) -> None:
    desk = Desk(tmp_path, **limits)
    record = desk.submit(buy("A-1", **request_kw))
    assert record.status is OrderStatus.DENIED
    assert limit_name in (record.reason or "")
    assert desk.submits_at_broker() == []
    desk.journal.close()


def test_orders_per_minute_is_a_rolling_limit(tmp_path: Path) -> None:
    desk = Desk(tmp_path, max_orders_per_minute=2)
    statuses = [desk.submit(buy(f"A-{k}", "1")).status for k in range(3)]
    assert statuses == [OrderStatus.ACCEPTED, OrderStatus.ACCEPTED, OrderStatus.DENIED]
    desk.clock.set_time(desk.clock.timestamp_ns() + 61_000_000_000)
    assert desk.submit(buy("A-3", "1")).status is OrderStatus.ACCEPTED
    desk.journal.close()


@pytest.mark.parametrize(
    "stream",
    [
        [Fault(method="stream", action="duplicate", nth=1)],
        [Fault(method="stream", action="reorder", nth=1)],
        [Fault(method="stream", action="skew", nth=1, skew_ns=-3_000_000_000)],
        [Fault(method="stream", action="drop_after", nth=1, count=2)],
        [
            Fault(method="stream", action="reorder", nth=1),
            Fault(method="stream", action="duplicate", nth=1),
        ],
    ],
    ids=["duplicate", "reorder", "skew", "drop", "reorder+duplicate"],
)
def test_duplicate_reordered_skewed_and_dropped_reports_count_once(
    tmp_path: Path, stream: list[Fault]
) -> None:
    desk = Desk(tmp_path, stream)
    for k in range(3):
        desk.submit(buy(f"A-{k}", "10"))
    desk.clock.set_time(NS_DAY)
    desk.paper.on_bar(bar(1, 101.0))
    seen = desk.pump_faulty()
    assert seen  # the stream delivered something; the rest came from the gap-fill
    for k in range(3):
        record = desk.journal.order(f"A-{k}")
        assert record is not None
        assert record.status is OrderStatus.FILLED  # a late ACCEPTED never reverts it
        assert record.filled_quantity == 10
    assert len(desk.journal.fills()) == 3
    assert desk.journal.position("AAA").quantity == 30
    assert desk.oms.positions["AAA"] == 30.0
    desk.journal.close()


def test_the_kill_switch_cancels_refuses_and_outlives_the_order_manager(desk: Desk) -> None:
    limit = OrderRequest(
        client_order_id="L-1", symbol="AAA", side=OrderSide.BUY, order_type=OrderType.LIMIT,
        quantity=Decimal(5), limit_price=Decimal("95"),
    )  # fmt: skip
    assert desk.submit(limit).status is OrderStatus.ACCEPTED
    asyncio.run(desk.oms.trip_kill_switch("test", by="cli", flatten=False))
    desk.pump()
    assert desk.journal.order("L-1").status is OrderStatus.CANCELED  # type: ignore[union-attr]
    assert desk.submit(buy("A-1")).status is OrderStatus.DENIED
    # a new order manager on the same journal (a restart, another process) is halted too
    other = desk.manager(desk.broker)
    assert other.kill_switch.state is TradingState.HALTED
    assert asyncio.run(other.submit(buy("A-2"))).status is OrderStatus.DENIED
    assert desk.submits_at_broker() == ["L-1"]


def test_the_kill_switch_can_flatten_once(desk: Desk) -> None:
    desk.submit(buy("A-1", "10"))
    desk.next_bar(1, 101.0)
    assert desk.journal.position("AAA").quantity == 10
    asyncio.run(desk.oms.trip_kill_switch("test", by="cli", flatten=True))
    # a halted runner enforces the switch on every bar: that must neither cancel the closing
    # order before it fills nor send another
    asyncio.run(desk.oms.enforce_kill_switch())
    desk.next_bar(2, 102.0)
    assert desk.journal.position("AAA").quantity == 0
    closing = [r for r in desk.journal.orders() if r.client_order_id.startswith("KILL-")]
    assert len(closing) == 1
    assert closing[0].side is OrderSide.SELL
