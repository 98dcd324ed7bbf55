"""Sliding windows over one or many series, time splits without leakage, calendar features.

A *window* is identified by its series and its *origin* ``t``: the row index of the first
forecast step. Its input is rows ``[t - input_size, t)`` and its target rows
``[t, t + horizon)``. Windows are stored as two int64 index arrays (series, origin) over the
concatenated series and gathered per batch, so training over hundreds of assets costs memory
for the series only, not for ``n_windows x (input_size + horizon)`` copies.

Splits are by time and by *target rows*: with ``train_end <= val_end <= n_rows`` a training
window has every row (input and target) before ``train_end``; a validation window has its
targets in ``[train_end, val_end)`` and may read earlier rows as input (that history is known at
forecast time); a test window has its targets in ``[val_end, n_rows)``. So no validation or
test target was ever a training target, and training never reads a validation or test row.
This is the ETTh1 protocol (its validation windows start ``input_size`` rows inside training).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from neural_trader.core.errors import InvalidArgumentError

__all__ = [
    "CALENDAR_PREFIX",
    "SplitBounds",
    "WindowBatch",
    "WindowSet",
    "WindowSplits",
    "calendar_feature_names",
    "calendar_features",
    "exog_windows",
    "infer_season_length",
    "infer_step_ns",
    "make_windows",
    "split_windows",
    "time_split",
    "window_origins",
]

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

NS_PER_DAY = 86_400_000_000_000
NS_PER_HOUR = 3_600_000_000_000
CALENDAR_PREFIX = "calendar:"


# --------------------------------------------------------------------------- single series


def window_origins(
    n_rows: int,
    input_size: int,
    horizon: int,
    *,
    start: int | None = None,
    stop: int | None = None,
    step: int = 1,
) -> IntArray:
    """Origins of every window whose targets lie in ``[start, stop)`` (default: all rows).

    An origin ``t`` needs ``t >= input_size`` (a full input) and ``t + horizon <= stop``.
    """
    _check_sizes(input_size, horizon)
    if step < 1:
        raise InvalidArgumentError(f"window step must be >= 1, got {step}")
    lo = max(input_size, 0 if start is None else int(start))
    hi = (n_rows if stop is None else min(int(stop), n_rows)) - horizon
    if hi < lo:
        return np.empty(0, dtype=np.int64)
    return np.arange(lo, hi + 1, step, dtype=np.int64)


def make_windows(
    values: npt.ArrayLike,
    input_size: int,
    horizon: int,
    origins: npt.ArrayLike | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Inputs ``[n, input_size]`` and targets ``[n, horizon]`` of one series (float64 copies)."""
    y = np.asarray(values, dtype=np.float64)
    if y.ndim != 1:
        raise InvalidArgumentError(f"a series must be 1-D, got shape {y.shape}")
    t = (
        window_origins(len(y), input_size, horizon)
        if origins is None
        else np.asarray(origins, dtype=np.int64)
    )
    if t.size and (t.min() < input_size or t.max() + horizon > len(y)):
        raise InvalidArgumentError("a window origin falls outside the series")
    rows = t[:, None] + np.arange(-input_size, horizon, dtype=np.int64)[None, :]
    full = y[rows] if t.size else np.empty((0, input_size + horizon))
    return full[:, :input_size].copy(), full[:, input_size:].copy()


def exog_windows(exog: npt.ArrayLike, input_size: int, origins: npt.ArrayLike) -> Float32Array:
    """The input part ``[n, input_size, n_features]`` of exogenous features (past values only)."""
    x = np.asarray(exog, dtype=np.float32)
    if x.ndim != 2:
        raise InvalidArgumentError(f"exogenous features must be [rows, features], got {x.shape}")
    t = np.asarray(origins, dtype=np.int64)
    rows = t[:, None] + np.arange(-input_size, 0, dtype=np.int64)[None, :]
    out: Float32Array = x[rows]
    return out


@dataclass(frozen=True, slots=True)
class SplitBounds:
    """Row boundaries of one series: train ``[0, train_end)``, val ``[train_end, val_end)``,
    test ``[val_end, n_rows)`` (by target rows; see the module doc)."""

    n_rows: int
    train_end: int
    val_end: int


