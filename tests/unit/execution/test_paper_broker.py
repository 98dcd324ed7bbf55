"""The paper broker: the backtester's fill model behind the broker interface, durable."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from neural_trader.backtest.models import cash_after_fill, order_fee
from neural_trader.core.clock import TestClock
from neural_trader.core.data import Bar, BarSpec
from neural_trader.core.enums import OrderSide, OrderStatus, OrderType
from neural_trader.core.errors import ConfigError, InvalidArgumentError, OrderRejectedError
from neural_trader.execution.paper import PaperBroker, PaperConfig
from neural_trader.execution.reports import FillReport, OrderRequest, OrderStatusReport

DAY = BarSpec.parse("1d")
NS_DAY = 86_400_000_000_000


def bar(i: int, o: float, h: float, lo: float, c: float, symbol: str = "AAA") -> Bar:
    return Bar(symbol, DAY, i * NS_DAY, o, h, lo, c, 1_000_000.0)


def req(cid: str, side: OrderSide, qty: str, **kw: object) -> OrderRequest:
    kind = kw.pop("order_type", OrderType.MARKET)
    return OrderRequest(
        client_order_id=cid, symbol="AAA", side=side, order_type=kind, quantity=Decimal(qty), **kw
    )  # type: ignore[arg-type]


def drain(broker: PaperBroker) -> list[object]:
    out: list[object] = []

    async def go() -> None:
        it = broker.reports()
        while broker.pending_reports():
            out.append(await it.__anext__())
        await it.aclose()

    asyncio.run(go())
    return out


@pytest.fixture
def paper(tmp_path: Path) -> PaperBroker:
    clock = TestClock(0)
    cfg = PaperConfig(cash=10_000.0, fee_rate=0.001, fixed_fee=0.5)
    return PaperBroker(tmp_path / "paper.db", cfg, clock=clock)


def test_market_order_fills_at_the_next_open_with_the_backtest_fee_model(
    paper: PaperBroker,
) -> None:
    paper.on_bar(bar(0, 10, 11, 9, 10.5))
    ack = paper.submit(req("A1", OrderSide.BUY, "100"))
    assert ack.status is OrderStatus.ACCEPTED
    paper.on_bar(bar(1, 10.8, 11.2, 10.1, 11.0))
    reports = drain(paper)
    fills = [r for r in reports if isinstance(r, FillReport)]
    assert len(fills) == 1
    fee = order_fee(100.0, 10.8, 0.001, 0.5)
    assert fills[0].price == Decimal("10.8")
    assert fills[0].commission == Decimal(repr(fee))
    assert paper.cash == cash_after_fill(10_000.0, 1, 100.0, 10.8, fee)
    final = [r for r in reports if isinstance(r, OrderStatusReport)][-1]
    assert final.status is OrderStatus.FILLED
    assert final.filled_quantity == Decimal(100)
    positions = asyncio.run(paper.positions())
    assert [(p.symbol, p.quantity, p.avg_price) for p in positions] == [
        ("AAA", Decimal(100), Decimal("10.8"))
    ]
    account = asyncio.run(paper.account())
    assert float(account.equity) == pytest.approx(paper.cash + 100 * 11.0)


def test_limit_rests_until_the_path_reaches_it_and_cancel_closes_it(paper: PaperBroker) -> None:
    paper.on_bar(bar(0, 10, 10.5, 9.5, 10))
    paper.submit(
        req("L1", OrderSide.BUY, "5", order_type=OrderType.LIMIT, limit_price=Decimal("9"))
    )
    paper.submit(
        req("L2", OrderSide.BUY, "5", order_type=OrderType.LIMIT, limit_price=Decimal("8"))
    )
    paper.on_bar(bar(1, 9.8, 10, 9.2, 9.9))  # does not reach 9
    assert asyncio.run(paper.get_order("L1")).status is OrderStatus.ACCEPTED  # type: ignore[union-attr]
    paper.on_bar(bar(2, 9.5, 9.6, 8.9, 9.1))  # touches 9: fills at the limit, no slippage
    l1 = asyncio.run(paper.get_order("L1"))
    assert l1 is not None
    assert l1.status is OrderStatus.FILLED
    assert l1.avg_fill_price == Decimal(9)
    asyncio.run(paper.cancel_order("L2"))
    l2 = asyncio.run(paper.get_order("L2"))
    assert l2 is not None
    assert l2.status is OrderStatus.CANCELED
    with pytest.raises(OrderRejectedError, match="cannot be cancelled"):
        paper.cancel("L1")
    with pytest.raises(OrderRejectedError, match="no order"):
        paper.cancel("nope")
    assert [o.client_order_id for o in asyncio.run(paper.open_orders())] == []


def test_state_survives_a_restart_and_seen_bars_are_not_matched_again(tmp_path: Path) -> None:
    path = tmp_path / "paper.db"
    clock = TestClock(0)
    first = PaperBroker(path, PaperConfig(cash=1_000.0), clock=clock)
    first.on_bar(bar(0, 10, 10, 10, 10))
    first.submit(req("M1", OrderSide.BUY, "10"))
    first.submit(
        req("L1", OrderSide.SELL, "4", order_type=OrderType.LIMIT, limit_price=Decimal("12"))
    )
    first.on_bar(bar(1, 10, 10.5, 9.5, 10))
    cash = first.cash
    del first  # no close(): as if the process died here

    second = PaperBroker(path, None, clock=clock)
    assert second.cash == cash
    assert second.config.cash == 1_000.0
    assert [o.client_order_id for o in asyncio.run(second.open_orders())] == ["L1"]
    second.on_bar(bar(1, 10, 10.5, 9.5, 10))  # already seen: ignored
    assert len(asyncio.run(second.fills())) == 1
    second.on_bar(bar(2, 11, 12.5, 11, 12))
    l1 = asyncio.run(second.get_order("L1"))
    assert l1 is not None
    assert l1.status is OrderStatus.FILLED
    assert [(p.quantity) for p in asyncio.run(second.positions())] == [Decimal(6)]
    with pytest.raises(OrderRejectedError, match="already used"):
        second.submit(req("M1", OrderSide.BUY, "1"))


def test_reopening_with_other_settings_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "paper.db"
    PaperBroker(path, PaperConfig(fee_rate=0.001), clock=TestClock(0))
    with pytest.raises(ConfigError, match=r"fee_rate=0\.001 \(asked 0\.002\)"):
        PaperBroker(path, PaperConfig(fee_rate=0.002), clock=TestClock(0))


def test_orders_it_cannot_simulate_are_rejected_with_a_reason(paper: PaperBroker) -> None:
    with pytest.raises(OrderRejectedError) as exc:
        paper.submit(req("B1", OrderSide.BUY, "1", take_profit=Decimal("12")))
    assert "bracket" in exc.value.reason
    with pytest.raises(OrderRejectedError) as exc:
        paper.submit(req("Q1", OrderSide.BUY, "0.0000000001"))
    assert exc.value.reason == "quantity off the size grid"


def test_a_bad_bar_is_refused(paper: PaperBroker) -> None:
    with pytest.raises(InvalidArgumentError, match="low=-1"):
        paper.on_bar(bar(0, 10, 11, -1, 10))
    with pytest.raises(InvalidArgumentError, match="close=nan"):
        paper.on_bar(bar(0, 10, 11, 9, float("nan")))


def test_short_then_cover_flips_cash_and_reports_positions(paper: PaperBroker) -> None:
    paper.on_bar(bar(0, 10, 10, 10, 10))
    paper.submit(req("S1", OrderSide.SELL, "10"))
    paper.on_bar(bar(1, 10, 10, 10, 10))
    assert [p.quantity for p in asyncio.run(paper.positions())] == [Decimal(-10)]
    paper.submit(req("B1", OrderSide.BUY, "15"))
    paper.on_bar(bar(2, 8, 8, 8, 8))
    positions = asyncio.run(paper.positions())
    assert [(p.quantity, p.avg_price) for p in positions] == [(Decimal(5), Decimal(8))]
