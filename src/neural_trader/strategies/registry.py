"""Name -> strategy class. Built-ins register on import of ``neural_trader.strategies``.

The original neural-trader's names keep working, so that agent prompts written for it do:
v1's ``momentum_trading`` and ``swing_trading`` are our ``momentum`` and ``swing``; its
``mirror``/``mirror_trading`` (copying institutions' 13F filings) and ``ensemble`` have no
implementation here and are refused with the reason rather than "unknown strategy".
"""

from __future__ import annotations

from typing import Any, TypeVar

from neural_trader.core.errors import InvalidArgumentError, NotFoundError, NotSupportedError
from neural_trader.strategies.base import Strategy

__all__ = ["ALIASES", "create_strategy", "get_strategy", "register", "strategy_names"]

_REGISTRY: dict[str, type[Strategy]] = {}
ALIASES: dict[str, str] = {"momentum_trading": "momentum", "swing_trading": "swing"}
"""The original neural-trader's v1 names -> ours."""
_ABSENT: dict[str, str] = {
    "mirror": "mirror trading copies institutions' 13F filings, and no provider here supplies "
    "them yet",
    "mirror_trading": "mirror trading copies institutions' 13F filings, and no provider here "
    "supplies them yet",
    "ensemble": "the original's ensemble had no defined rule (which members, which weights); "
    "compare strategies with get_strategy_comparison or recommend_strategy instead",
}
S = TypeVar("S", bound=type[Strategy])


def register(cls: S) -> S:
    """Class decorator: make a strategy available by its ``name``."""
    if not cls.name:
        raise InvalidArgumentError(f"{cls.__qualname__} needs a class attribute 'name'")
    other = _REGISTRY.get(cls.name)
    if other is not None and other is not cls:
        raise InvalidArgumentError(
            f"strategy name {cls.name!r} is taken by {other.__module__}.{other.__qualname__}"
        )
    _REGISTRY[cls.name] = cls
    return cls


def _load_builtins() -> None:
    import neural_trader.strategies.builtin  # noqa: F401  (registers on import)


def strategy_names() -> list[str]:
    _load_builtins()
    return sorted(_REGISTRY)


def get_strategy(name: str) -> type[Strategy]:
    """The class registered as ``name`` (or the original's alias of it)."""
    _load_builtins()
    try:
        return _REGISTRY[ALIASES.get(name, name)]
    except KeyError:
        if name in _ABSENT:
            raise NotSupportedError(
                f"strategy {name!r} is not available: {_ABSENT[name]}",
                hint=f"available: {', '.join(sorted(_REGISTRY))}",
            ) from None
        import difflib

        close = difflib.get_close_matches(name, list(_REGISTRY), n=3)
        hint = f"did you mean {', '.join(close)}?" if close else None
        raise NotFoundError(
            f"unknown strategy {name!r}; available: {', '.join(sorted(_REGISTRY))}", hint=hint
        ) from None


def create_strategy(name: str, **params: Any) -> Strategy:
    return get_strategy(name)(**params)
