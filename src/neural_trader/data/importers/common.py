"""What every importer shares: the :class:`RawImport` result and the conversions from file
values (strings, numbers, Arrow types) to canonical ones.

Conversions never drop or guess silently. A value that does not parse is reported with its
source row, and the caller decides: :func:`neural_trader.data.importers.read_bars_file` raises
by default, :func:`neural_trader.data.importers.import_bars` collects it into the report.

Dates and times are converted once per *distinct* value (``pandas.factorize`` first): a
million-row minute file holds a few dozen dates and ~1,400 times of day, so parsing the
distinct values and gathering by code is far cheaper than parsing every row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from neural_trader.core.data import BarSpec, BarUnit
from neural_trader.core.errors import DataFormatError, InvalidArgumentError
from neural_trader.data.schema import BAR_COLUMNS, OPTIONAL_COLUMNS, TS
from neural_trader.data.validation import Issue

__all__ = [
    "BadRowPolicy",
    "BarLabel",
    "LayoutName",
    "RawImport",
    "assemble",
    "coerce_numeric",
    "combine_date_time",
    "infer_spec",
    "localize",
    "parse_timestamps",
    "unparseable_timestamps",
]

LayoutName = Literal["auto", "yahoo", "datetime", "generic"]
BarLabel = Literal["open", "close"]
BadRowPolicy = Literal["raise", "collect"]

NS_PER_DAY: Final = 86_400 * 1_000_000_000
_SAMPLE: Final = 2000

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class RawImport:
    """A file read into canonical columns, before validation.

    ``row_numbers[i]`` is the source line of frame row ``i`` (CSV: header is line 1; Parquet:
    the 1-based row position), so every later message can point into the file. ``issues``
    holds the rows that could not be read at all (malformed lines, unparseable values) when
    the reader was asked to collect them rather than raise; those rows are not in ``frame``.
    """

    frame: pd.DataFrame
    row_numbers: IntArray
    layout: str
    spec_guess: BarSpec | None
    notes: list[str]
    issues: list[Issue] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        """Data rows seen in the file: the frame's plus the distinct rows left out."""
        left_out = {i.row for i in self.issues if i.row is not None}
        return len(self.frame) + len(left_out)


@dataclass
class Parsed:
    """Timestamps of one column (or date+time pair): ns UTC, with a mask of rows that failed."""

    ns: IntArray
    bad: BoolArray
    date_only: bool
    notes: list[str]


# --------------------------------------------------------------------------- numbers


_NA_TOKENS: Final = frozenset({"", "nan", "null", "na", "n/a", "none", "#n/a", "-nan", "<na>"})


