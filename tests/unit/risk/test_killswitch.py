"""The kill switch value and the daily loss monitor: state that must survive a restart."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.risk.killswitch import DailyLossMonitor, KillSwitch, TradingState


def ns(year: int, month: int, day: int, hour: int = 0) -> int:
    """UNIX nanoseconds of a UTC wall time: ns(2024, 3, 1, 10)."""
    return int(datetime(year, month, day, hour, tzinfo=UTC).timestamp()) * 1_000_000_000


def json_round_trip(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(data))
    return out


# --- TradingState / KillSwitch ---------------------------------------------------------------


def test_trading_state_values_are_their_names() -> None:
    assert [s.value for s in TradingState] == ["ACTIVE", "REDUCING", "HALTED"]
    assert TradingState("HALTED") is TradingState.HALTED


def test_active_switch_allows_trading_and_names_no_source() -> None:
    switch = KillSwitch.active()
    assert switch.is_active
    assert not switch.is_halted
    assert (switch.state, switch.reason, switch.since_ns, switch.flatten, switch.tripped_by) == (
        TradingState.ACTIVE,
        "",
        0,
        False,
        "",
    )


def test_trip_halts_by_default_and_records_why_when_and_who() -> None:
    switch = KillSwitch.active().trip(
        "daily loss 1,200.00 beyond 1,000.00", ts_ns=42, flatten=True, by="daily_loss_limit"
    )
    assert switch.is_halted
    assert switch.reason == "daily loss 1,200.00 beyond 1,000.00"
    assert (switch.since_ns, switch.flatten, switch.tripped_by) == (42, True, "daily_loss_limit")


def test_trip_can_reduce_instead_of_halt() -> None:
    switch = KillSwitch.active().trip(
        "wind down", ts_ns=1, flatten=False, by="user", state=TradingState.REDUCING
    )
    assert switch.state is TradingState.REDUCING
    assert not switch.is_active


@pytest.mark.parametrize(
    ("reason", "by", "state", "match"),
    [
        ("", "user", TradingState.HALTED, "needs a reason"),
        ("   ", "user", TradingState.HALTED, "needs a reason"),
        ("why", "", TradingState.HALTED, "needs a source"),
        ("why", "user", TradingState.ACTIVE, r"resume\(\) reactivates"),
    ],
)
def test_trip_refuses_an_unexplained_or_active_trip(
    reason: str, by: str, state: TradingState, match: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=match):
        KillSwitch.active().trip(reason, ts_ns=1, flatten=False, by=by, state=state)


def test_resume_reactivates_from_the_given_time() -> None:
    halted = KillSwitch.active().trip("stop", ts_ns=1, flatten=True, by="user")
    switch = halted.resume(ts_ns=99)
    assert switch.is_active
    assert (switch.since_ns, switch.reason, switch.flatten, switch.tripped_by) == (
        99,
        "resumed",
        False,
        "",
    )


def test_kill_switch_is_immutable() -> None:
    switch = KillSwitch.active()
    with pytest.raises(dataclasses.FrozenInstanceError):
        switch.state = TradingState.HALTED  # type: ignore[misc]


@pytest.mark.parametrize(
    "switch",
    [
        KillSwitch.active(since_ns=5),
        KillSwitch.active().trip(
            "manual stop", ts_ns=1_700_000_000_000_000_000, flatten=True, by="user"
        ),
        KillSwitch.active().trip(
            "wind down", ts_ns=3, flatten=False, by="user", state=TradingState.REDUCING
        ),
    ],
)
def test_kill_switch_survives_a_json_round_trip(switch: KillSwitch) -> None:
    data = json_round_trip(switch.to_dict())
    assert data["state"] == switch.state.value
    assert KillSwitch.from_dict(data) == switch


@pytest.mark.parametrize(
    "row",
    [
        {"state": "PAUSED", "reason": "", "since_ns": 0},
        {"reason": "", "since_ns": 0},
        {"state": "HALTED", "reason": "x", "since_ns": "0", "tripped_by": "user"},
        {"state": "HALTED", "reason": "x", "since_ns": 0, "tripped_by": ""},
        {"state": "HALTED", "reason": "x", "since_ns": 0, "flatten": "yes", "tripped_by": "u"},
    ],
)
def test_a_corrupt_persisted_switch_fails_loudly(row: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentError, match="persisted kill switch") as info:
        KillSwitch.from_dict(row)
    assert info.value.hint is not None
    assert "resume" in info.value.hint


# --- DailyLossMonitor -------------------------------------------------------------------------


def test_daily_loss_allows_the_limit_and_reports_the_excess_past_it() -> None:
    monitor = DailyLossMonitor(1_000.0)
    assert monitor.observe(100_000.0, ns(2024, 3, 1, 14)) is None
    assert monitor.start_equity == 100_000.0
    assert monitor.observe(101_000.0, ns(2024, 3, 1, 15)) is None
    assert monitor.loss == -1_000.0
    assert monitor.observe(99_000.0, ns(2024, 3, 1, 16)) is None  # exactly the limit
    assert monitor.observe(98_750.0, ns(2024, 3, 1, 17)) == 250.0
    assert monitor.loss == 1_250.0
    assert monitor.observe(98_750.0, ns(2024, 3, 1, 18)) == 250.0  # still breached


def test_a_new_utc_day_starts_from_its_first_equity() -> None:
    monitor = DailyLossMonitor(1_000.0)
    assert monitor.observe(100_000.0, ns(2024, 3, 1, 0)) is None
    last_ns_of_day = ns(2024, 3, 2) - 1
    assert monitor.observe(98_500.0, last_ns_of_day) == 500.0
    assert monitor.day == date(2024, 3, 1)
    # Midnight UTC: 98,500 becomes the new reference, so the same equity is no loss.
    assert monitor.observe(98_500.0, ns(2024, 3, 2)) is None
    assert monitor.day == date(2024, 3, 2)
    assert monitor.start_equity == 98_500.0
    assert monitor.observe(97_499.0, ns(2024, 3, 2, 9)) == 1.0


def test_an_observation_from_an_earlier_day_does_not_move_the_day_back() -> None:
    monitor = DailyLossMonitor(1_000.0)
    monitor.observe(100_000.0, ns(2024, 3, 2, 1))
    assert monitor.observe(98_000.0, ns(2024, 3, 1, 23)) == 1_000.0
    assert (monitor.day, monitor.start_equity) == (date(2024, 3, 2), 100_000.0)


def test_daily_loss_state_survives_a_restart() -> None:
    before = DailyLossMonitor(1_000.0)
    before.observe(100_000.0, ns(2024, 3, 1, 14))
    before.observe(99_500.0, ns(2024, 3, 1, 15))
    saved = json_round_trip(before.to_dict())
    assert saved == {
        "limit": 1_000.0,
        "day": "2024-03-01",
        "start_equity": 100_000.0,
        "last_equity": 99_500.0,
    }

    after = DailyLossMonitor.from_dict(saved, limit=1_000.0)
    assert (after.day, after.start_equity, after.loss) == (date(2024, 3, 1), 100_000.0, 500.0)
    # Without the restored start a fresh monitor would take 98,999 as the day's start.
    assert after.observe(98_999.0, ns(2024, 3, 1, 16)) == 1.0
    assert DailyLossMonitor(1_000.0).observe(98_999.0, ns(2024, 3, 1, 16)) is None


def test_a_restart_applies_the_limit_configured_now() -> None:
    before = DailyLossMonitor(1_000.0)
    before.observe(100_000.0, ns(2024, 3, 1, 14))
    after = DailyLossMonitor.from_dict(before.to_dict(), limit=400.0)
    assert after.limit == 400.0
    assert after.observe(99_500.0, ns(2024, 3, 1, 15)) == 100.0
    assert DailyLossMonitor.from_dict(before.to_dict(), limit=None).observe(0.0, 1) is None


def test_a_restart_without_a_limit_keeps_the_saved_one() -> None:
    before = DailyLossMonitor(1_000.0)
    before.observe(100_000.0, ns(2024, 3, 1, 14))
    kept = DailyLossMonitor.from_dict(json_round_trip(before.to_dict()))
    assert kept.limit == 1_000.0
    assert kept.observe(98_900.0, ns(2024, 3, 1, 15)) == 100.0
    assert DailyLossMonitor.from_dict(DailyLossMonitor(None).to_dict()).limit is None


def test_a_restart_on_a_later_day_starts_that_day_afresh() -> None:
    before = DailyLossMonitor(1_000.0)
    before.observe(100_000.0, ns(2024, 3, 1, 14))
    after = DailyLossMonitor.from_dict(before.to_dict(), limit=1_000.0)
    assert after.observe(90_000.0, ns(2024, 3, 4, 14)) is None
    assert after.start_equity == 90_000.0


def test_an_empty_saved_state_restores_a_fresh_monitor() -> None:
    fresh = DailyLossMonitor(1_000.0)
    assert fresh.to_dict() == {
        "limit": 1_000.0,
        "day": None,
        "start_equity": None,
        "last_equity": None,
    }
    restored = DailyLossMonitor.from_dict(fresh.to_dict(), limit=1_000.0)
    assert (restored.day, restored.start_equity, restored.loss) == (None, None, 0.0)


def test_without_a_limit_the_monitor_tracks_but_never_breaches() -> None:
    monitor = DailyLossMonitor(None)
    monitor.observe(100.0, 0)
    assert monitor.observe(1.0, 1) is None
    assert monitor.loss == 99.0


@pytest.mark.parametrize("limit", [0.0, -5.0, float("nan"), float("inf")])
def test_a_nonsense_limit_is_refused(limit: float) -> None:
    with pytest.raises(InvalidArgumentError, match="daily loss limit"):
        DailyLossMonitor(limit)


@pytest.mark.parametrize("equity", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_equity_is_refused_rather_than_disabling_the_limit(equity: float) -> None:
    monitor = DailyLossMonitor(1_000.0)
    with pytest.raises(InvalidArgumentError, match="finite"):
        monitor.observe(equity, 0)
    assert monitor.day is None


@pytest.mark.parametrize(
    "row",
    [
        {"day": "2024-13-01", "start_equity": 1.0},
        {"day": "2024-03-01"},
        {"day": "2024-03-01", "start_equity": "lots"},
        {"day": "2024-03-01", "start_equity": float("nan")},
        {"limit": "lots", "day": None},
    ],
)
def test_a_corrupt_saved_state_fails_loudly(row: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgumentError, match="persisted daily loss state"):
        DailyLossMonitor.from_dict(row)
