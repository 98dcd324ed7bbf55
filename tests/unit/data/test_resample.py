"""resample_bars: aggregation against a plain-Python reference, DST, calendars, validation."""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.data.resample import resample_bars

MIN = 60_000_000_000
DAY = 86_400_000_000_000


def ns(text: str, tz: str = "UTC") -> int:
    ts = pd.Timestamp(text)
    ts = ts.tz_localize(tz) if ts.tzinfo is None else ts
    return int(ts.tz_convert("UTC").as_unit("ns").value)


def minute_bars(ts: np.ndarray, seed: int = 0, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(ts)
    o = rng.uniform(90, 110, n).round(2)
    c = rng.uniform(90, 110, n).round(2)
    out = {
        "ts_event": np.asarray(ts, dtype=np.int64),
        "open": o,
        "high": np.maximum(o, c) + rng.uniform(0, 1, n).round(2),
        "low": np.minimum(o, c) - rng.uniform(0, 1, n).round(2),
        "close": c,
        "volume": rng.integers(0, 500, n).astype(np.float64),
    }
    for name in extra:
        out[name] = rng.uniform(0, 1, n)
    return pd.DataFrame(out)


def session_range(day: str, start: str, stop: str, tz: str) -> np.ndarray:
    return np.arange(ns(f"{day} {start}", tz), ns(f"{day} {stop}", tz), MIN, dtype=np.int64)


def reference(frame: pd.DataFrame, step_min: int | None, tz: str) -> pd.DataFrame:
    """Independent bucketing: zoneinfo per bar, dict grouping, Python aggregation."""
    zone = ZoneInfo(tz)
    groups: OrderedDict[int, list[int]] = OrderedDict()
    for i, t in enumerate(frame.ts_event.tolist()):
        utc = datetime.fromtimestamp(t // 10**9, tz=UTC).replace(microsecond=0)
        local = utc.astimezone(zone)
        offset_ns = int(local.utcoffset().total_seconds()) * 10**9  # type: ignore[union-attr]
        midnight = datetime(local.year, local.month, local.day, tzinfo=UTC)
        midnight_ns = int(midnight.timestamp()) * 10**9
        if step_min is None:
            key = midnight_ns
        else:
            minute_of_day = local.hour * 60 + local.minute
            key = midnight_ns + (minute_of_day // step_min) * step_min * MIN - offset_ns
        groups.setdefault(key, []).append(i)
    rows = []
    for key, idx in groups.items():
        part = frame.iloc[idx]
        row = {
            "ts_event": key,
            "open": part.open.iloc[0],
            "high": max(part.high),
            "low": min(part.low),
            "close": part.close.iloc[-1],
            "volume": sum(part.volume),
        }
        for c in ("adj_close", "open_interest"):
            if c in frame:
                row[c] = part[c].iloc[-1]
        rows.append(row)
    return pd.DataFrame(rows, columns=frame.columns)


# Starting points right before DST changes, where bucketing is easiest to get wrong.
ANCHORS = [
    ns("2021-03-27 22:00"),  # Berlin springs forward 2021-03-28 01:00 UTC
    ns("2021-10-30 22:00"),  # Berlin falls back 2021-10-31 01:00 UTC
    ns("2021-03-14 04:00"),  # New York springs forward 07:00 UTC
    ns("2021-11-07 03:00"),  # New York falls back 06:00 UTC
    ns("2020-02-28 23:30"),  # leap day
]


@st.composite
def minute_series(draw: st.DrawFn) -> pd.DataFrame:
    start = draw(st.sampled_from(ANCHORS)) + draw(st.integers(0, 600)) * MIN
    gaps = draw(
        st.lists(
            st.one_of(st.just(1), st.integers(1, 7), st.integers(1, 400)),
            min_size=1,
            max_size=400,
        )
    )
    ts = start + np.cumsum(np.array(gaps, dtype=np.int64)) * MIN
    extra = draw(st.sampled_from([(), ("adj_close",), ("adj_close", "open_interest")]))
    return minute_bars(ts, seed=draw(st.integers(0, 1000)), extra=extra)


@settings(max_examples=60, deadline=None)
@given(
    frame=minute_series(),
    tz=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]),
    target=st.sampled_from(["5m", "15m", "1h", "90m", "1d"]),
)
def test_resample_bars_matches_python_reference(frame: pd.DataFrame, tz: str, target: str) -> None:
    step = None if target == "1d" else {"5m": 5, "15m": 15, "1h": 60, "90m": 90}[target]
    got = resample_bars(frame, "1m", target, tz=tz)
    want = reference(frame, step, tz)
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)
    assert len(got) == len(want)
    assert got.volume.sum() == pytest.approx(frame.volume.sum())
    assert bool((np.diff(got.ts_event.to_numpy()) > 0).all())
    assert bool((got.high >= np.maximum(got.open, got.close)).all())
    assert bool((got.low <= np.minimum(got.open, got.close)).all())