def time_split(
    n_rows: int,
    input_size: int,
    horizon: int,
    val_fraction: float = 0.2,
    test_fraction: float = 0.0,
) -> SplitBounds:
    """Cut a series by time; refuse a cut that leaves a part without a single window."""
    _check_sizes(input_size, horizon)
    if not (0.0 <= val_fraction < 1.0 and 0.0 <= test_fraction < 1.0):
        raise InvalidArgumentError("validation and test fractions must be in [0, 1)")
    if val_fraction + test_fraction >= 1.0:
        raise InvalidArgumentError("validation + test fractions must leave rows for training")
    n_val = round(n_rows * val_fraction)
    n_test = round(n_rows * test_fraction)
    for name, frac, n in (("validation", val_fraction, n_val), ("test", test_fraction, n_test)):
        if frac > 0.0 and n < horizon:
            raise InvalidArgumentError(
                f"the {name} part has {n} rows ({frac:.0%} of {n_rows}), fewer than the "
                f"horizon {horizon}: no {name} window fits",
                hint=f"give more rows or a larger {name} fraction",
            )
    train_end = n_rows - n_val - n_test
    if train_end < input_size + horizon:
        need = input_size + horizon
        raise InvalidArgumentError(
            f"{n_rows} rows leave {train_end} for training, fewer than input size + horizon "
            f"= {need}: not one training window fits",
            hint="give more rows, or a smaller --input-size / --horizon / validation fraction",
        )
    return SplitBounds(n_rows=n_rows, train_end=train_end, val_end=train_end + n_val)


# --------------------------------------------------------------------------- many series


class WindowBatch(NamedTuple):
    """One training batch, float32 as the models take it."""

    y_in: Float32Array  # [n, input_size]
    exog: Float32Array | None  # [n, input_size, n_features]
    y_out: Float32Array  # [n, horizon]


