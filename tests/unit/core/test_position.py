from __future__ import annotations

from decimal import Decimal, localcontext
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neural_trader.core.enums import OrderSide, PositionSide
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.core.events import PositionChanged, PositionClosed, PositionOpened
from neural_trader.core.identifiers import AccountId
from neural_trader.core.instruments import Instrument
from neural_trader.core.position import Position
from neural_trader.core.values import USD, Currency, Money, Price, Quantity
from neural_trader.testkit import TestEventStubs, TestIdStubs, TestInstrumentProvider

AID = TestIdStubs.account_id()
AAPL = TestInstrumentProvider.aapl_nasdaq()
ES = TestInstrumentProvider.es_future()

# Every fill in this module pays USD 1.00 commission unless a test passes another.
_fill = partial(TestEventStubs.order_filled, commission=Money("1.00", USD))

BUY, SELL = OrderSide.BUY, OrderSide.SELL


def test_position_opens_long_with_average_price() -> None:
    pos = Position(AAPL, AID)
    event = pos.apply(_fill(BUY, "100", "10.00", ts=5))
    assert isinstance(event, PositionOpened)
    assert event.side is PositionSide.LONG
    assert event.ts_opened == 5
    pos.apply(_fill(BUY, "50", "13.00"))
    assert pos.signed_qty == Decimal(150)
    assert pos.avg_px_open == Decimal("11")
    assert pos.quantity == Quantity.from_int(150)
    assert pos.realized_pnl == Money("0", USD)


def test_position_reduction_realises_pnl_against_average_price() -> None:
    pos = Position(AAPL, AID)
    pos.apply(_fill(BUY, "100", "10.00"))
    pos.apply(_fill(BUY, "100", "12.00"))
    event = pos.apply(_fill(SELL, "50", "15.00"))
    assert isinstance(event, PositionChanged)
    assert pos.realized_pnl == Money("200.00", USD)  # 50 * (15 - 11)
    assert pos.avg_px_open == Decimal("11")
    assert pos.unrealized_pnl(Price.from_str("10.00")) == Money("-150.00", USD)


def test_position_closing_fill_emits_closed_with_duration() -> None:
    pos = Position(AAPL, AID)
    pos.apply(_fill(BUY, "10", "10.00", ts=100))
    event = pos.apply(_fill(SELL, "10", "9.50", ts=250))
    assert isinstance(event, PositionClosed)
    assert event.duration_ns == 150
    assert event.side is PositionSide.FLAT
    assert event.avg_px_open == Decimal("10.00")
    assert pos.is_closed
    assert pos.avg_px_open is None
    assert pos.realized_pnl == Money("-5.00", USD)


def test_position_flip_closes_and_reopens_at_fill_price() -> None:
    pos = Position(AAPL, AID)
    pos.apply(_fill(BUY, "10", "100.00", ts=1))
    event = pos.apply(_fill(SELL, "25", "110.00", ts=9))
    assert isinstance(event, PositionChanged)
    assert pos.side is PositionSide.SHORT
    assert pos.signed_qty == Decimal(-15)
    assert pos.avg_px_open == Decimal("110.00")
    assert pos.realized_pnl == Money("100.00", USD)
    assert pos.ts_opened == 9
    assert pos.unrealized_pnl(Price.from_str("100.00")) == Money("150.00", USD)


def test_short_position_profits_when_price_falls() -> None:
    pos = Position(AAPL, AID)
    pos.apply(_fill(SELL, "20", "50.00"))
    pos.apply(_fill(BUY, "5", "40.00"))
    assert pos.realized_pnl == Money("50.00", USD)
    assert pos.unrealized_pnl(Decimal("45")) == Money("75.00", USD)


def test_future_pnl_uses_multiplier() -> None:
    pos = Position(ES, AID)
    pos.apply(_fill(BUY, "2", "5000.00", instrument=ES))
    pos.apply(_fill(SELL, "1", "5010.25", instrument=ES))
    assert pos.realized_pnl == Money("512.50", USD)
    assert pos.unrealized_pnl(Price.from_str("4990.00")) == Money("-500.00", USD)
    assert pos.market_value_exact(Price.from_str("4990.00")) == Decimal("249500.00")


