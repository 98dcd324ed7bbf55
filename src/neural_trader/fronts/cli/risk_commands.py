"""``neural-trader risk ...``: parse options, call :mod:`neural_trader.services.risk`, render.

Money is shown in the portfolio's base currency with separators; losses (VaR, CVaR) are
positive numbers, stress P&L is signed (negative = loss), as in the JSON.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.fronts.cli.options import EndOpt, JsonOpt, StartOpt
from neural_trader.fronts.cli.output import console, run_command

if TYPE_CHECKING:
    from neural_trader.services.risk import (
        CorrelationReport,
        KellyReport,
        OptimizeReport,
        RebalanceReport,
        StressReport,
        VarReport,
    )

app = typer.Typer(
    help="Portfolio risk: VaR/CVaR, stress tests, correlation, optimisation, Kelly, rebalance.",
    no_args_is_help=True,
)


class VarMethodName(StrEnum):
    historical = "historical"
    gaussian = "gaussian"
    cornish_fisher = "cornish_fisher"
    monte_carlo = "monte_carlo"


class McModel(StrEnum):
    gbm = "gbm"
    t_copula = "t_copula"
    bootstrap = "bootstrap"


class BackendName(StrEnum):
    numpy = "numpy"
    torch = "torch"


class CorrMethod(StrEnum):
    pearson = "pearson"
    spearman = "spearman"
    shrunk = "shrunk"


class OptMethod(StrEnum):
    mean_variance = "mean_variance"
    min_cvar = "min_cvar"
    hrp = "hrp"
    risk_parity = "risk_parity"
    black_litterman = "black_litterman"


class OptObjective(StrEnum):
    min_risk = "min_risk"
    max_ratio = "max_ratio"
    max_utility = "max_utility"
    max_return = "max_return"


PortfolioOpt = Annotated[
    Path | None,
    typer.Option(
        "--portfolio", help="Portfolio file: CSV (symbol,quantity[,price][,currency]) or JSON."
    ),
]
PositionsOpt = Annotated[
    str | None,
    typer.Option("--positions", help="Positions inline: SYM:QTY[@PRICE],... (e.g. SPX:10,IXIC:5)."),
]
CashOpt = Annotated[float | None, typer.Option("--cash", help="Cash in the base currency.")]
BaseCurOpt = Annotated[
    str | None, typer.Option("--base-currency", help="Currency of the results (default USD).")
]
FxOpt = Annotated[
    list[str] | None,
    typer.Option("--fx", help="FX rate CUR=RATE (base units per CUR), repeatable."),
]
LookbackOpt = Annotated[
    int, typer.Option("--lookback", help="Daily returns used (the most recent N; 0 = all).")
]


def _pairs(items: list[str] | None, flag: str, example: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in items or []:
        for item in raw.split(","):
            if not item.strip():
                continue
            key, sep, val = item.partition("=")
            if not sep or not key.strip() or not val.strip():
                raise InvalidArgumentError(f"{flag} {item!r} is not KEY=VALUE (e.g. {example})")
            out[key.strip()] = val.strip()
    return out


def _floats(items: list[str] | None, flag: str, example: str) -> dict[str, float]:
    out = {}
    for key, val in _pairs(items, flag, example).items():
        try:
            out[key] = float(val)
        except ValueError:
            raise InvalidArgumentError(f"{flag} {key}={val}: {val!r} is not a number") from None
    return out


def _lookback(n: int) -> int | None:
    if n < 0:
        raise InvalidArgumentError("--lookback must be >= 0 (0 = all history)")
    return n or None


def _money(v: float | None) -> str:
    return "n/a" if v is None else f"{v:,.2f}"


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v * 100:,.2f}%"


def _notes(notes: list[str]) -> None:
    for note in notes:
        console.print(f"[yellow]note:[/] {escape(note)}")


def var(
    portfolio: PortfolioOpt = None,
    positions: PositionsOpt = None,
    method: Annotated[
        VarMethodName, typer.Option("--method", help="How the loss distribution is built.")
    ] = VarMethodName.historical,
    confidence: Annotated[float, typer.Option("--confidence", help="e.g. 0.95, 0.99.")] = 0.95,
    horizon: Annotated[int, typer.Option("--horizon", help="Holding period in days.")] = 1,
    paths: Annotated[int, typer.Option("--paths", help="Monte Carlo paths.")] = 100_000,
    seed: Annotated[int, typer.Option("--seed", help="Monte Carlo seed.")] = 42,
    model: Annotated[McModel, typer.Option("--model", help="Monte Carlo model.")] = McModel.gbm,
    backend: Annotated[
        BackendName, typer.Option("--backend", help="Monte Carlo backend (torch: GPU if any).")
    ] = BackendName.numpy,
    float32: Annotated[
        bool, typer.Option("--float32", help="Monte Carlo draws in float32.")
    ] = False,
    vol_scaling: Annotated[
        bool, typer.Option("--vol-scaling", help="Historical: rescale to today's EWMA volatility.")
    ] = False,
    lookback: LookbackOpt = 500,
    start: StartOpt = None,
    end: EndOpt = None,
    cash: CashOpt = None,
    base_currency: BaseCurOpt = None,
    fx: FxOpt = None,
    backtest: Annotated[
        int | None,
        typer.Option("--backtest", help="Also back-test a rolling one-day VaR with this window."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Value at Risk and expected shortfall of a portfolio, per position too."""
    from neural_trader.services.risk import portfolio_var_report

    def render(r: VarReport) -> None:
        console.print(
            f"[bold]{r.method}[/] VaR at {r.confidence:.1%}, {r.horizon}-day horizon, "
            f"{r.observations:,} daily returns {r.first} .. {r.last}; value "
            f"{_money(r.value)} {r.base_currency} ({r.value_base})"
        )
        console.print(
            f"VaR  [bold red]{_money(r.var)}[/] ({_pct(r.var_fraction)})    "
            f"CVaR [bold red]{_money(r.cvar)}[/] ({_pct(r.cvar_fraction)})"
        )
        table = Table(box=box.SIMPLE_HEAD)
        for col in ("symbol", "exposure", "weight", "marginal VaR", "component VaR", "comp. CVaR"):
            table.add_column(col, justify="left" if col == "symbol" else "right")
        for p in r.positions:
            table.add_row(
                p.symbol,
                _money(p.exposure),
                _pct(p.weight),
                f"{p.marginal_var:.4f}",
                _money(p.component_var),
                _money(p.component_cvar),
            )
        console.print(table)
        if r.backtest is not None:
            b = r.backtest
            verdict = "[red]rejected[/]" if b.reject else "[green]not rejected[/]"
            console.print(
                f"back-test ({b.window}-day window, {b.first} .. {b.last}): "
                f"{b.exceedances} exceedances in {b.observations:,} days "
                f"({b.observed_rate:.2%} vs {b.expected_rate:.2%} expected); Kupiec LR "
                f"{b.lr_statistic:.3f}, p = {b.p_value:.4g}: {verdict} at {b.significance:.0%}"
            )
        _notes(r.notes)

    run_command(
        as_json,
        lambda: portfolio_var_report(
            portfolio_file=portfolio,
            positions=positions,
            method=method.value,
            confidence=confidence,
            horizon=horizon,
            paths=paths,
            seed=seed,
            mc_model=model.value,
            backend=backend.value,
            dtype="float32" if float32 else "float64",
            vol_scaling=vol_scaling,
            lookback=_lookback(lookback),
            start=start,
            end=end,
            cash=cash,
            base_currency=base_currency,
            fx_rates=_floats(fx, "--fx", "EUR=1.08"),
            backtest_window=backtest,
        ),
        render,
        status="computing VaR",
    )


