"""Alpaca: the broker (orders, fills, trade-updates stream), historical bars, the live
market-data stream and the asset list, over alpaca-py where it fits and ``websockets`` where
it does not (docs/decisions/0014).

Needs the ``alpaca`` extra (``pip install 'neural-trader[alpaca]'``).
"""

from __future__ import annotations

import warnings

from neural_trader.core.errors import MissingDependencyError

try:
    import msgpack  # noqa: F401
    import websockets  # noqa: F401

    # alpaca-py's stream modules (imported by its package __init__ files) still use
    # websockets.legacy, whose import warns. We use neither of those streams (see execution.py),
    # so the warning is noise for every user of the REST clients; it is silenced for this one
    # import and nowhere else.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="websockets.legacy is deprecated")
        import alpaca.data.historical.stock
        import alpaca.trading.client  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingDependencyError(exc.name or "alpaca-py", "alpaca", "The Alpaca adapter") from exc

from neural_trader.adapters.alpaca.config import AlpacaConfig
from neural_trader.adapters.alpaca.data import (
    AlpacaBarsClient,
    AlpacaMarketStream,
    alpaca_bar_feed,
)
from neural_trader.adapters.alpaca.execution import AlpacaBroker
from neural_trader.adapters.alpaca.parsing import AlpacaClock, AlpacaSession
from neural_trader.adapters.alpaca.providers import AlpacaAsset, AlpacaInstrumentProvider

__all__ = [
    "AlpacaAsset",
    "AlpacaBarsClient",
    "AlpacaBroker",
    "AlpacaClock",
    "AlpacaConfig",
    "AlpacaInstrumentProvider",
    "AlpacaMarketStream",
    "AlpacaSession",
    "alpaca_bar_feed",
]
