"""The one interface every historical data source implements, and the helpers they share.

A provider answers one question: *the bars of ``symbol`` at ``spec`` whose ``ts_event`` lies in
``[start_ns, end_ns]``*, as a canonical bar frame (:mod:`neural_trader.data.schema`). Both ends
are inclusive because callers think in labels ("the 2024-01-02 to 2024-01-05 sessions"), and the
label of a daily bar is midnight UTC of its session date, so an exclusive end would silently drop
the last session a user asked for.

Providers differ in where bars come from (Yahoo over HTTP, a seeded simulator, files shipped in
the wheel) but never in the shape of what they return: the CLI, the catalog importer and the
engines code against :class:`HistoricalProvider` only.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from neural_trader.core.data import BarSpec
from neural_trader.core.errors import (
    InvalidArgumentError,
    NeuralTraderError,
    ProviderError,
    UnknownSymbolError,
)
from neural_trader.data.schema import TS

__all__ = [
    "HistoricalProvider",
    "ProviderUnknownSymbolError",
    "check_range",
    "check_spec",
    "clip_to_range",
]


@runtime_checkable
class HistoricalProvider(Protocol):
    """A source of historical bars.

    ``fetch_bars`` returns a canonical bar frame sorted by ``ts_event``, restricted to
    ``start_ns <= ts_event <= end_ns`` (int64 ns UTC, bar starts), possibly empty.
    ``supported_specs`` lists the bar specifications the source can produce, so fronts can
    refuse an impossible request before any network call.
    """

    name: str

    def fetch_bars(self, symbol: str, spec: BarSpec, start_ns: int, end_ns: int) -> pd.DataFrame:
        """The bars of ``symbol`` at ``spec`` with ``start_ns <= ts_event <= end_ns``."""
        ...

    def supported_specs(self) -> tuple[BarSpec, ...]:
        """The bar specifications this provider can produce."""
        ...


class ProviderUnknownSymbolError(ProviderError, UnknownSymbolError):
    """A remote source says it holds no such symbol (unknown, mistyped or delisted).

    It is both a :class:`ProviderError` (the CLI's provider exit code, and ``except
    ProviderError`` in a fetch loop still catches it) and an :class:`UnknownSymbolError` (code
    that handles "no such symbol" generically does not need to know which layer said so).
    """

    def __init__(self, provider: str, symbol: str, detail: str) -> None:
        NeuralTraderError.__init__(
            self,
            f"{provider}: unknown symbol '{symbol}': {detail}",
            hint="check the ticker spelling and the exchange suffix (e.g. 'SHOP.TO', 'BMW.DE')",
        )
        self.symbol = symbol
        self.provider = provider


def check_range(start_ns: int, end_ns: int) -> None:
    """Refuse a reversed range loudly: an empty answer would hide the caller's mistake."""
    if start_ns > end_ns:
        raise InvalidArgumentError(
            f"start ({start_ns}) is after end ({end_ns}); both are int64 ns UTC and inclusive"
        )


def check_spec(provider: str, spec: BarSpec | str, supported: tuple[BarSpec, ...]) -> BarSpec:
    """Parse ``spec`` and refuse one ``provider`` cannot produce, listing those it can."""
    parsed = BarSpec.parse(spec)
    if parsed not in supported:
        names = ", ".join(str(s) for s in supported)
        raise InvalidArgumentError(
            f"{provider} does not provide {parsed} bars; supported: {names}",
        )
    return parsed


def clip_to_range(frame: pd.DataFrame, start_ns: int, end_ns: int) -> pd.DataFrame:
    """Rows of a sorted bar frame with ``start_ns <= ts_event <= end_ns``, index reset.

    Uses ``searchsorted`` on the int64 column: the frame is sorted, so this is two binary
    searches and one slice rather than a boolean mask over every row.
    """
    ts = frame[TS].to_numpy(dtype=np.int64)
    lo = int(np.searchsorted(ts, start_ns, side="left"))
    hi = int(np.searchsorted(ts, end_ns, side="right"))
    return frame.iloc[lo:hi].reset_index(drop=True)
