"""The Parquet catalog: exact round trips, write modes, atomicity, listing, SQL."""

from __future__ import annotations

import itertools
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neural_trader.config import Settings
from neural_trader.core.data import BarSpec
from neural_trader.core.errors import (
    CatalogError,
    InvalidArgumentError,
    UnknownSymbolError,
)
from neural_trader.data.catalog import Catalog, decode_symbol, encode_symbol
from neural_trader.data.catalog import fileio as fileio_mod
from neural_trader.data.catalog.lock import SeriesLock
from neural_trader.data.catalog.paths import lock_file

MIN = 60_000_000_000
DAY = 86_400_000_000_000
T0 = 1_262_304_000_000_000_000  # 2010-01-01T00:00Z


def bars(start: int, n: int, *, step: int = MIN, seed: int = 0, extra: tuple[str, ...] = ()):
    rng = np.random.default_rng(seed)
    close = 100 + np.cumsum(rng.normal(0, 0.1, n))
    out = {
        "ts_event": start + np.arange(n, dtype=np.int64) * step,
        "open": close + rng.normal(0, 0.01, n),
        "high": close + 1,
        "low": close - 1,
        "close": close,
        "volume": rng.integers(0, 1000, n).astype(np.float64),
    }
    for name in extra:
        out[name] = rng.normal(0, 1, n)
    return pd.DataFrame(out)


def assert_bit_identical(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert isinstance(got.index, pd.RangeIndex)
    assert len(got) == len(want)
    for c in want.columns:
        g, w = got[c].to_numpy(), want[c].to_numpy()
        assert g.dtype == w.dtype, c
        assert np.array_equal(g.view(np.int64), w.view(np.int64)), c


def data_files(root: Path, symbol: str, spec: str) -> list[str]:
    d = root / "bars" / encode_symbol(symbol) / spec
    return sorted(p.name for p in d.iterdir())


@pytest.fixture
def cat(tmp_path: Path) -> Catalog:
    return Catalog(tmp_path / "catalog")


# ---------------------------------------------------------------- round trips


def test_read_bars_round_trip_is_bit_identical_with_nan_and_negative_zero(cat: Catalog) -> None:
    df = bars(T0, 500, extra=("adj_close", "open_interest"))
    df.loc[3, "adj_close"] = np.nan
    df.loc[4, "open_interest"] = -0.0
    df.loc[5, "volume"] = np.inf
    cat.write_bars("AAPL", "1m", df)
    got = cat.read_bars("AAPL", "1m")
    assert_bit_identical(got, df)
    assert all(dtype in (np.int64, np.float64) for dtype in got.dtypes)


finite_or_not = st.floats(allow_nan=True, allow_infinity=True, width=64)


@st.composite
def frames(draw: st.DrawFn, max_rows: int = 40) -> pd.DataFrame:
    n = draw(st.integers(1, max_rows))
    steps = draw(st.lists(st.integers(1, 5 * MIN), min_size=n, max_size=n))
    ts = T0 + np.cumsum(np.array(steps, dtype=np.int64))
    extra = draw(st.sets(st.sampled_from(["adj_close", "open_interest"])))
    cols = {"ts_event": ts}
    for c in ["open", "high", "low", "close", "volume", *sorted(extra)]:
        cols[c] = np.array(draw(st.lists(finite_or_not, min_size=n, max_size=n)))
    order = ["ts_event", "open", "high", "low", "close", "volume"]
    order += [c for c in ("adj_close", "open_interest") if c in extra]
    return pd.DataFrame(cols)[order]


@settings(max_examples=40, deadline=None)
@given(df=frames(), cuts=st.lists(st.integers(0, 40), max_size=4))
def test_write_bars_chunked_appends_read_back_same_as_one_write(
    df: pd.DataFrame, cuts: list[int]
) -> None:
    bounds = sorted({0, len(df), *(c for c in cuts if c < len(df))})
    with tempfile.TemporaryDirectory() as d:
        one, many = Catalog(Path(d) / "one"), Catalog(Path(d) / "many")
        one.write_bars("X", "1m", df)
        for a, b in itertools.pairwise(bounds):
            many.write_bars("X", "1m", df.iloc[a:b])
        assert_bit_identical(many.read_bars("X", "1m"), df)
        assert_bit_identical(one.read_bars("X", "1m"), df)
        assert many.entry("X", "1m").rows == len(df)


@settings(max_examples=40, deadline=None)
@given(
    base=st.lists(st.integers(0, 60), min_size=1, max_size=30, unique=True),
    upd=st.lists(st.integers(0, 60), min_size=1, max_size=30, unique=True),
    split=st.integers(0, 60),
)
def test_write_bars_upsert_matches_pandas_reference(
    base: list[int], upd: list[int], split: int
) -> None:
    old = bars(T0, 61, seed=1).iloc[sorted(base)].reset_index(drop=True)
    new = bars(T0, 61, seed=2).iloc[sorted(upd)].reset_index(drop=True)
    expected = (
        pd.concat([old, new])
        .drop_duplicates("ts_event", keep="last")
        .sort_values("ts_event")
        .reset_index(drop=True)
    )
    with tempfile.TemporaryDirectory() as d:
        cat = Catalog(d)
        # two files, so the upsert may touch one, both, or the gap between them
        first, second = old[old.ts_event < T0 + split * MIN], old[old.ts_event >= T0 + split * MIN]
        for part in (first, second):
            if len(part):
                cat.write_bars("X", "1m", part)
        result = cat.write_bars("X", "1m", new, mode="upsert")
        assert_bit_identical(cat.read_bars("X", "1m"), expected)
        assert result.rows_total == len(expected)
        assert (result.start_ns, result.end_ns) == (
            expected.ts_event.iloc[0],
            expected.ts_event.iloc[-1],
        )


# ---------------------------------------------------------------- write modes


def test_write_bars_append_after_adds_file_without_rewriting(cat: Catalog) -> None:
    cat.write_bars("AAPL", "1m", bars(T0, 100))
    first = cat.root / "bars" / "AAPL" / "1m" / f"{T0}_{T0 + 99 * MIN}.parquet"
    before = first.stat()
    result = cat.write_bars("AAPL", "1m", bars(T0 + 100 * MIN, 50, seed=3))
    after = first.stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)
    assert len(data_files(cat.root, "AAPL", "1m")) == 2
    assert (result.rows_written, result.rows_total) == (50, 150)
    assert result.end_ns == T0 + 149 * MIN


