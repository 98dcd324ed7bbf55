"""Seeded synthetic bars: geometric Brownian motion with Merton jumps and Markov-switching
volatility regimes.

Why a simulator at all: tests, demos and benchmarks need bars of any length, at any spec, with
*known* statistical properties (the volatility of each regime, the jump rate), offline and
reproducibly. Every number below comes from ``numpy.random.Generator`` seeded from the caller's
``seed``; the same seed gives the same bars on every machine.

Model (per bar ``i`` of length ``dt`` years, regime ``r_i``)::

    log close_i = log open_i + x_i,       x_i ~ N((mu - sigma^2/2 - lambda kappa) dt, sigma^2 dt)
    log open_i  = log close_{i-1} + J_i,  J_i = sum of N_i ~ Poisson(lambda dt) draws of N(m, s^2)

with ``mu``, ``sigma`` those of regime ``r_i`` and ``kappa = exp(m + s^2/2) - 1`` (Merton's
compensator, so ``drift`` is the expected return *including* jumps). Jumps therefore show as
gaps between a bar's open and the previous close: the natural place for an overnight or news
gap. Regimes form a Markov chain whose
durations are geometric with the configured mean (in bars); on leaving a regime the next one is
drawn uniformly from the others, so with two regimes they simply alternate.

High and low: each bar is split into ``intrabar_steps`` equal sub-steps; given a sub-step's
increment ``a`` and variance ``v``, the maximum of the Brownian bridge over it is drawn exactly
from ``P(M > m) = exp(-2 m (m - a) / v)``, i.e. ``M = (a + sqrt(a^2 - 2 v ln U)) / 2`` (the
minimum symmetrically). The bar's high is the largest of those maxima along the sub-step path.
With one sub-step the high and low have the exact marginal laws of a continuous path but are
drawn independently; more sub-steps bring their joint law closer to the continuous one. This
beats a discretised intrabar path, which understates the range for any affordable step count.

Range determinism (``fetch_bars`` of a sub-range equals the slice of a longer fetch) needs the
price at bar ``i`` without simulating every earlier bar. Bars are grouped in blocks of
``_BLOCK``; a *coarse* stream draws each block's total log return from its exact law (the
regime path fixes the block's variance; jump counts and sizes are drawn per block), and a
*fine* stream per block draws the bars inside it conditioned on that total (independent
Gaussians given their sum: ``x_i = z_i - v_i / V * (sum z - D)``). The price at a block's start
is a cumulative sum over block totals, so a request costs O(blocks before it) scalar draws plus
the blocks it touches. Every stream is a ``SeedSequence`` keyed by (seed, symbol, spec, stream,
index), never by the requested range. Across a block boundary the next open equals the previous
close to within floating-point rounding (~1e-13 relative) rather than bit for bit.

Volume is positive and scales with the regime's volatility (a volatile regime trades more, as
real markets do) and with the bar's absolute return, times lognormal noise.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from neural_trader.core.data import BarSpec, BarUnit
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.data.providers.base import check_range
from neural_trader.data.schema import TS, empty_bar_frame

__all__ = [
    "CALM",
    "DEFAULT_REGIMES",
    "VOLATILE",
    "Regime",
    "SyntheticProvider",
    "generate_bars",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_BLOCK: Final = 16_384  # bars per fine block
_SUPER: Final = 256  # blocks per coarse draw
_CHUNK: Final = 4_096  # regime segments per draw
_MAX_BARS: Final = 20_000_000  # one request; ~1 GB of float64 columns
_DAY_NS: Final = 86_400 * 1_000_000_000
_YEAR_NS: Final = 365.25 * _DAY_NS
_TRADING_DAYS: Final = 252.0
_WEEKS: Final = 52.0
# Monday 1970-01-05 00:00 UTC: the origin of the provider's weekday and weekly grids.
_MONDAY_ORIGIN_NS: Final = 4 * _DAY_NS
_STREAM_REGIME: Final = 0
_STREAM_COARSE: Final = 1
_STREAM_FINE: Final = 2
_VOLUME_NOISE: Final = 0.25
_MEAN_ABS_NORMAL: Final = math.sqrt(2.0 / math.pi)


@dataclass(frozen=True)
class Regime:
    """One volatility regime: annualised drift and volatility, mean duration in bars."""

    drift: float
    volatility: float
    mean_duration_bars: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.drift):
            raise InvalidArgumentError(f"regime drift must be finite, got {self.drift!r}")
        if not (math.isfinite(self.volatility) and self.volatility > 0):
            raise InvalidArgumentError(
                f"regime volatility must be a positive annualised number, got {self.volatility!r}"
            )
        if not (math.isfinite(self.mean_duration_bars) and self.mean_duration_bars >= 1):
            raise InvalidArgumentError(
                "regime mean_duration_bars must be at least 1 (a regime lasts whole bars), "
                f"got {self.mean_duration_bars!r}"
            )


CALM: Final = Regime(drift=0.08, volatility=0.15, mean_duration_bars=250.0)
VOLATILE: Final = Regime(drift=-0.10, volatility=0.45, mean_duration_bars=60.0)
DEFAULT_REGIMES: Final[tuple[Regime, ...]] = (CALM, VOLATILE)
DEFAULT_JUMP_INTENSITY: Final = 3.0
DEFAULT_JUMP_MEAN: Final = -0.02
DEFAULT_JUMP_STD: Final = 0.04
DEFAULT_INTRABAR_STEPS: Final = 4
DEFAULT_BASE_VOLUME: Final = 1_000_000.0


# --------------------------------------------------------------------------------------------
# time grids


@dataclass(frozen=True)
class _Grid:
    """Bar ``i`` starts at ``origin_ns + offset(i)``: 24/7 steps, weekdays, or weeks."""

    kind: Literal["step", "weekday"]
    origin_ns: int
    step_ns: int  # for "step"; a weekday grid steps one day and skips weekends
    bars_per_year: float

    def timestamps(self, idx: IntArray) -> IntArray:
        if self.kind == "step":
            return self.origin_ns + idx * self.step_ns
        weeks, dow = np.divmod(idx, 5)
        return self.origin_ns + (weeks * 7 + dow) * _DAY_NS

    def first_at_or_after(self, t_ns: int) -> int:
        if self.kind == "step":
            return -((self.origin_ns - t_ns) // self.step_ns)  # ceil division
        day = -((self.origin_ns - t_ns) // _DAY_NS)
        week, dow = divmod(day, 7)
        return (week + 1) * 5 if dow >= 5 else week * 5 + dow

    def last_at_or_before(self, t_ns: int) -> int:
        if self.kind == "step":
            return (t_ns - self.origin_ns) // self.step_ns
        day = (t_ns - self.origin_ns) // _DAY_NS
        week, dow = divmod(day, 7)
        return week * 5 + 4 if dow >= 5 else week * 5 + dow


def _grid_for(spec: BarSpec, origin_ns: int) -> _Grid:
    """The grid of ``spec``; ``origin_ns`` must be a Monday midnight for daily and weekly."""
    if spec.is_intraday:
        return _Grid("step", origin_ns, spec.nanos, _YEAR_NS / spec.nanos)
    if spec == BarSpec(1, BarUnit.DAY):
        return _Grid("weekday", origin_ns, _DAY_NS, _TRADING_DAYS)
    if spec == BarSpec(1, BarUnit.WEEK):
        return _Grid("step", origin_ns, spec.nanos, _WEEKS)
    raise InvalidArgumentError(
        f"synthetic bars exist for intraday specs (1m, 5m, 1h, ...), 1d and 1w, not {spec}"
    )


def _monday_on_or_before(t_ns: int) -> int:
    day = t_ns // _DAY_NS  # 1970-01-01 (day 0) was a Thursday
    weekday = (day + 3) % 7  # Monday = 0
    return int((day - weekday) * _DAY_NS)


def _to_ns(value: int | str) -> int:
    if isinstance(value, int):
        return value
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return int(ts.as_unit("ns").value)


# --------------------------------------------------------------------------------------------
# the engine


@dataclass(frozen=True)
class _Model:
    bar_drift: FloatArray  # per-bar log drift by regime, Ito- and jump-compensated
    bar_var: FloatArray  # per-bar variance by regime
    vol_ratio: FloatArray  # volatility relative to the calmest regime (volume scale)
    mean_duration: FloatArray
    jumps_per_bar: float
    jump_mean: float
    jump_std: float
    intrabar_steps: int
    log_p0: float
    base_volume: float


def _make_model(
    *,
    bars_per_year: float,
    start_price: float,
    regimes: Sequence[Regime],
    jump_intensity: float,
    jump_mean: float,
    jump_std: float,
    intrabar_steps: int,
    base_volume: float,
) -> _Model:
    if not regimes:
        raise InvalidArgumentError("at least one regime is needed")
    if not (math.isfinite(start_price) and start_price > 0):
        raise InvalidArgumentError(f"start_price must be positive, got {start_price!r}")
    if not (math.isfinite(jump_intensity) and jump_intensity >= 0):
        raise InvalidArgumentError(f"jump_intensity must be >= 0 per year, got {jump_intensity!r}")
    if not (math.isfinite(jump_std) and jump_std >= 0 and math.isfinite(jump_mean)):
        raise InvalidArgumentError("jump_mean must be finite and jump_std finite and >= 0")
    if not (isinstance(intrabar_steps, int) and intrabar_steps >= 1):
        raise InvalidArgumentError(f"intrabar_steps must be an int >= 1, got {intrabar_steps!r}")
    if not (math.isfinite(base_volume) and base_volume > 0):
        raise InvalidArgumentError(f"base_volume must be positive, got {base_volume!r}")
    dt = 1.0 / bars_per_year
    drift = np.array([r.drift for r in regimes], dtype=np.float64)
    vol = np.array([r.volatility for r in regimes], dtype=np.float64)
    kappa = math.expm1(jump_mean + 0.5 * jump_std**2)
    return _Model(
        bar_drift=(drift - 0.5 * vol**2 - jump_intensity * kappa) * dt,
        bar_var=vol**2 * dt,
        vol_ratio=vol / vol.min(),
        mean_duration=np.array([r.mean_duration_bars for r in regimes], dtype=np.float64),
        jumps_per_bar=jump_intensity * dt,
        jump_mean=jump_mean,
        jump_std=jump_std,
        intrabar_steps=intrabar_steps,
        log_p0=math.log(start_price),
        base_volume=base_volume,
    )


def _rng(entropy: tuple[int, ...], stream: int, index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(list(entropy), spawn_key=(stream, index)))


@dataclass(frozen=True)
class _Segments:
    """The regime path as runs: run ``j`` holds regime ``regime[j]`` on bars
    ``[start[j], end[j])``."""

    regime: IntArray
    start: IntArray
    end: IntArray

    def integrate(self, per_bar: FloatArray, t: IntArray) -> FloatArray:
        """``sum(per_bar[regime of bar i] for i < t)`` for each ``t`` (vectorised)."""
        vals = per_bar[self.regime]
        at_end = np.cumsum((self.end - self.start) * vals)
        j = np.searchsorted(self.end, t, side="right")
        before = np.where(j > 0, at_end[np.maximum(j - 1, 0)], 0.0)
        out: FloatArray = before + (t - self.start[j]) * vals[j]
        return out

    def bars(self, lo: int, hi: int) -> IntArray:
        """Regime index of each bar in ``[lo, hi)``."""
        j0 = int(np.searchsorted(self.end, lo, side="right"))
        j1 = int(np.searchsorted(self.end, hi - 1, side="right")) + 1
        lengths = np.minimum(self.end[j0:j1], hi) - np.maximum(self.start[j0:j1], lo)
        return np.repeat(self.regime[j0:j1], lengths)


def _regime_segments(model: _Model, entropy: tuple[int, ...], upto: int) -> _Segments:
    """Runs of the regime chain covering bars ``[0, upto]``, drawn in fixed-size chunks so the
    path never depends on how far a caller asked for."""
    k = len(model.mean_duration)
    stationary_cdf = np.cumsum(model.mean_duration / model.mean_duration.sum())
    with np.errstate(divide="ignore"):
        log_stay = np.log1p(-1.0 / model.mean_duration)  # -inf where a regime lasts 1 bar
    regimes: list[IntArray] = []
    ends: list[IntArray] = []
    total = 0
    last = 0
    chunk = 0
    while total <= upto:
        rng = _rng(entropy, _STREAM_REGIME, chunk)
        u_start = rng.random()
        offsets = (
            rng.integers(1, k, size=_CHUNK, dtype=np.int64)
            if k > 1
            else np.zeros(_CHUNK, dtype=np.int64)
        )
        u = 1.0 - rng.random(_CHUNK)  # (0, 1]: log is finite
        if chunk == 0:
            first = min(int(np.searchsorted(stationary_cdf, u_start, side="right")), k - 1)
        else:
            first = int((last + offsets[0]) % k)
        steps = offsets.copy()
        steps[0] = 0
        seq = (first + np.cumsum(steps)) % k
        # geometric on {1, 2, ...} with mean d: 1 + floor(ln U / ln(1 - 1/d))
        with np.errstate(divide="ignore", invalid="ignore"):
            extra = np.floor(np.log(u) / log_stay[seq])
        dur = 1 + np.nan_to_num(extra, nan=0.0, posinf=0.0).astype(np.int64)
        end = total + np.cumsum(dur)
        regimes.append(seq.astype(np.int64))
        ends.append(end)
        total = int(end[-1])
        last = int(seq[-1])
        chunk += 1
    end_all = np.concatenate(ends)
    start_all = np.concatenate([np.zeros(1, dtype=np.int64), end_all[:-1]])
    return _Segments(np.concatenate(regimes), start_all, end_all)


@dataclass(frozen=True)
class _Coarse:
    z: FloatArray  # standard normal per block: the block's diffusion shock
    jump_block: IntArray
    jump_pos: IntArray
    jump_size: FloatArray


def _coarse(model: _Model, entropy: tuple[int, ...], n_blocks: int) -> _Coarse:
    lam_block = model.jumps_per_bar * _BLOCK
    zs: list[FloatArray] = []
    blocks: list[IntArray] = []
    pos: list[IntArray] = []
    sizes: list[FloatArray] = []
    for g in range(-(-n_blocks // _SUPER)):
        rng = _rng(entropy, _STREAM_COARSE, g)
        zs.append(rng.standard_normal(_SUPER))
        counts = rng.poisson(lam_block, _SUPER)
        n_jumps = int(counts.sum())
        pos.append(rng.integers(0, _BLOCK, size=n_jumps, dtype=np.int64))
        sizes.append(model.jump_mean + model.jump_std * rng.standard_normal(n_jumps))
        blocks.append(g * _SUPER + np.repeat(np.arange(_SUPER, dtype=np.int64), counts))
    block = np.concatenate(blocks)
    keep = block < n_blocks
    return _Coarse(
        z=np.concatenate(zs)[:n_blocks],
        jump_block=block[keep],
        jump_pos=np.concatenate(pos)[keep],
        jump_size=np.concatenate(sizes)[keep],
    )


@dataclass(frozen=True)
class _Paths:
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    regime: npt.NDArray[np.int8]


def _simulate(model: _Model, entropy: tuple[int, ...], i0: int, i1: int) -> _Paths:
    """Bars ``[i0, i1)`` of the path identified by ``entropy`` (see the module docstring)."""
    if i0 < 0 or i1 <= i0:
        raise InvalidArgumentError(f"bar range [{i0}, {i1}) is empty or negative")
    if i1 - i0 > _MAX_BARS:
        raise InvalidArgumentError(
            f"{i1 - i0:,} bars requested at once; the limit is {_MAX_BARS:,}. "
            "Ask for a shorter range or a longer bar spec."
        )
    b0, b1 = i0 // _BLOCK, (i1 - 1) // _BLOCK
    n_blocks = b1 + 1
    segs = _regime_segments(model, entropy, n_blocks * _BLOCK)
    bounds = np.arange(n_blocks + 1, dtype=np.int64) * _BLOCK
    block_var = np.diff(segs.integrate(model.bar_var, bounds))
    block_drift = np.diff(segs.integrate(model.bar_drift, bounds))
    coarse = _coarse(model, entropy, n_blocks)
    block_shock = np.sqrt(block_var) * coarse.z
    block_jumps = np.bincount(coarse.jump_block, weights=coarse.jump_size, minlength=n_blocks)
    block_total = block_drift + block_shock + block_jumps
    level = model.log_p0 + np.concatenate([np.zeros(1), np.cumsum(block_total)])

    k = model.intrabar_steps
    parts: list[tuple[FloatArray, ...]] = []
    regime_parts: list[IntArray] = []
    for b in range(b0, b1 + 1):
        rng = _rng(entropy, _STREAM_FINE, b)
        # sub-steps along axis 0: reductions over k short rows are k-1 vector operations
        eps = rng.standard_normal((k, _BLOCK))
        exp_hi = rng.standard_exponential((k, _BLOCK))  # -ln U for the bridge maxima
        exp_lo = rng.standard_exponential((k, _BLOCK))
        vol_noise = rng.standard_normal(_BLOCK)

        reg = segs.bars(b * _BLOCK, (b + 1) * _BLOCK)
        var = model.bar_var[reg]
        sd = np.sqrt(var)
        sub = eps * (sd / math.sqrt(k))
        # condition the bar shocks on the coarse block shock (Gaussians given their sum)
        correction = (var / var.sum()) * (sub.sum() - block_shock[b])
        sub += (model.bar_drift[reg] - correction) / k
        x = sub.sum(axis=0)

        in_block = coarse.jump_block == b
        jumps = np.zeros(_BLOCK)
        np.add.at(jumps, coarse.jump_pos[in_block], coarse.jump_size[in_block])

        log_close = level[b] + np.cumsum(jumps + x)
        log_open = np.concatenate([level[b : b + 1], log_close[:-1]]) + jumps

        two_sub_var = 2.0 * var / k
        sq = sub * sub
        before = np.cumsum(sub, axis=0) - sub  # path level before each sub-step, vs the open
        hi_rel = np.max(before + 0.5 * (sub + np.sqrt(sq + two_sub_var * exp_hi)), axis=0)
        lo_rel = np.min(before + 0.5 * (sub - np.sqrt(sq + two_sub_var * exp_lo)), axis=0)

        open_ = np.exp(log_open)
        close = np.exp(log_close)
        # the bridge extremes bound open and close mathematically; max/min absorbs rounding
        high = np.maximum(np.exp(log_open + hi_rel), np.maximum(open_, close))
        low = np.minimum(np.exp(log_open + lo_rel), np.minimum(open_, close))
        activity = (1.0 + np.abs(x) / sd) / (1.0 + _MEAN_ABS_NORMAL)
        noise = np.exp(_VOLUME_NOISE * vol_noise - 0.5 * _VOLUME_NOISE**2)
        volume = model.base_volume * model.vol_ratio[reg] * activity * noise
        parts.append((open_, high, low, close, volume))
        regime_parts.append(reg)

    lo, hi = i0 - b0 * _BLOCK, i1 - b0 * _BLOCK
    cols = [np.concatenate([p[c] for p in parts])[lo:hi] for c in range(5)]
    regime = np.concatenate(regime_parts)[lo:hi].astype(np.int8)
    return _Paths(cols[0], cols[1], cols[2], cols[3], cols[4], regime)


def _frame(ts: IntArray, paths: _Paths) -> pd.DataFrame:
    return pd.DataFrame(
        {
            TS: ts.astype(np.int64, copy=False),
            "open": paths.open,
            "high": paths.high,
            "low": paths.low,
            "close": paths.close,
            "volume": paths.volume,
        }
    )


def _stable_hash(text: str) -> int:
    """A 64-bit hash that is the same in every process (``hash()`` is salted per process)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


