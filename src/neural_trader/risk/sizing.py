"""Position sizing: Kelly (single, simultaneous, fractional), fixed fractional, volatility
targeting, ATR stops, and drawdown-based de-risking that feeds the pre-trade limits.

Kelly maximises the expected LOG of wealth, the growth rate a bettor compounds at. Full Kelly
is the fastest-growing stake and also a harsh one (a 50% drawdown happens with probability
1/2 along the way), and it assumes the edge is known exactly; practitioners stake a fraction of
it, which is why every Kelly function takes ``fraction``.

* One bet that wins ``b`` per unit staked with probability ``p`` and loses ``a``:
  ``f* = p / a - (1 - p) / b`` (zero derivative of ``p ln(1 + b f) + q ln(1 - a f)``).
* Several simultaneous independent bets: no closed form, because the stakes share one
  bankroll. The expected log wealth is summed exactly over all ``2^n`` joint outcomes and
  maximised with SLSQP under ``f_i >= 0`` and ``sum f_i <= max_total``; the objective is
  concave, so the local optimum is the global one.
* A continuous return stream: ``f* = mu / sigma^2`` (Merton), the leverage on an asset with
  mean excess return ``mu`` and variance ``sigma^2`` per period.

Drawdown de-risking: exposure is scaled down linearly from 1 at drawdown ``start`` to
``floor`` at drawdown ``full``. :func:`derisk_limits` applies the multiplier to the trading
issue's :class:`~neural_trader.risk.limits.RiskLimits`, so :class:`~neural_trader.risk.checks.
PreTradeRisk` enforces it with no change to the checks.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
from scipy import optimize

from neural_trader.analytics.metrics import annual_volatility
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.risk.limits import RiskLimits

__all__ = [
    "AtrStop",
    "Bet",
    "DrawdownDeRisking",
    "KellyAllocation",
    "atr_stop",
    "current_drawdown",
    "derisk_limits",
    "fixed_fractional_size",
    "kelly_continuous",
    "kelly_fraction",
    "kelly_simultaneous",
    "volatility_target_leverage",
]

FloatArray = npt.NDArray[np.float64]
MAX_SIMULTANEOUS_BETS: Final = 16


def _fraction(fraction: float) -> float:
    if not 0.0 < fraction <= 1.0:
        raise InvalidArgumentError(f"Kelly fraction must lie in (0, 1], got {fraction}")
    return float(fraction)


@dataclass(frozen=True, slots=True)
class Bet:
    """Win ``odds`` per unit staked with probability ``win_prob``, else lose ``loss`` per unit."""

    win_prob: float
    odds: float
    loss: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 < self.win_prob < 1.0:
            raise InvalidArgumentError(f"win probability must lie in (0, 1), got {self.win_prob}")
        if not math.isfinite(self.odds) or self.odds <= 0.0:
            raise InvalidArgumentError(f"odds (net win per unit) must be positive: {self.odds}")
        if not 0.0 < self.loss <= 1.0:
            raise InvalidArgumentError(f"loss per unit staked must lie in (0, 1]: {self.loss}")

    @property
    def edge(self) -> float:
        """Expected gain per unit staked."""
        return self.win_prob * self.odds - (1.0 - self.win_prob) * self.loss


def kelly_fraction(
    win_prob: float, odds: float, *, loss: float = 1.0, fraction: float = 1.0
) -> float:
    """Kelly stake of one bet as a fraction of the bankroll, times ``fraction``.

    Negative when the bet has a negative edge: the optimum is then not to bet (or to take the
    other side); the sign is returned rather than clipped so the caller sees it.
    """
    bet = Bet(win_prob, odds, loss)
    return _fraction(fraction) * (bet.win_prob / bet.loss - (1.0 - bet.win_prob) / bet.odds)


def kelly_continuous(mean_excess: float, variance: float, *, fraction: float = 1.0) -> float:
    """Merton/Kelly leverage ``mu / sigma^2`` for a return stream (per-period inputs)."""
    if not math.isfinite(variance) or variance <= 0.0:
        raise InvalidArgumentError(f"variance must be positive, got {variance}")
    return _fraction(fraction) * mean_excess / variance


@dataclass(frozen=True, slots=True)
class KellyAllocation:
    """Stakes of simultaneous independent bets maximising expected log wealth."""

    fractions: tuple[float, ...]
    """Per bet, after multiplying by ``fraction``."""
    full_kelly: tuple[float, ...]
    """The optimum before ``fraction`` was applied."""
    expected_log_growth: float
    """``E[ln(1 + sum f_i X_i)]`` at the returned (fractional) stakes."""
    total: float
    converged: bool


def _outcomes(bets: Sequence[Bet]) -> tuple[FloatArray, FloatArray]:
    """Every joint outcome's per-bet return per unit ``(2^n, n)`` and its probability."""
    n = len(bets)
    wins = np.array(list(itertools.product((True, False), repeat=n)), dtype=bool)
    gain = np.array([b.odds for b in bets])
    lose = np.array([-b.loss for b in bets])
    x = np.where(wins, gain, lose)
    p = np.array([b.win_prob for b in bets])
    prob = np.prod(np.where(wins, p, 1.0 - p), axis=1)
    return x, prob


