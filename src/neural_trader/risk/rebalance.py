"""A rebalance plan: the trades that move current holdings to target weights, net of costs.

Rules, each chosen so the plan can be executed as printed:

* Value ``V`` = holdings at the given prices plus cash. A target weight is a fraction of the
  value left AFTER the plan's own costs, so the book lands on its targets once the fees are
  paid; costs depend on the trades and the trades on the costs, which a few fixed-point
  iterations settle (each changes the costs by ``cost_rate`` times the last change).
* ``threshold`` is a no-trade band: a position whose weight is within it of its target is left
  alone (trading a 0.3% drift costs more than it corrects). A holding absent from the targets,
  or targeted at 0, is sold entirely whatever the band: that is an instruction, not a drift.
* Quantities are rounded toward zero to ``lot_size`` (0 = fractional units), so a plan never
  buys more than it meant to; trades worth less than ``min_trade_value`` are dropped.
* Sells are listed first: they fund the buys. If buys still exceed the cash available after
  sells and costs (rounding, costs), they are scaled down together until they fit: the plan
  never leaves cash negative.
* Costs: ``cost_rate * |trade value| + fixed_cost`` per trade, in the base currency.
* Long-only: a negative target is a short sale, which this plan does not do
  (:class:`~neural_trader.core.errors.NotSupportedError`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

from neural_trader.core.errors import InvalidArgumentError, NotSupportedError

__all__ = ["RebalancePlan", "Trade", "rebalance_plan"]

_ITERATIONS: Final = 20
_TOL: Final = 1e-9


@dataclass(frozen=True, slots=True)
class Trade:
    symbol: str
    side: Literal["BUY", "SELL"]
    quantity: float
    """Units, positive; the side says which way."""
    price: float
    value: float
    """``quantity * price``, positive."""
    cost: float
    current_weight: float
    target_weight: float
    final_weight: float


@dataclass(frozen=True, slots=True)
class RebalancePlan:
    trades: tuple[Trade, ...]
    value_before: float
    value_after: float
    """``value_before - total_cost``."""
    cash_before: float
    cash_after: float
    total_cost: float
    turnover: float
    """Sum of traded value over ``value_before`` (buys and sells both count)."""
    held_within_band: tuple[str, ...]
    final_weights: dict[str, float]
    notes: tuple[str, ...] = ()


def _round_units(units: float, lot: float) -> float:
    if lot <= 0.0:
        return units
    return math.copysign(math.floor(abs(units) / lot + 1e-9) * lot, units)


def rebalance_plan(
    quantities: Mapping[str, float],
    prices: Mapping[str, float],
    target_weights: Mapping[str, float],
    *,
    cash: float = 0.0,
    threshold: float = 0.0,
    cost_rate: float = 0.0,
    fixed_cost: float = 0.0,
    lot_size: float = 1.0,
    min_trade_value: float = 0.0,
) -> RebalancePlan:
    """Trades from ``quantities`` to ``target_weights`` at ``prices`` (see the module notes)."""
    for name, val in (
        ("threshold", threshold),
        ("cost_rate", cost_rate),
        ("fixed_cost", fixed_cost),
        ("lot_size", lot_size),
        ("min_trade_value", min_trade_value),
    ):
        if not math.isfinite(val) or val < 0.0:
            raise InvalidArgumentError(f"{name} must be a non-negative number, got {val}")
    if cost_rate >= 0.5:
        raise InvalidArgumentError(f"cost_rate {cost_rate} is a fraction (0.001 = 0.1%)")
    if not math.isfinite(cash) or cash < 0.0:
        raise InvalidArgumentError(f"cash must be non-negative, got {cash}")
    targets = {k: float(v) for k, v in target_weights.items()}
    for sym, w in targets.items():
        if not math.isfinite(w):
            raise InvalidArgumentError(f"target weight of {sym} is not a number")
        if w < 0.0:
            raise NotSupportedError(
                f"target weight of {sym} is negative ({w}); the rebalance plan is long-only"
            )
    total_target = sum(targets.values())
    if total_target > 1.0 + _TOL:
        raise InvalidArgumentError(
            f"target weights sum to {total_target:.6f} > 1; the rest (1 - sum) is cash"
        )
    for sym, q in quantities.items():
        if q < 0.0:
            raise NotSupportedError(f"{sym} is held short ({q}); the rebalance plan is long-only")
    symbols = list(dict.fromkeys([*quantities, *targets]))
    px: dict[str, float] = {}
    for sym in symbols:
        p = prices.get(sym)
        if p is None or not math.isfinite(p) or p <= 0.0:
            raise InvalidArgumentError(f"no usable price for {sym} (got {p!r})")
        px[sym] = float(p)
    held = {s: float(quantities.get(s, 0.0)) for s in symbols}
    value = sum(held[s] * px[s] for s in symbols) + cash
    if value <= 0.0:
        raise InvalidArgumentError("the portfolio's value is zero; nothing to rebalance")
    cur_w = {s: held[s] * px[s] / value for s in symbols}
    exit_all = {s for s in symbols if held[s] > 0.0 and targets.get(s, 0.0) == 0.0}
    in_band = [
        s for s in symbols if s not in exit_all and abs(cur_w[s] - targets.get(s, 0.0)) <= threshold
    ]
    traded = [s for s in symbols if s not in in_band]

    def trade_units(net_value: float, buy_scale: float) -> dict[str, float]:
        units: dict[str, float] = {}
        for s in traded:
            if s in exit_all:
                units[s] = -held[s]
                continue
            delta = (targets.get(s, 0.0) * net_value - held[s] * px[s]) / px[s]
            if delta > 0.0:
                delta *= buy_scale
            u = _round_units(delta, lot_size)
            if u != 0.0 and abs(u) * px[s] >= min_trade_value:
                units[s] = u
        return units

    def costs(units: Mapping[str, float]) -> float:
        return sum(cost_rate * abs(u) * px[s] + fixed_cost for s, u in units.items() if u)

    notes: list[str] = []
    buy_scale = 1.0
    units: dict[str, float] = {}
    cost = 0.0
    for _ in range(_ITERATIONS):
        # Settle the costs at this buy scale, then check that the buys fit the cash.
        for _ in range(_ITERATIONS):
            units = trade_units(value - cost, buy_scale)
            new_cost = costs(units)
            if abs(new_cost - cost) <= _TOL * max(1.0, value):
                cost = new_cost
                break
            cost = new_cost
        cash_after = cash - sum(u * px[s] for s, u in units.items()) - cost
        if cash_after >= -_TOL * max(1.0, value):
            break
        buys = sum(u * px[s] for s, u in units.items() if u > 0.0)
        if buys <= 0.0:
            raise InvalidArgumentError("the costs exceed the cash available after sells")
        buy_scale *= max(0.0, 1.0 - (-cash_after) / buys) * (1.0 - 1e-9)
    else:
        raise InvalidArgumentError("could not fit the buys within the available cash")
    if buy_scale < 1.0:
        notes.append(f"buys scaled down to {buy_scale:.4%} of their size to stay within cash")
    skipped = [s for s in traded if s not in units and s not in exit_all]
    if skipped:
        notes.append(
            f"no trade for {', '.join(skipped)}: below one lot or min_trade_value after rounding"
        )
    value_after = value - cost
    final_q = {s: held[s] + units.get(s, 0.0) for s in symbols}
    final_w = {s: final_q[s] * px[s] / value_after for s in symbols}
    trades = []
    for s, u in sorted(units.items(), key=lambda kv: (kv[1] > 0.0, kv[0])):
        trades.append(
            Trade(
                symbol=s,
                side="BUY" if u > 0.0 else "SELL",
                quantity=abs(u),
                price=px[s],
                value=abs(u) * px[s],
                cost=cost_rate * abs(u) * px[s] + fixed_cost,
                current_weight=cur_w[s],
                target_weight=targets.get(s, 0.0),
                final_weight=final_w[s],
            )
        )
    traded_value = sum(t.value for t in trades)
    return RebalancePlan(
        trades=tuple(trades),
        value_before=value,
        value_after=value_after,
        cash_before=cash,
        cash_after=cash - sum(u * px[s] for s, u in units.items()) - cost,
        total_cost=cost,
        turnover=traded_value / value,
        held_within_band=tuple(in_band),
        final_weights=final_w,
        notes=tuple(notes),
    )
