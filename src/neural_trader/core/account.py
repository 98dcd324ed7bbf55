"""An account: cash balances by currency, kept as an exact ledger.

Every change is a :class:`LedgerEntry` in ``Money`` (integer at the currency's precision), so
balances add up to the cent forever; nothing in the ledger is a float. A fill's notional is
rounded half-even to the currency once, as a broker's trade confirmation does, and then booked
exactly.

What a fill moves depends on the instrument:

- shares, prediction shares: the quote currency pays or receives ``qty * price * multiplier``;
- spot pairs (FX, crypto): the quote currency pays and the base currency is received (or the
  reverse), both as balances, so selling coins you do not hold shows as a negative balance;
- futures (margined): no notional changes hands; only the realised P&L the fill produced, which
  the caller (the portfolio) passes in, settles to cash;
- commissions are always paid, in whatever currency they were charged.

A ``CASH`` account refuses any change that would leave a balance negative (it cannot borrow),
and the refused change is not booked at all. A ``MARGIN`` account may go negative.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from neural_trader.core.enums import AccountType
from neural_trader.core.errors import InvalidArgumentError, NotSupportedError
from neural_trader.core.events import AccountStateChanged, OrderFilled
from neural_trader.core.identifiers import AccountId, InstrumentId, TradeId
from neural_trader.core.instruments import Instrument, SportsSelection
from neural_trader.core.values import Currency, Money

__all__ = ["Account", "LedgerEntry", "fill_cash_flows"]


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One booked change: ``amount`` (signed) and the ``balance`` it left, with why."""

    ts_ns: int
    amount: Money
    balance: Money
    reason: str


def fill_cash_flows(
    fill: OrderFilled, instrument: Instrument, realized_pnl: Money | None = None
) -> dict[Currency, Money]:
    """The signed cash each currency moves by because of ``fill`` (commission included)."""
    if isinstance(instrument, SportsSelection):
        raise NotSupportedError(
            f"{instrument.id}: bets settle on the outcome; book stakes and returns with "
            "Account.adjust"
        )
    if fill.instrument_id != instrument.id:
        raise InvalidArgumentError(
            f"fill {fill.trade_id} is for {fill.instrument_id}, not {instrument.id}"
        )
    flows: dict[Currency, Money] = {}

    def book(amount: Money) -> None:
        prior = flows.get(amount.currency)
        flows[amount.currency] = amount if prior is None else prior + amount

    direction = fill.order_side.sign
    if instrument.is_margined:
        if realized_pnl is not None:
            book(realized_pnl)
    else:
        if realized_pnl is not None:
            raise InvalidArgumentError(
                f"{instrument.id} exchanges its notional; realised P&L is already in the cash"
            )
        notional = instrument.notional(fill.last_qty, fill.last_px)
        book(
            Money(notional if direction < 0 else notional.copy_negate(), instrument.quote_currency)
        )
        base = instrument.base_currency
        if base is not None:
            qty = fill.last_qty.as_decimal()
            book(Money(qty if direction > 0 else qty.copy_negate(), base))
    book(-fill.commission)
    return flows


