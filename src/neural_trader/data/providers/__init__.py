"""Historical data providers behind one interface, and a registry to pick one by name.

``get_provider("yahoo" | "synthetic" | "sample", **options)`` returns an object satisfying
:class:`~neural_trader.data.providers.base.HistoricalProvider`. The CLI and the catalog
importer go through this registry, so adding a source is one entry here, not an edit in every
front. Providers are built lazily: importing this package imports no optional dependency
(``yfinance`` is imported only when a Yahoo provider is created).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Final

from neural_trader._lazy import lazy_exports
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.data.providers.base import (
    HistoricalProvider,
    ProviderUnknownSymbolError,
)
from neural_trader.data.providers.sample import (
    SampleProvider,
    load_sample,
    sample_info,
    sample_names,
)
from neural_trader.data.providers.synthetic import Regime, SyntheticProvider, generate_bars

__all__ = [
    "HistoricalProvider",
    "ProviderUnknownSymbolError",
    "Regime",
    "SampleProvider",
    "SyntheticProvider",
    "YahooProvider",
    "generate_bars",
    "get_provider",
    "load_sample",
    "provider_names",
    "sample_info",
    "sample_names",
]


def _yahoo_class() -> type[HistoricalProvider]:
    from neural_trader.data.providers.yahoo import YahooProvider

    return YahooProvider


# name -> a loader of the provider class (loaders keep optional imports lazy)
_FACTORIES: Final[dict[str, Callable[[], type[HistoricalProvider]]]] = {
    "sample": lambda: SampleProvider,
    "synthetic": lambda: SyntheticProvider,
    "yahoo": _yahoo_class,
}


def provider_names() -> list[str]:
    """The names :func:`get_provider` accepts, sorted."""
    return sorted(_FACTORIES)


def get_provider(name: str, **options: Any) -> HistoricalProvider:
    """A new provider called ``name``, built with ``options`` (its constructor's keywords).

    An unknown name, or an option the provider does not take, raises
    :class:`InvalidArgumentError` naming what is accepted.
    """
    key = name.strip().lower()
    factory = _FACTORIES.get(key)
    if factory is None:
        raise InvalidArgumentError(
            f"unknown data provider '{name}'; choose one of: {', '.join(provider_names())}"
        )
    cls = factory()
    try:
        inspect.signature(cls).bind(**options)
    except TypeError as exc:
        raise InvalidArgumentError(f"bad option for the {key} provider: {exc}") from exc
    return cls(**options)


# ``from neural_trader.data.providers import YahooProvider`` without importing yfinance (or
# even the yahoo module) at package import
__getattr__ = lazy_exports(__name__, {"YahooProvider": "yahoo"}, globals())
