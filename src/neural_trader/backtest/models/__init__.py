"""Shared backtest arithmetic and execution model (0006): plain Python both engines run.

Scalar models (fees, slippage, sizing, stops) and the execution model built on them
(:mod:`.execution`: acting on targets, fills, stop exits; :mod:`.tradebook`: account state,
records, round trips). Every function is registered with numba (``_jit.jitable``): the vector
kernels (``backtest.vector.nb``) compile them into their loops, the event engine calls them as
Python. Changing a rule means changing 0006, these functions and both engines'
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
from neural_trader.backtest.models.stops import bar_path, stop_prices, touch, walk_stops

__all__ = [
    "all_in_quantity",
    "bar_path",
    "cash_after_fill",
    "execution_price",
    "fixed_position",
    "order_check",
    "order_fee",
    "round_to_lot",
    "sign",
    "stop_prices",
    "target_weight_position",
    "touch",
    "vol_target_weight",
    "walk_stops",
    "window_sigma",
]
