"""Alpaca market data: historical bars over REST, live bars and quotes over a websocket.

Historical bars come from ``GET /v2/stocks/bars`` through alpaca-py's
``StockHistoricalDataClient`` (hardened like the trading client: no internal retries, a
timeout, our token bucket). We walk ``next_page_token`` ourselves rather than let the SDK do
it, so each page is one paced, individually retried request: a 429 on page 7 retries page 7,
not the whole download.

Labels follow the platform convention (docs/decisions/0003): intraday bars keep Alpaca's label,
the bar's start instant; daily and weekly bars, which Alpaca stamps at midnight New York time
(``05:00Z`` or ``04:00Z``), become midnight UTC of that New York date.

The live stream (``wss://stream.data.alpaca.markets/v2/{feed}``) speaks **MessagePack**, as
alpaca-py's ``StockDataStream`` does: frames are arrays of messages keyed by ``T`` (``b`` bar,
``q`` quote), timestamps are MessagePack Timestamp extensions. A tick that cannot be real (a
NaN, a non-positive price, a crossed quote, a high below its low) is logged with the reason and
dropped; the stream goes on, because one bad print must not stop a strategy's data.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Final, Literal, Self

import msgpack
import numpy as np
import pandas as pd
from alpaca.data.historical.stock import StockHistoricalDataClient
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from neural_trader.adapters.alpaca.config import AlpacaConfig
from neural_trader.adapters.alpaca.execution import AlpacaRest, harden_rest_client
from neural_trader.adapters.alpaca.parsing import NEW_YORK, format_rfc3339, parse_rfc3339_ns
from neural_trader.core.clock import Clock
from neural_trader.core.data import Bar, BarBatch, BarSpec, BarUnit, QuoteTick
from neural_trader.core.errors import (
    BrokerError,
    BrokerUnavailableError,
    InvalidArgumentError,
    ProviderError,
    TemporaryProviderError,
)
from neural_trader.data.providers.base import (
    ProviderUnknownSymbolError,
    check_range,
    clip_to_range,
)
from neural_trader.data.schema import BAR_COLUMNS, TS, empty_bar_frame, frame_to_batch
from neural_trader.execution.feeds import LiveBarFeed
from neural_trader.execution.throttle import Sleep, TokenBucket
from neural_trader.ops.logging import redact

__all__ = ["AlpacaBarsClient", "AlpacaMarketStream", "alpaca_bar_feed", "alpaca_timeframe"]

log = logging.getLogger(__name__)

Adjustment = Literal["raw", "split", "dividend", "all"]
MarketEvent = Bar | QuoteTick

_PAGE_LIMIT: Final = 10_000  # Alpaca's maximum bars per page
_DAY_NS: Final = 86_400 * 1_000_000_000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE_BAR: Final = BarSpec(1, BarUnit.MINUTE)
_SUPPORTED: Final = tuple(
    BarSpec.parse(s) for s in ("1m", "5m", "15m", "30m", "1h", "2h", "4h", "1d", "1w")
)


def alpaca_timeframe(spec: BarSpec) -> str:
    """Our bar spec as Alpaca's ``timeframe`` parameter: ``5Min``, ``1Hour``, ``1Day``...

    Alpaca aggregates 1-59 minutes, 1-23 hours, one day and one week; anything else is refused
    here rather than sent and refused there.
    """
    n, unit = spec.step, spec.unit
    if unit is BarUnit.MINUTE and 1 <= n <= 59:
        return f"{n}Min"
    if unit is BarUnit.HOUR and 1 <= n <= 23:
        return f"{n}Hour"
    if unit is BarUnit.DAY and n == 1:
        return "1Day"
    if unit is BarUnit.WEEK and n == 1:
        return "1Week"
    raise InvalidArgumentError(f"Alpaca has no {spec} bars; it aggregates 1-59m, 1-23h, 1d and 1w")


def _session_label(ts_ns: int) -> int:
    """Midnight UTC of the New York date of ``ts_ns`` (the daily-bar label convention)."""
    local = (_EPOCH + timedelta(microseconds=ts_ns // 1_000)).astimezone(NEW_YORK)
    return (local.toordinal() - _EPOCH.toordinal()) * _DAY_NS


class AlpacaBarsClient:
    """Historical stock bars from Alpaca as canonical bar frames.

    Satisfies :class:`~neural_trader.data.providers.base.HistoricalProvider` (``fetch_bars`` is
    synchronous, for the CLI and the catalog importer); :meth:`fetch_bars_async` is the same
    download for code already inside an event loop.
    """

    name = "alpaca"

    def __init__(
        self,
        config: AlpacaConfig,
        *,
        bucket: TokenBucket | None = None,
        adjustment: Adjustment = "raw",
        page_limit: int = _PAGE_LIMIT,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not 1 <= page_limit <= _PAGE_LIMIT:
            raise InvalidArgumentError(f"page_limit must be 1..{_PAGE_LIMIT}, got {page_limit}")
        self.config = config
        self.adjustment = adjustment
        self.page_limit = page_limit
        key, secret = config.key_pair()
        client = StockHistoricalDataClient(
            key, secret, raw_data=True, url_override=config.data_base_url
        )
        harden_rest_client(client, config.timeout_s)
        self._client = client
        self.bucket = bucket if bucket is not None else TokenBucket(config.rate_per_minute)
        self.rest = AlpacaRest(client, self.bucket, sleep=sleep, rng=rng)

    def supported_specs(self) -> tuple[BarSpec, ...]:
        return _SUPPORTED

    def fetch_bars(self, symbol: str, spec: BarSpec, start_ns: int, end_ns: int) -> pd.DataFrame:
        """The bars of ``symbol`` with ``start_ns <= ts_event <= end_ns`` (both inclusive)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.fetch_bars_async(symbol, spec, start_ns, end_ns))
        raise InvalidArgumentError(
            "AlpacaBarsClient.fetch_bars blocks; inside an event loop await fetch_bars_async"
        )

    async def fetch_bars_async(
        self, symbol: str, spec: BarSpec | str, start_ns: int, end_ns: int
    ) -> pd.DataFrame:
        """Download every page of ``GET /v2/stocks/bars`` for the range; a canonical frame."""
        spec = BarSpec.parse(spec)
        check_range(start_ns, end_ns)
        timeframe = alpaca_timeframe(spec)
        session_bars = not spec.is_intraday
        # Alpaca stamps a daily bar at New York midnight, after our UTC-midnight label, so the
        # query end reaches one bar further and the clip below trims on our labels.
        query_end = end_ns + spec.nanos if session_bars else end_ns
        params: dict[str, Any] = {
            "symbols": symbol,
            "timeframe": timeframe,
            "start": format_rfc3339(start_ns),
            "end": format_rfc3339(query_end),
            "limit": self.page_limit,
            "adjustment": self.adjustment,
            "feed": self.config.feed,
            "sort": "asc",
        }
        rows: list[tuple[int, float, float, float, float, float]] = []
        while True:
            page = await self._page(symbol, params)
            for bar in _page_bars(page, symbol):
                ts = parse_rfc3339_ns(bar["t"])
                if session_bars:
                    ts = _session_label(ts)
                rows.append(
                    (
                        ts,
                        float(bar["o"]),
                        float(bar["h"]),
                        float(bar["l"]),
                        float(bar["c"]),
                        float(bar.get("v") or 0.0),
                    )
                )
            token = page.get("next_page_token")
            if not token:
                break
            params["page_token"] = token
        if not rows:
            return empty_bar_frame()
        frame = pd.DataFrame(rows, columns=list(BAR_COLUMNS))
        frame = frame.astype({TS: np.int64})
        frame = frame.sort_values(TS, kind="stable").drop_duplicates(TS, keep="last")
        return clip_to_range(frame.reset_index(drop=True), start_ns, end_ns)

    async def fetch_batch_async(
        self, symbol: str, spec: BarSpec | str, start_ns: int, end_ns: int
    ) -> BarBatch:
        """The same bars as a :class:`BarBatch` (int64 ns, float64 columns)."""
        spec = BarSpec.parse(spec)
        return frame_to_batch(
            await self.fetch_bars_async(symbol, spec, start_ns, end_ns), symbol, spec
        )

    async def _page(self, symbol: str, params: dict[str, Any]) -> dict[str, Any]:
        snapshot = dict(params)
        try:
            page = await self.rest.read(
                lambda: self._client.get("/stocks/bars", snapshot), f"bars of {symbol}"
            )
        except BrokerUnavailableError as exc:
            raise TemporaryProviderError(f"alpaca: {exc.message}") from None
        except BrokerError as exc:
            if "symbol" in exc.message.lower():
                raise ProviderUnknownSymbolError("alpaca", symbol, exc.message) from None
            raise ProviderError(f"alpaca: {exc.message}", hint=exc.hint) from None
        if not isinstance(page, dict):
            raise ProviderError(f"alpaca: bars of {symbol}: expected a JSON object")
        return page

    def close(self) -> None:
        self.rest.close()


