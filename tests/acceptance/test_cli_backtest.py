"""``strategies`` and ``backtest`` as a user runs them."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from neural_trader.data.export import write_bars_csv
from neural_trader.data.providers.synthetic import generate_bars
from neural_trader.fronts.cli.app import app

runner = CliRunner()
REQUIRED = (
    "final_equity",
    "total_return",
    "trades",
    "sharpe",
    "sortino",
    "max_drawdown",
    "cagr",
    "win_rate",
    "profit_factor",
    "exposure",
)
SINGLE_ASSET = (
    "buy_and_hold",
    "sma_cross",
    "momentum",
    "mean_reversion",
    "swing",
    "enhanced_momentum",
)


def nt(*args: str) -> tuple[int, Any]:
    result = runner.invoke(app, [*args, "--json"])
    try:
        return result.exit_code, json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"not one JSON document: {result.stdout!r} {result.stderr!r}")


@pytest.fixture
def daily_file(tmp_path: Path) -> Path:
    """Three years of seeded synthetic daily bars as a Yahoo-style CSV."""
    frame = generate_bars(800, "1d", seed=11, start="2015-01-01")
    path = tmp_path / "syn.csv"
    write_bars_csv(frame, path, layout="yahoo")
    return path


def test_strategies_lists_every_shipped_strategy_with_parameters() -> None:
    code, items = nt("strategies")
    assert code == 0
    names = {s["name"] for s in items}
    assert {*SINGLE_ASSET, "pairs"} <= names
    sma = next(s for s in items if s["name"] == "sma_cross")
    params = {p["name"]: p for p in sma["parameters"]}
    assert params["fast"]["default"] == 10
    assert params["slow"]["default"] == 50
    assert "stop_loss" in params


@pytest.mark.parametrize("strategy", SINGLE_ASSET)
def test_backtest_json_has_the_documented_fields(
    nt_home: Path, daily_file: Path, strategy: str
) -> None:
    code, out = nt("backtest", "--strategy", strategy, "--data", str(daily_file))
    assert code == 0, out
    for key in REQUIRED:
        assert key in out, key
    assert out["bars"] == 800
    assert math.isfinite(out["final_equity"])
    assert out["final_equity"] > 0


def test_backtest_from_catalog_equals_backtest_from_file(nt_home: Path, daily_file: Path) -> None:
    assert nt("data", "import", str(daily_file), "--symbol", "SYN")[0] == 0
    _, from_cat = nt("backtest", "--strategy", "sma_cross", "--symbol", "SYN")
    _, from_file = nt("backtest", "--strategy", "sma_cross", "--data", str(daily_file))
    for key in REQUIRED:
        assert from_cat[key] == from_file[key], key


@pytest.mark.parametrize("fill", ["open", "close"])
def test_vector_and_event_engines_agree(nt_home: Path, daily_file: Path, fill: str) -> None:
    args = (
        "backtest",
        "--strategy",
        "sma_cross",
        "--data",
        str(daily_file),
        "--fill",
        fill,
        "--param",
        "fast=5",
        "--param",
        "slow=20",
    )
    _, vec = nt(*args, "--engine", "vector")
    _, evt = nt(*args, "--engine", "event")
    assert vec["trades"] == evt["trades"] > 0
    assert evt["final_equity"] == pytest.approx(vec["final_equity"], rel=1e-9)


def test_backtest_writes_html_report_and_png(
    nt_home: Path, daily_file: Path, tmp_path: Path
) -> None:
    html, png = tmp_path / "r.html", tmp_path / "r.png"
    code, out = nt(
        "backtest",
        "--strategy",
        "sma_cross",
        "--data",
        str(daily_file),
        "--report",
        str(html),
        "--plot",
        str(png),
    )
    assert code == 0, out
    assert html.read_text().lstrip().lower().startswith("<!doctype html")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("strategy", SINGLE_ASSET)
def test_check_lookahead_passes_for_shipped_strategies(
    nt_home: Path, daily_file: Path, strategy: str
) -> None:
    code, out = nt(
        "backtest", "--strategy", strategy, "--data", str(daily_file), "--check-lookahead"
    )
    assert code == 0, out
    assert out["lookahead"]["ok"] is True


def test_invalid_parameter_is_named(nt_home: Path, daily_file: Path) -> None:
    code, out = nt(
        "backtest",
        "--strategy",
        "sma_cross",
        "--data",
        str(daily_file),
        "--param",
        "fast=60",
        "--param",
        "slow=20",
    )
    assert code == 2
    assert "fast" in out["message"]


def test_unknown_strategy_suggests_a_name(nt_home: Path, daily_file: Path) -> None:
    code, out = nt("backtest", "--strategy", "sma_crss", "--data", str(daily_file))
    assert code == 6
    assert "sma_cross" in out["hint"]


@pytest.mark.shared_data
def test_backtest_real_orcl_through_catalog(nt_home: Path, shared_data: Path) -> None:
    assert nt("data", "import", str(shared_data / "orcl-1995-2014.txt"), "--symbol", "ORCL")[0] == 0
    code, out = nt("backtest", "--strategy", "buy_and_hold", "--symbol", "ORCL", "--fees", "0")
    assert code == 0, out
    # Buy at the second bar's open with everything, hold to the last close.
    assert out["trades"] == 0
    assert out["open_trades"] == 1
    assert out["periods_per_year"] == 252.0


def test_pairs_runs_two_legs_with_a_second_symbol(
    nt_home: Path, daily_file: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.csv"
    write_bars_csv(generate_bars(800, "1d", seed=12, start="2015-01-01"), other, layout="yahoo")
    assert nt("data", "import", str(other), "--symbol", "OTH")[0] == 0
    code, out = nt(
        "backtest",
        "--strategy",
        "pairs",
        "--data",
        str(daily_file),
        "--with",
        "other=OTH",
        "--param",
        "formation=120",
        "--param",
        "window=30",
    )
    assert code == 0, out
    assert out["bars"] == 800
    code, out = nt("backtest", "--strategy", "pairs", "--data", str(daily_file))
    assert code == 2
    assert "--with other=" in out["hint"]
    args = (
        "backtest",
        "--strategy",
        "pairs",
        "--data",
        str(daily_file),
        "--with",
        "other=OTH",
        "--param",
        "formation=120",
        "--param",
        "window=30",
    )
    _, vec = nt(*args)
    code, evt = nt(*args, "--engine", "event")
    assert code == 0, evt
    assert evt["final_equity"] == pytest.approx(vec["final_equity"], rel=1e-9)
    assert evt["trades"] == vec["trades"]
    # The look-ahead check runs two-leg strategies through the portfolio engines.
    for engine in ("vector", "event"):
        code, checked = nt(*args, "--engine", engine, "--check-lookahead")
        assert code == 0, checked
        assert checked["lookahead"]["ok"] is True


def test_sentiment_feed_is_aligned_and_reported(
    nt_home: Path, daily_file: Path, tmp_path: Path
) -> None:
    feed = tmp_path / "sent.csv"
    feed.write_text("date,score\n2015-01-01,0.5\n2015-01-02,-0.5\n1990-01-01,0.1\n")
    code, out = nt(
        "backtest",
        "--strategy",
        "enhanced_momentum",
        "--data",
        str(daily_file),
        "--with",
        "sentiment=" + str(feed) + ":score",
    )
    assert code == 0, out
    assert any("sentiment: 2 of 800 bars" in n for n in out["notes"]), out["notes"]
    code, out = nt(
        "backtest",
        "--strategy",
        "sma_cross",
        "--data",
        str(daily_file),
        "--with",
        "sentiment=" + str(feed),
    )
    assert code == 2
    assert "takes no input sentiment" in out["message"]
