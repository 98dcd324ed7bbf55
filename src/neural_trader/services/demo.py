"""The main job end to end on the embedded sample, offline.

Today: load the shipped daily S&P 500 and NASDAQ Composite bars, validate them against the
NYSE calendar, store them in the catalog, resample them to weekly bars and summarise. Then
backtest every strategy, paper-trade one through the live runner and train a small NHITS
forecaster. Later issues add steps to :func:`run_demo` without changing the command that runs
it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from pydantic import BaseModel

from neural_trader.core.data import BarSpec
from neural_trader.core.errors import MissingDependencyError
from neural_trader.data.catalog import Catalog
from neural_trader.services.data import ReportSummary, open_catalog
from neural_trader.services.forecast import DemoForecast, demo_forecast
from neural_trader.services.formatting import ns_to_label
from neural_trader.services.trading import TradeResult

__all__ = ["DemoReport", "DemoSeries", "run_demo"]

DEMO_CALENDAR = "XNYS"
DAILY = BarSpec.parse("1d")
DEMO_BACKTEST_SYMBOL = "SPX"
DEMO_CASH = 10_000.0
DEMO_FEES = 0.001
DEMO_BACKTEST_SETTINGS = (
    f"{DEMO_BACKTEST_SYMBOL} daily, default parameters, {DEMO_CASH:,.0f} cash, "
    f"{DEMO_FEES:.1%} fee per side, signals act at the next open (vectorized engine)"
)


DEMO_PAPER_BARS = 500
DEMO_PAPER_SETTINGS = (
    f"sma_cross on the last {DEMO_PAPER_BARS} {DEMO_BACKTEST_SYMBOL} daily bars replayed through "
    f"the paper broker: risk checks, journal, fills at the next open, {DEMO_FEES:.1%} fee, "
    "whole shares; in a temporary NT_HOME"
)


class DemoSeries(BaseModel):
    symbol: str
    description: str
    rows: int
    first: str
    last: str
    first_close: float
    last_close: float
    change_pct: float
    weekly_bars: int
    validation: ReportSummary


class DemoBacktest(BaseModel):
    strategy: str
    symbol: str
    final_equity: float
    total_return: float | None
    cagr: float | None
    sharpe: float | None
    max_drawdown: float | None
    trades: int
    win_rate: float | None
    exposure: float | None


class DemoReport(BaseModel):
    paper: TradeResult | None = None
    paper_settings: str = ""
    forecast: DemoForecast | None = None
    forecast_skipped: str | None = None
    catalog: str
    calendar: str
    series: list[DemoSeries]
    backtests: list[DemoBacktest]
    backtest_settings: str
    steps: list[str]
    seconds: float


def run_demo(
    catalog: Catalog | str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoReport:
    from neural_trader.data.providers.sample import load_sample, sample_info, sample_names
    from neural_trader.data.resample import resample_bars
    from neural_trader.data.validation import validate_bars

    t0 = time.perf_counter()
    cat = open_catalog(catalog)
    steps: list[str] = []

    def step(msg: str) -> None:
        steps.append(msg)
        if progress is not None:
            progress(msg)

    series: list[DemoSeries] = []
    for name in sample_names():
        frame = load_sample(name)
        step(f"loaded {name}: {len(frame):,} daily bars from the embedded sample")
        report = validate_bars(frame, spec=DAILY, calendar=DEMO_CALENDAR)
        step(
            f"validated {name} against the {DEMO_CALENDAR} calendar: "
            f"{len(report.errors)} errors, {len(report.warnings)} warnings"
        )
        if not report.ok:  # the shipped sample is clean; if not, say so loudly
            raise RuntimeError(f"embedded sample {name} failed validation:\n{report.summary()}")
        cat.write_bars(name, "1d", frame, mode="overwrite")
        weekly = resample_bars(frame, "1d", "1w", calendar=DEMO_CALENDAR)
        cat.write_bars(name, "1w", weekly, mode="overwrite")
        step(f"stored {name} 1d and 1w ({len(weekly):,} weekly bars) in {cat.root}")
        ts = frame["ts_event"].to_numpy()
        close = frame["close"].to_numpy()
        series.append(
            DemoSeries(
                symbol=name,
                description=str(sample_info(name).get("description", name)),
                rows=len(frame),
                first=ns_to_label(int(ts[0]), daily=True),
                last=ns_to_label(int(ts[-1]), daily=True),
                first_close=float(close[0]),
                last_close=float(close[-1]),
                change_pct=float((close[-1] / close[0] - 1.0) * 100.0),
                weekly_bars=len(weekly),
                validation=ReportSummary.from_report(report),
            )
        )
    backtests = _backtest_strategies(cat, DEMO_BACKTEST_SYMBOL, step)
    paper = _paper_replay(cat.read_bars(DEMO_BACKTEST_SYMBOL, DAILY), step)
    forecast, skipped = _forecast(step)
    return DemoReport(
        paper=paper,
        paper_settings=DEMO_PAPER_SETTINGS,
        forecast=forecast,
        forecast_skipped=skipped,
        catalog=str(cat.root),
        calendar=DEMO_CALENDAR,
        series=series,
        backtests=backtests,
        backtest_settings=DEMO_BACKTEST_SETTINGS,
        steps=steps,
        seconds=round(time.perf_counter() - t0, 3),
    )


def _forecast(step: Callable[[str], None]) -> tuple[DemoForecast | None, str | None]:
    """Train a small NHITS on the sample (the forecast extra); say so when torch is absent."""
    try:
        fc = demo_forecast()
    except MissingDependencyError as exc:
        step(f"forecasting skipped: {exc.message}")
        return None, exc.message
    step(
        f"trained NHITS on {fc.symbol} closes in {fc.seconds:.1f} s: test MAE {fc.mae:,.2f} "
        f"vs naive {fc.naive_mae:,.2f}"
    )
    return fc, None


def _backtest_strategies(
    cat: Catalog, symbol: str, step: Callable[[str], None]
) -> list[DemoBacktest]:
    """Every single-asset shipped strategy on the sample, default parameters, same costs."""
    from neural_trader.services.research import run_backtest
    from neural_trader.strategies import get_strategy, strategy_names

    out: list[DemoBacktest] = []
    for name in strategy_names():
        if any(not r.optional for r in get_strategy(name).requires):
            continue  # needs a second input (pairs): not a one-symbol comparison
        try:
            r = run_backtest(name, symbol=symbol, cash=DEMO_CASH, fees=DEMO_FEES, catalog=cat)
        except MissingDependencyError as exc:  # neural strategies need the forecast extra
            step(f"{name} skipped: {exc.message}")
            continue
        out.append(
            DemoBacktest(
                strategy=name,
                symbol=symbol,
                final_equity=r.final_equity,
                total_return=r.total_return,
                cagr=r.cagr,
                sharpe=r.sharpe,
                max_drawdown=r.max_drawdown,
                trades=r.trades,
                win_rate=r.win_rate,
                exposure=r.exposure,
            )
        )
    step(f"backtested {len(out)} strategies on {symbol}")
    return out


def _paper_replay(frame: pd.DataFrame, step: Callable[[str], None]) -> TradeResult:
    """The live runner on a replay, in a throwaway NT_HOME so the demo leaves no orders."""
    import tempfile

    from neural_trader.config import load_settings
    from neural_trader.data.export import write_bars_csv
    from neural_trader.services.trading import trade

    tail = frame.iloc[-DEMO_PAPER_BARS:]
    with tempfile.TemporaryDirectory(prefix="nt-demo-") as tmp:
        path = Path(tmp) / f"{DEMO_BACKTEST_SYMBOL}.csv"
        write_bars_csv(tail, path)
        result = trade(
            "sma_cross",
            symbol=DEMO_BACKTEST_SYMBOL,
            replay=path,
            cash=DEMO_CASH,
            fees=DEMO_FEES,
            slippage=0.0,
            lot_size=1.0,
            settings=load_settings(home=Path(tmp) / "home"),
        )
    step(
        f"paper-traded {result.bars} bars: {result.orders_sent} orders, {result.fills} fills, "
        f"equity {result.equity:,.0f}"
    )
    return result
