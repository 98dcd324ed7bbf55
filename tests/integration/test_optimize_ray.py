"""The Ray backend returns exactly what the local run does (a real local Ray instance)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from neural_trader.backtest import BacktestConfig
from neural_trader.data.providers.synthetic import generate_bars
from neural_trader.optimize import grid_search, parse_grid, validate_combinations
from neural_trader.strategies import StrategyData, get_strategy

ray = pytest.importorskip("ray", reason="the optional extra 'distributed' (ray) is not installed")

PPY = 8760.0
CONFIG = BacktestConfig(fee_rate=0.001)


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        logging_level="ERROR",
        configure_logging=False,
    )
    try:
        yield ray
    finally:
        ray.shutdown()


def test_ray_sweep_equals_the_local_sweep(local_ray: Any) -> None:
    sma = get_strategy("sma_cross")
    data = StrategyData.from_frame(generate_bars(2_000, "1h", seed=41), "SYN")
    combos = validate_combinations(sma, parse_grid(sma, ["fast=5:25:5", "slow=20:60:10"])).combos
    local = grid_search(sma, data, combos, config=CONFIG, periods_per_year=PPY, workers=1)
    remote = grid_search(
        sma, data, combos, config=CONFIG, periods_per_year=PPY, backend="ray", chunk_size=4
    )
    assert local_ray.is_initialized()
    assert remote.evaluations == local.evaluations
    assert remote.ranked() == local.ranked()
    assert not remote.interrupted


def test_ray_backend_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from neural_trader.core.errors import MissingDependencyError
    from neural_trader.optimize import ray_backend

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingDependencyError) as info:
        ray_backend.ensure_ray()
    assert info.value.extra == "distributed"
