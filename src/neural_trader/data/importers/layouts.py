"""Which column of a file is which: layout detection from the header (and, for one known kind
of broken file, from the rows).

Layouts:

* ``yahoo``: ``Date,Open,High,Low,Close[,Adj Close],Volume`` (``Datetime`` for intraday).
* ``datetime``: ``Date,Time,Open,High,Low,Close,Volume[,OpenInterest]``.
* ``generic``: a timestamp column (``timestamp``/``ts_event``/``time``) with OHLCV, or any
  file described by a ``column_map`` from our names to the file's.

Header names match case-, space-, ``_``- and ``-``-insensitively (``Adj Close``, ``adj_close``,
``ADJ-CLOSE``). Columns we do not know are refused, not dropped: pass a ``column_map`` to say
which columns to read, and the rest are then listed as ignored in the notes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from neural_trader.core.errors import DataFormatError, InvalidArgumentError

__all__ = [
    "Layout",
    "detect_layout",
    "expected_columns",
    "normalize_name",
    "recognise_missing_time",
]

#: normalised header name -> role. Roles are canonical value columns or timestamp parts.
_ALIASES: Final = {
    "date": "date",
    "time": "time",
    "datetime": "datetime",
    "timestamp": "timestamp",
    "tsevent": "timestamp",
    "ts": "timestamp",
    "open": "open",
    "o": "open",
    "high": "high",
    "h": "high",
    "low": "low",
    "l": "low",
    "close": "close",
    "c": "close",
    "adjclose": "adj_close",
    "adjustedclose": "adj_close",
    "volume": "volume",
    "vol": "volume",
    "v": "volume",
    "openinterest": "open_interest",
    "oi": "open_interest",
}
REQUIRED: Final = ("open", "high", "low", "close", "volume")
OPTIONAL: Final = ("adj_close", "open_interest")
_MAP_KEYS: Final = ("ts_event", "date", "time", *REQUIRED, *OPTIONAL)
_TIME_RE: Final = re.compile(r"^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_NUMBER_RE: Final = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_NA: Final = frozenset({"", "nan", "null", "na", "n/a", "none"})

_EXPECTED: Final = {
    "yahoo": "Date,Open,High,Low,Close[,Adj Close],Volume",
    "datetime": "Date,Time,Open,High,Low,Close,Volume[,OpenInterest]",
    "generic": "a timestamp column (timestamp, ts_event, time or datetime) and "
    "open, high, low, close, volume; or pass column_map",
}


def normalize_name(name: str) -> str:
    """``' Adj_Close '`` -> ``'adjclose'``: the form header names are compared in."""
    return re.sub(r"[\s_\-.]+", "", name.strip().strip('"').strip("\ufeff").lower())


def expected_columns(layout: str) -> str:
    return _EXPECTED.get(layout, _EXPECTED["generic"])


@dataclass(frozen=True)
class Layout:
    """Where each value lives in the file.

    Exactly one of ``ts_column`` or ``date_column`` (with ``time_column``) is set;
    ``columns`` maps canonical value names to file column names.
    """

    name: str
    columns: dict[str, str]
    ts_column: str | None = None
    date_column: str | None = None
    time_column: str | None = None
    ignored: list[str] = field(default_factory=list)

    def file_columns(self) -> list[str]:
        """The file columns to read, in no particular order."""
        out = [c for c in (self.ts_column, self.date_column, self.time_column) if c]
        return out + list(self.columns.values())


def recognise_missing_time(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bool:
    """Whether rows hold one more field than the header because ``Time`` is missing from it.

    The pattern, seen in real exports: the header is ``Date,Open,...`` but every row is
    ``Date,Time,Open,...``. We accept it only when it is unambiguous: the header starts with a
    date column and has no time column, every sampled row has exactly one field more, that
    field (position 2) is a time of day, and every field after it is a number (or empty), as
    the header's remaining columns require. Anything else is left to fail loudly.
    """
    if not rows or not header:
        return False
    roles = [_ALIASES.get(normalize_name(h)) for h in header]
    if roles[0] != "date" or any(r in ("time", "datetime", "timestamp") for r in roles):
        return False
    if any(r is None for r in roles[1:]):
        return False
    for row in rows:
        if len(row) != len(header) + 1 or not _TIME_RE.match(row[1].strip()):
            return False
        for value in row[2:]:
            v = value.strip()
            if v.lower() not in _NA and not _NUMBER_RE.match(v):
                return False
    return True


def _found(header: Sequence[str]) -> str:
    return ",".join(header) if header else "(none)"


def _from_map(header: Sequence[str], column_map: Mapping[str, str]) -> Layout:
    unknown = [k for k in column_map if k not in _MAP_KEYS]
    if unknown:
        raise InvalidArgumentError(
            f"column_map keys {', '.join(unknown)} are not ours; use {', '.join(_MAP_KEYS)}"
        )
    by_norm = {normalize_name(h): h for h in header}
    resolved: dict[str, str] = {}
    missing: list[str] = []
    for ours, theirs in column_map.items():
        if theirs in header:
            resolved[ours] = theirs
        elif normalize_name(theirs) in by_norm:
            resolved[ours] = by_norm[normalize_name(theirs)]
        else:
            missing.append(f"{theirs!r} (for {ours})")
    needed = [k for k in REQUIRED if k not in column_map]
    if "ts_event" not in column_map and "date" not in column_map:
        needed.insert(0, "ts_event (or date and time)")
    if missing or needed:
        parts = []
        if missing:
            parts.append(f"the file has no column {', '.join(missing)}")
        if needed:
            parts.append(f"column_map does not say where to find {', '.join(needed)}")
        raise DataFormatError(
            "; ".join(parts) + f". Found columns: {_found(header)}; column_map keys: "
            f"{', '.join(_MAP_KEYS)}"
        )
    if "ts_event" in resolved and ("date" in resolved or "time" in resolved):
        raise InvalidArgumentError("column_map names both ts_event and date/time; give one")
    used = set(resolved.values())
    return Layout(
        name="generic",
        columns={k: v for k, v in resolved.items() if k in (*REQUIRED, *OPTIONAL)},
        ts_column=resolved.get("ts_event"),
        date_column=resolved.get("date"),
        time_column=resolved.get("time"),
        ignored=[h for h in header if h not in used],
    )


def detect_layout(
    header: Sequence[str], layout: str = "auto", column_map: Mapping[str, str] | None = None
) -> Layout:
    """The :class:`Layout` of a file with this header; ``DataFormatError`` naming the expected
    and found columns when it fits none (or not the one asked for)."""
    if layout not in ("auto", "yahoo", "datetime", "generic"):
        raise InvalidArgumentError(
            f"layout {layout!r} is not one of auto, yahoo, datetime, generic"
        )
    if column_map:
        return _from_map(header, column_map)
    roles: dict[str, str] = {}
    unknown: list[str] = []
    for h in header:
        role = _ALIASES.get(normalize_name(h))
        if role is None:
            unknown.append(h)
        elif role in roles:
            raise DataFormatError(
                f"columns {roles[role]!r} and {h!r} both read as {role}; rename one or pass "
                "column_map"
            )
        else:
            roles[role] = h
    if "date" in roles and "time" in roles:
        detected, ts_col = "datetime", None
    elif "date" in roles or "datetime" in roles:
        if "date" in roles and "datetime" in roles:
            raise DataFormatError("the file has both a Date and a Datetime column; pass column_map")
        detected, ts_col = "yahoo", roles.get("date", roles.get("datetime"))
    elif "timestamp" in roles or "time" in roles:
        detected, ts_col = "generic", roles.get("timestamp", roles.get("time"))
        if "timestamp" in roles and "time" in roles:
            raise DataFormatError(
                "the file has both a timestamp and a time column; pass column_map"
            )
    else:
        want = expected_columns(layout)
        raise DataFormatError(
            f"no date or timestamp column: expected {want}; found {_found(header)}"
        )
    want_layout = detected if layout in ("auto", "generic") else layout
    missing = [k for k in REQUIRED if k not in roles]
    if layout not in ("auto", "generic") and layout != detected:
        raise DataFormatError(
            f"layout {layout!r} expects columns {expected_columns(layout)}; found "
            f"{_found(header)} (which reads as layout {detected!r})"
        )
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        raise DataFormatError(
            f"{' and '.join(parts)}: expected {expected_columns(want_layout)}; found "
            f"{_found(header)}",
            hint="pass column_map (our name -> file column) to read other layouts",
        )
    values = {k: v for k, v in roles.items() if k in (*REQUIRED, *OPTIONAL)}
    if detected == "datetime":
        return Layout(
            "datetime", values, date_column=roles["date"], time_column=roles["time"], ignored=[]
        )
    return Layout(detected, values, ts_column=ts_col)
