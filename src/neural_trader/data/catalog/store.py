"""The embedded market-data catalog: bar series in Parquet, one folder per (symbol, spec).

Layout (after NautilusTrader's ParquetDataCatalog)::

    root/bars/<encoded symbol>/<spec>/<first ts_event>_<last ts_event>.parquet
    root/.locks/<encoded symbol>/<spec>.lock

Files of a series never overlap in time, so a read picks its files by name and its row groups
by statistics without scanning anything else. An append strictly after (or between) the stored
files adds a file; a write that lands inside stored files rewrites only those files. Every
change is a temporary file plus ``os.replace`` (see :mod:`.fileio`), under a per-series lock,
so a failure or a crash leaves the series either as before or as after, never in between.

Why no index file: the folder tree and the Parquet footers *are* the index; a second source
of truth could disagree with the data after a crash.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from neural_trader.config import Settings, load_settings
from neural_trader.core.data import BarBatch, BarSpec
from neural_trader.core.errors import CatalogError, InvalidArgumentError, UnknownSymbolError
from neural_trader.data.catalog import fileio
from neural_trader.data.catalog.lock import SeriesLock
from neural_trader.data.catalog.models import (
    CatalogEntry,
    WriteMode,
    WriteResult,
    check_mode,
    iso,
)
from neural_trader.data.catalog.paths import (
    FileRange,
    bars_root,
    decode_symbol,
    encode_symbol,
    list_data_files,
    lock_file,
    series_dir,
)
from neural_trader.data.catalog.sql import build_bars_view, run_query
from neural_trader.data.schema import BAR_COLUMNS, OPTIONAL_COLUMNS, TS, normalize_bar_frame
from neural_trader.data.timebounds import TimeLike, resolve_range

__all__ = ["Catalog"]

_CANONICAL_ORDER: Final = (*BAR_COLUMNS, *OPTIONAL_COLUMNS)


class Catalog:
    """Bars by symbol and spec, stored under ``root``. Safe for concurrent processes."""

    def __init__(self, root: str | Path, *, lock_timeout: float = 60.0) -> None:
        self.root = Path(root).expanduser()
        self.lock_timeout = lock_timeout

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Catalog:
        """The catalog at ``settings.catalog_path`` (``$NT_HOME/catalog`` by default)."""
        return cls((settings or load_settings()).catalog_path)

    def __repr__(self) -> str:
        return f"Catalog({str(self.root)!r})"

    # ------------------------------------------------------------------ writing

    def write_bars(
        self,
        symbol: str,
        spec: BarSpec | str,
        frame: pd.DataFrame,
        *,
        mode: WriteMode = "append",
    ) -> WriteResult:
        """Store a canonical bar frame.

        ``append`` refuses rows whose ``ts_event`` is already stored (nothing is written);
        ``upsert`` replaces stored rows with equal ``ts_event`` and merges the rest;
        ``overwrite`` replaces the whole series (and may change its columns). ``append`` and
        ``upsert`` require the stored columns, optional ones included.
        """
        spec = BarSpec.parse(spec)
        mode = check_mode(mode)
        frame = normalize_bar_frame(frame)
        if len(frame) == 0:
            raise InvalidArgumentError(
                f"the frame for {symbol} {spec} has no rows; nothing to write",
                hint="use Catalog.delete to remove a series",
            )
        names = tuple(str(c) for c in frame.columns)
        new: fileio.Columns = {c: frame[c].to_numpy() for c in names}
        _check_strictly_increasing(new[TS], symbol, spec)
        directory = series_dir(self.root, symbol, spec)
        meta = {"neural_trader.symbol": symbol, "neural_trader.spec": str(spec)}
        with self._lock(symbol, spec, exclusive=True):
            directory.mkdir(parents=True, exist_ok=True)
            fileio.recover(directory)
            files = list_data_files(directory)
            if mode == "overwrite" or not files:
                tmp = fileio.write_temp(directory, new, names, meta)
                fileio.commit(directory, [tmp], [f.path.name for f in files])
            else:
                self._merge_into(symbol, spec, directory, files, new, names, mode, meta)
            files = list_data_files(directory)
            total = sum(fileio.file_rows(f.path) for f in files)
        return WriteResult(
            symbol=symbol,
            spec=spec,
            rows_written=len(frame),
            rows_total=total,
            start_ns=files[0].start_ns,
            end_ns=files[-1].end_ns,
            mode=mode,
        )

    def _merge_into(
        self,
        symbol: str,
        spec: BarSpec,
        directory: Path,
        files: list[FileRange],
        new: fileio.Columns,
        names: tuple[str, ...],
        mode: WriteMode,
        meta: dict[str, str],
    ) -> None:
        stored = fileio.file_columns(files[0].path)
        if stored != names:
            raise CatalogError(_schema_difference(symbol, spec, stored, names))
        ts = new[TS]
        lo, hi = int(ts[0]), int(ts[-1])
        # Every file inside the hull of the new rows is rewritten, so files stay disjoint.
        affected = [f for f in files if f.overlaps(lo, hi)]
        if not affected:
            tmp = fileio.write_temp(directory, new, names, meta)
            fileio.commit(directory, [tmp], [])
            return
        old = fileio.read_files(affected, np.iinfo(np.int64).min, np.iinfo(np.int64).max, names)
        if mode == "append":
            clash = np.isin(ts, old[TS], assume_unique=True)
            count = int(clash.sum())
            if count:
                hit = ts[clash]
                raise CatalogError(
                    f"{count} of {len(ts)} rows for {symbol} {spec} are already stored "
                    f"(ts_event from {iso(int(hit[0]))} to {iso(int(hit[-1]))}); nothing written",
                    hint="use mode 'overwrite' to replace the series, or 'upsert' to replace "
                    "the stored bars that have the same timestamps",
                )
            keep = np.ones(len(old[TS]), dtype=bool)
        else:
            keep = ~np.isin(old[TS], ts, assume_unique=True)
        merged_ts = np.concatenate([old[TS][keep], ts])
        order = np.argsort(merged_ts, kind="stable")
        merged = {c: np.concatenate([old[c][keep], new[c]])[order] for c in names}
        tmp = fileio.write_temp(directory, merged, names, meta)
        fileio.commit(directory, [tmp], [f.path.name for f in affected])

    def delete(self, symbol: str, spec: BarSpec | str | None = None) -> int:
        """Remove one series, or every series of ``symbol``; returns the data files removed."""
        specs = self.specs(symbol) if spec is None else [self._require(symbol, spec)[0]]
        removed = 0
        for sp in specs:
            directory = series_dir(self.root, symbol, sp)
            with self._lock(symbol, sp, exclusive=True):
                fileio.recover(directory)
                removed += len(list_data_files(directory))
                shutil.rmtree(directory, ignore_errors=False)
        symbol_dir = bars_root(self.root) / encode_symbol(symbol)
        if symbol_dir.is_dir() and not any(symbol_dir.iterdir()):
            symbol_dir.rmdir()
        return removed

    # ------------------------------------------------------------------ reading

    def read_bars(
        self,
        symbol: str,
        spec: BarSpec | str,
        *,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Bars with ``start <= ts_event <= end`` as a canonical frame sorted by ``ts_event``.

        A date-only ``end`` includes that whole day (see :func:`timebounds.to_ns`).
        ``columns`` selects value columns; ``ts_event`` always comes first.
        """
        data = self._read(symbol, spec, start, end, columns)
        return pd.DataFrame(data, copy=False)

    def read_batch(
        self,
        symbol: str,
        spec: BarSpec | str,
        *,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
    ) -> BarBatch:
        """Like :meth:`read_bars`, as numpy arrays without a DataFrame in between."""
        parsed = BarSpec.parse(spec)
        return BarBatch.from_columns(symbol, parsed, self._read(symbol, parsed, start, end, None))

    def iter_batches(
        self,
        symbol: str,
        spec: BarSpec | str,
        *,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        chunk_rows: int = 1_000_000,
    ) -> Iterator[BarBatch]:
        """The bars of a range in consecutive batches of ``chunk_rows`` (the last may be
        shorter), reading no more than about two batches into memory at a time."""
        if chunk_rows <= 0:
            raise InvalidArgumentError(f"chunk_rows must be positive, got {chunk_rows}")
        parsed, directory = self._require(symbol, spec)
        lo, hi = resolve_range(start, end)
        with self._read_lock(symbol, parsed, directory):
            files = list_data_files(directory)
            names = fileio.file_columns(files[0].path) if files else BAR_COLUMNS
            stream = fileio.iter_files(files, lo, hi, names, chunk_rows)
        return (BarBatch.from_columns(symbol, parsed, cols) for cols in stream)

    def read_many(
        self,
        symbols: Sequence[str],
        spec: BarSpec | str,
        *,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
    ) -> pd.DataFrame:
        """Bars of several symbols in long format: ``symbol`` first, sorted by (symbol, ts).

        Optional columns held by only some symbols are NaN for the others.
        """
        unique = sorted(set(symbols))
        if not unique:
            raise InvalidArgumentError("read_many needs at least one symbol")
        parts = [self._read(s, spec, start, end, None) for s in unique]
        names = [c for c in _CANONICAL_ORDER if any(c in p for p in parts)]
        counts = [len(p[TS]) for p in parts]
        out: dict[str, object] = {"symbol": np.repeat(np.array(unique, dtype=object), counts)}
        for c in names:
            dtype = np.int64 if c == TS else np.float64
            out[c] = np.concatenate(
                [
                    p[c] if c in p else np.full(n, np.nan, dtype=dtype)
                    for p, n in zip(parts, counts, strict=True)
                ]
            )
        return pd.DataFrame(out)

    def _read(
        self,
        symbol: str,
        spec: BarSpec | str,
        start: TimeLike | None,
        end: TimeLike | None,
        columns: Sequence[str] | None,
    ) -> fileio.Columns:
        parsed, directory = self._require(symbol, spec)
        lo, hi = resolve_range(start, end)
        with self._read_lock(symbol, parsed, directory):
            files = list_data_files(directory)
            stored = fileio.file_columns(files[0].path) if files else BAR_COLUMNS
            names = _select_columns(stored, columns, symbol, parsed)
            return fileio.read_files(files, lo, hi, names)

    # ------------------------------------------------------------------ listing

    def symbols(self) -> list[str]:
        """Every symbol with at least one stored series, sorted."""
        base = bars_root(self.root)
        if not base.is_dir():
            return []
        out = []
        for d in base.iterdir():
            if d.is_dir() and not d.name.startswith(".") and _spec_dirs(d):
                out.append(decode_symbol(d.name))
        return sorted(out)

    def specs(self, symbol: str) -> list[BarSpec]:
        """The bar specs stored for ``symbol``, shortest first."""
        found = _spec_dirs(bars_root(self.root) / encode_symbol(symbol))
        if not found:
            raise UnknownSymbolError(symbol, known=self.symbols())
        return sorted(found, key=lambda s: (s.nanos, s.unit.value))

    def has(self, symbol: str, spec: BarSpec | str) -> bool:
        return bool(list_data_files(series_dir(self.root, symbol, BarSpec.parse(spec))))

    def entry(self, symbol: str, spec: BarSpec | str) -> CatalogEntry:
        """What one series holds, from file names and Parquet footers (no data is read)."""
        parsed, directory = self._require(symbol, spec)
        with self._read_lock(symbol, parsed, directory):
            files = list_data_files(directory)
            if not files:  # removed between the check and the lock
                raise CatalogError(f"{symbol} {parsed} was deleted while being listed")
            return CatalogEntry(
                symbol=symbol,
                spec=parsed,
                rows=sum(fileio.file_rows(f.path) for f in files),
                start_ns=files[0].start_ns,
                end_ns=files[-1].end_ns,
                files=len(files),
                bytes=sum(f.path.stat().st_size for f in files),
                columns=fileio.file_columns(files[0].path),
            )

    def entries(self) -> list[CatalogEntry]:
        """Every stored series, sorted by symbol then spec."""
        return [self.entry(sym, sp) for sym in self.symbols() for sp in self.specs(sym)]

    def query(self, sql: str) -> pd.DataFrame:
        """Run DuckDB SQL over the view ``bars(symbol, spec, ts_event, open, ...)``.

        The view spans every series in the catalog; filters on ``symbol``, ``spec`` and
        ``ts_event`` are pushed down to the Parquet files.
        """
        series: list[tuple[str, str, list[str]]] = []
        for sym in self.symbols():
            for sp in self.specs(sym):
                directory = series_dir(self.root, sym, sp)
                with self._read_lock(sym, sp, directory):
                    paths = [str(f.path) for f in list_data_files(directory)]
                if paths:
                    series.append((sym, str(sp), paths))
        return run_query(build_bars_view(series), sql)

    # ------------------------------------------------------------------ helpers

    def _require(self, symbol: str, spec: BarSpec | str) -> tuple[BarSpec, Path]:
        parsed = BarSpec.parse(spec)
        directory = series_dir(self.root, symbol, parsed)
        if list_data_files(directory):
            return parsed, directory
        held = self.specs(symbol)  # raises UnknownSymbolError when the symbol is absent
        raise CatalogError(
            f"{symbol} has no {parsed} bars; the catalog holds {', '.join(map(str, held))}",
            hint=f"read one of those specs, or resample: neural-trader data resample {symbol}",
        )

    def _lock(self, symbol: str, spec: BarSpec, *, exclusive: bool) -> SeriesLock:
        return SeriesLock(
            lock_file(self.root, symbol, spec), exclusive=exclusive, timeout=self.lock_timeout
        )

    def _read_lock(self, symbol: str, spec: BarSpec, directory: Path) -> SeriesLock:
        """A shared lock, after finishing any commit a crashed writer left behind."""
        if fileio.needs_recovery(directory):
            with self._lock(symbol, spec, exclusive=True):
                fileio.recover(directory)
        return self._lock(symbol, spec, exclusive=False)


