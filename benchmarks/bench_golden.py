"""The golden job (shared/reference/engines.md section 3): ours against vectorbt and backtrader.

Everything is measured in one run on this machine, so the ratios compare like with like.

Job: ``close = np.round(1000 * np.exp(np.cumsum(np.random.default_rng(42).normal(0, 0.001,
1_000_000))), 6)``, OHLC = close, one-minute bars; SMA(10)/SMA(50) crossover (sign change of
``fast - slow``, ties carried forward), long only, all-in/all-out, fill at the signal bar's
close, 10,000 cash, fees 0 and 0.1% per side. Published results: 13,832 entries (13,831
closed + 1 open), final equity 6205.3601201 at zero fee and 6.0100066e-09 at 0.1%.

Measured:

- ours, vectorized (``run_vector`` with the built-in ``sma_cross``): first call (numba JIT or
  on-disk cache load) and warm, best of 5, signals included;
- vectorbt 1.2.0 ``Portfolio.from_signals`` with ``vbt.MA`` crossings, the full job (MAs,
  signals, portfolio, final value) warm, best of 3; tz-naive DatetimeIndex (a tz-aware one
  costs 50x, engines.md);
- ours, event-driven (``run_event``, same strategy, bar by bar) against backtrader 1.9.78.123
  (Cerebro, PandasData, ``CrossOver`` of two SMAs, cheat-on-close broker, all-in sizer,
  runonce, no observers). backtrader takes ~75 s on 1M bars, so it runs at fee 0.1% only;
  ``--quick`` gives it 200,000 bars instead (then not the full job, and the ratio compares
  bars/s over different lengths);
- cold start: a fresh ``python -c`` that imports the package and backtests 10,000 bars
  (reference: the same with vectorbt);
- a 1,000-configuration SMA grid over 100,000 bars with ``run_grid`` (reference: vectorbt's
  usual one-call grid, ``vbt.MA.run`` with lists of windows).

Run: ``.venv/bin/python benchmarks/bench_golden.py [--quick] [--no-backtrader]
[--no-vbt-grid]``. Prints numbers and ratios; asserts nothing and exits 0 (timings never
go in tests). Wall-clock times, noisy on a shared machine.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from neural_trader.backtest import BacktestConfig, run_grid, run_vector
from neural_trader.backtest.event import run_event
from neural_trader.strategies import StrategyData, create_strategy, get_strategy

FloatArray = npt.NDArray[np.float64]
T = TypeVar("T")

N_BARS = 1_000_000
QUICK_BT_BARS = 200_000
GRID_BARS = 100_000
CASH = 10_000.0
FEES = (0.0, 0.001)
MINUTE_NS = 60_000_000_000
START_NS = 1_700_000_000_000_000_000  # 2023-11-14, a whole minute
EXPECTED_EQUITY = {0.0: 6205.3601201, 0.001: 6.0100066e-09}
EXPECTED_ENTRIES = 13_832  # 13,831 closed + 1 open
REL_TOL = 1e-7  # the published numbers have 8 significant digits

COLD_OURS = """
import numpy as np
from neural_trader.backtest import BacktestConfig, run_vector
from neural_trader.strategies import StrategyData, create_strategy
n = 10_000
close = np.round(1000 * np.exp(np.cumsum(np.random.default_rng(42).normal(0, 0.001, n))), 6)
ts = np.arange(n, dtype=np.int64) * 60_000_000_000
data = StrategyData("RW", ts, close, close, close, close, np.ones(n))
cfg = BacktestConfig(cash=10_000, fee_rate=0.001, fill="close")
res = run_vector(create_strategy("sma_cross", fast=10, slow=50), data, cfg)
print(f"final equity {res.final_equity:.10g}, entries {len(res.trades)}")
"""

COLD_VBT = """
import numpy as np
import pandas as pd
import vectorbt as vbt
n = 10_000
close = np.round(1000 * np.exp(np.cumsum(np.random.default_rng(42).normal(0, 0.001, n))), 6)
s = pd.Series(close, index=pd.date_range("2023-11-14 22:13", periods=n, freq="min"))
fast, slow = vbt.MA.run(s, 10), vbt.MA.run(s, 50)
pf = vbt.Portfolio.from_signals(
    s, fast.ma_crossed_above(slow), fast.ma_crossed_below(slow), init_cash=10_000, fees=0.001
)
print(f"final value {pf.final_value():.10g}, trades {pf.trades.count()}")
"""


# -- helpers ------------------------------------------------------------------------------------
def golden_close(n: int) -> FloatArray:
    returns = np.random.default_rng(42).normal(0.0, 0.001, n)
    return np.round(1000.0 * np.exp(np.cumsum(returns)), 6)


def golden_data(close: FloatArray) -> StrategyData:
    ts = START_NS + np.arange(len(close), dtype=np.int64) * MINUTE_NS
    return StrategyData("RW", ts, close, close, close, close, np.ones(len(close)))


def config(fee: float) -> BacktestConfig:
    return BacktestConfig(cash=CASH, fee_rate=fee, fill="close")


def timed(fn: Callable[[], T], repeat: int = 1) -> tuple[float, T]:
    """Best wall time of ``repeat`` calls, and the last call's result."""
    best = math.inf
    result: T
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def equity_ok(fee: float, equity: float) -> bool:
    return math.isclose(equity, EXPECTED_EQUITY[fee], rel_tol=REL_TOL)


