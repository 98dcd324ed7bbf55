"""Research services: list strategies, run a backtest with either engine, check look-ahead.

The CLI's ``backtest`` and ``strategies`` commands and, later, the MCP tools call these; the
numbers in their output are what the engines and :mod:`neural_trader.analytics` computed.
The strategy descriptions live in :mod:`neural_trader.services.research_views` (no pandas, so
the MCP server can use them when it starts) and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel

from neural_trader.core.errors import (
    DataValidationError,
    InvalidArgumentError,
)
from neural_trader.data.catalog import Catalog
from neural_trader.services.data import _resolve_spec, open_catalog
from neural_trader.services.formatting import ns_to_label
from neural_trader.services.research_views import ParamInfo, StrategyInfo

__all__ = [
    "BacktestSummary",
    "ParamInfo",
    "StrategyInfo",
    "list_strategy_infos",
    "load_bars",
    "run_backtest",
]

Engine = Literal["vector", "event"]
Fill = Literal["open", "close"]
Sizer = Literal["all_in", "fixed", "target_weight", "vol_target"]


def list_strategy_infos() -> list[StrategyInfo]:
    """Every registered strategy with its declared parameters and data requirements."""
    from neural_trader.strategies import get_strategy, strategy_names

    out = []
    for name in strategy_names():
        cls = get_strategy(name)
        params = [
            ParamInfo(
                name=key,
                kind=p.kind,
                default=p.default,
                description=p.description,
                json_schema=p.schema(),
                grid=p.grid() if len(p.grid()) <= 50 else p.grid()[:50],
            )
            for key, p in cls.parameters().items()
        ]
        out.append(
            StrategyInfo(
                name=name,
                description=cls.description,
                long_only=cls.long_only,
                requires=[
                    {
                        "name": r.name,
                        "kind": r.kind,
                        "description": r.description,
                        "optional": r.optional,
                    }
                    for r in cls.requires
                ],
                parameters=params,
            )
        )
    return out


class SkippedOrder(BaseModel):
    bar: int
    time: str
    quantity: float
    reason: str


class LookaheadSummary(BaseModel):
    ok: bool
    points: list[int]
    differences: list[dict[str, Any]]


class BacktestSummary(BaseModel):
    """The result of one backtest. The top-level numbers are the ones scripts read."""

    strategy: str
    params: dict[str, Any]
    symbol: str
    spec: str
    engine: str
    fill: str
    bars: int
    first: str
    last: str
    periods_per_year: float
    cash: float
    fees: float
    slippage: float
    sizer: str
    final_equity: float
    total_return: float | None
    trades: int
    open_trades: int
    sharpe: float | None
    sortino: float | None
    max_drawdown: float | None
    cagr: float | None
    win_rate: float | None
    profit_factor: float | None
    exposure: float | None
    metrics: dict[str, Any]
    skipped_orders: int
    skipped: list[SkippedOrder]
    notes: list[str]
    report: str | None = None
    plot: str | None = None
    lookahead: LookaheadSummary | None = None


def load_bars(
    *,
    symbol: str | None,
    data_file: str | Path | None,
    spec: str | None = None,
    start: str | int | None = None,
    end: str | int | None = None,
    tz: str = "UTC",
    catalog: Catalog | str | Path | None = None,
) -> tuple[str, str, pd.DataFrame]:
    """Bars from the catalog (``symbol``) or straight from a file (``data_file``, not stored).

    A file is validated like an import and refused on any error, so a backtest never runs on
    bars that ``data import`` would have rejected.
    """
    from neural_trader.data.timebounds import to_ns

    if (symbol is None) == (data_file is None):
        raise InvalidArgumentError("give exactly one of --symbol (from the catalog) or --data FILE")
    lo = None if start is None else to_ns(start, tz=tz)
    hi = None if end is None else to_ns(end, tz=tz, end=True)
    if data_file is not None:
        from neural_trader.data.importers import import_bars

        result = import_bars(data_file, spec=spec, tz=tz)
        frame = result.frame
        if lo is not None or hi is not None:
            ts = frame["ts_event"].to_numpy()
            keep = np.ones(len(ts), dtype=bool)
            if lo is not None:
                keep &= ts >= lo
            if hi is not None:
                keep &= ts <= hi
            frame = frame.loc[keep].reset_index(drop=True)
        name = symbol or Path(data_file).stem
        return name, str(result.spec), frame
    assert symbol is not None
    cat = open_catalog(catalog)
    bar_spec = _resolve_spec(cat, symbol, spec)
    return symbol, str(bar_spec), cat.read_bars(symbol, bar_spec, start=lo, end=hi)


def run_backtest(
    strategy: str,
    *,
    symbol: str | None = None,
    data_file: str | Path | None = None,
    spec: str | None = None,
    params: Mapping[str, Any] | None = None,
    cash: float = 10_000.0,
    fees: float = 0.001,
    slippage: float = 0.0,
    fill: Fill = "open",
    engine: Engine = "vector",
    sizer: Sizer = "all_in",
    start: str | int | None = None,
    end: str | int | None = None,
    periods_per_year: float | None = None,
    report: str | Path | None = None,
    plot: str | Path | None = None,
    check_lookahead: bool = False,
    inputs: Mapping[str, str] | None = None,
    catalog: Catalog | str | Path | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> BacktestSummary:
    """Backtest one strategy on one symbol and summarise the result.

    ``inputs`` feeds the strategy's declared data requirements: ``{"other": "IXIC"}`` (a
    catalog symbol or a bar file, for ``bars`` requirements) or
    ``{"sentiment": "news.csv:score"}`` (a CSV with a timestamp column and a value column,
    for ``series`` requirements). Two-leg strategies (``pairs``) run on the vectorized
    portfolio engine with shared cash. ``on_chunk(done, total)`` reports the event engine's
    progress every chunk of bars and is its cancel point (what it raises propagates).
    """
    from neural_trader.analytics import summarize
    from neural_trader.backtest import BacktestConfig, SkipReason
    from neural_trader.data.frequency import infer_periods_per_year
    from neural_trader.strategies import StrategyData, create_strategy

    strat = create_strategy(strategy, **_with_costs(strategy, params, fees, slippage))
    name, spec_str, frame = load_bars(
        symbol=symbol, data_file=data_file, spec=spec, start=start, end=end, catalog=catalog
    )
    if len(frame) < 2:
        raise DataValidationError(
            f"{len(frame)} bar(s) of {name} in the requested range; a backtest needs at least 2",
            hint="widen --start/--end or import more data",
        )
    if len(frame) <= strat.warmup:
        raise InvalidArgumentError(
            f"{strategy} needs {strat.warmup} bars of warm-up and the range has {len(frame)}",
            hint="widen the range or shorten the strategy's periods",
        )
    notes_in: list[str] = []
    frame, feeds, others = _resolve_inputs(
        strat, frame, spec_str, dict(inputs or {}), start, end, catalog, notes_in
    )
    data = StrategyData.from_frame(frame, name, feeds=feeds)
    config = BacktestConfig(cash=cash, fee_rate=fees, slippage=slippage, fill=fill, sizer=sizer)
    ts = data.ts_event
    ppy = periods_per_year or infer_periods_per_year(ts, spec_str)
    legs = getattr(strat, "signals_legs", None)
    result: Any
    if legs is not None:
        other = StrategyData.from_frame(others["other"], "other")
        pconfig = config.model_copy(update={"sizer": "target_weight", "long_only": False})
        if engine == "event":
            from neural_trader.backtest.event import run_event_portfolio

            result = _PortfolioView(
                run_event_portfolio(strat, [data, other], pconfig, spec=spec_str)
            )
        else:
            from neural_trader.backtest import run_portfolio

            result = _PortfolioView(run_portfolio(legs(data), [data, other], pconfig))
    elif engine == "vector":
        from neural_trader.backtest import run_vector

        result = run_vector(strat, data, config)
    elif engine == "event":
        from neural_trader.backtest.event import run_event

        result = run_event(strat, data, config, spec=spec_str, on_chunk=on_chunk)
    else:
        raise InvalidArgumentError(f"engine must be vector or event, got {engine!r}")

    # equity[0] of a summary is the starting capital: the wealth baseline before bar 0.
    equity = np.concatenate(([cash], np.asarray(result.equity, dtype=np.float64)))
    positions = np.concatenate(([0.0], np.asarray(result.position, dtype=np.float64)))
    summary = summarize(equity, periods_per_year=ppy, trades=result.trades, positions=positions)
    metrics = summary.to_dict()
    daily = spec_str.endswith(("d", "w"))
    skipped_rows = result.skipped
    skipped = [
        SkippedOrder(
            bar=int(r["idx"]),
            time=ns_to_label(int(r["ts"]), daily=daily),
            quantity=float(r["quantity"]),
            reason=SkipReason(int(r["reason"])).name.lower(),
        )
        for r in skipped_rows[:20]
    ]
    notes = notes_in + list(strat.notes) + list(metrics.get("notes") or [])
    if len(skipped_rows):
        notes.append(
            f"{len(skipped_rows)} order(s) were below the minimum size or notional and were "
            "not sent; see 'skipped'"
        )
    out = BacktestSummary(
        strategy=strategy,
        params=strat.p.as_dict(),
        symbol=name,
        spec=spec_str,
        engine=engine,
        fill=fill,
        bars=len(data),
        first=ns_to_label(int(ts[0]), daily=daily),
        last=ns_to_label(int(ts[-1]), daily=daily),
        periods_per_year=ppy,
        cash=cash,
        fees=fees,
        slippage=slippage,
        sizer=sizer,
        final_equity=float(equity[-1]),
        total_return=metrics["total_return"],
        trades=int(metrics["trades"]),
        open_trades=int(metrics["open_trades"]),
        sharpe=metrics["sharpe"],
        sortino=metrics["sortino"],
        max_drawdown=metrics["max_drawdown"],
        cagr=metrics["cagr"],
        win_rate=metrics["win_rate"],
        profit_factor=metrics["profit_factor"],
        exposure=metrics["exposure"],
        metrics=metrics,
        skipped_orders=len(skipped_rows),
        skipped=skipped,
        notes=notes,
    )
    if report is not None:
        from neural_trader.analytics.reports import write_html_report

        write_html_report(
            Path(report),
            equity=equity[1:],
            ts_event=ts,
            summary=summary,
            trades=result.trades,
            title=f"{strategy} on {name} ({spec_str}, {engine} engine)",
        )
        out.report = str(report)
    if plot is not None:
        from neural_trader.analytics.reports import write_png_report

        write_png_report(
            Path(plot),
            equity=equity[1:],
            ts_event=ts,
            summary=summary,
            title=f"{strategy} on {name}",
        )
        out.plot = str(plot)
    if check_lookahead:
        other_leg = StrategyData.from_frame(others["other"], "other") if legs is not None else None
        out.lookahead = _lookahead(strat, data, config, engine, other_leg)
    return out


def _with_costs(
    strategy: str, params: Mapping[str, Any] | None, fees: float, slippage: float
) -> dict[str, Any]:
    """The user's parameters, plus the backtest's costs for a strategy that declares
    ``fee_rate``/``slippage`` parameters (``neural_arbitrage`` weighs its expected profit
    against them) and was not given its own."""
    from neural_trader.strategies import get_strategy

    out = dict(params or {})
    declared = get_strategy(strategy).parameters()
    for key, value in (("fee_rate", fees), ("slippage", slippage)):
        if key in declared and out.get(key) is None:
            out[key] = value
    return out


def _lookahead(
    strategy: Any, data: Any, config: Any, engine: Engine, other: Any = None
) -> LookaheadSummary:
    """Signals and fills on truncated data must equal the full run's up to the cut.

    ``other``: the second leg of a two-leg strategy; its orders are checked through the
    portfolio engines with the second leg cut at the same bar.
    """
    from neural_trader.strategies.lookahead import check_lookahead

    def run(d: Any) -> tuple[np.ndarray, np.ndarray]:
        if other is not None:
            pconfig = config.model_copy(update={"sizer": "target_weight", "long_only": False})
            leg = other.head(len(d))
            if engine == "event":
                from neural_trader.backtest.event import run_event_portfolio

                pres: Any = run_event_portfolio(strategy, [d, leg], pconfig)
            else:
                from neural_trader.backtest import run_portfolio

                pres = run_portfolio(strategy.signals_legs(d), [d, leg], pconfig)
            return np.asarray(pres.orders["idx"]), np.asarray(pres.orders["quantity"])
        if engine == "event":
            from neural_trader.backtest.event import run_event

            res: Any = run_event(strategy, d, config)
        else:
            from neural_trader.backtest import run_vector

            res = run_vector(strategy, d, config)
        return np.asarray(res.orders["idx"]), np.asarray(res.orders["quantity"])

    rep = check_lookahead(strategy, data, engine_check=run)
    return LookaheadSummary(
        ok=rep.ok,
        points=[int(p) for p in rep.points],
        differences=[_as_dict(d) for d in rep.violations[:20]],
    )


def _as_dict(obj: Any) -> dict[str, Any]:
    if hasattr(obj, "to_dict"):
        out: dict[str, Any] = obj.to_dict()
        return out
    if hasattr(obj, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(obj)
    return {"detail": str(obj)}


class _PortfolioView:
    """A two-leg portfolio result seen through the single-asset fields the summary reads."""

    def __init__(self, res: Any) -> None:
        self.equity = res.equity
        # Exposure counts bars with any open leg.
        self.position = np.abs(np.asarray(res.positions)).sum(axis=1)
        self.trades = res.trades
        self.skipped = res.skipped
        self.orders = res.orders


def _resolve_inputs(
    strat: Any,
    frame: pd.DataFrame,
    spec: str,
    inputs: dict[str, str],
    start: str | int | None,
    end: str | int | None,
    catalog: Catalog | str | Path | None,
    notes: list[str],
) -> tuple[pd.DataFrame, dict[str, np.ndarray], dict[str, pd.DataFrame]]:
    """Load and align every declared input; bars are joined on common timestamps."""
    declared = {r.name: r for r in strat.requires}
    unknown = sorted(set(inputs) - set(declared))
    if unknown:
        names = ", ".join(declared) or "none"
        raise InvalidArgumentError(
            f"strategy {strat.name!r} takes no input {', '.join(unknown)} (it takes: {names})"
        )
    feeds: dict[str, np.ndarray] = {}
    others: dict[str, pd.DataFrame] = {}
    # Bars first: their joins trim the frame that series are then aligned to.
    for req in sorted(strat.requires, key=lambda r: r.kind != "bars"):
        source = inputs.get(req.name)
        if source is None:
            if not req.optional:
                raise InvalidArgumentError(
                    f"strategy {strat.name!r} needs {req.name} ({req.description})",
                    hint=f"pass --with {req.name}=SYMBOL (a catalog symbol or a bar file)"
                    if req.kind == "bars"
                    else f"pass --with {req.name}=FILE.csv:column",
                )
            continue
        if req.kind == "bars":
            as_file = Path(source)
            if as_file.is_file():
                _, _, other = load_bars(
                    symbol=None, data_file=as_file, spec=spec, start=start, end=end
                )
            else:
                _, _, other = load_bars(
                    symbol=source, data_file=None, spec=spec, start=start, end=end, catalog=catalog
                )
            common = np.intersect1d(frame["ts_event"].to_numpy(), other["ts_event"].to_numpy())
            if len(common) < 2:
                raise DataValidationError(
                    f"{source} shares {len(common)} bar time(s) with the primary symbol"
                )
            dropped = len(frame) - len(common)
            if dropped or len(other) != len(common):
                notes.append(
                    f"{req.name}={source}: aligned on {len(common):,} common bar times "
                    f"({dropped:,} primary and {len(other) - len(common):,} {source} bars "
                    "without a partner left out)"
                )
            frame = frame[frame["ts_event"].isin(common)].reset_index(drop=True)
            other = other[other["ts_event"].isin(common)].reset_index(drop=True)
            others[req.name] = other
            feeds[req.name] = other["close"].to_numpy(dtype=np.float64)
        else:
            feeds[req.name] = _read_series(source, frame, notes, req.name)
    for name, other in others.items():  # re-trim bar feeds after later joins
        keep = other["ts_event"].isin(frame["ts_event"])
        others[name] = other[keep].reset_index(drop=True)
        feeds[name] = others[name]["close"].to_numpy(dtype=np.float64)
    return frame, feeds, others


def _read_series(source: str, frame: pd.DataFrame, notes: list[str], name: str) -> np.ndarray:
    """``FILE.csv[:column]``: first column timestamps (dates are midnight UTC), values aligned
    to the bars by exact time; bars without a value get NaN (the strategy treats it as absent).
    """
    path_text, _, column = source.rpartition(":") if ":" in source else (source, "", "")
    path = Path(path_text or source)
    if not path.is_file():
        raise InvalidArgumentError(f"--with {name}={source}: {path} is not a file")
    table = pd.read_csv(path)
    if table.shape[1] < 2:
        raise DataValidationError(f"{path} needs a time column and a value column")
    col = column or table.columns[1]
    if col not in table.columns:
        raise InvalidArgumentError(
            f"{path} has no column {col!r}; columns: {', '.join(map(str, table.columns))}"
        )
    when = pd.to_datetime(table.iloc[:, 0], utc=True, errors="coerce")
    if when.isna().any():
        bad = int(np.flatnonzero(when.isna().to_numpy())[0]) + 2
        raise DataValidationError(f"{path}: unreadable time on line {bad}")
    values = pd.to_numeric(table[col], errors="coerce")
    series = pd.Series(
        values.to_numpy(dtype=np.float64), index=when.dt.as_unit("ns").astype("int64").to_numpy()
    )
    if series.index.has_duplicates:
        raise DataValidationError(f"{path}: duplicate times in the {col} series")
    aligned = series.reindex(frame["ts_event"].to_numpy()).to_numpy(dtype=np.float64)
    matched = int(np.isfinite(aligned).sum())
    notes.append(f"{name}: {matched:,} of {len(frame):,} bars have a value from {path.name}")
    return aligned
