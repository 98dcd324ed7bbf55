"""Clocks: one injectable source of time, so backtest, paper and live share every other line.

Code asks ``clock.timestamp_ns()`` rather than the operating system, so a backtest can replay
time with :class:`TestClock` and a live node run on :class:`LiveClock`.

:class:`TestClock` also schedules timers: ``advance_to`` fires every timer event due up to the
target in time order (ties in the order the timers were set), and sets the clock to each event's
time before calling back, so a callback that reads the clock sees the moment it was due.
:class:`LiveClock` has no timers here: waiting in real time belongs to the asyncio layer, and
its ``set_timer`` raises ``NotSupportedError`` rather than pretending.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from neural_trader.core.errors import InvalidArgumentError, NotFoundError, NotSupportedError

__all__ = ["Clock", "LiveClock", "TestClock", "TimeEvent", "TimerCallback"]


@dataclass(frozen=True, slots=True)
class TimeEvent:
    """A timer firing: ``name`` of the timer, ``ts_event`` when it was due."""

    name: str
    ts_event: int
    ts_init: int


TimerCallback = Callable[[TimeEvent], None]


@runtime_checkable
class Clock(Protocol):
    def timestamp_ns(self) -> int:
        """Now, in UNIX nanoseconds UTC."""
        ...

    def set_timer(
        self,
        name: str,
        interval_ns: int,
        callback: TimerCallback,
        *,
        start_ns: int | None = None,
        stop_ns: int | None = None,
    ) -> None: ...

    def cancel_timer(self, name: str) -> None: ...


class LiveClock:
    """Wall-clock time that never steps backwards.

    The system clock can jump back when NTP corrects it; events stamped in a backward order
    would break every ``ts_event`` sort downstream, so a reading earlier than the last one
    returns the last one instead.
    """

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last = 0

    def timestamp_ns(self) -> int:
        now = time.time_ns()
        if now < self._last:
            return self._last
        self._last = now
        return now

    def set_timer(
        self,
        name: str,
        interval_ns: int,
        callback: TimerCallback,
        *,
        start_ns: int | None = None,
        stop_ns: int | None = None,
    ) -> None:
        raise NotSupportedError(
            f"LiveClock cannot run timer {name!r}: real-time timers need an event loop, "
            "which the live (asyncio) layer provides",
            hint="in tests and backtests use TestClock, whose advance_to fires timers",
        )

    def cancel_timer(self, name: str) -> None:
        raise NotSupportedError(f"LiveClock has no timers, so there is no {name!r} to cancel")


@dataclass(slots=True)
class _Timer:
    name: str
    interval_ns: int
    callback: TimerCallback
    next_ns: int
    stop_ns: int | None
    generation: int


class TestClock:
    """A clock moved by hand; monotonic (refuses to go backwards); fires timers in order."""

    __test__ = False  # tell pytest this is not a test class
    __slots__ = ("_generation", "_heap", "_now", "_timers")

    def __init__(self, start_ns: int = 0) -> None:
        self._now = _check_int(start_ns, "start time")
        self._timers: dict[str, _Timer] = {}
        self._heap: list[tuple[int, int, str]] = []
        self._generation = 0

    def timestamp_ns(self) -> int:
        return self._now

    @property
    def timer_names(self) -> tuple[str, ...]:
        return tuple(self._timers)

    def next_time_ns(self, name: str) -> int:
        """When timer ``name`` fires next."""
        return self._get(name).next_ns

    def set_timer(
        self,
        name: str,
        interval_ns: int,
        callback: TimerCallback,
        *,
        start_ns: int | None = None,
        stop_ns: int | None = None,
    ) -> None:
        """Fire ``callback`` every ``interval_ns`` from ``start_ns`` (default now), the first
        time at ``start_ns + interval_ns``, the last at or before ``stop_ns`` if given."""
        if not name:
            raise InvalidArgumentError("a timer needs a non-empty name")
        if name in self._timers:
            raise InvalidArgumentError(
                f"timer {name!r} already exists; cancel it first or choose another name"
            )
        interval_ns = _check_int(interval_ns, "timer interval")
        if interval_ns <= 0:
            raise InvalidArgumentError(f"timer interval must be positive, got {interval_ns} ns")
        start = self._now if start_ns is None else _check_int(start_ns, "timer start")
        first = start + interval_ns
        if first < self._now:
            raise InvalidArgumentError(
                f"timer {name!r} would first fire at {first}, before now ({self._now})"
            )
        if stop_ns is not None and _check_int(stop_ns, "timer stop") < first:
            raise InvalidArgumentError(
                f"timer {name!r} stops at {stop_ns}, before its first firing at {first}"
            )
        self._schedule(_Timer(name, interval_ns, callback, first, stop_ns, 0))

    def set_time_alert(self, name: str, alert_ns: int, callback: TimerCallback) -> None:
        """Fire ``callback`` once, at ``alert_ns``."""
        alert_ns = _check_int(alert_ns, "alert time")
        if alert_ns < self._now:
            raise InvalidArgumentError(f"alert {name!r} at {alert_ns} is before now ({self._now})")
        if name in self._timers:
            raise InvalidArgumentError(f"timer {name!r} already exists")
        if not name:
            raise InvalidArgumentError("a time alert needs a non-empty name")
        self._schedule(_Timer(name, 1, callback, alert_ns, alert_ns, 0))

    def cancel_timer(self, name: str) -> None:
        del self._timers[self._get(name).name]

    def cancel_timers(self) -> None:
        self._timers.clear()
        self._heap.clear()

    def set_time(self, ts_ns: int) -> list[TimeEvent]:
        """Move to ``ts_ns``; the same as :meth:`advance_to` (timers due on the way fire)."""
        return self.advance_to(ts_ns)

    def advance(self, delta_ns: int) -> list[TimeEvent]:
        delta_ns = _check_int(delta_ns, "time step")
        if delta_ns < 0:
            raise InvalidArgumentError(f"TestClock only moves forward; got a step of {delta_ns}")
        return self.advance_to(self._now + delta_ns)

    def advance_to(self, ts_ns: int) -> list[TimeEvent]:
        """Fire every timer due at or before ``ts_ns``, in time order, then stop at ``ts_ns``.

        Callbacks may set or cancel timers; a timer they set that falls due before ``ts_ns``
        fires in this same call.
        """
        ts_ns = _check_int(ts_ns, "time")
        if ts_ns < self._now:
            raise InvalidArgumentError(
                f"TestClock cannot go back from {self._now} to {ts_ns}; time is monotonic"
            )
        fired: list[TimeEvent] = []
        while self._heap and self._heap[0][0] <= ts_ns:
            due, generation, name = heapq.heappop(self._heap)
            timer = self._timers.get(name)
            if timer is None or timer.generation != generation or timer.next_ns != due:
                continue  # cancelled or replaced since it was queued
            self._now = due
            event = TimeEvent(name, due, due)
            fired.append(event)
            following = due + timer.interval_ns
            if timer.stop_ns is not None and following > timer.stop_ns:
                del self._timers[name]
            else:
                timer.next_ns = following
                self._push(timer)
            timer.callback(event)
        self._now = ts_ns
        return fired

    def _schedule(self, timer: _Timer) -> None:
        self._generation += 1
        timer.generation = self._generation
        self._timers[timer.name] = timer
        self._push(timer)

    def _push(self, timer: _Timer) -> None:
        # The generation grows with each timer set, so equal times fire in the order set.
        heapq.heappush(self._heap, (timer.next_ns, timer.generation, timer.name))

    def _get(self, name: str) -> _Timer:
        timer = self._timers.get(name)
        if timer is None:
            raise NotFoundError(
                f"no timer named {name!r}",
                hint=f"timers set: {', '.join(self._timers) or 'none'}",
            )
        return timer


def _check_int(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidArgumentError(f"{what} must be int nanoseconds, got {value!r}")
    return value
