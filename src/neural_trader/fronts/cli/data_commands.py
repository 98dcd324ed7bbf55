"""``neural-trader data ...``: parse options, call :mod:`neural_trader.services.data`, format."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.fronts.cli.options import JsonOpt
from neural_trader.fronts.cli.output import console, err_console, fail, run_command

if TYPE_CHECKING:
    from neural_trader.services.data import (
        BarsView,
        DataEntry,
        ExportSummary,
        FetchSummary,
        ImportSummary,
        QueryResult,
        ReportSummary,
        ResampleSummary,
        ValidationSummary,
    )

app = typer.Typer(
    help="Market data: import, validate, list, show, fetch, resample, export.", no_args_is_help=True
)


class Layout(StrEnum):
    auto = "auto"
    yahoo = "yahoo"
    datetime = "datetime"
    generic = "generic"


class Mode(StrEnum):
    append = "append"
    overwrite = "overwrite"
    upsert = "upsert"


class Label(StrEnum):
    open = "open"
    close = "close"


SpecOpt = Annotated[
    str | None, typer.Option("--spec", help="Bar spec: 1m, 5m, 1h, 1d... (default: inferred).")
]
FormatOpt = Annotated[
    Layout,
    typer.Option(
        "--format",
        help="File layout: yahoo (Date,Open,...,Adj Close,Volume), datetime (Date,Time,...), "
        "generic (with --map), or auto-detect.",
    ),
]
TzOpt = Annotated[
    str, typer.Option("--tz", help="Timezone of naive timestamps in the file (IANA name).")
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        help="Column mapping for --format generic, ours=theirs, repeatable "
        "(ts_event=timestamp, open=o, ...).",
    ),
]
CalendarOpt = Annotated[
    str | None,
    typer.Option("--calendar", help="Exchange calendar for gap checks (XNYS, XTSE, XLON...)."),
]
LabelOpt = Annotated[
    Label,
    typer.Option(
        "--label",
        help="Whether the file's timestamps mark each bar's open or its close "
        "(close-labelled bars are shifted back one bar).",
    ),
]
DateFmtOpt = Annotated[
    str | None, typer.Option("--date-format", help="strftime format of the date column.")
]


def _parse_map(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    out: dict[str, str] = {}
    for pair in pairs:
        ours, sep, theirs = pair.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise InvalidArgumentError(
                f"--map {pair!r} is not ours=theirs (for example --map close=Last)"
            )
        out[ours.strip()] = theirs.strip()
    return out


def _validation_lines(v: ReportSummary) -> None:
    if v.errors == 0 and v.warnings == 0:
        console.print("[green]validation: no problems found[/]")
    else:
        counts = ", ".join(f"{c.count} {c.code} ({c.severity})" for c in v.by_code)
        colour = "red" if v.errors else "yellow"
        console.print(f"[{colour}]validation: {counts}[/]")
        for issue in v.issues[:10]:
            where = []
            if issue.get("row") is not None:
                where.append(f"row {issue['row']}")
            if issue.get("column"):
                where.append(f"column {issue['column']}")
            prefix = f"{', '.join(where)}: " if where else ""
            console.print(f"  {escape(prefix + str(issue['message']))}")
    if v.repairs_total:
        console.print(f"[yellow]repairs: {v.repairs_total}[/]")
        for r in v.repairs[:10]:
            row = f"row {r['row']}: " if r.get("row") is not None else ""
            console.print(escape(f"  {row}{r.get('action')}: {r.get('detail', '')}"))


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="CSV or Parquet file of bars.")],
    symbol: Annotated[str, typer.Option("--symbol", "-s", help="Symbol to store it under.")],
    spec: SpecOpt = None,
    layout: FormatOpt = Layout.auto,
    tz: TzOpt = "UTC",
    column_map: MapOpt = None,
    date_format: DateFmtOpt = None,
    label: LabelOpt = Label.open,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Drop or forward-fill bad rows (with a report) instead of rejecting the file.",
        ),
    ] = False,
    calendar: CalendarOpt = None,
    mode: Annotated[
        Mode, typer.Option("--mode", help="append (refuse overlaps), overwrite, or upsert.")
    ] = Mode.append,
    as_json: JsonOpt = False,
) -> None:
    """Import a bar file into the catalog. Rejects the whole file on any error unless --repair."""
    from neural_trader.services.data import import_file

    def render(s: ImportSummary) -> None:
        console.print(
            f"[bold]{s.symbol}[/] {s.spec}: {s.rows_written:,} bars written "
            f"({s.first} .. {s.last}), {s.rows_total:,} stored, layout {s.layout}"
        )
        for note in s.notes:
            console.print(f"  note: {escape(note)}")
        _validation_lines(s.validation)

    run_command(
        as_json,
        lambda: import_file(
            path,
            symbol,
            spec=spec,
            layout=layout.value,
            tz=tz,
            column_map=_parse_map(column_map),
            date_format=date_format,
            bar_label=label.value,
            repair=repair,
            calendar=calendar,
            mode=mode.value,
        ),
        render,
        status=f"importing {path}",
    )


@app.command("validate")
def validate(
    path: Annotated[Path, typer.Argument(help="CSV or Parquet file of bars.")],
    spec: SpecOpt = None,
    layout: FormatOpt = Layout.auto,
    tz: TzOpt = "UTC",
    column_map: MapOpt = None,
    date_format: DateFmtOpt = None,
    label: LabelOpt = Label.open,
    calendar: CalendarOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a file without importing it; exits 1 when it has errors."""
    from neural_trader.services.data import validate_file

    def render(s: ValidationSummary) -> None:
        console.print(
            f"[bold]{s.path}[/]: {s.rows:,} rows, layout {s.layout}, spec {s.spec}, "
            f"{s.first} .. {s.last}"
        )
        for note in s.notes:
            console.print(f"  note: {escape(note)}")
        _validation_lines(s.validation)

    result = run_command(
        as_json,
        lambda: validate_file(
            path,
            spec=spec,
            layout=layout.value,
            tz=tz,
            column_map=_parse_map(column_map),
            date_format=date_format,
            bar_label=label.value,
            calendar=calendar,
        ),
        render,
        status=f"validating {path}",
    )
    if not result.validation.ok:
        raise typer.Exit(1)


