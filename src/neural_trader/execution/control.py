"""The control channel between the fronts and a running runner: the journal's state table.

A runner is a separate ``neural-trader trade`` process; an agent's ``switch_active_strategy``
or ``neural-trader switch`` runs in another. They share nothing but the trading journal, so a
request to change the running strategy is a journal value (:data:`CONTROL_KEY`) that the
runner reads between bars, applies at a bar's close (the only moment it owns the strategy's
state) and answers in the same value. No sockets or signals: the journal is already the one
durable place both sides open, a request outlives a runner crash (the restarted runner applies
a request still pending), and the answer is there for whoever asks later.

One request at a time: a front refuses to write while one is pending. The read-then-write is
not atomic across processes; the runner answers only the request id it read, so a racing
second request is never marked applied by mistake.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from neural_trader.execution.journal import Journal

__all__ = ["CONTROL_KEY", "SwitchRequest", "SwitchStatus", "read_switch", "write_switch"]

CONTROL_KEY: Final = "runner:control"

SwitchStatus = Literal["pending", "applied", "refused"]


@dataclass
class SwitchRequest:
    """Replace the running strategy ``from_strategy`` by ``to_strategy(**params)``.

    ``close_positions`` flattens the position at the next action point (the next bar's open
    in a replay, at once on live bars) and the new strategy trades from the one after;
    without it the new strategy takes the position over and its own target decides.
    """

    from_strategy: str
    to_strategy: str
    params: dict[str, Any] = field(default_factory=dict)
    close_positions: bool = False
    requested_ns: int = 0
    by: str = "user"
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    status: SwitchStatus = "pending"
    reason: str | None = None
    """Why a refused request was refused."""
    applied_ns: int | None = None
    bar_ts: int | None = None
    """The bar at whose close the switch happened."""
    position_before: float | None = None
    symbol: str | None = None
    cancelled_orders: list[str] = field(default_factory=list)
    closing_orders: list[dict[str, Any]] = field(default_factory=list)
    """The orders that closed the position (``close_positions``), as the runner sent them."""
    closing: Literal["none", "pending", "done"] = "none"
    """``pending`` between an applied switch and its closing orders (the next action point)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SwitchRequest:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


def read_switch(journal: Journal) -> SwitchRequest | None:
    """The latest switch request (pending or answered), or None."""
    value = journal.get_state(CONTROL_KEY)
    return SwitchRequest.from_dict(value) if isinstance(value, dict) else None


def write_switch(journal: Journal, request: SwitchRequest, *, ts_init: int) -> None:
    journal.set_state(CONTROL_KEY, request.to_dict(), ts_init=ts_init)
