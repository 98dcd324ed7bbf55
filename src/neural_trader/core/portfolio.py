"""The portfolio: accounts and their netting positions, and what they add up to.

Figures are returned per currency (``dict[Currency, Money]``) and never converted: the core
knows no exchange rates, and a silent conversion at a stale rate is worse than an honest
two-currency answer. Sums are exact in ``Decimal`` and rounded once per currency.

Equity per currency is cash plus what the open positions are worth, counted once:

- shares and prediction shares add their market value (``qty * price * multiplier``);
- futures add only their unrealised P&L (their notional never left the cash);
- spot pairs add nothing: the account already holds the base currency as a balance.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from neural_trader.core.account import Account
from neural_trader.core.errors import InvalidArgumentError, NotFoundError
from neural_trader.core.events import OrderFilled, PositionEvent
from neural_trader.core.identifiers import AccountId, InstrumentId
from neural_trader.core.instruments import Instrument
from neural_trader.core.position import Position
from neural_trader.core.values import DECIMAL_CONTEXT, Currency, Money, Price

__all__ = ["Portfolio"]

Prices = Mapping[InstrumentId, Price | Decimal]


class Portfolio:
    """Accounts, and one netting position per (account, instrument)."""

    __slots__ = ("_accounts", "_positions")

    def __init__(self, accounts: Iterable[Account] = ()) -> None:
        self._accounts: dict[AccountId, Account] = {}
        self._positions: dict[tuple[AccountId, InstrumentId], Position] = {}
        for account in accounts:
            self.add_account(account)

    # -- accounts and positions -------------------------------------------------------------

    def add_account(self, account: Account) -> None:
        if account.id in self._accounts:
            raise InvalidArgumentError(f"account {account.id} is already in the portfolio")
        self._accounts[account.id] = account

    def account(self, account_id: AccountId) -> Account:
        found = self._accounts.get(account_id)
        if found is None:
            known = ", ".join(str(a) for a in self._accounts) or "none"
            raise NotFoundError(
                f"account {account_id} is not in the portfolio", hint=f"accounts: {known}"
            )
        return found

    def accounts(self) -> tuple[Account, ...]:
        return tuple(self._accounts.values())

    def position(
        self, instrument_id: InstrumentId, account_id: AccountId | None = None
    ) -> Position | None:
        """The position in ``instrument_id`` (for ``account_id``, needed when several hold it)."""
        if account_id is not None:
            return self._positions.get((account_id, instrument_id))
        found = [p for (_, i), p in self._positions.items() if i == instrument_id]
        if len(found) > 1:
            raise InvalidArgumentError(
                f"{instrument_id} is held in {len(found)} accounts; pass account_id"
            )
        return found[0] if found else None

    def positions(self) -> tuple[Position, ...]:
        return tuple(self._positions.values())

    def open_positions(self) -> tuple[Position, ...]:
        return tuple(p for p in self._positions.values() if p.is_open)

    def apply_fill(self, fill: OrderFilled, instrument: Instrument) -> PositionEvent:
        """Book ``fill`` to its account and position together, or to neither.

        Everything that could refuse the fill is checked before anything changes.
        """
        account = self.account(fill.account_id)
        key = (fill.account_id, instrument.id)
        position = self._positions.get(key)
        if position is None:
            position = Position(instrument, fill.account_id)
        position.validate_fill(fill)
        realized = None
        if instrument.is_margined:
            realized = Money(position.realized_change(fill), instrument.quote_currency)
        account.apply_fill(fill, instrument, realized_pnl=realized)
        self._positions[key] = position
        return position.apply(fill)

    # -- figures ----------------------------------------------------------------------------

    def net_exposure(self, prices: Prices) -> dict[Currency, Money]:
        """Signed market value of open positions (long minus short), per currency."""
        return self._sum(prices, lambda p, px: p.market_value_exact(px))

    def gross_exposure(self, prices: Prices) -> dict[Currency, Money]:
        """Absolute market value of open positions (long plus short), per currency."""
        return self._sum(prices, lambda p, px: p.market_value_exact(px).copy_abs())

    def unrealized_pnl(self, prices: Prices) -> dict[Currency, Money]:
        return self._sum(prices, lambda p, px: p.unrealized_pnl_exact(px))

    def realized_pnl(self) -> dict[Currency, Money]:
        """Realised trading P&L over all positions, open or closed, gross of commissions."""
        totals: dict[Currency, Decimal] = {}
        for position in self._positions.values():
            _add(totals, position.currency, position.realized_pnl_exact)
        return {c: Money(v, c) for c, v in totals.items()}

    def commissions(self) -> dict[Currency, Money]:
        totals: dict[Currency, Money] = {}
        for position in self._positions.values():
            for fee in position.commissions():
                prior = totals.get(fee.currency)
                totals[fee.currency] = fee if prior is None else prior + fee
        return totals

    def cash(self) -> dict[Currency, Money]:
        totals: dict[Currency, Money] = {}
        for account in self._accounts.values():
            for currency, amount in account.balances().items():
                prior = totals.get(currency)
                totals[currency] = amount if prior is None else prior + amount
        return totals

    def equity(self, prices: Prices) -> dict[Currency, Money]:
        """Cash plus open positions, each counted once (see the module notes)."""
        totals: dict[Currency, Decimal] = {c: m.as_decimal() for c, m in self.cash().items()}
        for position in self.open_positions():
            instrument = position.instrument
            if instrument.base_currency is not None:
                continue
            px = self._price(prices, position)
            if instrument.is_margined:
                _add(totals, position.currency, position.unrealized_pnl_exact(px))
            else:
                _add(totals, position.currency, position.market_value_exact(px))
        return {c: Money(v, c) for c, v in totals.items()}

    def _sum(
        self, prices: Prices, value: Callable[[Position, Price | Decimal], Decimal]
    ) -> dict[Currency, Money]:
        totals: dict[Currency, Decimal] = {}
        for position in self.open_positions():
            _add(totals, position.currency, value(position, self._price(prices, position)))
        return {c: Money(v, c) for c, v in totals.items()}

    @staticmethod
    def _price(prices: Prices, position: Position) -> Price | Decimal:
        px = prices.get(position.instrument_id)
        if px is None:
            raise NotFoundError(
                f"no price for {position.instrument_id}, which has an open position",
                hint="pass a last price for every instrument with an open position",
            )
        return px


def _add(totals: dict[Currency, Decimal], currency: Currency, amount: Decimal) -> None:
    totals[currency] = DECIMAL_CONTEXT.add(totals.get(currency, Decimal(0)), amount)
