"""Event engine on the golden job (engines.md section 3), and the per-order cost over history.

Golden job: 1,000,000 one-minute bars of a geometric random walk (seed 42, 0.1% sigma, start
1000, OHLC = close), SMA(10)/SMA(50) crossover long-only with ties carried forward, all-in,
fill at the close, 0.1% fee per side, 10,000 cash. The reference engines give 13,832 round trips
and final equity 6.0100e-09; backtrader runs it at ~14k bars/s, NautilusTrader at ~21k.

The strategy is the kind a user writes: plain-Python incremental SMAs in ``on_bar``. The second
part sends explicit market orders every few bars and times each block of orders, to show the
cost per order stays flat as closed orders accumulate (NautilusTrader's grows with history).

Run: ``.venv/bin/python benchmarks/bench_event.py [n_bars]``.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from typing import Any

import numpy as np

from neural_trader.backtest.config import BacktestConfig
from neural_trader.backtest.event import run_event
from neural_trader.core.data import Bar
from neural_trader.strategies.base import Strategy, StrategyContext, StrategyData


class SmaCross(Strategy):
    """SMA(10)/SMA(50) crossover with incremental sums; a tie keeps the previous state."""

    name = "sma_cross_bench"

    def on_start(self, ctx: StrategyContext, **kwargs: Any) -> None:
        self.fast: deque[float] = deque()
        self.slow: deque[float] = deque()
        self.fsum = 0.0
        self.ssum = 0.0
        self.state = 0.0

    def on_bar(self, ctx: StrategyContext, bar: Bar, **kwargs: Any) -> None:
        c = bar.close
        fast = self.fast
        slow = self.slow
        fast.append(c)
        slow.append(c)
        self.fsum += c
        self.ssum += c
        if len(fast) > 10:
            self.fsum -= fast.popleft()
        if len(slow) > 50:
            self.ssum -= slow.popleft()
        else:
            if len(slow) < 50:
                return
        diff = self.fsum / 10.0 - self.ssum / 50.0
        if diff > 0.0:
            self.state = 1.0
        elif diff < 0.0:
            self.state = 0.0
        ctx.target(self.state)


class Churn(Strategy):
    """Alternates market buys and sells every bar (for the per-order cost)."""

    name = "churn_bench"

    def on_start(self, ctx: StrategyContext, **kwargs: Any) -> None:
        self.k = 0

    def on_bar(self, ctx: StrategyContext, bar: Bar, **kwargs: Any) -> None:
        self.k += 1
        if self.k % 2:
            ctx.buy(1.0)
        else:
            ctx.sell(1.0)


def golden_data(n: int, *, cumprod: bool) -> StrategyData:
    r = np.random.default_rng(42).normal(0, 0.001, n)
    walk = 1000 * np.cumprod(1 + r) if cumprod else 1000 * np.exp(np.cumsum(r))
    close = np.asarray(walk, dtype=np.float64)
    ts = np.arange(n, dtype=np.int64) * 60_000_000_000 + 1_700_000_000_000_000_000
    return StrategyData("RW", ts, close, close, close, close, np.ones(n))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    config = BacktestConfig(cash=10_000.0, fee_rate=0.001, fill="close", sizer="all_in")
    for label, cumprod in (("exp(cumsum(r))", False), ("cumprod(1+r)", True)):
        data = golden_data(n, cumprod=cumprod)
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            result = run_event(SmaCross(), data, config)
            best = min(best, time.perf_counter() - t0)
        print(
            f"golden job [{label}]: {n:,} bars in {best:.3f} s = {n / best:,.0f} bars/s; "
            f"trades {result.trade_count:,} (open {result.open_trades}); "
            f"final equity {result.final_equity:.6e}"
        )

    m = 20_000
    data = golden_data(m, cumprod=False)
    zero_fee = BacktestConfig(cash=1e9, fill="open")
    t0 = time.perf_counter()
    result = run_event(Churn(), data, zero_fee)
    total = time.perf_counter() - t0
    fills = len(result.orders)
    per = total / fills * 1e6
    print(f"explicit orders: {fills:,} market orders in {total:.2f} s = {per:.1f} us/order")
    # Flatness: the same run at a quarter, half and full length; us/order should not grow.
    for frac in (4, 2, 1):
        k = m // frac
        t0 = time.perf_counter()
        res = run_event(Churn(), data.head(k), zero_fee)
        dt = time.perf_counter() - t0
        per = dt / len(res.orders) * 1e6
        print(f"  {k:>6,} bars: {len(res.orders):>6,} orders, {per:.1f} us/order")


if __name__ == "__main__":
    main()
