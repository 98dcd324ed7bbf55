"""The TA-Lib catalogue: wiring (parameter order, per-column 2-D), errors, registry, compute.

Values equal TA-Lib by construction, so these tests look for what the wrapper layer could get
wrong: parameters passed to the wrong position, columns mixed up, a warm-up that differs from
TA-Lib's lookback, registry entries that do not match the functions.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
import talib

import neural_trader.indicators as ind
from neural_trader.core.errors import InvalidArgumentError, NotFoundError
from neural_trader.indicators import talib_wrappers as tw

REQUIRED = (
    "sma",
    "ema",
    "wma",
    "dema",
    "tema",
    "kama",
    "rsi",
    "macd",
    "bbands",
    "atr",
    "natr",
    "stoch",
    "stochrsi",
    "adx",
    "cci",
    "willr",
    "roc",
    "mom",
    "obv",
    "mfi",
    "ad",
    "adosc",
    "trix",
    "sar",
)
TALIB_NAMES = sorted(tw.TALIB_INDICATORS)


def ohlcv(n: int, n_cols: int | None = None, seed: int = 0) -> dict[str, np.ndarray]:
    """Random-walk bars with high >= max(open, close) and low <= min(open, close)."""
    rng = np.random.default_rng(seed)
    shape = (n,) if n_cols is None else (n, n_cols)
    close = 100 + np.cumsum(rng.normal(0, 1, shape), axis=0)
    open_ = close + rng.normal(0, 0.5, shape)
    high = np.maximum(open_, close) + rng.uniform(0, 1, shape)
    low = np.minimum(open_, close) - rng.uniform(0, 1, shape)
    volume = rng.integers(1_000, 100_000, shape).astype(np.float64)
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume}


def call(name: str, data: dict[str, np.ndarray], **params: Any) -> tuple[np.ndarray, ...]:
    spec = tw.TALIB_INDICATORS[name]
    out = spec.func(*(data[c] for c in spec.inputs), **params)
    return tuple(out) if isinstance(out, tuple) else (out,)


def test_catalogue_required_names_all_present() -> None:
    missing = [n for n in REQUIRED if n not in ind.INDICATORS]
    assert missing == []
    for name in REQUIRED:
        assert callable(getattr(ind, name))


@pytest.mark.parametrize("name", TALIB_NAMES)
def test_wrapper_registry_entry_matches_module_attribute_and_talib(name: str) -> None:
    spec = tw.TALIB_INDICATORS[name]
    assert getattr(tw, name) is spec.func
    info = talib.abstract.Function(name.upper()).info  # type: ignore[attr-defined]
    assert dict(spec.parameters) == dict(info["parameters"])
    assert len(spec.outputs) == len(info["output_names"])
    sig = inspect.signature(spec.func)
    assert list(sig.parameters)[len(spec.inputs) :] == list(info["parameters"])


@pytest.mark.parametrize("name", TALIB_NAMES)
def test_wrapper_2d_input_equals_each_column_1d(name: str) -> None:
    data2 = ohlcv(300, 3, seed=1)
    out2 = call(name, data2)
    for j in range(3):
        out1 = call(name, {k: v[:, j] for k, v in data2.items()})
        for a2, a1 in zip(out2, out1, strict=True):
            assert a2.shape == (300, 3)
            np.testing.assert_array_equal(a2[:, j], a1)


@pytest.mark.parametrize("name", TALIB_NAMES)
def test_wrapper_leading_nans_equal_talib_lookback(name: str) -> None:
    out = call(name, ohlcv(400, seed=2))
    expected = tw.talib_lookback(name)
    for arr in out:
        assert np.isnan(arr[:expected]).all()
        assert not np.isnan(arr[expected:]).any()
    assert ind.lookback(name) == expected


def test_macd_non_default_parameters_reach_talib_in_order() -> None:
    close = ohlcv(200, seed=3)["close"]
    res = ind.macd(close, fastperiod=5, slowperiod=13, signalperiod=4)
    ref = talib.MACD(close, 5, 13, 4)
    assert isinstance(res, tw.MACDResult)
    for got, want in zip(res, ref, strict=True):
        np.testing.assert_array_equal(got, want)
    positional = ind.macd(close, 5, 13, 4)
    np.testing.assert_array_equal(positional.hist, ref[2])


def test_bbands_asymmetric_devs_reach_talib() -> None:
    close = ohlcv(100, seed=4)["close"]
    res = ind.bbands(close, timeperiod=10, nbdevup=1.0, nbdevdn=3.0)
    ref = talib.BBANDS(close, 10, 1.0, 3.0)
    np.testing.assert_array_equal(res.upper, ref[0])
    np.testing.assert_array_equal(res.lower, ref[2])
    assert res.middle is res[1]


def test_stoch_returns_slowk_slowd_namedtuple_matching_talib() -> None:
    d = ohlcv(200, seed=5)
    res = ind.stoch(d["high"], d["low"], d["close"], fastk_period=9, slowk_period=4)
    ref = talib.STOCH(d["high"], d["low"], d["close"], fastk_period=9, slowk_period=4)
    np.testing.assert_array_equal(res.slowk, ref[0])
    np.testing.assert_array_equal(res.slowd, ref[1])


def test_wrapper_int_input_equals_float_input() -> None:
    prices = np.arange(1, 60) % 7 + 10
    np.testing.assert_array_equal(ind.rsi(prices, timeperiod=5), ind.rsi(prices.astype(float), 5))
    np.testing.assert_array_equal(ind.sma(list(prices), 3), talib.SMA(prices.astype(float), 3))


def test_wrapper_noncontiguous_column_slice_is_accepted() -> None:
    close = ohlcv(100, 4, seed=6)["close"]
    np.testing.assert_array_equal(ind.ema(close[:, 2], 10), talib.EMA(close[:, 2].copy(), 10))


def test_wrapper_nan_inside_series_follows_talib() -> None:
    close = ohlcv(60, seed=7)["close"]
    close[[0, 1, 30]] = np.nan
    np.testing.assert_array_equal(ind.sma(close, 5), talib.SMA(close, 5))


def test_wrapper_mismatched_lengths_raise_invalid_argument() -> None:
    d = ohlcv(50)
    with pytest.raises(InvalidArgumentError, match="different shapes"):
        ind.atr(d["high"], d["low"][:-1], d["close"])


def test_wrapper_mismatched_column_counts_raise_invalid_argument() -> None:
    d = ohlcv(50, 2)
    with pytest.raises(InvalidArgumentError, match="different shapes"):
        ind.atr(d["high"], d["low"][:, :1], d["close"])


@pytest.mark.parametrize(
    "bad",
    [np.array(["1", "2", "3"]), np.array([True, False, True]), np.array([None, 1.0, 2.0])],
)
def test_wrapper_non_numeric_input_raises_invalid_argument(bad: np.ndarray) -> None:
    with pytest.raises(InvalidArgumentError, match="numeric"):
        ind.sma(bad, 2)


def test_wrapper_3d_input_raises_invalid_argument() -> None:
    with pytest.raises(InvalidArgumentError, match="1-D or 2-D"):
        ind.sma(np.zeros((5, 2, 2)), 2)


def test_wrapper_unknown_keyword_raises_with_signature_hint() -> None:
    with pytest.raises(InvalidArgumentError) as err:
        ind.sma(np.arange(10.0), period=3)
    assert "timeperiod" in str(err.value)


def test_wrapper_fractional_period_raises_instead_of_truncating() -> None:
    with pytest.raises(InvalidArgumentError, match="integer"):
        ind.sma(np.arange(10.0), timeperiod=2.5)
    np.testing.assert_array_equal(ind.sma(np.arange(10.0), 3.0), talib.SMA(np.arange(10.0), 3))


def test_wrapper_parameter_talib_rejects_raises_invalid_argument() -> None:
    with pytest.raises(InvalidArgumentError, match="TA-Lib refused"):
        ind.rsi(np.arange(30.0), timeperiod=1)


def test_wrapper_missing_input_raises_invalid_argument() -> None:
    with pytest.raises(InvalidArgumentError):
        ind.atr(np.arange(10.0), np.arange(10.0))


def test_list_indicators_covers_registry_and_is_json_ready() -> None:
    specs = ind.list_indicators()
    assert [s.name for s in specs] == sorted(ind.INDICATORS)
    payload = json.loads(json.dumps([s.to_dict() for s in specs]))
    macd_entry = next(p for p in payload if p["name"] == "macd")
    assert macd_entry["parameters"] == {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9}
    assert macd_entry["outputs"] == ["macd", "signal", "hist"]
    assert macd_entry["inputs"] == ["close"]
    assert {s.source for s in specs} == {"talib", "custom"}


def test_list_indicators_group_filter_is_case_insensitive() -> None:
    momentum = ind.list_indicators("momentum indicators")
    names = {s.name for s in momentum}
    assert {"rsi", "macd", "stoch"} <= names
    assert "sma" not in names


def test_compute_dataframe_with_capitalised_columns_equals_direct_call() -> None:
    d = ohlcv(120, seed=8)
    frame = pd.DataFrame({k.capitalize(): v for k, v in d.items()})
    got = ind.compute("ATR", frame, timeperiod=7)
    np.testing.assert_array_equal(got, talib.ATR(d["high"], d["low"], d["close"], 7))
    res = ind.compute("macd", frame)
    np.testing.assert_array_equal(res.signal, talib.MACD(d["close"])[1])


def test_compute_mapping_of_2d_arrays_runs_per_column() -> None:
    d = ohlcv(80, 2, seed=9)
    got = ind.compute("mfi", d, timeperiod=5)
    want = talib.MFI(d["high"][:, 1], d["low"][:, 1], d["close"][:, 1], d["volume"][:, 1], 5)
    np.testing.assert_array_equal(got[:, 1], want)


def test_compute_custom_indicator_by_name() -> None:
    d = ohlcv(50, seed=10)
    np.testing.assert_array_equal(
        ind.compute("vwap", d, window=5),
        ind.vwap(d["high"], d["low"], d["close"], d["volume"], window=5),
    )


def test_compute_missing_column_names_what_it_needs() -> None:
    with pytest.raises(InvalidArgumentError, match="column 'volume'"):
        ind.compute("obv", {"close": np.arange(5.0)})


def test_compute_unknown_indicator_suggests_close_name() -> None:
    with pytest.raises(NotFoundError) as err:
        ind.compute("rsii", {"close": np.arange(5.0)})
    assert err.value.hint is not None
    assert "rsi" in err.value.hint


def test_compute_unknown_parameter_lists_valid_ones() -> None:
    with pytest.raises(InvalidArgumentError) as err:
        ind.compute("sma", {"close": np.arange(50.0)}, window=5)
    assert err.value.hint == "parameters: timeperiod"


def test_lookback_with_parameters_matches_talib_abstract() -> None:
    assert ind.lookback("macd", fastperiod=5, slowperiod=20, signalperiod=3) == 21
    assert ind.lookback("rolling_zscore", window=30) == 29
    assert ind.lookback("vwap") == 0


def test_wrapper_empty_input_returns_empty() -> None:
    assert ind.sma(np.array([]), 3).shape == (0,)
