"""Market-data services: import, validate, list, show, fetch, resample, export.

Every front (CLI, MCP, REST) calls these functions and only formats what they return, so the
behaviour of ``neural-trader data import`` and of an agent's ``import_data`` tool cannot drift
apart. Inputs are plain values; outputs are pydantic models that serialise to JSON as they are.
The models that light fronts return as they are live in :mod:`neural_trader.services.data_views`
(no pandas) and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel

from neural_trader.core.data import BarSpec
from neural_trader.core.errors import CatalogError, DataValidationError, InvalidArgumentError
from neural_trader.data.catalog import Catalog
from neural_trader.data.schema import TS
from neural_trader.data.timebounds import to_ns
from neural_trader.services.data_views import (
    BarsView,
    DataEntry,
    ImportSummary,
    IssueCount,
    ReportSummary,
)
from neural_trader.services.formatting import ns_to_label

__all__ = [
    "BarsView",
    "DataEntry",
    "ExportSummary",
    "FetchSummary",
    "ImportSummary",
    "IssueCount",
    "QueryResult",
    "ReportSummary",
    "ResampleSummary",
    "ValidationSummary",
    "delete_data",
    "export_data",
    "fetch_data",
    "import_file",
    "list_data",
    "open_catalog",
    "query_data",
    "resample_data",
    "show_data",
    "validate_file",
]

WriteMode = Literal["append", "overwrite", "upsert"]
Layout = Literal["auto", "yahoo", "datetime", "generic"]


class ValidationSummary(BaseModel):
    path: str
    layout: str
    spec: str
    rows: int
    first: str | None
    last: str | None
    notes: list[str]
    validation: ReportSummary


class FetchSummary(BaseModel):
    symbol: str
    spec: str
    provider: str
    requested_start: str
    requested_end: str
    fetched_ranges: list[list[str]]
    rows_fetched: int
    rows_total: int
    from_cache: bool
    validation: ReportSummary | None


class ResampleSummary(BaseModel):
    symbol: str
    source: str
    target: str
    rows_in: int
    rows_out: int
    first: str | None
    last: str | None
    mode: str


class ExportSummary(BaseModel):
    symbol: str
    spec: str
    path: str
    rows: int
    layout: str


def open_catalog(catalog: Catalog | str | Path | None = None) -> Catalog:
    """The catalog to use: an instance, a folder, or the one under ``NT_HOME``."""
    if isinstance(catalog, Catalog):
        return catalog
    if catalog is not None:
        return Catalog(Path(catalog))
    return Catalog.from_settings()


def _span(frame: pd.DataFrame, spec: BarSpec) -> tuple[str | None, str | None]:
    if frame.empty:
        return None, None
    ts = frame[TS].to_numpy()
    daily = not spec.is_intraday
    return ns_to_label(int(ts[0]), daily=daily), ns_to_label(int(ts[-1]), daily=daily)


def import_file(
    path: str | Path,
    symbol: str,
    *,
    spec: str | None = None,
    layout: Layout = "auto",
    tz: str = "UTC",
    column_map: Mapping[str, str] | None = None,
    date_format: str | None = None,
    bar_label: Literal["open", "close"] = "open",
    repair: bool = False,
    calendar: str | None = None,
    mode: WriteMode = "append",
    catalog: Catalog | str | Path | None = None,
) -> ImportSummary:
    """Read, validate (reject or repair) and store a bar file; nothing is written on failure."""
    from neural_trader.data.importers import import_bars

    symbol = _check_symbol(symbol)
    result = import_bars(
        path,
        layout=layout,
        tz=tz,
        column_map=column_map,
        date_format=date_format,
        bar_label=bar_label,
        spec=spec,
        repair=repair,
        calendar=calendar,
    )
    cat = open_catalog(catalog)
    written = cat.write_bars(symbol, result.spec, result.frame, mode=mode)
    first, last = _span(result.frame, result.spec)
    return ImportSummary(
        symbol=symbol,
        spec=str(result.spec),
        path=str(path),
        layout=result.layout,
        mode=mode,
        rows_read=result.report.rows_checked,
        rows_written=written.rows_written,
        rows_total=written.rows_total,
        first=first,
        last=last,
        notes=list(result.notes),
        validation=ReportSummary.from_report(result.report),
    )


def validate_file(
    path: str | Path,
    *,
    spec: str | None = None,
    layout: Layout = "auto",
    tz: str = "UTC",
    column_map: Mapping[str, str] | None = None,
    date_format: str | None = None,
    bar_label: Literal["open", "close"] = "open",
    calendar: str | None = None,
) -> ValidationSummary:
    """Check a file without storing it; every problem is reported, none raised."""
    from neural_trader.data.importers import read_bars_file
    from neural_trader.data.validation import ValidationReport, validate_bars

    raw = read_bars_file(
        path,
        layout=layout,
        tz=tz,
        column_map=column_map,
        date_format=date_format,
        bar_label=bar_label,
        spec=spec,
        on_bad_rows="collect",
    )
    bar_spec = BarSpec.parse(spec) if spec else raw.spec_guess
    found = validate_bars(raw.frame, row_numbers=raw.row_numbers, spec=bar_spec, calendar=calendar)
    issues = sorted([*raw.issues, *found.issues], key=lambda i: i.row if i.row is not None else -1)
    report = ValidationReport(rows_checked=raw.rows_read, issues=issues)
    first, last = _span(raw.frame, bar_spec or BarSpec.parse("1d"))
    return ValidationSummary(
        path=str(path),
        layout=raw.layout,
        spec=str(bar_spec) if bar_spec else "unknown",
        rows=len(raw.frame),
        first=first,
        last=last,
        notes=list(raw.notes),
        validation=ReportSummary.from_report(report),
    )


def list_data(catalog: Catalog | str | Path | None = None) -> list[DataEntry]:
    return [DataEntry.from_entry(e) for e in open_catalog(catalog).entries()]


def _resolve_spec(cat: Catalog, symbol: str, spec: str | None) -> BarSpec:
    """The spec asked for, or the only (else the finest) spec held for the symbol."""
    if spec is not None:
        return BarSpec.parse(spec)
    specs = cat.specs(symbol)  # raises UnknownSymbolError for unknown symbols
    if not specs:
        raise CatalogError(f"no bars stored for '{symbol}'")
    return min(specs, key=lambda s: s.nanos)


def show_data(
    symbol: str,
    *,
    spec: str | None = None,
    start: str | int | None = None,
    end: str | int | None = None,
    limit: int = 20,
    tail: bool = True,
    adjusted: bool = False,
    tz: str = "UTC",
    catalog: Catalog | str | Path | None = None,
) -> BarsView:
    """Bars of one symbol in a date range: the last (or first) ``limit`` rows plus range stats."""
    if limit < 0:
        raise InvalidArgumentError("limit must be >= 0")
    cat = open_catalog(catalog)
    bar_spec = _resolve_spec(cat, symbol, spec)
    frame = cat.read_bars(
        symbol,
        bar_spec,
        start=None if start is None else to_ns(start, tz=tz),
        end=None if end is None else to_ns(end, tz=tz, end=True),
    )
    if adjusted:
        from neural_trader.data.adjust import adjust_ohlc

        frame = adjust_ohlc(frame)
    shown = frame.tail(limit) if tail else frame.head(limit)
    daily = not bar_spec.is_intraday
    rows = []
    for rec in shown.to_dict(orient="records"):
        ts = int(rec.pop(TS))
        rows.append({"time": ns_to_label(ts, daily=daily), "ts_event": ts, **rec})
    first, last = _span(frame, bar_spec)
    return BarsView(
        symbol=symbol,
        spec=str(bar_spec),
        adjusted=adjusted,
        rows_in_range=len(frame),
        rows_shown=len(shown),
        first=first,
        last=last,
        columns=["time", *[c for c in frame.columns if c != TS]],
        bars=rows,
        stats=_range_stats(frame),
    )


def _range_stats(frame: pd.DataFrame) -> dict[str, float | None]:
    """Plain descriptive numbers over the range (analytics proper live in a later package)."""
    if frame.empty:
        return {
            "first_close": None,
            "last_close": None,
            "change_pct": None,
            "high": None,
            "low": None,
            "volume_total": None,
        }
    close = frame["close"].to_numpy()
    return {
        "first_close": float(close[0]),
        "last_close": float(close[-1]),
        "change_pct": float((close[-1] / close[0] - 1.0) * 100.0),
        "high": float(np.nanmax(frame["high"].to_numpy())),
        "low": float(np.nanmin(frame["low"].to_numpy())),
        "volume_total": float(np.nansum(frame["volume"].to_numpy())),
    }


def delete_data(
    symbol: str, *, spec: str | None = None, catalog: Catalog | str | Path | None = None
) -> int:
    cat = open_catalog(catalog)
    if symbol not in cat.symbols():
        from neural_trader.core.errors import UnknownSymbolError

        raise UnknownSymbolError(symbol, known=cat.symbols())
    return cat.delete(symbol, None if spec is None else BarSpec.parse(spec))


def fetch_data(
    symbol: str,
    *,
    provider: str = "yahoo",
    spec: str = "1d",
    start: str | int,
    end: str | int,
    refresh: bool = False,
    repair: bool = False,
    provider_options: Mapping[str, Any] | None = None,
    catalog: Catalog | str | Path | None = None,
) -> FetchSummary:
    """Fetch bars from a provider into the catalog, asking only for what is not cached.

    The cache is the catalog itself: a range the stored series already covers is served from
    disk; otherwise only the missing head and tail are requested. ``refresh`` re-fetches the
    whole range. Fetched bars are validated like imported files before they are stored.
    """
    from neural_trader.data.providers import get_provider
    from neural_trader.data.validation import repair_bars, validate_bars

    symbol = _check_symbol(symbol)
    bar_spec = BarSpec.parse(spec)
    start_ns, end_ns = to_ns(start), to_ns(end, end=True)
    if end_ns < start_ns:
        raise InvalidArgumentError(f"--end ({end}) is before --start ({start})")
    cat = open_catalog(catalog)
    ranges: list[tuple[int, int]] = [(start_ns, end_ns)]
    if not refresh and cat.has(symbol, bar_spec):
        entry = cat.entry(symbol, bar_spec)
        # The last stored bar covers its whole interval: a request ending inside it is served.
        covered_to = entry.end_ns + bar_spec.nanos - 1
        ranges = []
        if start_ns < entry.start_ns:
            ranges.append((start_ns, min(end_ns, entry.start_ns - 1)))
        if end_ns > covered_to:
            ranges.append((max(start_ns, covered_to + 1), end_ns))
    daily = not bar_spec.is_intraday
    summary_ranges = [[ns_to_label(a, daily=daily), ns_to_label(b, daily=daily)] for a, b in ranges]
    if not ranges:
        return FetchSummary(
            symbol=symbol,
            spec=str(bar_spec),
            provider=provider,
            requested_start=ns_to_label(start_ns, daily=daily),
            requested_end=ns_to_label(end_ns, daily=daily),
            fetched_ranges=[],
            rows_fetched=0,
            rows_total=cat.entry(symbol, bar_spec).rows,
            from_cache=True,
            validation=None,
        )
    source = get_provider(provider, **dict(provider_options or {}))
    parts = [source.fetch_bars(symbol, bar_spec, a, b) for a, b in ranges]
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    frame = frame.sort_values(TS, kind="stable").reset_index(drop=True)
    report = validate_bars(frame, spec=bar_spec)
    if not report.ok:
        if not repair:
            raise DataValidationError(
                f"{provider} returned bars for '{symbol}' that fail validation:\n"
                + report.summary(),
                report,
                hint="rerun with --repair to drop or forward-fill the bad rows",
            )
        frame, report = repair_bars(frame, report)
    rows_total = cat.entry(symbol, bar_spec).rows if cat.has(symbol, bar_spec) else 0
    if not frame.empty:
        rows_total = cat.write_bars(symbol, bar_spec, frame, mode="upsert").rows_total
    return FetchSummary(
        symbol=symbol,
        spec=str(bar_spec),
        provider=provider,
        requested_start=ns_to_label(start_ns, daily=daily),
        requested_end=ns_to_label(end_ns, daily=daily),
        fetched_ranges=summary_ranges,
        rows_fetched=len(frame),
        rows_total=rows_total,
        from_cache=False,
        validation=ReportSummary.from_report(report),
    )


def resample_data(
    symbol: str,
    *,
    source: str,
    target: str,
    tz: str = "UTC",
    calendar: str | None = None,
    mode: WriteMode = "overwrite",
    catalog: Catalog | str | Path | None = None,
) -> ResampleSummary:
    """Aggregate a stored series to a coarser spec and store the result beside it."""
    from neural_trader.data.resample import resample_bars

    cat = open_catalog(catalog)
    src, dst = BarSpec.parse(source), BarSpec.parse(target)
    frame = cat.read_bars(symbol, src)
    out = resample_bars(frame, src, dst, tz=tz, calendar=calendar)
    written = cat.write_bars(symbol, dst, out, mode=mode)
    first, last = _span(out, dst)
    return ResampleSummary(
        symbol=symbol,
        source=str(src),
        target=str(dst),
        rows_in=len(frame),
        rows_out=len(out),
        first=first,
        last=last,
        mode=written.mode,
    )


def export_data(
    symbol: str,
    path: str | Path,
    *,
    spec: str | None = None,
    layout: Literal["yahoo", "datetime"] | None = None,
    tz: str = "UTC",
    start: str | int | None = None,
    end: str | int | None = None,
    catalog: Catalog | str | Path | None = None,
) -> ExportSummary:
    """Write a stored series to CSV in a layout the importer reads back to equal values."""
    from neural_trader.data.export import write_bars_csv

    cat = open_catalog(catalog)
    bar_spec = _resolve_spec(cat, symbol, spec)
    frame = cat.read_bars(
        symbol,
        bar_spec,
        start=None if start is None else to_ns(start),
        end=None if end is None else to_ns(end, end=True),
    )
    chosen = layout or ("datetime" if bar_spec.is_intraday else "yahoo")
    write_bars_csv(frame, Path(path), layout=chosen, tz=tz)
    return ExportSummary(
        symbol=symbol, spec=str(bar_spec), path=str(path), rows=len(frame), layout=chosen
    )


class QueryResult(BaseModel):
    sql: str
    columns: list[str]
    rows: list[dict[str, Any]]
    row_count: int
    truncated: bool


def query_data(
    sql: str, *, limit: int = 1000, catalog: Catalog | str | Path | None = None
) -> QueryResult:
    """Run DuckDB SQL over the whole catalog, exposed as the view ``bars``.

    ``bars(symbol, spec, ts_event, open, high, low, close, volume[, adj_close,
    open_interest])``; at most ``limit`` rows come back, and ``truncated`` says when more
    matched.
    """
    if limit <= 0:
        raise InvalidArgumentError("limit must be a positive number of rows")
    frame = open_catalog(catalog).query(sql)
    shown = frame.head(limit)
    rows = [
        {str(k): (None if isinstance(v, float) and v != v else v) for k, v in rec.items()}
        for rec in shown.to_dict(orient="records")
    ]
    return QueryResult(
        sql=sql,
        columns=[str(c) for c in frame.columns],
        rows=rows,
        row_count=len(frame),
        truncated=len(frame) > limit,
    )


def _check_symbol(symbol: str) -> str:
    s = symbol.strip()
    if not s or any(ch.isspace() for ch in s) or s in (".", ".."):
        raise InvalidArgumentError(
            f"symbol {symbol!r} is not valid: use the ticker without spaces (AAPL, RCI.B, BTC/USDT)"
        )
    return s
