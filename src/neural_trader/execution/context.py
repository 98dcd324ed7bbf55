"""The :class:`StrategyContext` of live and paper trading: the research strategy, unchanged.

A strategy calls the same methods as in the event backtester. Nothing is sent from inside
``on_bar`` (it is synchronous and the order path is not): ``target`` records the wish and
``buy``/``sell``/``cancel`` queue requests that the runner sends, through risk checks and the
journal, right after ``on_bar`` returns. Client order ids are derived from the run, the bar and
the request's position in the bar (``<run>-<bar>-o<k>``): a restarted runner that replays a
bar regenerates the same ids, which the journal refuses to send twice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from neural_trader.backtest.models import order_check, round_to_lot
from neural_trader.backtest.records import SkipReason
from neural_trader.core.enums import OrderSide, TimeInForce
from neural_trader.core.instruments import Instrument
from neural_trader.execution.reports import OrderRequest
from neural_trader.strategies.orders import ExplicitOrders, checked_quantity, order_type_for

__all__ = ["Ledger", "LiveContext"]

_NAN: Final = math.nan


class Ledger:
    """The runner's float view of its cash and position (0006's arithmetic), moved by fills."""

    __slots__ = ("cash", "position")

    def __init__(self, cash: float, position: float) -> None:
        self.cash = cash
        self.position = position


@dataclass(frozen=True, slots=True)
class CancelRequest:
    client_order_id: str


class LiveContext(ExplicitOrders):
    """What a strategy sees and does while trading (implements ``StrategyContext``)."""

    def __init__(
        self,
        *,
        symbol: str,
        instrument: Instrument,
        ledger: Ledger,
        long_only: bool,
        lot_size: float,
        min_size: float,
        min_notional: float,
        strategy_tag: str,
    ) -> None:
        self._symbol = symbol
        self._instrument = instrument
        self._ledger = ledger
        self._low = 0.0 if long_only else -1.0
        self._lot = lot_size
        self._min_size = min_size
        self._min_notional = min_notional
        self._tag = strategy_tag
        self._mode = ""
        self.want = 0.0
        self.index = -1
        self.close = _NAN
        self.run_id = ""
        self.queue: list[OrderRequest | CancelRequest] = []
        self.notes: list[str] = []
        self._k = 0

    def begin_bar(self, index: int, close: float) -> None:
        self.index = index
        self.close = close
        self._k = 0
        self.queue = []

    # -- reading ----------------------------------------------------------------------------

    @property
    def symbol(self) -> str:
        return self._symbol

    @property
    def bar_index(self) -> int:
        return self.index

    @property
    def position(self) -> float:
        return self._ledger.position

    @property
    def cash(self) -> float:
        return self._ledger.cash

    @property
    def equity(self) -> float:
        return self._ledger.cash + self._ledger.position * self.close

    def feed(self, name: str) -> float:
        """Live feeds (sentiment, model scores) arrive with their own issues: NaN until then."""
        return _NAN

    # -- targets ----------------------------------------------------------------------------

    def target(self, value: float) -> None:
        if value != value:
            return
        self._set_mode("target")
        self.want = float(min(1.0, max(self._low, value)))

    # -- explicit orders --------------------------------------------------------------------

    def cancel(self, client_order_id: str) -> None:
        self.queue.append(CancelRequest(client_order_id))

    def _send(
        self,
        side: OrderSide,
        quantity: float,
        limit: float | None,
        stop: float | None,
        tif: TimeInForce | str,
    ) -> str:
        self._set_mode("orders")
        checked_quantity(quantity)
        self._k += 1
        cid = f"{self.run_id}-{self.index}-o{self._k}"
        rounded = round_to_lot(quantity, self._lot)
        hint = limit if limit is not None else stop if stop is not None else self.close
        code = order_check(rounded, hint, self._lot, self._min_size, self._min_notional)
        if code != 0:
            self.notes.append(
                f"bar {self.index}: {side.value} {quantity} not sent "
                f"({SkipReason(code).name.lower()} rule)"
            )
            return cid
        inst = self._instrument
        qty = inst.make_qty(rounded, round_down=True).as_decimal()
        kind = order_type_for(limit, stop)
        self.queue.append(
            OrderRequest(
                client_order_id=cid,
                symbol=self._symbol,
                side=side,
                order_type=kind,
                quantity=qty,
                limit_price=_price(inst, limit),
                stop_price=_price(inst, stop),
                time_in_force=TimeInForce(tif),
                strategy=self._tag,
            )
        )
        return cid


def _price(instrument: Instrument, value: float | None) -> Decimal | None:
    return None if value is None else instrument.make_price(value).as_decimal()
