"""File to validated bar frame: :func:`read_bars_file` (parse) then :func:`import_bars`
(parse, validate, then reject or repair).

Reject is the default because a backtest on silently "fixed" data is worse than no backtest:
the caller gets every problem with its line number at once. ``repair=True`` is the explicit
alternative, and its report lists each dropped, filled or reordered row so nothing vanishes
unaccounted for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from neural_trader.core.data import BarSpec
from neural_trader.core.errors import (
    DataFormatError,
    DataValidationError,
    InvalidArgumentError,
    NotFoundError,
)
from neural_trader.data.importers.common import (
    BadRowPolicy,
    BarLabel,
    LayoutName,
    RawImport,
)
from neural_trader.data.importers.csv import read_csv_bars, read_path
from neural_trader.data.importers.parquet import read_parquet_bars
from neural_trader.data.schema import normalize_bar_frame
from neural_trader.data.validation import (
    Issue,
    Repair,
    ValidationReport,
    repair_with_rows,
    validate_bars,
)

__all__ = ["ImportResult", "import_bars", "read_bars_file"]

_PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass(frozen=True)
class ImportResult:
    """A validated (or repaired) canonical bar frame and how it was obtained."""

    frame: pd.DataFrame
    spec: BarSpec
    layout: str
    report: ValidationReport
    notes: list[str]


def _issue_order(issue: Issue) -> tuple[int, int]:
    """Errors before warnings, then by source row (rowless last)."""
    row = issue.row if issue.row is not None else 2**62
    return (0 if issue.severity == "error" else 1, row)


def _resolve(path: str | Path) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise NotFoundError(f"file not found: {p}")
    if p.is_dir():
        raise InvalidArgumentError(f"{p} is a directory; give a CSV or Parquet file")
    return p


def _is_parquet(path: Path) -> bool:
    if path.suffix.lower() in _PARQUET_SUFFIXES:
        return True
    with path.open("rb") as fh:
        return fh.read(4) == b"PAR1"


def read_bars_file(
    path: str | Path,
    *,
    layout: LayoutName = "auto",
    tz: str = "UTC",
    column_map: Mapping[str, str] | None = None,
    date_format: str | None = None,
    bar_label: BarLabel = "open",
    spec: BarSpec | str | None = None,
    on_bad_rows: BadRowPolicy = "raise",
) -> RawImport:
    """Parse a CSV (``.csv``, ``.txt``, ``.csv.gz``) or Parquet bar file into canonical columns.

    Values are converted but not validated (NaN, negative prices ... are left for
    :func:`~neural_trader.data.validation.validate_bars`). Rows that cannot be read at all
    (a line with the wrong field count, ``abc`` where a number belongs, an unreadable date)
    raise :class:`DataFormatError` naming their lines; with ``on_bad_rows="collect"`` they are
    left out of the frame and returned as ``issues`` instead.

    ``tz`` is the zone of naive timestamps; ``bar_label="close"`` says the file labels bars by
    their end, and moves them back one bar (``spec``, or the inferred one) to their start.
    """
    if bar_label not in ("open", "close"):
        raise InvalidArgumentError(f"bar_label must be 'open' or 'close', not {bar_label!r}")
    if on_bad_rows not in ("raise", "collect"):
        raise InvalidArgumentError(f"on_bad_rows must be 'raise' or 'collect', not {on_bad_rows!r}")
    p = _resolve(path)
    cmap = dict(column_map) if column_map else None
    spec_ = BarSpec.parse(spec) if spec is not None else None
    if _is_parquet(p):
        return read_parquet_bars(
            p,
            layout=layout,
            tz=tz,
            column_map=cmap,
            date_format=date_format,
            bar_label=bar_label,
            spec=spec_,
            on_bad_rows=on_bad_rows,
        )
    notes = ["gzip-compressed"] if p.suffix.lower() == ".gz" else []
    return read_csv_bars(
        read_path(p),
        source=p.name,
        layout=layout,
        tz=tz,
        column_map=cmap,
        date_format=date_format,
        bar_label=bar_label,
        spec=spec_,
        on_bad_rows=on_bad_rows,
        notes=notes,
    )


def import_bars(
    path: str | Path,
    *,
    layout: LayoutName = "auto",
    tz: str = "UTC",
    column_map: Mapping[str, str] | None = None,
    date_format: str | None = None,
    bar_label: BarLabel = "open",
    spec: BarSpec | str | None = None,
    repair: bool = False,
    calendar: str | None = None,
) -> ImportResult:
    """Read, validate and either reject or repair a bar file.

    Reject (default): any error-severity issue (including unreadable lines) raises
    :class:`DataValidationError` whose message lists the first ten with their lines and
    whose ``report`` holds all of them. Calendar gaps (``calendar="XNYS"``) are warnings and
    never reject. ``repair=True``: unreadable lines are dropped, the rest repaired by
    :func:`~neural_trader.data.validation.repair_bars`; the report's ``repairs`` lists every
    action with its source line and its ``issues`` are what remains (warnings only).
    """
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
    name = Path(path).name
    spec_ = BarSpec.parse(spec) if spec is not None else raw.spec_guess
    if spec_ is None:
        raise DataFormatError(
            f"{name}: the bar length cannot be inferred from {len(raw.frame)} bar(s); pass spec"
        )
    rows_checked = raw.rows_read
    if not repair:
        found = validate_bars(raw.frame, row_numbers=raw.row_numbers, spec=spec_, calendar=calendar)
        issues = sorted([*raw.issues, *found.issues], key=_issue_order)
        report = ValidationReport(rows_checked=rows_checked, issues=issues)
        if not report.ok:
            raise DataValidationError(
                f"{name} was not imported: {report.summary()}",
                report,
                hint="fix the file, or import with repair=True (--repair) to drop or fill the "
                "bad rows with a report of each change",
            )
        return ImportResult(normalize_bar_frame(raw.frame), spec_, raw.layout, report, raw.notes)
    frame, rows, repairs = repair_with_rows(raw.frame, raw.row_numbers)
    dropped = [
        Repair("dropped_row", i.row, i.column, i.message) for i in raw.issues if i.row is not None
    ]
    after = validate_bars(frame, row_numbers=rows, spec=spec_, calendar=calendar)
    if not after.ok:  # pragma: no cover - repair_with_rows guarantees a clean frame
        raise DataValidationError(f"{name}: repair left errors: {after.summary()}", after)
    all_repairs = sorted([*dropped, *repairs], key=lambda r: r.row if r.row is not None else -1)
    report = ValidationReport(rows_checked=rows_checked, issues=after.issues, repairs=all_repairs)
    return ImportResult(normalize_bar_frame(frame), spec_, raw.layout, report, raw.notes)
