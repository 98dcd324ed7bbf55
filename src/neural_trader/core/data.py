"""Market data: bar specifications, bars, quotes and trades, in object and columnar form.

Timestamps are ``int`` nanoseconds since the UNIX epoch, UTC, everywhere below the fronts.

Labelling convention (see docs/decisions/0003): a bar's ``ts_event`` is the *start* of its
interval, as Yahoo, Alpaca, Polygon and ccxt label theirs. For daily and longer bars the
interval is a session, and ``ts_event`` is midnight UTC of the session's date: the date is a
label, not an instant. A bar is only known once its interval has ended, which the engines
account for (a signal from bar ``t`` acts at bar ``t+1``).

Market-data objects carry plain floats, not fixed-point ``Price`` values: they are observations,
validated once at the catalog boundary, and the event path touches millions of them. Orders,
fills and money use the fixed-point types of :mod:`neural_trader.core.values`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

import numpy as np
import numpy.typing as npt

from neural_trader.core.errors import InvalidArgumentError

__all__ = [
    "BAR_FIELDS",
    "NANOS_PER_SECOND",
    "Bar",
    "BarBatch",
    "BarSpec",
    "BarUnit",
    "QuoteTick",
    "TradeTick",
]

NANOS_PER_SECOND: Final = 1_000_000_000
BAR_FIELDS: Final = ("open", "high", "low", "close", "volume")


class BarUnit(StrEnum):
    SECOND = "s"
    MINUTE = "m"
    HOUR = "h"
    DAY = "d"
    WEEK = "w"


_UNIT_NANOS: Final = {
    BarUnit.SECOND: NANOS_PER_SECOND,
    BarUnit.MINUTE: 60 * NANOS_PER_SECOND,
    BarUnit.HOUR: 3600 * NANOS_PER_SECOND,
    BarUnit.DAY: 86400 * NANOS_PER_SECOND,
    BarUnit.WEEK: 7 * 86400 * NANOS_PER_SECOND,
}
_SPEC_RE = re.compile(r"^\s*(\d+)\s*(s|sec|m|min|h|hour|d|day|w|week)s?\s*$", re.IGNORECASE)
_UNIT_ALIASES: Final = {
    "s": BarUnit.SECOND,
    "sec": BarUnit.SECOND,
    "m": BarUnit.MINUTE,
    "min": BarUnit.MINUTE,
    "h": BarUnit.HOUR,
    "hour": BarUnit.HOUR,
    "d": BarUnit.DAY,
    "day": BarUnit.DAY,
    "w": BarUnit.WEEK,
    "week": BarUnit.WEEK,
}


@dataclass(frozen=True, slots=True, order=True)
class BarSpec:
    """How bars were aggregated: ``1m``, ``5m``, ``1h``, ``1d``, ``1w``."""

    step: int
    unit: BarUnit

    def __post_init__(self) -> None:
        if not isinstance(self.step, int) or self.step <= 0:
            raise InvalidArgumentError(f"bar step must be a positive integer, got {self.step!r}")

    @classmethod
    def parse(cls, value: str | BarSpec) -> BarSpec:
        """Parse ``"5m"``, ``"1h"``, ``"1d"`` (also ``"5min"``, ``"1day"``)."""
        if isinstance(value, BarSpec):
            return value
        m = _SPEC_RE.match(value)
        if m is None:
            raise InvalidArgumentError(
                f"bar spec {value!r} is not understood; use a number and a unit such as "
                "1m, 5m, 15m, 1h, 1d or 1w"
            )
        return cls(int(m.group(1)), _UNIT_ALIASES[m.group(2).lower()])

    @property
    def nanos(self) -> int:
        """Nominal length of one bar in nanoseconds."""
        return self.step * _UNIT_NANOS[self.unit]

    @property
    def is_intraday(self) -> bool:
        return self.unit in (BarUnit.SECOND, BarUnit.MINUTE, BarUnit.HOUR)

    def __str__(self) -> str:
        return f"{self.step}{self.unit.value}"


@dataclass(frozen=True, slots=True)
class Bar:
    """One OHLCV bar (object form, for the event path)."""

    symbol: str
    spec: BarSpec
    ts_event: int
    open: float
    high: float
    low: float
    close: float
    volume: float


@dataclass(frozen=True, slots=True)
class QuoteTick:
    """Best bid and ask at an instant."""

    symbol: str
    ts_event: int
    bid: float
    ask: float
    bid_size: float
    ask_size: float

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2.0


@dataclass(frozen=True, slots=True)
class TradeTick:
    """One print on the tape."""

    symbol: str
    ts_event: int
    price: float
    size: float
    trade_id: str | None = None
    aggressor_side: str | None = None  # "buy", "sell" or None when the venue does not say


FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(slots=True)
class BarBatch:
    """Bars of one symbol and spec as parallel numpy arrays (columnar form, for bulk work).

    ``ts_event`` is int64 ns UTC, strictly increasing. ``extra`` holds optional float columns
    that travel with the bars (``adj_close``, ``open_interest``).
    """

    symbol: str
    spec: BarSpec
    ts_event: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    extra: dict[str, FloatArray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.ts_event)
        for name in BAR_FIELDS:
            if len(getattr(self, name)) != n:
                raise InvalidArgumentError(
                    f"column {name!r} has {len(getattr(self, name))} values, ts_event has {n}"
                )
        for name, col in self.extra.items():
            if len(col) != n:
                raise InvalidArgumentError(f"extra column {name!r} has {len(col)} values, not {n}")

    @classmethod
    def from_columns(
        cls, symbol: str, spec: BarSpec | str, columns: Mapping[str, npt.ArrayLike]
    ) -> BarBatch:
        """Build from a mapping with ``ts_event`` and the OHLCV names; other keys go to extra."""
        spec = BarSpec.parse(spec)
        missing = [c for c in ("ts_event", *BAR_FIELDS) if c not in columns]
        if missing:
            raise InvalidArgumentError(f"bar columns missing: {', '.join(missing)}")
        extra = {
            k: np.ascontiguousarray(v, dtype=np.float64)
            for k, v in columns.items()
            if k not in ("ts_event", *BAR_FIELDS)
        }
        return cls(
            symbol=symbol,
            spec=spec,
            ts_event=np.ascontiguousarray(columns["ts_event"], dtype=np.int64),
            open=np.ascontiguousarray(columns["open"], dtype=np.float64),
            high=np.ascontiguousarray(columns["high"], dtype=np.float64),
            low=np.ascontiguousarray(columns["low"], dtype=np.float64),
            close=np.ascontiguousarray(columns["close"], dtype=np.float64),
            volume=np.ascontiguousarray(columns["volume"], dtype=np.float64),
            extra=extra,
        )

    def __len__(self) -> int:
        return len(self.ts_event)

    def columns(self) -> dict[str, npt.NDArray[np.generic]]:
        """All columns by name, ``ts_event`` first."""
        out: dict[str, npt.NDArray[np.generic]] = {"ts_event": self.ts_event}
        for name in BAR_FIELDS:
            out[name] = getattr(self, name)
        out.update(self.extra)
        return out

    def slice(self, start: int, stop: int) -> BarBatch:
        """Rows ``start:stop`` (views, no copy)."""
        return BarBatch(
            symbol=self.symbol,
            spec=self.spec,
            ts_event=self.ts_event[start:stop],
            open=self.open[start:stop],
            high=self.high[start:stop],
            low=self.low[start:stop],
            close=self.close[start:stop],
            volume=self.volume[start:stop],
            extra={k: v[start:stop] for k, v in self.extra.items()},
        )

    def bars(self) -> Iterator[Bar]:
        """Object form, one :class:`Bar` at a time."""
        ts = self.ts_event.tolist()
        o, h, lo, c, v = (
            self.open.tolist(),
            self.high.tolist(),
            self.low.tolist(),
            self.close.tolist(),
            self.volume.tolist(),
        )
        for i in range(len(ts)):
            yield Bar(self.symbol, self.spec, ts[i], o[i], h[i], lo[i], c[i], v[i])
