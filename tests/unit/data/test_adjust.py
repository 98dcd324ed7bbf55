"""adjust_ohlc: one factor per bar from adj_close/close; volume kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.data.adjust import adjust_ohlc


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ts_event": np.array([0, 86_400 * 10**9], dtype=np.int64),
            "open": [100.0, 50.0],
            "high": [110.0, 55.0],
            "low": [90.0, 45.0],
            "close": [100.0, 52.0],
            "volume": [1000.0, 2000.0],
            "adj_close": [50.0, 52.0],
        }
    )


def test_adjust_ohlc_scales_every_price_by_adj_over_close() -> None:
    out = adjust_ohlc(frame())
    assert out["open"].tolist() == [50.0, 50.0]
    assert out["high"].tolist() == [55.0, 55.0]
    assert out["low"].tolist() == [45.0, 45.0]
    assert out["close"].tolist() == [50.0, 52.0]


def test_adjust_ohlc_keeps_volume_and_drops_adj_close() -> None:
    out = adjust_ohlc(frame())
    assert out["volume"].tolist() == [1000.0, 2000.0]
    assert "adj_close" not in out.columns


def test_adjust_ohlc_does_not_modify_input() -> None:
    df = frame()
    adjust_ohlc(df)
    assert df["open"].tolist() == [100.0, 50.0]


def test_adjust_ohlc_without_adj_close_is_invalid_argument() -> None:
    with pytest.raises(InvalidArgumentError, match="needs an adj_close column"):
        adjust_ohlc(frame().drop(columns=["adj_close"]))


def test_adjust_ohlc_twice_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="adj_close"):
        adjust_ohlc(adjust_ohlc(frame()))


def test_adjust_ohlc_bad_factor_rows_are_named() -> None:
    df = frame()
    df.loc[1, "adj_close"] = np.nan
    with pytest.raises(InvalidArgumentError, match=r"row positions 1"):
        adjust_ohlc(df)
