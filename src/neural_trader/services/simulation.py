"""Monte Carlo of a portfolio's value over a horizon (the agents' ``monte_carlo_simulation``).

``risk var --method monte_carlo`` answers one question (the loss quantile); agents also ask
"what range of outcomes, and how likely a loss?". This service fits one of the engine's
models (GBM, Student-t copula, filtered historical bootstrap) to the catalog's daily returns
of the portfolio's symbols, simulates ``paths`` horizons with
:func:`neural_trader.risk.montecarlo.simulate` and summarises the P&L distribution. Seeded:
the same call gives the same numbers on the same backend.

GPU: ``use_gpu`` runs the torch backend on CUDA when torch sees a GPU; otherwise the numpy
backend runs on the CPU and the report says so.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeAlias

from pydantic import BaseModel, Field

from neural_trader.core.errors import InvalidArgumentError

if TYPE_CHECKING:
    from neural_trader.data.catalog import Catalog

__all__ = ["MonteCarloReport", "cuda_available", "simulate_portfolio"]

CatalogLike: TypeAlias = "Catalog | str | Path | None"
MAX_PATH_STEPS = 200_000_000
"""paths x horizon x assets above this are refused (minutes of CPU and GBs of draws)."""


def cuda_available() -> bool:
    """Whether torch is installed and sees a CUDA GPU (imports torch only when installed)."""
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


class MonteCarloReport(BaseModel):
    symbols: list[str]
    quantities: list[float]
    value: float = Field(description="net value of the positions (plus cash) now")
    model: str
    paths: int
    horizon: int = Field(description="trading days")
    seed: int
    observations: int = Field(description="daily returns the model was fitted on")
    first: str
    last: str
    backend: str
    device: str
    gpu_used: bool
    expected_pnl: float
    pnl_std: float
    probability_of_loss: float
    percentiles: dict[str, float] = Field(description="horizon P&L (money) by percentile")
    value_percentiles: dict[str, float] = Field(description="horizon portfolio value")
    confidence: float
    var: float = Field(description="horizon VaR at `confidence`, positive money loss")
    cvar: float
    worst_drawdown_median: float | None = Field(
        description="median over paths of the lowest cumulative P&L along the path"
    )
    notes: list[str]


_PCTS = (1, 5, 25, 50, 75, 95, 99)


def simulate_portfolio(
    *,
    positions: str,
    paths: int = 10_000,
    horizon: int = 252,
    model: Literal["gbm", "t_copula", "bootstrap"] = "gbm",
    seed: int = 42,
    lookback: int | None = 500,
    confidence: float = 0.95,
    use_gpu: bool = False,
    cash: float | None = None,
    fx_rates: Mapping[str, float] | None = None,
    catalog: CatalogLike = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> MonteCarloReport:
    """Simulate ``positions`` (``SYM:QTY[@PRICE],...``; missing prices = last catalog close).

    ``on_progress(paths done, paths)`` is called after each simulated chunk; whatever it raises
    (a cancel) stops the simulation there."""
    import numpy as np

    from neural_trader.risk.montecarlo import fit_model, simulate
    from neural_trader.services.risk import load_returns, resolve_portfolio

    if not 0.5 < confidence < 1.0:
        raise InvalidArgumentError(f"confidence must be in (0.5, 1), got {confidence}")
    pf, cat = resolve_portfolio(positions=positions, cash=cash, fx_rates=fx_rates, catalog=catalog)
    n_assets = len(pf.symbols)
    if paths * horizon * n_assets > MAX_PATH_STEPS:
        raise InvalidArgumentError(
            f"{paths:,} paths x {horizon} days x {n_assets} assets exceed {MAX_PATH_STEPS:,} "
            "simulated returns; use fewer paths or a shorter horizon"
        )
    rets = load_returns(pf.symbols, catalog=cat, lookback=lookback)
    fitted = fit_model(model, np.log1p(rets.to_numpy()), assets=pf.symbols)
    notes: list[str] = []
    backend: Literal["numpy", "torch"] = "numpy"
    if use_gpu:
        if cuda_available():
            backend = "torch"
        else:
            notes.append("use_gpu: no CUDA GPU is available here; simulated on the CPU (numpy)")
    sim = simulate(
        fitted,
        n_paths=paths,
        horizon=horizon,
        seed=seed,
        exposures=pf.exposures(),
        path_stats=True,
        keep_asset_returns=False,
        backend=backend,
        device="cuda" if backend == "torch" else "auto",
        on_chunk=on_progress,
    )
    assert sim.pnl is not None
    pnl = sim.pnl
    value, _ = pf.value_base()
    var, cvar = sim.var_cvar(confidence)
    q = np.percentile(pnl, _PCTS)
    worst = None if sim.worst_pnl is None else float(np.median(sim.worst_pnl))
    notes.append(
        f"{model} fitted to the last {len(rets)} common daily returns; positions held fixed "
        "over the horizon (no rebalancing, no cash return)"
    )
    return MonteCarloReport(
        symbols=pf.symbols,
        quantities=[float(x) for x in pf.quantities],
        value=value,
        model=model,
        paths=paths,
        horizon=horizon,
        seed=seed,
        observations=len(rets),
        first=str(rets.index[0].date()),
        last=str(rets.index[-1].date()),
        backend=sim.backend,
        device=sim.device,
        gpu_used=sim.device.startswith("cuda"),
        expected_pnl=float(pnl.mean()),
        pnl_std=float(pnl.std(ddof=1)) if pnl.size > 1 else math.nan,
        probability_of_loss=float(np.mean(pnl < 0.0)),
        percentiles={f"p{p}": float(v) for p, v in zip(_PCTS, q, strict=True)},
        value_percentiles={f"p{p}": float(value + v) for p, v in zip(_PCTS, q, strict=True)},
        confidence=confidence,
        var=var,
        cvar=cvar,
        worst_drawdown_median=worst,
        notes=notes,
    )
