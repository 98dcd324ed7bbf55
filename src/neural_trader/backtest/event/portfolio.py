"""The event engine for strategies that trade several legs from one cash account (``pairs``).

``run_event_portfolio`` calls the strategy's ``on_bar`` with the primary asset's bar (the
first of ``datas``); the strategy reads the other legs through ``ctx.feed(name)`` (the leg's
close) or ``ctx.leg_bar(name)`` and sets one weight per leg with
``ctx.target_weights([w_0, w_1, ...])`` (NaN keeps that leg's weight). Execution follows
``run_portfolio``'s rules (0006, ``sizer="target_weight"``): the weights in force are clipped
like targets, and when any of them changes (or every bar with ``rebalance="every_bar"``) the
whole book is re-sized from one equity at the execution point, selling orders before buying
ones. The arithmetic is the shared :mod:`neural_trader.backtest.models.portfolio_step` on the
account arrays of :mod:`~neural_trader.backtest.models.tradebook`, so the result equals
``run_portfolio(weights, datas, config)`` for the weights the strategy set (``result.weights``).

Timing as in 0006: ``fill="open"`` executes the weights set on bar ``t`` at ``open[t+1]``
(weights set on the last bar never execute); ``fill="close"`` at ``close[t]``. A row of weights
whose gross exposure exceeds ``max_leverage`` raises (``run_portfolio`` refuses such rows too,
before it starts). Weights have no stop options, and explicit orders are single-asset event
engine features: ``buy``/``sell``/``cancel`` raise here.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from neural_trader.backtest.config import BacktestConfig
from neural_trader.backtest.event.context import BarView
from neural_trader.backtest.event.engine import _infer_bar_ns, _spec_for
from neural_trader.backtest.event.result import ExecutionBook
from neural_trader.backtest.models.portfolio_step import (
    book_equity,
    gross_weight,
    rebalance,
    take_weights,
    weights_changed,
)
from neural_trader.backtest.models.tradebook import (
    C_ORDERS,
    C_SKIPPED,
    C_TRADES,
    F_POS,
    N_F,
    N_I,
    write_trade,
)
from neural_trader.backtest.records import REASON_END
from neural_trader.backtest.vector.result import PortfolioResult
from neural_trader.core.data import Bar, BarSpec
from neural_trader.core.errors import InvalidArgumentError, NotSupportedError
from neural_trader.strategies.base import Strategy, StrategyData

__all__ = ["PortfolioContext", "PortfolioEventResult", "run_event_portfolio"]

FloatArray = npt.NDArray[np.float64]
_NAN = math.nan


@dataclass(frozen=True, eq=False)
class PortfolioEventResult(PortfolioResult):
    """A :class:`PortfolioResult` from the event engine: same arrays and records.

    ``weights`` (n_bars, n_assets) are the weights the strategy set on each bar (NaN where it
    set none: the input ``run_portfolio`` would need to give the same run).
    """


class PortfolioContext:
    """The :class:`~neural_trader.strategies.base.StrategyContext` of a multi-leg run.

    Reads: ``symbol``/``position`` are the primary leg's; ``cash`` and ``equity`` the shared
    account's (equity marked at this bar's closes); ``feed(name)`` a declared feed of the
    primary data or, for a leg named ``name`` (the strategy's ``kind="bars"`` requirements in
    order, or its symbol), that leg's close on this bar; ``leg_bar(name_or_index)`` the leg's
    whole bar. Writes: ``target_weights(ws)`` one weight per leg, ``target(x)`` the primary
    leg's weight alone (the others keep theirs).
    """

    def __init__(
        self,
        datas: Sequence[StrategyData],
        leg_names: Mapping[str, int],
        spec: BarSpec,
        book: _PortfolioBook,
        weights: FloatArray,
    ) -> None:
        self._datas = datas
        self._legs = dict(leg_names)
        self._spec = spec
        self._book = book
        self._weights = weights
        self._m = len(datas)
        self._closes = [d.close.tolist() for d in datas]
        self._feeds = {
            k: np.asarray(v, dtype=np.float64).tolist() for k, v in datas[0].feeds.items()
        }
        self._t = -1

    # -- reading ------------------------------------------------------------------------------

    @property
    def symbol(self) -> str:
        return self._datas[0].symbol

    @property
    def symbols(self) -> list[str]:
        return [d.symbol for d in self._datas]

    @property
    def bar_index(self) -> int:
        return self._t

    @property
    def position(self) -> float:
        return float(self._book.fst[0, F_POS])

    def position_of(self, leg: str | int) -> float:
        return float(self._book.fst[self._leg(leg), F_POS])

    @property
    def cash(self) -> float:
        return float(self._book.acct[0])

    @property
    def equity(self) -> float:
        book = self._book
        eq = float(book.acct[0])
        for j in range(self._m):
            eq += float(book.fst[j, F_POS]) * self._closes[j][self._t]
        return eq

    def feed(self, name: str) -> float:
        j = self._legs.get(name)
        if j is not None:
            return float(self._closes[j][self._t])
        values = self._feeds.get(name)
        if values is None or self._t < 0:
            return _NAN
        return float(values[self._t])

    def leg_bar(self, leg: str | int) -> Bar:
        """Leg ``leg``'s bar (by index, leg name or symbol) at the current bar."""
        d = self._datas[self._leg(leg)]
        t = self._t
        return Bar(
            d.symbol,
            self._spec,
            int(d.ts_event[t]),
            float(d.open[t]),
            float(d.high[t]),
            float(d.low[t]),
            float(d.close[t]),
            float(d.volume[t]),
        )

    def _leg(self, leg: str | int) -> int:
        if isinstance(leg, int):
            if not 0 <= leg < self._m:
                raise InvalidArgumentError(f"leg {leg} out of range: {self._m} legs")
            return leg
        if leg in self._legs:
            return self._legs[leg]
        raise InvalidArgumentError(f"no leg {leg!r}; legs are {sorted(self._legs)}")

    # -- targets ------------------------------------------------------------------------------

    def target_weights(self, weights: Sequence[float]) -> None:
        """One weight per leg in ``datas`` order; NaN keeps that leg's weight. Clipped and
        checked against ``max_leverage`` by the engine, as ``run_portfolio`` does."""
        if len(weights) != self._m:
            raise InvalidArgumentError(
                f"target_weights got {len(weights)} weights for {self._m} legs"
            )
        if self._t < 0:
            raise InvalidArgumentError("target_weights() was called outside on_bar")
        row = self._weights[self._t]
        for j, w in enumerate(weights):
            value = float(w)
            if math.isinf(value):
                raise InvalidArgumentError(
                    f"weight {value} for leg {j} at bar {self._t}; use [-1, 1] or NaN (keep)"
                )
            if value == value:
                row[j] = value

    def target(self, value: float) -> None:
        """The primary leg's weight; the other legs keep theirs."""
        self.target_weights([value] + [_NAN] * (self._m - 1))

    def buy(self, quantity: float, *, limit: float | None = None, stop: float | None = None) -> str:
        raise NotSupportedError(_NO_ORDERS)

    def sell(
        self, quantity: float, *, limit: float | None = None, stop: float | None = None
    ) -> str:
        raise NotSupportedError(_NO_ORDERS)

    def cancel(self, client_order_id: str) -> None:
        raise NotSupportedError(_NO_ORDERS)


