"""The embedded offline samples (S&P 500, NASDAQ Composite from the arch 8.0.0 wheel) and the
provider registry.

The loader is checked against the files read independently (``gzip`` + ``csv``, no pandas),
so a parsing slip (date format, column order, dtype) would show as a mismatch.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from datetime import UTC, datetime
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from neural_trader.core.data import BarSpec
from neural_trader.core.errors import InvalidArgumentError, UnknownSymbolError
from neural_trader.data.providers import (
    HistoricalProvider,
    SampleProvider,
    get_provider,
    load_sample,
    provider_names,
    sample_info,
    sample_names,
)
from neural_trader.data.schema import BAR_COLUMNS, normalize_bar_frame

SAMPLES = resources.files("neural_trader.data").joinpath("samples")
FILES = {"SPX": "sp500.csv.gz", "IXIC": "nasdaq.csv.gz"}
DAY_NS = 86_400 * 1_000_000_000


def read_independently(name: str) -> list[dict[str, str]]:
    raw = SAMPLES.joinpath(FILES[name]).read_bytes()
    with gzip.open(io.BytesIO(raw), "rt", newline="") as fh:
        return list(csv.DictReader(fh))


def label_ns(us_date: str) -> int:
    """``M/D/YYYY`` session date as midnight UTC in ns."""
    when = datetime.strptime(us_date, "%m/%d/%Y").replace(tzinfo=UTC)
    return int(when.timestamp()) * 1_000_000_000


def utc_ns(text: str) -> int:
    return int(pd.Timestamp(text, tz="UTC").value)


def test_sample_names_are_spx_and_ixic() -> None:
    assert sample_names() == ["IXIC", "SPX"]


@pytest.mark.parametrize("name", ["SPX", "IXIC"])
def test_load_sample_matches_source_file_read_independently(name: str) -> None:
    rows = read_independently(name)

    frame = load_sample(name)

    assert len(frame) == len(rows) == 5031
    assert list(frame.columns) == [*BAR_COLUMNS, "adj_close"]
    assert frame["ts_event"].tolist() == [label_ns(r["Date"]) for r in rows]
    for ours, theirs in (
        ("open", "Open"),
        ("high", "High"),
        ("low", "Low"),
        ("close", "Close"),
        ("adj_close", "Adj Close"),
        ("volume", "Volume"),
    ):
        expected = np.array([float(r[theirs]) for r in rows])
        np.testing.assert_array_equal(frame[ours].to_numpy(), expected, err_msg=ours)


def test_load_sample_first_and_last_sessions_are_known_values() -> None:
    spx = load_sample("spx")  # names are case-insensitive

    first, last = spx.iloc[0], spx.iloc[-1]
    assert first["ts_event"] == utc_ns("1999-01-04")
    assert (first["open"], first["close"]) == (1229.22998, 1228.099976)
    assert first["volume"] == 877_000_000.0
    assert last["ts_event"] == utc_ns("2018-12-31")
    assert last["close"] == 2506.850098


@pytest.mark.parametrize("name", ["SPX", "IXIC"])
def test_load_sample_passes_bar_invariants(name: str) -> None:
    frame = load_sample(name)
    o, h, lo, c, v = (frame[k].to_numpy() for k in ("open", "high", "low", "close", "volume"))
    ts = frame["ts_event"].to_numpy()

    assert frame.equals(normalize_bar_frame(frame))
    assert np.all(np.concatenate([o, h, lo, c]) > 0)
    assert np.all(h >= lo)
    assert np.all(h >= np.maximum(o, c))
    assert np.all(lo <= np.minimum(o, c))
    assert np.all(v >= 0)
    assert np.all(np.diff(ts) > 0)
    assert np.all(ts % DAY_NS == 0)  # daily labels: midnight UTC
    assert set(pd.to_datetime(ts).day_of_week) <= {0, 1, 2, 3, 4}


def test_load_sample_returns_a_copy_callers_may_mutate() -> None:
    first = load_sample("SPX")
    first.loc[0, "close"] = -1.0

    assert load_sample("SPX").loc[0, "close"] == 1228.099976


def test_load_sample_unknown_name_raises_unknown_symbol_listing_known() -> None:
    with pytest.raises(UnknownSymbolError) as info:
        load_sample("FTSE")

    assert info.value.symbol == "FTSE"
    assert "SPX" in str(info.value)
    assert "IXIC" in str(info.value)


def test_sample_info_describes_source_licence_and_extent() -> None:
    info = sample_info("IXIC")

    assert "NASDAQ Composite" in info["description"]
    assert "arch 8.0.0" in info["source"]
    assert "NCSA" in info["licence"]
    assert info["rows"] == 5031
    assert (info["first_date"], info["last_date"]) == ("1999-01-04", "2018-12-31")


def test_samples_readme_keeps_licence_and_matching_digests() -> None:
    readme = SAMPLES.joinpath("README.md").read_text()

    assert "Copyright (c) 2017 Kevin Sheppard" in readme
    assert "Redistributions of source code must retain the above copyright notice" in readme
    for file in FILES.values():
        digest = hashlib.sha256(SAMPLES.joinpath(file).read_bytes()).hexdigest()
        assert f"{digest}  {file}" in readme


# ------------------------------------------------------------------------------------------
# provider and registry


def test_sample_provider_fetch_bars_range_is_inclusive() -> None:
    provider = SampleProvider()

    frame = provider.fetch_bars(
        "SPX", BarSpec.parse("1d"), utc_ns("2008-10-06"), utc_ns("2008-10-10")
    )

    assert len(frame) == 5
    assert frame["ts_event"].iloc[0] == utc_ns("2008-10-06")
    assert frame["ts_event"].iloc[-1] == utc_ns("2008-10-10")
    assert frame.index.equals(pd.RangeIndex(5))
    assert "adj_close" in frame.columns


def test_sample_provider_intraday_spec_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="1d"):
        SampleProvider().fetch_bars("SPX", BarSpec.parse("1h"), 0, utc_ns("2010-01-01"))


def test_provider_names_lists_all_three() -> None:
    assert provider_names() == ["sample", "synthetic", "yahoo"]


def test_get_provider_sample_satisfies_protocol() -> None:
    provider = get_provider("Sample")

    assert isinstance(provider, HistoricalProvider)
    assert provider.name == "sample"
    assert provider.supported_specs() == (BarSpec.parse("1d"),)


def test_get_provider_unknown_name_raises_invalid_argument_listing_names() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        get_provider("bloomberg")

    for name in ("sample", "synthetic", "yahoo"):
        assert name in str(info.value)


def test_get_provider_unknown_option_raises_invalid_argument() -> None:
    with pytest.raises(InvalidArgumentError, match="synthetic"):
        get_provider("synthetic", sede=4)