def test_write_bars_append_overlap_raises_and_writes_nothing(cat: Catalog) -> None:
    cat.write_bars("AAPL", "1m", bars(T0, 100))
    files = data_files(cat.root, "AAPL", "1m")
    with pytest.raises(CatalogError, match=r"10 of 20 rows .* already stored") as info:
        cat.write_bars("AAPL", "1m", bars(T0 + 90 * MIN, 20))
    assert "upsert" in str(info.value)
    assert data_files(cat.root, "AAPL", "1m") == files
    assert_bit_identical(cat.read_bars("AAPL", "1m"), bars(T0, 100))


def test_write_bars_append_filling_gaps_merges_rows(cat: Catalog) -> None:
    full = bars(T0, 100)
    even, odd = full.iloc[::2], full.iloc[1::2]
    cat.write_bars("AAPL", "1m", even)
    cat.write_bars("AAPL", "1m", odd)
    assert_bit_identical(cat.read_bars("AAPL", "1m"), full)
    assert len(data_files(cat.root, "AAPL", "1m")) == 1


def test_write_bars_overwrite_replaces_series_and_columns(cat: Catalog) -> None:
    cat.write_bars("AAPL", "1d", bars(T0, 30, step=DAY))
    new = bars(T0 + 100 * DAY, 5, step=DAY, extra=("adj_close",))
    result = cat.write_bars("AAPL", "1d", new, mode="overwrite")
    assert_bit_identical(cat.read_bars("AAPL", "1d"), new)
    assert result.rows_total == 5
    assert cat.entry("AAPL", "1d").columns[-1] == "adj_close"


def test_write_bars_column_mismatch_explains_difference(cat: Catalog) -> None:
    cat.write_bars("AAPL", "1d", bars(T0, 3, step=DAY, extra=("adj_close",)))
    with pytest.raises(CatalogError, match="lacks adj_close"):
        cat.write_bars("AAPL", "1d", bars(T0 + 10 * DAY, 3, step=DAY))
    with pytest.raises(CatalogError, match="adds open_interest"):
        cat.write_bars(
            "AAPL", "1d", bars(T0 + 10 * DAY, 3, step=DAY, extra=("adj_close", "open_interest"))
        )


