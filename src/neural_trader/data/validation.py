"""Validation and repair of bar frames, with every finding tied to its source row.

Why a report and not an exception per problem: a file with a bad line usually has more, and
the person fixing it wants all of them at once, each with the line number of the file they
have open. Checks are vectorised masks over whole columns; Python only touches the rows that
fail. ``row`` in an :class:`Issue` is the source line when ``row_numbers`` is given (importers
pass it), otherwise the 0-based position in the frame.

Repair is opt-in and never silent: each dropped, filled or reordered row is a :class:`Repair`
in the report, so the repaired frame can be audited against the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from neural_trader.core.data import BarSpec
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.data.calendars import find_gaps
from neural_trader.data.schema import BAR_COLUMNS, TS

__all__ = [
    "Issue",
    "Repair",
    "Severity",
    "ValidationReport",
    "format_ns",
    "repair_bars",
    "repair_with_rows",
    "validate_bars",
]

Severity = Literal["error", "warning"]

#: Relative slack for open/close against [low, high]: float noise from upstream rounding
#: (e.g. 45.599998 vs 45.6) must not reject a file, a real inconsistency is far larger.
RANGE_TOLERANCE: Final = 1e-9
_PRICES: Final = ("open", "high", "low", "close", "adj_close")
_NS_PER_DAY: Final = 86_400 * 1_000_000_000

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in the data; ``message`` already names where it is."""

    code: str
    severity: Severity
    message: str
    row: int | None = None
    column: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "row": self.row,
            "column": self.column,
        }


@dataclass(frozen=True, slots=True)
class Repair:
    """One change made by repair: ``dropped_row``, ``forward_filled``, ``zero_filled``,
    ``sorted`` or ``dropped_duplicate``; ``row`` is the source row it concerns."""

    action: str
    row: int | None
    column: str | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "row": self.row,
            "column": self.column,
            "detail": self.detail,
        }


@dataclass
class ValidationReport:
    rows_checked: int
    issues: list[Issue] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        """No error-severity issue; warnings (calendar gaps) never make data unusable."""
        return not any(i.severity == "error" for i in self.issues)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for issue in self.issues:
            out[issue.code] = out.get(issue.code, 0) + 1
        return out

    def summary(self, limit: int = 10) -> str:
        """A few lines for a person: totals, then the first ``limit`` problems, errors first."""
        errors, warnings = self.errors, self.warnings
        head = f"{len(errors)} error(s), {len(warnings)} warning(s) in {self.rows_checked} rows" + (
            f", {len(self.repairs)} repair(s)" if self.repairs else ""
        )
        lines = [head]
        shown = [*errors, *warnings][:limit]
        lines += [f"  {i.severity}: {i.message}" for i in shown]
        rest = len(self.issues) - len(shown)
        if rest > 0:
            by_code = ", ".join(f"{k}: {v}" for k, v in sorted(self.counts().items()))
            lines.append(f"  ... and {rest} more ({by_code})")
        return "\n".join(lines)

    def to_dict(self, limit: int = 50) -> dict[str, Any]:
        """JSON-ready: counts by code and action, and the first ``limit`` issues and repairs."""
        actions: dict[str, int] = {}
        for r in self.repairs:
            actions[r.action] = actions.get(r.action, 0) + 1
        ordered = [*self.errors, *self.warnings]
        return {
            "rows_checked": self.rows_checked,
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "counts": self.counts(),
            "issues": [i.to_dict() for i in ordered[:limit]],
            "repair_counts": actions,
            "repairs": [r.to_dict() for r in self.repairs[:limit]],
        }


def format_ns(ns: int) -> str:
    """A timestamp for messages: a date for midnights (session labels), else UTC time."""
    stamp = pd.Timestamp(int(ns), unit="ns")
    if ns % _NS_PER_DAY == 0:
        return stamp.strftime("%Y-%m-%d")
    return stamp.isoformat(sep=" ") + " UTC"


def _rows(n: int, row_numbers: npt.ArrayLike | None) -> tuple[IntArray, str]:
    if row_numbers is None:
        return np.arange(n, dtype=np.int64), "row"
    rows = np.asarray(row_numbers, dtype=np.int64)
    if len(rows) != n:
        raise InvalidArgumentError(f"row_numbers has {len(rows)} entries, the frame has {n} rows")
    return rows, "line"


