"""Turning int64 ns UTC into labels people read (fronts only; never in a hot path)."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["ns_to_label"]


def ns_to_label(ns: int, *, daily: bool = False) -> str:
    """``2014-12-31`` for daily bars (their timestamp is a date label), ISO 8601 UTC otherwise."""
    secs, rem = divmod(int(ns), 1_000_000_000)
    dt = datetime.fromtimestamp(secs, tz=UTC)
    if daily:
        return dt.date().isoformat()
    if rem:
        return dt.replace(microsecond=rem // 1000).isoformat().replace("+00:00", "Z")
    return dt.isoformat().replace("+00:00", "Z")
