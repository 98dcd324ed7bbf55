"""What an event-engine run returns, and the bookkeeping that builds it without per-bar objects.

The arrays have the vector engine's layout (``equity[t] = cash[t] + position[t] * close[t]``
after bar ``t``'s executions, 0006), so the parity tests compare them directly. They grow by
whole chunks in preallocated float64 buffers (:class:`_Series`) rather than per-bar Python
objects: ten years of minute bars are 5M bars, 120 MB for the three arrays, where a list of
floats would cost four times that. Fills, trades and skipped orders are records in the shared
dtypes of :mod:`neural_trader.backtest.records`, written by the shared execution model into the
buffers of an :class:`ExecutionBook`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from neural_trader.backtest.config import BacktestConfig
from neural_trader.backtest.models.tradebook import (
    C_ORDERS,
    C_SKIPPED,
    C_TRADES,
    F_POS,
    N_C,
    N_F,
    N_I,
    write_trade,
)
from neural_trader.backtest.records import (
    ORDER_DTYPE,
    REASON_END,
    SKIPPED_DTYPE,
    TRADE_DTYPE,
)
from neural_trader.core.account import Account
from neural_trader.core.orders import Order
from neural_trader.core.position import Position

__all__ = ["EventResult", "ExecutionBook"]

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


class ExecutionBook:
    """The account state and record buffers the shared execution model works on.

    These are exactly the arrays the vector kernels allocate per column (one row, ``j = 0``):
    :mod:`neural_trader.backtest.models.tradebook` documents their layout. The event engine
    keeps its per-bar marks in plain floats (the :class:`Ledger`) and hands these arrays to
    :mod:`neural_trader.backtest.models.execution` only when something executes, so round
    trips, order and skip records come from the one implementation both engines share.

    The shared appends never grow a buffer; :meth:`reserve` is called before every execution
    with the most records it can write, and doubles a buffer that lacks the room, so nothing
    is ever dropped (amortised O(1) per record).
    """

    __slots__ = ("acct", "cnt", "fst", "ist", "orders", "skipped", "trades")

    def __init__(self, cash: float, capacity: int = _MIN_CAPACITY) -> None:
        self.acct = np.array([cash], dtype=np.float64)
        self.fst = np.zeros((1, N_F), dtype=np.float64)
        self.ist = np.zeros((1, N_I), dtype=np.int64)
        self.cnt = np.zeros(N_C, dtype=np.int64)
        self.orders: npt.NDArray[np.void] = np.zeros(capacity, dtype=ORDER_DTYPE)
        self.trades: npt.NDArray[np.void] = np.zeros(capacity, dtype=TRADE_DTYPE)
        self.skipped: npt.NDArray[np.void] = np.zeros(capacity, dtype=SKIPPED_DTYPE)

    def reserve(self, k: int) -> None:
        """Make room for ``k`` more records in each buffer."""
        cnt = self.cnt
        if cnt[C_ORDERS] + k > len(self.orders):
            self.orders = _grown(self.orders, k)
        if cnt[C_TRADES] + k > len(self.trades):
            self.trades = _grown(self.trades, k)
        if cnt[C_SKIPPED] + k > len(self.skipped):
            self.skipped = _grown(self.skipped, k)

    def finish(
        self, last_idx: int, last_ts: int, last_close: float
    ) -> tuple[npt.NDArray[np.void], npt.NDArray[np.void], npt.NDArray[np.void]]:
        """(orders, trades, skipped); a trade still open is marked at the last close (END)."""
        pos = float(self.fst[0, F_POS])
        if pos != 0.0:
            self.reserve(1)
            write_trade(
                self.trades, self.cnt, self.fst, self.ist, 0, last_idx, last_ts, REASON_END,
                True, abs(pos), last_close,
            )  # fmt: skip
        cnt = self.cnt
        return (
            self.orders[: cnt[C_ORDERS]].copy(),
            self.trades[: cnt[C_TRADES]].copy(),
            self.skipped[: cnt[C_SKIPPED]].copy(),
        )


def _grown(buf: npt.NDArray[np.void], k: int) -> npt.NDArray[np.void]:
    out = np.zeros(max(2 * len(buf), len(buf) + k), dtype=buf.dtype)
    out[: len(buf)] = buf
    return out


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
