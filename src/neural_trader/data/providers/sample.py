"""Real daily index data shipped inside the package, for offline demos, tutorials and tests.

Why embed data: a first run (``make demo``, the quick-start) must work without a network or an
API key, and on *real* prices, so that what a newcomer sees (drawdowns, volatility clusters,
the 2008 crash) is what markets do rather than what a simulator assumes. Two files from the
arch 8.0.0 wheel (NCSA licence, see ``data/samples/README.md``) cover the S&P 500 and the
NASDAQ Composite, 1999-01-04 to 2018-12-31: 5,031 sessions each, about 100 kB gzipped.

Files are read with :mod:`importlib.resources`, so this works from a wheel, a zip or an editable
checkout alike, and parsed once per process (a copy is returned, so callers may mutate it).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

import numpy as np
import pandas as pd

from neural_trader.core.data import BarSpec
from neural_trader.core.errors import DataFormatError, UnknownSymbolError
from neural_trader.data.providers.base import check_range, check_spec, clip_to_range
from neural_trader.data.schema import TS, normalize_bar_frame

__all__ = ["SampleProvider", "load_sample", "sample_info", "sample_names"]

_PACKAGE: Final = "neural_trader.data"
_FOLDER: Final = "samples"
_SOURCE: Final = (
    "arch 8.0.0 wheel (Kevin Sheppard, https://github.com/bashtage/arch), "
    "file arch/data/{path}, copied unchanged"
)
_LICENCE: Final = (
    "University of Illinois/NCSA Open Source License, Copyright (c) 2017 Kevin Sheppard"
)
_COLUMNS: Final = ("Date", "Open", "High", "Low", "Close", "Adj Close", "Volume")


@dataclass(frozen=True, slots=True)
class _Sample:
    file: str
    arch_path: str
    description: str


_SAMPLES: Final[dict[str, _Sample]] = {
    "SPX": _Sample(
        "sp500.csv.gz",
        "sp500/sp500.csv.gz",
        "S&P 500 index, daily OHLCV with adjusted close (equal to close for an index)",
    ),
    "IXIC": _Sample(
        "nasdaq.csv.gz",
        "nasdaq/nasdaq.csv.gz",
        "NASDAQ Composite index, daily OHLCV with adjusted close (equal to close)",
    ),
}


def sample_names() -> list[str]:
    """Names accepted by :func:`load_sample`: ``SPX`` (S&P 500), ``IXIC`` (NASDAQ Composite)."""
    return sorted(_SAMPLES)


def _lookup(name: str) -> tuple[str, _Sample]:
    key = name.strip().upper()
    if key not in _SAMPLES:
        raise UnknownSymbolError(name, known=sample_names())
    return key, _SAMPLES[key]


@functools.lru_cache(maxsize=len(_SAMPLES))
def _read(key: str) -> pd.DataFrame:
    sample = _SAMPLES[key]
    resource = resources.files(_PACKAGE).joinpath(_FOLDER, sample.file)
    with resource.open("rb") as fh:
        raw = pd.read_csv(fh, compression="gzip")
    if tuple(raw.columns) != _COLUMNS:
        raise DataFormatError(
            f"sample file {sample.file} has columns {list(raw.columns)}, expected {list(_COLUMNS)}"
        )
    dates = pd.to_datetime(raw["Date"], format="%m/%d/%Y")
    frame = pd.DataFrame(
        {
            # the session date at midnight UTC (the platform's daily label)
            TS: dates.to_numpy(dtype="datetime64[ns]").astype(np.int64),
            "open": raw["Open"].to_numpy(dtype=np.float64),
            "high": raw["High"].to_numpy(dtype=np.float64),
            "low": raw["Low"].to_numpy(dtype=np.float64),
            "close": raw["Close"].to_numpy(dtype=np.float64),
            "volume": raw["Volume"].to_numpy(dtype=np.float64),
            "adj_close": raw["Adj Close"].to_numpy(dtype=np.float64),
        }
    )
    return normalize_bar_frame(frame)


def load_sample(name: str) -> pd.DataFrame:
    """The sample ``name`` as a canonical daily bar frame, including ``adj_close``.

    Unknown names raise :class:`UnknownSymbolError` listing the known ones.
    """
    key, _ = _lookup(name)
    return _read(key).copy()


def sample_info(name: str) -> dict[str, Any]:
    """What the sample is and where it comes from: description, source, licence, rows and
    the first and last session dates (ISO strings)."""
    key, sample = _lookup(name)
    frame = _read(key)
    ts = frame[TS].to_numpy()
    first = pd.Timestamp(int(ts[0]), unit="ns").date().isoformat()
    last = pd.Timestamp(int(ts[-1]), unit="ns").date().isoformat()
    return {
        "name": key,
        "description": sample.description,
        "source": _SOURCE.format(path=sample.arch_path),
        "licence": _LICENCE,
        "file": f"neural_trader/data/{_FOLDER}/{sample.file}",
        "bar_spec": "1d",
        "rows": len(frame),
        "first_date": first,
        "last_date": last,
    }


class SampleProvider:
    """:class:`~neural_trader.data.providers.base.HistoricalProvider` over the embedded
    samples: the symbols are :func:`sample_names`, the only spec is ``1d``."""

    name = "sample"

    def supported_specs(self) -> tuple[BarSpec, ...]:
        return (BarSpec.parse("1d"),)

    def fetch_bars(self, symbol: str, spec: BarSpec, start_ns: int, end_ns: int) -> pd.DataFrame:
        """Sessions of ``symbol`` labelled within ``[start_ns, end_ns]`` (inclusive)."""
        check_spec(self.name, spec, self.supported_specs())
        check_range(start_ns, end_ns)
        key, _ = _lookup(symbol)
        return clip_to_range(_read(key), start_ns, end_ns).copy()
