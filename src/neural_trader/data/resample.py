"""Resample bars to a coarser spec without ever merging two sessions into one bar.

Why session-aware: a naive ``floor(ts, 1h)`` in UTC gives NYSE hourly bars starting at 09:00 and
14:00 local, half of them empty, and daily bars of a European future cut at UTC midnight instead
of the exchange's day. The rules here:

* Intraday buckets are aligned to the wall clock in ``tz`` (a 1h bucket starts on the local
  hour) and never span two local days. Across a DST change a bucket never mixes bars of two
  UTC offsets: on the night clocks go back, 02:00-03:00 happens twice and gives two bars.
  A bucket's label is its local start converted with its bars' offset.
* With ``calendar`` (an ``exchange_calendars`` code such as ``XNYS``), buckets are anchored at
  the session open (NYSE 1h bars start 09:30, 10:30, ...) and end at the close at the latest;
  a session with a lunch break is two halves, the second anchored at the break's end. ``tz`` is
  not used: the calendar's sessions define the days. Bars outside every session are refused
  rather than dropped or misfiled.
* Daily buckets are the session date (local date in ``tz``, or the calendar session), labelled
  midnight UTC of that date, as daily bars are everywhere in the platform.
* Weekly buckets are ISO weeks (Monday to Sunday) of the session dates, labelled with the first
  session of the week: the calendar's when given (so labels do not depend on where the data
  starts), otherwise the first day present in the data.
* Partial buckets are kept: a bucket holds whatever bars fall in it.

Labels are bucket starts; aggregation is first/max/min/last/sum for OHLCV and last for
``adj_close`` and ``open_interest``, computed with ``ufunc.reduceat`` on the bucket boundaries.
"""

from __future__ import annotations

import datetime as dt
import warnings
from functools import lru_cache
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from neural_trader.core.data import BarSpec, BarUnit
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.data.schema import TS, normalize_bar_frame

__all__ = ["resample_bars"]

IntArray = npt.NDArray[np.int64]

DAY_NS: Final = 86_400_000_000_000
_NAT: Final = np.iinfo(np.int64).min
_LAST_COLUMNS: Final = ("close", "adj_close", "open_interest")


def resample_bars(
    frame: pd.DataFrame,
    source: BarSpec | str,
    target: BarSpec | str,
    *,
    tz: str = "UTC",
    calendar: str | None = None,
) -> pd.DataFrame:
    """Aggregate a canonical bar frame of ``source`` bars into ``target`` bars.

    Raises :class:`InvalidArgumentError` when ``target`` is not a whole multiple of ``source``,
    when ``ts_event`` is not strictly increasing, for an unknown ``tz`` or ``calendar``, and
    (with a calendar) for bars outside its sessions.
    """
    src, tgt = BarSpec.parse(source), BarSpec.parse(target)
    _check_specs(src, tgt)
    frame = normalize_bar_frame(frame)
    ts = frame[TS].to_numpy()
    if len(ts) > 1:
        bad = np.flatnonzero(np.diff(ts) <= 0)
        if bad.size:
            raise InvalidArgumentError(
                f"ts_event must be strictly increasing to resample; row {int(bad[0]) + 1} is not "
                "after the row before it",
                hint="sort by ts_event and drop duplicate timestamps first",
            )
    if len(ts) == 0 or src == tgt:
        return frame.copy()
    sessions = _Sessions.load(calendar, ts) if calendar else None
    if tgt.unit is BarUnit.WEEK:
        keys, labels_of = _week_keys(ts, src, tz, sessions)
    elif tgt.unit is BarUnit.DAY:
        keys, labels_of = _day_keys(ts, tz, sessions), None
    elif sessions is not None:
        keys, labels_of = sessions.intraday_labels(ts, tgt.nanos), None
    else:
        keys, labels_of = _clock_labels(ts, tgt.nanos, tz), None
    starts = _run_starts(keys)
    labels = keys[starts] if labels_of is None else labels_of(starts)
    if len(labels) > 1 and not bool(np.all(np.diff(labels) > 0)):  # pragma: no cover - guard
        raise InvalidArgumentError(f"resampling to {tgt} in {tz} gave labels out of order")
    return _aggregate(frame, starts, labels)


