"""Built-in strategies; importing this package registers each one (``strategies.registry``).

Every module holds one strategy; ``momentum`` also holds the position state machine the
entry/exit strategies share (``hold_state`` and its incremental twin ``HoldState``), and
``neural_common`` what the three neural strategies share (walk-forward models, float64 batch
forecasts). Importing them does not import torch; running a neural strategy does.
"""

from neural_trader.strategies.builtin.buy_and_hold import BuyAndHold
from neural_trader.strategies.builtin.enhanced_momentum import EnhancedMomentum
from neural_trader.strategies.builtin.mean_reversion import MeanReversion
from neural_trader.strategies.builtin.momentum import Momentum
from neural_trader.strategies.builtin.neural_arbitrage import NeuralArbitrage
from neural_trader.strategies.builtin.neural_sentiment import NeuralSentiment
from neural_trader.strategies.builtin.neural_trend import NeuralTrend
from neural_trader.strategies.builtin.pairs import Pairs
from neural_trader.strategies.builtin.sma_cross import SMACross
from neural_trader.strategies.builtin.swing import Swing

__all__ = [
    "BuyAndHold",
    "EnhancedMomentum",
    "MeanReversion",
    "Momentum",
    "NeuralArbitrage",
    "NeuralSentiment",
    "NeuralTrend",
    "Pairs",
    "SMACross",
    "Swing",
]
