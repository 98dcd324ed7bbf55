"""The embedded market-data catalog: Parquet files per (symbol, spec), queried with DuckDB.

See :mod:`neural_trader.data.catalog.store` for the layout and guarantees, and
docs/decisions/0003-catalog-and-bar-labels.md for why.
"""

from neural_trader.data.catalog.models import CatalogEntry, WriteMode, WriteResult
from neural_trader.data.catalog.paths import decode_symbol, encode_symbol
from neural_trader.data.catalog.store import Catalog

__all__ = [
    "Catalog",
    "CatalogEntry",
    "WriteMode",
    "WriteResult",
    "decode_symbol",
    "encode_symbol",
]
