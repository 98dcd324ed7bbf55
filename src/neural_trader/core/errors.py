"""The error hierarchy shared by every package.

Each message is written for the person who will read it: it says what went wrong *and* what to
do about it. Fronts map an error to an exit code (CLI) or a tool error (MCP) without rewriting
the message, so the message is the user interface.

::

    NeuralTraderError
    ├── ConfigError                 bad or missing configuration
    ├── MissingDependencyError      an optional extra is not installed
    ├── NotSupportedError           a feature that does not exist (yet); never a silent no-op
    ├── InvalidArgumentError        a caller passed a value outside the domain
    ├── InvalidStateTrigger         an illegal state-machine transition (orders)
    ├── NotFoundError
    │   └── UnknownSymbolError      a symbol the catalog (or venue) does not hold
    ├── DataError
    │   ├── DataFormatError         a file whose layout we do not recognise
    │   ├── DataValidationError     data that fails validation (carries the report)
    │   └── CatalogError            the store refused an operation
    ├── ProviderError               a remote data source failed
    │   └── TemporaryProviderError  worth retrying (timeouts, 429, 5xx)
    ├── BrokerError                 a broker refused or failed a request
    │   ├── OrderRejectedError      definitive: the broker said no (no retry, reason kept)
    │   ├── BrokerUnavailableError  temporary: a read may be retried (timeouts, 5xx, resets)
    │   │   └── RateLimitedError    429, with the broker's Retry-After in seconds
    │   └── SendOutcomeUnknown      a submit or cancel whose fate we cannot know yet
    ├── OrderDeniedError            our own risk checks refused an order (names the limit)
    ├── TradingHaltedError          the kill switch is on; ``neural-trader resume`` lifts it
    └── ReconciliationError         journal and broker disagree and could not be repaired
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BrokerError",
    "BrokerUnavailableError",
    "CatalogError",
    "ConfigError",
    "DataError",
    "DataFormatError",
    "DataValidationError",
    "InvalidArgumentError",
    "InvalidStateTrigger",
    "MissingDependencyError",
    "NeuralTraderError",
    "NotFoundError",
    "NotSupportedError",
    "OrderDeniedError",
    "OrderRejectedError",
    "ProviderError",
    "RateLimitedError",
    "ReconciliationError",
    "SendOutcomeUnknown",
    "TemporaryProviderError",
    "TradingHaltedError",
    "UnknownSymbolError",
]


class NeuralTraderError(Exception):
    """Base of every error the platform raises on purpose.

    ``exit_code`` is what the CLI exits with; ``hint`` is an optional next step appended to the
    message when shown to a person.
    """

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\nHint: {self.hint}"
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form for ``--json`` output and tool errors."""
        out: dict[str, Any] = {"error": type(self).__name__, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        return out


class ConfigError(NeuralTraderError):
    exit_code = 2


class MissingDependencyError(NeuralTraderError):
    """An optional extra is needed; the message names the ``pip install`` line."""

    exit_code = 3

    def __init__(self, package: str, extra: str, feature: str) -> None:
        super().__init__(
            f"{feature} needs the optional package '{package}', which is not installed.",
            hint=f"pip install 'neural-trader[{extra}]'",
        )
        self.package = package
        self.extra = extra


class NotSupportedError(NeuralTraderError):
    exit_code = 4


class InvalidArgumentError(NeuralTraderError, ValueError):
    exit_code = 2


class InvalidStateTrigger(NeuralTraderError):  # noqa: N818 - the name reads as the event it is
    """Raised when a state machine is asked for a transition its table does not allow."""

    exit_code = 5


class NotFoundError(NeuralTraderError, LookupError):
    exit_code = 6


class UnknownSymbolError(NotFoundError):
    def __init__(self, symbol: str, known: list[str] | None = None) -> None:
        import difflib

        hint = None
        if known:
            close = difflib.get_close_matches(symbol, known, n=3, cutoff=0.5)
            if not close:
                close = [k for k in known if k.lower() == symbol.lower()]
            if close:
                hint = "did you mean " + ", ".join(close) + "?"
            else:
                shown = ", ".join(sorted(known)[:10])
                hint = f"known symbols: {shown}" + (" ..." if len(known) > 10 else "")
        else:
            hint = "import data first: neural-trader data import PATH --symbol SYM"
        super().__init__(f"unknown symbol '{symbol}'", hint=hint)
        self.symbol = symbol


class DataError(NeuralTraderError):
    exit_code = 7


class DataFormatError(DataError):
    """The file's layout is not one we can read without guessing."""


class DataValidationError(DataError):
    """Data failed validation; ``report`` holds every problem with its row and column."""

    def __init__(self, message: str, report: Any = None, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.report = report

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.report is not None and hasattr(self.report, "to_dict"):
            out["report"] = self.report.to_dict()
        return out


class CatalogError(DataError):
    pass


class ProviderError(NeuralTraderError):
    exit_code = 8


class TemporaryProviderError(ProviderError):
    """A failure worth retrying: time-outs, rate limits, server errors."""


class BrokerError(NeuralTraderError):
    """A broker (paper or live) refused or failed a request. Messages never carry credentials."""

    exit_code = 9


class OrderRejectedError(BrokerError):
    """The broker definitively refused an order (insufficient funds, bad tick, market closed).

    Definitive means the order does not exist at the broker: it is recorded REJECTED with
    ``reason`` and never retried.
    """

    def __init__(self, message: str, *, reason: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason


class BrokerUnavailableError(BrokerError):
    """A temporary failure (timeout, reset, 5xx) of a request that changes nothing at the
    broker (a read). Reads may be retried with backoff; order creation never is."""


class RateLimitedError(BrokerUnavailableError):
    """HTTP 429: wait ``retry_after`` seconds (the broker's Retry-After, or our backoff)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SendOutcomeUnknown(BrokerError):  # noqa: N818 - names the state, not a failure class
    """A submit or cancel was sent but no definitive answer came back (timeout, 5xx, a reset
    after the request left). The order may or may not exist at the broker: it stays in flight
    until a stream update, a query by client order id or reconciliation resolves it."""


class OrderDeniedError(NeuralTraderError):
    """Our pre-trade risk checks refused an order; the message names the limit and the excess."""

    exit_code = 10

    def __init__(self, message: str, *, limit: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.limit = limit


class TradingHaltedError(NeuralTraderError):
    """The kill switch is on: new orders are refused until ``neural-trader resume``."""

    exit_code = 11


class ReconciliationError(NeuralTraderError):
    """Journal and broker disagree in a way that could not be repaired; trading does not start
    (fail closed) until a person looks."""

    exit_code = 12
