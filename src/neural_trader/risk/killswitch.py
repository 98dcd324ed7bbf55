"""The kill switch and the daily loss monitor that trips it.

The kill switch is the one control that must work when everything else is in doubt, so it is
plain data: a frozen :class:`KillSwitch` value that the live node persists in the journal's
state table (key ``"kill_switch"``) on every change and reads back before it sends anything
after a restart. A switch tripped before a crash is still tripped afterwards; only an explicit
``neural-trader resume`` (:meth:`KillSwitch.resume`) lifts it.

Three states, as NautilusTrader's risk engine has them:

* ``ACTIVE``: orders pass to the pre-trade limits.
* ``REDUCING``: only orders that shrink a position without crossing zero pass.
* ``HALTED``: no new order passes (the switch's own flatten orders aside); cancels always do,
  because cancelling can only take risk off.

:class:`DailyLossMonitor` watches marked-to-market equity against the ``daily_loss_limit``
and tells the caller when to trip; it never trips anything itself, so the decision and its
journal record stay in one place (the order manager).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum, StrEnum
from typing import Any, Final

from neural_trader.core.errors import InvalidArgumentError

__all__ = ["DailyLossMonitor", "KillSwitch", "TradingState"]

_NS_PER_DAY: Final = 86_400 * 1_000_000_000
_EPOCH: Final = date(1970, 1, 1)


class TradingState(StrEnum):
    """What the account may do. The value is the upper-case name, as every enum here."""

    ACTIVE = "ACTIVE"
    """Normal trading: orders go on to the pre-trade limits."""
    REDUCING = "REDUCING"
    """Only orders that reduce ``|position|`` without crossing zero are allowed."""
    HALTED = "HALTED"
    """No new orders (the kill switch's own flatten orders aside); cancels are always allowed."""


@dataclass(frozen=True, slots=True)
class KillSwitch:
    """The trading state with why, since when and by whom, as persisted in the journal.

    ``flatten`` records whether tripping also asked for every position to be closed (the
    ``flatten_on_kill`` setting, or ``--flatten`` on the command line), so a node restarted
    mid-flatten knows to carry on closing rather than sit on a half-closed book.
    ``tripped_by`` names the source (``"user"``, ``"daily_loss_limit"``, ...) so the operator
    can tell a deliberate halt from an automatic one; it is ``""`` while trading is active.
    """

    state: TradingState
    reason: str
    since_ns: int
    flatten: bool = False
    tripped_by: str = ""

    def __post_init__(self) -> None:
        # Validated on construction because from_dict builds from a persisted row: a corrupt
        # row must fail loudly (and trading with it) rather than read as "active".
        if not isinstance(self.state, TradingState):
            raise InvalidArgumentError(
                f"kill switch state must be a TradingState, got {self.state!r}"
            )
        if not isinstance(self.since_ns, int) or isinstance(self.since_ns, bool):
            raise InvalidArgumentError(
                f"kill switch since_ns must be int nanoseconds, got {self.since_ns!r}"
            )
        if not isinstance(self.flatten, bool):
            raise InvalidArgumentError(f"kill switch flatten must be a bool, got {self.flatten!r}")
        if not isinstance(self.reason, str) or not isinstance(self.tripped_by, str):
            raise InvalidArgumentError("kill switch reason and tripped_by must be strings")
        if self.state is not TradingState.ACTIVE and not self.tripped_by:
            raise InvalidArgumentError(
                f"a {self.state} kill switch must say who tripped it (tripped_by)"
            )

    @classmethod
    def active(cls, *, since_ns: int = 0) -> KillSwitch:
        """The state of a fresh account: trading allowed, nothing tripped."""
        return cls(TradingState.ACTIVE, "", since_ns)

    def trip(
        self,
        reason: str,
        *,
        ts_ns: int,
        flatten: bool,
        by: str,
        state: TradingState = TradingState.HALTED,
    ) -> KillSwitch:
        """A tripped switch: ``HALTED`` by default, or ``REDUCING`` to let positions wind down.

        Each trip is a new event with its own ``since_ns`` (whatever the current state), so a
        caller that flattens "once per trip" keyed on ``since_ns`` flattens again when asked
        again. ``reason`` is shown to the operator, so it must say something; ``by`` names the
        source.
        """
        if state is TradingState.ACTIVE:
            raise InvalidArgumentError("trip() halts or reduces trading; resume() reactivates it")
        if not reason.strip():
            raise InvalidArgumentError(
                "tripping the kill switch needs a reason the operator can read"
            )
        if not by.strip():
            raise InvalidArgumentError("tripping the kill switch needs a source (by='user', ...)")
        return KillSwitch(state, reason, ts_ns, flatten, by)

    def resume(self, *, ts_ns: int) -> KillSwitch:
        """Lift the switch: trading is active again from ``ts_ns``."""
        return KillSwitch(TradingState.ACTIVE, "resumed", ts_ns)

    @property
    def is_active(self) -> bool:
        return self.state is TradingState.ACTIVE

    @property
    def is_halted(self) -> bool:
        return self.state is TradingState.HALTED

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form for the journal's state table (key ``"kill_switch"``)."""
        return {
            "state": self.state.value,
            "reason": self.reason,
            "since_ns": self.since_ns,
            "flatten": self.flatten,
            "tripped_by": self.tripped_by,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KillSwitch:
        """Read back :meth:`to_dict`; raises :class:`InvalidArgumentError` on a corrupt row."""
        try:
            state = TradingState(data["state"])
            return cls(
                state,
                data["reason"],
                data["since_ns"],
                data.get("flatten", False),
                data.get("tripped_by", ""),
            )
        except (KeyError, ValueError, TypeError) as exc:  # InvalidArgumentError is a ValueError
            raise InvalidArgumentError(
                f"the persisted kill switch {dict(data)!r} is unreadable ({exc!r})",
                hint="fix or delete the 'kill_switch' state row, then run neural-trader resume",
            ) from exc


class _Saved(Enum):
    """Sentinel for "keep the persisted limit" (``None`` already means "no limit")."""

    LIMIT = "saved"


class DailyLossMonitor:
    """Loss since the start of the UTC day against ``daily_loss_limit``.

    Start-of-day equity is the first equity observed on each UTC date (the date of ``ts_ns``),
    so the day's loss is ``start_equity - equity``: realised plus unrealised, because equity is
    marked to market. The UTC date is used rather than a session calendar because the limit is
    about money lost per calendar day, and it is the same on every venue and host time zone.

    An observation dated before the current day (a wall clock stepped back across midnight)
    never moves the day backwards: it is measured against the current day's start, which is
    the conservative reading (the later day's start is the more recent reference).

    The state (day, start equity, limit) survives a restart through :meth:`to_dict` /
    :meth:`from_dict`; without it a restart mid-day would reset the reference to the
    already-reduced equity and let the account lose the limit a second time.
    """

    __slots__ = ("_day", "_last_equity", "_limit", "_start_equity")

    def __init__(self, limit: float | None) -> None:
        if limit is not None and (not math.isfinite(limit) or limit <= 0):
            raise InvalidArgumentError(
                f"daily loss limit must be a positive finite amount or None, got {limit!r}"
            )
        self._limit = limit
        self._day: int | None = None
        self._start_equity: float | None = None
        self._last_equity: float | None = None

    @property
    def limit(self) -> float | None:
        return self._limit

    @property
    def day(self) -> date | None:
        """The UTC date being tracked, or ``None`` before the first observation."""
        return None if self._day is None else _EPOCH + timedelta(days=self._day)

    @property
    def start_equity(self) -> float | None:
        return self._start_equity

    @property
    def loss(self) -> float:
        """Today's loss so far (negative when the account is up); 0 before any observation."""
        if self._start_equity is None or self._last_equity is None:
            return 0.0
        return self._start_equity - self._last_equity

    def observe(self, equity: float, ts_ns: int) -> float | None:
        """Record equity at ``ts_ns``; return how far the loss is beyond the limit, or None.

        The returned amount is ``loss - limit`` and is strictly positive: a loss exactly at
        the limit is allowed. It keeps being returned while the breach lasts; tripping the
        switch again is the caller's no-op.
        """
        if not math.isfinite(equity):
            # A NaN would make every comparison false and silently disable the limit.
            raise InvalidArgumentError(f"equity must be a finite amount, got {equity!r}")
        day = ts_ns // _NS_PER_DAY
        if self._day is None or day > self._day:
            self._day = day
            self._start_equity = equity
        self._last_equity = equity
        if self._limit is None:
            return None
        assert self._start_equity is not None
        excess = (self._start_equity - equity) - self._limit
        return excess if excess > 0 else None

    def to_dict(self) -> dict[str, Any]:
        """The day's state and the limit it ran under, JSON-safe."""
        day = self.day
        return {
            "limit": self._limit,
            "day": None if day is None else day.isoformat(),
            "start_equity": self._start_equity,
            "last_equity": self._last_equity,
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, limit: float | _Saved | None = _Saved.LIMIT
    ) -> DailyLossMonitor:
        """Restore :meth:`to_dict`.

        The limit is configuration more than state: pass ``limit=`` (the configured
        ``daily_loss_limit``, ``None`` for none) so a limit changed in the config takes effect
        at the next start; without it the saved limit is kept.
        """
        if isinstance(limit, _Saved):
            saved = data.get("limit")
            try:
                limit = None if saved is None else float(saved)
            except (TypeError, ValueError) as exc:
                raise InvalidArgumentError(
                    f"the persisted daily loss state {dict(data)!r} has an unreadable limit"
                ) from exc
        monitor = cls(limit)
        raw_day = data.get("day")
        if raw_day is None:
            return monitor
        try:
            day = (date.fromisoformat(raw_day) - _EPOCH).days
            start = float(data["start_equity"])
            last_raw = data.get("last_equity")
            last = start if last_raw is None else float(last_raw)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidArgumentError(
                f"the persisted daily loss state {dict(data)!r} is unreadable ({exc!r})"
            ) from exc
        if not (math.isfinite(start) and math.isfinite(last)):
            raise InvalidArgumentError(
                f"the persisted daily loss state {dict(data)!r} holds a non-finite equity"
            )
        monitor._day = day
        monitor._start_equity = start
        monitor._last_equity = last
        return monitor
