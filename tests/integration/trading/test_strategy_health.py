"""The strategy health score: rules over facts in the journal, each check with its value,
threshold and penalty; the score is 100 minus the failed checks' penalties."""

from __future__ import annotations

from pathlib import Path

import pytest

from neural_trader.data.export import write_bars_csv
from neural_trader.data.providers.sample import load_sample
from neural_trader.services.orders import strategy_health
from neural_trader.services.trading import kill, trade


def test_health_of_a_paper_run_then_a_tripped_kill_switch(nt_home: Path, tmp_path: Path) -> None:
    bars = tmp_path / "spx.csv"
    write_bars_csv(load_sample("SPX").iloc[-400:], bars)
    trade("sma_cross", symbol="SPX", replay=bars, lot_size=1.0)

    before = strategy_health("sma_cross")
    assert before.performance.orders > 0
    assert [c.name for c in before.checks] == [
        "kill_switch", "unresolved_orders", "rejection_rate", "denial_rate", "sharpe",
        "total_pnl", "win_rate",
    ]  # fmt: skip
    assert before.health_score == 100 - sum(c.penalty for c in before.checks if not c.passed)
    assert next(c for c in before.checks if c.name == "kill_switch").passed

    kill(reason="test")
    after = strategy_health("sma_cross")
    ks = next(c for c in after.checks if c.name == "kill_switch")
    assert not ks.passed
    assert ks.penalty == 40
    assert "test" in ks.detail
    assert before.health_score is not None
    assert after.health_score == max(0, before.health_score - 40)
    assert any("resume" in r for r in after.recommendations)


def test_a_strategy_without_orders_has_no_score(nt_home: Path) -> None:
    health = strategy_health("momentum")
    assert health.health_score is None
    assert any("nothing to judge" in i for i in health.issues)


def test_an_unknown_strategy_is_an_error(nt_home: Path) -> None:
    from neural_trader.core.errors import NeuralTraderError

    with pytest.raises(NeuralTraderError, match="no_such"):
        strategy_health("no_such")
