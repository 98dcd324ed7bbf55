"""Trading tools: simulate, execute (single and multi-asset), portfolio, rebalance, analytics.

Every order goes through :mod:`neural_trader.services.orders`: the pre-trade risk checks and
the kill switch, then the journal, then the broker, which is the paper broker under
``NT_HOME`` unless ``live_trading`` is switched on in the config. ``validate_only`` checks and
prices an order without sending or journaling it (the original's dry run).
"""

from __future__ import annotations

import time
from typing import Annotated, Literal

from pydantic import Field

from neural_trader.fronts.mcp.models import (
    Action,
    Processing,
    StrategyArg,
    SymbolArg,
    TradeArg,
    UseGpuArg,
    processing,
)
from neural_trader.fronts.mcp.runtime import ToolSet, run_light
from neural_trader.services.orders import (
    ExecutionAnalytics,
    MultiOrderResult,
    OrderResult,
    PortfolioStatus,
    SimulatedTrade,
)
from neural_trader.services.portfolio_views import RebalanceView

__all__ = ["register"]


class SimulateTradeOut(SimulatedTrade):
    processing: Processing


_KIND = {"market": "market", "limit": "limit", "stop_loss": "stop", "stop": "stop"}
_PERIOD_ALIASES = {"1w": "7d"}
"""get_execution_analytics: the original v1 server's period names that the journal service
spells otherwise (its v1 mapped 1h, 1d and 1w; its v2 schema listed 1h, 24h, 7d, 30d)."""


