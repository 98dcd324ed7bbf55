"""``neural-trader optimize`` as a user runs it: a bar file in, a ranked table or JSON out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from neural_trader.data.providers.synthetic import generate_bars
from neural_trader.fronts.cli.optimize_commands import optimize
from neural_trader.services.optimize import run_optimization

runner = CliRunner()


def _app() -> typer.Typer:
    """The registered app once the command is wired in, a one-command app until then."""
    from neural_trader.fronts.cli.app import app

    if any(c.name == "optimize" for c in app.registered_commands):
        return app
    tiny = typer.Typer()
    tiny.command("optimize")(optimize)
    tiny.command("noop", hidden=True)(lambda: None)  # keeps "optimize" a subcommand
    return tiny


@pytest.fixture(scope="module")
def bars(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "syn.csv"
    generate_bars(2_500, "1h", seed=8).to_csv(path, index=False)
    return path


def nt(*args: str) -> tuple[int, Any]:
    result = runner.invoke(_app(), ["optimize", *args, "--json"])
    try:
        return result.exit_code, json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"not one JSON document: {result.stdout!r} {result.stderr!r}")


GRID = ["--grid", "fast=10:30:10", "--grid", "slow=20:60:20"]


def test_json_grid_search_matches_the_service(bars: Path) -> None:
    code, out = nt("--strategy", "sma_cross", "--data", str(bars), *GRID, "--workers", "1")
    assert code == 0
    ref = run_optimization(
        "sma_cross", data_file=bars, grid=["fast=10:30:10", "slow=20:60:20"], workers=1
    )
    assert out["best_params"] == ref.best_params
    assert out["best_score"] == pytest.approx(ref.best_score, rel=1e-12)
    assert out["combinations"] == 9
    assert out["dropped_invalid"] == 2  # fast >= slow: (20, 20) and (30, 20)
    assert out["evaluated"] == 7
    assert out["method"] == "grid"
    assert out["interrupted"] is False
    assert [t["params"] for t in out["top"]] == [t.params for t in ref.top]


def test_walk_forward_json_reports_folds_and_stitched_curve(bars: Path) -> None:
    code, out = nt(
        "--strategy", "sma_cross", "--data", str(bars), *GRID, "--walk-forward", "3",
        "--walk-mode", "anchored", "--metric", "total_return", "--workers", "1",
    )  # fmt: skip
    assert code == 0
    wf = out["walk_forward"]
    assert wf["mode"] == "anchored"
    assert len(wf["folds"]) == 3
    assert len(wf["oos_equity"]) == len(wf["oos_ts"]) == 3 * wf["test_bars"]
    assert wf["oos_metrics"]["total_return"] == pytest.approx(wf["oos_score"], rel=1e-12)
    assert out["best_params"] == wf["folds"][-1]["params"]


def test_bayes_is_reproducible_from_the_seed(bars: Path) -> None:
    pytest.importorskip("optuna", reason="the optional extra 'optimize' is not installed")
    args = ["--strategy", "sma_cross", "--data", str(bars), *GRID, "--method", "bayes"]
    _, a = nt(*args, "--trials", "8", "--seed", "7")
    _, b = nt(*args, "--trials", "8", "--seed", "7")
    assert a["seed"] == 7
    assert a["top"] == b["top"]


def test_unknown_parameter_is_a_clear_error(bars: Path) -> None:
    code, out = nt("--strategy", "sma_cross", "--data", str(bars), "--grid", "fats=5:10")
    assert code == 2
    assert out["error"] == "InvalidArgumentError"
    assert "no parameter 'fats'" in out["message"]


def test_table_output_for_people(bars: Path) -> None:
    result = runner.invoke(
        _app(),
        ["optimize", "--strategy", "sma_cross", "--data", str(bars), *GRID, "--top", "2",
         "--workers", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "sma_cross" in result.stdout
    text = " ".join(result.stdout.split())  # rich wraps at the terminal width
    assert "7 evaluated, 2 invalid combination(s) dropped" in text
    assert "final equity" in text


def test_bayes_on_ray_is_refused_not_ignored(bars: Path) -> None:
    code, out = nt(
        "--strategy", "sma_cross", "--data", str(bars), *GRID, "--method", "bayes",
        "--backend", "ray",
    )  # fmt: skip
    assert code == 4
    assert out["error"] == "NotSupportedError"
