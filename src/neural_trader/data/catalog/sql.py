"""DuckDB over the whole catalog: the ``bars`` view behind :meth:`Catalog.query`.

Why a view built from explicit file lists rather than a glob: the symbol must come from the
folder name *decoded* (``BTC%2FUSDT`` is ``BTC/USDT``), temporary files must never be read, and
series may differ in optional columns, which ``UNION ALL BY NAME`` fills with NULL.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import pandas as pd

from neural_trader.core.errors import CatalogError

__all__ = ["build_bars_view", "run_query"]

_EMPTY_VIEW = (
    "SELECT NULL::VARCHAR AS symbol, NULL::VARCHAR AS spec, NULL::BIGINT AS ts_event, "
    "NULL::DOUBLE AS open, NULL::DOUBLE AS high, NULL::DOUBLE AS low, NULL::DOUBLE AS close, "
    "NULL::DOUBLE AS volume WHERE false"
)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def build_bars_view(series: Sequence[tuple[str, str, Sequence[str]]]) -> str:
    """SQL for the ``bars`` view over ``(symbol, spec, [parquet paths])`` triples."""
    if not series:
        return _EMPTY_VIEW
    selects = [
        f"SELECT {_literal(sym)} AS symbol, {_literal(spec)} AS spec, * "
        f"FROM read_parquet([{', '.join(_literal(p) for p in paths)}])"
        for sym, spec, paths in series
    ]
    return "\nUNION ALL BY NAME\n".join(selects)


def run_query(view_sql: str, sql: str) -> pd.DataFrame:
    """Run ``sql`` in a fresh in-memory DuckDB where ``bars`` is ``view_sql``."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"CREATE VIEW bars AS {view_sql}")
        try:
            return con.execute(sql).df()
        except duckdb.Error as exc:
            raise CatalogError(
                f"query failed: {exc}",
                hint="the view is bars(symbol, spec, ts_event, open, high, low, close, volume"
                "[, adj_close, open_interest]); ts_event is int64 ns UTC",
            ) from exc
    finally:
        con.close()