def _check_specs(src: BarSpec, tgt: BarSpec) -> None:
    if src == tgt:
        return
    why: str | None = None
    if tgt.is_intraday:
        if not src.is_intraday:
            why = f"{src} bars cannot be split into {tgt} bars"
        elif tgt.nanos % src.nanos or tgt.nanos < src.nanos:
            why = f"{tgt} is not a whole multiple of {src}"
        elif tgt.nanos > DAY_NS:
            why = f"intraday buckets stop at one day; use 1d instead of {tgt}"
    elif tgt.step != 1:
        why = f"only 1d and 1w are supported as daily or weekly targets, not {tgt}"
    elif tgt.unit is BarUnit.DAY and not (src.is_intraday or src == BarSpec(1, BarUnit.DAY)):
        why = f"{src} bars cannot be split into daily bars"
    elif tgt.unit is BarUnit.WEEK and not (src.is_intraday or src == BarSpec(1, BarUnit.DAY)):
        why = f"weekly bars are built from intraday or 1d bars, not {src}"
    if why:
        raise InvalidArgumentError(
            f"cannot resample {src} to {tgt}: {why}",
            hint="the target must be a whole multiple of the source, e.g. 5m from 1m, 1h from "
            "1m or 5m, 1d from any intraday spec, 1w from 1d",
        )


def _run_starts(keys: IntArray) -> IntArray:
    """Index of the first bar of each run of equal keys (keys are non-decreasing)."""
    change = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    return np.concatenate([np.zeros(1, dtype=np.int64), change.astype(np.int64)])


def _aggregate(frame: pd.DataFrame, starts: IntArray, labels: IntArray) -> pd.DataFrame:
    ends = np.append(starts[1:], len(frame)) - 1
    out: dict[str, npt.NDArray[Any]] = {TS: labels.astype(np.int64, copy=False)}
    for name in frame.columns[1:]:
        col = frame[name].to_numpy()
        if name == "open":
            out[name] = col[starts]
        elif name == "high":
            out[name] = np.maximum.reduceat(col, starts)
        elif name == "low":
            out[name] = np.minimum.reduceat(col, starts)
        elif name == "volume":
            out[name] = np.add.reduceat(col, starts)
        elif name in _LAST_COLUMNS:
            out[name] = col[ends]
        else:  # pragma: no cover - normalize_bar_frame admits no other columns
            raise InvalidArgumentError(f"no aggregation rule for column {name!r}")
    return pd.DataFrame(out)


def _local_ns(ts: IntArray, tz: str) -> IntArray:
    """Wall-clock time in ``tz`` as int64 ns (the UTC offset at each instant added)."""
    if tz in ("UTC", "utc", "Etc/UTC"):
        return ts
    try:
        idx = pd.DatetimeIndex(ts.view("M8[ns]"), tz="UTC").tz_convert(tz)
    except Exception as exc:  # pandas raises several types for a bad zone name
        raise InvalidArgumentError(
            f"unknown time zone {tz!r}", hint="use an IANA name such as Europe/Berlin"
        ) from exc
    return np.asarray(idx.tz_localize(None).asi8, dtype=np.int64)


def _clock_labels(ts: IntArray, step: int, tz: str) -> IntArray:
    local = _local_ns(ts, tz)
    day = np.floor_divide(local, DAY_NS) * DAY_NS
    bucket_local = day + np.floor_divide(local - day, step) * step
    labels: IntArray = bucket_local - (local - ts)  # back to UTC with each bar's own offset
    return labels


def _day_keys(ts: IntArray, tz: str, sessions: _Sessions | None) -> IntArray:
    if sessions is not None:
        return sessions.session_dates(ts)
    days: IntArray = np.floor_divide(_local_ns(ts, tz), DAY_NS) * DAY_NS
    return days


def _week_keys(
    ts: IntArray, src: BarSpec, tz: str, sessions: _Sessions | None
) -> tuple[IntArray, Any]:
    if src.is_intraday:
        dates = _day_keys(ts, tz, sessions)
    else:
        dates = ts
        if sessions is not None:
            sessions.check_dates(ts)
    days = np.floor_divide(dates, DAY_NS)
    monday = (days - (days + 3) % 7) * DAY_NS  # 1970-01-01 was a Thursday

    def labels_of(starts: IntArray) -> IntArray:
        if sessions is None:
            return dates[starts]
        return sessions.first_session_on_or_after(monday[starts])

    return monday, labels_of