def test_resample_bars_berlin_fall_back_gives_two_bars_for_the_repeated_hour() -> None:
    ts = np.arange(ns("2021-10-30 23:00"), ns("2021-10-31 03:00"), MIN, dtype=np.int64)
    got = resample_bars(minute_bars(ts), "1m", "1h", tz="Europe/Berlin")
    # local 01:00 CEST, 02:00 CEST, 02:00 CET, 03:00 CET
    assert got.ts_event.tolist() == [
        ns("2021-10-30 23:00"),
        ns("2021-10-31 00:00"),
        ns("2021-10-31 01:00"),
        ns("2021-10-31 02:00"),
    ]
    assert got.volume.sum() == minute_bars(ts).volume.sum()


@pytest.mark.parametrize(
    ("day", "hours"), [("2021-03-28", 23), ("2021-10-31", 25), ("2021-06-01", 24)]
)
def test_resample_bars_berlin_daily_bar_holds_the_whole_local_day(day: str, hours: int) -> None:
    tz = "Europe/Berlin"
    ts = np.arange(ns(f"{day} 00:00", tz) - 60 * MIN, ns(f"{day} 00:00", tz) + DAY + DAY, MIN)
    frame = minute_bars(ts)
    got = resample_bars(frame, "1m", "1d", tz=tz)
    label = ns(f"{day} 00:00")  # midnight UTC of the session date
    row = got[got.ts_event == label]
    in_day = frame[
        (frame.ts_event >= ns(f"{day} 00:00", tz))
        & (frame.ts_event < ns(f"{day} 00:00", tz) + hours * 60 * MIN)
    ]
    assert len(in_day) == hours * 60
    assert row.volume.item() == in_day.volume.sum()
    assert row.open.item() == in_day.open.iloc[0]
    assert row.close.item() == in_day.close.iloc[-1]


def test_resample_bars_new_york_spring_forward_hourly_labels_follow_local_hours() -> None:
    tz = "America/New_York"
    ts = np.arange(ns("2021-03-14 00:00", tz), ns("2021-03-14 05:00", tz), MIN, dtype=np.int64)
    got = resample_bars(minute_bars(ts), "1m", "1h", tz=tz)
    local = pd.DatetimeIndex(got.ts_event.to_numpy().view("M8[ns]"), tz="UTC").tz_convert(tz)
    assert [t.hour for t in local] == [0, 1, 3, 4]  # 02:00 does not exist that night


def test_resample_bars_xnys_hourly_anchored_at_open_and_cut_at_close() -> None:
    tz = "America/New_York"
    regular = session_range("2021-11-24", "09:30", "16:00", tz)
    early = session_range("2021-11-26", "09:30", "13:00", tz)  # day after Thanksgiving
    frame = minute_bars(np.concatenate([regular, early]))
    got = resample_bars(frame, "1m", "1h", calendar="XNYS")
    local = pd.DatetimeIndex(got.ts_event.to_numpy().view("M8[ns]"), tz="UTC").tz_convert(tz)
    assert [t.strftime("%d %H:%M") for t in local] == [
        "24 09:30", "24 10:30", "24 11:30", "24 12:30", "24 13:30", "24 14:30", "24 15:30",
        "26 09:30", "26 10:30", "26 11:30", "26 12:30",
    ]  # fmt: skip
    last_of_day = got[local.day == 24].iloc[-1]
    assert last_of_day.volume == frame.volume.to_numpy()[360:390].sum()  # 15:30-16:00 only
    assert got.volume.sum() == frame.volume.sum()


def test_resample_bars_xnys_daily_labels_session_date_midnight_utc() -> None:
    tz = "America/New_York"
    frame = minute_bars(
        np.concatenate(
            [session_range(d, "09:30", "16:00", tz) for d in ("2021-11-23", "2021-11-24")]
        )
    )
    got = resample_bars(frame, "1m", "1d", calendar="XNYS")
    assert got.ts_event.tolist() == [ns("2021-11-23"), ns("2021-11-24")]
    assert got.volume.tolist() == [frame.volume[:390].sum(), frame.volume[390:].sum()]


