"""Self-contained HTML tear sheet (plotly, with plotly.js inlined: opens offline).

Also home of the pieces every report shares: :func:`monthly_returns` (the calendar table) and
:func:`metric_rows` (the one place numbers are formatted, so the HTML, the PNG and the tests
agree on what "12.34%" means). Plotly is the optional ``report`` extra and is imported only when
a report is written, so importing this module never needs it.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from neural_trader.analytics.metrics import drawdown_series, returns_from_equity, rolling_sharpe
from neural_trader.analytics.summary import PerformanceSummary
from neural_trader.analytics.trades import ExitReason, as_trade_array
from neural_trader.core.errors import InvalidArgumentError, MissingDependencyError

__all__ = [
    "DEFAULT_MAX_TRADES",
    "check_timestamps",
    "default_rolling_window",
    "format_value",
    "metric_rows",
    "monthly_returns",
    "write_html_report",
]

DEFAULT_MAX_TRADES: Final = 200
MONTH_NAMES: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # fmt: skip
_NAT: Final = np.iinfo(np.int64).min


# -- shared helpers ---------------------------------------------------------------------------


def check_timestamps(
    equity: npt.ArrayLike, ts_event: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Validate an equity curve and its int64-ns UTC timestamps (same length, increasing)."""
    eq = np.asarray(equity, dtype=np.float64)
    ts = np.asarray(ts_event)
    if eq.ndim != 1 or ts.shape != eq.shape:
        raise InvalidArgumentError(
            f"equity and ts_event must be 1-D and of equal length, got {eq.shape} and {ts.shape}"
        )
    if not np.issubdtype(ts.dtype, np.integer):
        raise InvalidArgumentError(f"ts_event must be int64 nanoseconds, got dtype {ts.dtype}")
    ts = ts.astype(np.int64)
    if ts.size > 1 and not bool(np.all(np.diff(ts) > 0)):
        raise InvalidArgumentError("ts_event must be strictly increasing")
    return eq, ts