@app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """List every series in the catalog."""
    from neural_trader.services.data import list_data

    def render(entries: list[DataEntry]) -> None:
        if not entries:
            console.print(
                "the catalog is empty: try 'neural-trader data import' or 'neural-trader demo'"
            )
            return
        table = Table(title="catalog")
        for col in ("symbol", "spec", "bars", "first", "last", "size"):
            table.add_column(col, justify="right" if col in ("bars", "size") else "left")
        for e in entries:
            table.add_row(
                e.symbol, e.spec, f"{e.rows:,}", e.first, e.last, f"{e.bytes / 1024:,.0f} KiB"
            )
        console.print(table)

    run_command(as_json, list_data, render)


@app.command("show")
def show(
    symbol: Annotated[str, typer.Argument(help="Symbol in the catalog.")],
    spec: SpecOpt = None,
    start: Annotated[
        str | None, typer.Option("--start", help="First date/time (inclusive).")
    ] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last date/time (inclusive).")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Rows to show.")] = 20,
    head: Annotated[
        bool, typer.Option("--head", help="Show the first rows, not the last.")
    ] = False,
    adjusted: Annotated[
        bool, typer.Option("--adjusted", help="Scale OHLC by Adj Close / Close.")
    ] = False,
    tz: Annotated[
        str,
        typer.Option(
            "--tz", help="Timezone for displayed intraday times and for naive --start/--end."
        ),
    ] = "UTC",
    as_json: JsonOpt = False,
) -> None:
    """Show the bars of one symbol in a date range, with summary numbers."""
    from neural_trader.services.data import show_data

    def render(v: BarsView) -> None:
        table = Table(title=f"{v.symbol} {v.spec}" + (" (adjusted)" if v.adjusted else ""))
        intraday = not v.spec.endswith(("d", "w"))
        cols = [c for c in v.columns if c != "time"]
        formats = {c: _column_format([b.get(c) for b in v.bars]) for c in cols}
        table.add_column("time" if not intraday else f"time ({tz})", no_wrap=True)
        for c in cols:
            table.add_column(c, justify="right")
        for bar in v.bars:
            when = _local_time(bar["ts_event"], tz) if intraday else str(bar["time"])
            table.add_row(when, *(formats[c](bar.get(c)) for c in cols))
        console.print(table)
        st = v.stats
        if st["last_close"] is not None:
            console.print(
                f"{v.rows_in_range:,} bars {v.first} .. {v.last}; close {st['first_close']:,.6g}"
                f" -> {st['last_close']:,.6g} ({st['change_pct']:+.2f}%), "
                f"range {st['low']:,.6g} .. {st['high']:,.6g}"
            )
        else:
            console.print("no bars in that range")

    run_command(
        as_json,
        lambda: show_data(
            symbol,
            spec=spec,
            start=start,
            end=end,
            limit=limit,
            tail=not head,
            adjusted=adjusted,
            tz=tz,
        ),
        render,
    )


