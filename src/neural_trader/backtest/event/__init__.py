"""The event-driven backtest engine: the strategy's ``on_bar`` code, one bar at a time.

``run_event`` runs in-memory :class:`~neural_trader.strategies.base.StrategyData`;
``run_event_stream`` consumes bar batches (``Catalog.iter_batches``) in bounded memory;
``run_event_portfolio`` runs multi-leg strategies (``pairs``) from one cash account. Targets
follow docs/decisions/0006 through the shared ``backtest.models`` functions, so they agree with
the vector engine; explicit orders go through core ``Order`` objects and the simulated exchange
(docs/decisions/0009).
"""

from neural_trader.backtest.event.context import BarView, EventContext
from neural_trader.backtest.event.engine import (
    DEFAULT_CHUNK,
    default_instrument,
    run_event,
    run_event_stream,
)
from neural_trader.backtest.event.exchange import Fill, SimulatedExchange
from neural_trader.backtest.event.portfolio import (
    PortfolioContext,
    PortfolioEventResult,
    run_event_portfolio,
)
from neural_trader.backtest.event.result import EventResult

__all__ = [
    "DEFAULT_CHUNK",
    "BarView",
    "EventContext",
    "EventResult",
    "Fill",
    "PortfolioContext",
    "PortfolioEventResult",
    "SimulatedExchange",
    "default_instrument",
    "run_event",
    "run_event_portfolio",
    "run_event_stream",
]
