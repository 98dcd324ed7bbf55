from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from neural_trader.core.clock import Clock, LiveClock, TestClock, TimeEvent
from neural_trader.core.datetime import (
    NANOS_PER_DAY,
    NANOS_PER_SECOND,
    date_to_ns,
    dt_to_ns,
    iso_to_ns,
    millis_to_ns,
    ns_to_date,
    ns_to_dt,
    ns_to_iso,
    secs_to_ns,
)
from neural_trader.core.errors import InvalidArgumentError, NotFoundError, NotSupportedError

# -- clocks -----------------------------------------------------------------------------------


def test_both_clocks_satisfy_clock_protocol() -> None:
    assert isinstance(LiveClock(), Clock)
    assert isinstance(TestClock(), Clock)


def test_live_clock_reads_wall_time_and_never_goes_back() -> None:
    clock = LiveClock()
    first = clock.timestamp_ns()
    second = clock.timestamp_ns()
    assert second >= first > 1_600_000_000 * NANOS_PER_SECOND


def test_live_clock_set_timer_raises_not_supported() -> None:
    with pytest.raises(NotSupportedError, match="event loop"):
        LiveClock().set_timer("t", 1, lambda e: None)


def test_test_clock_advances_and_refuses_to_go_back() -> None:
    clock = TestClock(100)
    clock.advance(50)
    assert clock.timestamp_ns() == 150
    clock.set_time(150)
    with pytest.raises(InvalidArgumentError, match="monotonic"):
        clock.set_time(149)
    with pytest.raises(InvalidArgumentError, match="forward"):
        clock.advance(-1)


def test_timers_fire_in_time_order_with_clock_at_due_time() -> None:
    clock = TestClock(0)
    seen: list[tuple[str, int, int]] = []

    def record(event: TimeEvent) -> None:
        seen.append((event.name, event.ts_event, clock.timestamp_ns()))

    clock.set_timer("fast", 10, record)
    clock.set_timer("slow", 25, record)
    fired = clock.advance_to(50)
    assert [(e.name, e.ts_event) for e in fired] == [
        ("fast", 10),
        ("fast", 20),
        ("slow", 25),
        ("fast", 30),
        ("fast", 40),
        ("fast", 50),
        ("slow", 50),
    ]
    assert all(due == now for _, due, now in seen)
    assert clock.timestamp_ns() == 50
    assert clock.next_time_ns("slow") == 75


def test_timers_due_at_same_time_fire_in_order_set() -> None:
    clock = TestClock(0)
    clock.set_timer("b", 5, lambda e: None)
    clock.set_timer("a", 5, lambda e: None)
    assert [e.name for e in clock.advance_to(5)] == ["b", "a"]


def test_timer_stops_after_stop_time() -> None:
    clock = TestClock(0)
    clock.set_timer("t", 10, lambda e: None, stop_ns=30)
    assert [e.ts_event for e in clock.advance_to(100)] == [10, 20, 30]
    assert clock.timer_names == ()


def test_time_alert_fires_once() -> None:
    clock = TestClock(0)
    clock.set_time_alert("close", 42, lambda e: None)
    assert [e.ts_event for e in clock.advance_to(1000)] == [42]


def test_cancelled_timer_does_not_fire() -> None:
    clock = TestClock(0)
    clock.set_timer("t", 10, lambda e: None)
    clock.advance_to(10)
    clock.cancel_timer("t")
    assert clock.advance_to(100) == []
    with pytest.raises(NotFoundError, match="no timer named"):
        clock.cancel_timer("t")


def test_callback_may_cancel_its_own_timer() -> None:
    clock = TestClock(0)
    clock.set_timer("t", 10, lambda e: clock.cancel_timer("t"))
    assert len(clock.advance_to(100)) == 1


def test_duplicate_timer_name_and_bad_interval_raise() -> None:
    clock = TestClock(0)
    clock.set_timer("t", 10, lambda e: None)
    with pytest.raises(InvalidArgumentError, match="already exists"):
        clock.set_timer("t", 10, lambda e: None)
    with pytest.raises(InvalidArgumentError, match="positive"):
        clock.set_timer("u", 0, lambda e: None)


# -- datetime helpers ---------------------------------------------------------------------------


def test_iso_to_ns_keeps_nanoseconds_and_offsets() -> None:
    assert iso_to_ns("1970-01-01T00:00:01.000000001Z") == NANOS_PER_SECOND + 1
    assert iso_to_ns("1970-01-01T01:00:00+01:00") == 0
    assert iso_to_ns("1970-01-02") == NANOS_PER_DAY
    assert iso_to_ns("2024-03-01 14:30:00") == iso_to_ns("2024-03-01T14:30:00Z")


@pytest.mark.parametrize("bad", ["yesterday", "2024-13-01", "2024-02-30T00:00:00Z", ""])
def test_iso_to_ns_rejects_non_iso_text(bad: str) -> None:
    with pytest.raises(InvalidArgumentError):
        iso_to_ns(bad)


def test_ns_to_iso_writes_nine_digits() -> None:
    assert ns_to_iso(1_709_303_400_123_456_789) == "2024-03-01T14:30:00.123456789Z"
    assert ns_to_iso(-1) == "1969-12-31T23:59:59.999999999Z"


def test_dt_to_ns_refuses_naive_datetime() -> None:
    with pytest.raises(InvalidArgumentError, match="no time zone"):
        dt_to_ns(dt.datetime(2024, 1, 1))


def test_dt_round_trip_and_date_midnight() -> None:
    moment = dt.datetime(2024, 3, 1, 14, 30, 0, 123456, tzinfo=dt.UTC)
    assert ns_to_dt(dt_to_ns(moment)) == moment
    assert date_to_ns(dt.date(2024, 3, 1)) == iso_to_ns("2024-03-01T00:00:00Z")
    assert ns_to_date(iso_to_ns("2024-03-01T23:59:59Z")) == dt.date(2024, 3, 1)
    assert millis_to_ns(1_500) == 1_500_000_000
    assert secs_to_ns(1.5) == 1_500_000_000


def test_date_to_ns_refuses_datetime() -> None:
    with pytest.raises(InvalidArgumentError, match="dt_to_ns"):
        date_to_ns(dt.datetime(2024, 1, 1, tzinfo=dt.UTC))


@given(st.integers(min_value=-(2**62), max_value=2**62))
def test_ns_iso_round_trip_is_exact(ns: int) -> None:
    assert iso_to_ns(ns_to_iso(ns)) == ns
