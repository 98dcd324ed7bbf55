"""Reading and writing the Parquet files of one series, and committing a rewrite atomically.

Why pyarrow rather than DuckDB for the bar path: measured on 1M 1-minute bars (see
``benchmarks/bench_catalog.py``), row-group pruning by the ``ts_event`` statistics plus a
``searchsorted`` trim, reading straight into numpy, is several times faster than DuckDB's
``read_parquet ... WHERE ts_event BETWEEN`` plus its conversion to pandas; DuckDB stays the
engine for ad-hoc SQL over the whole catalog (:meth:`Catalog.query`).

Exactness: columns are handed to Arrow as numpy arrays with ``from_pandas`` off, so a NaN is
stored as a NaN value (not turned into a null) and every float comes back bit-identical.

Atomicity: a file is written under a temporary name (``.tmp-*``, ignored by readers) in the
series folder, flushed to disk, then renamed into place with ``os.replace``. A rewrite that must
also remove old files first writes a journal naming the renames and removals; the journal's
rename is the commit point, and any later access rolls an interrupted commit forward.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from neural_trader.data.catalog.paths import FileRange, data_file_name
from neural_trader.data.schema import TS, arrow_schema_for

__all__ = [
    "COMPRESSION",
    "ROW_GROUP_ROWS",
    "Columns",
    "commit",
    "concat_columns",
    "file_columns",
    "file_rows",
    "iter_files",
    "read_files",
    "recover",
    "write_temp",
]

Columns = dict[str, npt.NDArray[np.generic]]

COMPRESSION: Final = "zstd"
# 64k rows (~3.5 MB of 1-minute OHLCV before compression): a one-week read of 1-minute bars
# touches one or two row groups, a full read stays a handful of large sequential reads.
ROW_GROUP_ROWS: Final = 65_536
JOURNAL: Final = ".journal.json"
_TMP_PREFIX: Final = ".tmp-"


def _table(columns: Columns, names: Sequence[str], meta: dict[str, str]) -> pa.Table:
    schema = arrow_schema_for(list(names)).with_metadata(meta)
    arrays = [pa.array(np.ascontiguousarray(columns[c]), type=schema.field(c).type) for c in names]
    return pa.Table.from_arrays(arrays, schema=schema)


def write_temp(
    directory: Path, columns: Columns, names: Sequence[str], meta: dict[str, str]
) -> tuple[Path, str]:
    """Write ``columns`` to a temporary file in ``directory``; return it and its final name.

    On any failure the temporary file is removed and the error re-raised, so nothing is left.
    """
    ts = columns[TS]
    final = data_file_name(int(ts[0]), int(ts[-1]))
    tmp = directory / f"{_TMP_PREFIX}{uuid.uuid4().hex}.parquet"
    try:
        pq.write_table(
            _table(columns, names, meta),
            tmp,
            compression=COMPRESSION,
            row_group_size=ROW_GROUP_ROWS,
            write_statistics=True,
            sorting_columns=[pq.SortingColumn(0)],
        )
        _fsync(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, final


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def commit(directory: Path, new: Sequence[tuple[Path, str]], delete: Sequence[str]) -> None:
    """Move the temporary files ``new`` into place and remove the files named in ``delete``.

    A pure addition is one ``os.replace`` per file. When files must go too, a journal is
    written first so that a crash between the renames and the removals is completed by
    :func:`recover` instead of leaving overlapping files behind.
    """
    finals = {name for _, name in new}
    to_delete = [name for name in delete if name not in finals]
    if not to_delete:
        for tmp, name in new:
            os.replace(tmp, directory / name)
        return
    journal: dict[str, list[Any]] = {
        "replace": [[tmp.name, name] for tmp, name in new],
        "delete": to_delete,
    }
    tmp_journal = directory / f"{_TMP_PREFIX}journal-{uuid.uuid4().hex}"
    tmp_journal.write_text(json.dumps(journal))
    _fsync(tmp_journal)
    os.replace(tmp_journal, directory / JOURNAL)
    _apply(directory, journal)


def _apply(directory: Path, journal: dict[str, list[Any]]) -> None:
    for pair in journal["replace"]:
        tmp_name, name = str(pair[0]), str(pair[1])
        if (directory / tmp_name).exists():
            os.replace(directory / tmp_name, directory / name)
    for name in journal["delete"]:
        (directory / str(name)).unlink(missing_ok=True)
    (directory / JOURNAL).unlink()


def needs_recovery(directory: Path) -> bool:
    return (directory / JOURNAL).exists()


def recover(directory: Path) -> None:
    """Finish an interrupted commit and remove stray temporary files (caller holds the lock)."""
    path = directory / JOURNAL
    if path.exists():
        _apply(directory, json.loads(path.read_text()))
    if directory.is_dir():
        for p in directory.iterdir():
            if p.name.startswith(_TMP_PREFIX):
                p.unlink(missing_ok=True)


def file_rows(path: Path) -> int:
    return int(pq.read_metadata(path).num_rows)


def file_columns(path: Path) -> tuple[str, ...]:
    return tuple(pq.read_schema(path).names)


def _row_groups(pf: pq.ParquetFile, lo: int, hi: int) -> list[int]:
    """Row groups whose ``ts_event`` statistics intersect ``[lo, hi]``."""
    md = pf.metadata
    keep = []
    for i in range(md.num_row_groups):
        stats = md.row_group(i).column(0).statistics
        if stats is None or not stats.has_min_max or (stats.max >= lo and stats.min <= hi):
            keep.append(i)
    return keep


def _trim(table: pa.Table | pa.RecordBatch, lo: int, hi: int) -> pa.Table | pa.RecordBatch:
    ts = table.column(TS).to_numpy()
    i = int(np.searchsorted(ts, lo, side="left"))
    j = int(np.searchsorted(ts, hi, side="right"))
    if i == 0 and j == len(ts):
        return table
    return table.slice(i, j - i)


def _read_file(f: FileRange, lo: int, hi: int, names: Sequence[str]) -> pa.Table:
    pf = pq.ParquetFile(f.path, memory_map=True)
    if lo <= f.start_ns and f.end_ns <= hi:
        return pf.read(columns=list(names), use_threads=True)
    table = pf.read_row_groups(_row_groups(pf, lo, hi), columns=list(names), use_threads=True)
    return _trim(table, lo, hi)


def read_files(files: Sequence[FileRange], lo: int, hi: int, names: Sequence[str]) -> Columns:
    """Rows with ``lo <= ts_event <= hi`` from ``files`` (sorted, disjoint), as numpy columns.

    The arrays are fresh and writable: nothing aliases the memory-mapped files.
    """
    tables = [_read_file(f, lo, hi, names) for f in files if f.overlaps(lo, hi)]
    out: Columns = {}
    for name in names:
        chunks = [c for t in tables for c in t.column(name).chunks if len(c)]
        dtype = np.int64 if name == TS else np.float64
        if not chunks:
            out[name] = np.empty(0, dtype=dtype)
        else:
            out[name] = np.concatenate([c.to_numpy(zero_copy_only=False) for c in chunks])
    return out


def iter_files(
    files: Sequence[FileRange], lo: int, hi: int, names: Sequence[str], chunk_rows: int
) -> Iterator[Columns]:
    """Stream the rows of ``files`` in ``[lo, hi]`` as column chunks of at most ``chunk_rows``.

    The files are opened up front (the caller holds the series lock meanwhile); an open file
    stays readable even if a later rewrite replaces it, so the stream is a consistent snapshot.
    Memory stays bounded by about two chunks whatever the series length.
    """
    opened = [pq.ParquetFile(f.path, memory_map=True) for f in files if f.overlaps(lo, hi)]
    return _stream(opened, lo, hi, list(names), chunk_rows)


def _stream(
    opened: list[pq.ParquetFile], lo: int, hi: int, names: list[str], chunk_rows: int
) -> Iterator[Columns]:
    pending: list[pa.RecordBatch] = []
    size = 0
    for pf in opened:
        groups = _row_groups(pf, lo, hi)
        if not groups:
            continue
        for batch in pf.iter_batches(batch_size=chunk_rows, row_groups=groups, columns=names):
            piece = _trim(batch, lo, hi)
            while len(piece):
                take = min(chunk_rows - size, len(piece))
                pending.append(piece.slice(0, take))
                size += take
                piece = piece.slice(take)
                if size == chunk_rows:
                    yield concat_columns(pending, names)
                    pending, size = [], 0
    if size:
        yield concat_columns(pending, names)


def concat_columns(batches: Sequence[pa.RecordBatch], names: Sequence[str]) -> Columns:
    return {
        name: np.concatenate([b.column(name).to_numpy(zero_copy_only=False) for b in batches])
        for name in names
    }
