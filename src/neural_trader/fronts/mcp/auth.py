"""Bearer-token protection of the streamable HTTP transport.

Rules (issue 7): a server that listens beyond loopback must have a token (``NT_MCP_TOKEN``)
and refuses to start without one; on loopback a token is optional; whenever a token is set,
every HTTP request must carry ``Authorization: Bearer <token>``, compared in constant time
(:func:`hmac.compare_digest`), or it is answered 401 before it reaches the MCP app.

This is a shared secret, not OAuth: it suits one operator and their agents. The SDK's OAuth
resource-server support (``MCPServer(auth=..., token_verifier=...)``) is the path for
multi-user deployments.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from typing import TYPE_CHECKING

from neural_trader.core.errors import ConfigError

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["TOKEN_ENV", "BearerTokenMiddleware", "check_bind", "is_loopback"]

TOKEN_ENV = "NT_MCP_TOKEN"
MIN_TOKEN_LENGTH = 16


def is_loopback(host: str) -> bool:
    """``localhost``, ``127.0.0.0/8`` and ``::1``; anything else (``0.0.0.0`` too) is not."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve beyond loopback without a token, or with a guessable one."""
    if token is not None and token != "" and len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            f"{TOKEN_ENV} is {len(token)} characters; use at least {MIN_TOKEN_LENGTH}",
            hint='generate one: python -c "import secrets; print(secrets.token_urlsafe(32))"',
        )
    if not token and not is_loopback(host):
        raise ConfigError(
            f"refusing to serve MCP over HTTP on {host} with no {TOKEN_ENV} set, since anyone "
            "who can reach the port could trade on this account",
            hint=f"set {TOKEN_ENV} to a long random secret (clients send it as a bearer "
            "token in the Authorization header), or listen on 127.0.0.1",
        )


class BearerTokenMiddleware:
    """ASGI middleware: HTTP requests without the right bearer token get 401."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        if not token:
            raise ConfigError("BearerTokenMiddleware needs a non-empty token")
        self.app = app
        self._token = token.encode("utf-8")

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope.get("headers") or ():
            if name.lower() == b"authorization":
                scheme, _, credential = value.partition(b" ")
                if scheme.lower() != b"bearer":
                    return False
                return hmac.compare_digest(credential.strip(), self._token)
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._authorized(scope):
            body = json.dumps(
                {"error": "unauthorized", "message": "missing or wrong bearer token"}
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"www-authenticate", b'Bearer realm="neural-trader"'),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
