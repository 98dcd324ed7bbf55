"""Shared fixtures.

``shared_data`` points at ``../shared/data`` beside the clone (present in CI, absent in a
user's clone): tests that need it skip with the reason stated.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real-data test: {SHARED_DATA} is absent (it sits beside the clone in CI)")
    return SHARED_DATA


@pytest.fixture
def nt_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty ``NT_HOME`` for one test; nothing touches the user's real one."""
    home = tmp_path / "nt_home"
    home.mkdir()
    monkeypatch.setenv("NT_HOME", str(home))
    for var in ("NT_CATALOG_DIR", "NT_LOG_LEVEL", "NT_DEFAULT_CALENDAR"):
        monkeypatch.delenv(var, raising=False)
    return home