def coerce_numeric(
    values: pd.Series, column: str, row_numbers: IntArray, unit: str = "line"
) -> tuple[npt.NDArray[np.float64], list[Issue]]:
    """``values`` as float64; text that is neither a number nor a NaN token is an issue.

    NaN tokens (empty, ``nan``, ``null`` ...) become NaN and are left to validation, which
    reports them as ``nan``; text such as ``abc`` or ``1,234`` is ``unparseable``: it is not a
    missing value but a wrong one, and nothing may be read into it.
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        raise DataFormatError(f"column {column!r} holds true/false values, not numbers")
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan), []
    text = values.astype("str").str.strip()
    nums = pd.to_numeric(text, errors="coerce")
    failed = nums.isna().to_numpy() & values.notna().to_numpy()
    issues: list[Issue] = []
    if failed.any():
        lowered = text.str.lower()
        failed &= ~lowered.isin(_NA_TOKENS).to_numpy()
        for pos in np.flatnonzero(failed):
            row = int(row_numbers[pos])
            issues.append(
                Issue(
                    "unparseable",
                    "error",
                    f"{unit} {row}, {column}: {values.iloc[pos]!r} is not a number",
                    row=row,
                    column=column,
                )
            )
    return nums.to_numpy(dtype=np.float64, na_value=np.nan), issues


# --------------------------------------------------------------------------- timestamps

_DATE_FORMATS: Final = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%d.%m.%Y", "%Y.%m.%d")
_AMBIGUOUS_DATE_FORMATS: Final = (("%m/%d/%Y", "%d/%m/%Y"), ("%m-%d-%Y", "%d-%m-%Y"))
_DATETIME_FORMATS: Final = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y%m%d %H:%M:%S",
    "%Y%m%d %H%M%S",
)
_TIME_FORMATS: Final = ("%H:%M:%S", "%H:%M", "%H:%M:%S.%f", "%H%M", "%H%M%S")
_AWARE_RE: Final = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
_DIGITS_RE: Final = re.compile(r"^[+-]?\d+(\.\d*)?$")


def _sample(uniques: pd.Index) -> pd.Index:
    if len(uniques) <= _SAMPLE:
        return uniques
    half = _SAMPLE // 2
    return uniques[:half].append(uniques[-half:])


def _as_ns(index: pd.DatetimeIndex) -> tuple[IntArray, BoolArray]:
    nat = np.asarray(index.isna(), dtype=np.bool_)
    ns = np.asarray(index.as_unit("ns").asi8, dtype=np.int64).copy()
    ns[nat] = 0
    return ns, nat


def _try_format(values: pd.Index, fmt: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(values, format=fmt, errors="coerce"))


def _pick_format(sample: pd.Index, candidates: tuple[str, ...]) -> str | None:
    for fmt in candidates:
        if not _try_format(sample, fmt).isna().any():
            return fmt
    return None


def _date_format(sample: pd.Index, column: str) -> str | None:
    fmt = _pick_format(sample, _DATE_FORMATS)
    if fmt is not None:
        return fmt
    for first, second in _AMBIGUOUS_DATE_FORMATS:
        a = not _try_format(sample, first).isna().any()
        b = not _try_format(sample, second).isna().any()
        if a and b:
            raise DataFormatError(
                f"dates in column {column!r} such as {sample[0]!r} could be month/day or "
                "day/month; pass date_format (for example '%m/%d/%Y') to say which"
            )
        if a or b:
            return first if a else second
    return None


def _epoch_scale(good: npt.NDArray[Any]) -> tuple[int, str]:
    """ns per unit and the unit's name, from the median magnitude of the values."""
    if not good.size:
        return 1, "nanoseconds"
    mag = float(np.median(np.abs(good.astype(np.float64))))
    if mag < 1e11:
        return 1_000_000_000, "seconds"
    if mag < 1e14:
        return 1_000_000, "milliseconds"
    if mag < 1e17:
        return 1_000, "microseconds"
    return 1, "nanoseconds"


def _epoch_to_ns(values: npt.NDArray[Any], bad: BoolArray) -> tuple[IntArray, str]:
    """Epoch numbers to ns by magnitude: seconds < 1e11 <= ms < 1e14 <= us < 1e17 <= ns.

    The bands do not overlap for any date between 1973 and 5138, which covers market data.
    Integers stay integers (a float64 cannot hold every ns timestamp exactly).
    """
    scale, unit = _epoch_scale(values[~bad])
    if np.issubdtype(values.dtype, np.integer):
        return np.where(bad, 0, values.astype(np.int64) * scale).astype(np.int64), unit
    filled = np.where(bad, 0.0, values.astype(np.float64))
    return np.rint(filled * scale).astype(np.int64), unit


def localize(
    naive_ns: IntArray, bad: BoolArray, tz: str, row_numbers: IntArray, column: str, unit: str
) -> IntArray:
    """Wall-clock ns in ``tz`` to UTC ns, refusing times that DST makes ambiguous or void.

    Guessing which of two 02:30s was meant (or moving a 02:30 that never happened) would
    silently shift bars by an hour, so such rows are an error that names them; the hint is
    to export the file in UTC, or with offsets, which is unambiguous.
    """
    idx = pd.DatetimeIndex(naive_ns.view("datetime64[ns]"))
    try:
        local = idx.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    except Exception as exc:  # pragma: no cover - tz was validated before
        raise InvalidArgumentError(f"unknown time zone {tz!r}") from exc
    failed = np.asarray(local.isna(), dtype=np.bool_) & ~bad
    if failed.any():
        lines = []
        for pos in np.flatnonzero(failed)[:10]:
            stamp = idx[pos]
            try:
                pd.DatetimeIndex([stamp]).tz_localize(tz, ambiguous="raise", nonexistent="raise")
                why = "cannot be placed"
            except Exception as exc:
                why = (
                    "occurs twice (DST ends)"
                    if "ambiguous" in type(exc).__name__.lower() or "ambiguous" in str(exc).lower()
                    else "does not exist (DST starts)"
                )
            lines.append(f"{unit} {int(row_numbers[pos])}: {stamp} {why} in {tz}")
        raise DataFormatError(
            f"{int(failed.sum())} local time(s) in column {column!r} cannot be converted from "
            f"{tz} to UTC without guessing: " + "; ".join(lines),
            hint="export the file in UTC or with UTC offsets, or pass tz='UTC' if it already is",
        )
    out = np.asarray(local.tz_convert("UTC").as_unit("ns").asi8, dtype=np.int64).copy()
    out[bad] = 0
    return out


