"""Results of the vectorized engine: numpy arrays and record arrays, pandas only on request.

Records stay structured arrays (codes, not names) so that a result costs little memory and the
analytics package can consume them as-is; the ``*_frame`` helpers map codes to names for people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from neural_trader.backtest.config import BacktestConfig
from neural_trader.backtest.records import ExitReason, OrderReason, SkipReason

__all__ = ["GridResult", "PortfolioResult", "VectorResult", "records_frame"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Records = npt.NDArray[np.void]


def _index(ts: IntArray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(ts, unit="ns", utc=True), name="ts_event")


def records_frame(records: Records, names: Sequence[str] = ()) -> pd.DataFrame:
    """A record array as a DataFrame, with reason codes as names and ``col`` as ``names``."""
    frame = pd.DataFrame({name: records[name] for name in records.dtype.names or ()})
    for field, enum in (
        ("reason", OrderReason if "fee" in frame else SkipReason),
        ("exit_reason", ExitReason),
    ):
        if field in frame:
            lookup = {int(member): member.name.lower() for member in enum}
            frame[field] = [lookup.get(int(code), str(int(code))) for code in frame[field]]
    if names and "col" in frame:
        frame["col"] = [names[int(c)] for c in frame["col"]]
    return frame


@dataclass(frozen=True, eq=False)
class VectorResult:
    """One account over one symbol: per-bar series and the order/trade/skip records."""

    symbol: str
    ts: IntArray
    targets: FloatArray
    cash: FloatArray
    position: FloatArray
    equity: FloatArray
    orders: Records
    trades: Records
    skipped: Records
    config: BacktestConfig

    @property
    def final_equity(self) -> float:
        return float(self.equity[-1]) if len(self.equity) else self.config.cash

    @property
    def total_return(self) -> float:
        return self.final_equity / self.config.cash - 1.0

    @property
    def n_trades(self) -> int:
        """Closed round trips (0006); the one still open is :attr:`n_open_trades`."""
        return int((~self.trades["is_open"]).sum())

    @property
    def n_open_trades(self) -> int:
        return int(self.trades["is_open"].sum())

    def to_frame(self) -> pd.DataFrame:
        """Per-bar target, position, cash and equity indexed by UTC bar time."""
        return pd.DataFrame(
            {
                "target": self.targets,
                "position": self.position,
                "cash": self.cash,
                "equity": self.equity,
            },
            index=_index(self.ts),
        )

    def orders_frame(self) -> pd.DataFrame:
        return records_frame(self.orders)

    def trades_frame(self) -> pd.DataFrame:
        return records_frame(self.trades)

    def skipped_frame(self) -> pd.DataFrame:
        return records_frame(self.skipped)


@dataclass(frozen=True, eq=False)
class GridResult:
    """Many configurations of one strategy on one symbol, one account per configuration.

    Summaries only, unless the grid was run with ``record_equity=True`` (``equity`` is then
    (n_bars, n_configs)); run one configuration with :func:`run_vector` for its records.
    """

    params: list[dict[str, Any]]
    final_cash: FloatArray
    final_position: FloatArray
    final_equity: FloatArray
    n_orders: IntArray
    n_trades: IntArray
    n_open_trades: IntArray
    n_skipped: IntArray
    equity: FloatArray | None
    config: BacktestConfig

    @property
    def total_return(self) -> FloatArray:
        return self.final_equity / self.config.cash - 1.0

    def to_frame(self) -> pd.DataFrame:
        """One row per configuration: its parameters, final equity, return and counts."""
        frame = pd.DataFrame(self.params)
        frame["final_equity"] = self.final_equity
        frame["total_return"] = self.total_return
        frame["trades"] = self.n_trades
        frame["open_trades"] = self.n_open_trades
        frame["orders"] = self.n_orders
        frame["skipped"] = self.n_skipped
        return frame

    def best(self) -> dict[str, Any]:
        """Parameters of the configuration with the highest final equity."""
        return dict(self.params[int(np.argmax(self.final_equity))])


@dataclass(frozen=True, eq=False)
class PortfolioResult:
    """Several assets sharing one cash account (``positions`` is (n_bars, n_assets))."""

    symbols: list[str]
    ts: IntArray
    weights: FloatArray
    cash: FloatArray
    positions: FloatArray
    equity: FloatArray
    orders: Records
    trades: Records
    skipped: Records
    config: BacktestConfig

    @property
    def final_equity(self) -> float:
        return float(self.equity[-1]) if len(self.equity) else self.config.cash

    @property
    def total_return(self) -> float:
        return self.final_equity / self.config.cash - 1.0

    def to_frame(self) -> pd.DataFrame:
        """Cash, equity and one position column per symbol, indexed by UTC bar time."""
        frame = pd.DataFrame({"cash": self.cash, "equity": self.equity}, index=_index(self.ts))
        for j, symbol in enumerate(self.symbols):
            frame[f"position_{symbol}"] = self.positions[:, j]
        return frame

    def orders_frame(self) -> pd.DataFrame:
        return records_frame(self.orders, self.symbols)

    def trades_frame(self) -> pd.DataFrame:
        return records_frame(self.trades, self.symbols)

    def skipped_frame(self) -> pd.DataFrame:
        return records_frame(self.skipped, self.symbols)