def fmt_s(seconds: float | None) -> str:
    return "-" if seconds is None or math.isnan(seconds) else f"{seconds:.4f} s"


def fmt_rate(rate: float | None) -> str:
    return "-" if rate is None or math.isnan(rate) else f"{rate:,.0f} bars/s"


@dataclass
class Row:
    measurement: str
    ours: str
    reference: str
    ratio: str
    target: str
    met: str


ROWS: list[Row] = []
CHECKS: list[tuple[str, str, str, str]] = []  # engine, fee, result, matches published?


def add_time_row(
    measurement: str, ours: float, ref: float | None, target: str, met: bool | None
) -> None:
    ratio = "-" if ref is None or math.isnan(ref) else f"{ref / ours:.1f}x"
    ROWS.append(
        Row(measurement, fmt_s(ours), fmt_s(ref), ratio, target, _met(met)),
    )


def _met(met: bool | None) -> str:
    return "-" if met is None else ("yes" if met else "NO")


def section(title: str) -> None:
    print(f"\n== {title}", flush=True)


# -- ours, vectorized ---------------------------------------------------------------------------
def bench_ours_vector(data: StrategyData) -> dict[float, float]:
    section("ours, vectorized: run_vector(sma_cross), signals + simulation, 1,000,000 bars")
    warm: dict[float, float] = {}
    first = math.nan
    for fee in FEES:
        cfg = config(fee)
        strategy = create_strategy("sma_cross", fast=10, slow=50)
        if fee == FEES[0]:
            first, _ = timed(lambda: run_vector(strategy, data, cfg))  # noqa: B023
            print(f"first call (numba JIT or on-disk cache load): {fmt_s(first)}")
        best, res = timed(lambda: run_vector(strategy, data, cfg), 5)  # noqa: B023
        warm[fee] = best
        ok = equity_ok(fee, res.final_equity) and len(res.trades) == EXPECTED_ENTRIES
        summary = (
            f"final equity {res.final_equity:.10g}, entries {len(res.trades):,} "
            f"({res.n_trades:,} closed + {res.n_open_trades} open)"
        )
        print(f"fee {fee:g}: warm best of 5 {fmt_s(best)} = {N_BARS / best / 1e6:,.0f}M bars/s")
        print(f"  {summary}; published: {'match' if ok else 'MISMATCH'}")
        CHECKS.append(("ours vector", f"{fee:g}", summary, "yes" if ok else "NO"))
    warm[-1.0] = first
    return warm


# -- vectorbt -----------------------------------------------------------------------------------
def bench_vectorbt(close: FloatArray, ours: dict[float, float]) -> None:
    section("vectorbt: MA.run + ma_crossed_above/below + Portfolio.from_signals + final_value")
    try:
        t0 = time.perf_counter()
        import pandas as pd
        import vectorbt as vbt

        import_s = time.perf_counter() - t0
    except ImportError as exc:
        print(f"vectorbt not available ({exc}); skipped")
        return
    print(f"vectorbt {vbt.__version__}, import {fmt_s(import_s)}; crossings: vbt.MA crossings")
    ts = START_NS + np.arange(len(close), dtype=np.int64) * MINUTE_NS
    series = pd.Series(close, index=pd.DatetimeIndex(ts))  # tz-naive (engines.md)

    def job(fee: float) -> tuple[float, int, int]:
        fast = vbt.MA.run(series, 10)
        slow = vbt.MA.run(series, 50)
        entries = fast.ma_crossed_above(slow)
        exits = fast.ma_crossed_below(slow)
        pf = vbt.Portfolio.from_signals(series, entries, exits, init_cash=CASH, fees=fee)
        trades = pf.trades
        return float(pf.final_value()), int(trades.count()), int(trades.closed.count())

    first, _ = timed(lambda: job(FEES[0]))
    print(f"first call (numba JIT, after the import): {fmt_s(first)}")
    for fee in FEES:
        best, (value, count, closed) = timed(lambda: job(fee), 3)  # noqa: B023
        ratio = ours[fee] / best
        summary = f"final value {value:.10g}, trades {count:,} ({closed:,} closed)"
        ok = equity_ok(fee, value) and count == EXPECTED_ENTRIES
        print(f"fee {fee:g}: warm best of 3 {fmt_s(best)}; {summary}")
        print(
            f"  time ratio ours/vectorbt {ratio:.3f} (ours {1 / ratio:.1f}x faster); "
            f"published: {'match' if ok else 'differs'}"
        )
        note = "" if ok else " (vectorbt stops filling below its ~1e-8 min size)"
        CHECKS.append(("vectorbt", f"{fee:g}", summary + note, "yes" if ok else "NO"))
        add_time_row(
            f"golden 1M vector warm, fee {fee:g}",
            ours[fee],
            best,
            ">= 2x faster",
            best / ours[fee] >= 2.0,
        )
    add_time_row(
        "golden 1M vector first call (JIT)",
        ours[-1.0],
        first,
        "- (info; vbt import excluded)",
        None,
    )


