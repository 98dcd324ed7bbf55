"""Name -> strategy class. Built-ins register on import of ``neural_trader.strategies``."""

from __future__ import annotations

from typing import Any, TypeVar

from neural_trader.core.errors import InvalidArgumentError, NotFoundError
from neural_trader.strategies.base import Strategy

__all__ = ["create_strategy", "get_strategy", "register", "strategy_names"]

_REGISTRY: dict[str, type[Strategy]] = {}
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
    _load_builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, list(_REGISTRY), n=3)
        hint = f"did you mean {', '.join(close)}?" if close else None
        raise NotFoundError(
            f"unknown strategy {name!r}; available: {', '.join(sorted(_REGISTRY))}", hint=hint
        ) from None


def create_strategy(name: str, **params: Any) -> Strategy:
    return get_strategy(name)(**params)
