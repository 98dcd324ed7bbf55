from __future__ import annotations

from functools import partial

import pytest

from neural_trader.core.account import Account, fill_cash_flows
from neural_trader.core.enums import AccountType, OrderSide
from neural_trader.core.errors import InvalidArgumentError, NotSupportedError
from neural_trader.core.events import AccountStateChanged
from neural_trader.core.identifiers import AccountId
from neural_trader.core.values import BTC, CAD, USD, USDT, Money
from neural_trader.testkit import TestEventStubs, TestIdStubs, TestInstrumentProvider

AID = TestIdStubs.account_id()
AAPL = TestInstrumentProvider.aapl_nasdaq()
BTCUSDT = TestInstrumentProvider.btcusdt_binance()
ES = TestInstrumentProvider.es_future()


# Every fill in this module pays USD 1.00 commission unless a test passes another.
_fill = partial(TestEventStubs.order_filled, commission=Money("1.00", USD))


def test_deposit_and_withdraw_move_balance_exactly() -> None:
    account = Account(AID)
    account.deposit(Money("1000.10", USD))
    account.withdraw(Money("0.20", USD))
    assert account.balance(USD) == Money("999.90", USD)
    assert account.balance(CAD) == Money("0", CAD)
    assert [e.reason for e in account.entries] == ["deposit", "withdrawal"]
    assert account.entries[-1].balance == Money("999.90", USD)


def test_non_positive_deposit_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="positive"):
        Account(AID).deposit(Money("0", USD))


def test_cash_account_refuses_overdraft_and_books_nothing() -> None:
    account = Account(AID)
    account.deposit(Money("100", USD))
    with pytest.raises(InvalidArgumentError, match="cannot borrow") as info:
        account.withdraw(Money("100.01", USD))
    assert info.value.hint is not None
    assert account.balance(USD) == Money("100", USD)
    assert len(account.entries) == 1


def test_margin_account_may_go_negative() -> None:
    account = Account(AID, AccountType.MARGIN)
    account.apply_fill(_fill(OrderSide.BUY, "10", "150.00"), AAPL)
    assert account.balance(USD) == Money("-1501.00", USD)


def test_equity_buy_debits_notional_and_commission() -> None:
    account = Account(AID)
    account.deposit(Money("10000", USD))
    entries = account.apply_fill(_fill(OrderSide.BUY, "10", "150.25"), AAPL)
    assert account.balance(USD) == Money("8496.50", USD)
    assert len(entries) == 1
    account.apply_fill(_fill(OrderSide.SELL, "10", "151.00"), AAPL)
    assert account.balance(USD) == Money("10005.50", USD)


def test_cash_account_refuses_fill_it_cannot_pay_for() -> None:
    account = Account(AID)
    account.deposit(Money("100", USD))
    with pytest.raises(InvalidArgumentError, match="cash account PAPER-001 would hold"):
        account.apply_fill(_fill(OrderSide.BUY, "1", "100.00"), AAPL)
    assert account.balance(USD) == Money("100", USD)


def test_spot_crypto_buy_moves_quote_and_base_balances() -> None:
    account = Account(AID)
    account.deposit(Money("10000", USDT))
    fee = Money("0.00001", BTC)
    account.apply_fill(
        _fill(OrderSide.BUY, "0.12345", "60000.01", instrument=BTCUSDT, commission=fee), BTCUSDT
    )
    # 0.12345 * 60000.01 = 7407.0012345, to the even micro-USDT: 7407.001234
    assert account.balance(USDT) == Money("2592.998766", USDT)
    assert account.balance(BTC) == Money("0.12344", BTC)


def test_cash_account_cannot_sell_coins_it_does_not_hold() -> None:
    account = Account(AID)
    with pytest.raises(InvalidArgumentError, match="BTC"):
        account.apply_fill(
            _fill(OrderSide.SELL, "1", "60000", instrument=BTCUSDT, commission=Money(0, USDT)),
            BTCUSDT,
        )


def test_notional_rounds_half_even_to_currency_once() -> None:
    flows = fill_cash_flows(
        _fill(OrderSide.SELL, "0.001", "12345.65", instrument=BTCUSDT, commission=Money(0, USDT)),
        BTCUSDT,
    )
    assert flows[USDT] == Money("12.34565", USDT)
    equity_flows = fill_cash_flows(
        _fill(OrderSide.SELL, "3", "0.335", commission=Money(0, USD)), AAPL
    )
    assert equity_flows[USD] == Money("1.00", USD)  # 1.005 to the even cent


def test_future_fill_moves_only_commission_and_realised_pnl() -> None:
    account = Account(AID, AccountType.MARGIN)
    account.apply_fill(_fill(OrderSide.BUY, "1", "5000.00", instrument=ES), ES)
    assert account.balance(USD) == Money("-1.00", USD)
    account.apply_fill(
        _fill(OrderSide.SELL, "1", "5001.00", instrument=ES),
        ES,
        realized_pnl=Money("50.00", USD),
    )
    assert account.balance(USD) == Money("48.00", USD)


def test_realised_pnl_for_cash_instrument_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="notional"):
        Account(AID, AccountType.MARGIN).apply_fill(
            _fill(OrderSide.BUY, "1", "1.00"), AAPL, realized_pnl=Money("1", USD)
        )


def test_duplicate_fill_is_refused() -> None:
    account = Account(AID, AccountType.MARGIN)
    fill = _fill(OrderSide.BUY, "1", "1.00")
    account.apply_fill(fill, AAPL)
    with pytest.raises(InvalidArgumentError, match="already booked"):
        account.apply_fill(fill, AAPL)
    assert account.balance(USD) == Money("-2.00", USD)


def test_fill_for_other_account_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="not OTHER-1"):
        Account(AccountId("OTHER-1")).apply_fill(_fill(OrderSide.BUY, "1", "1.00"), AAPL)


def test_bet_fill_is_not_supported() -> None:
    selection = TestInstrumentProvider.betfair_selection()
    with pytest.raises(NotSupportedError, match="outcome"):
        Account(AID).apply_fill(_fill(OrderSide.BUY, "1", "2.00", instrument=selection), selection)


def test_adjust_needs_reason_and_books_signed_amount() -> None:
    account = Account(AID)
    account.adjust(Money("12.34", CAD), reason="dividend RY")
    assert account.balance(CAD) == Money("12.34", CAD)
    with pytest.raises(InvalidArgumentError, match="reason"):
        account.adjust(Money("1", CAD), reason="")


def test_snapshot_lists_balances_sorted_by_currency() -> None:
    account = Account(AID)
    account.deposit(Money("5", USD))
    account.deposit(Money("7", CAD))
    snap = account.snapshot(ts_event=42)
    assert isinstance(snap, AccountStateChanged)
    assert snap.balances == (Money("7", CAD), Money("5", USD))
    assert snap.ts_init == 42
    assert snap.account_type is AccountType.CASH
