"""Bar sources for the live runner: a replayed file (or catalog range) and live streams.

A feed yields core :class:`~neural_trader.core.data.Bar` objects in time order. The replay
feed paces bars at ``speed`` times real time (``None``: as fast as the loop runs); pacing is a
replay setting, the bars and every number computed from them are the file's.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from typing import Protocol

import numpy as np
import pandas as pd

from neural_trader.core.data import Bar, BarSpec
from neural_trader.core.errors import InvalidArgumentError

__all__ = ["BarFeed", "ReplayFeed", "bar_problem"]


class BarFeed(Protocol):
    symbol: str
    spec: BarSpec
    is_replay: bool

    def __aiter__(self) -> AsyncIterator[Bar]: ...


class ReplayFeed:
    """Bars of a canonical frame (``neural_trader.data.schema``), replayed in order."""

    is_replay = True

    def __init__(
        self, frame: pd.DataFrame, *, symbol: str, spec: BarSpec, speed: float | None = None
    ) -> None:
        if speed is not None and (not math.isfinite(speed) or speed <= 0):
            raise InvalidArgumentError(f"--speed must be 'max' or a positive number, got {speed}")
        self.symbol = symbol
        self.spec = spec
        self.speed = speed
        self._ts = np.ascontiguousarray(frame["ts_event"].to_numpy(), dtype=np.int64).tolist()
        self._cols = [
            np.ascontiguousarray(frame[c].to_numpy(), dtype=np.float64).tolist()
            for c in ("open", "high", "low", "close", "volume")
        ]

    def __len__(self) -> int:
        return len(self._ts)

    async def __aiter__(self) -> AsyncIterator[Bar]:
        o, h, lo, c, v = self._cols
        pause = None if self.speed is None else self.spec.nanos / 1e9 / self.speed
        for i, ts in enumerate(self._ts):
            yield Bar(self.symbol, self.spec, ts, o[i], h[i], lo[i], c[i], v[i])
            if pause is not None:
                await asyncio.sleep(pause)


def bar_problem(bar: Bar) -> str | None:
    """Why ``bar`` must not be traded on (None when it is good).

    Bad ticks are quarantined rather than fatal: the runner logs them, keeps the last good
    price, and goes on with the next bar (NautilusTrader's "data integrity beats
    availability", applied per tick).
    """
    prices = (bar.open, bar.high, bar.low, bar.close)
    for name, value in zip(("open", "high", "low", "close"), prices, strict=True):
        if not math.isfinite(value):
            return f"{name} is {value}"
        if value <= 0:
            return f"{name} is {value} (prices must be positive)"
    if not math.isfinite(bar.volume) or bar.volume < 0:
        return f"volume is {bar.volume}"
    if bar.high < max(bar.open, bar.close, bar.low) or bar.low > min(bar.open, bar.close):
        return f"high {bar.high} / low {bar.low} do not bracket open {bar.open} / close {bar.close}"
    return None
