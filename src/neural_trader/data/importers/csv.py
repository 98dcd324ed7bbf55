"""Text CSV bar files: structure check, then one fast ``pandas.read_csv`` pass.

Why the structure check before pandas: pandas pads a short line with NaN and rejects a long
one without saying which column is which, and it counts rows, not file lines. We scan the raw
bytes once with numpy (line ends, delimiters per line, blank lines; ~0.1 s per million lines),
so every frame row keeps its source line number, a line with the wrong number of fields is
named instead of padded, and a header that disagrees with every row is either explained (the
missing ``Time`` column, see :func:`.layouts.recognise_missing_time`) or refused. Nothing is
ever shifted into a neighbouring column.
"""

from __future__ import annotations

import csv as _csv
import io
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from neural_trader.core.data import BarSpec
from neural_trader.core.errors import DataFormatError
from neural_trader.data.importers.common import (
    BadRowPolicy,
    BarLabel,
    Parsed,
    RawImport,
    assemble,
    coerce_numeric,
    combine_date_time,
    parse_timestamps,
    unparseable_timestamps,
)
from neural_trader.data.importers.layouts import detect_layout, recognise_missing_time
from neural_trader.data.validation import Issue

__all__ = ["check_text", "read_csv_bars"]

IntArray = npt.NDArray[np.int64]

