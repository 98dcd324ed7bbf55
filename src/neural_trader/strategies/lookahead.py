"""Look-ahead check by truncation: a target for bar ``t`` may not change when later bars vanish.

A strategy without look-ahead computes the target of bar ``t`` from bars ``0..t`` only, so
running it on the first ``T`` bars (``data.head(T)``) must reproduce every target before ``T``
exactly. :func:`check_lookahead` reruns the vectorized signals on several such truncations and
reports each bar whose *effective* target (NaN forward-filled as "keep") differs from the full
run: centred windows, ``np.roll(close, -1)``, whole-series normalisation and the like all show
up near the cut. A cheat is visible only where reading ahead changes the answer (a 0/1 target
peeking one bar ahead may by chance agree at a cut), hence several cuts. Exact equality is the
right test, not a tolerance: the same code on the same prefix does the same floating-point
operations, so any difference means later bars were read.

The optional ``engine_check`` applies the same idea to execution: given
``run(data) -> (order bar indices, order quantities)`` (a backtest engine, typically), the
orders before ``T`` of a run on ``data.head(T)`` must equal the full run's.

Multi-leg strategies (those with ``signals_legs``, e.g. pairs) are checked leg by leg.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.strategies.base import Strategy, StrategyData

__all__ = [
    "EngineRun",
    "LookaheadReport",
    "LookaheadViolation",
    "check_lookahead",
    "effective_targets",
]

FloatArray = npt.NDArray[np.float64]
EngineRun = Callable[[StrategyData], tuple[npt.ArrayLike, npt.ArrayLike]]
"""``run(data) -> (order bar indices, order quantities)``, e.g. a backtest engine's orders."""

MAX_PER_POINT = 20
"""Violations kept per truncation point and kind (all are counted in ``n_violations``)."""


@dataclass(frozen=True)
class LookaheadViolation:
    """One bar before the cut whose target (or order) depends on bars after it."""

    kind: Literal["target", "order"]
    bar: int
    truncation: int
    full: float
    truncated: float
    leg: int = 0

    def __str__(self) -> str:
        what = "target" if self.kind == "target" else "order quantity"
        leg = f" (leg {self.leg})" if self.leg else ""
        return (
            f"bar {self.bar}{leg}: {what} {self.full!r} on all bars but {self.truncated!r} "
            f"on the first {self.truncation}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "bar": self.bar,
            "truncation": self.truncation,
            "full": None if math.isnan(self.full) else self.full,
            "truncated": None if math.isnan(self.truncated) else self.truncated,
            "leg": self.leg,
        }


@dataclass(frozen=True)
class LookaheadReport:
    """Outcome of :func:`check_lookahead`; ``ok`` when no violation was found."""

    strategy: str
    n_bars: int
    points: tuple[int, ...]
    violations: tuple[LookaheadViolation, ...] = ()
    n_violations: int = 0
    orders_checked: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.n_violations == 0

    def summary(self) -> str:
        checked = "targets and orders" if self.orders_checked else "targets"
        head = (
            f"{self.strategy}: {checked} checked at {len(self.points)} truncation points "
            f"over {self.n_bars} bars: "
        )
        if self.ok:
            return head + "no look-ahead found"
        lines = [head + f"{self.n_violations} values depend on later bars"]
        lines += [f"  {v}" for v in self.violations[:10]]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "ok": self.ok,
            "n_bars": self.n_bars,
            "points": list(self.points),
            "n_violations": self.n_violations,
            "violations": [v.to_dict() for v in self.violations],
            "orders_checked": self.orders_checked,
            "notes": list(self.notes),
        }


def effective_targets(targets: npt.ArrayLike) -> FloatArray:
    """Forward-fill NaN ("keep") down each column: the target actually in force at each bar.

    Leading NaNs stay NaN (no target yet). 1-D in, 1-D out; 2-D (bars, legs) per column.
    """
    arr = np.asarray(targets, dtype=np.float64)
    flat = arr.reshape(len(arr), -1)
    n = flat.shape[0]
    idx = np.where(np.isnan(flat), 0, np.arange(n)[:, None])
    np.maximum.accumulate(idx, axis=0, out=idx)
    filled: FloatArray = flat[idx, np.arange(flat.shape[1])[None, :]]
    return filled.reshape(arr.shape)


def _targets(strategy: Strategy, data: StrategyData) -> FloatArray:
    legs = getattr(strategy, "signals_legs", None)
    raw = legs(data) if callable(legs) else strategy.signals(data)
    arr = np.asarray(raw, dtype=np.float64)
    if arr.shape[0] != len(data):
        raise InvalidArgumentError(
            f"strategy {strategy.name!r} returned {arr.shape[0]} targets for {len(data)} bars"
        )
    return arr.reshape(len(data), -1)