def stress(
    portfolio: PortfolioOpt = None,
    positions: PositionsOpt = None,
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario",
            help="2008_crisis, covid_crash, flash_crash (repeatable; default: all, "
            "unless shocks are given).",
        ),
    ] = None,
    shock: Annotated[
        list[str] | None,
        typer.Option("--shock", help="Per-asset shock SYM=RETURN (e.g. AAPL=-0.25), repeatable."),
    ] = None,
    factor_shock: Annotated[
        list[str] | None,
        typer.Option(
            "--factor-shock",
            help="Factor shock FACTOR=RETURN, the factor a catalog symbol (SPX=-0.2); "
            "betas are estimated from daily returns.",
        ),
    ] = None,
    proxy: Annotated[
        list[str] | None,
        typer.Option("--proxy", help="SYM=PROXY: replay PROXY's move where SYM has no history."),
    ] = None,
    beta_lookback: Annotated[
        int, typer.Option("--beta-lookback", help="Daily returns for the factor betas.")
    ] = 500,
    cash: CashOpt = None,
    base_currency: BaseCurOpt = None,
    fx: FxOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Replay historical crises on real prices, or apply your own shocks."""
    from neural_trader.services.risk import stress_test

    def render(r: StressReport) -> None:
        console.print(f"value {_money(r.value)} {r.base_currency} ({r.value_base})")
        for s in r.scenarios:
            window = f" {s.start} .. {s.end}" if s.start else ""
            flag = "" if s.complete else " [yellow](incomplete)[/]"
            console.print(
                f"\n[bold]{s.scenario}[/]{window}{flag}: P&L [bold]{_money(s.pnl)}[/] "
                f"({_pct(s.pnl_fraction)})"
                + (f", worst {_money(s.worst_pnl)} on {s.worst_date}" if s.worst_date else "")
            )
            table = Table(box=box.SIMPLE_HEAD)
            for col in ("symbol", "exposure", "shock", "P&L", "source", "detail"):
                table.add_column(
                    col, justify="right" if col in ("exposure", "shock", "P&L") else "left"
                )
            for p in s.positions:
                table.add_row(
                    p.symbol,
                    _money(p.exposure),
                    _pct(p.shock),
                    _money(p.pnl),
                    p.source,
                    escape(p.detail),
                )
            console.print(table)
            _notes(s.notes)

    run_command(
        as_json,
        lambda: stress_test(
            portfolio_file=portfolio,
            positions=positions,
            scenarios=scenario,
            shocks=_floats(shock, "--shock", "AAPL=-0.25"),
            factor_shocks=_floats(factor_shock, "--factor-shock", "SPX=-0.2"),
            proxies=_pairs(proxy, "--proxy", "NEWCO=SPX"),
            beta_lookback=beta_lookback,
            cash=cash,
            base_currency=base_currency,
            fx_rates=_floats(fx, "--fx", "EUR=1.08"),
        ),
        render,
        status="running stress scenarios",
    )


def correlation(
    symbols: Annotated[
        str | None, typer.Option("--symbols", help="Comma-separated catalog symbols.")
    ] = None,
    portfolio: PortfolioOpt = None,
    positions: PositionsOpt = None,
    method: Annotated[CorrMethod, typer.Option("--method", help="Correlation estimator.")] = (
        CorrMethod.pearson
    ),
    threshold: Annotated[
        float, typer.Option("--threshold", help="Cluster holdings correlated at least this much.")
    ] = 0.8,
    lookback: LookbackOpt = 500,
    start: StartOpt = None,
    end: EndOpt = None,
    fx: FxOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Correlation matrix, clusters of highly correlated holdings, effective number of bets."""
    from neural_trader.services.risk import correlation_report

    def render(r: CorrelationReport) -> None:
        console.print(
            f"[bold]{r.method}[/] correlation of {len(r.symbols)} symbols, "
            f"{r.observations:,} daily returns {r.first} .. {r.last}"
        )
        table = Table(box=box.SIMPLE_HEAD)
        table.add_column("")
        for s in r.symbols:
            table.add_column(s, justify="right")
        for s, row in zip(r.symbols, r.matrix, strict=True):
            table.add_row(s, *(f"{v:.2f}" for v in row))
        console.print(table)
        lines = [f"effective rank {r.effective_rank:.2f}"]
        if r.shrinkage is not None:
            lines.append(f"Ledoit-Wolf shrinkage {r.shrinkage:.3f}")
        if r.effective_number_of_bets is not None:
            lines.append(f"effective number of bets {r.effective_number_of_bets:.2f}")
        if r.effective_number_of_assets is not None:
            lines.append(f"effective number of assets {r.effective_number_of_assets:.2f}")
        if r.diversification_ratio is not None:
            lines.append(f"diversification ratio {r.diversification_ratio:.2f}")
        console.print(", ".join(lines))
        if not r.clusters:
            console.print(f"no holdings correlated at {r.threshold:.2f} or more")
        for c in r.clusters:
            console.print(
                f"cluster (rho >= {r.threshold:.2f}): {', '.join(c.members)} "
                f"(min {c.min_correlation:.2f}, mean {c.mean_correlation:.2f})"
            )

    run_command(
        as_json,
        lambda: correlation_report(
            symbols=symbols,
            portfolio_file=portfolio,
            positions=positions,
            method=method.value,
            threshold=threshold,
            lookback=_lookback(lookback),
            start=start,
            end=end,
            fx_rates=_floats(fx, "--fx", "EUR=1.08"),
        ),
        render,
    )


