"""Argument types and result models of the MCP tools.

Two kinds of things live here, both pure pydantic so that building the server imports no
engine (start-up stays well under the 1.5 s the issue allows):

* **Argument types** shared by several tools (a symbol, a strategy name, a date, a position),
  each an ``Annotated`` type whose ``Field`` carries the bounds and the description that end
  up in the tool's JSON schema, so an agent sees the contract and a bad value is refused with
  the field's name before any engine runs.
* **Result models** that tools compose from one or more service results (a backtest and its
  benchmark, a VaR report and the entry prices, a model listing ...), or that add fields
  such as ``processing`` to them. Where a tool returns a service's model as it is, or one
  built on it, the model comes from the service's light ``*_views`` module
  (:mod:`neural_trader.services.data_views`, ``research_views``, ``forecast_views``), which
  imports no pandas, so the numbers and the fields are the service's own and are declared
  once.

Names follow the original neural-trader tools (``results``, ``benchmark_comparison``,
``optimized_parameters`` ...) where it had them, so existing agent prompts keep working.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from neural_trader.optimize.result import TopEntry
from neural_trader.services.data_views import DataEntry, ImportBase
from neural_trader.services.forecast_views import MetricsTable, ModelInfo
from neural_trader.services.research_views import ParamSpec, StrategyBasics
from neural_trader.services.strategy_eval import BenchmarkResult

__all__ = [
    "BacktestOut",
    "DateArg",
    "PositionArg",
    "StrategyArg",
    "SymbolArg",
]

# -- argument types -----------------------------------------------------------------------------

SymbolArg = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        pattern=r"^[^\s,:@]+$",
        description="a symbol in the data catalog (list_data), e.g. SPX",
    ),
]
StrategyArg = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_]+$",
        description="a strategy name (list_strategies), e.g. sma_cross",
    ),
]
DateArg = Annotated[dt.date, Field(description="a date, YYYY-MM-DD")]
ModelIdArg = Annotated[
    str,
    Field(min_length=1, max_length=200, description="a registered model id (neural_model_status)"),
]
UseGpuArg = Annotated[
    bool,
    Field(description="use a CUDA GPU where the engine has a GPU path; the result says if one was"),
]
Action = Literal["buy", "sell"]


def refuse_values(reasons: Mapping[str, str]) -> BeforeValidator:
    """Refuse values the original accepted but nothing here can compute honestly, by name and
    with the reason, before the field's own enum check would refuse them without one.

    Matching ignores case (the original's two generations spelt them differently: ``GRU`` in
    v1, ``gru`` in v2). The values stay out of the JSON schema's enum: it lists only what
    works, and the field's description names what is refused.
    """
    table = {k.casefold(): v for k, v in reasons.items()}

    def check(value: Any) -> Any:
        if isinstance(value, str) and value.casefold() in table:
            raise ValueError(f"{value!r} is not available: {table[value.casefold()]}")
        return value

    return BeforeValidator(check)


def date_str(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


class PositionArg(BaseModel):
    """One holding of a portfolio: a quantity, or a market value to turn into one."""

    model_config = ConfigDict(extra="forbid")

    symbol: SymbolArg
    quantity: float | None = Field(None, description="units held (negative = short)")
    value: float | None = Field(
        None, description="market value instead of a quantity (quantity = value / last close)"
    )
    entry_price: float | None = Field(None, gt=0, description="entry price, for P&L only")


class TradeArg(BaseModel):
    """One order of a multi-asset trade."""

    model_config = ConfigDict(extra="forbid")

    symbol: SymbolArg
    action: Action
    quantity: float = Field(gt=0, description="units to trade")
    price: float | None = Field(
        None, gt=0, description="a limit price (a limit order); omit for a market order"
    )


class RangeArg(BaseModel):
    """A search range: ``min``/``max`` (and ``step``), or a list of ``values``."""

    model_config = ConfigDict(extra="forbid")

    min: float | None = None
    max: float | None = None
    step: float | None = Field(None, gt=0)
    values: list[Any] | None = Field(None, min_length=1)
    choices: list[Any] | None = Field(None, min_length=1, description="same as values")
    log: bool | None = Field(None, description="neural_optimize: sample on a log scale")

    def as_dict(self) -> dict[str, Any]:
        out = self.model_dump(exclude_none=True)
        for key in ("min", "max", "step"):  # keep integers integers (grid specs, int params)
            v = out.get(key)
            if isinstance(v, float) and v.is_integer():
                out[key] = int(v)
        return out


class IndicatorArg(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, description="indicator name, e.g. rsi, macd, bbands, sma")
    params: dict[str, float | int] = Field(
        default_factory=dict, description="its parameters, e.g. {'timeperiod': 14}"
    )
    label: str | None = Field(None, description="column name (default: name(params))")


# -- shared result pieces -----------------------------------------------------------------------


class Processing(BaseModel):
    """Where the work ran. ``gpu_used`` is never claimed: it is true only when a GPU ran it."""

    gpu_requested: bool
    gpu_used: bool
    device: str
    seconds: float
    note: str | None = None


def processing(
    t0: float, gpu_requested: bool, device: str = "cpu", note: str | None = None
) -> Processing:
    """Where a call ran, measured from ``t0`` (``time.perf_counter()``)."""
    import time

    on_gpu = device.startswith("cuda")
    if note is None and gpu_requested and not on_gpu:
        note = "ran on the CPU: this computation has no GPU path or no CUDA GPU is present"
    return Processing(
        gpu_requested=gpu_requested,
        gpu_used=on_gpu,
        device=device,
        seconds=time.perf_counter() - t0,
        note=note if gpu_requested else None,
    )


class Ping(BaseModel):
    status: Literal["ok"]
    timestamp: str
    version: str
    server: str


# -- backtests ----------------------------------------------------------------------------------


class BacktestResults(BaseModel):
    total_return: float | None
    sharpe: float | None
    sortino: float | None
    max_drawdown: float | None
    calmar: float | None = None
    cagr: float | None
    win_rate: float | None
    profit_factor: float | None
    trades: int
    open_trades: int
    exposure: float | None
    final_equity: float


class BenchmarkComparison(BenchmarkResult):
    excess_return: float | None = Field(description="strategy total return - benchmark's")


class Costs(BaseModel):
    include_costs: bool
    fee_rate: float
    slippage: float


class BacktestOut(BaseModel):
    strategy: str
    symbol: str
    spec: str
    engine: str
    params: dict[str, Any]
    bars: int
    first: str
    last: str
    results: BacktestResults
    metrics: dict[str, Any] = Field(description="the full performance summary")
    benchmark_comparison: BenchmarkComparison | None
    costs: Costs
    processing: Processing
    notes: list[str]


class NeuralBacktestOut(BacktestOut):
    model_id: str
    rebalance_frequency: str
    in_sample: bool | None = Field(
        description="the range overlaps the model's training data (None: unknown)"
    )


class OptimizeOut(BaseModel):
    strategy: str
    symbol: str
    metric: str
    method: Literal["grid", "bayes"]
    optimized_parameters: dict[str, Any] | None
    best_score: float | None
    iterations_completed: int = Field(description="configurations evaluated")
    combinations: int = Field(description="size of the search space")
    max_iterations: int
    default_parameters: dict[str, Any]
    default_score: float | None
    improvement_percentage: float | None
    top: list[TopEntry]
    grid: list[str]
    interrupted: bool
    bars: int
    processing: Processing
    notes: list[str]


# -- risk ---------------------------------------------------------------------------------------


class PositionRisk(BaseModel):
    symbol: str
    quantity: float
    price: float
    exposure: float
    weight: float
    marginal_var: float
    component_var: float
    component_cvar: float
    entry_price: float | None = None
    unrealized_pnl: float | None = None


class RiskMetrics(BaseModel):
    value_at_risk: float = Field(description="positive money loss at var_confidence")
    expected_shortfall: float = Field(description="CVaR: mean loss beyond the VaR")
    var_fraction: float
    cvar_fraction: float
    confidence: float
    horizon_days: int
    method: str
    portfolio_value: float
    observations: int
    first: str
    last: str


class RiskOut(BaseModel):
    risk_metrics: RiskMetrics
    positions: list[PositionRisk]
    correlations: dict[str, dict[str, float]] | None
    monte_carlo: dict[str, Any] | None
    processing: Processing
    notes: list[str]


# -- neural -------------------------------------------------------------------------------------


class TrainOut(BaseModel):
    model_id: str
    kind: str
    target: str
    horizon: int
    input_size: int
    rows: int
    train_windows: int
    val_windows: int
    test_windows: int
    epochs: int
    steps: int
    best_step: int | None
    stopped_early: bool
    seconds: float
    parameters: int
    performance: dict[str, float | None] = Field(
        description="the model's test metrics (validation when there is no test split)"
    )
    validation: MetricsTable | None
    test: MetricsTable | None
    intervals: str | None
    path: str
    processing: Processing
    notes: list[str]


class EvaluateOut(BaseModel):
    model_id: str
    kind: str
    source: str
    horizon: int
    input_size: int
    first_origin: str
    last_origin: str
    results: dict[str, float | None] = Field(description="the requested metrics of the model")
    baselines: dict[str, dict[str, float | None]] = Field(
        description="the same metrics of the naive, seasonal-naive and drift forecasts"
    )
    unavailable: dict[str, str] = Field(description="requested metrics not computed, and why")
    evaluation: MetricsTable
    processing: Processing


class ModelStatusOut(BaseModel):
    registry: str
    count: int
    models: list[ModelInfo]
    model: dict[str, Any] | None = Field(description="full details of the model asked for")
    problems: list[str]


# -- data ---------------------------------------------------------------------------------------


class ValidationOut(BaseModel):  # data_views.ReportSummary less by_code and repairs
    ok: bool
    rows_checked: int
    errors: int
    warnings: int
    issues: list[dict[str, Any]]
    repairs_total: int


class ImportOut(ImportBase):
    validation: ValidationOut


class DataListOut(BaseModel):
    count: int
    entries: list[DataEntry]


# -- strategies ---------------------------------------------------------------------------------


class StrategyDetail(StrategyBasics):  # research_views.StrategyInfo less the search grids
    parameters: list[ParamSpec]


class StrategiesOut(BaseModel):
    strategies: list[str]
    count: int
    details: dict[str, StrategyDetail]


class SystemMetricsOut(BaseModel):
    timestamp: str
    uptime_seconds: float
    current_metrics: dict[str, Any]
    history: list[dict[str, Any]] | None
    system_health: Literal["healthy", "degraded"]
    notes: list[str]
