"""The order journal on both backends: intents, status ordering, fills, positions, state."""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neural_trader.core.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from neural_trader.core.errors import InvalidArgumentError, NotFoundError
from neural_trader.execution.journal import (
    TERMINAL_STATUSES,
    Journal,
    OrderRecord,
    judge_status,
    status_rank,
)
from neural_trader.execution.reports import (
    AccountReport,
    FillReport,
    OrderRequest,
    OrderStatusReport,
)

D = Decimal
BUY, SELL = OrderSide.BUY, OrderSide.SELL
S = OrderStatus


def intent(
    cid: str = "c1",
    *,
    symbol: str = "AAPL",
    side: OrderSide = BUY,
    quantity: str = "3",
    limit: str | None = "10.5",
    strategy: str = "sma",
) -> OrderRequest:
    return OrderRequest(
        client_order_id=cid,
        symbol=symbol,
        side=side,
        order_type=OrderType.LIMIT if limit is not None else OrderType.MARKET,
        quantity=D(quantity),
        limit_price=None if limit is None else D(limit),
        time_in_force=TimeInForce.DAY,
        strategy=strategy,
    )


def status(
    status: OrderStatus,
    ts_event: int,
    cid: str = "c1",
    *,
    quantity: str = "3",
    filled: str = "0",
    reason: str | None = None,
    venue: str = "v1",
    symbol: str = "AAPL",
    side: OrderSide = BUY,
) -> OrderStatusReport:
    return OrderStatusReport(
        client_order_id=cid,
        venue_order_id=venue,
        symbol=symbol,
        side=side,
        order_type=OrderType.LIMIT,
        quantity=D(quantity),
        filled_quantity=D(filled),
        status=status,
        ts_event=ts_event,
        ts_init=ts_event + 1,
        limit_price=D("10.5"),
        reason=reason,
    )


def fill(
    trade_id: str,
    quantity: str,
    price: str,
    cid: str = "c1",
    *,
    side: OrderSide = BUY,
    symbol: str = "AAPL",
    ts_event: int = 1_000,
    commission: str = "0",
) -> FillReport:
    return FillReport(
        trade_id=trade_id,
        client_order_id=cid,
        venue_order_id="v1",
        symbol=symbol,
        side=side,
        quantity=D(quantity),
        price=D(price),
        ts_event=ts_event,
        ts_init=ts_event + 1,
        commission=D(commission),
    )


def get(journal: Journal, cid: str = "c1") -> OrderRecord:
    record = journal.order(cid)
    assert record is not None
    return record


# -- intents ---------------------------------------------------------------------------------


def test_record_intent_returns_and_stores_the_pending_order(journal: Journal) -> None:
    record = journal.record_intent(intent(), ts_init=111)
    assert record.status is S.INITIALIZED
    assert record.submission == "pending"
    assert record.filled_quantity == 0
    assert record.avg_fill_price is None
    assert record.ts_created == record.ts_updated == 111
    assert record.ts_broker == 0
    assert get(journal) == record
    assert journal.events(kind="intent")[0].payload["quantity"] == "3"


def test_intent_is_durable_before_record_intent_returns(store_url: str) -> None:
    """A second journal on the same store (a second process, in effect) sees the order."""
    with Journal.open(store_url, broker="paper") as writer:
        writer.record_intent(intent("c42"), ts_init=5)
        with Journal.open(store_url, broker="paper") as reader:
            seen = reader.order("c42")
    assert seen is not None
    assert seen.status is S.INITIALIZED
    assert seen.limit_price == D("10.5")


def test_a_client_order_id_names_one_order_only(journal: Journal) -> None:
    journal.record_intent(intent(quantity="3"), ts_init=1)
    with pytest.raises(InvalidArgumentError, match="already in the paper journal"):
        journal.record_intent(intent(quantity="7"), ts_init=2)
    with pytest.raises(InvalidArgumentError):
        journal.record_denied(intent(), reason="x", ts_init=3)
    assert get(journal).quantity == 3
    assert len(journal.orders()) == 1
    assert len(journal.events(kind="intent")) == 1  # the refused insert left no trace


