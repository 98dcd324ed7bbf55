"""The order state machine: one transition table and a generic machine that enforces it.

A trigger is the status an event asks for (NautilusTrader's convention): ``OrderAccepted``
triggers ``ACCEPTED``, a fill triggers ``PARTIALLY_FILLED`` or ``FILLED``, and a rejected cancel
triggers the status to go back to. Keeping every legal move in one table means the lifecycle can
be read, reviewed and tested in one place; nothing else in the code decides a status.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Final, Generic, TypeVar

from neural_trader.core.enums import OrderStatus
from neural_trader.core.errors import InvalidStateTrigger

__all__ = ["ORDER_TRANSITIONS", "FiniteStateMachine", "order_state_machine"]

S = TypeVar("S", bound=Hashable)
T = TypeVar("T", bound=Hashable)

_I = OrderStatus.INITIALIZED
_DN = OrderStatus.DENIED
_SB = OrderStatus.SUBMITTED
_AC = OrderStatus.ACCEPTED
_RJ = OrderStatus.REJECTED
_PC = OrderStatus.PENDING_CANCEL
_CX = OrderStatus.CANCELED
_EX = OrderStatus.EXPIRED
_PF = OrderStatus.PARTIALLY_FILLED
_FL = OrderStatus.FILLED

ORDER_TRANSITIONS: Final[Mapping[tuple[OrderStatus, OrderStatus], OrderStatus]] = {
    (_I, _DN): _DN,  # our risk checks refused it
    (_I, _SB): _SB,
    (_I, _CX): _CX,  # cancelled locally before it was ever sent
    (_SB, _RJ): _RJ,
    (_SB, _AC): _AC,
    (_SB, _CX): _CX,  # real world: IOC/FOK cancelled by the venue with no acknowledgement first
    (_SB, _PC): _PC,  # a cancel requested before the venue acknowledged the order
    (_SB, _EX): _EX,  # real world: a DAY order submitted after the close expires unacknowledged
    (_SB, _PF): _PF,  # real world: the fill report overtakes the acknowledgement
    (_SB, _FL): _FL,  # idem
    (_AC, _RJ): _RJ,  # real world: accepted, then rejected (a stop refused when it triggers)
    (_AC, _PC): _PC,
    (_AC, _CX): _CX,
    (_AC, _EX): _EX,
    (_AC, _PF): _PF,
    (_AC, _FL): _FL,
    (_PC, _PC): _PC,  # a second cancel request while the first is in flight
    (_PC, _CX): _CX,
    (_PC, _EX): _EX,  # expiry wins the race with the cancel
    (_PC, _AC): _AC,  # the cancel was rejected: back to ACCEPTED (nothing filled yet)
    (_PC, _PF): _PF,  # a fill during the cancel, or the cancel rejected after a partial fill
    (_PC, _FL): _FL,  # the fill won the race with the cancel
    (_PF, _PC): _PC,
    (_PF, _CX): _CX,  # the rest is cancelled; what filled stays filled
    (_PF, _EX): _EX,
    (_PF, _PF): _PF,
    (_PF, _FL): _FL,
    (_CX, _PF): _CX,  # real world: a fill made before the cancel is reported after it; it
    (_CX, _FL): _FL,  # counts, but a partial one does not reopen the order
    (_EX, _PF): _EX,  # real world: the same late fill, after a DAY order expired at the close
    (_EX, _FL): _FL,
}
"""``(current status, trigger) -> next status``. FILLED, DENIED and REJECTED are terminal: no
row leaves them. CANCELED and EXPIRED are left only by the late fill documented above."""


class FiniteStateMachine(Generic[S, T]):
    """A state and a table of legal ``(state, trigger) -> state`` moves; anything else raises.

    ``describe`` names the machine's owner in error messages ("order O-...-1").
    """

    __slots__ = ("_describe", "_state", "_table")

    def __init__(
        self,
        table: Mapping[tuple[S, T], S],
        initial: S,
        describe: Callable[[], str] | None = None,
    ) -> None:
        if not any(key[0] == initial for key in table) and initial not in table.values():
            raise InvalidStateTrigger(f"initial state {initial} does not appear in the table")
        self._table = table
        self._state = initial
        self._describe = describe

    @property
    def state(self) -> S:
        return self._state

    def can_trigger(self, trigger: T) -> bool:
        return (self._state, trigger) in self._table

    def legal_triggers(self) -> tuple[T, ...]:
        return tuple(t for (s, t) in self._table if s == self._state)

    def trigger(self, trigger: T) -> S:
        """Move on ``trigger`` and return the new state; the state is unchanged on error."""
        next_state = self._table.get((self._state, trigger))
        if next_state is None:
            raise InvalidStateTrigger(self._explain(trigger))
        self._state = next_state
        return next_state

    def _explain(self, trigger: T) -> str:
        owner = self._describe() if self._describe is not None else "the state machine"
        legal = ", ".join(str(t) for t in self.legal_triggers())
        where = f"{self._state} -> {trigger}"
        if legal:
            return (
                f"{where}: {owner} is {self._state}, which {trigger} cannot follow; "
                f"from {self._state} only {legal} may come next"
            )
        return f"{where}: {owner} is {self._state}, which is final; nothing may follow it"


def order_state_machine(
    describe: Callable[[], str] | None = None,
) -> FiniteStateMachine[OrderStatus, OrderStatus]:
    return FiniteStateMachine(ORDER_TRANSITIONS, OrderStatus.INITIALIZED, describe)
