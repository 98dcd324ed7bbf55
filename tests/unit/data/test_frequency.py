from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.data.frequency import infer_periods_per_year, trades_on_weekends


def _ns(index: pd.DatetimeIndex) -> np.ndarray:
    return index.as_unit("ns").asi8


def test_business_daily_bars_give_252() -> None:
    ts = _ns(pd.bdate_range("2020-01-01", "2021-12-31"))
    assert not trades_on_weekends(ts)
    assert infer_periods_per_year(ts, "1d") == 252.0


def test_calendar_daily_bars_with_weekends_give_365() -> None:
    ts = _ns(pd.date_range("2020-01-01", "2021-12-31", freq="D"))
    assert trades_on_weekends(ts)
    assert infer_periods_per_year(ts, "1d") == 365.0


def test_equity_session_5_minute_bars_count_bars_per_day() -> None:
    days = pd.bdate_range("2024-01-01", "2024-03-01")
    stamps = [
        d + pd.Timedelta(hours=14, minutes=30) + pd.Timedelta(minutes=5 * i)
        for d in days
        for i in range(78)
    ]
    ts = _ns(pd.DatetimeIndex(stamps))
    assert infer_periods_per_year(ts, "5m") == 78 * 252.0


def test_crypto_minute_bars_24_7_give_1440_times_365() -> None:
    ts = _ns(pd.date_range("2024-01-01", periods=14 * 1440, freq="min"))
    assert infer_periods_per_year(ts, "1m") == 1440 * 365.0


def test_weekly_bars_give_52() -> None:
    assert infer_periods_per_year(np.array([0], dtype=np.int64), "1w") == 52.0


def test_intraday_with_one_bar_cannot_be_inferred() -> None:
    with pytest.raises(InvalidArgumentError, match="periods_per_year"):
        infer_periods_per_year(np.array([0], dtype=np.int64), "1m")
