"""Stress tests: named historical episodes replayed from real prices, and user-defined shocks.

A stress loss is only worth reading if every number in it happened or was stated by the user,
so nothing here fills a gap: a position whose symbol has no prices covering an episode is
reported as NOT COVERED, with the reason (history starts later, ends earlier, a gap around the
start), and contributes nothing to the total, which is then flagged ``complete=False`` with
the share of gross exposure it does cover. A caller may name a PROXY for such a symbol (say
SPX for a stock listed in 2012); the proxy's own real move is then applied and labelled as such.

Historical episodes (:data:`HISTORICAL_SCENARIOS`):

* ``close_to_close`` (2008 crisis, COVID crash): from the last close on or before the start
  date (the start may be a holiday: 2008-09-01 was Labor Day) to the last close on or before
  the end date, on ADJUSTED closes (a split inside the window is not a crash). The portfolio's
  worst point inside the window is reported too, from each covered symbol's daily closes
  (a symbol without a bar on a day keeps its last close).
* ``intraday_low`` (the 6 May 2010 flash crash): from the last close BEFORE the start date to
  the lowest low inside the window, from whatever bars the catalog holds (a daily bar's low is
  that day's intraday low). The lows of different symbols need not have coincided in time, so
  the portfolio figure is the loss had they done so.

User shocks: a simple return per asset, or per factor. A factor is a return series (a catalog
symbol such as an index); each asset's shock is ``sum_f beta_(i,f) * shock_f`` with betas from
an OLS regression of the asset's daily returns on the factors' (intercept included, then not
applied: it is a daily drift, not part of a shock). A per-asset shock overrides the factor one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final, Literal

import numpy as np
import pandas as pd

from neural_trader.core.errors import InvalidArgumentError, NotFoundError

__all__ = [
    "HISTORICAL_SCENARIOS",
    "HistoricalScenario",
    "PositionShock",
    "ScenarioKind",
    "StressResult",
    "estimate_betas",
    "get_scenario",
    "replay_scenario",
    "shock_scenario",
]

ScenarioKind = Literal["close_to_close", "intraday_low"]
_MAX_GAP: Final = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class HistoricalScenario:
    name: str
    start: date
    end: date
    kind: ScenarioKind
    description: str


HISTORICAL_SCENARIOS: Final[dict[str, HistoricalScenario]] = {
    "2008_crisis": HistoricalScenario(
        "2008_crisis",
        date(2008, 9, 1),
        date(2009, 3, 9),
        "close_to_close",
        "Global financial crisis: the month of Lehman's failure to the March 2009 low",
    ),
    "covid_crash": HistoricalScenario(
        "covid_crash",
        date(2020, 2, 19),
        date(2020, 3, 23),
        "close_to_close",
        "COVID-19 crash: the S&P 500's record close of 19 Feb 2020 to the 23 Mar 2020 low",
    ),
    "flash_crash": HistoricalScenario(
        "flash_crash",
        date(2010, 5, 6),
        date(2010, 5, 6),
        "intraday_low",
        "Flash crash of 6 May 2010: the previous close to the day's intraday low",
    ),
}


def get_scenario(name: str) -> HistoricalScenario:
    try:
        return HISTORICAL_SCENARIOS[name]
    except KeyError:
        raise NotFoundError(
            f"unknown stress scenario {name!r}",
            hint="known scenarios: " + ", ".join(HISTORICAL_SCENARIOS),
        ) from None


@dataclass(frozen=True, slots=True)
class PositionShock:
    """One position under a scenario: the move applied and its P&L, or why there is none."""

    symbol: str
    exposure: float
    shock: float | None
    """Simple return applied (``-0.3`` = a 30% fall); None when not covered."""
    pnl: float | None
    source: str
    """``history``, ``proxy:SYM``, ``user``, ``factor`` or ``none`` (not covered)."""
    detail: str


@dataclass(frozen=True, slots=True)
class StressResult:
    """A scenario's P&L (money, negative = loss) over the positions it covers."""

    scenario: str
    kind: str
    description: str
    start: str | None
    end: str | None
    pnl: float | None
    """Sum over the covered positions; None when no position is covered (not a zero loss)."""
    pnl_fraction: float | None
    """``pnl / value``."""
    value: float
    complete: bool
    """Every position has a shock; otherwise ``pnl`` covers only part of the book."""
    covered_exposure: float
    """Share of the gross exposure that has a shock (1.0 when complete)."""
    worst_pnl: float | None = None
    """Lowest portfolio P&L inside the window (close_to_close replays)."""
    worst_date: str | None = None
    positions: tuple[PositionShock, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def _dates(frame: pd.DataFrame) -> pd.DatetimeIndex:
    idx = frame.index
    if not isinstance(idx, pd.DatetimeIndex):
        raise InvalidArgumentError("price history must be indexed by date")
    return idx.tz_localize(None) if idx.tz is not None else idx


@dataclass(frozen=True, slots=True)
class _Move:
    shock: float | None
    detail: str
    path: pd.Series | None = None


def _fmt(d: pd.Timestamp) -> str:
    return d.date().isoformat()


def _episode_move(frame: pd.DataFrame | None, sc: HistoricalScenario) -> _Move:
    """The real move of one symbol over ``sc``, or the reason there is none."""
    if frame is None or frame.empty:
        return _Move(None, "no daily bars in the catalog")
    if "close" not in frame.columns:
        raise InvalidArgumentError("price history needs a close column")
    idx = _dates(frame)
    close = frame["close"].to_numpy(dtype=np.float64)
    start, end = pd.Timestamp(sc.start), pd.Timestamp(sc.end)
    first, last = idx[0], idx[-1]
    base_mask = idx < start if sc.kind == "intraday_low" else idx <= start
    if not base_mask.any():
        return _Move(None, f"history starts {_fmt(first)}, after the scenario start {sc.start}")
    if last < end:
        return _Move(None, f"history ends {_fmt(last)}, before the scenario end {sc.end}")
    b = int(np.flatnonzero(base_mask)[-1])
    if start - idx[b] > _MAX_GAP:
        return _Move(None, f"no close within 7 days before {sc.start} (last {_fmt(idx[b])})")
    base = close[b]
    if sc.kind == "intraday_low":
        window = (idx >= start) & (idx <= end + pd.Timedelta(days=1) - pd.Timedelta(1))
        if not window.any():
            return _Move(None, f"no bar inside {sc.start}..{sc.end}")
        if "low" not in frame.columns:
            raise InvalidArgumentError("an intraday_low scenario needs a low column")
        lows = frame["low"].to_numpy(dtype=np.float64)[window]
        k = int(np.argmin(lows))
        trough = float(lows[k])
        when = idx[window][k]
        at = _fmt(when) if when == when.normalize() else when.isoformat()
        return _Move(
            trough / base - 1.0,
            f"close {_fmt(idx[b])} {base:.6g} -> low {trough:.6g} ({at})",
        )
    e = int(np.flatnonzero(idx <= end)[-1])
    if end - idx[e] > _MAX_GAP:
        return _Move(None, f"no close within 7 days before {sc.end} (last {_fmt(idx[e])})")
    path = pd.Series(close[b + 1 : e + 1] / base - 1.0, index=idx[b + 1 : e + 1])
    return _Move(
        close[e] / base - 1.0,
        f"close {_fmt(idx[b])} {base:.6g} -> {_fmt(idx[e])} {close[e]:.6g}",
        path,
    )


def _summarise(
    name: str,
    kind: str,
    description: str,
    start: str | None,
    end: str | None,
    rows: list[PositionShock],
    value: float,
    notes: list[str],
    worst: tuple[float, str] | None = None,
) -> StressResult:
    gross = sum(abs(r.exposure) for r in rows)
    covered = [r for r in rows if r.pnl is not None]
    pnl = float(sum(r.pnl for r in covered if r.pnl is not None)) if covered else None
    cov_gross = sum(abs(r.exposure) for r in covered)
    complete = len(covered) == len(rows)
    if not complete:
        missing = [r.symbol for r in rows if r.pnl is None]
        notes.append(
            f"{len(missing)} of {len(rows)} position(s) not covered ({', '.join(missing)}): "
            f"the P&L covers {cov_gross / gross:.1%} of the gross exposure"
        )
    return StressResult(
        scenario=name,
        kind=kind,
        description=description,
        start=start,
        end=end,
        pnl=pnl,
        pnl_fraction=None if pnl is None else pnl / value,
        value=value,
        complete=complete,
        covered_exposure=cov_gross / gross if gross > 0 else math.nan,
        worst_pnl=None if worst is None else worst[0],
        worst_date=None if worst is None else worst[1],
        positions=tuple(rows),
        notes=tuple(notes),
    )


def _check_value(value: float) -> float:
    if not math.isfinite(value) or value <= 0.0:
        raise InvalidArgumentError(f"the portfolio value must be positive, got {value}")
    return float(value)


def replay_scenario(
    scenario: HistoricalScenario | str,
    exposures: Mapping[str, float],
    history: Mapping[str, pd.DataFrame | None],
    *,
    value: float,
    proxies: Mapping[str, str] | None = None,
) -> StressResult:
    """Replay a historical episode on ``exposures`` (money per symbol).

    ``history[sym]`` is the symbol's adjusted daily (or finer) bars indexed by date with
    ``close`` (and ``low`` for intraday scenarios); ``proxies`` maps an uncovered symbol to
    another key of ``history`` whose move stands in for it.
    """
    sc = get_scenario(scenario) if isinstance(scenario, str) else scenario
    value = _check_value(value)
    rows: list[PositionShock] = []
    paths: dict[str, pd.Series] = {}
    notes: list[str] = []
    for sym, exp in exposures.items():
        move = _episode_move(history.get(sym), sc)
        source = "history"
        detail = move.detail
        proxy = (proxies or {}).get(sym)
        if move.shock is None and proxy is not None:
            pmove = _episode_move(history.get(proxy), sc)
            if pmove.shock is not None:
                detail = f"{sym}: {move.detail}; proxy {proxy}: {pmove.detail}"
                move, source = pmove, f"proxy:{proxy}"
            else:
                detail = f"{move.detail}; proxy {proxy} not covered either: {pmove.detail}"
        if move.shock is None:
            rows.append(PositionShock(sym, float(exp), None, None, "none", detail))
            continue
        rows.append(PositionShock(sym, float(exp), move.shock, exp * move.shock, source, detail))
        if move.path is not None:
            paths[sym] = move.path * exp
    worst = None
    if paths:
        frame = pd.concat(paths, axis=1).sort_index().ffill().fillna(0.0)
        total = frame.sum(axis=1)
        k = int(np.argmin(total.to_numpy()))
        worst = (float(total.iloc[k]), _fmt(pd.Timestamp(total.index[k])))
    if sc.kind == "intraday_low" and len(rows) > 1:
        notes.append("lows of different symbols need not coincide in time")
    return _summarise(
        sc.name,
        sc.kind,
        sc.description,
        sc.start.isoformat(),
        sc.end.isoformat(),
        rows,
        value,
        notes,
        worst,
    )


def _check_shock(name: str, shock: float) -> float:
    if not math.isfinite(shock) or shock <= -1.0:
        raise InvalidArgumentError(f"shock for {name} must be a finite return above -100%: {shock}")
    return float(shock)


def estimate_betas(asset_returns: pd.DataFrame, factor_returns: pd.DataFrame) -> pd.DataFrame:
    """OLS betas (assets x factors) of daily returns on factor returns, with an intercept.

    Rows are aligned on the index and rows with a missing value dropped; fewer than 20 common
    rows is refused (a beta from a handful of days is noise).
    """
    common = asset_returns.index.intersection(factor_returns.index)
    y = asset_returns.loc[common].to_numpy(dtype=np.float64)
    x = factor_returns.loc[common].to_numpy(dtype=np.float64)
    keep = np.isfinite(y).all(axis=1) & np.isfinite(x).all(axis=1)
    y, x = y[keep], x[keep]
    if y.shape[0] < 20:
        raise InvalidArgumentError(
            f"only {y.shape[0]} common return(s) between the assets and the factors; "
            "betas need at least 20"
        )
    k = factor_returns.shape[1]
    design = np.column_stack([np.ones(y.shape[0]), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return pd.DataFrame(
        coef[1 : k + 1].T, index=asset_returns.columns, columns=factor_returns.columns
    )


def shock_scenario(
    name: str,
    exposures: Mapping[str, float],
    *,
    value: float,
    asset_shocks: Mapping[str, float] | None = None,
    factor_shocks: Mapping[str, float] | None = None,
    betas: pd.DataFrame | None = None,
) -> StressResult:
    """Apply user shocks: per asset, else through ``betas`` (assets x factors) per factor."""
    value = _check_value(value)
    a_shocks = {k: _check_shock(k, v) for k, v in (asset_shocks or {}).items()}
    f_shocks = {k: _check_shock(k, v) for k, v in (factor_shocks or {}).items()}
    if not a_shocks and not f_shocks:
        raise InvalidArgumentError("give at least one asset or factor shock")
    unknown = set(a_shocks) - set(exposures)
    if unknown:
        raise InvalidArgumentError(
            f"shock for symbol(s) not in the portfolio: {', '.join(sorted(unknown))}"
        )
    if f_shocks:
        if betas is None:
            raise InvalidArgumentError("factor shocks need betas (assets x factors)")
        missing = set(f_shocks) - set(betas.columns)
        if missing:
            raise InvalidArgumentError(f"no betas for factor(s) {', '.join(sorted(missing))}")
    beta_map: dict[str, dict[str, float]] = {}
    if betas is not None:
        for sym_b, row in betas.to_dict(orient="index").items():
            beta_map[str(sym_b)] = {str(f): float(v) for f, v in row.items()}
    rows: list[PositionShock] = []
    for sym, exp in exposures.items():
        if sym in a_shocks:
            s = a_shocks[sym]
            rows.append(PositionShock(sym, float(exp), s, exp * s, "user", f"shock {s:+.2%}"))
            continue
        if f_shocks and sym in beta_map:
            parts = {f: beta_map[sym][f] for f in f_shocks}
            s = sum(b * f_shocks[f] for f, b in parts.items())
            if s <= -1.0:
                s = -1.0
            detail = " + ".join(f"{b:.3f} x {f} {f_shocks[f]:+.2%}" for f, b in parts.items())
            rows.append(PositionShock(sym, float(exp), s, exp * s, "factor", detail))
            continue
        rows.append(
            PositionShock(sym, float(exp), None, None, "none", "no asset shock and no beta")
        )
    notes: list[str] = []
    if any(r.source == "factor" and r.shock == -1.0 for r in rows):
        notes.append("a factor-implied shock below -100% was capped at -100%")
    return _summarise(name, "shock", "user-defined shocks", None, None, rows, value, notes)