def test_position_reduction_with_recurring_average_keeps_totals_exact() -> None:
    pos = Position(AAPL, AID)
    pos.apply(_fill(BUY, "1", "1.00"))
    pos.apply(_fill(BUY, "2", "2.00"))
    pos.apply(_fill(SELL, "1", "3.00"))
    cash_flow = Decimal("-1.00") - Decimal("4.00") + Decimal("3.00")
    total = pos.realized_pnl_exact + pos.unrealized_pnl_exact(Decimal("2.50"))
    assert total == cash_flow + 2 * Decimal("2.50")


def test_commissions_accumulate_per_currency_apart_from_realised_pnl() -> None:
    bnb = Currency.from_str("BNB")
    pos = Position(AAPL, AID)
    pos.apply(_fill(BUY, "1", "10.00", commission=Money("0.50", USD)))
    pos.apply(_fill(BUY, "1", "10.00", commission=Money("0.25", USD)))
    pos.apply(_fill(SELL, "2", "10.00", commission=Money("0.001", bnb)))
    assert set(pos.commissions()) == {Money("0.75", USD), Money("0.001", bnb)}
    assert pos.realized_pnl == Money("0", USD)


def test_duplicate_trade_id_raises_and_leaves_position_unchanged() -> None:
    pos = Position(AAPL, AID)
    pos.apply(_fill(BUY, "10", "10.00", trade_id="T-dup"))
    with pytest.raises(InvalidArgumentError, match="already applied"):
        pos.apply(_fill(BUY, "10", "10.00", trade_id="T-dup"))
    assert pos.signed_qty == Decimal(10)
    assert len(pos.fills) == 1


def test_fill_for_other_instrument_or_account_raises() -> None:
    pos = Position(AAPL, AID)
    with pytest.raises(InvalidArgumentError, match="not for position"):
        pos.apply(_fill(BUY, "1", "1.00", instrument=ES))
    with pytest.raises(InvalidArgumentError, match="belongs to PAPER-001"):
        pos.apply(_fill(BUY, "1", "1.00", account_id=AccountId("OTHER-1")))


def test_realized_change_previews_without_applying() -> None:
    pos = Position(AAPL, AID)
    pos.apply(_fill(BUY, "10", "10.00"))
    fill = _fill(SELL, "4", "12.00")
    assert pos.realized_change(fill) == Decimal("8.0000")
    assert pos.signed_qty == Decimal(10)
    pos.apply(fill)
    assert pos.realized_pnl_exact == Decimal("8.0000")


def test_position_reopened_after_close_keeps_lifetime_realised_pnl() -> None:
    pos = Position(AAPL, AID)
    pos.apply(_fill(BUY, "1", "10.00"))
    pos.apply(_fill(SELL, "1", "11.00"))
    event = pos.apply(_fill(BUY, "1", "20.00", ts=50))
    assert isinstance(event, PositionOpened)
    assert event.ts_opened == 50
    assert pos.realized_pnl == Money("1.00", USD)


# -- the cash-flow identity, for any fills --------------------------------------------------

_FILLS = st.lists(
    st.tuples(
        st.sampled_from([BUY, SELL]),
        st.decimals(min_value=Decimal("0.001"), max_value=Decimal(5000), places=3),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100000), places=2),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=200, deadline=None)
@given(
    _FILLS,
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100000), places=2),
    st.sampled_from([AAPL, ES]),
)
def test_realised_plus_unrealised_equals_cash_flow_pnl_exactly(
    fills: list[tuple[OrderSide, Decimal, Decimal]], mark: Decimal, instrument: Instrument
) -> None:
    pos = Position(instrument, AID)
    m = instrument.multiplier
    with localcontext() as ctx:
        ctx.prec = 100
        cash = Decimal(0)
        net = Decimal(0)
        for side, qty, px in fills:
            pos.apply(_fill(side, str(qty), str(px), instrument=instrument))
            cash -= side.sign * qty * px * m
            net += side.sign * qty
        expected = cash + net * mark * m
    assert pos.signed_qty == net
    assert pos.realized_pnl_exact + pos.unrealized_pnl_exact(mark) == expected
    assert pos.total_pnl(mark) == Money(expected, USD)
