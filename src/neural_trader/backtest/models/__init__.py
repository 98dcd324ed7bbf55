"""Shared backtest arithmetic (0006): plain scalar functions both engines run.

The vector engine compiles them with ``numba.njit`` (``backtest.vector.nb``); the event engine
calls them as Python. Changing a rule means changing 0006, these functions and both engines'
tests together.
"""

from neural_trader.backtest.models.fees import cash_after_fill, order_fee
from neural_trader.backtest.models.sizing import (
    all_in_quantity,
    fixed_position,
    order_check,
    round_to_lot,
    sign,
    target_weight_position,
    vol_target_weight,
    window_sigma,
)
from neural_trader.backtest.models.slippage import execution_price
from neural_trader.backtest.models.stops import stop_prices, walk_stops

__all__ = [
    "all_in_quantity",
    "cash_after_fill",
    "execution_price",
    "fixed_position",
    "order_check",
    "order_fee",
    "round_to_lot",
    "sign",
    "stop_prices",
    "target_weight_position",
    "vol_target_weight",
    "walk_stops",
    "window_sigma",
]