_NO_ORDERS = (
    "explicit orders are not supported in a multi-leg run; set weights with "
    "ctx.target_weights(...) (run single-asset strategies with run_event)"
)


class _PortfolioBook(ExecutionBook):
    """:class:`ExecutionBook` with one account row per leg (the shared cash stays one)."""

    __slots__ = ()

    def __init__(self, cash: float, m: int) -> None:
        super().__init__(cash)
        self.fst = np.zeros((m, N_F), dtype=np.float64)
        self.ist = np.zeros((m, N_I), dtype=np.int64)

    def finish_all(
        self, last_idx: int, last_ts: int, last_close: Sequence[float]
    ) -> tuple[npt.NDArray[np.void], npt.NDArray[np.void], npt.NDArray[np.void]]:
        """(orders, trades, skipped); open round trips are marked at the last closes (END)."""
        m = self.fst.shape[0]
        self.reserve(m)
        for j in range(m):
            pos = self.fst[j, F_POS]
            if pos != 0.0:
                write_trade(
                    self.trades, self.cnt, self.fst, self.ist, j, last_idx, last_ts, REASON_END,
                    True, abs(pos), last_close[j],
                )  # fmt: skip
        cnt = self.cnt
        return (
            self.orders[: cnt[C_ORDERS]].copy(),
            self.trades[: cnt[C_TRADES]].copy(),
            self.skipped[: cnt[C_SKIPPED]].copy(),
        )


def _check_datas(datas: Sequence[StrategyData]) -> int:
    if not datas:
        raise InvalidArgumentError("run_event_portfolio needs at least one asset")
    n = len(datas[0])
    for d in datas[1:]:
        if len(d) != n or not np.array_equal(d.ts_event, datas[0].ts_event):
            raise InvalidArgumentError(
                f"bars of {d.symbol} and {datas[0].symbol} have different timestamps; "
                "align them on one calendar first"
            )
    return n


def _leg_names(strategy: Strategy, datas: Sequence[StrategyData]) -> dict[str, int]:
    """Leg index by name: the strategy's ``bars`` requirements in order, then the symbols.

    A primary feed of the same name must carry the same closes (it is what ``signals_legs``
    reads): a mismatch would make the two engines trade different data.
    """
    names: dict[str, int] = {}
    for j, d in enumerate(datas):
        names.setdefault(d.symbol, j)
    bars = [r.name for r in type(strategy).requires if r.kind == "bars"]
    for j, name in enumerate(bars, start=1):
        if j >= len(datas):
            break
        names[name] = j
        feed = datas[0].feed(name)
        if feed is not None and not np.array_equal(
            np.asarray(feed, dtype=np.float64), datas[j].close, equal_nan=True
        ):
            raise InvalidArgumentError(
                f"feed {name!r} of {datas[0].symbol} differs from the closes of leg "
                f"{datas[j].symbol}; pass the same data (or drop the feed)"
            )
    return names


