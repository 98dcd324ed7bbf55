"""MCP test fixtures: a catalog holding the packaged sample (SPX, IXIC daily), a server, and a
helper that calls a tool through the SDK's own in-process client."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp_types import CallToolResult


@pytest.fixture(scope="session")
def sample_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalog folder with the embedded SPX and IXIC daily bars (1999-2018)."""
    from neural_trader.data.catalog import Catalog
    from neural_trader.data.providers.sample import load_sample, sample_names

    root = tmp_path_factory.mktemp("mcp_catalog") / "catalog"
    cat = Catalog(root)
    for name in sample_names():
        cat.write_bars(name, "1d", load_sample(name), mode="overwrite")
    return root


@pytest.fixture
def home(tmp_path: Path, sample_catalog: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh NT_HOME (own trading journal and paper account) over a copy of the catalog."""
    nt_home = tmp_path / "nt_home"
    nt_home.mkdir()
    shutil.copytree(sample_catalog, nt_home / "catalog")
    monkeypatch.setenv("NT_HOME", str(nt_home))
    for var in ("NT_CATALOG_DIR", "NT_LOG_LEVEL", "NT_DEFAULT_CALENDAR", "NT_LIVE_TRADING"):
        monkeypatch.delenv(var, raising=False)
    return nt_home


@pytest.fixture(scope="session")
def server() -> Any:
    from neural_trader.fronts.mcp.server import build_server

    return build_server()


CallFn = Callable[..., CallToolResult]


@pytest.fixture
def call(server: Any, home: Path) -> CallFn:
    """``call(tool, args)`` -> the CallToolResult, through an in-process SDK client."""

    def run(name: str, args: dict[str, Any] | None = None, **kwargs: Any) -> CallToolResult:
        async def go() -> CallToolResult:
            async with Client(server) as client:
                return await client.call_tool(name, args or {}, **kwargs)

        return anyio.run(go)

    return run


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """Training tests use one torch thread (two-core CI machines run a worker per core)."""
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