def _check_tz(tz: str) -> None:
    try:
        pd.Timestamp("2000-01-01").tz_localize(tz)
    except Exception as exc:
        raise InvalidArgumentError(
            f"unknown time zone {tz!r}; use an IANA name such as 'UTC', 'America/New_York' "
            "or 'Europe/Berlin'"
        ) from exc


def _strings_to_naive(
    uniques: pd.Index, fmt: str | None, column: str
) -> tuple[IntArray, BoolArray, bool, bool]:
    """Distinct strings to (ns, failed, date_only, aware). Aware values are UTC ns already."""
    sample = _sample(uniques)
    if fmt is not None:
        parsed = _try_format(uniques, fmt)
        date_only = not any(d in fmt for d in ("%H", "%M", "%S", "%I", "%p"))
        ns, nat = _as_ns(parsed)
        return ns, nat, date_only, False
    sample_text = [str(s) for s in sample]
    if all(_DIGITS_RE.match(s) for s in sample_text) and not all(len(s) == 8 for s in sample_text):
        numeric = pd.to_numeric(pd.Series(uniques.astype("str")), errors="coerce")
        if pd.api.types.is_integer_dtype(numeric.dtype):
            ns, _unit = _epoch_to_ns(numeric.to_numpy(), np.zeros(len(numeric), dtype=np.bool_))
            return ns, np.zeros(len(ns), dtype=np.bool_), False, True
        nums = numeric.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.isnan(nums)
        ns, _unit = _epoch_to_ns(nums, bad)
        return ns, bad, False, True
    date_fmt = _date_format(sample, column)
    if date_fmt is not None:
        ns, nat = _as_ns(_try_format(uniques, date_fmt))
        return ns, nat, True, False
    aware = [bool(_AWARE_RE.search(s.strip())) for s in sample_text]
    if all(aware):
        parsed = pd.DatetimeIndex(
            pd.to_datetime(uniques, format="ISO8601", utc=True, errors="coerce")
        )
        ns, nat = _as_ns(parsed)
        return ns, nat, False, True
    if any(aware):
        raise DataFormatError(
            f"column {column!r} mixes timestamps with and without UTC offsets "
            f"(e.g. {sample_text[aware.index(True)]!r} and {sample_text[aware.index(False)]!r})"
        )
    dt_fmt = _pick_format(sample, _DATETIME_FORMATS)
    parsed = (
        _try_format(uniques, dt_fmt)
        if dt_fmt is not None
        else pd.DatetimeIndex(pd.to_datetime(uniques, format="ISO8601", errors="coerce"))
    )
    ns, nat = _as_ns(parsed)
    if nat.all():
        raise DataFormatError(
            f"column {column!r} does not hold dates or timestamps we recognise "
            f"(first value {sample_text[0]!r}); pass date_format"
        )
    return ns, nat, False, False


def _wall_clock_midnight(uniques: pd.Index) -> bool:
    """Whether aware strings such as ``2024-01-02 00:00:00-05:00`` are all local midnights."""
    text = pd.Series(uniques.astype("str")).str.replace(_AWARE_RE.pattern, "", regex=True)
    parsed = pd.DatetimeIndex(pd.to_datetime(text, format="ISO8601", errors="coerce"))
    ns, nat = _as_ns(parsed)
    return bool(len(ns)) and not nat.any() and not (ns % NS_PER_DAY).any()