# --------------------------------------------------------------------------------------------
# public API


@overload
def generate_bars(
    n: int,
    spec: BarSpec | str = ...,
    *,
    seed: int = ...,
    start: int | str = ...,
    start_price: float = ...,
    regimes: Sequence[Regime] = ...,
    jump_intensity: float = ...,
    jump_mean: float = ...,
    jump_std: float = ...,
    intrabar_steps: int = ...,
    base_volume: float = ...,
    return_regimes: Literal[False] = ...,
) -> pd.DataFrame: ...


@overload
def generate_bars(
    n: int,
    spec: BarSpec | str = ...,
    *,
    seed: int = ...,
    start: int | str = ...,
    start_price: float = ...,
    regimes: Sequence[Regime] = ...,
    jump_intensity: float = ...,
    jump_mean: float = ...,
    jump_std: float = ...,
    intrabar_steps: int = ...,
    base_volume: float = ...,
    return_regimes: Literal[True],
) -> tuple[pd.DataFrame, npt.NDArray[np.int8]]: ...


def generate_bars(
    n: int,
    spec: BarSpec | str = "1m",
    *,
    seed: int = 42,
    start: int | str = "2020-01-01",
    start_price: float = 100.0,
    regimes: Sequence[Regime] = DEFAULT_REGIMES,
    jump_intensity: float = DEFAULT_JUMP_INTENSITY,
    jump_mean: float = DEFAULT_JUMP_MEAN,
    jump_std: float = DEFAULT_JUMP_STD,
    intrabar_steps: int = DEFAULT_INTRABAR_STEPS,
    base_volume: float = DEFAULT_BASE_VOLUME,
    return_regimes: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, npt.NDArray[np.int8]]:
    """``n`` synthetic bars starting at the first grid point at or after ``start``.

    ``start`` is int ns UTC or a date/time string (naive means UTC). Intraday specs step
    24/7 from ``start``; ``1d`` steps over weekdays (Monday to Friday, midnight UTC labels);
    ``1w`` over Mondays. Drift and volatility are annualised over 365.25 days for intraday
    specs, 252 bars for ``1d`` and 52 for ``1w``; ``jump_intensity`` is jumps per year on the
    same clock. The first ``m`` bars of ``generate_bars(n)`` equal ``generate_bars(m)``.

    With ``return_regimes=True`` the regime index of every bar (into ``regimes``) comes back
    too, so callers can check the statistics of each regime.
    """
    if not isinstance(n, int) or n < 0:
        raise InvalidArgumentError(f"n must be a non-negative int, got {n!r}")
    if not isinstance(seed, int) or seed < 0:
        raise InvalidArgumentError(f"seed must be a non-negative int, got {seed!r}")
    spec = BarSpec.parse(spec)
    start_ns = _to_ns(start)
    origin = start_ns if spec.is_intraday else _monday_on_or_before(start_ns)
    grid = _grid_for(spec, origin)
    model = _make_model(
        bars_per_year=grid.bars_per_year,
        start_price=start_price,
        regimes=regimes,
        jump_intensity=jump_intensity,
        jump_mean=jump_mean,
        jump_std=jump_std,
        intrabar_steps=intrabar_steps,
        base_volume=base_volume,
    )
    if n == 0:
        empty = empty_bar_frame()
        return (empty, np.empty(0, dtype=np.int8)) if return_regimes else empty
    paths = _simulate(model, (seed,), 0, n)
    first = grid.first_at_or_after(start_ns)
    ts = grid.timestamps(first + np.arange(n, dtype=np.int64))
    frame = _frame(ts, paths)
    return (frame, paths.regime) if return_regimes else frame