class _Sessions:
    """Session opens, closes and dates of an exchange calendar as int64 ns arrays."""

    def __init__(self, code: str, cal: Any) -> None:
        self.code = code
        self.dates: IntArray = np.asarray(cal.sessions_nanos, dtype=np.int64)
        opens = np.asarray(cal.opens_nanos, dtype=np.int64)
        closes = np.asarray(cal.closes_nanos, dtype=np.int64)
        b_start = np.asarray(cal.break_starts_nanos, dtype=np.int64)
        b_end = np.asarray(cal.break_ends_nanos, dtype=np.int64)
        has_break = (b_start != _NAT) & (b_end != _NAT)
        # Trading intervals: a session, or its two halves around a break.
        pos = np.arange(len(opens))
        iv_open = np.concatenate([opens, b_end[has_break]])
        iv_close = np.concatenate([np.where(has_break, b_start, closes), closes[has_break]])
        iv_session = np.concatenate([pos, pos[has_break]])
        order = np.argsort(iv_open, kind="stable")
        self.iv_open, self.iv_close = iv_open[order], iv_close[order]
        self.iv_session = iv_session[order]

    @classmethod
    def load(cls, code: str, ts: IntArray) -> _Sessions:
        first = pd.Timestamp(int(ts[0]), unit="ns").date() - dt.timedelta(days=8)
        last = pd.Timestamp(int(ts[-1]), unit="ns").date() + dt.timedelta(days=8)
        return _load_sessions(code, first, last)

    def _interval(self, ts: IntArray) -> IntArray:
        idx = np.searchsorted(self.iv_open, ts, side="right") - 1
        inside = idx >= 0
        inside[inside] = ts[inside] < self.iv_close[idx[inside]]
        if not bool(inside.all()):
            outside = ts[~inside]
            raise InvalidArgumentError(
                f"{outside.size} bars fall outside {self.code} sessions, the first at "
                f"{pd.Timestamp(int(outside[0]), unit='ns', tz='UTC')}",
                hint="filter out pre/post-market bars, or resample without a calendar",
            )
        return idx.astype(np.int64)

    def intraday_labels(self, ts: IntArray, step: int) -> IntArray:
        anchor = self.iv_open[self._interval(ts)]
        labels: IntArray = anchor + np.floor_divide(ts - anchor, step) * step
        return labels

    def session_dates(self, ts: IntArray) -> IntArray:
        dates: IntArray = self.dates[self.iv_session[self._interval(ts)]]
        return dates

    def check_dates(self, dates: IntArray) -> None:
        known = np.isin(dates, self.dates)
        if not bool(known.all()):
            bad = dates[~known]
            raise InvalidArgumentError(
                f"{bad.size} daily bars are not {self.code} sessions, the first dated "
                f"{pd.Timestamp(int(bad[0]), unit='ns').date()}",
                hint="resample without a calendar, or use the calendar of the data's venue",
            )

    def first_session_on_or_after(self, day_ns: IntArray) -> IntArray:
        return self.dates[np.searchsorted(self.dates, day_ns, side="left")]


@lru_cache(maxsize=16)
def _load_sessions(code: str, first: dt.date, last: dt.date) -> _Sessions:
    import exchange_calendars as xcals

    try:
        with warnings.catch_warnings():  # the library's own pandas deprecation noise
            warnings.simplefilter("ignore", DeprecationWarning)
            cal = xcals.get_calendar(code, start=first, end=last)
    except Exception as exc:  # unknown code, or dates outside what the calendar covers
        names = xcals.get_calendar_names(include_aliases=False)
        hint = "known calendars include XNYS, XNAS, XTSE, XLON, XETR, XHKG"
        if code.upper() in names:
            hint = f"{code} covers a limited date range; check the data's dates"
        raise InvalidArgumentError(f"cannot use calendar {code!r}: {exc}", hint=hint) from exc
    return _Sessions(code, cal)
