"""The order manager: strategy -> risk checks -> journal -> broker, and reports back.

Three promises, each kept by the order of operations here:

- **Nothing is lost.** An order is written to the journal (committed) *before* it is sent; a
  crash at any later point leaves a record that reconciliation resolves against the broker.
- **Nothing is sent twice.** Order creation is never retried blindly. A send that times out or
  gets a 5xx is marked ``unknown`` and stays in flight until a stream update, a query by
  client order id or reconciliation resolves it. Client order ids are idempotency keys: the
  live runner derives them from the run, the bar and the leg, so a restarted runner that
  re-plans a bar regenerates the same ids and the journal refuses the second send. The one
  resend allowed is of an order the broker confirmed it never received (after a crash), under
  a new id with a ``.rN`` suffix.
- **Reports are idempotent.** Fills count once (by trade id), a stale status never overwrites a
  newer one (the journal's rules), so duplicate, late and out-of-order reports are harmless.

The kill switch is state in the journal (key ``kill_switch``), so ``neural-trader kill`` from
another process reaches a running runner at its next check and survives restarts.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Final

from neural_trader.core.clock import Clock
from neural_trader.core.enums import OrderSide, OrderStatus, OrderType
from neural_trader.core.errors import (
    BrokerUnavailableError,
    OrderRejectedError,
    RateLimitedError,
    SendOutcomeUnknown,
)
from neural_trader.execution.broker import Broker
from neural_trader.execution.journal import DuplicateOrderError, FillRecord, Journal, OrderRecord
from neural_trader.execution.reports import (
    ExecutionReport,
    FillReport,
    OrderRequest,
    OrderStatusReport,
)
from neural_trader.ops.logging import redact
from neural_trader.risk.checks import PreTradeRisk, RiskDecision
from neural_trader.risk.killswitch import KillSwitch, TradingState

__all__ = ["KILL_SWITCH_KEY", "NEVER_SENT", "OrderManager"]

log = logging.getLogger(__name__)

NEVER_SENT: Final = "never reached the broker"
"""Reason prefix of orders the broker confirmed it never received (safe to resend anew)."""
INFLIGHT_TIMEOUT: Final = "INFLIGHT_TIMEOUT"
KILL_SWITCH_KEY: Final = "kill_switch"
_MAX_RESENDS: Final = 9
_FILL_LOOKBACK_NS: Final = 7 * 86_400_000_000_000
_FLATTEN_TAG: Final = "KILL"

FillListener = Callable[[FillReport], None]


class OrderManager:
    """Owns the order flow for one journal (one broker account)."""

    def __init__(
        self,
        *,
        journal: Journal,
        broker: Broker,
        risk: PreTradeRisk,
        clock: Clock,
        inflight_polls: int = 3,
    ) -> None:
        self.journal = journal
        self.broker = broker
        self.risk = risk
        self.clock = clock
        self.prices: dict[str, float] = {}
        """Last good price per symbol (the runner keeps it current); used by the risk checks."""
        self.positions: dict[str, float] = {}
        self._listeners: list[FillListener] = []
        self._polls: dict[str, int] = {}
        self._inflight_polls = inflight_polls
        self.kill_switch = KillSwitch.active()
        self._kill_checked = -math.inf
        self._unknown: set[str] = set()
        self.reload()

    # -- state ----------------------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read positions and the kill switch from the journal (after a repair or a kill)."""
        self.positions = {p.symbol: float(p.quantity) for p in self.journal.positions()}
        self.refresh_kill_switch()

    def refresh_kill_switch(self, *, max_age_s: float = 0.0) -> KillSwitch:
        """Re-read the kill switch (another process may have tripped or lifted it).

        ``max_age_s`` > 0 skips the read when the last one is younger than that (wall time):
        a runner checks on every bar, and at replay speed a read per bar would cost more than
        the bar; a person's ``neural-trader kill`` still lands within ``max_age_s``.
        """
        now = time.monotonic()
        if max_age_s > 0 and now - self._kill_checked < max_age_s:
            return self.kill_switch
        self._kill_checked = now
        stored = self.journal.get_state(KILL_SWITCH_KEY)
        self.kill_switch = KillSwitch.active() if stored is None else KillSwitch.from_dict(stored)
        return self.kill_switch

    @property
    def may_have_unresolved(self) -> bool:
        """True when this process left an order's send outcome unknown since the last
        :meth:`resolve_in_flight` (earlier processes' are reconciliation's job)."""
        return bool(self._unknown)

    def add_fill_listener(self, listener: FillListener) -> None:
        self._listeners.append(listener)

    def update_price(self, symbol: str, price: float) -> None:
        if math.isfinite(price) and price > 0:
            self.prices[symbol] = price

    # -- orders out -----------------------------------------------------------------------------

    async def submit(self, request: OrderRequest, *, reducing_allowed: bool = False) -> OrderRecord:
        """Check, journal, send. Returns the order's record (DENIED, REJECTED, in flight...).

        The journal insert is the idempotency test: a new id (the common case) costs no
        lookup; an id the journal already holds is never sent again, unless the broker
        confirmed it never received it (then it is resent as ``<id>.rN``).
        """
        try:
            return await self._submit_new(request, reducing_allowed)
        except DuplicateOrderError:
            fresh, existing = self._fresh_id(request)
            if existing is not None:
                # The same idempotency key again (a re-planned bar after a restart).
                return existing
            return await self._submit_new(fresh, reducing_allowed)

    async def _submit_new(self, request: OrderRequest, reducing_allowed: bool) -> OrderRecord:
        now = self.clock.timestamp_ns()
        decision = self.check(request, reducing_allowed=reducing_allowed)
        if not decision.allowed:
            record = self.journal.record_denied(request, reason=decision.message, ts_init=now)
            log.warning("order %s denied: %s", request.client_order_id, decision.message)
            return record
        intent = self.journal.record_intent(request, ts_init=now)
        cid = request.client_order_id
        try:
            report = await self.broker.submit_order(request)
        except RateLimitedError as exc:
            # A 429 is the broker refusing to process the request: definitive, not retried
            # here (the adapter already honoured Retry-After where resending is safe).
            return self.journal.resolve(
                cid, OrderStatus.REJECTED, reason=f"rate limited: {exc.message}", ts_init=now
            )
        except OrderRejectedError as exc:
            return self.journal.resolve(cid, OrderStatus.REJECTED, reason=exc.reason, ts_init=now)
        except (SendOutcomeUnknown, BrokerUnavailableError, OSError, TimeoutError) as exc:
            reason = redact(str(exc)) or type(exc).__name__
            log.warning("order %s: outcome unknown (%s); will resolve by query", cid, reason)
            self._unknown.add(cid)
            return self.journal.mark_unknown(cid, reason=reason, ts_init=self.clock.timestamp_ns())
        self.risk.record_sent(self.clock.timestamp_ns())
        if report.client_order_id != cid:  # not this order's answer: apply it, read ours
            self.apply(report)
            return self.journal.order(cid) or intent
        _, acked = self.journal.apply_status_record(report, ts_init=self.clock.timestamp_ns())
        return acked or intent

    def check(self, request: OrderRequest, *, reducing_allowed: bool = False) -> RiskDecision:
        return self.risk.check(
            request,
            last_price=self.prices.get(request.symbol),
            positions=self.positions,
            prices=self.prices,
            state=self.kill_switch.state,
            reducing_allowed=reducing_allowed,
        )

    def _fresh_id(self, request: OrderRequest) -> tuple[OrderRequest, OrderRecord | None]:
        """Resend an order the broker never received under ``<id>.rN``; anything else as is.

        Returns the request to send and the journal's record of its id (None: a new order).
        """
        cid = request.client_order_id
        existing = self.journal.order(cid)
        attempt = 0
        while (
            existing is not None
            and existing.status is OrderStatus.REJECTED
            and (existing.reason or "").startswith(NEVER_SENT)
            and attempt < _MAX_RESENDS
        ):
            attempt += 1
            cid = f"{request.client_order_id}.r{attempt}"
            existing = self.journal.order(cid)
        if cid == request.client_order_id:
            return request, existing
        return replace(request, client_order_id=cid), existing

    async def cancel(self, client_order_id: str) -> bool:
        """Ask the broker to cancel (allowed even when halted). False if nothing to cancel."""
        record = self.journal.order(client_order_id)
        if record is None or record.status.is_closed:
            return False
        try:
            await self.broker.cancel_order(client_order_id, record.venue_order_id)
        except OrderRejectedError as exc:
            log.info("cancel of %s refused: %s", client_order_id, exc.reason)
            return False
        except (SendOutcomeUnknown, BrokerUnavailableError, OSError, TimeoutError) as exc:
            log.warning("cancel of %s: outcome unknown (%s)", client_order_id, redact(str(exc)))
        return True

    async def cancel_all(self, symbol: str | None = None, *, keep_flatten: bool = False) -> int:
        """Cancel open orders (of ``symbol``); ``keep_flatten`` spares the kill switch's own
        closing orders, which a halted runner re-enforcing the switch must let fill."""
        count = 0
        for record in self.journal.open_orders():
            if keep_flatten and record.strategy == _FLATTEN_TAG:
                continue
            if symbol is None or record.symbol == symbol:
                count += await self.cancel(record.client_order_id)
        return count

    async def flatten(self, *, prefix: str) -> list[OrderRecord]:
        """Close every journal position with a market order (allowed while halted)."""
        out = []
        for position in self.journal.positions():
            side = OrderSide.SELL if position.quantity > 0 else OrderSide.BUY
            request = OrderRequest(
                client_order_id=f"{prefix}-{position.symbol}",
                symbol=position.symbol,
                side=side,
                order_type=OrderType.MARKET,
                quantity=abs(position.quantity),
                strategy=_FLATTEN_TAG,
            )
            out.append(await self.submit(request, reducing_allowed=True))
        return out

    async def trip_kill_switch(self, reason: str, *, by: str, flatten: bool) -> KillSwitch:
        """Halt: persist the state first (it must outlive us), then cancel, then flatten."""
        now = self.clock.timestamp_ns()
        self.kill_switch = KillSwitch.active().trip(reason, ts_ns=now, flatten=flatten, by=by)
        self.journal.set_state(KILL_SWITCH_KEY, self.kill_switch.to_dict(), ts_init=now)
        log.error("kill switch tripped by %s: %s", by, reason)
        await self.enforce_kill_switch()
        return self.kill_switch

    async def enforce_kill_switch(self) -> None:
        """Do what a tripped switch asks: cancel open orders; flatten once if asked."""
        ks = self.kill_switch
        if ks.state is not TradingState.HALTED:
            return
        await self.cancel_all(keep_flatten=True)
        if ks.flatten and self.journal.get_state(f"{KILL_SWITCH_KEY}:flattened") != ks.since_ns:
            await self.flatten(prefix=f"KILL-{ks.since_ns}")
            self.journal.set_state(
                f"{KILL_SWITCH_KEY}:flattened", ks.since_ns, ts_init=self.clock.timestamp_ns()
            )

    # -- reports in -----------------------------------------------------------------------------

    def apply(self, report: ExecutionReport) -> bool:
        """Apply one broker report to the journal; True when it changed anything."""
        now = self.clock.timestamp_ns()
        if isinstance(report, FillReport):
            if not self.journal.apply_fill(report, ts_init=now):
                return False
            signed = (
                float(report.quantity) if report.side is OrderSide.BUY else -float(report.quantity)
            )
            self.positions[report.symbol] = self.positions.get(report.symbol, 0.0) + signed
            for listener in self._listeners:
                listener(report)
            return True
        return self.journal.apply_status(report, ts_init=now)

    async def resolve_in_flight(self, *, process_restarted: bool = False) -> list[str]:
        """Query the broker for every order whose send outcome is unknown; return what changed.

        Found: the broker's report (and its fills) are applied. Not found: after a restart the
        send can no longer be in flight, so the order never arrived (``NEVER_SENT``, safe to
        resend); while running, the request may still be travelling, so it takes
        ``inflight_polls`` empty answers before the order is ``REJECTED(INFLIGHT_TIMEOUT)``.
        """
        changed: list[str] = []
        records = self.journal.unresolved()
        self._unknown = {r.client_order_id for r in records}
        for record in records:
            cid = record.client_order_id
            report = await self.broker.get_order(cid)
            now = self.clock.timestamp_ns()
            if report is not None:
                self._polls.pop(cid, None)
                self._unknown.discard(cid)
                self.apply(report)
                for fill in await self._fills_of(report):
                    self.apply(fill)
                changed.append(cid)
                continue
            if process_restarted:
                reason = f"{NEVER_SENT} (not found by client order id after a restart)"
                self.journal.resolve(cid, OrderStatus.REJECTED, reason=reason, ts_init=now)
                self._unknown.discard(cid)
                changed.append(cid)
                continue
            polls = self._polls.get(cid, 0) + 1
            self._polls[cid] = polls
            if polls >= self._inflight_polls:
                self._polls.pop(cid, None)
                reason = f"{INFLIGHT_TIMEOUT}: not found at the broker after {polls} queries"
                self.journal.resolve(cid, OrderStatus.REJECTED, reason=reason, ts_init=now)
                self._unknown.discard(cid)
                changed.append(cid)
        return changed

    async def _fills_of(self, report: OrderStatusReport) -> list[FillReport]:
        if report.filled_quantity <= 0:
            return []
        # Fills precede the broker's latest update of the order; a week's window keeps the
        # query bounded on accounts with a long history (broker clock against broker clock).
        since = max(0, report.ts_event - _FILL_LOOKBACK_NS)
        return [
            f
            for f in await self.broker.fills(since_ns=since)
            if f.client_order_id == report.client_order_id
        ]

    def fills_of(self, client_order_id: str) -> list[FillRecord]:
        return self.journal.fills(client_order_id=client_order_id)


def decimal_qty(value: float) -> Decimal:
    """A float quantity as the exact decimal of its shortest repr (no binary noise)."""
    return Decimal(repr(value))
