"""User-facing time values to int64 nanoseconds UTC, the only time type below the fronts.

Why a module of its own: ``--start``/``--end`` arrive as strings, dates, datetimes, pandas or
numpy values, and every reader must treat them the same way. The subtle part is the end of a
range: a person who types ``--end 2010-12-31`` means "up to and including that day", so a
date-only value with ``end=True`` is the *last nanosecond* of that day in ``tz`` (ranges in the
catalog are inclusive at both ends). A value with a time of day is an instant and is used as is.
Partial dates (``2010`` or ``2010-12``) follow the same rule for the whole year or month.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Final

import numpy as np
import pandas as pd

from neural_trader.core.errors import InvalidArgumentError

__all__ = ["INT64_MAX", "INT64_MIN", "TimeLike", "resolve_range", "to_ns"]

TimeLike = int | str | datetime | date | pd.Timestamp | np.datetime64

INT64_MIN: Final = int(np.iinfo(np.int64).min)
INT64_MAX: Final = int(np.iinfo(np.int64).max)

# Date-only spellings, mapped to the period they name (year, month, day).
_PERIOD_PATTERNS: Final = (
    (re.compile(r"^\d{4}$"), "Y"),
    (re.compile(r"^\d{4}-\d{1,2}$"), "M"),
    (re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$"), "D"),
    (re.compile(r"^\d{4}/\d{1,2}/\d{1,2}$"), "D"),
    (re.compile(r"^\d{8}$"), "D"),
)


def to_ns(value: TimeLike, *, tz: str = "UTC", end: bool = False) -> int:
    """Nanoseconds since the epoch, UTC, for ``value``.

    * ``int`` (or numpy integer): already nanoseconds, returned unchanged.
    * naive strings, datetimes, Timestamps and ``datetime64``: wall time in ``tz``.
    * aware values: converted from their own zone; ``tz`` is ignored.
    * date-only values (``date``, ``"2010-12-31"``, ``"2010-12"``, ``"2010"``,
      ``datetime64[D]``): the first nanosecond of that period in ``tz``, or with ``end=True``
      the last one, so an inclusive range ending on that day includes all of it.

    Raises :class:`InvalidArgumentError` for values that cannot be read, a wall time that does
    not exist or is ambiguous in ``tz`` (a DST change), or an unknown ``tz``.
    """
    if isinstance(value, bool):
        raise InvalidArgumentError(f"a time cannot be a boolean, got {value!r}")
    if isinstance(value, int | np.integer):
        return int(value)
    _check_tz(tz)
    if isinstance(value, str):
        return _from_string(value, tz, end)
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise InvalidArgumentError("a time value is NaT (not a time)")
        unit, _ = np.datetime_data(value.dtype)
        if unit in ("Y", "M", "D"):
            return _period_bound(pd.Period(str(value), freq=unit), tz, end)
        return _instant(pd.Timestamp(value), tz)
    if isinstance(value, datetime):  # also pd.Timestamp, a datetime subclass
        ts = pd.Timestamp(value)
        if pd.isna(ts):
            raise InvalidArgumentError("a time value is NaT (not a time)")
        return _instant(ts, tz)
    if isinstance(value, date):
        return _period_bound(pd.Period(value, freq="D"), tz, end)
    raise InvalidArgumentError(
        f"cannot read {value!r} ({type(value).__name__}) as a time; use an ISO date such as "
        "2010-12-31, a date and time such as 2010-12-31T15:30, or integer nanoseconds"
    )


def resolve_range(
    start: TimeLike | None, end: TimeLike | None, *, tz: str = "UTC"
) -> tuple[int, int]:
    """An inclusive ``(start_ns, end_ns)`` for optional user bounds; ``None`` is unbounded.

    The end bound goes through ``to_ns(end=True)`` so date-only ends include their whole day.
    """
    lo = INT64_MIN if start is None else to_ns(start, tz=tz)
    hi = INT64_MAX if end is None else to_ns(end, tz=tz, end=True)
    if lo > hi:
        raise InvalidArgumentError(
            f"the range is empty: start {_show(lo)} is after end {_show(hi)}",
            hint="swap --start and --end",
        )
    return lo, hi


def _show(ns: int) -> str:
    return str(pd.Timestamp(ns, unit="ns", tz="UTC"))


def _check_tz(tz: str) -> None:
    try:
        pd.Timestamp(0, tz=tz)
    except Exception as exc:  # pandas raises several types for a bad zone name
        raise InvalidArgumentError(
            f"unknown time zone {tz!r}", hint="use an IANA name such as UTC or America/New_York"
        ) from exc


def _from_string(text: str, tz: str, end: bool) -> int:
    s = text.strip()
    if not s:
        raise InvalidArgumentError("a time value is an empty string")
    for pattern, freq in _PERIOD_PATTERNS:
        if pattern.match(s):
            try:
                period = pd.Period(s.replace("/", "-"), freq=freq)
            except (ValueError, TypeError) as exc:
                raise InvalidArgumentError(f"{text!r} is not a valid date") from exc
            return _period_bound(period, tz, end)
    try:
        ts = pd.Timestamp(s)
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidArgumentError(
            f"cannot read {text!r} as a time",
            hint="use an ISO date such as 2010-12-31 or a date and time such as 2010-12-31 15:30",
        ) from exc
    if pd.isna(ts):
        raise InvalidArgumentError(f"{text!r} is not a time (NaT)")
    return _instant(ts, tz)


def _instant(ts: pd.Timestamp, tz: str) -> int:
    try:
        if ts.tzinfo is None:
            ts = ts.tz_localize(tz, ambiguous="raise", nonexistent="raise")
        return int(ts.tz_convert("UTC").as_unit("ns").value)
    except (ValueError, OverflowError) as exc:  # pytz/zoneinfo DST errors are ValueErrors
        raise InvalidArgumentError(
            f"the time {ts} cannot be placed in {tz}: {exc}",
            hint="give an explicit UTC offset, e.g. 2021-10-31T02:30+01:00",
        ) from exc


def _period_bound(period: pd.Period, tz: str, end: bool) -> int:
    """First (or last, ``end``) nanosecond of a calendar period in ``tz``.

    The end is computed as the next period's start minus one nanosecond, so a day of 23 or 25
    hours (a DST change) is handled by the zone database rather than by arithmetic here.
    """
    boundary = (period + 1) if end else period
    midnight = boundary.start_time
    try:
        local = midnight.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
        ns = int(local.tz_convert("UTC").as_unit("ns").value)
    except (ValueError, OverflowError) as exc:
        raise InvalidArgumentError(f"the date {period} is out of range: {exc}") from exc
    return ns - 1 if end else ns
