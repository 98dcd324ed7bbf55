"""Portfolio-risk services: VaR/CVaR, stress tests, correlation, optimisation, Kelly, rebalance.

The CLI's ``risk`` commands and, later, the MCP tools call these; they read prices from the
catalog, call :mod:`neural_trader.risk`, and return pydantic models that serialise to JSON as
they are. Every number in them was computed from the catalog's prices and the caller's inputs.

Price conventions: returns are daily SIMPLE returns of ADJUSTED closes (``adj_close`` when the
series has one, else ``close``), aligned on the dates every symbol has (an inner join: a
missing day for one symbol drops that day for all, which the report counts). A position
without a price is valued at the symbol's last RAW close on or before ``end``: what it would
trade at, not a dividend-adjusted figure. Risk needs daily bars: a symbol stored only
intraday is refused with the command that makes daily bars.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from neural_trader.core.data import BarSpec
from neural_trader.core.errors import (
    CatalogError,
    DataFormatError,
    InvalidArgumentError,
    NotFoundError,
)
from neural_trader.data.catalog import Catalog
from neural_trader.data.schema import TS
from neural_trader.risk.portfolio import (
    Portfolio,
    build_portfolio,
    check_symbols,
    load_portfolio_file,
    parse_positions,
)
from neural_trader.services.data import open_catalog

__all__ = [
    "CorrelationReport",
    "KellyReport",
    "OptimizeReport",
    "RebalanceReport",
    "StressReport",
    "VarBacktestReport",
    "VarReport",
    "correlation_report",
    "kelly_sizing",
    "load_returns",
    "load_targets",
    "optimize_portfolio",
    "parse_targets",
    "portfolio_var_report",
    "rebalance_portfolio",
    "resolve_portfolio",
    "stress_test",
]

DAILY = BarSpec.parse("1d")
CatalogLike = Catalog | str | Path | None


# -- inputs -----------------------------------------------------------------------------------


def _daily_bars(
    cat: Catalog, symbol: str, *, start: str | None = None, end: str | None = None
) -> pd.DataFrame:
    from neural_trader.data.timebounds import to_ns

    specs = cat.specs(symbol)  # UnknownSymbolError for unknown symbols
    if DAILY not in specs:
        raise CatalogError(
            f"risk needs daily bars; {symbol} is stored as {', '.join(map(str, specs))}",
            hint=f"neural-trader data resample {symbol} --from {min(specs, key=lambda s: s.nanos)} "
            "--to 1d --calendar XNYS",
        )
    return cat.read_bars(
        symbol,
        DAILY,
        start=None if start is None else to_ns(start),
        end=None if end is None else to_ns(end, end=True),
    )


def _dates(ts: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(ts, unit="ns")).normalize()


def _adjusted_close(frame: pd.DataFrame) -> np.ndarray:
    close = frame["close"].to_numpy(dtype=np.float64)
    if "adj_close" in frame.columns:
        adj = frame["adj_close"].to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isfinite(adj).all() and (adj > 0).all():
            return adj
    return close


def load_returns(
    symbols: Sequence[str],
    *,
    catalog: CatalogLike = None,
    start: str | None = None,
    end: str | None = None,
    lookback: int | None = None,
    minimum: int = 20,
) -> pd.DataFrame:
    """Daily simple returns of adjusted closes, one column per symbol, on common dates.

    ``lookback`` keeps the last N returns. Refuses fewer than ``minimum`` common returns.
    """
    if not symbols:
        raise InvalidArgumentError("no symbols given")
    cat = open_catalog(catalog)
    closes = {}
    for sym in dict.fromkeys(symbols):
        frame = _daily_bars(cat, sym, start=start, end=end)
        if len(frame) < 2:
            raise CatalogError(f"{sym} has {len(frame)} daily bar(s) in the range; need more")
        closes[sym] = pd.Series(_adjusted_close(frame), index=_dates(frame[TS].to_numpy()))
    aligned = pd.concat(closes, axis=1, join="inner").sort_index()
    rets = (aligned / aligned.shift(1) - 1.0).iloc[1:]
    rets = rets.dropna()
    if lookback is not None:
        if lookback < 2:
            raise InvalidArgumentError(f"lookback must be >= 2, got {lookback}")
        rets = rets.iloc[-lookback:]
    if len(rets) < minimum:
        raise InvalidArgumentError(
            f"only {len(rets)} daily return(s) common to {', '.join(closes)}; need at least "
            f"{minimum} (import more history or widen --start/--end)"
        )
    rets.index.name = "date"
    return rets


def _last_closes(cat: Catalog, symbols: Sequence[str], end: str | None) -> dict[str, float]:
    out = {}
    for sym in symbols:
        frame = _daily_bars(cat, sym, end=end)
        if frame.empty:
            raise CatalogError(f"no daily bar for {sym} on or before {end}")
        out[sym] = float(frame["close"].to_numpy(dtype=np.float64)[-1])
    return out


def resolve_portfolio(
    *,
    portfolio_file: str | Path | None = None,
    positions: str | None = None,
    cash: float | None = None,
    base_currency: str | None = None,
    fx_rates: Mapping[str, float] | None = None,
    catalog: CatalogLike = None,
    end: str | None = None,
) -> tuple[Portfolio, Catalog]:
    """The portfolio from a file or a ``SYM:QTY[@PRICE],...`` string, priced and checked.

    Every symbol must be in the catalog (with close-match suggestions otherwise); missing
    prices are the last raw daily close on or before ``end``.
    """
    if (portfolio_file is None) == (positions is None):
        raise InvalidArgumentError(
            "give exactly one of --portfolio FILE or --positions SYM:QTY,..."
        )
    if portfolio_file is not None:
        pf = load_portfolio_file(
            portfolio_file, cash=cash, base_currency=base_currency, fx_rates=fx_rates
        )
    else:
        assert positions is not None
        pf = build_portfolio(
            parse_positions(positions),
            cash=cash or 0.0,
            base_currency=base_currency or "USD",
            fx_rates=fx_rates,
            source="--positions",
        )
    cat = open_catalog(catalog)
    check_symbols(pf, cat.symbols())
    missing = pf.missing_prices()
    if missing:
        pf = pf.with_prices(_last_closes(cat, missing, end))
    pf.exposures()  # refuses a currency without a rate before any work is done
    return pf, cat


def _span(index: pd.Index) -> tuple[str, str]:
    return (pd.Timestamp(index[0]).date().isoformat(), pd.Timestamp(index[-1]).date().isoformat())


# -- VaR --------------------------------------------------------------------------------------


class PositionRiskOut(BaseModel):
    symbol: str
    quantity: float
    price: float
    currency: str
    exposure: float = Field(description="market value in the base currency")
    weight: float
    marginal_var: float = Field(description="VaR added per unit of money added")
    component_var: float
    component_cvar: float


class VarBacktestReport(BaseModel):
    """Kupiec's proportion-of-failures test of a rolling one-day VaR on the book's history."""

    method: str
    confidence: float
    window: int
    vol_scaling: bool
    first: str
    last: str
    observations: int
    exceedances: int
    expected_rate: float
    observed_rate: float
    lr_statistic: float
    p_value: float
    significance: float
    reject: bool


class VarReport(BaseModel):
    method: str
    confidence: float
    horizon: int
    base_currency: str
    value: float
    value_base: str
    var: float = Field(description="positive money loss")
    cvar: float = Field(description="expected shortfall, positive money loss")
    var_fraction: float
    cvar_fraction: float
    scenarios: int
    observations: int
    first: str
    last: str
    positions: list[PositionRiskOut]
    details: dict[str, Any]
    notes: list[str]
    backtest: VarBacktestReport | None = None


def portfolio_var_report(
    *,
    portfolio_file: str | Path | None = None,
    positions: str | None = None,
    method: Literal["historical", "gaussian", "cornish_fisher", "monte_carlo"] = "historical",
    confidence: float = 0.95,
    horizon: int = 1,
    paths: int = 100_000,
    seed: int = 42,
    mc_model: Literal["gbm", "t_copula", "bootstrap"] = "gbm",
    backend: Literal["numpy", "torch"] = "numpy",
    dtype: Literal["float32", "float64"] = "float64",
    vol_scaling: bool = False,
    lookback: int | None = 500,
    start: str | None = None,
    end: str | None = None,
    cash: float | None = None,
    base_currency: str | None = None,
    fx_rates: Mapping[str, float] | None = None,
    backtest_window: int | None = None,
    catalog: CatalogLike = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> VarReport:
    """VaR and CVaR of a portfolio over ``horizon`` days from the catalog's prices.

    ``lookback`` daily returns feed the estimate; ``backtest_window`` adds a rolling one-day
    VaR forecast over the whole ``start..end`` history with Kupiec's test of its exceedances.
    ``on_progress(paths done, paths)``: Monte Carlo only, after each simulated chunk (and the
    place a cancel raised from it stops the simulation).
    """
    from neural_trader.risk.var import backtest_var, portfolio_var

    pf, cat = resolve_portfolio(
        portfolio_file=portfolio_file,
        positions=positions,
        cash=cash,
        base_currency=base_currency,
        fx_rates=fx_rates,
        catalog=catalog,
        end=end,
    )
    history = load_returns(pf.symbols, catalog=cat, start=start, end=end)
    rets = history.iloc[-lookback:] if lookback is not None else history
    if len(rets) < 20:
        raise InvalidArgumentError(f"lookback {lookback} leaves {len(rets)} returns; need 20")
    exposures = pf.exposures()
    value, base = pf.value_base()
    risk = portfolio_var(
        rets.to_numpy(),
        exposures,
        method=method,
        confidence=confidence,
        horizon=horizon,
        symbols=pf.symbols,
        value=value,
        value_base=base,
        vol_scaling=vol_scaling,
        mc_model=mc_model,
        n_paths=paths,
        seed=seed,
        backend=backend,
        dtype=dtype,
        on_progress=on_progress,
    )
    notes = list(risk.notes)
    if any(p.currency != pf.base_currency for p in pf.positions):
        notes.append(
            "positions in other currencies are converted at the fixed rates given; "
            "currency risk is not modelled"
        )
    bt = None
    if backtest_window is not None:
        if method == "monte_carlo":
            raise InvalidArgumentError(
                "the VaR back-test re-estimates the model every day; use historical, "
                "gaussian or cornish_fisher for it"
            )
        pnl = history.to_numpy() @ exposures / value
        res = backtest_var(
            pnl,
            window=backtest_window,
            confidence=confidence,
            method=method,
            vol_scaling=vol_scaling,
        )
        k = res.kupiec
        first, last = _span(history.index[backtest_window:])
        bt = VarBacktestReport(
            method=method,
            confidence=confidence,
            window=backtest_window,
            vol_scaling=vol_scaling,
            first=first,
            last=last,
            observations=k.observations,
            exceedances=k.exceedances,
            expected_rate=k.expected_rate,
            observed_rate=k.observed_rate,
            lr_statistic=k.lr_statistic,
            p_value=k.p_value,
            significance=k.significance,
            reject=k.reject,
        )
        notes.append(
            "the back-test holds today's positions fixed over the history and tests a "
            "one-day VaR re-estimated every day"
        )
    first, last = _span(rets.index)
    return VarReport(
        method=risk.method,
        confidence=risk.confidence,
        horizon=risk.horizon,
        base_currency=pf.base_currency,
        value=risk.value,
        value_base=risk.value_base,
        var=risk.var,
        cvar=risk.cvar,
        var_fraction=risk.var_fraction,
        cvar_fraction=risk.cvar_fraction,
        scenarios=risk.scenarios,
        observations=len(rets),
        first=first,
        last=last,
        positions=[
            PositionRiskOut(
                symbol=p.symbol,
                quantity=p.quantity,
                price=float(p.price or math.nan),
                currency=p.currency,
                exposure=r.exposure,
                weight=r.weight,
                marginal_var=r.marginal_var,
                component_var=r.component_var,
                component_cvar=r.component_cvar,
            )
            for p, r in zip(pf.positions, risk.positions, strict=True)
        ],
        details=dict(risk.details),
        notes=notes,
        backtest=bt,
    )


# -- stress -----------------------------------------------------------------------------------


class PositionShockOut(BaseModel):
    symbol: str
    exposure: float
    shock: float | None
    pnl: float | None
    source: str
    detail: str


class StressScenarioOut(BaseModel):
    scenario: str
    kind: str
    description: str
    start: str | None
    end: str | None
    pnl: float | None = Field(
        description="money; negative = loss; covered positions only; null if none covered"
    )
    pnl_fraction: float | None
    complete: bool
    covered_exposure: float
    worst_pnl: float | None
    worst_date: str | None
    positions: list[PositionShockOut]
    notes: list[str]


class StressReport(BaseModel):
    base_currency: str
    value: float
    value_base: str
    scenarios: list[StressScenarioOut]


def _stress_history(cat: Catalog, symbol: str, intraday: bool) -> pd.DataFrame | None:
    """Adjusted daily bars indexed by date (or, for an intraday scenario, the finest bars)."""
    from neural_trader.data.adjust import adjust_ohlc

    specs = cat.specs(symbol)
    if intraday:
        finer = sorted((s for s in specs if s.is_intraday), key=lambda s: s.nanos)
        if finer:
            frame = cat.read_bars(symbol, finer[0])
            index = pd.DatetimeIndex(pd.to_datetime(frame[TS].to_numpy(), unit="ns"))
            if not frame.empty:
                return frame.set_index(index)[["close", "low"]]
    if DAILY not in specs:
        return None
    frame = cat.read_bars(symbol, DAILY)
    if frame.empty:
        return None
    if "adj_close" in frame.columns and np.isfinite(frame["adj_close"].to_numpy()).all():
        frame = adjust_ohlc(frame)
    return frame.set_index(_dates(frame[TS].to_numpy()))[["close", "low"]]


def _to_out(res: Any) -> StressScenarioOut:
    return StressScenarioOut(
        scenario=res.scenario,
        kind=res.kind,
        description=res.description,
        start=res.start,
        end=res.end,
        pnl=res.pnl,
        pnl_fraction=res.pnl_fraction,
        complete=res.complete,
        covered_exposure=res.covered_exposure,
        worst_pnl=res.worst_pnl,
        worst_date=res.worst_date,
        positions=[PositionShockOut.model_validate(p, from_attributes=True) for p in res.positions],
        notes=list(res.notes),
    )


def stress_test(
    *,
    portfolio_file: str | Path | None = None,
    positions: str | None = None,
    scenarios: Sequence[str] | None = None,
    shocks: Mapping[str, float] | None = None,
    factor_shocks: Mapping[str, float] | None = None,
    proxies: Mapping[str, str] | None = None,
    beta_lookback: int = 500,
    cash: float | None = None,
    base_currency: str | None = None,
    fx_rates: Mapping[str, float] | None = None,
    catalog: CatalogLike = None,
) -> StressReport:
    """Historical scenarios (default: every named one when no shock is given) and/or one
    user-defined shock scenario (``shocks`` per symbol, ``factor_shocks`` per factor symbol
    with betas estimated from the last ``beta_lookback`` common daily returns)."""
    from neural_trader.risk.stress import (
        HISTORICAL_SCENARIOS,
        estimate_betas,
        get_scenario,
        replay_scenario,
        shock_scenario,
    )

    pf, cat = resolve_portfolio(
        portfolio_file=portfolio_file,
        positions=positions,
        cash=cash,
        base_currency=base_currency,
        fx_rates=fx_rates,
        catalog=catalog,
    )
    exposures = dict(zip(pf.symbols, (float(v) for v in pf.exposures()), strict=True))
    value, base = pf.value_base()
    known = cat.symbols()
    for proxy in (proxies or {}).values():
        if proxy not in known:
            from neural_trader.core.errors import UnknownSymbolError

            raise UnknownSymbolError(proxy, known=known)
    names = list(scenarios) if scenarios else ([] if (shocks or factor_shocks) else None)
    chosen = [get_scenario(n) for n in (names if names is not None else HISTORICAL_SCENARIOS)]
    out: list[StressScenarioOut] = []
    wanted = list(dict.fromkeys([*pf.symbols, *(proxies or {}).values()]))
    for intraday in (False, True):
        group = [s for s in chosen if (s.kind == "intraday_low") == intraday]
        if not group:
            continue
        history = {sym: _stress_history(cat, sym, intraday) for sym in wanted}
        for sc in group:
            out.append(
                _to_out(replay_scenario(sc, exposures, history, value=value, proxies=proxies))
            )
    out.sort(key=lambda s: [c.name for c in chosen].index(s.scenario))
    if shocks or factor_shocks:
        betas = None
        if factor_shocks:
            for f in factor_shocks:
                if f not in known:
                    from neural_trader.core.errors import UnknownSymbolError

                    raise UnknownSymbolError(f, known=known)
            rets = load_returns(
                list(dict.fromkeys([*pf.symbols, *factor_shocks])),
                catalog=cat,
                lookback=beta_lookback,
            )
            betas = estimate_betas(rets[pf.symbols], rets[list(factor_shocks)])
        res = shock_scenario(
            "user_shock",
            exposures,
            value=value,
            asset_shocks=shocks,
            factor_shocks=factor_shocks,
            betas=betas,
        )
        out.append(_to_out(res))
    return StressReport(base_currency=pf.base_currency, value=value, value_base=base, scenarios=out)


# -- correlation ------------------------------------------------------------------------------


class ClusterOut(BaseModel):
    members: list[str]
    min_correlation: float
    mean_correlation: float


class CorrelationReport(BaseModel):
    method: str
    symbols: list[str]
    observations: int
    first: str
    last: str
    matrix: list[list[float]]
    threshold: float
    clusters: list[ClusterOut]
    effective_rank: float = Field(description="independent directions the assets span")
    shrinkage: float | None = None
    effective_number_of_assets: float | None = None
    effective_number_of_bets: float | None = None
    diversification_ratio: float | None = None


def _symbol_list(text: str | Sequence[str]) -> list[str]:
    items = text.split(",") if isinstance(text, str) else list(text)
    out = [s.strip() for s in items if s.strip()]
    if not out:
        raise InvalidArgumentError("no symbols given")
    return list(dict.fromkeys(out))


def correlation_report(
    *,
    symbols: str | Sequence[str] | None = None,
    portfolio_file: str | Path | None = None,
    positions: str | None = None,
    method: Literal["pearson", "spearman", "shrunk"] = "pearson",
    threshold: float = 0.8,
    lookback: int | None = 500,
    start: str | None = None,
    end: str | None = None,
    fx_rates: Mapping[str, float] | None = None,
    catalog: CatalogLike = None,
) -> CorrelationReport:
    """Correlation matrix, clusters of highly correlated assets and effective numbers.

    With a portfolio (instead of bare ``symbols``) the weight-based figures are added.
    """
    from neural_trader.risk import correlation as corr_mod

    weights = None
    if symbols is not None:
        if portfolio_file is not None or positions is not None:
            raise InvalidArgumentError("give --symbols or a portfolio, not both")
        names = _symbol_list(symbols)
        cat = open_catalog(catalog)
        known = cat.symbols()
        for s in names:
            if s not in known:
                from neural_trader.core.errors import UnknownSymbolError

                raise UnknownSymbolError(s, known=known)
    else:
        pf, cat = resolve_portfolio(
            portfolio_file=portfolio_file,
            positions=positions,
            fx_rates=fx_rates,
            catalog=catalog,
            end=end,
        )
        names = pf.symbols
        exp = pf.exposures()
        weights = exp / np.abs(exp).sum()
    if len(names) < 2:
        raise InvalidArgumentError("correlation needs at least two symbols")
    rets = load_returns(names, catalog=cat, start=start, end=end, lookback=lookback)
    matrix = corr_mod.correlation_matrix(rets, method)
    shrink = corr_mod.ledoit_wolf(rets.to_numpy())[1] if method == "shrunk" else None
    clusters = corr_mod.correlated_clusters(matrix, threshold)
    first, last = _span(rets.index)
    report = CorrelationReport(
        method=method,
        symbols=names,
        observations=len(rets),
        first=first,
        last=last,
        matrix=matrix.to_numpy().tolist(),
        threshold=threshold,
        clusters=[
            ClusterOut(
                members=list(c.members),
                min_correlation=c.min_correlation,
                mean_correlation=c.mean_correlation,
            )
            for c in clusters
        ],
        effective_rank=corr_mod.effective_rank(matrix.to_numpy()),
        shrinkage=shrink,
    )
    if weights is not None:
        cov = np.cov(rets.to_numpy(), rowvar=False)
        report.effective_number_of_assets = corr_mod.effective_number_of_assets(weights)
        report.effective_number_of_bets = corr_mod.effective_number_of_bets(weights, cov)
        report.diversification_ratio = corr_mod.diversification_ratio(weights, cov)
    return report


# -- optimisation -----------------------------------------------------------------------------


class OptimizeReport(BaseModel):
    method: str
    objective: str | None
    symbols: list[str]
    observations: int
    first: str
    last: str
    weights: dict[str, float]
    risk_contributions: dict[str, float]
    in_sample: dict[str, float]
    params: dict[str, Any]
    notes: list[str]


def optimize_portfolio(
    *,
    symbols: str | Sequence[str] | None = None,
    portfolio_file: str | Path | None = None,
    positions: str | None = None,
    method: Literal["mean_variance", "min_cvar", "hrp", "risk_parity", "black_litterman"],
    objective: Literal["min_risk", "max_ratio", "max_utility", "max_return"] | None = None,
    risk_aversion: float = 1.0,
    cvar_beta: float = 0.95,
    min_weight: float = 0.0,
    max_weight: float = 1.0,
    views: Sequence[str] = (),
    tau: float = 0.05,
    linkage: str = "ward",
    lookback: int | None = 500,
    start: str | None = None,
    end: str | None = None,
    catalog: CatalogLike = None,
) -> OptimizeReport:
    """Target weights for the symbols (or the portfolio's symbols) via skfolio."""
    from neural_trader.risk.optimize import optimize_weights

    if symbols is not None:
        names = _symbol_list(symbols)
        cat = open_catalog(catalog)
    else:
        pf, cat = resolve_portfolio(
            portfolio_file=portfolio_file, positions=positions, catalog=catalog, end=end
        )
        names = pf.symbols
    rets = load_returns(names, catalog=cat, start=start, end=end, lookback=lookback)
    res = optimize_weights(
        rets,
        method,
        objective=objective,
        risk_aversion=risk_aversion,
        cvar_beta=cvar_beta,
        min_weight=min_weight,
        max_weight=max_weight,
        views=views,
        tau=tau,
        linkage=linkage,
    )
    first, last = _span(rets.index)
    return OptimizeReport(
        method=res.method,
        objective=res.objective,
        symbols=names,
        observations=res.observations,
        first=first,
        last=last,
        weights=res.weights,
        risk_contributions=res.risk_contributions,
        in_sample=res.in_sample,
        params=res.params,
        notes=list(res.notes),
    )


# -- Kelly ------------------------------------------------------------------------------------


class KellyBetOut(BaseModel):
    win_prob: float
    odds: float
    loss: float
    edge: float
    stake: float
    full_kelly: float


class KellyReport(BaseModel):
    mode: Literal["single", "simultaneous", "returns"]
    fraction: float
    bets: list[KellyBetOut]
    total_stake: float
    expected_log_growth: float | None
    symbol: str | None = None
    mean_excess_return: float | None = Field(None, description="per period")
    variance: float | None = Field(None, description="per period")
    observations: int | None = None
    leverage: float | None = None
    notes: list[str] = []


def kelly_sizing(
    *,
    bets: Sequence[tuple[float, float, float]] | None = None,
    symbol: str | None = None,
    fraction: float = 1.0,
    max_total: float = 1.0,
    risk_free: float = 0.0,
    lookback: int | None = 500,
    end: str | None = None,
    catalog: CatalogLike = None,
) -> KellyReport:
    """Kelly stakes for ``bets`` (``(win_prob, odds, loss)``; one bet = closed form, several =
    simultaneous) or Kelly leverage for a ``symbol``'s daily returns (``risk_free`` annual)."""
    from neural_trader.analytics.metrics import per_period_rate
    from neural_trader.risk.sizing import (
        Bet,
        kelly_continuous,
        kelly_fraction,
        kelly_simultaneous,
    )

    if (bets is None or not bets) == (symbol is None):
        raise InvalidArgumentError("give either bets (--bet P:ODDS[:LOSS]) or --symbol")
    if symbol is not None:
        rets = load_returns([symbol], catalog=catalog, end=end, lookback=lookback)
        r = rets[symbol].to_numpy()
        rf = per_period_rate(risk_free, 252.0)
        mu = float(r.mean() - rf)
        var = float(np.var(r, ddof=1))
        lev = kelly_continuous(mu, var, fraction=fraction)
        notes = [
            "continuous-time Kelly mu / sigma^2 on daily simple returns; "
            "it assumes the sample mean is the true edge"
        ]
        return KellyReport(
            mode="returns",
            fraction=fraction,
            bets=[],
            total_stake=lev,
            expected_log_growth=None,
            symbol=symbol,
            mean_excess_return=mu,
            variance=var,
            observations=len(r),
            leverage=lev,
            notes=notes,
        )
    assert bets is not None
    parsed = [Bet(p, b, a) for p, b, a in bets]
    if len(parsed) == 1:
        b0 = parsed[0]
        full = kelly_fraction(b0.win_prob, b0.odds, loss=b0.loss)
        stake = max(full, 0.0) * fraction
        growth = None
        if stake < 1.0 / b0.loss:
            growth = b0.win_prob * math.log1p(b0.odds * stake) + (1 - b0.win_prob) * math.log1p(
                -b0.loss * stake
            )
        notes = [] if full > 0 else ["negative edge: the Kelly stake is zero (do not bet)"]
        return KellyReport(
            mode="single",
            fraction=fraction,
            bets=[
                KellyBetOut(
                    win_prob=b0.win_prob,
                    odds=b0.odds,
                    loss=b0.loss,
                    edge=b0.edge,
                    stake=stake,
                    full_kelly=full,
                )
            ],
            total_stake=stake,
            expected_log_growth=growth,
            notes=notes,
        )
    alloc = kelly_simultaneous(parsed, max_total=max_total, fraction=fraction)
    notes = [] if alloc.converged else ["the optimiser did not report convergence"]
    return KellyReport(
        mode="simultaneous",
        fraction=fraction,
        bets=[
            KellyBetOut(
                win_prob=b.win_prob, odds=b.odds, loss=b.loss, edge=b.edge, stake=s, full_kelly=f
            )
            for b, s, f in zip(parsed, alloc.fractions, alloc.full_kelly, strict=True)
        ],
        total_stake=alloc.total,
        expected_log_growth=alloc.expected_log_growth,
        notes=notes,
    )


# -- rebalance --------------------------------------------------------------------------------


class TradeOut(BaseModel):
    symbol: str
    side: str
    quantity: float
    price: float
    value: float
    cost: float
    current_weight: float
    target_weight: float
    final_weight: float


class RebalanceReport(BaseModel):
    base_currency: str
    trades: list[TradeOut]
    value_before: float
    value_after: float
    cash_before: float
    cash_after: float
    total_cost: float
    turnover: float
    held_within_band: list[str]
    final_weights: dict[str, float]
    notes: list[str]


def load_targets(path: str | Path) -> dict[str, float]:
    """Target weights from JSON (``{"AAPL": 0.5, ...}``) or CSV (``symbol,weight``)."""
    p = Path(path)
    if not p.is_file():
        raise NotFoundError(f"target file {p} does not exist")
    if p.suffix.lower() == ".json":
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataFormatError(f"{p}: not valid JSON ({exc})") from None
        if not isinstance(doc, dict):
            raise DataFormatError(f'{p}: expected an object such as {{"AAPL": 0.5}}')
        return {str(k): float(v) for k, v in doc.items()}
    frame = pd.read_csv(p)
    cols = {c.strip().lower(): c for c in frame.columns}
    if "symbol" not in cols or "weight" not in cols:
        raise DataFormatError(f"{p}: a target CSV needs 'symbol' and 'weight' columns")
    return {
        str(s).strip(): float(w)
        for s, w in zip(frame[cols["symbol"]], frame[cols["weight"]], strict=True)
    }


def parse_targets(text: str) -> dict[str, float]:
    """``"AAPL=0.5,MSFT=0.3"`` -> target weights."""
    out: dict[str, float] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        sym, sep, w = item.partition("=")
        if not sep or not sym.strip():
            raise InvalidArgumentError(f"target {item!r} is not SYMBOL=WEIGHT (e.g. AAPL=0.5)")
        try:
            out[sym.strip()] = float(w)
        except ValueError:
            raise InvalidArgumentError(
                f"target weight {w!r} of {sym.strip()} is not a number"
            ) from None
    if not out:
        raise InvalidArgumentError("no target weights given")
    return out


def rebalance_portfolio(
    *,
    portfolio_file: str | Path | None = None,
    positions: str | None = None,
    targets: Mapping[str, float] | None = None,
    target_file: str | Path | None = None,
    cash: float | None = None,
    threshold: float = 0.0,
    cost_rate: float = 0.0,
    fixed_cost: float = 0.0,
    lot_size: float = 1.0,
    min_trade_value: float = 0.0,
    base_currency: str | None = None,
    fx_rates: Mapping[str, float] | None = None,
    catalog: CatalogLike = None,
) -> RebalanceReport:
    """The trades from the portfolio to the target weights (prices in the base currency)."""
    from neural_trader.risk.rebalance import rebalance_plan

    if (targets is None) == (target_file is None):
        raise InvalidArgumentError("give exactly one of --target SYM=W,... or --target-file FILE")
    tw = dict(targets) if targets is not None else load_targets(target_file)  # type: ignore[arg-type]
    pf, cat = resolve_portfolio(
        portfolio_file=portfolio_file,
        positions=positions,
        cash=cash,
        base_currency=base_currency,
        fx_rates=fx_rates,
        catalog=catalog,
    )
    known = cat.symbols()
    new = [s for s in tw if s not in pf.symbols]
    for s in new:
        if s not in known:
            from neural_trader.core.errors import UnknownSymbolError

            raise UnknownSymbolError(s, known=known)
    prices = {p.symbol: float(p.price or math.nan) * pf.fx_rate(p.currency) for p in pf.positions}
    prices.update(_last_closes(cat, new, None))
    plan = rebalance_plan(
        {p.symbol: p.quantity for p in pf.positions},
        prices,
        tw,
        cash=pf.cash,
        threshold=threshold,
        cost_rate=cost_rate,
        fixed_cost=fixed_cost,
        lot_size=lot_size,
        min_trade_value=min_trade_value,
    )
    notes = list(plan.notes)
    if new:
        notes.append(f"new symbol(s) {', '.join(new)} priced at their last catalog close")
    if any(p.currency != pf.base_currency for p in pf.positions):
        notes.append(f"prices converted to {pf.base_currency} at the fixed rates given")
    return RebalanceReport(
        base_currency=pf.base_currency,
        trades=[TradeOut.model_validate(t, from_attributes=True) for t in plan.trades],
        value_before=plan.value_before,
        value_after=plan.value_after,
        cash_before=plan.cash_before,
        cash_after=plan.cash_after,
        total_cost=plan.total_cost,
        turnover=plan.turnover,
        held_within_band=list(plan.held_within_band),
        final_weights=plan.final_weights,
        notes=notes,
    )
