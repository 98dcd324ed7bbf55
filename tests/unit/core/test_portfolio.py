from __future__ import annotations

from decimal import Decimal

import pytest

from neural_trader.core.account import Account
from neural_trader.core.enums import AccountType, OrderSide
from neural_trader.core.errors import InvalidArgumentError, NotFoundError
from neural_trader.core.events import PositionClosed, PositionOpened
from neural_trader.core.identifiers import AccountId
from neural_trader.core.portfolio import Portfolio
from neural_trader.core.values import BTC, CAD, USD, USDT, Money, Price
from neural_trader.testkit import TestEventStubs, TestIdStubs, TestInstrumentProvider

AID = TestIdStubs.account_id()
AAPL = TestInstrumentProvider.aapl_nasdaq()
RY = TestInstrumentProvider.ry_tsx()
BTCUSDT = TestInstrumentProvider.btcusdt_binance()
ES = TestInstrumentProvider.es_future()
_fill = TestEventStubs.order_filled


def _portfolio(account_type: AccountType = AccountType.CASH) -> Portfolio:
    account = Account(AID, account_type)
    account.deposit(Money("100000", USD))
    account.deposit(Money("50000", CAD))
    account.deposit(Money("100000", USDT))
    return Portfolio([account])


def test_apply_fill_books_account_and_position_together() -> None:
    pf = _portfolio()
    event = pf.apply_fill(_fill(OrderSide.BUY, "100", "150.00", commission="1.00"), AAPL)
    assert isinstance(event, PositionOpened)
    position = pf.position(AAPL.id)
    assert position is not None
    assert position.signed_qty == Decimal(100)
    assert pf.account(AID).balance(USD) == Money("84999.00", USD)


def test_refused_cash_fill_leaves_position_untouched() -> None:
    pf = _portfolio()
    with pytest.raises(InvalidArgumentError, match="cannot borrow"):
        pf.apply_fill(_fill(OrderSide.BUY, "1000", "150.00"), AAPL)
    assert pf.position(AAPL.id) is None
    assert pf.account(AID).balance(USD) == Money("100000", USD)


def test_fill_for_unknown_account_raises_not_found() -> None:
    with pytest.raises(NotFoundError, match="OTHER-9"):
        _portfolio().apply_fill(
            _fill(OrderSide.BUY, "1", "1.00", account_id=AccountId("OTHER-9")), AAPL
        )


def test_exposures_and_pnl_are_reported_per_currency() -> None:
    pf = _portfolio(AccountType.MARGIN)
    pf.apply_fill(_fill(OrderSide.BUY, "100", "150.00"), AAPL)
    pf.apply_fill(_fill(OrderSide.SELL, "200", "120.00", instrument=RY), RY)
    pf.apply_fill(_fill(OrderSide.BUY, "20", "140.00", instrument=RY), RY)
    prices = {AAPL.id: Price.from_str("160.00"), RY.id: Price.from_str("125.000")}
    assert pf.net_exposure(prices) == {USD: Money("16000", USD), CAD: Money("-22500", CAD)}
    assert pf.gross_exposure(prices) == {USD: Money("16000", USD), CAD: Money("22500", CAD)}
    assert pf.unrealized_pnl(prices) == {USD: Money("1000", USD), CAD: Money("-900", CAD)}
    assert pf.realized_pnl() == {USD: Money("0", USD), CAD: Money("-400", CAD)}


def test_missing_price_for_open_position_raises() -> None:
    pf = _portfolio()
    pf.apply_fill(_fill(OrderSide.BUY, "1", "150.00"), AAPL)
    with pytest.raises(NotFoundError, match=r"no price for AAPL\.NASDAQ"):
        pf.net_exposure({})


def test_equity_counts_shares_at_market_and_cash_once() -> None:
    pf = _portfolio()
    pf.apply_fill(_fill(OrderSide.BUY, "100", "150.00", commission="1.00"), AAPL)
    equity = pf.equity({AAPL.id: Price.from_str("151.00")})
    assert equity[USD] == Money("100099.00", USD)  # 100000 - 1 commission + 100 gain
    assert equity[CAD] == Money("50000", CAD)


def test_equity_does_not_double_count_spot_crypto() -> None:
    pf = _portfolio()
    pf.apply_fill(_fill(OrderSide.BUY, "1", "60000.00", instrument=BTCUSDT), BTCUSDT)
    equity = pf.equity({BTCUSDT.id: Price.from_str("70000.00")})
    assert equity[USDT] == Money("40000", USDT)
    assert equity[BTC] == Money("1", BTC)


def test_future_realised_pnl_settles_to_cash_and_unrealised_counts_in_equity() -> None:
    pf = _portfolio(AccountType.MARGIN)
    pf.apply_fill(_fill(OrderSide.BUY, "2", "5000.00", instrument=ES), ES)
    event = pf.apply_fill(_fill(OrderSide.SELL, "1", "5010.00", instrument=ES), ES)
    assert not isinstance(event, PositionClosed)
    assert pf.account(AID).balance(USD) == Money("100500.00", USD)
    equity = pf.equity({ES.id: Price.from_str("5020.00")})
    assert equity[USD] == Money("101500.00", USD)
    assert pf.realized_pnl()[USD] == Money("500.00", USD)


def test_commissions_sum_over_positions() -> None:
    pf = _portfolio()
    pf.apply_fill(_fill(OrderSide.BUY, "1", "10.00", commission="1.50"), AAPL)
    pf.apply_fill(_fill(OrderSide.SELL, "1", "10.00", commission="0.50"), AAPL)
    assert pf.commissions() == {USD: Money("2.00", USD)}
    assert pf.open_positions() == ()
    assert len(pf.positions()) == 1


def test_duplicate_account_raises() -> None:
    pf = _portfolio()
    with pytest.raises(InvalidArgumentError, match="already"):
        pf.add_account(Account(AID))


def test_position_held_in_two_accounts_needs_account_id() -> None:
    pf = _portfolio(AccountType.MARGIN)
    other = AccountId("PAPER-002")
    pf.add_account(Account(other, AccountType.MARGIN))
    pf.apply_fill(_fill(OrderSide.BUY, "1", "10.00"), AAPL)
    pf.apply_fill(_fill(OrderSide.BUY, "2", "10.00", account_id=other), AAPL)
    with pytest.raises(InvalidArgumentError, match="pass account_id"):
        pf.position(AAPL.id)
    held = pf.position(AAPL.id, other)
    assert held is not None
    assert held.signed_qty == Decimal(2)
    assert pf.cash()[USD] == Money(
        "99970.00", USD
    )  # 100000 - 10 - 20 (the second account starts empty)
