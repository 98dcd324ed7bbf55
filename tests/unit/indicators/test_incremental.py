"""Incremental indicators against their batch twins, bar by bar, plus the shared protocol.

Twins: TA-Lib where TA-Lib has the indicator, else our kernels. Agreement is demanded to
rtol 1e-9 with an absolute floor far below any price tick, on synthetic series long enough for
running sums to drift if they could.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
import talib

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.indicators import incremental as inc
from neural_trader.indicators import rolling_ols_hedge_ratio, rolling_zscore, vwap

RTOL = 1e-9


def walk(n: int, level: float = 100.0, seed: int = 0) -> np.ndarray:
    return level + np.cumsum(np.random.default_rng(seed).normal(0, 1, n))


def bars(n: int, level: float = 100.0, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed + 100)
    close = walk(n, level, seed)
    return {
        "high": close + rng.uniform(0, 1, n),
        "low": close - rng.uniform(0, 1, n),
        "close": close,
        "volume": rng.integers(100, 10_000, n).astype(np.float64),
        "other": 0.8 * close + rng.normal(0, 1, n),
    }


def feed(indicator: Any, *columns: np.ndarray) -> np.ndarray:
    update = indicator.update
    rows = [update(*row) for row in zip(*(c.tolist() for c in columns), strict=True)]
    return np.array(rows, dtype=np.float64)


def assert_twins(got: np.ndarray, want: np.ndarray | Sequence[np.ndarray]) -> None:
    want_arr = np.column_stack(want) if isinstance(want, tuple | list) else np.asarray(want)
    got = got.reshape(want_arr.shape)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want_arr))
    scale = np.nanmax(np.abs(want_arr))
    np.testing.assert_allclose(got, want_arr, rtol=RTOL, atol=1e-13 * scale)


Case = tuple[str, Callable[[], Any], tuple[str, ...], Callable[[dict[str, np.ndarray]], Any], int]

CASES: list[Case] = [
    ("sma", lambda: inc.SMA(20), ("close",), lambda d: talib.SMA(d["close"], 20), 19),
    ("ema", lambda: inc.EMA(10), ("close",), lambda d: talib.EMA(d["close"], 10), 9),
    ("wma", lambda: inc.WMA(15), ("close",), lambda d: talib.WMA(d["close"], 15), 14),
    ("rsi", lambda: inc.RSI(14), ("close",), lambda d: talib.RSI(d["close"], 14), 14),
    ("macd", lambda: inc.MACD(), ("close",), lambda d: talib.MACD(d["close"]), 33),
    (
        "macd_swapped",
        lambda: inc.MACD(20, 8, 5),
        ("close",),
        lambda d: talib.MACD(d["close"], 20, 8, 5),
        23,
    ),
    (
        "bbands",
        lambda: inc.BollingerBands(20, 2.5),
        ("close",),
        lambda d: talib.BBANDS(d["close"], 20, 2.5, 2.5),
        19,
    ),
    (
        "atr",
        lambda: inc.ATR(14),
        ("high", "low", "close"),
        lambda d: talib.ATR(d["high"], d["low"], d["close"], 14),
        14,
    ),
    (
        "atr1",
        lambda: inc.ATR(1),
        ("high", "low", "close"),
        lambda d: talib.ATR(d["high"], d["low"], d["close"], 1),
        1,
    ),
    ("std", lambda: inc.RollingStd(20), ("close",), lambda d: talib.STDDEV(d["close"], 20), 19),
    (
        "std_ddof1",
        lambda: inc.RollingStd(20, ddof=1),
        ("close",),
        lambda d: talib.STDDEV(d["close"], 20) * np.sqrt(20 / 19),
        19,
    ),
    (
        "zscore",
        lambda: inc.RollingZScore(30, ddof=1),
        ("close",),
        lambda d: rolling_zscore(d["close"], 30, ddof=1),
        29,
    ),
    ("mom", lambda: inc.Momentum(10), ("close",), lambda d: talib.MOM(d["close"], 10), 10),
    ("roc", lambda: inc.ROC(10), ("close",), lambda d: talib.ROC(d["close"], 10), 10),
    ("highest", lambda: inc.Highest(25), ("close",), lambda d: talib.MAX(d["close"], 25), 24),
    ("lowest", lambda: inc.Lowest(25), ("close",), lambda d: talib.MIN(d["close"], 25), 24),
    (
        "ols",
        lambda: inc.RollingOLS(40),
        ("close", "other"),
        lambda d: tuple(rolling_ols_hedge_ratio(d["close"], d["other"], 40)),
        39,
    ),
    (
        "ols_no_intercept",
        lambda: inc.RollingOLS(40, intercept=False),
        ("close", "other"),
        lambda d: tuple(rolling_ols_hedge_ratio(d["close"], d["other"], 40, intercept=False)),
        39,
    ),
    (
        "vwap",
        lambda: inc.VWAP(),
        ("high", "low", "close", "volume"),
        lambda d: vwap(d["high"], d["low"], d["close"], d["volume"]),
        0,
    ),
    (
        "vwap_rolling",
        lambda: inc.VWAP(30),
        ("high", "low", "close", "volume"),
        lambda d: vwap(d["high"], d["low"], d["close"], d["volume"], window=30),
        29,
    ),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize(("name", "make", "cols", "batch", "lookback"), CASES, ids=IDS)
def test_incremental_equals_batch_on_random_walk(
    name: str, make: Callable[[], Any], cols: tuple[str, ...], batch: Any, lookback: int
) -> None:
    data = bars(20_000, level=1e4, seed=len(name))
    assert_twins(feed(make(), *(data[c] for c in cols)), batch(data))


@pytest.mark.parametrize(("name", "make", "cols", "batch", "lookback"), CASES, ids=IDS)
def test_incremental_ready_after_batch_lookback(
    name: str, make: Callable[[], Any], cols: tuple[str, ...], batch: Any, lookback: int
) -> None:
    data = bars(lookback + 3, seed=1)
    ind = make()
    assert ind.lookback == lookback
    for t, row in enumerate(zip(*(data[c].tolist() for c in cols), strict=True)):
        out = ind.update(*row)
        assert ind.count == t + 1
        assert ind.ready == (t >= lookback)
        assert np.isnan(out).all() == (t < lookback)
        assert ind.value == out or np.isnan(out).all()


@pytest.mark.parametrize(("name", "make", "cols", "batch", "lookback"), CASES, ids=IDS)
def test_incremental_reset_replays_identically(
    name: str, make: Callable[[], Any], cols: tuple[str, ...], batch: Any, lookback: int
) -> None:
    data = bars(300, seed=2)
    ind = make()
    first = feed(ind, *(data[c] for c in cols))
    ind.reset()
    assert ind.count == 0
    assert not ind.ready
    assert np.isnan(ind.value).all()
    np.testing.assert_array_equal(feed(ind, *(data[c] for c in cols)), first)


@pytest.mark.parametrize(("name", "make", "cols", "batch", "lookback"), CASES, ids=IDS)
def test_incremental_nan_input_raises_and_keeps_state(
    name: str, make: Callable[[], Any], cols: tuple[str, ...], batch: Any, lookback: int
) -> None:
    data = bars(200, seed=3)
    rows = list(zip(*(data[c].tolist() for c in cols), strict=True))
    ind, twin = make(), make()
    for row in rows[:100]:
        ind.update(*row)
        twin.update(*row)
    with pytest.raises(InvalidArgumentError, match="NaN"):
        ind.update(float("nan"), *rows[100][1:])
    assert ind.count == 100
    for row in rows[100:]:
        np.testing.assert_array_equal(ind.update(*row), twin.update(*row))


def test_sma_and_std_million_bar_walk_at_1e4_do_not_drift() -> None:
    """1M bars around 1e4: running sums would drift here without the ring-buffer rebuilds."""
    x = walk(1_000_000, level=1e4, seed=11)
    window = np.lib.stride_tricks.sliding_window_view(x, 50)
    sma = feed(inc.SMA(50), x)
    np.testing.assert_allclose(sma[49:], window.mean(axis=1), rtol=RTOL)
    np.testing.assert_allclose(sma, talib.SMA(x, 50), rtol=RTOL)
    tail = slice(-20_000, None)
    exact_std = window[tail].std(axis=1)
    std = feed(inc.RollingStd(50), x)
    np.testing.assert_allclose(std[tail], exact_std, rtol=RTOL)


def test_rolling_std_after_huge_values_leave_window_stays_accurate() -> None:
    """A burst of 1e8 then small wiggles: plain sliding updates would keep only noise."""
    rng = np.random.default_rng(4)
    x = np.r_[rng.normal(1e8, 1e6, 30), 5 + rng.normal(0, 1e-3, 40)]
    got = feed(inc.RollingStd(10), x)
    want = np.lib.stride_tricks.sliding_window_view(x, 10).std(axis=1)
    np.testing.assert_allclose(got[9:], want, rtol=1e-9)
    zs = feed(inc.RollingZScore(10), x)
    np.testing.assert_array_equal(zs, rolling_zscore(x, 10))


def test_rsi_flat_series_is_zero_like_talib() -> None:
    x = np.full(30, 7.0)
    np.testing.assert_array_equal(feed(inc.RSI(5), x), talib.RSI(x, 5))


def test_highest_lowest_with_ties_and_monotone_runs_match_talib() -> None:
    x = np.r_[np.arange(20.0), np.full(10, 19.0), np.arange(20.0)[::-1], [5.0] * 5]
    np.testing.assert_array_equal(feed(inc.Highest(4), x), talib.MAX(x, 4))
    np.testing.assert_array_equal(feed(inc.Lowest(4), x), talib.MIN(x, 4))


def test_roc_zero_reference_gives_zero_like_talib() -> None:
    x = np.array([0.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(feed(inc.ROC(1), x), talib.ROC(x, 1))


def test_macd_returns_named_fields() -> None:
    ind = inc.MACD(3, 6, 2)
    out = None
    for v in walk(10).tolist():
        out = ind.update(v)
    assert isinstance(out, inc.MACDValue)
    assert out.hist == pytest.approx(out.macd - out.signal)
    assert ind.value is out


def test_vwap_session_id_change_restarts_like_batch_sessions() -> None:
    d = bars(500, seed=5)
    days = np.repeat(np.arange(5), 100)
    ind = inc.VWAP()
    got = np.array(
        [
            ind.update(h, lo, c, v, session_id=int(s))
            for h, lo, c, v, s in zip(
                d["high"], d["low"], d["close"], d["volume"], days, strict=True
            )
        ]
    )
    want = vwap(d["high"], d["low"], d["close"], d["volume"], session_ids=days)
    np.testing.assert_array_equal(got, want)


def test_rolling_vwap_refuses_session_id() -> None:
    with pytest.raises(InvalidArgumentError, match="session_id"):
        inc.VWAP(5).update(1.0, 1.0, 1.0, 1.0, session_id="2024-01-02")


@pytest.mark.parametrize(
    "make",
    [
        lambda: inc.SMA(0),
        lambda: inc.EMA(-1),
        lambda: inc.RSI(1),
        lambda: inc.MACD(12, 26, 0),
        lambda: inc.BollingerBands(1),
        lambda: inc.RollingStd(5, ddof=2),
        lambda: inc.RollingZScore(2.5),  # type: ignore[arg-type]
        lambda: inc.Highest(1),
        lambda: inc.RollingOLS(1),
        lambda: inc.VWAP(0),
        lambda: inc.WMA(True),
    ],
)
def test_incremental_bad_parameters_raise(make: Callable[[], Any]) -> None:
    with pytest.raises(InvalidArgumentError):
        make()
