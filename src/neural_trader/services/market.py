"""Market views from the catalog: a one-symbol snapshot, exchange status, indicator values.

The MCP tools ``quick_analysis``, ``get_market_analysis``, ``get_market_status`` and
``compute_indicators`` call these (the CLI may later). Every number comes from the catalog's
bars through :mod:`neural_trader.indicators`; nothing is a placeholder. The snapshot's
``recommendation`` is a stated three-vote rule over those numbers (trend, MACD histogram,
RSI extremes), reported with its votes so a reader can see why; it is not a forecast.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from pydantic import BaseModel, Field

from neural_trader.core.errors import DataValidationError, InvalidArgumentError
from neural_trader.services.formatting import ns_to_label

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

    from neural_trader.data.catalog import Catalog

__all__ = [
    "IndicatorTable",
    "MarketSnapshot",
    "MarketStatus",
    "indicator_values",
    "market_snapshot",
    "market_status",
]

CatalogLike: TypeAlias = "Catalog | str | Path | None"
Trend = Literal["up", "down", "sideways"]
MIN_SNAPSHOT_BARS = 35
"""MACD(12, 26, 9) needs 34 bars before its first histogram value."""


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _last(arr: npt.ArrayLike) -> float | None:
    import numpy as np

    a = np.asarray(arr, dtype=np.float64)
    return _finite(float(a[-1])) if a.size else None


class Levels(BaseModel):
    support: float = Field(description="lowest low of the last `window` bars")
    resistance: float = Field(description="highest high of the last `window` bars")
    window: int
    pivot: float = Field(description="floor pivot of the last bar: (high + low + close) / 3")
    r1: float = Field(description="2 x pivot - low")
    s1: float = Field(description="2 x pivot - high")


class Vote(BaseModel):
    signal: str
    vote: int = Field(description="+1 bullish, -1 bearish, 0 neutral")
    reason: str


class MarketSnapshot(BaseModel):
    symbol: str
    spec: str
    time: str = Field(description="the last bar's time")
    bars: int
    price: float = Field(description="last close")
    change_pct: float | None = Field(description="last close vs the previous close, percent")
    trend: Trend = Field(
        description="up: close > SMA50 > SMA200; down: close < SMA50 < SMA200; else sideways"
    )
    sma_50: float | None
    sma_200: float | None
    volatility: float | None = Field(
        description="annualised standard deviation of the last 20 bar returns"
    )
    rsi: float | None = Field(description="RSI(14)")
    macd: float | None = Field(description="MACD(12, 26, 9) line")
    macd_signal: float | None
    macd_hist: float | None
    bollinger_upper: float | None
    bollinger_lower: float | None
    bollinger_position: float | None = Field(
        description="(close - lower) / (upper - lower) of Bollinger(20, 2): 0 at the lower band"
    )
    levels: Levels
    recommendation: Literal["buy", "sell", "hold"] = Field(
        description="sum of the votes: >= 2 buy, <= -2 sell, else hold (a rule, not a forecast)"
    )
    votes: list[Vote]
    notes: list[str]


def market_snapshot(
    symbol: str,
    *,
    spec: str | None = None,
    end: str | None = None,
    window: int = 20,
    catalog: CatalogLike = None,
) -> MarketSnapshot:
    """Price, trend, volatility, RSI, MACD, Bollinger position and support/resistance of
    ``symbol``'s bars up to ``end`` (default: the last stored bar)."""
    import numpy as np

    from neural_trader.data.frequency import infer_periods_per_year
    from neural_trader.indicators import bbands, macd, rsi, sma
    from neural_trader.services.research import load_bars

    if window < 2:
        raise InvalidArgumentError(f"window must be >= 2 bars, got {window}")
    name, spec_str, frame = load_bars(
        symbol=symbol, data_file=None, spec=spec, end=end, catalog=catalog
    )
    n = len(frame)
    if n < MIN_SNAPSHOT_BARS:
        raise DataValidationError(
            f"{n} bar(s) of {name}; a snapshot needs at least {MIN_SNAPSHOT_BARS} (MACD's warm-up)",
            hint="import more history",
        )
    close = frame["close"].to_numpy(dtype=np.float64)
    high = frame["high"].to_numpy(dtype=np.float64)
    low = frame["low"].to_numpy(dtype=np.float64)
    ts = frame["ts_event"].to_numpy()
    daily = spec_str.endswith(("d", "w"))
    notes: list[str] = []
    price = float(close[-1])
    sma50 = _last(sma(close, timeperiod=50)) if n >= 50 else None
    sma200 = _last(sma(close, timeperiod=200)) if n >= 200 else None
    if sma200 is None:
        notes.append(f"{n} bars: SMA200 undefined, trend judged on SMA50 alone")
    trend: Trend = "sideways"
    if sma50 is not None:
        slow = sma200 if sma200 is not None else sma50
        if price > sma50 >= slow:
            trend = "up"
        elif price < sma50 <= slow:
            trend = "down"
    rets = close[1:] / close[:-1] - 1.0
    ppy = infer_periods_per_year(ts, spec_str)
    recent = rets[-20:]
    vol = float(np.std(recent, ddof=1) * math.sqrt(ppy)) if recent.size >= 2 else math.nan
    rsi_v = _last(rsi(close, timeperiod=14))
    m = macd(close, fastperiod=12, slowperiod=26, signalperiod=9)
    upper, _middle, lower = bbands(close, timeperiod=20, nbdevup=2.0, nbdevdn=2.0)
    up_v, lo_v = _last(upper), _last(lower)
    position = None
    if up_v is not None and lo_v is not None and up_v > lo_v:
        position = (price - lo_v) / (up_v - lo_v)
    w = min(window, n)
    pivot = float((high[-1] + low[-1] + close[-1]) / 3.0)
    levels = Levels(
        support=float(np.min(low[-w:])),
        resistance=float(np.max(high[-w:])),
        window=w,
        pivot=pivot,
        r1=2.0 * pivot - float(low[-1]),
        s1=2.0 * pivot - float(high[-1]),
    )
    votes = [
        Vote(
            signal="trend",
            vote={"up": 1, "down": -1, "sideways": 0}[trend],
            reason=f"trend is {trend}",
        )
    ]
    hist = _last(m.hist)
    if hist is not None:
        votes.append(
            Vote(
                signal="macd",
                vote=1 if hist > 0 else -1 if hist < 0 else 0,
                reason=f"MACD histogram {hist:+.4g}",
            )
        )
    if rsi_v is not None:
        zone = "oversold" if rsi_v < 30 else "overbought" if rsi_v > 70 else "neutral"
        votes.append(
            Vote(
                signal="rsi",
                vote=1 if rsi_v < 30 else -1 if rsi_v > 70 else 0,
                reason=f"RSI {rsi_v:.1f} ({zone})",
            )
        )
    total = sum(v.vote for v in votes)
    return MarketSnapshot(
        symbol=name,
        spec=spec_str,
        time=ns_to_label(int(ts[-1]), daily=daily),
        bars=n,
        price=price,
        change_pct=_finite(float(rets[-1] * 100.0)) if rets.size else None,
        trend=trend,
        sma_50=sma50,
        sma_200=sma200,
        volatility=_finite(vol),
        rsi=rsi_v,
        macd=_last(m.macd),
        macd_signal=_last(m.signal),
        macd_hist=hist,
        bollinger_upper=up_v,
        bollinger_lower=lo_v,
        bollinger_position=position,
        levels=levels,
        recommendation="buy" if total >= 2 else "sell" if total <= -2 else "hold",
        votes=votes,
        notes=notes,
    )


