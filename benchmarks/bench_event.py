"""Event engine on the golden job (engines.md section 3), and the per-order cost over history.

Golden job: 1,000,000 one-minute bars, ``np.round(1000 * np.exp(np.cumsum(
np.random.default_rng(42).normal(0, 0.001, n))), 6)`` with OHLC = close (the generator that
reproduces the published numbers, ``tests/acceptance/test_golden_job.py``), SMA(10)/SMA(50)
crossover long-only with ties carried forward, all-in, fill at the close, 10,000 cash. Published:
13,832 entries, final equity 6205.3601201 without fees and 6.0100066e-09 at 0.1% per side;
backtrader runs it at ~14k bars/s, NautilusTrader at ~21k.

Two strategies of the kind a user writes: a hand-rolled one with running sums in ``on_bar``
(the engine's overhead plus little else) and the built-in ``sma_cross`` (incremental ``SMA``
indicators). The second part sends explicit market orders every bar and times blocks of
orders, to show the cost per order stays flat as closed orders accumulate (NautilusTrader's
grows with history).

Run: ``.venv/bin/python benchmarks/bench_event.py [n_bars]``. Prints timings; asserts nothing.
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
from neural_trader.strategies.builtin.sma_cross import SMACross


class SmaCross(Strategy):
    """SMA(10)/SMA(50) crossover with running sums: 1 on a cross above, 0 on a cross below.

    A tie carries the previous sign and the first sign after the warm-up is no cross, as in
    the golden job's rule (``sma_cross``).
    """

    name = "sma_cross_bench"
    long_only = True

    def on_start(self, ctx: StrategyContext, **kwargs: Any) -> None:
        self.fast: deque[float] = deque()
        self.slow: deque[float] = deque()
        self.fsum = 0.0
        self.ssum = 0.0
        self.sign = 0.0

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
        elif len(slow) < 50:
            return
        diff = self.fsum / 10.0 - self.ssum / 50.0
        if diff == 0.0:
            return
        sign = 1.0 if diff > 0.0 else -1.0
        prev = self.sign
        self.sign = sign
        if prev < 0.0 < sign:
            ctx.target(1.0)
        elif sign < 0.0 < prev:
            ctx.target(0.0)


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


def golden_data(n: int) -> StrategyData:
    r = np.random.default_rng(42).normal(0.0, 0.001, n)
    close = np.round(1000.0 * np.exp(np.cumsum(r)), 6)
    ts = np.arange(n, dtype=np.int64) * 60_000_000_000 + 1_700_000_000_000_000_000
    return StrategyData("RW", ts, close, close, close, close, np.ones(n))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    data = golden_data(n)
    strategies: list[tuple[str, type[Strategy]]] = [
        ("running sums", SmaCross),
        ("sma_cross", SMACross),
    ]
    for fee in (0.0, 0.001):
        config = BacktestConfig(
            cash=10_000.0, fee_rate=fee, fill="close", sizer="all_in", long_only=True
        )
        for label, cls in strategies:
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                result = run_event(cls(), data, config)
                best = min(best, time.perf_counter() - t0)
            print(
                f"golden job, fee {fee:g}, {label}: {n:,} bars in {best:.3f} s = "
                f"{n / best:,.0f} bars/s; entries {len(result.trades):,} "
                f"(open {result.open_trades}); final equity {result.final_equity:.10g}"
            )

    m = 20_000
    data = golden_data(m)
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
