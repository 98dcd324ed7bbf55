"""Static PNG report (matplotlib, Agg): equity and underwater drawdown, plus key metrics.

For places a browser is not: CI artefacts, chat messages, a terminal that can show images.
Uses the object-oriented API with an Agg canvas, never ``pyplot``, so writing a picture neither
needs a display nor changes the backend of a notebook the caller is running in. The pixel size
is exact (no ``bbox_inches="tight"``), which the caller and the tests can rely on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from neural_trader.analytics.metrics import drawdown_series, returns_from_equity
from neural_trader.analytics.reports.html import check_timestamps, metric_rows
from neural_trader.analytics.summary import PerformanceSummary
from neural_trader.core.errors import InvalidArgumentError, MissingDependencyError

__all__ = ["write_png_report"]

# The metrics printed on the picture: the ones a reader checks first.
_PNG_METRICS = ("Total return", "CAGR", "Sharpe", "Sortino", "Max drawdown", "Annual volatility")


def _import_matplotlib() -> tuple[Any, Any]:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise MissingDependencyError("matplotlib", "report", "PNG plots") from exc
    return Figure, FigureCanvasAgg


def write_png_report(
    path: str | Path,
    *,
    equity: npt.ArrayLike,
    ts_event: npt.ArrayLike | None = None,
    summary: PerformanceSummary | None = None,
    title: str = "neural-trader backtest",
    width_px: int = 1200,
    height_px: int = 800,
    dpi: int = 100,
) -> Path:
    """Write a ``width_px`` x ``height_px`` PNG with equity and drawdown panels; return the path.

    Without ``ts_event`` the x axis is the bar index. With ``summary`` a line of headline
    metrics (formatted as in the HTML table) goes under the title.
    """
    figure_cls, canvas_cls = _import_matplotlib()
    if ts_event is not None:
        eq, ts = check_timestamps(equity, ts_event)
        x: Any = pd.to_datetime(ts, unit="ns", utc=True).tz_localize(None)
    else:
        eq = np.asarray(equity, dtype=np.float64)
        x = np.arange(eq.size)
    if eq.ndim != 1 or eq.size < 2:
        raise InvalidArgumentError("a PNG report needs a 1-D equity curve of at least 2 values")
    if width_px < 100 or height_px < 100 or dpi <= 0:
        raise InvalidArgumentError("width_px and height_px must be >= 100 and dpi positive")
    dd = np.r_[0.0, drawdown_series(returns_from_equity(eq))] * 100.0

    fig = figure_cls(figsize=(width_px / dpi, height_px / dpi), dpi=dpi, layout="constrained")
    canvas_cls(fig)
    grid = fig.add_gridspec(2, 1, height_ratios=(3, 1.4))
    ax_eq = fig.add_subplot(grid[0])
    ax_dd = fig.add_subplot(grid[1], sharex=ax_eq)
    ax_eq.plot(x, eq, color="#1f4e79", linewidth=1.1)
    ax_eq.set_ylabel("Equity")
    ax_eq.grid(alpha=0.3)
    ax_eq.tick_params(labelbottom=False)
    ax_dd.fill_between(x, dd, 0.0, color="#c0392b", alpha=0.45, linewidth=0)
    ax_dd.plot(x, dd, color="#c0392b", linewidth=0.8)
    ax_dd.set_ylabel("Drawdown (%)")
    ax_dd.grid(alpha=0.3)
    fig.suptitle(title, fontsize=13)
    if summary is not None:
        shown = dict(metric_rows(summary))
        items = [f"{k}: {shown[k]}" for k in _PNG_METRICS]
        line = "   ".join(items[:3]) + "\n" + "   ".join(items[3:])
        ax_eq.set_title(line, fontsize=9, color="#444")
    out = Path(path)
    fig.savefig(out, format="png", dpi=dpi)
    return out
