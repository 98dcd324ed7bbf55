"""The Alpaca broker: orders, fills, positions and the trade-updates stream.

REST goes through alpaca-py's ``TradingClient`` (its auth headers, base URLs and error type),
with three changes made right after construction, because the platform owns these decisions:

* **Its retries are off.** ``RESTClient`` resends on 429 and 504 by itself (3 times, 3 s
  apart). A resent ``POST /v2/orders`` after a 504 can place a second order when the first was
  created, and a blind sleep ignores ``Retry-After``. We set ``_retry = 0`` and
  ``_retry_codes = []`` and retry only where it is safe (reads; a 429'd submit, see below).
* **It gets a timeout.** alpaca-py's session has none, so a hung request would hang the
  worker thread forever; every request here times out after ``AlpacaConfig.timeout_s``.
* **Every request waits for a token** from a :class:`~neural_trader.execution.throttle.TokenBucket`
  (200/min, Alpaca's quota), shared by everything that uses one account.

The SDK is synchronous (``requests``); calls run in a worker thread (``asyncio.to_thread``) so
the trading loop never blocks on the network.

Failure mapping (docs/decisions/0014):

==========================  ===============================  ==============================
what happened               submit                           reads
==========================  ===============================  ==============================
403 / 422 / other 4xx       OrderRejectedError(reason)       BrokerError
422 duplicate client id     the existing order's report      -
429                         resend, same client id, <= 3x    retried, honouring Retry-After
5xx, 408, timeout, reset    SendOutcomeUnknown (never sent   retried (BrokerUnavailableError)
                            again)
connection refused          OrderRejectedError (not sent)    retried
==========================  ===============================  ==============================

The trade-updates stream is our own small ``websockets`` client, not alpaca-py's
``TradingStream``: that class reconnects forever inside its own loop and logs failures instead
of raising them, while our contract needs a drop to *end* the iterator with
:class:`BrokerUnavailableError` so the order manager gap-fills through :meth:`fills`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import replace
from datetime import date
from typing import Any, Final, TypeVar
from urllib.parse import quote

import requests
from alpaca.common.exceptions import APIError
from alpaca.common.rest import RESTClient
from alpaca.trading.client import TradingClient
from requests.adapters import HTTPAdapter
from requests.models import PreparedRequest
from urllib3.exceptions import MaxRetryError, NewConnectionError
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from neural_trader.adapters.alpaca.config import AlpacaConfig
from neural_trader.adapters.alpaca.parsing import (
    AlpacaClock,
    AlpacaSession,
    format_rfc3339,
    order_body,
    parse_account,
    parse_calendar_day,
    parse_clock,
    parse_fill_activity,
    parse_order,
    parse_position,
    parse_trade_update,
)
from neural_trader.core.clock import Clock, LiveClock
from neural_trader.core.errors import (
    BrokerError,
    BrokerUnavailableError,
    ConfigError,
    OrderRejectedError,
    RateLimitedError,
    SendOutcomeUnknown,
)
from neural_trader.execution.broker import Broker
from neural_trader.execution.reports import (
    AccountReport,
    ExecutionReport,
    FillReport,
    OrderRequest,
    OrderStatusReport,
    PositionReport,
)
from neural_trader.execution.throttle import Sleep, TokenBucket, backoff_delay, retry_read
from neural_trader.ops.logging import redact

__all__ = [
    "AlpacaBroker",
    "AlpacaRest",
    "HttpFailure",
    "TransportFailure",
    "harden_rest_client",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

SUBMIT_RATE_LIMIT_RESENDS: Final = 3
"""How many times a submit answered 429 is sent again (with the same client order id)."""
FILLS_LOOKBACK_NS: Final = 1_000_000_000
"""How far before ``since_ns`` :meth:`AlpacaBroker.fills` looks (timestamp precision slack)."""
_FILLS_PAGE_SIZE: Final = 100  # Alpaca's maximum page_size for account activities
_ORDERS_PAGE_LIMIT: Final = 500  # Alpaca's maximum limit for GET /v2/orders
_ID_CACHE_SIZE: Final = 10_000
_UNKNOWN_OUTCOME_STATUSES: Final = frozenset({408, 500, 502, 503, 504})
_RETRYABLE_READ_STATUSES: Final = frozenset({408, 500, 502, 503, 504})


# --------------------------------------------------------------------------- transport


class _TimeoutAdapter(HTTPAdapter):
    """A transport adapter that applies a default timeout (alpaca-py passes none, so a hung
    server would hang the worker thread forever)."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self.timeout_s = timeout_s

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        return super().send(
            request,
            stream=stream,
            timeout=self.timeout_s if timeout is None else timeout,
            verify=verify,
            cert=cert,
            proxies=proxies,
        )


