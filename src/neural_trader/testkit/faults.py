"""A broker wrapper that injects scripted faults, for reliability tests.

The order manager, journal and reconciliation must survive what real brokers do: time out
after the order left, answer 503, rate-limit, reject, repeat or reorder stream reports, drop
the stream mid-burst, stamp reports with a skewed clock, and the process itself dying with
``kill -9`` between two writes. :class:`FaultyBroker` wraps any :class:`Broker` (usually an
in-memory fake or the paper broker) and makes those happen on cue, following a
:class:`FaultPlan`:

* a :class:`Fault` names a method, when it fires (the ``nth`` call of that method, 1-based, or
  each call with ``probability`` drawn from the plan's seeded RNG) and what it does;
* the same plan and seed, given the same calls, inject the same faults, so a failure found by
  a randomised soak replays exactly (determinism is what makes such a failure debuggable);
* the plan is JSON (:meth:`FaultPlan.to_json`), so a test can hand it to a subprocess that it
  then kills, and check the journal that subprocess left behind.

The wrapper records what actually reached the inner broker in :attr:`FaultyBroker.log`, which
is what "the submit of O-1 reached the broker exactly once" assertions read; ``timeout_before``
and ``timeout_after`` differ precisely in whether the order exists at the broker.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal, NoReturn, TypeVar, get_args

from neural_trader.core.errors import (
    BrokerUnavailableError,
    InvalidArgumentError,
    OrderRejectedError,
    RateLimitedError,
    SendOutcomeUnknown,
)
from neural_trader.execution.broker import Broker
from neural_trader.execution.reports import (
    AccountReport,
    ExecutionReport,
    FillReport,
    OrderRequest,
    OrderStatusReport,
    PositionReport,
)

__all__ = ["Fault", "FaultAction", "FaultMethod", "FaultPlan", "FaultyBroker"]

FaultMethod = Literal[
    "submit_order",
    "cancel_order",
    "get_order",
    "open_orders",
    "fills",
    "positions",
    "account",
    "stream",
]
FaultAction = Literal[
    "timeout_before",
    "timeout_after",
    "error_5xx_before",
    "error_5xx_after",
    "rate_limit",
    "reject",
    "kill_before",
    "kill_after",
    "duplicate",
    "reorder",
    "drop_after",
    "skew",
    "kill_after_fills",
]

_METHODS: Final[frozenset[str]] = frozenset(get_args(FaultMethod))
_ACTIONS: Final[frozenset[str]] = frozenset(get_args(FaultAction))
_STREAM_ACTIONS: Final = frozenset(
    {"duplicate", "reorder", "drop_after", "skew", "kill_after_fills"}
)
_SENDS: Final = frozenset({"submit_order", "cancel_order"})
"""Methods that change state at the broker: their failures are outcome-unknown, not retryable."""

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault:
    """One scripted fault: on which call of ``method`` it fires and what it does.

    Exactly one of ``nth`` (the 1-based call number of ``method``, counted on the wrapper) and
    ``probability`` (drawn on every call from the plan's seeded RNG) says when. For
    ``"stream"`` a call is one opening of :meth:`Broker.reports`.

    ``retry_after`` goes with ``rate_limit``, ``reason`` with ``reject``, ``count`` (reports
    passed before the drop) with ``drop_after``, ``count`` (fills) with ``kill_after_fills``
    and ``skew_ns`` with ``skew``. ``kill_after_fills`` dies when the consumer comes back for
    the report after the ``count``-th fill, i.e. once that fill has been applied (journaled):
    with a partially filling venue, that is "kill -9 after a partial fill".
    """

    method: FaultMethod
    action: FaultAction
    nth: int | None = None
    probability: float | None = None
    retry_after: float | None = None
    reason: str = "rejected by the fault plan"
    count: int = 0
    skew_ns: int = 0

    def __post_init__(self) -> None:
        if self.method not in _METHODS:
            raise InvalidArgumentError(
                f"fault method {self.method!r} is not one of {', '.join(sorted(_METHODS))}"
            )
        if self.action not in _ACTIONS:
            raise InvalidArgumentError(
                f"fault action {self.action!r} is not one of {', '.join(sorted(_ACTIONS))}"
            )
        is_stream_action = self.action in _STREAM_ACTIONS
        if (self.method == "stream") != is_stream_action:
            raise InvalidArgumentError(
                f"fault action {self.action!r} does not apply to {self.method!r}: "
                f"{', '.join(sorted(_STREAM_ACTIONS))} are for 'stream' and only for it"
            )
        if self.action == "reject" and self.method not in _SENDS:
            raise InvalidArgumentError(
                f"'reject' applies to submit_order and cancel_order, not {self.method!r}"
            )
        if (self.nth is None) == (self.probability is None):
            raise InvalidArgumentError(
                f"fault {self.method}/{self.action} needs exactly one of nth and probability"
            )
        if self.nth is not None and (isinstance(self.nth, bool) or self.nth < 1):
            raise InvalidArgumentError(f"fault nth is a 1-based call number, got {self.nth!r}")
        if self.probability is not None and not 0.0 <= self.probability <= 1.0:
            raise InvalidArgumentError(
                f"fault probability must be within [0, 1], got {self.probability!r}"
            )
        if self.count < 0:
            raise InvalidArgumentError(f"drop_after count must be >= 0, got {self.count}")
        if self.retry_after is not None and self.retry_after < 0:
            raise InvalidArgumentError(f"retry_after must be >= 0, got {self.retry_after}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise InvalidArgumentError(f"unknown fault field(s): {', '.join(unknown)}")
        return cls(**data)


@dataclass
class FaultPlan:
    """The faults for one run and the seed of the RNG their probabilities are drawn from."""

    faults: list[Fault] = field(default_factory=list)
    seed: int = 0

    def to_json(self) -> str:
        """The plan as one JSON line (stable key order), e.g. for an environment variable."""
        return json.dumps(
            {"seed": self.seed, "faults": [f.to_dict() for f in self.faults]},
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> FaultPlan:
        try:
            data = json.loads(text)
            faults = [Fault.from_dict(item) for item in data["faults"]]
            seed = data["seed"]
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidArgumentError(f"not a fault plan: {exc}") from exc
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise InvalidArgumentError(f"fault plan seed must be an int, got {seed!r}")
        return cls(faults=faults, seed=seed)


class FaultyBroker(Broker):
    """``inner`` with the faults of ``plan`` injected; everything else is delegated.

    ``calls`` counts every call per method name (faulted or not, as ``nth`` counts them);
    ``log`` lists ``(method, detail)`` for each call that reached ``inner`` (the detail is the
    client order id for order calls, ``since_ns`` for fills, the opening's number for the
    stream); ``injected`` lists ``(method, call number, action)`` for each fault applied, the
    record two runs of one plan and seed are compared by.
    """

    def __init__(self, inner: Broker, plan: FaultPlan) -> None:
        self.inner = inner
        self.plan = plan
        self.name = inner.name
        self.is_live = inner.is_live
        self.calls: dict[str, int] = {}
        self.log: list[tuple[str, str]] = []
        self.injected: list[tuple[str, int, str]] = []
        self._rng = random.Random(plan.seed)
        self._by_method: dict[str, list[Fault]] = {}
        for fault in plan.faults:
            self._by_method.setdefault(fault.method, []).append(fault)

    async def connect(self) -> None:
        await self.inner.connect()

    async def close(self) -> None:
        await self.inner.close()

    async def submit_order(self, request: OrderRequest) -> OrderStatusReport:
        return await self._call(
            "submit_order", request.client_order_id, lambda: self.inner.submit_order(request)
        )

    async def cancel_order(self, client_order_id: str, venue_order_id: str | None = None) -> None:
        await self._call(
            "cancel_order",
            client_order_id,
            lambda: self.inner.cancel_order(client_order_id, venue_order_id),
        )

    async def get_order(self, client_order_id: str) -> OrderStatusReport | None:
        return await self._call(
            "get_order", client_order_id, lambda: self.inner.get_order(client_order_id)
        )

    async def open_orders(self) -> list[OrderStatusReport]:
        return await self._call("open_orders", "", self.inner.open_orders)

    async def fills(self, since_ns: int = 0) -> list[FillReport]:
        return await self._call("fills", str(since_ns), lambda: self.inner.fills(since_ns))

    async def positions(self) -> list[PositionReport]:
        return await self._call("positions", "", self.inner.positions)

    async def account(self) -> AccountReport:
        return await self._call("account", "", self.inner.account)

    def reports(self) -> AsyncIterator[ExecutionReport]:
        """The inner stream with every stream fault that fires on this opening applied, in
        plan order (so ``skew`` then ``duplicate`` yields each skewed report twice)."""
        number = self._count("stream")
        self.log.append(("stream", str(number)))
        stream = self.inner.reports()
        for fault in self._fired("stream", number):
            self.injected.append(("stream", number, fault.action))
            if fault.action == "duplicate":
                stream = _duplicate(stream)
            elif fault.action == "reorder":
                stream = _reorder(stream)
            elif fault.action == "drop_after":
                stream = _drop_after(stream, fault.count, number)
            elif fault.action == "kill_after_fills":
                stream = _kill_after_fills(stream, fault.count)
            else:
                stream = _skew(stream, fault.skew_ns)
        return stream

    async def _call(self, method: str, detail: str, send: Callable[[], Awaitable[_T]]) -> _T:
        number = self._count(method)
        fired = self._fired(method, number)
        fault = fired[0] if fired else None  # a call fails one way: the first listed wins
        action: str = ""
        if fault is not None:
            action = fault.action
            self.injected.append((method, number, action))
        where = f"{method} call {number}" + (f" ({detail})" if detail else "")
        if fault is not None:
            if action == "rate_limit":
                raise RateLimitedError(
                    f"HTTP 429 Too Many Requests: {where} (injected fault)",
                    retry_after=fault.retry_after,
                )
            if action == "reject":
                raise OrderRejectedError(
                    f"rejected: {where}: {fault.reason} (injected fault)", reason=fault.reason
                )
            if action == "kill_before":
                _kill_self()
            if action in ("timeout_before", "error_5xx_before"):
                raise _lost(method, action, where)
        self.log.append((method, detail))
        result = await send()
        if action == "kill_after":
            _kill_self()
        if action in ("timeout_after", "error_5xx_after"):
            raise _lost(method, action, where)
        return result

    def _count(self, method: str) -> int:
        number = self.calls.get(method, 0) + 1
        self.calls[method] = number
        return number

    def _fired(self, method: str, number: int) -> list[Fault]:
        # Every probability fault draws on every call, fired or not, so whether fault B fires
        # never depends on whether fault A did: the draw sequence is fixed by the calls alone.
        fired: list[Fault] = []
        for fault in self._by_method.get(method, ()):
            if fault.nth is not None:
                hit = fault.nth == number
            else:
                hit = self._rng.random() < (fault.probability or 0.0)
            if hit:
                fired.append(fault)
        return fired


def _lost(method: str, action: str, where: str) -> Exception:
    """The error a caller sees when an answer is lost: outcome unknown for a send, a retryable
    unavailability for a read. Before and after read alike, because a real caller cannot tell
    whether its request arrived; only :attr:`FaultyBroker.log` knows."""
    cause = "HTTP 503 Service Unavailable" if action.startswith("error_5xx") else "timed out"
    text = f"{cause}: {where} (injected fault)"
    if method in _SENDS:
        return SendOutcomeUnknown(text)
    return BrokerUnavailableError(text)


def _kill_self() -> NoReturn:
    """Die the way ``kill -9`` kills: no finally blocks, no atexit, no flushed buffers."""
    os.kill(os.getpid(), signal.SIGKILL)
    os._exit(137)  # not reached: SIGKILL to oneself is delivered before kill() returns


async def _duplicate(stream: AsyncIterator[ExecutionReport]) -> AsyncIterator[ExecutionReport]:
    async for report in stream:
        yield report
        yield report


async def _reorder(stream: AsyncIterator[ExecutionReport]) -> AsyncIterator[ExecutionReport]:
    """Each pair of reports comes out swapped (report 2 before 1, 4 before 3, ...). An odd
    last report comes out when the inner stream ends or drops, so reordering loses nothing."""
    held: ExecutionReport | None = None
    try:
        async for report in stream:
            if held is None:
                held = report
            else:
                yield report
                yield held
                held = None
    except Exception:
        if held is not None:
            yield held
        raise
    if held is not None:
        yield held


async def _drop_after(
    stream: AsyncIterator[ExecutionReport], count: int, number: int
) -> AsyncIterator[ExecutionReport]:
    passed = 0
    async for report in stream:
        if passed >= count:
            break
        yield report
        passed += 1
    raise BrokerUnavailableError(
        f"stream {number} dropped after {passed} report(s) (injected fault); "
        "gap-fill through fills() and reopen"
    )


async def _kill_after_fills(
    stream: AsyncIterator[ExecutionReport], count: int
) -> AsyncIterator[ExecutionReport]:
    seen = 0
    async for report in stream:
        yield report  # resumes only after the consumer applied it
        if isinstance(report, FillReport):
            seen += 1
            if seen >= count:
                _kill_self()


async def _skew(
    stream: AsyncIterator[ExecutionReport], skew_ns: int
) -> AsyncIterator[ExecutionReport]:
    async for report in stream:
        yield dataclasses.replace(report, ts_event=report.ts_event + skew_ns)