@pytest.mark.parametrize("order", [[0, 2, 1], [0, 1, 1]])
def test_write_bars_unsorted_or_duplicate_ts_refused(cat: Catalog, order: list[int]) -> None:
    df = bars(T0, 3).iloc[order].reset_index(drop=True)
    with pytest.raises(CatalogError, match="strictly increasing"):
        cat.write_bars("AAPL", "1m", df)
    assert cat.symbols() == []


def test_write_bars_empty_frame_or_bad_mode_refused(cat: Catalog) -> None:
    with pytest.raises(InvalidArgumentError, match="no rows"):
        cat.write_bars("AAPL", "1m", bars(T0, 0))
    with pytest.raises(InvalidArgumentError, match="write mode"):
        cat.write_bars("AAPL", "1m", bars(T0, 3), mode="merge")  # type: ignore[arg-type]


# ---------------------------------------------------------------- atomicity


def _failing_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    real = fileio_mod.pq.write_table

    def write_then_fail(table, where, **kwargs):  # type: ignore[no-untyped-def]
        real(table.slice(0, max(1, len(table) // 2)), where, **kwargs)  # half a file on disk
        raise OSError("disk full (injected)")

    monkeypatch.setattr(fileio_mod.pq, "write_table", write_then_fail)


@pytest.mark.parametrize(("mode", "offset"), [("append", 100), ("upsert", 50), ("overwrite", 0)])
def test_write_bars_failure_midway_leaves_catalog_as_before(
    cat: Catalog, monkeypatch: pytest.MonkeyPatch, mode: str, offset: int
) -> None:
    cat.write_bars("AAPL", "1m", bars(T0, 100))
    files = data_files(cat.root, "AAPL", "1m")
    _failing_writer(monkeypatch)
    with pytest.raises(OSError, match="injected"):
        cat.write_bars("AAPL", "1m", bars(T0 + offset * MIN, 100, seed=9), mode=mode)  # type: ignore[arg-type]
    monkeypatch.undo()
    assert data_files(cat.root, "AAPL", "1m") == files
    assert_bit_identical(cat.read_bars("AAPL", "1m"), bars(T0, 100))


def test_write_bars_crash_after_commit_point_is_rolled_forward(
    cat: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    cat.write_bars("AAPL", "1m", bars(T0, 100))
    update = bars(T0 + 50 * MIN, 100, seed=4)
    real_unlink = Path.unlink

    def crash_on_data_file(self: Path, missing_ok: bool = False) -> None:
        if self.suffix == ".parquet" and not self.name.startswith("."):
            raise OSError("power cut (injected)")
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", crash_on_data_file)
    with pytest.raises(OSError, match="power cut"):
        cat.write_bars("AAPL", "1m", update, mode="upsert")
    monkeypatch.undo()
    expected = pd.concat([bars(T0, 100).iloc[:50], update], ignore_index=True)
    assert_bit_identical(Catalog(cat.root).read_bars("AAPL", "1m"), expected)
    assert data_files(cat.root, "AAPL", "1m") == [f"{T0}_{T0 + 149 * MIN}.parquet"]


def test_write_bars_waits_for_lock_then_times_out(cat: Catalog) -> None:
    cat.write_bars("AAPL", "1m", bars(T0, 10))
    impatient = Catalog(cat.root, lock_timeout=0.05)
    path = lock_file(cat.root, "AAPL", BarSpec.parse("1m"))
    with SeriesLock(path, exclusive=True, timeout=1), pytest.raises(CatalogError, match="locked"):
        impatient.write_bars("AAPL", "1m", bars(T0 + 10 * MIN, 10))
    impatient.write_bars("AAPL", "1m", bars(T0 + 10 * MIN, 10))
    assert impatient.entry("AAPL", "1m").rows == 20


# ---------------------------------------------------------------- reading


def test_read_bars_bounds_are_inclusive_and_date_end_covers_day(cat: Catalog) -> None:
    df = bars(T0, 3 * 1440)  # 2010-01-01 .. 2010-01-03, 1-minute bars
    cat.write_bars("AAPL", "1m", df)
    got = cat.read_bars("AAPL", "1m", start=T0 + 10 * MIN, end=T0 + 20 * MIN)
    assert got.ts_event.tolist() == list(range(T0 + 10 * MIN, T0 + 21 * MIN, MIN))
    day2 = cat.read_bars("AAPL", "1m", start="2010-01-02", end="2010-01-02")
    assert len(day2) == 1440
    assert day2.ts_event.iloc[-1] == T0 + DAY + 1439 * MIN
    assert len(cat.read_bars("AAPL", "1m", start="2011-01-01")) == 0


def test_read_bars_range_spanning_files_and_row_groups(cat: Catalog) -> None:
    df = bars(T0, 200_000)
    cat.write_bars("AAPL", "1m", df.iloc[:120_000])
    cat.write_bars("AAPL", "1m", df.iloc[120_000:])
    lo, hi = 70_000, 150_001
    got = cat.read_bars("AAPL", "1m", start=int(df.ts_event[lo]), end=int(df.ts_event[hi]))
    assert_bit_identical(got, df.iloc[lo : hi + 1].reset_index(drop=True))


def test_read_bars_columns_subset_keeps_ts_first(cat: Catalog) -> None:
    cat.write_bars("AAPL", "1m", bars(T0, 10))
    got = cat.read_bars("AAPL", "1m", columns=["close", "volume"])
    assert list(got.columns) == ["ts_event", "close", "volume"]
    with pytest.raises(CatalogError, match="no column 'adj_close'"):
        cat.read_bars("AAPL", "1m", columns=["adj_close"])


def test_read_bars_unknown_symbol_raises_with_suggestion(cat: Catalog) -> None:
    cat.write_bars("AAPL", "1m", bars(T0, 10))
    with pytest.raises(UnknownSymbolError, match="AAPL"):
        cat.read_bars("AAPLE", "1m")


def test_read_bars_missing_spec_lists_specs_held(cat: Catalog) -> None:
    cat.write_bars("AAPL", "1m", bars(T0, 10))
    cat.write_bars("AAPL", "1d", bars(T0, 10, step=DAY))
    with pytest.raises(CatalogError, match="no 5m bars; the catalog holds 1m, 1d"):
        cat.read_bars("AAPL", "5m")


def test_read_many_is_long_format_sorted_by_symbol_then_ts(cat: Catalog) -> None:
    cat.write_bars("MSFT", "1m", bars(T0, 5, seed=1))
    cat.write_bars("AAPL", "1m", bars(T0 + 2 * MIN, 5, seed=2, extra=("adj_close",)))
    got = cat.read_many(["MSFT", "AAPL", "MSFT"], "1m", end=T0 + 4 * MIN)
    assert list(got.columns) == ["symbol", *bars(T0, 1, extra=("adj_close",)).columns]
    assert got.symbol.tolist() == ["AAPL"] * 3 + ["MSFT"] * 5
    assert got[got.symbol == "MSFT"].adj_close.isna().all()
    msft = got[got.symbol == "MSFT"].drop(columns=["symbol", "adj_close"]).reset_index(drop=True)
    assert_bit_identical(msft, bars(T0, 5, seed=1))


def test_read_batch_matches_read_bars(cat: Catalog) -> None:
    df = bars(T0, 50, extra=("open_interest",))
    cat.write_bars("ES", "1m", df)
    batch = cat.read_batch("ES", "1m", start=T0 + 5 * MIN)
    assert len(batch) == 45
    assert np.array_equal(batch.close, df.close.to_numpy()[5:])
    assert np.array_equal(batch.extra["open_interest"], df.open_interest.to_numpy()[5:])


def test_iter_batches_streams_exact_chunks_across_files(cat: Catalog) -> None:
    df = bars(T0, 1000)
    for a in range(0, 1000, 300):
        cat.write_bars("ES", "1m", df.iloc[a : a + 300])
    chunks = list(cat.iter_batches("ES", "1m", start=T0 + 10 * MIN, chunk_rows=128))
    assert [len(c) for c in chunks] == [128] * 7 + [990 - 7 * 128]
    ts = np.concatenate([c.ts_event for c in chunks])
    assert np.array_equal(ts, df.ts_event.to_numpy()[10:])
    with pytest.raises(InvalidArgumentError):
        list(cat.iter_batches("ES", "1m", chunk_rows=0))


# ---------------------------------------------------------------- listing, symbols, SQL


@pytest.mark.parametrize("symbol", ["BTC/USDT", "RCI.B", "^GSPC", "ES=F", "..", "CON", "a b%"])
def test_write_bars_odd_symbols_stay_in_one_safe_folder(cat: Catalog, symbol: str) -> None:
    cat.write_bars(symbol, "1d", bars(T0, 3, step=DAY))
    folders = [p.name for p in (cat.root / "bars").iterdir()]
    assert len(folders) == 1
    assert all(ch.isalnum() or ch in "%._-" for ch in folders[0])
    assert not folders[0].startswith(".")
    assert cat.symbols() == [symbol]
    assert len(cat.read_bars(symbol, "1d")) == 3


@given(st.text(min_size=1, max_size=30).filter(lambda s: s == s.strip() and s.strip()))
def test_encode_symbol_round_trips_without_separators(symbol: str) -> None:
    enc = encode_symbol(symbol)
    assert decode_symbol(enc) == symbol
    assert "/" not in enc
    assert "\\" not in enc
    assert enc not in (".", "..")


def test_entries_describe_every_series_from_metadata(cat: Catalog) -> None:
    cat.write_bars("AAPL", "1m", bars(T0, 100))
    cat.write_bars("AAPL", "1m", bars(T0 + 100 * MIN, 20))
    cat.write_bars("BTC/USDT", "1d", bars(T0, 7, step=DAY, extra=("adj_close",)))
    entries = cat.entries()
    assert [(e.symbol, str(e.spec), e.rows, e.files) for e in entries] == [
        ("AAPL", "1m", 120, 2),
        ("BTC/USDT", "1d", 7, 1),
    ]
    aapl = entries[0]
    assert (aapl.start_ns, aapl.end_ns) == (T0, T0 + 119 * MIN)
    assert aapl.bytes > 0
    assert entries[1].to_dict()["columns"][-1] == "adj_close"
    assert entries[1].to_dict()["start"] == "2010-01-01T00:00:00+00:00"
    assert cat.specs("AAPL") == [BarSpec.parse("1m")]
    assert cat.has("AAPL", "1m")
    assert not cat.has("AAPL", "1d")
    assert not cat.has("ZZZ", "1m")


def test_delete_removes_series_and_reports_files(cat: Catalog) -> None:
    cat.write_bars("AAPL", "1m", bars(T0, 10))
    cat.write_bars("AAPL", "1m", bars(T0 + 10 * MIN, 10))
    cat.write_bars("AAPL", "1d", bars(T0, 10, step=DAY))
    assert cat.delete("AAPL", "1m") == 2
    assert cat.specs("AAPL") == [BarSpec.parse("1d")]
    assert cat.delete("AAPL") == 1
    assert cat.symbols() == []
    with pytest.raises(UnknownSymbolError):
        cat.delete("AAPL")


def test_query_sees_every_series_with_decoded_symbols(cat: Catalog) -> None:
    cat.write_bars("AAPL", "1m", bars(T0, 10))
    cat.write_bars("BTC/USDT", "1m", bars(T0, 4, extra=("adj_close",)))
    got = cat.query(
        "SELECT symbol, spec, count(*) AS n, sum(volume) AS v "
        "FROM bars GROUP BY ALL ORDER BY symbol"
    )
    assert got.symbol.tolist() == ["AAPL", "BTC/USDT"]
    assert got.n.tolist() == [10, 4]
    assert got.v.iloc[0] == bars(T0, 10).volume.sum()
    with pytest.raises(CatalogError, match="query failed"):
        cat.query("SELECT nope FROM bars")


def test_query_on_empty_catalog_returns_no_rows(cat: Catalog) -> None:
    assert len(cat.query("SELECT * FROM bars")) == 0


def test_from_settings_uses_catalog_path(nt_home: Path) -> None:
    cat = Catalog.from_settings(Settings())
    assert cat.root == nt_home / "catalog"
    assert Catalog.from_settings().root == nt_home / "catalog"
    assert os.fspath(cat.root).endswith("catalog")