def _timeout_session(timeout_s: float) -> requests.Session:
    session = requests.Session()
    adapter = _TimeoutAdapter(timeout_s)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def harden_rest_client(client: RESTClient, timeout_s: float) -> RESTClient:
    """Turn off alpaca-py's internal retries and give its session a timeout.

    These are private attributes of ``RESTClient``; we check they exist so that an SDK release
    that renames them fails here, loudly, instead of silently retrying orders again.
    """
    for name in ("_retry", "_retry_wait", "_retry_codes", "_session"):
        if not hasattr(client, name):
            raise ConfigError(
                f"alpaca-py's RESTClient has no attribute {name!r}: this SDK version is not "
                "supported (its internal retries could not be disabled)",
                hint="install the alpaca-py version pinned in pyproject.toml",
            )
    client._retry = 0
    client._retry_wait = 0
    client._retry_codes = []
    old = client._session
    client._session = _timeout_session(timeout_s)
    old.close()
    return client


class HttpFailure(Exception):  # noqa: N818 - an internal outcome, mapped before it escapes
    """Alpaca answered with an error status. Internal: each operation maps it to the right
    public error (a 5xx means different things to a submit and to a read)."""

    def __init__(self, status: int, message: str, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message
        self.retry_after = retry_after

    @property
    def is_duplicate_client_id(self) -> bool:
        text = self.message.lower()
        return self.status == 422 and "client_order_id" in text and "unique" in text

    def as_read_error(self, what: str) -> BrokerError:
        text = f"Alpaca {what} failed: HTTP {self.status} {self.message}"
        if self.status == 429:
            return RateLimitedError(text, retry_after=self.retry_after)
        if self.status in _RETRYABLE_READ_STATUSES:
            return BrokerUnavailableError(text)
        if self.status == 401:
            return BrokerError(
                text,
                hint="check APCA_API_KEY_ID / APCA_API_SECRET_KEY (paper keys work only with "
                "NT_ALPACA_PAPER=true)",
            )
        return BrokerError(text)


class TransportFailure(Exception):  # noqa: N818 - an internal outcome, mapped before it escapes
    """No HTTP answer. ``sent`` is False only when the request provably never left (the
    connection was refused or never opened), the one case a submit is known not to exist."""

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.message = message
        self.sent = sent


def _never_sent(exc: requests.RequestException) -> bool:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError) and exc.args:
        reason = exc.args[0]
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        return isinstance(reason, NewConnectionError)
    return False


def _retry_after(response: requests.Response | None) -> float | None:
    """``Retry-After`` in seconds (the HTTP-date form is not used by Alpaca and is ignored).

    ``X-RateLimit-Reset`` is deliberately not used: it is an epoch second on Alpaca's clock,
    and turning it into a wait needs our clock to agree with theirs.
    """
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _api_message(exc: APIError) -> str:
    """Alpaca's ``{"code": ..., "message": ...}`` message, else the body's first 200 chars."""
    text = str(exc)
    try:
        body = json.loads(text)
    except ValueError:
        return redact(text[:200])
    if isinstance(body, dict) and body.get("message"):
        return redact(str(body["message"]))
    return redact(text[:200])