# -- exchange status ----------------------------------------------------------------------------


class MarketStatus(BaseModel):
    calendar: str
    now: str = Field(description="UTC time the status was computed at")
    is_open: bool
    session: str | None = Field(description="the session in progress (exchange date), if open")
    next_open: str
    next_close: str
    timezone: str


def market_status(calendar: str = "XNYS", *, at: pd.Timestamp | None = None) -> MarketStatus:
    """Whether ``calendar``'s market is open at ``at`` (default: now), and its next open and
    close (UTC, ISO 8601), from ``exchange_calendars`` (holidays and half days included)."""
    import pandas as pd

    from neural_trader.data.calendars import get_calendar

    now = (at if at is not None else pd.Timestamp.now(tz="UTC")).tz_convert("UTC").floor("min")
    cal = get_calendar(
        calendar, (now - pd.Timedelta(days=10)).normalize().tz_localize(None),
        (now + pd.Timedelta(days=20)).normalize().tz_localize(None),
    )  # fmt: skip
    with warnings.catch_warnings():
        # exchange_calendars trips pandas deprecations inside its own code (see calendars.py).
        warnings.filterwarnings("ignore", message=".*values returning an ndarray")
        is_open = bool(cal.is_open_on_minute(now))
        session = str(pd.Timestamp(cal.minute_to_session(now)).date()) if is_open else None
        next_open = pd.Timestamp(cal.next_open(now)).tz_convert("UTC").isoformat()
        next_close = pd.Timestamp(cal.next_close(now)).tz_convert("UTC").isoformat()
    return MarketStatus(
        calendar=calendar,
        now=now.isoformat(),
        is_open=is_open,
        session=session,
        next_open=next_open,
        next_close=next_close,
        timezone=str(cal.tz),
    )