def test_journals_of_different_brokers_share_a_store_without_seeing_each_other(
    journal: Journal,
) -> None:
    other = Journal(journal.engine, broker="alpaca")
    journal.record_intent(intent("same-id"), ts_init=1)
    other.record_intent(intent("same-id", quantity="9"), ts_init=2)
    other.apply_fill(fill("t1", "9", "10", "same-id"), ts_init=3)
    assert get(journal, "same-id").quantity == 3
    assert get(other, "same-id").filled_quantity == 9
    assert journal.positions() == []
    assert journal.fills() == []
    assert [e.kind for e in journal.events()] == ["intent"]


def test_record_denied_is_closed_and_never_sent(journal: Journal) -> None:
    record = journal.record_denied(intent(), reason="max_position exceeded", ts_init=9)
    assert record.status is S.DENIED
    assert record.submission == "none"
    assert get(journal).reason == "max_position exceeded"
    assert journal.open_orders() == []
    assert journal.unresolved() == []


def test_mark_unknown_keeps_the_reason_and_the_status(journal: Journal) -> None:
    journal.record_intent(intent(), ts_init=1)
    record = journal.mark_unknown("c1", reason="timeout after 10s", ts_init=2)
    assert record.submission == "unknown"
    assert record.status is S.INITIALIZED
    assert get(journal) == record
    assert get(journal).reason == "timeout after 10s"
    assert [o.client_order_id for o in journal.unresolved()] == ["c1"]
    assert [o.client_order_id for o in journal.open_orders()] == ["c1"]


def test_mark_unknown_after_the_ack_does_not_undo_the_ack(journal: Journal) -> None:
    journal.record_intent(intent(), ts_init=1)
    journal.apply_status(status(S.ACCEPTED, 100), ts_init=2)
    assert journal.mark_unknown("c1", reason="late timeout", ts_init=3).submission == "acked"
    assert journal.unresolved() == []
    with pytest.raises(NotFoundError):
        journal.mark_unknown("nope", reason="x", ts_init=4)


# -- status ordering -------------------------------------------------------------------------


def test_an_ack_sets_venue_id_and_submission_and_is_idempotent(journal: Journal) -> None:
    journal.record_intent(intent(), ts_init=1)
    assert journal.apply_status(status(S.ACCEPTED, 100), ts_init=2) is True
    assert journal.apply_status(status(S.ACCEPTED, 100), ts_init=3) is False
    record = get(journal)
    assert (record.status, record.submission, record.venue_order_id) == (
        S.ACCEPTED,
        "acked",
        "v1",
    )
    assert record.ts_broker == 100
    assert record.ts_updated == 2  # the repeat changed nothing
    assert [e.kind for e in journal.events(kind="status")] == ["status"]
    assert journal.events(kind="status_ignored")[0].payload["why"].startswith("a repeat")


def test_a_stale_accepted_after_filled_is_ignored(journal: Journal) -> None:
    journal.record_intent(intent(), ts_init=1)
    assert journal.apply_status(status(S.FILLED, 300, filled="3"), ts_init=2)
    # The ACCEPTED arrives late, even with a newer broker timestamp: it is still stale.
    assert journal.apply_status(status(S.ACCEPTED, 400), ts_init=3) is False
    assert get(journal).status is S.FILLED
    ignored = journal.events(kind="status_ignored")[0]
    assert ignored.payload["status"] == "ACCEPTED"
    assert "terminal" in ignored.payload["why"]


def test_a_rejected_cancel_returns_pending_cancel_to_accepted(journal: Journal) -> None:
    journal.record_intent(intent(), ts_init=1)
    journal.apply_status(status(S.ACCEPTED, 100), ts_init=2)
    assert journal.apply_status(status(S.PENDING_CANCEL, 200), ts_init=3)
    # An ACCEPTED older than the PENDING_CANCEL is the stream replaying itself: ignored.
    assert journal.apply_status(status(S.ACCEPTED, 150), ts_init=4) is False
    assert get(journal).status is S.PENDING_CANCEL
    # A newer one is the broker rejecting the cancel.
    assert journal.apply_status(status(S.ACCEPTED, 250, reason="too late to cancel"), ts_init=5)
    record = get(journal)
    assert (record.status, record.reason, record.ts_broker) == (
        S.ACCEPTED,
        "too late to cancel",
        250,
    )


