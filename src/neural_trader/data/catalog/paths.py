"""Where a series lives on disk: ``root/bars/<encoded symbol>/<spec>/<start_ns>_<end_ns>.parquet``.

Symbols come from every venue's naming scheme (``BTC/USDT``, ``RCI.B``, ``^GSPC``, ``ES=F``), and
a symbol must never escape its folder or collide with another. The encoding is percent-escaping
of every byte outside ``[A-Za-z0-9._-]`` (so ``/`` can never create a sub-folder), plus escaping
of a leading dot (hidden files, ``.``/``..``) and of Windows' reserved device names. It is
reversible, so listing the catalog needs no side index. File names carry the first and last
``ts_event`` of the file so reads can skip files by name alone, without opening them.

Names starting with ``.`` inside a series folder are the store's own (temporary files, the
rewrite journal) and are never data.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final
from urllib.parse import quote, unquote

from neural_trader.core.data import BarSpec
from neural_trader.core.errors import InvalidArgumentError

__all__ = [
    "BARS_DIR",
    "LOCKS_DIR",
    "FileRange",
    "bars_root",
    "data_file_name",
    "decode_symbol",
    "encode_symbol",
    "list_data_files",
    "lock_file",
    "parse_data_file_name",
    "series_dir",
    "spec_dir_name",
]

BARS_DIR: Final = "bars"
LOCKS_DIR: Final = ".locks"
_MAX_NAME_BYTES: Final = 240  # under the 255-byte limit of common file systems
_FILE_RE: Final = re.compile(r"^(-?\d+)_(-?\d+)\.parquet$")
_WINDOWS_RESERVED: Final = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"COM{i}" for i in range(1, 10)]
    + [f"LPT{i}" for i in range(1, 10)]
)


def encode_symbol(symbol: str) -> str:
    """A folder name for ``symbol`` that is safe on POSIX and Windows and decodes back exactly."""
    if not isinstance(symbol, str) or not symbol.strip():
        raise InvalidArgumentError(f"a symbol must be a non-empty string, got {symbol!r}")
    if symbol != symbol.strip():
        raise InvalidArgumentError(f"symbol {symbol!r} has leading or trailing spaces")
    # quote() keeps A-Za-z0-9 and "_.-~"; "~" is escaped too so the safe set is exactly ours.
    enc = quote(symbol, safe="").replace("~", "%7E")
    if enc.startswith("."):
        enc = "%2E" + enc[1:]
    if enc.split(".")[0].upper() in _WINDOWS_RESERVED:
        enc = f"%{ord(enc[0]):02X}" + enc[1:]
    if len(enc.encode()) > _MAX_NAME_BYTES:
        raise InvalidArgumentError(f"symbol {symbol[:40]!r}... is too long to store")
    return enc


def decode_symbol(name: str) -> str:
    """The symbol a folder name stands for (inverse of :func:`encode_symbol`)."""
    return unquote(name)


def spec_dir_name(spec: BarSpec) -> str:
    return str(spec)


def bars_root(root: Path) -> Path:
    return root / BARS_DIR


def series_dir(root: Path, symbol: str, spec: BarSpec) -> Path:
    return bars_root(root) / encode_symbol(symbol) / spec_dir_name(spec)


def lock_file(root: Path, symbol: str, spec: BarSpec) -> Path:
    """The lock file of one series; kept outside the series folder so deleting the series
    never deletes a lock another process is waiting on."""
    return root / LOCKS_DIR / encode_symbol(symbol) / f"{spec_dir_name(spec)}.lock"


def data_file_name(start_ns: int, end_ns: int) -> str:
    return f"{start_ns}_{end_ns}.parquet"


class FileRange:
    """One data file and the inclusive ``ts_event`` range its name declares."""

    __slots__ = ("end_ns", "path", "start_ns")

    def __init__(self, path: Path, start_ns: int, end_ns: int) -> None:
        self.path = path
        self.start_ns = start_ns
        self.end_ns = end_ns

    def overlaps(self, lo: int, hi: int) -> bool:
        return self.start_ns <= hi and self.end_ns >= lo

    def __repr__(self) -> str:
        return f"FileRange({self.path.name})"


def parse_data_file_name(name: str) -> tuple[int, int] | None:
    """``(start_ns, end_ns)`` of a data file name, or ``None`` for any other file."""
    m = _FILE_RE.match(name)
    if m is None:
        return None
    return int(m.group(1)), int(m.group(2))


def list_data_files(directory: Path) -> list[FileRange]:
    """The data files of a series folder, sorted by start; other names are ignored."""
    out: list[FileRange] = []
    try:
        names = [e.name for e in _scandir(directory)]
    except FileNotFoundError:
        return out
    for name in names:
        rng = parse_data_file_name(name)
        if rng is not None:
            out.append(FileRange(directory / name, rng[0], rng[1]))
    out.sort(key=lambda f: f.start_ns)
    return out


def _scandir(directory: Path) -> list[Path]:
    return [p for p in directory.iterdir() if p.is_file()]
