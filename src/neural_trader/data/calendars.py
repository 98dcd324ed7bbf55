"""Gaps in bar data measured against an exchange calendar (``exchange_calendars``).

A missing weekday is not a gap if the exchange was closed (2001-09-11..14 at the NYSE), and a
short Christmas Eve session is not missing its afternoon: only the exchange's own calendar
can tell. Daily bars are compared with the calendar's sessions, intraday bars with the bar
starts each session's open/close (and lunch break) allow. Gaps are findings to show, not
errors: a vendor may simply not have had the data.

Calendars are built for the data's own date range: ``exchange_calendars`` defaults to roughly
the last 20 years, which would silently skip older data.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass
from typing import Any, Final

import exchange_calendars as xcals
import numpy as np
import numpy.typing as npt
import pandas as pd

from neural_trader.core.data import BarSpec, BarUnit
from neural_trader.core.errors import InvalidArgumentError, NotSupportedError

__all__ = ["Gap", "calendar_names", "find_gaps", "get_calendar"]

_NS_PER_DAY: Final = 86_400 * 1_000_000_000
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Gap:
    """A run of consecutive expected bars that the data lacks.

    ``start_ns`` is the start of the first missing bar, ``end_ns`` the end of the last one
    (exclusive), both ns UTC; for daily bars they are midnights of session dates.
    """

    start_ns: int
    end_ns: int
    missing_bars: int
    description: str


def calendar_names() -> list[str]:
    """Every calendar code ``exchange_calendars`` knows, aliases (``NYSE``) included."""
    return sorted(xcals.get_calendar_names(include_aliases=True))


def get_calendar(name: str, start: pd.Timestamp, end: pd.Timestamp) -> Any:
    """The calendar ``name`` covering ``start``..``end`` (dates), with errors that help."""
    names = calendar_names()
    if name not in names:
        close = difflib.get_close_matches(name.upper(), names, n=3, cutoff=0.5)
        examples = ", ".join(close or ["XNYS", "XNAS", "XLON", "XETR", "XTKS", "CMES"])
        raise InvalidArgumentError(
            f"unknown exchange calendar {name!r}; valid codes include {examples} "
            f"({len(names)} in all, see calendar_names())"
        )
    try:
        with warnings.catch_warnings():
            # exchange_calendars 4.x trips a pandas 3.1 deprecation (Series.values on tz-aware
            # data) inside its own code; it is not ours to fix and would fail strict test runs.
            warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
            return xcals.get_calendar(name, start=start, end=end)
    except Exception as exc:
        raise InvalidArgumentError(
            f"calendar {name!r} cannot cover {start.date()}..{end.date()}: {exc}"
        ) from exc


def _days(ts: IntArray) -> IntArray:
    return np.unique(ts // _NS_PER_DAY) * _NS_PER_DAY


def _runs(mask_idx: IntArray) -> list[tuple[int, int]]:
    """Consecutive runs in sorted integer positions, as (first, last) inclusive."""
    if len(mask_idx) == 0:
        return []
    breaks = np.flatnonzero(np.diff(mask_idx) != 1)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(mask_idx) - 1]))
    return [(int(mask_idx[s]), int(mask_idx[e])) for s, e in zip(starts, ends, strict=True)]


def _date(ns: int) -> str:
    return pd.Timestamp(ns, unit="ns").strftime("%Y-%m-%d")


def _daily_gaps(days: IntArray, sessions: IntArray, name: str, weekly: bool) -> list[Gap]:
    if weekly:
        # Weeks start on Monday; 1970-01-01 was a Thursday, hence the +3 days.
        week = (sessions // _NS_PER_DAY + 3) // 7
        data_weeks = np.unique((days // _NS_PER_DAY + 3) // 7)
        first_of_week = np.unique(week, return_index=True)[1]
        sessions, keys, have = sessions[first_of_week], week[first_of_week], data_weeks
        unit_name = "week"
    else:
        keys, have = sessions, days
        unit_name = "session"
    missing = np.flatnonzero(~np.isin(keys, have))
    gaps = []
    for first, last in _runs(missing):
        count = last - first + 1
        span = _date(int(sessions[first]))
        if last != first:
            span += f"..{_date(int(sessions[last]))}"
        plural = "s" if count > 1 else ""
        end = int(sessions[last]) + (7 if weekly else 1) * _NS_PER_DAY
        gaps.append(
            Gap(
                int(sessions[first]),
                end,
                count,
                f"{span}: {count} {name} {unit_name}{plural} missing",
            )
        )
    return gaps


def _expected_bars(
    opens: IntArray, closes: IntArray, step: int, breaks: tuple[IntArray, IntArray] | None
) -> tuple[IntArray, IntArray]:
    """Every bar start each session allows: open + k*step while < close, minus break times."""
    counts = np.maximum((closes - opens + step - 1) // step, 0)
    session_of = np.repeat(np.arange(len(opens)), counts)
    offsets = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(counts) - counts, counts
    )
    starts = opens[session_of] + offsets * step
    if breaks is not None:
        b_start, b_end = breaks
        bs, be = b_start[session_of], b_end[session_of]
        has = bs > 0
        inside = has & (starts >= bs) & (starts < be)
        starts, session_of = starts[~inside], session_of[~inside]
    return starts, session_of


def _fmt_local(ns: int, tz: str) -> str:
    return pd.Timestamp(ns, unit="ns", tz="UTC").tz_convert(tz).strftime("%Y-%m-%d %H:%M")


def _intraday_gaps(ts: IntArray, spec: BarSpec, cal: Any, name: str, tz: str) -> list[Gap]:
    first_day = pd.Timestamp(int(ts.min()), unit="ns", tz="UTC").tz_convert(cal.tz)
    last_day = pd.Timestamp(int(ts.max()), unit="ns", tz="UTC").tz_convert(cal.tz)
    start = pd.Timestamp(first_day.date()) - pd.Timedelta(days=1)
    end = pd.Timestamp(last_day.date()) + pd.Timedelta(days=1)
    sched = cal.schedule.loc[start:end]
    opens = np.asarray(sched["open"].dt.as_unit("ns").astype("int64"), dtype=np.int64)
    closes = np.asarray(sched["close"].dt.as_unit("ns").astype("int64"), dtype=np.int64)
    # Only sessions from the one holding the first bar to the one holding the last.
    inside = (closes > ts.min()) & (opens <= ts.max())
    if not inside.any():
        return []
    first, last = np.flatnonzero(inside)[[0, -1]]
    opens, closes = opens[first : last + 1], closes[first : last + 1]
    breaks = None
    if getattr(cal, "has_break", False):
        bs = sched["break_start"].iloc[first : last + 1]
        be = sched["break_end"].iloc[first : last + 1]
        breaks = (
            np.asarray(bs.dt.as_unit("ns").astype("int64").fillna(0), dtype=np.int64),
            np.asarray(be.dt.as_unit("ns").astype("int64").fillna(0), dtype=np.int64),
        )
    expected, session_of = _expected_bars(opens, closes, spec.nanos, breaks)
    missing = np.flatnonzero(~np.isin(expected, ts))
    gaps = []
    for a, b in _runs(missing):
        # A run never spans two sessions in the report: split at session boundaries.
        sess = session_of[a : b + 1]
        cuts = np.flatnonzero(np.diff(sess)) + 1
        for lo, hi in zip(
            np.concatenate(([0], cuts)), np.concatenate((cuts, [len(sess)])), strict=True
        ):
            s, e = a + int(lo), a + int(hi) - 1
            count = e - s + 1
            start_ns = int(expected[s])
            end_ns = int(expected[e]) + spec.nanos
            span = _fmt_local(start_ns, tz)
            if count > 1:
                span += f"..{_fmt_local(int(expected[e]), tz)[11:]}"
            desc = (
                f"{span} {tz}: "
                f"{count} {spec} bar{'s' if count > 1 else ''} missing in a {name} session"
            )
            gaps.append(Gap(start_ns, end_ns, count, desc))
    return gaps


def find_gaps(
    ts_event: npt.ArrayLike, spec: BarSpec, calendar: str, *, tz: str | None = None
) -> list[Gap]:
    """Runs of bars that ``calendar`` expects within the data's range but the data lacks.

    Daily (``1d``) and weekly bars: sessions (weeks with a session) between the first and
    last bar with no bar. Intraday: bar starts ``open + k * spec`` inside each session from
    the first bar's to the last bar's, missing from the data; bars outside sessions are not
    counted. ``tz`` only sets how intraday descriptions show times (default: the exchange's).
    """
    spec = BarSpec.parse(spec)
    ts = np.asarray(ts_event, dtype=np.int64)
    if ts.size == 0:
        return []
    lo = pd.Timestamp(int(ts.min()), unit="ns").normalize() - pd.Timedelta(days=7)
    hi = pd.Timestamp(int(ts.max()), unit="ns").normalize() + pd.Timedelta(days=7)
    cal = get_calendar(calendar, lo, hi)
    if spec.is_intraday:
        return _intraday_gaps(ts, spec, cal, calendar, tz or str(cal.tz))
    if spec.step != 1 or spec.unit not in (BarUnit.DAY, BarUnit.WEEK):
        raise NotSupportedError(f"calendar gap checks support intraday, 1d and 1w bars, not {spec}")
    days = _days(ts)
    sessions_idx = cal.sessions_in_range(
        pd.Timestamp(int(days[0]), unit="ns"), pd.Timestamp(int(days[-1]), unit="ns")
    )
    sessions = np.asarray(sessions_idx.as_unit("ns").asi8, dtype=np.int64)
    return _daily_gaps(days, sessions, calendar, weekly=spec.unit == BarUnit.WEEK)