# -- ours, event-driven -------------------------------------------------------------------------
def bench_ours_event(data: StrategyData, rows_for: tuple[float, ...]) -> dict[float, float]:
    section("ours, event-driven: run_event(sma_cross), bar by bar, 1,000,000 bars")
    rates: dict[float, float] = {}
    for fee in FEES:
        cfg = config(fee)
        best, res = timed(
            lambda: run_event(create_strategy("sma_cross", fast=10, slow=50), data, cfg),  # noqa: B023
            2,
        )
        rates[fee] = len(data) / best
        ok = equity_ok(fee, res.final_equity) and len(res.trades) == EXPECTED_ENTRIES
        summary = (
            f"final equity {res.final_equity:.10g}, entries {len(res.trades):,} "
            f"({res.trade_count:,} closed + {res.open_trades} open)"
        )
        print(f"fee {fee:g}: best of 2 {fmt_s(best)} = {fmt_rate(rates[fee])}")
        print(f"  {summary}; published: {'match' if ok else 'MISMATCH'}")
        CHECKS.append(("ours event", f"{fee:g}", summary, "yes" if ok else "NO"))
        if fee in rows_for:
            ROWS.append(
                Row(
                    f"event bars/s, fee {fee:g}",
                    fmt_rate(rates[fee]),
                    "-",
                    "-",
                    ">= 200,000 bars/s",
                    _met(rates[fee] >= 200_000),
                )
            )
    return rates


# -- backtrader ---------------------------------------------------------------------------------
def run_backtrader(close: FloatArray, fee: float) -> tuple[float, float, int, int, int]:
    """Seconds for ``cerebro.run()`` (feed preload included), final value, entries, closed
    trades and margin-rejected orders."""
    import backtrader as bt
    import pandas as pd

    class AllIn(bt.Sizer):  # type: ignore[misc]
        """Buy with all the cash, fee included; sell the whole position.

        ``cash / (price * (1 + fee))`` can cost a few 1e-12 more than the cash in backtrader's
        own arithmetic, which then rejects the order (Margin): step the size down by ulps
        until backtrader's cash check passes (at most a few steps).
        """

        params = (("fee", 0.0),)

        def _getsizing(self, comminfo: Any, cash: float, data: Any, isbuy: bool) -> float:
            if not isbuy:
                return float(self.broker.getposition(data).size)
            price = float(data.close[0])
            size = cash / (price * (1.0 + self.p.fee))
            while (
                cash - comminfo.getoperationcost(size, price) - comminfo.getcommission(size, price)
                < 0.0
            ):
                size = float(np.nextafter(size, 0.0))
            return float(size)

    class SmaCross(bt.Strategy):  # type: ignore[misc]
        params = (("fast", 10), ("slow", 50))

        def __init__(self) -> None:
            fast = bt.indicators.SMA(self.data.close, period=self.p.fast)
            slow = bt.indicators.SMA(self.data.close, period=self.p.slow)
            self.cross = bt.indicators.CrossOver(fast, slow)
            self.entries = 0
            self.closed = 0
            self.rejected = 0

        def next(self) -> None:
            c = self.cross[0]
            if c > 0 and not self.position:
                self.buy()
            elif c < 0 and self.position:
                self.sell()

        def notify_order(self, order: Any) -> None:
            if order.status == order.Completed and order.isbuy():
                self.entries += 1
            elif order.status in (order.Margin, order.Rejected):
                self.rejected += 1

        def notify_trade(self, trade: Any) -> None:
            if trade.isclosed:
                self.closed += 1

    ts = START_NS + np.arange(len(close), dtype=np.int64) * MINUTE_NS
    frame = pd.DataFrame(
        {"open": close, "high": close, "low": close, "close": close, "volume": 1.0},
        index=pd.DatetimeIndex(ts),
    )
    cerebro = bt.Cerebro(stdstats=False)  # runonce and preload are the defaults
    cerebro.adddata(bt.feeds.PandasData(dataname=frame, openinterest=None))
    cerebro.addstrategy(SmaCross)
    cerebro.addsizer(AllIn, fee=fee)
    cerebro.broker.setcash(CASH)
    cerebro.broker.setcommission(commission=fee)
    cerebro.broker.set_coc(True)
    gc.collect()
    t0 = time.perf_counter()
    (strat,) = cerebro.run()
    seconds = time.perf_counter() - t0
    value = float(cerebro.broker.getvalue())
    return seconds, value, strat.entries, strat.closed, strat.rejected