def test_resample_bars_xhkg_lunch_break_restarts_buckets() -> None:
    tz = "Asia/Hong_Kong"
    ts = np.concatenate(
        [
            session_range("2021-06-01", "09:30", "12:00", tz),
            session_range("2021-06-01", "13:00", "16:00", tz),
        ]
    )
    got = resample_bars(minute_bars(ts), "1m", "1h", calendar="XHKG")
    local = pd.DatetimeIndex(got.ts_event.to_numpy().view("M8[ns]"), tz="UTC").tz_convert(tz)
    assert [t.strftime("%H:%M") for t in local] == [
        "09:30",
        "10:30",
        "11:30",
        "13:00",
        "14:00",
        "15:00",
    ]


def test_resample_bars_calendar_refuses_bars_outside_sessions() -> None:
    tz = "America/New_York"
    frame = minute_bars(session_range("2021-11-24", "08:00", "16:00", tz))
    with pytest.raises(InvalidArgumentError, match="90 bars fall outside XNYS sessions"):
        resample_bars(frame, "1m", "5m", calendar="XNYS")


def test_resample_bars_unknown_calendar_raises() -> None:
    frame = minute_bars(np.arange(3, dtype=np.int64) * MIN + ns("2021-01-04 15:00"))
    with pytest.raises(InvalidArgumentError, match="NOPE"):
        resample_bars(frame, "1m", "5m", calendar="NOPE")


def daily(dates: list[str]) -> pd.DataFrame:
    return minute_bars(np.array([ns(d) for d in dates], dtype=np.int64), seed=3)


def test_resample_bars_weekly_groups_iso_weeks_and_labels_first_session() -> None:
    dates = ["2021-01-13", "2021-01-14", "2021-01-15", "2021-01-19", "2021-01-20", "2021-01-25"]
    frame = daily(dates)
    got = resample_bars(frame, "1d", "1w")
    assert got.ts_event.tolist() == [ns("2021-01-13"), ns("2021-01-19"), ns("2021-01-25")]
    assert got.volume.tolist() == [frame.volume[:3].sum(), frame.volume[3:5].sum(), frame.volume[5]]
    assert got.open.tolist() == frame.open[[0, 3, 5]].tolist()
    assert got.close.tolist() == frame.close[[2, 4, 5]].tolist()
    # with a calendar the label is the calendar's first session of the week, even for a
    # partial first week (data starts Wednesday); MLK day 2021-01-18 is a holiday
    cal = resample_bars(frame, "1d", "1w", calendar="XNYS")
    assert cal.ts_event.tolist() == [ns("2021-01-11"), ns("2021-01-19"), ns("2021-01-25")]


def test_resample_bars_weekly_from_intraday_equals_weekly_from_daily() -> None:
    tz = "America/New_York"
    ts = np.concatenate(
        [
            session_range(d, "09:30", "16:00", tz)
            for d in pd.bdate_range("2021-03-01", "2021-03-19").strftime("%Y-%m-%d")
        ]
    )
    frame = minute_bars(ts)
    direct = resample_bars(frame, "1m", "1w", tz=tz)
    via_daily = resample_bars(resample_bars(frame, "1m", "1d", tz=tz), "1d", "1w")
    pd.testing.assert_frame_equal(direct, via_daily)
    assert len(direct) == 3


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("5m", "7m"),
        ("5m", "1m"),
        ("1d", "1h"),
        ("1m", "2d"),
        ("1w", "1d"),
        ("1m", "2w"),
        ("1h", "25h"),
    ],
)
def test_resample_bars_target_not_whole_multiple_raises(source: str, target: str) -> None:
    frame = minute_bars(np.arange(3, dtype=np.int64) * DAY)
    with pytest.raises(InvalidArgumentError, match=f"cannot resample {source} to {target}"):
        resample_bars(frame, source, target)


def test_resample_bars_unsorted_input_raises() -> None:
    frame = minute_bars(np.array([2, 1, 3], dtype=np.int64) * MIN)
    with pytest.raises(InvalidArgumentError, match="strictly increasing"):
        resample_bars(frame, "1m", "5m")


def test_resample_bars_empty_and_identity_return_copies() -> None:
    empty = minute_bars(np.empty(0, dtype=np.int64))
    assert len(resample_bars(empty, "1m", "5m")) == 0
    frame = minute_bars(np.arange(10, dtype=np.int64) * MIN)
    same = resample_bars(frame, "1m", "1m")
    pd.testing.assert_frame_equal(same, frame)
    assert same is not frame


def test_resample_bars_last_rule_for_adj_close_and_open_interest() -> None:
    frame = minute_bars(np.arange(10, dtype=np.int64) * MIN, extra=("adj_close", "open_interest"))
    got = resample_bars(frame, "1m", "5m")
    assert got.adj_close.tolist() == frame.adj_close[[4, 9]].tolist()
    assert got.open_interest.tolist() == frame.open_interest[[4, 9]].tolist()
    assert list(got.columns) == list(frame.columns)