def _wall_clock_dates(uniques: pd.Index) -> tuple[IntArray, BoolArray]:
    text = pd.Series(uniques.astype("str")).str.slice(0, 10)
    return _as_ns(pd.DatetimeIndex(pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")))


def _gather(
    codes: npt.NDArray[np.intp], ns_u: IntArray, bad_u: BoolArray
) -> tuple[IntArray, BoolArray]:
    missing = codes < 0
    safe = np.where(missing, 0, codes)
    if len(ns_u) == 0:
        return np.zeros(len(codes), dtype=np.int64), np.ones(len(codes), dtype=np.bool_)
    return ns_u[safe], bad_u[safe] | missing


def parse_timestamps(
    values: pd.Series,
    *,
    column: str,
    tz: str,
    date_format: str | None,
    row_numbers: IntArray,
    unit: str = "line",
) -> Parsed:
    """One timestamp column (ISO strings, dates, epoch numbers) to ns UTC.

    Date-only values label sessions: they become midnight UTC of that date whatever ``tz`` is,
    as the schema requires. Naive values with a time of day are wall-clock time in ``tz``;
    values with an offset (or epoch numbers, UTC by definition) ignore ``tz``. Each choice is
    written to ``notes`` so the caller can show how the file was read.
    """
    _check_tz(tz)
    notes: list[str] = []
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        if pd.api.types.is_integer_dtype(values.dtype) and not values.isna().any():
            nums: npt.NDArray[Any] = values.to_numpy(dtype=np.int64)
            bad = np.zeros(len(nums), dtype=np.bool_)
        else:
            nums = values.to_numpy(dtype=np.float64, na_value=np.nan)
            bad = np.isnan(nums)
        ns, epoch_unit = _epoch_to_ns(nums, bad)
        notes.append(f"{column}: epoch {epoch_unit} (detected by magnitude), UTC by definition")
        return Parsed(ns, bad, False, notes)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    uniques = pd.Index(uniques).astype("str").str.strip()
    ns_u, bad_u, date_only, aware = _strings_to_naive(uniques, date_format, column)
    if date_only:
        notes.append(f"{column}: dates label sessions, stored as midnight UTC of the date")
    elif aware:
        sample = [str(s) for s in _sample(uniques)]
        if all(_DIGITS_RE.match(s) for s in sample):
            _, unit_name = _epoch_scale(np.asarray([float(s) for s in sample]))
            notes.append(f"{column}: epoch {unit_name} (detected by magnitude), UTC by definition")
        elif _wall_clock_midnight(uniques):
            ns_u, bad_u = _wall_clock_dates(uniques)
            date_only = True
            notes.append(
                f"{column}: local midnights with UTC offsets read as session dates "
                "(midnight UTC of the local date)"
            )
        else:
            notes.append(f"{column}: timestamps carry UTC offsets and were converted to UTC")
    ns, bad = _gather(codes, ns_u, bad_u)
    if not date_only and not aware:
        if not bad.all() and not (ns[~bad] % NS_PER_DAY).any():
            date_only = True
            notes.append(
                f"{column}: every timestamp is midnight, read as session dates (midnight UTC)"
            )
        elif tz == "UTC":
            notes.append(f"{column}: naive timestamps read as UTC")
        else:
            ns = localize(ns, bad, tz, row_numbers, column, unit)
            notes.append(f"{column}: timestamps read as {tz} and converted to UTC")
    return Parsed(ns, bad, date_only, notes)


def _parse_times(values: pd.Series, column: str) -> tuple[IntArray, BoolArray]:
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    uniques = pd.Index(uniques).astype("str").str.strip()
    fmt = _pick_format(_sample(uniques), _TIME_FORMATS)
    if fmt is None:
        first = uniques[0] if len(uniques) else ""
        raise DataFormatError(
            f"column {column!r} does not hold times of day we recognise (first value "
            f"{first!r}); expected HH:MM:SS or HH:MM"
        )
    parsed = _try_format(uniques, fmt)
    ns_u, bad_u = _as_ns(parsed)
    ns_u = ns_u - int(pd.Timestamp("1900-01-01").value)
    return _gather(codes, ns_u, bad_u)


def combine_date_time(
    dates: pd.Series,
    times: pd.Series,
    *,
    date_column: str,
    time_column: str,
    tz: str,
    date_format: str | None,
    row_numbers: IntArray,
    unit: str = "line",
) -> Parsed:
    """A date column and a time-of-day column to ns UTC; the pair is wall-clock time in ``tz``."""
    _check_tz(tz)
    codes, uniques = pd.factorize(dates, use_na_sentinel=True)
    uniques = pd.Index(uniques).astype("str").str.strip()
    fmt = date_format or _date_format(_sample(uniques), date_column)
    if fmt is None:
        first = uniques[0] if len(uniques) else ""
        raise DataFormatError(
            f"column {date_column!r} does not hold dates we recognise (first value {first!r}); "
            "pass date_format"
        )
    day_u, day_bad_u = _as_ns(_try_format(uniques, fmt))
    day_ns, day_bad = _gather(codes, day_u, day_bad_u)
    tod_ns, tod_bad = _parse_times(times, time_column)
    bad = day_bad | tod_bad
    ns = np.where(bad, 0, day_ns + tod_ns)
    label = f"{date_column}+{time_column}"
    if tz == "UTC":
        return Parsed(ns, bad, False, [f"{label}: naive date and time read as UTC"])
    ns = localize(ns, bad, tz, row_numbers, label, unit)
    return Parsed(ns, bad, False, [f"{label}: timestamps read as {tz} and converted to UTC"])


def unparseable_timestamps(
    parsed: Parsed, values: pd.Series, column: str, row_numbers: IntArray, unit: str = "line"
) -> list[Issue]:
    """One issue per row whose timestamp did not parse, quoting the offending text."""
    out: list[Issue] = []
    for pos in np.flatnonzero(parsed.bad):
        row = int(row_numbers[pos])
        out.append(
            Issue(
                "unparseable",
                "error",
                f"{unit} {row}, {column}: {values.iloc[pos]!r} is not a date/time we can read",
                row=row,
                column=column,
            )
        )
    return out


# --------------------------------------------------------------------------- spec and assembly


def infer_spec(ts: IntArray, *, date_only: bool) -> BarSpec | None:
    """The bar length from the most common spacing between distinct timestamps.

    The mode, not the minimum: one stray bar a second apart must not turn a 5m file into 1s.
    Date-only files are 1d (or 1w when the mode is a week); fewer than two bars say nothing.
    """
    uniq = np.unique(ts)
    if len(uniq) < 2:
        return BarSpec(1, BarUnit.DAY) if date_only else None
    diffs = np.diff(uniq)
    values, counts = np.unique(diffs, return_counts=True)
    mode = int(values[np.argmax(counts)])
    if date_only or mode >= NS_PER_DAY:
        weekly = mode == 7 * NS_PER_DAY
        return BarSpec(1, BarUnit.WEEK) if weekly else BarSpec(1, BarUnit.DAY)
    for unit, size in ((BarUnit.HOUR, 3600), (BarUnit.MINUTE, 60), (BarUnit.SECOND, 1)):
        nanos = size * 1_000_000_000
        if mode % nanos == 0:
            return BarSpec(mode // nanos, unit)
    return None


def assemble(
    *,
    ts: Parsed,
    columns: dict[str, npt.NDArray[np.float64]],
    row_numbers: IntArray,
    issues: list[Issue],
    layout: str,
    notes: list[str],
    spec: BarSpec | str | None,
    bar_label: BarLabel,
    on_bad_rows: BadRowPolicy,
    source: str,
) -> RawImport:
    """Build the :class:`RawImport`: drop (collect) or raise on unreadable rows, infer the
    spec, and move close-labelled bars to their start."""
    issue_rows = [i.row for i in issues if i.row is not None]
    bad = ts.bad | np.isin(row_numbers, np.asarray(issue_rows, dtype=np.int64))
    issues = sorted(issues, key=lambda i: (i.row if i.row is not None else -1, i.column or ""))
    if issues and on_bad_rows == "raise":
        shown = "; ".join(i.message for i in issues[:10])
        more = f" (and {len(issues) - 10} more)" if len(issues) > 10 else ""
        raise DataFormatError(f"{source}: {len(issues)} value(s) cannot be read: {shown}{more}")
    keep = ~bad
    data: dict[str, npt.NDArray[np.generic]] = {TS: ts.ns[keep]}
    order = [*BAR_COLUMNS[1:], *OPTIONAL_COLUMNS]
    for name in order:
        if name in columns:
            data[name] = columns[name][keep]
    frame = pd.DataFrame(data)
    rows = row_numbers[keep]
    given = BarSpec.parse(spec) if spec is not None else None
    guess = infer_spec(frame[TS].to_numpy(), date_only=ts.date_only)
    if given is not None and guess is not None and given != guess and not ts.date_only:
        notes.append(f"the most common spacing is {guess}, but spec {given} was given")
    if bar_label == "close":
        if ts.date_only:
            notes.append("bar_label='close' ignored: dates label whole sessions")
        else:
            shift_spec = given or guess
            if shift_spec is None:
                raise DataFormatError(
                    f"{source}: bar_label='close' needs the bar length to move labels to bar "
                    "starts, and it cannot be inferred; pass spec"
                )
            frame[TS] = frame[TS].to_numpy() - shift_spec.nanos
            notes.append(f"bars labelled by their close, moved back {shift_spec} to their start")
    return RawImport(
        frame=frame,
        row_numbers=np.asarray(rows, dtype=np.int64),
        layout=layout,
        spec_guess=guess,
        notes=notes,
        issues=issues,
    )