class Account:
    """Cash by currency for one account id."""

    __slots__ = ("_balances", "_entries", "_id", "_trades", "_type", "base_currency")

    def __init__(
        self,
        account_id: AccountId,
        account_type: AccountType = AccountType.CASH,
        *,
        base_currency: Currency | None = None,
    ) -> None:
        if not isinstance(account_id, AccountId):
            raise InvalidArgumentError(f"account_id must be an AccountId, got {account_id!r}")
        self._id = account_id
        self._type = AccountType(account_type)
        self.base_currency = base_currency
        self._balances: dict[Currency, Money] = {}
        self._entries: list[LedgerEntry] = []
        self._trades: set[tuple[InstrumentId, TradeId]] = set()

    @property
    def id(self) -> AccountId:
        return self._id

    @property
    def account_type(self) -> AccountType:
        return self._type

    @property
    def can_borrow(self) -> bool:
        return self._type is AccountType.MARGIN

    def balance(self, currency: Currency) -> Money:
        return self._balances.get(currency, Money.zero(currency))

    def balances(self) -> dict[Currency, Money]:
        return dict(self._balances)

    @property
    def entries(self) -> tuple[LedgerEntry, ...]:
        return tuple(self._entries)

    def deposit(self, amount: Money, *, ts_ns: int = 0, reason: str = "deposit") -> None:
        if not amount.raw > 0:
            raise InvalidArgumentError(f"a deposit must be positive, got {amount}")
        self._book({amount.currency: amount}, ts_ns, reason)

    def withdraw(self, amount: Money, *, ts_ns: int = 0, reason: str = "withdrawal") -> None:
        if not amount.raw > 0:
            raise InvalidArgumentError(f"a withdrawal must be positive, got {amount}")
        self._book({amount.currency: -amount}, ts_ns, reason)

    def adjust(self, amount: Money, *, ts_ns: int = 0, reason: str) -> None:
        """Book a signed amount that is not a trade: dividend, interest, fee, settlement."""
        if not reason:
            raise InvalidArgumentError("an adjustment needs a reason, for the ledger")
        self._book({amount.currency: amount}, ts_ns, reason)

    def apply_fill(
        self, fill: OrderFilled, instrument: Instrument, *, realized_pnl: Money | None = None
    ) -> tuple[LedgerEntry, ...]:
        """Book ``fill``'s cash flows (see the module notes); all or nothing.

        ``realized_pnl`` is for margined instruments only: the P&L the fill realised.
        """
        if fill.account_id != self._id:
            raise InvalidArgumentError(
                f"fill {fill.trade_id} is for account {fill.account_id}, not {self._id}"
            )
        key = (fill.instrument_id, fill.trade_id)
        if key in self._trades:
            raise InvalidArgumentError(
                f"fill {fill.trade_id} in {fill.instrument_id} was already booked to {self._id}"
            )
        flows = fill_cash_flows(fill, instrument, realized_pnl)
        reason = (
            f"{fill.order_side} {fill.last_qty} {fill.instrument_id} @ {fill.last_px} "
            f"(trade {fill.trade_id}, commission {fill.commission})"
        )
        entries = self._book(flows, fill.ts_event, reason)
        self._trades.add(key)
        return entries

    def snapshot(self, ts_event: int, ts_init: int | None = None) -> AccountStateChanged:
        return AccountStateChanged(
            account_id=self._id,
            account_type=self._type,
            balances=tuple(self._balances[c] for c in sorted(self._balances, key=str)),
            ts_event=ts_event,
            ts_init=ts_event if ts_init is None else ts_init,
        )

    def _book(
        self, flows: Mapping[Currency, Money], ts_ns: int, reason: str
    ) -> tuple[LedgerEntry, ...]:
        after = {c: self.balance(c) + amount for c, amount in flows.items()}
        if not self.can_borrow:
            short = [(c, b) for c, b in after.items() if b.raw < 0 and flows[c].raw < 0]
            if short:
                detail = ", ".join(f"{b}" for _, b in short)
                raise InvalidArgumentError(
                    f"cash account {self._id} would hold {detail} after {reason}; "
                    "a cash account cannot borrow",
                    hint="deposit first, trade less, or use a MARGIN account",
                )
        entries = []
        for currency, amount in flows.items():
            if amount.is_zero():
                continue
            self._balances[currency] = after[currency]
            entry = LedgerEntry(ts_ns, amount, after[currency], reason)
            self._entries.append(entry)
            entries.append(entry)
        return tuple(entries)

    def __repr__(self) -> str:
        shown = ", ".join(str(m) for m in self._balances.values()) or "empty"
        return f"Account({self._id}, {self._type}, {shown})"
