"""Alpaca's wire format in, broker-neutral reports out (and our order requests out, as JSON).

Everything that knows an Alpaca field name lives here, as pure functions over decoded JSON,
so the translation is tested without a network and the adapter around it only moves bytes.

* Timestamps are RFC 3339 strings with anything from 0 to 9 fractional digits and either ``Z``
  or a numeric offset (the clock endpoint answers in New York time, ``-04:00``). They become
  int UTC nanoseconds here, once, without a float on the way (a float carries ~0.2 µs).
* Quantities and prices arrive as decimal strings (sometimes numbers); they become ``Decimal``
  through ``str`` so nothing is rounded.
* Alpaca's order statuses are richer than ours; :func:`map_order_status` folds them, with the
  judgement calls explained where they are made.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from zoneinfo import ZoneInfo

from neural_trader.core.enums import OrderSide, OrderStatus, OrderType, TimeInForce
from neural_trader.core.errors import BrokerError, InvalidArgumentError
from neural_trader.execution.reports import (
    AccountReport,
    ExecutionReport,
    FillReport,
    OrderRequest,
    OrderStatusReport,
    PositionReport,
)

__all__ = [
    "NEW_YORK",
    "AlpacaClock",
    "AlpacaSession",
    "format_rfc3339",
    "map_order_status",
    "order_body",
    "parse_account",
    "parse_calendar_day",
    "parse_clock",
    "parse_decimal",
    "parse_fill_activity",
    "parse_order",
    "parse_position",
    "parse_rfc3339_ns",
    "parse_trade_update",
    "trade_id_from_activity_id",
]

NEW_YORK: Final = ZoneInfo("America/New_York")
_NS: Final = 1_000_000_000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_RFC3339: Final = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9})\d*)?"
    r"(Z|z|[+-]\d{2}:?\d{2})?$"
)


# --------------------------------------------------------------------------- time


def parse_rfc3339_ns(value: str) -> int:
    """``"2024-01-02T14:30:00.123456789Z"`` (or ``-05:00``) to int UTC nanoseconds.

    A string without an offset is taken as UTC (alpaca-py sends naive UTC itself). Digits past
    the ninth are dropped, not rounded: no Alpaca timestamp has them, and truncation keeps a
    parsed time from moving past the event it labels.
    """
    if not isinstance(value, str):
        raise BrokerError(f"expected an RFC 3339 timestamp string from Alpaca, got {value!r}")
    m = _RFC3339.match(value.strip())
    if m is None:
        raise BrokerError(f"Alpaca sent a timestamp that is not RFC 3339: {value!r}")
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    frac = (m.group(7) or "").ljust(9, "0")
    offset_s = 0
    tz = m.group(8)
    if tz and tz not in ("Z", "z"):
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        offset_s = sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    try:
        naive = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        raise BrokerError(f"Alpaca sent an impossible timestamp: {value!r}") from None
    seconds = (naive - _EPOCH) // timedelta(seconds=1) - offset_s
    return seconds * _NS + int(frac)


def format_rfc3339(ts_ns: int) -> str:
    """int UTC nanoseconds to ``YYYY-MM-DDTHH:MM:SS.fffffffffZ`` (what Alpaca's ``after`` /
    ``until`` / ``start`` / ``end`` parameters accept)."""
    seconds, frac = divmod(int(ts_ns), _NS)
    stamp = (_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{frac:09d}Z"


def _ts(raw: Mapping[str, Any], *names: str) -> int:
    """The first present timestamp among ``names`` (Alpaca leaves unset ones null)."""
    for name in names:
        value = raw.get(name)
        if value:
            return parse_rfc3339_ns(value)
    return 0


# --------------------------------------------------------------------------- numbers


def parse_decimal(value: Any, what: str) -> Decimal:
    """A decimal string (or number) to ``Decimal`` via ``str``: ``0.1`` stays ``0.1``."""
    if value is None or isinstance(value, bool):
        raise BrokerError(f"Alpaca sent no usable {what}: {value!r}")
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise BrokerError(f"Alpaca sent a {what} that is not a number: {value!r}") from None
    if not d.is_finite():
        raise BrokerError(f"Alpaca sent a non-finite {what}: {value!r}")
    return d


def _opt_decimal(value: Any, what: str) -> Decimal | None:
    if value is None or value == "":
        return None
    return parse_decimal(value, what)


def _money(value: Any, what: str) -> Decimal:
    return parse_decimal(value if value not in (None, "") else "0", what)


def _decimal_str(d: Decimal) -> str:
    """Plain notation (``format(Decimal('1E+2'), 'f') == '100'``): Alpaca refuses exponents."""
    return format(d, "f")


# --------------------------------------------------------------------------- enums

_SIDES: Final = {"buy": OrderSide.BUY, "sell": OrderSide.SELL, "sell_short": OrderSide.SELL}
_TYPES_OUT: Final = {
    OrderType.MARKET: "market",
    OrderType.LIMIT: "limit",
    OrderType.STOP: "stop",
    OrderType.STOP_LIMIT: "stop_limit",
}
_TYPES_IN: Final = {
    "market": OrderType.MARKET,
    "limit": OrderType.LIMIT,
    "stop": OrderType.STOP,
    "stop_limit": OrderType.STOP_LIMIT,
    # A trailing stop is a stop-market order whose trigger follows the price; we never send
    # one, but an order placed elsewhere (the dashboard) may show up in open_orders().
    "trailing_stop": OrderType.STOP,
}
_TIF_OUT: Final = {
    TimeInForce.DAY: "day",
    TimeInForce.GTC: "gtc",
    TimeInForce.IOC: "ioc",
    TimeInForce.FOK: "fok",
}
_TIF_IN: Final = {
    "day": TimeInForce.DAY,
    "gtc": TimeInForce.GTC,
    "ioc": TimeInForce.IOC,
    "fok": TimeInForce.FOK,
    # On-open / on-close auction orders live for one session, like a day order; our enum has
    # no auction variants, and DAY is the closest lifetime.
    "opg": TimeInForce.DAY,
    "cls": TimeInForce.DAY,
}

# Statuses that say where the order is without needing its fill quantities.
_STATUS_FIXED: Final[dict[str, OrderStatus]] = {
    # Received by Alpaca, not yet acknowledged for execution: still in flight.
    "pending_new": OrderStatus.SUBMITTED,
    # Under Alpaca's review (broker accounts): not yet live at the venue.
    "pending_review": OrderStatus.SUBMITTED,
    # "accepted": taken by Alpaca but not routed yet (e.g. outside market hours); "new": routed
    # to the venue. Both are working orders from our side.
    "accepted": OrderStatus.ACCEPTED,
    "new": OrderStatus.ACCEPTED,
    # Sealed-bid style acceptance; the order is live.
    "accepted_for_bidding": OrderStatus.ACCEPTED,
    "partially_filled": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "pending_cancel": OrderStatus.PENDING_CANCEL,
    "canceled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
    # The order was replaced by a new order with a new id: this one will never trade again.
    # We never send replaces, so this only happens to orders changed outside the platform;
    # CANCELED (with the reason) is the closed state that matches "this id is finished".
    "replaced": OrderStatus.CANCELED,
}
# Statuses where the order is still alive at Alpaca but not simply "working": we report the
# open state its fills imply (ACCEPTED or PARTIALLY_FILLED), never a closed one, because
# declaring an order closed that may still fill is the expensive mistake.
_STATUS_WORKING: Final = frozenset(
    {
        # Done for today, resumes next session (GTC): still open.
        "done_for_day",
        # A replace is pending; the original keeps working until it is confirmed.
        "pending_replace",
        # A fill is guaranteed at a price but has not happened yet.
        "stopped",
        # Not eligible for trading for now (halt, corporate action); may resume.
        "suspended",
        # Bracket/OTO leg waiting for its parent to fill: live at Alpaca, not at the venue.
        "held",
    }
)


def map_order_status(status: str, quantity: Decimal, filled: Decimal) -> OrderStatus:
    """Alpaca's order status (plus the fill quantities, where they decide) to ours.

    ``calculated`` (the day's settlement arithmetic is pending) is FILLED when everything filled
    and otherwise the working state its fills imply. An unknown status maps the same
    conservative way (open), and the raw word is kept in the report's ``reason``.
    """
    fixed = _STATUS_FIXED.get(status)
    if fixed is not None:
        return fixed
    if status == "calculated" and quantity > 0 and filled >= quantity:
        return OrderStatus.FILLED
    return OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.ACCEPTED


def _side(value: Any) -> OrderSide:
    side = _SIDES.get(str(value).lower())
    if side is None:
        raise BrokerError(f"Alpaca sent an unknown order side {value!r}")
    return side


# --------------------------------------------------------------------------- requests out


def order_body(request: OrderRequest) -> dict[str, Any]:
    """The JSON body of ``POST /v2/orders`` for ``request``.

    Quantities and prices go as decimal *strings* (Alpaca's documented type): alpaca-py's
    request models hold them as floats, which would turn ``Decimal('0.1')`` into a binary
    approximation on the way. A bracket is ``order_class=bracket`` with both exits; a single
    exit is ``oto`` (one-triggers-other), which is how Alpaca spells "entry plus one exit".
    """
    body: dict[str, Any] = {
        "symbol": request.symbol,
        "qty": _decimal_str(request.quantity),
        "side": request.side.value.lower(),
        "type": _TYPES_OUT[request.order_type],
        "time_in_force": _TIF_OUT[request.time_in_force],
        "client_order_id": request.client_order_id,
    }
    if request.limit_price is not None:
        body["limit_price"] = _decimal_str(request.limit_price)
    if request.stop_price is not None:
        body["stop_price"] = _decimal_str(request.stop_price)
    if request.is_bracket:
        both = request.take_profit is not None and request.stop_loss is not None
        body["order_class"] = "bracket" if both else "oto"
        if request.take_profit is not None:
            body["take_profit"] = {"limit_price": _decimal_str(request.take_profit)}
        if request.stop_loss is not None:
            body["stop_loss"] = {"stop_price": _decimal_str(request.stop_loss)}
    return body


# --------------------------------------------------------------------------- reports in


def parse_order(
    raw: Mapping[str, Any], *, ts_init: int, ts_event: int | None = None
) -> OrderStatusReport:
    """An Alpaca order object to an :class:`OrderStatusReport`.

    ``ts_event`` defaults to the order's ``updated_at`` (its last change at Alpaca); the
    trade-updates stream passes the event's own timestamp instead.
    """
    try:
        quantity = parse_decimal(raw.get("qty") or "0", "order qty")
        filled = parse_decimal(raw.get("filled_qty") or "0", "filled qty")
        status_word = str(raw["status"])
        order_type = _TYPES_IN.get(str(raw.get("type") or raw.get("order_type") or ""))
        if order_type is None:
            raise BrokerError(f"Alpaca sent an unknown order type in order {raw.get('id')!r}")
        avg = _opt_decimal(raw.get("filled_avg_price"), "filled average price")
        status = map_order_status(status_word, quantity, filled)
        reason: str | None = None
        if status_word not in ("new", "accepted", "filled", "partially_filled", "canceled"):
            reason = status_word
        if status_word == "replaced" and raw.get("replaced_by"):
            reason = f"replaced by order {raw['replaced_by']}"
        return OrderStatusReport(
            client_order_id=str(raw["client_order_id"]),
            venue_order_id=str(raw["id"]),
            symbol=str(raw["symbol"]),
            side=_side(raw["side"]),
            order_type=order_type,
            quantity=quantity,
            filled_quantity=filled,
            status=status,
            ts_event=ts_event
            if ts_event is not None
            else _ts(raw, "updated_at", "submitted_at", "created_at"),
            ts_init=ts_init,
            avg_fill_price=avg if avg is not None and avg > 0 else None,
            limit_price=_opt_decimal(raw.get("limit_price"), "limit price"),
            stop_price=_opt_decimal(raw.get("stop_price"), "stop price"),
            time_in_force=_TIF_IN.get(str(raw.get("time_in_force")), TimeInForce.DAY),
            reason=reason,
        )
    except KeyError as exc:
        raise BrokerError(f"Alpaca order object lacks the field {exc.args[0]!r}") from None
    except InvalidArgumentError as exc:
        raise BrokerError(f"Alpaca order object is inconsistent: {exc.message}") from None


def trade_id_from_activity_id(activity_id: str) -> str:
    """The execution id inside a FILL activity id.

    Activity ids read ``"20210127144930176::ddc0a142-..."``: a compact timestamp, ``::``, then
    the execution's UUID. The trade-updates stream names the same execution by
    ``execution_id`` alone. Using the UUID part on both paths gives a fill one identity whether
    it arrived on the stream or through the REST gap-fill, so the journal's dedupe by trade id
    holds across the two (see docs/decisions/0014 for the caveat).
    """
    _, sep, tail = activity_id.partition("::")
    return tail if sep and tail else activity_id


def parse_fill_activity(
    raw: Mapping[str, Any], *, client_order_id: str, ts_init: int
) -> FillReport:
    """One ``GET /v2/account/activities/FILL`` entry to a :class:`FillReport`."""
    try:
        return FillReport(
            trade_id=trade_id_from_activity_id(str(raw["id"])),
            client_order_id=client_order_id,
            venue_order_id=str(raw["order_id"]),
            symbol=str(raw["symbol"]),
            side=_side(raw["side"]),
            quantity=parse_decimal(raw["qty"], "fill qty"),
            price=parse_decimal(raw["price"], "fill price"),
            ts_event=parse_rfc3339_ns(raw["transaction_time"]),
            ts_init=ts_init,
        )
    except KeyError as exc:
        raise BrokerError(f"Alpaca fill activity lacks the field {exc.args[0]!r}") from None
    except InvalidArgumentError as exc:
        raise BrokerError(f"Alpaca fill activity is inconsistent: {exc.message}") from None


def _fallback_trade_id(order_id: str, timestamp: str, qty: str) -> str:
    """A deterministic id for a fill frame without ``execution_id`` (older servers omitted it).

    It must be a pure function of the frame: a repeated frame then repeats the id and the
    journal's dedupe still drops it, where a random id would count the fill twice. It cannot
    match the REST activity id (which needs the execution UUID), so reconciliation, not
    dedupe, catches a fill seen both ways; the ``synth-`` prefix makes such ids recognisable.
    """
    digest = hashlib.sha256(f"{order_id}|{timestamp}|{qty}".encode()).hexdigest()[:32]
    return f"synth-{digest}"


def parse_trade_update(data: Mapping[str, Any], *, ts_init: int) -> list[ExecutionReport]:
    """One ``trade_updates`` event to a status report, plus a fill report for ``fill`` and
    ``partial_fill``.

    The status comes from the embedded order object (Alpaca's own view after the event), so a
    repeated or reordered frame reports the state it carries; ordering is the journal's job.
    Non-fill events such as ``order_cancel_rejected`` keep their event name in ``reason``.
    """
    event = str(data.get("event", ""))
    order = data.get("order")
    if not isinstance(order, Mapping):
        raise BrokerError(f"trade update {event!r} carries no order object")
    timestamp = data.get("timestamp")
    ts_event = parse_rfc3339_ns(timestamp) if timestamp else None
    status = parse_order(order, ts_init=ts_init, ts_event=ts_event)
    if event in ("order_cancel_rejected", "order_replace_rejected", "rejected", "restated"):
        status = _with_reason(status, event)
    out: list[ExecutionReport] = [status]
    if event in ("fill", "partial_fill"):
        qty, price = data.get("qty"), data.get("price")
        if qty in (None, "") or price in (None, ""):
            # Without the execution's own qty and price we cannot state the fill; the order's
            # cumulative totals in the status report let reconciliation fetch it instead.
            return out
        execution_id = data.get("execution_id")
        trade_id = (
            str(execution_id)
            if execution_id
            else _fallback_trade_id(status.venue_order_id, str(timestamp), str(qty))
        )
        try:
            out.append(
                FillReport(
                    trade_id=trade_id,
                    client_order_id=status.client_order_id,
                    venue_order_id=status.venue_order_id,
                    symbol=status.symbol,
                    side=status.side,
                    quantity=parse_decimal(qty, "fill qty"),
                    price=parse_decimal(price, "fill price"),
                    ts_event=status.ts_event,
                    ts_init=ts_init,
                )
            )
        except InvalidArgumentError as exc:
            raise BrokerError(f"trade update {event!r} has a bad fill: {exc.message}") from None
    return out


def _with_reason(report: OrderStatusReport, reason: str) -> OrderStatusReport:
    return replace(report, reason=reason)


def parse_position(raw: Mapping[str, Any]) -> PositionReport:
    """``GET /v2/positions`` entry: quantity signed by ``side`` (short = negative), whether
    Alpaca wrote the quantity signed or not."""
    try:
        qty = abs(parse_decimal(raw["qty"], "position qty"))
        if str(raw.get("side", "long")).lower() == "short":
            qty = -qty
        return PositionReport(
            symbol=str(raw["symbol"]),
            quantity=qty,
            avg_price=parse_decimal(raw["avg_entry_price"], "average entry price"),
        )
    except KeyError as exc:
        raise BrokerError(f"Alpaca position lacks the field {exc.args[0]!r}") from None


_ACCOUNT_EXTRA: Final = (
    "account_number",
    "status",
    "portfolio_value",
    "long_market_value",
    "short_market_value",
    "multiplier",
    "pattern_day_trader",
    "trading_blocked",
    "account_blocked",
    "shorting_enabled",
    "daytrade_count",
)


def parse_account(raw: Mapping[str, Any], *, ts_event: int) -> AccountReport:
    """``GET /v2/account``. The account object carries no "as of" time, so ``ts_event`` is
    the caller's clock when the answer arrived."""
    try:
        return AccountReport(
            account_id=str(raw["id"]),
            currency=str(raw.get("currency") or "USD"),
            cash=_money(raw["cash"], "cash"),
            equity=_money(raw.get("equity"), "equity"),
            buying_power=_money(raw.get("buying_power"), "buying power"),
            ts_event=ts_event,
            extra={k: str(raw[k]) for k in _ACCOUNT_EXTRA if raw.get(k) is not None},
        )
    except KeyError as exc:
        raise BrokerError(f"Alpaca account lacks the field {exc.args[0]!r}") from None


# --------------------------------------------------------------------------- clock, calendar


@dataclass(frozen=True, slots=True)
class AlpacaClock:
    """``GET /v2/clock``: Alpaca's time and the market's next open and close (UTC ns)."""

    timestamp_ns: int
    is_open: bool
    next_open_ns: int
    next_close_ns: int


@dataclass(frozen=True, slots=True)
class AlpacaSession:
    """One trading day from ``GET /v2/calendar``; open and close as UTC ns instants."""

    date: date
    open_ns: int
    close_ns: int


def parse_clock(raw: Mapping[str, Any]) -> AlpacaClock:
    try:
        return AlpacaClock(
            timestamp_ns=parse_rfc3339_ns(raw["timestamp"]),
            is_open=bool(raw["is_open"]),
            next_open_ns=parse_rfc3339_ns(raw["next_open"]),
            next_close_ns=parse_rfc3339_ns(raw["next_close"]),
        )
    except KeyError as exc:
        raise BrokerError(f"Alpaca clock lacks the field {exc.args[0]!r}") from None


def _local_ns(day: date, hhmm: str) -> int:
    """``"09:30"`` (or ``"0930"``) New York wall time on ``day`` to UTC ns (DST-aware)."""
    digits = hhmm.replace(":", "")
    if len(digits) != 4 or not digits.isdigit():
        raise BrokerError(f"Alpaca calendar time {hhmm!r} is not HH:MM")
    local = datetime(
        day.year, day.month, day.day, int(digits[:2]), int(digits[2:]), tzinfo=NEW_YORK
    )
    return (local.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1) * 1_000


def parse_calendar_day(raw: Mapping[str, Any]) -> AlpacaSession:
    """One ``GET /v2/calendar`` entry (``date``, ``open``, ``close`` in New York time)."""
    try:
        day = date.fromisoformat(str(raw["date"]))
        return AlpacaSession(
            date=day,
            open_ns=_local_ns(day, str(raw["open"])),
            close_ns=_local_ns(day, str(raw["close"])),
        )
    except KeyError as exc:
        raise BrokerError(f"Alpaca calendar day lacks the field {exc.args[0]!r}") from None
    except ValueError:
        raise BrokerError(f"Alpaca calendar day has a bad date: {raw.get('date')!r}") from None