def register(tools: ToolSet) -> None:
    state = tools.state

    @tools.tool(title="Simulate a trade")
    async def simulate_trade(
        strategy: StrategyArg,
        symbol: SymbolArg,
        action: Action,
        use_gpu: UseGpuArg = False,
        quantity: Annotated[
            float | None,
            Field(
                gt=0,
                description="units; default: a buy spends the account's cash (whole units), a "
                "sell closes the position",
            ),
        ] = None,
    ) -> SimulateTradeOut:
        """Price and risk-check a market order without sending it, next to the strategy's own
        target at the symbol's last bar (does the strategy agree?). Nothing is journaled."""
        from neural_trader.services.orders import simulate_trade as sim

        t0 = time.perf_counter()
        out = await run_light(state, lambda: sim(strategy, symbol, action, quantity=quantity))
        return SimulateTradeOut(**out.model_dump(), processing=processing(t0, use_gpu))

    @tools.tool(title="Execute a trade", read_only=False, destructive=True, idempotent=False)
    async def execute_trade(
        strategy: StrategyArg,
        symbol: SymbolArg,
        action: Action,
        quantity: Annotated[float, Field(gt=0, description="units to trade")],
        order_type: Annotated[
            Literal["market", "limit", "stop_loss", "stop_limit"],
            Field(description="stop_loss is a stop-market order at stop_price"),
        ] = "market",
        limit_price: Annotated[
            float | None,
            Field(
                gt=0,
                description="limit price (limit, stop_limit); for stop_loss without stop_price "
                "it is taken as the stop trigger",
            ),
        ] = None,
        stop_price: Annotated[
            float | None, Field(gt=0, description="stop trigger (stop_loss, stop_limit)")
        ] = None,
        validate_only: Annotated[
            bool, Field(description="check and price only; nothing is sent or journaled")
        ] = False,
    ) -> OrderResult:
        """Send one order to the trading account (paper unless live trading is on in the
        config) after the pre-trade risk checks and the kill switch. A paper order rests at
        the venue until it sees the symbol's next bar."""
        from neural_trader.core.errors import InvalidArgumentError
        from neural_trader.services.orders import OrderIntent, place_order

        stop = stop_price
        limit = limit_price
        if order_type == "stop_loss" and stop is None:
            stop, limit = limit_price, None
        if order_type in ("limit", "stop_limit") and limit is None:
            raise InvalidArgumentError(f"limit_price: a {order_type} order needs one")
        if order_type in ("stop_loss", "stop_limit") and stop is None:
            raise InvalidArgumentError(f"stop_price: a {order_type} order needs one")
        if order_type == "market" and (limit is not None or stop is not None):
            raise InvalidArgumentError(
                "limit_price/stop_price: a market order takes neither (use order_type limit)"
            )
        intent = OrderIntent(
            symbol=symbol,
            side=action,
            quantity=quantity,
            order_type=_KIND.get(order_type, order_type),  # type: ignore[arg-type]
            limit_price=limit,
            stop_price=stop,
        )
        return await run_light(
            state, lambda: place_order(intent, strategy=strategy, validate_only=validate_only)
        )

    @tools.tool(
        title="Execute a multi-asset trade", read_only=False, destructive=True, idempotent=False
    )
    async def execute_multi_asset_trade(
        trades: Annotated[list[TradeArg], Field(min_length=1, max_length=100)],
        strategy: StrategyArg,
        risk_limit: Annotated[
            float | None,
            Field(
                gt=0,
                description="cap on the batch's total estimated notional; above it nothing is sent",
            ),
        ] = None,
        execute_parallel: Annotated[
            bool,
            Field(
                description="accepted for compatibility: orders are sent one after another "
                "through one order manager (the journal's order is the send order)"
            ),
        ] = True,
        validate_only: Annotated[bool, Field(description="check and price only")] = False,
    ) -> MultiOrderResult:
        """Send several orders (a price makes a limit order) after the risk checks; the whole
        batch is refused when its estimated notional exceeds risk_limit."""
        from neural_trader.services.orders import OrderIntent, place_orders

        intents = [
            OrderIntent(
                symbol=t.symbol,
                side=t.action,
                quantity=t.quantity,
                order_type="market" if t.price is None else "limit",
                limit_price=t.price,
            )
            for t in trades
        ]
        result = await run_light(
            state,
            lambda: place_orders(
                intents, strategy=strategy, risk_limit=risk_limit, validate_only=validate_only
            ),
        )
        if execute_parallel:
            result.notes.append("execute_parallel: orders were sent sequentially")
        return result

    @tools.tool(title="Portfolio status")
    async def get_portfolio_status(
        include_analytics: Annotated[
            bool, Field(description="add the holdings' 1-day 95% historical VaR and CVaR")
        ] = True,
    ) -> PortfolioStatus:
        """The trading account now: cash, equity, positions marked to their last price, open
        orders, kill-switch state."""
        from neural_trader.services.orders import portfolio_status

        return await run_light(state, lambda: portfolio_status(include_analytics=include_analytics))

    @tools.tool(title="Portfolio rebalance plan")
    async def portfolio_rebalance(
        target_allocations: Annotated[
            dict[str, Annotated[float, Field(ge=0, le=1)]],
            Field(
                min_length=1,
                description="target weight per symbol as a fraction of equity, e.g. "
                "{'SPX': 0.6} for 60%, as the original's v1 computed them (its v2 schema said "
                "percentages: 60 is refused, not read as 60%)",
            ),
        ],
        current_portfolio: Annotated[
            dict[str, float] | None,
            Field(description="{symbol: quantity}; default: the trading account's positions"),
        ] = None,
        rebalance_threshold: Annotated[
            float, Field(ge=0, le=1, description="leave weights within this band alone")
        ] = 0.05,
        cash: Annotated[
            float | None,
            Field(
                ge=0,
                description="cash in the book (default: the account's, or 0 with "
                "current_portfolio)",
            ),
        ] = None,
    ) -> RebalanceView:
        """The trades from the current book to the target weights at the last catalog
        closes, with each weight deviation and the tracking error. Sends nothing."""
        from neural_trader.services.portfolio_views import rebalance_targets

        return await run_light(
            state,
            lambda: rebalance_targets(
                target_allocations,
                current=current_portfolio,
                cash=cash,
                threshold=rebalance_threshold,
            ),
        )

    @tools.tool(title="Execution analytics")
    async def get_execution_analytics(
        time_period: Annotated[
            Literal["1h", "24h", "1d", "7d", "1w", "30d", "all"],
            Field(
                description="orders created in this last period (1w, the original's name for a "
                "week, is 7d)"
            ),
        ] = "1h",
    ) -> ExecutionAnalytics:
        """Order outcomes from the trading journal: counts by status, fill, rejection and
        risk-denial rates, fills, commission, time to first fill, limit-price improvement."""
        from neural_trader.services.orders import execution_analytics

        period = _PERIOD_ALIASES.get(time_period, time_period)
        return await run_light(state, lambda: execution_analytics(period))