def test_a_late_filled_replaces_canceled_but_not_the_reverse(journal: Journal) -> None:
    journal.record_intent(intent("a"), ts_init=1)
    journal.apply_status(status(S.CANCELED, 300, "a"), ts_init=2)
    assert journal.apply_status(status(S.FILLED, 250, "a", filled="3"), ts_init=3)
    assert get(journal, "a").status is S.FILLED
    assert journal.apply_status(status(S.CANCELED, 400, "a"), ts_init=4) is False
    assert get(journal, "a").status is S.FILLED

    journal.record_intent(intent("b"), ts_init=5)
    journal.apply_status(status(S.CANCELED, 300, "b"), ts_init=6)
    assert journal.apply_status(status(S.REJECTED, 400, "b"), ts_init=7) is False
    assert journal.apply_status(status(S.EXPIRED, 500, "b"), ts_init=8) is False
    assert get(journal, "b").status is S.CANCELED


def test_a_same_rank_report_older_than_the_last_one_is_ignored(journal: Journal) -> None:
    journal.record_intent(intent(), ts_init=1)
    journal.apply_status(status(S.PARTIALLY_FILLED, 200, filled="1"), ts_init=2)
    assert (
        journal.apply_status(status(S.PARTIALLY_FILLED, 150, filled="0", reason="old"), ts_init=3)
        is False
    )
    record = get(journal)
    assert (record.ts_broker, record.reason) == (200, None)
    assert journal.apply_status(status(S.PARTIALLY_FILLED, 260, reason="newer"), ts_init=4)
    assert get(journal).ts_broker == 260
    assert get(journal).reason == "newer"


def test_an_ack_delayed_behind_its_fill_report_still_cannot_regress_it(journal: Journal) -> None:
    journal.record_intent(intent(), ts_init=1)
    journal.apply_status(status(S.PARTIALLY_FILLED, 500), ts_init=2)
    for old in (S.SUBMITTED, S.ACCEPTED, S.INITIALIZED):
        assert journal.apply_status(status(old, 600), ts_init=3) is False
    assert get(journal).status is S.PARTIALLY_FILLED
    # A higher rank applies even when its broker timestamp is older.
    assert journal.apply_status(status(S.FILLED, 400), ts_init=4)
    assert get(journal).status is S.FILLED
    assert get(journal).ts_broker == 500


def test_status_reports_never_move_filled_quantity(journal: Journal) -> None:
    journal.record_intent(intent(), ts_init=1)
    journal.apply_status(status(S.FILLED, 100, filled="3"), ts_init=2)
    record = get(journal)
    assert record.status is S.FILLED
    assert record.filled_quantity == 0
    assert record.avg_fill_price is None
    assert journal.position("AAPL").quantity == 0


def test_a_stale_report_still_proves_the_broker_has_the_order(journal: Journal) -> None:
    journal.record_intent(intent(), ts_init=1)
    journal.mark_unknown("c1", reason="timeout", ts_init=2)
    journal.resolve("c1", S.CANCELED, reason="operator", ts_init=3)
    assert journal.apply_status(status(S.ACCEPTED, 100, venue="V-9"), ts_init=4) is True
    record = get(journal)
    assert (record.status, record.submission, record.venue_order_id) == (
        S.CANCELED,
        "acked",
        "V-9",
    )


def test_a_report_for_an_unknown_order_changes_nothing(journal: Journal) -> None:
    assert journal.apply_status(status(S.ACCEPTED, 100, "ghost"), ts_init=1) is False
    assert journal.order("ghost") is None
    assert journal.orders() == []
    assert journal.events(kind="status_ignored")[0].client_order_id == "ghost"


STATUSES = [s for s in OrderStatus]


