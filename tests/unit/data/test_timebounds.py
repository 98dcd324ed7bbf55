"""to_ns / resolve_range: user time values to inclusive int64 ns UTC bounds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.data.timebounds import INT64_MAX, INT64_MIN, resolve_range, to_ns

NS = 1_000_000_000


def ns(text: str) -> int:
    return int(pd.Timestamp(text).as_unit("ns").value)


def test_to_ns_int_is_returned_unchanged() -> None:
    assert to_ns(1_234) == 1_234
    assert to_ns(np.int64(-5), end=True) == -5


def test_to_ns_naive_string_is_read_in_tz() -> None:
    assert to_ns("2021-06-01 09:30") == ns("2021-06-01T09:30Z")
    assert to_ns("2021-06-01 09:30", tz="America/New_York") == ns("2021-06-01T13:30Z")


def test_to_ns_aware_string_ignores_tz() -> None:
    assert to_ns("2021-06-01T09:30+02:00", tz="America/New_York") == ns("2021-06-01T07:30Z")


def test_to_ns_date_only_end_is_last_nanosecond_of_day() -> None:
    assert to_ns("2010-12-31") == ns("2010-12-31T00:00Z")
    assert to_ns("2010-12-31", end=True) == ns("2011-01-01T00:00Z") - 1
    assert to_ns(date(2010, 12, 31), end=True) == ns("2011-01-01T00:00Z") - 1


def test_to_ns_instant_with_end_is_unchanged() -> None:
    assert to_ns("2010-12-31 10:00", end=True) == ns("2010-12-31T10:00Z")


def test_to_ns_end_of_dst_day_spans_23_hours_in_new_york() -> None:
    start = to_ns("2021-03-14", tz="America/New_York")
    stop = to_ns("2021-03-14", tz="America/New_York", end=True)
    assert stop - start + 1 == 23 * 3600 * NS


def test_to_ns_partial_dates_cover_month_and_year() -> None:
    assert to_ns("2010-02", end=True) == ns("2010-03-01T00:00Z") - 1
    assert to_ns("2010", end=True) == ns("2011-01-01T00:00Z") - 1
    assert to_ns("20100215") == ns("2010-02-15T00:00Z")


def test_to_ns_datetime_naive_and_aware() -> None:
    assert to_ns(datetime(2020, 1, 1, 12), tz="Europe/Berlin") == ns("2020-01-01T11:00Z")
    aware = datetime(2020, 1, 1, 12, tzinfo=timezone(timedelta(hours=-5)))
    assert to_ns(aware, tz="Europe/Berlin") == ns("2020-01-01T17:00Z")
    assert to_ns(datetime(2020, 1, 1, tzinfo=UTC)) == ns("2020-01-01T00:00Z")


def test_to_ns_pandas_and_numpy_values() -> None:
    assert to_ns(pd.Timestamp("2020-01-01 00:00:00.000000001", tz="UTC")) == ns("2020-01-01") + 1
    assert to_ns(np.datetime64("2020-01-01T00:00:00", "ns")) == ns("2020-01-01")
    assert to_ns(np.datetime64("2020-01-01", "D"), end=True) == ns("2020-01-02") - 1


@pytest.mark.parametrize("bad", ["", "yesterday-ish", "2021-13-45", "2010-02-30", True])
def test_to_ns_unreadable_value_raises_invalid_argument(bad: object) -> None:
    with pytest.raises(InvalidArgumentError):
        to_ns(bad)  # type: ignore[arg-type]


def test_to_ns_nonexistent_local_time_raises_with_hint() -> None:
    with pytest.raises(InvalidArgumentError, match="offset"):
        to_ns("2021-03-28 02:30", tz="Europe/Berlin")


def test_to_ns_unknown_tz_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="time zone"):
        to_ns("2021-01-01", tz="Mars/Olympus")


def test_resolve_range_none_is_unbounded_and_end_inclusive() -> None:
    assert resolve_range(None, None) == (INT64_MIN, INT64_MAX)
    lo, hi = resolve_range("2010-01-01", "2010-01-01")
    assert hi - lo + 1 == 86_400 * NS


def test_resolve_range_start_after_end_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="empty"):
        resolve_range("2011-01-01", "2010-01-01")
