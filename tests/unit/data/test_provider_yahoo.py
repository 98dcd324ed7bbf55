"""The Yahoo provider, run through the real yfinance code against a mocked transport.

How this works offline (see also integrations.md 4.2): yfinance accepts a ``requests.Session``
(as well as its default curl_cffi one), so we hand it a plain ``requests.Session`` with a
``requests_mock.Adapter`` mounted on ``https://``. The adapter answers the three hosts yfinance
talks to: ``fc.yahoo.com`` (cookie), ``/v1/test/getcrumb`` (crumb) and ``/v8/finance/chart/``
(bars, from the fixtures in ``tests/data/yahoo``); anything else gets a 404. Patching
``yfinance.const`` would not work: the URLs are baked into f-strings at import.

yfinance keeps process-wide state (a singleton client holding session, cookie and crumb, an
LRU cache of responses, a SQLite timezone cache), so each test starts from a fresh client and
an empty response cache, and the timezone cache lives in a temporary folder.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import requests

from neural_trader.core.data import BarSpec
from neural_trader.core.errors import (
    InvalidArgumentError,
    MissingDependencyError,
    ProviderError,
    TemporaryProviderError,
    UnknownSymbolError,
)
from neural_trader.data.providers import get_provider
from neural_trader.data.schema import BAR_COLUMNS, normalize_bar_frame

yf = pytest.importorskip("yfinance")
requests_mock = pytest.importorskip("requests_mock")

from neural_trader.data.providers.yahoo import YahooProvider  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[2] / "data" / "yahoo"
CRUMB = "Zx9cRuMbS3cr3t"
COOKIE = "d=AQABBPr1vat3C00kie&S=AQAAAsecret"
CHART = re.compile(r"https://query[12]\.finance\.yahoo\.com/v8/finance/chart/.*")
NS = 1_000_000_000
D1, M5, M1 = BarSpec.parse("1d"), BarSpec.parse("5m"), BarSpec.parse("1m")


def load_fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def utc_ns(text: str) -> int:
    return int(pd.Timestamp(text, tz="UTC").value)


@pytest.fixture(scope="module")
def tz_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("yfinance-cache")


@pytest.fixture
def adapter() -> Iterator[Any]:
    from yfinance.data import SingletonMeta, YfData

    # a fresh yfinance client per test: no crumb, cookie strategy or cached response carried over
    SingletonMeta._instances.pop(YfData, None)
    YfData.cache_get.cache_clear()
    mock = requests_mock.Adapter()
    mock.register_uri(requests_mock.ANY, re.compile(r".*"), status_code=404, text="Not Found")
    mock.register_uri(
        "GET",
        "https://fc.yahoo.com",
        status_code=404,
        text="",
        headers={"Set-Cookie": f"A3={COOKIE}; Domain=.yahoo.com; Path=/; Secure; HttpOnly"},
    )
    mock.register_uri(
        "GET", re.compile(r"https://query[12]\.finance\.yahoo\.com/v1/test/getcrumb"), text=CRUMB
    )
    yield mock
    SingletonMeta._instances.pop(YfData, None)
    YfData.cache_get.cache_clear()


@pytest.fixture
def provider(adapter: Any, tz_cache: Path) -> YahooProvider:
    session = requests.Session()
    session.mount("https://", adapter)
    return YahooProvider(session=session, tz_cache_dir=tz_cache)


def chart_requests(adapter: Any) -> list[Any]:
    return [r for r in adapter.request_history if "/v8/finance/chart/" in r.path]


# ------------------------------------------------------------------------------------------
# bars


def test_fetch_bars_daily_fixture_labels_sessions_at_midnight_utc(
    provider: YahooProvider, adapter: Any
) -> None:
    adapter.register_uri("GET", CHART, json=load_fixture("chart_AAPL_1d.json"))
    quote = load_fixture("chart_AAPL_1d.json")["chart"]["result"][0]["indicators"]

    frame = provider.fetch_bars(
        "AAPL", BarSpec.parse("1d"), utc_ns("2024-01-02"), utc_ns("2024-01-08")
    )

    assert list(frame.columns) == [*BAR_COLUMNS, "adj_close"]
    expected_days = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08"]
    assert frame["ts_event"].tolist() == [utc_ns(d) for d in expected_days]
    q = quote["quote"][0]
    for ours, theirs in (("open", "open"), ("high", "high"), ("low", "low"), ("close", "close")):
        np.testing.assert_array_equal(frame[ours].to_numpy(), np.array(q[theirs]))
    np.testing.assert_array_equal(frame["volume"].to_numpy(), np.array(q["volume"], dtype=float))
    np.testing.assert_array_equal(
        frame["adj_close"].to_numpy(), np.array(quote["adjclose"][0]["adjclose"])
    )
    assert frame.equals(normalize_bar_frame(frame))
    # the bars request asked for New York calendar days, end exclusive
    bars_request = chart_requests(adapter)[-1]
    assert bars_request.qs["interval"] == ["1d"]
    assert bars_request.qs["period1"] == [str(utc_ns("2024-01-02 05:00") // NS)]
    assert bars_request.qs["period2"] == [str(utc_ns("2024-01-09 05:00") // NS)]


def test_fetch_bars_daily_subrange_keeps_both_ends_inclusive(
    provider: YahooProvider, adapter: Any
) -> None:
    adapter.register_uri("GET", CHART, json=load_fixture("chart_AAPL_1d.json"))

    frame = provider.fetch_bars("aapl", D1, utc_ns("2024-01-03"), utc_ns("2024-01-05"))

    assert frame["ts_event"].tolist() == [
        utc_ns(d) for d in ("2024-01-03", "2024-01-04", "2024-01-05")
    ]
    assert frame["close"].tolist() == [184.25, 181.91, 181.18]
    assert frame.index.equals(pd.RangeIndex(3))


def test_fetch_bars_intraday_fixture_labels_bar_start_in_utc(
    provider: YahooProvider, adapter: Any
) -> None:
    adapter.register_uri("GET", CHART, json=load_fixture("chart_AAPL_5m.json"))
    result = load_fixture("chart_AAPL_5m.json")["chart"]["result"][0]
    q = result["indicators"]["quote"][0]

    frame = provider.fetch_bars(
        "AAPL", BarSpec.parse("5m"), utc_ns("2024-01-02 14:30"), utc_ns("2024-01-02 15:05")
    )

    assert list(frame.columns) == list(BAR_COLUMNS)  # no adj_close for intraday bars
    assert frame["ts_event"].tolist() == [t * NS for t in result["timestamp"]]
    assert frame["ts_event"].iloc[0] == utc_ns("2024-01-02 14:30")  # 09:30 New York, EST
    for col in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(frame[col].to_numpy(), np.array(q[col]))
    np.testing.assert_array_equal(frame["volume"].to_numpy(), np.array(q["volume"], dtype=float))
    bars_request = chart_requests(adapter)[-1]
    assert bars_request.qs["interval"] == ["5m"]
    assert bars_request.qs["period1"] == [str(utc_ns("2024-01-02 14:30") // NS)]
    # one second past the last requested bar start, so that bar is included
    assert bars_request.qs["period2"] == [str(utc_ns("2024-01-02 15:05") // NS + 1)]


def test_fetch_bars_range_without_sessions_returns_empty_canonical_frame(
    provider: YahooProvider, adapter: Any
) -> None:
    payload = load_fixture("chart_AAPL_1d.json")
    result = payload["chart"]["result"][0]
    del result["timestamp"]
    result["indicators"] = {"quote": [{}], "adjclose": [{}]}
    adapter.register_uri("GET", CHART, json=payload)

    frame = provider.fetch_bars("AAPL", D1, utc_ns("2024-01-06"), utc_ns("2024-01-07"))

    assert frame.empty
    assert list(frame.columns) == [*BAR_COLUMNS, "adj_close"]
    assert frame["ts_event"].dtype == np.int64


# ------------------------------------------------------------------------------------------
# failures


def test_fetch_bars_not_found_payload_raises_unknown_symbol_naming_it(
    provider: YahooProvider, adapter: Any
) -> None:
    adapter.register_uri("GET", CHART, status_code=404, json=load_fixture("chart_not_found.json"))

    with pytest.raises(ProviderError) as info:
        provider.fetch_bars("NOSUCHTICKER", D1, utc_ns("2024-01-02"), utc_ns("2024-01-08"))

    assert isinstance(info.value, UnknownSymbolError)
    assert "NOSUCHTICKER" in str(info.value)
    assert CRUMB not in str(info.value)


def test_fetch_bars_http_429_raises_temporary_provider_error(
    provider: YahooProvider, adapter: Any
) -> None:
    adapter.register_uri("GET", CHART, status_code=429, text="Too Many Requests")

    with pytest.raises(TemporaryProviderError, match="429") as info:
        provider.fetch_bars("MSFT", D1, utc_ns("2024-01-02"), utc_ns("2024-01-08"))

    assert "MSFT" in str(info.value)


def test_fetch_bars_http_503_raises_temporary_not_unknown_symbol(
    provider: YahooProvider, adapter: Any
) -> None:
    adapter.register_uri(
        "GET", CHART, status_code=503, text="<html><body>Will be right back</body></html>"
    )

    with pytest.raises(TemporaryProviderError, match="503") as info:
        provider.fetch_bars("IBM", D1, utc_ns("2024-01-02"), utc_ns("2024-01-08"))

    assert not isinstance(info.value, UnknownSymbolError)
    assert "IBM" in str(info.value)


def test_fetch_bars_retry_after_503_gets_fresh_answer_not_cached_error(
    provider: YahooProvider, adapter: Any
) -> None:
    adapter.register_uri("GET", CHART, status_code=503, text="<html>busy</html>")
    with pytest.raises(TemporaryProviderError):
        provider.fetch_bars("AAPL", D1, utc_ns("2024-01-02"), utc_ns("2024-01-08"))

    adapter.register_uri("GET", CHART, json=load_fixture("chart_AAPL_1d.json"))
    frame = provider.fetch_bars("AAPL", D1, utc_ns("2024-01-02"), utc_ns("2024-01-08"))

    assert len(frame) == 5


def test_fetch_bars_yahoo_range_refusal_raises_provider_error_with_reason(
    provider: YahooProvider, adapter: Any
) -> None:
    reason = (
        "1m data not available for startTime=1104537600 and endTime=1104624000. "
        "The requested range must be within the last 30 days."
    )
    daily = load_fixture("chart_AAPL_1d.json")

    def chart(request: Any, context: Any) -> dict[str, Any]:
        if "range" in request.qs:  # yfinance's timezone probe (range=1d) succeeds
            return daily
        context.status_code = 422
        return {
            "chart": {
                "result": None,
                "error": {"code": "Unprocessable Entity", "description": reason},
            }
        }

    adapter.register_uri("GET", CHART, json=chart)

    with pytest.raises(ProviderError) as info:
        provider.fetch_bars("AAPL", M1, utc_ns("2005-01-01"), utc_ns("2005-01-02"))

    assert not isinstance(info.value, UnknownSymbolError | TemporaryProviderError)
    assert "within the last 30 days" in str(info.value)
    assert "AAPL" in str(info.value)


def test_fetch_bars_timeout_raises_temporary_provider_error(
    provider: YahooProvider, adapter: Any
) -> None:
    adapter.register_uri("GET", CHART, exc=requests.exceptions.ConnectTimeout)

    with pytest.raises(TemporaryProviderError, match="ConnectTimeout") as info:
        provider.fetch_bars("ORCL", M5, utc_ns("2024-01-02 14:30"), utc_ns("2024-01-02 15:00"))

    assert "ORCL" in str(info.value)


def test_fetch_bars_never_logs_crumb_or_cookie(
    provider: YahooProvider, adapter: Any, caplog: pytest.LogCaptureFixture
) -> None:
    adapter.register_uri("GET", CHART, json=load_fixture("chart_AAPL_1d.json"))
    caplog.set_level(logging.DEBUG)  # yfinance logs the crumb and request params at DEBUG

    provider.fetch_bars("AAPL", D1, utc_ns("2024-01-02"), utc_ns("2024-01-08"))

    # the crumb really went over the (mocked) wire, and yfinance really logged about it ...
    assert CRUMB.lower() in chart_requests(adapter)[-1].query
    ours = [r for r in caplog.records if not r.name.startswith("requests_mock")]  # test harness
    assert any("crumb" in r.getMessage().lower() for r in ours)
    # ... but no log line of yfinance, urllib3 or ours carries it or the cookie
    text = "\n".join(r.getMessage() for r in ours)
    assert CRUMB.lower() not in text.lower()
    assert COOKIE not in text


def test_fetch_bars_unsupported_spec_refused_before_any_request(
    provider: YahooProvider, adapter: Any
) -> None:
    with pytest.raises(InvalidArgumentError, match="supported"):
        provider.fetch_bars("AAPL", BarSpec.parse("4h"), utc_ns("2024-01-02"), utc_ns("2024-01-08"))

    assert adapter.request_history == []


def test_yahoo_provider_without_yfinance_raises_missing_dependency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "yfinance", None)  # makes ``import yfinance`` fail

    with pytest.raises(MissingDependencyError) as info:
        YahooProvider()
    assert info.value.package == "yfinance"
    assert info.value.extra == "yahoo"
    assert "neural-trader[yahoo]" in str(info.value)
    with pytest.raises(MissingDependencyError):
        get_provider("yahoo")


def test_get_provider_yahoo_passes_options_to_the_provider(tz_cache: Path) -> None:
    session = requests.Session()

    provider = get_provider("yahoo", session=session, tz_cache_dir=tz_cache)

    assert isinstance(provider, YahooProvider)
    assert provider.name == "yahoo"
    assert BarSpec.parse("1d") in provider.supported_specs()
    assert BarSpec.parse("1w") in provider.supported_specs()