@given(
    current=st.sampled_from(STATUSES),
    reported=st.sampled_from(STATUSES),
    ts_event=st.integers(0, 10),
    ts_broker=st.integers(0, 10),
)
def test_judge_status_never_reopens_a_terminal_order_or_goes_back(
    current: OrderStatus, reported: OrderStatus, ts_event: int, ts_broker: int
) -> None:
    applies = judge_status(current, reported, ts_event, ts_broker) is None
    if current in TERMINAL_STATUSES and reported not in TERMINAL_STATUSES:
        assert not applies
    if current in TERMINAL_STATUSES and reported in TERMINAL_STATUSES and reported != current:
        assert applies == (reported is S.FILLED and current in {S.CANCELED, S.EXPIRED})
    if status_rank(reported) < status_rank(current) and applies:
        assert current is S.PENDING_CANCEL
        assert reported in {S.ACCEPTED, S.PARTIALLY_FILLED}
        assert ts_event > ts_broker
    if status_rank(reported) > status_rank(current):
        assert applies
    if reported == current:
        assert applies == (ts_event >= ts_broker)


# -- fills -----------------------------------------------------------------------------------


def test_a_fill_is_counted_once(journal: Journal) -> None:
    journal.record_intent(intent(), ts_init=1)
    assert journal.apply_fill(fill("t1", "1", "10"), ts_init=2) is True
    assert journal.apply_fill(fill("t1", "1", "10"), ts_init=3) is False
    # Same trade id, different numbers (a corrupted resend): still the same execution.
    assert journal.apply_fill(fill("t1", "2", "11"), ts_init=4) is False
    record = get(journal)
    assert (record.filled_quantity, record.avg_fill_price) == (1, 10)
    assert journal.position("AAPL").quantity == 1
    assert len(journal.fills()) == 1
    assert len(journal.events(kind="fill")) == 1


