"""Indicators on 20 years of real daily ORCL bars (../shared/data/orcl-1995-2014.txt).

Every incremental class must reproduce its batch twin on all 5,036 bars to rtol 1e-9: TA-Lib
where TA-Lib has the indicator, our kernels otherwise. Real prices bring what random walks do
not: a split-adjusted level spanning 2 to 45, flat days, gaps, volumes near 1e8.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import talib

import neural_trader.indicators as ind
from neural_trader.indicators import incremental as inc

pytestmark = pytest.mark.shared_data

RTOL = 1e-9


@pytest.fixture(scope="module")
def orcl(shared_data: Path) -> dict[str, np.ndarray]:
    frame = pd.read_csv(shared_data / "orcl-1995-2014.txt")
    assert list(frame.columns) == ["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"]
    cols = {c.lower().replace(" ", "_"): frame[c] for c in frame.columns}
    out = {k: v.to_numpy(np.float64) for k, v in cols.items() if k != "date"}
    out["month"] = frame["Date"].str[:7].to_numpy()
    return out


def feed(indicator: Any, *columns: np.ndarray) -> np.ndarray:
    update = indicator.update
    return np.array(
        [update(*row) for row in zip(*(c.tolist() for c in columns), strict=True)],
        dtype=np.float64,
    )


def assert_twins(got: np.ndarray, want: Any) -> None:
    want_arr = np.column_stack(want) if isinstance(want, tuple) else np.asarray(want)
    got = got.reshape(want_arr.shape)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want_arr))
    np.testing.assert_allclose(got, want_arr, rtol=RTOL, atol=1e-13 * np.nanmax(np.abs(want_arr)))


D = dict[str, np.ndarray]
CASES: list[tuple[str, Callable[[], Any], tuple[str, ...], Callable[[D], Any]]] = [
    ("SMA", lambda: inc.SMA(50), ("close",), lambda d: talib.SMA(d["close"], 50)),
    ("EMA", lambda: inc.EMA(20), ("close",), lambda d: talib.EMA(d["close"], 20)),
    ("WMA", lambda: inc.WMA(30), ("close",), lambda d: talib.WMA(d["close"], 30)),
    ("RSI", lambda: inc.RSI(14), ("close",), lambda d: talib.RSI(d["close"], 14)),
    ("MACD", lambda: inc.MACD(12, 26, 9), ("close",), lambda d: talib.MACD(d["close"], 12, 26, 9)),
    (
        "BollingerBands",
        lambda: inc.BollingerBands(20, 2.0),
        ("close",),
        lambda d: talib.BBANDS(d["close"], 20, 2.0, 2.0),
    ),
    (
        "ATR",
        lambda: inc.ATR(14),
        ("high", "low", "close"),
        lambda d: talib.ATR(d["high"], d["low"], d["close"], 14),
    ),
    ("RollingStd", lambda: inc.RollingStd(20), ("close",), lambda d: talib.STDDEV(d["close"], 20)),
    (
        "RollingStd_ddof1",
        lambda: inc.RollingStd(60, ddof=1),
        ("close",),
        lambda d: talib.STDDEV(d["close"], 60) * np.sqrt(60 / 59),
    ),
    (
        "RollingZScore",
        lambda: inc.RollingZScore(20),
        ("close",),
        lambda d: ind.rolling_zscore(d["close"], 20),
    ),
    ("Momentum", lambda: inc.Momentum(10), ("close",), lambda d: talib.MOM(d["close"], 10)),
    ("ROC", lambda: inc.ROC(10), ("close",), lambda d: talib.ROC(d["close"], 10)),
    ("Highest", lambda: inc.Highest(20), ("high",), lambda d: talib.MAX(d["high"], 20)),
    ("Lowest", lambda: inc.Lowest(20), ("low",), lambda d: talib.MIN(d["low"], 20)),
    (
        "RollingOLS",
        lambda: inc.RollingOLS(60),
        ("close", "open"),
        lambda d: tuple(ind.rolling_ols_hedge_ratio(d["close"], d["open"], 60)),
    ),
    (
        "RollingOLS_volume",
        lambda: inc.RollingOLS(60, intercept=False),
        ("close", "volume"),
        lambda d: tuple(ind.rolling_ols_hedge_ratio(d["close"], d["volume"], 60, intercept=False)),
    ),
    (
        "VWAP",
        lambda: inc.VWAP(),
        ("high", "low", "close", "volume"),
        lambda d: ind.vwap(d["high"], d["low"], d["close"], d["volume"]),
    ),
    (
        "VWAP_rolling",
        lambda: inc.VWAP(20),
        ("high", "low", "close", "volume"),
        lambda d: ind.vwap(d["high"], d["low"], d["close"], d["volume"], window=20),
    ),
]


@pytest.mark.parametrize(("name", "make", "cols", "batch"), CASES, ids=[c[0] for c in CASES])
def test_incremental_equals_batch_on_orcl(
    orcl: D, name: str, make: Callable[[], Any], cols: tuple[str, ...], batch: Callable[[D], Any]
) -> None:
    assert orcl["close"].shape == (5036,)
    assert_twins(feed(make(), *(orcl[c] for c in cols)), batch(orcl))


def test_vwap_monthly_sessions_incremental_equals_batch_on_orcl(orcl: D) -> None:
    vw = inc.VWAP()
    got = np.array(
        [
            vw.update(h, lo, c, v, session_id=m)
            for h, lo, c, v, m in zip(
                orcl["high"].tolist(),
                orcl["low"].tolist(),
                orcl["close"].tolist(),
                orcl["volume"].tolist(),
                orcl["month"].tolist(),
                strict=True,
            )
        ]
    )
    want = ind.vwap(
        orcl["high"], orcl["low"], orcl["close"], orcl["volume"], session_ids=orcl["month"]
    )
    assert_twins(got, want)
    frame = pd.DataFrame(
        {
            "pv": (orcl["high"] + orcl["low"] + orcl["close"]) / 3 * orcl["volume"],
            "v": orcl["volume"],
            "m": orcl["month"],
        }
    )
    ref = (frame.groupby("m")["pv"].cumsum() / frame.groupby("m")["v"].cumsum()).to_numpy()
    np.testing.assert_allclose(want, ref, rtol=RTOL)


@pytest.mark.parametrize("name", sorted(ind.INDICATORS))
def test_every_indicator_2d_equals_per_column_and_warmup_equals_lookback(
    orcl: D, name: str
) -> None:
    spec = ind.INDICATORS[name]
    pick = {"y": "close", "x": "open"}
    two = {c: np.column_stack([orcl[pick.get(c, c)], orcl["adj_close"]]) for c in spec.inputs}
    if "volume" in two:
        two["volume"] = np.column_stack([orcl["volume"], orcl["volume"][::-1]])
    res2 = ind.compute(name, two)
    outs2 = tuple(res2) if isinstance(res2, tuple) else (res2,)
    for j in range(2):
        res1 = ind.compute(name, {c: a[:, j] for c, a in two.items()})
        outs1 = tuple(res1) if isinstance(res1, tuple) else (res1,)
        for a2, a1 in zip(outs2, outs1, strict=True):
            np.testing.assert_array_equal(a2[:, j], a1)
    first_valid = min(int(np.argmax(~np.isnan(o[:, 0]))) for o in outs2)
    assert first_valid == ind.lookback(name)


def test_kernel_zscore_equals_pandas_on_orcl(orcl: D) -> None:
    s = pd.Series(orcl["close"])
    ref = ((s - s.rolling(20).mean()) / s.rolling(20).std(ddof=1)).to_numpy()
    np.testing.assert_allclose(ind.rolling_zscore(orcl["close"], 20, ddof=1), ref, rtol=1e-8)


def test_kernel_ols_equals_lstsq_on_orcl_tail(orcl: D) -> None:
    y, x = orcl["close"], orcl["adj_close"]
    got = ind.rolling_ols_hedge_ratio(y, x, 120)
    for t in range(y.shape[0] - 50, y.shape[0]):
        xs, ys = x[t - 119 : t + 1], y[t - 119 : t + 1]
        beta, alpha = np.linalg.lstsq(np.column_stack([xs, np.ones(120)]), ys, rcond=None)[0]
        assert got.beta[t] == pytest.approx(beta, rel=1e-9)
        assert got.alpha[t] == pytest.approx(alpha, rel=1e-7, abs=1e-9)
