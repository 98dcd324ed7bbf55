"""The running strategy of a trading account, and switching it while it runs.

A runner is a ``neural-trader trade`` process; one runs per account (it holds the journal's
runner lock, which names its strategy, parameters and symbol). Switching writes a request on
the journal's control channel (:mod:`neural_trader.execution.control`) and waits, up to
``wait_seconds``, for the runner's answer: the runner applies it at its next bar's close, so on
live minute bars the answer may take up to a minute and the call reports ``pending`` (call
:func:`switch_status` later). Everything the runner did is in the answer: the position it
found, the working orders it cancelled and the orders that closed the position.

Module level imports stay light (no pandas): the MCP server imports the view models at start.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from neural_trader.config import Settings, load_settings
from neural_trader.core.datetime import ns_to_iso
from neural_trader.core.errors import InvalidArgumentError, NeuralTraderError, NotFoundError
from neural_trader.services.strategy_eval import Recommendation

if TYPE_CHECKING:
    from neural_trader.execution.control import SwitchRequest
    from neural_trader.execution.journal import Journal

__all__ = [
    "AdaptiveSelection",
    "ClosingOrder",
    "RunnerView",
    "SwitchResult",
    "active_runner",
    "adaptive_selection",
    "switch_status",
    "switch_strategy",
]

_POLL_S = 0.05


class RunnerView(BaseModel):
    """The runner trading an account now."""

    broker: str
    pid: int
    strategy: str
    parameters: dict[str, Any]
    symbol: str | None
    run: str | None = Field(description="the run's key (strategy, symbol, data source)")
    since: str | None = Field(description="when this runner took the account (UTC)")


class ClosingOrder(BaseModel):
    client_order_id: str
    side: str
    quantity: float
    status: str
    reason: str | None = None


class AffectedPosition(BaseModel):
    symbol: str
    quantity: float = Field(description="the runner's position when the switch was applied")


class SwitchResult(BaseModel):
    """What became of a switch request (``switch_status``) and what it did."""

    switch_status: Literal["pending", "applied", "refused"]
    request_id: str
    from_strategy: str
    to_strategy: str
    parameters: dict[str, Any]
    close_positions: bool
    runner: RunnerView | None
    positions_affected: list[AffectedPosition]
    closed_positions: list[ClosingOrder] = Field(
        description="the orders that closed the position (close_positions)"
    )
    cancelled_orders: list[str] = Field(description="the outgoing strategy's working orders")
    closing: Literal["none", "pending", "done"]
    requested_at: str
    applied_at: str | None
    bar: str | None = Field(description="the bar at whose close the switch happened")
    reason: str | None = Field(description="why a refused request was refused")
    message: str


def _iso(ns: int | None) -> str | None:
    return None if ns is None else ns_to_iso(int(ns))


def _broker(settings: Settings, broker: str | None) -> str:
    from neural_trader.services.orders import trading_broker

    return broker or trading_broker(settings)


def _runner(journal: Journal, broker: str) -> RunnerView | None:
    from neural_trader.execution.runner import LOCK_KEY, runner_lock_holder

    state = journal.get_state(LOCK_KEY)
    pid = runner_lock_holder(state)
    if pid is None or not isinstance(state, dict):
        return None
    return RunnerView(
        broker=broker,
        pid=pid,
        strategy=str(state.get("strategy") or str(state.get("run", "?")).split(":")[0]),
        parameters=dict(state.get("params") or {}),
        symbol=state.get("symbol"),
        run=state.get("run"),
        since=_iso(state.get("since")),
    )


def active_runner(
    *, broker: str | None = None, settings: Settings | None = None
) -> RunnerView | None:
    """The runner trading the account (paper unless live trading is on), or None."""
    from neural_trader.services.trading import open_journal

    settings = settings or load_settings()
    name = _broker(settings, broker)
    with open_journal(settings, name) as journal:
        return _runner(journal, name)


def switch_strategy(
    from_strategy: str,
    to_strategy: str,
    *,
    parameters: Mapping[str, Any] | None = None,
    close_positions: bool = False,
    wait_seconds: float = 5.0,
    broker: str | None = None,
    by: str = "user",
    settings: Settings | None = None,
    check: Callable[[], None] | None = None,
) -> SwitchResult:
    """Ask the running ``from_strategy`` to hand over to ``to_strategy(**parameters)``.

    Validated here, before anything is written: the new strategy and its parameters exist and
    the runner can trade it, a runner is running ``from_strategy``, the switch changes
    something, and no other request is pending. ``check`` is called while waiting (the MCP
    cancel point): cancelling stops the wait, never the request, which the runner may be
    applying at that very moment.
    """
    from neural_trader.execution.control import SwitchRequest, read_switch, write_switch
    from neural_trader.execution.runner import check_runnable
    from neural_trader.services.trading import open_journal
    from neural_trader.strategies import create_strategy
    from neural_trader.strategies.registry import ALIASES

    if not 0.0 <= wait_seconds <= 600.0:
        raise InvalidArgumentError(f"wait_seconds must be in [0, 600], got {wait_seconds}")
    settings = settings or load_settings()
    name = _broker(settings, broker)
    incoming = create_strategy(to_strategy, **dict(parameters or {}))
    check_runnable(incoming)
    params = dict(incoming.p.as_dict())
    to_strategy = incoming.name  # the original's v1 names are aliases
    from_strategy = ALIASES.get(from_strategy, from_strategy)
    with open_journal(settings, name) as journal:
        runner = _runner(journal, name)
        if runner is None:
            raise NotFoundError(
                f"no strategy is running on the {name} account",
                hint="start one with `neural-trader trade --strategy NAME --symbol SYMBOL`",
            )
        if runner.strategy != from_strategy:
            raise InvalidArgumentError(
                f"the running strategy is {runner.strategy!r} on {runner.symbol}, "
                f"not {from_strategy!r}",
                hint=f"from_strategy={runner.strategy!r}",
            )
        if to_strategy == runner.strategy and params == runner.parameters:
            raise InvalidArgumentError(
                f"{to_strategy!r} with these parameters is already running",
                hint="change the strategy or at least one parameter",
            )
        previous = read_switch(journal)
        if previous is not None and (previous.status == "pending" or previous.closing == "pending"):
            raise InvalidArgumentError(
                f"switch request {previous.id} ({previous.from_strategy} -> "
                f"{previous.to_strategy}) is still pending",
                hint="the runner applies it at its next bar; ask again after that",
            )
        request = SwitchRequest(
            from_strategy=from_strategy,
            to_strategy=to_strategy,
            params=params,
            close_positions=close_positions,
            requested_ns=time.time_ns(),
            by=by,
        )
        write_switch(journal, request, ts_init=request.requested_ns)
        answer = _wait(journal, request.id, wait_seconds, check)
        return _result(journal, name, answer or request)


def switch_status(
    *, broker: str | None = None, settings: Settings | None = None
) -> SwitchResult | None:
    """The latest switch request of the account and what became of it, or None."""
    from neural_trader.execution.control import read_switch
    from neural_trader.services.trading import open_journal

    settings = settings or load_settings()
    name = _broker(settings, broker)
    with open_journal(settings, name) as journal:
        request = read_switch(journal)
        return None if request is None else _result(journal, name, request)


def _wait(
    journal: Journal, request_id: str, seconds: float, check: Callable[[], None] | None
) -> SwitchRequest | None:
    """Poll the control channel until the runner answered (and closed) or time is up."""
    from neural_trader.execution.control import read_switch

    deadline = time.monotonic() + seconds
    while True:
        current = read_switch(journal)
        if current is None or current.id != request_id:
            return current
        if current.status != "pending" and current.closing != "pending":
            return current
        if time.monotonic() >= deadline:
            return current
        if check is not None:
            check()
        time.sleep(_POLL_S)


def _result(journal: Journal, broker: str, request: SwitchRequest) -> SwitchResult:
    runner = _runner(journal, broker)
    if request.position_before is not None and request.symbol is not None:
        affected = [AffectedPosition(symbol=request.symbol, quantity=request.position_before)]
    elif runner is not None and runner.symbol is not None:
        held = float(journal.position(runner.symbol).quantity)
        affected = [AffectedPosition(symbol=runner.symbol, quantity=held)] if held else []
    else:
        affected = []
    return SwitchResult(
        switch_status=request.status,
        request_id=request.id,
        from_strategy=request.from_strategy,
        to_strategy=request.to_strategy,
        parameters=request.params,
        close_positions=request.close_positions,
        runner=runner,
        positions_affected=[p for p in affected if p.quantity != 0.0],
        closed_positions=[_now(journal, ClosingOrder(**o)) for o in request.closing_orders],
        cancelled_orders=list(request.cancelled_orders),
        closing=request.closing,
        requested_at=_iso(request.requested_ns) or "",
        applied_at=_iso(request.applied_ns),
        bar=_iso(request.bar_ts),
        reason=request.reason,
        message=_message(request, runner),
    )


def _now(journal: Journal, order: ClosingOrder) -> ClosingOrder:
    """A closing order with its status now (the request kept the status at sending)."""
    record = journal.order(order.client_order_id)
    if record is None:
        return order
    return order.model_copy(update={"status": record.status.value, "reason": record.reason})


def _message(request: SwitchRequest, runner: RunnerView | None) -> str:
    if request.status == "refused":
        return f"the runner refused the switch: {request.reason}"
    if request.status == "pending":
        if runner is None:
            return (
                "not applied yet and no runner is running now; a restarted runner of "
                f"{request.from_strategy} applies it at its first bar"
            )
        return "written; the runner applies it at its next bar (ask switch_status later)"
    if request.closing == "pending":
        return (
            f"switched to {request.to_strategy}; the position is closed at the next action "
            "point (the next bar's open in a replay)"
        )
    if request.close_positions and request.closing_orders:
        return f"switched to {request.to_strategy}; the position was closed by market order"
    return f"switched to {request.to_strategy}, which took the position over"


class AdaptiveSelection(Recommendation):
    """A recommendation on the symbol, and (``auto_switch``) the switch it led to."""

    selected_strategy: str | None
    switch_result: SwitchResult | None = None
    switch_note: str | None = Field(
        default=None, description="why no switch was requested (auto_switch)"
    )


def adaptive_selection(
    symbol: str,
    *,
    auto_switch: bool = False,
    wait_seconds: float = 5.0,
    settings: Settings | None = None,
    check: Callable[[], None] | None = None,
    catalog: Any = None,
) -> AdaptiveSelection:
    """Rank the strategies on ``symbol`` (``recommend_strategy``, moderate risk tolerance);
    with ``auto_switch``, switch the runner trading ``symbol`` to the winner (its default
    parameters, the position taken over)."""
    from neural_trader.services.strategy_eval import recommend_strategy

    rec = recommend_strategy(symbol, catalog=catalog)
    out = AdaptiveSelection(**rec.model_dump(), selected_strategy=rec.recommendation)
    if not auto_switch:
        return out
    if check is not None:
        check()
    selected = rec.recommendation
    runner = active_runner(settings=settings)
    if selected is None:
        out.switch_note = "no strategy could be ranked on this symbol; nothing switched"
    elif runner is None:
        out.switch_note = "no strategy is running on the account; nothing switched"
    elif runner.symbol != rec.symbol:
        out.switch_note = f"the runner trades {runner.symbol}, not {rec.symbol}; nothing switched"
    elif runner.strategy == selected:
        out.switch_note = f"{selected} is already running; nothing switched"
    else:
        try:
            out.switch_result = switch_strategy(
                runner.strategy,
                selected,
                wait_seconds=wait_seconds,
                by="adaptive_strategy_selection",
                settings=settings,
                check=check,
            )
        except NeuralTraderError as exc:
            out.switch_note = f"switch to {selected} not requested: {exc.message}"
    return out
