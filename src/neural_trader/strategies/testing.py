"""Run a strategy's event path without an engine: what ``on_bar`` asks for, bar by bar.

The parity tests hold ``signals(data)`` equal to the event path. Comparing through the event
engine would mix in execution (sizing, stops, the engine's clipping of targets); the
:class:`TargetRecorder` here executes nothing. It implements the
:class:`~neural_trader.strategies.base.StrategyContext` protocol and only records the target each
``on_bar`` call sets, so any difference it shows is the strategy's own.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from neural_trader.core.data import Bar, BarSpec, BarUnit
from neural_trader.core.errors import InvalidArgumentError, NotSupportedError
from neural_trader.strategies.base import Strategy, StrategyData

__all__ = ["TargetRecorder", "event_targets"]

FloatArray = npt.NDArray[np.float64]


class TargetRecorder:
    """A :class:`StrategyContext` that records ``ctx.target(x)`` per bar and executes nothing.

    ``targets[i]`` is the last value set during bar ``i`` (one target per bar, as the event
    engine has it), NaN where nothing was set; a NaN target means "keep" and records nothing,
    also as in the engine. Values are recorded as the strategy gave them, *not* clipped to the
    engine's allowed range, so a strategy that asks for too much is visible. The account never
    moves: ``position`` is 0 and ``cash``/``equity`` stay at ``cash``. Explicit orders raise.
    """

    def __init__(self, data: StrategyData, *, cash: float = 10_000.0) -> None:
        self._data = data
        self._cash = float(cash)
        self._index = -1
        self.targets: FloatArray = np.full(len(data), math.nan)

    def advance(self, index: int) -> None:
        """Make bar ``index`` the current one (feeds and ``bar_index`` read it)."""
        self._index = index

    @property
    def symbol(self) -> str:
        return self._data.symbol

    @property
    def bar_index(self) -> int:
        return self._index

    @property
    def position(self) -> float:
        return 0.0

    @property
    def cash(self) -> float:
        return self._cash

    @property
    def equity(self) -> float:
        return self._cash

    def feed(self, name: str) -> float:
        values = self._data.feeds.get(name)
        if values is None or self._index < 0:
            return math.nan
        return float(values[self._index])

    def target(self, value: float) -> None:
        value = float(value)
        if value != value:
            return
        if math.isinf(value):
            raise InvalidArgumentError(
                f"target {value} at bar {self._index}; targets are in [-1, 1] or NaN (keep)"
            )
        if self._index < 0:
            raise InvalidArgumentError("target() was called outside on_bar (no current bar)")
        self.targets[self._index] = value

    def buy(self, quantity: float, *, limit: float | None = None, stop: float | None = None) -> str:
        raise NotSupportedError(
            "TargetRecorder records targets only; run explicit orders through the event engine"
        )

    def sell(
        self, quantity: float, *, limit: float | None = None, stop: float | None = None
    ) -> str:
        raise NotSupportedError(
            "TargetRecorder records targets only; run explicit orders through the event engine"
        )

    def cancel(self, client_order_id: str) -> None:
        raise NotSupportedError("TargetRecorder has no orders to cancel")


def _infer_spec(ts: npt.NDArray[np.int64]) -> BarSpec:
    """A label for the bars (strategies here do not read it): the smallest timestamp step."""
    steps = np.diff(ts[: min(len(ts), 100_000)])
    positive = steps[steps > 0]
    if positive.size == 0:
        return BarSpec(1, BarUnit.DAY)
    step_ns = int(positive.min())
    for unit in (BarUnit.WEEK, BarUnit.DAY, BarUnit.HOUR, BarUnit.MINUTE, BarUnit.SECOND):
        unit_ns = BarSpec(1, unit).nanos
        if step_ns >= unit_ns and step_ns % unit_ns == 0:
            return BarSpec(step_ns // unit_ns, unit)
    return BarSpec(1, BarUnit.DAY)


def event_targets(
    strategy: Strategy, data: StrategyData, *, spec: BarSpec | str | None = None
) -> FloatArray:
    """Targets ``strategy``'s event path sets on ``data``: ``on_start``, ``on_bar`` per bar,
    ``on_stop``, recorded by a :class:`TargetRecorder`; NaN where ``on_bar`` set nothing.

    Comparable with ``strategy.signals(data)`` element by element: the parity tests demand
    that the two agree exactly.
    """
    bar_spec = BarSpec.parse(spec) if spec is not None else _infer_spec(data.ts_event)
    ctx = TargetRecorder(data)
    strategy.on_start(ctx)
    rows = zip(
        data.ts_event.tolist(),
        data.open.tolist(),
        data.high.tolist(),
        data.low.tolist(),
        data.close.tolist(),
        data.volume.tolist(),
        strict=True,
    )
    symbol = data.symbol
    on_bar = strategy.on_bar
    for i, (ts, o, h, lo, c, v) in enumerate(rows):
        ctx.advance(i)
        on_bar(ctx, Bar(symbol, bar_spec, ts, o, h, lo, c, v))
    strategy.on_stop(ctx)
    return ctx.targets