# -- indicators ---------------------------------------------------------------------------------


class IndicatorColumn(BaseModel):
    key: str
    indicator: str
    output: str
    params: dict[str, Any]
    lookback: int = Field(description="leading bars without a value (warm-up)")


class IndicatorTable(BaseModel):
    symbol: str
    spec: str
    bars_in_range: int
    rows_shown: int
    columns: list[IndicatorColumn]
    rows: list[dict[str, Any]] = Field(
        description="the last rows: time, close and one value per column (null during warm-up)"
    )


def indicator_values(
    symbol: str,
    indicators: Sequence[Mapping[str, Any]],
    *,
    spec: str | None = None,
    start: str | None = None,
    end: str | None = None,
    limit: int = 50,
    catalog: CatalogLike = None,
) -> IndicatorTable:
    """Indicators (``[{"name": "rsi", "params": {"timeperiod": 14}}, ...]``) on ``symbol``'s
    bars in ``start..end``; the last ``limit`` rows are returned. Computed over the whole
    range, so values near its start carry the warm-up's missing values."""
    import numpy as np

    from neural_trader.indicators import compute, get_indicator
    from neural_trader.services.research import load_bars

    if not indicators:
        raise InvalidArgumentError("give at least one indicator, e.g. {'name': 'rsi'}")
    if limit < 1:
        raise InvalidArgumentError(f"limit must be >= 1, got {limit}")
    name, spec_str, frame = load_bars(
        symbol=symbol, data_file=None, spec=spec, start=start, end=end, catalog=catalog
    )
    if frame.empty:
        raise DataValidationError(f"no bars of {name} in the requested range")
    columns: list[IndicatorColumn] = []
    values: dict[str, npt.NDArray[np.float64]] = {}
    for item in indicators:
        ind = get_indicator(str(item.get("name", "")))
        params = dict(item.get("params") or {})
        out = compute(ind.name, frame, **params)
        arrays = list(out) if isinstance(out, tuple) else [out]
        tag = (
            ind.name
            if not params
            else f"{ind.name}({','.join(f'{k}={v}' for k, v in params.items())})"
        )
        base = str(item.get("label") or tag)
        look = ind.lookback(**params)
        for output, arr in zip(ind.outputs, arrays, strict=True):
            key = base if len(ind.outputs) == 1 else f"{base}.{output}"
            if key in values:
                raise InvalidArgumentError(
                    f"indicator column {key!r} is asked for twice; give one a 'label'"
                )
            values[key] = np.asarray(arr, dtype=np.float64)
            columns.append(
                IndicatorColumn(
                    key=key, indicator=ind.name, output=output, params=params, lookback=look
                )
            )
    shown = min(limit, len(frame))
    ts = frame["ts_event"].to_numpy()[-shown:]
    close = frame["close"].to_numpy(dtype=np.float64)[-shown:]
    daily = spec_str.endswith(("d", "w"))
    rows: list[dict[str, Any]] = []
    for i in range(shown):
        j = len(frame) - shown + i
        row: dict[str, Any] = {
            "time": ns_to_label(int(ts[i]), daily=daily),
            "close": float(close[i]),
        }
        for key, arr in values.items():
            row[key] = _finite(float(arr[j]))
        rows.append(row)
    return IndicatorTable(
        symbol=name,
        spec=spec_str,
        bars_in_range=len(frame),
        rows_shown=shown,
        columns=columns,
        rows=rows,
    )