def _require(frame: pd.DataFrame) -> None:
    missing = [c for c in BAR_COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidArgumentError(
            f"bar frame is missing columns: {', '.join(missing)} "
            f"(expected {', '.join(BAR_COLUMNS)}; found {', '.join(map(str, frame.columns))})"
        )


def _col(frame: pd.DataFrame, name: str) -> npt.NDArray[np.float64]:
    return frame[name].to_numpy(dtype=np.float64, na_value=np.nan)


def _range_masks(
    frame: pd.DataFrame,
) -> tuple[BoolArray, BoolArray, BoolArray]:
    """high < low, open outside [low, high], close outside [low, high] (NaN compares False)."""
    hi, lo = _col(frame, "high"), _col(frame, "low")
    with np.errstate(invalid="ignore"):
        inverted = hi < lo
        lo_t = lo - RANGE_TOLERANCE * np.abs(lo)
        hi_t = hi + RANGE_TOLERANCE * np.abs(hi)
        op, cl = _col(frame, "open"), _col(frame, "close")
        open_out = ((op < lo_t) | (op > hi_t)) & ~inverted
        close_out = ((cl < lo_t) | (cl > hi_t)) & ~inverted
    return inverted, open_out, close_out


def validate_bars(
    frame: pd.DataFrame,
    *,
    row_numbers: npt.ArrayLike | None = None,
    spec: BarSpec | None = None,
    calendar: str | None = None,
) -> ValidationReport:
    """Check a bar frame; errors make it unusable, calendar gaps are warnings.

    Checks: NaN/inf values, prices <= 0, negative volume or open interest, high < low,
    open/close outside [low, high] (relative tolerance 1e-9), duplicate and out-of-order
    timestamps, and, with ``calendar`` (which needs ``spec``), sessions or intraday bars the
    exchange calendar expects but the data lacks.
    """
    _require(frame)
    n = len(frame)
    rows, unit = _rows(n, row_numbers)
    issues: list[Issue] = []

    def add(code: str, mask: BoolArray, column: str | None, text: Any) -> None:
        for pos in np.flatnonzero(mask):
            row = int(rows[pos])
            where = f"{unit} {row}" + (f", {column}" if column else "")
            issues.append(Issue(code, "error", f"{where}: {text(pos)}", row=row, column=column))

    value_cols = [c for c in frame.columns if c != TS]
    for c in value_cols:
        v = _col(frame, c)
        add("nan", np.isnan(v), c, lambda _p: "value is missing (NaN)")
        add("infinite", np.isinf(v), c, lambda p, v=v: f"value is {v[p]} (not finite)")
    for c in (p for p in _PRICES if p in frame.columns):
        v = _col(frame, c)
        with np.errstate(invalid="ignore"):
            add(
                "non_positive_price",
                v <= 0,
                c,
                lambda p, v=v: f"price {v[p]:g} is not positive",
            )
    for c, code in (("volume", "negative_volume"), ("open_interest", "negative_open_interest")):
        if c in frame.columns:
            v = _col(frame, c)
            with np.errstate(invalid="ignore"):
                add(code, v < 0, c, lambda p, v=v: f"{v[p]:g} is negative")
    hi, lo, op, cl = (_col(frame, c) for c in ("high", "low", "open", "close"))
    inverted, open_out, close_out = _range_masks(frame)
    add("high_below_low", inverted, "high", lambda p: f"high {hi[p]:g} is below low {lo[p]:g}")
    add(
        "open_outside_range",
        open_out,
        "open",
        lambda p: f"open {op[p]:g} is outside [low {lo[p]:g}, high {hi[p]:g}]",
    )
    add(
        "close_outside_range",
        close_out,
        "close",
        lambda p: f"close {cl[p]:g} is outside [low {lo[p]:g}, high {hi[p]:g}]",
    )

    ts = frame[TS].to_numpy(dtype=np.int64)
    if n > 1:
        _, first, inverse = np.unique(ts, return_index=True, return_inverse=True)
        first_pos = first[inverse]
        dup = first_pos != np.arange(n)
        add(
            "duplicate_timestamp",
            dup,
            TS,
            lambda p: f"timestamp {format_ns(int(ts[p]))} repeats {unit} {rows[first_pos[p]]}",
        )
        back = np.zeros(n, dtype=np.bool_)
        back[1:] = ts[1:] < ts[:-1]
        add(
            "unsorted",
            back,
            TS,
            lambda p: (
                f"timestamp {format_ns(int(ts[p]))} is earlier than the previous "
                f"{unit}'s {format_ns(int(ts[p - 1]))}"
            ),
        )
    issues.sort(key=lambda i: i.row if i.row is not None else -1)
    if calendar is not None and n:
        if spec is None:
            raise InvalidArgumentError("calendar gap checks need the bar spec; pass spec")
        issues += _gap_issues(ts, rows, unit, spec, calendar)
    return ValidationReport(rows_checked=n, issues=issues)


def _gap_issues(
    ts: IntArray, rows: IntArray, unit: str, spec: BarSpec, calendar: str
) -> list[Issue]:
    order = np.argsort(ts, kind="stable")
    sorted_ts = ts[order]
    out: list[Issue] = []
    for gap in find_gaps(ts, spec, calendar):
        pos = int(np.searchsorted(sorted_ts, gap.end_ns, side="left"))
        row = int(rows[order[pos]]) if pos < len(ts) else None
        where = f"before {unit} {row}: " if row is not None else ""
        out.append(Issue("gap", "warning", where + gap.description, row=row, column=TS))
    return out


# --------------------------------------------------------------------------- repair


def _range_reason(frame: pd.DataFrame, pos: int) -> str:
    o, h, lo, c = (float(_col(frame, k)[pos]) for k in ("open", "high", "low", "close"))
    return f"open {o:g} high {h:g} low {lo:g} close {c:g} are inconsistent"


def _invalid_value_masks(frame: pd.DataFrame) -> list[tuple[BoolArray, str, str]]:
    """Rows whose present values are wrong (not missing): mask, column, reason."""
    out: list[tuple[BoolArray, str, str]] = []
    with np.errstate(invalid="ignore"):
        for c in (p for p in _PRICES if p in frame.columns):
            out.append((_col(frame, c) <= 0, c, "non-positive price"))
        for c in ("volume", "open_interest"):
            if c in frame.columns:
                out.append((_col(frame, c) < 0, c, "negative value"))
    inverted, open_out, close_out = _range_masks(frame)
    out.append((inverted, "high", "high below low"))
    out.append((open_out, "open", "open outside [low, high]"))
    out.append((close_out, "close", "close outside [low, high]"))
    return out


def _drop_invalid(
    frame: pd.DataFrame, rows: IntArray, unit: str, repairs: list[Repair], suffix: str = ""
) -> tuple[pd.DataFrame, IntArray]:
    drop = np.zeros(len(frame), dtype=np.bool_)
    for mask, column, reason in _invalid_value_masks(frame):
        for pos in np.flatnonzero(mask & ~drop):
            value = float(_col(frame, column)[pos])
            detail = f"{unit} {rows[pos]}: {reason} ({column} {value:g}){suffix}"
            if reason.endswith("[low, high]") or reason == "high below low":
                detail = f"{unit} {rows[pos]}: {_range_reason(frame, int(pos))}{suffix}"
            repairs.append(Repair("dropped_row", int(rows[pos]), column, detail))
        drop |= mask
    if drop.any():
        frame = frame.loc[~drop].reset_index(drop=True)
        rows = rows[~drop]
    return frame, rows


def _fill(
    frame: pd.DataFrame, rows: IntArray, unit: str
) -> tuple[pd.DataFrame, IntArray, list[Repair]]:
    """Forward-fill missing levels (prices, adj_close, open_interest) from the same column;
    missing volume becomes 0 (volume is a flow, a previous bar's is not this bar's)."""
    repairs: list[Repair] = []
    levels = [c for c in (*_PRICES, "open_interest") if c in frame.columns]
    # Dropping a leading row can leave another column with nothing to fill from (its first
    # valid value was in the dropped row), so repeat until every column starts valid.
    while len(frame):
        leading = np.zeros(len(frame), dtype=np.bool_)
        for c in levels:
            leading |= np.cumsum(~np.isnan(_col(frame, c))) == 0
        if not leading.any():
            break
        for pos in np.flatnonzero(leading):
            repairs.append(
                Repair(
                    "dropped_row",
                    int(rows[pos]),
                    None,
                    f"{unit} {rows[pos]}: missing values before the first valid one, nothing "
                    "to fill from",
                )
            )
        frame = frame.loc[~leading].reset_index(drop=True)
        rows = rows[~leading]
    out = frame.copy()
    idx = np.arange(len(frame))
    for c in levels:
        v = _col(frame, c)
        miss = np.isnan(v)
        if not miss.any():
            continue
        src = np.maximum.accumulate(np.where(miss, -1, idx))
        filled = v[src]
        out[c] = filled
        for pos in np.flatnonzero(miss):
            s = int(src[pos])
            repairs.append(
                Repair(
                    "forward_filled",
                    int(rows[pos]),
                    c,
                    f"{unit} {rows[pos]}: {c} was missing, filled with {filled[pos]:g} "
                    f"from {unit} {rows[s]}",
                )
            )
    if "volume" in frame.columns:
        vol = _col(frame, "volume")
        miss = np.isnan(vol)
        if miss.any():
            out["volume"] = np.where(miss, 0.0, vol)
            for pos in np.flatnonzero(miss):
                repairs.append(
                    Repair(
                        "zero_filled",
                        int(rows[pos]),
                        "volume",
                        f"{unit} {rows[pos]}: volume was missing, set to 0",
                    )
                )
    return out, rows, repairs


def repair_with_rows(
    frame: pd.DataFrame, row_numbers: npt.ArrayLike | None = None
) -> tuple[pd.DataFrame, IntArray, list[Repair]]:
    """:func:`repair_bars` that also returns the source row of each surviving frame row."""
    _require(frame)
    rows, unit = _rows(len(frame), row_numbers)
    df = frame.reset_index(drop=True)
    value_cols = [c for c in df.columns if c != TS]
    finite = {c: _col(df, c) for c in value_cols}
    if any(np.isinf(v).any() for v in finite.values()):
        df = df.assign(**{c: np.where(np.isinf(v), np.nan, v) for c, v in finite.items()})
    repairs: list[Repair] = []

    ts = df[TS].to_numpy(dtype=np.int64)
    if len(ts) > 1 and (ts[1:] < ts[:-1]).any():
        order = np.argsort(ts, kind="stable")
        moved = int((order != np.arange(len(ts))).sum())
        df = df.iloc[order].reset_index(drop=True)
        rows = rows[order]
        repairs.append(
            Repair("sorted", None, TS, f"sorted {len(ts)} rows into time order ({moved} moved)")
        )
        ts = ts[order]

    dup = np.zeros(len(ts), dtype=np.bool_)
    dup[1:] = ts[1:] == ts[:-1]
    if dup.any():
        idx = np.arange(len(ts))
        first = np.maximum.accumulate(np.where(dup, 0, idx))
        values = df[value_cols].to_numpy(dtype=np.float64, na_value=np.nan)
        for pos in np.flatnonzero(dup):
            keep = int(first[pos])
            a, b = values[keep], values[pos]
            differs = [
                f"{c} {b[j]:g} vs kept {a[j]:g}"
                for j, c in enumerate(value_cols)
                if not (a[j] == b[j] or (np.isnan(a[j]) and np.isnan(b[j])))
            ]
            what = "values differ: " + ", ".join(differs) if differs else "identical values"
            repairs.append(
                Repair(
                    "dropped_duplicate",
                    int(rows[pos]),
                    TS,
                    f"{unit} {rows[pos]}: timestamp {format_ns(int(ts[pos]))} repeats "
                    f"{unit} {rows[keep]} (kept the first); {what}",
                )
            )
        df = df.loc[~dup].reset_index(drop=True)
        rows = rows[~dup]

    df, rows = _drop_invalid(df, rows, unit, repairs)
    # Filling can itself produce an inconsistent bar (a carried-forward high below this bar's
    # close); such rows are dropped and the fill recomputed without them, until none remain.
    while True:
        filled, filled_rows, fills = _fill(df, rows, unit)
        dropped: list[Repair] = []
        _drop_invalid(filled, filled_rows, unit, dropped, suffix=" after forward fill")
        if not dropped:
            repairs += fills
            df, rows = filled, filled_rows
            break
        bad_rows = {r.row for r in dropped}
        repairs += dropped
        survivors = ~np.isin(rows, np.asarray(sorted(r for r in bad_rows if r is not None)))
        df = df.loc[survivors].reset_index(drop=True)
        rows = rows[survivors]
    repairs.sort(key=lambda r: r.row if r.row is not None else -1)
    return df, rows, repairs


def repair_bars(
    frame: pd.DataFrame,
    report: ValidationReport,
    *,
    row_numbers: npt.ArrayLike | None = None,
) -> tuple[pd.DataFrame, ValidationReport]:
    """Make ``frame`` pass validation, recording every change with its source row.

    Order matters and is fixed: sort (stable, so the first of equal timestamps in the file
    stays first), drop later duplicates (saying whether their values differed), drop rows
    whose present values are wrong (non-positive price, negative volume, inconsistent OHLC),
    then forward-fill missing levels from the same column (rows before any valid value are
    dropped) and set missing volume to 0. The returned report keeps ``report``'s warnings,
    lists the repairs, and holds any error that survived (there should be none).
    """
    if report.ok and not report.issues:
        return frame, ValidationReport(report.rows_checked, [], [])
    repaired, rows, repairs = repair_with_rows(frame, row_numbers)
    after = validate_bars(repaired, row_numbers=rows if row_numbers is not None else None)
    return repaired, ValidationReport(
        rows_checked=report.rows_checked,
        issues=[*report.warnings, *after.errors],
        repairs=repairs,
    )