def _points(points: Sequence[int] | int, n: int) -> tuple[int, ...]:
    if isinstance(points, int):
        if points < 1:
            raise InvalidArgumentError(f"points={points}: ask for at least one truncation")
        if n < 2:
            return ()
        # Evenly spread cuts, the last near the end, where most history is at stake.
        picked = {min(n - 1, max(1, round(n * (k + 1) / (points + 1)))) for k in range(points)}
        picked.add(n - 1)
        return tuple(sorted(picked))
    out = tuple(sorted({int(t) for t in points}))
    bad = [t for t in out if not 1 <= t < n]
    if bad:
        raise InvalidArgumentError(
            f"truncation points {bad} are outside 1..{n - 1} (the bar count must shrink)"
        )
    return out


def _same(a: FloatArray, b: FloatArray) -> npt.NDArray[np.bool_]:
    """Element-wise equality where NaN equals NaN (a "no target yet" in both runs)."""
    result: npt.NDArray[np.bool_] = (a == b) | (np.isnan(a) & np.isnan(b))
    return result


def _order_arrays(run: EngineRun, data: StrategyData) -> tuple[npt.NDArray[np.int64], FloatArray]:
    bars, qty = run(data)
    b = np.asarray(bars, dtype=np.int64).ravel()
    q = np.asarray(qty, dtype=np.float64).ravel()
    if b.shape != q.shape:
        raise InvalidArgumentError(
            f"engine_check returned {b.size} bar indices and {q.size} quantities"
        )
    return b, q


def _order_violations(
    full: tuple[npt.NDArray[np.int64], FloatArray],
    cut: tuple[npt.NDArray[np.int64], FloatArray],
    t: int,
) -> list[LookaheadViolation]:
    """Orders before bar ``t``, compared in sequence; a missing order compares with NaN."""
    fb, fq = full[0][full[0] < t], full[1][full[0] < t]
    cb, cq = cut[0][cut[0] < t], cut[1][cut[0] < t]
    found: list[LookaheadViolation] = []
    for k in range(max(len(fb), len(cb))):
        in_f = k < len(fb)
        in_c = k < len(cb)
        if in_f and in_c and fb[k] == cb[k] and fq[k] == cq[k]:
            continue
        bar = int(min(fb[k] if in_f else t, cb[k] if in_c else t))
        found.append(
            LookaheadViolation(
                "order",
                bar,
                t,
                float(fq[k]) if in_f and fb[k] == bar else math.nan,
                float(cq[k]) if in_c and cb[k] == bar else math.nan,
            )
        )
    return found


def check_lookahead(
    strategy: Strategy,
    data: StrategyData,
    *,
    points: Sequence[int] | int = 8,
    engine_check: EngineRun | None = None,
) -> LookaheadReport:
    """Rerun ``strategy`` on ``data.head(t)`` for each truncation point ``t`` and compare.

    ``points``: how many evenly spread cuts (always including ``n - 1``), or the cuts
    themselves (each in ``1..n-1``). A violation is a bar ``< t`` whose effective target
    (forward-filled) differs between the full and the truncated run, reported with the bar,
    both values, the cut and the leg. ``engine_check``: ``run(data) -> (order bar indices,
    order quantities)``; orders on bars ``< t`` must agree too (an engine that reads ahead,
    or a strategy whose look-ahead only shows in execution, is caught there).
    """
    n = len(data)
    cuts = _points(points, n)
    full = effective_targets(_targets(strategy, data))
    full_orders = _order_arrays(engine_check, data) if engine_check is not None else None
    kept: list[LookaheadViolation] = []
    total = 0
    for t in cuts:
        part = data.head(t)
        cut = effective_targets(_targets(strategy, part))
        differs = ~_same(full[:t], cut)
        bars, legs = np.nonzero(differs)
        total += len(bars)
        for bar, leg in list(zip(bars.tolist(), legs.tolist(), strict=True))[:MAX_PER_POINT]:
            kept.append(
                LookaheadViolation(
                    "target", bar, t, float(full[bar, leg]), float(cut[bar, leg]), leg
                )
            )
        if engine_check is not None and full_orders is not None:
            found = _order_violations(full_orders, _order_arrays(engine_check, part), t)
            total += len(found)
            kept.extend(found[:MAX_PER_POINT])
    notes = () if n >= 2 else ("fewer than 2 bars: nothing to truncate",)
    return LookaheadReport(
        strategy=strategy.name or type(strategy).__name__,
        n_bars=n,
        points=cuts,
        violations=tuple(kept),
        n_violations=total,
        orders_checked=engine_check is not None,
        notes=notes,
    )
