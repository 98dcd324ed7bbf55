"""Generic Parquet bar files: the same column naming rules as CSV, typed timestamps honoured.

Parquet carries types, so less is guessed than in CSV: a tz-aware timestamp column is an
instant, a ``date`` column is a session label, integers are epoch values (unit by magnitude).
Naive timestamps are wall-clock time in ``tz``, as in CSV. Row numbers are 1-based row
positions (a Parquet file has no lines).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from neural_trader.core.data import BarSpec
from neural_trader.core.errors import DataFormatError
from neural_trader.data.importers.common import (
    NS_PER_DAY,
    BadRowPolicy,
    BarLabel,
    Parsed,
    RawImport,
    assemble,
    coerce_numeric,
    combine_date_time,
    localize,
    parse_timestamps,
    unparseable_timestamps,
)
from neural_trader.data.importers.layouts import detect_layout
from neural_trader.data.validation import Issue

__all__ = ["read_parquet_bars"]

IntArray = npt.NDArray[np.int64]
_UNIT = "row"


def _typed_timestamps(col: pa.ChunkedArray, name: str, tz: str, rows: IntArray) -> Parsed | None:
    """Timestamps from Arrow ``timestamp``/``date`` types; ``None`` for other types."""
    typ = col.type
    if pa.types.is_date(typ):
        series = col.to_pandas()
        idx = pd.DatetimeIndex(pd.to_datetime(series))
        bad = np.asarray(idx.isna(), dtype=np.bool_)
        ns = np.where(bad, 0, idx.as_unit("ns").asi8).astype(np.int64)
        return Parsed(ns, bad, True, [f"{name}: dates label sessions (midnight UTC)"])
    if not pa.types.is_timestamp(typ):
        return None
    idx = pd.DatetimeIndex(col.to_pandas())
    bad = np.asarray(idx.isna(), dtype=np.bool_)
    if idx.tz is not None:
        wall = idx.tz_localize(None).as_unit("ns").asi8
        if not bad.all() and not (wall[~bad] % NS_PER_DAY).any():
            ns = np.where(bad, 0, wall).astype(np.int64)
            note = f"{name}: local midnights ({idx.tz}) read as session dates (midnight UTC)"
            return Parsed(ns, bad, True, [note])
        utc = idx.tz_convert("UTC").as_unit("ns").asi8
        ns = np.where(bad, 0, utc).astype(np.int64)
        return Parsed(ns, bad, False, [f"{name}: tz-aware ({idx.tz}) converted to UTC"])
    naive = np.where(bad, 0, idx.as_unit("ns").asi8).astype(np.int64)
    if not bad.all() and not (naive[~bad] % NS_PER_DAY).any():
        return Parsed(naive, bad, True, [f"{name}: every timestamp is midnight, read as dates"])
    if tz == "UTC":
        return Parsed(naive, bad, False, [f"{name}: naive timestamps read as UTC"])
    ns = localize(naive, bad, tz, rows, name, _UNIT)
    return Parsed(ns, bad, False, [f"{name}: timestamps read as {tz} and converted to UTC"])


def _as_text(col: pa.ChunkedArray) -> pd.Series:
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        col = pc.cast(col, pa.string())
    series: pd.Series = col.to_pandas()
    return series


def read_parquet_bars(
    path: Path,
    *,
    layout: str,
    tz: str,
    column_map: dict[str, str] | None,
    date_format: str | None,
    bar_label: BarLabel,
    spec: BarSpec | str | None,
    on_bad_rows: BadRowPolicy,
) -> RawImport:
    """Read a Parquet file into a :class:`RawImport` (see :func:`..pipeline.read_bars_file`)."""
    source = path.name
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataFormatError(f"{source} cannot be read as Parquet: {exc}") from exc
    if table.num_rows == 0:
        raise DataFormatError(f"{source} has no rows: nothing to import")
    lay = detect_layout(table.column_names, layout, column_map)
    notes = ["layout parquet"]
    if lay.ignored:
        notes.append(f"columns not read (not in column_map): {', '.join(lay.ignored)}")
    rows = np.arange(1, table.num_rows + 1, dtype=np.int64)
    issues: list[Issue] = []
    ts_column = lay.ts_column if lay.time_column is None else None
    ts_column = ts_column or (lay.date_column if lay.time_column is None else None)
    if ts_column is not None:
        col = table.column(ts_column)
        typed = _typed_timestamps(col, ts_column, tz, rows)
        if typed is not None:
            parsed = typed
        else:
            series = col.to_pandas()
            parsed = parse_timestamps(
                series,
                column=ts_column,
                tz=tz,
                date_format=date_format,
                row_numbers=rows,
                unit=_UNIT,
            )
            issues += unparseable_timestamps(parsed, series, ts_column, rows, _UNIT)
    else:
        assert lay.date_column is not None
        assert lay.time_column is not None
        dates = _as_text(table.column(lay.date_column))
        times = _as_text(table.column(lay.time_column))
        parsed = combine_date_time(
            dates,
            times,
            date_column=lay.date_column,
            time_column=lay.time_column,
            tz=tz,
            date_format=date_format,
            row_numbers=rows,
            unit=_UNIT,
        )
        if parsed.bad.any():
            both = dates.astype("str") + " " + times.astype("str")
            label = f"{lay.date_column}+{lay.time_column}"
            issues += unparseable_timestamps(parsed, both, label, rows, _UNIT)
    notes += parsed.notes
    values: dict[str, npt.NDArray[np.float64]] = {}
    for ours, theirs in lay.columns.items():
        values[ours], found = coerce_numeric(table.column(theirs).to_pandas(), ours, rows, _UNIT)
        issues += found
    return assemble(
        ts=parsed,
        columns=values,
        row_numbers=rows,
        issues=issues,
        layout="parquet",
        notes=notes,
        spec=spec,
        bar_label=bar_label,
        on_bad_rows=on_bad_rows,
        source=source,
    )
