"""Reconciliation: the journal compared with the broker, differences repaired and reported.

Run at start-up (strategies do not start until it succeeds) and on demand
(``neural-trader reconcile``). The order follows NautilusTrader's: orders, then fills, then
positions, because each step's evidence repairs what the next one compares.

1. Orders whose send outcome is unknown are looked up by client order id. After a restart a
   "not found" is definitive (nothing of ours is in flight any more): the order never reached
   the broker.
2. Open orders are refreshed from the broker; a journal order the broker no longer lists is
   queried once by id before anything is concluded (freqtrade's "not found means cancelled"
   shortcut is the bug this avoids). Broker orders the journal never sent are adopted as
   ``EXTERNAL``: recorded, never traded by a strategy.
3. Fills since the journal's last one (broker clock, with a day's margin) are applied; the
   journal drops the ones it already has by trade id, so gap-filling is always safe.
4. Positions: the broker's report is authoritative. A remaining difference is written to the
   journal as a repair, and the quantity is tagged external (state ``external_positions``) so
   a strategy neither trades it nor counts it as its own. A missing broker report is not
   "flat": if the position query fails, reconciliation fails closed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from neural_trader.core.enums import OrderStatus
from neural_trader.core.errors import BrokerError, ReconciliationError
from neural_trader.execution.oms import OrderManager
from neural_trader.ops.logging import redact

__all__ = ["EXTERNAL_POSITIONS_KEY", "PositionRepair", "ReconciliationReport", "reconcile"]

log = logging.getLogger(__name__)

EXTERNAL_POSITIONS_KEY: Final = "external_positions"
_FILL_MARGIN_NS: Final = 86_400_000_000_000


@dataclass(frozen=True)
class PositionRepair:
    symbol: str
    journal_quantity: Decimal
    broker_quantity: Decimal

    @property
    def difference(self) -> Decimal:
        return self.broker_quantity - self.journal_quantity


@dataclass
class ReconciliationReport:
    resolved: list[str] = field(default_factory=list)
    """In-flight orders whose outcome was settled (found, or never received)."""
    refreshed: list[str] = field(default_factory=list)
    """Open orders whose status changed from what the journal had."""
    adopted: list[str] = field(default_factory=list)
    """Broker orders the journal did not know, recorded as EXTERNAL."""
    fills_applied: int = 0
    repairs: list[PositionRepair] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Differences that remain after repair: trading must not start."""
    warnings: list[str] = field(default_factory=list)
    """Repaired oddities a person should know about."""

    @property
    def ok(self) -> bool:
        """True when, after the repairs, the journal's positions equal the broker's."""
        return not self.problems

    @property
    def clean(self) -> bool:
        """True when nothing needed repairing at all."""
        return self.ok and not (self.resolved or self.adopted or self.repairs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "resolved": self.resolved,
            "refreshed": self.refreshed,
            "adopted": self.adopted,
            "fills_applied": self.fills_applied,
            "repairs": [
                {
                    "symbol": r.symbol,
                    "journal_quantity": float(r.journal_quantity),
                    "broker_quantity": float(r.broker_quantity),
                    "difference": float(r.difference),
                }
                for r in self.repairs
            ],
            "problems": self.problems,
            "warnings": self.warnings,
        }


async def reconcile(oms: OrderManager, *, startup: bool) -> ReconciliationReport:
    """Bring the journal in line with the broker (see the module notes); never sends orders."""
    journal = oms.journal
    broker = oms.broker
    report = ReconciliationReport()
    try:
        report.resolved = await oms.resolve_in_flight(process_restarted=startup)
        await _orders(oms, report)
        report.fills_applied = await _fills(oms)
        broker_positions = await broker.positions()
        account = await broker.account()
    except BrokerError as exc:
        raise ReconciliationError(
            f"reconciliation with {broker.name} failed: {redact(exc.message)}",
            hint="trading does not start until the broker answers; try `neural-trader "
            "reconcile` again",
        ) from exc
    now = oms.clock.timestamp_ns()
    journal.record_account(account, ts_init=now)
    ours = {p.symbol: p for p in journal.positions()}
    theirs = {p.symbol: p for p in broker_positions}
    external: dict[str, str] = dict(journal.get_state(EXTERNAL_POSITIONS_KEY) or {})
    for symbol in sorted(set(ours) | set(theirs)):
        mine = ours[symbol].quantity if symbol in ours else Decimal(0)
        broker_qty = theirs[symbol].quantity if symbol in theirs else Decimal(0)
        if mine == broker_qty:
            continue
        repair = PositionRepair(symbol, mine, broker_qty)
        avg = theirs[symbol].avg_price if symbol in theirs else Decimal(0)
        journal.set_position(
            symbol,
            broker_qty,
            avg,
            reason=f"reconciliation: broker holds {broker_qty}, journal had {mine}",
            ts_init=now,
        )
        external[symbol] = str(Decimal(external.get(symbol, "0")) + repair.difference)
        report.repairs.append(repair)
        log.warning(
            "position %s repaired: journal %s -> broker %s (difference tagged external)",
            symbol,
            mine,
            broker_qty,
        )
    if report.repairs:
        journal.set_state(
            EXTERNAL_POSITIONS_KEY, {k: v for k, v in external.items() if Decimal(v)}, ts_init=now
        )
    after = {p.symbol: p.quantity for p in journal.positions()}
    for symbol, position in theirs.items():
        if after.get(symbol, Decimal(0)) != position.quantity:
            report.problems.append(
                f"{symbol}: broker holds {position.quantity}, journal "
                f"{after.get(symbol, Decimal(0))} after repair"
            )
    journal.append_event("reconciled", report.to_dict(), ts_init=now)
    oms.reload()
    return report


async def _orders(oms: OrderManager, report: ReconciliationReport) -> None:
    journal = oms.journal
    broker = oms.broker
    at_broker = {r.client_order_id: r for r in await broker.open_orders()}
    for record in journal.open_orders():
        cid = record.client_order_id
        status = at_broker.get(cid) or await broker.get_order(cid)
        if status is None:
            if record.submission == "acked":
                reason = "not found at the broker during reconciliation (it had acknowledged it)"
                journal.resolve(
                    cid, OrderStatus.REJECTED, reason=reason, ts_init=oms.clock.timestamp_ns()
                )
                report.warnings.append(f"order {cid}: {reason}")
            continue
        if oms.apply(status):
            report.refreshed.append(cid)
    for cid, status in at_broker.items():
        if journal.order(cid) is None:
            journal.adopt_external(status, ts_init=oms.clock.timestamp_ns())
            report.adopted.append(cid)


async def _fills(oms: OrderManager) -> int:
    since = max(0, oms.journal.last_fill_ts() - _FILL_MARGIN_NS)
    applied = 0
    for fill in await oms.broker.fills(since_ns=since):
        applied += oms.apply(fill)
    return applied
