"""The strategy- and pandas-facing API of the vectorized engine.

Strategies produce whole target arrays (``Strategy.signals``); these functions validate them,
turn the frozen :class:`BacktestConfig` into kernel scalars and call the numba kernels of
:mod:`neural_trader.backtest.vector.nb`. Nothing here loops over bars.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from neural_trader.backtest.config import BacktestConfig
from neural_trader.backtest.vector import nb
from neural_trader.backtest.vector.result import GridResult, PortfolioResult, VectorResult
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.strategies.base import Strategy, StrategyData

__all__ = ["run_grid", "run_portfolio", "run_vector", "run_vector_targets"]

FloatArray = npt.NDArray[np.float64]


def _check_targets(values: npt.ArrayLike, n: int, what: str) -> FloatArray:
    arr = np.ascontiguousarray(values, dtype=np.float64)
    if arr.shape != (n,):
        raise InvalidArgumentError(f"{what} has shape {arr.shape}; expected ({n},), one per bar")
    if np.isinf(arr).any():
        bad = int(np.flatnonzero(np.isinf(arr))[0])
        raise InvalidArgumentError(
            f"{what} is infinite at bar {bad}; targets are in [-1, 1] or NaN (keep the last)"
        )
    return arr


def _stop(value: float | None, name: str) -> float:
    if value is None:
        return math.nan
    if not 0 < value < math.inf:
        raise InvalidArgumentError(f"{name}={value} must be a positive fraction of the entry")
    return float(value)


def _strategy_stops(strategy: Strategy) -> tuple[float | None, float | None]:
    values = strategy.p.as_dict()
    return values.get("stop_loss"), values.get("take_profit")


def _sigma(data: StrategyData, config: BacktestConfig) -> FloatArray:
    """Per-bar annualised volatility for ``vol_target`` (NaN otherwise: never read)."""
    if config.sizer != "vol_target":
        return np.full(len(data), np.nan)
    result: FloatArray = nb.rolling_sigma_nb(
        np.ascontiguousarray(data.close, dtype=np.float64),
        config.vol_lookback,
        config.periods_per_year,
    )
    return result


def _bars(data: StrategyData) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, Any]:
    def f(a: npt.ArrayLike) -> FloatArray:
        return np.ascontiguousarray(a, dtype=np.float64)

    ts = np.ascontiguousarray(data.ts_event, dtype=np.int64)
    return f(data.open), f(data.high), f(data.low), f(data.close), ts


def run_vector_targets(
    targets: npt.ArrayLike,
    data: StrategyData,
    config: BacktestConfig | None = None,
    *,
    stop_loss: float | None = None,
    take_profit: float | None = None,
) -> VectorResult:
    """Simulate raw targets (one per bar, [-1, 1] or NaN) on ``data`` (0006).

    Without a strategy, ``config.long_only=None`` means "may go short": targets are only
    clipped to [-1, 1].
    """
    config = config or BacktestConfig()
    n = len(data)
    arr = _check_targets(targets, n, "targets")
    open_, high, low, close, ts = _bars(data)
    cash, position, equity, orders, trades, skipped = nb.simulate_nb(
        open_, high, low, close, ts, arr, _sigma(data, config), config.cash, config.fee_rate,
        config.fixed_fee, config.slippage, config.fill == "open", nb.SIZER_CODES[config.sizer],
        config.fraction, config.quantity, config.vol_target, config.max_leverage,
        config.lot_size, config.min_size, config.min_notional, bool(config.long_only),
        config.rebalance == "every_bar", _stop(stop_loss, "stop_loss"),
        _stop(take_profit, "take_profit"),
    )  # fmt: skip
    return VectorResult(
        symbol=data.symbol,
        ts=ts,
        targets=arr,
        cash=cash,
        position=position,
        equity=equity,
        orders=orders,
        trades=trades,
        skipped=skipped,
        config=config,
    )


def run_vector(
    strategy: Strategy, data: StrategyData, config: BacktestConfig | None = None
) -> VectorResult:
    """Run ``strategy.signals(data)`` through the engine, with the strategy's stop options and,
    unless the config says otherwise, its ``long_only`` flag."""
    config = config or BacktestConfig()
    if config.long_only is None:
        config = config.model_copy(update={"long_only": type(strategy).long_only})
    stop_loss, take_profit = _strategy_stops(strategy)
    targets = _check_targets(strategy.signals(data), len(data), f"{strategy.name or strategy}")
    return run_vector_targets(targets, data, config, stop_loss=stop_loss, take_profit=take_profit)


def _per_config(
    values: float | Sequence[float] | None, default: float, k: int, name: str
) -> FloatArray:
    if values is None:
        return np.full(k, default)
    if isinstance(values, int | float):
        return np.full(k, float(values))
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (k,):
        raise InvalidArgumentError(f"{name} has {arr.size} values for {k} configurations")
    return arr


def run_grid(
    strategy_cls: type[Strategy],
    data: StrategyData,
    param_grid: Sequence[Mapping[str, Any]],
    config: BacktestConfig | None = None,
    *,
    fee_rates: float | Sequence[float] | None = None,
    slippages: float | Sequence[float] | None = None,
    record_equity: bool = False,
) -> GridResult:
    """Evaluate many parameter sets of one strategy in one parallel kernel call.

    Signals are computed per parameter set (each builds and validates its strategy), then all
    columns are simulated together, one independent account per configuration. ``fee_rates``
    and ``slippages`` may vary per configuration (default: the config's). Memory is
    ``8 * n_bars * n_configs`` bytes for the targets (plus the same again with
    ``record_equity``).
    """
    config = config or BacktestConfig()
    if not param_grid:
        raise InvalidArgumentError("param_grid is empty; give at least one parameter set")
    k = len(param_grid)
    n = len(data)
    long_only = strategy_cls.long_only if config.long_only is None else bool(config.long_only)
    targets = np.empty((k, n), dtype=np.float64)
    stop_losses = np.empty(k, dtype=np.float64)
    take_profits = np.empty(k, dtype=np.float64)
    params: list[dict[str, Any]] = []
    for c, combo in enumerate(param_grid):
        strategy = strategy_cls(**dict(combo))
        targets[c] = _check_targets(strategy.signals(data), n, f"{strategy!r}")
        sl, tp = _strategy_stops(strategy)
        stop_losses[c] = _stop(sl, "stop_loss")
        take_profits[c] = _stop(tp, "take_profit")
        params.append(dict(combo))
    open_, high, low, close, ts = _bars(data)
    fees = _per_config(fee_rates, config.fee_rate, k, "fee_rates")
    slips = _per_config(slippages, config.slippage, k, "slippages")
    for name, arr in (("fee_rates", fees), ("slippages", slips)):
        if not ((arr >= 0) & (arr < 1)).all():
            raise InvalidArgumentError(f"{name} must all be in [0, 1)")
    final_cash, final_pos, final_eq, n_orders, n_closed, n_open, n_skipped, equity = (
        nb.simulate_grid_nb(
            open_, high, low, close, ts, targets, _sigma(data, config), config.cash, fees,
            np.full(k, config.fixed_fee), slips, config.fill == "open",
            nb.SIZER_CODES[config.sizer], config.fraction, config.quantity, config.vol_target,
            config.max_leverage, config.lot_size, config.min_size, config.min_notional,
            long_only, config.rebalance == "every_bar", stop_losses, take_profits,
            record_equity,
        )
    )  # fmt: skip
    return GridResult(
        params=params,
        final_cash=final_cash,
        final_position=final_pos,
        final_equity=final_eq,
        n_orders=n_orders,
        n_trades=n_closed,
        n_open_trades=n_open,
        n_skipped=n_skipped,
        equity=equity.T if record_equity else None,
        config=config,
    )


def run_portfolio(
    weights: npt.ArrayLike,
    datas: Sequence[StrategyData],
    config: BacktestConfig | None = None,
) -> PortfolioResult:
    """Target weights (n_bars, n_assets; NaN = keep) over assets sharing one cash account.

    The bars of every asset must share timestamps (align them first). Sizing is
    ``target_weight``: pass ``BacktestConfig(sizer="target_weight")``; ``long_only`` defaults
    to True here (no strategy decides). Rows whose gross weight exceeds ``max_leverage`` are
    refused rather than scaled silently.
    """
    config = config or BacktestConfig(sizer="target_weight")
    if config.sizer != "target_weight":
        raise InvalidArgumentError(
            f"run_portfolio sizes by target weight; got sizer={config.sizer!r}. "
            "Pass BacktestConfig(sizer='target_weight', ...)"
        )
    if not datas:
        raise InvalidArgumentError("run_portfolio needs at least one asset")
    n = len(datas[0])
    for d in datas[1:]:
        if len(d) != n or not np.array_equal(d.ts_event, datas[0].ts_event):
            raise InvalidArgumentError(
                f"bars of {d.symbol} and {datas[0].symbol} have different timestamps; "
                "align them on one calendar first"
            )
    m = len(datas)
    w = np.ascontiguousarray(weights, dtype=np.float64)
    if w.shape != (n, m):
        raise InvalidArgumentError(f"weights have shape {w.shape}; expected ({n}, {m})")
    if np.isinf(w).any():
        raise InvalidArgumentError("weights contain infinities; use [-1, 1] or NaN (keep)")
    long_only = True if config.long_only is None else bool(config.long_only)
    lo = 0.0 if long_only else -1.0
    held = np.clip(_ffill_columns(w), lo, 1.0)
    gross = np.nansum(np.abs(held), axis=1)
    over = np.flatnonzero(gross > config.max_leverage + 1e-12)
    if over.size:
        raise InvalidArgumentError(
            f"gross weight {gross[over[0]]:.6g} at bar {int(over[0])} exceeds "
            f"max_leverage={config.max_leverage}; scale the weights down"
        )
    open_ = np.ascontiguousarray(np.column_stack([d.open for d in datas]), dtype=np.float64)
    close = np.ascontiguousarray(np.column_stack([d.close for d in datas]), dtype=np.float64)
    ts = np.ascontiguousarray(datas[0].ts_event, dtype=np.int64)
    cash, positions, equity, orders, trades, skipped = nb.simulate_portfolio_nb(
        open_, close, ts, w, config.cash, config.fee_rate, config.fixed_fee, config.slippage,
        config.fill == "open", config.lot_size, config.min_size, config.min_notional,
        long_only, config.rebalance == "every_bar",
    )  # fmt: skip
    return PortfolioResult(
        symbols=[d.symbol for d in datas],
        ts=ts,
        weights=w,
        cash=cash,
        positions=positions,
        equity=equity,
        orders=orders,
        trades=trades,
        skipped=skipped,
        config=config,
    )


def _ffill_columns(values: FloatArray) -> FloatArray:
    """Forward-fill NaNs down each column (leading NaNs stay NaN)."""
    n = values.shape[0]
    idx = np.where(np.isnan(values), 0, np.arange(n)[:, None])
    np.maximum.accumulate(idx, axis=0, out=idx)
    filled: FloatArray = values[idx, np.arange(values.shape[1])[None, :]]
    return filled
