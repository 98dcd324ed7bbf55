"""Control of the running strategy: ``switch_active_strategy`` (original section 1.3).

A strategy runs in a ``neural-trader trade`` process; this tool writes a switch request on
the account's journal and waits for the runner's answer (:mod:`neural_trader.services.runners`).
Cancelling the call stops the wait, not the request.
"""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from neural_trader.fronts.mcp.models import StrategyArg
from neural_trader.fronts.mcp.runtime import ToolSet, run_engine
from neural_trader.services.runners import SwitchResult

__all__ = ["register"]


def register(tools: ToolSet) -> None:
    state = tools.state

    @tools.tool(
        title="Switch the running strategy", read_only=False, destructive=True, idempotent=False
    )
    async def switch_active_strategy(
        from_strategy: Annotated[
            str,
            Field(
                min_length=1,
                max_length=64,
                description="the strategy running now (checked: a mismatch is refused)",
            ),
        ],
        to_strategy: StrategyArg,
        close_positions: Annotated[
            bool,
            Field(
                description="close the position at the next bar first; otherwise the new "
                "strategy takes the position over and its own target decides"
            ),
        ] = False,
        parameters: Annotated[
            dict[str, Any] | None,
            Field(description="the new strategy's parameters (get_strategy_info); default: its"),
        ] = None,
        wait_seconds: Annotated[
            float,
            Field(
                ge=0,
                le=120,
                description="how long to wait for the runner's answer (it acts at its next "
                "bar; on live minute bars that can be a minute: then the status is pending)",
            ),
        ] = 5.0,
        ctx: Context | None = None,
    ) -> SwitchResult:
        """Replace the strategy a running trade process trades (paper account unless live
        trading is on), at the runner's next bar: the outgoing strategy's working orders are
        cancelled, the new one is warmed up on the bars the runner kept, and the position is
        closed (close_positions) or taken over. Returns what the runner did, or pending."""
        from neural_trader.services.runners import switch_strategy

        return await run_engine(
            ctx,
            state,
            lambda progress: switch_strategy(
                from_strategy,
                to_strategy,
                parameters=parameters,
                close_positions=close_positions,
                wait_seconds=wait_seconds,
                by="mcp",
                check=progress.check,
            ),
            label="switch_active_strategy",
        )