class AlpacaRest:
    """One Alpaca REST client behind the token bucket, a worker thread and the error mapping.

    Shared by the broker, the bars client and the instrument provider so all three speak to
    Alpaca the same way (and, given the same bucket, stay inside one quota together).
    """

    def __init__(
        self,
        client: RESTClient,
        bucket: TokenBucket,
        *,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        read_attempts: int = 4,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.sleep = sleep
        self.rng = rng if rng is not None else random.Random()
        self.read_attempts = read_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay

    async def send(self, fn: Callable[[], Any], what: str) -> Any:
        """One request: a token, then ``fn`` in a worker thread. Raises :class:`HttpFailure`
        or :class:`TransportFailure`; never retries."""
        await self.bucket.acquire()
        try:
            return await asyncio.to_thread(fn)
        except APIError as exc:
            status = exc.status_code
            response = exc.response
            raise HttpFailure(
                int(status) if status is not None else 0,
                _api_message(exc),
                _retry_after(response if isinstance(response, requests.Response) else None),
            ) from None
        except requests.RequestException as exc:
            kind = type(exc).__name__
            raise TransportFailure(
                redact(f"Alpaca {what}: {kind}"), sent=not _never_sent(exc)
            ) from None

    async def read(self, fn: Callable[[], Any], what: str, *, none_on_404: bool = False) -> Any:
        """A read, retried on temporary failures (429 honouring Retry-After, 5xx, timeouts)."""

        async def once() -> Any:
            try:
                return await self.send(fn, what)
            except HttpFailure as exc:
                if none_on_404 and exc.status == 404:
                    return None
                raise exc.as_read_error(what) from None
            except TransportFailure as exc:
                raise BrokerUnavailableError(f"{exc.message} (no answer; will retry)") from None

        return await retry_read(
            once,
            attempts=self.read_attempts,
            base_delay=self.base_delay,
            max_delay=self.max_delay,
            sleep=self.sleep,
            rng=self.rng,
        )

    def backoff(self, attempt: int) -> float:
        return backoff_delay(
            attempt, base_delay=self.base_delay, max_delay=self.max_delay, rng=self.rng
        )

    def close(self) -> None:
        session = getattr(self.client, "_session", None)
        if isinstance(session, requests.Session):
            session.close()


def _as_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BrokerError(f"Alpaca {what}: expected a JSON object, got {type(value).__name__}")
    return value


def _as_list(value: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BrokerError(f"Alpaca {what}: expected a JSON array of objects")
    return value


def make_trading_client(config: AlpacaConfig) -> TradingClient:
    """alpaca-py's ``TradingClient`` for ``config``: raw JSON, our base URL, hardened."""
    key, secret = config.key_pair()
    client = TradingClient(
        key, secret, paper=config.paper, raw_data=True, url_override=config.trading_base_url
    )
    harden_rest_client(client, config.timeout_s)
    return client


# --------------------------------------------------------------------------- broker


class AlpacaBroker(Broker):
    """One Alpaca account (paper unless the config is live and ``NT_LIVE_TRADING`` is on)."""

    name = "alpaca"

    def __init__(
        self,
        config: AlpacaConfig,
        *,
        bucket: TokenBucket | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        clock: Clock | None = None,
        open_stream_on_connect: bool = True,
    ) -> None:
        self.config = config
        self.is_live = config.is_live
        self.bucket = bucket if bucket is not None else TokenBucket(config.rate_per_minute)
        self._client = make_trading_client(config)
        self.rest = AlpacaRest(self._client, self.bucket, sleep=sleep, rng=rng)
        self._sleep = sleep
        self._clock: Clock = clock if clock is not None else LiveClock()
        self._open_stream_on_connect = open_stream_on_connect
        self._pending_ws: ClientConnection | None = None
        self._streams: set[ClientConnection] = set()
        self._client_ids: OrderedDict[str, str] = OrderedDict()  # venue id -> client id

    # -- lifecycle -----------------------------------------------------------------------

    async def connect(self) -> None:
        """Check the keys (``GET /v2/account``) and open the trade-updates stream, so that
        updates for the first order are not missed while :meth:`reports` is being started."""
        await self.account()
        if self._open_stream_on_connect and self._pending_ws is None:
            self._pending_ws = await self._open_stream()

    async def close(self) -> None:
        conns = list(self._streams)
        if self._pending_ws is not None:
            conns.append(self._pending_ws)
            self._pending_ws = None
        for ws in conns:
            await ws.close()
        self._streams.clear()
        self.rest.close()

    # -- orders --------------------------------------------------------------------------

    async def submit_order(self, request: OrderRequest) -> OrderStatusReport:
        """``POST /v2/orders`` once; again only after a 429 (see the module table)."""
        cid = request.client_order_id
        body = order_body(request)
        what = f"submit of order {cid}"
        attempt = 0
        while True:
            attempt += 1
            try:
                raw = await self.rest.send(lambda: self._client.post("/orders", body), what)
            except HttpFailure as exc:
                if exc.status == 429:
                    if attempt > SUBMIT_RATE_LIMIT_RESENDS:
                        raise OrderRejectedError(
                            f"Alpaca rate-limited order {cid} {attempt} times; it was not placed",
                            reason=f"rate limited (HTTP 429): {exc.message}",
                        ) from None
                    wait = self._resend_wait(exc, attempt)
                    log.warning(
                        "Alpaca answered 429 to order %s; resending with the same client id "
                        "in %.2fs (attempt %d)",
                        cid,
                        wait,
                        attempt + 1,
                    )
                    await self._sleep(wait)
                    continue
                if exc.is_duplicate_client_id:
                    return await self._existing_order(request, exc.message)
                if exc.status in _UNKNOWN_OUTCOME_STATUSES:
                    raise SendOutcomeUnknown(
                        f"Alpaca did not confirm order {cid} (HTTP {exc.status} {exc.message}): "
                        "it may exist; it stays in flight until the stream, get_order or "
                        "reconciliation settles it"
                    ) from None
                raise OrderRejectedError(
                    f"Alpaca rejected order {cid}: {exc.message} (HTTP {exc.status})",
                    reason=exc.message or f"HTTP {exc.status}",
                ) from None
            except TransportFailure as exc:
                if not exc.sent:
                    raise OrderRejectedError(
                        f"order {cid} was not sent: Alpaca could not be reached ({exc.message})",
                        reason="not sent: broker unreachable",
                    ) from None
                raise SendOutcomeUnknown(
                    f"no answer from Alpaca for order {cid} ({exc.message}): it may exist; it "
                    "stays in flight until the stream, get_order or reconciliation settles it"
                ) from None
            report = parse_order(_as_dict(raw, what), ts_init=self._now())
            self._remember(report)
            return report

    async def _existing_order(self, request: OrderRequest, message: str) -> OrderStatusReport:
        """Alpaca says the client id is taken: our earlier send of this very order got through
        (a resend after 429, or a restart after an unknown outcome). Return that order if it
        *is* this order (same symbol, side, quantity); refuse otherwise."""
        cid = request.client_order_id
        try:
            existing = await self.get_order(cid)
        except BrokerError as exc:
            raise SendOutcomeUnknown(
                f"Alpaca says order {cid} exists but it could not be fetched ({exc.message})"
            ) from None
        if existing is None:
            raise SendOutcomeUnknown(
                f"Alpaca says client id {cid} is taken ({message}) but has no such order yet"
            )
        if (existing.symbol, existing.side, existing.quantity) != (
            request.symbol,
            request.side,
            request.quantity,
        ):
            raise OrderRejectedError(
                f"client order id {cid} is already used at Alpaca by a different order "
                f"({existing.side} {existing.quantity} {existing.symbol})",
                reason=f"duplicate client order id: {message}",
            )
        log.info("order %s already existed at Alpaca; using its report", cid)
        return existing

    async def cancel_order(self, client_order_id: str, venue_order_id: str | None = None) -> None:
        """``DELETE /v2/orders/{id}``, resolving the venue id by client id when not given.

        A cancel is idempotent at Alpaca, so a 429 is resent like a read; a 5xx or timeout is
        :class:`SendOutcomeUnknown` (the stream or a query tells whether it took).
        """
        cid = client_order_id
        vid = venue_order_id or self._venue_id(cid)
        if vid is None:
            found = await self.get_order(cid)
            if found is None:
                raise OrderRejectedError(
                    f"cannot cancel order {cid}: Alpaca has no such order",
                    reason="order not found",
                )
            vid = found.venue_order_id
        path = f"/orders/{quote(vid, safe='')}"
        what = f"cancel of order {cid}"
        attempt = 0
        while True:
            attempt += 1
            try:
                await self.rest.send(lambda: self._client.delete(path), what)
                return
            except HttpFailure as exc:
                if exc.status == 429 and attempt <= SUBMIT_RATE_LIMIT_RESENDS:
                    wait = self._resend_wait(exc, attempt)
                    await self._sleep(wait)
                    continue
                if exc.status in _UNKNOWN_OUTCOME_STATUSES:
                    raise SendOutcomeUnknown(
                        f"Alpaca did not confirm the cancel of order {cid} "
                        f"(HTTP {exc.status} {exc.message})"
                    ) from None
                if exc.status == 429:
                    raise RateLimitedError(
                        f"Alpaca rate-limited the cancel of order {cid}; nothing was canceled",
                        retry_after=exc.retry_after,
                    ) from None
                raise OrderRejectedError(
                    f"Alpaca refused to cancel order {cid}: {exc.message} (HTTP {exc.status})",
                    reason=exc.message or f"HTTP {exc.status}",
                ) from None
            except TransportFailure as exc:
                if not exc.sent:
                    raise BrokerUnavailableError(
                        f"cancel of order {cid} was not sent ({exc.message}); safe to retry"
                    ) from None
                raise SendOutcomeUnknown(
                    f"no answer from Alpaca for the cancel of order {cid} ({exc.message})"
                ) from None

    async def get_order(self, client_order_id: str) -> OrderStatusReport | None:
        """``GET /v2/orders:by_client_order_id``; ``None`` on 404 (Alpaca has no such order)."""
        raw = await self.rest.read(
            lambda: self._client.get_order_by_client_id(client_order_id),
            f"lookup of order {client_order_id}",
            none_on_404=True,
        )
        if raw is None:
            return None
        report = parse_order(_as_dict(raw, "order lookup"), ts_init=self._now())
        self._remember(report)
        return report

    async def open_orders(self) -> list[OrderStatusReport]:
        """``GET /v2/orders?status=open``, newest first in pages of 500 walked back with
        ``until`` (Alpaca's orders endpoint has no page token)."""
        params: dict[str, Any] = {
            "status": "open",
            "limit": _ORDERS_PAGE_LIMIT,
            "direction": "desc",
            "nested": "false",
        }
        seen: dict[str, OrderStatusReport] = {}
        while True:
            page = _as_list(await self._get("/orders", params, "open orders"), "open orders")
            fresh = 0
            ts_init = self._now()
            for raw in page:
                report = parse_order(raw, ts_init=ts_init)
                if report.venue_order_id not in seen:
                    fresh += 1
                    seen[report.venue_order_id] = report
                    self._remember(report)
            if len(page) < _ORDERS_PAGE_LIMIT or fresh == 0:
                break
            params["until"] = page[-1].get("submitted_at")
        return list(seen.values())

    async def fills(self, since_ns: int = 0) -> list[FillReport]:
        """``GET /v2/account/activities/FILL`` from ``since_ns`` on, oldest first, paged with
        ``page_token`` (the last activity id of the page).

        The window opens :data:`FILLS_LOOKBACK_NS` (1 s) before ``since_ns``: Alpaca writes
        the same execution's time with microseconds on the stream but milliseconds in the
        activity, so a caller passing the stream's ``ts_event`` would otherwise miss that very
        fill. The few earlier fills this can return are harmless (the journal dedupes by trade
        id); a missed one is not. Activities name the order by venue id only; the client id
        comes from the orders we have seen, else ``GET /v2/orders/{id}``.
        """
        floor = max(since_ns - FILLS_LOOKBACK_NS, 0) if since_ns > 0 else 0
        params: dict[str, Any] = {"direction": "asc", "page_size": _FILLS_PAGE_SIZE}
        if floor > 0:
            params["after"] = format_rfc3339(floor - 1)  # ``after`` is exclusive
        out: list[FillReport] = []
        seen: set[str] = set()
        while True:
            page = _as_list(
                await self._get("/account/activities/FILL", params, "fill activities"),
                "fill activities",
            )
            ts_init = self._now()
            for raw in page:
                cid = await self._client_id_of(str(raw.get("order_id", "")))
                fill = parse_fill_activity(raw, client_order_id=cid, ts_init=ts_init)
                if fill.ts_event >= floor and fill.trade_id not in seen:
                    seen.add(fill.trade_id)
                    out.append(fill)
            if len(page) < _FILLS_PAGE_SIZE:
                break
            params["page_token"] = page[-1]["id"]
        out.sort(key=lambda f: (f.ts_event, f.trade_id))
        return out

    async def positions(self) -> list[PositionReport]:
        raw = await self.rest.read(self._client.get_all_positions, "positions")
        ts = self._now()
        out: list[PositionReport] = []
        for item in _as_list(raw, "positions"):
            pos = parse_position(item)
            if pos.quantity != 0:
                out.append(replace(pos, ts_event=ts))
        return out

    async def account(self) -> AccountReport:
        raw = await self.rest.read(self._client.get_account, "account")
        return parse_account(_as_dict(raw, "account"), ts_event=self._now())

    async def clock(self) -> AlpacaClock:
        """``GET /v2/clock``: Alpaca's time and the next open/close."""
        raw = await self.rest.read(self._client.get_clock, "clock")
        return parse_clock(_as_dict(raw, "clock"))

    async def calendar(self, start: date, end: date) -> list[AlpacaSession]:
        """``GET /v2/calendar``: the trading sessions from ``start`` to ``end`` inclusive."""
        params = {"start": start.isoformat(), "end": end.isoformat()}
        raw = await self.rest.read(lambda: self._client.get("/calendar", params), "calendar")
        return [parse_calendar_day(d) for d in _as_list(raw, "calendar")]

    # -- stream --------------------------------------------------------------------------

    async def reports(self) -> AsyncIterator[ExecutionReport]:
        """The trade-updates stream as reports: one status report per event, plus a fill
        report for ``fill`` / ``partial_fill``. Repeats and reorderings pass through (the
        journal dedupes by trade id). Ends with :class:`BrokerUnavailableError` when the
        connection drops or a frame cannot be read.

        Uses the connection :meth:`connect` opened, if any, else opens one when first
        iterated. After a drop: ``await connect()`` (reopens at once), gap-fill with
        :meth:`fills`, then iterate ``reports()`` again; reopening first leaves no window in
        which an update could be missed."""
        ws = self._pending_ws or await self._open_stream()
        self._pending_ws = None
        self._streams.add(ws)
        try:
            while True:
                try:
                    frame = await ws.recv()
                except ConnectionClosed as exc:
                    code = exc.rcvd.code if exc.rcvd else "none"
                    raise BrokerUnavailableError(
                        f"Alpaca trade-updates stream closed (code {code}); "
                        "gap-fill with fills() and open a new stream"
                    ) from None
                try:
                    msg = json.loads(frame)
                    if not isinstance(msg, dict) or msg.get("stream") != "trade_updates":
                        continue
                    data = msg.get("data")
                    if not isinstance(data, Mapping):
                        raise BrokerError("trade update without data")
                    reports = parse_trade_update(data, ts_init=self._now())
                except (ValueError, BrokerError) as exc:
                    # Dropping a frame could drop a fill; ending the stream makes the consumer
                    # gap-fill through fills(), which recovers whatever the frame said.
                    raise BrokerUnavailableError(
                        redact(f"unreadable Alpaca trade update ({exc}); gap-fill with fills()")
                    ) from None
                for report in reports:
                    if isinstance(report, OrderStatusReport):
                        self._remember(report)
                    yield report
        finally:
            self._streams.discard(ws)
            await ws.close()

    async def _open_stream(self) -> ClientConnection:
        """Connect, authenticate and listen to ``trade_updates``; return the open socket."""
        endpoint = self.config.trading_stream_endpoint
        timeout = self.config.timeout_s
        try:
            ws = await ws_connect(endpoint, open_timeout=timeout, max_size=2**22)
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
            raise BrokerUnavailableError(
                redact(f"cannot open the Alpaca trade-updates stream: {type(exc).__name__}: {exc}")
            ) from None
        key, secret = self.config.key_pair()
        try:
            await ws.send(json.dumps({"action": "auth", "key": key, "secret": secret}))
            reply = await self._recv_json(ws, timeout)
            data = reply.get("data") if reply.get("stream") == "authorization" else None
            if not isinstance(data, dict) or data.get("status") != "authorized":
                raise BrokerError(
                    "Alpaca refused the trade-updates stream credentials",
                    hint="check APCA_API_KEY_ID / APCA_API_SECRET_KEY and NT_ALPACA_PAPER",
                )
            await ws.send(json.dumps({"action": "listen", "data": {"streams": ["trade_updates"]}}))
            while True:
                ack = await self._recv_json(ws, timeout)
                if ack.get("stream") == "listening":
                    streams = (ack.get("data") or {}).get("streams") or []
                    if "trade_updates" not in streams:
                        raise BrokerError("Alpaca did not grant the trade_updates stream")
                    return ws
        except (ConnectionClosed, TimeoutError, ValueError) as exc:
            await ws.close()
            raise BrokerUnavailableError(
                redact(f"Alpaca trade-updates handshake failed: {type(exc).__name__}")
            ) from None
        except BrokerError:
            await ws.close()
            raise

    @staticmethod
    async def _recv_json(ws: ClientConnection, timeout: float) -> dict[str, Any]:
        frame = await asyncio.wait_for(ws.recv(), timeout)
        msg = json.loads(frame)
        if not isinstance(msg, dict):
            raise ValueError("expected a JSON object")
        return msg

    # -- helpers -------------------------------------------------------------------------

    def _now(self) -> int:
        """Our clock (``ts_init``; never compared with Alpaca's ``ts_event``)."""
        return self._clock.timestamp_ns()

    async def _get(self, path: str, params: dict[str, Any], what: str) -> Any:
        """A paged read: ``params`` is copied now, so the caller may change it for the next
        page while this one is still in the worker thread."""
        snapshot = dict(params)
        return await self.rest.read(lambda: self._client.get(path, snapshot), what)

    def _resend_wait(self, exc: HttpFailure, attempt: int) -> float:
        return exc.retry_after if exc.retry_after is not None else self.rest.backoff(attempt)

    # -- ids -----------------------------------------------------------------------------

    def _remember(self, report: OrderStatusReport) -> None:
        self._client_ids[report.venue_order_id] = report.client_order_id
        self._client_ids.move_to_end(report.venue_order_id)
        while len(self._client_ids) > _ID_CACHE_SIZE:
            self._client_ids.popitem(last=False)

    def _venue_id(self, client_order_id: str) -> str | None:
        for vid, cid in reversed(self._client_ids.items()):
            if cid == client_order_id:
                return vid
        return None

    async def _client_id_of(self, venue_order_id: str) -> str:
        cid = self._client_ids.get(venue_order_id)
        if cid is not None:
            return cid
        path = f"/orders/{quote(venue_order_id, safe='')}"
        raw = await self.rest.read(
            lambda: self._client.get(path), f"lookup of order {venue_order_id}", none_on_404=True
        )
        if raw is None:
            log.warning("fill for unknown Alpaca order %s: no client order id", venue_order_id)
            return ""
        report = parse_order(_as_dict(raw, "order lookup"), ts_init=self._now())
        self._remember(report)
        return report.client_order_id
