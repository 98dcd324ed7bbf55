"""Historical bars from Yahoo Finance, through ``yfinance``.

Yahoo has no official API: ``yfinance`` scrapes the ``/v8/finance/chart`` endpoint behind a
cookie and a "crumb" token. We use it (rather than our own HTTP client) because it tracks
Yahoo's frequent changes to that handshake; we wrap it because its failure modes are not ours:

* It hides most failures by default (logs and returns an empty frame) and, when asked to raise,
  reports an HTTP 503 and an unknown ticker alike as "possibly delisted; no timezone found".
  We therefore watch the HTTP exchanges on the session (status codes and paths only, never
  queries, which carry the crumb) and classify from what actually happened: 429 / 5xx /
  timeouts -> :class:`TemporaryProviderError` (retry), Yahoo's "not found" ->
  :class:`ProviderUnknownSymbolError`, anything else -> :class:`ProviderError` naming the symbol.
* Its timestamps are exchange-local. Daily and weekly bars become midnight UTC of the
  exchange-local session date (the platform's label convention); intraday bars become their
  start instant in UTC.
* ``yfinance`` keeps one process-wide client (a singleton holding the session, cookie and
  crumb), so fetches are serialised with a lock.

Secrets: the crumb and Yahoo's cookies are credentials of a sort. We never put them in a
message, and a logging filter on the ``yfinance`` logger redacts them from its own lines.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from neural_trader.core.data import BarSpec
from neural_trader.core.errors import (
    MissingDependencyError,
    ProviderError,
    TemporaryProviderError,
)
from neural_trader.data.providers.base import (
    ProviderUnknownSymbolError,
    check_range,
    check_spec,
    clip_to_range,
)
from neural_trader.data.schema import TS, empty_bar_frame, normalize_bar_frame

__all__ = ["YahooProvider"]

log = logging.getLogger(__name__)

_INTERVALS: Final[dict[BarSpec, str]] = {
    BarSpec.parse(spec): interval
    for spec, interval in (
        ("1m", "1m"),
        ("2m", "2m"),
        ("5m", "5m"),
        ("15m", "15m"),
        ("30m", "30m"),
        ("60m", "60m"),
        ("90m", "90m"),
        ("1h", "1h"),
        ("1d", "1d"),
        ("1w", "1wk"),
    )
}
_NS: Final = 1_000_000_000
_DAY_NS: Final = 86_400 * _NS
_TRANSIENT_NAMES: Final = frozenset(
    {
        "Timeout",
        "TimeoutError",
        "ConnectTimeout",
        "ReadTimeout",
        "ConnectionError",
        "ChunkedEncodingError",
        "RemoteDisconnected",
    }
)
_NOT_FOUND_HINTS: Final = ("delisted", "no data found", "no timezone found", "not found")
_LOCK: Final = threading.Lock()  # yfinance's client is a process-wide singleton

_SECRET_PATTERNS: Final = (
    # crumb=XYZ (query string), crumb = 'XYZ' (yfinance debug line), 'crumb': 'XYZ' (params dict)
    re.compile(r"(crumb['\"]?\s*[=:]\s*['\"]?)[^'\"&\s,;)}]+", re.IGNORECASE),
    # Yahoo's session cookies, as Set-Cookie / Cookie text or a dict repr
    re.compile(r"(\b(?:A1|A1S|A3|GUC|GUCS|T|Y)['\"]?\s*[=:]\s*['\"]?)[^'\"&\s,;)}]+"),
)


def _redact(text: str) -> str:
    """``text`` with any crumb or Yahoo cookie value replaced by ``<redacted>``."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1<redacted>", text)
    return text