def monthly_returns(equity: npt.ArrayLike, ts_event: npt.ArrayLike) -> pd.DataFrame:
    """Calendar-month returns (UTC months) as a year x month table (columns 1..12).

    Month ``m``'s return is its last equity over the previous month's last equity, minus 1;
    the first month is measured from ``equity[0]``, the starting capital. Computed from equity
    (not by compounding returns) so it matches the account statement exactly; a month without
    bars is NaN and the next month is measured from the last equity before it.
    """
    eq, ts = check_timestamps(equity, ts_event)
    if eq.size == 0:
        return pd.DataFrame(columns=pd.Index(range(1, 13), name="month"), dtype=np.float64)
    month_key = ts.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    last = np.flatnonzero(np.r_[month_key[1:] != month_key[:-1], True])  # last bar per month
    month_end = eq[last]
    base = np.r_[eq[0], month_end[:-1]]
    ret = month_end / base - 1.0
    keys = month_key[last]
    frame = pd.DataFrame({"year": keys // 12 + 1970, "month": keys % 12 + 1, "ret": ret})
    table = frame.pivot(index="year", columns="month", values="ret")
    table = table.reindex(columns=range(1, 13))
    table.columns.name = "month"
    return table


def default_rolling_window(periods_per_year: float) -> int:
    """Half a year of periods (126 for daily equities, 183 for crypto, 26 weekly)."""
    return max(2, round(periods_per_year / 2))


def format_value(value: float | int | None, kind: str) -> str:
    """``pct`` -> '12.34%', ``ratio`` -> '1.23', ``money`` -> '1,234.56', ``int`` -> '12'."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if kind == "pct":
        return f"{value * 100:.2f}%"
    if kind == "ratio":
        return f"{value:.2f}"
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "int":
        return str(int(value))
    raise InvalidArgumentError(f"unknown format kind {kind!r}")


def metric_rows(summary: PerformanceSummary) -> list[tuple[str, str]]:
    """(label, formatted value) pairs of the metrics table, in display order."""
    s = summary
    conf = f"{s.var_confidence * 100:g}%"
    rows: list[tuple[str, float | int | None, str]] = [
        ("Start equity", s.start_equity, "money"),
        ("Final equity", s.final_equity, "money"),
        ("Total return", s.total_return, "pct"),
        ("CAGR", s.cagr, "pct"),
        ("Annual volatility", s.annual_volatility, "pct"),
        ("Sharpe", s.sharpe, "ratio"),
        ("Sortino", s.sortino, "ratio"),
        ("Calmar", s.calmar, "ratio"),
        ("Max drawdown", s.max_drawdown, "pct"),
        ("Longest drawdown (periods)", s.max_drawdown_duration, "int"),
        ("Omega", s.omega, "ratio"),
        ("Tail ratio", s.tail_ratio, "ratio"),
        ("Stability (R²)", s.stability, "ratio"),
        ("Skew", s.skew, "ratio"),
        ("Excess kurtosis", s.kurtosis, "ratio"),
        (f"VaR {conf} ({s.var_method})", s.var, "pct"),
        (f"CVaR {conf} ({s.var_method})", s.cvar, "pct"),
        ("Trades (closed)", s.trades, "int"),
        ("Open trades", s.open_trades, "int"),
        ("Win rate", s.win_rate, "pct"),
        ("Profit factor", s.profit_factor, "ratio"),
        ("Average win", s.avg_win, "money"),
        ("Average loss", s.avg_loss, "money"),
        ("Payoff ratio", s.payoff_ratio, "ratio"),
        ("Expectancy / trade", s.expectancy, "money"),
        ("Exposure", s.exposure, "pct"),
        ("Turnover (x / year)", s.turnover, "ratio"),
        ("Alpha", s.alpha, "pct"),
        ("Beta", s.beta, "ratio"),
    ]
    return [(label, format_value(value, kind)) for label, value, kind in rows]


# -- HTML -------------------------------------------------------------------------------------


def _table(header: list[str], body: list[list[str]], css: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in body
    )
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _monthly_table(table: pd.DataFrame) -> str:
    body = [
        [str(year), *(format_value(float(v), "pct") if pd.notna(v) else "" for v in row)]
        for year, row in zip(table.index, table.to_numpy(), strict=True)
    ]
    return _table(["Year", *MONTH_NAMES], body, "monthly")


def _ts_label(ts: int, idx: int) -> str:
    if ts == _NAT:
        return f"bar {idx}"
    return str(np.datetime64(int(ts), "ns").astype("datetime64[s]")).replace("T", " ")


def _trade_table(trades: npt.NDArray[Any] | pd.DataFrame, max_trades: int) -> str:
    rec = as_trade_array(trades)
    shown = rec[:max_trades]
    body = [
        [
            str(i + 1),
            "long" if t["side"] > 0 else "short",
            _ts_label(int(t["entry_ts"]), int(t["entry_idx"])),
            _ts_label(int(t["exit_ts"]), int(t["exit_idx"])) + (" (open)" if t["is_open"] else ""),
            f"{float(t['quantity']):g}",
            f"{float(t['entry_price']):.4f}",
            f"{float(t['exit_price']):.4f}",
            format_value(float(t["fees"]), "money"),
            format_value(float(t["pnl"]), "money"),
            format_value(float(t["return"]), "pct"),
            ExitReason(int(t["exit_reason"])).name.lower(),
        ]
        for i, t in enumerate(shown)
    ]
    note = ""
    if rec.size > shown.size:
        note = f'<p class="note">Showing the first {shown.size} of {rec.size} trades.</p>'
    header = ["#", "Side", "Entry", "Exit", "Qty", "Entry px", "Exit px", "Fees", "P&L",
              "Return", "Reason"]  # fmt: skip
    return note + _table(header, body, "trades")


def _import_plotly() -> Any:
    try:
        import plotly.graph_objects as go
    except ImportError as exc:
        raise MissingDependencyError("plotly", "report", "HTML reports") from exc
    return go


_CSS: Final = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#222}
h1{font-size:1.5em} h2{font-size:1.15em;margin-top:28px}
table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ddd;padding:3px 8px}
th{background:#f3f3f3}
table.metrics td:last-child,table.monthly td,table.trades td{text-align:right}
.note{color:#666;font-size:12px}
"""


def write_html_report(
    path: str | Path,
    *,
    equity: npt.ArrayLike,
    ts_event: npt.ArrayLike,
    summary: PerformanceSummary,
    trades: npt.NDArray[Any] | pd.DataFrame | None = None,
    benchmark: npt.ArrayLike | None = None,
    title: str = "neural-trader backtest report",
    rolling_window: int | None = None,
    max_trades: int = DEFAULT_MAX_TRADES,
) -> Path:
    """Write a one-file tear sheet that needs no network to open; return its path.

    Panels: equity (with ``benchmark``, a price or equity series aligned with ``equity``,
    rescaled to the same start), underwater drawdown, monthly-returns heatmap plus the same
    numbers as a table, rolling Sharpe (``rolling_window`` periods, default half a year of
    ``summary.periods_per_year``; risk-free as in the summary), the first ``max_trades``
    trades, and the metrics table of :func:`metric_rows`.
    """
    go = _import_plotly()
    eq, ts = check_timestamps(equity, ts_event)
    if eq.size < 2:
        raise InvalidArgumentError("a report needs at least two equity values")
    dates = pd.to_datetime(ts, unit="ns", utc=True)
    r = returns_from_equity(eq)
    ppy = summary.periods_per_year
    window = rolling_window if rolling_window is not None else default_rolling_window(ppy)
    figures: list[tuple[str, Any]] = []

    fig = go.Figure(go.Scatter(x=dates, y=eq, name="Strategy", line={"width": 1.4}))
    if benchmark is not None:
        bench = np.asarray(benchmark, dtype=np.float64)
        if bench.shape != eq.shape:
            raise InvalidArgumentError("benchmark must be aligned with equity (same length)")
        scaled = bench / bench[0] * eq[0]
        fig.add_trace(go.Scatter(x=dates, y=scaled, name="Benchmark", line={"width": 1.0}))
    fig.update_layout(yaxis_title="Equity")
    figures.append(("Equity", fig))

    dd = np.r_[0.0, drawdown_series(r)] * 100.0
    fig = go.Figure(go.Scatter(x=dates, y=dd, fill="tozeroy", name="Drawdown",
                               line={"color": "#c0392b", "width": 1.0}))  # fmt: skip
    fig.update_layout(yaxis_title="Drawdown (%)")
    figures.append(("Drawdown (underwater)", fig))

    monthly = monthly_returns(eq, ts)
    z = monthly.to_numpy() * 100.0
    text = [[f"{v:.2f}%" if np.isfinite(v) else "" for v in row] for row in z]
    fig = go.Figure(go.Heatmap(z=z, x=list(MONTH_NAMES), y=[str(y) for y in monthly.index],
                               text=text, texttemplate="%{text}", colorscale="RdYlGn",
                               zmid=0.0, colorbar={"title": "%"}))  # fmt: skip
    fig.update_layout(yaxis={"autorange": "reversed", "type": "category"},
                      height=max(300, 26 * len(monthly.index) + 120))  # fmt: skip
    figures.append(("Monthly returns", fig))

    roll = rolling_sharpe(r, window=window, periods_per_year=ppy, risk_free=summary.risk_free)
    fig = go.Figure(go.Scatter(x=dates[1:], y=roll, name=f"Rolling Sharpe ({window})"))
    fig.update_layout(yaxis_title=f"Sharpe, {window}-period window")
    figures.append((f"Rolling Sharpe ({window} periods)", fig))

    parts: list[str] = []
    for i, (heading, f) in enumerate(figures):
        f.update_layout(margin={"l": 60, "r": 20, "t": 20, "b": 40}, template="plotly_white")
        if "height" not in f.layout or f.layout.height is None:
            f.update_layout(height=340)
        body = f.to_html(full_html=False, include_plotlyjs=(i == 0), config={"responsive": True})
        parts.append(f"<h2>{html.escape(heading)}</h2>{body}")
        if heading == "Monthly returns":
            parts.append(_monthly_table(monthly))

    metrics = _table(["Metric", "Value"], [list(row) for row in metric_rows(summary)], "metrics")
    trade_html = ""
    if trades is not None:
        trade_html = "<h2>Trades</h2>" + _trade_table(trades, max_trades)
    notes = ""
    if summary.notes:
        items = "".join(f"<li>{html.escape(n)}</li>" for n in summary.notes)
        notes = f'<div class="note"><p>Notes:</p><ul>{items}</ul></div>'
    period = f"{dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d}, {summary.n_periods} periods"
    doc = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f'<h1>{html.escape(title)}</h1><p class="note">{html.escape(period)}</p>'
        f"<h2>Metrics</h2>{metrics}{notes}{''.join(parts)}{trade_html}</body></html>\n"
    )
    out = Path(path)
    out.write_text(doc, encoding="utf-8")
    return out
