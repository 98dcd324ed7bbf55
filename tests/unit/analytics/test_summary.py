from __future__ import annotations

import json
import math

import numpy as np
import pytest

from neural_trader.analytics import metrics as m
from neural_trader.analytics.summary import summarize
from neural_trader.analytics.trades import TRADE_DTYPE, ExitReason
from neural_trader.core.errors import InvalidArgumentError


def equity_fixture(seed: int = 1, n: int = 500) -> np.ndarray:
    rng = np.random.default_rng(seed)
    r = rng.standard_t(5, n) * 0.01 + 0.0003
    out: np.ndarray = 10_000.0 * np.r_[1.0, np.cumprod(1 + r)]
    return out


def test_summarize_matches_metric_functions_on_equity_returns() -> None:
    eq = equity_fixture()
    r = eq[1:] / eq[:-1] - 1
    s = summarize(eq, periods_per_year=252, risk_free=0.02, var_confidence=0.99)
    assert s.final_equity == eq[-1]
    assert s.total_return == pytest.approx(eq[-1] / eq[0] - 1, rel=1e-12)
    assert s.sharpe == pytest.approx(m.sharpe(r, periods_per_year=252, risk_free=0.02))
    assert s.max_drawdown == pytest.approx(m.max_drawdown(r))
    assert s.max_drawdown < 0
    hist = m.value_at_risk(r, confidence=0.99, method="historical")
    assert (s.var, s.var_method, s.var_confidence) == (hist.value, "historical", 0.99)
    assert s.n_periods == 500


def test_summarize_without_optional_inputs_serialises_to_valid_json() -> None:
    s = summarize(equity_fixture(), periods_per_year=252)
    d = s.to_dict()
    assert d["alpha"] is None
    assert d["beta"] is None
    assert d["profit_factor"] is None
    assert d["win_rate"] is None
    assert d["turnover"] is None
    json.loads(json.dumps(d, allow_nan=False))  # raises if any NaN slipped through


def test_summarize_with_trades_positions_benchmark_fills_fields() -> None:
    eq = equity_fixture(2, 100)
    rng = np.random.default_rng(3)
    bench = rng.normal(0, 0.01, 100)
    trades = np.zeros(3, dtype=TRADE_DTYPE)
    trades["entry_idx"], trades["exit_idx"] = [0, 30, 70], [20, 50, 100]
    trades["side"], trades["quantity"] = 1, 1.0
    trades["entry_price"], trades["exit_price"] = 100.0, [110.0, 95.0, 101.0]
    trades["pnl"] = [10.0, -5.0, 1.0]
    trades["exit_reason"] = [ExitReason.SIGNAL, ExitReason.STOP_LOSS, ExitReason.END]
    trades["is_open"] = [False, False, True]
    positions = np.zeros(101)
    positions[:20] = 1.0
    s = summarize(
        eq, periods_per_year=252, trades=trades, positions=positions, benchmark_returns=bench
    )
    assert (s.trades, s.open_trades) == (2, 1)
    assert s.profit_factor == pytest.approx(2.0)
    assert s.exposure == pytest.approx(20 / 101)
    assert math.isfinite(s.beta)
    assert math.isfinite(s.alpha)
    # turnover rebuilt from trades: 100+110 + 100+95 + 100 over mean equity, per 101/252 years
    expected = 505.0 / eq.mean() / (101 / 252)
    assert s.turnover == pytest.approx(expected)


def test_summarize_flat_equity_records_notes_and_nulls() -> None:
    s = summarize(np.full(30, 1000.0), periods_per_year=252)
    assert math.isnan(s.sharpe)
    assert s.max_drawdown == 0.0
    assert any("zero dispersion" in n for n in s.notes)
    assert s.to_dict()["sharpe"] is None


def test_summarize_misaligned_benchmark_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="benchmark_returns"):
        summarize(equity_fixture(n=10), periods_per_year=252, benchmark_returns=np.zeros(11))


def test_summarize_nonpositive_start_raises() -> None:
    with pytest.raises(InvalidArgumentError, match="starting capital"):
        summarize(np.array([0.0, 1.0]), periods_per_year=252)