class SyntheticProvider:
    """A :class:`~neural_trader.data.providers.base.HistoricalProvider` of simulated bars.

    Every (seed, symbol, spec) has its own path, fixed on a timeline that starts at
    1970-01-01 (intraday, 24/7) or Monday 1970-01-05 (``1d`` weekdays, ``1w``); bars before
    that do not exist. A range is a window onto that path, so overlapping requests agree
    exactly. The path of a symbol at ``1m`` is not the aggregate of its path at ``1d``: each
    spec is simulated independently.
    """

    name = "synthetic"

    def __init__(
        self,
        *,
        seed: int = 42,
        start_price: float = 100.0,
        regimes: Sequence[Regime] = DEFAULT_REGIMES,
        jump_intensity: float = DEFAULT_JUMP_INTENSITY,
        jump_mean: float = DEFAULT_JUMP_MEAN,
        jump_std: float = DEFAULT_JUMP_STD,
        intrabar_steps: int = DEFAULT_INTRABAR_STEPS,
        base_volume: float = DEFAULT_BASE_VOLUME,
    ) -> None:
        if not isinstance(seed, int) or seed < 0:
            raise InvalidArgumentError(f"seed must be a non-negative int, got {seed!r}")
        self.seed = seed
        self.start_price = float(start_price)
        self.regimes = tuple(regimes)
        self.jump_intensity = float(jump_intensity)
        self.jump_mean = float(jump_mean)
        self.jump_std = float(jump_std)
        self.intrabar_steps = intrabar_steps
        self.base_volume = float(base_volume)
        # validate now, so a bad option fails at construction rather than on first fetch
        self._model(_TRADING_DAYS)

    def _model(self, bars_per_year: float) -> _Model:
        return _make_model(
            bars_per_year=bars_per_year,
            start_price=self.start_price,
            regimes=self.regimes,
            jump_intensity=self.jump_intensity,
            jump_mean=self.jump_mean,
            jump_std=self.jump_std,
            intrabar_steps=self.intrabar_steps,
            base_volume=self.base_volume,
        )

    def supported_specs(self) -> tuple[BarSpec, ...]:
        """Common specs; any intraday step (``7m``, ``2h`` ...) also works in ``fetch_bars``."""
        return tuple(BarSpec.parse(s) for s in ("1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w"))

    def fetch_bars(self, symbol: str, spec: BarSpec, start_ns: int, end_ns: int) -> pd.DataFrame:
        """Bars of ``symbol`` with ``start_ns <= ts_event <= end_ns`` (both inclusive)."""
        spec = BarSpec.parse(spec)
        check_range(start_ns, end_ns)
        key = symbol.strip().upper()
        if not key:
            raise InvalidArgumentError("symbol must not be empty")
        grid = _grid_for(spec, 0 if spec.is_intraday else _MONDAY_ORIGIN_NS)
        i0 = max(grid.first_at_or_after(start_ns), 0)
        i1 = grid.last_at_or_before(end_ns) + 1
        if i1 <= i0:
            return empty_bar_frame()
        model = self._model(grid.bars_per_year)
        entropy = (self.seed, _stable_hash(key), _stable_hash(str(spec)))
        paths = _simulate(model, entropy, i0, i1)
        return _frame(grid.timestamps(np.arange(i0, i1, dtype=np.int64)), paths)
