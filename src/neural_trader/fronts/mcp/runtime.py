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
  optimiser stops between chunks the way Ctrl-C stops it, training between steps, Monte
  Carlo and event backtests between chunks; a vectorized backtest, one compiled call of
  milliseconds, finishes and its result is dropped; a strategy switch stops waiting).
* **Timing and size**: every call is recorded in :class:`CallLog`, the source of
  ``get_api_latency``, ``analyze_bottlenecks``, the latency/throughput part of
  ``get_system_metrics`` and ``get_token_usage``. Durations are the tool body's (after argument
  validation); sizes are what the call costs the agent's context, measured where the SDK has
  just converted the result (:class:`MeasuredTool`): the arguments as received and the result
  as sent.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar, cast

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import ConfigDict, PrivateAttr
from pydantic_core import to_json

from neural_trader.core.cancel import CancelledByCaller
from neural_trader.core.errors import NeuralTraderError

__all__ = [
    "CallLog",
    "CallRecord",
    "Cancelled",
    "MeasuredTool",
    "Progress",
    "ServerState",
    "Size",
    "ToolSet",
    "engine_message",
    "result_size",
    "run_engine",
    "run_light",
    "text_size",
]

log = logging.getLogger("neural_trader.mcp")
T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


class Size(NamedTuple):
    """A payload's size: UTF-8 bytes (what travels) and characters (what a tokenizer reads)."""

    bytes: int
    chars: int


NOTHING = Size(0, 0)
"""What a cancelled call sends back: no result at all."""


def text_size(text: str) -> Size:
    """Size of a string; ``isascii`` spares the encode for the usual all-ASCII JSON."""
    n = len(text)
    return Size(n, n) if text.isascii() else Size(len(text.encode()), n)


def json_size(value: Any) -> Size:
    """Size of ``value`` as compact JSON, written by pydantic-core as the SDK's transports do
    (non-ASCII kept as UTF-8, NaN and infinities as ``null``)."""
    raw = to_json(value, inf_nan_mode="null", fallback=str)
    n = len(raw)
    return Size(n, n) if raw.isascii() else Size(n, len(raw.decode()))


def result_size(result: Any) -> Size:
    """What a tool result puts in front of the agent: every content block (a text block's
    text; any other block's JSON) plus ``structuredContent`` as compact JSON.

    Text is counted as the client decodes it (the JSON-string escaping of the JSON-RPC frame
    is not counted): that is what a client hands its model.
    """
    if not isinstance(result, CallToolResult):
        return json_size(result)  # not converted (a caller of Tool.run without conversion)
    total_bytes = total_chars = 0
    for block in result.content:
        size = (
            text_size(block.text)
            if isinstance(block, TextContent)
            else text_size(block.model_dump_json(by_alias=True, exclude_none=True))
        )
        total_bytes += size.bytes
        total_chars += size.chars
    if result.structured_content is not None:
        size = json_size(result.structured_content)
        total_bytes += size.bytes
        total_chars += size.chars
    return Size(total_bytes, total_chars)