def bench_backtrader(close: FloatArray, ours_rates: dict[float, float], quick: bool) -> None:
    fee = 0.001
    n = QUICK_BT_BARS if quick else len(close)
    scope = "NOT the full job (--quick)" if quick else "the full job"
    section(f"backtrader, fee {fee:g}, {n:,} bars ({scope}); ~75 s for 1M bars")
    try:
        import backtrader as bt
    except ImportError as exc:
        print(f"backtrader not available ({exc}); skipped")
        return
    seconds, value, entries, closed, rejected = run_backtrader(close[:n], fee)
    rate = n / seconds
    print(f"backtrader {bt.__version__}: {seconds:.1f} s = {fmt_rate(rate)}")
    summary = (
        f"final value {value:.10g}, entries {entries:,} ({closed:,} closed), "
        f"margin-rejected orders {rejected}"
    )
    if quick:
        print(f"  {summary} ({n:,} bars: no published numbers)")
        CHECKS.append(("backtrader", f"{fee:g}", f"{summary} [{n:,} bars]", "-"))
    else:
        ok = equity_ok(fee, value) and entries == EXPECTED_ENTRIES
        print(f"  {summary}; published: {'match' if ok else 'MISMATCH'}")
        CHECKS.append(("backtrader", f"{fee:g}", summary, "yes" if ok else "NO"))
    ratio = ours_rates[fee] / rate
    print(f"  ratio ours-event/backtrader (bars/s): {ratio:.1f}x")
    label = f"event bars/s, fee {fee:g} vs backtrader" + (f" ({n:,} bars)" if quick else "")
    ROWS.append(
        Row(
            label,
            fmt_rate(ours_rates[fee]),
            fmt_rate(rate),
            f"{ratio:.1f}x",
            ">= 200,000 bars/s",
            _met(ours_rates[fee] >= 200_000),
        )
    )


# -- cold start ---------------------------------------------------------------------------------
def run_cold(code: str) -> tuple[float, str]:
    env = dict(os.environ)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    seconds = time.perf_counter() - t0
    out = proc.stdout.strip() if proc.returncode == 0 else f"FAILED rc={proc.returncode}"
    if proc.returncode != 0:
        print(proc.stderr[-2000:])
    return seconds, out


def bench_cold_start(with_vbt: bool) -> None:
    section("cold start: fresh `python -c`, import + one sma_cross backtest on 10,000 bars")
    runs = []
    for i in range(3):
        seconds, out = run_cold(COLD_OURS)
        runs.append(seconds)
        print(f"ours run {i + 1}: {fmt_s(seconds)} ({out})")
    ours = statistics.median(runs)
    ref: float | None = None
    if with_vbt:
        ref, out = run_cold(COLD_VBT)
        print(f"vectorbt (same job, its own numba JIT): {fmt_s(ref)} ({out})")
    print(f"ours median of 3: {fmt_s(ours)}")
    add_time_row("cold start, 10k bars (median of 3)", ours, ref, "< 2 s", ours < 2.0)


