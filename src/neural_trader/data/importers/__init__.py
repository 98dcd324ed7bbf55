"""Bar file importers: CSV (Yahoo, Date+Time, generic) and Parquet, into the canonical frame.

:func:`read_bars_file` parses; :func:`import_bars` parses, validates and rejects or repairs.
See docs/decisions/0004-import-validation.md for the rules they follow.
"""

from __future__ import annotations

from neural_trader.data.importers.common import BadRowPolicy, BarLabel, LayoutName, RawImport
from neural_trader.data.importers.layouts import Layout, detect_layout
from neural_trader.data.importers.pipeline import ImportResult, import_bars, read_bars_file

__all__ = [
    "BadRowPolicy",
    "BarLabel",
    "ImportResult",
    "Layout",
    "LayoutName",
    "RawImport",
    "detect_layout",
    "import_bars",
    "read_bars_file",
]