def _local_time(ts_ns: int, tz: str) -> str:
    import pandas as pd

    return str(pd.Timestamp(ts_ns, unit="ns", tz="UTC").tz_convert(tz).strftime("%Y-%m-%d %H:%M"))


def _column_format(values: list[Any]) -> Callable[[Any], str]:
    """One format per column: as many decimals as the shown values need (at most 4)."""
    decimals = 0
    for v in values:
        if isinstance(v, float) and v == v:
            text = f"{v:.4f}".rstrip("0")
            decimals = max(decimals, len(text.split(".")[1]) if "." in text else 0)

    def fmt(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, float):
            return "nan" if v != v else f"{v:,.{decimals}f}"
        return str(v)

    return fmt


@app.command("fetch")
def fetch(
    symbol: Annotated[str, typer.Argument(help="Provider symbol (Yahoo: AAPL, RY.TO, ^GSPC).")],
    provider: Annotated[
        str, typer.Option("--provider", "-p", help="yahoo, synthetic or sample.")
    ] = "yahoo",
    start: Annotated[str, typer.Option("--start", help="First date (inclusive).")] = ...,  # type: ignore[assignment]
    end: Annotated[str, typer.Option("--end", help="Last date (inclusive).")] = ...,  # type: ignore[assignment]
    spec: Annotated[str, typer.Option("--spec", help="Bar spec: 1d, 1h, 5m, 1m...")] = "1d",
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Re-fetch even what the catalog already holds.")
    ] = False,
    repair: Annotated[
        bool, typer.Option("--repair", help="Repair bad bars instead of failing.")
    ] = False,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed (synthetic provider).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fetch bars from a provider into the catalog (cached: only missing ranges are fetched)."""
    from neural_trader.services.data import fetch_data

    options = {"seed": seed} if seed is not None else {}

    def render(s: FetchSummary) -> None:
        if s.from_cache:
            console.print(
                f"[bold]{s.symbol}[/] {s.spec}: {s.requested_start} .. "
                f"{s.requested_end} already in the catalog ({s.rows_total:,} bars); "
                "nothing fetched (use --refresh to fetch again)"
            )
            return
        ranges = "; ".join(f"{a} .. {b}" for a, b in s.fetched_ranges)
        console.print(
            f"[bold]{s.symbol}[/] {s.spec}: {s.rows_fetched:,} bars fetched from "
            f"{s.provider} ({ranges}); {s.rows_total:,} stored"
        )
        if s.validation is not None:
            _validation_lines(s.validation)

    run_command(
        as_json,
        lambda: fetch_data(
            symbol,
            provider=provider,
            spec=spec,
            start=start,
            end=end,
            refresh=refresh,
            repair=repair,
            provider_options=options,
        ),
        render,
        status=f"fetching {symbol} from {provider}",
    )


@app.command("resample")
def resample(
    symbol: Annotated[str, typer.Argument(help="Symbol in the catalog.")],
    source: Annotated[str, typer.Option("--from", help="Stored spec to read (e.g. 1m).")],
    target: Annotated[str, typer.Option("--to", help="Spec to build (e.g. 5m, 1h, 1d).")],
    tz: Annotated[
        str, typer.Option("--tz", help="Exchange timezone for session and day boundaries.")
    ] = "UTC",
    calendar: Annotated[
        str | None,
        typer.Option("--calendar", help="Anchor buckets at this exchange's session open."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Aggregate stored bars to a coarser spec (OHLCV rules, session boundaries) and store them."""
    from neural_trader.services.data import resample_data

    def render(s: ResampleSummary) -> None:
        console.print(
            f"[bold]{s.symbol}[/]: {s.rows_in:,} {s.source} bars -> {s.rows_out:,} "
            f"{s.target} bars ({s.first} .. {s.last}), stored"
        )

    run_command(
        as_json,
        lambda: resample_data(symbol, source=source, target=target, tz=tz, calendar=calendar),
        render,
        status=f"resampling {symbol} {source} -> {target}",
    )


