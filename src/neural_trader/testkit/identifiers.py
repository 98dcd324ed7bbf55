"""The identifiers the test kit stamps on what it builds, in one place.

Tests often assert on messages that name the account (``"belongs to PAPER-001"``); taking the id
from here rather than re-typing it keeps the builder's default and the test's expectation the
same value.
"""

from __future__ import annotations

from neural_trader.core.identifiers import AccountId, StrategyId

__all__ = ["TestIdStubs"]


class TestIdStubs:
    """Default identifiers: ``PAPER-001`` for the account, ``S-001`` for the strategy."""

    __test__ = False  # tell pytest this is not a test class

    @staticmethod
    def account_id() -> AccountId:
        return AccountId("PAPER-001")

    @staticmethod
    def strategy_id() -> StrategyId:
        return StrategyId("S-001")
