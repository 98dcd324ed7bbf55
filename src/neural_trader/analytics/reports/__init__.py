"""Reports over a :class:`~neural_trader.analytics.summary.PerformanceSummary`.

Both writers import their plotting library (the optional ``report`` extra) only when called,
and raise :class:`~neural_trader.core.errors.MissingDependencyError` naming the extra if it is
absent; importing this package needs neither.
"""

from __future__ import annotations

from neural_trader.analytics.reports.html import (
    format_value,
    metric_rows,
    monthly_returns,
    write_html_report,
)
from neural_trader.analytics.reports.png import write_png_report

__all__ = [
    "format_value",
    "metric_rows",
    "monthly_returns",
    "write_html_report",
    "write_png_report",
]
