"""Pre-trade risk limits, read from the ``[risk]`` table of ``$NT_HOME/config.toml``.

Every limit is off (``None``) until set, so a fresh install trades under no limit but the
kill switch; each rejection names the limit that refused the order and by how much.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, field_validator

__all__ = ["RiskLimits"]


class RiskLimits(BaseModel):
    """The limits checked before every order (``neural_trader.risk.checks``).

    Money amounts are in the account currency; quantities in instrument units.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_order_notional: float | None = None
    """Largest ``quantity * price`` of one order."""
    max_order_quantity: float | None = None
    """Largest quantity of one order."""
    max_position: float | None = None
    """Largest absolute position per symbol after the order fills (units)."""
    max_gross_exposure: float | None = None
    """Largest sum of ``|position| * price`` over all symbols after the order fills."""
    max_orders_per_minute: int | None = None
    """Most orders sent in any 60-second window (monotonic clock)."""
    price_collar: float | None = None
    """Largest distance of a limit or stop price from the last price, as a fraction (0.05 = 5%)."""
    daily_loss_limit: float | None = None
    """Loss since the start of the UTC day (realised plus unrealised) that trips the kill switch."""
    flatten_on_kill: bool = False
    """Whether tripping the kill switch also closes every position (cancels always happen)."""

    @field_validator(
        "max_order_notional",
        "max_order_quantity",
        "max_position",
        "max_gross_exposure",
        "price_collar",
        "daily_loss_limit",
    )
    @classmethod
    def _positive(cls, value: float | None) -> float | None:
        if value is not None and (not math.isfinite(value) or value <= 0):
            raise ValueError(f"must be a positive finite number or unset, got {value!r}")
        return value

    @field_validator("max_orders_per_minute")
    @classmethod
    def _positive_int(cls, value: int | None) -> int | None:
        if value is not None and value <= 0:
            raise ValueError(f"must be a positive integer or unset, got {value!r}")
        return value