def _spec_dirs(symbol_dir: Path) -> list[BarSpec]:
    if not symbol_dir.is_dir():
        return []
    out = []
    for d in symbol_dir.iterdir():
        if d.name.startswith(".") or not d.is_dir():
            continue
        try:
            spec = BarSpec.parse(d.name)
        except InvalidArgumentError:
            continue
        if str(spec) == d.name and list_data_files(d):
            out.append(spec)
    return out


def _check_strictly_increasing(ts: np.ndarray, symbol: str, spec: BarSpec) -> None:
    bad = np.flatnonzero(np.diff(ts) <= 0)
    if bad.size:
        i = int(bad[0]) + 1
        what = "repeats" if ts[i] == ts[i - 1] else "goes back before"
        raise CatalogError(
            f"ts_event of {symbol} {spec} must be strictly increasing: row {i} "
            f"({iso(int(ts[i]))}) {what} row {i - 1} ({iso(int(ts[i - 1]))}); "
            f"{bad.size} such rows",
            hint="sort by ts_event and drop duplicate timestamps before writing",
        )


def _schema_difference(
    symbol: str, spec: BarSpec, stored: tuple[str, ...], given: tuple[str, ...]
) -> str:
    extra = [c for c in given if c not in stored]
    missing = [c for c in stored if c not in given]
    parts = []
    if extra:
        parts.append(f"the frame adds {', '.join(extra)}")
    if missing:
        parts.append(f"the frame lacks {', '.join(missing)}")
    return (
        f"columns of {symbol} {spec} do not match the stored series "
        f"({', '.join(stored)}): {'; '.join(parts) or 'different order'}. "
        "Write with mode 'overwrite' to replace the series with the new columns"
    )


def _select_columns(
    stored: tuple[str, ...], columns: Sequence[str] | None, symbol: str, spec: BarSpec
) -> tuple[str, ...]:
    if columns is None:
        return stored
    if isinstance(columns, str):
        columns = [columns]
    unknown = [c for c in columns if c not in stored]
    if unknown:
        raise CatalogError(
            f"{symbol} {spec} has no column {', '.join(map(repr, unknown))}; "
            f"it holds {', '.join(stored)}"
        )
    return (TS, *[c for c in dict.fromkeys(columns) if c != TS])
