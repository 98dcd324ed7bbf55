"""The paper broker: the event backtester's simulated exchange behind the broker interface."""

from neural_trader.execution.paper.broker import PaperBroker, PaperConfig

__all__ = ["PaperBroker", "PaperConfig"]