def test_one_trade_id_applied_by_two_threads_at_once_counts_once(journal: Journal) -> None:
    journal.record_intent(intent(quantity="10"), ts_init=1)

    def race(report: FillReport) -> list[bool | BaseException]:
        barrier = threading.Barrier(2)
        outcomes: list[bool | BaseException] = []

        def apply() -> None:
            try:
                barrier.wait()
                outcomes.append(journal.apply_fill(report, ts_init=2))
            except BaseException as exc:
                outcomes.append(exc)

        threads = [threading.Thread(target=apply) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return outcomes

    for round_ in range(5):
        assert sorted(race(fill(f"race-{round_}", "1", "10")), key=repr) == [False, True]
    assert get(journal).filled_quantity == 5
    assert journal.position("AAPL").quantity == 5


def test_fills_of_one_order_from_many_threads_all_count(journal: Journal) -> None:
    journal.record_intent(intent(quantity="40", limit=None), ts_init=1)
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker(w: int) -> None:
        try:
            barrier.wait()
            for i in range(5):
                journal.apply_fill(fill(f"t{w}-{i}", "2", str(10 + w)), ts_init=2)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    record = get(journal)
    assert record.filled_quantity == 40
    assert record.status is S.FILLED
    assert record.avg_fill_price == D("11.5")  # 10 of each price 10, 11, 12, 13
    # The position's running average depends on the (random) order the fills landed in: it
    # is exact only up to the 12-place rounding of the non-terminating intermediate averages.
    position = journal.position("AAPL")
    assert position.quantity == 40
    assert abs(position.avg_price - D("11.5")) < D("1e-9")


def test_fills_arriving_before_the_ack(journal: Journal) -> None:
    journal.record_intent(intent(), ts_init=1)
    assert journal.apply_fill(fill("t1", "1", "10", ts_event=200), ts_init=2)
    record = get(journal)
    assert (record.status, record.submission, record.venue_order_id) == (
        S.PARTIALLY_FILLED,
        "acked",
        "v1",
    )
    assert journal.apply_status(status(S.SUBMITTED, 100), ts_init=3) is False
    assert journal.apply_status(status(S.ACCEPTED, 150), ts_init=4) is False
    assert journal.apply_fill(fill("t2", "2", "10", ts_event=210), ts_init=5)
    assert get(journal).status is S.FILLED
    assert journal.apply_status(status(S.PARTIALLY_FILLED, 205, filled="1"), ts_init=6) is False
    assert get(journal).status is S.FILLED


def test_partial_fills_then_cancel_keep_the_fills_and_an_exact_average(journal: Journal) -> None:
    journal.record_intent(intent(quantity="5"), ts_init=1)
    journal.apply_status(status(S.ACCEPTED, 100, quantity="5"), ts_init=2)
    journal.apply_fill(fill("t1", "1", "10.1", ts_event=110), ts_init=3)
    journal.apply_fill(fill("t2", "2", "10.2", ts_event=120), ts_init=4)
    journal.apply_status(status(S.CANCELED, 130, quantity="5", filled="3"), ts_init=5)
    record = get(journal)
    assert record.status is S.CANCELED
    assert record.filled_quantity == D(3)
    # 30.5 / 3 does not terminate: rounded half-even to 12 places, and only then.
    assert record.avg_fill_price == D("10.166666666667")
    assert record.avg_fill_price.as_tuple().exponent == -12
    assert [f.trade_id for f in journal.fills(client_order_id="c1")] == ["t1", "t2"]
    assert journal.position("AAPL").quantity == 3
    # A late partial fill of the canceled order is counted but leaves it canceled...
    journal.apply_fill(fill("t3", "1", "10.3", ts_event=125), ts_init=6)
    assert get(journal).status is S.CANCELED
    # ...and the one that completes it makes it FILLED.
    journal.apply_fill(fill("t4", "1", "10.4", ts_event=126), ts_init=7)
    record = get(journal)
    assert (record.status, record.filled_quantity) == (S.FILLED, 5)
    assert record.avg_fill_price == D("10.24")  # (10.1 + 20.4 + 10.3 + 10.4) / 5, exact


def test_a_terminating_average_is_exact_and_unrounded(journal: Journal) -> None:
    journal.record_intent(intent(quantity="4"), ts_init=1)
    journal.apply_fill(fill("t1", "1", "10"), ts_init=2)
    journal.apply_fill(fill("t2", "3", "10.01"), ts_init=3)
    assert get(journal).avg_fill_price == D("10.0075")
    assert str(get(journal).avg_fill_price) == "10.0075"


def test_an_overfill_is_recorded_and_flagged(journal: Journal) -> None:
    journal.record_intent(intent(quantity="2"), ts_init=1)
    journal.apply_fill(fill("t1", "2", "10"), ts_init=2)
    assert journal.apply_fill(fill("t2", "1", "10"), ts_init=3)
    record = get(journal)
    assert (record.status, record.filled_quantity, record.quantity) == (S.FILLED, 3, 2)
    assert record.leaves_quantity == 0
    overfill = journal.events(kind="overfill")
    assert len(overfill) == 1
    assert overfill[0].payload == {"filled": "3", "quantity": "2", "trade_id": "t2"}
    assert journal.position("AAPL").quantity == 3


def test_a_fill_for_an_unknown_order_creates_an_external_order(journal: Journal) -> None:
    assert journal.apply_fill(fill("t1", "4", "20", "by-hand", side=SELL), ts_init=5)
    record = get(journal, "by-hand")
    assert record.external is True
    assert record.strategy == "EXTERNAL"
    assert (record.order_type, record.side, record.quantity) == (OrderType.MARKET, SELL, 4)
    assert (record.status, record.filled_quantity) == (S.FILLED, 4)
    # Its size was only a lower bound: a second fill grows it instead of overfilling it.
    journal.apply_fill(fill("t2", "1", "21", "by-hand", side=SELL), ts_init=6)
    assert get(journal, "by-hand").quantity == 5
    assert journal.events(kind="overfill") == []
    assert journal.position("AAPL").quantity == -5
    assert len(journal.events(kind="external_order")) == 1


def test_fills_listing_and_last_fill_ts(journal: Journal) -> None:
    assert journal.last_fill_ts() == 0
    journal.record_intent(intent(quantity="10"), ts_init=1)
    journal.apply_fill(fill("b", "1", "10", ts_event=300, commission="0.35"), ts_init=2)
    journal.apply_fill(fill("a", "1", "10", ts_event=300), ts_init=3)
    journal.apply_fill(fill("c", "1", "10", ts_event=100), ts_init=4)
    assert [f.trade_id for f in journal.fills()] == ["c", "a", "b"]
    assert [f.trade_id for f in journal.fills(since_ns=300)] == ["a", "b"]
    assert journal.fills(client_order_id="other") == []
    assert journal.last_fill_ts() == 300
    recorded = journal.fills(since_ns=300)[1]
    assert recorded.commission == D("0.35")
    # ts_init is when the journal applied it (the report's own ts_init is when it arrived).
    expected = replace(fill("b", "1", "10", ts_event=300, commission="0.35"), ts_init=2)
    assert recorded.to_report() == expected


# -- positions -------------------------------------------------------------------------------


def test_average_cost_position_through_a_flip(journal: Journal) -> None:
    steps: list[tuple[OrderSide, str, str, str, str, str]] = [
        # side, qty, price -> quantity, avg, realized
        (BUY, "10", "100", "10", "100", "0"),
        (BUY, "10", "110", "20", "105", "0"),
        (SELL, "5", "120", "15", "105", "75"),
        (SELL, "20", "90", "-5", "90", "-150"),  # closes 15 at -15 each, opens 5 short at 90
        (SELL, "5", "80", "-10", "85", "-150"),
        (BUY, "10", "70", "0", "0", "0"),  # covers 10 short at +15 each: -150 + 150
    ]
    for i, (side, qty, price, q, avg, realized) in enumerate(steps):
        journal.apply_fill(fill(f"t{i}", qty, price, f"o{i}", side=side), ts_init=i)
        position = journal.position("AAPL")
        assert (position.quantity, position.avg_price, position.realized_pnl) == (
            D(q),
            D(avg),
            D(realized),
        ), f"after step {i}"
    assert journal.positions() == []  # flat positions are not listed
    assert journal.position("AAPL").to_dict() == {
        "symbol": "AAPL",
        "quantity": 0.0,
        "avg_price": 0.0,
        "realized_pnl": 0.0,
    }


def test_commission_does_not_enter_avg_or_realized(journal: Journal) -> None:
    journal.apply_fill(fill("t1", "2", "50", "o1", commission="1.5"), ts_init=1)
    journal.apply_fill(fill("t2", "2", "55", "o2", side=SELL, commission="1.5"), ts_init=2)
    position = journal.position("AAPL")
    assert position.realized_pnl == 10
    assert journal.fills()[0].commission == D("1.5")


_FILL_STEPS = st.lists(
    st.tuples(
        st.sampled_from([BUY, SELL]),
        st.integers(1, 50),
        st.integers(100, 20_000),  # cents
    ),
    min_size=1,
    max_size=10,
)
_examples = itertools.count()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=_FILL_STEPS)
def test_position_quantity_is_the_signed_sum_of_fills(
    journal: Journal, steps: list[tuple[OrderSide, int, int]]
) -> None:
    """Each example runs in its own broker scope of the one store the fixture opened."""
    scoped = Journal(journal.engine, broker=f"prop-{next(_examples)}")
    signed_sum, cash = D(0), D(0)
    for i, (side, qty, cents) in enumerate(steps):
        price = D(cents) / 100
        scoped.apply_fill(fill(f"t{i}", str(qty), str(price), f"o{i}", side=side), ts_init=i)
        signed = qty if side is BUY else -qty
        signed_sum += signed
        cash -= signed * price
    position = scoped.position("AAPL")
    assert position.quantity == signed_sum
    # Average cost accounting: realized + (mark - avg) * q == cash + mark * q for any mark,
    # i.e. realized - avg * q == cash (up to the 12-place rounding of non-terminating averages).
    assert abs(position.realized_pnl - position.avg_price * position.quantity - cash) < D("1e-6")
    if position.quantity == 0:
        assert position.avg_price == 0
    assert sum(f.quantity for f in scoped.fills()) == sum(q for _, q, _ in steps)


