"""Neural arbitrage: trade a forecast reversion of a two-leg spread when it pays its costs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from neural_trader.core.data import Bar
from neural_trader.core.errors import InvalidArgumentError, NotSupportedError
from neural_trader.strategies.base import DataRequirement, StrategyContext, StrategyData
from neural_trader.strategies.builtin.momentum import HoldState, hold_state
from neural_trader.strategies.builtin.neural_common import (
    NeuralStrategy,
    Predictor64,
    gate,
    horizon_move,
)
from neural_trader.strategies.parameters import FloatParam
from neural_trader.strategies.registry import register

__all__ = ["NeuralArbitrage", "hedge_ratio", "log_prices"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
NAN = math.nan


def log_prices(values: Sequence[float] | FloatArray, leg: str) -> FloatArray:
    """``math.log`` of each price, refusing prices that are not positive and finite.

    ``math.log`` (the C library's) rather than ``np.log``: numpy's vector loops may round a
    value differently from its scalar path, and the event path takes one log per bar.
    """
    arr = np.asarray(values, dtype=np.float64)
    bad = np.flatnonzero(~(np.isfinite(arr) & (arr > 0.0)))
    if bad.size:
        i = int(bad[0])
        raise InvalidArgumentError(
            f"{leg} price {arr[i]!r} at bar {i}: the spread needs positive prices on both legs"
        )
    return np.fromiter(map(math.log, arr.tolist()), dtype=np.float64, count=arr.size)


def hedge_ratio(log_a: Sequence[float] | FloatArray, log_b: Sequence[float] | FloatArray) -> tuple[
    float, float
]:  # fmt: skip
    """``(alpha, beta)`` of the least-squares fit ``log A = alpha + beta log B``.

    Exactly rounded sums (``math.fsum``) over Python floats: the same bars give the same
    ratio bit for bit whatever their array layout, in both paths.
    """
    a = [float(x) for x in log_a]
    b = [float(x) for x in log_b]
    n = len(a)
    if n < 2:
        raise InvalidArgumentError("the hedge ratio needs at least 2 bars")
    ma = math.fsum(a) / n
    mb = math.fsum(b) / n
    var = math.fsum((y - mb) * (y - mb) for y in b)
    if not var > 0.0:
        raise InvalidArgumentError("the second leg is constant over the training bars")
    beta = math.fsum((x - ma) * (y - mb) for x, y in zip(a, b, strict=True)) / var
    return ma - beta * mb, beta


@register
class NeuralArbitrage(NeuralStrategy):
    """Trade the spread between two related instruments when a model expects it to revert
    by more than the round trip costs.

    Legs: the primary symbol ``A`` and the ``other`` feed ``B`` (``--with other=SYMBOL``).
    Per fold (see :mod:`~neural_trader.strategies.builtin.neural_common`), on the bars
    before its start only: the hedge ratio ``beta`` (and ``alpha``) of ``log A = alpha +
    beta log B`` by least squares, the spread ``s = log A - beta log B - alpha``, and a model
    trained on that spread (or the registry ``model``, applied to the same spread; train it
    on this series). After bar ``t`` the model forecasts ``s`` over the horizon; the expected
    move is ``d = forecast - s[t]`` (``horizon_stat``: at the horizon's end, or its mean).

    A spread position of gross exposure 1 (``A: +-1 / (1 + |beta|)``, ``B: -+beta / (1 +
    |beta|)``) earns about ``|d| / (1 + |beta|)`` of equity, and pays ``fee_rate +
    slippage`` on its whole notional to open and again to close, on both legs together:

    - **Enter** (buy the spread for ``d > 0``, sell it for ``d < 0``) when
      ``|d| / (1 + |beta|) - 2 (fee_rate + slippage) > min_profit`` and the interval-width
      gate allows (``max_width``, ``trim_size``: see :class:`NeuralTrend`).
    - **Exit** when the model no longer expects a move in the position's favour (``d`` of the
      other sign or zero); costs already paid do not keep a position open.

    ``fee_rate`` and ``slippage`` default to the backtest's own (``neural-trader backtest``
    passes ``--fees`` and ``--slippage``); through the Python API give them. Legs are fixed at
    entry (NaN = keep) and run like ``pairs``: :meth:`signals_legs` with ``run_portfolio``,
    or :meth:`on_bar` with ``run_event_portfolio`` (the same weights exactly);
    :meth:`signals` raises ``NotSupportedError``.
    """

    name: ClassVar[str] = "neural_arbitrage"
    description: ClassVar[str] = (
        "Trade a neural forecast of a two-leg spread's reversion when it beats the costs"
    )
    requires: ClassVar[tuple[DataRequirement, ...]] = (
        DataRequirement("other", "bars", "the second leg's bars"),
    )

    min_profit = FloatParam(
        0.0,
        low=0.0,
        high=0.05,
        step=0.0005,
        description="expected profit after round-trip costs needed to enter (fraction of equity)",
    )
    fee_rate = FloatParam(
        None,
        optional=True,
        low=0.0,
        high=0.5,
        description="fee per side as a fraction of notional (default: the backtest's --fees)",
    )
    slippage = FloatParam(
        None,
        optional=True,
        low=0.0,
        high=0.5,
        description="slippage per side as a fraction of price (default: the backtest's)",
    )

    def round_trip_cost(self) -> float:
        """Open and close both legs: ``2 (fee_rate + slippage)`` of the gross notional."""
        p = self.p
        if p.fee_rate is None or p.slippage is None:
            raise InvalidArgumentError(
                "neural_arbitrage weighs the expected profit against the trading costs: "
                "give fee_rate and slippage",
                hint="neural-trader backtest passes its --fees and --slippage; in Python, "
                "create_strategy('neural_arbitrage', fee_rate=..., slippage=...)",
            )
        return 2.0 * (float(p.fee_rate) + float(p.slippage))

    def _legs_input(self, data: StrategyData) -> tuple[FloatArray, FloatArray]:
        other = data.feed("other")
        if other is None:
            raise InvalidArgumentError(
                "neural_arbitrage needs feed 'other': the second leg's closes aligned to the "
                "primary bars",
                hint="pass --with other=SYMBOL (or a bar file) to neural-trader backtest, or "
                "StrategyData(..., feeds={'other': close_b})",
            )
        return log_prices(data.close, data.symbol), log_prices(other, "other")

    # -- shared decision ---------------------------------------------------------------------
    def conditions(
        self, move: FloatArray, ratio: FloatArray, beta: FloatArray, cost: float
    ) -> tuple[BoolArray, BoolArray, BoolArray, BoolArray, BoolArray, FloatArray]:
        p = self.p
        ok = np.isfinite(move) & np.isfinite(beta)
        allowed, size = gate(ratio, p.max_width, p.trim_size)
        with np.errstate(invalid="ignore"):
            edge = np.abs(move) / (1.0 + np.abs(beta)) - cost
        enter = ok & allowed & (edge > p.min_profit)
        le = enter & (move > 0.0)
        se = enter & (move < 0.0)
        lx = ok & (move <= 0.0)
        sx = ok & (move >= 0.0)
        flat = np.zeros(move.shape[0], dtype=np.bool_)
        return le, se, flat, lx, sx, size

    def _forecast(
        self, pred: Predictor64, windows: FloatArray, exog: npt.NDArray[np.float32] | None
    ) -> tuple[FloatArray, FloatArray]:
        point, lo, hi = pred.forecast(windows, exog, self.interval_level)
        return horizon_move(point, lo, hi, windows[:, -1], self.p.horizon_stat)

    # -- vectorized ----------------------------------------------------------------------------
    def spread_forecasts(
        self, data: StrategyData
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """``(beta, spread, move, ratio)`` per bar, NaN before the first trade: the fold's
        hedge ratio, the spread, its expected move and the interval-width ratio."""
        la, lb = self._legs_input(data)
        n = len(data)
        beta_out, spread_out = np.full(n, NAN), np.full(n, NAN)
        move_out, ratio_out = np.full(n, NAN), np.full(n, NAN)
        folds = self.folds(n)
        if not folds:
            return beta_out, spread_out, move_out, ratio_out
        exog = self.exog_matrix(data)
        lag = np.arange(-self.window + 1, 1, dtype=np.int64)
        for start, stop in folds:
            alpha, beta = hedge_ratio(la[:start], lb[:start])
            spread = la[:stop] - beta * lb[:stop] - alpha
            pred = self.predictor(
                start, spread[:start], None if exog is None else exog[:start], data.ts_event
            )
            rows = np.arange(start, stop, dtype=np.int64)[:, None] + lag[None, :]
            move, ratio = self._forecast(pred, spread[rows], None if exog is None else exog[rows])
            beta_out[start:stop] = beta
            spread_out[start:stop] = spread[start:stop]
            move_out[start:stop] = move
            ratio_out[start:stop] = ratio
        return beta_out, spread_out, move_out, ratio_out

    def signals_legs(self, data: StrategyData) -> FloatArray:
        """Weights ``(n_bars, 2)`` for ``[primary, other]``: NaN keeps, zeros close both legs."""
        cost = self.round_trip_cost()
        beta, _, move, ratio = self.spread_forecasts(data)
        le, se, flat, lx, sx, size = self.conditions(move, ratio, beta, cost)
        state = hold_state(le, se, flat, lx, sx, size, size)
        n = len(state)
        prev = np.concatenate(([0.0], state[:-1]))
        change = state != prev
        legs = np.full((n, 2), NAN)
        opened = change & (state != 0.0)
        scale = 1.0 / (1.0 + np.abs(beta[opened]))
        legs[opened, 0] = state[opened] * scale
        legs[opened, 1] = -state[opened] * beta[opened] * scale
        legs[change & (state == 0.0)] = 0.0
        return legs

    def signals(self, data: StrategyData) -> FloatArray:
        raise NotSupportedError(
            "neural_arbitrage trades two legs and has no single-asset targets; use "
            "NeuralArbitrage.signals_legs(data) with run_portfolio (the vector portfolio engine)"
        )

    # -- event path (run_event_portfolio) -----------------------------------------------------
    def on_start(self, ctx: StrategyContext, **kwargs: Any) -> None:
        self._la: list[float] = []
        self._lb: list[float] = []
        self._ts: list[int] = []
        self._state = HoldState()
        self._fold = -1
        self._pred: Predictor64 | None = None
        self._alpha = NAN
        self._beta = NAN
        self._cost = self.round_trip_cost()
        self.on_start_features()

    def on_bar(self, ctx: StrategyContext, bar: Bar, **kwargs: Any) -> None:
        """The incremental twin of :meth:`signals_legs`; sets ``ctx.target_weights([A, B])``."""
        set_weights = getattr(ctx, "target_weights", None)
        if set_weights is None:
            raise NotSupportedError(
                "neural_arbitrage trades two legs: run it with run_event_portfolio (event "
                "engine) or NeuralArbitrage.signals_legs with run_portfolio (vector engine)"
            )
        t = ctx.bar_index
        a = float(bar.close)
        b = float(ctx.feed("other"))
        for leg, price in ((ctx.symbol, a), ("other", b)):
            if not (math.isfinite(price) and price > 0.0):
                raise InvalidArgumentError(
                    f"{leg} price {price!r} at bar {t}: the spread needs positive prices on "
                    "both legs"
                )
        self._la.append(math.log(a))
        self._lb.append(math.log(b))
        self._ts.append(int(bar.ts_event))
        self.exog_row(ctx, bar)
        if t < self.first_bar:
            return
        start = self.fold_of(t)
        if start != self._fold or self._pred is None:
            if self._fold < 0:
                self.check_event_feeds()
            self._alpha, self._beta = hedge_ratio(self._la[:start], self._lb[:start])
            train = (
                np.asarray(self._la[:start], dtype=np.float64)
                - self._beta * np.asarray(self._lb[:start], dtype=np.float64)
                - self._alpha
            )
            self._pred = self.predictor(
                start, train, self.exog_array(stop=start), np.asarray(self._ts, dtype=np.int64)
            )
            self._fold = start
        w = self.window
        window = (
            np.asarray(self._la[-w:], dtype=np.float64)
            - self._beta * np.asarray(self._lb[-w:], dtype=np.float64)
            - self._alpha
        )
        ex = self.exog_array(last=w)
        move, ratio = self._forecast(self._pred, window[None, :], None if ex is None else ex[None])
        beta = self._beta
        le, se, flat, lx, sx, size = self.conditions(move, ratio, np.array([beta]), self._cost)
        state = self._state.step(
            bool(le[0]),
            bool(se[0]),
            bool(flat[0]),
            bool(lx[0]),
            bool(sx[0]),
            float(size[0]),
            float(size[0]),
        )
        if state != state:
            return
        if state == 0.0:
            set_weights([0.0, 0.0])
            return
        scale = 1.0 / (1.0 + abs(beta))
        set_weights([state * scale, -state * beta * scale])
