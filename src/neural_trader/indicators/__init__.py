"""Technical indicators: TA-Lib's catalogue, our own kernels, and O(1)-per-bar twins.

Three layers, after vectorbt (see decision 0007):

* :mod:`~neural_trader.indicators.talib_wrappers`: TA-Lib functions under lower-case names
  (``sma``, ``macd`` ...), numpy in and out, 1-D or 2-D (one column per symbol).
* :mod:`~neural_trader.indicators.custom` over :mod:`~neural_trader.indicators.nb`: numba
  kernels for what TA-Lib lacks (``vwap``, ``rolling_zscore``, ``rolling_ols_hedge_ratio``).
* :mod:`~neural_trader.indicators.incremental`: one-bar-at-a-time classes for the event engine
  and live trading, held to 1e-9 of the batch functions.

:data:`INDICATORS` describes every batch function (inputs, parameters with defaults, outputs) so
the CLI and MCP can list them, and :func:`compute` calls one by name on a frame or a mapping of
columns.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import pandas as pd

from neural_trader.core.errors import InvalidArgumentError, NotFoundError
from neural_trader.indicators.custom import (
    CUSTOM_INDICATORS,
    OLSResult,
    rolling_ols_hedge_ratio,
    rolling_zscore,
    vwap,
)
from neural_trader.indicators.talib_wrappers import (
    TALIB_INDICATORS,
    AroonResult,
    BBandsResult,
    FloatArray,
    IndicatorSpec,
    MACDResult,
    StochFResult,
    StochResult,
    StochRSIResult,
    ad,
    adosc,
    adx,
    adxr,
    apo,
    aroon,
    aroonosc,
    atr,
    bbands,
    bop,
    cci,
    dema,
    ema,
    kama,
    macd,
    mfi,
    minus_di,
    mom,
    natr,
    obv,
    plus_di,
    ppo,
    roc,
    rsi,
    sar,
    sma,
    stddev,
    stoch,
    stochf,
    stochrsi,
    t3,
    tema,
    trange,
    trima,
    trix,
    ultosc,
    willr,
    wma,
)

__all__ = [
    "INDICATORS",
    "AroonResult",
    "BBandsResult",
    "FloatArray",
    "IndicatorSpec",
    "MACDResult",
    "OLSResult",
    "StochFResult",
    "StochRSIResult",
    "StochResult",
    "ad",
    "adosc",
    "adx",
    "adxr",
    "apo",
    "aroon",
    "aroonosc",
    "atr",
    "bbands",
    "bop",
    "cci",
    "compute",
    "dema",
    "ema",
    "get_indicator",
    "kama",
    "list_indicators",
    "lookback",
    "macd",
    "mfi",
    "minus_di",
    "mom",
    "natr",
    "obv",
    "plus_di",
    "ppo",
    "roc",
    "rolling_ols_hedge_ratio",
    "rolling_zscore",
    "rsi",
    "sar",
    "sma",
    "stddev",
    "stoch",
    "stochf",
    "stochrsi",
    "t3",
    "tema",
    "trange",
    "trima",
    "trix",
    "ultosc",
    "vwap",
    "willr",
    "wma",
]

INDICATORS: Mapping[str, IndicatorSpec] = MappingProxyType(
    dict(sorted({**TALIB_INDICATORS, **CUSTOM_INDICATORS}.items()))
)
"""Every batch indicator by lower-case name: TA-Lib wrappers and our own kernels."""


def list_indicators(group: str | None = None) -> list[IndicatorSpec]:
    """All registry entries sorted by name, optionally only one TA-Lib group (case-insensitive,
    e.g. ``"Momentum Indicators"``). ``spec.to_dict()`` gives the JSON form."""
    specs = list(INDICATORS.values())
    if group is None:
        return specs
    wanted = group.casefold()
    return [s for s in specs if s.group.casefold() == wanted]


def get_indicator(name: str) -> IndicatorSpec:
    """The registry entry for ``name`` (case-insensitive); the error suggests close names."""
    key = name.strip().lower()
    try:
        return INDICATORS[key]
    except KeyError:
        close = difflib.get_close_matches(key, list(INDICATORS), n=3, cutoff=0.6)
        hint = (
            f"did you mean {', '.join(close)}?"
            if close
            else "list them with neural_trader.indicators.list_indicators()"
        )
        raise NotFoundError(f"unknown indicator '{name}'", hint=hint) from None


def lookback(name: str, **params: Any) -> int:
    """Leading NaN bars of indicator ``name`` with ``params`` (a strategy's warm-up)."""
    return get_indicator(name).lookback(**params)


def compute(name: str, data: Mapping[str, Any] | pd.DataFrame, **params: Any) -> Any:
    """Run indicator ``name`` on the columns it needs, picked from ``data`` by name.

    ``data`` is a DataFrame of one symbol's bars or a mapping of column name to array (1-D, or
    2-D with one column per symbol). Columns are matched exactly, then case-insensitively, so a
    Yahoo-style ``Close`` works. ``params`` are the indicator's keywords (see
    ``INDICATORS[name].parameters``). Returns numpy like the function itself: one array, or a
    NamedTuple of arrays for multi-output indicators.
    """
    spec = get_indicator(name)
    unknown = sorted(set(params) - set(spec.parameters))
    if unknown:
        raise InvalidArgumentError(
            f"{spec.name}: unknown parameter(s) {', '.join(unknown)}",
            hint=f"parameters: {', '.join(spec.parameters) or 'none'}",
        )
    keys: dict[str, Any] = {
        str(k): k for k in (data.columns if isinstance(data, pd.DataFrame) else data)
    }
    columns = list(keys)
    by_lower: dict[str, str] = {}
    for key in columns:
        by_lower.setdefault(key.lower(), key)
    arrays: list[Any] = []
    for needed in spec.inputs:
        col = needed if needed in columns else by_lower.get(needed.lower())
        if col is None:
            raise InvalidArgumentError(
                f"{spec.name} needs column '{needed}', which the data does not have",
                hint=f"inputs: {', '.join(spec.inputs)}; data has: {', '.join(columns)}",
            )
        value = data[keys[col]]
        arrays.append(value.to_numpy() if isinstance(value, pd.Series | pd.DataFrame) else value)
    return spec.func(*arrays, **params)