def test_set_position_repairs_and_logs_before_and_after(journal: Journal) -> None:
    journal.apply_fill(fill("t1", "3", "10", "o1"), ts_init=1)
    journal.apply_fill(fill("t2", "1", "12", "o2", side=SELL), ts_init=2)
    repaired = journal.set_position("AAPL", D("5"), D("11.25"), reason="broker says 5", ts_init=3)
    assert repaired == journal.position("AAPL")
    assert (repaired.quantity, repaired.avg_price, repaired.realized_pnl) == (5, D("11.25"), 2)
    event = journal.events(kind="position_repaired")[0]
    assert event.payload["before"] == {"quantity": "2", "avg_price": "10", "realized_pnl": "2"}
    assert event.payload["after"] == {"quantity": "5", "avg_price": "11.25", "realized_pnl": "2"}
    assert event.payload["reason"] == "broker says 5"
    journal.set_position("MSFT", D("-2"), D("300"), reason="adopt", ts_init=4)
    journal.set_position("AAPL", D("0"), D("11"), reason="broker flat", ts_init=5)
    assert [(p.symbol, p.quantity) for p in journal.positions()] == [("MSFT", -2)]
    assert journal.position("AAPL").avg_price == 0


# -- reconciliation helpers ------------------------------------------------------------------


