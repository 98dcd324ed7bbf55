"""Conversions between integer UNIX nanoseconds (UTC) and dates, datetimes and ISO text.

Below the fronts, time is an ``int`` of nanoseconds since the epoch: it sorts, subtracts and
stores without a time-zone question. These helpers are the only place that question is asked,
once, at the edge. The arithmetic is integer-exact: a ``datetime`` has microseconds, so nothing
is lost going in, and ``ns_to_dt`` truncates (floors) the sub-microsecond part going out.

A ``datetime`` without a time zone is refused (it is ambiguous); an ISO *string* without an
offset is read as UTC, because exchange data files write UTC and rarely say so.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Final

from neural_trader.core.errors import InvalidArgumentError

__all__ = [
    "NANOS_PER_DAY",
    "NANOS_PER_HOUR",
    "NANOS_PER_MICRO",
    "NANOS_PER_MILLI",
    "NANOS_PER_MINUTE",
    "NANOS_PER_SECOND",
    "UNIX_EPOCH",
    "date_to_ns",
    "dt_to_ns",
    "iso_to_ns",
    "millis_to_ns",
    "ns_to_date",
    "ns_to_dt",
    "ns_to_iso",
    "secs_to_ns",
]

NANOS_PER_MICRO: Final = 1_000
NANOS_PER_MILLI: Final = 1_000_000
NANOS_PER_SECOND: Final = 1_000_000_000
NANOS_PER_MINUTE: Final = 60 * NANOS_PER_SECOND
NANOS_PER_HOUR: Final = 3600 * NANOS_PER_SECOND
NANOS_PER_DAY: Final = 86400 * NANOS_PER_SECOND
UNIX_EPOCH: Final = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)

_ISO_RE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?:[.,](?P<frac>\d{1,9}))?)?"
    r"(?P<tz>Z|z|[+-]\d{2}:?\d{2})?$"
)


def dt_to_ns(value: _dt.datetime) -> int:
    """Nanoseconds since the epoch of a time-zone-aware datetime."""
    if not isinstance(value, _dt.datetime):
        raise InvalidArgumentError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidArgumentError(
            f"datetime {value.isoformat()} has no time zone, so the instant is ambiguous; "
            "attach one, for example value.replace(tzinfo=datetime.UTC)"
        )
    delta = value - UNIX_EPOCH
    return (
        delta.days * NANOS_PER_DAY
        + delta.seconds * NANOS_PER_SECOND
        + delta.microseconds * NANOS_PER_MICRO
    )


def ns_to_dt(ns: int) -> _dt.datetime:
    """UTC datetime of ``ns``, floored to the microsecond (datetime's resolution)."""
    micros = _check_ns(ns) // NANOS_PER_MICRO
    return UNIX_EPOCH + _dt.timedelta(microseconds=micros)


def date_to_ns(value: _dt.date) -> int:
    """Midnight UTC of a calendar date: how daily bars are labelled (see core.data)."""
    if isinstance(value, _dt.datetime):
        raise InvalidArgumentError(
            "date_to_ns takes a date; for a datetime use dt_to_ns, which keeps the time"
        )
    return (value - UNIX_EPOCH.date()).days * NANOS_PER_DAY


def ns_to_date(ns: int) -> _dt.date:
    """The UTC calendar date containing ``ns``."""
    return ns_to_dt(ns).date()


def iso_to_ns(text: str) -> int:
    """Parse ISO 8601 (``2024-03-01``, ``2024-03-01T14:30:00.123456789Z``, ``...+05:00``).

    Keeps all nine fractional digits; no offset means UTC.
    """
    m = _ISO_RE.match(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise InvalidArgumentError(
            f"time {text!r} is not ISO 8601; write it like 2024-03-01 or 2024-03-01T14:30:00Z"
        )
    try:
        day = _dt.date.fromisoformat(m.group("date"))
        clock = _dt.time.fromisoformat(m.group("time")) if m.group("time") else _dt.time()
    except ValueError as exc:
        raise InvalidArgumentError(f"time {text!r} is not a real date or time: {exc}") from None
    frac = m.group("frac") or ""
    nanos = int(frac.ljust(9, "0")) if frac else 0
    offset_ns = 0
    tz = m.group("tz")
    if tz and tz not in ("Z", "z"):
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            raise InvalidArgumentError(f"time {text!r} has an impossible UTC offset {tz}")
        offset_ns = sign * (hours * NANOS_PER_HOUR + minutes * NANOS_PER_MINUTE)
    seconds_of_day = clock.hour * 3600 + clock.minute * 60 + clock.second
    return date_to_ns(day) + seconds_of_day * NANOS_PER_SECOND + nanos - offset_ns


def ns_to_iso(ns: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ``: always nine digits, so strings sort as times do."""
    ns = _check_ns(ns)
    seconds, nanos = divmod(ns, NANOS_PER_SECOND)
    stamp = UNIX_EPOCH + _dt.timedelta(seconds=seconds)
    return f"{stamp:%Y-%m-%dT%H:%M:%S}.{nanos:09d}Z"


def secs_to_ns(seconds: float) -> int:
    """Seconds (possibly fractional) to nanoseconds, rounded to the nearest nanosecond."""
    return round(seconds * NANOS_PER_SECOND)


def millis_to_ns(millis: int) -> int:
    """Milliseconds, as most venue APIs stamp events, to nanoseconds (exact)."""
    return int(millis) * NANOS_PER_MILLI


def _check_ns(ns: object) -> int:
    if not isinstance(ns, int) or isinstance(ns, bool):
        raise InvalidArgumentError(f"timestamp must be int nanoseconds, got {ns!r}")
    return ns
