"""How a tool runs: registered strictly, timed, off the event loop, cancellable, never fatal.

* **Registration** (:class:`ToolSet`): a tool is a plain ``async def`` whose parameters are
  its input model (the SDK builds the pydantic model and its JSON schema from the signature,
  ``Annotated`` fields included). We also forbid unknown arguments: a misspelt optional
  argument would otherwise be dropped silently and the tool would run with its default.
* **Errors**: an engine error (:class:`~neural_trader.core.errors.NeuralTraderError`) becomes
  a tool error carrying the engine's message and hint (secrets redacted); invalid arguments
  are refused by the SDK with the field's name; anything else is logged with its traceback
  and reported as a generic tool error. None of them reaches the transport, so the server
  keeps serving.
* **Engine work** (:func:`run_engine`) runs in a worker thread so the event loop keeps
  answering other requests, pings and cancellations. Progress reported by the engine in that
  thread is relayed to the client as ``notifications/progress``; when the client cancels the
  request, the call returns at once and the engine is told through :class:`Progress` (the
  optimiser stops between chunks the way Ctrl-C stops it, training between steps and Monte
  Carlo between chunks; an engine without a checkpoint, such as one backtest, finishes in the
  background and its result is dropped).
* **Timing**: every call is recorded in :class:`CallLog`, the source of ``get_api_latency``
  and the latency/throughput part of ``get_system_metrics``.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
from mcp_types import ToolAnnotations
from pydantic import ConfigDict

from neural_trader.core.cancel import CancelledByCaller
from neural_trader.core.errors import NeuralTraderError

__all__ = [
    "CallLog",
    "Cancelled",
    "Progress",
    "ServerState",
    "ToolSet",
    "engine_message",
    "run_engine",
    "run_light",
]

log = logging.getLogger("neural_trader.mcp")
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


@dataclass(frozen=True, slots=True)
class CallRecord:
    tool: str
    ended: float
    """Wall-clock time (``time.time()``) the call ended."""
    seconds: float
    ok: bool


class CallLog:
    """The last ``maxlen`` tool calls of this server process (thread-safe)."""

    def __init__(self, maxlen: int = 50_000) -> None:
        self._calls: deque[CallRecord] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def record(self, tool: str, seconds: float, ok: bool) -> None:
        with self._lock:
            self._calls.append(CallRecord(tool, time.time(), seconds, ok))

    def since(self, seconds: float, tool: str | None = None) -> list[CallRecord]:
        cutoff = time.time() - seconds
        with self._lock:
            return [
                c for c in self._calls if c.ended >= cutoff and (tool is None or c.tool == tool)
            ]


@dataclass
class ServerState:
    """What the tools of one server share: its start time, call log and engine limiter."""

    name: str
    version: str
    started: float = field(default_factory=time.time)
    calls: CallLog = field(default_factory=CallLog)
    transport: str = "unknown"
    limiter: anyio.CapacityLimiter | None = None

    def engine_limiter(self) -> anyio.CapacityLimiter:
        # Created lazily: a CapacityLimiter binds to the running event loop's backend.
        if self.limiter is None:
            import os

            self.limiter = anyio.CapacityLimiter(max(2, os.cpu_count() or 2))
        return self.limiter


def engine_message(exc: NeuralTraderError) -> str:
    """The engine's message and hint, as a person (or an agent) should read them."""
    from neural_trader.ops.logging import redact

    text = f"{type(exc).__name__}: {exc.message}"
    if exc.hint:
        text += f" (hint: {exc.hint})"
    return redact(text)