def error_size(exc: Exception) -> Size:
    """The error text the SDK sends for ``exc``: ``str(exc)`` in an ``isError`` result, or the
    JSON-RPC error object for an :class:`MCPError` (the SDK passes those through)."""
    if isinstance(exc, MCPError):
        return text_size(exc.error.model_dump_json(by_alias=True, exclude_none=True))
    return text_size(str(exc))


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One ``tools/call`` as this server saw it."""

    tool: str
    ended: float
    """Wall-clock time (``time.time()``) the call ended."""
    seconds: float
    """The tool body's duration; for a call refused before the body ran, the validation's."""
    ok: bool
    """False when the client got an error (``isError``, a protocol error, or a cancel)."""
    request: Size
    """The arguments as received, as compact JSON."""
    response: Size
    """The result as sent (:func:`result_size`), or the error text (:func:`error_size`)."""
    reached_body: bool
    """False when the SDK refused the arguments: those calls cost context but have no
    duration worth timing, so the latency tools leave them out."""


class CallLog:
    """The last ``maxlen`` tool calls of this server process (thread-safe)."""

    def __init__(self, maxlen: int = 50_000) -> None:
        self._calls: deque[CallRecord] = deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self._dropped_until = float("-inf")
        """When the newest call pushed out of the log ended (-inf: none was)."""

    def add(self, record: CallRecord) -> None:
        with self._lock:
            if len(self._calls) == self._calls.maxlen:
                self._dropped_until = self._calls[0].ended
            self._calls.append(record)

    def since(
        self, seconds: float, tool: str | None = None, *, refused: bool = False
    ) -> list[CallRecord]:
        """Calls that ended in the last ``seconds`` (of ``tool``); those whose arguments were
        refused before the body ran only with ``refused=True``."""
        cutoff = time.time() - seconds
        with self._lock:
            return [
                c
                for c in self._calls
                if c.ended >= cutoff
                and (tool is None or c.tool == tool)
                and (refused or c.reached_body)
            ]

    def complete_since(self, seconds: float) -> bool:
        """Whether the log still holds every call of the last ``seconds`` (none pushed out)."""
        with self._lock:
            return self._dropped_until < time.time() - seconds


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
            wrapped = _instrument(fn)
            # from_function builds ``cls``; its annotation says Tool.
            tool = cast(
                MeasuredTool,
                MeasuredTool.from_function(
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
                ),
            )
            _forbid_extra(tool)
            tool.log_to(self.state.calls)
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


@dataclass(slots=True)
class _Body:
    """What the tool body of the current call reports to :meth:`MeasuredTool.run`."""

    seconds: float | None = None


_BODY: ContextVar[_Body | None] = ContextVar("neural_trader_mcp_body", default=None)


def _instrument(fn: F) -> F:
    """Time the tool body and turn engine errors into tool errors carrying their message."""

    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        except NeuralTraderError as exc:
            raise ToolError(engine_message(exc)) from exc
        finally:
            body = _BODY.get()
            if body is not None:
                body.seconds = time.perf_counter() - t0

    return wrapper  # type: ignore[return-value]


class MeasuredTool(Tool):
    """An SDK tool that logs each call's duration and what it costs the agent's context.

    :meth:`run` is where the SDK's tool manager hands over the arguments exactly as received
    and gets back the converted ``CallToolResult`` (or the exception whose text becomes the
    error result), so both sizes are measured on what crosses the wire, once per call and
    without serialising anything the SDK sends twice: the text blocks are measured as they
    are, only the arguments and ``structuredContent`` are written to JSON (pydantic-core).
    """

    _calls: CallLog | None = PrivateAttr(default=None)

    def log_to(self, calls: CallLog) -> None:
        self._calls = calls

    async def run(
        self,
        arguments: dict[str, Any],
        context: Context[Any, Any],
        convert_result: bool = False,
    ) -> Any:
        body = _Body()
        token = _BODY.set(body)
        t0 = time.perf_counter()
        try:
            result = await super().run(arguments, context, convert_result)
        except Exception as exc:
            self._log(arguments, body, t0, error_size(exc), ok=False)
            raise
        except BaseException:  # cancelled: nothing is sent back
            self._log(arguments, body, t0, NOTHING, ok=False)
            raise
        finally:
            _BODY.reset(token)
        failed = isinstance(result, CallToolResult) and result.is_error
        self._log(arguments, body, t0, result_size(result), ok=not failed)
        return result

    def _log(
        self, arguments: dict[str, Any], body: _Body, t0: float, response: Size, *, ok: bool
    ) -> None:
        if self._calls is None:
            return
        reached = body.seconds is not None
        self._calls.add(
            CallRecord(
                tool=self.name,
                ended=time.time(),
                seconds=body.seconds if body.seconds is not None else time.perf_counter() - t0,
                ok=ok,
                request=json_size(arguments),
                response=response,
                reached_body=reached,
            )
        )


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
