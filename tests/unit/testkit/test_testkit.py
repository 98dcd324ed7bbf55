"""The test kit builds what it says, so suites that rely on it test the core, not the kit."""

from __future__ import annotations

from decimal import Decimal

from neural_trader.core.clock import TestClock
from neural_trader.core.enums import OrderSide, OrderType
from neural_trader.core.identifiers import AccountId, StrategyId, TradeId
from neural_trader.core.orders import OrderFactory
from neural_trader.core.values import BTC, USD, USDT, Money, Price, Quantity
from neural_trader.testkit import TestEventStubs, TestIdStubs, TestInstrumentProvider


def test_kit_classes_are_not_collected_by_pytest() -> None:
    for kit in (TestEventStubs, TestIdStubs, TestInstrumentProvider):
        assert kit.__test__ is False


def test_provider_instruments_have_the_documented_grid() -> None:
    assert str(TestInstrumentProvider.aapl_nasdaq().id) == "AAPL.NASDAQ"
    assert TestInstrumentProvider.ry_tsx().price_precision == 3
    pair = TestInstrumentProvider.btcusdt_binance()
    assert (pair.base_currency, pair.quote_currency, pair.min_quantity) == (BTC, USDT, None)
    minimum = TestInstrumentProvider.btcusdt_binance(min_quantity="0.00010").min_quantity
    assert minimum == Quantity.from_str("0.00010")
    es = TestInstrumentProvider.es_future()
    assert es.multiplier == Decimal(50)
    assert not es.is_expired(1)
    assert TestInstrumentProvider.eurusd() == TestInstrumentProvider.fx_pair("EUR", "USD")


def test_order_filled_defaults_are_a_free_aapl_fill_with_fresh_ids() -> None:
    first = TestEventStubs.order_filled(OrderSide.BUY, "10", "150.25")
    second = TestEventStubs.order_filled(OrderSide.BUY, "10", "150.25")
    assert first.instrument_id == TestInstrumentProvider.aapl_nasdaq().id
    assert first.account_id == TestIdStubs.account_id() == AccountId("PAPER-001")
    assert first.strategy_id == StrategyId("S-001")
    assert first.order_type is OrderType.MARKET
    assert first.commission == Money(0, USD)
    assert (first.ts_event, first.ts_init) == (1, 1)
    assert first.last_qty == Quantity.from_int(10)
    assert first.last_px == Price.from_str("150.25")
    assert first.trade_id != second.trade_id
    assert first.client_order_id != second.client_order_id
    assert first.trade_id.value.startswith("T-stub-")


def test_order_filled_reads_string_commission_in_quote_currency_and_keeps_given_ids() -> None:
    pair = TestInstrumentProvider.btcusdt_binance()
    fill = TestEventStubs.order_filled(
        OrderSide.SELL, "0.5", "60000.00", instrument=pair, commission="1.5", trade_id="T-9", ts=7
    )
    assert fill.commission == Money("1.5", USDT)
    assert fill.currency == USDT
    assert fill.trade_id == TradeId("T-9")
    assert (fill.ts_event, fill.ts_init) == (7, 7)


def test_reset_ids_restarts_the_generated_sequence() -> None:
    TestEventStubs.reset_ids()
    first = TestEventStubs.order_filled(OrderSide.BUY, "1", "1.00").trade_id
    TestEventStubs.reset_ids()
    assert TestEventStubs.order_filled(OrderSide.BUY, "1", "1.00").trade_id == first
    assert first == TradeId("T-stub-1")


def test_order_filled_for_copies_the_order() -> None:
    order = OrderFactory(StrategyId("SmaCross-001"), TestClock(5)).market(
        TestInstrumentProvider.aapl_nasdaq().id, OrderSide.SELL, Quantity.from_int(3)
    )
    fill = TestEventStubs.order_filled_for(order, "3", "99.50", commission="0.10")
    assert fill.client_order_id == order.client_order_id
    assert fill.strategy_id == order.strategy_id
    assert (fill.order_side, fill.order_type) == (OrderSide.SELL, OrderType.MARKET)
    assert fill.instrument_id == order.instrument_id
    assert fill.commission == Money("0.10", USD)