class ToolSet:
    """Collects the tools of one server (see the module doc)."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.tools: list[Tool] = []

    def tool(
        self,
        *,
        title: str,
        read_only: bool = True,
        destructive: bool = False,
        idempotent: bool | None = None,
        open_world: bool = False,
    ) -> Callable[[F], F]:
        """Register an ``async def`` as a tool named after the function.

        The annotations tell clients what a call does: ``read_only`` tools change nothing,
        ``destructive`` ones may change the trading account.
        """

        def deco(fn: F) -> F:
            wrapped = _instrument(fn, self.state.calls)
            tool = Tool.from_function(
                wrapped,
                name=fn.__name__,
                title=title,
                annotations=ToolAnnotations(
                    title=title,
                    read_only_hint=read_only,
                    destructive_hint=destructive,
                    idempotent_hint=read_only if idempotent is None else idempotent,
                    open_world_hint=open_world,
                ),
            )
            _forbid_extra(tool)
            self.tools.append(tool)
            return fn

        return deco


def _forbid_extra(tool: Tool) -> None:
    """Make unknown arguments an error naming them (and say so in the JSON schema)."""
    base = tool.fn_metadata.arg_model
    strict: type[ArgModelBase] = type(
        base.__name__,
        (base,),
        {
            "model_config": ConfigDict(**{**base.model_config, "extra": "forbid"}),
            "__module__": base.__module__,
        },
    )
    tool.fn_metadata.arg_model = strict
    tool.parameters = strict.model_json_schema(by_alias=True)


def _instrument(fn: F, calls: CallLog) -> F:
    name = fn.__name__

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        ok = False
        try:
            result = await fn(*args, **kwargs)
            ok = True
            return result
        except NeuralTraderError as exc:
            raise ToolError(engine_message(exc)) from exc
        finally:
            calls.record(name, time.perf_counter() - t0, ok)

    return wrapper  # type: ignore[return-value]


class Cancelled(CancelledByCaller):
    """Raised from :meth:`Progress.__call__` in the engine's thread once the client cancelled.

    A ``KeyboardInterrupt`` on purpose: the optimiser (and Optuna) stop between chunks and
    trials on it and return what finished, exactly as on Ctrl-C. A
    :class:`~neural_trader.core.cancel.CancelledByCaller` too, so that training (which keeps
    and registers its model on Ctrl-C) and Monte Carlo propagate it and give nothing back.
    """


class Progress:
    """Thread-safe progress relay from engine code to the request (and a cancel flag back)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[tuple[float, float | None, str | None]] = []
        self._cancelled = threading.Event()
        self._last = 0.0

    def __call__(self, done: float, total: float | None = None, message: str | None = None) -> None:
        self.check()
        with self._lock:
            # Progress must only increase (the protocol requires it).
            if done < self._last:
                return
            self._last = float(done)
            self._pending.append((float(done), None if total is None else float(total), message))

    def check(self) -> None:
        """Raise :class:`Cancelled` once the client cancelled (a cancel point, no report)."""
        if self._cancelled.is_set():
            raise Cancelled("the client cancelled the request")

    def every(self, message: str, reports: int = 100) -> Callable[[int, int], None]:
        """A ``(done, total)`` callback for engines that report thousands of times.

        Training reports every step (milliseconds apart): relaying each would flood the
        client with notifications, so only about ``reports`` of them (and the last) are
        sent, while every call still checks for a cancel so the engine stops at its next
        step.
        """

        def report(done: int, total: int) -> None:
            if done >= total or done % max(1, total // reports) == 0:
                self(done, total, message)
            else:
                self.check()

        return report

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def drain(self) -> list[tuple[float, float | None, str | None]]:
        with self._lock:
            out, self._pending = self._pending, []
            return out


async def _send(ctx: Context | None, items: list[tuple[float, float | None, str | None]]) -> None:
    if ctx is None:
        return
    for done, total, message in items:
        try:
            await ctx.report_progress(done, total, message)
        except Exception:  # a client gone away must not fail the computation
            log.debug("progress notification failed", exc_info=True)
            return


async def run_engine(
    ctx: Context | None,
    state: ServerState,
    work: Callable[[Progress], T],
    *,
    label: str,
) -> T:
    """Run ``work(progress)`` in a worker thread; relay progress; honour cancellation.

    Progress: ``0`` at the start, whatever the engine reports in between, and a final
    notification when it is done. Cancellation returns at once (see the module doc).
    """
    progress = Progress()
    await _send(ctx, [(0.0, None, f"{label}: started")])
    outcome: list[T] = []
    error: list[BaseException] = []

    async def pump() -> None:
        while True:
            await anyio.sleep(0.1)
            await _send(ctx, progress.drain())

    async with anyio.create_task_group() as tg:
        tg.start_soon(pump)
        try:
            outcome.append(
                await anyio.to_thread.run_sync(
                    work, progress, abandon_on_cancel=True, limiter=state.engine_limiter()
                )
            )
        except anyio.get_cancelled_exc_class():
            progress.cancel()
            raise
        except Exception as exc:
            error.append(exc)
        finally:
            tg.cancel_scope.cancel()
    if error:
        raise error[0]
    await _send(ctx, progress.drain())
    final = max(progress._last, 1.0)
    await _send(ctx, [(final, final, f"{label}: done")])
    return outcome[0]


async def run_light(state: ServerState, work: Callable[[], T]) -> T:
    """Run a short blocking service call (file or database I/O) in a worker thread."""
    return await anyio.to_thread.run_sync(
        work, abandon_on_cancel=True, limiter=state.engine_limiter()
    )


def finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)
