"""Round-trip trade records and the statistics computed from them.

:data:`TRADE_DTYPE` is the one record layout both backtest engines emit (decision 0006: a round
trip opens when the position leaves 0 and closes when it returns to 0; a flip closes one and
opens another). It is a numpy structured dtype of fixed-width numeric fields only, so numba
kernels can fill it directly; the exit reason is therefore a small integer code
(:class:`ExitReason`) rather than a string.

Conventions (decision 0008):

* Statistics use CLOSED trades only. An open trade's P&L is marked at the last close, not
  realised, so it is counted in ``open_trades`` and nowhere else.
* A win is ``pnl > 0``, a loss ``pnl < 0``; a break-even trade counts towards the trade count
  (and so lowers the win rate) but is neither.
* ``profit_factor`` is gross wins / gross losses and is ``None`` when there is no losing trade:
  the ratio is then infinite or 0/0, JSON has no ``inf``, and a "perfect" factor from a handful
  of trades is not a number to rank strategies by.
* ``turnover`` is two-sided: the notional of every buy AND sell, divided by the average equity,
  per year (``sum|notional| / mean(equity) / (n_bars / periods_per_year)``). Going all-in and
  back out once a year is a turnover of 2.0.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from enum import IntEnum
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from neural_trader.core.errors import InvalidArgumentError

__all__ = [
    "REQUIRED_TRADE_FIELDS",
    "TRADE_DTYPE",
    "ExitReason",
    "TradeStats",
    "as_trade_array",
    "exposure",
    "trade_stats",
    "traded_notional_from_trades",
    "turnover",
]


class ExitReason(IntEnum):
    """Why a round trip ended (``exit_reason`` field). ``END`` = still open at the last bar."""

    SIGNAL = 0
    STOP_LOSS = 1
    TAKE_PROFIT = 2
    END = 3


TRADE_DTYPE: Final = np.dtype(
    [
        ("entry_idx", np.int64),  # bar index of the entry fill
        ("exit_idx", np.int64),  # bar index of the exit fill (last bar if still open)
        ("entry_ts", np.int64),  # ns since epoch, UTC, of the entry bar's ts_event
        ("exit_ts", np.int64),  # ns since epoch, UTC, of the exit bar's ts_event
        ("side", np.int8),  # +1 long, -1 short
        ("quantity", np.float64),  # absolute size (> 0); the sign lives in `side`
        ("entry_price", np.float64),  # average fill price after slippage
        ("exit_price", np.float64),  # average fill price, or the last close if open
        ("fees", np.float64),  # entry + exit fees, currency
        ("pnl", np.float64),  # net of fees, currency
        ("return", np.float64),  # pnl / (quantity * entry_price)
        ("exit_reason", np.int8),  # ExitReason code
        ("is_open", np.bool_),  # True when the trade had not closed by the last bar
    ]
)

REQUIRED_TRADE_FIELDS: Final = (
    "entry_idx",
    "exit_idx",
    "side",
    "quantity",
    "entry_price",
    "exit_price",
    "pnl",
    "return",
    "fees",
    "exit_reason",
)

_REASON_CODES: Final = {r.name.lower(): int(r) for r in ExitReason}
_NAT: Final = np.iinfo(np.int64).min


@dataclass(frozen=True, slots=True)
class TradeStats:
    """Statistics of a trade list; NaN where undefined (e.g. no closed trade, no loser)."""

    trades: int
    open_trades: int
    win_rate: float
    profit_factor: float | None
    avg_win: float
    avg_loss: float
    payoff_ratio: float
    expectancy: float
    avg_return: float
    largest_win: float
    largest_loss: float
    avg_holding_bars: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _reason_codes(values: pd.Series[Any]) -> npt.NDArray[np.int8]:
    if pd.api.types.is_numeric_dtype(values):
        codes = values.to_numpy(dtype=np.int64)
    else:
        names = values.astype(str).str.lower()
        unknown = sorted(set(names) - set(_REASON_CODES))
        if unknown:
            raise InvalidArgumentError(
                f"unknown exit_reason value(s) {unknown}; expected {sorted(_REASON_CODES)}"
            )
        codes = names.map(_REASON_CODES).to_numpy(dtype=np.int64)
    valid = set(int(r) for r in ExitReason)
    if not set(np.unique(codes).tolist()) <= valid:
        raise InvalidArgumentError(f"exit_reason codes must be in {sorted(valid)}")
    return codes.astype(np.int8)


def as_trade_array(trades: npt.NDArray[Any] | pd.DataFrame) -> npt.NDArray[np.void]:
    """Return ``trades`` as a :data:`TRADE_DTYPE` array (a copy for anything else).

    A DataFrame needs :data:`REQUIRED_TRADE_FIELDS`; ``exit_reason`` may be codes or names
    (``"stop_loss"``). Missing ``entry_ts``/``exit_ts`` become NaT (int64 min) and a missing
    ``is_open`` is derived from ``exit_reason == END``, which is what 0006 reports for a trade
    still open at the end.
    """
    if isinstance(trades, np.ndarray) and trades.dtype == TRADE_DTYPE:
        return trades
    frame = trades if isinstance(trades, pd.DataFrame) else pd.DataFrame(trades)
    missing = [f for f in REQUIRED_TRADE_FIELDS if f not in frame.columns]
    if missing:
        raise InvalidArgumentError(f"trade records lack field(s) {missing}")
    out = np.zeros(len(frame), dtype=TRADE_DTYPE)
    for name in TRADE_DTYPE.names or ():
        if name == "exit_reason":
            out[name] = _reason_codes(frame[name])
        elif name in frame.columns:
            out[name] = frame[name].to_numpy()
        elif name in ("entry_ts", "exit_ts"):
            out[name] = _NAT
    if "is_open" not in frame.columns:
        out["is_open"] = out["exit_reason"] == int(ExitReason.END)
    bad_side = ~np.isin(out["side"], (-1, 1))
    if bad_side.any():
        raise InvalidArgumentError("trade side must be +1 (long) or -1 (short)")
    return out


def _mean(x: npt.NDArray[np.float64]) -> float:
    return float(np.mean(x)) if x.size else math.nan


def trade_stats(trades: npt.NDArray[Any] | pd.DataFrame) -> TradeStats:
    """Win rate, profit factor, payoff, expectancy and holding time of the closed trades."""
    rec = as_trade_array(trades)
    closed = rec[~rec["is_open"]]
    pnl = closed["pnl"].astype(np.float64)
    wins, losses = pnl[pnl > 0], pnl[pnl < 0]
    gross_win, gross_loss = float(wins.sum()), -float(losses.sum())
    avg_win, avg_loss = _mean(wins), _mean(losses)
    return TradeStats(
        trades=int(closed.size),
        open_trades=int(rec.size - closed.size),
        win_rate=wins.size / closed.size if closed.size else math.nan,
        profit_factor=gross_win / gross_loss if gross_loss > 0 else None,
        avg_win=avg_win,
        avg_loss=avg_loss,
        payoff_ratio=avg_win / abs(avg_loss) if wins.size and losses.size else math.nan,
        expectancy=_mean(pnl),
        avg_return=_mean(closed["return"].astype(np.float64)),
        largest_win=float(wins.max()) if wins.size else math.nan,
        largest_loss=float(losses.min()) if losses.size else math.nan,
        avg_holding_bars=_mean((closed["exit_idx"] - closed["entry_idx"]).astype(np.float64)),
    )


def exposure(positions: npt.ArrayLike) -> float:
    """Fraction of bars holding a non-zero position (NaN bars count as flat); NaN if empty."""
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim != 1:
        raise InvalidArgumentError(f"positions must be one-dimensional, got shape {pos.shape}")
    if pos.size == 0:
        return math.nan
    return float(np.count_nonzero(np.nan_to_num(pos, nan=0.0)) / pos.size)


def traded_notional_from_trades(
    trades: npt.NDArray[Any] | pd.DataFrame, n_bars: int
) -> npt.NDArray[np.float64]:
    """Per-bar traded notional rebuilt from round trips (entries, plus exits of closed trades).

    For engines that do not report a notional series. It misses partial re-sizes inside a
    round trip (``rebalance="every_bar"``), so prefer the engine's own series when it has one.
    """
    rec = as_trade_array(trades)
    out = np.zeros(int(n_bars), dtype=np.float64)
    for idx_field, price_field, mask in (
        ("entry_idx", "entry_price", np.ones(rec.size, dtype=bool)),
        ("exit_idx", "exit_price", ~rec["is_open"]),
    ):
        idx = rec[idx_field][mask]
        if idx.size and (idx.min() < 0 or idx.max() >= n_bars):
            raise InvalidArgumentError(f"trade {idx_field} outside 0..{n_bars - 1}")
        np.add.at(out, idx, np.abs(rec["quantity"][mask] * rec[price_field][mask]))
    return out


def turnover(
    traded_notional: npt.ArrayLike, equity: npt.ArrayLike, *, periods_per_year: float
) -> float:
    """Two-sided annual turnover: ``sum|notional| / mean(equity) * periods_per_year / n_bars``.

    ``traded_notional`` holds the absolute notional traded on each bar (buys and sells), one
    entry per equity bar. Average rather than starting equity, so a strategy that doubles its
    capital is not credited with twice the activity.
    """
    notional = np.asarray(traded_notional, dtype=np.float64)
    eq = np.asarray(equity, dtype=np.float64)
    if notional.ndim != 1 or notional.shape != eq.shape:
        raise InvalidArgumentError(
            "traded_notional and equity must be one-dimensional and of equal length "
            f"(got {notional.shape} and {eq.shape})"
        )
    if not periods_per_year > 0:
        raise InvalidArgumentError(f"periods_per_year must be positive, got {periods_per_year}")
    if eq.size == 0:
        return math.nan
    mean_equity = float(np.nanmean(eq))
    if not mean_equity > 0:
        return math.nan
    years = eq.size / float(periods_per_year)
    return float(np.nansum(np.abs(notional)) / mean_equity / years)
