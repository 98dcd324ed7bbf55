from __future__ import annotations

from pathlib import Path

import pytest

from neural_trader.config import load_settings
from neural_trader.core.errors import ConfigError


def test_settings_default_home_is_nt_home_env(nt_home: Path) -> None:
    s = load_settings()
    assert s.home == nt_home
    assert s.catalog_path == nt_home / "catalog"


def test_settings_env_overrides_config_file(nt_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (nt_home / "config.toml").write_text('log_level = "DEBUG"\ncatalog_dir = "/tmp/from-file"\n')
    assert load_settings().catalog_path == Path("/tmp/from-file")
    monkeypatch.setenv("NT_CATALOG_DIR", "/tmp/from-env")
    s = load_settings()
    assert s.catalog_path == Path("/tmp/from-env")
    assert s.log_level == "DEBUG"


def test_settings_unknown_key_in_config_file_names_the_key(nt_home: Path) -> None:
    (nt_home / "config.toml").write_text("catalgo_dir = '/x'\n")
    with pytest.raises(ConfigError, match="catalgo_dir"):
        load_settings()


def test_settings_malformed_toml_is_a_config_error(nt_home: Path) -> None:
    (nt_home / "config.toml").write_text("log_level = \n")
    with pytest.raises(ConfigError, match=r"config\.toml"):
        load_settings()


def test_settings_secret_never_appears_in_repr_or_dump(
    nt_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NT_POLYGON_API_KEY", "pk_live_abcdef123456")
    s = load_settings()
    assert "pk_live_abcdef123456" not in repr(s)
    assert "pk_live_abcdef123456" not in s.model_dump_json()
    assert s.secret_values() == ["pk_live_abcdef123456"]
