"""The canonical bar frame: the one table shape that importers, validation, the catalog,
resampling and providers exchange.

A *bar frame* is a ``pandas.DataFrame`` with a default ``RangeIndex`` and these columns, in
this order:

==============  =========  ===============================================================
column          dtype      meaning
==============  =========  ===============================================================
ts_event        int64      bar start, nanoseconds since the epoch, UTC (daily: midnight UTC
                           of the session date)
open .. close   float64    prices
volume          float64    traded volume (float: crypto volumes are fractional)
adj_close       float64    optional: split/dividend adjusted close (Yahoo ``Adj Close``)
open_interest   float64    optional: futures open interest
==============  =========  ===============================================================

No timezone-aware index anywhere in a hot path: a tz-aware ``DatetimeIndex`` costs 50x.
Conversion to timestamps happens only at the edges (display, export).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa

from neural_trader.core.data import BarBatch, BarSpec
from neural_trader.core.errors import InvalidArgumentError

__all__ = [
    "ARROW_BAR_SCHEMA",
    "BAR_COLUMNS",
    "OPTIONAL_COLUMNS",
    "PRICE_COLUMNS",
    "TS",
    "arrow_schema_for",
    "batch_to_frame",
    "empty_bar_frame",
    "frame_to_batch",
    "normalize_bar_frame",
    "ns_to_timestamps",
]

TS: Final = "ts_event"
PRICE_COLUMNS: Final = ("open", "high", "low", "close")
BAR_COLUMNS: Final = (TS, "open", "high", "low", "close", "volume")
OPTIONAL_COLUMNS: Final = ("adj_close", "open_interest")

ARROW_BAR_SCHEMA: Final = pa.schema(
    [pa.field(TS, pa.int64(), nullable=False)]
    + [pa.field(c, pa.float64()) for c in BAR_COLUMNS[1:]]
)


def arrow_schema_for(columns: list[str] | tuple[str, ...]) -> pa.Schema:
    """The Arrow schema of a bar frame holding ``columns`` (required plus any optional)."""
    fields = [pa.field(TS, pa.int64(), nullable=False)]
    fields += [pa.field(c, pa.float64()) for c in columns if c != TS]
    return pa.schema(fields)


def empty_bar_frame(extra: tuple[str, ...] = ()) -> pd.DataFrame:
    cols: dict[str, np.ndarray] = {TS: np.empty(0, dtype=np.int64)}
    for c in (*BAR_COLUMNS[1:], *extra):
        cols[c] = np.empty(0, dtype=np.float64)
    return pd.DataFrame(cols)


def normalize_bar_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` in canonical column order and dtypes (copying only what must change).

    Unknown columns are refused rather than dropped, so nothing disappears silently.
    """
    missing = [c for c in BAR_COLUMNS if c not in df.columns]
    if missing:
        raise InvalidArgumentError(f"bar frame is missing columns: {', '.join(missing)}")
    unknown = [c for c in df.columns if c not in BAR_COLUMNS and c not in OPTIONAL_COLUMNS]
    if unknown:
        raise InvalidArgumentError(
            f"bar frame has columns the catalog does not know: {', '.join(map(str, unknown))}"
        )
    order = list(BAR_COLUMNS) + [c for c in OPTIONAL_COLUMNS if c in df.columns]
    out = df.loc[:, order]
    if out[TS].dtype != np.int64:
        out = out.assign(**{TS: out[TS].astype(np.int64)})
    casts = {c: np.float64 for c in order[1:] if out[c].dtype != np.float64}
    if casts:
        out = out.astype(casts)
    if not isinstance(out.index, pd.RangeIndex) or out.index.start != 0:
        out = out.reset_index(drop=True)
    return out


def frame_to_batch(df: pd.DataFrame, symbol: str, spec: BarSpec | str) -> BarBatch:
    df = normalize_bar_frame(df)
    return BarBatch.from_columns(symbol, spec, {c: df[c].to_numpy() for c in df.columns})


def batch_to_frame(batch: BarBatch) -> pd.DataFrame:
    return pd.DataFrame(batch.columns())


def ns_to_timestamps(ts: np.ndarray, tz: str | None = "UTC") -> pd.DatetimeIndex:
    """int64 ns UTC to a ``DatetimeIndex`` for display only (never in a hot path)."""
    idx = pd.DatetimeIndex(np.asarray(ts, dtype="datetime64[ns]"), tz="UTC")
    return idx if tz in (None, "UTC") else idx.tz_convert(tz)
