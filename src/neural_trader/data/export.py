"""Bar frames back to CSV, in a layout :func:`~neural_trader.data.importers.read_bars_file`
reads to the same values.

Round-trip is the design rule: floats are written with Python's shortest exact repr (what
pandas does by default), volumes that are whole numbers as integers, and timestamps so they
parse back to the same ns. Daily data (all midnights) is written as dates, which the
importer reads as session labels. Intraday data in the ``yahoo`` layout is ``Datetime`` with
a UTC offset (unambiguous in every zone); in the ``datetime`` layout it is wall-clock
``Date,Time`` in ``tz``, refused when a wall-clock time would be ambiguous (a DST fall-back
hour), since that file could not be read back to the same instants.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.data.schema import TS, normalize_bar_frame

__all__ = ["write_bars_csv"]

_NS_PER_DAY: Final = 86_400 * 1_000_000_000
_HEADERS: Final = {
    "open": "Open",
    "high": "High",
    "low": "Low",
    "close": "Close",
    "adj_close": "Adj Close",
    "volume": "Volume",
    "open_interest": "OpenInterest",
}


def _whole(values: npt.NDArray[np.float64]) -> bool:
    finite = np.isfinite(values)
    return (
        bool(finite.all())
        and bool((values == np.round(values)).all())
        and bool((np.abs(values) < 2**53).all())
    )


def _unit(ts: npt.NDArray[np.int64]) -> Literal["s", "us", "ns"]:
    if not (ts % 1_000_000_000).any():
        return "s"
    if not (ts % 1_000).any():
        return "us"
    return "ns"


def _local_wall_clock(ts: npt.NDArray[np.int64], tz: str) -> npt.NDArray[Any]:
    idx = pd.DatetimeIndex(ts.view("datetime64[ns]"), tz="UTC")
    if tz == "UTC":
        return ts.view("datetime64[ns]")
    try:
        local = idx.tz_convert(tz).tz_localize(None)
    except Exception as exc:
        raise InvalidArgumentError(f"unknown time zone {tz!r}") from exc
    back = local.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    same = np.asarray(back.as_unit("ns").asi8 == ts) & ~np.asarray(back.isna())
    if not same.all():
        first = idx[int(np.flatnonzero(~same)[0])]
        raise InvalidArgumentError(
            f"bar {first} falls in a DST fall-back hour of {tz}: its wall-clock time would be "
            "ambiguous in a Date,Time file; write with tz='UTC' or layout='yahoo'"
        )
    return np.asarray(local.as_unit("ns").to_numpy(), dtype="datetime64[ns]")


def write_bars_csv(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    layout: Literal["yahoo", "datetime"] = "yahoo",
    tz: str = "UTC",
) -> None:
    """Write ``frame`` (a canonical bar frame) as CSV.

    ``yahoo``: ``Date,Open,High,Low,Close[,Adj Close],Volume[,OpenInterest]`` for daily data,
    ``Datetime,...`` with offsets in ``tz`` for intraday. ``datetime``:
    ``Date,Time,Open,High,Low,Close[,Adj Close],Volume[,OpenInterest]`` with wall-clock time in
    ``tz`` (read it back with the same ``tz``). Daily dates are never shifted by ``tz``.
    """
    if layout not in ("yahoo", "datetime"):
        raise InvalidArgumentError(f"layout must be 'yahoo' or 'datetime', not {layout!r}")
    df = normalize_bar_frame(frame)
    ts = df[TS].to_numpy(dtype=np.int64)
    daily = not (ts % _NS_PER_DAY).any()
    out: dict[str, object] = {}
    if daily:
        dates = np.datetime_as_string(ts.view("datetime64[ns]"), unit="D")
        out["Date"] = dates
        if layout == "datetime":
            out["Time"] = np.full(len(ts), "00:00:00")
    elif layout == "yahoo":
        idx = pd.DatetimeIndex(ts.view("datetime64[ns]"), tz="UTC")
        try:
            local = idx.tz_convert(tz)
        except Exception as exc:
            raise InvalidArgumentError(f"unknown time zone {tz!r}") from exc
        unit = _unit(ts)
        fmt = "%Y-%m-%d %H:%M:%S" + (".%f" if unit != "s" else "") + "%z"
        text = pd.Series(local.strftime(fmt))
        if unit == "ns":
            raise InvalidArgumentError(
                "timestamps with nanosecond detail cannot be written in the yahoo layout; "
                "use layout='datetime'"
            )
        out["Datetime"] = text.str.replace(r"([+-]\d{2})(\d{2})$", r"\1:\2", regex=True)
    else:
        wall = _local_wall_clock(ts, tz)
        stamps = np.datetime_as_string(wall, unit=_unit(ts))
        out["Date"] = stamps.astype("<U10")
        out["Time"] = np.strings.slice(stamps, 11, None)
    order = [c for c in ("open", "high", "low", "close", "adj_close") if c in df.columns]
    order += [c for c in ("volume", "open_interest") if c in df.columns]
    for col in order:
        values = df[col].to_numpy(dtype=np.float64)
        if col in ("volume", "open_interest") and _whole(values):
            out[_HEADERS[col]] = values.astype(np.int64)
        else:
            out[_HEADERS[col]] = values
    pd.DataFrame(out).to_csv(Path(path), index=False, lineterminator="\n", na_rep="")
