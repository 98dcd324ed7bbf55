"""A local fake of Alpaca: trading and market-data REST, the trade-updates stream and the
MessagePack market-data stream, on 127.0.0.1 with no network beyond it.

It is built from Alpaca's documented paths and payloads (field names exactly as Alpaca writes
them; shapes cross-checked against alpaca-py's models and tests), so the adapter is tested
against the wire format it will meet, through the real SDK and a real socket, not against
mocks of our own functions.

Design:

* **HTTP** is a ``ThreadingHTTPServer`` in a daemon thread on port 0 (no new dependency); one
  lock guards the state, so concurrent requests see a consistent account.
* **Websockets** run on a ``websockets`` asyncio server in a second thread with its own loop.
  Each listening connection owns a queue; the HTTP threads enqueue frames with
  ``call_soon_threadsafe``, which keeps the order in which events happened.
* **A small exchange**: market orders fill at the price set with :meth:`set_price` (fully, or
  in the chunks given to :meth:`script_partial_fills`), limit and stop orders rest until
  :meth:`set_price` reaches them, bracket legs wait ("held") for their parent and cancel each
  other. Every change emits ``trade_updates`` (binary frames, as the paper endpoint sends) and
  moves positions, cash and the FILL activities.
* **Faults are scripted**: :class:`Fault` answers the nth call of a route with a status
  (429 with Retry-After, 5xx), before or *after* applying the request (the "order exists but
  the answer was 504" case), or late. Stream faults: drop the connection after k frames, send
  every fill frame twice, send a fill before its order's "new". ``clock_offset_s`` skews every
  timestamp the server writes.
* **Everything is recorded** (:attr:`requests`), so a test asserts that ``POST /v2/orders`` was
  called exactly once.

Teardown is bounded: :meth:`stop` interrupts scripted delays, closes both servers and joins
their threads with timeouts.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fnmatch
import json
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import parse_qs, unquote, urlsplit

import msgpack
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from neural_trader.adapters.alpaca.config import AlpacaConfig
from neural_trader.adapters.alpaca.parsing import NEW_YORK, parse_rfc3339_ns

__all__ = ["FakeAlpacaServer", "Fault", "RecordedRequest"]

_NS: Final = 1_000_000_000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_OPEN_STATUSES: Final = frozenset(
    {
        "new",
        "accepted",
        "pending_new",
        "partially_filled",
        "held",
        "pending_cancel",
        "pending_replace",
        "accepted_for_bidding",
        "stopped",
        "done_for_day",
        "calculated",
        "suspended",
    }
)
_TIFS: Final = frozenset({"day", "gtc", "opg", "cls", "ioc", "fok"})
_TYPES: Final = frozenset({"market", "limit", "stop", "stop_limit"})
_ZERO: Final = Decimal(0)


def _dec(d: Decimal) -> str:
    return format(d, "f")


def _iso(ts_ns: int, digits: int = 6) -> str:
    """UTC RFC 3339 with ``digits`` fractional digits and ``Z`` (orders use microseconds)."""
    seconds, frac = divmod(ts_ns, _NS)
    stamp = (_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{str(frac).zfill(9)[:digits]}Z"


def _iso_ny(ts_ns: int) -> str:
    """New York wall time with its offset and nanoseconds, as ``/v2/clock`` answers."""
    seconds, frac = divmod(ts_ns, _NS)
    local = (_EPOCH + timedelta(seconds=seconds)).astimezone(NEW_YORK)
    offset = local.strftime("%z")
    return f"{local.strftime('%Y-%m-%dT%H:%M:%S')}.{frac:09d}{offset[:3]}:{offset[3:]}"


@dataclass
class Fault:
    """A scripted misbehaviour of one route.

    ``path`` is an ``fnmatch`` pattern on the request path (``/v2/orders``, ``/v2/orders/*``).
    It fires on calls ``nth`` .. ``nth + times - 1`` of that method and path. ``status`` answers
    that HTTP status (with ``Retry-After: retry_after`` when given) instead of the real answer;
    with ``apply_first`` the request takes effect first (the order is created) and only the
    answer is lost. ``delay_s`` holds the answer back that long (past the client's timeout, it
    becomes a timeout).
    """

    method: str
    path: str
    nth: int = 1
    times: int = 1
    status: int | None = None
    retry_after: float | None = None
    apply_first: bool = False
    delay_s: float = 0.0
    message: str = "internal server error"
    seen: int = 0

    def matches(self, method: str, path: str) -> bool:
        return self.method.upper() == method and fnmatch.fnmatchcase(path, self.path)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


@dataclass
class _Order:
    id: str
    client_order_id: str
    symbol: str
    asset_id: str
    side: str
    type: str
    time_in_force: str
    qty: Decimal
    limit_price: Decimal | None
    stop_price: Decimal | None
    order_class: str
    status: str
    created_at: int
    updated_at: int
    filled_qty: Decimal = _ZERO
    filled_value: Decimal = _ZERO
    filled_at: int | None = None
    canceled_at: int | None = None
    legs: list[str] = field(default_factory=list)
    parent: str | None = None
    triggered: bool = False

    @property
    def is_open(self) -> bool:
        return self.status in _OPEN_STATUSES

    @property
    def remaining(self) -> Decimal:
        return self.qty - self.filled_qty


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer

    def do_GET(self) -> None:
        self.server.fake._handle(self, "GET")

    def do_POST(self) -> None:
        self.server.fake._handle(self, "POST")

    def do_DELETE(self) -> None:
        self.server.fake._handle(self, "DELETE")

    def do_PATCH(self) -> None:
        self.server.fake._handle(self, "PATCH")

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: test output stays readable (every request is in ``fake.requests``)."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeAlpacaServer


class FakeAlpacaServer:
    """A fake Alpaca account and market on loopback. Use as a context manager."""

    def __init__(
        self,
        key_id: str = "PKFAKEKEY0001",
        secret_key: str = "fake-secret-0123456789",
        *,
        cash: Decimal | str = "100000",
        clock_offset_s: float = 0.0,
        bar_page_size: int = 10_000,
    ) -> None:
        self.key_id = key_id
        self.secret_key = secret_key
        self.clock_offset_s = clock_offset_s
        self.bar_page_size = bar_page_size
        self.account_id = str(uuid.uuid4())
        self.cash = Decimal(str(cash))
        self.prices: dict[str, Decimal] = {}
        self.orders: dict[str, _Order] = {}
        self.positions: dict[str, tuple[Decimal, Decimal]] = {}  # symbol -> (signed qty, avg)
        self.activities: list[dict[str, Any]] = []
        self.assets: list[dict[str, Any]] = []
        self.calendar: list[dict[str, str]] = []
        self.bars: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.clock_is_open = True
        self.next_open: str | None = None
        self.next_close: str | None = None
        self.faults: list[Fault] = []
        self.requests: list[RecordedRequest] = []
        # stream faults
        self.drop_trading_after: int | None = None
        self.duplicate_fill_frames = False
        self.fill_before_new = False
        self.text_frames = False
        self.drop_data_after: int | None = None

        self._partial_plans: dict[str, list[Decimal]] = {}
        self._by_client: dict[str, str] = {}
        self._events: list[dict[str, Any]] = []
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._listeners_changed = threading.Condition()
        self._trade_queues: list[asyncio.Queue[bytes | str]] = []
        self._data_subs: list[tuple[asyncio.Queue[bytes], set[str], set[str]]] = []
        self._httpd: _HTTPServer | None = None
        self._http_thread: threading.Thread | None = None
        self._ws_loop: asyncio.AbstractEventLoop | None = None
        self._ws_thread: threading.Thread | None = None
        self._ws_server: Server | None = None
        self._ws_port = 0

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        httpd.fake = self
        self._httpd = httpd
        self._http_thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._http_thread.start()

        loop = asyncio.new_event_loop()
        self._ws_loop = loop
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                self._ws_server = loop.run_until_complete(self._open_ws())
                self._ws_port = self._ws_server.sockets[0].getsockname()[1]
            except BaseException as exc:  # reported to start(), which raises it
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

        self._ws_thread = threading.Thread(target=run, daemon=True)
        self._ws_thread.start()
        if not ready.wait(5.0):
            self.stop()
            raise RuntimeError("fake Alpaca websocket server did not start within 5 s")
        if failure:
            self.stop()
            raise failure[0]
        return self

    async def _open_ws(self) -> Server:
        return await serve(self._ws_handler, "127.0.0.1", 0, max_size=2**20)

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._http_thread is not None:
            self._http_thread.join(2.0)
        loop = self._ws_loop
        if loop is not None and loop.is_running():

            async def close_ws() -> None:
                if self._ws_server is not None:
                    self._ws_server.close()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._ws_server.wait_closed(), 2.0)

            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(close_ws(), loop).result(3.0)
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(loop.stop)
        if self._ws_thread is not None:
            self._ws_thread.join(3.0)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ addresses

    @property
    def http_url(self) -> str:
        assert self._httpd is not None, "start the server first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self._ws_port}"

    @property
    def trading_stream_url(self) -> str:
        return f"{self.ws_url}/stream"

    def config(self, **overrides: Any) -> AlpacaConfig:
        """An :class:`AlpacaConfig` pointing every endpoint at this server."""
        values: dict[str, Any] = {
            "api_key_id": self.key_id,
            "api_secret_key": self.secret_key,
            "paper": True,
            "trading_url": self.http_url,
            "data_url": self.http_url,
            "stream_url": self.trading_stream_url,
            "data_stream_url": self.ws_url,
            "feed": "iex",
            "timeout_s": 2.0,
        }
        values.update(overrides)
        return AlpacaConfig(**values)

    # ------------------------------------------------------------------ test controls

    def now_ns(self) -> int:
        """The server's clock: ours plus ``clock_offset_s`` (a skewed broker clock)."""
        return time.time_ns() + int(self.clock_offset_s * _NS)

    def calls(self, method: str, path: str) -> int:
        """How many requests ``method path`` (an fnmatch pattern) received."""
        return sum(
            1
            for r in list(self.requests)
            if r.method == method.upper() and fnmatch.fnmatchcase(r.path, path)
        )

    def add_fault(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def reset(self) -> None:
        """Forget orders, fills, positions, bars, faults and recorded requests (one server per
        test module; each test starts from a clean account)."""
        with self._lock:
            self.orders.clear()
            self._by_client.clear()
            self.positions.clear()
            self.activities.clear()
            self.faults.clear()
            self.requests.clear()
            self.prices.clear()
            self.bars.clear()
            self._partial_plans.clear()
            self.cash = Decimal("100000")
            self.clock_offset_s = 0.0
            self.bar_page_size = 10_000
            self.clock_is_open = True
            self.next_open = None
            self.next_close = None
            self.drop_trading_after = None
            self.duplicate_fill_frames = False
            self.fill_before_new = False
            self.text_frames = False
            self.drop_data_after = None

    def set_price(self, symbol: str, price: Decimal | str | float) -> None:
        """Set the last price; resting orders it reaches fill (and emit their updates)."""
        with self._lock:
            self.prices[symbol] = Decimal(str(price))
            for order in sorted(self.orders.values(), key=lambda o: o.created_at):
                if order.symbol == symbol and order.is_open:
                    self._match(order)
            self._flush()

    def script_partial_fills(self, symbol: str, chunks: Iterable[Decimal | str | int]) -> None:
        """The next order on ``symbol`` that executes fills in these chunks (capped at what is
        left); if they add up to less than its quantity it stays partially filled."""
        with self._lock:
            self._partial_plans[symbol] = [Decimal(str(c)) for c in chunks]

    def add_asset(
        self,
        symbol: str,
        *,
        exchange: str = "NASDAQ",
        fractionable: bool = True,
        tradable: bool = True,
        shortable: bool = True,
        asset_class: str = "us_equity",
        **extra: Any,
    ) -> dict[str, Any]:
        asset = {
            "id": str(uuid.uuid4()),
            "class": asset_class,
            "exchange": exchange,
            "symbol": symbol,
            "name": f"{symbol} Inc. Common Stock",
            "status": "active",
            "tradable": tradable,
            "marginable": True,
            "maintenance_margin_requirement": 30,
            "shortable": shortable,
            "easy_to_borrow": shortable,
            "fractionable": fractionable,
            "attributes": [],
            **extra,
        }
        with self._lock:
            self.assets.append(asset)
        return asset

    def add_bars(self, symbol: str, timeframe: str, bars: Iterable[Mapping[str, Any]]) -> None:
        """Store bars (``t`` RFC 3339, ``o h l c v`` and optionally ``n vw``) for
        ``GET /v2/stocks/bars``."""
        with self._lock:
            store = self.bars.setdefault((symbol, timeframe), [])
            store.extend(dict(b) for b in bars)
            store.sort(key=lambda b: parse_rfc3339_ns(b["t"]))

    def wait_for_trade_listeners(self, n: int = 1, timeout: float = 5.0) -> None:
        self._wait(lambda: len(self._trade_queues) >= n, timeout, "trade-updates listeners")

    def wait_for_data_subscribers(
        self, n: int = 1, timeout: float = 5.0, *, exactly: bool = False
    ) -> None:
        """Block until ``n`` market-data connections are subscribed (``exactly``: no more,
        e.g. ``n=0`` waits until a previous test's connections are gone)."""
        if exactly:
            self._wait(lambda: len(self._data_subs) == n, timeout, f"exactly {n} subscribers")
        else:
            self._wait(lambda: len(self._data_subs) >= n, timeout, "market-data subscribers")

    def _wait(self, predicate: Any, timeout: float, what: str) -> None:
        with self._listeners_changed:
            if not self._listeners_changed.wait_for(predicate, timeout):
                raise TimeoutError(f"fake Alpaca: no {what} after {timeout} s")

    def push_bar(
        self,
        symbol: str,
        o: float,
        h: float,
        lo: float,
        c: float,
        v: float,
        *,
        ts_ns: int | None = None,
        record: bool = True,
    ) -> None:
        """Broadcast one minute bar (``T: b``) to the subscribers of ``symbol``'s bars.

        With ``record`` the bar also joins ``GET /v2/stocks/bars`` history (``1Min``), as a
        completed bar does at Alpaca; that is what a client gap-fills from after a drop."""
        ts = ts_ns if ts_ns is not None else self.now_ns() // (60 * _NS) * 60 * _NS
        if record:
            self.add_bars(
                symbol, "1Min", [{"t": _iso(ts), "o": o, "h": h, "l": lo, "c": c, "v": v}]
            )
        msg = {
            "T": "b",
            "S": symbol,
            "o": o,
            "h": h,
            "l": lo,
            "c": c,
            "v": v,
            "t": msgpack.Timestamp.from_unix_nano(ts),
            "n": 10,
            "vw": (o + c) / 2,
        }
        self._push_data(symbol, "bars", [msg])

    def push_quote(
        self,
        symbol: str,
        bid: float,
        ask: float,
        *,
        bid_size: float = 100,
        ask_size: float = 100,
        ts_ns: int | None = None,
    ) -> None:
        """Broadcast one quote (``T: q``) to the subscribers of ``symbol``'s quotes."""
        msg = {
            "T": "q",
            "S": symbol,
            "bx": "V",
            "bp": bid,
            "bs": bid_size,
            "ax": "V",
            "ap": ask,
            "as": ask_size,
            "t": msgpack.Timestamp.from_unix_nano(ts_ns if ts_ns is not None else self.now_ns()),
            "c": ["R"],
            "z": "C",
        }
        self._push_data(symbol, "quotes", [msg])

    def _push_data(self, symbol: str, channel: str, messages: list[dict[str, Any]]) -> None:
        frame = msgpack.packb(messages)
        loop = self._ws_loop
        assert loop is not None
        with self._listeners_changed:
            for queue, bars, quotes in self._data_subs:
                wanted = bars if channel == "bars" else quotes
                if symbol in wanted or "*" in wanted:
                    loop.call_soon_threadsafe(queue.put_nowait, frame)

    # ------------------------------------------------------------------ HTTP plumbing

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        path = unquote(parts.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        raw_body = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = raw_body.decode(errors="replace")
        headers = {k: v for k, v in handler.headers.items()}
        with self._lock:
            self.requests.append(RecordedRequest(method, path, query, body, headers))
            fault = self._fault_for(method, path)
        if (
            handler.headers.get("APCA-API-KEY-ID") != self.key_id
            or handler.headers.get("APCA-API-SECRET-KEY") != self.secret_key
        ):
            self._respond(handler, 401, {"code": 40110000, "message": "request is not authorized"})
            return
        if fault is not None and not fault.apply_first:
            if fault.delay_s:
                self._stop.wait(fault.delay_s)
            if fault.status is not None:
                self._respond_fault(handler, fault)
                return
        with self._lock:
            try:
                status, payload = self._route(method, path, query, body)
            except _ApiError as err:
                status, payload = err.status, {"code": err.code, "message": err.message}
            self._flush()
        if fault is not None and fault.apply_first:
            if fault.delay_s:
                self._stop.wait(fault.delay_s)
            if fault.status is not None:
                self._respond_fault(handler, fault)
                return
        self._respond(handler, status, payload)

    def _fault_for(self, method: str, path: str) -> Fault | None:
        """Every matching fault counts the call; the first one whose window it is fires."""
        chosen = None
        for fault in self.faults:
            if fault.matches(method, path):
                fault.seen += 1
                active = fault.nth <= fault.seen < fault.nth + fault.times
                if active and chosen is None:
                    chosen = fault
        return chosen

    def _respond_fault(self, handler: BaseHTTPRequestHandler, fault: Fault) -> None:
        assert fault.status is not None
        message = "too many requests" if fault.status == 429 else fault.message
        extra = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
        self._respond(
            handler, fault.status, {"code": fault.status * 100000, "message": message}, extra
        )

    @staticmethod
    def _respond(
        handler: BaseHTTPRequestHandler,
        status: int,
        payload: Any,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        data = b"" if status == 204 or payload is None else json.dumps(payload).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            for k, v in (extra_headers or {}).items():
                handler.send_header(k, v)
            handler.end_headers()
            if data:
                handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing to tell it

    # ------------------------------------------------------------------ routes

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        segs = [s for s in path.split("/") if s]
        if not segs or segs[0] != "v2":
            raise _ApiError(404, 40410000, "endpoint not found")
        rest = segs[1:]
        if method == "GET" and rest == ["account"]:
            return 200, self._account_json()
        if method == "GET" and rest == ["positions"]:
            return 200, [self._position_json(s) for s in sorted(self.positions)]
        if method == "GET" and len(rest) == 2 and rest[0] == "positions":
            if rest[1] not in self.positions:
                raise _ApiError(404, 40410000, "position does not exist")
            return 200, self._position_json(rest[1])
        if rest == ["orders"]:
            if method == "POST":
                return 200, self._create_order(body)
            if method == "GET":
                return 200, self._list_orders(query)
            if method == "DELETE":
                return 207, self._cancel_all()
        if method == "GET" and rest == ["orders:by_client_order_id"]:
            oid = self._by_client.get(query.get("client_order_id", ""))
            if oid is None:
                raise _ApiError(404, 40410000, "order not found")
            return 200, self._order_json(self.orders[oid], nested=True)
        if len(rest) == 2 and rest[0] == "orders":
            order = self.orders.get(rest[1])
            if order is None:
                raise _ApiError(404, 40410000, "order not found")
            if method == "GET":
                return 200, self._order_json(order, nested=True)
            if method == "DELETE":
                self._cancel(order)
                return 204, None
        if method == "GET" and rest[:2] == ["account", "activities"]:
            kinds = rest[2:] or query.get("activity_types", "").split(",")
            if kinds != ["FILL"]:
                return 200, []
            return 200, self._activities(query)
        if method == "GET" and rest == ["clock"]:
            return 200, self._clock_json()
        if method == "GET" and rest == ["calendar"]:
            start, end = query.get("start", "0000"), query.get("end", "9999")
            return 200, [d for d in self.calendar if start <= d["date"] <= end]
        if method == "GET" and rest == ["assets"]:
            return 200, [
                a
                for a in self.assets
                if query.get("status") in (None, a["status"])
                and query.get("asset_class") in (None, a["class"])
            ]
        if method == "GET" and len(rest) == 2 and rest[0] == "assets":
            for a in self.assets:
                if rest[1] in (a["symbol"], a["id"]):
                    return 200, a
            raise _ApiError(404, 40410000, "asset not found")
        if method == "GET" and rest == ["stocks", "bars"]:
            return 200, self._bars(query.get("symbols", "").split(","), query)
        if method == "GET" and len(rest) == 3 and rest[0] == "stocks" and rest[2] == "bars":
            page = self._bars([rest[1]], query)
            return 200, {
                "bars": page["bars"].get(rest[1], []),
                "symbol": rest[1],
                "next_page_token": page["next_page_token"],
            }
        raise _ApiError(404, 40410000, "endpoint not found")

    # ------------------------------------------------------------------ account

    def _market_value(self, symbol: str, qty: Decimal, avg: Decimal) -> Decimal:
        return qty * self.prices.get(symbol, avg)

    def _account_json(self) -> dict[str, Any]:
        long_mv = sum(
            (self._market_value(s, q, a) for s, (q, a) in self.positions.items() if q > 0), _ZERO
        )
        short_mv = sum(
            (self._market_value(s, q, a) for s, (q, a) in self.positions.items() if q < 0), _ZERO
        )
        equity = self.cash + long_mv + short_mv
        buying_power = max(self.cash, _ZERO)
        return {
            "id": self.account_id,
            "account_number": "PA3FAKE00001",
            "status": "ACTIVE",
            "crypto_status": "ACTIVE",
            "currency": "USD",
            "buying_power": _dec(buying_power),
            "regt_buying_power": _dec(buying_power),
            "daytrading_buying_power": "0",
            "non_marginable_buying_power": _dec(buying_power),
            "cash": _dec(self.cash),
            "accrued_fees": "0",
            "pending_transfer_in": "0",
            "portfolio_value": _dec(equity),
            "pattern_day_trader": False,
            "trading_blocked": False,
            "transfers_blocked": False,
            "account_blocked": False,
            "created_at": _iso(self.now_ns() - 86_400 * _NS),
            "trade_suspended_by_user": False,
            "multiplier": "1",
            "shorting_enabled": True,
            "equity": _dec(equity),
            "last_equity": _dec(equity),
            "long_market_value": _dec(long_mv),
            "short_market_value": _dec(short_mv),
            "initial_margin": "0",
            "maintenance_margin": "0",
            "last_maintenance_margin": "0",
            "sma": "0",
            "daytrade_count": 0,
        }

    def _position_json(self, symbol: str) -> dict[str, Any]:
        qty, avg = self.positions[symbol]
        price = self.prices.get(symbol, avg)
        market_value = qty * price
        cost_basis = qty * avg
        upl = market_value - cost_basis
        return {
            "asset_id": self._asset_id(symbol),
            "symbol": symbol,
            "exchange": "NASDAQ",
            "asset_class": "us_equity",
            "asset_marginable": True,
            "avg_entry_price": _dec(avg),
            "qty": _dec(qty),
            "qty_available": _dec(qty),
            "side": "long" if qty > 0 else "short",
            "market_value": _dec(market_value),
            "cost_basis": _dec(cost_basis),
            "unrealized_pl": _dec(upl),
            "unrealized_plpc": _dec(upl / abs(cost_basis)) if cost_basis else "0",
            "unrealized_intraday_pl": _dec(upl),
            "unrealized_intraday_plpc": "0",
            "current_price": _dec(price),
            "lastday_price": _dec(price),
            "change_today": "0",
        }

    def _asset_id(self, symbol: str) -> str:
        for a in self.assets:
            if a["symbol"] == symbol:
                return str(a["id"])
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"alpaca-fake/{symbol}"))

    def _clock_json(self) -> dict[str, Any]:
        now = self.now_ns()
        return {
            "timestamp": _iso_ny(now),
            "is_open": self.clock_is_open,
            "next_open": self.next_open or _iso_ny(now + 20 * 3600 * _NS),
            "next_close": self.next_close or _iso_ny(now + 3600 * _NS),
        }

    # ------------------------------------------------------------------ orders

    def _order_json(self, o: _Order, *, nested: bool) -> dict[str, Any]:
        avg = o.filled_value / o.filled_qty if o.filled_qty else None
        legs = [self._order_json(self.orders[i], nested=True) for i in o.legs] if nested else None
        return {
            "id": o.id,
            "client_order_id": o.client_order_id,
            "created_at": _iso(o.created_at),
            "updated_at": _iso(o.updated_at),
            "submitted_at": _iso(o.created_at),
            "filled_at": _iso(o.filled_at) if o.filled_at else None,
            "expired_at": None,
            "canceled_at": _iso(o.canceled_at) if o.canceled_at else None,
            "failed_at": None,
            "replaced_at": None,
            "replaced_by": None,
            "replaces": None,
            "asset_id": o.asset_id,
            "symbol": o.symbol,
            "asset_class": "us_equity",
            "notional": None,
            "qty": _dec(o.qty),
            "filled_qty": _dec(o.filled_qty),
            "filled_avg_price": _dec(avg) if avg is not None else None,
            "order_class": o.order_class,
            "order_type": o.type,
            "type": o.type,
            "side": o.side,
            "position_intent": "buy_to_open" if o.side == "buy" else "sell_to_close",
            "time_in_force": o.time_in_force,
            "limit_price": _dec(o.limit_price) if o.limit_price is not None else None,
            "stop_price": _dec(o.stop_price) if o.stop_price is not None else None,
            "status": o.status,
            "extended_hours": False,
            "legs": legs or None,
            "trail_percent": None,
            "trail_price": None,
            "hwm": None,
        }

    def _create_order(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise _ApiError(422, 40010001, "request body format is invalid")
        symbol = str(body.get("symbol") or "")
        side = body.get("side")
        otype = body.get("type") or body.get("order_type")
        tif = body.get("time_in_force")
        if not symbol:
            raise _ApiError(422, 40010001, "symbol is required")
        if side not in ("buy", "sell"):
            raise _ApiError(422, 40010001, "side must be buy or sell")
        if otype not in _TYPES:
            raise _ApiError(422, 40010001, f"invalid order type {otype!r}")
        if tif not in _TIFS:
            raise _ApiError(422, 40010001, "invalid time_in_force")
        qty = _body_decimal(body, "qty")
        if qty is None or qty <= 0:
            raise _ApiError(422, 40010001, "qty must be > 0")
        limit = _body_decimal(body, "limit_price")
        stop = _body_decimal(body, "stop_price")
        if otype in ("limit", "stop_limit") and limit is None:
            raise _ApiError(422, 40010001, "limit_price is required")
        if otype in ("stop", "stop_limit") and stop is None:
            raise _ApiError(422, 40010001, "stop_price is required")
        asset = next((a for a in self.assets if a["symbol"] == symbol), None)
        if self.assets and asset is None:
            raise _ApiError(422, 40010001, f'asset "{symbol}" not found')
        if qty != qty.to_integral_value() and asset is not None and not asset["fractionable"]:
            raise _ApiError(422, 40310000, f"asset {symbol} is not fractionable")
        order_class = str(body.get("order_class") or "")
        tp = _leg_price(body.get("take_profit"), "limit_price")
        sl = _leg_price(body.get("stop_loss"), "stop_price")
        if order_class == "bracket" and (tp is None or sl is None):
            raise _ApiError(
                422, 40010001, "bracket orders must specify both take_profit and stop_loss"
            )
        if order_class == "oto" and (tp is None) == (sl is None):
            raise _ApiError(422, 40010001, "oto orders must specify take_profit or stop_loss")
        if order_class in ("bracket", "oto") and tp is not None and sl is not None:
            ordered = tp > sl if side == "buy" else tp < sl
            if not ordered:
                raise _ApiError(
                    422, 40010001, "take_profit.limit_price must be beyond stop_loss.stop_price"
                )
        cid = str(body.get("client_order_id") or uuid.uuid4())
        if cid in self._by_client:
            raise _ApiError(422, 40010001, "client_order_id must be unique")
        reference = limit or self.prices.get(symbol) or stop
        if side == "buy" and reference is not None and qty * reference > self.cash:
            raise _ApiError(403, 40310000, "insufficient buying power")

        now = self.now_ns()
        order = _Order(
            id=str(uuid.uuid4()),
            client_order_id=cid,
            symbol=symbol,
            asset_id=self._asset_id(symbol),
            side=side,
            type=otype,
            time_in_force=tif,
            qty=qty,
            limit_price=limit,
            stop_price=stop,
            order_class=order_class if order_class in ("bracket", "oto", "oco") else "",
            status="accepted",
            created_at=now,
            updated_at=now,
        )
        self._add(order)
        exit_side = "sell" if side == "buy" else "buy"
        for kind, price in (("limit", tp), ("stop", sl)):
            if price is None:
                continue
            leg = _Order(
                id=str(uuid.uuid4()),
                client_order_id=str(uuid.uuid4()),
                symbol=symbol,
                asset_id=order.asset_id,
                side=exit_side,
                type=kind,
                time_in_force=tif,
                qty=qty,
                limit_price=price if kind == "limit" else None,
                stop_price=price if kind == "stop" else None,
                order_class=order.order_class,
                status="held",
                created_at=now,
                updated_at=now,
                parent=order.id,
            )
            self._add(leg)
            order.legs.append(leg.id)
        answer = self._order_json(order, nested=True)
        self._set_status(order, "new", "new")
        self._match(order)
        return answer

    def _add(self, order: _Order) -> None:
        self.orders[order.id] = order
        self._by_client[order.client_order_id] = order.id

    def _list_orders(self, query: dict[str, str]) -> list[dict[str, Any]]:
        status = query.get("status", "open")
        nested = query.get("nested", "false").lower() == "true"
        limit = min(int(query.get("limit", "50")), 500)
        after = parse_rfc3339_ns(query["after"]) if query.get("after") else None
        until = parse_rfc3339_ns(query["until"]) if query.get("until") else None
        symbols = set(query["symbols"].split(",")) if query.get("symbols") else None
        chosen = []
        for o in self.orders.values():
            if status == "open" and not o.is_open:
                continue
            if status == "closed" and o.is_open:
                continue
            if nested and o.parent is not None:
                continue
            if symbols is not None and o.symbol not in symbols:
                continue
            if after is not None and o.created_at <= after:
                continue
            if until is not None and o.created_at >= until:
                continue
            chosen.append(o)
        chosen.sort(key=lambda o: o.created_at, reverse=query.get("direction", "desc") == "desc")
        return [self._order_json(o, nested=nested) for o in chosen[:limit]]

    def _cancel(self, order: _Order) -> None:
        if not order.is_open:
            raise _ApiError(422, 42210000, "order is not cancelable")
        self._set_status(order, "canceled", "canceled")
        for leg_id in order.legs:
            leg = self.orders[leg_id]
            if leg.is_open:
                self._set_status(leg, "canceled", "canceled")

    def _cancel_all(self) -> list[dict[str, Any]]:
        out = []
        for order in list(self.orders.values()):
            if order.is_open and order.parent is None:
                self._cancel(order)
                out.append({"id": order.id, "status": 200})
        return out

    def _set_status(self, order: _Order, status: str, event: str) -> None:
        now = self.now_ns()
        order.status = status
        order.updated_at = now
        if status == "canceled":
            order.canceled_at = now
        self._emit(event, order, now)

    # ------------------------------------------------------------------ matching

    def _match(self, order: _Order) -> None:
        """Fill ``order`` if the current price reaches it."""
        price = self.prices.get(order.symbol)
        if price is None or not order.is_open or order.status == "held":
            return
        buy = order.side == "buy"
        if order.type in ("stop", "stop_limit") and not order.triggered:
            assert order.stop_price is not None
            if not (price >= order.stop_price if buy else price <= order.stop_price):
                return
            order.triggered = True
        if order.type in ("limit", "stop_limit"):
            assert order.limit_price is not None
            if not (price <= order.limit_price if buy else price >= order.limit_price):
                return
        chunks = self._partial_plans.pop(order.symbol, None) or [order.remaining]
        for chunk in chunks:
            qty = min(chunk, order.remaining)
            if qty <= 0:
                break
            self._fill(order, qty, price)
        if order.remaining == 0:
            self._after_filled(order)

    def _fill(self, order: _Order, qty: Decimal, price: Decimal) -> None:
        now = self.now_ns()
        order.filled_qty += qty
        order.filled_value += qty * price
        order.updated_at = now
        full = order.remaining == 0
        order.status = "filled" if full else "partially_filled"
        if full:
            order.filled_at = now
        signed = qty if order.side == "buy" else -qty
        held, avg = self.positions.get(order.symbol, (_ZERO, _ZERO))
        new_qty = held + signed
        if held == 0 or (held > 0) == (signed > 0):
            avg = (abs(held) * avg + qty * price) / abs(new_qty)
        elif new_qty != 0 and (new_qty > 0) != (held > 0):
            avg = price  # flipped through flat: the new position's entry is this fill
        if new_qty == 0:
            self.positions.pop(order.symbol, None)
        else:
            self.positions[order.symbol] = (new_qty, avg)
        self.cash -= signed * price
        execution_id = str(uuid.uuid4())
        compact = datetime.fromtimestamp(now // _NS, UTC).astimezone(NEW_YORK)
        activity_id = f"{compact.strftime('%Y%m%d%H%M%S')}{(now // 1_000_000) % 1000:03d}"
        self.activities.append(
            {
                "id": f"{activity_id}::{execution_id}",
                "activity_type": "FILL",
                "transaction_time": _iso(now, 3),
                "type": "fill" if full else "partial_fill",
                "price": _dec(price),
                "qty": _dec(qty),
                "side": order.side,
                "symbol": order.symbol,
                "leaves_qty": _dec(order.remaining),
                "order_id": order.id,
                "cum_qty": _dec(order.filled_qty),
                "order_status": order.status,
            }
        )
        self._emit(
            "fill" if full else "partial_fill",
            order,
            now,
            execution_id=execution_id,
            price=_dec(price),
            qty=_dec(qty),
            position_qty=_dec(new_qty),
        )

    def _after_filled(self, order: _Order) -> None:
        """A filled parent releases its legs; a filled leg cancels its sibling (OCO)."""
        for leg_id in order.legs:
            leg = self.orders[leg_id]
            if leg.status == "held":
                self._set_status(leg, "new", "new")
        for leg_id in order.legs:
            self._match(self.orders[leg_id])
        if order.parent is not None:
            for sibling_id in self.orders[order.parent].legs:
                sibling = self.orders[sibling_id]
                if sibling.id != order.id and sibling.is_open:
                    self._set_status(sibling, "canceled", "canceled")

    # ------------------------------------------------------------------ activities, bars

    def _activities(self, query: dict[str, str]) -> list[dict[str, Any]]:
        # Stable on time alone: fills in the same millisecond keep the order they happened in.
        items = sorted(self.activities, key=lambda a: parse_rfc3339_ns(a["transaction_time"]))
        if query.get("after"):
            after = parse_rfc3339_ns(query["after"])
            items = [a for a in items if parse_rfc3339_ns(a["transaction_time"]) > after]
        if query.get("until"):
            until = parse_rfc3339_ns(query["until"])
            items = [a for a in items if parse_rfc3339_ns(a["transaction_time"]) < until]
        if query.get("direction", "desc") == "desc":
            items.reverse()
        token = query.get("page_token")
        if token:
            ids = [a["id"] for a in items]
            items = items[ids.index(token) + 1 :] if token in ids else []
        size = min(int(query.get("page_size", "100")), 100)
        return items[:size]

    def _bars(self, symbols: list[str], query: dict[str, str]) -> dict[str, Any]:
        timeframe = query.get("timeframe", "1Day")
        start = parse_rfc3339_ns(query["start"]) if query.get("start") else None
        end = parse_rfc3339_ns(query["end"]) if query.get("end") else None
        flat: list[tuple[str, dict[str, Any]]] = []
        for sym in sorted(s for s in symbols if s):
            for bar in self.bars.get((sym, timeframe), []):
                t = parse_rfc3339_ns(bar["t"])
                if (start is None or t >= start) and (end is None or t <= end):
                    flat.append((sym, bar))
        offset = 0
        if query.get("page_token"):
            offset = int(base64.urlsafe_b64decode(query["page_token"]).decode())
        size = min(int(query.get("limit") or 1000), 10_000, self.bar_page_size)
        page = flat[offset : offset + size]
        out: dict[str, list[dict[str, Any]]] = {}
        for sym, bar in page:
            out.setdefault(sym, []).append(bar)
        more = offset + size < len(flat)
        token = base64.urlsafe_b64encode(str(offset + size).encode()).decode() if more else None
        return {"bars": out, "next_page_token": token}

    # ------------------------------------------------------------------ trade updates

    def _emit(self, event: str, order: _Order, ts_ns: int, **extra: Any) -> None:
        data = {
            "event": event,
            "timestamp": _iso(ts_ns),
            "order": self._order_json(order, nested=True),
        }
        data.update(extra)
        # Alpaca stamps every event with an execution id; fills pass the one their FILL
        # activity id carries, so the stream and REST name an execution alike.
        data.setdefault("execution_id", str(uuid.uuid4()))
        self._events.append({"stream": "trade_updates", "data": data})

    def _flush(self) -> None:
        """Send the events of one request, applying the scripted stream faults."""
        events, self._events = self._events, []
        if not events:
            return
        if self.fill_before_new:
            news = [e for e in events if e["data"]["event"] == "new"]
            rest = [e for e in events if e["data"]["event"] != "new"]
            events = rest + news
        frames: list[bytes | str] = []
        for event in events:
            text = json.dumps(event)
            frame: bytes | str = text if self.text_frames else text.encode()
            frames.append(frame)
            if self.duplicate_fill_frames and event["data"]["event"] in ("fill", "partial_fill"):
                frames.append(frame)
        loop = self._ws_loop
        if loop is None:
            return
        with self._listeners_changed:
            for queue in self._trade_queues:
                for frame in frames:
                    loop.call_soon_threadsafe(queue.put_nowait, frame)

    # ------------------------------------------------------------------ websockets

    async def _ws_handler(self, ws: ServerConnection) -> None:
        path = ws.request.path if ws.request is not None else ""
        if path.startswith("/stream"):
            await self._trading_connection(ws)
        elif path.startswith("/v2/"):
            await self._data_connection(ws)
        else:
            await ws.close(1008, "unknown path")

    def _credentials_ok(self, msg: dict[str, Any]) -> bool:
        if msg.get("action") == "auth":
            key, secret = msg.get("key"), msg.get("secret")
        elif msg.get("action") == "authenticate":
            data = msg.get("data") or {}
            key, secret = data.get("key_id"), data.get("secret_key")
        else:
            return False
        return key == self.key_id and secret == self.secret_key

    async def _trading_connection(self, ws: ServerConnection) -> None:
        queue: asyncio.Queue[bytes | str] = asyncio.Queue()
        sender: asyncio.Task[None] | None = None
        authorized = False

        async def reply(obj: dict[str, Any]) -> None:
            text = json.dumps(obj)
            await ws.send(text if self.text_frames else text.encode())

        try:
            async for raw in ws:
                try:
                    msg = json.loads(raw)
                except ValueError:
                    continue
                action = msg.get("action")
                if action in ("auth", "authenticate"):
                    authorized = self._credentials_ok(msg)
                    status = "authorized" if authorized else "unauthorized"
                    data: dict[str, Any] = {"action": "authenticate", "status": status}
                    if not authorized:
                        data["message"] = "access key verification failed"
                    await reply({"stream": "authorization", "data": data})
                    if not authorized:
                        await ws.close(1008, "unauthorized")
                        return
                elif action == "listen" and authorized:
                    streams = [
                        s for s in msg.get("data", {}).get("streams", []) if s == "trade_updates"
                    ]
                    # Register before acknowledging: an event right after the client saw
                    # "listening" must not be lost. The sender starts after the ack, so the
                    # ack still comes first.
                    if streams and sender is None:
                        with self._listeners_changed:
                            self._trade_queues.append(queue)
                            self._listeners_changed.notify_all()
                    await reply({"stream": "listening", "data": {"streams": streams}})
                    if streams and sender is None:
                        sender = asyncio.create_task(self._trading_sender(ws, queue))
        except ConnectionClosed:
            pass
        finally:
            with self._listeners_changed:
                if queue in self._trade_queues:
                    self._trade_queues.remove(queue)
                self._listeners_changed.notify_all()
            if sender is not None:
                sender.cancel()

    async def _trading_sender(
        self, ws: ServerConnection, queue: asyncio.Queue[bytes | str]
    ) -> None:
        sent = 0
        with contextlib.suppress(ConnectionClosed):
            while True:
                frame = await queue.get()
                await ws.send(frame)
                sent += 1
                if self.drop_trading_after is not None and sent >= self.drop_trading_after:
                    await asyncio.sleep(0.05)  # let the frames already sent reach the client
                    ws.transport.abort()  # no close frame: a dropped connection
                    return

    async def _data_connection(self, ws: ServerConnection) -> None:
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        bars: set[str] = set()
        quotes: set[str] = set()
        entry = (queue, bars, quotes)
        sender: asyncio.Task[None] | None = None
        authed = False
        try:
            await ws.send(msgpack.packb([{"T": "success", "msg": "connected"}]))
            async for raw in ws:
                try:
                    msg = msgpack.unpackb(raw) if isinstance(raw, bytes) else json.loads(raw)
                except Exception:  # a garbled frame: Alpaca answers with an error, so do we
                    await ws.send(
                        msgpack.packb([{"T": "error", "code": 400, "msg": "invalid syntax"}])
                    )
                    continue
                action = msg.get("action") if isinstance(msg, dict) else None
                if action == "auth":
                    if not self._credentials_ok(msg):
                        await ws.send(
                            msgpack.packb([{"T": "error", "code": 402, "msg": "auth failed"}])
                        )
                        await ws.close(1008, "auth failed")
                        return
                    authed = True
                    await ws.send(msgpack.packb([{"T": "success", "msg": "authenticated"}]))
                elif action == "subscribe":
                    if not authed:
                        await ws.send(
                            msgpack.packb([{"T": "error", "code": 401, "msg": "not authenticated"}])
                        )
                        continue
                    with self._listeners_changed:  # registered before the ack (see above)
                        bars.update(msg.get("bars") or [])
                        quotes.update(msg.get("quotes") or [])
                        if entry not in self._data_subs:
                            self._data_subs.append(entry)
                            self._listeners_changed.notify_all()
                    await ws.send(
                        msgpack.packb(
                            [
                                {
                                    "T": "subscription",
                                    "trades": [],
                                    "quotes": sorted(quotes),
                                    "bars": sorted(bars),
                                    "updatedBars": [],
                                    "dailyBars": [],
                                    "statuses": [],
                                    "lulds": [],
                                    "corrections": [],
                                    "cancelErrors": [],
                                }
                            ]
                        )
                    )
                    if sender is None:
                        sender = asyncio.create_task(self._data_sender(ws, queue))
        except ConnectionClosed:
            pass
        finally:
            with self._listeners_changed:
                if entry in self._data_subs:
                    self._data_subs.remove(entry)
                self._listeners_changed.notify_all()
            if sender is not None:
                sender.cancel()

    async def _data_sender(self, ws: ServerConnection, queue: asyncio.Queue[bytes]) -> None:
        sent = 0
        with contextlib.suppress(ConnectionClosed):
            while True:
                frame = await queue.get()
                await ws.send(frame)
                sent += 1
                if self.drop_data_after is not None and sent >= self.drop_data_after:
                    await asyncio.sleep(0.05)
                    ws.transport.abort()
                    return


class _ApiError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _body_decimal(body: Mapping[str, Any], key: str) -> Decimal | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise _ApiError(422, 40010001, f"{key} is not a number") from None
    if not d.is_finite():
        raise _ApiError(422, 40010001, f"{key} is not a number")
    return d


def _leg_price(leg: Any, key: str) -> Decimal | None:
    if leg is None:
        return None
    if not isinstance(leg, dict):
        raise _ApiError(422, 40010001, f"{key} leg must be an object")
    return _body_decimal(leg, key)
