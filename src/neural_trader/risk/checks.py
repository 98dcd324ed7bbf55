"""Pre-trade risk checks: the last gate every order passes before it reaches a broker.

:class:`PreTradeRisk` applies the kill switch and the :class:`~neural_trader.risk.limits.RiskLimits`
to one :class:`~neural_trader.execution.reports.OrderRequest` and answers with a
:class:`RiskDecision`. The rules run in a fixed order, and the first one that refuses decides,
so a halted account always reports ``kill_switch`` (the thing the operator must act on) rather
than whichever limit happens to be exceeded too:

1. ``kill_switch``: HALTED refuses everything except the switch's own reducing orders;
   REDUCING refuses whatever would grow ``|position|`` or flip it through zero.
2. ``price``: without a usable last price (finite, > 0) an order can only be checked against
   its own limit price; a market order without one is refused (fail closed).
3. ``max_order_quantity``, 4. ``max_order_notional``, 5. ``price_collar`` (limit and stop
   prices against the last price), 6. ``max_position`` and 7. ``max_gross_exposure`` after a
   full fill (an order that reduces its position always passes these two: refusing it would
   keep the account *more* exposed), 8. ``max_orders_per_minute`` over a sliding 60 s window.

Each denial message starts with the limit's name and says by how much it was exceeded, so the
message alone tells a person what to change.

``check`` sits on the order path (p99 < 1 ms), so it does its arithmetic in floats (the Decimal
quantity and prices are converted once), builds no strings and logs nothing unless it denies,
and returns one shared decision object on the allow path.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from neural_trader.core.enums import OrderSide, OrderType
from neural_trader.core.errors import OrderDeniedError, TradingHaltedError
from neural_trader.execution.reports import OrderRequest
from neural_trader.risk.killswitch import TradingState
from neural_trader.risk.limits import RiskLimits

__all__ = ["PreTradeRisk", "RiskDecision"]

_WINDOW_NS: Final = 60 * 1_000_000_000
_PRICED_TYPES: Final = frozenset({OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT})


@dataclass(frozen=True, slots=True)
class RiskDecision:
    """The answer to one order: allowed, or denied by ``limit`` with a readable ``message``.

    ``limit`` is a :class:`RiskLimits` field name, ``"kill_switch"`` or ``"price"``.
    """

    allowed: bool
    limit: str | None = None
    message: str = ""

    @classmethod
    def ok(cls) -> RiskDecision:
        """The allow decision; one shared immutable instance, so allowing allocates nothing."""
        return _OK

    @classmethod
    def deny(cls, limit: str, message: str) -> RiskDecision:
        return cls(False, limit, message)

    def raise_if_denied(self) -> None:
        """Raise the error a caller reports for this denial; return quietly when allowed.

        A kill-switch denial raises :class:`TradingHaltedError` (the fix is ``resume``, not a
        smaller order); every other one :class:`OrderDeniedError` naming the limit.
        """
        if self.allowed:
            return
        if self.limit == "kill_switch":
            raise TradingHaltedError(
                self.message, hint="neural-trader resume lifts the kill switch"
            )
        raise OrderDeniedError(self.message, limit=self.limit or "unknown")


_OK: Final = RiskDecision(True)


class PreTradeRisk:
    """The pre-trade rules for one account under fixed ``limits``.

    ``clock`` returns nanoseconds from a source that does not step backwards (the node's
    monotonic clock; tests pass a fake). It is read only for the order-rate window, which is
    why the wall clock, which NTP may step, is not used.
    """

    __slots__ = (
        "_clock",
        "_collar",
        "_max_gross",
        "_max_notional",
        "_max_position",
        "_max_qty",
        "_max_rate",
        "_sent",
        "limits",
    )

    def __init__(self, limits: RiskLimits, *, clock: Callable[[], int]) -> None:
        self.limits = limits
        self._clock = clock
        # Copied out of the pydantic model once: attribute reads on it are slower than slots.
        self._max_qty = limits.max_order_quantity
        self._max_notional = limits.max_order_notional
        self._collar = limits.price_collar
        self._max_position = limits.max_position
        self._max_gross = limits.max_gross_exposure
        self._max_rate = limits.max_orders_per_minute
        # Only the newest max_rate send times matter: the window is full exactly when the
        # oldest of them is still inside it. maxlen keeps memory bounded by the limit.
        self._sent: deque[int] = deque(maxlen=self._max_rate or 1)

    def record_sent(self, ts_ns: int | None = None) -> None:
        """Count one order sent at ``ts_ns`` (default: the clock now) against the rate limit.

        The order manager calls this after a send that reached the broker (an unknown outcome
        included: the broker may have counted it). Denied orders never reach here, so a burst
        of denials cannot lock the account out of the window.
        """
        if self._max_rate is not None:
            self._sent.append(self._clock() if ts_ns is None else ts_ns)

    def orders_in_window(self) -> int:
        """How many recorded sends fall inside the last 60 s (capped at the limit)."""
        if self._max_rate is None:
            return 0
        self._expire(self._clock())
        return len(self._sent)

    def check(
        self,
        request: OrderRequest,
        *,
        last_price: float | None,
        positions: Mapping[str, float],
        prices: Mapping[str, float],
        state: TradingState,
        reducing_allowed: bool = False,
    ) -> RiskDecision:
        """Decide whether ``request`` may be sent now.

        ``positions`` are signed quantities per symbol, ``prices`` the last price per symbol
        (used for the gross exposure of the other holdings); ``last_price`` is the order's own
        symbol's last price. ``reducing_allowed`` marks the kill switch's own flatten orders,
        the only new orders a HALTED account sends.
        """
        symbol = request.symbol
        qty = float(request.quantity)
        signed = qty if request.side is OrderSide.BUY else -qty
        pos = float(positions.get(symbol, 0.0))
        after = pos + signed
        # Reducing: shrinks |position| and does not cross zero (closing to flat is reducing).
        reduces = (pos > 0.0 and signed < 0.0 and after >= 0.0) or (
            pos < 0.0 and signed > 0.0 and after <= 0.0
        )

        # 1. kill switch
        if state is not TradingState.ACTIVE and not reduces:
            return _deny_state(state, symbol, pos, after, reducing_allowed)
        if state is TradingState.HALTED and not reducing_allowed:
            return RiskDecision.deny(
                "kill_switch",
                f"kill_switch: trading is HALTED; new orders are refused until it is resumed "
                f"(cancels are still allowed), so this order for {_qty(qty)} {symbol} is not sent",
            )

        # 2. price sanity
        limit_px = None if request.limit_price is None else float(request.limit_price)
        if last_price is not None and last_price > 0.0 and math.isfinite(last_price):
            last = price = last_price
        elif limit_px is not None:
            # No usable last price: the order's own limit price marks the position instead,
            # and the collar (which measures from the last price) cannot apply.
            last, price = 0.0, limit_px
        else:
            return RiskDecision.deny(
                "price",
                f"price: no usable last price for {symbol} (got {last_price!r}); "
                f"a {request.order_type} order without a limit price cannot be checked",
            )

        # 3. order quantity
        if self._max_qty is not None and qty > self._max_qty:
            return _deny_amount("max_order_quantity", "order quantity", qty, self._max_qty, _qty)

        # 4. order notional, at the limit price when there is one (what the order may pay)
        notional = qty * (limit_px if limit_px is not None else price)
        if self._max_notional is not None and notional > self._max_notional:
            return _deny_amount(
                "max_order_notional", "order notional", notional, self._max_notional, _money
            )

        # 5. price collar; it measures from the last price, so it needs a usable one
        collar = self._collar
        if collar is not None and last > 0.0 and request.order_type in _PRICED_TYPES:
            denial = _check_collar("limit", limit_px, last, collar) or _check_collar(
                "stop",
                None if request.stop_price is None else float(request.stop_price),
                last,
                collar,
            )
            if denial is not None:
                return denial

        # 6. position limit
        if self._max_position is not None and not reduces and abs(after) > self._max_position:
            return _deny_amount(
                "max_position",
                f"the {symbol} position after this order",
                abs(after),
                self._max_position,
                _qty,
                verb="would be",
            )

        # 7. gross exposure
        if self._max_gross is not None and not reduces:
            gross = abs(after) * price
            for other, other_pos in positions.items():
                if other == symbol or other_pos == 0.0:
                    continue
                other_px = prices.get(other)
                if other_px is None or not math.isfinite(other_px) or other_px <= 0.0:
                    return RiskDecision.deny(
                        "price",
                        f"price: no usable last price for the {other} position "
                        f"(got {other_px!r}); max_gross_exposure cannot be checked without it",
                    )
                gross += abs(other_pos) * other_px
            if gross > self._max_gross:
                return _deny_amount(
                    "max_gross_exposure",
                    "gross exposure after this order",
                    gross,
                    self._max_gross,
                    _money,
                    verb="would be",
                )

        # 8. order rate
        max_rate = self._max_rate
        if max_rate is not None:
            now = self._clock()
            self._expire(now)
            if len(self._sent) >= max_rate:
                wait_s = (self._sent[0] + _WINDOW_NS - now) / 1e9
                return RiskDecision.deny(
                    "max_orders_per_minute",
                    f"max_orders_per_minute: {len(self._sent)} orders in the last 60 s, "
                    f"the limit is {max_rate}; next slot in {math.ceil(wait_s * 10) / 10:.1f} s",
                )
        return _OK

    def _expire(self, now: int) -> None:
        # A send at t counts in the window until t + 60 s, exclusive.
        sent = self._sent
        cutoff = now - _WINDOW_NS
        while sent and sent[0] <= cutoff:
            sent.popleft()


def _deny_state(
    state: TradingState, symbol: str, pos: float, after: float, reducing_allowed: bool
) -> RiskDecision:
    crosses = (pos > 0.0 and after < 0.0) or (pos < 0.0 and after > 0.0)
    change = "flip" if crosses else "increase"
    what = f"this order would {change} the {symbol} position from {_qty(pos)} to {_qty(after)}"
    if state is TradingState.REDUCING:
        return RiskDecision.deny("kill_switch", f"kill_switch: trading is REDUCING; {what}")
    if reducing_allowed:
        return RiskDecision.deny(
            "kill_switch",
            f"kill_switch: trading is HALTED; only orders that reduce a position are sent "
            f"and {what}",
        )
    return RiskDecision.deny(
        "kill_switch",
        f"kill_switch: trading is HALTED; new orders are refused until it is resumed "
        f"(cancels are still allowed), and {what}",
    )


def _check_collar(label: str, px: float | None, last: float, collar: float) -> RiskDecision | None:
    if px is None:
        return None
    distance = abs(px - last) / last
    if distance <= collar:
        return None
    return RiskDecision.deny(
        "price_collar",
        f"price_collar: {label} price {_money(px)} is {distance:.2%} from the last price "
        f"{_money(last)}, beyond the collar {collar:.2%} by {distance - collar:.2%}",
    )


def _deny_amount(
    limit: str,
    what: str,
    value: float,
    cap: float,
    fmt: Callable[[float], str],
    *,
    verb: str = "",
) -> RiskDecision:
    if verb:
        text = f"{limit}: {what} {verb} {fmt(value)}, beyond the limit {fmt(cap)} by "
    else:
        text = f"{limit}: {what} {fmt(value)} exceeds the limit {fmt(cap)} by "
    return RiskDecision.deny(limit, text + fmt(value - cap))


def _money(value: float) -> str:
    """``12345.0`` -> ``12,345.00``: amounts read with separators and two decimals."""
    return f"{value:,.2f}"


def _qty(value: float) -> str:
    """``15.0`` -> ``15``, ``0.30000000000000004`` -> ``0.3``: quantities without float noise."""
    text = f"{value:,.8f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
