"""Our kernels against independent references: numpy two-pass windows, pandas, lstsq, cumsum.

References are deliberately naive (one window at a time) and computed in a way that does not
share the kernels' running-moment arithmetic, on series long enough (200k bars) and offset
enough (prices near 1e4) for drift or cancellation to show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.lib.stride_tricks import sliding_window_view

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.indicators import rolling_ols_hedge_ratio, rolling_zscore, vwap

RTOL = 1e-9


def random_walk(n: int, level: float = 1e4, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return level + np.cumsum(rng.normal(0, 1, n))


def zscore_reference(x: np.ndarray, window: int, ddof: int) -> np.ndarray:
    """Two-pass mean and std per window, each window on its own."""
    out = np.full(x.shape[0], np.nan)
    w = sliding_window_view(x, window)
    mean = w.mean(axis=1)
    std = np.sqrt(((w - mean[:, None]) ** 2).sum(axis=1) / (window - ddof))
    with np.errstate(divide="ignore", invalid="ignore"):
        out[window - 1 :] = (x[window - 1 :] - mean) / std
    return out


@pytest.mark.parametrize("ddof", [0, 1])
def test_rolling_zscore_long_series_at_1e4_equals_two_pass_reference(ddof: int) -> None:
    x = random_walk(200_000, seed=ddof)
    np.testing.assert_allclose(
        rolling_zscore(x, 30, ddof=ddof), zscore_reference(x, 30, ddof), rtol=RTOL, atol=1e-9
    )


@pytest.mark.parametrize("ddof", [0, 1])
def test_rolling_zscore_equals_pandas_rolling_on_unit_scale_data(ddof: int) -> None:
    x = np.random.default_rng(3).normal(0, 1, 2_000)
    s = pd.Series(x)
    ref = ((s - s.rolling(20).mean()) / s.rolling(20).std(ddof=ddof)).to_numpy()
    np.testing.assert_allclose(rolling_zscore(x, 20, ddof), ref, rtol=1e-8, atol=1e-10)


def test_rolling_zscore_nan_blanks_each_window_holding_it_then_recovers() -> None:
    x = random_walk(200, level=50.0, seed=4)
    x[100] = np.nan
    got = rolling_zscore(x, 10)
    assert np.isnan(got[100:110]).all()
    s = pd.Series(x)
    ref = ((s - s.rolling(10).mean()) / s.rolling(10).std(ddof=0)).to_numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-8)
    assert not np.isnan(got[110:]).any()


def test_rolling_zscore_constant_window_is_nan() -> None:
    x = np.r_[np.arange(10.0), np.full(10, 3.0), np.arange(5.0)]
    got = rolling_zscore(x, 5)
    assert np.isnan(got[14:19]).all()
    assert np.isfinite(got[20])


def test_rolling_zscore_2d_equals_each_column() -> None:
    x = np.column_stack([random_walk(500, seed=s) for s in range(3)])
    got = rolling_zscore(x, 25, ddof=1)
    for j in range(3):
        np.testing.assert_array_equal(got[:, j], rolling_zscore(x[:, j], 25, ddof=1))


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        np.float64, st.integers(2, 80), elements=st.floats(-1e6, 1e6, allow_subnormal=False)
    ),
    st.integers(2, 12),
)
def test_rolling_zscore_any_series_matches_reference_where_defined(
    x: np.ndarray, window: int
) -> None:
    got = rolling_zscore(x, window)
    if x.shape[0] < window:
        assert np.isnan(got).all()
        return
    ref = zscore_reference(x, window, 0)
    spread = sliding_window_view(x, window).std(axis=1)
    scale = np.abs(sliding_window_view(x, window)).max(axis=1)
    well_posed = np.r_[np.zeros(window - 1, bool), spread > 1e-6 * np.maximum(scale, 1.0)]
    np.testing.assert_allclose(got[well_posed], ref[well_posed], rtol=1e-6, atol=1e-6)
    assert np.isnan(got[: window - 1]).all()


def test_rolling_zscore_bad_arguments_raise() -> None:
    with pytest.raises(InvalidArgumentError, match="ddof"):
        rolling_zscore(np.arange(10.0), 3, ddof=2)
    with pytest.raises(InvalidArgumentError, match="window"):
        rolling_zscore(np.arange(10.0), 1)
    with pytest.raises(InvalidArgumentError, match="window"):
        rolling_zscore(np.arange(10.0), 2.5)  # type: ignore[arg-type]


def ols_reference(y: np.ndarray, x: np.ndarray, window: int, intercept: bool) -> np.ndarray:
    out = np.full((y.shape[0], 2), np.nan)
    for t in range(window - 1, y.shape[0]):
        xs = x[t - window + 1 : t + 1]
        ys = y[t - window + 1 : t + 1]
        design = np.column_stack([xs, np.ones(window)]) if intercept else xs[:, None]
        coef = np.linalg.lstsq(design, ys, rcond=None)[0]
        out[t] = (coef[0], coef[1] if intercept else 0.0)
    return out


@pytest.mark.parametrize("intercept", [True, False])
def test_rolling_ols_equals_lstsq_per_window_at_large_offsets(intercept: bool) -> None:
    rng = np.random.default_rng(5)
    x = random_walk(3_000, level=1e4, seed=6)
    y = 0.5 * x + 300 + rng.normal(0, 2, x.shape[0])
    got = rolling_ols_hedge_ratio(y, x, 40, intercept=intercept)
    ref = ols_reference(y, x, 40, intercept)
    np.testing.assert_allclose(got.beta, ref[:, 0], rtol=1e-7)
    np.testing.assert_allclose(got.alpha, ref[:, 1], rtol=1e-7, atol=1e-6)


def test_rolling_ols_long_series_matches_exact_window_fit() -> None:
    """After 200k bars the running co-moments must not have drifted: compare the tail."""
    rng = np.random.default_rng(7)
    x = random_walk(200_000, seed=8)
    y = 1.7 * x + rng.normal(0, 1, x.shape[0])
    got = rolling_ols_hedge_ratio(y, x, 50)
    tail = slice(-500, None)
    ref = ols_reference(y[-549:], x[-549:], 50, True)[49:]
    np.testing.assert_allclose(got.beta[tail], ref[:, 0], rtol=1e-7)


def test_rolling_ols_constant_x_window_gives_nan_and_recovers() -> None:
    x = np.r_[np.arange(10.0), np.full(8, 2.0), np.arange(10.0)]
    y = 2 * x + 1
    got = rolling_ols_hedge_ratio(y, x, 5)
    assert np.isnan(got.beta[14:18]).all()
    assert np.isfinite(got.beta[13])
    np.testing.assert_allclose(got.beta[22:], 2.0)
    np.testing.assert_allclose(got.alpha[22:], 1.0, atol=1e-12)


def test_rolling_ols_nan_pair_blanks_windows_holding_it() -> None:
    x = random_walk(100, level=10.0, seed=9)
    y = 3 * x
    y[50] = np.nan
    got = rolling_ols_hedge_ratio(y, x, 8)
    assert np.isnan(got.beta[50:58]).all()
    np.testing.assert_allclose(got.beta[58:], 3.0, rtol=1e-9)


def test_rolling_ols_2d_equals_each_column() -> None:
    x = np.column_stack([random_walk(300, seed=s) for s in range(2)])
    y = x * np.array([1.5, -0.5]) + np.random.default_rng(1).normal(0, 1, x.shape)
    got = rolling_ols_hedge_ratio(y, x, 30)
    for j in range(2):
        one = rolling_ols_hedge_ratio(y[:, j], x[:, j], 30)
        np.testing.assert_array_equal(got.beta[:, j], one.beta)
        np.testing.assert_array_equal(got.alpha[:, j], one.alpha)


def bars(n: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    close = random_walk(n, level=100.0, seed=seed)
    high = close + rng.uniform(0, 1, n)
    low = close - rng.uniform(0, 1, n)
    volume = rng.integers(100, 10_000, n).astype(np.float64)
    return high, low, close, volume


def test_vwap_cumulative_equals_cumsum_formula() -> None:
    h, lo, c, v = bars(10_000)
    tp = (h + lo + c) / 3
    np.testing.assert_allclose(vwap(h, lo, c, v), np.cumsum(tp * v) / np.cumsum(v), rtol=RTOL)


def test_vwap_rolling_equals_window_sums() -> None:
    h, lo, c, v = bars(50_000, seed=1)
    tp = (h + lo + c) / 3
    pv = sliding_window_view(tp * v, 20).sum(axis=1)
    vs = sliding_window_view(v, 20).sum(axis=1)
    got = vwap(h, lo, c, v, window=20)
    assert np.isnan(got[:19]).all()
    np.testing.assert_allclose(got[19:], pv / vs, rtol=RTOL)


def test_vwap_sessions_restart_like_groupby_cumsum() -> None:
    h, lo, c, v = bars(1_000, seed=2)
    day = np.repeat(np.arange(10), 100)
    frame = pd.DataFrame({"pv": (h + lo + c) / 3 * v, "v": v, "day": day})
    grouped = frame.groupby("day")
    ref = (grouped["pv"].cumsum() / grouped["v"].cumsum()).to_numpy()
    got = vwap(h, lo, c, v, session_ids=day)
    np.testing.assert_allclose(got, ref, rtol=RTOL)
    assert got[100] == pytest.approx((h[100] + lo[100] + c[100]) / 3, rel=1e-15)


def test_vwap_session_ids_may_be_strings_and_2d_shares_them() -> None:
    h, lo, c, v = bars(60, seed=3)
    days = np.array(["2024-01-02"] * 30 + ["2024-01-03"] * 30)
    two = vwap(np.c_[h, h], np.c_[lo, lo], np.c_[c, c], np.c_[v, v], session_ids=days)
    one = vwap(h, lo, c, v, session_ids=days)
    np.testing.assert_array_equal(two[:, 0], one)
    np.testing.assert_array_equal(two[:, 1], one)


def test_vwap_zero_volume_is_nan_until_volume_arrives() -> None:
    h, lo, c, v = bars(5, seed=4)
    v[:2] = 0.0
    got = vwap(h, lo, c, v)
    assert np.isnan(got[:2]).all()
    assert got[2] == pytest.approx((h[2] + lo[2] + c[2]) / 3)


def test_vwap_nan_bar_is_skipped_in_cumulative_sums() -> None:
    h, lo, c, v = bars(20, seed=5)
    c[7] = np.nan
    got = vwap(h, lo, c, v)
    keep = np.arange(20) != 7
    tp = (h + lo + c) / 3
    assert np.isnan(got[7])
    np.testing.assert_allclose(
        got[keep], np.cumsum(tp[keep] * v[keep]) / np.cumsum(v[keep]), rtol=RTOL
    )


def test_vwap_window_and_sessions_together_raise() -> None:
    h, lo, c, v = bars(10)
    with pytest.raises(InvalidArgumentError, match="not both"):
        vwap(h, lo, c, v, window=3, session_ids=np.zeros(10))


def test_vwap_session_ids_wrong_length_raise() -> None:
    h, lo, c, v = bars(10)
    with pytest.raises(InvalidArgumentError, match="session_ids"):
        vwap(h, lo, c, v, session_ids=np.zeros(9))


def test_vwap_mismatched_inputs_raise() -> None:
    h, lo, c, v = bars(10)
    with pytest.raises(InvalidArgumentError, match="different shapes"):
        vwap(h, lo, c, v[:5])
