"""Fixtures for the MCP transport tests: an NT_HOME holding the packaged sample."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def sample_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from neural_trader.data.catalog import Catalog
    from neural_trader.data.providers.sample import load_sample, sample_names

    home = tmp_path / "nt_home"
    cat = Catalog(home / "catalog")
    for name in sample_names():
        cat.write_bars(name, "1d", load_sample(name), mode="overwrite")
    monkeypatch.setenv("NT_HOME", str(home))
    for var in ("NT_CATALOG_DIR", "NT_LOG_LEVEL", "NT_LIVE_TRADING", "NT_MCP_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    return home
