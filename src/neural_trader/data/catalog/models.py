"""The plain values the catalog hands back: what a series holds, and what a write did.

They are frozen dataclasses with a ``to_dict`` so the CLI's ``--json`` output and the MCP tools
serialise them the same way; timestamps appear both as int64 ns and as ISO strings, because
the first is exact and the second is what a person reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

import pandas as pd

from neural_trader.core.data import BarSpec
from neural_trader.core.errors import InvalidArgumentError

__all__ = ["CatalogEntry", "WriteMode", "WriteResult", "check_mode", "iso"]

WriteMode = Literal["append", "overwrite", "upsert"]
WRITE_MODES: tuple[str, ...] = get_args(WriteMode)


def check_mode(mode: str) -> WriteMode:
    if mode == "append":
        return "append"
    if mode == "overwrite":
        return "overwrite"
    if mode == "upsert":
        return "upsert"
    raise InvalidArgumentError(f"unknown write mode {mode!r}; use one of {', '.join(WRITE_MODES)}")


def iso(ns: int) -> str:
    """ISO-8601 UTC text of a nanosecond timestamp, for people."""
    return pd.Timestamp(ns, unit="ns", tz="UTC").isoformat()


@dataclass(frozen=True)
class CatalogEntry:
    """One stored series: ``rows`` bars from ``start_ns`` to ``end_ns`` (inclusive, bar starts)."""

    symbol: str
    spec: BarSpec
    rows: int
    start_ns: int
    end_ns: int
    files: int
    bytes: int
    columns: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "spec": str(self.spec),
            "rows": self.rows,
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "start": iso(self.start_ns),
            "end": iso(self.end_ns),
            "files": self.files,
            "bytes": self.bytes,
            "columns": list(self.columns),
        }


@dataclass(frozen=True)
class WriteResult:
    """What :meth:`Catalog.write_bars` did.

    ``rows_written`` counts the rows of the frame written; ``rows_total``, ``start_ns`` and
    ``end_ns`` describe the whole stored series after the write.
    """

    symbol: str
    spec: BarSpec
    rows_written: int
    rows_total: int
    start_ns: int
    end_ns: int
    mode: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "spec": str(self.spec),
            "rows_written": self.rows_written,
            "rows_total": self.rows_total,
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "start": iso(self.start_ns),
            "end": iso(self.end_ns),
            "mode": self.mode,
        }
