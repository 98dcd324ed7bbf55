"""The synthetic generator and provider: determinism, OHLC invariants and the statistics the
model promises (regime volatility and durations, jump rate, bar range).

Statistical checks are seeded, so they are deterministic; tolerances are several standard
errors wide so that a different (correct) seed would pass too.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neural_trader.core.data import BarSpec
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.data.providers import HistoricalProvider, get_provider
from neural_trader.data.providers.synthetic import (
    DEFAULT_REGIMES,
    Regime,
    SyntheticProvider,
    generate_bars,
)
from neural_trader.data.schema import BAR_COLUMNS, normalize_bar_frame

DAY_NS = 86_400 * 1_000_000_000
D1, W1, M1, M5 = (BarSpec.parse(s) for s in ("1d", "1w", "1m", "5m"))


def utc_ns(text: str) -> int:
    return int(pd.Timestamp(text, tz="UTC").value)


def assert_ohlc_consistent(frame: pd.DataFrame) -> None:
    o, h, lo, c, v = (frame[k].to_numpy() for k in ("open", "high", "low", "close", "volume"))
    assert np.all(np.isfinite(frame[["open", "high", "low", "close", "volume"]].to_numpy()))
    assert np.all(lo > 0)
    assert np.all(h >= np.maximum(o, c))
    assert np.all(lo <= np.minimum(o, c))
    assert np.all(v > 0)


# ------------------------------------------------------------------------------------------
# determinism


def test_generate_bars_same_seed_identical_frames() -> None:
    a = generate_bars(20_000, "1m", seed=11)
    b = generate_bars(20_000, "1m", seed=11)

    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_generate_bars_different_seed_different_paths() -> None:
    a = generate_bars(1_000, "1m", seed=11)
    b = generate_bars(1_000, "1m", seed=12)

    assert a["ts_event"].equals(b["ts_event"])
    assert not np.allclose(a["close"].to_numpy(), b["close"].to_numpy())


def test_generate_bars_prefix_of_longer_run_is_identical_across_blocks() -> None:
    long = generate_bars(40_000, "5m", seed=3)
    short = generate_bars(20_000, "5m", seed=3)  # ends inside the second block of 16,384

    pd.testing.assert_frame_equal(short, long.iloc[:20_000], check_exact=True)


def test_generate_bars_frame_is_canonical_and_on_the_grid() -> None:
    frame = generate_bars(500, "5m", seed=1, start="2024-03-01 09:00")

    assert frame.equals(normalize_bar_frame(frame))
    assert list(frame.columns) == list(BAR_COLUMNS)
    assert frame["ts_event"].iloc[0] == utc_ns("2024-03-01 09:00")
    assert np.all(np.diff(frame["ts_event"].to_numpy()) == M5.nanos)


def test_generate_bars_daily_uses_weekdays_at_midnight_utc() -> None:
    frame = generate_bars(30, "1d", seed=1, start="2024-01-06")  # a Saturday

    days = pd.to_datetime(frame["ts_event"].to_numpy())
    assert days[0] == pd.Timestamp("2024-01-08")  # the following Monday
    assert set(days.day_of_week) <= {0, 1, 2, 3, 4}
    assert np.all(frame["ts_event"].to_numpy() % DAY_NS == 0)


def test_stable_symbol_hash_same_bars_under_another_hash_seed() -> None:
    code = (
        "from neural_trader.data.providers.synthetic import SyntheticProvider\n"
        "from neural_trader.core.data import BarSpec\n"
        "f = SyntheticProvider(seed=5).fetch_bars('XYZ', BarSpec.parse('1d'), "
        "1704067200000000000, 1706659200000000000)\n"
        "print(repr(float(f['close'].sum())))\n"
    )
    here = SyntheticProvider(seed=5).fetch_bars("XYZ", D1, 1704067200000000000, 1706659200000000000)
    env = {**os.environ, "PYTHONHASHSEED": "12345"}

    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )

    assert float(out.stdout.strip()) == float(here["close"].sum())


# ------------------------------------------------------------------------------------------
# invariants


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    n=st.integers(min_value=1, max_value=3_000),
    spec=st.sampled_from(["1m", "15m", "1h", "1d", "1w"]),
    steps=st.integers(min_value=1, max_value=6),
    jump_std=st.floats(min_value=0.0, max_value=0.3),
)
def test_generate_bars_ohlc_invariants_hold_for_any_seed(
    seed: int, n: int, spec: str, steps: int, jump_std: float
) -> None:
    frame = generate_bars(
        n, spec, seed=seed, intrabar_steps=steps, jump_std=jump_std, jump_intensity=50.0
    )

    assert len(frame) == n
    assert_ohlc_consistent(frame)
    assert np.all(np.diff(frame["ts_event"].to_numpy()) > 0)


def test_generate_bars_one_million_is_fast_and_consistent() -> None:
    generate_bars(1_000, "1m")  # warm-up
    t0 = time.perf_counter()
    frame = generate_bars(1_000_000, "1m", seed=2)
    elapsed = time.perf_counter() - t0

    assert len(frame) == 1_000_000
    assert_ohlc_consistent(frame)
    assert elapsed < 2.0, f"1M bars took {elapsed:.2f}s"  # ~0.2 s here; generous for CI


# ------------------------------------------------------------------------------------------
# statistics


@pytest.fixture(scope="module")
def long_daily() -> tuple[pd.DataFrame, np.ndarray]:
    return generate_bars(250_000, "1d", seed=2024, return_regimes=True)


def test_generate_bars_realised_volatility_matches_each_regime(
    long_daily: tuple[pd.DataFrame, np.ndarray],
) -> None:
    frame, regimes = long_daily
    intrabar = np.log(frame["close"].to_numpy() / frame["open"].to_numpy())  # excludes jumps

    for k, regime in enumerate(DEFAULT_REGIMES):
        sample = intrabar[regimes == k]
        realised = sample.std() * math.sqrt(252)
        # std error of a sample std is sigma / sqrt(2n): < 0.5 % here; allow 3 %
        assert realised == pytest.approx(regime.volatility, rel=0.03), (k, len(sample))


def test_generate_bars_regime_durations_match_configured_means(
    long_daily: tuple[pd.DataFrame, np.ndarray],
) -> None:
    _, regimes = long_daily
    starts = np.concatenate([[0], np.flatnonzero(np.diff(regimes)) + 1])
    lengths = np.diff(np.concatenate([starts, [len(regimes)]]))[1:-1]  # drop censored runs
    which = regimes[starts][1:-1]

    for k, regime in enumerate(DEFAULT_REGIMES):
        runs = lengths[which == k]
        # geometric: std ~ mean, so the std error of the mean is mean / sqrt(runs)
        tolerance = 4 * regime.mean_duration_bars / math.sqrt(len(runs))
        assert abs(runs.mean() - regime.mean_duration_bars) < tolerance, (k, runs.mean())
    assert set(np.unique(regimes)) == {0, 1}


def test_generate_bars_volume_higher_in_volatile_regime(
    long_daily: tuple[pd.DataFrame, np.ndarray],
) -> None:
    frame, regimes = long_daily
    volume = frame["volume"].to_numpy()

    calm, volatile = volume[regimes == 0].mean(), volume[regimes == 1].mean()
    assert volatile > 2.0 * calm  # volatility ratio 0.45 / 0.15 = 3


def test_generate_bars_jump_count_and_size_match_intensity() -> None:
    n, intensity, mean, std = 252_000, 5.0, -0.03, 0.05  # 1,000 years of sessions
    frame = generate_bars(n, "1d", seed=9, jump_intensity=intensity, jump_mean=mean, jump_std=std)
    gaps = np.log(frame["open"].to_numpy()[1:] / frame["close"].to_numpy()[:-1])
    jumps = gaps[np.abs(gaps) > 1e-9]  # no jump: open equals the previous close (to rounding)

    expected = intensity * n / 252
    assert abs(len(jumps) - expected) < 4 * math.sqrt(expected)
    assert jumps.mean() == pytest.approx(mean, abs=4 * std / math.sqrt(expected))


def test_generate_bars_bar_range_matches_brownian_expectation() -> None:
    # E[ln(H/L)] of a Brownian path over one bar is 2 sqrt(2/pi) sigma sqrt(dt) (Feller); a
    # discretised intrabar path would fall visibly short of it
    sigma = 0.2
    frame = generate_bars(
        100_000,
        "1d",
        seed=5,
        regimes=(Regime(0.0, sigma, 1e9),),
        jump_intensity=0.0,
        intrabar_steps=1,
    )
    log_range = np.log(frame["high"].to_numpy() / frame["low"].to_numpy())

    expected = 2 * math.sqrt(2 / math.pi) * sigma / math.sqrt(252)
    assert log_range.mean() == pytest.approx(expected, rel=0.01)


def test_generate_bars_without_jumps_open_equals_previous_close() -> None:
    frame = generate_bars(5_000, "1h", seed=4, jump_intensity=0.0)

    np.testing.assert_allclose(
        frame["open"].to_numpy()[1:], frame["close"].to_numpy()[:-1], rtol=1e-12
    )


# ------------------------------------------------------------------------------------------
# provider


def test_synthetic_provider_subrange_equals_slice_of_longer_fetch() -> None:
    provider = SyntheticProvider(seed=8)
    long = provider.fetch_bars("ACME", M1, utc_ns("2024-01-01"), utc_ns("2024-02-15"))
    sub = provider.fetch_bars("ACME", M1, utc_ns("2024-01-11 07:03"), utc_ns("2024-01-30 17:59"))

    i = int(np.searchsorted(long["ts_event"].to_numpy(), sub["ts_event"].iloc[0]))
    assert len(sub) > 16_384  # spans more than one block
    pd.testing.assert_frame_equal(
        sub, long.iloc[i : i + len(sub)].reset_index(drop=True), check_exact=True
    )


def test_synthetic_provider_daily_range_is_inclusive_weekdays() -> None:
    provider = SyntheticProvider(seed=8)

    frame = provider.fetch_bars("ACME", D1, utc_ns("2024-01-05"), utc_ns("2024-01-15"))

    days = pd.to_datetime(frame["ts_event"].to_numpy())
    expected = ["2024-01-05", "2024-01-08", "2024-01-09", "2024-01-10", "2024-01-11"]
    expected += ["2024-01-12", "2024-01-15"]
    assert [d.strftime("%Y-%m-%d") for d in days] == expected
    assert_ohlc_consistent(frame)


def test_synthetic_provider_weekly_bars_start_on_mondays() -> None:
    frame = SyntheticProvider().fetch_bars("ACME", W1, utc_ns("2024-01-01"), utc_ns("2024-03-01"))

    days = pd.to_datetime(frame["ts_event"].to_numpy())
    assert len(days) == 9
    assert set(days.day_of_week) == {0}


def test_synthetic_provider_symbols_have_independent_paths() -> None:
    provider = SyntheticProvider(seed=1)
    a = provider.fetch_bars("AAA", D1, utc_ns("2020-01-01"), utc_ns("2020-12-31"))
    b = provider.fetch_bars("BBB", D1, utc_ns("2020-01-01"), utc_ns("2020-12-31"))
    a_lower = provider.fetch_bars("aaa", D1, utc_ns("2020-01-01"), utc_ns("2020-12-31"))

    assert not np.allclose(a["close"].to_numpy(), b["close"].to_numpy())
    pd.testing.assert_frame_equal(a, a_lower)  # symbols are case-insensitive


def test_synthetic_provider_range_before_origin_is_empty_and_reversed_refused() -> None:
    provider = SyntheticProvider()

    empty = provider.fetch_bars("ACME", D1, utc_ns("1960-01-01"), utc_ns("1969-12-31"))
    assert empty.empty
    assert list(empty.columns) == list(BAR_COLUMNS)
    with pytest.raises(InvalidArgumentError):
        provider.fetch_bars("ACME", D1, utc_ns("2024-02-01"), utc_ns("2024-01-01"))
    with pytest.raises(InvalidArgumentError):
        provider.fetch_bars("ACME", BarSpec.parse("2d"), utc_ns("2024-01-01"), utc_ns("2024-02-01"))


def test_synthetic_provider_satisfies_protocol_via_registry() -> None:
    provider = get_provider("synthetic", seed=3, jump_intensity=0.0)

    assert isinstance(provider, HistoricalProvider)
    assert isinstance(provider, SyntheticProvider)
    assert provider.name == "synthetic"
    assert D1 in provider.supported_specs()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"drift": 0.0, "volatility": 0.0, "mean_duration_bars": 10.0},
        {"drift": 0.0, "volatility": 0.2, "mean_duration_bars": 0.5},
        {"drift": math.nan, "volatility": 0.2, "mean_duration_bars": 10.0},
    ],
)
def test_regime_invalid_values_raise_invalid_argument(kwargs: dict[str, float]) -> None:
    with pytest.raises(InvalidArgumentError):
        Regime(**kwargs)


def test_synthetic_provider_bad_options_raise_invalid_argument() -> None:
    with pytest.raises(InvalidArgumentError):
        SyntheticProvider(start_price=-1.0)
    with pytest.raises(InvalidArgumentError):
        SyntheticProvider(seed=-3)
    with pytest.raises(InvalidArgumentError):
        SyntheticProvider(intrabar_steps=0)