def test_resolve_forces_a_terminal_status(journal: Journal) -> None:
    journal.record_intent(intent(), ts_init=1)
    journal.mark_unknown("c1", reason="timeout", ts_init=2)
    record = journal.resolve("c1", S.REJECTED, reason="never reached the broker", ts_init=3)
    assert record == get(journal)
    assert (record.status, record.reason) == (S.REJECTED, "never reached the broker")
    assert journal.unresolved() == []
    assert journal.events(kind="resolved")[0].payload == {
        "previous": "INITIALIZED",
        "reason": "never reached the broker",
        "status": "REJECTED",
    }
    with pytest.raises(InvalidArgumentError, match="terminal"):
        journal.resolve("c1", S.ACCEPTED, reason="x", ts_init=4)
    with pytest.raises(NotFoundError):
        journal.resolve("nope", S.CANCELED, reason="x", ts_init=4)


def test_adopt_external_inserts_the_brokers_order(journal: Journal) -> None:
    report = status(S.PARTIALLY_FILLED, 700, "manual-1", quantity="8", filled="2", venue="V7")
    record = journal.adopt_external(report, ts_init=9)
    assert record == get(journal, "manual-1")
    assert record.external is True
    assert record.strategy == "EXTERNAL"
    assert (record.status, record.quantity, record.filled_quantity) == (S.PARTIALLY_FILLED, 8, 0)
    assert (record.venue_order_id, record.submission, record.ts_broker) == ("V7", "acked", 700)
    assert [o.client_order_id for o in journal.open_orders()] == ["manual-1"]
    # Its fills arrive separately and count as usual.
    journal.apply_fill(fill("t1", "2", "10", "manual-1"), ts_init=10)
    assert get(journal, "manual-1").filled_quantity == 2


def test_adopting_an_order_a_fill_already_created_applies_the_report(journal: Journal) -> None:
    journal.apply_fill(fill("t1", "2", "10", "manual-2"), ts_init=1)
    assert get(journal, "manual-2").quantity == 2
    report = status(S.PARTIALLY_FILLED, 700, "manual-2", quantity="8", filled="2")
    record = journal.adopt_external(report, ts_init=2)
    # The broker's terms replace what the fill let us guess (size 2, hence FILLED).
    assert (record.quantity, record.filled_quantity) == (8, 2)
    assert (record.status, record.order_type, record.limit_price) == (
        S.PARTIALLY_FILLED,
        OrderType.LIMIT,
        D("10.5"),
    )
    assert record.ts_broker == 700
    assert len(journal.orders()) == 1
    # From here on it is an ordinary order: the fill completing it makes it FILLED.
    journal.apply_fill(fill("t2", "6", "10", "manual-2"), ts_init=3)
    assert get(journal, "manual-2").status is S.FILLED


# -- listings, state, account, events --------------------------------------------------------


def test_orders_listing_filters_and_order(journal: Journal) -> None:
    journal.record_intent(intent("a", symbol="AAPL"), ts_init=10)
    journal.record_intent(intent("b", symbol="MSFT"), ts_init=20)
    journal.record_intent(intent("c", symbol="AAPL"), ts_init=20)
    journal.record_denied(intent("d"), reason="limit", ts_init=30)
    journal.record_intent(intent("e"), ts_init=40)
    journal.apply_status(status(S.ACCEPTED, 100, "a"), ts_init=41)
    journal.apply_status(status(S.FILLED, 110, "e"), ts_init=42)
    journal.mark_unknown("c", reason="timeout", ts_init=43)
    assert [o.client_order_id for o in journal.orders()] == ["e", "d", "c", "b", "a"]
    assert [o.client_order_id for o in journal.orders(limit=2)] == ["e", "d"]
    assert [o.client_order_id for o in journal.orders(symbol="MSFT")] == ["b"]
    assert [o.client_order_id for o in journal.orders(open_only=True, symbol="AAPL")] == ["c", "a"]
    assert [o.client_order_id for o in journal.open_orders()] == ["c", "b", "a"]
    assert all(o.is_open for o in journal.open_orders())
    assert [o.client_order_id for o in journal.unresolved()] == ["b", "c"]


