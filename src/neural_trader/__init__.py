"""neural-trader: research, backtest, forecast, risk-manage and trade, every number computed."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("neural-trader")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