def kelly_simultaneous(
    bets: Sequence[Bet], *, max_total: float = 1.0, fraction: float = 1.0
) -> KellyAllocation:
    """Maximise ``E[ln(1 + sum f_i X_i)]`` over independent bets (see the module notes)."""
    frac = _fraction(fraction)
    n = len(bets)
    if n == 0:
        raise InvalidArgumentError("no bets given")
    if n > MAX_SIMULTANEOUS_BETS:
        raise InvalidArgumentError(
            f"{n} simultaneous bets make 2^{n} joint outcomes; at most "
            f"{MAX_SIMULTANEOUS_BETS} are supported"
        )
    if not 0.0 < max_total <= 1.0:
        raise InvalidArgumentError(f"max_total must lie in (0, 1], got {max_total}")
    x, prob = _outcomes(bets)

    def neg_growth(f: FloatArray) -> float:
        w = 1.0 + x @ f
        if (w <= 0.0).any():
            return math.inf
        return -float(prob @ np.log(w))

    def grad(f: FloatArray) -> FloatArray:
        w = 1.0 + x @ f
        return np.asarray(-(prob / w) @ x, dtype=np.float64)

    # Positive-edge bets start at a small stake; the optimum never stakes a negative edge.
    edges = np.array([b.edge for b in bets])
    start = np.where(edges > 0.0, min(0.01, max_total / (2 * n)), 0.0)
    cap = max_total * (1.0 - 1e-9)
    res = optimize.minimize(
        neg_growth,
        start,
        jac=grad,
        method="SLSQP",
        bounds=[(0.0, cap)] * n,
        constraints=[
            {"type": "ineq", "fun": lambda f: cap - f.sum(), "jac": lambda f: -np.ones_like(f)}
        ],
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    full = np.clip(np.asarray(res.x, dtype=np.float64), 0.0, None)
    staked = full * frac
    return KellyAllocation(
        fractions=tuple(float(v) for v in staked),
        full_kelly=tuple(float(v) for v in full),
        expected_log_growth=-neg_growth(staked),
        total=float(staked.sum()),
        converged=bool(res.success),
    )


def fixed_fractional_size(
    equity: float,
    risk_fraction: float,
    entry_price: float,
    stop_price: float,
    *,
    lot_size: float = 1.0,
) -> float:
    """Units such that hitting the stop loses at most ``risk_fraction`` of ``equity``.

    ``floor(equity * risk_fraction / |entry - stop| / lot) * lot``: rounded DOWN, so the risk
    is never exceeded (gaps through the stop aside).
    """
    if not math.isfinite(equity) or equity <= 0.0:
        raise InvalidArgumentError(f"equity must be positive, got {equity}")
    if not 0.0 < risk_fraction < 1.0:
        raise InvalidArgumentError(f"risk fraction must lie in (0, 1), got {risk_fraction}")
    if min(entry_price, stop_price) <= 0.0 or entry_price == stop_price:
        raise InvalidArgumentError("entry and stop must be positive and different")
    if lot_size <= 0.0:
        raise InvalidArgumentError(f"lot size must be positive, got {lot_size}")
    units = equity * risk_fraction / abs(entry_price - stop_price)
    return math.floor(units / lot_size + 1e-9) * lot_size


def volatility_target_leverage(
    returns: npt.ArrayLike,
    *,
    target_volatility: float,
    periods_per_year: float,
    window: int | None = None,
    max_leverage: float = 3.0,
) -> float:
    """Leverage ``target / realised`` annual volatility (last ``window`` returns), capped.

    The cap (3 by default, as in the original system) stops a quiet stretch from levering a
    position up just before volatility returns.
    """
    r = np.asarray(returns, dtype=np.float64).reshape(-1)
    if window is not None:
        if window < 2:
            raise InvalidArgumentError(f"window must be >= 2, got {window}")
        r = r[-window:]
    if not target_volatility > 0.0 or not max_leverage > 0.0:
        raise InvalidArgumentError("target volatility and max leverage must be positive")
    vol = annual_volatility(r, periods_per_year=periods_per_year)
    if not math.isfinite(vol):
        raise InvalidArgumentError("need at least two returns to measure volatility")
    if vol == 0.0:
        return float(max_leverage)
    return float(min(max_leverage, target_volatility / vol))


@dataclass(frozen=True, slots=True)
class AtrStop:
    atr: float
    stop_price: float
    distance: float
    """``multiple * atr``: how far the stop sits from the entry."""


def atr_stop(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    *,
    period: int = 14,
    multiple: float = 2.0,
    side: Literal["long", "short"] = "long",
    entry_price: float | None = None,
) -> AtrStop:
    """Stop ``multiple`` ATRs below (long) or above (short) the entry (default: last close).

    ATR is TA-Lib's (Wilder's smoothing) through :func:`neural_trader.indicators.atr`, the
    value at the last bar.
    """
    from neural_trader.indicators import atr

    h, lo_, c = (np.asarray(a, dtype=np.float64).reshape(-1) for a in (high, low, close))
    if not (h.size == lo_.size == c.size) or c.size <= period:
        raise InvalidArgumentError(f"ATR({period}) needs more than {period} bars of equal length")
    if multiple <= 0.0:
        raise InvalidArgumentError(f"ATR multiple must be positive, got {multiple}")
    value = float(atr(h, lo_, c, timeperiod=period)[-1])
    if not math.isfinite(value):
        raise InvalidArgumentError("ATR is undefined at the last bar (missing prices?)")
    entry = float(c[-1]) if entry_price is None else float(entry_price)
    dist = multiple * value
    stop = entry - dist if side == "long" else entry + dist
    return AtrStop(atr=value, stop_price=stop, distance=dist)


def current_drawdown(equity: npt.ArrayLike) -> float:
    """How far the last equity value sits below its running peak, as a POSITIVE fraction."""
    eq = np.asarray(equity, dtype=np.float64).reshape(-1)
    if eq.size == 0 or not np.isfinite(eq).all() or (eq <= 0.0).any():
        raise InvalidArgumentError("equity must be a non-empty series of positive values")
    return float(1.0 - eq[-1] / eq.max())


@dataclass(frozen=True, slots=True)
class DrawdownDeRisking:
    """Exposure multiplier from drawdown: 1 up to ``start``, linear to ``floor`` at ``full``."""

    start: float = 0.05
    full: float = 0.20
    floor: float = 0.25

    def __post_init__(self) -> None:
        if not 0.0 <= self.start < self.full < 1.0:
            raise InvalidArgumentError(
                f"need 0 <= start < full < 1, got start={self.start}, full={self.full}"
            )
        if not 0.0 <= self.floor < 1.0:
            raise InvalidArgumentError(f"floor must lie in [0, 1), got {self.floor}")

    def multiplier(self, drawdown: float | npt.ArrayLike) -> FloatArray | float:
        """Multiplier for a drawdown (positive fraction; arrays are mapped element-wise)."""
        d = np.asarray(drawdown, dtype=np.float64)
        if (d < 0.0).any() or not np.isfinite(d).all():
            raise InvalidArgumentError("drawdown is a non-negative fraction (0.1 = 10% down)")
        t = np.clip((d - self.start) / (self.full - self.start), 0.0, 1.0)
        out = 1.0 - t * (1.0 - self.floor)
        return float(out) if out.ndim == 0 else np.asarray(out, dtype=np.float64)

    def for_equity(self, equity: npt.ArrayLike) -> float:
        return float(self.multiplier(current_drawdown(equity)))


def derisk_limits(
    limits: RiskLimits, multiplier: float, *, gross_exposure_base: float | None = None
) -> RiskLimits:
    """``limits`` with every size limit scaled by ``multiplier`` in (0, 1].

    Scaled: ``max_order_notional``, ``max_order_quantity``, ``max_position`` and
    ``max_gross_exposure``; an unset limit stays unset, unless ``gross_exposure_base`` is
    given, which sets ``max_gross_exposure`` to ``multiplier * base`` (or the smaller of that
    and the scaled existing limit). A multiplier of 0 means "no new risk": that is the kill
    switch's REDUCING state, not a limit, so it is refused here.
    """
    if not math.isfinite(multiplier) or not 0.0 < multiplier <= 1.0:
        raise InvalidArgumentError(
            f"multiplier must lie in (0, 1], got {multiplier}; for 0 put the kill switch in "
            "REDUCING (only position-reducing orders)"
        )
    fields = ("max_order_notional", "max_order_quantity", "max_position", "max_gross_exposure")
    update: dict[str, float | None] = {}
    for name in fields:
        cur = getattr(limits, name)
        update[name] = None if cur is None else cur * multiplier
    if gross_exposure_base is not None:
        if not gross_exposure_base > 0.0:
            raise InvalidArgumentError("gross_exposure_base must be positive")
        scaled = gross_exposure_base * multiplier
        cur_g = update["max_gross_exposure"]
        update["max_gross_exposure"] = scaled if cur_g is None else min(cur_g, scaled)
    return limits.model_copy(update=update)