def _page_bars(page: dict[str, Any], symbol: str) -> list[dict[str, Any]]:
    """The bars of ``symbol`` in one page; ``bars`` is keyed by symbol (``null`` when empty)."""
    bars = page.get("bars") or {}
    if isinstance(bars, list):  # the single-symbol endpoint's shape
        return [b for b in bars if isinstance(b, dict)]
    if not isinstance(bars, dict):
        raise ProviderError("alpaca: bars page has an unexpected shape")
    items = bars.get(symbol) or []
    return [b for b in items if isinstance(b, dict)]


# --------------------------------------------------------------------------- live stream


def _ts_of(value: Any) -> int:
    """A MessagePack Timestamp (``to_unix_nano``) or an RFC 3339 string (JSON frames)."""
    to_ns = getattr(value, "to_unix_nano", None)
    if callable(to_ns):
        return int(to_ns())
    if isinstance(value, str):
        return parse_rfc3339_ns(value)
    raise ValueError(f"unreadable timestamp {value!r}")


def _number(msg: dict[str, Any], key: str) -> float:
    value = msg.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


def bar_problem(o: float, h: float, lo: float, c: float, v: float) -> str | None:
    """Why this bar cannot be real, or ``None``."""
    if not all(math.isfinite(x) for x in (o, h, lo, c, v)):
        return "a price or the volume is not a finite number"
    if min(o, h, lo, c) <= 0:
        return "a price is zero or negative"
    if v < 0:
        return "the volume is negative"
    if h < max(o, c, lo) or lo > min(o, c, h):
        return f"high {h} / low {lo} do not contain open {o} and close {c}"
    return None


