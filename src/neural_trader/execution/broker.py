"""The broker contract: what the paper broker and every live adapter implement.

The order manager talks to nothing else, so a strategy runs unchanged against paper or a real
broker. Methods are coroutines (the live runner is one asyncio loop); adapters over blocking
SDKs run their calls in a worker thread.

Outcomes are three-valued, as NautilusTrader spells out: a method returns (success), raises
:class:`~neural_trader.core.errors.OrderRejectedError` (definitive: the broker said no), or
raises :class:`~neural_trader.core.errors.SendOutcomeUnknown` (timeout, 5xx or reset after the
request may have left; the order may exist). Reads raise
:class:`~neural_trader.core.errors.BrokerUnavailableError` when they may be retried.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator

from neural_trader.execution.reports import (
    AccountReport,
    ExecutionReport,
    FillReport,
    OrderRequest,
    OrderStatusReport,
    PositionReport,
)

__all__ = ["Broker"]


class Broker(ABC):
    """One account at one broker."""

    name: str = ""
    """Short name shown to people and stored with each order (``paper``, ``alpaca``)."""

    is_live: bool = False
    """True when orders reach a real-money endpoint (guarded by ``NT_LIVE_TRADING``)."""

    async def connect(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Open sessions and streams; called once before anything else."""

    async def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release connections; the broker object is not used afterwards."""

    @abstractmethod
    async def submit_order(self, request: OrderRequest) -> OrderStatusReport:
        """Send a new order once. Returns the broker's acknowledgement."""

    @abstractmethod
    async def cancel_order(self, client_order_id: str, venue_order_id: str | None = None) -> None:
        """Ask the broker to cancel; the outcome arrives as a status report."""

    @abstractmethod
    async def get_order(self, client_order_id: str) -> OrderStatusReport | None:
        """The broker's view of one order, or ``None`` when the broker has no such order
        (a definitive answer: the order never arrived)."""

    @abstractmethod
    async def open_orders(self) -> list[OrderStatusReport]:
        """Every order that may still trade."""

    @abstractmethod
    async def fills(self, since_ns: int = 0) -> list[FillReport]:
        """Executions at or after ``since_ns`` (broker time), oldest first: the gap-fill after
        a dropped stream and the evidence reconciliation works from."""

    @abstractmethod
    async def positions(self) -> list[PositionReport]:
        """Every non-zero position. An empty list is the broker saying flat."""

    @abstractmethod
    async def account(self) -> AccountReport: ...

    @abstractmethod
    def reports(self) -> AsyncIterator[ExecutionReport]:
        """The execution-report stream (status changes and fills) for this account.

        It may repeat or reorder reports (consumers are idempotent) and ends by raising
        :class:`~neural_trader.core.errors.BrokerUnavailableError` when the connection drops;
        the consumer then gap-fills through :meth:`fills` and opens a new stream.
        """
