"""What an event-engine run returns, and the bookkeeping that builds it without per-bar objects.

The arrays have the vector engine's layout (``equity[t] = cash[t] + position[t] * close[t]``
after bar ``t``'s executions, 0006), so the parity tests compare them directly. They grow by
whole chunks in preallocated float64 buffers (:class:`_Series`) rather than per-bar Python
objects: ten years of minute bars are 5M bars, 120 MB for the three arrays, where a list of
floats would cost four times that. Fills, trades and skipped orders are records in the shared
dtypes of :mod:`neural_trader.backtest.records`, kept as small tuples until the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from neural_trader.backtest.config import BacktestConfig
from neural_trader.backtest.records import (
    ORDER_DTYPE,
    REASON_END,
    SKIPPED_DTYPE,
    TRADE_DTYPE,
)
from neural_trader.core.account import Account
from neural_trader.core.orders import Order
from neural_trader.core.position import Position

__all__ = ["EventResult"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_MIN_CAPACITY: Final = 1024


class _Series:
    """A float64 (or int64) array that grows geometrically by appended chunks."""

    __slots__ = ("_buf", "_n")

    def __init__(self, dtype: type[np.float64] | type[np.int64], capacity: int = 0) -> None:
        self._buf: npt.NDArray[Any] = np.empty(max(capacity, _MIN_CAPACITY), dtype=dtype)
        self._n = 0

    def extend(self, values: npt.ArrayLike) -> None:
        chunk = np.asarray(values, dtype=self._buf.dtype)
        need = self._n + len(chunk)
        if need > len(self._buf):
            grown = np.empty(max(need, 2 * len(self._buf)), dtype=self._buf.dtype)
            grown[: self._n] = self._buf[: self._n]
            self._buf = grown
        self._buf[self._n : need] = chunk
        self._n = need

    def __len__(self) -> int:
        return self._n

    def array(self) -> npt.NDArray[Any]:
        """The filled part, as its own compact array (the buffer's slack is released)."""
        return self._buf[: self._n].copy()


OrderRow = tuple[int, int, int, float, float, float, int, int]
TradeRow = tuple[int, int, int, int, int, float, float, float, float, float, float, int, bool]
SkipRow = tuple[int, int, int, float, float, int, int]

# The fields of each row tuple, by name: records are filled field by field, so the shared
# dtypes may reorder (or gain) fields without silently shifting values.
_ORDER_FIELDS: Final = ("idx", "ts", "side", "quantity", "price", "fee", "reason", "col")
_TRADE_FIELDS: Final = (
    "entry_idx",
    "exit_idx",
    "entry_ts",
    "exit_ts",
    "side",
    "quantity",
    "entry_price",
    "exit_price",
    "pnl",
    "return",
    "fees",
    "exit_reason",
    "is_open",
)
_SKIP_FIELDS: Final = ("idx", "ts", "side", "quantity", "price", "reason", "col")


def _records(
    rows: list[Any], fields: tuple[str, ...], dtype: np.dtype[np.void]
) -> npt.NDArray[np.void]:
    out = np.zeros(len(rows), dtype=dtype)
    if rows:
        for name, column in zip(fields, zip(*rows, strict=True), strict=True):
            out[name] = column
    return out


class TradeBook:
    """Round trips (0006) built incrementally from executions.

    A trade opens when the position leaves 0 and closes when it returns to 0; a fill that
    crosses zero closes one trade and opens the next, its fee split by quantity. Entry and
    exit prices are quantity-weighted; ``pnl`` is net of every fee; ``return`` is ``pnl``
    over the entry value. Only the open trade is held; closed ones are rows.
    """

    __slots__ = (
        "_entry_idx",
        "_entry_qty",
        "_entry_ts",
        "_entry_value",
        "_exit_qty",
        "_exit_value",
        "_fees",
        "_side",
        "rows",
    )

    def __init__(self) -> None:
        self.rows: list[TradeRow] = []
        self._side = 0
        self._entry_idx = 0
        self._entry_ts = 0
        self._entry_qty = 0.0
        self._entry_value = 0.0
        self._exit_qty = 0.0
        self._exit_value = 0.0
        self._fees = 0.0

    def execution(
        self,
        pos_before: float,
        pos_after: float,
        idx: int,
        ts: int,
        side: int,
        qty: float,
        price: float,
        fee: float,
        reason: int,
    ) -> None:
        """Account for one fill that moved the position from ``pos_before`` to ``pos_after``."""
        if pos_before == 0.0:
            self._open(idx, ts, side, qty, price, fee)
        elif (pos_before > 0.0) == (side > 0):
            self._entry_qty += qty
            self._entry_value += qty * price
            self._fees += fee
        else:
            held = -pos_before if pos_before < 0.0 else pos_before
            closing = qty if qty < held else held
            if pos_after == 0.0 or closing == held:
                rest = qty - closing
                share = fee if rest <= 0.0 else fee * (closing / qty)
                self._exit_qty += closing
                self._exit_value += closing * price
                self._fees += share
                self._close(idx, ts, reason)
                if rest > 0.0 and pos_after != 0.0:
                    self._open(idx, ts, side, rest, price, fee - share)
            else:
                self._exit_qty += qty
                self._exit_value += qty * price
                self._fees += fee

    @property
    def side(self) -> int:
        """Side of the open trade (0 when flat)."""
        return self._side

    def entry_price(self) -> float:
        """Average entry price of the open trade (what the stops are measured from)."""
        return self._entry_value / self._entry_qty

    def _open(self, idx: int, ts: int, side: int, qty: float, price: float, fee: float) -> None:
        self._side = side
        self._entry_idx = idx
        self._entry_ts = ts
        self._entry_qty = qty
        self._entry_value = qty * price
        self._exit_qty = 0.0
        self._exit_value = 0.0
        self._fees = fee

    def _close(self, idx: int, ts: int, reason: int) -> None:
        self.rows.append(self._row(idx, ts, self._exit_value, self._exit_qty, reason, False))
        self._side = 0

    def _row(
        self, idx: int, ts: int, exit_value: float, exit_qty: float, reason: int, is_open: bool
    ) -> TradeRow:
        # The vector kernel's _write_trade_nb, operation for operation.
        vin = self._entry_value
        pnl = exit_value - vin - self._fees if self._side > 0 else vin - exit_value - self._fees
        entry_price = vin / self._entry_qty
        exit_price = exit_value / exit_qty if exit_qty > 0.0 else math.nan
        ret = pnl / vin
        return (
            self._entry_idx,
            idx,
            self._entry_ts,
            ts,
            self._side,
            self._entry_qty,
            entry_price,
            exit_price,
            pnl,
            ret,
            self._fees,
            reason,
            is_open,
        )

    def records(
        self, last_idx: int, last_ts: int, last_close: float, open_qty: float
    ) -> npt.NDArray[np.void]:
        """Closed trades plus the open one, if any, marked at the last close (reason END)."""
        rows = list(self.rows)
        if self._side != 0 and open_qty != 0.0:
            rows.append(
                self._row(
                    last_idx,
                    last_ts,
                    self._exit_value + open_qty * last_close,
                    self._exit_qty + open_qty,
                    REASON_END,
                    True,
                )
            )
        return _records(rows, _TRADE_FIELDS, TRADE_DTYPE)


@dataclass(frozen=True)
class EventResult:
    """One event-engine run.

    ``equity``, ``cash`` and ``position`` have one value per bar (after that bar's
    executions); ``orders`` are the fills (``ORDER_DTYPE``), ``trades`` the round trips
    (``TRADE_DTYPE``, the open one last with reason END), ``skipped`` the orders 0006's lot and
    minimum rules refused. Explicit orders are kept as core :class:`Order` objects with their
    whole event history in ``order_objects``, and their fills also moved the core ``account``
    and ``position`` (in fixed point, rounded to the currency and instrument grid).
    """

    symbol: str
    config: BacktestConfig
    ts: IntArray
    equity: FloatArray
    cash: FloatArray
    position: FloatArray
    orders: npt.NDArray[np.void]
    trades: npt.NDArray[np.void]
    skipped: npt.NDArray[np.void]
    order_objects: tuple[Order, ...] = ()
    account: Account | None = None
    core_position: Position | None = None
    notes: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.equity)

    @property
    def final_equity(self) -> float:
        return float(self.equity[-1]) if len(self.equity) else self.config.cash

    @property
    def trade_count(self) -> int:
        """Closed round trips (0006's ``trades``)."""
        return int(np.count_nonzero(~self.trades["is_open"]))

    @property
    def open_trades(self) -> int:
        return int(np.count_nonzero(self.trades["is_open"]))


def order_records(rows: list[OrderRow]) -> npt.NDArray[np.void]:
    return _records(rows, _ORDER_FIELDS, ORDER_DTYPE)


def skipped_records(rows: list[SkipRow]) -> npt.NDArray[np.void]:
    return _records(rows, _SKIP_FIELDS, SKIPPED_DTYPE)
