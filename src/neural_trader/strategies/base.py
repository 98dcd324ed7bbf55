"""The strategy contract shared by the vectorized engine, the event engine and live trading.

A strategy states *what position it wants*, never how to get there: after seeing bar ``t`` it
sets a target in [-1, 1] (docs/decisions/0006). The same class offers two ways to compute it:

- ``signals(data)``: all targets at once from numpy arrays (the vectorized engine, sweeps);
- ``on_bar(ctx, bar)``: one bar at a time with O(1) incremental indicators, calling
  ``ctx.target(x)`` (the event engine, paper and live trading).

Both must give the same targets; the parity tests hold every shipped strategy to it.
Requirements are class attributes (freqtrade's ``IStrategy``): parameters as
:mod:`~neural_trader.strategies.parameters` declarations, other inputs as
:class:`DataRequirement`. Callbacks end in ``**kwargs`` so that new engine arguments never
break user code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from neural_trader.core.data import Bar
from neural_trader.core.errors import InvalidArgumentError, NotSupportedError
from neural_trader.strategies.parameters import FloatParam, Param

__all__ = [
    "DataRequirement",
    "Params",
    "Strategy",
    "StrategyContext",
    "StrategyData",
]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DataRequirement:
    """An input beyond the primary symbol's bars.

    ``kind="bars"``: another symbol's bars (the user names it; its close arrives aligned to the
    primary bars as feed ``name``). ``kind="series"``: a numeric column aligned to the bars
    (sentiment, a model score). Optional requirements may be absent: the strategy must say
    what it does without them (``Strategy.notes``).
    """

    name: str
    kind: Literal["bars", "series"]
    description: str
    optional: bool = False


@dataclass(frozen=True)
class StrategyData:
    """Bars of the primary symbol as numpy arrays, plus aligned feeds (the vectorized input)."""

    symbol: str
    ts_event: npt.NDArray[np.int64]
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    feeds: Mapping[str, FloatArray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.ts_event)
        for name in ("open", "high", "low", "close", "volume"):
            if len(getattr(self, name)) != n:
                raise InvalidArgumentError(f"column {name} has a different length than ts_event")
        for name, values in self.feeds.items():
            if len(values) != n:
                raise InvalidArgumentError(
                    f"feed {name!r} has {len(values)} values for {n} bars; align it first"
                )

    def __len__(self) -> int:
        return len(self.ts_event)

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, symbol: str, feeds: Mapping[str, npt.ArrayLike] | None = None
    ) -> StrategyData:
        """From a canonical bar frame (``neural_trader.data.schema``)."""
        return cls(
            symbol=symbol,
            ts_event=np.ascontiguousarray(frame["ts_event"].to_numpy(), dtype=np.int64),
            open=np.ascontiguousarray(frame["open"].to_numpy(), dtype=np.float64),
            high=np.ascontiguousarray(frame["high"].to_numpy(), dtype=np.float64),
            low=np.ascontiguousarray(frame["low"].to_numpy(), dtype=np.float64),
            close=np.ascontiguousarray(frame["close"].to_numpy(), dtype=np.float64),
            volume=np.ascontiguousarray(frame["volume"].to_numpy(), dtype=np.float64),
            feeds={k: np.ascontiguousarray(v, dtype=np.float64) for k, v in (feeds or {}).items()},
        )

    def head(self, stop: int) -> StrategyData:
        """The first ``stop`` bars (views): what the world looked like at bar ``stop - 1``."""
        return StrategyData(
            symbol=self.symbol,
            ts_event=self.ts_event[:stop],
            open=self.open[:stop],
            high=self.high[:stop],
            low=self.low[:stop],
            close=self.close[:stop],
            volume=self.volume[:stop],
            feeds={k: v[:stop] for k, v in self.feeds.items()},
        )

    def feed(self, name: str) -> FloatArray | None:
        return self.feeds.get(name)


class StrategyContext(Protocol):
    """What a strategy sees and can do in the event path (backtest, paper, live)."""

    @property
    def symbol(self) -> str: ...

    @property
    def bar_index(self) -> int: ...

    @property
    def position(self) -> float:
        """Signed quantity held."""
        ...

    @property
    def cash(self) -> float: ...

    @property
    def equity(self) -> float: ...

    def feed(self, name: str) -> float:
        """This bar's value of a declared feed (NaN when absent)."""
        ...

    def target(self, value: float) -> None:
        """Desired exposure in [-1, 1], sized by the engine's sizer (0006)."""
        ...

    def buy(self, quantity: float, *, limit: float | None = None, stop: float | None = None) -> str:
        """Submit an explicit buy order; returns its client order id."""
        ...

    def sell(
        self, quantity: float, *, limit: float | None = None, stop: float | None = None
    ) -> str: ...

    def cancel(self, client_order_id: str) -> None: ...


