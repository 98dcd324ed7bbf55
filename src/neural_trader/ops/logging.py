"""Logging that never leaks a credential.

Every handler installed by :func:`configure_logging` carries a :class:`RedactingFilter` that
replaces the raw value of each known secret, and anything shaped like an API key or bearer
token in a URL or header, with ``***``. :func:`redact` applies the same scrub to any text
(error messages shown to a user go through it).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

__all__ = ["RedactingFilter", "configure_logging", "redact", "register_secret"]

_SECRETS: set[str] = set()
# key=value in query strings and headers: apikey=..., api_key=..., token=..., secret=...
_PATTERNS = (
    re.compile(
        r"(?i)((?:api[_-]?key|apikey|token|secret|password|passwd|access[_-]?key)"
        r"[\"']?\s*[:=]\s*[\"']?)([^\s&\"',;]+)"
    ),
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic|token)?\s*)([^\s\"',;]+)"),
    re.compile(r"(?i)(apca-api-(?:key-id|secret-key)[\"']?\s*[:=]\s*[\"']?)([^\s\"',;]+)"),
)
_MIN_SECRET_LEN = 4


def register_secret(value: str | None) -> None:
    """Remember a secret so that every later log line and :func:`redact` call hides it."""
    if value and len(value) >= _MIN_SECRET_LEN:
        _SECRETS.add(value)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for s in sorted(
        {*_SECRETS, *(x for x in secrets if x and len(x) >= _MIN_SECRET_LEN)}, key=len, reverse=True
    ):
        text = text.replace(s, "***")
    for pat in _PATTERNS:
        text = pat.sub(lambda m: m.group(1) + "***", text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's final message with :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = redact(msg)
        if clean != msg or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def configure_logging(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    """Install one stderr handler with redaction on the ``neural_trader`` logger."""
    for s in secrets:
        register_secret(s)
    logger = logging.getLogger("neural_trader")
    logger.setLevel(level)
    if not any(isinstance(f, RedactingFilter) for h in logger.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(RedactingFilter())
        logger.addHandler(handler)
