"""``doctor``, ``demo`` and ``--version`` as a new user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from neural_trader import __version__
from neural_trader.data.catalog import Catalog
from neural_trader.fronts.cli.app import app

runner = CliRunner()


def test_version_prints_package_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"neural-trader {__version__}"


def test_doctor_json_reports_checks_and_overall_status(nt_home: Path) -> None:
    result = runner.invoke(app, ["doctor", "--json"])
    report = json.loads(result.stdout)
    names = {c["name"] for c in report["checks"]}
    assert {"NT_HOME", "catalog", "parquet+duckdb", "numpy"} <= names
    assert report["home"] == str(nt_home)
    assert report["status"] in ("ok", "warn")
    assert result.exit_code == 0


def test_doctor_flags_broken_config_file(nt_home: Path) -> None:
    (nt_home / "config.toml").write_text("no_such_setting = 1\n")
    result = runner.invoke(app, ["doctor", "--json"])
    report = json.loads(result.stdout)
    assert report["status"] == "fail"
    assert result.exit_code == 1
    cfg = next(c for c in report["checks"] if c["name"] == "config file")
    assert "no_such_setting" in cfg["detail"]


def test_demo_imports_validates_and_summarises_sample_offline(nt_home: Path) -> None:
    result = runner.invoke(app, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    symbols = [s["symbol"] for s in report["series"]]
    assert symbols, report
    cat = Catalog(nt_home / "catalog")
    for s in report["series"]:
        assert s["validation"]["errors"] == 0
        stored = cat.read_bars(s["symbol"], "1d")
        assert len(stored) == s["rows"]
        assert stored["close"].iloc[-1] == s["last_close"]
        assert len(cat.read_bars(s["symbol"], "1w")) == s["weekly_bars"]
    # A second run is idempotent: same numbers, no duplicate bars.
    again = json.loads(runner.invoke(app, ["demo", "--json"]).stdout)
    assert [s["rows"] for s in again["series"]] == [s["rows"] for s in report["series"]]
    # The forecasting step trained a real model, scored next to the naive baseline on the same
    # test windows, and (seeded) gives the same numbers on a second run.
    fc = report["forecast"]
    assert fc is not None, report.get("forecast_skipped")
    assert len(fc["forecast"]) == 5
    assert fc["mae"] > 0
    assert fc["naive_mae"] > 0
    assert fc["mae"] != fc["naive_mae"]
    assert again["forecast"]["mae"] == fc["mae"]
    assert [p["forecast"] for p in again["forecast"]["forecast"]] == [
        p["forecast"] for p in fc["forecast"]
    ]


def test_installed_entry_point_runs_as_a_process(nt_home: Path) -> None:
    exe = Path(sys.executable).with_name("neural-trader")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "neural_trader.fronts.cli.app"]
    proc = subprocess.run(
        [*cmd, "data", "list", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "NT_HOME": str(nt_home)},
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