class _RedactingFilter(logging.Filter):
    """Rewrites ``yfinance`` log records so a crumb or cookie never reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER: Final = _RedactingFilter()


# yfinance logs the crumb at DEBUG; urllib3 (the requests backend) logs full URLs at DEBUG
_REDACTED_LOGGERS: Final = ("yfinance", "urllib3.connectionpool")


def _install_log_filter() -> None:
    for name in _REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


@dataclass(frozen=True, slots=True)
class _Exchange:
    """One HTTP exchange as we record it: path only (the query holds the crumb)."""

    host: str
    path: str
    status: int | None
    error: str | None  # exception type name when the request did not complete

    @property
    def is_data(self) -> bool:
        """A data request (chart, quoteSummary ...), not the cookie or crumb handshake, whose
        failures yfinance tolerates (``fc.yahoo.com`` answers 404 even when all is well)."""
        return self.host.endswith("finance.yahoo.com") and not self.path.endswith("/getcrumb")


@contextmanager
def _watch(session: Any) -> Iterator[list[_Exchange]]:
    """Record every ``session.get`` made while the block runs, then restore the session.

    yfinance calls ``session.get`` for everything it fetches, on both the curl_cffi and the
    requests backend, so wrapping that one bound method on this one instance sees it all.
    """
    seen: list[_Exchange] = []
    shadowed = "get" in vars(session)
    original: Callable[..., Any] = session.get

    def get(*args: Any, **kwargs: Any) -> Any:
        url = str(kwargs.get("url", args[0] if args else ""))
        parts = urlsplit(url)
        try:
            response = original(*args, **kwargs)
        except Exception as exc:
            seen.append(_Exchange(parts.hostname or "", parts.path, None, type(exc).__name__))
            raise
        status = getattr(response, "status_code", None)
        seen.append(_Exchange(parts.hostname or "", parts.path, status, None))
        return response

    session.get = get
    try:
        yield seen
    finally:
        if shadowed:
            session.get = original
        else:
            del session.get


def _default_session() -> Any:
    """The session yfinance itself would build: curl_cffi impersonating Chrome when present
    (Yahoo throttles plain clients hard), else requests. We build it so we can watch it."""
    try:
        from curl_cffi import requests as curl_requests
    except ImportError:
        import requests

        return requests.Session()
    return curl_requests.Session(impersonate="chrome")


def _is_transient(exc: BaseException) -> bool:
    """Time-outs and dropped connections, whichever HTTP backend raised them (matched by
    class name along the MRO, as yfinance does, so neither backend must be importable)."""
    if isinstance(exc, TimeoutError | ConnectionError):
        return True
    return any(cls.__name__ in _TRANSIENT_NAMES for cls in type(exc).__mro__)


class YahooProvider:
    """:class:`~neural_trader.data.providers.base.HistoricalProvider` over Yahoo Finance.

    ``session``: a ``requests.Session`` or ``curl_cffi`` session for yfinance to use (tests
    inject one whose transport is mocked); by default one is built on first use.
    ``tz_cache_dir``: where yfinance keeps its ticker-timezone and cookie caches (default: its
    own user cache folder); tests point it at a temporary directory.
    ``timeout_s``: per-request timeout handed to yfinance.
    """

    name = "yahoo"

    def __init__(
        self,
        session: Any | None = None,
        *,
        tz_cache_dir: str | Path | None = None,
        timeout_s: float = 20.0,
    ) -> None:
        try:
            import yfinance
        except ImportError as exc:
            raise MissingDependencyError("yfinance", "yahoo", "The Yahoo provider") from exc
        self._yf: Any = yfinance
        self._session = session
        self._timeout_s = timeout_s
        if tz_cache_dir is not None:
            path = Path(tz_cache_dir)
            path.mkdir(parents=True, exist_ok=True)
            yfinance.set_tz_cache_location(str(path))
        _install_log_filter()

    def supported_specs(self) -> tuple[BarSpec, ...]:
        """Yahoo's chart intervals; ``1w`` is Yahoo's ``1wk`` (weeks labelled by Monday)."""
        return tuple(_INTERVALS)

    def fetch_bars(self, symbol: str, spec: BarSpec, start_ns: int, end_ns: int) -> pd.DataFrame:
        """Bars with ``start_ns <= ts_event <= end_ns``; ``adj_close`` for ``1d`` and ``1w``.

        Yahoo itself limits intraday history (1m: about the last 30 days, other minute
        intervals about 60 days, hourly about 730 days); asking beyond that is answered with
        a :class:`ProviderError` carrying Yahoo's explanation.
        """
        spec = check_spec(self.name, spec, self.supported_specs())
        check_range(start_ns, end_ns)
        ticker_symbol = symbol.strip().upper()
        if not ticker_symbol:
            raise ProviderError("yahoo: the symbol is empty")
        daily = not spec.is_intraday
        start: Any
        end: Any
        if daily:
            # Yahoo takes calendar dates in the exchange's zone, end exclusive; our labels are
            # those dates at midnight UTC.
            first_day = pd.Timestamp(start_ns // _DAY_NS * _DAY_NS, unit="ns")
            last_day = pd.Timestamp(end_ns // _DAY_NS * _DAY_NS, unit="ns")
            start = first_day.strftime("%Y-%m-%d")
            end = (last_day + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
        else:
            # whole seconds, end exclusive: one second past end_ns keeps a bar starting there
            start = pd.Timestamp(start_ns // _NS, unit="s", tz="UTC")
            end = pd.Timestamp(end_ns // _NS + 1, unit="s", tz="UTC")
        log.debug("yahoo: %s %s from %s to %s", ticker_symbol, spec, start, end)

        history = self._history(ticker_symbol, _INTERVALS[spec], start, end)
        frame = _to_bar_frame(history, daily=daily)
        return clip_to_range(frame, start_ns, end_ns)

    def _history(self, symbol: str, interval: str, start: Any, end: Any) -> pd.DataFrame:
        yf = self._yf
        with _LOCK:
            if self._session is None:
                self._session = _default_session()
            with _watch(self._session) as exchanges, warnings.catch_warnings():
                # raise_errors is yfinance's documented per-call switch (its replacement is a
                # process-wide flag); its deprecation and yfinance's pandas warnings are theirs
                warnings.filterwarnings("ignore", message=".*raise_errors.*")
                warnings.filterwarnings("ignore", module=r"yfinance(\.|$)")
                try:
                    ticker = yf.Ticker(symbol, session=self._session)
                    frame: pd.DataFrame = ticker.history(
                        start=start,
                        end=end,
                        interval=interval,
                        auto_adjust=False,
                        back_adjust=False,
                        actions=False,
                        repair=False,
                        prepost=False,
                        timeout=self._timeout_s,
                        raise_errors=True,
                    )
                except Exception as exc:  # yfinance raises many types; all are classified
                    error = _classify(symbol, exc, exchanges, yf)
                    _forget_responses(yf)
                    if error is None:
                        return pd.DataFrame()
                    raise error from None  # the cause's text may hold the crumb
                if frame.empty:
                    error = _classify(symbol, None, exchanges, yf)
                    if error is not None:
                        _forget_responses(yf)
                        raise error
        return frame


def _forget_responses(yf: Any) -> None:
    """Empty yfinance's in-process response cache after a failure.

    yfinance memoises GETs for past date ranges, error responses included, so without this a
    503 or 429 met once would be served again on every retry for the life of the process.
    (An internal of yfinance, hence the defensive lookups.)
    """
    client = getattr(getattr(yf, "data", None), "YfData", None)
    cached = getattr(client, "cache_get", None)
    clear = getattr(cached, "cache_clear", None)
    if callable(clear):
        clear()


def _classify(
    symbol: str, exc: BaseException | None, exchanges: list[_Exchange], yf: Any
) -> ProviderError | None:
    """The platform error for what happened, or ``None`` for "no bars in that range".

    Decided from the recorded HTTP exchanges first (yfinance reports many network failures
    as a missing ticker), then from yfinance's exception.
    """
    data = [e for e in exchanges if e.is_data]
    statuses = [e.status for e in data if e.status is not None]
    failures = [e.error for e in data if e.error is not None]
    response_status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(response_status, int):
        statuses.append(response_status)
    rate_limit = getattr(yf.exceptions, "YFRateLimitError", ())
    missing = getattr(yf.exceptions, "YFTickerMissingError", ())
    prices_missing = getattr(yf.exceptions, "YFPricesMissingError", ())

    if (exc is not None and isinstance(exc, rate_limit)) or 429 in statuses:
        return TemporaryProviderError(
            f"yahoo: rate limited (HTTP 429) while fetching '{symbol}'",
            hint="wait a minute or two and retry; Yahoo does not publish its limits",
        )
    server = [s for s in statuses if s >= 500]
    if server:
        return TemporaryProviderError(
            f"yahoo: server error (HTTP {server[-1]}) while fetching '{symbol}'",
            hint="Yahoo is having trouble; retry later",
        )
    if failures or (exc is not None and _is_transient(exc)):
        kind = failures[-1] if failures else type(exc).__name__
        return TemporaryProviderError(
            f"yahoo: network failure ({kind}) while fetching '{symbol}'",
            hint="check the connection (or proxy) and retry",
        )
    if exc is None:
        return None
    if isinstance(exc, missing):
        reason = str(getattr(exc, "rationale", "") or exc)
        yahoo_reason = getattr(exc, "yahoo_reason", None)
        if isinstance(exc, prices_missing) and yahoo_reason is None and 404 not in statuses:
            # the ticker resolved (it has a timezone) but the range holds no bars
            return None
        if yahoo_reason is not None and not any(
            h in yahoo_reason.lower() for h in _NOT_FOUND_HINTS
        ):
            return ProviderError(f"yahoo: no bars for '{symbol}': {_redact(yahoo_reason)}")
        return ProviderUnknownSymbolError("yahoo", symbol, _redact(reason))
    if 404 in statuses:
        return ProviderUnknownSymbolError("yahoo", symbol, "Yahoo answered HTTP 404 Not Found")
    return ProviderError(
        f"yahoo: fetching '{symbol}' failed: {type(exc).__name__}: {_redact(str(exc))}"
    )


def _to_bar_frame(history: pd.DataFrame, *, daily: bool) -> pd.DataFrame:
    """yfinance's frame (exchange-local index, title-case columns) as a canonical bar frame."""
    extra = ("adj_close",) if daily else ()
    if history.empty:
        return empty_bar_frame(extra)
    index = pd.DatetimeIndex(history.index)
    if daily:
        # the exchange-local session date, labelled at midnight UTC
        local = index.tz_localize(None) if index.tz is not None else index
        ts = local.normalize().as_unit("ns").asi8
    else:
        utc = index.tz_convert("UTC") if index.tz is not None else index.tz_localize("UTC")
        ts = utc.as_unit("ns").asi8
    columns: dict[str, Any] = {
        TS: np.asarray(ts, dtype=np.int64),
        "open": history["Open"].to_numpy(dtype=np.float64),
        "high": history["High"].to_numpy(dtype=np.float64),
        "low": history["Low"].to_numpy(dtype=np.float64),
        "close": history["Close"].to_numpy(dtype=np.float64),
        "volume": history["Volume"].to_numpy(dtype=np.float64),
    }
    if daily:
        adj = history["Adj Close"] if "Adj Close" in history.columns else history["Close"]
        columns["adj_close"] = adj.to_numpy(dtype=np.float64)
    frame = pd.DataFrame(columns)
    order = np.argsort(frame[TS].to_numpy(), kind="stable")
    frame = frame.iloc[order]
    return normalize_bar_frame(frame.reset_index(drop=True))