class WindowSet:
    """Windows over several series, as (series, origin) index pairs into concatenated data."""

    def __init__(
        self,
        values: Sequence[npt.ArrayLike],
        exog: Sequence[npt.ArrayLike] | None,
        *,
        input_size: int,
        horizon: int,
        series_index: npt.ArrayLike,
        origins: npt.ArrayLike,
    ) -> None:
        _check_sizes(input_size, horizon)
        ys = [np.asarray(v, dtype=np.float64) for v in values]
        if not ys:
            raise InvalidArgumentError("no series given")
        if any(y.ndim != 1 for y in ys):
            raise InvalidArgumentError("every series must be 1-D")
        lengths = np.array([len(y) for y in ys], dtype=np.int64)
        self.input_size = int(input_size)
        self.horizon = int(horizon)
        self.lengths = lengths
        self._offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        self._y = np.concatenate(ys)
        if exog is not None:
            xs = [np.asarray(x, dtype=np.float32) for x in exog]
            if len(xs) != len(ys):
                raise InvalidArgumentError(f"{len(xs)} exogenous arrays for {len(ys)} series")
            widths = {x.shape[1] if x.ndim == 2 else -1 for x in xs}
            if len(widths) != 1 or -1 in widths:
                raise InvalidArgumentError("exogenous arrays must be 2-D with one feature count")
            for y, x in zip(ys, xs, strict=True):
                if len(x) != len(y):
                    raise InvalidArgumentError("each exogenous array needs one row per value")
            self._x: Float32Array | None = np.concatenate(xs, axis=0)
        else:
            self._x = None
        self.series_index = np.asarray(series_index, dtype=np.int64).ravel()
        self.origins = np.asarray(origins, dtype=np.int64).ravel()
        if self.series_index.shape != self.origins.shape:
            raise InvalidArgumentError("series_index and origins differ in length")
        if self.origins.size:
            s = self.series_index
            if s.min() < 0 or s.max() >= len(ys):
                raise InvalidArgumentError("a window names a series that does not exist")
            if (self.origins < input_size).any() or (self.origins + horizon > lengths[s]).any():
                raise InvalidArgumentError("a window origin falls outside its series")

    @classmethod
    def from_ranges(
        cls,
        values: Sequence[npt.ArrayLike],
        exog: Sequence[npt.ArrayLike] | None,
        *,
        input_size: int,
        horizon: int,
        ranges: Sequence[tuple[int, int]],
        step: int = 1,
    ) -> WindowSet:
        """Every window of series ``i`` whose targets lie in ``ranges[i] = (start, stop)``."""
        if len(ranges) != len(values):
            raise InvalidArgumentError(f"{len(ranges)} row ranges for {len(values)} series")
        sidx, orig = [], []
        for i, (v, (start, stop)) in enumerate(zip(values, ranges, strict=True)):
            t = window_origins(
                len(np.asarray(v)), input_size, horizon, start=start, stop=stop, step=step
            )
            sidx.append(np.full(t.size, i, dtype=np.int64))
            orig.append(t)
        return cls(
            values,
            exog,
            input_size=input_size,
            horizon=horizon,
            series_index=np.concatenate(sidx),
            origins=np.concatenate(orig),
        )

    def __len__(self) -> int:
        return int(self.origins.size)

    @property
    def n_series(self) -> int:
        return int(self.lengths.size)

    @property
    def n_exog(self) -> int:
        return 0 if self._x is None else int(self._x.shape[1])

    def _rows(self, idx: IntArray | None) -> IntArray:
        s = self.series_index if idx is None else self.series_index[idx]
        t = self.origins if idx is None else self.origins[idx]
        start = self._offsets[s] + t
        span = np.arange(-self.input_size, self.horizon, dtype=np.int64)
        return start[:, None] + span[None, :]

    def arrays(
        self, idx: npt.ArrayLike | None = None
    ) -> tuple[FloatArray, Float32Array | None, FloatArray]:
        """Inputs, exogenous inputs and targets of windows ``idx`` (all by default), float64."""
        sel = None if idx is None else np.asarray(idx, dtype=np.int64)
        rows = self._rows(sel)
        full = self._y[rows]
        ex = None if self._x is None else self._x[rows[:, : self.input_size]]
        return full[:, : self.input_size], ex, full[:, self.input_size :]

    def batch(self, idx: npt.ArrayLike) -> WindowBatch:
        """Windows ``idx`` as float32 arrays for a training step."""
        y_in, ex, y_out = self.arrays(idx)
        return WindowBatch(y_in.astype(np.float32), ex, y_out.astype(np.float32))

    def row_indices(self) -> tuple[IntArray, IntArray]:
        """Per window, the series-local row numbers of its inputs and of its targets."""
        t = self.origins
        inputs = t[:, None] + np.arange(-self.input_size, 0, dtype=np.int64)[None, :]
        targets = t[:, None] + np.arange(self.horizon, dtype=np.int64)[None, :]
        return inputs, targets


@dataclass(frozen=True)
class WindowSplits:
    train: WindowSet
    val: WindowSet | None
    test: WindowSet | None
    bounds: tuple[SplitBounds, ...]


def split_windows(
    values: Sequence[npt.ArrayLike],
    exog: Sequence[npt.ArrayLike] | None,
    *,
    input_size: int,
    horizon: int,
    val_fraction: float = 0.2,
    test_fraction: float = 0.0,
    eval_step: int = 1,
) -> WindowSplits:
    """Split every series by time (same fractions each) into train / val / test windows.

    Training windows use every origin (the trainer samples them); validation and test windows
    every ``eval_step``-th origin.
    """
    bounds = tuple(
        time_split(len(np.asarray(v)), input_size, horizon, val_fraction, test_fraction)
        for v in values
    )
    flat = [
        k
        for k, (v, b) in enumerate(zip(values, bounds, strict=True))
        if np.ptp(np.asarray(v, dtype=np.float64)[: b.train_end]) == 0.0
    ]
    if len(flat) == len(bounds):
        # Every target the model could learn from is one number: any "fit" would be the
        # naive forecast dressed up as a model, and per-window scaling divides by zero spread.
        which = "the series is" if len(bounds) == 1 else "every series is"
        raise InvalidArgumentError(
            f"{which} constant over its training rows: there is nothing to learn",
            hint="forecast a series that varies (or use the naive baseline: it is exact here)",
        )

    def part(ranges: list[tuple[int, int]], step: int) -> WindowSet:
        return WindowSet.from_ranges(
            values, exog, input_size=input_size, horizon=horizon, ranges=ranges, step=step
        )

    train = part([(0, b.train_end) for b in bounds], 1)
    val = part([(b.train_end, b.val_end) for b in bounds], eval_step) if val_fraction else None
    test = part([(b.val_end, b.n_rows) for b in bounds], eval_step) if test_fraction else None
    return WindowSplits(train=train, val=val, test=test, bounds=bounds)


