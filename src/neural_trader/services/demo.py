"""The main job end to end on the embedded sample, offline.

Today: load the shipped daily S&P 500 and NASDAQ Composite bars, validate them against the
NYSE calendar, store them in the catalog, resample them to weekly bars and summarise. Later
issues add steps (backtest, forecast, paper trading) to :func:`run_demo` without changing the
command that runs it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from neural_trader.core.data import BarSpec
from neural_trader.data.catalog import Catalog
from neural_trader.services.data import ReportSummary, open_catalog
from neural_trader.services.formatting import ns_to_label

__all__ = ["DemoReport", "DemoSeries", "run_demo"]

DEMO_CALENDAR = "XNYS"
DAILY = BarSpec.parse("1d")


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


class DemoReport(BaseModel):
    catalog: str
    calendar: str
    series: list[DemoSeries]
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
    return DemoReport(
        catalog=str(cat.root),
        calendar=DEMO_CALENDAR,
        series=series,
        steps=steps,
        seconds=round(time.perf_counter() - t0, 3),
    )
