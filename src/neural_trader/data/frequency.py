"""How many bars make a year: the annualisation factor for a series, read off its timestamps.

Annualised metrics (Sharpe, volatility, CAGR) need ``periods_per_year``. Guessing 252 for
everything is wrong for crypto (365 days, 24 h) and for intraday bars, so the factor is
derived from the data: trading days per year (252 when weekends are absent, 365 when the
series trades on weekends) times the median number of bars per trading day.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from neural_trader.core.data import BarSpec, BarUnit
from neural_trader.core.errors import InvalidArgumentError

__all__ = ["TRADING_DAYS", "infer_periods_per_year", "trades_on_weekends"]

TRADING_DAYS = 252.0
CALENDAR_DAYS = 365.0
_DAY_NS = 86_400_000_000_000


def trades_on_weekends(ts_event: npt.NDArray[np.int64]) -> bool:
    """True when a meaningful share (> 5%) of bars fall on Saturday or Sunday (UTC)."""
    if len(ts_event) == 0:
        return False
    weekday = ((ts_event // _DAY_NS) + 3) % 7  # 1970-01-01 was a Thursday: 0 = Monday
    return bool(np.mean(weekday >= 5) > 0.05)


def infer_periods_per_year(ts_event: npt.NDArray[np.int64], spec: BarSpec | str) -> float:
    """Bars per year for ``ts_event`` sampled at ``spec``.

    Daily: 252, or 365 for a series with weekend bars. Weekly: 52. Intraday: days per year
    times the median count of bars per UTC day (so a 6.5 h equity session of 5-minute bars
    gives 78 * 252, a 24/7 crypto series of 1-minute bars 1440 * 365).
    """
    spec = BarSpec.parse(spec)
    if spec.unit is BarUnit.WEEK:
        return 52.0 / spec.step
    days = CALENDAR_DAYS if trades_on_weekends(ts_event) else TRADING_DAYS
    if spec.unit is BarUnit.DAY:
        return days / spec.step
    if len(ts_event) < 2:
        raise InvalidArgumentError(
            "cannot infer bars per day from fewer than 2 bars; pass periods_per_year"
        )
    _, counts = np.unique(ts_event // _DAY_NS, return_counts=True)
    per_day = float(np.median(counts))
    nominal = _DAY_NS / spec.nanos
    return days * min(per_day, nominal)