# --------------------------------------------------------------------------- time features


def infer_step_ns(ts: npt.ArrayLike) -> int:
    """The median spacing of int64 ns timestamps (robust to weekends and holidays)."""
    t = np.asarray(ts, dtype=np.int64)
    if t.size < 2:
        raise InvalidArgumentError("at least two timestamps are needed to infer a frequency")
    return int(np.median(np.diff(t)))


def infer_season_length(ts: npt.ArrayLike) -> int:
    """The seasonal period the seasonal-naive baseline and MASE use, from the timestamps.

    Intraday: the median number of rows per calendar day (24 for hourly ETTh1, 78 for
    five-minute bars of a 6.5-hour session). Daily: 7 when weekends occur, else 5 (trading
    days). Weekly 52, monthly 12, quarterly 4, anything else 1 (no season).
    """
    t = np.asarray(ts, dtype=np.int64)
    step = infer_step_ns(t)
    day = NS_PER_DAY
    if step < day:
        _, counts = np.unique(t // day, return_counts=True)
        return max(int(np.median(counts)), 1)
    if step < 2 * day:
        dow = (t // day + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        return 7 if bool(np.isin(dow, (5, 6)).any()) else 5
    if 6 * day <= step <= 8 * day:
        return 52
    if 27 * day <= step <= 32 * day:
        return 12
    if 88 * day <= step <= 93 * day:
        return 4
    return 1


_CALENDAR_ALL = ("tod_sin", "tod_cos", "dow_sin", "dow_cos", "doy_sin", "doy_cos")


def calendar_feature_names(ts: npt.ArrayLike) -> tuple[str, ...]:
    """The calendar features that vary at the data's frequency, prefixed ``calendar:``.

    Time of day only for intraday rows, day of week only below weekly rows, day of year
    always: a feature constant over every window teaches a model nothing.
    """
    step = infer_step_ns(ts)
    names: list[str] = []
    if step < NS_PER_DAY:
        names += ["tod_sin", "tod_cos"]
    if step < 7 * NS_PER_DAY:
        names += ["dow_sin", "dow_cos"]
    names += ["doy_sin", "doy_cos"]
    return tuple(CALENDAR_PREFIX + n for n in names)


def calendar_features(ts: npt.ArrayLike, names: Sequence[str]) -> Float32Array:
    """Sine/cosine encodings (UTC) of time of day, day of week, day of year: ``[rows, k]``."""
    t = np.asarray(ts, dtype=np.int64)
    tod = (t % NS_PER_DAY) / NS_PER_DAY
    days = t // NS_PER_DAY
    dow = ((days + 3) % 7) / 7.0
    d = t.astype("datetime64[ns]")
    doy = (d.astype("datetime64[D]") - d.astype("datetime64[Y]").astype("datetime64[D]")).astype(
        np.int64
    ) / 365.25
    phase = {"tod": tod, "dow": dow, "doy": doy}
    cols = []
    for full in names:
        if not full.startswith(CALENDAR_PREFIX):
            raise InvalidArgumentError(f"{full!r} is not a calendar feature")
        name = full[len(CALENDAR_PREFIX) :]
        if name not in _CALENDAR_ALL:
            raise InvalidArgumentError(
                f"unknown calendar feature {name!r}; known: {', '.join(_CALENDAR_ALL)}"
            )
        kind, fn = name.split("_")
        angle = 2.0 * np.pi * phase[kind]
        cols.append(np.sin(angle) if fn == "sin" else np.cos(angle))
    if not cols:
        return np.empty((t.size, 0), dtype=np.float32)
    return np.stack(cols, axis=1).astype(np.float32)


def _check_sizes(input_size: int, horizon: int) -> None:
    if int(input_size) < 1:
        raise InvalidArgumentError(f"input size must be >= 1, got {input_size}")
    if int(horizon) < 1:
        raise InvalidArgumentError(f"horizon must be >= 1, got {horizon}")