def test_order_to_dict_is_json_ready(journal: Journal) -> None:
    journal.record_intent(intent(), ts_init=1)
    journal.apply_fill(fill("t1", "1", "10.25"), ts_init=2)
    out = get(journal).to_dict()
    assert out == {
        "client_order_id": "c1",
        "broker": "paper",
        "strategy": "sma",
        "symbol": "AAPL",
        "side": "BUY",
        "type": "LIMIT",
        "time_in_force": "DAY",
        "quantity": 3.0,
        "filled_quantity": 1.0,
        "avg_fill_price": 10.25,
        "limit_price": 10.5,
        "stop_price": None,
        "status": "PARTIALLY_FILLED",
        "submission": "acked",
        "venue_order_id": "v1",
        "reason": None,
        "external": False,
        "ts_created": 1,
        "ts_updated": 2,
    }
    assert json.loads(json.dumps(out)) == out


@pytest.mark.parametrize(
    "value",
    [
        {"halted": True, "reason": "daily loss 2.1% > 2%", "by": ["risk", "manual"]},
        [1, 2.5, "x", None],
        "plain",
        12345678901234567,
        False,
    ],
)
def test_state_round_trips_json(journal: Journal, value: Any) -> None:
    assert journal.get_state("k") is None
    journal.set_state("k", value, ts_init=1)
    assert journal.get_state("k") == value
    journal.set_state("k", {"replaced": 1}, ts_init=2)
    assert journal.get_state("k") == {"replaced": 1}
    assert Journal(journal.engine, broker="other").get_state("k") is None


def test_decimal_state_is_stored_as_its_exact_string(journal: Journal) -> None:
    journal.set_state("cursor", {"equity": D("1000.10")}, ts_init=1)
    assert journal.get_state("cursor") == {"equity": "1000.10"}


def test_account_snapshots_keep_history_and_exact_values(journal: Journal) -> None:
    assert journal.latest_account() is None
    first = AccountReport(
        account_id="PA1",
        currency="USD",
        cash=D("1000.10"),
        equity=D("1500.55"),
        buying_power=D("3001.1"),
        ts_event=100,
    )
    second = AccountReport(
        account_id="PA1",
        currency="USD",
        cash=D("900.123456789"),
        equity=D("1600"),
        buying_power=D("3200"),
        ts_event=50,  # an older broker timestamp does not make it less recent
        extra={"multiplier": "2"},
    )
    journal.record_account(first, ts_init=1)
    journal.record_account(second, ts_init=2)
    assert journal.latest_account() == second
    assert Journal(journal.engine, broker="other").latest_account() is None


def test_events_newest_first_with_kind_filter_and_limit(journal: Journal) -> None:
    appended = journal.append_event("kill_switch", {"on": True}, ts_init=5)
    assert appended.id > 0
    journal.record_intent(intent(), ts_init=6)
    journal.append_event("note", {"n": 1}, ts_init=7, client_order_id="c1")
    journal.append_event("note", {"n": 2}, ts_init=8)
    assert [e.kind for e in journal.events()] == ["note", "note", "intent", "kill_switch"]
    assert [e.payload["n"] for e in journal.events(kind="note")] == [2, 1]
    assert len(journal.events(limit=1)) == 1
    assert journal.events(kind="kill_switch")[0] == appended
    assert journal.events(kind="note")[1].client_order_id == "c1"


def test_a_journal_needs_a_broker_name(journal: Journal) -> None:
    with pytest.raises(InvalidArgumentError):
        Journal(journal.engine, broker="")
