"""Split/dividend adjustment of OHLC prices from a Yahoo-style ``adj_close`` column.

Each row's open, high, low and close are multiplied by ``adj_close / close``: the same factor
for the whole bar keeps the bar internally consistent (high stays the high) and makes the
adjusted close equal ``adj_close``. This is what ``yfinance`` does with ``auto_adjust=True``.

Volume is left as it is. ``Adj Close`` folds dividends and splits into one factor, so dividing
volume by it would "adjust" volume for dividends, which is meaningless, and cannot undo a
split on its own. Yahoo's volumes are already split-adjusted, so keeping them is right there.

The result has no ``adj_close`` column: its prices *are* adjusted, and a frame that cannot be
adjusted twice is one that will not be.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.data.schema import PRICE_COLUMNS

__all__ = ["adjust_ohlc"]


def adjust_ohlc(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with OHLC scaled by ``adj_close / close`` and ``adj_close`` removed.

    Raises :class:`InvalidArgumentError` when there is no ``adj_close`` column, or when a row's
    close or adj_close is missing or not positive (the factor would be meaningless), naming the
    first such rows.
    """
    if "adj_close" not in frame.columns:
        raise InvalidArgumentError(
            "adjusting prices needs an adj_close column (Yahoo's 'Adj Close'); this frame has "
            f"{', '.join(map(str, frame.columns))}"
        )
    missing = [c for c in PRICE_COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidArgumentError(f"adjusting prices needs columns {', '.join(missing)}")
    close = frame["close"].to_numpy(dtype=np.float64, na_value=np.nan)
    adj = frame["adj_close"].to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = ~((close > 0) & (adj > 0) & np.isfinite(close) & np.isfinite(adj))
    if bad.any():
        where = np.flatnonzero(bad)
        shown = ", ".join(str(int(i)) for i in where[:10])
        raise InvalidArgumentError(
            f"{len(where)} row(s) have a missing or non-positive close/adj_close, so no "
            f"adjustment factor (row positions {shown}{' ...' if len(where) > 10 else ''}); "
            "validate or repair the data first"
        )
    factor = adj / close
    out = frame.drop(columns=["adj_close"])
    return out.assign(**{c: frame[c].to_numpy(dtype=np.float64) * factor for c in PRICE_COLUMNS})