class Params:
    """Validated parameter values, readable as attributes (``self.p.fast``)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("strategy parameters are read-only; build a new strategy")

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def __repr__(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self._values.items())


class Strategy:
    """Base class of every strategy. Subclasses declare parameters as class attributes."""

    INTERFACE_VERSION: ClassVar[int] = 1
    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    long_only: ClassVar[bool] = True
    requires: ClassVar[tuple[DataRequirement, ...]] = ()

    stop_loss = FloatParam(
        None,
        optional=True,
        low=1e-4,
        high=0.99,
        description="exit when price moves this fraction against the entry (off by default)",
    )
    take_profit = FloatParam(
        None,
        optional=True,
        low=1e-4,
        high=100.0,
        description="exit when price moves this fraction in favour of the entry (off by default)",
    )

    def __init__(self, **params: Any) -> None:
        declared = self.parameters()
        unknown = sorted(set(params) - set(declared))
        if unknown:
            raise InvalidArgumentError(
                f"strategy {self.name!r} has no parameter {', '.join(unknown)}; "
                f"its parameters are {', '.join(declared)}"
            )
        values = {k: p.parse(params[k]) if k in params else p.default for k, p in declared.items()}
        self.p = Params(values)
        self.notes: list[str] = []
        self.check_params()

    @classmethod
    def parameters(cls) -> dict[str, Param]:
        """Declared parameters, the strategy's own first, then the shared risk options."""
        own: dict[str, Param] = {}
        shared: dict[str, Param] = {}
        for klass in reversed(cls.__mro__):
            for key, value in vars(klass).items():
                if isinstance(value, Param):
                    (shared if klass is Strategy else own)[key] = value
        return own | shared

    def check_params(self) -> None:
        """Cross-parameter rules (``fast < slow``); raise InvalidArgumentError to refuse."""

    @property
    def warmup(self) -> int:
        """Bars needed before the first meaningful target (reported, used by walk-forward)."""
        return 0

    # -- vectorized ---------------------------------------------------------------------------
    def signals(self, data: StrategyData) -> FloatArray:
        """Targets for every bar, computed only from bars up to each one (no look-ahead)."""
        raise NotSupportedError(
            f"strategy {self.name!r} has no vectorized signals; run it with --engine event"
        )

    # -- event path ---------------------------------------------------------------------------
    def on_start(self, ctx: StrategyContext, **kwargs: Any) -> None:
        """Reset per-run state (incremental indicators) before the first bar."""

    def on_bar(self, ctx: StrategyContext, bar: Bar, **kwargs: Any) -> None:
        raise NotSupportedError(
            f"strategy {self.name!r} has no event method; run it with --engine vector"
        )

    def on_fill(self, ctx: StrategyContext, fill: Any, **kwargs: Any) -> None:
        """Called after each fill of this strategy's orders."""

    def on_stop(self, ctx: StrategyContext, **kwargs: Any) -> None:
        """Called once after the last bar."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.p!r})"