_MAGIC: Final = (
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\x89PNG", "a PNG image"),
    (b"PK\x03\x04", "a ZIP archive (or an Excel .xlsx workbook)"),
    (b"%PDF", "a PDF document"),
    (b"PAR1", "a Parquet file"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office document"),
)
_SAMPLE_ROWS: Final = 200


def check_text(data: bytes, source: str) -> None:
    """Refuse empty and binary input with a message saying what it looks like instead."""
    if not data:
        raise DataFormatError(f"{source} is empty (0 bytes): there is nothing to import")
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise DataFormatError(f"{source} is not a text CSV: it starts like {what}")
    if b"\x00" in data[:65536]:
        raise DataFormatError(
            f"{source} is not a text CSV: it contains NUL bytes (binary data, or UTF-16 text; "
            "save it as UTF-8)"
        )


class _Lines:
    """Line boundaries of a byte buffer, found with numpy rather than a Python loop."""

    def __init__(self, data: bytes) -> None:
        arr = np.frombuffer(data, dtype=np.uint8)
        nl = np.flatnonzero(arr == 10)
        ends = nl if data.endswith(b"\n") else np.append(nl, len(data))
        starts = np.concatenate(([0], nl + 1))[: len(ends)]
        # A line's content ends before its "\r\n" (or "\n").
        has_cr = np.zeros(len(ends), dtype=np.bool_)
        inner = ends > starts
        has_cr[inner] = arr[ends[inner] - 1] == 13
        self.arr = arr
        self.starts = starts.astype(np.int64)
        self.ends = (ends - has_cr).astype(np.int64)
        self.crlf = int(has_cr.sum())
        self.blank = self.ends <= self.starts

    def __len__(self) -> int:
        return len(self.starts)

    def text(self, i: int, data: bytes) -> str:
        return data[self.starts[i] : self.ends[i]].decode("utf-8", errors="replace")

    def field_counts(self, delim: int) -> IntArray:
        """Delimiters per line plus one (quote-unaware: see :func:`_quoted_counts`)."""
        pos = np.flatnonzero(self.arr == delim)
        line_of = np.searchsorted(self.ends, pos, side="left")
        counts = np.bincount(line_of, minlength=len(self.ends) + 1)[: len(self.ends)]
        return counts.astype(np.int64) + 1


def _quoted_counts(data: bytes, lines: _Lines, idx: IntArray, delim: str) -> IntArray:
    """Field counts honouring quotes, line by line: only for the rare quoted file."""
    out = np.empty(len(idx), dtype=np.int64)
    for k, i in enumerate(idx):
        out[k] = len(next(_csv.reader([lines.text(int(i), data)], delimiter=delim)))
    return out


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _split(text: str, delim: str) -> list[str]:
    return next(_csv.reader([text], delimiter=delim))


def _looks_like_data(header: list[str]) -> bool:
    first = header[0].strip().strip('"')
    if not first:
        return False
    return first[0].isdigit() or first[0] in "+-."


def _normalise_line_endings(data: bytes, notes: list[str], source: str) -> bytes:
    cr = data.count(b"\r")
    if cr == 0:
        return data
    crlf = data.count(b"\r\n")
    if crlf == cr:
        notes.append("CRLF line endings")
        return data
    if b"\n" not in data:
        notes.append("old Mac (CR) line endings converted")
        return data.replace(b"\r", b"\n")
    arr = np.frombuffer(data, dtype=np.uint8)
    cr_pos = np.flatnonzero(arr == 13)
    nxt = np.append(arr, 0)[cr_pos + 1]
    lone = cr_pos[nxt != 10]
    line = int(np.count_nonzero(arr[: int(lone[0])] == 10)) + 1
    raise DataFormatError(
        f"{source}: line {line} holds a carriage return (\\r) that does not end the line; "
        "the line structure is ambiguous, so nothing was read"
    )


def read_csv_bars(
    data: bytes,
    *,
    source: str,
    layout: str,
    tz: str,
    column_map: dict[str, str] | None,
    date_format: str | None,
    bar_label: BarLabel,
    spec: BarSpec | str | None,
    on_bad_rows: BadRowPolicy,
    notes: list[str] | None = None,
) -> RawImport:
    """Parse CSV bytes into a :class:`RawImport` (see :func:`..pipeline.read_bars_file`)."""
    notes = list(notes or [])
    check_text(data, source)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        notes.append("UTF-8 byte-order mark skipped")
    data = _normalise_line_endings(data, notes, source)
    lines = _Lines(data)
    content = np.flatnonzero(~lines.blank)
    if len(content) == 0:
        raise DataFormatError(f"{source} holds only blank lines: there is nothing to import")
    header_idx = int(content[0])
    header_text = lines.text(header_idx, data)
    delim = _delimiter(header_text)
    if delim != ",":
        notes.append(f"delimiter {delim!r}")
    header = [h.strip() for h in _split(header_text, delim)]
    if _looks_like_data(header):
        raise DataFormatError(
            f"{source}: line {header_idx + 1} looks like data ({header_text[:60]!r}), not a "
            "header; the file needs a header row naming its columns"
        )
    data_idx = content[1:]
    if len(data_idx) == 0:
        raise DataFormatError(
            f"{source} has a header ({','.join(header)}) but no data rows: nothing to import"
        )
    counts = lines.field_counts(ord(delim))[data_idx]
    body_start = int(lines.starts[data_idx[0]])
    if b'"' in data[body_start:]:
        counts = _quoted_counts(data, lines, data_idx, delim)
    n_header = len(header)
    modal = int(np.bincount(counts).argmax())
    names = header
    if modal != n_header:
        first_modal = int(data_idx[np.flatnonzero(counts == modal)[0]]) + 1
        sample = [
            _split(lines.text(int(i), data), delim)
            for i in data_idx[counts == modal][:_SAMPLE_ROWS]
        ]
        if modal == n_header + 1 and recognise_missing_time(header, sample):
            names = [header[0], "Time", *header[1:]]
            notes.append(
                f"header names {n_header} columns ({','.join(header)}) but rows have {modal}: "
                f"the second field of every row is a time of day, so the file was read as "
                f"{','.join(names)}"
            )
        else:
            raise DataFormatError(
                f"{source}: header names {n_header} columns, rows have {modal} (line "
                f"{first_modal}); cannot tell which value belongs to which column, so nothing "
                "was read",
                hint=f"header: {','.join(header)}; first row: "
                f"{lines.text(first_modal - 1, data)[:80]}",
            )
    width = len(names)
    bad = counts != width
    issues: list[Issue] = []
    for i, k in zip(data_idx[bad], counts[bad], strict=True):
        line = int(i) + 1
        issues.append(
            Issue(
                "malformed_row",
                "error",
                f"line {line}: {int(k)} fields, expected {width} ({','.join(names)})",
                row=line,
            )
        )
    if issues and on_bad_rows == "raise":
        shown = "; ".join(i.message for i in issues[:10])
        more = f" (and {len(issues) - 10} more)" if len(issues) > 10 else ""
        raise DataFormatError(
            f"{source}: {len(issues)} line(s) have the wrong number of fields: {shown}{more}"
        )
    lay = detect_layout(names, layout, column_map)
    if lay.ignored:
        notes.append(f"columns not read (not in column_map): {', '.join(lay.ignored)}")
    notes.insert(0, f"layout {lay.name}")
    good_idx = data_idx[~bad]
    skip = np.concatenate((np.arange(header_idx + 1), data_idx[bad])).tolist()
    str_cols = {c: "str" for c in (lay.ts_column, lay.date_column, lay.time_column) if c}
    wanted = lay.file_columns()
    positions = [names.index(c) for c in wanted]
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            sep=delim,
            header=None,
            names=list(range(width)),
            usecols=positions,
            skiprows=skip,
            dtype={names.index(c): t for c, t in str_cols.items()},
            skip_blank_lines=True,
            index_col=False,
            engine="c",
            encoding="utf-8",
            encoding_errors="replace",
            skipinitialspace=True,
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataFormatError(f"{source}: the CSV parser failed: {exc}") from exc
    frame.columns = [names[int(c)] for c in frame.columns]
    if len(frame) != len(good_idx):
        raise DataFormatError(
            f"{source}: read {len(frame)} rows but the file has {len(good_idx)} data lines "
            "(a quoted field spanning lines?); nothing was imported"
        )
    rows = (good_idx + 1).astype(np.int64)
    parsed: Parsed
    if lay.ts_column is not None:
        parsed = parse_timestamps(
            frame[lay.ts_column],
            column=lay.ts_column,
            tz=tz,
            date_format=date_format,
            row_numbers=rows,
        )
        issues += unparseable_timestamps(parsed, frame[lay.ts_column], lay.ts_column, rows)
    else:
        assert lay.date_column is not None
        date_col = lay.date_column
        if lay.time_column is None:
            parsed = parse_timestamps(
                frame[date_col], column=date_col, tz=tz, date_format=date_format, row_numbers=rows
            )
            issues += unparseable_timestamps(parsed, frame[date_col], date_col, rows)
        else:
            parsed = combine_date_time(
                frame[date_col],
                frame[lay.time_column],
                date_column=date_col,
                time_column=lay.time_column,
                tz=tz,
                date_format=date_format,
                row_numbers=rows,
            )
            if parsed.bad.any():
                both = frame[date_col].astype("str") + " " + frame[lay.time_column].astype("str")
                label = f"{date_col}+{lay.time_column}"
                issues += unparseable_timestamps(parsed, both, label, rows)
    notes += parsed.notes
    values: dict[str, npt.NDArray[np.float64]] = {}
    for ours, theirs in lay.columns.items():
        values[ours], found = coerce_numeric(frame[theirs], ours, rows)
        issues += found
    return assemble(
        ts=parsed,
        columns=values,
        row_numbers=rows,
        issues=issues,
        layout=lay.name,
        notes=notes,
        spec=spec,
        bar_label=bar_label,
        on_bad_rows=on_bad_rows,
        source=source,
    )


def read_path(path: Path) -> bytes:
    """The file's bytes; ``.gz`` files are decompressed (the name says they are)."""
    data = path.read_bytes()
    if path.suffix.lower() == ".gz":
        import gzip

        try:
            return gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise DataFormatError(f"{path.name} is named .gz but is not valid gzip: {exc}") from exc
    return data
