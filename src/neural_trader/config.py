"""Platform settings: ``NT_`` environment variables over ``$NT_HOME/config.toml`` over defaults.

``NT_HOME`` (default ``~/.neural-trader``) holds everything the platform writes: the data
catalog, the config file, later the order journal and model registry. Secrets are
``SecretStr`` so they print as ``**********``; :func:`neural_trader.ops.logging.redact` scrubs
their raw values from any text that reaches a log line or an error message.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from neural_trader.core.errors import ConfigError
from neural_trader.risk.limits import RiskLimits

__all__ = ["Settings", "config_path", "default_home", "load_settings"]

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


def default_home() -> Path:
    """``$NT_HOME`` if set, else ``~/.neural-trader``."""
    env = os.environ.get("NT_HOME")
    return Path(env).expanduser() if env else Path.home() / ".neural-trader"


def config_path(home: Path | None = None) -> Path:
    return (home or default_home()) / "config.toml"


class Settings(BaseSettings):
    """Every setting the platform reads. Unknown keys in the config file are an error."""

    model_config = SettingsConfigDict(
        env_prefix="NT_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        validate_default=True,
    )

    home: Path = Field(default_factory=default_home, description="Root of all platform state.")
    catalog_dir: Path | None = Field(
        default=None, description="Market-data catalog folder; default $NT_HOME/catalog."
    )
    log_level: LogLevel = "INFO"
    default_calendar: str | None = Field(
        default=None,
        description="exchange_calendars code (XNYS, XTSE...) used for gap checks on import.",
    )
    # Provider credentials. Never logged: see ops.logging.redact.
    polygon_api_key: SecretStr | None = None
    alpha_vantage_api_key: SecretStr | None = None
    # Trading (docs/decisions/0012).
    database_url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL of the trading store (postgresql+psycopg://...); "
        "default sqlite:///$NT_HOME/trading.db. Secret because URLs carry passwords.",
    )
    live_trading: bool = Field(
        default=False,
        description="Must be true (NT_LIVE_TRADING=true) before any order reaches a "
        "real-money endpoint; otherwise every path is paper.",
    )
    risk: RiskLimits = Field(default_factory=RiskLimits, description="Pre-trade limits.")
    alpaca_api_key_id: SecretStr | None = Field(
        default=None, description="Alpaca key id (APCA_API_KEY_ID is also read)."
    )
    alpaca_api_secret_key: SecretStr | None = Field(
        default=None, description="Alpaca secret (APCA_API_SECRET_KEY is also read)."
    )
    alpaca_paper: bool = Field(
        default=True, description="Use Alpaca's paper endpoints (false = live, real money)."
    )
    alpaca_trading_url: str | None = Field(
        default=None, description="Override of the Alpaca trading REST base URL (tests, proxies)."
    )
    alpaca_data_url: str | None = Field(
        default=None, description="Override of the Alpaca market-data REST base URL."
    )
    alpaca_stream_url: str | None = Field(
        default=None, description="Override of the Alpaca trade-updates websocket URL."
    )
    alpaca_data_stream_url: str | None = Field(
        default=None, description="Override of the Alpaca market-data websocket URL."
    )
    alpaca_feed: str = Field(default="iex", description="Alpaca data feed: iex, sip or test.")

    @field_validator("home", "catalog_dir", mode="after")
    @classmethod
    def _expand(cls, v: Path | None) -> Path | None:
        return v.expanduser() if v is not None else None

    @property
    def catalog_path(self) -> Path:
        return self.catalog_dir or (self.home / "catalog")

    @property
    def trading_db_url(self) -> str:
        """The trading store's SQLAlchemy URL (``NT_DATABASE_URL`` or SQLite under home)."""
        if self.database_url is not None and self.database_url.get_secret_value():
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.home / 'trading.db'}"

    @property
    def config_file(self) -> Path:
        return config_path(self.home)

    def secret_values(self) -> list[str]:
        """Raw values of every secret set, for redaction."""
        out = []
        for name in type(self).model_fields:
            v = getattr(self, name)
            if isinstance(v, SecretStr) and v.get_secret_value():
                out.append(v.get_secret_value())
        return out

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_path())
        return (init_settings, env_settings, toml)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning a bad config into a :class:`ConfigError` naming the key."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '?'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(
            f"invalid configuration ({problems})",
            hint=f"check NT_* environment variables and {config_path()}",
        ) from None
    except (OSError, ValueError) as exc:  # unreadable or malformed TOML
        raise ConfigError(
            f"cannot read {config_path()}: {exc}", hint="fix or remove the file"
        ) from None
