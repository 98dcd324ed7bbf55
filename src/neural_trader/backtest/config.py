"""The backtest configuration shared by the vectorized and the event engine.

One frozen model for both engines, so that a run is reproducible from its config alone and the
parity tests can hand the very same object to each engine (docs/decisions/0006).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

__all__ = ["BacktestConfig", "FillTiming", "Rebalance", "SizerName"]

FillTiming = Literal["open", "close"]
SizerName = Literal["all_in", "fixed", "target_weight", "vol_target"]
Rebalance = Literal["on_change", "every_bar"]


class BacktestConfig(BaseModel):
    """Account, costs, sizing and timing of one backtest (see 0006 for every rule).

    ``long_only=None`` lets the strategy decide (its ``long_only`` class attribute); raw target
    arrays without a strategy are then allowed to go short.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    cash: float = 10_000.0
    fee_rate: float = 0.0
    fixed_fee: float = 0.0
    slippage: float = 0.0
    fill: FillTiming = "open"
    sizer: SizerName = "all_in"
    fraction: float = 1.0
    quantity: float = 1.0
    vol_target: float = 0.15
    vol_lookback: int = 20
    periods_per_year: float = 252.0
    max_leverage: float = 1.0
    lot_size: float = 0.0
    min_size: float = 0.0
    min_notional: float = 0.0
    long_only: bool | None = None
    rebalance: Rebalance = "on_change"

    @field_validator(
        "cash",
        "fee_rate",
        "fixed_fee",
        "slippage",
        "fraction",
        "quantity",
        "vol_target",
        "periods_per_year",
        "max_leverage",
        "lot_size",
        "min_size",
        "min_notional",
    )
    @classmethod
    def _finite(cls, value: float) -> float:
        # NaN compares false with every bound below, so it must be refused explicitly.
        if not math.isfinite(value):
            raise ValueError(f"must be a finite number, got {value!r}")
        return value

    @model_validator(mode="after")
    def _ranges(self) -> BacktestConfig:
        problems: list[str] = []
        if self.cash <= 0:
            problems.append(f"cash={self.cash} must be > 0 (the starting account balance)")
        if not 0 <= self.fee_rate < 1:
            problems.append(f"fee_rate={self.fee_rate} must be in [0, 1) (0.001 = 0.1% per side)")
        if self.fixed_fee < 0:
            problems.append(f"fixed_fee={self.fixed_fee} must be >= 0")
        if not 0 <= self.slippage < 1:
            problems.append(f"slippage={self.slippage} must be in [0, 1) (0.0005 = 5 bp)")
        if not 0 < self.fraction <= 1:
            problems.append(f"fraction={self.fraction} must be in (0, 1] (share of cash, all_in)")
        if self.quantity <= 0:
            problems.append(f"quantity={self.quantity} must be > 0 (units per unit target, fixed)")
        if self.vol_target <= 0:
            problems.append(f"vol_target={self.vol_target} must be > 0 (annualised, 0.15 = 15%)")
        if self.vol_lookback < 2:
            problems.append(f"vol_lookback={self.vol_lookback} must be >= 2 (a sample std)")
        if self.periods_per_year <= 0:
            problems.append(f"periods_per_year={self.periods_per_year} must be > 0")
        if self.max_leverage <= 0:
            problems.append(f"max_leverage={self.max_leverage} must be > 0")
        for name in ("lot_size", "min_size", "min_notional"):
            if getattr(self, name) < 0:
                problems.append(f"{name}={getattr(self, name)} must be >= 0 (0 = no limit)")
        if problems:
            raise ValueError("; ".join(problems))
        return self
