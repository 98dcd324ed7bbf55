from __future__ import annotations

import logging

import pytest

from neural_trader.ops.logging import RedactingFilter, redact, register_secret


def test_redact_hides_registered_secret_anywhere_in_text() -> None:
    register_secret("s3cr3t-value-xyz")
    assert redact("failed with key s3cr3t-value-xyz in body") == "failed with key *** in body"


def test_redact_hides_api_key_query_parameters_and_auth_headers() -> None:
    text = (
        "GET https://api.example.com/q?symbol=IBM&apikey=ABCD1234&x=1 Authorization: Bearer tok.en"
    )
    out = redact(text)
    assert "ABCD1234" not in out
    assert "tok.en" not in out
    assert "symbol=IBM" in out


def test_redact_hides_alpaca_headers() -> None:
    out = redact("headers={'APCA-API-KEY-ID': 'PKXYZ', 'APCA-API-SECRET-KEY': 'SECRETXYZ'}")
    assert "PKXYZ" not in out
    assert "SECRETXYZ" not in out


def test_redacting_filter_scrubs_formatted_log_records(caplog: pytest.LogCaptureFixture) -> None:
    register_secret("another-secret-777")
    logger = logging.getLogger("neural_trader.test_redaction")
    caplog.handler.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="neural_trader.test_redaction"):
        logger.info("connecting with %s", "another-secret-777")
    assert "another-secret-777" not in caplog.text
    assert "***" in caplog.text