def run_event_portfolio(
    strategy: Strategy,
    datas: Sequence[StrategyData],
    config: BacktestConfig | None = None,
    *,
    spec: BarSpec | str | None = None,
) -> PortfolioEventResult:
    """Run a multi-leg strategy's ``on_bar`` over ``datas`` (primary first) from one account.

    ``config`` must use ``sizer="target_weight"`` (the default here); ``long_only=None`` takes
    the strategy's ``long_only`` (``run_portfolio`` has no strategy and defaults to True: pass
    the same explicit value to both for a comparison). ``spec`` labels the bars handed to the
    strategy (inferred from the timestamps when omitted).
    """
    config = config or BacktestConfig(sizer="target_weight")
    if config.sizer != "target_weight":
        raise InvalidArgumentError(
            f"run_event_portfolio sizes by target weight; got sizer={config.sizer!r}. "
            "Pass BacktestConfig(sizer='target_weight', ...)"
        )
    n = _check_datas(datas)
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(strategy, datas, config, n, spec)
    finally:
        if enabled:
            gc.enable()


def _run(
    strategy: Strategy,
    datas: Sequence[StrategyData],
    config: BacktestConfig,
    n: int,
    spec: BarSpec | str | None,
) -> PortfolioEventResult:
    m = len(datas)
    long_only = type(strategy).long_only if config.long_only is None else bool(config.long_only)
    lo = 0.0 if long_only else -1.0
    fill_open = config.fill == "open"
    every_bar = config.rebalance == "every_bar"
    fee_rate, fixed_fee, slip = config.fee_rate, config.fixed_fee, config.slippage
    lot, min_size, min_notional = config.lot_size, config.min_size, config.min_notional
    max_gross = config.max_leverage + 1e-12

    ts_arr = np.ascontiguousarray(datas[0].ts_event, dtype=np.int64)
    open_ = np.ascontiguousarray(np.column_stack([d.open for d in datas]), dtype=np.float64)
    close = np.ascontiguousarray(np.column_stack([d.close for d in datas]), dtype=np.float64)
    parsed = BarSpec.parse(spec) if spec is not None else _spec_for(_infer_bar_ns(ts_arr))

    book = _PortfolioBook(config.cash, m)
    weights = np.full((n, m), _NAN)
    ctx = PortfolioContext(datas, _leg_names(strategy, datas), parsed, book, weights)
    cell = [0]
    view = BarView(datas[0].symbol, parsed, cell)
    primary = datas[0]
    view.bind(
        ts_arr.tolist(),
        np.asarray(primary.open, dtype=np.float64).tolist(),
        np.asarray(primary.high, dtype=np.float64).tolist(),
        np.asarray(primary.low, dtype=np.float64).tolist(),
        np.asarray(primary.close, dtype=np.float64).tolist(),
        np.asarray(primary.volume, dtype=np.float64).tolist(),
    )
    ts_list = ts_arr.tolist()

    cash_out = np.empty(n, dtype=np.float64)
    pos_out = np.empty((n, m), dtype=np.float64)
    eq_out = np.empty(n, dtype=np.float64)
    tgt = np.zeros(m, dtype=np.float64)
    acted = np.zeros(m, dtype=np.float64)
    desired = np.empty(m, dtype=np.float64)
    acct, fst = book.acct, book.fst

    def execute(t: int, base_row: FloatArray) -> None:
        book.reserve(2 * m)  # at most two orders (or an order and a skip) per leg
        rebalance(
            acct, fst, book.ist, book.cnt, book.orders, book.trades, book.skipped, t,
            ts_list[t], tgt, acted, desired, base_row, fee_rate, fixed_fee, slip, lot,
            min_size, min_notional,
        )  # fmt: skip

    strategy.on_start(ctx)
    for t in range(n):
        cell[0] = t
        ctx._t = t
        if fill_open and t > 0 and (every_bar or weights_changed(tgt, acted)):
            execute(t, open_[t])
        strategy.on_bar(ctx, view)
        row = weights[t]
        take_weights(tgt, row, lo)
        gross = gross_weight(tgt)
        if gross > max_gross:
            raise InvalidArgumentError(
                f"gross weight {gross:.6g} at bar {t} exceeds "
                f"max_leverage={config.max_leverage}; scale the weights down"
            )
        if not fill_open and (every_bar or weights_changed(tgt, acted)):
            execute(t, close[t])
        close_row = close[t]
        cash_out[t] = acct[0]
        pos_out[t] = fst[:, F_POS]
        eq_out[t] = book_equity(acct, fst, close_row)
    strategy.on_stop(ctx)

    if n > 0:
        orders, trades, skipped = book.finish_all(n - 1, ts_list[n - 1], close[n - 1].tolist())
    else:
        orders, trades, skipped = book.finish_all(0, 0, [])
    return PortfolioEventResult(
        symbols=[d.symbol for d in datas],
        ts=ts_arr,
        weights=weights,
        cash=cash_out,
        positions=pos_out,
        equity=eq_out,
        orders=orders,
        trades=trades,
        skipped=skipped,
        config=config,
    )
