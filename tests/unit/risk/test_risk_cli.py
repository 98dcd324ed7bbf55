"""``neural-trader risk ...`` as a user runs it: one JSON document with --json, readable text
without, and the error classes' exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from neural_trader.fronts.cli import risk_commands

runner = CliRunner()


def _app() -> typer.Typer:
    # The root app registers this sub-app the same way (app.add_typer(..., name="risk")).
    app = typer.Typer()
    app.add_typer(risk_commands.app, name="risk")

    @app.callback()
    def root() -> None:
        """test root"""

    return app


APP = _app()


def nt(*args: str) -> tuple[int, Any]:
    result = runner.invoke(APP, ["risk", *args, "--json"])
    try:
        return result.exit_code, json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"not one JSON document: {result.stdout!r} {result.stderr!r}")


@pytest.mark.usefixtures("use_risk_home")
def test_var_json_and_text() -> None:
    code, doc = nt("var", "--positions", "SPX:10,IXIC:5", "--confidence", "0.99")
    assert code == 0
    assert doc["method"] == "historical"
    assert doc["confidence"] == 0.99
    assert doc["var"] > 0
    assert doc["cvar"] >= doc["var"]
    assert [p["symbol"] for p in doc["positions"]] == ["SPX", "IXIC"]
    text = runner.invoke(APP, ["risk", "var", "--positions", "SPX:10", "--backtest", "250"])
    assert text.exit_code == 0
    assert "VaR" in text.stdout
    assert "Kupiec" in text.stdout


@pytest.mark.usefixtures("use_risk_home")
def test_var_monte_carlo_options() -> None:
    args = ("var", "--positions", "SPX:10", "--method", "monte_carlo", "--paths", "5000")
    code, a = nt(*args, "--seed", "3", "--model", "t_copula", "--horizon", "5", "--float32")
    assert code == 0
    assert a["details"]["model"] == "t_copula"
    assert a["details"]["dtype"] == "float32"
    assert nt(*args, "--seed", "3", "--model", "t_copula", "--horizon", "5", "--float32")[1] == a


@pytest.mark.usefixtures("use_risk_home")
def test_portfolio_file_and_fx(tmp_path: Path) -> None:
    book = tmp_path / "book.csv"
    book.write_text("symbol,quantity,currency\nSPX,2,EUR\nIXIC,1,USD\n")
    code, doc = nt("var", "--portfolio", str(book))
    assert code == 4
    assert doc["error"] == "NotSupportedError"
    assert "EUR" in doc["message"]
    code, doc = nt("var", "--portfolio", str(book), "--fx", "EUR=1.1", "--method", "gaussian")
    assert code == 0
    assert doc["positions"][0]["exposure"] == pytest.approx(2 * 1.1 * 2506.850098)


@pytest.mark.usefixtures("use_risk_home")
@pytest.mark.parametrize(
    ("args", "code", "error"),
    [
        (("var", "--positions", "SPY:1"), 6, "UnknownSymbolError"),
        (("var", "--positions", "SPX:0"), 2, "InvalidArgumentError"),
        (("var", "--positions", "SPX:1", "--fx", "EUR"), 2, "InvalidArgumentError"),
        (("stress", "--positions", "SPX:1", "--scenario", "dotcom"), 6, "NotFoundError"),
        (("kelly", "--bet", "0.6"), 2, "InvalidArgumentError"),
    ],
)
def test_errors_exit_with_their_class_code(args: tuple[str, ...], code: int, error: str) -> None:
    got, doc = nt(*args)
    assert got == code
    assert doc["error"] == error


@pytest.mark.usefixtures("use_risk_home")
def test_stress_correlation_kelly_rebalance() -> None:
    code, doc = nt(
        "stress", "--positions", "SPX:10", "--scenario", "2008_crisis", "--shock", "SPX=-0.3"
    )
    assert code == 0
    assert [s["scenario"] for s in doc["scenarios"]] == ["2008_crisis", "user_shock"]
    assert doc["scenarios"][1]["pnl"] == pytest.approx(-0.3 * 10 * 2506.850098)
    code, doc = nt("correlation", "--symbols", "SPX,IXIC", "--method", "shrunk")
    assert code == 0
    assert len(doc["matrix"]) == 2
    assert doc["shrinkage"] is not None
    code, doc = nt("kelly", "--bet", "0.6:1", "--bet", "0.55:1:1", "--fraction", "0.5")
    assert code == 0
    assert doc["mode"] == "simultaneous"
    assert len(doc["bets"]) == 2
    code, doc = nt(
        "rebalance", "--positions", "SPX:10", "--target", "SPX=0.3,IXIC=0.3", "--cash", "5000"
    )
    assert code == 0
    assert {t["symbol"] for t in doc["trades"]} <= {"SPX", "IXIC"}
    assert doc["cash_after"] >= 0


@pytest.mark.usefixtures("use_risk_home")
def test_optimize_command() -> None:
    pytest.importorskip("skfolio")
    code, doc = nt("optimize", "--symbols", "SPX,IXIC", "--method", "hrp")
    assert code == 0
    assert doc["method"] == "hrp"
    assert sum(doc["weights"].values()) == pytest.approx(1.0, abs=1e-6)
    text = runner.invoke(
        APP, ["risk", "optimize", "--symbols", "SPX,IXIC", "--method", "risk_parity"]
    )
    assert text.exit_code == 0
    assert "variance share" in text.stdout
