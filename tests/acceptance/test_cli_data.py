"""The data commands as a user runs them: real files in, catalog round trips, clear refusals."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from neural_trader.core.data import BarSpec
from neural_trader.data.catalog import Catalog
from neural_trader.data.providers import get_provider
from neural_trader.data.timebounds import to_ns
from neural_trader.fronts.cli.app import app

runner = CliRunner()


def nt(*args: str) -> Any:
    """Run a command with --json; return (exit code, parsed stdout)."""
    result = runner.invoke(app, [*args, "--json"])
    try:
        payload = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"not one JSON document: {result.stdout!r} {result.stderr!r}")
    return result.exit_code, payload


def _ns(date: str, time: str = "00:00:00") -> int:
    dt = datetime.strptime(f"{date} {time}", "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    return int(dt.timestamp()) * 1_000_000_000


def _read_plain(path: Path, with_time: bool) -> dict[str, np.ndarray]:
    """An independent reading of the file with the csv module."""
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    body = [r for r in rows[1:] if r]
    if with_time:
        ts = [_ns(r[0], r[1]) for r in body]
        o, h, lo, c, v = ([float(r[i]) for r in body] for i in range(2, 7))
        return {
            "ts_event": np.array(ts),
            "open": np.array(o),
            "high": np.array(h),
            "low": np.array(lo),
            "close": np.array(c),
            "volume": np.array(v),
        }
    ts = [_ns(r[0]) for r in body]
    o, h, lo, c, adj, v = ([float(r[i]) for r in body] for i in range(1, 7))
    return {
        "ts_event": np.array(ts),
        "open": np.array(o),
        "high": np.array(h),
        "low": np.array(lo),
        "close": np.array(c),
        "adj_close": np.array(adj),
        "volume": np.array(v),
    }


ROUND_TRIPS = [
    # file, symbol, rows, spec, first, last, has a Time column
    ("orcl-1995-2014.txt", "ORCL", 5036, "1d", "1995-01-03", "2014-12-31", False),
    ("2006-min-005.txt", "EUIDX", 2142, "5m", "2006-01-02T09:05:00Z", "2006-01-30T17:30:00Z", True),
]


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "symbol", "rows", "spec", "first", "last", "with_time"),
    ROUND_TRIPS,
    ids=["orcl-daily", "index-5m"],
)
def test_import_real_file_round_trips_through_catalog_unchanged(
    nt_home: Path,
    shared_data: Path,
    tmp_path: Path,
    name: str,
    symbol: str,
    rows: int,
    spec: str,
    first: str,
    last: str,
    with_time: bool,
) -> None:
    src = shared_data / name
    code, out = nt("data", "import", str(src), "--symbol", symbol)
    assert code == 0, out
    assert (out["rows_written"], out["spec"], out["first"], out["last"]) == (
        rows,
        spec,
        first,
        last,
    )
    expected = _read_plain(src, with_time=with_time)
    stored = Catalog(nt_home / "catalog").read_bars(symbol, spec)
    for col, values in expected.items():
        np.testing.assert_array_equal(stored[col].to_numpy(), values, err_msg=col)

    exported = tmp_path / "exported.csv"
    code, out = nt("data", "export", symbol, "--out", str(exported))
    assert code == 0, out
    again = _read_plain(exported, with_time=with_time)
    for col, values in expected.items():
        np.testing.assert_array_equal(again[col], values, err_msg=col)


@pytest.mark.shared_data
def test_malformed_minute_file_is_recognised_and_resamples_exactly(
    nt_home: Path, shared_data: Path
) -> None:
    src = shared_data / "2006-01-02-volume-min-001.txt"
    code, out = nt("data", "import", str(src), "--symbol", "EUFUT", "--tz", "Europe/Berlin")
    assert code == 0, out
    assert out["rows_written"] == 30889
    assert out["spec"] == "1m"
    assert any("7" in n and "8" in n for n in out["notes"]), out["notes"]

    cat = Catalog(nt_home / "catalog")
    minute = cat.read_bars("EUFUT", "1m")
    assert minute["open"].iloc[0] == 3602.0
    assert minute["volume"].iloc[0] == 5699.0

    for target in ("5m", "1d"):
        code, out = nt(
            "data", "resample", "EUFUT", "--from", "1m", "--to", target, "--tz", "Europe/Berlin"
        )
        assert code == 0, out
        agg = cat.read_bars("EUFUT", target)
        assert out["rows_out"] == len(agg)
        assert agg["volume"].sum() == minute["volume"].sum()
        # Each aggregate against the minute bars inside its bucket.
        edges = np.append(agg["ts_event"].to_numpy(), np.iinfo(np.int64).max)
        ts = minute["ts_event"].to_numpy()
        if target == "1d":  # daily buckets are Berlin session dates labelled midnight UTC
            local = (ts + _berlin_offset_ns(ts)) // 86_400_000_000_000 * 86_400_000_000_000
            idx = np.searchsorted(agg["ts_event"].to_numpy(), local)
        else:
            idx = np.searchsorted(edges, ts, side="right") - 1
        for k in range(len(agg)):
            members = minute[idx == k]
            assert len(members) > 0
            assert agg["open"].iloc[k] == members["open"].iloc[0]
            assert agg["high"].iloc[k] == members["high"].max()
            assert agg["low"].iloc[k] == members["low"].min()
            assert agg["close"].iloc[k] == members["close"].iloc[-1]
            assert agg["volume"].iloc[k] == members["volume"].sum()


def _berlin_offset_ns(ts: np.ndarray) -> np.ndarray:
    import pandas as pd

    local = pd.DatetimeIndex(ts.astype("datetime64[ns]"), tz="UTC").tz_convert("Europe/Berlin")
    offsets = np.array([t.utcoffset().total_seconds() for t in local], dtype=np.int64)
    return offsets * 1_000_000_000


def test_unexplained_header_row_mismatch_is_refused_with_exact_message(
    nt_home: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "shifted.csv"
    bad.write_text("Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1.5,100,7\n")
    code, out = nt("data", "import", str(bad), "--symbol", "X")
    assert code != 0
    assert "header names 6 columns, rows have 7" in out["message"], out
    assert Catalog(nt_home / "catalog").entries() == []


BAD_FILES: dict[str, tuple[bytes, str]] = {
    "nan": (
        b"Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1.5,100\n2020-01-03,1,,0.5,1.5,100\n",
        "line 3",
    ),
    "negative": (
        b"Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1.5,100\n"
        b"2020-01-03,-1,2,0.5,1.5,100\n",
        "line 3",
    ),
    "duplicate": (
        b"Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1.5,100\n"
        b"2020-01-02,1,2,0.5,1.5,100\n",
        "line 3",
    ),
    "wrong_columns": (b"When,Price,Size\n2020-01-02,1,100\n", "Open"),
    "empty": (b"", "empty"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_input_gives_clear_message_and_leaves_catalog_unchanged(
    nt_home: Path, tmp_path: Path, case: str
) -> None:
    good = tmp_path / "good.csv"
    good.write_text(
        "Date,Open,High,Low,Close,Volume\n2019-12-30,1,2,0.5,1.5,100\n2019-12-31,1,2,0.5,1.5,100\n"
    )
    code, _ = nt("data", "import", str(good), "--symbol", "X")
    assert code == 0
    cat = Catalog(nt_home / "catalog")
    before = cat.read_bars("X", "1d")

    content, expected_words = BAD_FILES[case]
    bad = tmp_path / f"{case}.csv"
    bad.write_bytes(content)
    code, out = nt("data", "import", str(bad), "--symbol", "X", "--mode", "upsert")
    assert code != 0
    text = json.dumps(out).lower()
    assert expected_words.lower() in text, out
    after = cat.read_bars("X", "1d")
    assert after.equals(before)


def test_show_unknown_symbol_suggests_close_match(nt_home: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("Date,Open,High,Low,Close,Volume\n2019-12-30,1,2,0.5,1.5,100\n")
    assert nt("data", "import", str(good), "--symbol", "ORCL")[0] == 0
    code, out = nt("data", "show", "ORCI")
    assert code != 0
    assert out["error"] == "UnknownSymbolError"
    assert "ORCL" in out["hint"]


def test_repair_mode_imports_and_reports_each_row(nt_home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1.5,100\n"
        "2020-01-03,-1,2,0.5,1.5,100\n2020-01-06,1,2,0.5,1.6,100\n"
    )
    code, out = nt("data", "import", str(bad), "--symbol", "R", "--repair")
    assert code == 0, out
    assert out["rows_written"] == 2
    assert any(r.get("row") == 3 for r in out["validation"]["repairs"]), out["validation"]


def test_list_and_show_report_stored_series(nt_home: Path, tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_text(
        "Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1.5,100\n"
        "2020-01-03,1.5,2.5,1.0,2.0,200\n"
    )
    assert nt("data", "import", str(f), "--symbol", "AAA")[0] == 0
    code, entries = nt("data", "list")
    assert code == 0
    assert [(e["symbol"], e["spec"], e["rows"]) for e in entries] == [("AAA", "1d", 2)]
    code, view = nt("data", "show", "AAA", "--start", "2020-01-03", "--end", "2020-01-03")
    assert code == 0
    assert view["rows_in_range"] == 1
    assert view["bars"][0]["close"] == 2.0
    assert view["bars"][0]["time"] == "2020-01-03"


def test_query_runs_sql_over_the_whole_catalog(nt_home: Path, tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_text(
        "Date,Open,High,Low,Close,Volume\n2020-01-02,1,2,0.5,1.5,100\n"
        "2020-01-03,1.5,2.5,1.0,2.0,200\n"
    )
    assert nt("data", "import", str(f), "--symbol", "AAA")[0] == 0
    code, out = nt(
        "data",
        "query",
        "SELECT symbol, sum(volume) AS v, max(close) AS c FROM bars GROUP BY symbol",
    )
    assert code == 0, out
    assert out["rows"] == [{"symbol": "AAA", "v": 300.0, "c": 2.0}]
    code, out = nt("data", "query", "SELECT * FROM no_such_table")
    assert code == 7
    assert "bars(symbol" in out["hint"]


def test_fetch_caches_in_catalog_and_fetches_only_missing_ranges(nt_home: Path) -> None:
    args = ("data", "fetch", "SYN", "--provider", "synthetic", "--spec", "1h", "--seed", "3")
    code, first = nt(*args, "--start", "2024-01-01", "--end", "2024-01-10")
    assert code == 0, first
    assert first["rows_fetched"] == 10 * 24
    code, again = nt(*args, "--start", "2024-01-02", "--end", "2024-01-10")
    assert code == 0
    assert again["from_cache"] is True
    assert again["rows_fetched"] == 0
    code, more = nt(*args, "--start", "2024-01-05", "--end", "2024-01-12")
    assert code == 0
    assert more["rows_fetched"] == 2 * 24
    assert more["rows_total"] == 12 * 24
    # The cached series equals one fetch of the whole range (synthetic data is range-stable).
    whole = get_provider("synthetic", seed=3).fetch_bars(
        "SYN", BarSpec.parse("1h"), to_ns("2024-01-01"), to_ns("2024-01-12", end=True)
    )
    stored = Catalog(nt_home / "catalog").read_bars("SYN", "1h")
    assert stored.equals(whole)
