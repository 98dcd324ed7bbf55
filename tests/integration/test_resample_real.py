"""Resampling real 1-minute futures bars (../shared/data) against a plain-Python groupby.

The file's header names 7 columns but every row has 8 (date and time are separate fields), with
CRLF line endings; it is parsed here with pandas directly so this test does not depend on the
importer. Times are exchange-local (Europe/Berlin).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from neural_trader.data.resample import resample_bars

pytestmark = pytest.mark.shared_data

NAMES = ["date", "time", "open", "high", "low", "close", "volume", "open_interest"]
TZ = "Europe/Berlin"


@pytest.fixture(scope="module")
def minute_frame(shared_data: Path) -> pd.DataFrame:
    raw = pd.read_csv(
        shared_data / "2006-01-02-volume-min-001.txt", header=None, skiprows=1, names=NAMES
    )
    local = pd.to_datetime(raw["date"] + " " + raw["time"], format="%Y-%m-%d %H:%M:%S")
    ts = local.dt.tz_localize(TZ).dt.tz_convert("UTC").dt.as_unit("ns").astype("int64")
    frame = pd.DataFrame({"ts_event": ts.to_numpy()})
    for c in NAMES[2:]:
        frame[c] = raw[c].to_numpy(dtype=np.float64)
    return frame


def python_reference(frame: pd.DataFrame, step_minutes: int | None) -> dict[int, dict[str, float]]:
    """Bucket every bar by its Berlin wall time with zoneinfo, then aggregate in a loop."""
    zone = ZoneInfo(TZ)
    out: dict[int, dict[str, float]] = {}
    rows = frame.to_dict("records")
    for row in rows:
        utc = datetime.fromtimestamp(int(row["ts_event"]) // 10**9, tz=UTC)
        local = utc.astimezone(zone)
        if step_minutes is None:
            label = int(datetime(local.year, local.month, local.day, tzinfo=UTC).timestamp())
        else:
            minute = (local.hour * 60 + local.minute) // step_minutes * step_minutes
            start = local.replace(hour=minute // 60, minute=minute % 60, second=0)
            label = int(start.timestamp())
        key = label * 10**9
        agg = out.get(key)
        if agg is None:
            out[key] = {
                "open": row["open"],
                "high": row["high"],
                "low": row["low"],
                "close": row["close"],
                "volume": row["volume"],
                "open_interest": row["open_interest"],
                "n": 1,
            }
        else:
            agg["high"] = max(agg["high"], row["high"])
            agg["low"] = min(agg["low"], row["low"])
            agg["close"] = row["close"]
            agg["volume"] += row["volume"]
            agg["open_interest"] = row["open_interest"]
            agg["n"] += 1
    return out


@pytest.mark.parametrize(("target", "step"), [("5m", 5), ("1h", 60), ("1d", None)])
def test_resample_real_minute_bars_every_aggregate_matches_reference(
    minute_frame: pd.DataFrame, target: str, step: int | None
) -> None:
    got = resample_bars(minute_frame, "1m", target, tz=TZ)
    want = python_reference(minute_frame, step)
    assert got.ts_event.tolist() == sorted(want)
    for row in got.itertuples(index=False):
        ref = want[row.ts_event]
        for c in ("open", "high", "low", "close", "volume", "open_interest"):
            assert getattr(row, c) == ref[c], (target, row.ts_event, c)
    assert got.volume.sum() == minute_frame.volume.sum()
    assert sum(int(r["n"]) for r in want.values()) == len(minute_frame)


def test_resample_real_daily_bars_are_trading_dates_at_midnight_utc(
    minute_frame: pd.DataFrame,
) -> None:
    got = resample_bars(minute_frame, "1m", "1d", tz=TZ)
    raw_dates = pd.to_datetime(
        pd.Series(minute_frame.ts_event.to_numpy().view("M8[ns]"))
        .dt.tz_localize("UTC")
        .dt.tz_convert(TZ)
        .dt.date.unique()
    )
    assert len(got) == 41
    assert got.ts_event.tolist() == [int(d.value) for d in raw_dates]
    assert bool((got.ts_event % 86_400_000_000_000 == 0).all())
