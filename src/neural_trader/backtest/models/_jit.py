"""Make a plain model function callable from numba kernels without changing it for Python.

``numba.extending.register_jitable`` registers an overload that compiles the function when a
jitted caller references it, and returns the *original* function: the event engine's calls
stay ordinary Python calls with no dispatch cost. Registration is what lets one shared
function (``execution.fill_order``) call another (``fees.order_fee``) in both worlds; a
function compiled with ``njit(func)`` alone could not call an uncompiled helper.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from numba.extending import register_jitable

__all__ = ["jitable"]

F = TypeVar("F", bound=Callable[..., Any])


def jitable(func: F) -> F:
    """Register ``func`` for nopython callers and return it unchanged (typed for mypy)."""
    register_jitable(func)
    return func
