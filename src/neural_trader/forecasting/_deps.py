"""Optional-dependency guards for the ``forecast`` extra.

Forecasting is the one part of the platform that needs PyTorch (about 800 MB installed); the
rest must import and run without it. Every module that needs torch, safetensors or onnxruntime
goes through these helpers, so a missing package is a :class:`MissingDependencyError` naming
the ``pip install 'neural-trader[forecast]'`` line instead of a bare ``ImportError`` from deep
inside a model file.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from neural_trader.core.errors import MissingDependencyError

__all__ = ["EXTRA", "require"]

EXTRA = "forecast"


def require(package: str, feature: str, *, module: str | None = None) -> ModuleType:
    """Import ``module`` (default ``package``) or raise naming the ``forecast`` extra."""
    try:
        return importlib.import_module(module or package)
    except ImportError:
        raise MissingDependencyError(package, EXTRA, feature) from None
