"""The simulated exchange: order types against hand-built bars, along the intra-bar path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from neural_trader.backtest.config import BacktestConfig
from neural_trader.backtest.event import EventResult, run_event
from neural_trader.backtest.event.exchange import Fill
from neural_trader.core.data import Bar
from neural_trader.core.enums import OrderStatus
from neural_trader.core.errors import NotFoundError, NotSupportedError
from neural_trader.core.events import OrderFilled
from neural_trader.strategies.base import Strategy, StrategyContext, StrategyData
from neural_trader.testkit.bars import DAY, MINUTE, T0, bars, flat


class Script(Strategy):
    """Runs ``actions[i](ctx)`` on bar ``i``; keeps every fill and the working-set sizes."""

    name = "script"
    long_only = False

    def __init__(self, actions: dict[int, Callable[[Any], Any]] | None = None) -> None:
        super().__init__()
        self.actions = actions or {}
        self.fills: list[Fill] = []
        self.ids: dict[int, Any] = {}
        self.working: list[int] = []

    def on_bar(self, ctx: Any, bar: Bar, **kwargs: Any) -> None:
        act = self.actions.get(ctx.bar_index)
        if act is not None:
            self.ids[ctx.bar_index] = act(ctx)
        self.working.append(len(ctx.open_orders()))

    def on_fill(self, ctx: StrategyContext, fill: Any, **kwargs: Any) -> None:
        self.fills.append(fill)


def run(
    data: StrategyData, actions: dict[int, Callable[[Any], Any]], **kw: Any
) -> tuple[EventResult, Script]:
    engine_kw = {k: kw.pop(k) for k in ("latency_ns", "max_volume_fraction") if k in kw}
    strategy = Script(actions)
    result = run_event(strategy, data, BacktestConfig(**kw), **engine_kw)
    return result, strategy


def order(result: EventResult, cid: str) -> Any:
    return next(o for o in result.order_objects if o.client_order_id.value == cid)


# -- limit orders -------------------------------------------------------------------------------


def test_limit_buy_touched_by_low_fills_at_limit() -> None:
    data = bars([(100, 100, 100, 100), (100, 101, 98, 100.5), (100, 100, 100, 100)])
    result, s = run(data, {0: lambda ctx: ctx.buy(2, limit=99)})
    assert [(f.bar_index, f.price, f.quantity) for f in s.fills] == [(1, 99.0, 2.0)]
    assert result.position[1] == 2.0
    assert result.cash[1] == 10_000 - 2 * 99


def test_limit_buy_gapped_through_fills_at_better_open() -> None:
    data = bars([(100, 100, 100, 100), (97, 98, 96, 97.5)])
    _, s = run(data, {0: lambda ctx: ctx.buy(1, limit=99)})
    assert [f.price for f in s.fills] == [97.0]


def test_limit_sell_never_reached_stays_accepted() -> None:
    data = bars([(100, 100, 100, 100), (100, 102, 99, 101), (101, 102.9, 100, 102)])
    result, s = run(data, {0: lambda ctx: ctx.sell(1, limit=103)})
    assert s.fills == []
    assert order(result, s.ids[0]).status is OrderStatus.ACCEPTED


def test_limit_fill_carries_no_slippage_and_market_fill_does() -> None:
    data = bars([(100, 100, 100, 100), (100, 101, 98, 100)])
    _, s = run(
        data,
        {0: lambda ctx: (ctx.buy(1, limit=99), ctx.buy(1))},
        slippage=0.01,
    )
    assert sorted(f.price for f in s.fills) == [99.0, 101.0]


# -- stops ------------------------------------------------------------------------------------


def test_stop_sell_triggers_on_path_and_slips() -> None:
    data = bars([(100, 100, 100, 100), (100, 100.5, 96, 97)])
    _, s = run(data, {0: lambda ctx: ctx.sell(1, stop=98)}, slippage=0.01)
    assert len(s.fills) == 1
    assert s.fills[0].price == pytest.approx(98 * 0.99, abs=1e-9)


def test_stop_sell_gapped_through_fills_at_open() -> None:
    data = bars([(100, 100, 100, 100), (95, 96, 94, 95.5)])
    _, s = run(data, {0: lambda ctx: ctx.sell(1, stop=98)})
    assert [f.price for f in s.fills] == [95.0]


def test_stop_limit_triggered_by_gap_then_fills_as_limit_on_the_way_down() -> None:
    # Up bar (close >= open): O -> L -> H -> C. The gap above the trigger triggers at the open
    # (102), above the limit (101.5); the path then falls to the low (101) and the limit fills.
    data = bars([(100, 100, 100, 100), (102, 103, 101, 102.5)])
    result, s = run(data, {0: lambda ctx: ctx.buy(1, stop=101, limit=101.5)})
    assert [f.price for f in s.fills] == [101.5]
    assert order(result, s.ids[0]).status is OrderStatus.FILLED


def test_stop_limit_trigger_survives_the_bar() -> None:
    # Bar 1 triggers the buy stop at 101 on its way up but the price never comes back to the
    # 100.5 limit; bar 2 dips to 100 and the (now plain) limit fills at 100.5.
    data = bars([(100, 100, 100, 100), (100, 102, 100.8, 101.9), (101, 101, 100, 100.2)])
    _, s = run(data, {0: lambda ctx: ctx.buy(1, stop=101, limit=100.5)})
    assert [(f.bar_index, f.price) for f in s.fills] == [(2, 100.5)]


def test_orders_in_one_bar_fill_in_path_order() -> None:
    # Up bar: O -> L -> H -> C, so the sell stop at 99 (near the low) fills before the sell
    # limit at 103 (near the high), though it was sent second.
    data = bars([(100, 100, 100, 100), (100, 104, 98, 103.5)])
    _, s = run(data, {0: lambda ctx: (ctx.sell(1, limit=103), ctx.sell(1, stop=99))})
    assert [f.price for f in s.fills] == [99.0, 103.0]
    assert [f.reason for f in s.fills] == ["stop", "limit"]


def test_down_bar_walks_high_first() -> None:
    data = bars([(100, 100, 100, 100), (100, 104, 98, 99)])
    _, s = run(data, {0: lambda ctx: (ctx.sell(1, stop=99), ctx.sell(1, limit=103))})
    assert [f.price for f in s.fills] == [103.0, 99.0]


# -- market orders, timing, latency -----------------------------------------------------------


def test_market_order_fills_at_next_open() -> None:
    data = bars([(100, 100, 100, 100), (101, 102, 100, 101.5)])
    _, s = run(data, {0: lambda ctx: ctx.buy(1)})
    assert [(f.bar_index, f.price) for f in s.fills] == [(1, 101.0)]


def test_market_order_with_fill_close_fills_at_this_close() -> None:
    data = bars([(100, 100, 99, 99.5), (101, 102, 100, 101.5)])
    result, s = run(data, {0: lambda ctx: ctx.buy(1)}, fill="close")
    assert [(f.bar_index, f.price) for f in s.fills] == [(0, 99.5)]
    assert result.equity[0] == 10_000.0


def test_latency_delays_eligibility_to_first_bar_at_or_after_arrival() -> None:
    # Sent at the close of bar 0 (T0 + 60 s); arrives at T0 + 150 s; bar 3 starts at T0 + 180 s.
    data = flat([100, 101, 102, 103, 104])
    _, s = run(data, {0: lambda ctx: ctx.buy(1)}, latency_ns=90_000_000_000)
    assert [(f.bar_index, f.price) for f in s.fills] == [(3, 103.0)]


# -- time in force ----------------------------------------------------------------------------


def test_day_order_expires_when_the_utc_date_changes() -> None:
    data = bars([(100, 100, 100, 100)] * 4, start=T0 - 3 * MINUTE)  # 23:57 .. 00:00
    result, s = run(data, {0: lambda ctx: ctx.buy(1, limit=90, tif="DAY")})
    o = order(result, s.ids[0])
    assert o.status is OrderStatus.EXPIRED
    assert o.ts_last == T0  # expired by the first bar of the new day
    assert s.working == [1, 1, 1, 0]


def test_day_order_on_daily_bars_expires_after_one_bar() -> None:
    data = bars([(100, 100, 100, 100)] * 3, step=DAY)
    result, s = run(data, {0: lambda ctx: ctx.buy(1, limit=90, tif="DAY")})
    assert order(result, s.ids[0]).status is OrderStatus.EXPIRED
    assert s.working == [1, 0, 0]


def test_ioc_limit_not_marketable_at_open_is_cancelled_though_low_touches_later() -> None:
    data = bars([(100, 100, 100, 100), (100, 100, 95, 96), (96, 96, 90, 91)])
    result, s = run(data, {0: lambda ctx: ctx.buy(1, limit=97, tif="IOC")})
    assert s.fills == []
    assert order(result, s.ids[0]).status is OrderStatus.CANCELED


def test_ioc_market_fills_at_arrival() -> None:
    data = bars([(100, 100, 100, 100), (101, 101, 101, 101)])
    result, s = run(data, {0: lambda ctx: ctx.buy(1, tif="IOC")})
    assert [f.price for f in s.fills] == [101.0]
    assert order(result, s.ids[0]).status is OrderStatus.FILLED


def test_volume_cap_partially_fills_gtc_and_fills_the_rest_later() -> None:
    data = flat([100, 100, 100, 100], volume=10.0)
    result, s = run(data, {0: lambda ctx: ctx.buy(8)}, max_volume_fraction=0.5)
    assert [(f.bar_index, f.quantity) for f in s.fills] == [(1, 5.0), (2, 3.0)]
    o = order(result, s.ids[0])
    statuses = [type(e).__name__ for e in o.events]
    assert statuses == [
        "OrderInitialized",
        "OrderSubmitted",
        "OrderAccepted",
        "OrderFilled",
        "OrderFilled",
    ]
    assert o.status is OrderStatus.FILLED


def test_volume_cap_ioc_keeps_partial_fill_and_fok_refuses_all() -> None:
    data = flat([100, 100, 100], volume=10.0)
    result, s = run(
        data,
        {0: lambda ctx: (ctx.buy(8, tif="IOC"), ctx.buy(8, tif="FOK"))},
        max_volume_fraction=0.5,
    )
    ioc, fok = (order(result, cid) for cid in s.ids[0])
    assert ioc.status is OrderStatus.CANCELED
    assert float(ioc.filled_qty.as_decimal()) == 5.0
    assert fok.status is OrderStatus.CANCELED
    assert fok.filled_qty.is_zero()


# -- cancel -------------------------------------------------------------------------------------


def test_cancel_of_a_working_order_stops_it_from_filling() -> None:
    data = bars([(100, 100, 100, 100), (100, 100, 100, 100), (95, 95, 90, 91)])
    holder: dict[str, str] = {}

    def send(ctx: Any) -> None:
        holder["id"] = ctx.buy(1, limit=96)

    result, s = run(data, {0: send, 1: lambda ctx: ctx.cancel(holder["id"])})
    assert s.fills == []
    o = order(result, holder["id"])
    assert o.status is OrderStatus.CANCELED
    assert not o.is_open


def test_cancel_with_latency_is_pending_and_the_order_may_still_fill() -> None:
    data = bars([(100, 100, 100, 100), (100, 100, 100, 100), (95, 95, 90, 91), (90, 90, 90, 90)])
    holder: dict[str, str] = {}

    def send(ctx: Any) -> None:
        holder["id"] = ctx.buy(1, limit=96)

    result, _ = run(
        data,
        {0: send, 1: lambda ctx: ctx.cancel(holder["id"])},
        latency_ns=MINUTE,
    )
    o = order(result, holder["id"])
    names = [type(e).__name__ for e in o.events]
    assert names[-2:] == ["OrderPendingCancel", "OrderFilled"]
    assert o.status is OrderStatus.FILLED


def test_cancel_of_unknown_id_raises_not_found() -> None:
    data = flat([100, 100])
    with pytest.raises(NotFoundError):
        run(data, {0: lambda ctx: ctx.cancel("O-nope")})


def test_cancel_of_filled_order_is_rejected_and_status_kept() -> None:
    data = flat([100, 100, 100])
    holder: dict[str, str] = {}

    def send(ctx: Any) -> None:
        holder["id"] = ctx.buy(1)

    result, _ = run(data, {0: send, 2: lambda ctx: ctx.cancel(holder["id"])})
    o = order(result, holder["id"])
    assert o.status is OrderStatus.FILLED
    assert type(o.last_event).__name__ == "OrderCancelRejected"


# -- core objects, records, costs -------------------------------------------------------------


def test_fills_move_core_position_account_and_float_ledger_together() -> None:
    data = flat([100, 100, 110, 110])
    result, s = run(data, {0: lambda ctx: ctx.buy(2), 1: lambda ctx: ctx.sell(2)}, fee_rate=0.001)
    assert len(s.fills) == 2
    assert all(isinstance(f.event, OrderFilled) for f in s.fills)
    assert result.core_position is not None
    assert result.account is not None
    assert not result.core_position.is_open
    assert float(result.core_position.realized_pnl_exact) == 20.0
    fees = 2 * 100 * 0.001 + 2 * 110 * 0.001
    assert result.cash[-1] == pytest.approx(10_000 + 20 - fees, abs=1e-9)
    balance = result.account.balance(result.account.base_currency)  # type: ignore[arg-type]
    assert float(balance.as_decimal()) == pytest.approx(10_000 + 20 - fees, abs=0.01)
    assert result.trade_count == 1
    assert result.trades["pnl"][0] == pytest.approx(20 - fees)


def test_on_fill_is_called_once_per_fill() -> None:
    data = flat([100, 101, 102, 103, 104])
    result, s = run(data, {0: lambda ctx: ctx.buy(1), 1: lambda ctx: ctx.buy(2)})
    assert len(s.fills) == len(result.orders) == 2
    assert len({f.event.trade_id for f in s.fills if f.event}) == 2


def test_working_set_stays_bounded_while_closed_orders_accumulate() -> None:
    n = 400
    data = flat([100.0] * n)
    holder: list[str] = []

    def churn(ctx: Any) -> None:
        if holder:
            ctx.cancel(holder.pop())
        holder.append(ctx.buy(1, limit=50))  # never fills: rests until cancelled
        ctx.buy(1)  # fills next bar

    result, s = run(data, dict.fromkeys(range(n), churn))
    assert max(s.working) <= 2
    assert len(result.order_objects) == 2 * n
    closed = [o for o in result.order_objects if o.is_closed]
    assert len(closed) >= 2 * n - 2


def test_mixing_targets_and_orders_raises_not_supported() -> None:
    data = flat([100, 100])
    with pytest.raises(NotSupportedError):
        run(data, {0: lambda ctx: (ctx.target(1.0), ctx.buy(1))})


def test_order_below_min_size_is_denied_and_reported() -> None:
    data = flat([100, 100])
    result, s = run(data, {0: lambda ctx: ctx.buy(0.5)}, min_size=1.0)
    assert order(result, s.ids[0]).status is OrderStatus.DENIED
    assert len(result.skipped) == 1
    assert result.skipped["quantity"][0] == 0.5
    assert s.fills == []
