"""Alpaca connection settings: keys, endpoints, feed and the live-trading guard.

One frozen object answers "where do we connect and may we trade real money there". It is built
from :class:`~neural_trader.config.Settings` (``NT_ALPACA_*``) with Alpaca's own environment
variables (``APCA_API_KEY_ID`` / ``APCA_API_SECRET_KEY``) as the fallback, so keys set up for
Alpaca's own tools work unchanged.

The guard lives here, in the object every Alpaca client is built from, rather than in one
caller: a config that would reach a real-money endpoint cannot be constructed unless
``live_trading`` is on, however it is constructed.
"""

from __future__ import annotations

import os
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from neural_trader.config import Settings
from neural_trader.core.errors import ConfigError
from neural_trader.execution.throttle import ALPACA_RATE_PER_MINUTE
from neural_trader.ops.logging import register_secret

__all__ = [
    "DATA_STREAM_URL",
    "DATA_URL",
    "LIVE_STREAM_URL",
    "LIVE_TRADING_URL",
    "PAPER_STREAM_URL",
    "PAPER_TRADING_URL",
    "AlpacaConfig",
    "Feed",
]

PAPER_TRADING_URL: Final = "https://paper-api.alpaca.markets"
LIVE_TRADING_URL: Final = "https://api.alpaca.markets"
DATA_URL: Final = "https://data.alpaca.markets"
PAPER_STREAM_URL: Final = "wss://paper-api.alpaca.markets/stream"
LIVE_STREAM_URL: Final = "wss://api.alpaca.markets/stream"
DATA_STREAM_URL: Final = "wss://stream.data.alpaca.markets"

Feed = Literal["iex", "sip", "test"]

_LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
_LIVE_HOSTS: Final = frozenset({"api.alpaca.markets"})
_KEY_ENV: Final = "APCA_API_KEY_ID"
_SECRET_ENV: Final = "APCA_API_SECRET_KEY"


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _is_loopback(url: str | None) -> bool:
    return url is not None and _host(url) in _LOOPBACK_HOSTS


class AlpacaConfig(BaseModel):
    """Everything an Alpaca client needs. Keys are ``SecretStr`` and registered for redaction
    the moment the object exists, so no later log line or error can show them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_key_id: SecretStr
    api_secret_key: SecretStr
    paper: bool = True
    trading_url: str | None = Field(default=None, description="Trading REST base URL override.")
    data_url: str | None = Field(default=None, description="Market-data REST base URL override.")
    stream_url: str | None = Field(default=None, description="Trade-updates websocket URL.")
    data_stream_url: str | None = Field(
        default=None,
        description="Market-data websocket URL; a bare host gets /v2/{feed} appended.",
    )
    feed: Feed = "iex"
    rate_per_minute: int = Field(default=ALPACA_RATE_PER_MINUTE, gt=0)
    timeout_s: float = Field(default=10.0, gt=0)
    live_trading: bool = Field(
        default=False, description="NT_LIVE_TRADING: required before a real-money endpoint."
    )

    @model_validator(mode="after")
    def _guard(self) -> AlpacaConfig:
        for secret in (self.api_key_id, self.api_secret_key):
            register_secret(secret.get_secret_value())
        if not self.api_key_id.get_secret_value() or not self.api_secret_key.get_secret_value():
            raise ConfigError(
                "Alpaca credentials are empty",
                hint=f"set {_KEY_ENV} and {_SECRET_ENV} (or NT_ALPACA_API_KEY_ID and "
                "NT_ALPACA_API_SECRET_KEY)",
            )
        if self.is_live and not self.live_trading:
            raise ConfigError(
                "live trading is off: set NT_LIVE_TRADING=true to send orders to Alpaca's "
                "real-money endpoint, or keep NT_ALPACA_PAPER=true for paper trading",
                hint="live trading places real orders with real money; start with paper",
            )
        return self

    @property
    def is_live(self) -> bool:
        """True when this config reaches Alpaca's real-money account.

        ``paper=False`` is live unless *every* trading endpoint (REST and trade-updates stream)
        is overridden to a loopback address (a local fake server). An override that names the
        live host is live whatever ``paper`` says: the flag must not hide where orders go.
        """
        overrides = (self.trading_url, self.stream_url)
        if any(u is not None and _host(u) in _LIVE_HOSTS for u in overrides):
            return True
        if self.paper:
            return False
        return not all(_is_loopback(u) for u in overrides)

    @property
    def trading_base_url(self) -> str:
        """Base URL of the trading REST API, without the ``/v2`` that alpaca-py appends."""
        if self.trading_url:
            return _strip_version(self.trading_url)
        return PAPER_TRADING_URL if self.paper else LIVE_TRADING_URL

    @property
    def data_base_url(self) -> str:
        return _strip_version(self.data_url) if self.data_url else DATA_URL

    @property
    def trading_stream_endpoint(self) -> str:
        if self.stream_url:
            return self.stream_url
        return PAPER_STREAM_URL if self.paper else LIVE_STREAM_URL

    @property
    def data_stream_endpoint(self) -> str:
        """``wss://stream.data.alpaca.markets/v2/{feed}``; an override that is a bare host
        (no path) gets the same ``/v2/{feed}`` path."""
        base = self.data_stream_url or DATA_STREAM_URL
        if urlsplit(base).path in ("", "/"):
            return f"{base.rstrip('/')}/v2/{self.feed}"
        return base

    def key_pair(self) -> tuple[str, str]:
        """The raw key id and secret, for the one place that puts them on the wire."""
        return self.api_key_id.get_secret_value(), self.api_secret_key.get_secret_value()

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> AlpacaConfig:
        """Build from platform settings; keys fall back to ``APCA_API_KEY_ID`` /
        ``APCA_API_SECRET_KEY``. ``overrides`` replace any field (tests, CLI flags).

        Raises :class:`ConfigError` naming the variables to set (never their values) when a
        key is missing, and when the result would trade live with ``NT_LIVE_TRADING`` off.
        """
        key = _secret(settings.alpaca_api_key_id) or os.environ.get(_KEY_ENV, "")
        secret = _secret(settings.alpaca_api_secret_key) or os.environ.get(_SECRET_ENV, "")
        register_secret(key)
        register_secret(secret)
        values: dict[str, Any] = {
            "api_key_id": key,
            "api_secret_key": secret,
            "paper": settings.alpaca_paper,
            "trading_url": settings.alpaca_trading_url,
            "data_url": settings.alpaca_data_url,
            "stream_url": settings.alpaca_stream_url,
            "data_stream_url": settings.alpaca_data_stream_url,
            "feed": settings.alpaca_feed,
            "live_trading": settings.live_trading,
        }
        values.update(overrides)
        if not values["api_key_id"] or not values["api_secret_key"]:
            missing = [
                name
                for name, v in (
                    (_KEY_ENV, values["api_key_id"]),
                    (_SECRET_ENV, values["api_secret_key"]),
                )
                if not v
            ]
            raise ConfigError(
                f"Alpaca credentials are missing: {', '.join(missing)} not set",
                hint=f"export {_KEY_ENV}=... and {_SECRET_ENV}=... (or NT_ALPACA_API_KEY_ID / "
                "NT_ALPACA_API_SECRET_KEY); paper keys come from the Alpaca dashboard",
            )
        try:
            return cls(**values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '?'}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"invalid Alpaca configuration ({problems})") from None


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def _strip_version(url: str) -> str:
    """alpaca-py appends ``/v2`` itself; accept an override written with or without it."""
    url = url.rstrip("/")
    return url[: -len("/v2")] if url.endswith("/v2") else url