def optimize(
    method: Annotated[OptMethod, typer.Option("--method", help="Optimisation method.")] = (
        OptMethod.min_cvar
    ),
    symbols: Annotated[
        str | None, typer.Option("--symbols", help="Comma-separated catalog symbols.")
    ] = None,
    portfolio: PortfolioOpt = None,
    positions: PositionsOpt = None,
    objective: Annotated[
        OptObjective | None,
        typer.Option("--objective", help="mean_variance/min_cvar/black_litterman objective."),
    ] = None,
    risk_aversion: Annotated[float, typer.Option("--risk-aversion")] = 1.0,
    cvar_beta: Annotated[float, typer.Option("--cvar-beta", help="CVaR confidence.")] = 0.95,
    min_weight: Annotated[float, typer.Option("--min-weight")] = 0.0,
    max_weight: Annotated[float, typer.Option("--max-weight")] = 1.0,
    view: Annotated[
        list[str] | None,
        typer.Option("--view", help='Black-Litterman view, e.g. "AAPL == 0.0005" (daily).'),
    ] = None,
    tau: Annotated[float, typer.Option("--tau", help="Black-Litterman tau.")] = 0.05,
    linkage: Annotated[str, typer.Option("--linkage", help="HRP linkage method.")] = "ward",
    lookback: LookbackOpt = 500,
    start: StartOpt = None,
    end: EndOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Target weights by mean-variance, minimum CVaR, HRP, risk parity or Black-Litterman."""
    from neural_trader.services.risk import optimize_portfolio

    def render(r: OptimizeReport) -> None:
        obj = f" ({r.objective})" if r.objective else ""
        console.print(
            f"[bold]{r.method}[/]{obj} on {len(r.symbols)} symbols, "
            f"{r.observations:,} daily returns {r.first} .. {r.last}"
        )
        table = Table(box=box.SIMPLE_HEAD)
        for col in ("symbol", "weight", "variance share"):
            table.add_column(col, justify="left" if col == "symbol" else "right")
        for s, w in sorted(r.weights.items(), key=lambda kv: -kv[1]):
            table.add_row(s, _pct(w), _pct(r.risk_contributions[s]))
        console.print(table)
        ins = r.in_sample
        console.print(
            f"in sample: return {_pct(ins['annual_return'])}/yr, volatility "
            f"{_pct(ins['annual_volatility'])}, Sharpe {ins['sharpe']:.2f}, max drawdown "
            f"{_pct(ins['max_drawdown'])}, daily CVaR 95% {_pct(ins['cvar_95'])}"
        )
        _notes(r.notes)

    run_command(
        as_json,
        lambda: optimize_portfolio(
            symbols=symbols,
            portfolio_file=portfolio,
            positions=positions,
            method=method.value,
            objective=None if objective is None else objective.value,
            risk_aversion=risk_aversion,
            cvar_beta=cvar_beta,
            min_weight=min_weight,
            max_weight=max_weight,
            views=view or [],
            tau=tau,
            linkage=linkage,
            lookback=_lookback(lookback),
            start=start,
            end=end,
        ),
        render,
        status=f"optimising ({method.value})",
    )


def _bets(items: list[str] | None) -> list[tuple[float, float, float]] | None:
    if not items:
        return None
    out = []
    for item in items:
        parts = item.split(":")
        if len(parts) not in (2, 3):
            raise InvalidArgumentError(
                f"--bet {item!r} is not P:ODDS[:LOSS] (e.g. 0.55:1 for an even-money bet)"
            )
        try:
            nums = [float(x) for x in parts]
        except ValueError:
            raise InvalidArgumentError(f"--bet {item!r}: not numbers") from None
        out.append((nums[0], nums[1], nums[2] if len(nums) == 3 else 1.0))
    return out


def kelly(
    bet: Annotated[
        list[str] | None,
        typer.Option(
            "--bet",
            help="P:ODDS[:LOSS]: win probability, net win per unit, loss per unit (default 1); "
            "repeat for simultaneous independent bets.",
        ),
    ] = None,
    symbol: Annotated[
        str | None, typer.Option("--symbol", help="Kelly leverage from a symbol's returns.")
    ] = None,
    fraction: Annotated[
        float, typer.Option("--fraction", help="Fractional Kelly (0.5 = half Kelly).")
    ] = 1.0,
    max_total: Annotated[
        float, typer.Option("--max-total", help="Cap on the sum of simultaneous stakes.")
    ] = 1.0,
    risk_free: Annotated[
        float, typer.Option("--risk-free", help="Annual risk-free rate (--symbol).")
    ] = 0.0,
    lookback: LookbackOpt = 500,
    end: EndOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Kelly stakes for bets, or Kelly leverage for an asset."""
    from neural_trader.services.risk import kelly_sizing

    def render(r: KellyReport) -> None:
        if r.mode == "returns":
            console.print(
                f"[bold]{r.symbol}[/]: mean excess {r.mean_excess_return:.6f}/day, variance "
                f"{r.variance:.6g}/day over {r.observations:,} days -> Kelly leverage "
                f"[bold]{r.leverage:.3f}[/] (fraction {r.fraction:g})"
            )
        else:
            table = Table(box=box.SIMPLE_HEAD)
            for col in ("win prob", "odds", "loss", "edge", "full Kelly", "stake"):
                table.add_column(col, justify="right")
            for b in r.bets:
                table.add_row(
                    f"{b.win_prob:.4f}",
                    f"{b.odds:g}",
                    f"{b.loss:g}",
                    f"{b.edge:+.4f}",
                    _pct(b.full_kelly),
                    _pct(b.stake),
                )
            console.print(table)
            growth = "n/a" if r.expected_log_growth is None else f"{r.expected_log_growth:.6f}"
            console.print(
                f"total stake {_pct(r.total_stake)} of the bankroll, expected log growth "
                f"{growth} per round (fraction {r.fraction:g})"
            )
        _notes(r.notes)

    run_command(
        as_json,
        lambda: kelly_sizing(
            bets=_bets(bet),
            symbol=symbol,
            fraction=fraction,
            max_total=max_total,
            risk_free=risk_free,
            lookback=_lookback(lookback),
            end=end,
        ),
        render,
    )


def rebalance(
    portfolio: PortfolioOpt = None,
    positions: PositionsOpt = None,
    target: Annotated[
        str | None, typer.Option("--target", help="Target weights SYM=W,... (rest is cash).")
    ] = None,
    target_file: Annotated[
        Path | None, typer.Option("--target-file", help="Targets as JSON or CSV symbol,weight.")
    ] = None,
    cash: CashOpt = None,
    threshold: Annotated[
        float, typer.Option("--threshold", help="No-trade band in weight (0.02 = 2 points).")
    ] = 0.0,
    cost_rate: Annotated[
        float, typer.Option("--cost-rate", help="Proportional cost per trade (0.001 = 0.1%).")
    ] = 0.0,
    fixed_cost: Annotated[float, typer.Option("--fixed-cost", help="Fixed cost per trade.")] = 0.0,
    lot_size: Annotated[
        float, typer.Option("--lot-size", help="Round quantities to this lot (0 = fractional).")
    ] = 1.0,
    min_trade: Annotated[
        float, typer.Option("--min-trade", help="Skip trades worth less than this.")
    ] = 0.0,
    base_currency: BaseCurOpt = None,
    fx: FxOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The trades that take the portfolio to target weights, net of costs."""
    from neural_trader.services.risk import parse_targets, rebalance_portfolio

    def render(r: RebalanceReport) -> None:
        table = Table(box=box.SIMPLE_HEAD)
        for col in (
            "side",
            "symbol",
            "quantity",
            "price",
            "value",
            "cost",
            "weight now",
            "target",
            "after",
        ):
            table.add_column(col, justify="left" if col in ("side", "symbol") else "right")
        for t in r.trades:
            table.add_row(
                t.side,
                t.symbol,
                f"{t.quantity:,.6g}",
                _money(t.price),
                _money(t.value),
                _money(t.cost),
                _pct(t.current_weight),
                _pct(t.target_weight),
                _pct(t.final_weight),
            )
        console.print(table)
        console.print(
            f"value {_money(r.value_before)} -> {_money(r.value_after)} {r.base_currency}, "
            f"cash {_money(r.cash_before)} -> {_money(r.cash_after)}, costs "
            f"{_money(r.total_cost)}, turnover {_pct(r.turnover)}"
        )
        if r.held_within_band:
            console.print(f"within the band, not traded: {', '.join(r.held_within_band)}")
        _notes(r.notes)

    run_command(
        as_json,
        lambda: rebalance_portfolio(
            portfolio_file=portfolio,
            positions=positions,
            targets=None if target is None else parse_targets(target),
            target_file=target_file,
            cash=cash,
            threshold=threshold,
            cost_rate=cost_rate,
            fixed_cost=fixed_cost,
            lot_size=lot_size,
            min_trade_value=min_trade,
            base_currency=base_currency,
            fx_rates=_floats(fx, "--fx", "EUR=1.08"),
        ),
        render,
    )


app.command("var")(var)
app.command("stress")(stress)
app.command("correlation")(correlation)
app.command("optimize")(optimize)
app.command("kelly")(kelly)
app.command("rebalance")(rebalance)