def quote_problem(bid: float, ask: float, bid_size: float, ask_size: float) -> str | None:
    """Why this quote cannot be real, or ``None``. A locked quote (bid == ask) is allowed."""
    if not all(math.isfinite(x) for x in (bid, ask, bid_size, ask_size)):
        return "a price or size is not a finite number"
    if bid <= 0 or ask <= 0:
        return "a price is zero or negative"
    if bid_size < 0 or ask_size < 0:
        return "a size is negative"
    if bid > ask:
        return f"crossed: bid {bid} above ask {ask}"
    return None


class AlpacaMarketStream:
    """Live minute bars and quotes for ``bars`` / ``quotes`` symbols, as core objects.

    ``async with AlpacaMarketStream(cfg, bars=["AAPL"]) as s: async for item in s: ...``
    yields :class:`~neural_trader.core.data.Bar` (``1m``) and
    :class:`~neural_trader.core.data.QuoteTick`. ``connect`` returns once Alpaca acknowledged
    the subscription, so nothing pushed after it is missed. A dropped connection ends the
    iteration with :class:`TemporaryProviderError`; a refused login or subscription raises
    :class:`ProviderError`. ``rejected`` counts the ticks dropped as impossible.
    """

    def __init__(
        self,
        config: AlpacaConfig,
        *,
        bars: Sequence[str] = (),
        quotes: Sequence[str] = (),
    ) -> None:
        if not bars and not quotes:
            raise InvalidArgumentError("subscribe to at least one symbol's bars or quotes")
        self.config = config
        self.bars = list(bars)
        self.quotes = list(quotes)
        self.rejected = 0
        self._ws: ClientConnection | None = None

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open the socket, read the greeting, authenticate and subscribe."""
        if self._ws is not None:
            return
        endpoint = self.config.data_stream_endpoint
        timeout = self.config.timeout_s
        try:
            ws = await ws_connect(
                endpoint,
                additional_headers={"Content-Type": "application/msgpack"},
                open_timeout=timeout,
                max_size=2**22,
            )
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
            raise TemporaryProviderError(
                redact(f"alpaca: cannot open the market-data stream: {type(exc).__name__}: {exc}")
            ) from None
        key, secret = self.config.key_pair()
        try:
            greeting = await self._recv(ws, timeout)
            if not any(m.get("T") == "success" and m.get("msg") == "connected" for m in greeting):
                raise ProviderError("alpaca: the market-data stream sent no 'connected' greeting")
            await ws.send(msgpack.packb({"action": "auth", "key": key, "secret": secret}))
            auth = await self._recv(ws, timeout)
            self._raise_errors(auth, "login")
            if not any(m.get("T") == "success" and m.get("msg") == "authenticated" for m in auth):
                raise ProviderError("alpaca: the market-data stream did not confirm the login")
            await ws.send(
                msgpack.packb({"action": "subscribe", "bars": self.bars, "quotes": self.quotes})
            )
            while True:
                ack = await self._recv(ws, timeout)
                self._raise_errors(ack, "subscription")
                if any(m.get("T") == "subscription" for m in ack):
                    break
        except (ConnectionClosed, TimeoutError, ValueError) as exc:
            await ws.close()
            raise TemporaryProviderError(
                f"alpaca: market-data handshake failed: {type(exc).__name__}"
            ) from None
        except ProviderError:
            await ws.close()
            raise
        self._ws = ws

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    def __aiter__(self) -> AsyncIterator[MarketEvent]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[MarketEvent]:
        await self.connect()
        ws = self._ws
        assert ws is not None
        while True:
            try:
                frame = await ws.recv()
            except ConnectionClosed as exc:
                self._ws = None
                code = exc.rcvd.code if exc.rcvd else "none"
                raise TemporaryProviderError(
                    f"alpaca: market-data stream closed (code {code}); reconnect"
                ) from None
            try:
                messages = _decode(frame)
            except ValueError as exc:
                log.warning("alpaca: unreadable market-data frame dropped: %s", exc)
                continue
            self._raise_errors(messages, "stream")
            for msg in messages:
                event = self._convert(msg)
                if event is not None:
                    yield event

    def _convert(self, msg: dict[str, Any]) -> MarketEvent | None:
        kind = msg.get("T")
        if kind not in ("b", "q"):
            return None
        symbol = str(msg.get("S", ""))
        try:
            ts = _ts_of(msg.get("t"))
        except (ValueError, BrokerError) as exc:
            self._reject(kind, symbol, f"bad timestamp ({exc})")
            return None
        if kind == "b":
            o, h, lo, c, v = (_number(msg, k) for k in ("o", "h", "l", "c", "v"))
            problem = bar_problem(o, h, lo, c, v)
            if problem:
                self._reject(kind, symbol, problem)
                return None
            return Bar(symbol, _MINUTE_BAR, ts, o, h, lo, c, v)
        bid, ask = _number(msg, "bp"), _number(msg, "ap")
        bid_size, ask_size = _number(msg, "bs"), _number(msg, "as")
        problem = quote_problem(bid, ask, bid_size, ask_size)
        if problem:
            self._reject(kind, symbol, problem)
            return None
        return QuoteTick(symbol, ts, bid, ask, bid_size, ask_size)

    def _reject(self, kind: str, symbol: str, reason: str) -> None:
        self.rejected += 1
        what = "bar" if kind == "b" else "quote"
        log.warning("alpaca: rejected %s for %s: %s", what, symbol or "?", reason)

    @staticmethod
    def _raise_errors(messages: list[dict[str, Any]], during: str) -> None:
        for m in messages:
            if m.get("T") == "error":
                raise ProviderError(
                    redact(f"alpaca market-data {during} error {m.get('code')}: {m.get('msg')}")
                )

    @staticmethod
    async def _recv(ws: ClientConnection, timeout: float) -> list[dict[str, Any]]:
        return _decode(await asyncio.wait_for(ws.recv(), timeout))


def _decode(frame: bytes | str) -> list[dict[str, Any]]:
    """A frame (MessagePack bytes, or JSON text) to its list of message objects."""
    try:
        decoded = msgpack.unpackb(frame) if isinstance(frame, bytes) else json.loads(frame)
    except ValueError:
        raise
    except Exception as exc:  # msgpack raises its own ExtraData/FormatError/StackError
        raise ValueError(f"undecodable frame: {type(exc).__name__}") from None
    if isinstance(decoded, dict):
        decoded = [decoded]
    if not isinstance(decoded, list):
        raise ValueError("a frame must hold a message or a list of messages")
    return [m for m in decoded if isinstance(m, dict)]


def alpaca_bar_feed(
    config: AlpacaConfig,
    symbol: str,
    *,
    clock: Clock,
    warmup_bars: int = 0,
    reconnect_delays: Sequence[float] | None = None,
    max_reconnects: int | None = None,
) -> LiveBarFeed:
    """Live minute bars of ``symbol`` for the runner: the market-data stream, with history
    (warm-up and gap-fill) from ``GET /v2/stocks/bars`` on the same account and feed.

    Alpaca streams only minute bars, so a live run trades ``1m`` bars.
    """
    client = AlpacaBarsClient(config)

    async def history(start_ns: int, end_ns: int) -> pd.DataFrame:
        return await client.fetch_bars_async(symbol, _MINUTE_BAR, start_ns, end_ns)

    extra: dict[str, Any] = {}
    if reconnect_delays is not None:
        extra["reconnect_delays"] = reconnect_delays
    return LiveBarFeed(
        symbol=symbol,
        spec=_MINUTE_BAR,
        open_stream=lambda: AlpacaMarketStream(config, bars=[symbol]),
        fetch_history=history,
        clock=clock,
        warmup_bars=warmup_bars,
        max_reconnects=max_reconnects,
        **extra,
    )