# -- grid ---------------------------------------------------------------------------------------
def bench_grid(with_vbt: bool) -> None:
    close = golden_close(GRID_BARS)
    data = golden_data(close)
    fasts = range(5, 55)
    slows = range(60, 80)
    grid = [{"fast": f, "slow": s} for f in fasts for s in slows]
    fee = 0.001
    section(
        f"grid: {len(grid):,} sma_cross configurations (fast 5..54 x slow 60..79) x "
        f"{GRID_BARS:,} bars, fee {fee:g}"
    )
    cls = get_strategy("sma_cross")
    cfg = config(fee)
    first, _ = timed(lambda: run_grid(cls, data, grid, cfg))
    best, res = timed(lambda: run_grid(cls, data, grid, cfg), 3)
    i = int(np.argmax(res.final_equity))
    print(f"ours first call {fmt_s(first)}, warm best of 3 {fmt_s(best)}")
    print(
        f"  best {res.params[i]}: final equity {res.final_equity[i]:.6g}; "
        f"fast=10/slow=60 present: {any(p == {'fast': 10, 'slow': 60} for p in res.params)}"
    )
    ref: float | None = None
    if with_vbt:
        try:
            ref = vbt_grid(close, fasts, slows, fee, res.final_equity)
        except (ImportError, MemoryError) as exc:
            print(f"vectorbt grid skipped: {exc!r}")
    add_time_row(f"grid {len(grid):,} cfg x 100k bars, warm", best, ref, "< 5 s", best < 5.0)


def vbt_grid(
    close: FloatArray, fasts: range, slows: range, fee: float, ours_equity: FloatArray
) -> float:
    import pandas as pd
    import vectorbt as vbt

    ts = START_NS + np.arange(len(close), dtype=np.int64) * MINUTE_NS
    series = pd.Series(close, index=pd.DatetimeIndex(ts))
    fast_w = [f for f in fasts for _ in slows]
    slow_w = [s for _ in fasts for s in slows]

    def job() -> FloatArray:
        fast = vbt.MA.run(series, fast_w, short_name="fast")
        slow = vbt.MA.run(series, slow_w, short_name="slow")
        entries = fast.ma_crossed_above(slow)
        exits = fast.ma_crossed_below(slow)
        pf = vbt.Portfolio.from_signals(series, entries, exits, init_cash=CASH, fees=fee)
        return np.asarray(pf.final_value(), dtype=np.float64)

    first, _ = timed(job)
    best, values = timed(job, 2)
    # vectorbt's fills stop below ~1e-8 units, so compare only the columns that stay sizeable.
    sizeable = ours_equity > 1.0
    agree = np.allclose(values[sizeable], ours_equity[sizeable], rtol=1e-6)
    print(
        f"vectorbt grid (MA.run with window lists + from_signals): first {fmt_s(first)}, "
        f"warm best of 2 {fmt_s(best)}; final values agree with ours "
        f"({int(sizeable.sum())} columns with equity > 1): {agree}"
    )
    return best


# -- main ---------------------------------------------------------------------------------------
def print_tables() -> None:
    section("final equity and entries (published: 6205.3601201 / 6.0100066e-09, 13,832 entries)")
    for engine, fee, summary, ok in CHECKS:
        print(f"{engine:<12} fee {fee:<6} {summary}  [published: {ok}]")
    section("summary (ratio = reference time / ours = ours bars/s / reference bars/s)")
    header = Row("measurement", "ours", "reference", "ratio", "target", "met?")
    rows = [header, *ROWS]
    widths = [max(len(getattr(r, f)) for r in rows) for f in Row.__dataclass_fields__]
    for k, row in enumerate(rows):
        cells = [getattr(row, f) for f in Row.__dataclass_fields__]
        print(" | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)))
        if k == 0:
            print("-+-".join("-" * w for w in widths))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"backtrader on {QUICK_BT_BARS:,} bars, not 1M"
    )
    parser.add_argument("--no-backtrader", action="store_true", help="skip backtrader")
    parser.add_argument("--no-vbt-grid", action="store_true", help="skip vectorbt's grid")
    args = parser.parse_args()

    t_start = time.perf_counter()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, numpy {np.__version__}")
    close = golden_close(N_BARS)
    data = golden_data(close)
    steps: list[tuple[str, Callable[[], object]]] = []
    state: dict[str, dict[float, float]] = {}
    event_rows = FEES if args.no_backtrader else FEES[:1]
    steps.append(("ours vector", lambda: state.update(vector=bench_ours_vector(data))))
    steps.append(("vectorbt", lambda: bench_vectorbt(close, state["vector"])))
    steps.append(("ours event", lambda: state.update(event=bench_ours_event(data, event_rows))))
    if not args.no_backtrader:
        steps.append(("backtrader", lambda: bench_backtrader(close, state["event"], args.quick)))
    steps.append(("cold start", lambda: bench_cold_start(with_vbt=True)))
    steps.append(("grid", lambda: bench_grid(with_vbt=not args.no_vbt_grid)))
    for name, step in steps:
        try:
            step()
        except Exception:  # a benchmark reports, it never fails the run
            print(f"{name} failed:\n{traceback.format_exc()}")
    print_tables()
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