@app.command("export")
def export(
    symbol: Annotated[str, typer.Argument(help="Symbol in the catalog.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV file to write.")],
    spec: SpecOpt = None,
    tz: Annotated[str, typer.Option("--tz", help="Timezone to write timestamps in.")] = "UTC",
    start: Annotated[str | None, typer.Option("--start")] = None,
    end: Annotated[str | None, typer.Option("--end")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a stored series to CSV (Yahoo layout for daily bars, Date,Time,... for intraday)."""
    from neural_trader.services.data import export_data

    def render(s: ExportSummary) -> None:
        console.print(
            f"wrote {s.rows:,} {s.spec} bars of [bold]{s.symbol}[/] to {s.path} ({s.layout} layout)"
        )

    run_command(
        as_json,
        lambda: export_data(symbol, out, spec=spec, tz=tz, start=start, end=end),
        render,
    )


@app.command("query")
def query(
    sql: Annotated[
        str,
        typer.Argument(
            help="DuckDB SQL over the view bars(symbol, spec, ts_event, open, high, low, "
            "close, volume[, adj_close, open_interest]); ts_event is int64 ns UTC."
        ),
    ],
    limit: Annotated[int, typer.Option("--limit", "-n", help="Rows to return at most.")] = 1000,
    as_json: JsonOpt = False,
) -> None:
    """Query the whole catalog with SQL (DuckDB)."""
    from neural_trader.services.data import query_data

    def render(r: QueryResult) -> None:
        table = Table(box=box.SIMPLE_HEAD)
        formats = {c: _column_format([row.get(c) for row in r.rows]) for c in r.columns}
        for c in r.columns:
            table.add_column(c, justify="right")
        for row in r.rows:
            table.add_row(*(formats[c](row.get(c)) for c in r.columns))
        console.print(table)
        more = f" (first {len(r.rows):,} shown)" if r.truncated else ""
        console.print(f"{r.row_count:,} row(s){more}")

    run_command(as_json, lambda: query_data(sql, limit=limit), render, status="querying")


@app.command("delete")
def delete(
    symbol: Annotated[str, typer.Argument(help="Symbol in the catalog.")],
    spec: SpecOpt = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete a symbol's bars (one spec, or all of them)."""
    from neural_trader.services.data import delete_data

    if not yes and not as_json:
        what = f"{symbol} {spec}" if spec else f"every spec of {symbol}"
        if not typer.confirm(f"delete {what}?"):
            err_console.print("nothing deleted")
            raise typer.Exit(1)
    elif not yes:
        fail(InvalidArgumentError("--json needs --yes for a delete"), as_json)

    def render(n: int) -> None:
        console.print(f"deleted {n} file(s)")

    run_command(as_json, lambda: delete_data(symbol, spec=spec), render)
