"""``neural-trader mcp``: the group serves by default; ``tools`` and ``config`` list and
print without serving."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from neural_trader.fronts.cli import mcp_commands


@pytest.fixture
def cli() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(mcp_commands.app, name="mcp")

    @root.callback()
    def main() -> None:
        """test root"""

    return root


def test_tools_json_lists_every_tool_with_schemas(cli: typer.Typer, nt_home: Path) -> None:
    r = CliRunner().invoke(cli, ["mcp", "tools", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["count"] == len(doc["tools"]) == 45
    for tool in doc["tools"]:
        Draft202012Validator.check_schema(tool["inputSchema"])
        Draft202012Validator.check_schema(tool["outputSchema"])
    names = {t["name"] for t in doc["tools"]}
    assert {"run_backtest", "execute_trade", "significance_test", "get_candles"} <= names


def test_tools_table(cli: typer.Typer, nt_home: Path) -> None:
    r = CliRunner().invoke(cli, ["mcp", "tools"])
    assert r.exit_code == 0, r.output
    assert "run_backtest" in r.output


def test_config_prints_a_client_snippet(cli: typer.Typer, nt_home: Path) -> None:
    r = CliRunner().invoke(cli, ["mcp", "config", "--json"])
    assert r.exit_code == 0, r.output
    entry = json.loads(r.output)["mcpServers"]["neural-trader"]
    assert entry["args"] == ["-m", "neural_trader.fronts.mcp"]
    assert entry["env"]["NT_HOME"] == str(nt_home)
    human = CliRunner().invoke(cli, ["mcp", "config"])
    assert "claude mcp add neural-trader" in human.output


def test_http_beyond_loopback_without_token_refuses(
    cli: typer.Typer, nt_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NT_MCP_TOKEN", raising=False)
    r = CliRunner().invoke(cli, ["mcp", "--transport", "http", "--host", "0.0.0.0"])
    assert r.exit_code == 2
    assert "NT_MCP_TOKEN" in r.output
