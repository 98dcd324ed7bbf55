"""Hand-built bar series for event-engine tests: ``bars`` from OHLC rows, ``flat`` from prices.

Timestamps are epoch nanoseconds, ``step`` apart from :data:`T0`; the volume is large enough
that no volume cap binds unless a test asks for one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from neural_trader.strategies.base import StrategyData

__all__ = ["DAY", "MINUTE", "T0", "bars", "flat"]

MINUTE = 60_000_000_000
DAY = 86_400_000_000_000
T0 = 1_700_006_400_000_000_000  # 2023-11-15 00:00 UTC


def bars(
    ohlc: Sequence[tuple[float, float, float, float]],
    *,
    step: int = MINUTE,
    volume: float = 1e12,
    start: int = T0,
    feeds: dict[str, Sequence[float]] | None = None,
) -> StrategyData:
    """Bars from (open, high, low, close) rows, ``step`` apart from ``start``."""
    arr = np.array(ohlc, dtype=np.float64)
    n = len(arr)
    return StrategyData(
        "TEST",
        start + np.arange(n, dtype=np.int64) * step,
        arr[:, 0].copy(),
        arr[:, 1].copy(),
        arr[:, 2].copy(),
        arr[:, 3].copy(),
        np.full(n, volume),
        feeds={k: np.asarray(v, dtype=np.float64) for k, v in (feeds or {}).items()},
    )


def flat(prices: Sequence[float], **kw: Any) -> StrategyData:
    """Bars whose open, high, low and close are all ``prices[i]``."""
    return bars([(p, p, p, p) for p in prices], **kw)
